/**
 * The lookups of a schema-2 ledger (a case in clear, or any case made before schema 3): SQLite
 * selects by the columns generated from the event's JSON (`action`, `exhibit`, `sha256`) and
 * takes fields out with json_extract, so that a seal of many exhibits parses no event in full.
 */
import {INGEST_FILE_FIELDS, parseEventText, payloadPath, SOURCE_FILE_FIELDS, type CustodyEvent, type EventAction, type IngestFile, type ParsedEvent, type SourceFile} from '../formats/events.js'
import {chainHash} from './event.js'
import {keysetPages} from '../io/keyset-pages.js'
import {CLEAR_SCHEMA_VERSION} from './schema.js'
import type {EventStore, PagedRow, RawRow, StoreContext, Written} from './store.js'

/** An exhibit's ingest event as a seal reads it: INGEST_FILE_FIELDS, taken out by SQLite. */
const EXHIBIT_FILE_SQL = `SELECT ${Object.entries(INGEST_FILE_FIELDS)
  .map(([name, path]) => `json_extract(event, '${path}') AS ${name}`)
  .join(', ')} FROM events WHERE action = 'ingest' AND exhibit = ?`

/** The highest exhibit number a restore-accepted event reserves. */
const RESERVED_NUMBERS_SQL = `SELECT max(json_extract(event, '${payloadPath('restore-accepted', 'reservedExhibitNumbers')}')) AS n FROM events WHERE action = 'restore-accepted'`

/**
 * An exhibit's own events, the seals that took it (whose sealed-exhibits events list it), and the
 * testimony that it is a later statement version or an attachment of: indexed lookups by action.
 */
const EXHIBIT_ROWS_SQL = `SELECT seq, prev_hash, hash, event FROM events WHERE exhibit = ?
UNION ALL
SELECT seq, prev_hash, hash, event FROM events
WHERE action = 'seal' AND json_extract(event, '${payloadPath('seal', 'sealId')}') IN (
  SELECT json_extract(event, '${payloadPath('sealed-exhibits', 'sealId')}') FROM events
  WHERE action = 'sealed-exhibits' AND EXISTS (SELECT 1 FROM json_each(event, '${payloadPath('sealed-exhibits', 'exhibits')}') WHERE value = ?))
UNION ALL
SELECT seq, prev_hash, hash, event FROM events
WHERE action = 'testimony' AND exhibit IS NOT ? AND EXISTS (SELECT 1 FROM json_each(event, '${payloadPath('testimony', 'attachments')}') WHERE json_extract(value, '$.exhibit') = ?)
UNION ALL
SELECT seq, prev_hash, hash, event FROM events
WHERE action = 'testimony-amended' AND exhibit IS NOT ? AND json_extract(event, '${payloadPath('testimony-amended', 'statement.exhibit')}') = ?
ORDER BY seq`

/**
 * Events of a kind a page: few, since one event may be large (an objects-encrypted event lists up
 * to 1,000 objects, some 300 KB), and a page is held whole while its rows are read.
 */
const KIND_PAGE = 16

export class ClearStore implements EventStore {
  readonly schema = CLEAR_SCHEMA_VERSION

  constructor(private readonly context: StoreContext) {}

  readonly chained = 'event'

  /** Schema 2 has no tags. */
  useTagKey(): void {}

  /** Nor sealed bodies. */
  useBodyKeys(): void {}

  insert(event: CustodyEvent, canonical: string): Written {
    const hash = chainHash(event.prev, canonical)
    this.context.cached<[number, string, string, string], unknown>('INSERT INTO events (seq, prev_hash, hash, event) VALUES (?, ?, ?, ?)').run(event.seq, event.prev, hash, canonical)
    return {hash, chained: canonical}
  }

  open(row: RawRow): ParsedEvent {
    return parseEventText(row.event)
  }

  /** A page at a time, as schema 3 reads them: a kind may have many events, or large ones (objects-encrypted). */
  *rowsOfKind(actions: readonly EventAction[]): Generator<RawRow> {
    const page = this.context.cached<Array<string | number>, RawRow>(
      `SELECT seq, prev_hash, hash, event FROM events WHERE action IN (${actions.map(() => '?').join(', ')}) AND seq > ? ORDER BY seq LIMIT ${KIND_PAGE}`,
    )
    yield* keysetPages((after: number) => page.all(...actions, after), (r) => r.seq, -1)
  }

  ingestRow(exhibit: string): RawRow | undefined {
    return this.context.cached<[string], RawRow>("SELECT seq, prev_hash, hash, event FROM events WHERE action = 'ingest' AND exhibit = ?").get(exhibit)
  }

  *ingestRows(): Generator<RawRow> {
    const page = this.context.cached<[number], RawRow>("SELECT seq, prev_hash, hash, event FROM events WHERE action = 'ingest' AND seq > ? ORDER BY seq LIMIT 200")
    yield* keysetPages((after: number) => page.all(after), (r) => r.seq, -1)
  }

  *exhibitIds(): Generator<string> {
    const page = this.context.cached<[number], {seq: number; exhibit: string}>("SELECT seq, exhibit FROM events WHERE action = 'ingest' AND seq > ? ORDER BY seq LIMIT 1000")
    for (const row of keysetPages((after: number) => page.all(after), (r) => r.seq, -1)) yield row.exhibit
  }

  exhibitBySha256(sha256: string): string | undefined {
    return this.context.cached<[string], {exhibit: string}>("SELECT exhibit FROM events WHERE action = 'ingest' AND sha256 = ?").get(sha256)?.exhibit
  }

  exhibitFile(exhibit: string): IngestFile | undefined {
    return this.context.cached<[string], IngestFile>(EXHIBIT_FILE_SQL).get(exhibit)
  }

  exhibitCount(): number {
    return this.context.cached<[], {n: number}>("SELECT count(*) AS n FROM events WHERE action = 'ingest'").get()!.n
  }

  lastIngestedExhibit(): string | undefined {
    return this.context.cached<[], {exhibit: string}>("SELECT exhibit FROM events WHERE action = 'ingest' ORDER BY seq DESC LIMIT 1").get()?.exhibit
  }

  highestReserved(): number | null {
    return this.context.cached<[], {n: number | null}>(RESERVED_NUMBERS_SQL).get()?.n ?? null
  }

  ownRows(exhibit: string): RawRow[] {
    return this.context.cached<[string], RawRow>('SELECT seq, prev_hash, hash, event FROM events WHERE exhibit = ? ORDER BY seq').all(exhibit)
  }

  exhibitRows(exhibit: string): RawRow[] {
    return this.context.db.prepare<string[], RawRow>(EXHIBIT_ROWS_SQL).all(exhibit, exhibit, exhibit, exhibit, exhibit, exhibit)
  }

  /**
   * Each page walks the events in order from where the last one stopped (NOT INDEXED: through the
   * action index, every page would sort all the events after it, which costs more than walking
   * them in the order they are stored).
   */
  *sourceFiles(): Generator<SourceFile> {
    const fields = Object.entries(SOURCE_FILE_FIELDS).map(([name, path]) => `json_extract(event, '${path}') AS ${name}`)
    const page = this.context.db.prepare<[number], SourceFile & {path: string | null; exhibit: string | null}>(
      `SELECT seq, exhibit, ${fields.join(', ')} FROM events NOT INDEXED WHERE seq > ? AND action IN ('ingest', 'presented-again') ORDER BY seq LIMIT 200`,
    )
    for (const row of keysetPages((after: number) => page.all(after), (r) => r.seq, -1)) {
      if (row.path !== null && row.exhibit !== null) yield {...row, path: row.path, exhibit: row.exhibit}
    }
  }

  /** Schema 2's lookup columns are generated from the event: they cannot disagree with it. */
  untrueIndexes(): undefined {
    return undefined
  }

  pagedRows(after: number, size: number): PagedRow[] {
    return this.context
      .cached<[number, number], PagedRow>(
        "SELECT seq, prev_hash, hash, event, action, exhibit, json_extract(event, '$.prev') AS prev FROM events WHERE seq > ? AND seq < ? ORDER BY seq LIMIT 100",
      )
      .all(after, size)
  }
}
