/**
 * A change of consent after the interview: scopes granted or withdrawn, how and when the witness
 * said so. It is one `consent-changed` event; what was recorded before is never rewritten, and
 * the current consent is always the fold of the whole history (testimonies.ts), in the order of
 * the dates the witness gave: a change entered late takes its place by its date.
 *
 * So the date is checked: not more than a few minutes ahead of this computer's clock (a change
 * dated next year would decide the consent until then), and not before the interview started.
 * The note is recorded in clear, so it must not hold the witness's name or contact.
 */
import type {Case} from '../case/case.js'
import {CustodyError, given, said, type Field} from '../errors.js'
import {FOLLOW_UP} from './fields.js'
import {refuseIdentifying} from './identifying.js'
import {checkNotFuture, checkTime} from './record.js'
import {byEffect, findTestimony, type TestimonyView} from './testimonies.js'
import {identifyingSearchOf} from './view-identity.js'
import {checkMethod, checkScope, type ConsentMethod, type ConsentScope} from './vocabulary.js'

export interface ConsentChangeOptions {
  grant?: readonly string[]
  withdraw?: readonly string[]
  method?: string | undefined
  /** When the witness gave or withdrew it; default now. */
  at?: string | undefined
  note?: string | undefined
  actor?: string | undefined
  /** Opens the witness's identity to check the note against it; needed when there is a note. */
  passphrase?: string | undefined
  /** This computer's clock (tests give their own). */
  now?: Date
}



export interface ConsentChangeReport {
  exhibit: string
  witness: string
  seq: number
  granted: ConsentScope[]
  withdrawn: ConsentScope[]
  before: ConsentScope[]
  current: ConsentScope[]
  /** Scopes of this change that a change dated later decides instead (this one was entered late). */
  overridden: Array<{scope: ConsentScope; seq: number; at: string}>
}

function checkScopes(values: readonly string[] | undefined, field: Field): ConsentScope[] {
  return [...new Set((values ?? []).map((v) => checkScope(v.trim(), field)))].sort()
}

/** A change of consent as checkConsentChange() checked it: what changeConsent() records. */
export interface CheckedConsentChange {
  view: TestimonyView
  granted: ConsentScope[]
  withdrawn: ConsentScope[]
  method: ConsentMethod | undefined
  at: string
}

/**
 * Everything about a change of consent that can be refused without the key: the scopes, the
 * method, the time, and the testimony (which must exist, and have started before the change).
 * The command runs it before it asks for the passphrase.
 */
export function checkConsentChange(kase: Case, ref: string, options: ConsentChangeOptions): CheckedConsentChange {
  const granted = checkScopes(options.grant, FOLLOW_UP.grant)
  const withdrawn = checkScopes(options.withdraw, FOLLOW_UP.withdraw)
  if (granted.length === 0 && withdrawn.length === 0) {
    throw new CustodyError('INVALID_ARGUMENT', said`say what changes: ${given(FOLLOW_UP.grant)} or ${given(FOLLOW_UP.withdraw)} (each may be repeated)`)
  }

  const both = granted.filter((s) => withdrawn.includes(s))
  if (both.length > 0) throw new CustodyError('INVALID_ARGUMENT', `${both.join(', ')} cannot be granted and withdrawn at once`)
  // Required with a grant; checked whenever given.
  const method = granted.length > 0 || options.method !== undefined ? checkMethod(options.method, FOLLOW_UP.method, granted.length > 0 ? 'the new consent' : 'the change') : undefined

  const now = options.now ?? new Date()
  const at = options.at === undefined ? now.toISOString() : checkNotFuture(checkTime(options.at, FOLLOW_UP.at), FOLLOW_UP.at, now)
  const view: TestimonyView = findTestimony(kase, ref)
  if (Date.parse(at) < Date.parse(view.interview.startedAt)) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      said`${FOLLOW_UP.at} ${at} is before the interview started (${view.interview.startedAt}); the consent given then is the first the testimony records. Nothing was recorded`,
    )
  }

  return {view, granted, withdrawn, method, at}
}

export async function changeConsent(kase: Case, ref: string, options: ConsentChangeOptions): Promise<ConsentChangeReport> {
  await kase.assertIntactHead()
  const {view, granted, withdrawn, method, at} = checkConsentChange(kase, ref, options)
  const note = options.note?.trim() || null
  const actor = options.actor?.trim() || null
  // The note and the actor are recorded in clear, and sealed into archives: neither may name the witness.
  if (note !== null || actor !== null) {
    const search = await identifyingSearchOf(kase, view, options.passphrase)
    refuseIdentifying(search, FOLLOW_UP.note, note)
    refuseIdentifying(search, FOLLOW_UP.actor, actor)
  }
  const {events} = kase.ledger.append(() => ({
    drafts: [
      {
        actor: actor ?? kase.info.investigator,
        action: 'consent-changed',
        exhibit: view.exhibit,
        payload: {witness: view.witness, granted, withdrawn, method: method ?? null, at, note},
      },
    ],
    result: undefined,
  }))
  await kase.recordHead()
  const seq = events[0]!.event.seq
  const after = findTestimony(kase, view.exhibit)
  const overridden = [...granted, ...withdrawn].flatMap((scope) => {
    const deciding = after.consent.changes.filter((c) => c.granted.includes(scope) || c.withdrawn.includes(scope)).sort(byEffect).at(-1)
    return deciding === undefined || deciding.seq === seq ? [] : [{scope, seq: deciding.seq, at: deciding.at}]
  })
  return {exhibit: view.exhibit, witness: view.witness, seq, granted, withdrawn, before: view.consent.current, current: after.consent.current, overridden}
}
