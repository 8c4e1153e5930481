/**
 * A checkpoint file: one signed checkpoint as custody gives it out, so that a case can later be
 * shown to extend it (`custody verify --against FILE`):
 *
 *     {
 *       "checkpoint": "{\"case\":\"…\",\"keyFingerprint\":\"SHA256:…\",…,\"type\":\"custody-checkpoint/v1\"}",
 *       "signature": "<hex of the 64-byte Ed25519 signature>"
 *     }
 *
 * The checkpoint is kept as the string that was signed (checkpoint.ts), not as an object, so that
 * its bytes, and with them the signature, survive any JSON tool that reads and writes the file.
 * Other fields are allowed and ignored: the record custody keeps of each case in the user's state
 * folder (src/known-heads/store.ts) is such a file with the case's location beside it. A sealed
 * archive's `data/custody/checkpoint.json`, with `checkpoint.json.sig` (the raw signature) beside
 * it, is read as the same pair.
 */
import {readFile, stat} from 'node:fs/promises'
import {resolve} from 'node:path'
import {bytesToHex, hexToBytes} from '@noble/hashes/utils.js'
import {CustodyError, errnoOf} from '../errors.js'
import {checkDestination, notReplaced, writeFileDurably} from '../io/files.js'
import type {Ledger} from '../ledger/ledger.js'
import {parseCheckpoint, type CheckpointBody} from './checkpoint.js'

export interface CheckpointFile {
  /** The checkpoint's exact signed bytes. */
  checkpoint: string
  /** Its Ed25519 signature, hex. */
  signature: string
}

/** A checkpoint file read back: the document, its exact bytes and its signature, and where they came from. */
export interface ReadCheckpoint {
  path: string
  form: 'file' | 'pair'
  body: string
  checkpoint: CheckpointBody
  signature: Uint8Array
}

/** Larger than any checkpoint file custody writes; anything bigger is not one. */
const MAX_BYTES = 64 * 1024
const SIGNATURE_HEX = /^[0-9a-f]{128}$/

export function checkpointFileText(file: CheckpointFile): string {
  return `${JSON.stringify({checkpoint: file.checkpoint, signature: file.signature}, null, 2)}\n`
}

/** The checkpoint file fields of a parsed JSON value, if it has them. */
export function checkpointFileFields(value: unknown): CheckpointFile | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const {checkpoint, signature} = value as Record<string, unknown>
  return typeof checkpoint === 'string' && typeof signature === 'string' ? {checkpoint, signature} : undefined
}

async function readSmall(path: string, what: string): Promise<Buffer> {
  const found = await stat(path).catch((error: unknown) => {
    throw new CustodyError('INVALID_ARGUMENT', `${path} ${errnoOf(error) === 'ENOENT' ? 'does not exist' : 'cannot be read'}; give ${what}`, {subject: path})
  })
  if (!found.isFile()) throw new CustodyError('INVALID_ARGUMENT', `${path} is not a file; give ${what}`, {subject: path})
  if (found.size > MAX_BYTES) throw new CustodyError('INVALID_ARGUMENT', `${path} is ${found.size} bytes, too large for ${what}`, {subject: path})
  return readFile(path)
}

/**
 * Reads a checkpoint file, or a checkpoint.json whose signature is beside it in checkpoint.json.sig.
 * Hostile input: anything else is a usage error naming the file. The signature is not checked here
 * (that needs the case's keys: verify-checkpoints.ts).
 */
export async function readCheckpointFile(file: string): Promise<ReadCheckpoint> {
  const path = resolve(file)
  const what = 'a checkpoint file ({"checkpoint": ..., "signature": ...}, as `custody checkpoint export` writes), or a checkpoint.json with its .sig beside it'
  const text = (await readSmall(path, what)).toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new CustodyError('INVALID_ARGUMENT', `${path} is not JSON; give ${what}`, {subject: path})
  }

  const fields = checkpointFileFields(value)
  let body: string
  let signature: Uint8Array
  let form: ReadCheckpoint['form']
  if (fields !== undefined) {
    if (!SIGNATURE_HEX.test(fields.signature)) throw new CustodyError('INVALID_ARGUMENT', `${path}: its "signature" is not 128 hex digits (an Ed25519 signature)`, {subject: path})
    body = fields.checkpoint
    signature = hexToBytes(fields.signature)
    form = 'file'
  } else {
    body = text
    signature = await readSmall(`${path}.sig`, `the signature of ${path} (${path}.sig, as in a sealed archive)`)
    if (signature.length !== 64) throw new CustodyError('INVALID_ARGUMENT', `${path}.sig is ${signature.length} bytes, not a 64-byte Ed25519 signature`, {subject: `${path}.sig`})
    form = 'pair'
  }

  const checkpoint = parseCheckpoint(body)
  if ('problem' in checkpoint) throw new CustodyError('INVALID_ARGUMENT', `${path} does not hold a custody checkpoint: ${checkpoint.problem}`, {subject: path})
  return {path, form, body, checkpoint, signature}
}

/**
 * Writes the case's latest signed checkpoint as a checkpoint file; an existing file is replaced
 * only with `force`. Only the case's ledger is needed (a Case is one): the case module reads
 * checkpoint files through the known heads, so this module does not import it.
 */
export async function exportCheckpoint(kase: {readonly ledger: Pick<Ledger, 'latestCheckpoint'>}, out: string, force: boolean): Promise<{path: string; file: CheckpointFile; checkpoint: CheckpointBody}> {
  const path = checkDestination(out)
  const latest = kase.ledger.latestCheckpoint()
  const parsed = latest === undefined ? undefined : parseCheckpoint(latest.body)
  if (latest === undefined || parsed === undefined || 'problem' in parsed) {
    throw new CustodyError('INTEGRITY', 'the ledger has no readable signed checkpoint to export; run `custody verify`')
  }

  const file = {checkpoint: latest.body, signature: bytesToHex(hexToBytes(latest.signature))}
  if (!(await writeFileDurably(path, checkpointFileText(file), {overwrite: force}))) {
    throw notReplaced(path)
  }

  return {path, file, checkpoint: parsed}
}
