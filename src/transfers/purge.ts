/**
 * `custody transfer purge` (docs/design/transfers.md "Purge"), on the sender's side: once a
 * receiver has acknowledged exhibits with a signed receipt (`transfer-acknowledged`,
 * acknowledge.ts), their copies can leave the laptop, the weak point of a mission. So:
 *
 *   1. plan     the exhibits that receiver acknowledged, each by a receipt the case keeps and that
 *               still checks (its SHA-256 as recorded, both signatures the receiver's); of each,
 *               the vault objects it owns (original, metadata record) that no other exhibit needs
 *   2. record   one `purged` event an exhibit, naming it, the receipt and the objects, in one append
 *   3. remove   the objects, each folder fsynced
 *
 * Recording comes first: a run killed between 2 and 3 leaves objects that a `purged` event names,
 * which `custody verify` reports as purged (a warning says the removal was not finished) and the
 * next purge removes, recording nothing again. An object gone with no `purged` event stays a
 * problem of `verify`, as before. Nothing is purged without a receipt: the command takes no
 * exhibit, only a receiver, and purges what that receiver's checked receipts acknowledge.
 */
import {lstatSync, statSync} from 'node:fs'
import {unlink} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import type {Case} from '../case/case.js'
import {CASE_FOLDER} from '../case/case.js'
import {CustodyError, errnoOf} from '../errors.js'
import type {CustodyEventDraft, EventOfKind, IngestPayload, PurgedObject} from '../formats/events.js'
import {fsyncFolder} from '../io/files.js'
import {fieldReleaseOf} from './acknowledge.js'
import {custodianLine, parseCustodian, type Custodian} from './custodian.js'
import {receiverOf} from './released.js'
import {KeptReceiptProblem, readKeptReceipt} from './kept-receipt.js'
import {checkReceiptSignatures, parseReceipt} from './receipt.js'

/** One exhibit to purge, or purged before with objects left behind (a killed run). */
export interface PurgeItem {
  exhibit: string
  transferId: string
  /** The kept receipt that acknowledges it: its SHA-256 and the `transfer-acknowledged` event. */
  receipt: {sha256: string; seq: number}
  /** The objects removed (or to remove). */
  objects: PurgedObject[]
  /** Its objects that stay, because another exhibit still needs them. */
  kept: Array<PurgedObject & {neededBy: string}>
  /** The `purged` event: recorded by this run, or by an earlier one whose removal did not finish. */
  seq?: number
}

export interface PurgeReport {
  by: ReturnType<typeof receiverOf>
  /** No receipt of that receiver is recorded: nothing to purge, nothing recorded. */
  nothingAcknowledged: boolean
  /** Exhibits purged by this run (or, in a dry run, that would be). */
  purged: PurgeItem[]
  /** Exhibits an earlier, interrupted run recorded as purged, whose objects this run removed (or would). */
  finished: PurgeItem[]
  /** Exhibits that receiver acknowledged that were purged before: nothing left to do. */
  alreadyPurged: number
  dryRun: boolean
  /** Files removed from the vault. */
  removed: number
}

/** The acknowledgement of each exhibit by the receiver `caseId`: the first receipt that names it. */
function acknowledgements(kase: Case, caseId: string): Map<string, EventOfKind<'transfer-acknowledged'>> {
  const by = new Map<string, EventOfKind<'transfer-acknowledged'>>()
  for (const {event} of kase.ledger.eventsOfKind('transfer-acknowledged')) {
    if (parseCustodian(event.payload.by, `event ${event.seq}`).case !== caseId) continue
    for (const id of event.payload.acknowledged) if (!by.has(id)) by.set(id, event)
  }

  return by
}

/**
 * The kept receipt of `event`, checked again before anything is purged on its word: the bytes
 * the event records (SHA-256; in an encrypted case its age file's first, then opened with the
 * case identity: kept-receipt.ts), signed by the receiver it names. A receipt changed, swapped,
 * cut short, put back in clear or gone since is refused (INTEGRITY), nothing recorded: `custody
 * verify` names it. A field case's laptop holds no identity that opens it: there its age file is
 * checked as stored, against the event written when the receipt was checked whole.
 */
async function checkKeptReceipt(kase: Case, event: EventOfKind<'transfer-acknowledged'>): Promise<void> {
  const {kept} = event.payload.receipt
  const where = `${CASE_FOLDER}/${kept}`
  const refused = (why: string): CustodyError =>
    new CustodyError('INTEGRITY', `the receipt of ${event.payload.transferId} (${where}), which event ${event.seq} recorded, ${why}: nothing was purged; run \`custody verify\``, {subject: where})
  const read = await readKeptReceipt(kase.dataDir, kept, event.payload.receipt, kase.vault.keys?.identities ?? []).catch((error: unknown) => {
    throw error instanceof KeptReceiptProblem ? refused(error.why) : error
  })
  if (!('body' in read)) return
  const body = read.body.toString('utf8')
  const receipt = parseReceipt(body, where)
  checkReceiptSignatures(receipt, {body, signature: read.signature.toString('hex')}, where)
  if (receipt.receivedBy.case !== parseCustodian(event.payload.by, `event ${event.seq}`).case) throw refused('is signed by another custodian than the one it records')
}

/** A vault object purge.ts knows by its plaintext too (read with a key). */
type KnownObject = PurgedObject & {sha256: string}

/** An exhibit's own vault objects, by its ingest event, each as the case stores it. */
export function objectsOf(kase: Case, payload: IngestPayload): KnownObject[] {
  return [
    {role: 'original', sha256: payload.digests.sha256, vault: kase.vault.recordedFile(payload.digests.sha256, payload.stored)},
    {role: 'metadata-record', sha256: payload.metadata.record, vault: kase.vault.recordedFile(payload.metadata.record, payload.metadata.stored)},
  ]
}

/**
 * Which exhibit needs each object (by its plaintext SHA-256) among those that stay: every exhibit
 * not purged, and every object a testimony names (statements, attachments, sealed identities),
 * but for the exhibits a field package carried (`carried`): its receiver keeps a testimony's
 * statement and attachments in the package it acknowledged, so they leave the laptop, as
 * field-purge.ts purges them with no key; a sealed identity record is no exhibit's, and stays.
 */
function neededObjects(kase: Case, leaving: ReadonlySet<string>, carried: ReadonlySet<string>): Map<string, string> {
  const needed = new Map<string, string>()
  const carriedObjects = new Set<string>()
  for (const {event} of kase.ledger.eachIngestEvent()) {
    if (event.exhibit === null) continue
    const objects = objectsOf(kase, event.payload)
    if (carried.has(event.exhibit)) for (const object of objects) carriedObjects.add(object.sha256)
    if (!leaving.has(event.exhibit)) for (const object of objects) needed.set(object.sha256, event.exhibit)
  }

  for (const {event} of kase.ledger.eventsOfKind('testimony', 'testimony-amended')) {
    const p = event.payload
    const named = 'attachments' in p ? [p.statement.sha256, ...p.attachments.map((a) => a.sha256), ...(p.identity === null ? [] : [p.identity.sealedRecord])] : [p.statement.sha256]
    for (const sha256 of named) if (!carriedObjects.has(sha256)) needed.set(sha256, event.exhibit ?? `event ${event.seq}`)
  }

  return needed
}

function present(kase: Case, object: PurgedObject): boolean {
  try {
    statSync(join(kase.dataDir, object.vault))
    return true
  } catch {
    return false
  }
}

/** Step 1: what to purge for the receiver `by`, and what earlier runs left. */
export async function planPurge(kase: Case, by: Custodian): Promise<PurgeReport> {
  // Nothing leaves on the word of events changed since the case's key signed them.
  kase.ledger.assertSignedContent()
  const acknowledged = acknowledgements(kase, by.case)
  const report: PurgeReport = {by: receiverOf(by), nothingAcknowledged: acknowledged.size === 0, purged: [], finished: [], alreadyPurged: 0, dryRun: true, removed: 0}
  const purgedBefore = new Map(kase.ledger.eventsOfKind('purged').map(({event}) => [event.exhibit!, event]))
  for (const [exhibit, event] of purgedBefore) {
    if (!acknowledged.has(exhibit) && parseCustodian(event.payload.by, `event ${event.seq}`).case !== by.case) continue
    const left = event.payload.objects.filter((o) => present(kase, o))
    if (left.length === 0) report.alreadyPurged++
    else report.finished.push({exhibit, transferId: event.payload.transferId, receipt: event.payload.receipt, objects: left, kept: [], seq: event.seq})
  }

  const leaving = new Set([...purgedBefore.keys(), ...acknowledged.keys()])
  // Which transfers were field packages: each looked up once (a pass over the envelopes), not once an exhibit.
  const fieldTransfers = new Map<string, boolean>()
  const isField = (transferId: string): boolean => fieldTransfers.get(transferId) ?? fieldTransfers.set(transferId, fieldReleaseOf(kase, transferId) !== undefined).get(transferId)!
  const carried = new Set([...acknowledged].filter(([, ack]) => isField(ack.payload.transferId)).map(([exhibit]) => exhibit))
  const needed = neededObjects(kase, leaving, carried)
  const checked = new Set<number>()
  for (const [exhibit, ack] of acknowledged) {
    if (purgedBefore.has(exhibit)) continue
    const ingest = kase.ledger.ingestEvent(exhibit)?.event
    if (ingest === undefined) continue
    if (!checked.has(ack.seq)) await checkKeptReceipt(kase, ack)
    checked.add(ack.seq)
    const objects = objectsOf(kase, ingest.payload)
    report.purged.push({
      exhibit,
      transferId: ack.payload.transferId,
      receipt: {sha256: ack.payload.receipt.sha256, seq: ack.seq},
      objects: objects.filter((o) => !needed.has(o.sha256)),
      kept: objects.filter((o) => needed.has(o.sha256)).map((o) => ({...o, neededBy: needed.get(o.sha256)!})),
    })
  }

  return report
}

/**
 * Refuses objects whose vault path holds something custody never stores there (a folder, a
 * link, a device): unlink cannot remove a folder, and a purge that recorded it would fail at it
 * every run and never reach the objects after it. Asked before anything is recorded, and again
 * before each removal (an earlier run's left objects). One already gone is no error.
 */
function refuseNonFiles(kase: Case, objects: readonly PurgedObject[], done: string): void {
  for (const object of objects) {
    const path = join(kase.dataDir, object.vault)
    let stat
    try {
      stat = lstatSync(path)
    } catch {
      continue
    }

    if (!stat.isFile()) {
      throw new CustodyError(
        'INTEGRITY',
        `${path}, the vault object (${object.role}) to remove, is not a file but ${stat.isDirectory() ? 'a folder' : stat.isSymbolicLink() ? 'a symbolic link' : 'something else'}: custody never puts one there, so someone changed the vault; ${done}. Run \`custody verify\`, and keep a copy of the case as it is`,
        {subject: path},
      )
    }
  }
}

/** Step 3: removes the objects, each folder made durable; one already gone is no error. */
async function removeObjects(kase: Case, objects: readonly PurgedObject[]): Promise<number> {
  refuseNonFiles(kase, objects, 'nothing more was removed')
  let removed = 0
  for (const object of objects) {
    const path = join(kase.dataDir, object.vault)
    try {
      await unlink(path)
      removed++
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') {
        throw new CustodyError('STORAGE_FAILED', `could not remove ${path}: ${(error as Error).message}; the purge is recorded: run the same command again`, {subject: path, cause: error})
      }
    }

    await fsyncFolder(dirname(path))
  }

  return removed
}

/**
 * Steps 2 and 3 of a plan (planPurge): the `purged` events in one append, then the removals,
 * and the removals an earlier run recorded and did not finish.
 */
export async function executePurge(kase: Case, plan: PurgeReport, by: Custodian, actor?: string): Promise<PurgeReport> {
  const report: PurgeReport = {...plan, dryRun: false}
  for (const item of [...plan.finished, ...plan.purged]) refuseNonFiles(kase, item.objects, 'nothing was recorded or removed')
  if (plan.purged.length > 0) {
    const drafts: CustodyEventDraft[] = plan.purged.map((item) => ({
      actor: actor?.trim() || kase.info.investigator,
      action: 'purged',
      exhibit: item.exhibit,
      // With no key (a field laptop: field-purge.ts), the line given, whose case the receipt's kept file is filed under.
      payload: {transferId: item.transferId, by: kase.ledger.bodiesLocked ? custodianLine(by) : acknowledgedLine(kase, item.receipt.seq), receipt: item.receipt, objects: item.objects},
    }))
    const {events} = kase.ledger.append(() => ({drafts, result: undefined}))
    await kase.recordHead()
    report.purged = plan.purged.map((item, i) => ({...item, seq: events[i]!.event.seq}))
  }

  // Finishing a run killed after it recorded (perhaps before it wrote the case's tree head):
  // the head as the ledger stands, so that verify no longer reports events after it.
  if (plan.purged.length === 0 && plan.finished.length > 0) await kase.recordHead()
  for (const item of [...report.finished, ...report.purged]) report.removed += await removeObjects(kase, item.objects)
  return report
}

/** The receiver's identity line, as the `transfer-acknowledged` event at `seq` records it. */
function acknowledgedLine(kase: Case, seq: number): string {
  const event = kase.ledger.eventsOfKind('transfer-acknowledged').find((e) => e.event.seq === seq)!
  return event.event.payload.by
}
