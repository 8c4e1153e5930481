/**
 * Where the case passphrase comes from, in order: `--passphrase-file FILE`, the
 * `CUSTODY_PASSPHRASE` environment variable, else a prompt when a terminal is attached (the
 * prompt itself belongs to the command layer). With none of them, a command that needs the key
 * stops before doing any work.
 */
import {readFile} from 'node:fs/promises'
import {CustodyError, fields, given, messageOf, said} from '../errors.js'

export const PASSPHRASE_ENV = 'CUSTODY_PASSPHRASE'
export const MIN_PASSPHRASE_LENGTH = 8

export async function passphraseFromFileOrEnv(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (file !== undefined) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      throw new CustodyError('PASSPHRASE_MISSING', `cannot read the passphrase file ${file}: ${messageOf(error)}`, {subject: file})
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

/** A new passphrase protects the key of a laptop that may be seized: refuse the trivially short. */
export function checkNewPassphrase(passphrase: string): void {
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    throw new CustodyError('INVALID_ARGUMENT', `the passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters; a few words make a strong one`)
  }
}
