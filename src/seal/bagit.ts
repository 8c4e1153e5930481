/**
 * BagIt 1.0 (RFC 8493): the bag declaration (§2.1.1), and the safe names of payload files
 * (§2.1.3). The manifests and bag metadata of a sealed bag are bag-layout.ts's.
 */

export const BAGIT_TXT = 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n'

/**
 * A file name that is safe in a bag and on any file system a court's expert may unzip to: Unicode
 * NFC; no path separators, control characters or `%` (RFC 8493 §2.1.3 percent-encodes CR, LF and
 * `%`: custody keeps them out instead); no leading dot or trailing dot/space; at most 120 UTF-8
 * bytes, keeping the extension. The original name is recorded beside the safe one.
 */
export function safeFileName(name: string): string {
  let safe = name
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex -- control characters are what is being replaced
    .replace(/[\u0000-\u001F\u007F-\u009F/\\%:*?"<>|\u202A-\u202E\u2066-\u2069]/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '')
  if (safe === '') safe = 'file'
  const encoder = new TextEncoder()
  if (encoder.encode(safe).length > 120) {
    const ext = /\.[A-Za-z0-9]{1,10}$/.exec(safe)?.[0] ?? ''
    let stem = safe.slice(0, safe.length - ext.length)
    while (encoder.encode(stem + ext).length > 120) stem = [...stem].slice(0, -1).join('')
    safe = stem + ext
  }

  return safe
}
