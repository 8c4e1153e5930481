/**
 * age's X25519 keys (src/age/x25519.ts, bech32.ts, key-files.ts): the spec's own example pair,
 * generated pairs checked against age-keygen and the age-encryption package, Bech32 as a
 * property, every kind of bad string refused with what was expected, and age's key files.
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {identityToRecipient} from 'age-encryption'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import {decodeBech32, encodeBech32} from '../../src/age/bech32.js'
import {parseIdentityFile, readIdentityFile, readRecipientsFile} from '../../src/age/key-files.js'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {CustodyError} from '../../src/errors.js'
import {checker} from '../helpers/tools.js'

const work = mkdtempSync(join(tmpdir(), 'custody-age-keys-'))
afterAll(() => rmSync(work, {recursive: true, force: true}))
const ageKeygen = checker('age-keygen')

// age §"The X25519 recipient type": the example identity and the recipient it gives.
const SPEC_IDENTITY = 'AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX'
const SPEC_RECIPIENT = 'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj'

function refusal(fn: () => unknown): CustodyError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CustodyError)
    return error as CustodyError
  }

  throw new Error('expected a refusal')
}

describe('X25519 identities and recipients', () => {
  it('gives the recipient the spec gives for its example identity', () => {
    const identity = parseIdentity(SPEC_IDENTITY)
    expect(identity.recipient.text).toBe(SPEC_RECIPIENT)
    expect(parseRecipient(SPEC_RECIPIENT).publicKey).toEqual(identity.recipient.publicKey)
    // The example's secret is 32 bytes of 0x42 ("GFPYYSJZ…" in Bech32).
    const decoded = decodeBech32(SPEC_IDENTITY)
    expect(decoded.ok && Buffer.from(decoded.data).equals(Buffer.alloc(32, 0x42))).toBe(true)
  })

  it('generates pairs in age-keygen form, whose recipient the age-encryption package derives too', async () => {
    for (let i = 0; i < 5; i++) {
      const {identity, recipient} = generateIdentity()
      expect(identity).toMatch(/^AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}$/)
      expect(recipient).toMatch(/^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/)
      expect(parseIdentity(identity).recipient.text).toBe(recipient)
      expect(await identityToRecipient(identity)).toBe(recipient)
    }
  })

  it('reads the identity files age-keygen writes, with the recipient age-keygen -y gives', async () => {
    if (ageKeygen === undefined) return
    const file = join(work, 'keygen.txt')
    const made = spawnSync(ageKeygen, ['-o', file], {encoding: 'utf8'})
    expect(made.status).toBe(0)
    const [identity] = await readIdentityFile(file)
    const shown = spawnSync(ageKeygen, ['-y', file], {encoding: 'utf8'}).stdout.trim()
    expect(identity!.recipient.text).toBe(shown)
    // age-keygen also states it on stderr ("Public key: age1…").
    expect(made.stderr).toContain(shown)
  })

  it('encodes and decodes any bytes under any prefix (Bech32 as a property), and refuses any one character changed', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 80}), fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/), (data, hrp) => {
        const text = encodeBech32(hrp, data)
        const decoded = decodeBech32(text)
        expect(decoded).toEqual({ok: true, hrp, data})
        expect(decodeBech32(text.toUpperCase())).toEqual({ok: true, hrp, data})
      }),
    )
    const {recipient} = generateIdentity()
    const charset = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
    for (let at = 4; at < recipient.length; at++) {
      for (const c of charset) {
        if (c === recipient[at]) continue
        expect(decodeBech32(`${recipient.slice(0, at)}${c}${recipient.slice(at + 1)}`).ok).toBe(false)
      }
    }
  })

  it('refuses a bad recipient, saying what was expected and what is wrong', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /no Bech32 separator/],
      [`${SPEC_RECIPIENT.slice(0, -1)}q`, /checksum is wrong/],
      [SPEC_RECIPIENT.toUpperCase(), /"age1" in lower case/],
      [`${SPEC_RECIPIENT.slice(0, 10).toUpperCase()}${SPEC_RECIPIENT.slice(10)}`, /mixes upper and lower case/],
      ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHn0 someone@example', /an SSH key/],
      ['age1pq1x34nzsvr0rxjsgdn8zgyhfe8j7ceq5r9rdelkjuh3y235jzxshfg87pzf5', /post-quantum/],
      [encodeBech32('bc', Buffer.alloc(32, 7)), /"age1" in lower case/],
      [encodeBech32('age', Buffer.alloc(31, 7)), /holds 31 bytes, not 32/],
      [encodeBech32('age', Buffer.alloc(32)), /low-order point/],
      [SPEC_IDENTITY, /does not begin with "age1"|no Bech32|lower case/],
    ]
    for (const [text, problem] of bad) {
      const error = refusal(() => parseRecipient(text))
      expect(error.code, text).toBe('INVALID_ARGUMENT')
      expect(error.exitCode).toBe(2)
      expect(error.message, text).toMatch(/^the recipient must be an age recipient \(age1 and 58 Bech32 characters/)
      expect(error.message, text).toMatch(problem)
    }
  })

  it('refuses a bad identity without repeating it', () => {
    const bad: Array<[string, RegExp]> = [
      [SPEC_IDENTITY.toLowerCase(), /"AGE-SECRET-KEY-1" in upper case/],
      [`${SPEC_IDENTITY.slice(0, -1)}Q`, /checksum is wrong/],
      [SPEC_RECIPIENT, /"AGE-SECRET-KEY-1" in upper case/],
      ['AGE-SECRET-KEY-PQ-1XX76JRALNLXDMEW0CRK45QMCCH4X06SE84UN3VPM33W6HWDX0H3SK3ZQFR', /post-quantum/],
      [encodeBech32('age-secret-key-', Buffer.alloc(33, 1)).toUpperCase(), /holds 33 bytes, not 32/],
    ]
    for (const [text, problem] of bad) {
      const error = refusal(() => parseIdentity(text, 'the case identity'))
      expect(error.code).toBe('INVALID_ARGUMENT')
      expect(error.message).toMatch(/^the case identity must be an age identity \(AGE-SECRET-KEY-1 and 58 Bech32 characters/)
      expect(error.message).toMatch(problem)
      expect(error.message).not.toContain(text.slice(16, 40))
      expect(JSON.stringify(error.toJSON())).not.toContain(text.slice(16, 40))
    }
  })
})

describe('age key files', () => {
  it('reads an identity file with comments, blank lines, CRLF and several keys', async () => {
    const [a, b] = [generateIdentity(), generateIdentity()]
    const file = join(work, 'identities.txt')
    writeFileSync(file, `# created: 2026-01-01T00:00:00Z\r\n# public key: ${a.recipient}\r\n${a.identity}\r\n\n   \n# another\n  ${b.identity}  \n`)
    expect((await readIdentityFile(file)).map((identity) => identity.recipient.text)).toEqual([a.recipient, b.recipient])
  })

  it('reads a recipients file', async () => {
    const [a, b] = [generateIdentity(), generateIdentity()]
    const file = join(work, 'recipients.txt')
    writeFileSync(file, `# the case\n${a.recipient}\n\n# the court's expert\n${b.recipient}\n`)
    expect((await readRecipientsFile(file)).map((recipient) => recipient.text)).toEqual([a.recipient, b.recipient])
  })

  it('refuses a key file with a bad line, naming the line, and one with no key', async () => {
    const {identity} = generateIdentity()
    const bad = refusal(() => parseIdentityFile(`# comment\n${identity}\nAGE-SECRET-KEY-1NOTAKEY\n`, 'keys.txt'))
    expect(bad.code).toBe('KEY_UNREADABLE')
    expect(bad.subject).toBe('keys.txt')
    expect(bad.message).toMatch(/^line 3 of keys\.txt must be an age identity .*; correct that line of the identity file, or give another file$/)
    const none = refusal(() => parseIdentityFile('# only a comment\n\n', 'keys.txt'))
    expect(none.message).toBe('keys.txt holds no identity (AGE-SECRET-KEY-1…): only comments or blank lines')
    const encrypted = refusal(() => parseIdentityFile('age-encryption.org/v1\n-> X25519 abc\n', 'keys.age'))
    expect(encrypted.message).toMatch(/keys\.age is an encrypted identity file/)
    const recipients = join(work, 'bad-recipients.txt')
    writeFileSync(recipients, `${generateIdentity().recipient}\nage1nope\n`)
    // Read from a file named on the command line, each is the caller's to correct: a usage error (exit 2).
    await expect(readRecipientsFile(recipients)).rejects.toMatchObject({code: 'INVALID_ARGUMENT', subject: recipients, message: expect.stringMatching(/^line 2 of .*bad-recipients\.txt must be an age recipient/)})
    await expect(readIdentityFile(join(work, 'missing.txt'))).rejects.toMatchObject({code: 'INVALID_ARGUMENT', message: `there is no identity file ${join(work, 'missing.txt')}`})
    const garbled = join(work, 'garbled.txt')
    writeFileSync(garbled, 'not a key\n')
    await expect(readIdentityFile(garbled)).rejects.toMatchObject({code: 'INVALID_ARGUMENT', subject: garbled, message: expect.stringMatching(/^line 1 of .*garbled\.txt must be an age identity/)})
  })
})
