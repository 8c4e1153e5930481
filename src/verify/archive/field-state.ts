/** What a field package's checks (field-package.ts) establish for the ones after them, kept in the archive context (ArchiveContext.field). */
import type {CheckpointBody} from '../../checkpoints/checkpoint.js'
import type {EventOfKind} from '../../formats/events.js'
import type {FieldTransferStatement} from '../../transfers/field-statement.js'

export interface FieldPackageState {
  statement: FieldTransferStatement | undefined
  checkpoint: CheckpointBody | undefined
  /** The items' ingest events, opened (with an identity that opens their runs). */
  ingests: Map<number, EventOfKind<'ingest'>>
  rows: number
  opened: number
  notOpened: number
}

export function newFieldState(): FieldPackageState {
  return {statement: undefined, checkpoint: undefined, ingests: new Map(), rows: 0, opened: 0, notOpened: 0}
}

