/** The testimony record's checks, and sealed witness identities (X25519 + HKDF + AES-256-GCM). */
import {createHash} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {checkTestimony, checkWitnessCode, missingFields, type TestimonyInput} from '../../src/testimony/record.js'
import {commitmentOf, ensureIdentityKey, identityBytes, identityPublicKey, identityRecord, openIdentity, openIdentityKey, sealIdentity} from '../../src/testimony/identity.js'
import {recordedName} from '../../src/testimony/take-testimony.js'
import {PASSPHRASE, tempDir} from '../helpers/cli.js'
import {refusal} from '../helpers/refusal.js'

const work = tempDir('custody-testimony-unit-')
afterAll(() => work.remove())

const COMPLETE: TestimonyInput = {
  witness: 'W-014',
  interviewedAt: '2024-03-05T10:00+02:00',
  place: 'Kyiv',
  interviewers: ['A. Investigator'],
  consent: ['court'],
  consentMethod: 'signed-form',
  statementFile: 'statement.txt',
}

describe('the testimony record', () => {
  it('names every missing required field, in the order they are asked', () => {
    const missing = (input: TestimonyInput): string[] => missingFields(input).map((field) => field.name)
    expect(missing({})).toEqual(['witness', 'interviewedAt', 'place', 'interviewers', 'consent', 'statementFile'])
    expect(missing({...COMPLETE, consentMethod: undefined})).toEqual(['consentMethod'])
    expect(missing({...COMPLETE, consent: ['none'], consentMethod: undefined})).toEqual([])
    expect(missing({...COMPLETE, statementFile: undefined, statementText: 'typed'})).toEqual([])
    expect(missing({...COMPLETE, interviewers: ['  ']})).toEqual(['interviewers'])
  })

  it('splits what identifies the witness from the open record', () => {
    const record = checkTestimony({...COMPLETE, witnessName: ' Olena K. ', witnessContact: '+380', vulnerability: 'minor', languages: ['UK', 'en-gb'], interviewedAt: '2024-03-05T10:00+02:00/2024-03-05T11:00+02:00'})
    expect(record.protectedDetails).toEqual({name: 'Olena K.', contact: '+380', notes: null, vulnerability: 'minor', referral: null})
    expect(record.vulnerable).toBe(true)
    expect(record.interview).toMatchObject({startedAt: '2024-03-05T10:00+02:00', endedAt: '2024-03-05T11:00+02:00', languages: ['uk', 'en-GB']})
    expect(record.consent).toEqual({scopes: ['court'], method: 'signed-form', givenAt: '2024-03-05T10:00+02:00'})
    expect(JSON.stringify({...record, protectedDetails: undefined})).not.toContain('Olena')
  })

  it('refuses codes that are names or carry the name, and times without a zone', () => {
    expect(checkWitnessCode(' W-014 ')).toBe('W-014')
    expect(() => checkWitnessCode('Olena Kovalenko')).toThrow('the witness code must be a code')
    expect(() => checkWitnessCode('KOVAL-1', 'Olena Koval')).toThrow("contains part of the witness's name")
    expect(() => checkTestimony({...COMPLETE, interviewedAt: '2024-03-05T10:00'})).toThrow('the start of the interview must be an ISO 8601 date and time with its zone')
    expect(() => checkTestimony({...COMPLETE, interviewedAt: '2024-02-30T10:00Z'})).toThrow(expect.objectContaining({field: 'interviewedAt'}))
    expect(() => checkTestimony({...COMPLETE, interviewedAt: '2024-03-05T10:00Z/2024-03-05T09:00Z'})).toThrow('cannot end')
    expect(() => checkTestimony({...COMPLETE, statementFile: undefined, statementText: ' \n'})).toThrow('a testimony needs the statement;')
  })

  it('refuses consent dated more than five minutes ahead of the clock, and open-record text holding the name or contact', () => {
    const soon = new Date(Date.now() + 2 * 60_000).toISOString()
    expect(checkTestimony({...COMPLETE, consentAt: soon}).consent.givenAt).toBe(soon)
    expect(() => checkTestimony({...COMPLETE, consentAt: new Date(Date.now() + 10 * 60_000).toISOString()})).toThrow(expect.objectContaining({field: 'consentAt'}))
    expect(() => checkTestimony({...COMPLETE, consentAt: '2034-03-05T10:00+02:00'})).toThrow('is in the future')
    const who = {witnessName: 'Olena Kovalenko', witnessContact: '+380 44 555 0142'}
    expect(() => checkTestimony({...COMPLETE, ...who, present: ['a psychologist', 'Mrs KOVALENKO']})).toThrow("the people present contains the witness's name")
    expect(() => checkTestimony({...COMPLETE, ...who, interpreter: 'reached on 0445550142'})).toThrow("the interpreter contains the witness's contact details")
    expect(() => checkWitnessCode('W-0445550142', null, who.witnessContact)).toThrow("contains the witness's phone number")
    expect(checkTestimony({...COMPLETE, ...who, place: 'Kovalenkivka'}).interview.place).toBe('Kovalenkivka')
  })

  it('names the field an error is about, in words, never a flag: the interview uses the same checks', () => {
    const code = refusal(() => checkWitnessCode('Olena Kovalenko'))
    expect(code).toMatchObject({code: 'INVALID_ARGUMENT', field: 'witness'})
    expect(code.message).toMatch(/^the witness code must be a code such as W-014 .*; got "Olena Kovalenko"$/)
    const missing = refusal(() => checkTestimony({}))
    expect(missing.field).toBe('witness')
    expect(missing.message).toBe('a testimony needs the witness code, the start of the interview, the place, the interviewers, consent, the statement; nothing was recorded')
    const nameInNote = refusal(() => checkTestimony({...COMPLETE, witnessName: 'Olena Kovalenko', note: 'Olena was calm'}))
    expect(nameInNote).toMatchObject({code: 'IDENTIFYING_CONTENT', field: 'note'})
    expect(nameInNote.message).toContain('what identifies the witness belongs in the identity note')
    for (const error of [code, missing, nameInNote]) expect(error.message).not.toMatch(/--[a-z]/)
  })

  it('records the statement and attachments under names that keep only the type', () => {
    expect(recordedName('W-014', 'statement-v1', '/home/inv/Olena Kovalenko.PDF')).toBe('W-014-statement-v1.pdf')
    expect(recordedName('W-014', 'attachment-2', '/x/Olena.weird-extension-too-long')).toBe('W-014-attachment-2')
  })
})

describe('sealed identities', () => {
  const caseId = 'case-1'
  const details = {name: 'Olena Kovalenko', contact: '+380 44 555 0142', notes: null, vulnerability: null, referral: null}

  it('make one identity key per case, opened only with the passphrase', async () => {
    const dir = join(work.path, 'keys-once')
    const [a, b] = await Promise.all([ensureIdentityKey(dir, PASSPHRASE), ensureIdentityKey(dir, PASSPHRASE)])
    expect(a.fingerprint).toBe(b.fingerprint)
    expect((await identityPublicKey(dir))?.fingerprint).toBe(a.fingerprint)
    const file = readFileSync(join(dir, 'keys', 'identities.json'), 'utf8')
    expect(file).not.toContain('PRIVATE')
    await expect(openIdentityKey(dir, 'a wrong passphrase')).rejects.toThrow(/passphrase/)
    expect((await openIdentityKey(dir, PASSPHRASE)).fingerprint).toBe(a.fingerprint)
  })

  it('round-trip, and the commitment is the SHA-256 of the disclosed bytes', async () => {
    const dir = join(work.path, 'round-trip')
    const key = await ensureIdentityKey(dir, PASSPHRASE)
    const record = identityRecord(caseId, 'W-014', details)
    const sealed = sealIdentity(record, key)
    expect(JSON.stringify(sealed)).not.toContain('Olena')
    const opened = openIdentity(sealed, await openIdentityKey(dir, PASSPHRASE), {caseId, witness: 'W-014'}, 'test')
    expect(opened.record).toEqual(record)
    expect(createHash('sha256').update(opened.bytes).digest('hex')).toBe(commitmentOf(record))
    expect(opened.bytes.equals(identityBytes(record))).toBe(true)
    // Salted: the same identity recorded twice gives two unrelated commitments.
    expect(commitmentOf(identityRecord(caseId, 'W-014', details))).not.toBe(commitmentOf(record))
  })

  it('refuse a record moved to another witness or case, altered, or for another key', async () => {
    const dir = join(work.path, 'hostile')
    const key = await ensureIdentityKey(dir, PASSPHRASE)
    const opener = await openIdentityKey(dir, PASSPHRASE)
    const sealed = sealIdentity(identityRecord(caseId, 'W-014', details), key)
    expect(() => openIdentity(sealed, opener, {caseId, witness: 'W-015'}, 'moved')).toThrow('does not decrypt as the identity of W-015')
    expect(() => openIdentity(sealed, opener, {caseId: 'case-2', witness: 'W-014'}, 'moved')).toThrow('does not decrypt')
    const bytes = Buffer.from(sealed.ciphertext, 'base64')
    bytes[3]! ^= 1
    expect(() => openIdentity({...sealed, ciphertext: bytes.toString('base64')}, opener, {caseId, witness: 'W-014'}, 'bent')).toThrow('was altered')
    const other = await ensureIdentityKey(join(work.path, 'other'), PASSPHRASE)
    const forOther = sealIdentity(identityRecord(caseId, 'W-014', details), other)
    expect(() => openIdentity(forOther, opener, {caseId, witness: 'W-014'}, 'elsewhere')).toThrow('is encrypted to the identity key')
    expect(() => openIdentity({format: 'nope'}, opener, {caseId, witness: 'W-014'}, 'junk')).toThrow('is not a sealed witness identity')
  })

  it('refuse a key file whose key is not the one it names', async () => {
    const dir = join(work.path, 'swapped')
    await ensureIdentityKey(dir, PASSPHRASE)
    const path = join(dir, 'keys', 'identities.json')
    const file = JSON.parse(readFileSync(path, 'utf8')) as {publicKey: string}
    const other = JSON.parse(readFileSync(join(work.path, 'other', 'keys', 'identities.json'), 'utf8')) as {publicKey: string}
    writeFileSync(path, JSON.stringify({...file, publicKey: other.publicKey}))
    await expect(identityPublicKey(dir)).rejects.toThrow('does not hold the X25519 key it names')
  })
})
