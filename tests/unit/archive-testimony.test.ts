/**
 * The archive verifier's testimony check (src/verify/archive/testimony.ts) against events built
 * here, as a forger holding the case key could build them: consent recomputed by date, identifying
 * content kept out of advocacy seals. And the fold it shares with the case (testimonies.ts).
 */
import {describe, expect, it} from 'vitest'
import type {JsonValue} from '../../src/canonical/jcs.js'
import type {EventAction, LedgerEvent} from '../../src/ledger/event.js'
import {foldTestimonies} from '../../src/testimony/testimonies.js'
import {checkArchiveTestimony} from '../../src/verify/archive/testimony.js'

const SHA = 'a'.repeat(64)
const INTERVIEW = {startedAt: '2024-03-05T10:00+02:00', endedAt: null, place: 'Kyiv', interviewers: ['A. Investigator'], present: [], interpreter: null, languages: []}

function event(seq: number, action: EventAction, payload: {[key: string]: JsonValue}): LedgerEvent {
  return {v: 1, seq, time: `2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`, actor: 'A. Investigator', action, exhibit: 'EX-000001', payload, prev: '0'.repeat(64)}
}

function testimony(contentCheck: JsonValue | undefined): LedgerEvent {
  return event(1, 'testimony', {
    witness: 'W-001',
    interview: INTERVIEW,
    vulnerable: false,
    consent: {scopes: ['advocacy', 'court'], method: 'signed-form', givenAt: '2024-03-05T10:00+02:00'},
    identity: null,
    statement: {version: 1, exhibit: 'EX-000001', sha256: SHA},
    attachments: [],
    note: null,
    ...(contentCheck === undefined ? {} : {contentCheck}),
  })
}

function change(seq: number, at: string, granted: string[], withdrawn: string[]): LedgerEvent {
  return event(seq, 'consent-changed', {witness: 'W-001', granted, withdrawn, method: granted.length ? 'oral-noted' : null, at, note: null})
}

const IDENTIFYING = {searchedFor: ['name'], statementText: {searched: true, reason: null}, identifying: ['statement']}
const CLEAN = {searchedFor: ['name'], statementText: {searched: true, reason: null}, identifying: []}

function statement(purpose: string, consent: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {purpose, testimonies: [{exhibit: 'EX-000001', witness: 'W-001', identityCommitment: null, versions: [{version: 1, exhibit: 'EX-000001', sha256: SHA}], attachments: [], consent, ...extra}]}
}

function check(s: Record<string, unknown>, events: LedgerEvent[]): string[] {
  return checkArchiveTestimony(s, events, () => SHA).problems.map((p) => p.message)
}

describe('the archive testimony check', () => {
  it('passes a court seal of an identifying testimony that says so, and an advocacy seal of a clean one', () => {
    expect(check(statement('court', ['advocacy', 'court'], {identifyingContent: ['statement']}), [testimony(IDENTIFYING)])).toEqual([])
    expect(check(statement('advocacy', ['advocacy', 'court'], {identifyingContent: []}), [testimony(CLEAN)])).toEqual([])
  })

  it('passes an archive from before identifying content was recorded (no field, no check)', () => {
    expect(check(statement('advocacy', ['advocacy', 'court']), [testimony(undefined)])).toEqual([])
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
    const problems = check(statement('court', ['advocacy', 'court'], {identifyingContent: []}), [testimony(CLEAN), change(2, 'last Tuesday', [], ['international'])])
    expect(problems).toEqual([expect.stringContaining('has no readable date')])
  })
})

describe('the consent fold', () => {
  it('applies changes by the instant they were dated, across time zones, and ties in recording order', () => {
    const views = foldTestimonies(
      [
        testimony(undefined),
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
    const withoutLast = foldTestimonies([testimony(undefined), change(2, '2024-06-01T10:00+03:00', [], ['court']), change(3, '2024-06-01T06:30Z', ['court'], [])].map((e) => ({event: e})))
    expect(withoutLast.get('EX-000001')!.consent.current).toEqual(['advocacy'])
  })

  it('gathers identifying content over every version, and reads a hostile check as data', () => {
    const views = foldTestimonies(
      [
        testimony({searchedFor: ['name', 'shoe size'], statementText: 'yes', identifying: ['statement', 7]}),
        event(2, 'testimony-amended', {witness: 'W-001', version: 2, statement: {exhibit: 'EX-000002', sha256: SHA}, previous: {version: 1, exhibit: 'EX-000001', sha256: SHA}, reason: 'r', contentCheck: {searchedFor: ['name'], statementText: {searched: false, reason: 'application/pdf is not plain text'}, identifying: ['statement version 2 metadata (PDF:Author)']}}),
      ].map((e) => ({event: e})),
    )
    const view = views.get('EX-000001')!
    expect(view.identifyingContent).toEqual(['statement', 'statement version 2 metadata (PDF:Author)'])
    expect(view.contentChecks[0]!.check).toEqual({searchedFor: ['name'], statementText: {searched: false, reason: null}, identifying: ['statement']})
  })
})
