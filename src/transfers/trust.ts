/**
 * The case's standing list of senders (`custody transfer trust`, docs/design/transfers.md
 * "Accept (HQ side)"): the custodians whose transfer packages `transfer accept` takes without
 * being told each time. The list is not a file beside the ledger but the ledger itself, read in
 * order: `custodian-trusted` puts a sender's identity line on it, `custodian-distrusted` takes the
 * sender's case off. So who was trusted, when, by whom and until when is part of the record a
 * court reads, and no one changes the list without it showing in `custody log`.
 *
 * One line per case. The case ID is who a custodian is (custodian.ts); a line for a case already
 * on the list with another key is the sender's new key after `key rotate`, and it replaces the
 * old one: a key is most often rotated because it may have been seen, and a list that kept both
 * would keep accepting what the old key signs. The event names the key it replaces.
 */
import type {Case} from '../case/case.js'
import {CustodyError, fields, said} from '../errors.js'
import {custodianFingerprint, custodianLine, parseCustodian, type Custodian} from './custodian.js'
import {receiverOf} from './released.js'

/** The fields trust's errors name (the command has no flag for it: its words stand). */
export const TRUST = fields({identity: 'the identity to trust'})

/** A sender on the list: who, with which key, its line, and the event that put it there. */
export interface TrustedSender {
  case: string
  name: string
  organisation: string | null
  fingerprint: string
  /** The identity line as it was trusted. */
  identity: string
  /** When it was trusted (the event's time) and the event's number. */
  since: string
  seq: number
}

/** What `custody transfer trust` did: `recorded` is false when the list already said so. */
export interface TrustReport {
  change: 'listed' | 'trusted' | 'replaced' | 'already-trusted' | 'revoked' | 'not-trusted'
  recorded: boolean
  /** The sender the change is about (null for a listing). */
  sender: ReturnType<typeof receiverOf> | null
  /** The key the new line replaced on the list (`replaced`), or the key taken off (`revoked`). */
  replaces: string | null
  /** The event recorded, or null. */
  seq: number | null
  /** The list after the change. */
  senders: TrustedSender[]
}

/** The list as the ledger's trust events leave it, in the order senders were put on it. */
export function trustedSenders(kase: Pick<Case, 'ledger'>): TrustedSender[] {
  const list = new Map<string, TrustedSender>()
  for (const {event} of kase.ledger.eventsOfKind('custodian-trusted', 'custodian-distrusted')) {
    const custodian = parseCustodian(event.payload.custodian, `event ${event.seq}`)
    if (event.action === 'custodian-distrusted') {
      list.delete(custodian.case)
      continue
    }

    list.delete(custodian.case)
    list.set(custodian.case, {
      ...receiverOf(custodian),
      identity: event.payload.custodian,
      since: event.time,
      seq: event.seq,
    })
  }

  return [...list.values()]
}

/** The senders on the list, as identities `transfer accept` holds a package's sender to. */
export function trustedCustodians(kase: Pick<Case, 'ledger'>): Custodian[] {
  return trustedSenders(kase).map((s) => parseCustodian(s.identity, `the trusted sender ${s.case}`))
}

function report(kase: Case, change: TrustReport['change'], custodian: Custodian | null, replaces: string | null, seq: number | null): TrustReport {
  return {change, recorded: seq !== null && change !== 'already-trusted' && change !== 'not-trusted', sender: custodian === null ? null : receiverOf(custodian), replaces, seq, senders: trustedSenders(kase)}
}

/** The list, unchanged. */
export function listTrusted(kase: Case): TrustReport {
  return report(kase, 'listed', null, null, null)
}

/** Appends one trust event and records the new head; its number. */
async function record(kase: Case, actor: string | undefined, draft: {action: 'custodian-trusted'; payload: {custodian: string; fingerprint: string; replaces: string | null}} | {action: 'custodian-distrusted'; payload: {custodian: string; fingerprint: string}}): Promise<number> {
  const {events} = kase.ledger.append(() => ({drafts: [{actor: actor?.trim() || kase.info.investigator, exhibit: null, ...draft}], result: undefined}))
  await kase.recordHead()
  return events[0]!.event.seq
}

/** This case's own identity is no sender: refused before anything is asked. */
export function refuseOwnCase(kase: Pick<Case, 'info'>, custodian: Custodian): void {
  if (custodian.case === kase.info.caseId) {
    throw new CustodyError('INVALID_ARGUMENT', said`${TRUST.identity} is this case's own; a case does not send packages to itself. Give the identity line of a custodian who sends to this case`, {subject: custodian.case})
  }
}

/** Puts `custodian` on the list (replacing its case's earlier line); the same line again records nothing. */
export async function trustSender(kase: Case, custodian: Custodian, actor?: string): Promise<TrustReport> {
  refuseOwnCase(kase, custodian)
  const line = custodianLine(custodian)
  const fingerprint = custodianFingerprint(custodian)
  const listed = trustedSenders(kase).find((s) => s.case === custodian.case)
  if (listed?.identity === line) return {...report(kase, 'already-trusted', custodian, null, listed.seq), recorded: false}
  const replaces = listed === undefined ? null : listed.fingerprint
  const seq = await record(kase, actor, {action: 'custodian-trusted', payload: {custodian: line, fingerprint, replaces}})
  return report(kase, listed === undefined ? 'trusted' : 'replaced', custodian, replaces, seq)
}

/**
 * Takes the case of `custodian` off the list, whichever of its keys is listed: who the line
 * names, not the key, is what the user stops trusting. Not on the list: nothing is recorded.
 */
export async function revokeSender(kase: Case, custodian: Custodian, actor?: string): Promise<TrustReport> {
  const listed = trustedSenders(kase).find((s) => s.case === custodian.case)
  if (listed === undefined) return report(kase, 'not-trusted', custodian, null, null)
  const seq = await record(kase, actor, {action: 'custodian-distrusted', payload: {custodian: listed.identity, fingerprint: listed.fingerprint}})
  return report(kase, 'revoked', parseCustodian(listed.identity, `event ${listed.seq}`), listed.fingerprint, seq)
}
