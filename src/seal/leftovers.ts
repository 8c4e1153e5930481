/**
 * What killed seals leave, found through their notes in `.custody/seals/` (seal-intent.ts).
 *
 * For each note of a process that no longer runs (process-identity.ts):
 *   - `writing`: the seal was stopped before it recorded anything; its files beside --out and
 *     its note are removed;
 *   - `recording`, and the ledger has no `seal` event for that archive: the same;
 *   - `recording`, the ledger records the seal, and --out holds that archive: it was published
 *     before the note could be removed; what is left is removed;
 *   - `recording`, the ledger records the seal, and --out does not hold it: the seal is recorded
 *     but unpublished. Its temporary archive and note are kept, every other scratch file is
 *     removed, and it is reported until `custody seal --finish SEAL-ID` (finishSeal) publishes
 *     the archive, having checked it against the SHA-256 the ledger recorded.
 * In a case whose ledger keeps its event bodies encrypted, a note of a seal that may have been
 * recorded is sorted out only once a key has opened them (the seal event is in a body): until
 * then it is reported as unchecked and nothing of it is removed.
 * Notes of running seals are left alone. So are the temp files of head.json and of notes
 * (writeFileDurably's) that a command killed while it wrote one left in .custody or its seals/
 * folder: removed when their process no longer runs. `custody status` and every seal tidy
 * (tidySeals); `custody verify` only looks (inspectSeals).
 */
import {lstat, readdir, rm} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import type {Case} from '../case/case.js'
import {CustodyError, errnoOf, messageOf, said} from '../errors.js'
import {digestFile} from '../hashing/digests.js'
import {OUTPUT, durableTempOwner} from '../io/files.js'
import {plural} from '../render/text.js'
import {isProcessRunning} from '../io/process-identity.js'
import {publishArchive} from './publish.js'
import {deliveredOf, publishedFileOf, readSealIntents, removeNote, type SealIntentRecord} from './seal-intent.js'

export interface SealLeftovers {
  /** Seals stopped before they were published, and their files beside --out (removed, unless only inspected). */
  interrupted: Array<{pid: number; archive: string; reason: 'not recorded' | 'published'; files: string[]}>
  /** Seals the ledger records whose archive is not at --out (killed before it was put there). */
  unpublished: UnpublishedSeal[]
  /**
   * Seals killed after they may have been recorded, in a case whose ledger keeps its event bodies
   * encrypted and was not opened: whether the ledger records each cannot be told, so nothing of
   * theirs is removed (a key given to the command sorts them out).
   */
  unchecked: Array<{sealId: string; archive: string; partial: string | null}>
  /** Seals under way now. */
  running: Array<{pid: number; archive: string; startedAt: string}>
  /** Files in .custody/seals/ that are no seal note custody can read: left alone. */
  unreadable: Array<{file: string; problem: string}>
  /**
   * Temp files of head.json or of a note, left in .custody or .custody/seals/ by a command killed
   * while it wrote them (removed, unless only inspected).
   */
  tempFiles: string[]
}

export interface UnpublishedSeal {
  sealId: string
  /** The ledger event that records it. */
  seq: number
  /** Where it was to be published. */
  archive: string
  /** Its complete temporary archive, when it is still there. */
  partial: string | null
  sha256: string
  size: number
}

type Note = {file: string; record: SealIntentRecord}

/** The seal event that records a note's archive, if it was appended. */
function recordingEvent(kase: Case, seal: NonNullable<SealIntentRecord['seal']>): number | undefined {
  for (const {event} of kase.ledger.eventsOfKind('seal')) {
    const {payload, seq} = event
    if (seq >= seal.fromSeq && payload.sealId === seal.id && payload.archive.sha256 === seal.sha256) return seq
  }

  return undefined
}

/** The temporary archive of a note and its scratch files (its name with a suffix) that exist. */
async function partialFiles(record: SealIntentRecord): Promise<string[]> {
  const folder = dirname(record.partial)
  const base = basename(record.partial)
  let names: string[]
  try {
    names = await readdir(folder)
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return []
    throw error
  }

  return names
    .filter((name) => name === base || name.startsWith(`${base}.`))
    .sort()
    .map((name) => join(folder, name))
}

/** Is `path` a regular file (not a link) of `size` bytes? */
async function regularFileOf(path: string, size?: number): Promise<{dev: number; ino: number} | undefined> {
  const stat = await lstat(path).catch(() => undefined)
  return stat?.isFile() && (size === undefined || stat.size === size) ? {dev: stat.dev, ino: stat.ino} : undefined
}

/** Does --out hold the recorded archive: the temporary file itself (linked), or the same bytes? */
async function publishedAt(record: SealIntentRecord & {seal: NonNullable<SealIntentRecord['seal']>}): Promise<boolean> {
  const expected = publishedFileOf(record.seal)
  const out = await regularFileOf(deliveredOf(record), expected.size)
  if (out === undefined) return false
  const partial = await regularFileOf(record.partial)
  if (partial !== undefined && partial.dev === out.dev && partial.ino === out.ino) return true
  return (await digestFile(deliveredOf(record), 'sha256')).sha256 === expected.sha256
}

async function removeAll(files: readonly string[]): Promise<void> {
  for (const file of files) await rm(file, {force: true})
}

/** Sorts out every note; with `tidy`, removes what may be removed. */
async function sealLeftovers(kase: Case, tidy: boolean): Promise<SealLeftovers> {
  const found: SealLeftovers = {interrupted: [], unpublished: [], unchecked: [], running: [], unreadable: [], tempFiles: []}
  const {notes, temps} = await readSealIntents(kase.dataDir)
  const caseTemps = (await readdir(kase.dataDir)).flatMap((name) => {
    const pid = durableTempOwner(name)
    return pid === undefined ? [] : [{file: join(kase.dataDir, name), pid}]
  })
  for (const temp of [...caseTemps, ...temps]) {
    if (isProcessRunning(temp.pid, null)) continue
    found.tempFiles.push(temp.file)
    if (tidy) await rm(temp.file, {force: true})
  }

  for (const note of notes) {
    if (!('record' in note)) {
      found.unreadable.push(note)
      continue
    }

    try {
      await sortOut(kase, note, found, tidy)
    } catch (error) {
      found.unreadable.push({file: note.file, problem: `its files could not be looked at: ${messageOf(error)}`})
    }
  }

  return found
}

async function sortOut(kase: Case, {file, record}: Note, found: SealLeftovers, tidy: boolean): Promise<void> {
  if (isProcessRunning(record.pid, record.processStart)) {
    found.running.push({pid: record.pid, archive: record.out, startedAt: record.startedAt})
    return
  }

  const files = await partialFiles(record)
  const seal = record.seal
  if (seal !== undefined && kase.ledger.bodiesLocked) {
    // The seal event, if it was appended, is in a body no key given opens: keep everything.
    found.unchecked.push({sealId: seal.id, archive: deliveredOf(record), partial: files.includes(record.partial) ? record.partial : null})
    return
  }

  const seq = seal === undefined ? undefined : recordingEvent(kase, seal)
  if (seal === undefined || seq === undefined || (await publishedAt({...record, seal}))) {
    found.interrupted.push({pid: record.pid, archive: record.out, reason: seq === undefined ? 'not recorded' : 'published', files})
    if (tidy) {
      await removeAll(files)
      await removeNote(file)
    }

    return
  }

  const partial = files.includes(record.partial) ? record.partial : null
  found.unpublished.push({sealId: seal.id, seq, archive: deliveredOf(record), partial, sha256: seal.sha256, size: seal.size})
  if (tidy) await removeAll(files.filter((f) => f !== record.partial))
}

/**
 * Removes what seals killed earlier left (see the top of this file) and says what it found.
 * Run by `custody status` and before each seal.
 */
export function tidySeals(kase: Case): Promise<SealLeftovers> {
  return sealLeftovers(kase, true)
}

/** The same, changing nothing: for `custody verify`. */
export function inspectSeals(kase: Case): Promise<SealLeftovers> {
  return sealLeftovers(kase, false)
}

/**
 * What was found, as sentences that say what to do: `custody verify`'s warnings (`tidied` false:
 * nothing was removed), and what status and seal print (`tidied` true). Running seals are not
 * mentioned here.
 */
export function describeSealLeftovers(found: SealLeftovers, tidied: boolean): string[] {
  return [
    ...found.unpublished.map(
      (s) =>
        `seal ${s.sealId} is recorded (event ${s.seq}) but its archive is not at ${s.archive}, where it was to be put: ${
          s.partial === null ? 'its temporary archive is not there either' : `the complete archive is kept at ${s.partial}`
        }; run \`custody seal --finish ${s.sealId}\``,
    ),
    ...found.unchecked.map(
      (s) =>
        `seal ${s.sealId} of ${s.archive} was killed, perhaps after the ledger recorded it; whether it did is in the ledger's encrypted event bodies: run \`custody status\` with the case's passphrase or a recipient's identity, which finishes sorting it out (its files are kept until then)`,
    ),
    ...found.interrupted.map((s) => {
      const what = s.reason === 'published' ? `a seal of ${s.archive} (process ${s.pid}) was killed just after it was published` : `a seal of ${s.archive} (process ${s.pid}) was interrupted before it was recorded`
      const files = plural(s.files.length, 'temporary file')
      if (tidied) return `${what}; ${s.files.length > 0 ? `${files} it left beside it ${s.files.length === 1 ? 'was' : 'were'} removed` : 'its note was removed'}`
      return `${what}${s.files.length > 0 ? ` and left ${files} beside it` : ''}; \`custody status\` removes ${s.files.length === 0 ? 'its note' : s.files.length === 1 ? 'it' : 'them'}`
    }),
    ...found.unreadable.map((u) => `${u.file} ${u.problem}; custody leaves it alone: remove it if no seal is running`),
    ...found.tempFiles.map((file) => `the temp file ${file} was left by a command that was killed${tidied ? ', and was removed' : '; `custody status` removes it'}`),
  ]
}

export interface FinishReport {
  sealId: string
  seq: number
  archive: string
  sha256: string
  size: number
  status: 'published' | 'already in place'
}

/**
 * `custody seal --finish SEAL-ID`: puts the temporary archive of a recorded but unpublished seal
 * at the --out it was made for, once its SHA-256 and size are the ones the ledger recorded; never
 * over an existing file without `force`. A temporary archive that is gone or changed cannot be
 * published: its files and note are removed and the error says so (the ledger's event stays).
 */
export async function finishSeal(kase: Case, sealId: string, options: {force?: boolean} = {}): Promise<FinishReport> {
  const {notes} = await readSealIntents(kase.dataDir)
  const mine = notes.filter((n): n is Note => 'record' in n && n.record.seal?.id === sealId)
  const running = mine.find((n) => isProcessRunning(n.record.pid, n.record.processStart))
  if (running !== undefined) {
    throw new CustodyError('INVALID_ARGUMENT', `seal ${sealId} is still being made by process ${running.record.pid}; wait for it to end`, {subject: sealId})
  }

  const note = mine.find((n) => recordingEvent(kase, n.record.seal!) !== undefined)
  if (note === undefined) {
    throw new CustodyError('INVALID_ARGUMENT', `there is no unpublished seal ${sealId} in this case; \`custody status\` lists them`, {subject: sealId})
  }

  const record = note.record as SealIntentRecord & {seal: NonNullable<SealIntentRecord['seal']>}
  const seq = recordingEvent(kase, record.seal)!
  const report = (status: FinishReport['status']): FinishReport => ({sealId, seq, archive: deliveredOf(record), sha256: record.seal.sha256, size: record.seal.size, status})
  const delivered = deliveredOf(record)
  const expected = publishedFileOf(record.seal)
  const files = await partialFiles(record)
  const close = async (): Promise<void> => {
    await removeAll(files)
    await removeNote(note.file)
  }

  if (await publishedAt(record)) {
    await close()
    return report('already in place')
  }

  const lost = (why: string): CustodyError =>
    new CustodyError(
      'STORAGE_FAILED',
      `seal ${sealId} (event ${seq}) cannot be published: ${why}. Nothing was put at ${delivered}; the ledger keeps the seal's event. Seal again to make a new archive`,
      {subject: sealId},
    )
  if ((await regularFileOf(record.partial)) === undefined) {
    await close()
    throw lost(`its temporary archive ${record.partial} is gone`)
  }

  const found = await digestFile(record.partial, 'sha256')
  if (found.sha256 !== expected.sha256 || found.size !== expected.size) {
    await close()
    const recorded = record.seal.encrypted === undefined ? 'the ledger recorded' : 'the seal noted for its encrypted file'
    throw lost(
      `its temporary archive ${record.partial} does not have the SHA-256 ${recorded} (expected ${expected.sha256}, ${expected.size} bytes; found ${found.sha256}, ${found.size} bytes), and was removed`,
    )
  }

  const published = await publishArchive(record.partial, delivered, options.force ?? false).catch((error: unknown) => {
    throw new CustodyError('STORAGE_FAILED', `could not put ${record.partial} at ${delivered}: ${messageOf(error)}; it is still there`, {subject: sealId, cause: error})
  })
  if (!published) {
    throw new CustodyError('INVALID_ARGUMENT', said`${delivered} exists and is not the archive of seal ${sealId}; nothing was replaced. Move it away, or add ${OUTPUT.force} to replace it`, {subject: delivered})
  }

  await close()
  return report('published')
}
