import {copyFileSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import {canonicalize} from '../../src/canonical/jcs.js'
import {EVENT_ACTIONS, MAX_EVENT_BYTES, MAX_SEALED_EXHIBITS_PER_EVENT, parseEvent, parseEventText, type CustodyEvent, type CustodyEventDraft} from '../../src/formats/events.js'

interface Vector {
  desc: string
  event: unknown
  wantErr?: string
}

const vectors = (JSON.parse(readFileSync(new URL('../vectors/events.json', import.meta.url), 'utf8')) as {events: Vector[]}).events
const valid = vectors.filter((v) => v.wantErr === undefined)
const refused = vectors.filter((v): v is Vector & {wantErr: string} => v.wantErr !== undefined)
const actionOf = (v: Vector): string => String((v.event as {action?: unknown} | null)?.action)

describe('event vectors (tests/vectors/events.json)', () => {
  it.each(valid.map((v) => [v.desc, v] as const))('accepts %s', (_desc, v) => {
    const parsed = parseEvent(v.event)
    expect(parsed).toEqual({event: v.event})
  })

  it.each(refused.map((v) => [v.desc, v] as const))('refuses %s', (_desc, v) => {
    expect(parseEvent(v.event)).toEqual({problem: v.wantErr})
  })

  it('hold a real event and a refused variant of every action', () => {
    for (const action of EVENT_ACTIONS) {
      expect(valid.some((v) => actionOf(v) === action), `a valid ${action} event`).toBe(true)
      expect(refused.some((v) => actionOf(v) === action && v.wantErr.startsWith('payload')), `a refused ${action} payload`).toBe(true)
    }
  })
})

describe('the reference case (fixtures/reference-case)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'custody-events-'))
  afterAll(() => rmSync(folder, {recursive: true, force: true}))

  it('every event of its ledger parses, as stored', () => {
    // A copy: the fixture is frozen, and SQLite may touch a file it opens, even read-only.
    const copy = join(folder, 'ledger.sqlite')
    copyFileSync(new URL('../../fixtures/reference-case/case/.custody/ledger.sqlite', import.meta.url), copy)
    const db = new Database(copy, {readonly: true})
    const rows = db.prepare('SELECT seq, event FROM events ORDER BY seq').all() as Array<{seq: number; event: string}>
    db.close()
    expect(rows.length).toBeGreaterThan(20)
    for (const row of rows) {
      const parsed = parseEventText(row.event)
      expect(parsed, `event ${row.seq}`).not.toHaveProperty('problem')
      if ('event' in parsed) {
        expect(parsed.event.seq).toBe(row.seq)
        // The stored text is the canonical JSON of the event (src/ledger/event.ts): nothing was lost.
        expect(canonicalize(parsed.event)).toBe(row.event)
      }
    }
  })
})

describe('parseEventText', () => {
  const event = valid[0]!.event

  it('reads the JSON text of an event', () => {
    expect(parseEventText(JSON.stringify(event))).toEqual({event})
  })

  it('refuses text that is not JSON', () => {
    const parsed = parseEventText('{"v":1,')
    expect('problem' in parsed && parsed.problem.startsWith('event: expected JSON, got text that is not (')).toBe(true)
  })

  it('refuses an event over MAX_EVENT_BYTES before parsing it', () => {
    const long = JSON.stringify({...(event as object), actor: 'a'.repeat(MAX_EVENT_BYTES)})
    expect(parseEventText(long)).toEqual({problem: `event: expected at most ${MAX_EVENT_BYTES} bytes of JSON, got ${Buffer.byteLength(long)}`})
  })

  it('counts bytes, not characters: multi-byte text over the bound is refused', () => {
    const long = JSON.stringify({...(event as object), actor: 'é'.repeat(MAX_EVENT_BYTES / 2)})
    expect(long.length).toBeLessThan(MAX_EVENT_BYTES)
    expect(parseEventText(long)).toEqual({problem: `event: expected at most ${MAX_EVENT_BYTES} bytes of JSON, got ${Buffer.byteLength(long)}`})
  })
})

describe('hostile input', () => {
  it('quotes at most 60 characters of a long bad value', () => {
    const parsed = parseEvent({...(valid[0]!.event as object), prev: 'x'.repeat(100_000)})
    expect(parsed).toEqual({problem: `prev: expected 64 lower-case hex, got "${'x'.repeat(60)}…" (100000 characters)`})
  })

  it('refuses a __proto__ key as a field custody does not write', () => {
    const event = JSON.parse(JSON.stringify(valid[0]!.event).replace('"payload":{', '"payload":{"__proto__":{"x":1},')) as unknown
    const parsed = parseEvent(event)
    expect('problem' in parsed && parsed.problem.startsWith('payload.__proto__: expected only the fields')).toBe(true)
  })

  it('never throws, whatever JSON it is given', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed = parseEvent(value)
        expect('problem' in parsed || 'event' in parsed).toBe(true)
      }),
      {numRuns: 300},
    )
  })

  it('never throws on a real event with one field replaced by any JSON value', () => {
    const paths = valid.flatMap((v) => leafPaths(v.event).map((path) => ({event: v.event, path})))
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue({maxDepth: 2}), ({event, path}, value) => {
        const parsed = parseEvent(replaced(event, path, value))
        expect('problem' in parsed || 'event' in parsed).toBe(true)
      }),
      {numRuns: 500},
    )
  })
})

describe('properties', () => {
  it('a valid event survives a canonical JSON round trip unchanged', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), (v) => {
        const canonical = canonicalize(v.event)
        const parsed = parseEventText(canonical)
        expect(parsed).toEqual({event: v.event})
        expect(canonicalize((parsed as {event: CustodyEvent}).event)).toBe(canonical)
      }),
    )
  })

  it('sealed-exhibits takes lists of 1 to 1,000 exhibits, and no longer', () => {
    const base = valid.find((v) => actionOf(v) === 'sealed-exhibits')!.event as {payload: object}
    fc.assert(
      fc.property(fc.integer({min: 1, max: MAX_SEALED_EXHIBITS_PER_EVENT + 5}), (n) => {
        const exhibits = Array.from({length: n}, (_, i) => `EX-${String(i + 1).padStart(6, '0')}`)
        const parsed = parseEvent({...base, payload: {...base.payload, first: 1, exhibits}})
        expect('event' in parsed).toBe(n <= MAX_SEALED_EXHIBITS_PER_EVENT)
      }),
      {numRuns: 50},
    )
  })
})

describe('types', () => {
  it('narrow the payload by action, and check a writer\'s draft against the format', () => {
    const parsed = parseEvent(valid.find((v) => actionOf(v) === 'seal')!.event)
    if (!('event' in parsed) || parsed.event.action !== 'seal') throw new Error('the seal vector does not parse')
    // No cast: the payload of a seal event is a SealPayload.
    expect(parsed.event.payload.archive.sha256).toMatch(/^[0-9a-f]{64}$/)
    const draft: CustodyEventDraft = {actor: 'A', action: 'identity-viewed', exhibit: 'EX-000001', payload: {witness: 'W-001', reason: null, disclosed: null}}
    // @ts-expect-error a sealed-exhibits payload has no `count`: a writer that drifts from the format does not compile
    const drifted: CustodyEventDraft = {actor: 'A', action: 'sealed-exhibits', exhibit: null, payload: {sealId: 'SEAL-0000000000000000', first: 1, exhibits: [], count: 0}}
    expect(parseEvent({v: 1, seq: 5, time: '2026-12-03T22:24:37.521Z', prev: '0'.repeat(64), ...draft})).toHaveProperty('event')
    expect(parseEvent({v: 1, seq: 5, time: '2026-12-03T22:24:37.521Z', prev: '0'.repeat(64), ...drifted})).toEqual({problem: 'payload.count: expected only the fields sealId, first, exhibits, got a field custody does not write'})
  })
})

/** The paths of every value inside `value`, as lists of keys. */
function leafPaths(value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return [path, ...value.slice(0, 3).flatMap((v, i) => leafPaths(v, [...path, i]))]
  if (typeof value === 'object' && value !== null) return [path, ...Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]))]
  return [path]
}

function replaced(value: unknown, path: ReadonlyArray<string | number>, by: unknown): unknown {
  if (path.length === 0) return by
  const [head, ...rest] = path
  const copy = (Array.isArray(value) ? [...value] : {...(value as object)}) as Record<string | number, unknown>
  copy[head!] = replaced(copy[head!], rest, by)
  return copy
}
