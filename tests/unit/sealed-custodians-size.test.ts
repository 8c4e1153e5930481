/**
 * src/transfers/sealed-custodians.ts, checkStatedSize: a seal of received exhibits never writes a
 * statement whose hand-over records a verifier would refuse to read (BAG_LIMITS.statementRest,
 * of which the records may take half). Driven with a small bound to find its edge to the byte, and
 * with the real bound by records as large as genuine ones can be (1,000 items each, the most a
 * transfer carries), which a case that received enough packages would seal.
 */
import {describe, expect, it} from 'vitest'
import {MAX_TRANSFER_ITEMS} from '../../src/formats/events.js'
import {BAG_LIMITS, CUSTODIAN_FILES, custodianFolder, type CustodianFileRole, type SealedCustodian} from '../../src/seal/bag-layout.js'
import {checkStatedSize} from '../../src/transfers/sealed-custodians.js'
import {refusal} from '../helpers/refusal.js'

const SENDER = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'

/** A record as recordOf() states one: `items` exhibits received in transfer number `n`. */
function record(n: number, items: number): SealedCustodian {
  const transferId = `TRANSFER-${n.toString(16).padStart(16, '0')}`
  const folder = custodianFolder(SENDER, transferId)
  const files = Object.fromEntries(Object.entries(CUSTODIAN_FILES).map(([role, name]) => [role, {path: `${folder}/${name}`, sha256: 'ab'.repeat(32)}])) as Record<CustodianFileRole, {path: string; sha256: string}>
  return {
    transferId,
    from: {case: SENDER, name: 'Iryna Melnyk', organisation: 'Kherson field team', fingerprint: `SHA256:${'A'.repeat(43)}`},
    releasedAt: '2026-03-01T10:00:00.000Z',
    receivedAt: '2026-03-02T10:00:00.000Z',
    items: Array.from({length: items}, (_, i) => ({exhibit: `EX-${String(i + 1).padStart(6, '0')}`, receivedAs: `HQ-${String(n * items + i + 1).padStart(6, '0')}`})),
    folder,
    files,
    eventCount: items + 3,
  }
}

const written = (stated: SealedCustodian[]): number => Buffer.byteLength(JSON.stringify(stated, null, 2))

describe('the seal refuses hand-over records a verifier would not read', () => {
  it('takes records up to the bound, to the byte, and refuses one byte more, naming the size and what to do', () => {
    const stated = [record(1, 2), record(2, 3)]
    const bytes = written(stated)
    expect(() => checkStatedSize(stated, bytes)).not.toThrow()
    const refused = refusal(() => checkStatedSize(stated, bytes - 1))
    expect(refused.code).toBe('INVALID_ARGUMENT')
    expect(refused.message).toBe(`the exhibits chosen came in 2 hand-overs, whose records would take ${bytes} bytes of the seal statement, more than an archive may give them; nothing was sealed. Seal fewer exhibits at a time`)
  })

  it('with the real bound: half the statement a verifier reads, which records of full transfers reach before the most hand-overs an archive carries', () => {
    expect(MAX_TRANSFER_ITEMS).toBe(1000)
    const one = written([record(0, MAX_TRANSFER_ITEMS)])
    const fit = Math.floor(BAG_LIMITS.statementRest / 2 / one)
    // The size bound, not the count of hand-overs (BAG_LIMITS.custodians), is the one such a seal meets.
    expect(fit + 1).toBeLessThan(BAG_LIMITS.custodians)
    const under = Array.from({length: fit - 1}, (_, n) => record(n, MAX_TRANSFER_ITEMS))
    expect(() => checkStatedSize(under)).not.toThrow()
    const over = Array.from({length: fit + 1}, (_, n) => record(n, MAX_TRANSFER_ITEMS))
    expect(written(over)).toBeGreaterThan(BAG_LIMITS.statementRest / 2)
    expect(refusal(() => checkStatedSize(over)).message).toMatch(new RegExp(`^the exhibits chosen came in ${fit + 1} hand-overs, whose records would take \\d+ bytes`))
  })
})
