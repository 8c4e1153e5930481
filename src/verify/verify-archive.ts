/**
 * `custody verify ARCHIVE.zip`: checks a sealed archive on any machine, with no case, no key and no
 * network, straight from the ZIP (nothing is unpacked). What counts is the bag, not the ZIP's bytes:
 * a bag unzipped and zipped again by another tool still verifies. The checks, one file each under
 * archive/, run in this order over one context (archive/context.ts):
 *
 *   1. zip        a structure no other reader can read differently (src/zip/structure.ts: one end
 *                 record, entries tiling the file, local headers agreeing with the central
 *                 directory, every CRC-32), one top folder, no duplicate names (also after Unicode
 *                 normalisation), no symlinks, no `..`, absolute names or backslashes, no zip bomb
 *   2. bagit      bagit.txt declares BagIt 1.0 (RFC 8493 §2.1.1)
 *   3. manifests  every line of both payload manifests matches its file (§3), every payload file is
 *                 in both, and every tag manifest line matches its file
 *   4. oxum       Payload-Oxum in bag-info.txt is the payload's byte and file count (§2.2.2)
 *   5. statement  the seal statement's exhibits are in the payload with the digests it states
 *   6. contents   every file of the bag is one the signed statement accounts for: the exhibits'
 *                 files and the custody files it names under data/, the tag files, README.txt
 *                 with the SHA-256 it states, and bag-info.txt exactly as the statement implies
 *   7. events     each event's hash is SHA-256(prev || canonical event), consecutive events chain,
 *                 each exhibit's ingest event states the exhibit's digests, the key events are
 *                 sound (key-events.ts), and every inclusion proof (RFC 9162 §2.1.3.2) leads to
 *                 the tree head the seal records
 *   8. signatures  the investigator's key is one the sealed events record, and it signed the
 *                 checkpoint and the statement; with --key, it is one the user gave
 *   9. timestamps  each RFC 3161 token over the stamped checkpoint, chained to a TSA root
 *  10. testimony  each testimony as the statement gives it agrees with its own sealed events, and
 *                 its consent covers the seal's purpose
 *  11. earlier seals  each seal the ledger had recorded is proven a prefix of the sealed tree, for
 *                 `--against`
 *  12. transfer   a transfer package's statement (transfer.json) is signed by the archive's key,
 *                 names this seal, and lists its exhibits with their digests
 *  13. custodians in a seal of exhibits received from other custodians, each hand-over's record
 *                 (the sender's events, checkpoint, key and transfer statement, and this case's
 *                 receipt) holds, each side's signature and its tie to this archive's events, and
 *                 every received exhibit has one
 *
 * The archive is hostile input, and its size is the only thing verify's cost may grow with: small
 * files are read whole only up to the bound any genuine one stays under (bag-layout.ts), large ones
 * (the events, the payload manifests, the statement) are read as streams with a bound on each line
 * or element, deflated entries may not expand more than MAX_RATIO times, and only the first
 * problems are kept (problem-list.ts).
 *
 * A bag folder (`custody verify FOLDER`: the bag folder, or the folder unzip made holding it) is
 * verified the same way, read through src/folder/reader.ts instead of the ZIP reader: check 1 is
 * then the folder check (only files and folders, no link, nothing on another file system, UTF-8
 * names, and the same layout checks as the ZIP's entries).
 *
 * An encrypted archive (FILE.zip.age, as `custody seal --encrypt-to` writes it: an age v1 file
 * holding the ZIP) is verified the same way, the ZIP read through src/age/random-reader.ts: each
 * read decrypts and authenticates the chunks it touches, and no plaintext reaches the disk. An
 * identity that does not open it is WRONG_KEY, a file that is not a whole age file (its header,
 * its end) INTEGRITY, both before any check; a chunk changed inside fails the check that reads
 * it, naming the file and the chunk.
 *
 * verifyArchive: 1. open the ZIP (decrypting it, when encrypted) (a file that is not one fails the zip check), or find the bag
 * folder; 2. build the context; 3. run the checklist, which stops after a zip (or folder) check
 * that fails; 4. build the report.
 */
import {createHash} from 'node:crypto'
import {closeSync, createReadStream, openSync, readSync} from 'node:fs'
import {stat} from 'node:fs/promises'
import {createDecryptStream} from '../age/decrypt.js'
import {AgeRandomReader} from '../age/random-reader.js'
import type {AgeIdentity} from '../age/x25519.js'
import type {RandomAccess} from '../io/random-access.js'
import {SafeZip} from '../zip/reader.js'
import {findBagFolder, SafeFolder} from '../folder/reader.js'
import {smallFileLimit} from '../seal/bag-layout.js'
import {CustodyError, fields, messageOf, said} from '../errors.js'
import {isRecord} from '../formats/guards.js'
import {scratchWork} from '../io/scratch-db.js'
import {IN_CLEAR, SEALED} from '../io/scratch-seal.js'
import type {EarlierSeal} from '../seal/earlier-seals.js'
import {runChecklist, type Check, type CheckOutcome, type Problem} from './checklist.js'
import {ProblemList} from './problem-list.js'
import {bagitCheck} from './archive/bagit.js'
import {contentsCheck} from './archive/contents.js'
import {createArchiveContext, type ArchiveContext, type ArchiveHandOver, type ArchiveTransfer, type ArchiveTrust, type SourceKind, type VerifyArchiveOptions as CheckOptions} from './archive/context.js'
import {earlierSealsCheck} from './archive/earlier-seals.js'
import {eventsCheck} from './archive/events.js'
import {manifestsCheck} from './archive/manifests.js'
import {oxumCheck} from './archive/oxum.js'
import {signaturesCheck} from './archive/signatures.js'
import {statementCheck} from './archive/statement.js'
import {testimonyCheck} from './archive/testimony.js'
import {timestampsCheck} from './archive/timestamps.js'
import {transferCheck} from './archive/transfer.js'
import {custodiansCheck} from './archive/custodians.js'
import {FIELD_CHECKS, isFieldPackage} from './archive/field-package.js'
import {newFieldState} from './archive/field-state.js'
import {folderCheck, folderEntriesCheck, unreadableZip, zipCheck, zipEntriesCheck} from './archive/zip.js'

export type {ArchiveTrust}

export interface VerifyArchiveOptions extends CheckOptions {
  /**
   * Once every check has run on a bag that could be read, before the archive is closed: for what
   * is made from the archive as it was verified (`custody report`), never for another check.
   */
  afterChecks?: (context: ArchiveContext, report: ArchiveReport) => Promise<void>
}

export interface ArchiveReport {
  ok: boolean
  /** A sealed archive, or a field package (objects and ledger rows as a field laptop stores them: src/transfers/field-export.ts). */
  kind: 'seal' | 'field-package'
  /** The path given: a ZIP, or a folder (the bag folder, or the folder unzip made holding it). */
  archive: string
  /** What the bag was read from. */
  source: SourceKind
  /** The ZIP was read from inside an age file (FILE.zip.age), decrypted in memory. */
  encrypted: boolean
  bag: string | null
  sealId: string | null
  exhibits: number
  events: number
  /** Who signed, with which key, and the trusted times (null when the archive could not be read that far). */
  trust: ArchiveTrust | null
  /** What `--against` needs (against.ts): the case, the sealed tree head, the earlier seals proven a prefix of it. */
  caseId: string | null
  treeHead: {size: number; root: string} | null
  earlierSeals: EarlierSeal[] | null
  /** A transfer package's statement, as verified; null for a seal that is no transfer, or one that does not hold. */
  transfer: ArchiveTransfer | null
  /** Each hand-over a seal of received exhibits proves (who released, who received, when); null when the records do not hold. */
  custodians: ArchiveHandOver[] | null
  checks: CheckOutcome[]
  /** The first problems found (at most 1,000); `problemCount` counts them all. */
  problems: Problem[]
  problemCount: number
  /** What holds, but not as proof for you (timestamps checked only against the archive's own roots). */
  warnings: string[]
}

/** The checks after the ZIP has been read, in the report's order. */
export const BAG_CHECKS: ReadonlyArray<Check<ArchiveContext>> = [
  bagitCheck,
  manifestsCheck,
  oxumCheck,
  statementCheck,
  contentsCheck,
  eventsCheck,
  signaturesCheck,
  timestampsCheck,
  testimonyCheck,
  earlierSealsCheck,
  transferCheck,
  custodiansCheck,
]

export async function verifyArchive(path: string, options: VerifyArchiveOptions = {}): Promise<ArchiveReport> {
  return scratchWork('verify could not finish, which says nothing about the archive', () => checkArchive(path, options))
}

async function checkArchive(path: string, options: VerifyArchiveOptions): Promise<ArchiveReport> {
  const found = await stat(path).catch(() => undefined)
  if (found?.isDirectory()) return checkFolder(path, options)
  if (!found?.isFile()) throw new CustodyError('INVALID_ARGUMENT', `${path} is not a file or a folder; give the path of a sealed archive (.zip), or of the bag folder unzipped from one`)
  const decrypted = isAgeFile(path) ? await openEncrypted(path, options) : undefined
  const problems = new ProblemList<Problem>()
  let zip: SafeZip
  try {
    zip = await SafeZip.open(path, decrypted)
  } catch (error) {
    const checks = await runChecklist([{name: 'zip', run: () => unreadableZip(path, error)}], undefined, problems)
    return {...zipReport(path, 'zip', null, checks, problems, 0), encrypted: decrypted !== undefined}
  }

  // What the bag index keeps of an archive in clear, the archive shows already: kept as it is (bag-index.ts).
  const scratch = decrypted === undefined ? IN_CLEAR : SEALED
  const report = await checkSource(createArchiveContext(path, decrypted?.size ?? found.size, zip, options, 'zip', scratch), problems, options.afterChecks)
  return {...report, encrypted: decrypted !== undefined}
}

/** The identity file that opens an encrypted archive, as errors name it. */
const IDENTITY = fields({identity: 'an age identity file that opens it'}).identity
const AGE_MAGIC = 'age-encryption.org/'

/** An archive in an age file: named so (FILE.zip.age), or beginning as one does. */
function isAgeFile(path: string): boolean {
  if (path.toLowerCase().endsWith('.age')) return true
  const fd = openSync(path, 'r')
  try {
    const head = Buffer.alloc(AGE_MAGIC.length)
    return readSync(fd, head, 0, head.length, 0) === head.length && head.toString('latin1') === AGE_MAGIC
  } finally {
    closeSync(fd)
  }
}

/**
 * The SHA-256 of the archive's ZIP as sealed (what the ledger and the seal record): of the file, or
 * for FILE.zip.age, of the ZIP inside it, decrypted as it is read and never written. Null for a
 * bag folder (no ZIP). An encrypted archive without `identities` is refused as verify refuses it.
 */
export async function archiveZipSha256(path: string, identities: readonly AgeIdentity[] | undefined): Promise<string | null> {
  if (!(await stat(path).catch(() => undefined))?.isFile()) return null
  const hash = createHash('sha256')
  if (isAgeFile(path)) {
    if ((identities ?? []).length === 0) await openEncrypted(path, {})
    for await (const chunk of createReadStream(path).pipe(createDecryptStream(identities!, {object: path}))) hash.update(chunk as Buffer)
  } else {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  }

  return hash.digest('hex')
}

/** The ZIP inside the age file `path`, read through its decryption; WRONG_KEY or INTEGRITY when it cannot be. */
async function openEncrypted(path: string, options: VerifyArchiveOptions): Promise<RandomAccess> {
  const identities = options.identities ?? []
  if (identities.length === 0) throw new CustodyError('INVALID_ARGUMENT', said`${path} is an encrypted archive (an age file); give ${IDENTITY}: the identity file of a recipient it was encrypted to`, {subject: path})
  return AgeRandomReader.open(path, identities)
}

/**
 * A bag folder, unzipped from a sealed archive: the same checks, the folder check in place of the
 * zip check (src/folder/reader.ts). A __MACOSX folder beside it is left aside, with a warning.
 */
async function checkFolder(path: string, options: VerifyArchiveOptions): Promise<ArchiveReport> {
  let found: {bag: string; aside: string | undefined; folder: SafeFolder}
  try {
    const {bag, aside} = findBagFolder(path)
    found = {bag, aside, folder: SafeFolder.open(bag, (pathInBag) => smallFileLimit(pathInBag.normalize('NFC')))}
  } catch (error) {
    if (error instanceof CustodyError) throw error
    throw new CustodyError('INVALID_ARGUMENT', `${path} cannot be read (${messageOf(error)}); give the path of a sealed archive (.zip), or of the bag folder unzipped from one`, {subject: path})
  }

  const {aside, folder} = found
  const context = createArchiveContext(path, 0, folder, options, 'folder', IN_CLEAR)
  if (aside !== undefined) {
    context.warnings.push(`folder: ${aside}, beside the bag folder, holds macOS's AppleDouble files (resource forks and extended attributes; unzip makes it of a ZIP made on a Mac): not part of the bag, left aside`)
  }

  return checkSource(context, new ProblemList<Problem>(), options.afterChecks)
}

async function checkSource(context: ArchiveContext, problems: ProblemList<Problem>, afterChecks: VerifyArchiveOptions['afterChecks']): Promise<ArchiveReport> {
  try {
    const {checks, bagRead} = await runArchiveChecks(context, problems)
    if (!bagRead) return zipReport(context.path, context.kind, context.bag ?? null, checks, problems, context.uncounted)
    const report = archiveReport(context, checks, problems)
    await afterChecks?.(context, report)
    return report
  } finally {
    context.files.close()
    context.source.close()
  }
}

/**
 * The checklist: the zip (or folder) check's listing, then every file read once (a second line
 * only when some cannot be read: the first already says what the ZIP holds), then the checks of
 * the bag.
 */
async function runArchiveChecks(context: ArchiveContext, problems: ProblemList<Problem>): Promise<{checks: CheckOutcome[]; bagRead: boolean}> {
  const [listing, entries] = context.kind === 'zip' ? [zipCheck, zipEntriesCheck] : [folderCheck, folderEntriesCheck]
  const listed = await runChecklist([listing], context, problems)
  if (listed.some((c) => !c.ok)) return {checks: listed, bagRead: false}
  const read = await runChecklist([entries], context, problems)
  if (read.some((c) => !c.ok)) return {checks: [...listed, ...read], bagRead: false}
  // A field package (src/transfers/field-export.ts) has its own checks after the same reading.
  if (isFieldPackage(context)) {
    context.field = newFieldState()
    return {checks: [...listed, ...(await runChecklist([bagitCheck, ...FIELD_CHECKS], context, problems))], bagRead: true}
  }

  return {checks: [...listed, ...(await runChecklist(BAG_CHECKS, context, problems))], bagRead: true}
}

/** The report of an archive whose bag could not be read: only the ZIP's problems. */
function zipReport(path: string, source: SourceKind, bag: string | null, checks: CheckOutcome[], problems: ProblemList<Problem>, uncounted: number): ArchiveReport {
  return {
    ok: problems.length + uncounted === 0,
    kind: 'seal',
    archive: path,
    source,
    encrypted: false,
    bag,
    sealId: null,
    exhibits: 0,
    events: 0,
    trust: null,
    caseId: null,
    treeHead: null,
    earlierSeals: null,
    transfer: null,
    custodians: null,
    checks,
    problems: problems.kept,
    problemCount: problems.length + uncounted,
    warnings: [],
  }
}

function archiveReport(context: ArchiveContext, checks: CheckOutcome[], problems: ProblemList<Problem>): ArchiveReport {
  const {statement} = context
  return {
    ...zipReport(context.path, context.kind, context.bag ?? null, checks, problems, context.uncounted),
    kind: context.field === undefined ? 'seal' : 'field-package',
    sealId: context.sealId,
    exhibits: context.field?.statement?.items.length ?? context.exhibitCount,
    events: context.eventCount,
    trust: context.trust,
    caseId: isRecord(statement.case) ? String(statement.case.id) : (context.field?.statement?.from.case ?? null),
    treeHead: context.treeHead,
    earlierSeals: context.earlierSeals,
    transfer: context.transfer,
    custodians: context.handOvers,
    warnings: context.warnings,
  }
}
