/**
 * The events check (src/verify/archive/events.ts): the hash chain, leaf hashes and inclusion
 * proofs of the sealed events against the statement's tree head, and what it keeps for the checks
 * after it (keys, testimony events, the stated exhibits' ingest events).
 */
import {describe, expect, it} from 'vitest'
import {canonicalize, type JsonValue} from '../../../src/canonical/jcs.js'
import {chainHash} from '../../../src/ledger/event.js'
import {eventsCheck} from '../../../src/verify/archive/events.js'
import {editStatement, editText, runAfterEarlier, type Bag} from './reference-bag.js'

const EVENTS = 'data/custody/events.jsonl'
type Line = {event: {[key: string]: JsonValue}; hash: string; prev: string; seq: number}

/** Changes one line of events.jsonl (as JSON; written again as the sealer writes it). */
function editEvent(bag: Bag, seq: number, change: (line: Line) => void): void {
  editText(bag, EVENTS, (text) =>
    text
      .split('\n')
      .map((raw) => {
        if (raw === '') return raw
        const line = JSON.parse(raw) as Line
        if (line.seq !== seq) return raw
        change(line)
        // As custody lays a line out (canonical JSON): the forgery a careful forger makes.
        return canonicalize(line as unknown as JsonValue)
      })
      .join('\n'),
  )
}

describe('the events check', () => {
  it('passes the genuine events, each tied to the tree head, and keeps what later checks need', async () => {
    const seen: number[] = []
    const {result, context} = await runAfterEarlier(eventsCheck, undefined, {onEvent: (seq) => seen.push(seq)})
    const {size, root} = context.treeHead
    expect(result).toEqual({status: 'ok', detail: `${context.eventCount} events, each tied to the tree head ${root.slice(0, 16)}… of ${size} events`, problems: []})
    expect(context.eventCount).toBe((context.statement.events as {count: number}).count)
    expect(context.eventCount).toBeLessThanOrEqual(size)
    expect(seen).toHaveLength(context.eventCount)
    expect(context.keys).toEqual([expect.objectContaining({seq: 1, holder: 'Reference Investigator'})])
    expect(context.testimonyEvents.map((e) => e.action)).toContain('testimony')
  })

  it('names an event changed after sealing, with the hash of its content and the hash it states', async () => {
    let stated = ''
    let recomputed = ''
    const {result} = await runAfterEarlier(eventsCheck, (bag) =>
      editEvent(bag, 3, (line) => {
        line.event.actor = 'Someone Else'
        stated = line.hash
        recomputed = chainHash(line.prev, canonicalize(line.event))
      }),
    )
    expect(result.status).toBe('failed')
    expect(result.problems).toContainEqual({subject: 'event 3', message: 'its hash does not match its content: the event was changed', expected: recomputed, actual: stated})
    expect(result.problems).toContainEqual(expect.objectContaining({subject: 'event 3', message: 'its leaf hash does not match its content'}))
    expect(result.problems).toContainEqual(expect.objectContaining({subject: 'event 3', message: expect.stringContaining('its inclusion proof does not lead to the sealed tree head')}))
  })

  it('names an event custody does not write (a field it never writes), and keeps nothing of it for the checks after it', async () => {
    const {result, context} = await runAfterEarlier(eventsCheck, (bag) =>
      editEvent(bag, 1, (line) => {
        ;(line.event.payload as {[key: string]: JsonValue}).comment = 'trust this key'
      }),
    )
    expect(result.status).toBe('failed')
    expect(result.problems).toContainEqual({
      subject: 'event 1',
      message: 'it cannot be read as a custody event: payload.comment: expected only the fields algorithm, fingerprint, publicKey, holder, got a field custody does not write',
    })
    // The key it records is not taken: no signature can be checked against it.
    expect(context.keys).toEqual([])
  })

  it('names a line that is not canonical JSON: a name given twice reads as one event here and another to a reader that keeps the first', async () => {
    const {result} = await runAfterEarlier(eventsCheck, (bag) =>
      editText(bag, EVENTS, (text) =>
        text
          .split('\n')
          .map((raw) => (raw.includes('"seq":3}') ? raw.replace('"actor":', '"actor":"Someone Else","actor":') : raw))
          .join('\n'),
      ),
    )
    expect(result.status).toBe('failed')
    expect(result.problems).toContainEqual({subject: expect.stringMatching(/^event line \d+$/), message: expect.stringMatching(/^is not laid out as custody writes it \(canonical JSON, each name once\)/)})
  })

  it('names an events file that is not the one the statement names, and a line that is not an event', async () => {
    const {result} = await runAfterEarlier(eventsCheck, (bag) => {
      editText(bag, EVENTS, (text) => `${text}not json\n`)
      editStatement(bag, (s) => ((s.events as Record<string, unknown>).count = 2))
    })
    expect(result.problems).toContainEqual({subject: expect.stringMatching(/^event line \d+$/), message: expect.stringMatching(/^cannot be read: /)})
    expect(result.problems).toContainEqual({
      subject: EVENTS,
      message: 'is not the events file the seal statement names (an event was added, removed or changed)',
      expected: expect.stringMatching(/^2 events, sha256 [0-9a-f]{64}$/),
      actual: expect.stringMatching(/^\d+ events, sha256 [0-9a-f]{64}$/),
    })
  })

  it("names a stated exhibit whose ingest event is missing, and a first event of another case", async () => {
    const {result} = await runAfterEarlier(eventsCheck, (bag) =>
      editStatement(bag, (s) => {
        const exhibits = s.exhibits as Array<Record<string, unknown>>
        exhibits[0]!.exhibit = 'EX-000999'
        ;(s.case as Record<string, unknown>).id = 'another-case'
      }),
    )
    expect(result.problems).toContainEqual({subject: 'EX-000999', message: 'its ingest event is not in the archive'})
    expect(result.problems).toContainEqual({subject: 'event 0', message: 'the case of the first event is not the case of the seal', expected: 'another-case', actual: expect.any(String)})
  })
})
