/**
 * `custody transfer receipt` (docs/design/transfers.md "Receipt"), on the sender's side: a receipt
 * the receiver signed is checked against what this case released, and recorded as
 * `transfer-acknowledged`. From then on the items it names are acknowledged by that receiver
 * (all released, when the receiver accepted the package; none, when it refused it):
 * `transfer export` no longer offers them, `custody status` no longer lists them as waiting, and
 * the next package to that receiver proves its head consistent with the one the receiver cosigned.
 *
 * Every claim of the receipt is held to this case's own record, and anything else is INTEGRITY
 * (exit 3), nothing recorded:
 *   - its two signatures are the receiver's (receipt.ts), by the key of the identity the transfer
 *     was released to (a receipt signed by anyone else, even a well-formed one, is refused);
 *   - it names a transfer this case released (`transfer-released`), the package's SHA-256 as
 *     released (unless it refuses the package: a package changed after it was released is what
 *     a receiver refuses), and exactly the items released, with their digests and sizes;
 *   - the checkpoint it cosigns is this case's, at the tree head of the transfer's seal, and that
 *     head is this ledger's (its root recomputed from the events).
 * The receipt and its signature are kept in the case (.custody/custodians/<receiver case>/), and
 * the event records the receipt's SHA-256, so `custody verify` finds a kept receipt changed. In an
 * encrypted case the kept receipt is an age file to the case's recipients, and the event records
 * its SHA-256 and size too, which verify checks with no key (kept-receipt.ts).
 */
import {createHash} from 'node:crypto'
import {mkdir, readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {bytesToHex} from '@noble/hashes/utils.js'
import type {Case} from '../case/case.js'
import {parseCheckpoint} from '../checkpoints/checkpoint.js'
import {CustodyError} from '../errors.js'
import type {EventOfKind} from '../formats/events.js'
import {custodianFingerprint, custodianLine, custodianOf, describeCustodian, parseCustodian} from './custodian.js'
import {fieldTransferIdOf} from './field-statement.js'
import {keptNames} from './incoming.js'
import {writeKeptReceipt} from './kept-receipt.js'
import {receiverOf} from './released.js'
import {checkReceiptSignatures, MAX_RECEIPT_BYTES, parseReceipt, type FailedItem, type ReceiptBody} from './receipt.js'

export interface AcknowledgeReport {
  /** False when this receipt had been recorded before: nothing changed. */
  recorded: boolean
  transferId: string
  by: ReturnType<typeof receiverOf>
  receivedAt: string
  condition: ReceiptBody['condition']
  /** The package the receiver received (its SHA-256), and whether it is the one released: a refused one may not be. */
  package: {sha256: string; asReleased: boolean}
  /** The items the receiver acknowledged as intact: none when it refused the package. */
  acknowledged: string[]
  /** The items the receiver's refusal names as failed, and why (none when the package was accepted). */
  failed: FailedItem[]
  /** The tree head of this ledger the receiver cosigned. */
  cosigned: {size: number; root: string}
  /** The `transfer-acknowledged` event. */
  seq: number
  kept: string
}

function refused(file: string, why: string): CustodyError {
  return new CustodyError('INTEGRITY', `${file} ${why}; nothing was recorded`, {subject: file})
}

/** The receipt's bytes and its signature (FILE.sig, 64 raw bytes), bounded. */
async function readReceiptFiles(file: string): Promise<{body: string; signature: string}> {
  const found = await stat(file).catch(() => undefined)
  // A folder, a device or nothing at all: no receipt to read (a folder would fail the read as EISDIR, naming no file).
  const size = found?.isFile() === true ? found.size : undefined
  if (size === undefined) throw new CustodyError('INVALID_ARGUMENT', `${file} is not a file; give the receipt (FILE.receipt) the receiver wrote, with its FILE.receipt.sig beside it`, {subject: file})
  if (size > MAX_RECEIPT_BYTES) throw refused(file, `is ${size} bytes, larger than any receipt custody writes`)
  const isFile = (await stat(`${file}.sig`).catch(() => undefined))?.isFile() === true
  const signature = isFile ? await readFile(`${file}.sig`).catch(() => undefined) : undefined
  if (signature === undefined) throw new CustodyError('INVALID_ARGUMENT', `${file}.sig is missing or not a file: a receipt comes with its signature, FILE.receipt.sig, beside it`, {subject: `${file}.sig`})
  if (signature.length !== 64) throw refused(`${file}.sig`, `is ${signature.length} bytes, not an Ed25519 signature (64)`)
  return {body: await readFile(file, 'utf8'), signature: signature.toString('hex')}
}

/**
 * The items acknowledged: all released when the receiver accepted the package, none when it
 * refused it (a condition naming failed items): a receiver accepts a package whole or not at all,
 * so it imported none of them, and none may be purged on that receipt's word. The items it names
 * as failed must be items released.
 */
function checkItems(file: string, receipt: ReceiptBody, released: EventOfKind<'transfer-released'>): string[] {
  const key = (i: {exhibit: string; sha256: string; sha512: string; size: number}): string => `${i.exhibit} ${i.sha256} ${i.sha512} ${i.size}`
  const sent = released.payload.items.map(key).sort()
  const got = receipt.items.map(key).sort()
  if (sent.join('\n') !== got.join('\n')) {
    const extra = got.filter((k) => !sent.includes(k)).map((k) => k.split(' ')[0])
    const missing = sent.filter((k) => !got.includes(k)).map((k) => k.split(' ')[0])
    throw refused(file, `lists other items than ${released.payload.transferId} released (event ${released.seq})${extra.length > 0 ? `: not released as listed: ${extra.slice(0, 5).join(', ')}` : ''}${missing.length > 0 ? `; released but not listed: ${missing.slice(0, 5).join(', ')}` : ''}`)
  }

  if (receipt.condition === 'intact') return released.payload.items.map((i) => i.exhibit)
  const ids = new Set(released.payload.items.map((i) => i.exhibit))
  const strange = receipt.condition.failed.filter((f) => !ids.has(f.exhibit)).map((f) => f.exhibit)
  if (strange.length > 0) throw refused(file, `names as failed ${strange.slice(0, 5).join(', ')}, which ${released.payload.transferId} did not release (event ${released.seq})`)
  return []
}

/** The checkpoint the receipt cosigns: this case's, at the transfer's seal's tree head, which this ledger has. */
function checkCosigned(kase: Case, file: string, receipt: ReceiptBody, released: EventOfKind<'transfer-released'>): {size: number; root: string} {
  const checkpoint = parseCheckpoint(receipt.senderCheckpoint)
  if ('problem' in checkpoint) throw refused(file, `cosigns no checkpoint custody writes: ${checkpoint.problem}`)
  if (checkpoint.case !== kase.info.caseId) throw refused(file, `cosigns a checkpoint of another case (${checkpoint.case})`)
  const seal = kase.ledger.eventsOfKind('seal').find(({event}) => event.payload.sealId === released.payload.sealId)?.event.payload
  const head = {size: checkpoint.treeSize, root: checkpoint.rootHash}
  if (seal === undefined || seal.treeHead.size !== head.size || seal.treeHead.root !== head.root) {
    throw refused(file, `cosigns the tree head ${head.size} ${head.root}, not the one ${released.payload.sealId} was sealed at${seal === undefined ? '' : ` (${seal.treeHead.size} ${seal.treeHead.root})`}`)
  }

  if (head.size > kase.ledger.nextSeq() || bytesToHex(kase.ledger.tree(head.size).root()) !== head.root) {
    throw refused(file, `cosigns the tree head ${head.size} ${head.root}, which this ledger does not have: run custody verify`)
  }

  return head
}

/** What a receipt was found to say against this case's record: the items it acknowledges, the head it cosigns, whether its package is the one released. */
interface ReceiptChecked {
  acknowledged: string[]
  cosigned: {size: number; root: string}
  asReleased: boolean
}

/**
 * Whether checking the receipt `file` needs what only a key opens, read before the case's keys
 * are: a receipt for a sealed package is checked against the release's sealed body; one for a
 * field package this case released is checked with no key, and so is a file that is no receipt
 * (refused for what it is, not for a key it does not need).
 */
export async function receiptNeedsKey(kase: Case, file: string): Promise<boolean> {
  let transferId: string
  try {
    transferId = parseReceipt((await readReceiptFiles(file)).body, file).transferId
  } catch {
    return false
  }

  return fieldReleaseOf(kase, transferId) === undefined && !neverReleased(kase, transferId)
}

/**
 * Whether a sealed ledger says, with no key, that this case never released `transferId`: every
 * release's envelope names its transfer (publicOf), so a receipt for another is refused for
 * what it is, not for a key it does not need (another case's receipt, given by mistake).
 */
function neverReleased(kase: Case, transferId: string): boolean {
  if (kase.ledger.asStored() === undefined) return false
  for (const {facts} of kase.ledger.publicFacts()) {
    if ((facts.action === 'transfer-released' || facts.action === 'field-transfer-released') && facts.transferId === transferId) return false
  }

  return true
}

/** A field package's release (field-export.ts), as its public facts give it with no key: the transfer, its package's SHA-256, its exhibits, its statement's time. */
interface FieldRelease {
  seq: number
  transferId: string
  package: string
  exhibits: string[]
  releasedAt: string
}

/** The release of field package `transferId`, from the ledger's public facts (read with no key), if this case made one. */
export function fieldReleaseOf(kase: Case, transferId: string): FieldRelease | undefined {
  if (kase.ledger.asStored() === undefined) return undefined
  for (const {seq, facts} of kase.ledger.publicFacts()) {
    if (facts.action !== 'field-transfer-released' || facts.transferId !== transferId) continue
    const {package: pkg, exhibits, releasedAt} = facts
    if (typeof pkg !== 'string' || typeof releasedAt !== 'string' || !Array.isArray(exhibits) || !exhibits.every((e) => typeof e === 'string')) return undefined
    return {seq, transferId, package: pkg, exhibits: exhibits as string[], releasedAt}
  }

  return undefined
}

/**
 * A receipt for a field package, checked with no key (a field laptop opens no event body): the
 * transfer ID made again from this case, the head the receipt cosigns (this ledger's own, its root
 * recomputed from the rows as stored), the receiver that signed it and the release's time must be
 * the receipt's, so the receipt is the one of the receiver released to (whose line the release
 * records only in its sealed body); the package by its SHA-256, the items by their exhibit IDs
 * (their digests are the evidence's, which HQ computed and this laptop cannot read).
 */
function checkFieldReceipt(kase: Case, file: string, receipt: ReceiptBody, release: FieldRelease): ReceiptChecked {
  const cosigned = cosignedHead(kase, file, receipt)
  const remade = fieldTransferIdOf(custodianOf(kase), cosigned, receipt.receivedBy, release.releasedAt)
  if (remade !== receipt.transferId) {
    throw refused(file, `is signed by ${describeCustodian(receipt.receivedBy)} over the tree head ${cosigned.size} ${cosigned.root}, but ${receipt.transferId} (event ${release.seq}) was not released to that receiver at that head: its transfer ID is made from both`)
  }

  const asReleased = receipt.packageSha256 === release.package
  if (!asReleased && receipt.condition === 'intact') {
    throw refused(file, `is for a package with the SHA-256 ${receipt.packageSha256}, not the one ${receipt.transferId} released (${release.package})`)
  }

  const sent = [...release.exhibits].sort()
  const got = receipt.items.map((i) => i.exhibit).sort()
  if (sent.join('\n') !== got.join('\n')) {
    throw refused(file, `lists other items than ${receipt.transferId} released (event ${release.seq}): ${got.filter((x) => !sent.includes(x)).slice(0, 5).join(', ') || 'none'} not released, ${sent.filter((x) => !got.includes(x)).slice(0, 5).join(', ') || 'none'} not listed`)
  }

  if (receipt.condition === 'intact') return {acknowledged: release.exhibits, cosigned, asReleased}
  const strange = receipt.condition.failed.filter((f) => !release.exhibits.includes(f.exhibit)).map((f) => f.exhibit)
  if (strange.length > 0) throw refused(file, `names as failed ${strange.slice(0, 5).join(', ')}, which ${receipt.transferId} did not release (event ${release.seq})`)
  return {acknowledged: [], cosigned, asReleased}
}

/** The head a receipt cosigns: a checkpoint of this case, whose tree this ledger has (its root recomputed from the rows). */
function cosignedHead(kase: Case, file: string, receipt: ReceiptBody): {size: number; root: string} {
  const checkpoint = parseCheckpoint(receipt.senderCheckpoint)
  if ('problem' in checkpoint) throw refused(file, `cosigns no checkpoint custody writes: ${checkpoint.problem}`)
  if (checkpoint.case !== kase.info.caseId) throw refused(file, `cosigns a checkpoint of another case (${checkpoint.case})`)
  const head = {size: checkpoint.treeSize, root: checkpoint.rootHash}
  if (head.size > kase.ledger.nextSeq() || bytesToHex(kase.ledger.tree(head.size).root()) !== head.root) {
    throw refused(file, `cosigns the tree head ${head.size} ${head.root}, which this ledger does not have: run custody verify`)
  }

  return head
}

/**
 * With no key, whether this case recorded a receipt for the field package `transferId` already,
 * and whether it is this one: the kept receipt is an age file, but its signature beside it is kept
 * in clear (kept-receipt.ts), and Ed25519 gives one signature for one message and key, so the same
 * signature is the same receipt. The same receipt again is nothing new; another contradicts it.
 */
async function fieldAcknowledgedBefore(kase: Case, file: string, receipt: ReceiptBody, signature: string): Promise<number | undefined> {
  const expected = keptNames(receipt.receivedBy.case, receipt.transferId).receipt
  for (const {seq, facts} of kase.ledger.publicFacts()) {
    if (facts.action !== 'transfer-acknowledged' || facts.transferId !== receipt.transferId) continue
    const kept = facts.kept === expected ? await readFile(join(kase.dataDir, `${expected}.sig`)).catch(() => undefined) : undefined
    if (kept?.toString('hex') === signature.trim()) return seq
    throw refused(file, `is a second receipt for ${receipt.transferId}, other than the one recorded (event ${seq}, kept as .custody/${String(facts.kept)}); a receiver gives one receipt a transfer, so the two contradict each other (a copy of its case restored, or a receipt forged with its key): keep both files and ask the receiver`)
  }

  return undefined
}

/** Checks the receipt `file` against what this case released, and records `transfer-acknowledged`. */
export async function acknowledgeReceipt(kase: Case, file: string, actor?: string): Promise<AcknowledgeReport> {
  const signed = await readReceiptFiles(file)
  const receipt = parseReceipt(signed.body, file)
  checkReceiptSignatures(receipt, signed, file)
  const field = fieldReleaseOf(kase, receipt.transferId)
  if (field !== undefined) return acknowledgeField(kase, file, signed, receipt, field, actor)
  if (kase.ledger.bodiesLocked && neverReleased(kase, receipt.transferId)) throw refused(file, `is a receipt for ${receipt.transferId}, which this case never released`)
  const released = kase.ledger.eventsOfKind('transfer-released').find(({event}) => event.payload.transferId === receipt.transferId)?.event
  if (released === undefined) throw refused(file, `is a receipt for ${receipt.transferId}, which this case never released`)
  const to = parseCustodian(released.payload.to, `event ${released.seq}`)
  if (to.case !== receipt.receivedBy.case || custodianFingerprint(to) !== custodianFingerprint(receipt.receivedBy)) {
    throw refused(file, `is signed by ${describeCustodian(receipt.receivedBy)}, but ${receipt.transferId} was released to ${describeCustodian(to)} (event ${released.seq})`)
  }

  // A refusal may be of a package other than the one released: items changed after it left this
  // case are what a receiver refuses. It is recorded, and said (`package.asReleased`).
  const asReleased = receipt.packageSha256 === released.payload.package.sha256
  if (!asReleased && receipt.condition === 'intact') {
    throw refused(file, `is for a package with the SHA-256 ${receipt.packageSha256}, not the one ${receipt.transferId} released (${released.payload.package.sha256})`)
  }

  const acknowledged = checkItems(file, receipt, released)
  const cosigned = checkCosigned(kase, file, receipt, released)
  const checked = {acknowledged, cosigned, asReleased}
  const sha256 = createHash('sha256').update(signed.body).digest('hex')
  const before = kase.ledger.eventsOfKind('transfer-acknowledged').find(({event}) => event.payload.receipt.sha256 === sha256)?.event
  if (before !== undefined) return {...reportBase(receipt, checked), recorded: false, seq: before.seq}
  // The receiver answers a transfer once (accepted, or refused: docs/design/transfers.md). Another,
  // different receipt for it contradicts the one recorded; recording it would replace the kept copy
  // that event and any purge on it stand on, and could let a purge rest on either answer.
  const earlier = kase.ledger.eventsOfKind('transfer-acknowledged').find(({event}) => event.payload.transferId === receipt.transferId)?.event
  if (earlier !== undefined) {
    throw refused(file, `is a second receipt for ${receipt.transferId}, other than the one recorded (event ${earlier.seq}, ${earlier.payload.condition}); a receiver gives one receipt a transfer, so the two contradict each other (a copy of its case restored, or a receipt forged with its key): keep both files and ask the receiver`)
  }

  return recordAcknowledgement(kase, signed, receipt, checked, actor)
}

/** A receipt for a field package (checkFieldReceipt), recorded; the same receipt again changes nothing. */
async function acknowledgeField(kase: Case, file: string, signed: {body: string; signature: string}, receipt: ReceiptBody, release: FieldRelease, actor: string | undefined): Promise<AcknowledgeReport> {
  const checked = checkFieldReceipt(kase, file, receipt, release)
  const before = await fieldAcknowledgedBefore(kase, file, receipt, signed.signature)
  if (before !== undefined) return {...reportBase(receipt, checked), recorded: false, seq: before}
  return recordAcknowledgement(kase, signed, receipt, checked, actor)
}

/** What the report says of a receipt checked, whether recorded now or before. */
function reportBase(receipt: ReceiptBody, checked: ReceiptChecked): Omit<AcknowledgeReport, 'recorded' | 'seq'> {
  const failed = receipt.condition === 'intact' ? [] : receipt.condition.failed
  const kept = keptNames(receipt.receivedBy.case, receipt.transferId).receipt
  return {transferId: receipt.transferId, by: receiverOf(receipt.receivedBy), receivedAt: receipt.receivedAt, condition: receipt.condition, package: {sha256: receipt.packageSha256, asReleased: checked.asReleased}, acknowledged: checked.acknowledged, failed, cosigned: checked.cosigned, kept}
}

/** The receipt kept in the case (an age file to its recipients in an encrypted case), and `transfer-acknowledged`. */
async function recordAcknowledgement(kase: Case, signed: {body: string; signature: string}, receipt: ReceiptBody, checked: ReceiptChecked, actor: string | undefined): Promise<AcknowledgeReport> {
  const base = reportBase(receipt, checked)
  const {acknowledged, cosigned} = checked
  const sha256 = createHash('sha256').update(signed.body).digest('hex')
  const {folder, receipt: kept} = keptNames(receipt.receivedBy.case, receipt.transferId)
  await mkdir(join(kase.dataDir, folder), {recursive: true, mode: 0o700})
  const {stored} = await writeKeptReceipt(kase, kept, signed)
  const {events} = kase.ledger.append(() => ({
    drafts: [
      {
        actor: actor?.trim() || kase.info.investigator,
        action: 'transfer-acknowledged',
        exhibit: null,
        payload: {
          transferId: receipt.transferId,
          by: custodianLine(receipt.receivedBy),
          receipt: {sha256, receivedAt: receipt.receivedAt, kept, ...(stored === undefined ? {} : {stored})},
          condition: receipt.condition === 'intact' ? 'intact' : 'refused',
          acknowledged,
          cosigned,
        },
      },
    ],
    result: undefined,
  }))
  await kase.recordHead()
  return {...base, recorded: true, seq: events[0]!.event.seq}
}
