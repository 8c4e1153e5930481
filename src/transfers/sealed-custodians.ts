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
 * package each time, as `log --custodians` reads them. From a field package (`sealId` null),
 * whose rows a court cannot open, they are every row of the sender's tree: those of the exhibits
 * opened with this case's identity as the verifier reads them, written as lines of an encrypted
 * ledger are, the others as their envelopes alone (FieldRows), so that none can be left out.
 */
import {createHash} from 'node:crypto'
import {bytesToHex} from '@noble/hashes/utils.js'
import {join} from 'node:path'
import type {AgeIdentity} from '../age/x25519.js'
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import type {EventOfKind} from '../formats/events.js'
import {publicKeyPem} from '../keys/signing-key.js'
import {readCheckpointLine} from '../checkpoints/checkpoint.js'
import {keyHistory} from '../checkpoints/verify-checkpoints.js'
import {BAG_LIMITS, CUSTODIAN_FILES, custodianFolder, EVENTS_PATH, ROTATIONS_FILE, TRANSFER_PATH, TRANSFER_SIGNATURE_PATH, type CustodianFileRole, type SealedCustodian} from '../seal/bag-layout.js'
import {CHECKPOINT_PATH, KEY_PATH} from '../seal/trust-files.js'
import type {ArchiveContext} from '../verify/archive/context.js'
import {parseEventLine} from '../verify/archive/events.js'
import {identityNeeded} from '../vault/sealed-objects.js'
import type {FieldRowRead} from '../verify/archive/field-state.js'
import {isCarried, readStoredEnvelope, storedLeafHash} from '../ledger/envelope.js'
import {MerkleTree} from '../merkle/tree.js'
import {bagFile} from '../verify/archive/trust.js'
import {fieldPackageFile} from '../verify/archive/field-package.js'
import {concerns, readKeptPackage} from './chain.js'
import type {Custodian} from './custodian.js'
import {FIELD_PACKAGE_FILES as F} from './field-layout.js'
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
 * The hand-overs that brought an exhibit `sealed` holds, among the events of the sealed tree
 * (`treeSize`): each `transfer-received` with an item received as one of them. Read from the
 * ledger's events of that kind, which are few (one a package).
 */
export function carriedTransfers(kase: Case, sealed: (id: string) => boolean, treeSize: number): CarriedTransfer[] {
  const carried: CarriedTransfer[] = []
  for (const {event} of kase.ledger.eventsOfKind('transfer-received')) {
    if (event.seq >= treeSize) continue
    const items = event.payload.items.flatMap((i) => (i.receivedAs !== undefined && sealed(i.receivedAs) ? [{exhibit: i.exhibit, receivedAs: i.receivedAs}] : []))
    if (items.length > 0) carried.push({event, items})
  }

  if (carried.length > BAG_LIMITS.custodians) {
    throw new CustodyError('INVALID_ARGUMENT', `the exhibits chosen came in ${carried.length} hand-overs, more than the ${BAG_LIMITS.custodians} one archive carries; nothing was sealed. Seal fewer exhibits at a time`)
  }

  return carried
}

/**
 * A field package's rows as its ledger check reads them (VerifyArchiveOptions.onFieldRow), each
 * made a line of the record's events.jsonl: the record holds every row of the sender's tree, in
 * order, so that a court recomputes the checkpoint's root from them and finds none left out.
 *   - The rows whose events a seal carries (the sender's first, its key events, those naming or
 *     concerning the exhibits received), opened with this case's identity, are lines as a seal of
 *     an encrypted case writes its own (events-file.ts): the envelope as stored (the leaf), the
 *     event in clear and the salt that recomputes the envelope's commitment, the chain hash and
 *     the inclusion proof to the sender's checkpoint; a row carried in clear from before the
 *     sender's case was encrypted, as a case in clear writes it (its event is its leaf).
 *   - Every other row is its envelope alone (its time, exhibit ID and public facts, which the
 *     package showed in clear), with its chain hash and leaf: a row line. A row naming an exhibit
 *     received must open (WRONG_KEY otherwise), and so must a carried one (its envelope is not its
 *     leaf, so alone it would prove nothing of what it names).
 * The leaves are kept (32 bytes a row) for the inclusion proofs, and the row lines until the end.
 */
class FieldRows {
  private readonly leaves: Uint8Array[] = []
  private readonly rows: Array<FieldRowRead | string> = []
  /** The first row that must open and did not (the hook throws nothing: the ledger check would take it for its own problem). */
  private unopened: number | undefined

  constructor(private readonly exhibits: ReadonlySet<string>) {}

  readonly row = (row: FieldRowRead): void => {
    const leaf = storedLeafHash(row.envelope)
    this.leaves.push(leaf)
    const read = readStoredEnvelope(row.envelope)
    if (!('envelope' in read)) return
    const {envelope} = read
    // A row of an exhibit received, and a carried row (whose envelope is not its leaf), go with their event.
    const mustOpen = (envelope.exhibit !== null && this.exhibits.has(envelope.exhibit)) || isCarried(envelope)
    const carried = mustOpen || row.seq === 0 || CASE_EVENTS.has(String(envelope.public?.action))
    const event = row.opened?.event
    if (event !== undefined && (carried || concerns(event, this.exhibits))) this.rows.push(row)
    else {
      if (mustOpen) this.unopened ??= row.seq
      this.rows.push(`{"envelope":${row.envelope},"hash":"${row.hash}","leafHash":"${bytesToHex(leaf)}","prev":"${row.prev}","seq":${row.seq}}\n`)
    }
  }

  /** The lines, proven against the first `size` rows (the sender's checkpoint). */
  lines(size: number): string[] {
    if (this.unopened !== undefined) {
      const at = `event ${this.unopened}`
      throw new CustodyError('WRONG_KEY', `${at} of the sender's ledger, which a seal of its exhibits carries opened, does not open with this case's identity (its run is wrapped to other recipients); nothing was sealed`, {subject: at})
    }

    if (this.leaves.length !== size || this.rows.length !== size) throw new CustodyError('INTEGRITY', `the kept field package holds ${this.leaves.length} rows, not the ${size} its checkpoint signs; run custody verify`)
    const tree = new MerkleTree(this.leaves)
    return this.rows.map((row) => {
      if (typeof row === 'string') return row
      const {seq, prev, hash, envelope} = row
      const proof = tree.inclusionProof(seq).map((h) => `"${bytesToHex(h)}"`)
      const chained = `"hash":"${hash}","inclusionProof":[${proof.join(',')}],"leafHash":"${bytesToHex(tree.leaf(seq))}","prev":"${prev}"`
      const {canonical, salt} = row.opened!
      return salt === undefined ? `{"event":${canonical},${chained},"seq":${seq}}\n` : `{"envelope":${envelope},"event":${canonical},${chained},"salt":"${salt.toString('hex')}","seq":${seq}}\n`
    })
  }
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
  /** From a field package whose sender rotated its key: the checkpoints that vouch each rotation (ROTATIONS_FILE). */
  rotations?: Buffer
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

/**
 * A field package's files (field-layout.ts), read out of it while it is open (every check has
 * passed): its statement, checkpoint and key as they are, and the sender's events as lines a
 * court reads (FieldRows).
 */
async function readFieldFiles(context: ArchiveContext, rows: FieldRows): Promise<PackageFiles> {
  const whole = async (role: Parameters<typeof fieldPackageFile>[1]): Promise<Buffer> => {
    const bytes = await fieldPackageFile(context, role)
    if (bytes === undefined) throw new CustodyError('INTEGRITY', `the kept package ${context.path} has no readable ${F[role]}; run custody verify`, {subject: context.path})
    return bytes
  }

  const lines = rows.lines(context.field?.checkpoint?.treeSize ?? -1)
  const rotations = await rotationLines(context)
  return {
    transfer: await whole('transfer'),
    transferSignature: await whole('transferSignature'),
    checkpoint: await whole('checkpoint'),
    checkpointSignature: await whole('checkpointSignature'),
    senderKey: await whole('senderKey'),
    events: Buffer.from(lines.join('')),
    eventCount: lines.length,
    ...(rotations.length === 0 ? {} : {rotations: Buffer.from(rotations.join(''))}),
  }
}

/**
 * The lines of the package's ledger-checkpoints.jsonl that vouch the sender's key rotations (the
 * ledger check found one for each): for each key after the first, the checkpoint over the event
 * that recorded it, signed by the key it replaced, as the package holds it.
 */
async function rotationLines(context: ArchiveContext): Promise<string[]> {
  const history = keyHistory(context.field?.keys ?? [])
  const wanted = new Map(history.slice(1).map((key, i) => [key.seq + 1, history[i]!.fingerprint]))
  const lines = new Map<number, string>()
  const file = context.files.get(F.checkpoints)
  if (wanted.size === 0 || file === undefined) return []
  for await (const text of context.source.lines(file.info, 16 * 1024)) {
    const parsed = readCheckpointLine(text)?.parsed
    if (parsed === undefined || wanted.get(parsed.treeSize) !== parsed.keyFingerprint || lines.has(parsed.treeSize)) continue
    lines.set(parsed.treeSize, `${text}\n`)
  }

  if (lines.size !== wanted.size) throw new CustodyError('INTEGRITY', `the kept package ${context.path} does not hold a checkpoint of each key its sender rotated from; run custody verify`, {subject: context.path})
  return [...lines.keys()].sort((a, b) => a - b).map((size) => lines.get(size)!)
}

/** The sender's files of the hand-over's package: a seal's, or a field package's (`sealId` null). */
async function packageFiles(kase: Case, carried: CarriedTransfer, identities: readonly AgeIdentity[]): Promise<{sender: Custodian; read: PackageFiles | undefined}> {
  const {event, items} = carried
  const exhibits = new Set(items.map((i) => i.exhibit))
  let read: PackageFiles | undefined
  if (event.payload.sealId !== null) {
    const sender = await readKeptPackage(kase, event, identities, async (context) => {
      read = await readPackageFiles(context, exhibits)
    })
    return {sender, read}
  }

  const rows = new FieldRows(exhibits)
  const sender = await readKeptPackage(
    kase,
    event,
    identities,
    async (context) => {
      read = await readFieldFiles(context, rows)
    },
    {onFieldRow: rows.row},
  )
  return {sender, read}
}

/** One hand-over's record: its files under its folder, and what the statement says of them. */
async function recordOf(kase: Case, carried: CarriedTransfer, identities: readonly AgeIdentity[]): Promise<CustodianRecords> {
  const {event, items} = carried
  const {sender, read} = await packageFiles(kase, carried, identities)
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

  if (read.rotations !== undefined) {
    const path = `${folder}/${ROTATIONS_FILE}`
    files.push([path, read.rotations])
    stated.rotations = {path, sha256: createHash('sha256').update(read.rotations).digest('hex')}
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
