/**
 * The testimony check (src/verify/archive/testimony.ts) and the earlier-seals check
 * (earlier-seals.ts) as checks of a bag: over the context the events and statement checks leave.
 * Their comparisons are tested case by case in tests/unit/archive-testimony.test.ts and
 * tests/unit/earlier-seals.test.ts.
 */
import {describe, expect, it} from 'vitest'
import {earlierSealsCheck} from '../../../src/verify/archive/earlier-seals.js'
import {testimonyCheck} from '../../../src/verify/archive/testimony.js'
import {editStatement, runAfterEarlier} from './reference-bag.js'

type Testimony = Record<string, unknown>
const testimonies = (s: Record<string, unknown>): Testimony[] => s.testimonies as Testimony[]

describe('the testimony check', () => {
  it("passes a testimony that agrees with its events, and whose consent covers the seal's purpose", async () => {
    const {result} = await runAfterEarlier(testimonyCheck)
    expect(result).toEqual({status: 'ok', detail: '1 testimony: versions, attachments, commitment, identifying content and consent (covering "court") agree with their events', problems: []})
  })

  it('names a consent stated other than its events give, with both', async () => {
    const {result} = await runAfterEarlier(testimonyCheck, (bag) => editStatement(bag, (s) => (testimonies(s)[0]!.consent = ['court', 'international'])))
    expect(result.status).toBe('failed')
    expect(result.problems).toEqual([
      {check: 'testimony', subject: expect.stringMatching(/^EX-\d+ \(testimony of W-001\)$/), message: "the consent stated differs from the consent recomputed from the testimony's events", expected: expect.any(String), actual: 'court, international'},
    ])
  })

  it('names a testimony in the events that the statement does not account for', async () => {
    const {result} = await runAfterEarlier(testimonyCheck, (bag) => editStatement(bag, (s) => (s.testimonies = [])))
    expect(result.problems).toEqual([expect.objectContaining({message: 'the archive holds the testimony of W-001, but the seal statement does not account for it'})])
  })
})

describe('the earlier-seals check', () => {
  it('passes a bag sealed with no seal before it, and gives --against an empty list', async () => {
    const {result, context} = await runAfterEarlier(earlierSealsCheck)
    expect(result).toEqual({status: 'ok', detail: 'none: the ledger had recorded no seal before this one', problems: []})
    expect(context.earlierSeals).toEqual([])
  })

  it('refuses earlier-seals.jsonl in a bag whose statement does not name it', async () => {
    const {result, context} = await runAfterEarlier(earlierSealsCheck, (bag) => bag.files.set('data/custody/earlier-seals.jsonl', Buffer.from('{}\n')))
    expect(result.status).toBe('failed')
    expect(result.problems).toEqual([{check: 'earlier seals', subject: 'data/custody/earlier-seals.jsonl', message: 'is in the bag, but the seal statement does not name it'}])
    expect(context.earlierSeals).toBeNull()
  })

  it('names a statement that lists earlier seals the bag does not hold', async () => {
    const {result} = await runAfterEarlier(earlierSealsCheck, (bag) => editStatement(bag, (s) => (s.earlierSeals = {path: 'data/custody/earlier-seals.jsonl', count: 1, sha256: '0'.repeat(64)})))
    expect(result).toMatchObject({status: 'failed', detail: 'earlier seals missing'})
    expect(result.problems).toEqual([{check: 'earlier seals', subject: 'data/custody/earlier-seals.jsonl', message: 'is missing from the bag'}])
  })
})
