/**
 * The carried rows' rule (src/ledger/carried-block.ts), which the store and `custody verify` both
 * apply: the block's digest computed here as `sha256sum` would of the envelopes one a line.
 */
import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {CarriedBlock} from '../../src/ledger/carried-block.js'
import type {StoredEnvelope} from '../../src/ledger/envelope.js'

const carried = (seq: number): StoredEnvelope => ({v: 2, seq, time: '2026-01-01T00:00:00.000Z', prev: '0'.repeat(64), exhibit: null, run: 0, tags: {}, carried: 'a'.repeat(64), bodySha256: 'b'.repeat(64)})
const chained = (seq: number, facts?: StoredEnvelope['public']): StoredEnvelope => ({v: 2, seq, time: '2026-01-01T00:00:00.000Z', prev: '0'.repeat(64), exhibit: null, run: 1, tags: {}, ...(facts === undefined ? {} : {public: facts}), bodyCommitment: 'c'.repeat(64)})
const text = (seq: number): string => `carried envelope ${seq}`
const digestOf = (count: number): string => createHash('sha256').update(Array.from({length: count}, (_, i) => `${text(i)}\n`).join('')).digest('hex')

/** Feeds `count` carried rows, then `then` (an envelope after them), and returns the findings. */
function feed(count: number, then: StoredEnvelope[]): Array<ReturnType<CarriedBlock['row']>> {
  const block = new CarriedBlock()
  const findings = []
  for (let seq = 0; seq < count; seq++) findings.push(block.row(seq, carried(seq), text(seq)))
  for (const envelope of then) findings.push(block.row(envelope.seq, envelope, `chained ${envelope.seq}`))
  findings.push(block.end())
  return findings
}

describe('CarriedBlock', () => {
  it('a ledger with no carried rows: nothing found, however many rows follow', () => {
    expect(feed(0, [chained(0, {action: 'create-case'}), chained(1), chained(2)]).filter(Boolean)).toEqual([])
  })

  it('carried rows bound by the ledger-converted event after them: nothing found, and the count is theirs', () => {
    const block = new CarriedBlock()
    for (let seq = 0; seq < 3; seq++) expect(block.row(seq, carried(seq), text(seq))).toBeUndefined()
    expect(block.closed).toBe(false)
    expect(block.row(3, chained(3, {action: 'ledger-converted', carried: 3, envelopes: digestOf(3)}), 'x')).toBeUndefined()
    expect(block.closed).toBe(true)
    expect(block.row(4, chained(4), 'y')).toBeUndefined()
    expect(block.end()).toBeUndefined()
    expect(block.count).toBe(3)
  })

  it('an envelope changed (the digest differs) or a row added or removed (the count differs): the ledger-converted event is named, with both values', () => {
    const changed = feed(3, [chained(3, {action: 'ledger-converted', carried: 3, envelopes: digestOf(2)})]).filter(Boolean)
    expect(changed).toEqual([{seq: 3, message: expect.stringMatching(/^is the ledger-converted event, and records other carried events than the 3 before it/), expected: `ledger-converted of 3 envelopes, SHA-256 ${digestOf(3)}`, actual: `3 envelopes, SHA-256 ${digestOf(2)}`}])
    const added = feed(4, [chained(4, {action: 'ledger-converted', carried: 3, envelopes: digestOf(3)})]).filter(Boolean)
    expect(added).toHaveLength(1)
    expect(added[0]!.actual).toBe(`3 envelopes, SHA-256 ${digestOf(3)}`)
  })

  it('the ledger-converted event removed (another event follows the block): found at that event', () => {
    expect(feed(2, [chained(2, {action: 'ingest'})]).filter(Boolean)).toEqual([
      {seq: 2, message: expect.stringMatching(/^follows 2 carried events, but is not the ledger-converted event/), expected: `ledger-converted of 2 envelopes, SHA-256 ${digestOf(2)}`, actual: 'ingest'},
    ])
  })

  it('the tail cut inside the block: found at the last carried row when the rows end', () => {
    expect(feed(2, []).filter(Boolean)).toEqual([{seq: 1, message: expect.stringMatching(/^is carried .*, but no ledger-converted event follows the carried events/)}])
  })

  it('a carried row after the block, or one not from event 0: found at that row', () => {
    const late = new CarriedBlock()
    late.row(0, carried(0), text(0))
    late.row(1, chained(1, {action: 'ledger-converted', carried: 1, envelopes: digestOf(1)}), 'x')
    expect(late.row(2, carried(2), text(2))).toEqual({seq: 2, message: expect.stringMatching(/^is stored as a carried event .* not among the first events/)})
    expect(new CarriedBlock().row(1, carried(1), text(1))?.seq).toBe(1)
  })

  it('a ledger-converted event with no carried rows before it: found', () => {
    expect(feed(0, [chained(0, {action: 'create-case'}), chained(1, {action: 'ledger-converted', carried: 0, envelopes: digestOf(0)})]).filter(Boolean)).toEqual([{seq: 1, message: 'is a ledger-converted event, but no carried events come before it'}])
  })
})
