/**
 * `custody transfer accept` (docs/design/transfers.md "Accept (HQ side)"): a receiver takes in a
 * transfer package, proves it is what its sender released to it, keeps it, records the hand-over
 * and signs a receipt for the sender. In order:
 *
 *   1. copy     the package into the case (.custody/custodians/, a temporary name: incoming.ts),
 *               then hash the copy: what is checked is the copy, never a file someone else may
 *               change after it was checked
 *   2. replay   a package already accepted (the same SHA-256, or the same transfer ID): nothing
 *               changes, said so, and its kept receipt is given again
 *   3. verify   the copy as `custody verify PACKAGE.zip.age` does (the archive verifier, with the
 *               case identity that opens it; its check 12 holds transfer.json to the archive):
 *               any problem ends it here, INTEGRITY, nothing imported; no receipt, unless
 *               every problem is an item's and steps 4 and 5 hold: then the package is refused
 *               with a receipt naming the failed items, and `transfer-refused` (refused.ts)
 *   4. parties  transfer.json names this case as receiver (with one of its keys), and a sender
 *               the user accepts (`from`, or the case's trust list: trust.ts), by case ID and
 *               with the key the sender's line gives, or one it rotated to, which the package
 *               proves with the checkpoints the earlier keys signed (rotations.ts)
 *   5. split    every head of the sender this case accepted before is the package's or proven a
 *               prefix of it (split-view.ts): else INTEGRITY naming both heads
 *   6. keep     the copy is put at <sender case>/<transfer ID>.zip.age, the receipt and its signature beside
 *               it (in an encrypted case the receipt as an age file: kept-receipt.ts), then
 *               `transfer-received` is appended: the sender, its tree head, the package's
 *               SHA-256, the items with their digests, the receipt's SHA-256 (and as stored)
 *   7. give     the receipt (FILE.receipt and FILE.receipt.sig) beside the package
 *
 * A crash before step 6's event leaves at most a kept package and receipt that no event names: a
 * run again copies, checks and keeps them again (the same names), then records; the copy a killed
 * run left is removed by the next. After the event, a run again is a replay, which gives the kept
 * receipt. The sender's events are never copied into this ledger: the kept package holds them,
 * with the sender's signatures.
 *
 * Each item is numbered in this case (import.ts): its original staged into the vault as step 3
 * reads and hashes it (or, if it was not, while the verified package is open), committed once the
 * package is kept, and recorded with `transfer-received` in one transaction; a refused package's
 * staged copies are removed. A crash before it leaves vault objects no event names, as an ingest
 * killed after storing does; the run again stores the same content at the same addresses.
 */
import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {chmod, copyFile, mkdir, readFile, rm, stat} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import type {AgeIdentity} from '../age/x25519.js'
import type {Case} from '../case/case.js'
import {CustodyError, fields, said} from '../errors.js'
import {digestFile} from '../hashing/digests.js'
import {quietly} from '../hashing/pump.js'
import type {CustodyEventDraft, EarlierPackage, EventOfKind, ReceivedItem, TransferItem} from '../formats/events.js'
import {fsyncFolder, fsyncPath, moveIntoPlace, writeFileDurably} from '../io/files.js'
import {describeSigningKey} from '../keys/case-key.js'
import {CHECKPOINT_PATH} from '../seal/trust-files.js'
import {smallFileLimit, TRANSFER_PATH, TRANSFER_SIGNATURE_PATH} from '../seal/bag-layout.js'
import {verifySignature} from '../keys/signing-key.js'
import {bagFile} from '../verify/archive/trust.js'
import {identityNeeded} from '../vault/sealed-objects.js'
import type {ArchiveContext} from '../verify/archive/context.js'
import {archiveZipSha256, verifyArchive, type ArchiveReport} from '../verify/verify-archive.js'
import {custodianFingerprint, custodianOf, describeCustodian, parseCustodian, type Custodian} from './custodian.js'
import {receiverOf} from './released.js'
import {KeptReceiptProblem, readKeptReceipt, writeKeptReceipt} from './kept-receipt.js'
import {signReceipt, type SignedReceipt} from './receipt.js'
import {arrivalOf, CUSTODIANS_FOLDER, incomingName, keptNames, staleCopies, type Arrival} from './incoming.js'
import {describeSplitView, earlierToRecord, provenEarlier, splitViews, type Head, type SeenHead} from './split-view.js'
import {followRotations, type FollowedRotation} from './rotations.js'
import {readTransferStatement, type TransferStatement} from './transfer-statement.js'
import {failedFieldItems, failedItems, refuseAgain, refusedBefore, refusePackage, type ReceiptGiving, type RefusedPackage} from './refused.js'
import {commitStaged, discardStaged, planIds, readSenderExhibits, receivedDrafts, receivedItems, sealReader, StagedAhead, stageItems, type StagedItem} from './import.js'
import {fieldArrival, fieldReader, type FieldArrival} from './field-accept.js'
import type {FieldTransferStatement} from './field-statement.js'
import type {RecordedKey} from '../checkpoints/verify-checkpoints.js'
import {trustedCustodians} from './trust.js'

/** The fields accept's errors name (the command maps them to its flags). */
export const ACCEPT = fields({from: 'the senders accepted', receiptOut: 'the receipt file', identity: 'an identity that opens the package'})

export interface AcceptOptions {
  /** The senders accepted beside the case's trust list (trust.ts): a package from anyone else is refused. */
  from: readonly Custodian[]
  /** What opens the package: the case identity (opened by the passphrase), and any given. */
  identities: readonly AgeIdentity[]
  /** Where the receipt goes (and its signature, with .sig added); default: the package's path and .receipt. */
  receiptOut?: string | undefined
  actor?: string | undefined
  onProgress?: (done: number, total: number) => void
}

export interface AcceptReport {
  /** False when the package had been accepted before: nothing changed. */
  accepted: boolean
  /** What the package was: a sealed archive, or a field package (objects and ledger rows as the sender stores them). */
  kind: 'seal' | 'field-package'
  transferId: string
  /** The seal the package was; null for a field package. */
  sealId: string | null
  from: ReturnType<typeof receiverOf>
  releasedAt: string
  purpose: string | null
  package: {file: string; sha256: string; size: number}
  /** The package as this case keeps it, under .custody/. */
  kept: string
  treeHead: {size: number; root: string}
  /** The items as this case recorded them: each with the exhibit ID it has here (`receivedAs`), unless kept in the package only. */
  items: ReceivedItem[]
  /** The `transfer-received` event. */
  seq: number
  receipt: {file: string; signature: string; sha256: string}
  /** The sender's key rotations followed on this run, from the key it was known by to the package's signer (absent when none was). */
  rotation?: FollowedRotation
  /** A package older than one accepted before, delivered after it: the transfer whose package proved its sender made this one (absent otherwise). */
  late?: {provenBy: string; refused?: true}
}

/** Removes the copies that accepts killed before they ended left (never a running one's). */
async function removeStaleCopies(dataDir: string): Promise<void> {
  for (const name of await staleCopies(dataDir)) await rm(join(dataDir, CUSTODIANS_FOLDER, name), {force: true})
}

/** The package's copy: its temporary name, SHA-256 and size, and the copy's fsync (started as the copy ends, awaited before it is kept). */
interface PackageCopy {
  temp: string
  sha256: string
  size: number
  durable: Promise<void>
}

/**
 * Step 1: the package copied to a temporary name in the case's custodians folder, then the copy
 * hashed (SHA-256) and measured: what every later step checks and records is that copy. The
 * kernel copies (copy_file_range): a copy through this process, a MiB at a time, spent seconds of
 * a large package's acceptance reading and writing. The copy is made durable beside the checks
 * that read it (the fsync of a large package's copy was seconds of waiting for the disk); keep()
 * waits for it before the copy is put in place, so nothing records a package the disk may not hold.
 */
async function copyIn(file: string, dataDir: string): Promise<PackageCopy> {
  const folder = join(dataDir, CUSTODIANS_FOLDER)
  await mkdir(folder, {recursive: true, mode: 0o700})
  await removeStaleCopies(dataDir)
  const temp = join(folder, incomingName(randomBytes(4).toString('hex')))
  try {
    // The copy takes the package's mode; it is the case's alone (600), as the kept package is,
    // before anything reads it (the package is an age file: its mode guards nothing its encryption does not).
    await copyFile(file, temp, constants.COPYFILE_EXCL)
    await chmod(temp, 0o600)
    const {sha256, size} = await digestFile(temp, 'sha256')
    return {temp, sha256, size, durable: quietly(fsyncPath(temp))}
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
}

/**
 * Whether to stage a seal package's originals as its verification hashes them (StagedAhead.allow):
 * only when its transfer statement, read before anything is hashed, is signed by the key it names
 * as the sender's, is addressed to this case, from a sender it accepts (checkParties), and no
 * transfer of its was received or refused before. Nothing read here is believed: the verification
 * holds the whole package to its signatures after, and checkPackage checks the parties again. A
 * package that fails here is not copied into the vault; a package that passes here but fails after
 * has its copies removed (discardRest), and an item whose copy is not its own is read again.
 */
async function stageAlongIf(kase: Case, file: string, sha256: string, options: AcceptOptions, early: StagedAhead, read: (path: string, maxBytes: number) => Promise<Buffer | undefined>): Promise<void> {
  try {
    const bytes = await read(TRANSFER_PATH, smallFileLimit(TRANSFER_PATH) ?? 0)
    const signature = await read(TRANSFER_SIGNATURE_PATH, smallFileLimit(TRANSFER_SIGNATURE_PATH) ?? 0)
    if (bytes === undefined || signature === undefined) return
    const statement = readTransferStatement(bytes)
    if ('problem' in statement || !verifySignature(Buffer.from(statement.from.signingKey, 'base64'), bytes, signature)) return
    if (acceptedBefore(kase, sha256, statement.transferId) !== undefined || refusedBefore(kase, sha256, statement.transferId) !== undefined) return
    // A package delivered late signed by a key its sender rotated away from is not staged along (its bytes are not read yet).
    checkParties(kase, file, statement, options.from, undefined)
    early.allow()
  } catch {
    // Whatever fails here (a refusal of the parties, a file that does not read) is met again
    // after, by the verification or checkPackage, which say what it is: nothing is staged along.
  }
}

/** Step 2: the `transfer-received` event of this package (by its SHA-256) or of its transfer, if any. */
function acceptedBefore(kase: Case, sha256: string, transferId?: string): EventOfKind<'transfer-received'> | undefined {
  return kase.ledger.eventsOfKind('transfer-received').find(({event}) => event.payload.package.sha256 === sha256 || event.payload.transferId === transferId)?.event
}

/** What steps 3 to 5 read from the verified package, beside the report, and the items staged in the vault. */
interface VerifiedPackage {
  report: ArchiveReport
  /** The transfer, from its statement (a field package's items with the digests this case computed: field-accept.ts). */
  statement: Arrival
  checkpoint: string
  staged: StagedItem[]
  /** Items this case cannot number (no ingest event of the sender's: testimony): kept in the package only. */
  packageOnly: TransferItem[]
  /** The sender's key rotations followed (checkParties), when the package is signed by a key the sender rotated to. */
  rotation: FollowedRotation | undefined
  /** The earlier packages of its sender's it proves and this case had not seen proven (transfer-received's `earlier`). */
  earlier: EarlierPackage[]
}

/**
 * A refusal of accept's own, made while the verified package is open (the parties, a receipt in
 * the way): its message names the package the user gave and says already that nothing was
 * accepted, so checkPackage passes it on as it is. Any other error met there is said again of
 * that package, with that added.
 */
class AcceptRefusal extends CustodyError {}

/**
 * What the checks made of the package while it was open: the package to keep, or the earlier
 * acceptance of its transfer; or a package to refuse with a receipt (refused.ts), or the earlier
 * refusal of its transfer.
 */
type Checked = VerifiedPackage | {replay: EventOfKind<'transfer-received'>} | {refused: RefusedPackage} | {refusedAgain: EventOfKind<'transfer-refused'>}

/**
 * Steps 3 to 5, and the staging of the items in the vault, while the verified package is open:
 * the archive verifier's verdict on the copy (INTEGRITY with its problems unless it all holds),
 * then the transfer's parties and the sender's heads, then each item read again into the vault.
 */
async function checkPackage(kase: Case, file: string, copy: {temp: string; sha256: string}, options: AcceptOptions, staged: StagedItem[], early: StagedAhead): Promise<Checked> {
  let read: {statement: TransferStatement | {problem: string} | undefined; checkpoint: string | undefined} = {statement: undefined, checkpoint: undefined}
  let checked: Checked | undefined
  const report = await verifyArchive(copy.temp, {
    identities: options.identities,
    ...(options.onProgress === undefined ? {} : {onProgress: options.onProgress}),
    // A field package's roots at the heads this case saw of its senders (field-package.ts), for the split-view check.
    headsAt: seenHeads(kase).map((h) => h.size),
    // A seal's originals, staged in the vault as they are verified: read and decrypted once; only
    // for a package its statement says this case would take (stageAlongIf).
    keep: early.keep,
    beforeDigests: (read) => stageAlongIf(kase, file, copy.sha256, options, early, read),
    // A field package's parties, as soon as its signed statement is read (checkFieldPackage holds
    // them again, and the signer's key, after): another receiver's or a stranger's package is
    // refused before its ledger is read, whose runs and rows its sender could make as costly as it likes.
    onFieldStatement: (statement, signed) => {
      if (acceptedBefore(kase, copy.sha256, statement.transferId) !== undefined) return
      if (!signed) throw new AcceptRefusal('INTEGRITY', `${file}: its transfer.json is not signed by the key it names as the sender's, so nothing in it is vouched for; nothing was accepted and no receipt was written. Ask the sender for the package again (custody verify with the identity that opens it gives the whole report)`, {subject: file})
      checkReceiver(kase, file, statement.to)
      expectedSender(file, statement.from, [...options.from, ...trustedCustodians(kase)])
    },
    afterChecks: async (context, verdict) => {
      if (verdict.kind === 'field-package') {
        checked = verdict.ok ? await checkFieldPackage(kase, file, context, verdict, copy.sha256, options, staged) : await checkRefusedField(kase, file, copy.sha256, context, verdict, options)
        return
      }

      const bytes = await bagFile(context, TRANSFER_PATH)
      read = {statement: bytes === undefined ? undefined : readTransferStatement(bytes), checkpoint: (await bagFile(context, CHECKPOINT_PATH))?.toString('utf8')}
      const {statement, checkpoint} = read
      if (statement === undefined || 'problem' in statement || verdict.transfer === null || checkpoint === undefined) return
      if (!verdict.ok) {
        checked = await checkRefused(kase, file, copy.temp, context, verdict, statement, checkpoint, options)
        return
      }

      const again = sameTransferBefore(kase, file, copy.sha256, statement.transferId)
      if (again !== undefined) {
        checked = {replay: again}
        return
      }

      const heads = sealHeads(verdict, copy.temp, options.identities)
      const late = await lateProof(kase, file, statement.from, heads)
      const rotation = checkParties(kase, file, statement, options.from, late)
      const earlier = checkSplitView(kase, file, statement.from, heads, late)
      const refused = refusedBefore(kase, copy.sha256, statement.transferId)
      if (refused !== undefined) {
        checked = {refusedAgain: refused}
        return
      }

      await refuseExistingReceipt(receiptPaths(file, options.receiptOut))
      const {exhibits, packageOnly} = await readSenderExhibits(context, statement.items)
      staged.push(...(await stageItems(kase, exhibits, file, sealReader(context, file), early)))
      checked = {report: verdict, statement, checkpoint, staged, packageOnly, rotation, earlier}
    },
  }).catch((error: unknown) => {
    // What is refused before any check (not an age file, cut short, no identity opens it) names
    // the copy it read: said of the package the user gave, which it is byte for byte.
    if (!(error instanceof CustodyError)) throw error
    if (error instanceof AcceptRefusal) throw error
    throw new CustodyError(error.code, `${error.message.replaceAll(copy.temp, file)}; nothing was accepted`, {subject: file, cause: error})
  })
  if (checked !== undefined && ('refused' in checked || 'refusedAgain' in checked)) return checked
  if (!report.ok) {
    // The verifier read the copy: its problems are said of the package the user gave, which it is byte for byte.
    const shown = report.problems.slice(0, 5).map((p) => `\n  ${p.subject}: ${p.message}`.replaceAll(copy.temp, file)).join('')
    const more = report.problemCount > 5 ? `\n  and ${report.problemCount - 5} more` : ''
    throw new CustodyError('INTEGRITY', `${file} does not verify as a transfer package; nothing was accepted and no receipt was written. Ask the sender for the package again (custody verify with the identity that opens it gives the whole report):${shown}${more}`, {subject: file})
  }

  if (checked === undefined) {
    if (report.kind === 'field-package') throw new CustodyError('INTEGRITY', `${file} is a field package that does not name an item this case can check; nothing was accepted`, {subject: file})
    throw new CustodyError('INTEGRITY', `${file} is a sealed archive but not a transfer package (it holds no transfer statement); nothing was accepted. A seal is checked with custody verify`, {subject: file})
  }

  return checked
}

/**
 * A field package that verified (field-accept.ts): the same steps as a seal's, on what it gives.
 * Its sender may be followed through key rotations its rows prove; its split view is checked
 * against the roots of its rows at every head seen of its sender (`headsAt`); its objects are
 * decrypted as the vault stores them under this case's keys.
 */
async function checkFieldPackage(kase: Case, file: string, context: ArchiveContext, verdict: ArchiveReport, sha256: string, options: AcceptOptions, staged: StagedItem[]): Promise<Checked> {
  const field = await fieldArrival(context, file)
  const {arrival, statement} = field
  const again = sameTransferBefore(kase, file, sha256, arrival.transferId)
  if (again !== undefined) return {replay: again}
  checkReceiver(kase, file, statement.to)
  const heads = fieldHeads(field, sha256)
  const late = await lateProof(kase, file, statement.from, heads)
  const rotation = checkFieldSender(file, statement, field.state.keys, [...options.from, ...trustedCustodians(kase)], late)
  const earlier = checkSplitView(kase, file, statement.from, heads, late)
  const refused = refusedBefore(kase, sha256, arrival.transferId)
  if (refused !== undefined) return {refusedAgain: refused}
  await refuseExistingReceipt(receiptPaths(file, options.receiptOut))
  staged.push(...(await stageItems(kase, field.exhibits, file, fieldReader(context, file, options.identities))))
  return {report: verdict, statement: arrival, checkpoint: field.checkpoint, staged, packageOnly: field.packageOnly, rotation, earlier}
}

/**
 * A package that does not verify, and only because of its items (refused.ts): when its sender and
 * receiver hold as for a package accepted, and its transfer was not accepted before, it is refused
 * with a receipt (or refused again, with the receipt given before). Anything else: undefined, the
 * refusal with no receipt.
 */
async function checkRefused(kase: Case, file: string, copy: string, context: ArchiveContext, verdict: ArchiveReport, statement: TransferStatement, checkpoint: string, options: AcceptOptions): Promise<Checked | undefined> {
  const failed = failedItems(context, verdict, statement)
  if (failed === undefined || acceptedBefore(kase, '', statement.transferId) !== undefined) return undefined
  const heads = sealHeads(verdict, copy, options.identities)
  const late = await lateProof(kase, file, statement.from, heads)
  checkParties(kase, file, statement, options.from, late)
  const earlier = checkSplitView(kase, file, statement.from, heads, late)
  const before = refusedBefore(kase, '', statement.transferId)
  if (before !== undefined) return {refusedAgain: before}
  await refuseExistingReceipt(receiptPaths(file, options.receiptOut))
  return {refused: {report: verdict, statement, checkpoint, failed, treeHead: verdict.treeHead!, earlier}}
}

/**
 * A field package that does not verify only because of its items (refused.ts, failedFieldItems):
 * every row, signature and statement held, so its sender and receiver are checked as for one
 * accepted, and the receipt names each item's digests from its ingest event, opened.
 */
async function checkRefusedField(kase: Case, file: string, sha256: string, context: ArchiveContext, verdict: ArchiveReport, options: AcceptOptions): Promise<Checked | undefined> {
  const statement = context.field?.statement
  const failed = statement === undefined ? undefined : failedFieldItems(context, verdict, statement)
  if (statement === undefined || failed === undefined || acceptedBefore(kase, '', statement.transferId) !== undefined) return undefined
  const field = await fieldArrival(context, file)
  checkReceiver(kase, file, statement.to)
  const heads = fieldHeads(field, sha256)
  const late = await lateProof(kase, file, statement.from, heads)
  checkFieldSender(file, statement, field.state.keys, [...options.from, ...trustedCustodians(kase)], late)
  const earlier = checkSplitView(kase, file, statement.from, heads, late)
  const before = refusedBefore(kase, '', statement.transferId)
  if (before !== undefined) return {refusedAgain: before}
  await refuseExistingReceipt(receiptPaths(file, options.receiptOut))
  return {refused: {report: verdict, statement: field.arrival, checkpoint: field.checkpoint, failed, treeHead: statement.tree, earlier}}
}

/**
 * Step 4: sent to this case, by a sender the user accepts (given, or on the trust list), with the
 * key its line gives or one it rotated to; or, for a package delivered late (`late`), with any key
 * of that sender's case.
 */
function checkParties(kase: Case, file: string, statement: TransferStatement, given: readonly Custodian[], late: EarlierPackage | undefined): FollowedRotation | undefined {
  checkReceiver(kase, file, statement.to)
  return checkSender(file, statement, [...given, ...trustedCustodians(kase)], late)
}

/** Step 4's first half: the package names this case as its receiver, with a key this case holds or held. */
function checkReceiver(kase: Case, file: string, to: Custodian): void {
  if (to.case !== kase.info.caseId) {
    throw new AcceptRefusal('INTEGRITY', `${file} was released to ${describeCustodian(to)} (case ${to.case}), not to this case (${kase.info.caseId}); nothing was accepted`, {subject: file})
  }

  const view = describeSigningKey(kase)
  const ours = new Set([view.fingerprint, ...view.previous.map((p) => p.fingerprint)])
  if (!ours.has(custodianFingerprint(to))) {
    throw new AcceptRefusal('INTEGRITY', `${file} names this case as its receiver but with the key ${custodianFingerprint(to)}, which this case never held; nothing was accepted`, {subject: file})
  }
}

/**
 * The sender must be a case the user accepts, with a key a line of it gives, or one that key
 * rotated to as the package proves it: the checkpoint the known key signed over each rotation
 * (rotations.ts). The sender's own key events alone prove nothing: anyone can write a ledger
 * whose rotation names a key it never held. A package delivered late (`late`) may be signed by a
 * key the sender has since rotated away from: its bytes are the ones a package signed by a key the
 * user accepts records its sender released, which vouches for it whatever key signed it.
 */
function checkSender(file: string, statement: TransferStatement, accepted: readonly Custodian[], late: EarlierPackage | undefined): FollowedRotation | undefined {
  const {expected, keys, signer} = expectedSender(file, statement.from, accepted)
  if (keys.includes(signer)) return undefined
  const tree = {case: statement.from.case, archiveTree: statement.archiveTree}
  const tries = expected.map((c) => followRotations(statement.rotations ?? [], {fingerprint: custodianFingerprint(c), spki: Buffer.from(c.signingKey, 'base64')}, signer, tree))
  const followed = tries.find((t): t is FollowedRotation => t !== undefined && !('problem' in t))
  if (followed !== undefined || late !== undefined) return followed
  const broken = tries.find((t): t is {problem: string} => t !== undefined)
  const why = broken === undefined ? 'the package proves no rotation from it (the old key signs none in it)' : broken.problem
  throw unknownSigner(file, statement.from, keys, why)
}

/** The lines of the sender's case the user accepts (given, or trusted), their keys, and the package's signer: refused when none is of its case. */
function expectedSender(file: string, sender: Custodian, accepted: readonly Custodian[]): {expected: Custodian[]; keys: string[]; signer: string} {
  const expected = accepted.filter((c) => c.case === sender.case)
  if (expected.length === 0) {
    const named = accepted.map((c) => describeCustodian(c)).join('; ') || 'none'
    throw new AcceptRefusal('INTEGRITY', said`${file} was released by ${describeCustodian(sender)}, who is neither among ${ACCEPT.from} nor on the trust list (${named}); nothing was accepted. If you expect packages from them, get their identity line from them and compare its fingerprint by voice or in person`, {subject: file})
  }

  return {expected, keys: [...new Set(expected.map((c) => custodianFingerprint(c)))], signer: custodianFingerprint(sender)}
}

/** A package signed by a key of the sender's case that the user was not given, and no rotation to it from one it was. */
function unknownSigner(file: string, sender: Custodian, keys: readonly string[], why: string): AcceptRefusal {
  return new AcceptRefusal(
    'INTEGRITY',
    said`${file} is signed by ${custodianFingerprint(sender)} for ${sender.name}'s case, but ${ACCEPT.from} and the trust list hold ${keys.join(' and ')} for it, and ${why}; nothing was accepted. If their key was rotated, get their new identity line from them, compare its fingerprint by voice or in person, and trust it or give it`,
    {subject: file},
  )
}

/**
 * A field package's sender: a key the user was given, or one it rotated to. The package carries
 * every row of the sender's ledger, and the verifier checked each rotation in it against the
 * checkpoint the replaced key signed over it (field-package.ts): so a given key in the sender's
 * key history, followed by the rotations after it, proves the signer. A package delivered late
 * (`late`) may be signed by a key the sender has since rotated away from, as checkSender says.
 */
function checkFieldSender(file: string, statement: FieldTransferStatement, history: readonly RecordedKey[], accepted: readonly Custodian[], late: EarlierPackage | undefined): FollowedRotation | undefined {
  const {keys, signer} = expectedSender(file, statement.from, accepted)
  if (keys.includes(signer)) return undefined
  const at = history.findIndex((k) => keys.includes(k.fingerprint))
  if (at === -1 || history.at(-1)?.fingerprint !== signer) {
    if (late !== undefined) return undefined
    throw unknownSigner(file, statement.from, keys, "its ledger's key events hold none of them")
  }

  return {from: history[at]!.fingerprint, to: signer, events: history.slice(at + 1).map((k) => k.seq)}
}

/** This case's transfer-received and transfer-refused events of the sender `senderCase` (every sender's when undefined). */
function transfersFrom(kase: Case, senderCase?: string): Array<{event: EventOfKind<'transfer-received'> | EventOfKind<'transfer-refused'>}> {
  return kase.ledger.eventsOfKind('transfer-received', 'transfer-refused').filter(({event}) => senderCase === undefined || parseCustodian(event.payload.from, 'a recorded sender').case === senderCase)
}

/** Every head of a sender this case saw (`senderCase`, or every sender's): a package refused with a receipt had its head verified and cosigned, seen as an accepted one's. */
function seenHeads(kase: Case, senderCase?: string): SeenHead[] {
  return transfersFrom(kase, senderCase).map(({event}) => ({...event.payload.treeHead, transferId: event.payload.transferId, ...(event.action === 'transfer-refused' ? {refused: true} : {})}))
}

/**
 * The transfer accepted before that the package `sha256` of `transferId` is: the same bytes, or the
 * same transfer. The same transfer in other bytes is refused: a transfer is released once, as one
 * package, so it is another package made under that transfer's ID (from a copy of the sender's case).
 */
function sameTransferBefore(kase: Case, file: string, sha256: string, transferId: string): EventOfKind<'transfer-received'> | undefined {
  const before = acceptedBefore(kase, sha256, transferId)
  if (before === undefined || before.payload.package.sha256 === sha256) return before
  throw new AcceptRefusal('INTEGRITY', `${file} is a package of ${transferId}, which this case accepted as another package (SHA-256 ${before.payload.package.sha256}, ledger event #${before.seq}), not this one (${sha256}): one transfer, two packages. Nothing was accepted; keep both: they are the evidence of it`, {subject: file})
}

/** The earlier packages this case's acceptances and refusals recorded as proven, of the sender `senderCase`. */
function knownEarlier(kase: Case, senderCase: string): EarlierPackage[] {
  return transfersFrom(kase, senderCase).flatMap(({event}) => event.payload.earlier ?? [])
}

/**
 * What a package says of its sender's ledger, for step 5: its ID (the seal's, or a field
 * package's transfer ID), its head, the heads it proves its head extends, and the earlier
 * packages it proves the ledger made (split-view.ts).
 */
interface PackageHeads {
  id: string
  head: Head
  proven: Head[]
  proves: EarlierPackage[]
  /** Its SHA-256 as an earlier package's record gives it (EarlierPackage.sha256): asked for only when it is one. */
  sha256: () => Promise<string | null>
}

/**
 * A seal's: its earlier seals, each with its ID, the head the verifier proved a prefix of its own
 * and its ZIP's SHA-256; its own ZIP's SHA-256 read again through the decryption of the copy.
 */
function sealHeads(report: ArchiveReport, copy: string, identities: readonly AgeIdentity[]): PackageHeads {
  const seals = report.earlierSeals ?? []
  const proves = seals.map((s) => ({id: s.sealId, ...s.treeHead, sha256: s.archiveSha256}))
  return {id: report.sealId!, head: report.treeHead!, proven: seals.map((s) => s.treeHead), proves, sha256: () => archiveZipSha256(copy, identities)}
}

/** A field package's: its rows' roots at the heads this case saw (`headsAt`), the releases its rows record at a head a carried checkpoint signs, and the SHA-256 of the age file given. */
function fieldHeads(field: FieldArrival, sha256: string): PackageHeads {
  const proven = [...field.state.rootsAt].map(([size, root]) => ({size, root}))
  return {id: field.statement.transferId, head: field.statement.tree, proven, proves: field.state.releases, sha256: () => Promise.resolve(sha256)}
}

/**
 * A package delivered late: one an accepted package proved its sender made earlier, its ID, head
 * and bytes (the record it matches); undefined for any other. Its ID and head in other bytes are
 * refused: a package made again from a copy of the sender's case put back to that point.
 */
async function lateProof(kase: Case, file: string, from: Custodian, arrival: PackageHeads): Promise<EarlierPackage | undefined> {
  const earlier = provenEarlier(knownEarlier(kase, from.case), arrival.id, arrival.head)
  if (earlier !== undefined) {
    const sha256 = await arrival.sha256()
    if (sha256 === earlier.sha256) return earlier
    throw new AcceptRefusal('INTEGRITY', `${file} has the ID (${arrival.id}) and head (${arrival.head.size} events, root ${arrival.head.root}) of a package its sender made earlier, as a package accepted here proves, but not its bytes (SHA-256 ${sha256 ?? 'unread'}, that package's ${earlier.sha256}): it is not the package its sender made, but one changed since or made again from a copy of the sender's case put back to that point. Nothing was accepted; keep this package: it is the evidence of it`, {subject: file})
  }

  return undefined
}

/**
 * Step 5: no head of the sender's accepted before is left unproven (a rolled-back or rewritten
 * ledger), given the heads the package proves; unless the package is one delivered late
 * (lateProof), which contradicts none. Returns the earlier packages to record.
 */
function checkSplitView(kase: Case, file: string, from: Custodian, arrival: PackageHeads, late: EarlierPackage | undefined): EarlierPackage[] {
  if (late !== undefined) return []
  const seen = seenHeads(kase, from.case)
  const views = splitViews(seen, arrival.head, arrival.proven)
  if (views.length > 0) {
    const sender = describeCustodian(from)
    const all = views.map((v) => describeSplitView(v, sender)).join('; ')
    throw new AcceptRefusal('INTEGRITY', `${file}: ${all}. Nothing was accepted; keep this package and the earlier ones: they are the evidence of it`, {subject: file})
  }

  return earlierToRecord(arrival.proves, seen, arrival.head)
}

/** The receipt's path and its signature's, given or beside the package. */
export function receiptPaths(file: string, receiptOut: string | undefined): {file: string; signature: string} {
  const path = receiptOut ?? `${file}.receipt`
  return {file: path, signature: `${path}.sig`}
}

/** A receipt file already there, or no folder to write it in, before a package not accepted before is checked: refused, as --out is. */
async function refuseExistingReceipt(paths: {file: string; signature: string}): Promise<void> {
  if ((await stat(dirname(paths.file)).catch(() => undefined))?.isDirectory() !== true) {
    throw new AcceptRefusal('INVALID_ARGUMENT', said`${dirname(paths.file)} is not a folder, so ${paths.file} cannot be written there; nothing was accepted. Give ${ACCEPT.receiptOut} in a folder that exists`, {subject: paths.file})
  }

  for (const path of [paths.file, paths.signature]) {
    if ((await stat(path).catch(() => undefined)) !== undefined) {
      throw new AcceptRefusal('INVALID_ARGUMENT', said`${path} already exists; nothing was accepted. Move it away, or give ${ACCEPT.receiptOut} another name`, {subject: path})
    }
  }
}

/** The receipt's two files: its bytes, and the raw 64-byte signature of them (openssl's -sigfile, as checkpoint.json.sig). */
function receiptFiles(signed: SignedReceipt, paths: {file: string; signature: string}): Array<[string, Buffer]> {
  return [
    [paths.file, Buffer.from(signed.body, 'utf8')],
    [paths.signature, Buffer.from(signed.signature, 'hex')],
  ]
}

/** Step 7 (and a replay's): the receipt and its signature at `paths`, replacing only themselves. */
async function giveReceipt(signed: SignedReceipt, paths: {file: string; signature: string}): Promise<void> {
  const files = receiptFiles(signed, paths)
  for (const [path, data] of files) {
    const existing = await readFile(path).catch(() => undefined)
    if (existing !== undefined && !existing.equals(data)) {
      throw new CustodyError('INVALID_ARGUMENT', said`${path} already exists and is not this receipt; it was left as it is. Give ${ACCEPT.receiptOut} another name`, {subject: path})
    }
  }

  // Yours alone, as the archive is (mode 600, whatever the umask): it names every item with its digests, and HQ.
  for (const [path, data] of files) await writeFileDurably(path, data)
}

/**
 * A replay: the kept receipt of the earlier acceptance, given again: opened with the identities
 * that opened the package when the case keeps it encrypted, and held to its event either way.
 */
async function replay(kase: Case, file: string, event: EventOfKind<'transfer-received'>, options: AcceptOptions): Promise<AcceptReport> {
  const p = event.payload
  const sender = parseCustodian(p.from, `event ${event.seq}`)
  const kept = keptNames(sender.case, p.transferId)
  const read = await readKeptReceipt(kase.dataDir, kept.receipt, p.receipt, options.identities).catch((error: unknown) => {
    if (!(error instanceof KeptReceiptProblem)) throw error
    throw new CustodyError('INTEGRITY', `the kept receipt .custody/${kept.receipt} of ${p.transferId}, which event ${event.seq} records, ${error.why}; run custody verify`, {subject: kept.receipt})
  })
  if (!('body' in read)) throw identityNeeded(join(kase.dataDir, kept.receipt))
  const signed = {body: read.body.toString('utf8'), signature: read.signature.toString('hex')}

  const paths = receiptPaths(file, options.receiptOut)
  await giveReceipt(signed, paths)
  return reportOf(kase, event, file, paths, false)
}

/** The report of an acceptance, as its `transfer-received` event records it. */
function reportOf(kase: Case, event: EventOfKind<'transfer-received'>, file: string, receipt: {file: string; signature: string}, accepted: boolean): AcceptReport {
  const p = event.payload
  const sender = parseCustodian(p.from, `event ${event.seq}`)
  const late = provingTransfer(kase, sender.case, p.sealId ?? p.transferId, p.treeHead)
  return {
    accepted,
    kind: p.sealId === null ? 'field-package' : 'seal',
    transferId: p.transferId,
    sealId: p.sealId,
    from: receiverOf(sender),
    releasedAt: p.releasedAt,
    purpose: p.purpose,
    package: {file, sha256: p.package.sha256, size: p.package.size},
    kept: p.kept,
    treeHead: p.treeHead,
    items: p.items,
    seq: event.seq,
    receipt: {...receipt, sha256: p.receipt.sha256},
    ...(late === undefined ? {} : {late}),
  }
}

/**
 * The transfer of the sender's whose package proved the package `id` at `head` (a package delivered
 * late), and whether it was refused (for its items alone: its ledger and signatures verified, so
 * what it proves holds); undefined for any other package.
 */
function provingTransfer(kase: Case, senderCase: string, id: string, head: Head): {provenBy: string; refused?: true} | undefined {
  const proving = transfersFrom(kase, senderCase).find(({event}) => provenEarlier(event.payload.earlier ?? [], id, head) !== undefined)?.event
  if (proving === undefined) return undefined
  return {provenBy: proving.payload.transferId, ...(proving.action === 'transfer-refused' ? {refused: true as const} : {})}
}

/**
 * Accepts the package `file` into the case (steps above). The case must be unlocked for writing;
 * `options.identities` must open the package.
 */
export async function acceptTransfer(kase: Case, file: string, options: AcceptOptions): Promise<AcceptReport> {
  if (!(await stat(file).catch(() => undefined))?.isFile()) throw new CustodyError('INVALID_ARGUMENT', `${file} is not a file; give the transfer package (FILE.zip.age) the sender made`, {subject: file})
  const copy = await copyIn(file, kase.dataDir)
  // What a killed accept (or ingest) staged in the vault and never committed.
  await kase.vault.removeStaleTempFiles()
  const staged: StagedItem[] = []
  const early = new StagedAhead(kase.vault, file)
  try {
    const before = acceptedBefore(kase, copy.sha256)
    if (before !== undefined) return await replay(kase, file, before, options)
    const giving: ReceiptGiving = {paths: receiptPaths(file, options.receiptOut), give: giveReceipt}
    const refused = refusedBefore(kase, copy.sha256)
    if (refused !== undefined) return await refuseAgain(kase, file, refused, giving, copy.sha256, options.identities)
    const checked = await checkPackage(kase, file, copy, options, staged, early)
    if ('replay' in checked) return await replay(kase, file, checked.replay, options)
    if ('refusedAgain' in checked) return await refuseAgain(kase, file, checked.refusedAgain, giving, copy.sha256, options.identities)
    if ('refused' in checked) return await refusePackage(kase, file, checked.refused, copy, giving, options.actor, (text) => text.replaceAll(copy.temp, file))
    const report = await keep(kase, file, checked, copy, options)
    return checked.rotation === undefined ? report : {...report, rotation: checked.rotation}
  } finally {
    // What was committed to the vault is no longer where it was staged: only the rest goes.
    await early.discardRest()
    await discardStaged(kase, staged)
    // The copy's fsync is done (or failed: keep() said so) before the copy goes.
    await copy.durable.catch(() => undefined)
    await rm(copy.temp, {force: true})
  }
}

/** The numbering the ledger moved past while the receipt was being signed (another command took exhibit numbers): planned again. */
class StalePlan extends Error {}

/** Steps 6 and 7: keep the package and its receipt, number the items, record the hand-over, give the receipt. */
async function keep(kase: Case, file: string, verified: VerifiedPackage, copy: PackageCopy, options: AcceptOptions): Promise<AcceptReport> {
  const {statement} = verified
  const kept = keptNames(statement.from.case, statement.transferId)
  await mkdir(join(kase.dataDir, kept.folder), {recursive: true, mode: 0o700})
  await copy.durable
  await moveIntoPlace(copy.temp, join(kase.dataDir, kept.pkg), true)
  await fsyncFolder(join(kase.dataDir, CUSTODIANS_FOLDER))
  await commitStaged(kase, verified.staged)
  let signed: SignedReceipt | undefined
  for (let attempt = 1; signed === undefined; attempt++) {
    try {
      signed = await record(kase, file, verified, copy, options)
    } catch (error) {
      if (!(error instanceof StalePlan) || attempt === 3) throw error
    }
  }

  await kase.recordHead()
  const paths = receiptPaths(file, options.receiptOut)
  // The receipt as signed and kept (in an encrypted case the kept copy is its age file, kept-receipt.ts).
  await giveReceipt(signed, paths)
  return reportOf(kase, kase.ledger.eventsOfKind('transfer-received').at(-1)!.event, file, paths, true)
}

/**
 * The receipt, signed with the IDs the items get, kept (an age file to the case's recipients in an
 * encrypted case: kept-receipt.ts); then `transfer-received` and the ingest events of the new
 * exhibits, in one transaction, which refuses (StalePlan) if the numbering moved. Returns the
 * receipt recorded.
 */
async function record(kase: Case, file: string, verified: VerifiedPackage, copy: {sha256: string; size: number}, options: AcceptOptions): Promise<SignedReceipt> {
  const {statement, report, checkpoint, staged} = verified
  const kept = keptNames(statement.from.case, statement.transferId)
  const plan = planIds(kase, kase.ledger, staged)
  const items = receivedItems(statement.items, staged, plan.ids)
  const signed = signReceipt(kase.signer(), {
    transferId: statement.transferId,
    packageSha256: copy.sha256,
    receivedBy: custodianOf(kase),
    receivedAt: new Date().toISOString(),
    condition: 'intact',
    items: items.map((i) => ({...i, receivedAs: i.receivedAs ?? null})),
    senderCheckpoint: checkpoint,
  })
  const receipt = await writeKeptReceipt(kase, kept.receipt, signed)
  const actor = options.actor?.trim() || kase.info.investigator
  const transfer: CustodyEventDraft = {
    actor,
    action: 'transfer-received',
    exhibit: null,
    payload: {
      ...arrivalOf(statement, file, copy),
      kept: kept.pkg,
      treeHead: report.treeHead!,
      releasedAt: statement.releasedAt,
      purpose: statement.purpose,
      items,
      receipt,
      ...(verified.earlier.length === 0 ? {} : {earlier: verified.earlier}),
    },
  }
  const exhibits = receivedDrafts(kase, staged, plan, {case: statement.from.case, transferId: statement.transferId}, actor)
  kase.ledger.append((view) => {
    if (planIds(kase, view, staged).ids.join() !== plan.ids.join()) throw new StalePlan()
    return {drafts: [transfer, ...exhibits], result: undefined}
  })
  return signed
}
