/**
 * A change of consent after the interview: scopes granted or withdrawn, how and when the witness
 * said so. It is one `consent-changed` event; what was recorded before is never rewritten, and
 * the current consent is always the fold of the whole history (testimonies.ts), in the order of
 * the dates the witness gave: a change entered late takes its place by its date.
 *
 * So the date is checked: not more than a few minutes ahead of this computer's clock (a change
 * dated next year would decide the consent until then), and not before the interview started.
 * The note is recorded in clear, so it must not hold the witness's name or contact.
 *
 * A field case (a sealed ledger whose laptop holds no key to its events) cannot read the testimony
 * it changes: a witness who withdraws consent there must still have it recorded at once (the
 * witness's safety first), so the change is found by its witness code's keyed tag, recorded as
 * given, and read by HQ, whose identity opens it and applies it in the history like any other
 * (recordUnread). What needs the testimony is not done there: no note or actor (checking them
 * needs the witness's protected details), no check against the interview's start, and no consent
 * before and after in the report.
 */
import type {AgeIdentity} from '../age/x25519.js'
import type {Case} from '../case/case.js'
import {caseKeyMode} from '../keys/case-keys.js'
import {CustodyError, given, said, type Field} from '../errors.js'
import {FOLLOW_UP} from './fields.js'
import {refuseIdentifying} from './identifying.js'
import {checkNotFuture, checkTime} from './record.js'
import {WITNESS_CODE} from '../formats/events.js'
import {parseExhibitId} from '../formats/ids.js'
import {byEffect, findTestimony, type TestimonyView} from './testimonies.js'
import {identityKeyUnlock} from './identity.js'
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
  /**
   * Recipients' identities (HQ's), which open it instead: in a field case, with them (which must
   * have opened the case's events), a note and an actor are checked and recorded as anywhere.
   */
  identities?: readonly AgeIdentity[] | undefined
  /** This computer's clock (tests give their own). */
  now?: Date
}



export interface ConsentChangeReport {
  exhibit: string
  witness: string
  seq: number
  granted: ConsentScope[]
  withdrawn: ConsentScope[]
  /** The consent before this change and after it: null in a field case, whose laptop cannot read the testimony. */
  before: ConsentScope[] | null
  current: ConsentScope[] | null
  /** Scopes of this change that a change dated later decides instead (this one was entered late); none known in a field case. */
  overridden: Array<{scope: ConsentScope; seq: number; at: string}>
  /** Whether the change was recorded without reading the testimony (a field case): HQ's identity applies it. */
  unread: boolean
}

function checkScopes(values: readonly string[] | undefined, field: Field): ConsentScope[] {
  return [...new Set((values ?? []).map((v) => checkScope(v.trim(), field)))].sort()
}

/** A change of consent as checkConsentChange() checked it: what changeConsent() records. */
export interface CheckedConsentChange {
  /** The testimony; undefined while its events are sealed and no key given opens them. */
  view: TestimonyView | undefined
  granted: ConsentScope[]
  withdrawn: ConsentScope[]
  method: ConsentMethod | undefined
  at: string
}

/**
 * Everything about a change of consent that can be refused without the key: the scopes, the
 * method, the time, and the testimony (which must exist, and have started before the change).
 * The command runs it before it asks for the passphrase; a sealed ledger's testimony is found
 * once the keys are open (changeConsent).
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
  if (kase.ledger.bodiesLocked) return {view: undefined, granted, withdrawn, method, at}
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
  const checked = checkConsentChange(kase, ref, options)
  const {view, granted, withdrawn, method, at} = checked
  if (view === undefined) return recordUnread(kase, ref, checked, options)
  const note = options.note?.trim() || null
  const actor = options.actor?.trim() || null
  // The note and the actor are recorded in clear, and sealed into archives: neither may name the witness.
  if (note !== null || actor !== null) {
    if (caseKeyMode(kase) === 'field' && options.identities === undefined) refuseUncheckable(options)
    const search = await identifyingSearchOf(kase, view, identityKeyUnlock({passphrase: options.passphrase, identities: options.identities}))
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
  return {exhibit: view.exhibit, witness: view.witness, seq, granted, withdrawn, before: view.consent.current, current: after.consent.current, overridden, unread: false}
}

/**
 * The testimony of a witness code in a ledger whose events this laptop cannot read: the testimony
 * events' witness tags, under the address key (Ledger.testimonyTags). An exhibit ID is no use here:
 * the change records the witness code, which only the sealed testimony holds.
 */
function findUnread(kase: Case, ref: string): {exhibit: string; witness: string} {
  const tags = kase.ledger.testimonyTags()
  if (tags === undefined) throw new CustodyError('CONTENT_LOCKED', 'the testimonies of this case are sealed, and no key given opens them or their witness codes. Nothing was recorded')
  const code = ref.trim()
  const found = WITNESS_CODE.test(code) ? tags.byWitness(code) : []
  if (found.length === 1) return {exhibit: found[0]!.exhibit, witness: code}
  if (found.length > 1) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      `witness ${code} gave ${found.length} testimonies (${found.map((t) => t.exhibit).join(', ')}), and this field case cannot read which is which: HQ's identity can record the change. Nothing was recorded`,
      {subject: code},
    )
  }

  const id = parseExhibitId(kase.info.prefix, code)
  if (id !== undefined && tags.byExhibit(id) !== undefined) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      `${id} is a testimony, but this field case cannot read its witness code, which a change of consent records: name the testimony by its witness code. Nothing was recorded`,
      {subject: code},
    )
  }

  throw new CustodyError('EXHIBIT_NOT_FOUND', `there is no testimony of witness ${JSON.stringify(code)} in this case. Nothing was recorded`, {subject: code})
}

/**
 * A note or an actor, in a field case: checking them needs the witness's protected details, which
 * are encrypted to HQ only, so neither can be recorded there (they would go into archives unchecked).
 */
function refuseUncheckable(options: ConsentChangeOptions): void {
  for (const [field, value] of [[FOLLOW_UP.note, options.note], [FOLLOW_UP.actor, options.actor]] as const) {
    if (value?.trim()) {
      throw new CustodyError(
        'CONTENT_LOCKED',
        said`${field} cannot be checked here against the witness's name and contact, which only HQ's identity opens in this field case; record the change without it. Nothing was recorded`,
      )
    }
  }
}

/** A change of consent recorded without reading the testimony (a field case: see the top of this file). */
async function recordUnread(kase: Case, ref: string, checked: CheckedConsentChange, options: ConsentChangeOptions): Promise<ConsentChangeReport> {
  refuseUncheckable(options)
  const {exhibit, witness} = findUnread(kase, ref)
  const {granted, withdrawn, method, at} = checked
  const {events} = kase.ledger.append(() => ({
    drafts: [{actor: kase.info.investigator, action: 'consent-changed', exhibit, payload: {witness, granted, withdrawn, method: method ?? null, at, note: null}}],
    result: undefined,
  }))
  await kase.recordHead()
  return {exhibit, witness, seq: events[0]!.event.seq, granted, withdrawn, before: null, current: null, overridden: [], unread: true}
}
