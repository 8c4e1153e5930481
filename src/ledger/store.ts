/**
 * What the `Ledger` asks of the events table of its schema (schema.ts): the SQL of each lookup,
 * one store a schema. ClearStore (schema 2) selects by columns generated from the event's JSON;
 * TaggedStore (schema 3) selects by keyed tags and the clear `exhibit` column, then confirms and
 * picks in JavaScript. What is the same in both (the rows in order, the hashes, the checkpoints)
 * stays in ledger.ts.
 */
import type Database from 'better-sqlite3'
import type {AgeIdentity, AgeRecipient} from '../age/x25519.js'
import type {CustodyEvent, EventAction, IngestFile, ParsedEvent, SourceFile} from '../formats/events.js'
import type {LedgerSchema} from './schema.js'
import type {TagKey, TagName} from './tags.js'

/** A row as stored: `event` is what the chain and the tree are over (the canonical event; in schema 4, the envelope). */
export interface RawRow {
  seq: number
  prev_hash: string
  hash: string
  event: string
}

/** What opens a schema-4 ledger's bodies: the recipients a run key is wrapped to, and the identities that open run keys. */
export interface BodyKeys {
  readonly recipients: readonly AgeRecipient[]
  readonly identities: readonly AgeIdentity[]
}

/** An event written: its hash in the chain, and the text the chain and the tree are over. */
export interface Written {
  hash: string
  chained: string
}

/** A stored row with what its event says of itself: action, exhibit and previous hash. */
export interface PagedRow extends RawRow {
  action: string
  exhibit: string | null
  prev: string
  /** Schema 4: the envelope as stored (chained, the tree's leaf; `event` is then the opened event) and the body's salt, hex. */
  envelope?: string
  salt?: string
  /** Schema 4, a carried row (a converted case's, envelope.ts): its envelope as stored; `event` is its event, which the chain and the tree are over. */
  carried?: string
}

/** A row whose stored index is not what its event gives: the column, and what it should hold. */
export interface UntrueIndex {
  seq: number
  /** `envelope`: (schema 4) the tags or exhibit its chained envelope holds. */
  column: 'exhibit' | `${TagName}_tag` | 'envelope'
}

/**
 * What a batch run again reads of the runs before it, by keyed tags, without a body (schema 4,
 * given the address key: src/ledger/sealed-store.ts). Each row a tag chose is confirmed against
 * its chained envelope first: a column edited to point elsewhere is refused (INTEGRITY).
 */
export interface BatchTags {
  /** The ingest and presented-again events that took a file in from this source path, with the exhibit each names, oldest first. */
  takenFrom(path: string): Array<{seq: number; exhibit: string}>
  /** The exhibit the last event of `batch` took in from this path at this size and modification time, if one did. */
  takenByBatch(batch: string, file: {path: string; size: number; modifiedAt: string}): string | undefined
  /** The sequence numbers of the batch-started events of `batch`, oldest first. */
  batchStarts(batch: string): number[]
}

/**
 * The testimonies of a sealed ledger found by witness code or exhibit without reading a body (schema
 * 4, given the address key: src/ledger/sealed-store.ts): the rows of the testimony action's tag,
 * each confirmed against its chained envelope, whose witness tag is compared with the code's.
 */
export interface TestimonyTags {
  /** The testimony events of this witness code (any case), with the exhibit each names, oldest first. */
  byWitness(code: string): Array<{seq: number; exhibit: string}>
  /** The testimony event whose exhibit this is, if the exhibit is a testimony. */
  byExhibit(exhibit: string): number | undefined
}

/** What a store reads the database with: the connection, and its cache of prepared statements. */
export interface StoreContext {
  readonly db: Database.Database
  readonly path: string
  cached<P extends unknown[], R>(sql: string): Database.Statement<P, R>
}

/** The lookups of one schema. Each may throw SQLite's errors; the Ledger wraps them. */
export interface EventStore {
  readonly schema: LedgerSchema
  /** The column the chain and the tree are over: the canonical event, or (schema 4) the envelope. */
  readonly chained: 'event' | 'envelope'
  /** Gives the store the key of its tags (schemas 3 and 4; schema 2 has none and ignores it). */
  useTagKey(key: TagKey): void
  /** Gives the store what seals and opens bodies (schema 4; the others ignore it). */
  useBodyKeys(keys: BodyKeys): void
  /** Writes an event's row (`canonical` its canonical JSON); inside the append's transaction. */
  insert(event: CustodyEvent, canonical: string): Written
  /**
   * The event of a row: parsed from its text, or (schema 4) opened from its body. A row that
   * custody did not write so gives its problem; a forged sealed row throws INTEGRITY; a body with
   * no key to open it throws CONTENT_LOCKED.
   */
  open(row: RawRow): ParsedEvent
  /** The rows of events of these kinds, oldest first. */
  rowsOfKind(actions: readonly EventAction[]): Iterable<RawRow>
  /** The row of the ingest event that created `exhibit`. */
  ingestRow(exhibit: string): RawRow | undefined
  /** Every ingest event's row, oldest first, read a page at a time. */
  ingestRows(): Iterable<RawRow>
  /** Every exhibit's ID, oldest first, read a page at a time. */
  exhibitIds(): Iterable<string>
  exhibitBySha256(sha256: string): string | undefined
  exhibitFile(exhibit: string): IngestFile | undefined
  exhibitCount(): number
  /** The exhibit of the last ingest event. */
  lastIngestedExhibit(): string | undefined
  /** The highest exhibit number a restore-accepted event reserves, or null. */
  highestReserved(): number | null
  /** The rows of one exhibit's events and of the events that name it (Ledger.events), oldest first. */
  exhibitRows(exhibit: string): RawRow[]
  /** The rows of one exhibit's own events (whose `exhibit` it is), oldest first: by the exhibit column alone. */
  ownRows(exhibit: string): RawRow[]
  /** Every file an ingest or presented-again event took in from a source path, oldest first, a page at a time. */
  sourceFiles(): Iterable<SourceFile>
  /**
   * The rows whose stored index (tags, exhibit column) is not the one their event gives, oldest
   * first; undefined when there is nothing to check (schema 2, whose columns are generated) or
   * no key to check it with.
   */
  untrueIndexes(): Iterable<UntrueIndex> | undefined
  /** One page of rows after `after` and below `size`, with what each event says of itself. */
  pagedRows(after: number, size: number): PagedRow[]
}
