/**
 * What the checks of `custody verify` on a local case share (verify-case.ts runs them in order):
 * the opened case, the facts an earlier check gathered for later ones, the options, and the
 * warnings. A check reads the facts; it never calls another check.
 */
import type {AgeIdentity} from '../../age/x25519.js'
import type {Certificate} from 'pkijs'
import type {Case} from '../../case/case.js'
import type {SignedCheckpoint} from '../../checkpoints/checkpoint.js'
import type {RecordedKey} from '../../checkpoints/verify-checkpoints.js'
import {MerkleTree} from '../../merkle/tree.js'
import type {PackedHashes} from '../../merkle/packed-hashes.js'
import type {AgainstFile} from '../against.js'
import type {Check, CheckResult, Finding} from '../checklist.js'
import type {ClaimIndex} from '../claim-index.js'
import type {StoredObject} from '../../formats/events.js'

/**
 * What a problem of the case is about. Each is the `check` of its problems, and scripts have read
 * it as `kind` since before the checks were named: a check can find problems of several kinds (the
 * chain check finds `event`, `chain` and `key` problems).
 */
export type ProblemKind =
  | 'ledger-file'
  | 'ledger-schema'
  | 'event'
  | 'chain'
  | 'tree-head'
  | 'checkpoint'
  | 'key'
  | 'timestamp'
  | 'vault-object'
  | 'metadata-record'
  | 'testimony'
  | 'transfer'
  | 'purge'
  | 'against'

/** A problem as a check of the case returns it: it always names its kind, never left to the runner. */
export type CaseFinding = Finding & {check: ProblemKind}

export interface CaseCheckResult extends CheckResult {
  problems?: readonly CaseFinding[]
}

export interface CaseCheck extends Check<CaseContext> {
  run(context: CaseContext): CaseCheckResult | Promise<CaseCheckResult>
  /** It reads what the events record: of a sealed ledger whose bodies were not opened, it is not run, and says so (verify-case.ts). */
  readonly readsBodies?: true
  /** Where it reads bodies and they were not opened: its result when the envelopes settle it (nothing to check), else undefined. */
  withoutBodies?(context: CaseContext): CaseCheckResult | undefined | Promise<CaseCheckResult | undefined>
}

export interface VerifyProgress {
  objectsDone: number
  objectsTotal: number
}

export interface VerifyCaseOptions {
  onProgress?: (progress: VerifyProgress) => void
  /** Sealed archives and checkpoint files the ledger must extend (against.ts). */
  against?: readonly AgainstFile[]
  /** TSA roots for the archives given with `against`. */
  tsaRoots?: Certificate[]
  /** Signing keys the archives given with `against` must be signed by (--key). */
  pinnedKeys?: readonly string[]
  /** Recipients' identities: an encrypted vault is then checked by content, not only as stored. */
  identities?: readonly AgeIdentity[]
  /**
   * The case passphrase: in a case with a case identity it opens what an identity would (the
   * vault's content and the ledger's event bodies); a field case's opens only its address key.
   */
  passphrase?: string
}

/** What the chain check read from the events, for the checks after it. */
export interface ChainFacts {
  /** Each event's leaf hash, in the order of the rows. */
  leaves: PackedHashes
  /** Each row's stored hash, in the same order. */
  hashAt: (index: number) => string | undefined
  /** The signing keys the key events record, in order. */
  keys: RecordedKey[]
  lastHash: string | null
  /**
   * The vault objects a sealed ledger's envelopes (schema 4) list as stored beyond an ingest's
   * (a testimony's sealed identity record: publicOf, src/ledger/envelope.ts), with the event
   * that lists each: what the testimonies check re-hashes as stored when no key opens the bodies.
   */
  listedObjects: ReadonlyArray<{seq: number; stored: StoredObject}>
  /**
   * The objects a converted case's objects-encrypted events list as stored, from their envelopes'
   * public facts: what the vault check re-hashes as stored where their exhibits' ingest events (written
   * in clear, carried sealed) are not opened.
   */
  convertedObjects: ReadonlyArray<{seq: number; stored: StoredObject}>
  /** Exhibits whose ingest events (carried from clear) were not opened: their objects are among convertedObjects, no claim of theirs is known. */
  carriedExhibits: number
  /**
   * The files a sealed ledger's transfer envelopes say the case keeps (publicOf: a package
   * received and its receipt, a receipt acknowledged), opened or not: what the transfers check
   * re-hashes there. Empty for the other schemas, whose events the check reads.
   */
  keptFiles: ReadonlyArray<KeptFile>
}

/** A file a transfer event says the case keeps, under .custody/, with the SHA-256 it records. */
export interface KeptFile {
  file: string
  sha256: string
  /** What it is, in words (`the package of TRANSFER-…`). */
  what: string
  seq: number
}

/** A check's result: ok when it found nothing. */
export function resultOf(detail: string, problems: readonly CaseFinding[]): CaseCheckResult {
  return {status: problems.length === 0 ? 'ok' : 'failed', detail, problems}
}

export class CaseContext {
  /** What holds but should be known: left by an interrupted command, open to other users. */
  readonly warnings: string[] = []
  /** Exhibits whose original and metadata record are intact, as the vault check counted them. */
  intactExhibits = 0
  /** Exhibits whose original a `purged` event of theirs names as removed (the vault check counts them). */
  purgedExhibits = 0
  /** Some object of an encrypted vault was checked only as stored (no key that opens it was given). */
  storedOnly = false
  /** Events of a sealed ledger (schema 4) whose bodies were not opened: no key given opens them (the chain check counts them). */
  unopenedBodies = 0
  /** How many objects (originals and metadata records) were checked only as stored: their content was not. */
  contentUnchecked = 0
  /**
   * Objects checked only as stored although a key was given: none of the identities given opens
   * them (a field case's objects stored before the recipient given was added).
   */
  notForKey = 0
  private chainFacts: ChainFacts | undefined
  private merkleTree: MerkleTree | undefined
  private checkpointRows: readonly SignedCheckpoint[] | undefined

  /**
   * @param claims what each ingest event says of its exhibit (the chain check adds them), and which
   *   vault objects the events name (the vault and testimony checks mark them)
   */
  constructor(
    readonly kase: Case,
    readonly claims: ClaimIndex,
    readonly options: VerifyCaseOptions = {},
  ) {}

  /** Set once, by the chain check. */
  /** Whether the chain check ran (a verify stopped before it has no chain facts). */
  get chainRead(): boolean {
    return this.chainFacts !== undefined
  }

  get chain(): ChainFacts {
    // A check that runs before the chain check is a mistake in the checklist, not in the case.
    if (this.chainFacts === undefined) throw new Error('the event chain check must run before this check: it reads the events')
    return this.chainFacts
  }

  set chain(facts: ChainFacts) {
    this.chainFacts = facts
    this.merkleTree = undefined
  }

  /** The RFC 6962 Merkle tree over every event, as the rows hold them (built once, when first asked). */
  get tree(): MerkleTree {
    this.merkleTree ??= new MerkleTree(this.chain.leaves.packed())
    return this.merkleTree
  }

  /** The signed checkpoints the ledger holds (read once, when first asked). */
  get checkpoints(): readonly SignedCheckpoint[] {
    this.checkpointRows ??= this.kase.ledger.checkpoints()
    return this.checkpointRows
  }
}
