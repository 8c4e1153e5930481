/**
 * Small checks shared by every reader of custody's formats (events, statements, seal records,
 * archives): input from disk or from an archive is untrusted until one of these has said what it is.
 */

/** A JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A SHA-256 (or any 32-byte) digest in lower-case hex, as custody writes them. */
export const HEX64 = /^[0-9a-f]{64}$/

export function isHex64(value: unknown): value is string {
  return typeof value === 'string' && HEX64.test(value)
}
