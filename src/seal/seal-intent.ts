/**
 * The note a seal keeps in `.custody/seals/` while it works: which process it is, the archive it
 * is making and the temporary name beside it. If the seal is killed, the next seal or
 * `custody status` finds the note and removes what the seal left (leftovers.ts).
 *
 * Its life, in the order the seal goes:
 *   1. written durably, state `writing`, before any file is made beside --out;
 *   2. rewritten, state `recording`, with the archive's SHA-256 and size, just before the `seal`
 *      event is appended: from then on the archive may be recorded, and is never removed
 *      unpublished without the ledger being asked;
 *   3. removed once the archive is in place at --out.
 *
 * A note is input like any other file in the case: anyone with write access to `.custody` can
 * write one. It can name only custody's own temporary names beside a .zip (checked by
 * readSealIntents), so a forged note can make custody remove no file but a seal's scratch files.
 *
 * This module owns the format: its type, writer and parser.
 */
import {randomBytes} from 'node:crypto'
import {mkdir, readdir, readFile, rm} from 'node:fs/promises'
import {basename, dirname, isAbsolute, join, resolve} from 'node:path'
import {durableTempOwner, fsyncFolder, PRIVATE_FOLDER, writeFileDurably} from '../io/files.js'
import {processStart} from '../io/process-identity.js'
import {errnoOf, messageOf} from '../errors.js'
import {HEX64, isRecord} from '../formats/guards.js'

export const SEALS_FOLDER = 'seals'

const NOTE_NAME = /^(\d+)-([0-9a-f]{8})\.json$/

export interface SealIntentRecord {
  type: 'custody-seal-intent'
  version: 1
  pid: number
  /** The process's boot and start tick (process-identity.ts), so that a reused pid is not taken for it. */
  processStart: string | null
  /** The archive being made (absolute). */
  out: string
  /** Its temporary name beside it; the scratch files are this name with a suffix. */
  partial: string
  startedAt: string
  state: 'writing' | 'recording'
  /** From `recording` on: the archive the seal event names, and the ledger's size before that event. */
  seal?: {id: string; sha256: string; size: number; fromSeq: number; encrypted?: SealedFile}
}

/**
 * The file a seal encrypted for transport puts at --out + `.age`: its SHA-256 and size. Its
 * temporary file holds that age file, not the ZIP whose SHA-256 the ledger records.
 */
export interface SealedFile {
  sha256: string
  size: number
}

/** Where a note's archive is delivered: --out, or --out + `.age` when encrypted. */
export function deliveredOf(record: SealIntentRecord): string {
  return record.seal?.encrypted === undefined ? record.out : `${record.out}.age`
}

/** The SHA-256 and size the note's temporary file must have to be published: the ZIP's, or the age file's. */
export function publishedFileOf(seal: NonNullable<SealIntentRecord['seal']>): SealedFile {
  return seal.encrypted ?? {sha256: seal.sha256, size: seal.size}
}

export type ReadIntent = {file: string; record: SealIntentRecord} | {file: string; problem: string}

/** The temporary name of the archive `out`, for the seal `<pid>-<token>`. */
export function partialPathFor(out: string, pid: number, token: string): string {
  return join(dirname(out), `.${basename(out)}.${pid}-${token}.partial`)
}

export class SealIntent {
  private constructor(
    readonly file: string,
    private record: SealIntentRecord,
  ) {}

  /** The temporary name of the archive; its scratch files take it with a suffix. */
  get partial(): string {
    return this.record.partial
  }

  /** Step 1: the note, durable before the caller makes any file beside `out`. */
  static async begin(dataDir: string, out: string): Promise<SealIntent> {
    const folder = join(dataDir, SEALS_FOLDER)
    if ((await mkdir(folder, {recursive: true, mode: PRIVATE_FOLDER})) !== undefined) await fsyncFolder(dataDir)
    const token = randomBytes(4).toString('hex')
    const intent = new SealIntent(join(folder, `${process.pid}-${token}.json`), {
      type: 'custody-seal-intent',
      version: 1,
      pid: process.pid,
      processStart: processStart(process.pid),
      out,
      partial: partialPathFor(out, process.pid, token),
      startedAt: new Date().toISOString(),
      state: 'writing',
    })
    await intent.write()
    return intent
  }

  /** Step 2: the archive is complete and about to be recorded. */
  async recording(seal: NonNullable<SealIntentRecord['seal']>): Promise<void> {
    this.record = {...this.record, state: 'recording', seal}
    await this.write()
  }

  /** Step 3: the archive is in place (or was never recorded, and its files are gone). */
  async remove(): Promise<void> {
    await removeNote(this.file)
  }

  private async write(): Promise<void> {
    // Replaced by rename, not link: the name is this process's own, and the seal's only link(2)
    // is then the one that publishes the archive.
    await writeFileDurably(this.file, `${JSON.stringify(this.record, null, 2)}\n`, {overwrite: true})
  }
}

export async function removeNote(file: string): Promise<void> {
  await rm(file, {force: true})
  await fsyncFolder(dirname(file))
}

/**
 * The notes in `.custody/seals/`, each read as hostile input, and the temp files of notes being
 * written (with the pid that writes each).
 */
export async function readSealIntents(dataDir: string): Promise<{notes: ReadIntent[]; temps: Array<{file: string; pid: number}>}> {
  const folder = join(dataDir, SEALS_FOLDER)
  let names: string[]
  try {
    names = (await readdir(folder)).sort()
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return {notes: [], temps: []}
    return {notes: [{file: folder, problem: `cannot be listed: ${messageOf(error)}`}], temps: []}
  }

  const notes: ReadIntent[] = []
  const temps: Array<{file: string; pid: number}> = []
  for (const name of names) {
    const file = join(folder, name)
    const writer = durableTempOwner(name)
    if (writer !== undefined) {
      temps.push({file, pid: writer})
      continue
    }

    const match = NOTE_NAME.exec(name)
    if (match === null) {
      notes.push({file, problem: 'is not a seal note (its name is not PID-XXXXXXXX.json)'})
      continue
    }

    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      notes.push({file, problem: `cannot be read: ${messageOf(error)}`})
      continue
    }

    const parsed = parseSealIntent(text, Number(match[1]), match[2]!)
    notes.push(typeof parsed === 'string' ? {file, problem: parsed} : {file, record: parsed})
  }

  return {notes, temps}
}


const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0

/** A note's record, or what is wrong with it. `pid` and `token` come from its file name. */
export function parseSealIntent(text: string, pid: number, token: string): SealIntentRecord | string {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return 'is not JSON'
  }

  if (!isRecord(value) || value.type !== 'custody-seal-intent' || value.version !== 1) return 'is not a version 1 seal note'
  const {out, partial, processStart: start, startedAt, state, seal} = value
  if (value.pid !== pid || !Number.isSafeInteger(pid) || pid <= 0) return `names pid ${String(value.pid)}, not the ${pid} of its name`
  if (start !== null && (typeof start !== 'string' || !/^[0-9a-f-]{1,64} \d{1,20}$/.test(start))) return 'has an unreadable processStart'
  if (typeof out !== 'string' || !isAbsolute(out) || resolve(out) !== out || !out.toLowerCase().endsWith('.zip') || out.includes('\0')) {
    return 'names an archive that is not an absolute path to a .zip file'
  }

  // The one check that keeps a forged note from naming any file but a seal's own scratch files.
  if (partial !== partialPathFor(out, pid, token)) return `names a temporary file other than ${partialPathFor(out, pid, token)}`
  if (typeof startedAt !== 'string') return 'has no startedAt'
  if (state === 'writing') return {type: 'custody-seal-intent', version: 1, pid, processStart: start, out, partial, startedAt, state}
  if (state !== 'recording') return `has an unknown state ${JSON.stringify(state)}`
  if (!isRecord(seal) || typeof seal.id !== 'string' || !/^SEAL-[0-9a-f]{16}$/.test(seal.id) || typeof seal.sha256 !== 'string' || !HEX64.test(seal.sha256) || !isCount(seal.size) || !isCount(seal.fromSeq)) {
    return 'is recording a seal but does not say which (seal id, sha256, size, fromSeq)'
  }

  const {encrypted} = seal
  if (encrypted !== undefined && (!isRecord(encrypted) || typeof encrypted.sha256 !== 'string' || !HEX64.test(encrypted.sha256) || !isCount(encrypted.size))) {
    return 'is recording an encrypted seal but does not say its file (sha256, size)'
  }

  const file = encrypted === undefined ? {} : {encrypted: {sha256: encrypted.sha256 as string, size: encrypted.size as number}}
  return {type: 'custody-seal-intent', version: 1, pid, processStart: start, out, partial, startedAt, state, seal: {id: seal.id, sha256: seal.sha256, size: seal.size, fromSeq: seal.fromSeq, ...file}}
}
