/**
 * The identity side of the header (age §"Recipient stanza", §"Header MAC"): the file key that one
 * of the keys given unwraps from a stanza, checked against the header's MAC.
 *
 * X25519 stanzas are checked for form whoever they are for (the spec says an identity MUST reject
 * a malformed one), an scrypt stanza when a passphrase is tried on it; others are ignored. An scrypt stanza must be the only
 * stanza (§"scrypt recipient stanza"): a passphrase-encrypted file proves that whoever wrote it
 * knew the passphrase, which a second stanza for anyone else would undo.
 */
import {CustodyError} from '../errors.js'
import {checkHeaderMac, type Header} from './header.js'
import {damaged, notForThisKey} from './refusals.js'
import {isScryptStanza, MAX_WORK_FACTOR, unwrapWithPassphrase} from './scrypt.js'
import {checkX25519Stanza, isX25519Stanza, unwrapForIdentity, type AgeIdentity} from './x25519.js'

/** A passphrase to decrypt with, and the highest scrypt work factor to accept from the file. */
export interface PassphraseKey {
  readonly type: 'scrypt'
  readonly passphrase: string
  readonly maxWorkFactor?: number
}

/** What opens an age file: an X25519 identity, or a passphrase. */
export type AgeKey = AgeIdentity | PassphraseKey

function checkStanzas(header: Header, object: string): void {
  const scrypt = header.stanzas.filter(isScryptStanza)
  if (scrypt.length > 0 && header.stanzas.length > 1) throw damaged(object, 'its header has an scrypt stanza beside other stanzas, which age forbids')
  for (const stanza of header.stanzas.filter(isX25519Stanza)) checkX25519Stanza(stanza, object)
}

/** The file key `key` unwraps from one of the header's stanzas, if any. */
async function unwrapWith(key: AgeKey, header: Header, object: string): Promise<Buffer | undefined> {
  if (key.type === 'X25519') {
    for (const stanza of header.stanzas.filter(isX25519Stanza)) {
      const fileKey = unwrapForIdentity(stanza, key, object)
      if (fileKey !== undefined) return fileKey
    }

    return undefined
  }

  const stanza = header.stanzas.find(isScryptStanza)
  return stanza === undefined ? undefined : unwrapWithPassphrase(stanza, key.passphrase, key.maxWorkFactor ?? MAX_WORK_FACTOR, object)
}

/** Why no key opened the header: a passphrase that does not open it, or keys of the wrong kind. */
function noKeyOpens(header: Header, keys: readonly AgeKey[], object: string): CustodyError {
  const byPassphrase = header.stanzas.some(isScryptStanza)
  const passphrases = keys.some((key) => key.type === 'scrypt')
  if (byPassphrase && passphrases) return new CustodyError('WRONG_PASSPHRASE', `the passphrase does not open ${object}`, {subject: object})
  if (byPassphrase) return notForThisKey(object, 'identities given (it was encrypted with a passphrase, not to a recipient)')
  return notForThisKey(object, passphrases && keys.length === 1 ? 'passphrase given (it was encrypted to recipients, not with a passphrase)' : 'identities given')
}

/**
 * The file key of the age file whose header this is, unwrapped by the first of `keys` that
 * opens a stanza, once the header MAC is checked with it.
 */
export async function unwrapFileKey(header: Header, keys: readonly AgeKey[], object: string): Promise<Buffer> {
  checkStanzas(header, object)
  for (const key of keys) {
    const fileKey = await unwrapWith(key, header, object)
    if (fileKey !== undefined) {
      checkHeaderMac(header, fileKey, object)
      return fileKey
    }
  }

  throw noKeyOpens(header, keys, object)
}
