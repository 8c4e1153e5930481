/**
 * Plain-text rendering for terminals. File names are hostile too: a name with a newline, a
 * terminal escape or a right-to-left override must not forge or hide a line of output, so such
 * characters are shown as escapes.
 */

// C0 and C1 controls, DEL, and the Unicode bidirectional overrides and isolates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/gu

export function safeText(value: string): string {
  return value.replaceAll(UNSAFE, (ch) => {
    if (ch === '\n') return '\\n'
    if (ch === '\r') return '\\r'
    if (ch === '\t') return '\\t'
    const code = ch.codePointAt(0)!
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`
  })
}

/**
 * A message of several lines for the terminal (an error, a warning): each line as safeText gives
 * it, the line breaks kept. What a message quotes from a hostile file (a JSON parser's complaint
 * about its bytes) must not reach the terminal as an escape sequence.
 */
export function safeLines(value: string): string {
  return value.split('\n').map(safeText).join('\n')
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = n
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }

  return unit === 0 ? `${Math.round(n)} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`
}
