/**
 * The encryption of what custody writes to its scratch databases (src/io/scratch-db.ts): source
 * paths, folder entries' names, digests, metadata, events. A scratch database lives in the
 * system's temp folder and its pages reach the disk once they outgrow SQLite's cache; a seized
 * disk must not give them up, even after the file was unlinked (docs/design/encryption-at-rest.md,
 * "Scratch and temporary files").
 *
 * The key is made at random when the process starts and is never written anywhere: a run's
 * scratch can only be read by that run. Two forms, by what the scratch does with a value:
 *
 *   sealScratch / openScratch   a value that is read back: ChaCha20-Poly1305 (RFC 8439) with a
 *                               random 96-bit nonce, the nonce and the tag stored with it
 *                               (nonce || ciphertext || tag). The associated data names the
 *                               column and, where the caller has one, the row, so that a value
 *                               moved to another column or row fails to open.
 *   scratchLookup               a value only looked up by equality (a path, a digest): its
 *                               HMAC-SHA-256 under a key of its own, with the column's name.
 *
 * A value that fails to open was changed on disk while the run held it (or the disk returned other
 * bytes): nothing read from that scratch is to be trusted, so the work ends with STORAGE_FAILED, as
 * for a temp folder that could not be written, never with wrong output.
 *
 * Counters, sizes and row numbers stay in clear: the threat model lets sizes and counts be seen.
 */
import {createCipheriv, createDecipheriv, createHmac, randomBytes} from 'node:crypto'
import {CustodyError} from '../errors.js'
import {scratchFailed, scratchFolder} from './scratch-db.js'

const NONCE = 12
const TAG = 16

/** This run's keys: in memory only, never written, gone with the process. */
const SEAL_KEY = randomBytes(32)
const LOOKUP_KEY = randomBytes(32)

/**
 * Random nonces, drawn a few thousand at a time: a draw from the system's generator costs as much
 * as the sealing itself, and a scratch database seals a value or two per file.
 */
let nonces = Buffer.alloc(0)
let nextNonce = 0

function randomNonce(): Buffer {
  if (nextNonce + NONCE > nonces.length) {
    nonces = randomBytes(NONCE * 4096)
    nextNonce = 0
  }

  nextNonce += NONCE
  return nonces.subarray(nextNonce - NONCE, nextNonce)
}

/** `value` sealed for the column (and row) that `context` names. */
export function sealScratch(value: string | Buffer, context: string): Buffer {
  const nonce = randomNonce()
  const cipher = createCipheriv('chacha20-poly1305', SEAL_KEY, nonce, {authTagLength: TAG})
  const plain = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  cipher.setAAD(Buffer.from(context, 'utf8'), {plaintextLength: plain.length})
  const body = cipher.update(plain)
  cipher.final()
  return Buffer.concat([nonce, body, cipher.getAuthTag()])
}

/** What sealScratch() adds to a value's length: the nonce and the tag. */
export const SCRATCH_OVERHEAD = NONCE + TAG

/**
 * The bytes that sealScratch() sealed for `context`, or undefined when they do not open (changed,
 * cut, or sealed for another context): for a caller whose error names its own file.
 */
export function openSealed(sealed: Buffer, context: string): Buffer | undefined {
  if (!Buffer.isBuffer(sealed) || sealed.length < NONCE + TAG) return undefined
  const decipher = createDecipheriv('chacha20-poly1305', SEAL_KEY, sealed.subarray(0, NONCE), {authTagLength: TAG})
  decipher.setAAD(Buffer.from(context, 'utf8'), {plaintextLength: sealed.length - NONCE - TAG})
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG))
  try {
    return Buffer.concat([decipher.update(sealed.subarray(NONCE, sealed.length - TAG)), decipher.final()])
  } catch {
    return undefined
  }
}

/** The bytes that sealScratch() sealed for `context`; throws STORAGE_FAILED when they do not open. */
export function openScratch(sealed: Buffer, context: string): Buffer {
  const opened = openSealed(sealed, context)
  if (opened === undefined) throw scratchTampered(context)
  return opened
}

/** The text that sealScratch() sealed for `context`. */
export function openScratchText(sealed: Buffer, context: string): string {
  return openScratch(sealed, context).toString('utf8')
}

/** sealScratch(), for a value that may be absent. */
export function sealOptional(value: string | undefined | null, context: string): Buffer | null {
  return value === undefined || value === null ? null : sealScratch(value, context)
}

/** openScratchText(), for a value that may be absent. */
export function openOptional(sealed: Buffer | null, context: string): string | undefined {
  return sealed === null ? undefined : openScratchText(sealed, context)
}

/** A stand-in for `value` that is equal where the value is, and says nothing of it without this run's key. */
export function scratchLookup(value: string, context: string): Buffer {
  return createHmac('sha256', LOOKUP_KEY).update(context, 'utf8').update('\0').update(value, 'utf8').digest()
}

/** The error of a scratch value that is not as written (changed, moved or removed), noted as the work's scratch failure. */
export function scratchTampered(context: string): CustodyError {
  const folder = scratchFolder()
  return scratchFailed(
    new CustodyError(
      'STORAGE_FAILED',
      `a row of custody's working index in the temp folder ${folder} (${context}) was changed while the command ran, or the disk returned other bytes: nothing read from it can be trusted. Check the disk and what else writes to ${folder}, and run the same command again`,
      {subject: folder},
    ),
  )
}

/**
 * How a scratch database keeps the values of its user: sealed with this run's keys, or, where what
 * it reads is in clear on disk anyway and sealing would cost more than the work (the entries of an
 * archive in clear, for verify: src/verify/archive/bag-index.ts), as they are. One schema and one
 * code path for both: only the codec differs.
 */
export interface ScratchCodec {
  seal(value: string, context: string): Buffer
  open(stored: Buffer, context: string): string
  lookup(value: string, context: string): Buffer
}

export const SEALED: ScratchCodec = {seal: sealScratch, open: openScratchText, lookup: scratchLookup}

export const IN_CLEAR: ScratchCodec = {
  seal: (value) => Buffer.from(value, 'utf8'),
  open: (stored) => stored.toString('utf8'),
  lookup: (value) => Buffer.from(value, 'utf8'),
}
