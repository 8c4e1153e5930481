/**
 * The base64 of age's headers (age §"Conventions used in this document"): RFC 4648 §4 without
 * `=` padding. Encoders write canonical base64 (RFC 4648 §3.5); decoders refuse anything else, so
 * that one header has one encoding and its MAC covers exactly what was read.
 */

const ALPHABET = /^[A-Za-z0-9+/]*$/

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '')
}

/**
 * The bytes of canonical unpadded base64, or undefined: padding, a character outside the
 * alphabet, an impossible length, or unused bits that are not zero (Node's decoder would accept
 * all of these, so the text is checked and the bytes encoded again to compare).
 */
export function decodeBase64(text: string): Buffer | undefined {
  if (!ALPHABET.test(text) || text.length % 4 === 1) return undefined
  const bytes = Buffer.from(text, 'base64')
  return encodeBase64(bytes) === text ? bytes : undefined
}
