/** Reading exhibits and their events back from the ledger, for `custody show` and `custody log`. */
import {join} from 'node:path'
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import type {CustodyEvent, EventAction, IngestPayload} from '../formats/events.js'
import {formatExhibitId, parseExhibitId} from '../formats/ids.js'
import type {StoredEvent} from '../ledger/event.js'
import {describeCustodian, parseCustodian} from '../transfers/custodian.js'

/** An event as `custody log` and `show` give it: the event, and its hash in the chain. */
export type EventView = CustodyEvent & {hash: string}

export interface ExhibitView extends Omit<IngestPayload, 'vault' | 'metadata'> {
  exhibit: string
  caseId: string
  ingestedAt: string
  ingestedBy: string
  metadata: IngestPayload['metadata'] & {recordPath: string}
  vault: {path: string; relativePath: string}
  /** Its vault objects were purged after its receiver acknowledged it (`custody transfer purge`): the ledger keeps the rest. */
  purged?: PurgedView
  events: EventView[]
}

export interface PurgedView {
  at: string
  seq: number
  transferId: string
  /** The receiver whose receipt acknowledged it, as its identity names it. */
  by: string
  /** The SHA-256 of the kept receipt. */
  receipt: string
}

/** The exhibits whose vault objects were purged (`purged` events). */
export function purgedExhibits(kase: Case): Set<string> {
  return new Set(kase.ledger.eventsOfKind('purged').map(({event}) => event.exhibit ?? ''))
}

/** Refuses work (`what`: "sealed") that needs the vault objects of an exhibit that was purged, saying when and on whose receipt. */
export function refusePurged(kase: Case, exhibit: string, what: string): void {
  const purged = purgedView(kase, exhibit)
  if (purged === undefined) return
  throw new CustodyError(
    'EXHIBIT_PURGED',
    `${exhibit} was purged from this case's vault ${purged.at} (event ${purged.seq}), after ${purged.by} acknowledged it in ${purged.transferId}: it cannot be ${what} here, only by the custodian who holds it now. Its digests and events stay in the ledger`,
    {subject: exhibit},
  )
}

/** When and on whose receipt the exhibit's vault objects were purged; undefined when they were not. */
export function purgedView(kase: Case, exhibit: string): PurgedView | undefined {
  // A purged event is the exhibit's own: its own rows alone are read (events() reads every seal and testimony that may name it too).
  const found = kase.ledger.ownEvents(exhibit).find(({event}) => event.action === 'purged')?.event
  if (found?.action !== 'purged') return undefined
  let by: string
  try {
    by = describeCustodian(parseCustodian(found.payload.by, `event ${found.seq}`))
  } catch {
    by = 'a custodian whose recorded identity cannot be read'
  }

  return {at: found.time, seq: found.seq, transferId: found.payload.transferId, by, receipt: found.payload.receipt.sha256}
}

/**
 * Accepts `EX-000007`, `ex-7` and `7` for the exhibit `EX-000007` of a case with prefix EX; and a
 * sender's exhibit ID (`FIELD-000003`) for the exhibit this case received it as (`custody transfer
 * accept`), when one sender's exhibit alone has that ID.
 */
export function resolveExhibitId(kase: Case, given: string): string {
  const id = parseExhibitId(kase.info.prefix, given) ?? receivedAs(kase, given)
  if (id === undefined) {
    throw new CustodyError('EXHIBIT_NOT_FOUND', `${JSON.stringify(given)} is not an exhibit ID of this case; they look like ${formatExhibitId(kase.info.prefix, 1)} (see \`custody log\`)`)
  }

  return id
}

/**
 * Refuses, before any key is asked for, an exhibit ID of this case past the last it has given
 * (`EX-000009` in a case of two): the number is in clear even where the ledger keeps its event
 * bodies encrypted, so a slip needs no passphrase to be told. Anything else (an ID it may have, a
 * sender's ID of a received exhibit) is left to the lookup that reads the events.
 */
export function refuseExhibitPastTheLast(kase: Case, given: string): void {
  const id = parseExhibitId(kase.info.prefix, given)
  if (id === undefined || Number(id.slice(id.lastIndexOf('-') + 1)) <= kase.ledger.lastExhibitNumber()) return
  throw new CustodyError('EXHIBIT_NOT_FOUND', `there is no exhibit ${id} in this case; \`custody log\` lists them`, {subject: id})
}

/** The exhibit a sender's exhibit ID was received as, from the transfers this case accepted; refused when two senders' exhibits have that ID. */
function receivedAs(kase: Case, given: string): string | undefined {
  const match = /^([A-Za-z][A-Za-z0-9]{0,11})-(\d{1,9})$/.exec(given.trim())
  if (match === null) return undefined
  const sender = formatExhibitId(match[1]!.toUpperCase(), Number(match[2]))
  const found = new Map<string, string>()
  for (const {event} of kase.ledger.eventsOfKind('transfer-received')) {
    for (const item of event.payload.items) {
      if (item.exhibit === sender && item.receivedAs !== undefined) found.set(item.receivedAs, parseCustodian(event.payload.from, `event ${event.seq}`).name)
    }
  }

  if (found.size > 1) {
    const each = [...found].map(([id, from]) => `${id} (from ${from})`).join(', ')
    throw new CustodyError('EXHIBIT_NOT_FOUND', `${sender} is the ID of more than one exhibit this case received: ${each}; give this case's ID`, {subject: sender})
  }

  return [...found.keys()][0]
}

function view(stored: {event: CustodyEvent; hash: string}): EventView {
  return {...stored.event, hash: stored.hash}
}

/** Which events `custody log` gives: all of them, unless it is told otherwise. */
export interface EventFilter {
  /** Only the events from this sequence number on (it included). */
  since?: number | undefined
  /** Only the events of these actions (every action when none is given). */
  actions?: readonly EventAction[] | undefined
  /** At most this many events, the oldest first: nothing more is read once they are given. */
  limit?: number | undefined
}

/**
 * The events of the case (read as they are iterated, while the case is open), or of one exhibit,
 * oldest first, as `filter` chooses them.
 */
export function listEvents(kase: Case, exhibit?: string, filter: EventFilter = {}): Iterable<EventView> {
  const since = filter.since ?? 0
  const source: Iterable<StoredEvent> = exhibit === undefined ? {[Symbol.iterator]: () => kase.ledger.eachEvent(since - 1)} : exhibitEvents(kase, exhibit)
  const actions = filter.actions === undefined || filter.actions.length === 0 ? undefined : new Set<string>(filter.actions)
  const limit = filter.limit ?? Number.POSITIVE_INFINITY
  return {
    *[Symbol.iterator]() {
      let given = 0
      for (const stored of source) {
        if (given >= limit) return
        if (stored.event.seq < since || (actions !== undefined && !actions.has(stored.event.action))) continue
        given++
        yield view(stored)
      }
    },
  }
}

/** The ID and ingest event of an exhibit of the case, as given (`7`, `EX-000007`); refused when the case has none such. */
function knownExhibit(kase: Case, exhibit: string): {id: string; ingest: NonNullable<ReturnType<Case['ledger']['ingestEvent']>>} {
  const id = resolveExhibitId(kase, exhibit)
  const ingest = kase.ledger.ingestEvent(id)
  if (ingest === undefined) {
    throw new CustodyError('EXHIBIT_NOT_FOUND', `there is no exhibit ${id} in this case; \`custody log\` lists them`, {subject: id})
  }

  return {id, ingest}
}

/** The events of one exhibit (it must be one of the case's). */
function exhibitEvents(kase: Case, exhibit: string): StoredEvent[] {
  return kase.ledger.events(knownExhibit(kase, exhibit).id)
}

export function getExhibit(kase: Case, exhibit: string, options: {withEvents?: boolean} = {}): ExhibitView {
  const {id, ingest} = knownExhibit(kase, exhibit)

  const p = ingest.event.payload
  const purged = purgedView(kase, id)
  const vaultPath = kase.vault.storedForm(p.digests.sha256, p.stored)?.vault ?? p.vault
  return {
    exhibit: id,
    caseId: kase.info.caseId,
    digests: p.digests,
    size: p.size,
    file: p.file,
    collected: p.collected,
    note: p.note,
    ...(p.tags === undefined ? {} : {tags: p.tags}),
    ...(p.batch === undefined ? {} : {batch: p.batch}),
    ...(p.manifestLine === undefined ? {} : {manifestLine: p.manifestLine}),
    ...(p.received === undefined ? {} : {received: p.received}),
    ingestedAt: ingest.event.time,
    ingestedBy: ingest.event.actor,
    // Where the event says (an encrypted object's keyed address needs the key to compute).
    metadata: {...p.metadata, recordPath: p.metadata.stored === undefined ? kase.vault.objectPath(p.metadata.record) : join(kase.dataDir, p.metadata.stored.vault)},
    // A case converted by `custody encrypt`: where the object went (its ingest event says where it was).
    vault: {path: join(kase.dataDir, vaultPath), relativePath: vaultPath},
    ...(purged === undefined ? {} : {purged}),
    events: options.withEvents === false ? [] : kase.ledger.events(id).map(view),
  }
}
