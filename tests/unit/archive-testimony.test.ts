/**
 * The archive verifier's testimony check (src/verify/archive/testimony.ts) against events built
 * here, as a forger holding the case key could build them: consent recomputed by date, identifying
 * content kept out of advocacy seals. And the fold it shares with the case (testimonies.ts).
 */
import {describe, expect, it} from 'vitest'
import {parseEvent, type ContentCheckFormat, type CustodyEvent, type EventAction, type EventOf, type PayloadOf} from '../../src/formats/events.js'
import {foldTestimonies} from '../../src/testimony/testimonies.js'
import type {ConsentScope} from '../../src/testimony/vocabulary.js'
import {checkArchiveTestimony} from '../../src/verify/archive/testimony.js'

const SHA = 'a'.repeat(64)
const INTERVIEW = {startedAt: '2024-03-05T10:00+02:00', endedAt: null, place: 'Kyiv', interviewers: ['A. Investigator'], present: [], interpreter: null, languages: []}

/** An event of the testimony EX-000001, as custody writes it (parseEvent accepts it: the checks read nothing else). */
function event<A extends EventAction>(seq: number, action: A, payload: PayloadOf[A]): EventOf<A> {
  const made: EventOf<A> = {v: 1, seq, time: `2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`, actor: 'A. Investigator', action, exhibit: 'EX-000001', payload, prev: '0'.repeat(64)}
  const parsed = parseEvent(made)
  if ('problem' in parsed) throw new Error(`a test event custody would not read: ${parsed.problem}`)
  return made
}

function testimony(contentCheck: ContentCheckFormat | null): CustodyEvent {
  return event(1, 'testimony', {
    witness: 'W-001',
    interview: INTERVIEW,
    vulnerable: false,
    consent: {scopes: ['advocacy', 'court'], method: 'signed-form', givenAt: '2024-03-05T10:00+02:00'},
    identity: null,
    statement: {version: 1, exhibit: 'EX-000001', sha256: SHA},
    attachments: [],
    note: null,
    contentCheck,
  })
}

function change(seq: number, at: string, granted: ConsentScope[], withdrawn: ConsentScope[]): CustodyEvent {
  return event(seq, 'consent-changed', {witness: 'W-001', granted, withdrawn, method: granted.length ? 'oral-noted' : null, at, note: null})
}

const IDENTIFYING: ContentCheckFormat = {searchedFor: ['name'], statementText: {searched: true, reason: null}, identifying: ['statement']}
const CLEAN: ContentCheckFormat = {searchedFor: ['name'], statementText: {searched: true, reason: null}, identifying: []}

function statement(purpose: string, consent: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {purpose, testimonies: [{exhibit: 'EX-000001', witness: 'W-001', identityCommitment: null, versions: [{version: 1, exhibit: 'EX-000001', sha256: SHA}], attachments: [], consent, ...extra}]}
}

function check(s: Record<string, unknown>, events: CustodyEvent[]): string[] {
  return checkArchiveTestimony(s, events, () => SHA).problems.map((p) => p.message)
}

describe('the archive testimony check', () => {
  it('passes a court seal of an identifying testimony that says so, and an advocacy seal of a clean one', () => {
    expect(check(statement('court', ['advocacy', 'court'], {identifyingContent: ['statement']}), [testimony(IDENTIFYING)])).toEqual([])
    expect(check(statement('advocacy', ['advocacy', 'court'], {identifyingContent: []}), [testimony(CLEAN)])).toEqual([])
  })

  it('passes a testimony whose event records no content check (null: nothing was searched for), with no identifying content stated', () => {
    expect(check(statement('advocacy', ['advocacy', 'court']), [testimony(null)])).toEqual([])
  })

  it('refuses an advocacy seal holding a testimony its events mark as identifying, however the statement puts it', () => {
    for (const stated of [['statement'], [], undefined]) {
      const problems = check(statement('ADVOCACY', ['advocacy', 'court'], stated === undefined ? {} : {identifyingContent: stated}), [testimony(IDENTIFYING)])
      expect(problems).toContainEqual(expect.stringContaining('an advocacy seal must leave it out: the testimony of witness W-001 holds identifying content (statement)'))
    }
  })

  it('refuses a statement whose identifying content differs from the events, whatever the purpose', () => {
    expect(check(statement('court', ['advocacy', 'court'], {identifyingContent: []}), [testimony(IDENTIFYING)])).toEqual([expect.stringContaining("the identifying content stated differs from what the testimony's events record")])
    expect(check(statement('court', ['advocacy', 'court'], {identifyingContent: 'statement'}), [testimony(IDENTIFYING)])).toHaveLength(1)
  })

  it('recomputes consent by date: a grant entered after a later-dated withdrawal does not cover the seal', () => {
    const events = [testimony(CLEAN), change(2, '2024-06-01T10:00+03:00', [], ['advocacy']), change(3, '2024-05-01T10:00+03:00', ['advocacy'], [])]
    // What a fold in recording order would give, and custody before this change sealed.
    const problems = check(statement('advocacy', ['advocacy', 'court'], {identifyingContent: []}), events)
    expect(problems).toContainEqual(expect.stringContaining("the consent stated differs from the consent recomputed from the testimony's events"))
    expect(problems).toContainEqual(expect.stringContaining('does not cover the seal\'s purpose "advocacy"'))
    expect(check(statement('court', ['court'], {identifyingContent: []}), events)).toEqual([])
  })

  it('refuses a consent change whose date cannot be read', () => {
    // Written as a time is (parseEvent reads its form), but no day of the calendar.
    const problems = check(statement('court', ['advocacy', 'court'], {identifyingContent: []}), [testimony(CLEAN), change(2, '2024-13-45T10:00+02:00', [], ['international'])])
    expect(problems).toEqual([expect.stringContaining('has no readable date')])
    // A date not even written as a time is no custody event: the events check refuses it before.
    expect(parseEvent({...change(2, '2024-06-01T10:00+03:00', [], ['international']), payload: {witness: 'W-001', granted: [], withdrawn: ['international'], method: null, at: 'last Tuesday', note: null}})).toEqual({
      problem: expect.stringContaining('payload.at: expected an ISO 8601 time with its zone'),
    })
  })
})

describe('the consent fold', () => {
  it('applies changes by the instant they were dated, across time zones, and ties in recording order', () => {
    const views = foldTestimonies(
      [
        testimony(null),
        // 07:00Z, recorded first
        change(2, '2024-06-01T10:00+03:00', [], ['court']),
        // 06:30Z: before the withdrawal, though recorded after it
        change(3, '2024-06-01T06:30Z', ['court'], []),
        // the same instant as #2, recorded later: applies after it
        change(4, '2024-06-01T07:00:00.000Z', ['court'], []),
      ].map((e) => ({event: e})),
    )
    const view = views.get('EX-000001')!
    expect(view.consent.changes.map((c) => c.seq)).toEqual([3, 2, 4])
    expect(view.consent.current).toEqual(['advocacy', 'court'])
    const withoutLast = foldTestimonies([testimony(null), change(2, '2024-06-01T10:00+03:00', [], ['court']), change(3, '2024-06-01T06:30Z', ['court'], [])].map((e) => ({event: e})))
    expect(withoutLast.get('EX-000001')!.consent.current).toEqual(['advocacy'])
  })

  it('gathers identifying content over every version; a hostile check never reaches it (parseEvent refuses it)', () => {
    const hostile = {...testimony(null), payload: {...testimony(null).payload, contentCheck: {searchedFor: ['name', 'shoe size'], statementText: 'yes', identifying: ['statement', 7]}}}
    expect(parseEvent(hostile)).toEqual({problem: 'payload.contentCheck.searchedFor[1]: expected one of "name", "contact", got "shoe size"'})
    const views = foldTestimonies(
      [
        testimony({searchedFor: ['name'], statementText: {searched: false, reason: null}, identifying: ['statement']}),
        event(2, 'testimony-amended', {witness: 'W-001', version: 2, statement: {exhibit: 'EX-000002', sha256: SHA}, previous: {version: 1, exhibit: 'EX-000001', sha256: SHA}, reason: 'r', contentCheck: {searchedFor: ['name'], statementText: {searched: false, reason: 'application/pdf is not plain text'}, identifying: ['statement version 2 metadata (PDF:Author)']}}),
      ].map((e) => ({event: e})),
    )
    const view = views.get('EX-000001')!
    expect(view.identifyingContent).toEqual(['statement', 'statement version 2 metadata (PDF:Author)'])
    expect(view.contentChecks[0]!.check).toEqual({searchedFor: ['name'], statementText: {searched: false, reason: null}, identifying: ['statement']})
  })
})
