/** Reading exhibits and their events back from the ledger, for `custody show` and `custody log`. */
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import type {CustodyEvent, IngestPayload} from '../formats/events.js'
import {formatExhibitId, parseExhibitId} from '../formats/ids.js'

/** An event as `custody log` and `show` give it: the event, and its hash in the chain. */
export type EventView = CustodyEvent & {hash: string}

export interface ExhibitView extends Omit<IngestPayload, 'vault' | 'metadata'> {
  exhibit: string
  caseId: string
  ingestedAt: string
  ingestedBy: string
  metadata: IngestPayload['metadata'] & {recordPath: string}
  vault: {path: string; relativePath: string}
  events: EventView[]
}

/** Accepts `EX-000007`, `ex-7` and `7` for the exhibit `EX-000007` of a case with prefix EX. */
export function resolveExhibitId(kase: Case, given: string): string {
  const id = parseExhibitId(kase.info.prefix, given)
  if (id === undefined) {
    throw new CustodyError('EXHIBIT_NOT_FOUND', `${JSON.stringify(given)} is not an exhibit ID of this case; they look like ${formatExhibitId(kase.info.prefix, 1)} (see \`custody log\`)`)
  }

  return id
}

function view(stored: {event: CustodyEvent; hash: string}): EventView {
  return {...stored.event, hash: stored.hash}
}

/** The events of the case (read as they are iterated, while the case is open), or of one exhibit. */
export function listEvents(kase: Case, exhibit?: string): Iterable<EventView> {
  if (exhibit === undefined) {
    return {
      *[Symbol.iterator]() {
        for (const stored of kase.ledger.eachEvent()) yield view(stored)
      },
    }
  }

  const id = resolveExhibitId(kase, exhibit)
  if (kase.ledger.ingestEvent(id) === undefined) {
    throw new CustodyError('EXHIBIT_NOT_FOUND', `there is no exhibit ${id} in this case; \`custody log\` lists them`, {subject: id})
  }

  return kase.ledger.events(id).map(view)
}

export function getExhibit(kase: Case, exhibit: string, options: {withEvents?: boolean} = {}): ExhibitView {
  const id = resolveExhibitId(kase, exhibit)
  const ingest = kase.ledger.ingestEvent(id)
  if (ingest === undefined) {
    throw new CustodyError('EXHIBIT_NOT_FOUND', `there is no exhibit ${id} in this case; \`custody log\` lists them`, {subject: id})
  }

  const p = ingest.event.payload
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
    ingestedAt: ingest.event.time,
    ingestedBy: ingest.event.actor,
    metadata: {...p.metadata, recordPath: kase.vault.objectPath(p.metadata.record)},
    vault: {path: kase.vault.objectPath(p.digests.sha256), relativePath: p.vault},
    events: options.withEvents === false ? [] : kase.ledger.events(id).map(view),
  }
}
