/**
 * The investigator's name sealed in a sealed ledger's create-case event
 * (src/keys/sealed-investigator.ts): its key derivation checked against OpenSSL's HKDF, a golden
 * value (tests/vectors/events.json holds it in a create-case event), a reference opener written
 * from RFC 5869 and RFC 8439 with @noble's HKDF and ChaCha20-Poly1305, and properties: every name
 * comes back, and a value changed, moved to another case or opened with another key never does.
 */
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chacha20poly1305} from '@noble/ciphers/chacha.js'
import {hkdf} from '@noble/hashes/hkdf.js'
import {sha256} from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {openInvestigator, openOrganisation, sealInvestigator, sealOrganisation, settingsKey} from '../../src/keys/sealed-investigator.js'

const ADDRESS_KEY = Buffer.alloc(32, 1)
const CASE_ID = 'e14bb562-fd98-49d1-bbd6-df7f2df07066'
/** Sealed for the vector "create-case of a field case whose bodies are sealed" (tests/vectors/events.json). */
const GOLDEN = 'E07BcZuazNHG/UkZKR9ecJs3CAKNLMYcJS58iUxMHcnx4I6/Gtb4W4liH2jEujy9OvU='
/** Its organisation, sealed for the vector "…the investigator's name and organisation sealed". */
const GOLDEN_ORGANISATION = 'KHFhOf2vX8whBXima3wV6anryOsASX7lTRpbgl3b5/P9CDQxpUEueQ8='

/** The opening written from the RFCs alone, with another library's primitives. */
function referenceOpen(addressKey: Uint8Array, caseId: string, sealed: string): string {
  const key = hkdf(sha256, addressKey, new Uint8Array(0), new TextEncoder().encode('custody case settings'), 32)
  const bytes = Buffer.from(sealed, 'base64')
  const plain = chacha20poly1305(key, bytes.subarray(0, 12), new TextEncoder().encode(`custody case settings ${caseId}`)).decrypt(bytes.subarray(12))
  return new TextDecoder().decode(plain)
}

describe('the sealed investigator', () => {
  it("derives its key as OpenSSL's HKDF-SHA-256 does", () => {
    const out = execFileSync('openssl', ['kdf', '-keylen', '32', '-kdfopt', 'digest:SHA256', '-kdfopt', `hexkey:${ADDRESS_KEY.toString('hex')}`, '-kdfopt', 'info:custody case settings', 'HKDF']).toString()
    expect(settingsKey(ADDRESS_KEY).toString('hex')).toBe(out.trim().replaceAll(':', '').toLowerCase())
  })

  it('opens the golden value, and the reference opens it too', () => {
    expect(openInvestigator(settingsKey(ADDRESS_KEY), CASE_ID, GOLDEN)).toBe('Reference Investigator')
    expect(referenceOpen(ADDRESS_KEY, CASE_ID, GOLDEN)).toBe('Reference Investigator')
  })

  it('gives back every name it sealed, as the reference reads it', () => {
    fc.assert(
      fc.property(fc.string({unit: 'grapheme', minLength: 1, maxLength: 60}), fc.uuid(), (name, caseId) => {
        const sealed = sealInvestigator(settingsKey(ADDRESS_KEY), caseId, name)
        expect(openInvestigator(settingsKey(ADDRESS_KEY), caseId, sealed)).toBe(name)
        expect(referenceOpen(ADDRESS_KEY, caseId, sealed)).toBe(name)
      }),
      {numRuns: 50},
    )
  })

  it('opens nothing changed, moved to another case, under another key, or cut short', () => {
    const key = settingsKey(ADDRESS_KEY)
    const sealed = Buffer.from(sealInvestigator(key, CASE_ID, 'Ana Quintela'), 'base64')
    fc.assert(
      fc.property(fc.nat({max: sealed.length - 1}), fc.integer({min: 1, max: 255}), (at, bits) => {
        const forged = Buffer.from(sealed)
        forged[at]! ^= bits
        expect(openInvestigator(key, CASE_ID, forged.toString('base64'))).toBeUndefined()
      }),
    )
    expect(openInvestigator(key, '00000000-0000-4000-8000-000000000000', sealed.toString('base64'))).toBeUndefined()
    expect(openInvestigator(settingsKey(randomBytes(32)), CASE_ID, sealed.toString('base64'))).toBeUndefined()
    // The address key itself, not the key derived from it.
    expect(openInvestigator(ADDRESS_KEY, CASE_ID, sealed.toString('base64'))).toBeUndefined()
    for (const cut of [0, 12, 28, sealed.length - 1]) expect(openInvestigator(key, CASE_ID, sealed.subarray(0, cut).toString('base64'))).toBeUndefined()
    expect(openInvestigator(key, CASE_ID, 'not base64 at all')).toBeUndefined()
  })

  it('seals the organisation apart from the name: none as the empty string, and neither opens in the other\'s place', () => {
    const key = settingsKey(ADDRESS_KEY)
    expect(openOrganisation(key, CASE_ID, GOLDEN_ORGANISATION)).toBe('custody tests')
    const reference = hkdf(sha256, ADDRESS_KEY, new Uint8Array(0), new TextEncoder().encode('custody case settings'), 32)
    const bytes = Buffer.from(GOLDEN_ORGANISATION, 'base64')
    const plain = chacha20poly1305(reference, bytes.subarray(0, 12), new TextEncoder().encode(`custody case settings organisation ${CASE_ID}`)).decrypt(bytes.subarray(12))
    expect(new TextDecoder().decode(plain)).toBe('custody tests')
    expect(openOrganisation(key, CASE_ID, sealOrganisation(key, CASE_ID, null))).toBeNull()
    expect(openOrganisation(key, CASE_ID, GOLDEN)).toBeUndefined()
    expect(openInvestigator(key, CASE_ID, GOLDEN_ORGANISATION)).toBeUndefined()
    expect(openOrganisation(key, '00000000-0000-4000-8000-000000000000', GOLDEN_ORGANISATION)).toBeUndefined()
    expect(openInvestigator(key, CASE_ID, sealInvestigator(key, CASE_ID, 'Ana Quintela'))).toBe('Ana Quintela')
  })
})
