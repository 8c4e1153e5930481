/**
 * What a seal of received exhibits carries of the custodians before this case
 * (docs/design/transfers.md "HQ's seal"): for each hand-over that brought a sealed exhibit, the
 * sender's own record of it, taken out of the package this case keeps (verified again first),
 * and the receipt this case signed for it, under data/custodians/<sender's case>/<transfer ID>/
 * (bag-layout.ts names the files). A court then holds, in one archive, every hand the exhibit
 * passed through, each under its own signature:
 *   - the sender's transfer statement and checkpoint, signed by the sender's key (sender.pem);
 *   - the sender's events of the exhibit, each with its inclusion proof to that checkpoint, with
 *     the sender's first event and key events (which name its case and its keys);
 *   - this case's receipt (signed by receiver.pem, one of this case's keys), which cosigns the
 *     sender's checkpoint; this case's `transfer-received` event, in the seal's own events, names
 *     the receipt's SHA-256.
 * The sender's events are never copied into this case's ledger: they are read from the kept
 * package each time, as `log --custodians` reads them.
 */
import {createHash} from 'node:crypto'
import {join} from 'node:path'
import type {AgeIdentity} from '../age/x25519.js'
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import type {EventOfKind} from '../formats/events.js'
import {publicKeyPem} from '../keys/signing-key.js'
import {BAG_LIMITS, CUSTODIAN_FILES, custodianFolder, EVENTS_PATH, TRANSFER_PATH, TRANSFER_SIGNATURE_PATH, type CustodianFileRole, type SealedCustodian} from '../seal/bag-layout.js'
import {CHECKPOINT_PATH, KEY_PATH} from '../seal/trust-files.js'
import type {ArchiveContext} from '../verify/archive/context.js'
import {parseEventLine} from '../verify/archive/events.js'
import {identityNeeded} from '../vault/sealed-objects.js'
import {bagFile} from '../verify/archive/trust.js'
import {concerns, readKeptPackage} from './chain.js'
import {custodianFingerprint} from './custodian.js'
import {keptReceiptOf} from './incoming.js'
import {KeptReceiptProblem, readKeptReceipt} from './kept-receipt.js'
import {parseReceipt} from './receipt.js'

/** A hand-over to carry: its `transfer-received` event, and its items sealed now (the sender's ID, this case's). */
export interface CarriedTransfer {
  event: EventOfKind<'transfer-received'>
  items: Array<{exhibit: string; receivedAs: string}>
}

/** The records a seal carries: the files, in the order they go in, and what the statement says of them. */
export interface CustodianRecords {
  files: Array<[string, Buffer]>
  stated: SealedCustodian[]
}

/** Events of the sender's case that every record carries: its first (which names the case) and those of its keys. */
const CASE_EVENTS: ReadonlySet<string> = new Set(['create-case', 'key-created', 'key-rotated', 'restore-accepted'])

/**
 * Exhibits received in a field package (`sealId` null): a seal cannot carry their sender's record
 * yet (its events are rows as the sender stores them, whose bodies a court cannot open: they are
 * to go in as lines HQ opened, docs/design/transfers.md), and a seal without it would not verify.
 */
function fieldReceived(event: EventOfKind<'transfer-received'>, items: ReadonlyArray<{receivedAs: string}>): CustodyError {
  const ids = items.map((i) => i.receivedAs)
  const shown = `${ids.slice(0, 3).join(', ')}${ids.length > 3 ? `, … (${ids.length})` : ''}`
  return new CustodyError(
    'INVALID_ARGUMENT',
    `${shown} came in a field package (${event.payload.transferId}), and this version of custody cannot yet put the sender's record of a field package into a seal; nothing was sealed. They are kept, verified, in this case and its vault (custody verify checks the kept package); seal the other exhibits by naming them`,
    {subject: ids[0]!},
  )
}

/**
 * The hand-overs that brought an exhibit `sealed` holds, among the events of the sealed tree
 * (`treeSize`): each `transfer-received` with an item received as one of them. Read from the
 * ledger's events of that kind, which are few (one a package).
 */
export function carriedTransfers(kase: Case, sealed: (id: string) => boolean, treeSize: number): CarriedTransfer[] {
  const carried: CarriedTransfer[] = []
  for (const {event} of kase.ledger.eventsOfKind('transfer-received')) {
    if (event.seq >= treeSize) continue
    const items = event.payload.items.flatMap((i) => (i.receivedAs !== undefined && sealed(i.receivedAs) ? [{exhibit: i.exhibit, receivedAs: i.receivedAs}] : []))
    if (items.length > 0 && event.payload.sealId === null) throw fieldReceived(event, items)
    if (items.length > 0) carried.push({event, items})
  }

  if (carried.length > BAG_LIMITS.custodians) {
    throw new CustodyError('INVALID_ARGUMENT', `the exhibits chosen came in ${carried.length} hand-overs, more than the ${BAG_LIMITS.custodians} one archive carries; nothing was sealed. Seal fewer exhibits at a time`)
  }

  return carried
}

/** The sender's files of a package, read out of it while it is open (every check has passed). */
interface PackageFiles {
  transfer: Buffer
  transferSignature: Buffer
  checkpoint: Buffer
  checkpointSignature: Buffer
  senderKey: Buffer
  events: Buffer
  eventCount: number
}

async function readPackageFiles(context: ArchiveContext, exhibits: ReadonlySet<string>): Promise<PackageFiles> {
  const whole = async (path: string): Promise<Buffer> => {
    const bytes = await bagFile(context, path)
    if (bytes === undefined) throw new CustodyError('INTEGRITY', `the kept package ${context.path} has no readable ${path}; run custody verify`, {subject: context.path})
    return bytes
  }

  const lines: string[] = []
  const file = context.files.get(EVENTS_PATH)
  if (file !== undefined) {
    for await (const line of context.source.lines(file.info, BAG_LIMITS.eventLine)) {
      const read = parseEventLine(line, EVENTS_PATH)
      if (!('parsed' in read) || !('event' in read.parsed)) continue
      const event = read.parsed.event
      if (CASE_EVENTS.has(event.action) || concerns(event, exhibits)) lines.push(`${line}\n`)
    }
  }

  return {
    transfer: await whole(TRANSFER_PATH),
    transferSignature: await whole(TRANSFER_SIGNATURE_PATH),
    checkpoint: await whole(CHECKPOINT_PATH),
    checkpointSignature: await whole(`${CHECKPOINT_PATH}.sig`),
    senderKey: await whole(KEY_PATH),
    events: Buffer.from(lines.join('')),
    eventCount: lines.length,
  }
}

/**
 * This case's kept receipt of the transfer, held to what its `transfer-received` event records:
 * its SHA-256, and in an encrypted case its age file's first, opened with `identities`
 * (kept-receipt.ts). The archive carries the receipt in clear, as signed.
 */
async function keptReceipt(kase: Case, event: EventOfKind<'transfer-received'>, identities: readonly AgeIdentity[]): Promise<{body: Buffer; signature: Buffer; receivedAt: string; receiverKey: Buffer}> {
  const kept = keptReceiptOf(event.payload.kept)
  const refused = (why: string): CustodyError =>
    new CustodyError('INTEGRITY', `the kept receipt .custody/${kept}, which event ${event.seq} records, ${why}; nothing was sealed. Run custody verify`, {subject: kept})
  const read = await readKeptReceipt(kase.dataDir, kept, event.payload.receipt, identities).catch((error: unknown) => {
    throw error instanceof KeptReceiptProblem ? refused(error.why) : error
  })
  if (!('body' in read)) throw identityNeeded(join(kase.dataDir, kept))
  const {body, signature} = read
  const receipt = parseReceipt(body.toString('utf8'), `.custody/${kept}`)
  return {body, signature, receivedAt: receipt.receivedAt, receiverKey: Buffer.from(publicKeyPem(Buffer.from(receipt.receivedBy.signingKey, 'base64')))}
}

/** One hand-over's record: its files under its folder, and what the statement says of them. */
async function recordOf(kase: Case, carried: CarriedTransfer, identities: readonly AgeIdentity[]): Promise<CustodianRecords> {
  const {event, items} = carried
  let read: PackageFiles | undefined
  const sender = await readKeptPackage(kase, event, identities, async (context) => {
    read = await readPackageFiles(context, new Set(items.map((i) => i.exhibit)))
  })
  if (read === undefined) throw new CustodyError('INTEGRITY', `the kept package .custody/${event.payload.kept} could not be read; run custody verify`, {subject: event.payload.kept})
  const receipt = await keptReceipt(kase, event, identities)
  const folder = custodianFolder(sender.case, event.payload.transferId)
  const bytes: Record<CustodianFileRole, Buffer> = {...read, receipt: receipt.body, receiptSignature: receipt.signature, receiverKey: receipt.receiverKey}
  const files: Array<[string, Buffer]> = []
  const stated = {} as SealedCustodian['files']
  for (const [role, name] of Object.entries(CUSTODIAN_FILES) as Array<[CustodianFileRole, string]>) {
    const path = `${folder}/${name}`
    files.push([path, bytes[role]])
    stated[role] = {path, sha256: createHash('sha256').update(bytes[role]).digest('hex')}
  }

  const from = {case: sender.case, name: sender.name, organisation: sender.organisation, fingerprint: custodianFingerprint(sender)}
  const record: SealedCustodian = {transferId: event.payload.transferId, from, releasedAt: event.payload.releasedAt, receivedAt: receipt.receivedAt, items, folder, files: stated, eventCount: read.eventCount}
  return {files, stated: [record]}
}

/**
 * The records of `carried`, each read from its kept package (which `identities`, this case's,
 * open); INTEGRITY when a package or receipt is not the one the ledger records, WRONG_KEY when
 * no identity was given to open them.
 */
export async function custodianRecords(kase: Case, carried: readonly CarriedTransfer[], identities: readonly AgeIdentity[]): Promise<CustodianRecords> {
  const records: CustodianRecords = {files: [], stated: []}
  if (carried.length > 0 && identities.length === 0) {
    throw new CustodyError('WRONG_KEY', `the exhibits chosen were received from other custodians, whose records of them are in the packages this case keeps, which only an identity of this case opens: give the passphrase or an identity file`)
  }

  for (const one of carried) {
    const record = await recordOf(kase, one, identities)
    records.files.push(...record.files)
    records.stated.push(...record.stated)
  }

  checkStatedSize(records.stated)
  return records
}

/**
 * The statement but its exhibits is read whole by a verifier, up to a bound
 * (BAG_LIMITS.statementRest): never seal one it would refuse. The records may take half of it (the
 * rest is the case, the trust files, the testimonies); `limit`, in bytes as the statement is
 * written, is given by tests only. INVALID_ARGUMENT when they take more.
 */
export function checkStatedSize(stated: readonly SealedCustodian[], limit: number = BAG_LIMITS.statementRest / 2): void {
  const bytes = Buffer.byteLength(JSON.stringify(stated, null, 2))
  if (bytes > limit) {
    throw new CustodyError('INVALID_ARGUMENT', `the exhibits chosen came in ${stated.length} hand-overs, whose records would take ${bytes} bytes of the seal statement, more than an archive may give them; nothing was sealed. Seal fewer exhibits at a time`)
  }
}
