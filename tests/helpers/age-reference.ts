/**
 * A naive age v1, written again straight from the spec (age §"Header", §"Payload", §"The X25519
 * recipient type") for the tests to check src/age against: whole buffers, no streaming, no
 * early refusals, X25519 from @noble/curves and HKDF and HMAC from @noble/hashes (src/age uses
 * OpenSSL for all three); ChaCha20-Poly1305 is node:crypto's, one call per chunk. It also makes
 * files src/age never would (a chosen chunking, an empty final chunk), to show they are refused.
 */
import {createCipheriv, createDecipheriv, randomBytes} from 'node:crypto'
import {x25519} from '@noble/curves/ed25519.js'
import {hkdf} from '@noble/hashes/hkdf.js'
import {hmac} from '@noble/hashes/hmac.js'
import {sha256} from '@noble/hashes/sha2.js'

const CHUNK = 65536
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64').replace(/=+$/, '')
const unb64 = (text: string): Buffer => Buffer.from(text, 'base64')
const key32 = (ikm: Uint8Array, salt: Uint8Array, info: string): Uint8Array => hkdf(sha256, ikm, salt, Buffer.from(info), 32)

function chacha(key: Uint8Array, nonce: Uint8Array, data: Uint8Array): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, {authTagLength: 16})
  return Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()])
}

function unchacha(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer {
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, {authTagLength: 16})
  decipher.setAuthTag(sealed.subarray(sealed.length - 16))
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()])
}

function streamNonce(index: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12)
  nonce.writeUIntBE(index, 5, 6)
  nonce[11] = last ? 1 : 0
  return nonce
}

/** The 32 bytes of a Bech32 key, checksum not checked (naive on purpose). */
export function bech32Bytes(text: string): Buffer {
  const charset = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
  const lower = text.toLowerCase()
  const words = [...lower.slice(lower.lastIndexOf('1') + 1, -6)].map((c) => charset.indexOf(c))
  const bits = words.map((w) => w.toString(2).padStart(5, '0')).join('')
  return Buffer.from(Array.from({length: Math.floor(bits.length / 8)}, (_, i) => parseInt(bits.slice(i * 8, i * 8 + 8), 2)))
}

export interface ReferenceOptions {
  /** How the plaintext is cut into chunks, and which is marked final (age's own: 64 KiB, the last final). */
  chunks?: Array<{data: Uint8Array; last: boolean}>
}

/** An age file of `plaintext` to the X25519 `recipients` (age1… strings). */
export function referenceEncrypt(plaintext: Uint8Array, recipients: string[], options: ReferenceOptions = {}): Buffer {
  const fileKey = randomBytes(16)
  let header = 'age-encryption.org/v1\n'
  for (const recipient of recipients) {
    const publicKey = bech32Bytes(recipient)
    const ephemeral = randomBytes(32)
    const share = x25519.getPublicKey(ephemeral)
    const wrapKey = key32(x25519.getSharedSecret(ephemeral, publicKey), Buffer.concat([share, publicKey]), 'age-encryption.org/v1/X25519')
    header += `-> X25519 ${b64(share)}\n${b64(chacha(wrapKey, Buffer.alloc(12), fileKey))}\n`
  }

  header += '---'
  const mac = hmac(sha256, key32(fileKey, new Uint8Array(0), 'header'), Buffer.from(header))
  const nonce = randomBytes(16)
  const payloadKey = key32(fileKey, nonce, 'payload')
  const count = Math.max(1, Math.ceil(plaintext.length / CHUNK))
  const chunks = options.chunks ?? Array.from({length: count}, (_, i) => ({data: plaintext.subarray(i * CHUNK, (i + 1) * CHUNK), last: i === count - 1}))
  const sealed = chunks.map(({data, last}, i) => chacha(payloadKey, streamNonce(i, last), data))
  return Buffer.concat([Buffer.from(`${header} ${b64(mac)}\n`), nonce, ...sealed])
}

/** The plaintext of an age file for the X25519 `identity` (AGE-SECRET-KEY-1…); throws on anything wrong. */
export function referenceDecrypt(file: Buffer, identity: string): Buffer {
  const secret = bech32Bytes(identity)
  const end = file.indexOf('\n---') + 1
  const macEnd = file.indexOf('\n', end) + 1
  const lines = file.subarray(0, end).toString('latin1').split('\n')
  if (lines[0] !== 'age-encryption.org/v1') throw new Error('not age v1')
  let fileKey: Buffer | undefined
  for (let i = 1; i < lines.length; i++) {
    const args = lines[i]!.split(' ')
    if (args[0] !== '->' || args[1] !== 'X25519') continue
    const share = unb64(args[2]!)
    const wrapKey = key32(x25519.getSharedSecret(secret, share), Buffer.concat([share, x25519.getPublicKey(secret)]), 'age-encryption.org/v1/X25519')
    try {
      fileKey = unchacha(wrapKey, Buffer.alloc(12), unb64(lines[i + 1]!))
    } catch {
      continue
    }
  }

  if (fileKey === undefined) throw new Error('no stanza for this identity')
  const mac = hmac(sha256, key32(fileKey, new Uint8Array(0), 'header'), file.subarray(0, end + 3))
  if (!Buffer.from(mac).equals(unb64(file.subarray(end + 4, macEnd - 1).toString('latin1')))) throw new Error('bad header MAC')
  const payloadKey = key32(fileKey, file.subarray(macEnd, macEnd + 16), 'payload')
  const payload = file.subarray(macEnd + 16)
  const count = Math.max(1, Math.ceil(payload.length / (CHUNK + 16)))
  const parts = Array.from({length: count}, (_, i) => unchacha(payloadKey, streamNonce(i, i === count - 1), payload.subarray(i * (CHUNK + 16), (i + 1) * (CHUNK + 16))))
  if (count > 1 && parts[count - 1]!.length === 0) throw new Error('empty final chunk')
  return Buffer.concat(parts)
}
