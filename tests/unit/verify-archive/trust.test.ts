/**
 * The signatures check (src/verify/archive/signatures.ts) and the timestamps check
 * (timestamps.ts) on the reference bag: signed by its investigator's key, stamped by a TSA whose
 * root the fixture keeps (fixtures/reference-case/tsa-root.pem).
 */
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {parsePemCertificates} from '../../../src/timestamps/token.js'
import {signaturesCheck} from '../../../src/verify/archive/signatures.js'
import {timestampsCheck} from '../../../src/verify/archive/timestamps.js'
import {editStatement, editText, REFERENCE_TSA_ROOT, runAfterEarlier} from './reference-bag.js'

const KEY = 'data/custody/investigator.pem'
const tsaRoots = (): ReturnType<typeof parsePemCertificates> => parsePemCertificates(readFileSync(REFERENCE_TSA_ROOT, 'utf8'))

describe('the signatures check', () => {
  it('passes a bag signed by the key its events record, and says the signer is only the one it names', async () => {
    const {result, context} = await runAfterEarlier(signaturesCheck)
    expect(result.status).toBe('ok')
    expect(result.detail).toMatch(/^checkpoint and seal statement signed by SHA256:[0-9a-f]{64} \(Reference Investigator\), the key the archive itself names/)
    expect(context.trust).toMatchObject({signingKey: expect.stringMatching(/^SHA256:/), holder: 'Reference Investigator', signerPinned: false})
  })

  it('passes with the key given (--key), and refuses another key given, naming both', async () => {
    const genuine = (await runAfterEarlier(signaturesCheck)).context.trust!.signingKey!
    const pinned = await runAfterEarlier(signaturesCheck, undefined, {pinnedKeys: [genuine]})
    expect(pinned.result.detail).toMatch(/, a key you gave with --key$/)
    expect(pinned.context.trust?.signerPinned).toBe(true)
    const other = `SHA256:${'0'.repeat(64)}`
    const refused = await runAfterEarlier(signaturesCheck, undefined, {pinnedKeys: [other]})
    expect(refused.result).toMatchObject({status: 'failed', detail: 'signature problems'})
    expect(refused.result.problems).toEqual([{subject: KEY, message: expect.stringContaining('which is not a key you gave with --key'), expected: other, actual: genuine}])
    expect(refused.context.trust).toMatchObject({signingKey: null, holder: null})
  })

  it('names a statement changed after signing, and a key file that is not a key', async () => {
    const changed = await runAfterEarlier(signaturesCheck, (bag) => editStatement(bag, (s) => (s.note = 'changed')))
    expect(changed.result.problems).toEqual([{subject: 'data/custody/seal.json', message: expect.stringMatching(/^its signature seal.json.sig does not verify with SHA256:[0-9a-f]{64}: the statement or its signature was altered$/)}])
    const notKey = await runAfterEarlier(signaturesCheck, (bag) => editText(bag, KEY, () => 'not a key'))
    expect(notKey.result.problems).toContainEqual({subject: KEY, message: 'is not a PEM public key'})
  })
})

describe('the timestamps check', () => {
  it('passes against the roots the user gives (--tsa-ca), and records each token', async () => {
    const {result, context} = await runAfterEarlier(timestampsCheck, undefined, {tsaRoots: tsaRoots()})
    expect(result).toMatchObject({status: 'ok', detail: expect.stringMatching(/^events 0\.\.\d+ existed by .*; roots you gave \(--tsa-ca\)$/)})
    expect(context.trust?.tsaRootsFrom).toBe('given')
    expect(context.trust?.timestamps).toHaveLength(1)
    expect(context.warnings).toEqual([])
  })

  it("is only a warning against the archive's own roots", async () => {
    const {result, context} = await runAfterEarlier(timestampsCheck)
    expect(result.status).toBe('warning')
    expect(result.detail).toMatch(/not checked against a root you trust \(give --tsa-ca\)$/)
    expect(context.warnings).toEqual([expect.stringMatching(/^timestamps: not checked against a root you trust/)])
  })

  it('names a time stated other than the token says, with both', async () => {
    const {result} = await runAfterEarlier(timestampsCheck, (bag) => editStatement(bag, (s) => ((s.timestamp as {tokens: Array<Record<string, unknown>>}).tokens[0]!.genTime = '2020-01-01T00:00:00Z')), {tsaRoots: tsaRoots()})
    expect(result.status).toBe('failed')
    expect(result.problems).toEqual([{subject: 'data/custody/timestamped-checkpoint.json.tsr', message: 'the seal statement states another time than the token', expected: expect.stringMatching(/^20\d\d-/), actual: '2020-01-01T00:00:00Z'}])
  })

  it('names a consistency proof that does not lead to the sealed checkpoint, and a token whose root is not trusted', async () => {
    const {result} = await runAfterEarlier(timestampsCheck, (bag) => editText(bag, 'data/custody/consistency-proof.json', () => '{"proof": []}'), {tsaRoots: []})
    expect(result.problems).toContainEqual({subject: 'data/custody/consistency-proof.json', message: expect.stringContaining('does not prove the stamped checkpoint a prefix of the sealed one')})
    expect(result.problems).toContainEqual({subject: 'data/custody/timestamped-checkpoint.json.tsr', message: expect.stringMatching(/^the token does not hold: /)})
  })

  it('says so when the statement states no timestamp', async () => {
    const {result} = await runAfterEarlier(timestampsCheck, (bag) => editStatement(bag, (s) => (s.timestamp = null)))
    expect(result).toEqual({status: 'ok', detail: 'none: the events are signed by the investigator, not timestamped by a TSA', problems: []})
  })
})
