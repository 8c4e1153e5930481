/**
 * An exhibit's story across custodians (`custody log EXHIBIT --custodians`, docs/design/transfers.md
 * "HQ's seal and log"): for an exhibit this case received, the sender's events of it, read out of
 * the package this case keeps (verified again as `custody verify` verifies it, and held to what
 * this case's `transfer-received` recorded: the sender's key and tree head), then this case's own.
 * Each part says whose ledger it is and which key signed the head it is proven under. The sender's
 * events are never copied into this case's ledger: they are read from the sender's own signed log.
 */
import {join} from 'node:path'
import type {AgeIdentity} from '../age/x25519.js'
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import type {CustodyEvent, EventOfKind} from '../formats/events.js'
import {describeSigningKey} from '../keys/case-key.js'
import {BAG_LIMITS, EVENTS_PATH} from '../seal/bag-layout.js'
import type {ArchiveContext, VerifyArchiveOptions} from '../verify/archive/context.js'
import type {FieldRowRead} from '../verify/archive/field-state.js'
import {parseEventLine} from '../verify/archive/events.js'
import {listEvents, resolveExhibitId, type EventView} from '../exhibits/exhibits.js'
import {parseCheckpoint} from '../checkpoints/checkpoint.js'
import {custodianFingerprint, parseCustodian, type Custodian} from './custodian.js'

/** One custodian's part of the story: whose ledger, the head its events are proven under, and the events. */
export interface CustodianPart {
  /** `sender`: a custodian this case received the exhibit from; `this case`: this case's own ledger. */
  ledger: 'sender' | 'this case'
  custodian: {case: string; name: string; organisation: string | null; fingerprint: string}
  /** The exhibit's ID in that ledger. */
  exhibit: string
  /** The sender's: the transfer that brought it, and the package this case keeps (under .custody/). */
  transfer: {transferId: string; kept: string; releasedAt: string} | null
  /** The signed tree head the events are proven under (the sender's checkpoint; this case's newest head). */
  head: {size: number; root: string}
  events: EventView[]
}

/** Whether an event of a sender's ledger is about one of its exhibits `ids`: their own, or a seal or transfer that took one. */
export function concerns(event: CustodyEvent, ids: ReadonlySet<string>): boolean {
  if (event.exhibit !== null && ids.has(event.exhibit)) return true
  if (event.action === 'sealed-exhibits') return event.payload.exhibits.some((x) => ids.has(x))
  if (event.action === 'transfer-released' || event.action === 'field-transfer-released') return event.payload.items.some((i) => ids.has(i.exhibit))
  return false
}

/** The events of `id` in the package's events.jsonl, each with its hash there (the verifier has checked every line); in a field package, its ingest event. */
async function eventsOf(context: ArchiveContext, id: string): Promise<EventView[]> {
  const file = context.files.get(EVENTS_PATH)
  if (file === undefined) return []
  const found: EventView[] = []
  const ids = new Set([id])
  for await (const line of context.source.lines(file.info, BAG_LIMITS.eventLine)) {
    const read = parseEventLine(line, EVENTS_PATH)
    if (!('parsed' in read) || !('event' in read.parsed) || !concerns(read.parsed.event, ids)) continue
    found.push({...read.parsed.event, hash: String(read.entry.hash)})
  }

  return found
}

/**
 * Opens the package `event` (a `transfer-received`) kept, verifies it again as `custody verify`
 * would, and runs `read` on it while it is open; INTEGRITY unless it verifies as the one the event
 * records: signed by the sender's key, at the tree head recorded. Every reader of a sender's
 * record (this log, a seal of received exhibits) reads it so.
 */
export async function readKeptPackage(
  kase: Case,
  event: EventOfKind<'transfer-received'>,
  identities: readonly AgeIdentity[],
  read: (context: ArchiveContext) => Promise<void>,
  more: Pick<VerifyArchiveOptions, 'onFieldRow'> = {},
): Promise<Custodian> {
  const p = event.payload
  const sender = parseCustodian(p.from, `event ${event.seq}`)
  // Loaded here, not with this module: `custody log` of a case that received nothing never verifies.
  const {verifyArchive} = await import('../verify/verify-archive.js')
  const report = await verifyArchive(join(kase.dataDir, p.kept), {...more, identities, afterChecks: read})
  const signer = report.trust?.signingKey ?? null
  const head = report.treeHead
  const why = !report.ok
    ? `${report.problemCount} problem${report.problemCount === 1 ? '' : 's'} found in it`
    : signer !== custodianFingerprint(sender)
      ? `it is signed by ${signer ?? 'no key'}, not the sender's key ${custodianFingerprint(sender)}`
      : head?.size !== p.treeHead.size || head.root !== p.treeHead.root
        ? `its tree head is ${head?.size ?? '?'} ${head?.root ?? '?'}, not ${p.treeHead.size} ${p.treeHead.root}`
        : undefined
  if (why !== undefined) {
    throw new CustodyError('INTEGRITY', `the kept package .custody/${p.kept} of ${p.transferId} does not verify as the one event ${event.seq} records (${why}); run custody verify`, {subject: p.kept})
  }

  return sender
}

/** The `transfer-received` event of `transferId`; INTEGRITY when the ledger has none (`what` says what needed it). */
export function receivedEvent(kase: Case, transferId: string, what: string): EventOfKind<'transfer-received'> {
  const event = kase.ledger.eventsOfKind('transfer-received').find((e) => e.event.payload.transferId === transferId)?.event
  if (event === undefined) throw new CustodyError('INTEGRITY', `no transfer-received event records ${transferId}, which brought ${what}; run custody verify`, {subject: transferId})
  return event
}

/** The sender's part: its events of the exhibit, from the kept package, verified and held to what `transfer-received` recorded. */
async function senderPart(kase: Case, received: NonNullable<EventOfKind<'ingest'>['payload']['received']>, identities: readonly AgeIdentity[]): Promise<CustodianPart> {
  const event = receivedEvent(kase, received.transferId, received.exhibit)
  const p = event.payload
  let events: EventView[] = []
  // A field package (field-export.ts): the sender's events of the exhibit as the verifier opens
  // its rows (with this case's identity), each with its row's chain hash.
  const fromRows: EventView[] = []
  const ids = new Set([received.exhibit])
  const onFieldRow = (row: FieldRowRead): void => {
    const opened = row.opened?.event
    if (opened !== undefined && concerns(opened, ids)) fromRows.push({...opened, hash: row.hash})
  }

  const sender = await readKeptPackage(
    kase,
    event,
    identities,
    async (context) => {
      events = context.field !== undefined ? fromRows : await eventsOf(context, received.exhibit)
    },
    {onFieldRow},
  )
  return {
    ledger: 'sender',
    custodian: {case: sender.case, name: sender.name, organisation: sender.organisation, fingerprint: custodianFingerprint(sender)},
    exhibit: received.exhibit,
    transfer: {transferId: p.transferId, kept: p.kept, releasedAt: p.releasedAt},
    head: p.treeHead,
    events,
  }
}

/** This case's events of the exhibit, with the hand-overs that brought it (`transfer-received` names no one exhibit), in ledger order. */
function ownEvents(kase: Case, id: string): EventView[] {
  const handOvers = kase.ledger
    .eventsOfKind('transfer-received')
    .filter(({event}) => event.payload.items.some((i) => i.receivedAs === id))
    .map(({event, hash}) => ({...event, hash}))
  return [...handOvers, ...listEvents(kase, id)].sort((a, b) => a.seq - b.seq)
}

/**
 * Whether the story of exhibit `given` needs a key of this case: it was received from another
 * custodian, so its first part is read out of the kept package, which only this case's identity
 * opens. A command asks this to know whether to unlock the case before `custodyChain`.
 */
export function custodyNeedsKey(kase: Case, given: string): boolean {
  return kase.ledger.ingestEvent(resolveExhibitId(kase, given))?.event.payload.received !== undefined
}

/**
 * The exhibit's story: the sender's part (for an exhibit this case received; `identities` open
 * the kept package), then this case's. An exhibit this case took in itself has this case's part only.
 */
export async function custodyChain(kase: Case, given: string, identities: readonly AgeIdentity[]): Promise<CustodianPart[]> {
  const id = resolveExhibitId(kase, given)
  const ingest = kase.ledger.ingestEvent(id)
  const received = ingest?.event.payload.received
  const parts: CustodianPart[] = []
  if (received !== undefined) {
    if (identities.length === 0) throw new CustodyError('WRONG_KEY', `${id} was received from another custodian, whose events of it are in the package this case keeps, which only an identity of this case opens: give the passphrase or an identity file`, {subject: id})
    parts.push(await senderPart(kase, received, identities))
  }

  const key = describeSigningKey(kase)
  // This case's newest signed checkpoint: every event of the case is under it (each command signs one as it ends).
  const latest = kase.ledger.latestCheckpoint()
  const body = latest === undefined ? undefined : parseCheckpoint(latest.body)
  if (body !== undefined && 'problem' in body) throw new CustodyError('INTEGRITY', `this case's newest checkpoint cannot be read: ${body.problem}; run custody verify`)
  const head = {size: body?.treeSize ?? 0, root: body?.rootHash ?? ''}
  parts.push({
    ledger: 'this case',
    custodian: {case: kase.info.caseId, name: kase.info.investigator, organisation: kase.info.organisation ?? null, fingerprint: key.fingerprint},
    exhibit: id,
    transfer: null,
    head,
    events: ownEvents(kase, id),
  })
  return parts
}
