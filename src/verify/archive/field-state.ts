/** What a field package's checks (field-package.ts) establish for the ones after them, kept in the archive context (ArchiveContext.field). */
import type {CheckpointBody} from '../../checkpoints/checkpoint.js'
import type {RecordedKey} from '../../checkpoints/verify-checkpoints.js'
import type {CustodyEvent, EarlierPackage, EventOfKind} from '../../formats/events.js'
import type {FieldTransferStatement} from '../../transfers/field-statement.js'

/**
 * A row of a field package's ledger as the ledger check read it, in order, once it linked: its
 * chain, its envelope as stored, and, when its body opened under its run's key (an identity of a
 * recipient given), the event in clear and the salt of its commitment (none for a row carried in
 * clear from before the case was encrypted). What a seal of received exhibits makes the sender's
 * event lines from (VerifyArchiveOptions.onFieldRow).
 */
export interface FieldRowRead {
  seq: number
  prev: string
  hash: string
  envelope: string
  opened: {event: CustodyEvent; canonical: string; salt: Buffer | undefined} | undefined
}

export interface FieldPackageState {
  statement: FieldTransferStatement | undefined
  checkpoint: CheckpointBody | undefined
  /** The items' ingest events, opened (with an identity that opens their runs), each with its row's chain hash. */
  ingests: Map<number, EventOfKind<'ingest'> & {hash: string}>
  rows: number
  opened: number
  notOpened: number
  /** The sender's keys as its key events record them, in order (each rotation vouched for by the key it replaced: checked). */
  keys: RecordedKey[]
  /** The RFC 6962 root (hex) of the first N rows, for each N the verifier was asked for (`headsAt`): a receiver's earlier heads of this sender. */
  rootsAt: Map<number, string>
  /**
   * The earlier packages the rows prove the sender's ledger made: each opened field-transfer-released
   * event's transfer ID and head, when a checkpoint the package carries (checked against the rows)
   * signs that head. A receiver records them, to take such a package delivered late (split-view.ts).
   */
  releases: EarlierPackage[]
  /** The items that are a testimony's statement or attachment, as the opened testimony events name them (witnesses' consent governs them). */
  testimony: Set<string>
}

export function newFieldState(): FieldPackageState {
  return {statement: undefined, checkpoint: undefined, ingests: new Map(), rows: 0, opened: 0, notOpened: 0, keys: [], rootsAt: new Map(), releases: [], testimony: new Set()}
}
