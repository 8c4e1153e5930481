/**
 * The investigator's name as a case whose ledger seals its event bodies (schema 4) keeps it for
 * the runs that open no body (docs/design/encryption-at-rest.md, "Left" 1): an ingest opened
 * write-only, and every run of a field case, whose passphrase opens no body. They record their
 * events in the investigator's name by default, and the name is otherwise in the first event's
 * body. So the create-case event carries it sealed too, as `payload.sealedInvestigator`, which its
 * envelope's public facts copy:
 *
 *     settings key = HKDF-SHA-256(IKM = address key, salt = none, info = "custody case settings", L = 32)
 *                                                                                  RFC 5869
 *     sealed       = base64( nonce (12) || ChaCha20-Poly1305(settings key, nonce, UTF-8 name,
 *                                          AAD = "custody case settings " || case ID) || tag (16) )
 *                                                                                  RFC 8439
 *
 * The address key (src/keys/case-keys.ts) keys the ledger's tags and the vault's addresses with
 * HMAC; the settings key is derived from it (HKDF's info keeps the two uses apart) because
 * whatever opens the address key must open the name: the passphrase in every encrypted case, a
 * field case's too, and every recipient's identity. The AAD binds the value to its case: a value
 * taken from another case does not open.
 *
 * The organisation is sealed beside it the same way, as `payload.sealedOrganisation` (the empty
 * string standing for none), with the AAD "custody case settings organisation " || case ID, so
 * that neither value opens in the other's place: with the name, it makes the case's custodian
 * line (`custody key show --public`), which a field case gives HQ. What a coerced field passphrase
 * gives up is therefore the investigator's own name and organisation, and nothing else of the
 * case: the title stays in the body.
 */
import {createCipheriv, createDecipheriv, hkdfSync, randomBytes} from 'node:crypto'

const INFO = 'custody case settings'
const NONCE_SIZE = 12
const TAG_SIZE = 16

/** The key that seals the investigator's name, derived from the address key. */
export function settingsKey(addressKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', addressKey, Buffer.alloc(0), INFO, 32))
}

/** What a sealed value is of: the investigator's name, or the organisation. */
type Setting = 'investigator' | 'organisation'

function aad(caseId: string, setting: Setting): Buffer {
  return Buffer.from(setting === 'investigator' ? `${INFO} ${caseId}` : `${INFO} organisation ${caseId}`, 'utf8')
}

function seal(key: Uint8Array, additional: Buffer, value: string): string {
  const nonce = randomBytes(NONCE_SIZE)
  const plain = Buffer.from(value, 'utf8')
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, {authTagLength: TAG_SIZE})
  cipher.setAAD(additional, {plaintextLength: plain.length})
  return Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]).toString('base64')
}

/** The name sealed for the create-case event of case `caseId`, base64. */
export function sealInvestigator(key: Uint8Array, caseId: string, name: string): string {
  return seal(key, aad(caseId, 'investigator'), name)
}

/** The organisation (null: none, sealed as the empty string) sealed for the create-case event of case `caseId`, base64. */
export function sealOrganisation(key: Uint8Array, caseId: string, organisation: string | null): string {
  return seal(key, aad(caseId, 'organisation'), organisation ?? '')
}

/** The organisation a sealed value holds (null: none), or undefined when it does not open (as openInvestigator). */
export function openOrganisation(key: Uint8Array, caseId: string, sealed: string): string | null | undefined {
  const value = open(key, aad(caseId, 'organisation'), sealed)
  return value === '' ? null : value
}

/**
 * The name a sealed value holds, or undefined when it does not open under this key for case
 * `caseId`: another case's value, a byte changed, another key. Never throws: the value is read
 * from the ledger, hostile until it opens.
 */
export function openInvestigator(key: Uint8Array, caseId: string, sealed: string): string | undefined {
  return open(key, aad(caseId, 'investigator'), sealed)
}

function open(key: Uint8Array, additional: Buffer, sealed: string): string | undefined {
  const bytes = Buffer.from(sealed, 'base64')
  if (bytes.length < NONCE_SIZE + TAG_SIZE || bytes.toString('base64') !== sealed) return undefined
  const decipher = createDecipheriv('chacha20-poly1305', key, bytes.subarray(0, NONCE_SIZE), {authTagLength: TAG_SIZE})
  decipher.setAAD(additional, {plaintextLength: bytes.length - NONCE_SIZE - TAG_SIZE})
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_SIZE))
  try {
    const plain = Buffer.concat([decipher.update(bytes.subarray(NONCE_SIZE, bytes.length - TAG_SIZE)), decipher.final()])
    return new TextDecoder('utf-8', {fatal: true}).decode(plain)
  } catch {
    return undefined
  }
}
