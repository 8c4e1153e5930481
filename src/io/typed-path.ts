/**
 * A file's path as a person types or pastes it at a prompt, where no shell reads it first.
 * Terminals paste a file dragged onto them as the shell would read it, quoted
 * ('/home/x/My Files/a.txt', "/home/x/My Files/a.txt") or with backslash escapes
 * (/home/x/My\ Files/a.txt), or as a file:// URL, and people write ~ for their home folder. Each
 * is read as a POSIX shell reads one word (quotes, backslashes, a leading ~: POSIX.1-2017 XCU
 * 2.2 and 2.6.1), with nothing expanded besides. A flag's value has been through the shell
 * already and is never read so.
 */
import {homedir} from 'node:os'
import {isAbsolute, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

/** One shell word, unquoted; undefined when the text is not one word (a space outside quotes, a quote left open). */
export function shellWord(text: string): {word: string; tilde: boolean} | undefined {
  let word = ''
  let quote: "'" | '"' | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote === "'") {
      if (c === "'") quote = undefined
      else word += c
    } else if (quote === '"') {
      if (c === '"') quote = undefined
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i]
      else word += c
    } else if (c === "'" || c === '"') quote = c
    else if (c === '\\') {
      if (i + 1 < text.length) word += text[++i]
    } else if (/\s/u.test(c)) return undefined
    else word += c
  }

  // A ~ counts only unquoted, at the start: '~/x' names a folder called ~.
  return quote === undefined ? {word, tilde: /^~(\/|$)/u.test(text)} : undefined
}

function fromHome(path: string, home: string): string {
  return path === '~' ? home : join(home, path.slice(2))
}

/**
 * The paths `text` may stand for, most likely first, absolute: the text read as a shell word or
 * a file:// URL, then the text as typed (a name that holds quotes or backslashes itself). The
 * caller takes the first that is a file.
 */
export function pathReadings(text: string, cwd: string, home: string = homedir()): string[] {
  const typed = text.trim()
  if (typed === '') return []
  const readings: string[] = []
  if (/^file:\/\//iu.test(typed)) {
    try {
      readings.push(fileURLToPath(typed))
    } catch {
      // Not a local file's URL: read as typed below.
    }
  }

  const word = shellWord(typed)
  if (word !== undefined) readings.push(word.tilde ? fromHome(word.word, home) : word.word)
  readings.push(/^~(\/|$)/u.test(typed) ? fromHome(typed, home) : typed)
  return [...new Set(readings.filter((path) => path !== '').map((path) => (isAbsolute(path) ? path : resolve(cwd, path))))]
}
