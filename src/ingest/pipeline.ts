/**
 * The steps one file goes through to become an exhibit. `custody ingest` (ingest.ts) runs them
 * for many files at once; a testimony (src/testimony) runs them for its statement and attachments,
 * which it records together with the testimony. For each file, in this order:
 *
 *   0. recheck a batch's file at a path the case took in before is hashed first (SHA-256 only: no
 *              copy, no ExifTool): when the case took this content in from this path, it is
 *              present, and recorded no more; else it goes on, noted as changed
 *   1. stage   copy it into the vault's temp folder while hashing it (SHA-256 and SHA-512) in one
 *              streaming pass; refuse it if it is empty, unreadable or changes while read; fsync
 *              the copy and hash it again to check it
 *   2. dedupe  a file whose SHA-256 is already an exhibit gets no second exhibit
 *   3. read    its metadata with ExifTool from the checked copy, normalised
 *   4. commit  store the complete metadata record, and rename the copy to its content address,
 *              read-only, durably
 *   5. record  append the event in one transaction, which also gives a new exhibit its ID
 *
 * Steps 1 to 4 are IngestRun.prepare(), step 5 IngestRun.record() (or composeIngestEvents(),
 * for a caller that records more in the same transaction). A file that fails at any step leaves
 * no exhibit, only an `ingest-failed` event saying why (a metadata record already stored stays
 * as an unnamed object, which verification reports as harmless).
 */
import {basename, resolve} from 'node:path'
import {stat} from 'node:fs/promises'
import {canonicalize} from '../canonical/jcs.js'
import type {Case} from '../case/case.js'
import {CustodyError, messageOf, said} from '../errors.js'
import type {BatchFields, Collected, CustodyEventDraft, FileFacts, StoredObject} from '../formats/events.js'
import {formatExhibitId} from '../formats/ids.js'
import {digestFile, sha256Hex} from '../hashing/digests.js'
import type {LedgerView} from '../ledger/ledger.js'
import type {ManifestInput, RowFacts} from '../manifest/manifest.js'
import type {MetadataReader, MetadataRecord} from '../metadata/exiftool.js'
import {normaliseMetadata, parseGivenDate, type NormalisedMetadata} from '../metadata/normalise.js'
import {sourceChanged, type StagedObject} from '../vault/vault.js'
import {INGEST} from './fields.js'
import type {InputFile} from './inputs.js'
import {INTERRUPTED_REASON, UNCHANGED_REASON, alreadyPresent, failed, fileRef, ingested, skipped, withSeq, type FileRef, type IngestFileResult} from './results.js'

/** What the person ingesting says of the files: who they are, and how the files were collected. */
export interface ProvenanceOptions {
  actor?: string | undefined
  collectedAt?: string | undefined
  collectedBy?: string | undefined
  location?: string | undefined
  source?: string | undefined
  note?: string | undefined
}

export interface Provenance {
  actor: string
  collected: Collected
  note: string | null
}

/** The collection time given, with its time-zone offset; refused when it is no ISO 8601 date or time. */
export function checkCollectedAt(value: string): {at: string; offset: string | null} {
  const parsed = parseGivenDate(value)
  if (parsed === null) {
    throw new CustodyError('INVALID_ARGUMENT', said`${INGEST.collectedAt} must be an ISO 8601 date or time such as 2024-03-01 or 2024-03-01T14:05:00+02:00, got ${JSON.stringify(value)}`)
  }

  return {at: value.trim(), offset: parsed.offset}
}

export function provenanceOf(options: ProvenanceOptions, kase: Case): Provenance {
  const collected: Collected = {}
  if (options.collectedAt !== undefined) {
    const {at, offset} = checkCollectedAt(options.collectedAt)
    collected.at = at
    collected.offset = offset
  }

  for (const [key, value] of [
    ['by', options.collectedBy],
    ['location', options.location],
    ['source', options.source],
  ] as const) {
    if (value !== undefined && value.trim() !== '') collected[key] = value.trim()
  }

  const actor = options.actor?.trim() || kase.info.investigator
  return {actor, collected, note: options.note?.trim() || null}
}

/** Errors worth an `ingest-failed` event: the file was there and was presented, but could not be taken in. */
const RECORDED_FAILURES = new Set(['INPUT_UNREADABLE', 'INPUT_EMPTY', 'INPUT_CHANGED', 'INPUT_NOT_REGULAR', 'DISK_FULL', 'COPY_MISMATCH', 'STORAGE_FAILED'])

/** What is known of a file before it is read: the file as given, what its event says of it, its manifest row. */
type Presented = {file: FileRef; facts: FileFacts; row?: RowFacts}

/** What steps 0-4 leave for step 5 to record. */
export type Outcome = (
  /** `changedFrom`: the exhibit last taken in from the file's path, whose content was other (step 0). */
  | {kind: 'new'; file: FileRef; facts: FileFacts; staged: StagedObject; metadata: ReadMetadata; changedFrom: string | null}
  | {kind: 'known'; file: FileRef; facts: FileFacts; staged: StagedObject}
  /** Step 0 found the content the case took in from this path: nothing to record. */
  | {kind: 'present'; file: FileRef; facts: FileFacts; sha256: string; size: number; exhibit: string}
  /** `read`: the digest and size of a file that failed after it was read, else null. */
  | {kind: 'failed'; file: FileRef; facts: FileFacts; error: CustodyError; read: {sha256: string; size: number} | null}
) & {
  /** What a manifest row said of the file. */
  row?: RowFacts
}

/**
 * What step 5 needs of a file's metadata. The complete record's bytes are let go once they are in
 * the vault: many files can wait for the recorder (ingest.ts), and ExifTool's record of a photo is
 * several KiB.
 */
interface ReadMetadata {
  recordBytes: Uint8Array | null
  recordSha256: string
  /** In an encrypted vault, once committed: the record as stored. */
  recordStored?: StoredObject
  reader: string
  warnings: string[]
  errors: string[]
  /** ExifTool found nothing embedded: only what it can say of any file (type, size). */
  noMetadata: boolean
  normalised: NormalisedMetadata
}

export interface PrepareOptions {
  /**
   * Record this name instead of the file's own name and path (a witness's statement or recording,
   * whose file name may name the witness).
   */
  recordAs?: string
  /** Leave a new file staged (not yet in the vault) so that a caller can still drop it: see commitOutcome(). */
  commit?: boolean
  /**
   * Told the bytes of each chunk read, as it is read; a file step 0 hashed and that then goes on
   * is read twice: the bytes of the first reading are taken back (told as negative).
   */
  onBytes?: ((bytes: number) => void) | undefined
  /**
   * For a batch's file at a path the case took in before (step 0): the exhibit last taken in from
   * it, and the exhibit of a content the case took in from it, if it did.
   */
  takenBefore?: {latest: string; takenAs: (sha256: string) => string | undefined}
}

export class IngestRun {
  private readonly kase: Case
  private readonly reader: MetadataReader
  private readonly signal: AbortSignal | undefined
  /** The batch every event of this run names, if it is one. */
  readonly batch: string | null

  constructor(kase: Case, reader: MetadataReader, signal: AbortSignal | undefined, batch: string | null = null) {
    this.kase = kase
    this.reader = reader
    this.signal = signal
    this.batch = batch
  }

  /** Steps 0-4 for one file (step 4 only with `commit`, the default). Never throws: a failure is an outcome to record. */
  async prepare(input: InputFile, options: PrepareOptions = {}): Promise<Outcome> {
    const presented = await presentedFile(input, options.recordAs)
    // 0. recheck
    let changedFrom: string | null = null
    if (options.takenBefore !== undefined) {
      const present = await this.recheck(input, presented, options.takenBefore, options.onBytes)
      if (present !== undefined) return present
      changedFrom = options.takenBefore.latest
    }

    // 1. stage
    let staged: StagedObject
    try {
      staged = await this.kase.vault.stageFile(input.path, {signal: this.signal, onBytes: options.onBytes})
    } catch (error) {
      return {kind: 'failed', ...presented, error: asCustodyError(error, input.path), read: null}
    }

    try {
      // 2. dedupe (checked again when recording, inside the transaction, where it cannot race)
      if (this.kase.ledger.exhibitBySha256(staged.digests.sha256) !== undefined) {
        await this.kase.vault.discard(staged)
        return {kind: 'known', ...presented, staged}
      }

      // 3. read
      const outcome: Outcome = {kind: 'new', ...presented, staged, metadata: await this.readMetadata(staged, input.path), changedFrom}
      // 4. commit
      if (options.commit !== false) await this.commitOutcome(outcome)
      return outcome
    } catch (error) {
      await this.kase.vault.discard(staged)
      return {kind: 'failed', ...presented, error: asCustodyError(error, input.path), read: {sha256: staged.digests.sha256, size: staged.size}}
    }
  }

  /**
   * Step 0: the file's SHA-256 alone. A present outcome when the case took this content in from
   * this path; undefined when the file must go through the steps (changed, or unreadable: step 1
   * says why), its bytes taken back from the progress.
   */
  private async recheck(input: InputFile, presented: Presented, before: NonNullable<PrepareOptions['takenBefore']>, onBytes: PrepareOptions['onBytes']): Promise<Outcome | undefined> {
    let hashed = 0
    try {
      const {sha256, size} = await digestFile(input.path, 'sha256', {
        onBytes: (bytes) => {
          hashed += bytes
          onBytes?.(bytes)
        },
      })
      const exhibit = before.takenAs(sha256)
      if (exhibit !== undefined) return {kind: 'present', ...presented, sha256, size, exhibit}
    } catch {
      // Step 1 reads it again, and says what is wrong with it.
    }

    onBytes?.(-hashed)
    return undefined
  }

  /**
   * Step 3: the metadata of the checked copy, its complete record in canonical JSON, and its
   * normalised form. An encrypted vault holds no plaintext copy: ExifTool reads the source, which
   * must then still be the file that was staged.
   */
  private async readMetadata(staged: StagedObject, path: string): Promise<ReadMetadata> {
    const record = await this.reader.read(resolve(staged.readablePath))
    if (staged.readablePath !== staged.tempPath && !(await this.kase.vault.sourceUnchanged(staged.readablePath, staged.sourceState))) throw sourceChanged(path)
    if (this.signal?.aborted && Object.keys(record.tags).length === 0) {
      // Ctrl-C on a terminal reaches ExifTool's processes too: a read that died with them is an
      // interruption, not a file without metadata.
      throw new CustodyError('INTERRUPTED', `interrupted while reading the metadata of ${path}`, {subject: path})
    }

    const recordBytes = new TextEncoder().encode(canonicalize(record))
    return {
      recordBytes,
      recordSha256: sha256Hex(recordBytes),
      reader: `${record.reader.name} ${record.reader.version}`,
      warnings: record.warnings,
      errors: record.errors,
      noMetadata: hasNoEmbeddedMetadata(record),
      normalised: normaliseMetadata(record.tags),
    }
  }

  /** Step 4: the complete metadata record, then the copy, into the vault under their addresses. */
  async commitOutcome(outcome: Outcome): Promise<void> {
    if (outcome.kind !== 'new' || outcome.metadata.recordBytes === null) return
    const record = await this.kase.vault.putBytes(outcome.metadata.recordBytes)
    if (record.stored !== undefined) outcome.metadata.recordStored = record.stored
    await this.kase.vault.commit(outcome.staged)
    outcome.metadata.recordBytes = null
  }

  /** Drops what prepare() staged and did not commit. */
  async discardOutcome(outcome: Outcome): Promise<void> {
    if (outcome.kind === 'new' || outcome.kind === 'known') await this.kase.vault.discard(outcome.staged)
  }

  /**
   * Step 5 for consecutive files, in one transaction: fewer durable commits, the same events.
   */
  record(outcomes: Outcome[], provenance: Provenance): IngestFileResult[] {
    // Files present and unchanged make no event: no transaction either.
    if (outcomes.every((o) => o.kind === 'present')) return outcomes.map((o) => presentUnchanged(o))
    try {
      const {events, result} = this.kase.ledger.append((view) => composeIngestEvents(this.kase, view, outcomes, provenance, this.batch))
      return result.map(({result: r, draft}) => (draft === null ? r : withSeq(r, events[draft]!.event.seq)))
    } catch (error) {
      // Nothing of this batch was recorded (the transaction rolled back): each file says why.
      const err = asCustodyError(error, this.kase.ledger.path)
      return outcomes.map((o) => failed(o.file, {code: err.code, message: `not recorded: ${err.message}`}, readOf(o)))
    }
  }
}

/** The digest and size of an outcome's file, when it was read. */
export function readOf(outcome: Outcome): {sha256: string; size: number} | null {
  switch (outcome.kind) {
    case 'failed': {
      return outcome.read
    }

    case 'present': {
      return {sha256: outcome.sha256, size: outcome.size}
    }

    default: {
      return {sha256: outcome.staged.digests.sha256, size: outcome.staged.size}
    }
  }
}

/** A file as given, and what its event will say of it; `recordAs` stands for its name and path. */
async function presentedFile(input: InputFile, recordAs: string | undefined): Promise<Presented> {
  const modified = await stat(input.path).catch(() => undefined)
  const facts = fileFacts(input, modified ? modified.mtime.toISOString() : null, recordAs)
  const row = 'row' in input ? (input as ManifestInput).row : undefined
  return {file: refOf(input), facts, ...(row ? {row} : {})}
}

function fileFacts(input: InputFile, modifiedAt: string | null, recordAs: string | undefined): FileFacts {
  if (recordAs !== undefined) return {name: recordAs, path: null, modifiedAt, withheld: 'the original file name and path, to protect the witness'}
  const facts: FileFacts = {name: basename(input.path), path: input.path, modifiedAt}
  if (input.relativePath !== null) facts.relativePath = input.relativePath
  if (input.symlinkTarget !== null) facts.symlinkTarget = input.symlinkTarget
  return facts
}

/** A file to take in as its result names it: its path, its manifest line (for a manifest's file), its symlink's target. */
export function refOf(file: InputFile): FileRef {
  return fileRef(file.path, {line: 'row' in file ? (file as ManifestInput).row.line : null, symlinkTarget: file.symlinkTarget})
}

/** A composed result, and the index of the draft that records it, if one does. */
type Composed = {result: IngestFileResult; draft: number | null}

/** What every event of a file carries besides the file: its collection, the note, and what its manifest row and batch add. */
interface Recorded {
  actor: string
  collected: Collected
  note: string | null
  extra: BatchFields
}

/**
 * The events that record prepared files, decided inside the ledger's transaction (`view`). A file
 * whose SHA-256 became an exhibit meanwhile (another ingest, or an earlier file of the same batch)
 * is recorded as presented again. Each result names the index of its draft, if it has one.
 */
export function composeIngestEvents(
  kase: Case,
  view: LedgerView,
  outcomes: readonly Outcome[],
  provenance: Provenance,
  batch: string | null = null,
): {drafts: CustodyEventDraft[]; result: Composed[]} {
  const drafts: CustodyEventDraft[] = []
  const results: Composed[] = []
  const assigned = new Map<string, string>()
  let count = view.lastExhibitNumber()
  for (const outcome of outcomes) {
    const recorded = recordedWith(outcome, provenance, batch)
    if (outcome.kind === 'failed') {
      results.push(composeFailure(outcome, recorded, drafts))
      continue
    }

    if (outcome.kind === 'present') {
      results.push({result: presentUnchanged(outcome), draft: null})
      continue
    }

    const {sha256} = outcome.staged.digests
    const existing = assigned.get(sha256) ?? view.exhibitBySha256(sha256)
    if (existing !== undefined || outcome.kind === 'known') {
      results.push(composePresentedAgain(outcome, existing, recorded, drafts))
      continue
    }

    const exhibit = formatExhibitId(kase.info.prefix, ++count)
    assigned.set(sha256, exhibit)
    results.push(composeNewExhibit(kase, outcome, exhibit, recorded, drafts))
  }

  return {drafts, result: results}
}

function recordedWith(outcome: Outcome, provenance: Provenance, batch: string | null): Recorded {
  // A manifest row's values go beside the run's own (--collected-by etc.), and win over them.
  const collected = outcome.row ? {...provenance.collected, ...outcome.row.collected} : provenance.collected
  const note = outcome.row?.note ?? provenance.note
  const extra: BatchFields = {
    ...(outcome.row && Object.keys(outcome.row.tags).length > 0 ? {tags: outcome.row.tags} : {}),
    ...(outcome.row ? {manifestLine: outcome.row.line} : {}),
    ...(batch === null ? {} : {batch}),
  }
  return {actor: provenance.actor, collected, note, extra}
}

/** A file that could not be taken in: an `ingest-failed` event when the failure is worth one. */
function composeFailure(outcome: Extract<Outcome, {kind: 'failed'}>, {actor, extra}: Recorded, drafts: CustodyEventDraft[]): Composed {
  const {error} = outcome
  let draft: number | null = null
  if (RECORDED_FAILURES.has(error.code)) {
    draft = drafts.push({actor, action: 'ingest-failed', exhibit: null, payload: {file: outcome.facts, error: {code: error.code, message: error.message}, ...extra}}) - 1
  }

  // A file stopped by Ctrl-C did not fail: it is simply not in the case yet.
  const result: IngestFileResult =
    error.code === 'INTERRUPTED' ? skipped(outcome.file, `${INTERRUPTED_REASON} (stopped while it was being read)`) : failed(outcome.file, error, outcome.read)
  return {result, draft}
}

/** A batch's file at a path the case took it in from, unchanged: present, and recorded no more. */
function presentUnchanged(outcome: Extract<Outcome, {kind: 'present'}>): IngestFileResult {
  return alreadyPresent(outcome.file, {exhibit: outcome.exhibit, sha256: outcome.sha256, size: outcome.size, seq: null, reason: UNCHANGED_REASON})
}

/** A file whose content the case already holds (as `existing`, when its ID is known). */
function composePresentedAgain(outcome: Extract<Outcome, {kind: 'new' | 'known'}>, existing: string | undefined, {actor, collected, note, extra}: Recorded, drafts: CustodyEventDraft[]): Composed {
  const {sha256, sha512} = outcome.staged.digests
  const draft = drafts.push({
    actor,
    action: 'presented-again',
    exhibit: existing ?? null,
    payload: {file: outcome.facts, digests: {sha256, sha512}, size: outcome.staged.size, collected, note, ...extra},
  })
  const reason = `already in the case${existing === undefined ? '' : ` as ${existing}`} (recorded as presented again)`
  const result = alreadyPresent(outcome.file, {exhibit: existing ?? null, sha256, size: outcome.staged.size, seq: null, reason})
  return {result, draft: draft - 1}
}

/** A new exhibit: its digests, vault address, collection and metadata. */
function composeNewExhibit(kase: Case, outcome: Extract<Outcome, {kind: 'new'}>, exhibit: string, {actor, collected, note, extra}: Recorded, drafts: CustodyEventDraft[]): Composed {
  const {sha256, sha512} = outcome.staged.digests
  const {metadata} = outcome
  const vault = kase.vault.recordedPath(sha256)
  const stored = outcome.staged.stored === undefined ? {} : {stored: {vault, ...outcome.staged.stored}}
  const draft = drafts.push({
    actor,
    action: 'ingest',
    exhibit,
    payload: {
      file: outcome.facts,
      digests: {sha256, sha512},
      size: outcome.staged.size,
      vault,
      ...stored,
      collected,
      note,
      metadata: {
        record: metadata.recordSha256,
        ...(metadata.recordStored === undefined ? {} : {stored: metadata.recordStored}),
        reader: metadata.reader,
        normalised: metadata.normalised,
        warnings: metadata.warnings,
        errors: metadata.errors,
      },
      ...extra,
    },
  })
  const metadataWarnings = [...metadata.errors, ...metadata.warnings]
  const result = ingested(outcome.file, {exhibit, sha256, size: outcome.staged.size, seq: null, metadataWarnings, noMetadata: metadata.noMetadata, changedFrom: outcome.changedFrom})
  return {result, draft: draft - 1}
}

/** Any error as a CustodyError naming the file: one that is not already is a storage failure. */
export function asCustodyError(error: unknown, subject: string): CustodyError {
  return error instanceof CustodyError
    ? error
    : new CustodyError('STORAGE_FAILED', `could not ingest ${subject}: ${messageOf(error)}`, {cause: error, subject})
}

/** True when ExifTool found nothing embedded: only what it can say of any file (type, size). */
function hasNoEmbeddedMetadata(record: MetadataRecord): boolean {
  return Object.keys(record.tags).every((key) => key.startsWith('File:') || key.startsWith('ExifTool:'))
}
