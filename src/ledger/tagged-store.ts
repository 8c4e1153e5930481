/**
 * The lookups of a schema-3 ledger (an encrypted case; schema.ts, tags.ts). SQLite selects rows by
 * keyed tag or by the clear `exhibit` column, never by what an event says in clear; the fields a
 * caller wants are then picked from the event in JavaScript, a page of rows at a time, so that a
 * case of any size is never held at once.
 *
 * A tag is an index, not the record: every row a tag or the exhibit column chose is checked
 * against its event before it is used, and one that disagrees (an index changed outside custody)
 * fails the command (INTEGRITY), naming the event, rather than being taken for what it claims.
 *
 * Lookups need no key where the schema allows it: an exhibit's ingest event is the row with a
 * content tag, found without the key. Lookups by action need the address key; without it (a
 * command given no passphrase or identity, such as `custody verify` or `custody list`), they walk
 * every row in order and pick by the event itself, which the bodies in clear of schema 3 allow (a
 * schema-4 ledger's rows are opened first: sealed-store.ts).
 */
import {CustodyError} from '../errors.js'
import {INGEST_FILE_FIELDS, parseEventText, payloadPath, SOURCE_FILE_FIELDS, type CustodyEvent, type EventAction, type IngestFile, type ParsedEvent, type SourceFile} from '../formats/events.js'
import {chainHash} from './event.js'
import {keysetPages} from '../io/keyset-pages.js'
import {TAGGED_SCHEMA_VERSION, type LedgerSchema} from './schema.js'
import type {BodyKeys, EventStore, PagedRow, RawRow, StoreContext, UntrueIndex, Written} from './store.js'
import type {EventTags, TagKey, TagName} from './tags.js'

/** Rows a page. */
const PAGE = 200

type Loose = Record<string, unknown>

/** The event of a row as plain JSON, or undefined when it is not a JSON object (the typed reads report it). */
function looseEvent(row: RawRow): Loose | undefined {
  try {
    const value = JSON.parse(row.event) as unknown
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Loose) : undefined
  } catch {
    return undefined
  }
}

/** The value at a json_extract path (`$.payload.digests.sha256`), or null where there is none, as json_extract gives it. */
function at(event: Loose, path: string): unknown {
  let value: unknown = event
  for (const key of path.slice(2).split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
    value = (value as Loose)[key]
  }

  return value ?? null
}

/**
 * The action of a stored event, read from the front of its canonical JSON (RFC 8785 sorts the
 * keys, and `action` sorts first) without parsing it; undefined for a row that is not an event as
 * custody writes it (the typed reads parse it and report it).
 */
function actionOf(row: RawRow): string | undefined {
  return /^\{"action":"([a-z-]+)",/.exec(row.event)?.[1]
}

/** A row that an index chose but whose event says otherwise: the ledger was changed outside custody. */
function misindexed(row: RawRow, index: string, event: string): CustodyError {
  return new CustodyError(
    'INTEGRITY',
    `event ${row.seq} of the ledger is indexed as ${index}, but the event is ${event}: the ledger was changed outside custody. Run \`custody verify\`, and keep a copy of the case as it is`,
    {subject: `event ${row.seq}`},
  )
}

/** Rows of several sorted streams, in order of their sequence numbers. */
function* mergedBySeq(streams: Array<Iterator<RawRow>>): Generator<RawRow> {
  const heads = streams.map((s) => s.next())
  for (;;) {
    let first = -1
    for (const [i, head] of heads.entries()) {
      if (!head.done && (first < 0 || head.value.seq < (heads[first]!.value as RawRow).seq)) first = i
    }

    if (first < 0) return
    yield heads[first]!.value as RawRow
    heads[first] = streams[first]!.next()
  }
}

export class TaggedStore implements EventStore {
  readonly schema: LedgerSchema = TAGGED_SCHEMA_VERSION
  readonly chained: 'event' | 'envelope' = 'event'
  protected key: TagKey | undefined
  /** The columns a row is read with (schema 4 reads the envelope and the sealed body, and opens it: sealed-store.ts). */
  protected readonly columns: string = 'seq, prev_hash, hash, event'
  /** The tags the rows have columns for (`<name>_tag`); schema 4 has two more (schema.ts). */
  protected readonly tagColumns: readonly TagName[] = ['action', 'content', 'source']
  /** The tags a row of this schema has, in its columns or (schema 4) its envelope: the only ones computed. */
  protected readonly tagNames: readonly TagName[] = ['action', 'content', 'source']

  /** The ledger's last sequence number at the last exhibitRows() that walked the events. */
  private lookedUpAt: number | undefined
  /** What names each exhibit other than its own events, for the ledger up to `last` (exhibitRows). */
  private naming: {last: number; rows: Map<string, RawRow[]>} | undefined

  constructor(protected readonly context: StoreContext) {}

  /** Rows as read, each with its event in `event` (schema 4 opens their bodies). */
  protected opened<R extends RawRow>(rows: R[]): R[] {
    return rows
  }

  /** Whether a row could be opened (in place) for a check of every row: one that cannot is the chain check's to report (schema 4). */
  protected readable(row: RawRow): boolean {
    this.opened([row])
    return true
  }

  /** One row as read, opened as opened() does. */
  protected openedRow<R extends RawRow>(row: R | undefined): R | undefined {
    return row === undefined ? undefined : this.opened([row])[0]
  }

  useTagKey(key: TagKey): void {
    this.key = key
  }

  /** Step 1's bodies are in clear (schema 4 overrides it). */
  useBodyKeys(_keys: BodyKeys): void {}

  open(row: RawRow): ParsedEvent {
    return parseEventText(row.event)
  }

  /** Every tag is written at insert: an append needs the address key. */
  insert(event: CustodyEvent, canonical: string): Written {
    const row = {seq: event.seq, prev_hash: event.prev, hash: chainHash(event.prev, canonical), event: canonical}
    if (this.key === undefined) {
      throw new CustodyError('KEY_UNREADABLE', `internal: the ledger ${this.context.path} was asked to append before the case's address key was opened`)
    }

    const tags = this.key.of(event, this.tagNames)
    this.context
      .cached<[number, string, string, string, string | null, Buffer, Buffer | null, Buffer | null], unknown>(
        'INSERT INTO events (seq, prev_hash, hash, event, exhibit, action_tag, content_tag, source_tag) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(row.seq, row.prev_hash, row.hash, row.event, event.exhibit, tags.action, tags.content, tags.source)
    return {hash: row.hash, chained: canonical}
  }

  rowsOfKind(actions: readonly EventAction[]): Iterable<RawRow> {
    const key = this.key
    if (key === undefined) return this.walkedRows(new Set(actions))
    return {[Symbol.iterator]: () => mergedBySeq(actions.map((action) => this.taggedRows(key, action)))}
  }

  /** The rows whose action tag is `action`'s, confirmed by the front of their event. */
  private *taggedRows(key: TagKey, action: EventAction): Generator<RawRow> {
    const page = this.context.cached<[Buffer, number], RawRow>(`SELECT ${this.columns} FROM events WHERE action_tag = ? AND seq > ? ORDER BY seq LIMIT ${PAGE}`)
    const tag = key.action(action)
    for (const row of keysetPages((after: number) => this.opened(page.all(tag, after)), (r) => r.seq, -1)) {
      const said = actionOf(row)
      if (said !== undefined && said !== action) throw misindexed(row, `a ${action} event`, `a ${said} event`)
      yield row
    }
  }

  /** Without the key: every row in order, those of `actions` picked by their event (and those that are not events, for the typed reads to report). */
  private *walkedRows(actions: ReadonlySet<string>): Generator<RawRow> {
    const page = this.context.cached<[number], RawRow>(`SELECT ${this.columns} FROM events WHERE seq > ? ORDER BY seq LIMIT ${PAGE}`)
    for (const row of keysetPages((after: number) => this.opened(page.all(after)), (r) => r.seq, -1)) {
      const said = actionOf(row)
      if (said === undefined || actions.has(said)) yield row
    }
  }

  /** An ingest row, confirmed: its event is the ingest of the exhibit its column names. */
  private confirmedIngest<R extends RawRow & {exhibit: string | null}>(row: R): R {
    const event = looseEvent(row)
    if (event === undefined) return row
    if (event.action !== 'ingest' || event.exhibit !== row.exhibit) {
      throw misindexed(row, `the ingest of ${String(row.exhibit)}`, `a ${String(event.action)} event of ${String(event.exhibit)}`)
    }

    return row
  }

  ingestRow(exhibit: string): RawRow | undefined {
    const row = this.openedRow(
      this.context.cached<[string], RawRow & {exhibit: string | null}>(`SELECT ${this.columns}, exhibit FROM events WHERE exhibit = ? AND content_tag IS NOT NULL`).get(exhibit),
    )
    return row === undefined ? undefined : this.confirmedIngest(row)
  }

  *ingestRows(): Generator<RawRow> {
    const page = this.context.cached<[number], RawRow & {exhibit: string | null}>(
      `SELECT ${this.columns}, exhibit FROM events WHERE content_tag IS NOT NULL AND seq > ? ORDER BY seq LIMIT ${PAGE}`,
    )
    for (const row of keysetPages((after: number) => this.opened(page.all(after)), (r) => r.seq, -1)) yield this.confirmedIngest(row)
  }

  *exhibitIds(): Generator<string> {
    const page = this.context.cached<[number], {seq: number; exhibit: string}>('SELECT seq, exhibit FROM events WHERE content_tag IS NOT NULL AND seq > ? ORDER BY seq LIMIT 1000')
    for (const row of keysetPages((after: number) => page.all(after), (r) => r.seq, -1)) yield row.exhibit
  }

  /**
   * By the content tag with the key; without it, by walking the ingest events (found by their
   * content tags). Either way the exhibit is the one whose event records this SHA-256.
   */
  exhibitBySha256(sha256: string): string | undefined {
    if (this.key === undefined) {
      for (const row of this.ingestRows()) {
        const event = looseEvent(row)
        if (event !== undefined && at(event, INGEST_FILE_FIELDS.sha256) === sha256) return event.exhibit as string
      }

      return undefined
    }

    const row = this.openedRow(this.context.cached<[Buffer], RawRow & {exhibit: string | null}>(`SELECT ${this.columns}, exhibit FROM events WHERE content_tag = ?`).get(this.key.content(sha256)))
    if (row === undefined) return undefined
    const event = looseEvent(this.confirmedIngest(row))
    const recorded = event === undefined ? 'not an event' : String(at(event, INGEST_FILE_FIELDS.sha256))
    if (recorded !== sha256) throw misindexed(row, `the exhibit of the original whose SHA-256 is ${sha256}`, `the ingest of an original whose SHA-256 is ${recorded}`)
    return row.exhibit ?? undefined
  }

  exhibitFile(exhibit: string): IngestFile | undefined {
    const row = this.ingestRow(exhibit)
    const event = row === undefined ? undefined : looseEvent(row)
    if (event === undefined) return undefined
    return Object.fromEntries(Object.entries(INGEST_FILE_FIELDS).map(([name, path]) => [name, at(event, path)])) as unknown as IngestFile
  }

  exhibitCount(): number {
    return this.context.cached<[], {n: number}>('SELECT count(*) AS n FROM events WHERE content_tag IS NOT NULL').get()!.n
  }

  lastIngestedExhibit(): string | undefined {
    const row = this.openedRow(this.context.cached<[], RawRow & {exhibit: string | null}>(`SELECT ${this.columns}, exhibit FROM events WHERE content_tag IS NOT NULL ORDER BY seq DESC LIMIT 1`).get())
    return row === undefined ? undefined : (this.confirmedIngest(row).exhibit ?? undefined)
  }

  highestReserved(): number | null {
    let highest: number | null = null
    for (const row of this.rowsOfKind(['restore-accepted'])) {
      const event = looseEvent(row)
      const n = event === undefined ? null : at(event, payloadPath('restore-accepted', 'reservedExhibitNumbers'))
      if (typeof n === 'number' && (highest === null || n > highest)) highest = n
    }

    return highest
  }

  /** By the clear exhibit column, each row opened and confirmed against its event. */
  ownRows(exhibit: string): RawRow[] {
    const own = this.context.cached<[string], RawRow>(`SELECT ${this.columns} FROM events WHERE exhibit = ? ORDER BY seq`).all(exhibit)
    this.opened(own)
    for (const row of own) {
      const event = looseEvent(row)
      if (event !== undefined && event.exhibit !== exhibit) throw misindexed(row, `an event of ${exhibit}`, `an event of ${String(event.exhibit)}`)
    }

    return own
  }

  /**
   * An exhibit's own rows (ownRows), the seals that took it (their sealed-exhibits events list
   * it), and the testimony whose later statement or attachment it is. The first lookup walks the
   * events of those kinds, keeping only the rows wanted; a second one, for the ledger as it still
   * stands (a report, a seal or HQ's chain asks for every exhibit's events), indexes what names
   * each exhibit in one walk and answers from it: a walk for every exhibit cost exhibits times
   * seals, which grew with every seal of the case.
   */
  exhibitRows(exhibit: string): RawRow[] {
    const own = this.ownRows(exhibit)
    const last = this.context.cached<[], {n: number | null}>('SELECT max(seq) AS n FROM events').get()?.n ?? -1
    let others: readonly RawRow[]
    if (this.naming?.last === last) {
      others = this.naming.rows.get(exhibit) ?? []
    } else if (this.lookedUpAt === last) {
      this.naming = {last, rows: this.namingIndex()}
      others = this.naming.rows.get(exhibit) ?? []
    } else {
      this.lookedUpAt = last
      this.naming = undefined
      others = this.namingRows(exhibit)
    }

    return [...mergedBySeq([own.values(), others.values()])]
  }

  /** The seal IDs of the sealed-exhibits events that list each exhibit (all of them, or `exhibit`'s alone). */
  private sealsListing(exhibit?: string): Map<string, Set<unknown>> {
    const seals = new Map<string, Set<unknown>>()
    for (const row of this.rowsOfKind(['sealed-exhibits'])) {
      const event = looseEvent(row)
      const listed = event === undefined ? null : at(event, payloadPath('sealed-exhibits', 'exhibits'))
      if (!Array.isArray(listed)) continue
      const sealId = at(event!, payloadPath('sealed-exhibits', 'sealId'))
      for (const id of exhibit === undefined ? listed : listed.includes(exhibit) ? [exhibit] : []) {
        if (typeof id !== 'string') continue
        const set = seals.get(id) ?? new Set<unknown>()
        set.add(sealId)
        seals.set(id, set)
      }
    }

    return seals
  }

  /** The exhibits an event of another names (not its own exhibit): a seal's (through `sealed`), a later statement's, an attachment's. */
  private static named(event: Loose, sealed: ReadonlyMap<unknown, readonly string[]>): readonly string[] {
    if (event.action === 'seal') return sealed.get(at(event, payloadPath('seal', 'sealId'))) ?? []
    if (event.action === 'testimony-amended') {
      const statement = at(event, payloadPath('testimony-amended', 'statement.exhibit'))
      return typeof statement === 'string' && statement !== event.exhibit ? [statement] : []
    }

    const attachments = at(event, payloadPath('testimony', 'attachments'))
    if (!Array.isArray(attachments)) return []
    return attachments.flatMap((a: unknown) => (typeof a === 'object' && a !== null && typeof (a as Loose).exhibit === 'string' && (a as Loose).exhibit !== event.exhibit ? [(a as Loose).exhibit as string] : []))
  }

  /** The rows that name `exhibit`, other than its own, in one walk of the events of those kinds. */
  private namingRows(exhibit: string): RawRow[] {
    const sealed = new Map<unknown, string[]>([...(this.sealsListing(exhibit).get(exhibit) ?? [])].map((sealId) => [sealId, [exhibit]]))
    const others: RawRow[] = []
    for (const row of this.rowsOfKind(['seal', 'testimony', 'testimony-amended'])) {
      const event = looseEvent(row)
      if (event !== undefined && TaggedStore.named(event, sealed).includes(exhibit)) others.push(row)
    }

    return others
  }

  /** namingRows() of every exhibit at once, in one walk: exhibit, the rows that name it (oldest first). */
  private namingIndex(): Map<string, RawRow[]> {
    const sealed = new Map<unknown, string[]>()
    for (const [exhibit, seals] of this.sealsListing()) {
      for (const sealId of seals) {
        const listing = sealed.get(sealId)
        if (listing === undefined) sealed.set(sealId, [exhibit])
        else listing.push(exhibit)
      }
    }

    const rows = new Map<string, RawRow[]>()
    for (const row of this.rowsOfKind(['seal', 'testimony', 'testimony-amended'])) {
      const event = looseEvent(row)
      if (event === undefined) continue
      for (const exhibit of new Set(TaggedStore.named(event, sealed))) {
        const naming = rows.get(exhibit)
        if (naming === undefined) rows.set(exhibit, [row])
        else naming.push(row)
      }
    }

    return rows
  }

  *sourceFiles(): Generator<SourceFile> {
    for (const row of this.rowsOfKind(['ingest', 'presented-again'])) {
      const event = looseEvent(row)
      if (event === undefined || (event.action !== 'ingest' && event.action !== 'presented-again')) continue
      const file = Object.fromEntries(Object.entries(SOURCE_FILE_FIELDS).map(([name, path]) => [name, at(event, path)])) as unknown as SourceFile & {path: string | null}
      const exhibit = event.exhibit
      if (file.path !== null && typeof exhibit === 'string') yield {...file, seq: row.seq, exhibit, path: file.path}
    }
  }

  untrueIndexes(): Iterable<UntrueIndex> | undefined {
    const key = this.key
    return key === undefined ? undefined : this.indexesAgainst(key)
  }

  /**
   * Every row's tags and exhibit column against those its event gives, a page at a time: what no
   * lookup can see, a row whose tag was changed so that it is not found at all. A row whose event
   * is not an event as custody writes it is the chain check's to report.
   */
  private *indexesAgainst(key: TagKey): Generator<UntrueIndex> {
    type Indexed = RawRow & {exhibit: string | null} & Record<`${TagName}_tag`, Buffer | null>
    const page = this.context.cached<[number], Indexed>(
      `SELECT ${this.columns}, exhibit, ${this.tagColumns.map((name) => `${name}_tag`).join(', ')} FROM events WHERE seq > ? ORDER BY seq LIMIT ${PAGE}`,
    )
    const same = (stored: Buffer | null, given: Buffer | null): boolean => (stored === null || given === null ? stored === given : stored.equals(given))
    for (const row of keysetPages((after: number) => page.all(after), (r) => r.seq, -1)) {
      if (!this.readable(row)) {
        yield* this.unreadableIndexes(row)
        continue
      }

      const read = parseEventText(row.event)
      if (!('event' in read)) continue
      const tags = key.of(read.event, this.tagNames)
      if (row.exhibit !== read.event.exhibit) yield {seq: row.seq, column: 'exhibit'}
      for (const name of this.tagColumns) if (!same(row[`${name}_tag`], tags[name])) yield {seq: row.seq, column: `${name}_tag`}
      if (this.envelopeDisagrees(row, read.event.exhibit, tags)) yield {seq: row.seq, column: 'envelope'}
    }
  }

  /**
   * The columns of a row whose event could not be read, against what else the row holds that
   * says them (schema 4: its chained envelope, when no key given opens its body); none in schema 3.
   */
  protected unreadableIndexes(_row: RawRow & {exhibit: string | null} & Partial<Record<`${TagName}_tag`, Buffer | null>>): Iterable<UntrueIndex> {
    return []
  }

  /** Whether a row's envelope holds other tags or another exhibit than its event gives (schema 4; schema 3 has no envelope). */
  protected envelopeDisagrees(_row: RawRow, _exhibit: string | null, _tags: EventTags): boolean {
    return false
  }

  /** Each event's action, exhibit and previous hash, read from the event itself (as schema 2's generated columns are). */
  pagedRows(after: number, size: number): PagedRow[] {
    const rows = this.context.cached<[number, number], RawRow>(`SELECT ${this.columns} FROM events WHERE seq > ? AND seq < ? ORDER BY seq LIMIT 100`).all(after, size)
    this.opened(rows)
    return rows.map((row) => {
      const event = looseEvent(row)
      if (event === undefined) {
        throw new CustodyError('LEDGER_UNREADABLE', `event ${row.seq} of the ledger ${this.context.path} is not JSON; run \`custody verify\``, {subject: `event ${row.seq}`})
      }

      return {...row, action: String(event.action), exhibit: typeof event.exhibit === 'string' ? event.exhibit : null, prev: String(event.prev)}
    })
  }
}
