/**
 * Secrets at rest, under the case passphrase: scrypt (RFC 7914) derives a 256-bit key, which
 * AES-256-GCM (NIST SP 800-38D) uses to encrypt and authenticate the secret.
 *
 * The parameters travel with the ciphertext, so a box made today opens with any later custody.
 * N = 2^16, r = 8, p = 2 is one of the settings OWASP's Password Storage Cheat Sheet lists as
 * equal in cost to N = 2^17, p = 1: the same CPU per guess, but 64 MiB rather than 128, which
 * keeps every command's peak memory low. Slow for someone who has seized the laptop, tolerable
 * once per command for the investigator. `label` is bound in as associated data, so a box cannot
 * be moved to stand for another secret.
 */
import {createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback} from 'node:crypto'
import {CustodyError} from '../errors.js'

export interface SecretBox {
  format: 'custody-secret-box/v1'
  kdf: {name: 'scrypt'; logN: number; r: number; p: number; salt: string}
  cipher: {name: 'aes-256-gcm'; iv: string; tag: string}
  /** Base64. */
  ciphertext: string
}

export const DEFAULT_KDF = {logN: 16, r: 8, p: 2} as const

function deriveKey(passphrase: string, salt: Buffer, kdf: {logN: number; r: number; p: number}): Promise<Buffer> {
  const N = 2 ** kdf.logN
  return new Promise((resolve, reject) => {
    // maxmem must exceed about 128·N·r bytes, which node's 32 MiB default does not for N = 2^16.
    scryptCallback(passphrase.normalize('NFC'), salt, 32, {N, r: kdf.r, p: kdf.p, maxmem: 256 * N * kdf.r}, (err, key) =>
      err ? reject(err) : resolve(key),
    )
  })
}

export async function sealSecret(plaintext: Uint8Array, passphrase: string, label: string): Promise<SecretBox> {
  const salt = randomBytes(16)
  const iv = randomBytes(12)
  const key = await deriveKey(passphrase, salt, DEFAULT_KDF)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(label, 'utf8'))
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return {
    format: 'custody-secret-box/v1',
    kdf: {name: 'scrypt', ...DEFAULT_KDF, salt: salt.toString('base64')},
    cipher: {name: 'aes-256-gcm', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64')},
    ciphertext: ciphertext.toString('base64'),
  }
}

/** Is it a box this custody can open (its parameters within the accepted bounds)? */
export function isSecretBox(value: unknown): value is SecretBox {
  const box = value as Partial<SecretBox> | null
  return (
    typeof box === 'object' &&
    box !== null &&
    box.format === 'custody-secret-box/v1' &&
    box.kdf?.name === 'scrypt' &&
    Number.isInteger(box.kdf.logN) &&
    box.kdf.logN >= 14 &&
    box.kdf.logN <= 22 &&
    Number.isInteger(box.kdf.r) &&
    box.kdf.r >= 1 &&
    box.kdf.r <= 32 &&
    Number.isInteger(box.kdf.p) &&
    box.kdf.p >= 1 &&
    box.kdf.p <= 16 &&
    typeof box.kdf.salt === 'string' &&
    box.cipher?.name === 'aes-256-gcm' &&
    typeof box.cipher.iv === 'string' &&
    typeof box.cipher.tag === 'string' &&
    typeof box.ciphertext === 'string'
  )
}

/**
 * What a box holds, as errors name it: `name` in words ("the case's signing key"), `id` as the
 * subject of the error (never a path: which key, not where it is kept), `file` where it is kept,
 * named only when the box itself is damaged (to be restored from a backup).
 */
export interface BoxedSecret {
  name: string
  id: string
  file: string
}

/** Opens a box; a wrong passphrase and a damaged box are both refused by the GCM tag. */
export async function openSecret(box: unknown, passphrase: string, label: string, secret: BoxedSecret): Promise<Buffer> {
  if (!isSecretBox(box)) {
    throw new CustodyError('KEY_UNREADABLE', `${secret.file} is not a custody secret box (or uses parameters this custody does not accept); restore it from a backup`, {subject: secret.file})
  }

  const key = await deriveKey(passphrase, Buffer.from(box.kdf.salt, 'base64'), box.kdf)
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(box.cipher.iv, 'base64'))
  decipher.setAAD(Buffer.from(label, 'utf8'))
  decipher.setAuthTag(Buffer.from(box.cipher.tag, 'base64'))
  try {
    return Buffer.concat([decipher.update(Buffer.from(box.ciphertext, 'base64')), decipher.final()])
  } catch {
    throw new CustodyError('WRONG_PASSPHRASE', `the passphrase does not open ${secret.name}: it is wrong, or the key's file is damaged`, {subject: secret.id})
  }
}
