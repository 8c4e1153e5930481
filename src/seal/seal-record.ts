/**
 * Step 7 of a seal: its record in the ledger. A `seal` event (the archive, its SHA-256, purpose,
 * note, how many exhibits, what consent left out), followed by `sealed-exhibits` events that list
 * the exhibits, 1,000 an event, all in one append. And the reading of that list back.
 */
import {basename} from 'node:path'
import type {Case} from '../case/case.js'
import {MAX_SEALED_EXHIBITS_PER_EVENT, type CustodyEventDraft} from '../formats/events.js'
import type {StoredEvent} from '../ledger/event.js'
import type {Ledger} from '../ledger/ledger.js'
import type {LeftOut} from '../testimony/consent-filter.js'
import type {SealChoice} from './choice.js'
import type {SealStatementHead} from './statement.js'

/** Exhibit IDs a `sealed-exhibits` event lists: as many as its format allows. */
export const SEALED_EXHIBITS_PER_EVENT = MAX_SEALED_EXHIBITS_PER_EVENT

/** What the seal event says beside the statement. */
export interface SealRecord {
  /** Where the archive will be published: its name is recorded. */
  out: string
  archive: {sha256: string; size: number}
  statement: SealStatementHead
  choice: SealChoice
  leftOut: readonly LeftOut[]
  /** Events recorded after the seal's own, in the same append (a transfer's, seal.ts SealAttachment). */
  after?: readonly CustodyEventDraft[]
}

/** Appends the seal's events, synchronously; returns the `seal` event. */
export function recordSeal(kase: Case, seal: SealRecord): StoredEvent {
  const {statement, choice} = seal
  const {sealer, sealId} = statement
  const {events} = kase.ledger.append(() => ({
    drafts: [
      {
        actor: sealer,
        action: 'seal',
        exhibit: null,
        payload: {
          sealId,
          archive: {name: basename(seal.out), sha256: seal.archive.sha256, size: seal.archive.size},
          exhibitCount: choice.size,
          treeHead: statement.treeHead,
          sealedAt: statement.sealedAt,
          purpose: statement.purpose,
          note: statement.note,
          leftOut: seal.leftOut.map((l) => ({exhibit: l.exhibit, testimony: l.testimony, reason: l.reason})),
        },
      },
    ],
    more: thenAfter(exhibitLists(sealer, sealId, choice.ids()), seal.after ?? []),
    result: undefined,
  }))
  return events[0]!
}

/** The exhibit lists, made as they are appended (never held), then the events after them. */
function* thenAfter(lists: Iterable<CustodyEventDraft>, after: readonly CustodyEventDraft[]): Generator<CustodyEventDraft> {
  yield* lists
  yield* after
}

/** The `sealed-exhibits` events of a seal: its exhibits in archive order, 1,000 an event. */
export function* exhibitLists(actor: string, sealId: string, exhibits: Iterable<string>): Generator<CustodyEventDraft> {
  let list: string[] = []
  let first = 1
  const draft = (): CustodyEventDraft => ({actor, action: 'sealed-exhibits', exhibit: null, payload: {sealId, first, exhibits: list}})
  for (const id of exhibits) {
    list.push(id)
    if (list.length === SEALED_EXHIBITS_PER_EVENT) {
      yield draft()
      first += list.length
      list = []
    }
  }

  if (list.length > 0) yield draft()
}

/** The exhibits that the `sealed-exhibits` events after a seal's event (at `seq`) list, read back from the ledger. */
export function* recordedExhibits(ledger: Ledger, seal: {seq: number; sealId: string}): Generator<string> {
  for (const {event} of ledger.eachEvent(seal.seq)) {
    if (event.action !== 'sealed-exhibits' || event.payload.sealId !== seal.sealId) return
    yield* event.payload.exhibits
  }
}
