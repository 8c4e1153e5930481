/**
 * A change of consent after the interview: scopes granted or withdrawn, how and when the witness
 * said so. It is one `consent-changed` event; what was recorded before is never rewritten, and
 * the current consent is always the fold of the whole history (testimonies.ts).
 */
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import {checkTime} from './record.js'
import {findTestimony, type TestimonyView} from './testimonies.js'
import {checkMethod, checkScope, type ConsentScope} from './vocabulary.js'

export interface ConsentChangeOptions {
  grant?: readonly string[]
  withdraw?: readonly string[]
  method?: string | undefined
  /** When the witness gave or withdrew it; default now. */
  at?: string | undefined
  note?: string | undefined
  actor?: string | undefined
}

export interface ConsentChangeReport {
  exhibit: string
  witness: string
  seq: number
  granted: ConsentScope[]
  withdrawn: ConsentScope[]
  before: ConsentScope[]
  current: ConsentScope[]
}

function checkScopes(values: readonly string[] | undefined, flag: string): ConsentScope[] {
  return [...new Set((values ?? []).map((v) => checkScope(v.trim(), flag)))].sort()
}

export async function changeConsent(kase: Case, ref: string, options: ConsentChangeOptions): Promise<ConsentChangeReport> {
  const granted = checkScopes(options.grant, '--grant')
  const withdrawn = checkScopes(options.withdraw, '--withdraw')
  if (granted.length === 0 && withdrawn.length === 0) throw new CustodyError('INVALID_ARGUMENT', 'say what changes: --grant SCOPE or --withdraw SCOPE (each may be repeated)')
  const both = granted.filter((s) => withdrawn.includes(s))
  if (both.length > 0) throw new CustodyError('INVALID_ARGUMENT', `${both.join(', ')} cannot be granted and withdrawn at once`)
  // Required with a grant; checked whenever given.
  const method = granted.length > 0 || options.method !== undefined ? checkMethod(options.method, '--method', granted.length > 0 ? 'the new consent' : 'the change') : undefined

  const at = options.at === undefined ? new Date().toISOString() : checkTime(options.at, '--at')
  await kase.assertIntactHead()
  const view: TestimonyView = findTestimony(kase, ref)
  const {events} = kase.ledger.append(() => ({
    drafts: [
      {
        actor: options.actor?.trim() || kase.info.investigator,
        action: 'consent-changed',
        exhibit: view.exhibit,
        payload: {witness: view.witness, granted, withdrawn, method: method ?? null, at, note: options.note?.trim() || null},
      },
    ],
    result: undefined,
  }))
  await kase.recordHead()
  const after = findTestimony(kase, view.exhibit)
  return {exhibit: view.exhibit, witness: view.witness, seq: events[0]!.event.seq, granted, withdrawn, before: view.consent.current, current: after.consent.current}
}
