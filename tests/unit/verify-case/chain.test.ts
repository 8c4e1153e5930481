import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {canonicalize} from '../../../src/canonical/jcs.js'
import {chainHash} from '../../../src/ledger/event.js'
import {chainCheck} from '../../../src/verify/case/chain.js'
import {tempDir} from '../../helpers/cli.js'
import {ingestDraft, sealDraft, sealedExhibitsDraft, sealIdOf} from '../../helpers/drafts.js'
import {appendEvent, copyOf, makeSmallCase, openContext, rows, runCheck, tamper, type SmallCase} from './small-case.js'

let original: SmallCase & {remove: () => void}
const work = tempDir('custody-chain-')

beforeAll(async () => {
  original = await makeSmallCase()
})

afterAll(() => {
  original.remove()
  work.remove()
})

const quoted = (text: string): string => text.replaceAll("'", "''")

describe('the event chain check', () => {
  it('passes an intact chain, and leaves the keys, leaves, last hash and exhibit claims for the later checks', async () => {
    using context = openContext(original)
    const result = await chainCheck.run(context)
    const stored = rows(original.db)
    expect(result).toEqual({status: 'ok', detail: `${stored.length} events, every hash and link intact`, problems: []})
    expect(context.chain.leaves.length).toBe(stored.length)
    expect(context.chain.lastHash).toBe(stored.at(-1)!.hash)
    expect(context.chain.hashAt(1)).toBe(stored[1]!.hash)
    expect(context.chain.keys.map((k) => k.seq)).toEqual([1])
    expect(context.claims.size).toBe(1)
    expect([...context.claims.all()].map((c) => c.exhibit)).toEqual(['EX-000001'])
  })

  it('names an edited event with the hash its content has and the hash stored', async () => {
    const c = copyOf(original, work)
    const row = rows(c.db)[1]!
    const edited = row.event.replace('"actor":"A. Investigator"', '"actor":"B. Investigator"')
    expect(edited).not.toBe(row.event)
    tamper(c.db, `UPDATE events SET event = '${quoted(edited)}' WHERE seq = 1`)
    const result = await runCheck(c, chainCheck)
    expect(result.status).toBe('failed')
    expect(result.detail).toBe(`${rows(c.db).length} events`)
    expect(result.problems).toContainEqual({
      check: 'chain',
      subject: 'event 1',
      message: 'its stored hash does not match its content: the event was edited',
      expected: chainHash(row.prev_hash, edited),
      actual: row.hash,
    })
  })

  it('names a removed event: the gap in the numbers and the broken link', async () => {
    const c = copyOf(original, work)
    const before = rows(c.db)
    tamper(c.db, 'DELETE FROM events WHERE seq = 1')
    const result = await runCheck(c, chainCheck)
    expect(result.problems).toEqual([
      {check: 'chain', subject: 'event 2', message: 'events 1..1 are missing: the sequence jumps from 0 to 2', expected: '1', actual: '2'},
      {
        check: 'chain',
        subject: 'event 2',
        message: "it does not chain to event 1: its previous hash is not that event's hash (an event before it was edited, removed or inserted)",
        expected: before[0]!.hash,
        actual: before[1]!.hash,
      },
    ])
  })

  it('names an event that is not canonical JSON, even with its hash recomputed', async () => {
    const c = copyOf(original, work)
    const row = rows(c.db).at(-1)!
    const spaced = JSON.stringify(JSON.parse(row.event), null, 1)
    tamper(c.db, `UPDATE events SET event = '${quoted(spaced)}', hash = '${chainHash(row.prev_hash, spaced)}' WHERE seq = ${row.seq}`)
    const result = await runCheck(c, chainCheck)
    expect(result.problems).toEqual([{check: 'event', subject: `event ${row.seq}`, message: 'its stored JSON is not in canonical form: it was written by something other than custody'}])
  })

  it('names an ingest that skips an exhibit number, with the ID it should have given', async () => {
    const c = copyOf(original, work)
    const seq = appendEvent(c.db, ingestDraft('EX-000003', 'ab'.repeat(32)))
    const result = await runCheck(c, chainCheck)
    expect(result.problems).toEqual([
      {check: 'event', subject: `event ${seq}`, message: 'exhibit IDs are not sequential: this ingest should have created EX-000002', expected: 'EX-000002', actual: 'EX-000003'},
    ])
  })

  it('names an ingest event whose digests cannot be read, and a malformed key event: events custody does not write', async () => {
    const c = copyOf(original, work)
    const good = ingestDraft('EX-000002', 'ab'.repeat(32))
    const ingest = appendEvent(c.db, {...good, payload: {...good.payload, digests: {...good.payload.digests, sha256: 'not hex'}}})
    const key = appendEvent(c.db, {action: 'key-rotated', exhibit: null, payload: {algorithm: 'RSA'}})
    const result = await runCheck(c, chainCheck)
    expect(result.problems).toEqual([
      {check: 'event', subject: `event ${ingest}`, message: 'it cannot be read as a custody event: payload.digests.sha256: expected 64 lower-case hex, got "not hex"'},
      {check: 'event', subject: `event ${key}`, message: 'it cannot be read as a custody event: payload.algorithm: expected "Ed25519", got "RSA"'},
    ])
    // The ingest that cannot be read still took its number: the next one is checked against EX-000003.
    const next = appendEvent(c.db, ingestDraft('EX-000003', 'cd'.repeat(32)))
    expect((await runCheck(c, chainCheck)).problems).not.toContainEqual(expect.objectContaining({subject: `event ${next}`}))
  })

  it('names a stored event with a field custody never writes, even with its hash recomputed, and the later checks pass over it', async () => {
    const c = copyOf(original, work)
    const row = rows(c.db).at(-1)!
    const event = JSON.parse(row.event) as {payload: Record<string, unknown>}
    // A name where no reader would look: what the format refuses unknown fields for.
    const hidden = canonicalize({...event, payload: {...event.payload, witnessName: 'Olena K.'}})
    tamper(c.db, `UPDATE events SET event = '${quoted(hidden)}', hash = '${chainHash(row.prev_hash, hidden)}' WHERE seq = ${row.seq}`)
    using context = openContext(c)
    const result = await chainCheck.run(context)
    expect(result.problems).toEqual([
      {
        check: 'event',
        subject: `event ${row.seq}`,
        message: expect.stringMatching(/^it cannot be read as a custody event: payload\.witnessName: expected only the fields file, digests, .*, got a field custody does not write$/),
      },
    ])
    // The checks after it read the events through the ledger, which now passes over this one instead of refusing the case.
    expect(context.kase.ledger.ingestEvent('EX-000001')).toBeUndefined()
    expect([...context.kase.ledger.eachEvent()].map((e) => e.event.seq)).toEqual([0, 1])
  })

  it('names a seal whose exhibit lists hold fewer exhibits than it says it took', async () => {
    const c = copyOf(original, work)
    const sealId = sealIdOf('7')
    const seal = appendEvent(c.db, sealDraft(sealId, 2))
    appendEvent(c.db, sealedExhibitsDraft(sealId, 1, ['EX-000001']))
    const result = await runCheck(c, chainCheck)
    expect(result.problems).toEqual([{check: 'event', subject: `event ${seal}`, message: `seal ${sealId} says it took 2 exhibits, but the events after it list 1`, expected: '2', actual: '1'}])
  })

  it('names an event moved to another number', async () => {
    const c = copyOf(original, work)
    const last = rows(c.db).at(-1)!
    const event = JSON.parse(last.event) as {seq: number}
    const moved = canonicalize({...event, seq: event.seq + 5})
    tamper(c.db, `UPDATE events SET event = '${quoted(moved)}', hash = '${chainHash(last.prev_hash, moved)}' WHERE seq = ${last.seq}`)
    const result = await runCheck(c, chainCheck)
    expect(result.problems).toEqual([
      {check: 'chain', subject: `event ${last.seq}`, message: `the event inside says it is event ${last.seq + 5}: it was moved`, expected: String(last.seq), actual: String(last.seq + 5)},
    ])
  })
})
