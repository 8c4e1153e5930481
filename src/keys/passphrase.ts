/**
 * Where the case passphrase comes from, in order: `--passphrase-file FILE`, the
 * `CUSTODY_PASSPHRASE` environment variable, else a prompt when a terminal is attached (the
 * prompt itself belongs to the command layer). With none of them, a command that needs the key
 * stops before doing any work.
 *
 * A passphrase typed at a prompt may be mistyped: a wrong one, or a new one too short or typed
 * differently the second time, is asked again, PASSPHRASE_TRIES times in all. One read from a file
 * or the environment is not: asking again would give the same.
 */
import {readFile} from 'node:fs/promises'
import {CustodyError, errnoOf, fields, given, messageOf, said} from '../errors.js'

export const PASSPHRASE_ENV = 'CUSTODY_PASSPHRASE'
export const MIN_PASSPHRASE_LENGTH = 8
/** How many times a prompt asks for a passphrase before the command gives up. */
export const PASSPHRASE_TRIES = 3

export async function passphraseFromFileOrEnv(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (file !== undefined) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      // In words, never Node's own message (errno, syscall and path).
      const why = errnoOf(error) === 'ENOENT' ? 'there is no such file' : errnoOf(error) === 'EACCES' ? 'it may not be read' : errnoOf(error) === 'EISDIR' ? 'it is a folder' : messageOf(error)
      throw new CustodyError('PASSPHRASE_MISSING', `cannot read the passphrase file ${file}: ${why}`, {subject: file})
    }

    // One trailing line break is the file's, not the passphrase's (echo > FILE adds one).
    const passphrase = text.replace(/\r?\n$/, '')
    if (passphrase === '') throw new CustodyError('PASSPHRASE_MISSING', `the passphrase file ${file} is empty`, {subject: file})
    return passphrase
  }

  const fromEnv = env[PASSPHRASE_ENV]
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv
}

/** The file a passphrase is read from, as errors name it. */
const PASSPHRASE_FILE = fields({passphraseFile: 'a passphrase file'}).passphraseFile

export function missingPassphrase(what: string): CustodyError {
  return new CustodyError(
    'PASSPHRASE_MISSING',
    said`${what} needs the case passphrase, and there is no terminal to ask for it; set ${PASSPHRASE_ENV} or pass ${given(PASSPHRASE_FILE)}. Nothing was done`,
  )
}

/** A new passphrase protects the key of a laptop that may be seized: the trivially short is refused. */
function newPassphraseProblem(passphrase: string): string | undefined {
  return [...passphrase].length < MIN_PASSPHRASE_LENGTH ? `the passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters; a few words make a strong one` : undefined
}

export function checkNewPassphrase(passphrase: string): void {
  const problem = newPassphraseProblem(passphrase)
  if (problem !== undefined) throw new CustodyError('INVALID_ARGUMENT', problem)
}

/** Says why a passphrase typed at the prompt is asked again, and how many more tries there are. */
export type TellRetry = (why: string, triesLeft: number) => void

/**
 * The case passphrase as a prompt gives it (`ask`), given to `use`, which opens a key with it:
 * while `use` refuses it as wrong (WRONG_PASSPHRASE), it is asked again, PASSPHRASE_TRIES times in
 * all; then the last refusal is thrown. Any other error is thrown at once.
 */
export async function tryPassphrases<T>(ask: () => Promise<string>, use: (passphrase: string) => Promise<T>, tellRetry: TellRetry): Promise<T> {
  for (let tries = 1; ; tries++) {
    const passphrase = await ask()
    try {
      return await use(passphrase)
    } catch (error) {
      if (!(error instanceof CustodyError) || error.code !== 'WRONG_PASSPHRASE' || tries >= PASSPHRASE_TRIES) throw error
      tellRetry(error.message, PASSPHRASE_TRIES - tries)
    }
  }
}

/**
 * A new passphrase as a prompt gives it (`ask(question)`), typed twice: one too short or typed
 * differently the second time is asked again, PASSPHRASE_TRIES times in all; then it is refused.
 */
export async function askNewPassphrase(ask: (question: string) => Promise<string>, tellRetry: TellRetry): Promise<string> {
  for (let tries = 1; ; tries++) {
    const first = await ask('New case passphrase (protects the signing key):')
    const why = newPassphraseProblem(first) ?? ((await ask('The same passphrase again:')) === first ? undefined : 'the two passphrases differ')
    if (why === undefined) return first
    if (tries >= PASSPHRASE_TRIES) throw new CustodyError('INVALID_ARGUMENT', `${why}. Nothing was done; run the command again`)
    tellRetry(why, PASSPHRASE_TRIES - tries)
  }
}
