/**
 * Sealing: exhibits, their metadata records and their custody events packed into one ZIP that holds
 * one BagIt 1.0 bag (RFC 8493), for a court. sealArchive() runs the steps, each in its own file.
 *
 * Record first, then publish: no archive is ever at --out without the event that records it. A
 * note in `.custody/seals/` (seal-intent.ts), written before the first file beside --out, lets the
 * next seal or `custody status` remove what a killed seal left, and know a seal recorded but not
 * published, which `custody seal --finish` publishes (leftovers.ts).
 *
 * With recipients (`encryptTo`), the archive is delivered encrypted to them, as --out with `.age`
 * added (transport.ts): the ZIP writer encrypts as it writes, so the temporary file, the
 * published file and whatever a failure leaves hold only the age file. The ZIP inside, and the
 * ledger's record of it, are the same bytes as a seal in clear.
 *
 * The archive depends only on the case state, the exhibits and the seal time: the same three give
 * the same bytes.
 *
 * Memory does not grow with the number of exhibits: their IDs are kept in a scratch database
 * (choice.ts), they are looked up in the ledger one at a time, in the order of their folders (the
 * manifests' order), and what grows with them (the manifests' lines, the statement, the ZIP's
 * central directory, the large levels of the Merkle tree) goes to scratch files beside the
 * archive (scratch.ts). The seal ID's hash and the ledger's record of the seal are made from the
 * IDs as they are read back.
 */
import {existsSync, lstatSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {basename, dirname} from 'node:path'
import type {Case} from '../case/case.js'
import {CustodyError, fields, messageOf, said} from '../errors.js'
import {OUTPUT, checkDestination, fsyncFolder, notReplaced} from '../io/files.js'
import {getExhibit, refusePurged} from '../exhibits/exhibits.js'
import type {LeftOut} from '../testimony/consent-filter.js'
import {resolveExhibitOrWitness} from '../testimony/testimonies.js'
import {chooseExhibits, nothingToSeal} from './choice.js'
import {writeCustodyFiles} from './custody-files.js'
import {tidySeals, type SealLeftovers} from './leftovers.js'
import {writeExhibits, type PayloadOptions} from './payload.js'
import {proveCustody, sealedTreeSize, type CustodyProof} from './proof.js'
import {carriedTransfers, custodianRecords} from '../transfers/sealed-custodians.js'
import {publishArchive} from './publish.js'
import {checkerScript} from './checker.js'
import {bagReadme} from './readme.js'
import {Scratch} from './scratch.js'
import {SealIntent} from './seal-intent.js'
import {recordSeal, recordedExhibits} from './seal-record.js'
import {describeSeal, sealIdOf, statementExhibits, withExhibits, withReadme, type SealedExhibit, type SealParts, type SealStatementHead} from './statement.js'
import {writeTags} from './tags.js'
import {ZipWriter} from '../zip/writer.js'
import {encryptionOnWorker} from '../age/payload-worker.js'
import type {AgeRecipient} from '../age/x25519.js'
import {deliveredPath} from './transport.js'
import type {TransferFiles} from './bag-layout.js'
import type {CustodyEventDraft} from '../formats/events.js'

export interface SealOptions {
  exhibits: readonly string[]
  out: string
  purpose?: string | undefined
  note?: string | undefined
  /** Seal even when a purpose that is no consent scope (or none) leaves testimony out. */
  allowLeftOut?: boolean | undefined
  force?: boolean
  /** ISO 8601; default now. The same case, exhibits and time give a byte-identical archive. */
  sealedAt?: string | undefined
  actor?: string | undefined
  cwd?: string
  /** Ctrl-C: stop, remove the partial archive, record nothing; once the seal is being recorded it is finished instead. */
  signal?: AbortSignal
  /**
   * Called as the seal starts to be recorded, its release once the archive is published: a
   * second Ctrl-C in between must not end the process (see interruptible() in commands/_base.ts).
   */
  hold?: () => () => void
  onProgress?: (done: number, total: number) => void
  /** Deliver the archive encrypted to these age recipients, as `out` + `.age`; none: in clear. */
  encryptTo?: readonly AgeRecipient[] | undefined
  /** What a transfer adds to the seal (src/transfers/export.ts); none for a seal of its own. */
  attach?: SealAttachment | undefined
}

/**
 * What a seal can carry for another format that builds on it (a transfer package, src/transfers/):
 * custody files the seal statement names under `transfer`, made once the seal has its ID and tree
 * head, so that they go in before the manifests that cover them; and events recorded in the
 * seal's own append, once its archive is written, so that no archive is published without them.
 */
export interface SealAttachment {
  describe(seal: AttachedSeal): {files: Array<[string, Buffer]>; stated: TransferFiles}
  events(written: {sealId: string; archive: {sha256: string; size: number}; encrypted: {sha256: string; size: number} | undefined; delivered: string}): CustodyEventDraft[]
}

/** What an attachment is made from: the seal's identity and what proves its tree. */
export interface AttachedSeal {
  sealId: string
  sealedAt: Date
  treeHead: {size: number; root: string}
  /** The exhibits sealed, in archive order. */
  exhibits: () => Iterable<string>
  /** An RFC 9162 consistency proof from an earlier tree head of this ledger to the sealed one (hex). */
  consistencyFrom: (head: {size: number; root: string}) => string[]
}

export interface SealReport {
  /** The ZIP as the ledger records it: at this path, unless it was delivered encrypted. */
  archive: string
  sha256: string
  size: number
  /** The file delivered when encrypted (the ZIP in an age file), its size and SHA-256; null in clear. */
  encrypted: {file: string; size: number; sha256: string; recipients: number} | null
  bag: string
  /** How many exhibits were sealed. */
  exhibitCount: number
  /**
   * The statement as sealed. Its exhibits are made from the ledger one at a time as they are
   * iterated, as they were for the statement (so --json never holds them all): iterate them while
   * the case is open.
   */
  statement: SealStatementHead & {exhibits: Iterable<SealedExhibit>}
  /** Exhibits of testimony left out because consent does not cover the purpose. */
  leftOut: LeftOut[]
  /** Exhibits left out, with none named, because they were purged (`custody transfer purge`). */
  purged: number
  seq: number
  /** What earlier seals, killed, had left; removed before this one began (leftovers.ts). */
  leftovers: SealLeftovers
}

/** The time a seal records, as its errors name it. */
const SEALED_AT = fields({sealedAt: 'the seal time'}).sealedAt

export function parseSealedAt(value: string | undefined): Date {
  if (value === undefined) return new Date(Math.floor(Date.now() / 1000) * 1000)
  const date = new Date(value)
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(date.getTime())) {
    throw new CustodyError('INVALID_ARGUMENT', said`${SEALED_AT} must be an ISO 8601 time with a zone, such as 2024-05-01T09:00:00Z, got ${JSON.stringify(value)}`)
  }

  return date
}

/**
 * Where the archive goes, resolved: a .zip file that does not exist (unless `force`), in a folder
 * it can be written to. The seal's first step; a command checks it before it asks for the passphrase.
 */
export function sealDestination(options: Pick<SealOptions, 'out' | 'force' | 'cwd' | 'encryptTo'>): string {
  if (!options.out.toLowerCase().endsWith('.zip')) {
    throw new CustodyError('INVALID_ARGUMENT', said`${OUTPUT.out} must name a .zip file, got ${JSON.stringify(options.out)}`)
  }

  const out = checkDestination(options.out, OUTPUT.out, options.cwd)
  const delivered = deliveredPath(out, options.encryptTo)
  // A symbolic link counts as there even when it leads nowhere: the archive could not be linked in its place.
  if ((existsSync(delivered) || isSymbolicLink(delivered)) && !options.force) {
    throw new CustodyError('INVALID_ARGUMENT', said`${delivered} already exists; choose another ${OUTPUT.out}, or add ${OUTPUT.force} to replace it`)
  }

  return out
}

function isSymbolicLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink()
  } catch {
    return false
  }
}

/**
 * What can be refused before the case's key is opened (a command runs it before it asks for the
 * passphrase, and sealArchive() runs it again): the output file and its folder, the seal time, and
 * the exhibits named, each of which must be in the case (or, with none named, the case must hold one).
 */
export function checkSeal(kase: Case, options: SealOptions): {out: string; sealedAt: Date} {
  const out = sealDestination(options)
  const sealedAt = parseSealedAt(options.sealedAt)
  for (const named of options.exhibits) {
    const id = resolveExhibitOrWitness(kase, named)
    getExhibit(kase, id, {withEvents: false})
    refusePurged(kase, id, 'sealed or sent')
  }

  if (options.exhibits.length === 0 && kase.ledger.exhibitCount() === 0) throw nothingToSeal()
  return {out, sealedAt}
}

/**
 * Seals the exhibits `options` names (all when none), in these steps:
 *
 *   1. choose   the exhibits, less testimony whose witness has not consented to the --purpose
 *               (choice.ts), and check that the ledger still holds its recorded tree head
 *   2. prove    the latest signed checkpoint, an RFC 9162 inclusion proof against it of each
 *               event that goes in, the checkpoint, key and timestamp files, and a consistency
 *               proof from each earlier seal's tree head (proof.ts); for exhibits received from
 *               other custodians, each sender's record of them, read from the package kept
 *               (src/transfers/sealed-custodians.ts)
 *   3. describe the seal ID, the seal statement (statement.ts) and README.txt (readme.ts), whose
 *               SHA-256 the statement states
 *   4. payload  each original streamed from the vault into the ZIP while hashed again (a vault
 *               file that no longer matches its ledger SHA-256 stops the seal), and its metadata
 *               record (payload.ts)
 *   5. custody  the events, the checkpoint, key, timestamp and earlier-seals files, and the
 *               statement with its signature (custody-files.ts)
 *   6. tags     bagit.txt, bag-info.txt, both payload manifests, README.txt, both tag manifests
 *               (tags.ts)
 *   7. record   fsync the ZIP (written beside --out under a temp name), then append the seal's
 *               events (seal-record.ts)
 *   8. publish  link (or with --force rename) the ZIP into place at --out (publish.ts)
 */
export async function sealArchive(kase: Case, options: SealOptions): Promise<SealReport> {
  const {out, sealedAt} = checkSeal(kase, options)
  kase.vault.requireReadable('sealing')
  const delivered = deliveredPath(out, options.encryptTo)
  const sealer = options.actor?.trim() || kase.info.investigator
  const leftovers = await tidySeals(kase)
  const intent = await SealIntent.begin(kase.dataDir, out)
  const temp = intent.partial
  await using scratch = await Scratch.create(temp).catch(async (error: unknown) => {
    await intent.remove()
    throw error
  })
  const {choice} = scratch
  const interrupted = (): CustodyError | undefined => (options.signal?.aborted ? new CustodyError('INTERRUPTED', `interrupted: nothing was sealed and ${delivered} was not written`) : undefined)
  /** Set once the seal event is committed: from then on the archive is published, or kept for --finish. */
  let recorded: {sealId: string; seq: number} | undefined
  let published = false
  let release: (() => void) | undefined
  try {
    // 1. choose
    const selection = chooseExhibits(kase, options.exhibits, options.purpose ?? null, choice, {allowLeftOut: options.allowLeftOut})
    await kase.assertIntactHead()

    // 2. prove (with, for exhibits received from other custodians, the senders' records: sealed-custodians.ts)
    const carried = carriedTransfers(kase, (id) => choice.has(id), sealedTreeSize(kase))
    const proof = proveCustody(kase, choice, scratch.tree, new Set(carried.map((c) => c.event.seq)))
    const custodians = await custodianRecords(kase, carried, kase.vault.keys?.identities ?? [])
    proof.files.push(...custodians.files)

    // 3. describe
    const {purpose, note} = options
    const {treeHead, trust, earlierSeals} = proof
    const attach = (sealId: string): TransferFiles | undefined => {
      if (options.attach === undefined) return undefined
      const attached = options.attach.describe({sealId, sealedAt, treeHead, exhibits: () => choice.ids(), consistencyFrom: proof.consistencyFrom})
      proof.files.push(...attached.files)
      return attached.stated
    }
    const {sealId, bag, statement, readme} = describeBag(kase, basename(out), {sealer, sealedAt, purpose, note, treeHead, trust, events: proof.events.stated, earlierSeals, custodians: custodians.stated, selection, choice}, attach)

    // 4. payload, 5. custody files, 6. tags
    const encrypt = options.encryptTo !== undefined && options.encryptTo.length > 0 ? encryptionOnWorker(options.encryptTo) : undefined
    await using zip = await ZipWriter.create(temp, sealedAt, encrypt === undefined ? {} : {encrypt})
    await writeBag(zip, kase, bag, {scratch, proof, statement, readme}, {onProgress: options.onProgress, interrupted})

    // 7. record
    const written = await zip.finish()
    // The archive's name too must survive a power cut once the ledger records it.
    await fsyncFolder(dirname(temp))
    if (existsSync(delivered) && !options.force) throw appeared(delivered)
    await intent.recording({id: sealId, sha256: written.sha256, size: written.size, fromSeq: kase.ledger.size(), ...(written.encrypted === undefined ? {} : {encrypted: written.encrypted})})
    // From the hold to the append nothing awaits: a Ctrl-C is either seen here (nothing is
    // recorded) or comes while the seal is recorded and published, and does not stop it.
    release = options.hold?.()
    const stop = interrupted()
    if (stop !== undefined) throw stop
    const after = options.attach?.events({sealId, archive: written, encrypted: written.encrypted, delivered}) ?? []
    const sealEvent = recordSeal(kase, {out, archive: written, statement, choice, leftOut: selection.leftOut, after})
    recorded = {sealId, seq: sealEvent.event.seq}

    // 8. publish
    if (!(await publishArchive(temp, delivered, options.force ?? false))) throw appeared(delivered)
    published = true
    // The scratch files go before the note that names them, so that a kill between the two
    // leaves nothing the next seal or status cannot find.
    await scratch[Symbol.asyncDispose]()
    await intent.remove()
    release?.()
    await kase.recordHead()
    const sealed = {[Symbol.iterator]: () => statementExhibits(kase, recordedExhibits(kase.ledger, {seq: sealEvent.event.seq, sealId}))}
    const encrypted = written.encrypted === undefined ? null : {file: delivered, ...written.encrypted, recipients: options.encryptTo!.length}
    const report = {archive: out, sha256: written.sha256, size: written.size, encrypted, bag, exhibitCount: choice.size}
    return {...report, statement: withExhibits(statement, sealed), leftOut: selection.leftOut, purged: selection.purged, seq: sealEvent.event.seq, leftovers}
  } catch (error) {
    throw await failedSeal(error, {published, recorded, out: delivered, temp, scratch, intent})
  } finally {
    release?.()
  }
}

/**
 * Step 3: the seal's ID, its bag's name, its statement, and README.txt (which names the archive
 * as `archive`, the file name it is sealed to), whose SHA-256 the statement states.
 */
function describeBag(
  kase: Case,
  archive: string,
  parts: Omit<SealParts, 'sealId'>,
  attach: (sealId: string) => TransferFiles | undefined,
): {sealId: string; bag: string; statement: SealStatementHead; readme: Buffer} {
  const identity = {caseId: kase.info.caseId, treeHead: parts.treeHead, sealedAt: parts.sealedAt.toISOString(), purpose: parts.purpose ?? null}
  const sealId = sealIdOf(identity, parts.choice.ids())
  const bag = `custody-${sealId}`
  const described = describeSeal(kase, {...parts, sealId, transfer: attach(sealId)})
  const readme = Buffer.from(bagReadme({archive, bag, statement: described, exhibits: parts.choice.size}))
  return {sealId, bag, statement: withReadme(described, readme, checkerScript()), readme}
}

/** Steps 4 to 6, into the ZIP: each original and its metadata record, the custody files, then the tag files that list them. */
async function writeBag(zip: ZipWriter, kase: Case, bag: string, parts: {scratch: Scratch; proof: CustodyProof; statement: SealStatementHead; readme: Buffer}, options: PayloadOptions): Promise<void> {
  const {scratch, proof, statement, readme} = parts
  const {choice} = scratch
  // 4. payload
  const exhibits = await writeExhibits(zip, kase, bag, choice, scratch.manifests, options)

  // 5. custody files
  const custody = await writeCustodyFiles(zip, kase, bag, {...proof, statement, exhibits: () => choice.ids(), scratch: scratch.statement}, options.interrupted)

  // 6. tags
  const payload = {bytes: exhibits.bytes + custody.bytes, count: 2 * choice.size + custody.entries.length}
  await writeTags(zip, bag, {statement, payload, custody: custody.entries, manifests: scratch.manifests, readme})
}

/**
 * Tidies up after a seal that failed, and returns the error to throw. Before its event is
 * recorded, nothing is left: the partial archive, the scratch files and the note are removed.
 * Recorded but not published: the complete archive stays under its temporary name, and the note
 * stays beside it, so that status and verify report it and --finish can publish it.
 */
async function failedSeal(
  error: unknown,
  seal: {published: boolean; recorded: {sealId: string; seq: number} | undefined; out: string; temp: string; scratch: Scratch; intent: SealIntent},
): Promise<unknown> {
  if (seal.published) return error
  if (seal.recorded === undefined) {
    await rm(seal.temp, {force: true})
    await seal.scratch[Symbol.asyncDispose]()
    await seal.intent.remove()
    return error
  }

  return keptForFinish(seal.recorded, seal.out, seal.temp, error)
}

function keptForFinish(recorded: {sealId: string; seq: number}, out: string, temp: string, error: unknown): CustodyError {
  return new CustodyError(
    'STORAGE_FAILED',
    `seal ${recorded.sealId} is recorded (event ${recorded.seq}), but its archive could not be put at ${out}: ${messageOf(error)}. The complete archive is kept at ${temp}; run \`custody seal --finish ${recorded.sealId}\` to put it in place`,
    {subject: recorded.sealId, cause: error},
  )
}

function appeared(out: string): CustodyError {
  return notReplaced(out, 'appeared while sealing')
}
