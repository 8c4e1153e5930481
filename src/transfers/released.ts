/**
 * What a case has released to other custodians and what they acknowledged, from its
 * `transfer-released` and `transfer-acknowledged` events: what `custody transfer export` leaves
 * out by default (export.ts), and what `custody status` lists per receiver. Kept apart from the
 * export, which is a seal, so that reading these loads nothing of sealing or verifying.
 */
import type {Case} from '../case/case.js'
import {custodianFingerprint, parseCustodian, type Custodian} from './custodian.js'
import type {TreeHead} from './transfer-statement.js'

/** A custodian as reports name it: its case, name, organisation and key fingerprint. */
export interface Receiver {
  case: string
  name: string
  organisation: string | null
  fingerprint: string
}

/** A receiver as reports name it, from its identity line. */
export function receiverOf(to: Custodian): Receiver {
  return {case: to.case, name: to.name, organisation: to.organisation, fingerprint: custodianFingerprint(to)}
}

/**
 * The exhibits released to the receiver `caseId`, by the `transfer-released` events, less those of
 * a transfer it refused (a receipt recorded with the condition `refused`): it took none of them
 * in, so they are sent again, as never released.
 */
export function releasedTo(kase: Case, caseId: string): Set<string> {
  const refused = new Set<string>()
  for (const {event} of kase.ledger.eventsOfKind('transfer-acknowledged')) {
    if (event.payload.condition === 'refused' && parseCustodian(event.payload.by, `event ${event.seq}`).case === caseId) refused.add(event.payload.transferId)
  }

  const released = new Set<string>()
  for (const {event} of kase.ledger.eventsOfKind('transfer-released')) {
    if (parseCustodian(event.payload.to, `event ${event.seq}`).case !== caseId || refused.has(event.payload.transferId)) continue
    for (const item of event.payload.items) released.add(item.exhibit)
  }

  return released
}

/**
 * The tree head of the receiver's last receipt (`transfer-acknowledged`, which `custody transfer
 * receipt` records), and every exhibit it acknowledged. None yet: a null head, and the next
 * package to it carries no consistency proof.
 */
export function acknowledgedBy(kase: Case, caseId: string): {head: TreeHead | null; exhibits: Set<string>} {
  let head: TreeHead | null = null
  const exhibits = new Set<string>()
  for (const {event} of kase.ledger.eventsOfKind('transfer-acknowledged')) {
    if (parseCustodian(event.payload.by, `event ${event.seq}`).case !== caseId) continue
    if (head === null || event.payload.cosigned.size >= head.size) head = event.payload.cosigned
    for (const id of event.payload.acknowledged) exhibits.add(id)
  }

  return {head, exhibits}
}

/** What is released and not acknowledged, per receiver (`custody status`). */
export interface ReleasedTo {
  receiver: Receiver
  transfers: Array<{transferId: string; sealId: string; seq: number; releasedAt: string; package: string; items: number}>
  /** The exhibits released to it and not acknowledged, in the order first released. */
  unacknowledged: string[]
}

/** Every receiver the case has released to, with what it has not acknowledged. */
export function releasedNotAcknowledged(kase: Case): ReleasedTo[] {
  const receivers = new Map<string, ReleasedTo & {seen: Set<string>}>()
  for (const {event} of kase.ledger.eventsOfKind('transfer-released')) {
    const to = parseCustodian(event.payload.to, `event ${event.seq}`)
    let entry = receivers.get(to.case)
    if (entry === undefined) {
      entry = {receiver: receiverOf(to), transfers: [], unacknowledged: [], seen: acknowledgedBy(kase, to.case).exhibits}
      receivers.set(to.case, entry)
    }

    // A later line of the same case (its key rotated) names it as it is now.
    entry.receiver = receiverOf(to)
    const {payload} = event
    entry.transfers.push({transferId: payload.transferId, sealId: payload.sealId, seq: event.seq, releasedAt: event.time, package: payload.package.name, items: payload.items.length})
    for (const item of payload.items) {
      if (entry.seen.has(item.exhibit)) continue
      entry.seen.add(item.exhibit)
      entry.unacknowledged.push(item.exhibit)
    }
  }

  return [...receivers.values()].map(({seen: _seen, ...rest}) => rest)
}
