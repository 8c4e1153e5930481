/**
 * The known heads: for each case custody has written to on this account, the newest checkpoint it
 * signed, kept outside the case, in the user's state folder: `$XDG_STATE_HOME/custody`, else
 * `~/.local/state/custody` (XDG Base Directory Specification 0.8, which makes missing folders
 * 0700). One file per case ID, 0600:
 *
 *     {
 *       "checkpoint": "<the checkpoint's exact signed bytes>",
 *       "signature": "<hex Ed25519 signature>",
 *       "location": "/cases/crimea-2024",
 *       "recordedAt": "2026-11-28T00:33:41.002Z"
 *     }
 *
 * which is a checkpoint file (checkpoint-file.ts) with the case's last known location beside it:
 * it is evidence of itself, and `custody verify --against` takes it.
 *
 * Cutting events off the ledger's end, or putting an older copy of `.custody` back, needs no key,
 * and head.json goes back with the case. This record stays behind: a ledger shorter than it, or
 * whose first events no longer have its root, is refused (compare.ts).
 *
 * It never goes backwards. It is replaced, durably (temp file, fsync, rename), only by a checkpoint
 * of more events that the ledger shows to extend it, and the comparison and the replacement are
 * made under a lock that custody processes of the account take in turn (an exclusive SQLite
 * transaction on `lock.sqlite`: the operating system releases it if the process dies, so no stale
 * lock is ever left). A record of more events, or one that this ledger does not extend (another
 * copy of the case went its own way), is kept.
 */
import {createHash} from 'node:crypto'
import {chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync} from 'node:fs'
import {homedir} from 'node:os'
import {isAbsolute, join} from 'node:path'
import Database from 'better-sqlite3'
import {checkpointFileFields} from '../checkpoints/checkpoint-file.js'
import {parseCheckpoint, type CheckpointBody} from '../checkpoints/checkpoint.js'
import {errnoOf, messageOf} from '../errors.js'
import {writeFileDurably} from '../io/files.js'

/** How long a command waits for another custody process holding the lock (a record takes milliseconds). */
const LOCK_WAIT_MS = 30_000
const LOCK_FILE = 'lock.sqlite'
const SIGNATURE_HEX = /^[0-9a-f]{128}$/
/** A case ID as custody makes them (a UUID) or any other name that is safe as a file name. */
const SAFE_NAME = /^[0-9A-Za-z][0-9A-Za-z_.-]{0,99}$/

export interface KnownHead {
  /** The file it was read from. */
  path: string
  /** The checkpoint's exact signed bytes, and the checkpoint they hold. */
  body: string
  checkpoint: CheckpointBody
  /** Hex Ed25519 signature. */
  signature: string
  /** The case folder custody wrote it from, and when. */
  location: string | null
  recordedAt: string | null
}

export type KnownHeadRead =
  | {status: 'none'; path: string}
  | {status: 'unreadable'; path: string; problem: string}
  | {status: 'found'; path: string; head: KnownHead}

export type RecordOutcome =
  | {status: 'written'; path: string; /** where an unreadable or replaced record was put aside */ aside?: string}
  | {status: 'unchanged'; path: string}
  /** Kept: it has more events than this checkpoint, or this ledger does not extend it. */
  | {status: 'kept'; path: string; head: KnownHead; why: 'newer' | 'not-extended'}
  | {status: 'not-written'; path: string; problem: string}

/**
 * The folder of the known heads. XDG_STATE_HOME counts only when it is an absolute path (the
 * specification says a relative one is invalid and must be ignored).
 */
export function knownHeadsFolder(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME !== undefined && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(env.HOME ?? homedir(), '.local', 'state')
  return join(base, 'custody')
}

/** The record of a case: its ID as the file name, or a digest of it when the ID (from a ledger, hostile) is no safe name. */
export function knownHeadPath(folder: string, caseId: string): string {
  const name = SAFE_NAME.test(caseId) ? caseId : `case-${createHash('sha256').update(caseId).digest('hex').slice(0, 32)}`
  return join(folder, `${name}.json`)
}

function parseRecord(path: string, text: string, caseId: string): KnownHeadRead {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return {status: 'unreadable', path, problem: 'it is not JSON'}
  }

  const fields = checkpointFileFields(value)
  if (fields === undefined) return {status: 'unreadable', path, problem: 'it holds no "checkpoint" and "signature"'}
  const checkpoint = parseCheckpoint(fields.checkpoint)
  if ('problem' in checkpoint) return {status: 'unreadable', path, problem: `its checkpoint is not valid: ${checkpoint.problem}`}
  if (checkpoint.case !== caseId) return {status: 'unreadable', path, problem: `its checkpoint is of another case (${checkpoint.case})`}
  if (!SIGNATURE_HEX.test(fields.signature)) return {status: 'unreadable', path, problem: 'its signature is not 128 hex digits'}
  const {location, recordedAt} = value as Record<string, unknown>
  return {
    status: 'found',
    path,
    head: {
      path,
      body: fields.checkpoint,
      checkpoint,
      signature: fields.signature,
      location: typeof location === 'string' ? location : null,
      recordedAt: typeof recordedAt === 'string' ? recordedAt : null,
    },
  }
}

/** The record of a case, read without the lock: it is only ever replaced whole, by a rename. */
export function readKnownHead(folder: string, caseId: string): KnownHeadRead {
  const path = knownHeadPath(folder, caseId)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    // No folder there (or a file where it should be): no record was ever written.
    const code = errnoOf(error)
    return code === 'ENOENT' || code === 'ENOTDIR' ? {status: 'none', path} : {status: 'unreadable', path, problem: `it cannot be read (${code ?? messageOf(error)})`}
  }

  return parseRecord(path, text, caseId)
}

/** Runs `work` holding the account's lock on the folder (made 0700 if need be). */
async function withLock<T>(folder: string, work: () => Promise<T>): Promise<T> {
  mkdirSync(folder, {recursive: true, mode: 0o700})
  // A folder made by someone else's umask, or by hand: the records name cases and where they are.
  chmodSync(folder, 0o700)
  const lock = join(folder, LOCK_FILE)
  // Made by us first, so that it is ours alone whatever the umask (SQLite would make it 0644).
  closeSync(openSync(lock, 'a', 0o600))
  const db = new Database(lock)
  try {
    db.pragma(`busy_timeout = ${LOCK_WAIT_MS}`)
    // RESERVED lock on the file (fcntl): one IMMEDIATE transaction at a time; nothing is ever
    // written to this database, so it is rolled back.
    db.exec('BEGIN IMMEDIATE')
    try {
      return await work()
    } finally {
      db.exec('ROLLBACK')
    }
  } finally {
    db.close()
  }
}

function asideName(path: string, why: string): string {
  return path.replace(/\.json$/, `.${why}-${new Date().toISOString().replaceAll(':', '')}.json`)
}

export interface RecordRequest {
  caseId: string
  /** The checkpoint to record: one this process signed, exact bytes and hex signature. */
  signed: {body: string; signature: string}
  /** The case folder. */
  location: string
  /** The hex root of the ledger's first `size` events, undefined when it has fewer. */
  rootAt: (size: number) => string | undefined
  /**
   * `custody accept-restore`: the exact bytes of the record the user accepted as lost. A record
   * with these bytes is put aside (kept in the folder) and replaced; any other is treated as usual.
   */
  replacing?: string
}

/**
 * Records `signed` as the case's known head unless the record there has more events or is not
 * extended by the ledger (both kept). A folder that cannot be written is reported, not thrown:
 * the command's work is done, and only this protection is missing.
 */
export async function recordKnownHead(folder: string, request: RecordRequest): Promise<RecordOutcome> {
  const path = knownHeadPath(folder, request.caseId)
  const checkpoint = parseCheckpoint(request.signed.body)
  if ('problem' in checkpoint) return {status: 'not-written', path, problem: `the checkpoint to record is not valid: ${checkpoint.problem}`}
  try {
    return await withLock(folder, async () => {
      const existing = readKnownHead(folder, request.caseId)
      let aside: string | undefined
      // An unreadable record protects nothing; it is kept beside the new one, for whoever wants to look.
      if (existing.status === 'unreadable') {
        aside = asideName(path, 'unreadable')
        renameSync(path, aside)
      } else if (existing.status === 'found' && request.replacing !== undefined && existing.head.body === request.replacing) {
        aside = asideName(path, 'lost')
        renameSync(path, aside)
      } else if (existing.status === 'found') {
        const known = existing.head.checkpoint
        if (known.treeSize > checkpoint.treeSize) return {status: 'kept', path, head: existing.head, why: 'newer'}
        if (request.rootAt(known.treeSize) !== known.rootHash) return {status: 'kept', path, head: existing.head, why: 'not-extended'}
        if (existing.head.body === request.signed.body && existing.head.location === request.location) return {status: 'unchanged', path}
      }

      const record = {checkpoint: request.signed.body, signature: request.signed.signature, location: request.location, recordedAt: new Date().toISOString()}
      await writeFileDurably(path, `${JSON.stringify(record, null, 2)}\n`, {mode: 0o600})
      return aside === undefined ? {status: 'written', path} : {status: 'written', path, aside}
    })
  } catch (error) {
    return {status: 'not-written', path, problem: `${folder} cannot be written (${errnoOf(error) ?? messageOf(error)})`}
  }
}
