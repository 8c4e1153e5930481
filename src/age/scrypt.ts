/**
 * The scrypt recipient type (age §"The scrypt recipient type"): a file key wrapped under a
 * passphrase, through scrypt (RFC 7914) with r = 8, p = 1 and a work factor written in the stanza.
 *
 * The passphrase is used as its UTF-8 bytes, not normalised: `age -d` uses the bytes typed, so a
 * caller that normalises (NFC) must do it when encrypting and decrypting alike.
 */
import {randomBytes, scrypt} from 'node:crypto'
import {CustodyError} from '../errors.js'
import {decodeBase64, encodeBase64} from './base64.js'
import type {Stanza} from './header.js'
import {openFileKey, sealFileKey, WRAPPED_KEY_SIZE} from './key-wrap.js'
import {damaged} from './refusals.js'

/**
 * age's own work factor (2^18), which `age -p` writes. scrypt needs 128·N·r bytes: 256 MiB here;
 * whoever wraps a key that every command opens should weigh that against custody's memory aims.
 */
export const DEFAULT_WORK_FACTOR = 18
/**
 * The highest work factor decryption accepts unless told otherwise (the spec asks for a limit):
 * 2^20 is 1 GiB of scrypt memory, the most a hostile file can make custody spend.
 */
export const MAX_WORK_FACTOR = 20

const STANZA_TYPE = 'scrypt'
const SALT_LABEL = 'age-encryption.org/v1/scrypt'
const SALT_SIZE = 16
const WORK_FACTOR = /^[1-9][0-9]*$/

function wrapKey(passphrase: string, salt: Uint8Array, workFactor: number): Promise<Buffer> {
  const N = 2 ** workFactor
  return new Promise((resolve, reject) => {
    // maxmem must exceed 128·N·r; Node's default (32 MiB) is below age's 2^18.
    scrypt(Buffer.from(passphrase, 'utf8'), Buffer.concat([Buffer.from(SALT_LABEL, 'latin1'), salt]), 32, {N, r: 8, p: 1, maxmem: 256 * N * 8}, (error, key) =>
      error ? reject(error) : resolve(key),
    )
  })
}

/** A stanza wrapping `fileKey` under `passphrase`, with a fresh salt. */
export async function wrapWithPassphrase(fileKey: Uint8Array, passphrase: string, workFactor: number): Promise<Stanza> {
  if (!Number.isInteger(workFactor) || workFactor < 1 || workFactor > MAX_WORK_FACTOR) {
    throw new CustodyError('INVALID_ARGUMENT', `expected an scrypt work factor from 1 to ${MAX_WORK_FACTOR}, got ${workFactor}`)
  }

  const salt = randomBytes(SALT_SIZE)
  return {args: [STANZA_TYPE, encodeBase64(salt), String(workFactor)], body: sealFileKey(await wrapKey(passphrase, salt, workFactor), fileKey)}
}

export function isScryptStanza(stanza: Stanza): boolean {
  return stanza.args[0] === STANZA_TYPE
}

/** The salt and work factor of an scrypt stanza, once its form is checked (the identity MUST reject a malformed one). */
function checkScryptStanza(stanza: Stanza, object: string, maxWorkFactor: number): {salt: Buffer; workFactor: number} {
  const salt = stanza.args.length === 3 ? decodeBase64(stanza.args[1]!) : undefined
  if (salt?.length !== SALT_SIZE) throw damaged(object, 'its scrypt stanza does not have two arguments, the canonical base64 of a 16-byte salt and a work factor')
  const written = stanza.args[2]!
  if (!WORK_FACTOR.test(written)) throw damaged(object, `its scrypt work factor ${JSON.stringify(written)} is not a decimal number without leading zeros`)
  const workFactor = Number(written)
  if (workFactor > maxWorkFactor) throw damaged(object, `its scrypt work factor is 2^${written}, above the 2^${maxWorkFactor} custody accepts (age writes 2^${DEFAULT_WORK_FACTOR})`)
  if (stanza.body.length !== WRAPPED_KEY_SIZE) throw damaged(object, `its scrypt stanza's body is ${stanza.body.length} bytes, not ${WRAPPED_KEY_SIZE}`)
  return {salt, workFactor}
}

/** The file key an scrypt stanza wraps, or undefined when the passphrase does not open it. */
export async function unwrapWithPassphrase(stanza: Stanza, passphrase: string, maxWorkFactor: number, object: string): Promise<Buffer | undefined> {
  const {salt, workFactor} = checkScryptStanza(stanza, object, maxWorkFactor)
  return openFileKey(await wrapKey(passphrase, salt, workFactor), stanza.body)
}
