/**
 * The pieces every age recipient type shares (age §"Conventions used in this document" and
 * §"File key"): the 128-bit file key, HKDF-SHA-256 (RFC 5869) with 32 bytes of output, and the
 * file key sealed in a stanza body with ChaCha20-Poly1305 (RFC 7539) under a fixed zero nonce
 * (safe: each wrap key is used once).
 */
import {createCipheriv, createDecipheriv, hkdfSync, randomBytes} from 'node:crypto'

export const FILE_KEY_SIZE = 16
export const TAG_SIZE = 16
/** A wrapped file key: the key and its Poly1305 tag; every native stanza body has exactly this length. */
export const WRAPPED_KEY_SIZE = FILE_KEY_SIZE + TAG_SIZE

const ZERO_NONCE = Buffer.alloc(12)

/** age §"File key": 16 bytes from a CSPRNG, never reused across files. */
export function newFileKey(): Buffer {
  return randomBytes(FILE_KEY_SIZE)
}

/** HKDF-SHA-256: extract with `salt`, expand with `info`, 32 bytes. */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32))
}

/** ChaCha20-Poly1305 of the file key under `wrapKey` and the zero nonce: a stanza's body. */
export function sealFileKey(wrapKey: Uint8Array, fileKey: Uint8Array): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', wrapKey, ZERO_NONCE, {authTagLength: TAG_SIZE})
  return Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()])
}

/** The file key in a stanza's body, or undefined when `wrapKey` does not open it (another recipient's stanza). */
export function openFileKey(wrapKey: Uint8Array, body: Uint8Array): Buffer | undefined {
  if (body.length !== WRAPPED_KEY_SIZE) return undefined
  const decipher = createDecipheriv('chacha20-poly1305', wrapKey, ZERO_NONCE, {authTagLength: TAG_SIZE})
  decipher.setAuthTag(body.subarray(FILE_KEY_SIZE))
  const fileKey = decipher.update(body.subarray(0, FILE_KEY_SIZE))
  try {
    decipher.final()
    return fileKey
  } catch {
    return undefined
  }
}
