/**
 * src/transfers/custodian.ts: the custodian identity line (docs/design/transfers.md). Lines are
 * made by custodianLine() from real keys, read back, and each forgery or mistake a person could
 * paste is refused with what was wrong. The CLI's side (`key show --public` of real cases) is
 * tests/e2e/custodian.test.ts.
 */
import {generateKeyPairSync} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import {generateIdentity} from '../../src/age/x25519.js'
import {CustodyError} from '../../src/errors.js'
import {fingerprintOf} from '../../src/keys/signing-key.js'
import {safeText} from '../../src/render/text.js'
import {CUSTODIAN_PREFIX, CUSTODIAN_TYPE, custodianFingerprint, custodianLine, describeCustodian, describeParty, parseCustodian, partyName, readCustodian, type Custodian} from '../../src/transfers/custodian.js'
import {tempDir} from '../helpers/cli.js'

const work = tempDir('custody-custodian-')
afterAll(() => work.remove())

function custodian(over: Partial<Custodian> = {}): Custodian {
  const spki = generateKeyPairSync('ed25519').publicKey.export({type: 'spki', format: 'der'})
  return {
    type: CUSTODIAN_TYPE,
    case: '0f8e4c1a-5b2d-4e6f-9a7b-3c1d2e4f5a6b',
    name: 'Iryna Melnyk',
    organisation: 'Kherson field team',
    signingKey: spki.toString('base64'),
    age: generateIdentity().recipient,
    ...over,
  }
}

/** A line whose JSON is given as it is, for the forms custodianLine() never writes. */
function lineOf(json: string): string {
  return `${CUSTODIAN_PREFIX} ${Buffer.from(json, 'utf8').toString('base64url')}`
}

function refusal(line: string): string {
  try {
    parseCustodian(line, '--to')
  } catch (error) {
    expect(error).toBeInstanceOf(CustodyError)
    expect((error as CustodyError).code).toBe('INVALID_ARGUMENT')
    return (error as CustodyError).message
  }

  throw new Error(`accepted: ${line}`)
}

describe('the custodian identity line', () => {
  it('reads back what it writes: one line, shell-safe, with the key fingerprint as key show prints it', () => {
    const c = custodian()
    const line = custodianLine(c)
    expect(line).toMatch(/^custody-custodian1 [A-Za-z0-9_-]+$/)
    expect(parseCustodian(`  ${line}\n`)).toEqual(c)
    expect(custodianFingerprint(c)).toBe(fingerprintOf(Buffer.from(c.signingKey, 'base64')))
    expect(describeCustodian(c)).toBe(`Iryna Melnyk (Kherson field team), key ${custodianFingerprint(c)}`)
    // A field case has no age recipient, and an investigator may have no organisation.
    const field = custodian({age: null, organisation: null})
    expect(parseCustodian(custodianLine(field))).toEqual(field)
    expect(describeCustodian(field)).toBe(`Iryna Melnyk, key ${custodianFingerprint(field)}`)
  })

  it('names a party as every report does: name, organisation in brackets, then the fingerprint after what the caller puts between', () => {
    const party = {name: 'Iryna Melnyk', organisation: 'Kherson field team', fingerprint: 'SHA256:abc'}
    expect(describeParty(party)).toBe('Iryna Melnyk (Kherson field team), key SHA256:abc')
    expect(describeParty({...party, organisation: null}, ' ')).toBe('Iryna Melnyk SHA256:abc')
    expect(describeParty(party, ', ')).toBe('Iryna Melnyk (Kherson field team), SHA256:abc')
    expect(partyName({name: 'Iryna Melnyk', organisation: null})).toBe('Iryna Melnyk')
    // The text renderers escape the whole line: the same bytes as escaping the name and the organisation each.
    const anyParty = fc.record({name: fc.string({unit: 'binary'}), organisation: fc.option(fc.string({unit: 'binary'}), {nil: null}), fingerprint: fc.constant('SHA256:abc')})
    fc.assert(
      fc.property(anyParty, (p) => {
        const escapedEach = `${safeText(p.name)}${p.organisation === null ? '' : ` (${safeText(p.organisation)})`}`
        expect(safeText(describeParty(p))).toBe(`${escapedEach}, key ${p.fingerprint}`)
        expect(safeText(partyName(p))).toBe(escapedEach)
      }),
    )
  })

  it('refuses what is not one: another prefix, two words, a word that is not base64url', () => {
    const line = custodianLine(custodian())
    expect(refusal(line.replace(CUSTODIAN_PREFIX, 'custody-custodian2'))).toMatch(/^--to is not a custodian identity .*: it does not begin with custody-custodian1/)
    expect(refusal(`${line} extra`)).toContain('one word of base64url')
    expect(refusal(`${CUSTODIAN_PREFIX} abc+def/`)).toContain('one word of base64url')
    expect(refusal(lineOf('not json'))).toContain('it holds no JSON')
  })

  it('refuses a field it does not know, an unknown type, and values of the wrong form, naming the field', () => {
    const c = custodian()
    const json = (value: object): string => JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))))
    expect(refusal(lineOf(json({...c, note: 'hidden'})))).toContain('identity.note: expected only the fields')
    expect(refusal(lineOf(json({...c, type: 'custody-custodian/v2'})))).toContain('identity.type')
    expect(refusal(lineOf(json({...c, signingKey: Buffer.alloc(44).toString('base64')})))).toContain('identity.signingKey: expected the base64 DER of an Ed25519 public key')
    expect(refusal(lineOf(json({...c, age: 'age1notarecipient'})))).toContain('identity.age: expected an age recipient')
    expect(refusal(lineOf(json({...c, case: 'CASE-1'})))).toContain('identity.case: expected a case ID')
    expect(refusal(lineOf(json({...c, name: ''})))).toContain('identity.name')
  })

  it('refuses JSON that is not canonical: one identity has one line', () => {
    const c = custodian()
    const reordered = JSON.stringify({type: c.type, case: c.case, name: c.name, organisation: c.organisation, signingKey: c.signingKey, age: c.age})
    expect(refusal(lineOf(reordered))).toContain('not in canonical form')
    const canonical = Buffer.from(custodianLine(c).split(' ')[1]!, 'base64url').toString('utf8')
    expect(refusal(lineOf(JSON.stringify(JSON.parse(canonical), null, 1)))).toContain('not in canonical form')
  })
})

describe('readCustodian', () => {
  it('takes the line, or a file holding it after comments and blank lines', () => {
    const c = custodian()
    expect(readCustodian(custodianLine(c), '--to')).toEqual(c)
    const file = join(work.path, 'hq.custodian')
    writeFileSync(file, `# HQ legal team, given in person on 2026-11-30\n\n${custodianLine(c)}\n`)
    expect(readCustodian(file, '--to')).toEqual(c)
  })

  it('says what is wrong with a file: missing, empty, too large, or holding something else', () => {
    const missing = join(work.path, 'nope.custodian')
    expect(() => readCustodian(missing, '--to')).toThrow(/--to .*nope\.custodian: no such file, and not an identity line/)
    const empty = join(work.path, 'empty.custodian')
    writeFileSync(empty, '# nothing here\n')
    expect(() => readCustodian(empty, '--to')).toThrow(/the file holds no line/)
    const large = join(work.path, 'large.custodian')
    writeFileSync(large, 'x'.repeat(20_000))
    expect(() => readCustodian(large, '--to')).toThrow(/larger than 16384 bytes/)
    const pem = join(work.path, 'key.pem')
    writeFileSync(pem, '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n')
    expect(() => readCustodian(pem, '--to')).toThrow(/key\.pem is not a custodian identity .*does not begin with custody-custodian1/)
  })
})
