/**
 * The ingest pipeline. First the files are gathered: from the paths given, or from a manifest
 * whose every row is checked before anything else happens (src/manifest/manifest.ts). They go into
 * the run's worklist (worklist.ts), a scratch database that also takes each file's result, so that
 * a batch of any number of files is ingested in the same memory. A manifest or a folder is a
 * recorded batch (batch.ts): it starts with a `batch-started` event, files that an earlier run of
 * the same batch took in are left out, and it ends with `batch-ended`. Then, for each file, in
 * this order:
 *
 *   1. stage   copy it into the vault's temp folder while hashing it (SHA-256 and SHA-512) in one
 *              streaming pass; refuse it if it is empty, unreadable or changes while read; fsync
 *              the copy and hash it again to check it
 *   2. dedupe  a file whose SHA-256 is already an exhibit gets no second exhibit
 *   3. read    its metadata with ExifTool from the checked copy, normalised
 *   4. commit  store the complete metadata record, and rename the copy to its content address,
 *              read-only, durably
 *   5. record  append the event in one transaction, which also gives a new exhibit its ID
 *
 * Several files are in flight at once, but step 5 runs in the order the files were given, so
 * exhibit IDs follow that order. A file that fails at any step leaves no exhibit, only an
 * `ingest-failed` event saying why (a metadata record already stored stays as an unnamed object,
 * which verification reports as harmless); the other files go on. A stop request (Ctrl-C) stops
 * copies in progress and starts no new file; files already copied are recorded, so the case stays
 * consistent.
 */
import {basename, relative, resolve} from 'node:path'
import {stat} from 'node:fs/promises'
import {canonicalize, type JsonValue} from '../canonical/jcs.js'
import {CASE_FOLDER, type Case} from '../case/case.js'
import {CustodyError, messageOf} from '../errors.js'
import type {EventDraft} from '../ledger/event.js'
import type {LedgerView} from '../ledger/ledger.js'
import {digestFile, sha256Hex} from '../hashing/digests.js'
import {readManifest, type ManifestInput, type RowFacts} from '../manifest/manifest.js'
import {batchIdentity, earlierRuns, endBatch, filesOfEarlierRuns, startBatch, type BatchIdentity, type BatchInfo} from './batch.js'
import {MetadataReader, type MetadataRecord} from '../metadata/exiftool.js'
import {normaliseMetadata, parseGivenDate, type NormalisedMetadata} from '../metadata/normalise.js'
import type {StagedObject} from '../vault/vault.js'
import {walkInputs, type InputFile} from './inputs.js'
import {Worklist} from './worklist.js'
import {formatExhibitId} from '../formats/ids.js'

export interface IngestOptions {
  paths: readonly string[]
  /** A CSV or JSON Lines manifest, one row per file (src/manifest/manifest.ts), instead of paths. */
  manifest?: string | undefined
  /** Check everything and say what would happen; write nothing (no passphrase needed). */
  dryRun?: boolean
  recursive?: boolean
  actor?: string | undefined
  collectedAt?: string | undefined
  collectedBy?: string | undefined
  location?: string | undefined
  source?: string | undefined
  note?: string | undefined
  cwd?: string
  signal?: AbortSignal
  /** Files in flight at once: hashing, copying and ExifTool overlap across them. */
  concurrency?: number
  onProgress?: (progress: IngestProgress) => void
}

export interface IngestProgress {
  filesDone: number
  filesTotal: number
  bytesDone: number
  bytesTotal: number
  last: IngestFileResult
}

export type IngestStatus = 'ingested' | 'already-present' | 'failed' | 'skipped' | 'would-ingest'

export interface IngestFileResult {
  path: string
  /** The manifest line of the file, for a manifest batch. */
  line?: number
  status: IngestStatus
  exhibit?: string
  sha256?: string
  size?: number
  seq?: number
  symlinkTarget?: string
  /** ExifTool's warnings and errors about the file (a corrupt JPEG is ingested with them). */
  metadataWarnings?: string[]
  noMetadata?: boolean
  error?: {code: string; message: string}
  reason?: string
}

export interface IngestReport {
  caseId: string
  /** A manifest or folder ingest is a recorded batch (batch.ts); null for files named one by one. */
  batch: BatchInfo | null
  dryRun: boolean
  /** Each file's result, in order, read from the run's worklist (src/ingest/worklist.ts) as it is iterated, until close(). */
  results: Iterable<IngestFileResult>
  counts: {ingested: number; alreadyPresent: number; failed: number; skipped: number}
  bytesIngested: number
  interrupted: boolean
  /** Frees what the run kept of its files: the results can no longer be read. */
  close: () => void
}

export interface Provenance {
  actor: string
  collected: {[key: string]: JsonValue}
  note: string | null
}

export function provenanceOf(options: Pick<IngestOptions, 'actor' | 'collectedAt' | 'collectedBy' | 'location' | 'source' | 'note'>, kase: Case): Provenance {
  const collected: {[key: string]: JsonValue} = {}
  if (options.collectedAt !== undefined) {
    const parsed = parseGivenDate(options.collectedAt)
    if (parsed === null) {
      throw new CustodyError(
        'INVALID_ARGUMENT',
        `--collected-at must be an ISO 8601 date or time such as 2024-03-01 or 2024-03-01T14:05:00+02:00, got ${JSON.stringify(options.collectedAt)}`,
      )
    }

    collected.at = options.collectedAt.trim()
    collected.offset = parsed.offset
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

/** Files in flight at once: copying, hashing and ExifTool overlap across them. */
const DEFAULT_CONCURRENCY = 8
const MAX_UNRECORDED = 512

export const INTERRUPTED_REASON = 'the run was interrupted before this file went in; run the same command again to ingest it'

/** Errors worth an `ingest-failed` event: the file was there and was presented, but could not be taken in. */
const RECORDED_FAILURES = new Set(['INPUT_UNREADABLE', 'INPUT_EMPTY', 'INPUT_CHANGED', 'INPUT_NOT_REGULAR', 'DISK_FULL', 'COPY_MISMATCH', 'STORAGE_FAILED'])

function fileFacts(input: InputFile, modifiedAt: string | null, recordAs: string | undefined): {[key: string]: JsonValue} {
  if (recordAs !== undefined) return {name: recordAs, path: null, modifiedAt, withheld: 'the original file name and path, to protect the witness'}
  const facts: {[key: string]: JsonValue} = {name: basename(input.path), path: input.path, modifiedAt}
  if (input.relativePath !== null) facts.relativePath = input.relativePath
  if (input.symlinkTarget !== null) facts.symlinkTarget = input.symlinkTarget
  return facts
}

/** What steps 1-4 leave for step 5 to record. */
export type Outcome = (
  | {kind: 'new'; base: IngestFileResult; facts: {[key: string]: JsonValue}; staged: StagedObject; metadata: ReadMetadata}
  | {kind: 'known'; base: IngestFileResult; facts: {[key: string]: JsonValue}; staged: StagedObject}
  | {kind: 'failed'; base: IngestFileResult; facts: {[key: string]: JsonValue}; error: CustodyError}
) & {
  /** What a manifest row said of the file. */
  row?: RowFacts
}

/**
 * What step 5 needs of a file's metadata. The complete record's bytes are let go once they are in
 * the vault: up to MAX_UNRECORDED files can wait for the recorder, and ExifTool's record of a
 * photo is several KiB.
 */
interface ReadMetadata {
  recordBytes: Uint8Array | null
  recordSha256: string
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

  /** Steps 1-4 for one file (step 4 only with `commit`, the default). Never throws: a failure is an outcome to record. */
  async prepare(input: InputFile, options: PrepareOptions = {}): Promise<Outcome> {
    const base: IngestFileResult = {path: input.path, status: 'failed', ...lineOf(input)}
    if (input.symlinkTarget !== null) base.symlinkTarget = input.symlinkTarget
    const modified = await stat(input.path).catch(() => undefined)
    const facts = fileFacts(input, modified ? modified.mtime.toISOString() : null, options.recordAs)
    const row = 'row' in input ? (input as ManifestInput).row : undefined

    // 1. stage
    let staged: StagedObject
    try {
      staged = await this.kase.vault.stageFile(input.path, this.signal ? {signal: this.signal} : {})
    } catch (error) {
      return {kind: 'failed', base, facts, error: asCustodyError(error, input.path), ...(row ? {row} : {})}
    }

    base.sha256 = staged.digests.sha256
    base.size = staged.size
    try {
      // 2. dedupe (checked again when recording, inside the transaction, where it cannot race)
      if (this.kase.ledger.exhibitBySha256(staged.digests.sha256) !== undefined) {
        await this.kase.vault.discard(staged)
        return {kind: 'known', base, facts, staged, ...(row ? {row} : {})}
      }

      // 3. read metadata from the checked copy
      const record = await this.reader.read(staged.tempPath)
      if (this.signal?.aborted && Object.keys(record.tags).length === 0) {
        // Ctrl-C on a terminal reaches ExifTool's processes too: a read that died with them is an
        // interruption, not a file without metadata.
        throw new CustodyError('INTERRUPTED', `interrupted while reading the metadata of ${input.path}`, {subject: input.path})
      }

      const recordBytes = new TextEncoder().encode(canonicalize(record))
      const outcome: Outcome = {
        kind: 'new',
        base,
        facts,
        staged,
        ...(row ? {row} : {}),
        metadata: {
          recordBytes,
          recordSha256: sha256Hex(recordBytes),
          reader: `${record.reader.name} ${record.reader.version}`,
          warnings: record.warnings,
          errors: record.errors,
          noMetadata: hasNoEmbeddedMetadata(record),
          normalised: normaliseMetadata(record.tags),
        },
      }
      // 4. commit
      if (options.commit !== false) await this.commitOutcome(outcome)
      return outcome
    } catch (error) {
      await this.kase.vault.discard(staged)
      return {kind: 'failed', base, facts, error: asCustodyError(error, input.path), ...(row ? {row} : {})}
    }
  }

  /** Step 4: the complete metadata record, then the copy, into the vault under their addresses. */
  async commitOutcome(outcome: Outcome): Promise<void> {
    if (outcome.kind !== 'new' || outcome.metadata.recordBytes === null) return
    await this.kase.vault.putBytes(outcome.metadata.recordBytes)
    await this.kase.vault.commit(outcome.staged)
    outcome.metadata.recordBytes = null
  }

  /** Drops what prepare() staged and did not commit. */
  async discardOutcome(outcome: Outcome): Promise<void> {
    if (outcome.kind !== 'failed') await this.kase.vault.discard(outcome.staged)
  }

  /**
   * Step 5 for consecutive files, in one transaction: fewer durable commits, the same events.
   */
  record(outcomes: Outcome[], provenance: Provenance): IngestFileResult[] {
    try {
      const {events, result} = this.kase.ledger.append((view) => composeIngestEvents(this.kase, view, outcomes, provenance, this.batch))
      return result.map(({result: r, draft}) => (draft === null ? r : {...r, seq: events[draft]!.event.seq}))
    } catch (error) {
      // Nothing of this batch was recorded (the transaction rolled back): each file says why.
      const err = asCustodyError(error, this.kase.ledger.path)
      return outcomes.map((o) => ({...o.base, status: 'failed', error: {code: err.code, message: `not recorded: ${err.message}`}}))
    }
  }
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
): {drafts: EventDraft[]; result: Array<{result: IngestFileResult; draft: number | null}>} {
  const {actor} = provenance
  const drafts: EventDraft[] = []
  const results: Array<{result: IngestFileResult; draft: number | null}> = []
  const assigned = new Map<string, string>()
  let count = view.lastExhibitNumber()
  for (const outcome of outcomes) {
    // A manifest row's values go beside the run's own (--collected-by etc.), and win over them.
    const collected = outcome.row ? {...provenance.collected, ...outcome.row.collected} : provenance.collected
    const note = outcome.row?.note ?? provenance.note
    const extra: {[key: string]: JsonValue} = {
      ...(outcome.row && Object.keys(outcome.row.tags).length > 0 ? {tags: outcome.row.tags} : {}),
      ...(outcome.row ? {manifestLine: outcome.row.line} : {}),
      ...(batch === null ? {} : {batch}),
    }
    if (outcome.kind === 'failed') {
      const {error} = outcome
      let draft: number | null = null
      if (RECORDED_FAILURES.has(error.code)) {
        draft = drafts.push({actor, action: 'ingest-failed', exhibit: null, payload: {file: outcome.facts, error: {code: error.code, message: error.message}, ...extra}}) - 1
      }

      // A file stopped by Ctrl-C did not fail: it is simply not in the case yet.
      const result: IngestFileResult =
        error.code === 'INTERRUPTED'
          ? {...outcome.base, status: 'skipped', reason: `${INTERRUPTED_REASON} (stopped while it was being read)`}
          : {...outcome.base, status: 'failed', error: {code: error.code, message: error.message}}
      results.push({result, draft})
      continue
    }

    const {sha256, sha512} = outcome.staged.digests
    const existing = assigned.get(sha256) ?? view.exhibitBySha256(sha256)
    if (existing !== undefined || outcome.kind === 'known') {
      const draft = drafts.push({
        actor,
        action: 'presented-again',
        exhibit: existing ?? null,
        payload: {file: outcome.facts, digests: {sha256, sha512}, size: outcome.staged.size, collected, note, ...extra},
      })
      const result: IngestFileResult = {...outcome.base, status: 'already-present'}
      if (existing !== undefined) result.exhibit = existing
      results.push({result, draft: draft - 1})
      continue
    }

    const exhibit = formatExhibitId(kase.info.prefix, ++count)
    assigned.set(sha256, exhibit)
    const {metadata} = outcome
    const draft = drafts.push({
      actor,
      action: 'ingest',
      exhibit,
      payload: {
        file: outcome.facts,
        digests: {sha256, sha512},
        size: outcome.staged.size,
        vault: relative(kase.dataDir, kase.vault.objectPath(sha256)).split('\\').join('/'),
        collected,
        note,
        metadata: {
          record: metadata.recordSha256,
          reader: metadata.reader,
          normalised: metadata.normalised as unknown as JsonValue,
          warnings: metadata.warnings,
          errors: metadata.errors,
        },
        ...extra,
      },
    })
    const result: IngestFileResult = {...outcome.base, status: 'ingested', exhibit}
    const notes = [...metadata.errors, ...metadata.warnings]
    if (notes.length > 0) result.metadataWarnings = notes
    if (metadata.noMetadata) result.noMetadata = true
    results.push({result, draft: draft - 1})
  }

  return {drafts, result: results}
}

function asCustodyError(error: unknown, subject: string): CustodyError {
  return error instanceof CustodyError
    ? error
    : new CustodyError('STORAGE_FAILED', `could not ingest ${subject}: ${messageOf(error)}`, {cause: error, subject})
}

/**
 * Records outcomes in the order of the input, whatever order they finish in, so that exhibit IDs
 * follow the order the files were given. Outcomes ready in order are gathered and recorded
 * together, in one transaction (one fsync of the ledger, one signed checkpoint) for up to
 * GROUP_SIZE files or GROUP_DELAY_MS, whichever comes first: the files behind them go on being
 * copied and read meanwhile.
 */
class Recorder {
  static readonly GROUP_SIZE = 128
  static readonly GROUP_DELAY_MS = 250
  private next = 0
  private readonly waiting = new Map<number, {outcome: Outcome; resolve: (result: IngestFileResult) => void}>()
  private ready: Array<{outcome: Outcome; resolve: (result: IngestFileResult) => void}> = []
  private timer: NodeJS.Timeout | undefined
  private readonly run: IngestRun
  private readonly provenance: Provenance

  constructor(run: IngestRun, provenance: Provenance) {
    this.run = run
    this.provenance = provenance
  }

  /** Resolves once the file's events are recorded (or its batch failed to record). */
  submit(index: number, outcome: Outcome): Promise<IngestFileResult> {
    return new Promise((resolve) => {
      this.waiting.set(index, {outcome, resolve})
      for (let item = this.waiting.get(this.next); item !== undefined; item = this.waiting.get(this.next)) {
        this.ready.push(item)
        this.waiting.delete(this.next++)
      }

      if (this.ready.length >= Recorder.GROUP_SIZE) this.flush()
      else if (this.ready.length > 0) this.timer ??= setTimeout(() => this.flush(), Recorder.GROUP_DELAY_MS)
    })
  }

  /** Records what is ready now. */
  flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.ready
    this.ready = []
    if (batch.length === 0) return
    const results = this.run.record(batch.map((b) => b.outcome), this.provenance)
    batch.forEach((b, i) => b.resolve(results[i]!))
  }
}

/** True when ExifTool found nothing embedded: only what it can say of any file (type, size). */
function hasNoEmbeddedMetadata(record: MetadataRecord): boolean {
  return Object.keys(record.tags).every((key) => key.startsWith('File:') || key.startsWith('ExifTool:'))
}

/**
 * Step 0: the files to ingest, from the paths given or a manifest, into the worklist in the order
 * given, with what is said of them up front. Returns the batch they are, if they are one.
 */
async function gather(kase: Case, options: IngestOptions, work: Worklist): Promise<BatchIdentity | null> {
  const cwd = options.cwd ?? process.cwd()
  // A file inside the case's own data folder is never evidence.
  const add = (file: InputFile): void => {
    const inside = !relative(kase.dataDir, file.symlinkTarget ?? file.path).startsWith('..')
    if (inside) work.addResult({path: file.path, status: 'skipped', reason: `it is part of the case's own ${CASE_FOLDER} folder`, ...lineOf(file)})
    else work.add(file)
  }

  if (options.manifest !== undefined) {
    if (options.paths.length > 0) throw new CustodyError('INVALID_ARGUMENT', 'give either --manifest or paths to ingest, not both')
    const manifest = await readManifest(options.manifest, {claim: (key, line) => work.claim(key, line), add}, {cwd})
    if (manifest.problemCount > 0) {
      const shown = manifest.problems.slice(0, 50).map((p) => `  line ${p.line}: ${p.message}`)
      const rest = manifest.problemCount - shown.length
      const listed = manifest.problems.length < manifest.problemCount ? `the first ${manifest.problems.length.toLocaleString('en-US')}` : 'them all'
      const more = rest > 0 ? [`  and ${rest.toLocaleString('en-US')} more (--json lists ${listed})`] : []
      throw new CustodyError(
        'MANIFEST_INVALID',
        [`${manifest.path} has ${manifest.problemCount.toLocaleString('en-US')} ${manifest.problemCount === 1 ? 'problem' : 'problems'}, so nothing was ingested:`, ...shown, ...more, 'Correct the manifest and run the command again.'].join('\n'),
        {subject: manifest.path, problems: manifest.problems, problemCount: manifest.problemCount},
      )
    }

    return batchIdentity({manifest: {path: manifest.path, sha256: manifest.sha256, rows: manifest.rows}})
  }

  if (options.paths.length === 0) throw new CustodyError('INVALID_ARGUMENT', 'name the files or folders to ingest, or give --manifest FILE')
  await walkInputs(options.paths, {recursive: options.recursive ?? false, cwd}, {
    claim: (key) => work.claim(key) === undefined,
    file: add,
    problem: ({path, error}) => work.addResult({path, status: 'failed', error: {code: error.code, message: error.message}}),
    skipped: ({path, reason}) => work.addResult({path, status: 'skipped', reason}),
  })
  return options.recursive ? batchIdentity({paths: options.paths.map((p) => resolve(cwd, p)), recursive: true}) : null
}

/**
 * Leaves out what an earlier run of the same batch took in: a file it took in, unchanged since
 * (same size and modification time), is already present and is not read again.
 */
async function leaveOutEarlier(kase: Case, batch: BatchIdentity, work: Worklist): Promise<void> {
  for (const file of filesOfEarlierRuns(kase, batch.id)) work.remember(file)
  if (!work.hasEarlier()) return
  for (const {i, file} of work.files('pending')) {
    const before = work.earlier(file.path)
    if (before === undefined) continue
    const now = await stat(file.path).catch(() => undefined)
    if (now === undefined || now.size !== before.size || now.mtime.toISOString() !== before.modifiedAt) continue
    work.setResult(i, {path: file.path, status: 'already-present', exhibit: before.exhibit, size: before.size, reason: 'taken in by an earlier run of this batch', ...lineOf(file)})
  }
}

function lineOf(file: InputFile): {line?: number} {
  return 'row' in file ? {line: (file as ManifestInput).row.line} : {}
}

/** --dry-run: what each file would be, read (SHA-256 only) but nothing written. */
async function plan(kase: Case, work: Worklist, signal: AbortSignal | undefined): Promise<void> {
  for (const {i, file} of work.files('pending')) {
    if (signal?.aborted) break
    const base = {path: file.path, ...lineOf(file)}
    try {
      const {sha256, size} = await digestFile(file.path, 'sha256')
      if (size === 0) throw new CustodyError('INPUT_EMPTY', `${file.path} is empty (0 bytes): it would be refused`)
      const exhibit = kase.ledger.exhibitBySha256(sha256)
      const earlier = work.firstWithContent(sha256, file.path)
      if (exhibit !== undefined) work.setResult(i, {...base, status: 'already-present', exhibit, sha256, size})
      else if (earlier !== undefined) work.setResult(i, {...base, status: 'already-present', sha256, size, reason: `the same content as ${earlier}, earlier in this batch`})
      else work.setResult(i, {...base, status: 'would-ingest', sha256, size})
    } catch (error) {
      const err = asCustodyError(error, file.path)
      work.setResult(i, {...base, status: 'failed', error: {code: err.code, message: err.message}})
    }
  }
}

/** Steps 1 to 5 for every file of the worklist without a result, several at once. */
async function takeIn(kase: Case, options: IngestOptions, provenance: Provenance, batch: string | null, work: Worklist): Promise<void> {
  const {files: filesTotal, bytes: bytesTotal} = work.totals('pending')
  if (filesTotal === 0) return
  await using reader = await MetadataReader.start()
  const run = new IngestRun(kase, reader, options.signal, batch)
  const recorder = new Recorder(run, provenance)
  const pending = work.files('pending')
  let taken = 0
  let bytesDone = 0
  let filesDone = 0
  // Files copied and read but not yet recorded; past this many, a worker waits for the recorder.
  const recording = new Set<Promise<void>>()
  const worker = async (): Promise<void> => {
    for (;;) {
      if (options.signal?.aborted) return
      while (recording.size >= MAX_UNRECORDED) await Promise.race(recording)
      const next = pending.next()
      if (next.done === true) return
      const {i, file} = next.value
      const index = taken++
      // Every index taken is submitted, or the files after it would wait for it forever.
      const outcome = await run.prepare(file)
      const recorded = recorder.submit(index, outcome).then((result) => {
        work.setResult(i, result)
        filesDone++
        bytesDone += file.size
        options.onProgress?.({filesDone, filesTotal, bytesDone, bytesTotal, last: result})
        recording.delete(recorded)
      })
      recording.add(recorded)
    }
  }

  const concurrency = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, filesTotal))
  await Promise.all(Array.from({length: concurrency}, () => worker()))
  recorder.flush()
  await Promise.all(recording)
}

/**
 * Ingests the files the options name. The report's results are read from the run's worklist
 * as they are iterated: call its close() when done with them.
 */
export async function ingest(kase: Case, options: IngestOptions): Promise<IngestReport> {
  const provenance = provenanceOf(options, kase)
  if (!options.dryRun) {
    await kase.assertIntactHead()
    // The key has been opening beside the check above. It is open before the files are gathered:
    // its 64 MiB of scrypt and the entries of a large folder being walked, at the same moment,
    // were the run's peak (172 MiB for a folder of 50,000 files, against 142 MiB for the rest).
    await kase.ready()
  }

  const work = new Worklist()
  try {
    // 0. gather, and leave out what an earlier run of the same batch already took in
    const batch = await gather(kase, options, work)
    if (batch !== null) await leaveOutEarlier(kase, batch, work)
    const batchInfo: BatchInfo | null = batch === null ? null : {...batch, earlierRuns: earlierRuns(kase, batch.id), startedSeq: null, endedSeq: null}
    const finish = (interrupted: boolean): IngestReport => ({
      caseId: kase.info.caseId,
      batch: batchInfo,
      dryRun: options.dryRun ?? false,
      results: {[Symbol.iterator]: () => work.results((file) => ({path: file.path, status: 'skipped', reason: INTERRUPTED_REASON, ...lineOf(file)}))},
      ...work.counts(),
      interrupted,
      close: () => work.close(),
    })

    if (options.dryRun) {
      await plan(kase, work, options.signal)
      return finish(options.signal?.aborted ?? false)
    }

    await kase.vault.removeStaleTempFiles()
    if (batchInfo !== null) {
      const all = work.totals('all')
      batchInfo.startedSeq = startBatch(kase, batchInfo, {files: all.files, bytes: all.bytes, earlier: batchInfo.earlierRuns}, provenance.actor)
    }

    await takeIn(kase, options, provenance, batch?.id ?? null, work)
    const report = finish(options.signal?.aborted ?? false)
    if (batchInfo !== null) batchInfo.endedSeq = endBatch(kase, batchInfo, report, provenance.actor)
    await kase.recordHead()
    return report
  } catch (error) {
    work.close()
    throw error
  }
}
