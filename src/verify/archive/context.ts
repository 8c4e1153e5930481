/**
 * What the checks of `custody verify ARCHIVE` share: the opened archive, the index of its files,
 * the user's options, and what each check establishes for the ones after it (the bag's folder,
 * the statement, the sealed tree head, the keys the events record). The orchestrator
 * (verify-archive.ts) builds it; each check reads what earlier checks left and adds its own.
 */
import {SEALED, type ScratchCodec} from '../../io/scratch-seal.js'
import type {AgeIdentity} from '../../age/x25519.js'
import type {Certificate} from 'pkijs'
import type {EntryReader, EntryResult} from '../../io/entry-reader.js'
import type {ChunkKeeper} from '../../hashing/read-digests.js'
import type {ZipEntryInfo} from '../../zip/structure.js'
import type {CheckpointBody} from '../../checkpoints/checkpoint.js'
import type {RecordedKey} from '../../checkpoints/verify-checkpoints.js'
import type {CustodyEvent, EventOfKind, ReceivedFrom} from '../../formats/events.js'
import type {EarlierSeal} from '../../seal/earlier-seals.js'
import {smallFileLimit} from '../../seal/bag-layout.js'
import type {CheckResult, Finding} from '../checklist.js'
import {ProblemList} from '../problem-list.js'
import {BagIndex} from './bag-index.js'
import type {FieldTransferStatement} from '../../transfers/field-statement.js'
import type {FieldPackageState, FieldRowRead} from './field-state.js'

export interface VerifyArchiveOptions {
  onProgress?: (done: number, total: number) => void
  /** TSA roots the user trusts (--tsa-ca). */
  tsaRoots?: Certificate[]
  /** Fingerprints of the signing keys the user expects (--key). */
  pinnedKeys?: readonly string[]
  /** Each event whose hash holds, as it is read (for `--against`). */
  onEvent?: (seq: number, hash: string) => void
  /** The age identities that open an encrypted archive (FILE.zip.age); needed for one, unused otherwise. */
  identities?: readonly AgeIdentity[]
  /**
   * For a field package: the tree sizes at which to keep the root of its rows (the field state's
   * `rootsAt`), so that a receiver holds the heads it saw of the sender against them.
   */
  headsAt?: readonly number[]
  /**
   * For a field package: called once its transfer statement is read, with whether it is signed by
   * the key it names as the sender's, before its ledger and objects are read; what it throws stops
   * the verification. `transfer accept` refuses there a statement not so signed and a sender or
   * receiver it does not accept, so that such a package, however large its ledger, costs it
   * nothing more.
   */
  onFieldStatement?: (statement: FieldTransferStatement, signed: boolean) => void
  /**
   * For a field package: each row of its ledger once it is linked (and opened, with an identity
   * that opens its run), in order. A seal of exhibits received in it keeps their events and every
   * row's leaf (src/transfers/sealed-custodians.ts). It must throw nothing: the ledger check
   * would take what it throws for a problem of the rows file (FieldRows keeps its own, for after).
   */
  onFieldRow?: (row: FieldRowRead) => void
  /**
   * A file of the bag (its path in the bag, its size) whose bytes are wanted as they are read to
   * be hashed, by the keeper returned: `transfer accept` stages the originals of a package while
   * it is verified, so that it reads and decrypts them once. Whatever the keeper is given was
   * read once and hashed as it was given; nothing in the verdict depends on it.
   */
  keep?: (path: string, size: number) => ChunkKeeper | undefined
  /**
   * Called once the bag's files are listed, before any is read and hashed, with a reader of a
   * small file of the bag by its path (undefined when it is not there or larger than `maxBytes`).
   * What it reads is unchecked: nothing vouches for it yet. `transfer accept` decides there
   * whether to stage the originals as they are hashed (`keep`): a package it would refuse after is
   * not copied into its vault. What it throws stops the verification.
   */
  beforeDigests?: (read: (path: string, maxBytes: number) => Promise<Buffer | undefined>) => Promise<void>
}

export interface ArchiveTrust {
  /** Fingerprint of the key that signed the checkpoint and the seal statement, when they verify. */
  signingKey: string | null
  /** Who holds it, as its key event says. */
  holder: string | null
  /**
   * Whether the signing key is one the user named (--key). When false, the signer is only the one
   * the archive itself names: a forger can make an archive that names any holder.
   */
  signerPinned: boolean
  /** Each token that holds: the events it covers and the time it proves they existed by. */
  timestamps: {tsa: string; genTime: string; signer: string; treeSize: number}[]
  /** Where the TSA roots came from: the user's own (--tsa-ca) or the archive's copy. */
  tsaRootsFrom: 'given' | 'archive' | null
}

export type ArchiveKey = RecordedKey & {holder: string}

/** A transfer package's statement, as verified (archive/transfer.ts). */
export interface ArchiveTransfer {
  transferId: string
  from: {case: string; name: string; organisation: string | null; fingerprint: string}
  to: {case: string; name: string; organisation: string | null; fingerprint: string}
  releasedAt: string
  purpose: string | null
  items: number
  acknowledged: {size: number; root: string} | null
}

/** A hand-over a seal of received exhibits carries the record of, as verified (archive/custodians.ts). */
export interface ArchiveHandOver {
  transferId: string
  from: {case: string; name: string; organisation: string | null; fingerprint: string}
  to: {case: string; name: string; organisation: string | null; fingerprint: string}
  releasedAt: string
  receivedAt: string
  /** How many of the archive's exhibits it brought. */
  items: number
}

/** What a bag is read from: a ZIP (src/zip/reader.ts) or a bag folder on disk (src/folder/reader.ts). */
export type SourceKind = 'zip' | 'folder'

/**
 * What the checks read a bag through, the same for a ZIP and a folder: entries listed once (with
 * what is wrong with one on its own, for a folder), every file hashed once, and files read again
 * as chunks, lines or whole. Entries are named as in a ZIP: `<bag folder>/<path in the bag>`.
 */
export interface BagSource extends EntryReader<ZipEntryInfo> {
  /** `onAside`: a file left out of the listing as no part of the bag (a folder's Finder or Explorer litter), with what it is. */
  list(onEntry: (info: ZipEntryInfo) => void, onProblem: (subject: string, message: string) => void, onAside?: (name: string, what: string) => void): Promise<number>
  digestEach(
    entries: () => Iterable<ZipEntryInfo>,
    onResult: (info: ZipEntryInfo, result: EntryResult) => void,
    onEach?: (done: number) => void,
    keep?: (info: ZipEntryInfo) => ChunkKeeper | undefined,
  ): Promise<void>
  close(): void
}

export interface ArchiveContext {
  readonly path: string
  /** The archive's size in bytes: what deflated entries together may expand to is bounded by it (0 for a folder). */
  readonly size: number
  readonly kind: SourceKind
  readonly source: BagSource
  /** Every entry, its digests and what names it, and the stated exhibits (bag-index.ts). */
  readonly files: BagIndex
  readonly options: VerifyArchiveOptions
  /** What holds but not as proof for the user, as the report lists it (`check: message`). */
  readonly warnings: string[]
  /**
   * Problems a check found beyond the ones it kept (a check keeps as many as the report lists):
   * counted, so that the report's count stays exact while memory stays bounded.
   */
  uncounted: number

  /** zip: the ZIP's entries, and the bag's folder once the ZIP holds exactly one. */
  entryCount: number
  bag: string | undefined
  /** zip (every file read): the payload's file count and bytes. */
  payload: {count: number; bytes: number}
  /** oxum: bag-info.txt as read ('' when missing or larger than any genuine one). */
  bagInfo: string
  /** statement: the seal statement without its exhibits ({} when unreadable), and how many exhibits it states. */
  statement: Record<string, unknown>
  sealId: string | null
  exhibitCount: number
  /** events: how many, the sealed tree head the statement gives, the key events and the testimony events. */
  eventCount: number
  treeHead: {size: number; root: string}
  keys: ArchiveKey[]
  testimonyEvents: CustodyEvent[]
  /** signatures: who signed, and what the timestamps check needs of it. */
  trust: ArchiveTrust | null
  checkpoint: CheckpointBody | undefined
  signingKey: {key?: ArchiveKey; fingerprint?: string; problem?: string}
  /** earlier seals: those listed and proven (null when not listed, or when they do not hold). */
  earlierSeals: EarlierSeal[] | null
  /** transfer: the transfer statement, when the archive is a transfer package and it holds. */
  transfer: ArchiveTransfer | null
  /** events: this archive's `transfer-received` events by transfer, and each exhibit an ingest event says was received. */
  handOverEvents: {received: Map<string, EventOfKind<'transfer-received'>>; ingests: Array<{exhibit: string; sha256: string; from: ReceivedFrom}>}
  /** custodians: the hand-overs whose records the archive carries, when they hold (empty for none). */
  handOvers: ArchiveHandOver[] | null
  /** A field package's checks (field-package.ts): what they establish; undefined for a seal. */
  field: FieldPackageState | undefined
}

/**
 * The context of an opened archive or bag folder, before any check has run; it owns a new bag
 * index, which keeps what it reads with `scratch` (sealed, unless the archive is in clear on disk).
 */
export function createArchiveContext(path: string, size: number, source: BagSource, options: VerifyArchiveOptions, kind: SourceKind = 'zip', scratch: ScratchCodec = SEALED): ArchiveContext {
  return {
    path,
    size,
    kind,
    source,
    files: new BagIndex(scratch),
    options,
    warnings: [],
    uncounted: 0,
    entryCount: 0,
    bag: undefined,
    payload: {count: 0, bytes: 0},
    bagInfo: '',
    statement: {},
    sealId: null,
    exhibitCount: 0,
    eventCount: 0,
    treeHead: {size: Number.NaN, root: 'undefined'},
    keys: [],
    testimonyEvents: [],
    trust: null,
    checkpoint: undefined,
    signingKey: {},
    earlierSeals: null,
    transfer: null,
    handOverEvents: {received: new Map(), ingests: []},
    handOvers: null,
    field: undefined,
  }
}

/**
 * A small file of the bag, read whole: undefined when it is not there, or when it is larger than
 * any genuine file of its kind (the contents check reports that). What is read must be what was
 * hashed when every file was read.
 */
export async function readSmallFile(context: ArchiveContext, name: string): Promise<Buffer | undefined> {
  const file = context.files.get(name)
  const limit = smallFileLimit(name)
  if (file === undefined || limit === undefined || file.size > limit) return undefined
  return context.source.readSmall(file.info, limit, file.sha256)
}

export async function readSmallText(context: ArchiveContext, name: string): Promise<string | undefined> {
  return (await readSmallFile(context, name))?.toString('utf8')
}

/**
 * The findings of one check, of which it keeps as many as the report can list and counts the
 * rest: a hostile archive can hold millions of faults (one a manifest line, one an event).
 */
export function findings(): ProblemList<Finding> {
  return new ProblemList<Finding>()
}

/** A check's result from what it found: failed when it found anything, the rest counted in the context. */
export function concluded(context: ArchiveContext, found: ProblemList<Finding>, detail: string): CheckResult {
  context.uncounted += found.dropped
  return {status: found.length > 0 ? 'failed' : 'ok', detail, problems: found.kept}
}
