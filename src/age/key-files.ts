/**
 * age's key files, as `age -i` and `age -R` read them: an identity file (what age-keygen writes:
 * comment lines starting with `#`, then one `AGE-SECRET-KEY-1…` a line) and a recipients file
 * (one `age1…` a line, with comments). Blank lines are skipped, and so are a line's surrounding
 * spaces and a CR before its LF. custody reads only X25519 keys: a line it cannot read is refused
 * with its number, never skipped, as is a file with no key at all.
 */
import {readFile, stat} from 'node:fs/promises'
import {CustodyError, errnoOf, messageOf} from '../errors.js'
import {parseIdentity, parseRecipient, type AgeIdentity, type AgeRecipient} from './x25519.js'

/** Far above any key file; a larger file is not one, and is not read into memory. */
const MAX_KEY_FILE_SIZE = 1024 * 1024

/** Each line holding a key: its number (from 1) and text, comments and blank lines left out. */
function keyLines(text: string): Array<{line: number; text: string}> {
  return text
    .split('\n')
    .map((line, i) => ({line: i + 1, text: line.trim()}))
    .filter(({text}) => text !== '' && !text.startsWith('#'))
}

/** Reads each key line of `text` with `parse`; a line it refuses fails the file, with the line's number. */
function parseKeys<Key>(text: string, path: string, kind: string, parse: (text: string, where: string) => Key): Key[] {
  const keys = keyLines(text).map(({line, text: key}) => {
    try {
      return parse(key, `line ${line} of ${path}`)
    } catch (error) {
      throw new CustodyError('KEY_UNREADABLE', `${messageOf(error)}; correct that line of the ${kind} file, or give another file`, {subject: path, cause: error})
    }
  })
  if (keys.length === 0) throw new CustodyError('KEY_UNREADABLE', `${path} holds no ${kind === 'identity' ? 'identity (AGE-SECRET-KEY-1…)' : 'recipient (age1…)'}: only comments or blank lines`, {subject: path})
  return keys
}

/** The identities of an identity file's text (`path` names it in errors). */
export function parseIdentityFile(text: string, path: string): AgeIdentity[] {
  if (text.startsWith('age-encryption.org/') || text.startsWith('-----BEGIN AGE ENCRYPTED FILE-----')) {
    throw new CustodyError('KEY_UNREADABLE', `${path} is an encrypted identity file; custody reads only a plain one: decrypt it with age first`, {subject: path})
  }

  return parseKeys(text, path, 'identity', parseIdentity)
}

/** The recipients of a recipients file's text (`path` names it in errors). */
export function parseRecipientsFile(text: string, path: string): AgeRecipient[] {
  return parseKeys(text, path, 'recipients', parseRecipient)
}

/**
 * A key file named on the command line (`--identity`, `--recipients-file`): one that is missing,
 * unreadable or not an age key file is the caller's to correct, so a usage error (exit 2), as a
 * wrong identity is; the case's own key files are read otherwise (src/keys/case-keys.ts).
 */
async function readGivenKeyFile<Key>(path: string, kind: string, parse: (text: string, path: string) => Key[]): Promise<Key[]> {
  let text: string
  try {
    const {size} = await stat(path)
    if (size > MAX_KEY_FILE_SIZE) throw new CustodyError('INVALID_ARGUMENT', `${path} is ${size} bytes, too large to be an age ${kind} file`, {subject: path})
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (error instanceof CustodyError) throw error
    const missing = errnoOf(error) === 'ENOENT'
    throw new CustodyError('INVALID_ARGUMENT', missing ? `there is no ${kind} file ${path}` : `cannot read the ${kind} file ${path}: ${messageOf(error)}`, {subject: path, cause: error})
  }

  try {
    return parse(text, path)
  } catch (error) {
    if (!(error instanceof CustodyError)) throw error
    throw new CustodyError('INVALID_ARGUMENT', error.message, {subject: path, cause: error})
  }
}

/** The identities in an age identity file (age-keygen's output) given on the command line. */
export async function readIdentityFile(path: string): Promise<AgeIdentity[]> {
  return readGivenKeyFile(path, 'identity', parseIdentityFile)
}

/** Every identity in the files given (`--identity FILE`, repeatable); undefined when none were given. */
export async function readIdentityFiles(paths: readonly string[] | undefined): Promise<AgeIdentity[] | undefined> {
  return paths === undefined ? undefined : (await Promise.all(paths.map((path) => readIdentityFile(path)))).flat()
}

/** The recipients in an age recipients file given on the command line. */
export async function readRecipientsFile(path: string): Promise<AgeRecipient[]> {
  return readGivenKeyFile(path, 'recipients', parseRecipientsFile)
}
