/**
 * The lookups of a schema-4 ledger, what `custody init` makes for an encrypted case (design step 2:
 * docs/design/encryption-at-rest.md "Ledger"): each row an envelope in clear and a body sealed under its run's key (envelope.ts,
 * run-keys.ts). The lookups are those of schema 3 (tagged-store.ts), by keyed tag and the clear
 * exhibit column, on the rows' bodies once opened: every row read is opened, its commitment and
 * its event checked against its envelope, before anything is taken from it.
 *
 * What needs no key to open a body: the exhibit IDs and their count, the last exhibit's number,
 * and (with the address key) finding an exhibit by its original's SHA-256, whose row's content
 * tag is confirmed against its chained envelope rather than its body, so that a field case's
 * laptop finds duplicates. Everything else reads bodies: without an identity that opens the run
 * keys, it throws CONTENT_LOCKED.
 */
import {CustodyError} from '../errors.js'
import {parseEventText, type CustodyEvent, type EventAction, type ParsedEvent} from '../formats/events.js'
import {carryRow, forgedRow, isCarried, openCarried, openRow, readStoredEnvelope, sealRow, type EnvelopeTags, type PublicFactsRow, type StoredEnvelope} from './envelope.js'
import {newRunKey, RunKeyRing} from './run-keys.js'
import {CarriedBlock, CarriedDigest} from './carried-block.js'
import {SEALED_SCHEMA_VERSION} from './schema.js'
import type {BatchTags, BodyKeys, RawRow, TestimonyTags, UntrueIndex, Written} from './store.js'
import type {EventTags, TagKey, TagName} from './tags.js'
import {canonicalize} from '../canonical/jcs.js'
import {TaggedStore} from './tagged-store.js'
import {keysetPages} from '../io/keyset-pages.js'
import {parseRecipient, type AgeRecipient} from '../age/x25519.js'
import {createHash} from 'node:crypto'

/**
 * A row as schema 4 reads it: the envelope in `event` until opened, then the canonical event, and
 * the envelope as stored in `envelope` (chained) or `carried` (a carried row: its chained text is
 * its event, and an archive carries it as a ledger in clear does).
 */
interface SealedRawRow extends RawRow {
  body?: Buffer
  run?: number
  envelope?: string
  salt?: string
  carried?: string
}

/** The tags a schema-4 row has in its columns (`<name>_tag`); its envelope holds these and the witness tag (tags.ts). */
const TAG_NAMES: readonly TagName[] = ['action', 'content', 'source', 'file', 'batch']
const ENVELOPE_TAG_NAMES: readonly TagName[] = [...TAG_NAMES, 'witness']

/** A row as a lookup by tag reads it: no body. */
interface IndexedRow {
  seq: number
  event: string
  exhibit: string | null
}

/**
 * Why a body cannot be read: no key given opens it. `identitiesGiven`: identities were given, and
 * none is a recipient of the run that wrote it (in a field case, a recipient added later opens
 * only the runs after it: each run key is wrapped to the recipients of its time).
 */
export function contentLocked(seq: number, field: boolean, identitiesGiven = false): CustodyError {
  if (identitiesGiven) {
    const why = field ? ": in a field case a recipient added later opens only what was recorded after it was added, and what was recorded before opens with the identity of a recipient of that time" : ''
    return new CustodyError('CONTENT_LOCKED', `event ${seq} of the ledger is encrypted to the recipients of the run that wrote it, and none of the identities given is one of them${why}`, {subject: `event ${seq}`})
  }

  const needs = field ? "an identity of one of the case's recipients (in a field case, nothing on this computer opens it)" : "the case's passphrase or an identity of one of its recipients"
  return new CustodyError('CONTENT_LOCKED', `event ${seq} of the ledger is encrypted, and what it records needs ${needs}`, {subject: `event ${seq}`})
}

/**
 * What this process made of the rows it read, by what was stored: a row read again with every
 * byte the same reads the same, so it is not read again. A seal read each row of the exhibits it
 * chose about ten times (choosing, checking, the statement, the payload), and every envelope of
 * the ledger in several walks (the key events, the events file), each time decrypting its body,
 * hashing its commitment and putting its event and envelope in canonical form again. A row
 * changed in any byte does not match what is kept, and is read and checked as any other; the
 * memory is bounded (oldest first out), and the events opened are forgotten whenever the keys
 * change. What is kept is shared: callers read it and never change it.
 */
class KeptRows<T> {
  private readonly rows = new Map<number, {stored: string; value: T}>()

  constructor(private readonly limit: number) {}

  /** What was kept of row `seq` when it was stored as `stored`. */
  get(seq: number, stored: string): T | undefined {
    const kept = this.rows.get(seq)
    return kept?.stored === stored ? kept.value : undefined
  }

  set(seq: number, stored: string, value: T): void {
    this.rows.delete(seq)
    this.rows.set(seq, {stored, value})
    if (this.rows.size > this.limit) this.rows.delete(this.rows.keys().next().value!)
  }

  clear(): void {
    this.rows.clear()
  }
}

/** What identifies a stored row's bytes for its opening: a SHA-256 over every column opening reads. */
function storedRow(row: SealedRawRow, body: Buffer, run: number): string {
  const hash = createHash('sha256')
  for (const part of [String(row.seq), String(run), String(row.prev_hash), String(row.hash), row.event]) hash.update(part).update('\0')
  return hash.update(body).digest('base64')
}

/**
 * How many rows a ledger keeps of each (an opened event about a KiB, an envelope about as much):
 * two walks of a ledger of 10,000 events, or a package's thousand exhibits many times over.
 */
const ROWS_KEPT = 16_384

/** The envelope of a stored row (chained or carried), or INTEGRITY naming the event. Whether a carried one belongs is SealedStore.envelopeAt's. */
function envelopeOfRow(seq: number, text: string): StoredEnvelope {
  const read = readStoredEnvelope(text)
  if (!('envelope' in read)) throw forgedRow(seq, `is not stored as custody stores events: ${read.problem}`)
  if (read.envelope.seq !== seq) throw forgedRow(seq, `has the envelope of event ${read.envelope.seq}`)
  return read.envelope
}

export class SealedStore extends TaggedStore {
  override readonly schema = SEALED_SCHEMA_VERSION
  override readonly chained = 'envelope'
  protected override readonly columns = 'seq, prev_hash, hash, envelope AS event, body, run'
  protected override readonly tagColumns = TAG_NAMES
  protected override readonly tagNames = ENVELOPE_TAG_NAMES
  private recipients: readonly AgeRecipient[] = []
  private ring = new RunKeyRing([])
  private readonly openedRows = new KeptRows<{canonical: string; salt?: Buffer}>(ROWS_KEPT)
  /** Envelopes read (by their text as stored), for the walks over every row. */
  private readonly envelopes = new KeptRows<StoredEnvelope>(ROWS_KEPT)
  /** This process's run: its key, wrapped, and its number once its row was written. */
  private run: {key: Buffer; wrapped: Buffer; id?: number} | undefined

  /** How many rows, from the first, are carried (a converted case's ledger), once their block was checked against its ledger-converted event. */
  private carriedRows: number | undefined

  /** Whether an identity was given that may open the bodies (a run's key may still be for others). */
  get canOpenBodies(): boolean {
    return this.ring.canOpen
  }

  override useBodyKeys(keys: BodyKeys): void {
    this.ring.wipe()
    this.openedRows.clear()
    this.recipients = keys.recipients
    this.ring = new RunKeyRing(keys.identities)
    if (this.run?.id !== undefined) this.ring.add(this.run.id, Buffer.from(this.run.key))
  }

  /**
   * Whether the case is a field case: its first envelope's public facts say so, with no key (or,
   * in a converted case, those of its case-encrypted event).
   */
  private field(): boolean {
    const first = this.context.cached<[], {envelope: string}>('SELECT envelope FROM events WHERE seq = 0').get()
    if (first === undefined) return false
    const read = readStoredEnvelope(first.envelope)
    if (!('envelope' in read)) return false
    if (!isCarried(read.envelope)) return read.envelope.public?.field === true
    for (const {facts} of this.publicFacts()) if (facts.action === 'case-encrypted') return facts.field === true
    return false
  }

  /**
   * A row's envelope as stored, read as hostile input; a carried one only among the rows its
   * block's `ledger-converted` event binds (INTEGRITY otherwise): a carried envelope is not
   * chained, so it is believed only once the envelopes of the block hash to what that event says.
   */
  private envelopeAt(seq: number, text: string): StoredEnvelope {
    const known = this.envelopes.get(seq, text)
    if (known !== undefined) return known
    const envelope = envelopeOfRow(seq, text)
    if (isCarried(envelope) && seq >= this.carriedCount()) throw forgedRow(seq, 'is stored as a carried row (one a converted case kept as written), but no ledger-converted event carries it')
    this.envelopes.set(seq, text, envelope)
    return envelope
  }

  /**
   * How many rows are carried: the rows from the first whose envelopes are carried, checked once
   * (a pass over them, as a head check is) against the ledger-converted event that follows them.
   * Zero when the first row is not carried.
   */
  carriedCount(): number {
    if (this.carriedRows !== undefined) return this.carriedRows
    const page = this.context.cached<[number], {seq: number; event: string}>('SELECT seq, envelope AS event FROM events WHERE seq > ? ORDER BY seq LIMIT 200')
    const block = new CarriedBlock()
    for (const row of keysetPages((after: number) => page.all(after), (r) => r.seq, -1)) {
      if (row.seq !== block.count) throw forgedRow(row.seq, `is stored where event ${block.count} should be`)
      const finding = block.row(row.seq, envelopeOfRow(row.seq, row.event), row.event)
      if (finding !== undefined) throw forgedRow(finding.seq, finding.message)
      if (!block.closed) continue
      this.carriedRows = block.count
      return block.count
    }

    const finding = block.end()
    if (finding !== undefined) throw forgedRow(finding.seq, finding.message)
    this.carriedRows = 0
    return 0
  }

  /**
   * Writes rows of a ledger in clear, carried as written (`custody encrypt`: see envelope.ts), each
   * with its tags and its event sealed under this run's key, and returns the SHA-256 of their
   * envelopes that the ledger-converted event appended after them must record. Inside a
   * transaction of the caller's; the ledger must be empty.
   */
  carry(rows: Iterable<{seq: number; prev_hash: string; hash: string; event: CustodyEvent; canonical: string}>): {count: number; envelopes: string} {
    if (this.key === undefined) throw new CustodyError('KEY_UNREADABLE', `internal: the ledger ${this.context.path} was asked to carry rows before the case's address key was opened`)
    const run = this.runId()
    const digest = new CarriedDigest()
    const insert = this.context.cached<[number, string, string, string, Buffer, number, string | null, Buffer, Buffer | null, Buffer | null, Buffer | null, Buffer | null], unknown>(
      'INSERT INTO events (seq, prev_hash, hash, envelope, body, run, exhibit, action_tag, content_tag, source_tag, file_tag, batch_tag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    for (const written of rows) {
      const tags = this.key.of(written.event)
      const row = carryRow(written, written.event, written.canonical, run.id, SealedStore.hexTags(tags), run.key)
      insert.run(row.seq, row.prev_hash, row.hash, row.envelope, row.body, run.id, written.event.exhibit, tags.action, tags.content, tags.source, tags.file, tags.batch)
      digest.add(row.envelope)
    }

    return {count: digest.count, envelopes: digest.digest()}
  }

  /**
   * The recipients a new run's key is wrapped to (inside its first append's transaction): those
   * given, and every recipient a `recipient-added` envelope records by then, found by the action
   * tag and confirmed against the envelope, which adds one that another process recorded after
   * this one opened its keys. So every run that begins after a recipient was added, by another
   * run, opens with that recipient's identity, and verify holds it to that (chain.ts).
   */
  private runRecipients(): AgeRecipient[] {
    const recipients = [...this.recipients]
    const known = new Set(recipients.map((r) => r.text))
    for (const {seq, envelope} of this.confirmedRowsOfAction(this.key!, 'recipient-added', 'a recipient-added event')) {
      const recipient = envelope.public?.recipient
      if (typeof recipient !== 'string' || known.has(recipient)) continue
      known.add(recipient)
      recipients.push(parseRecipient(recipient, `the recipient ${recipient} recorded in event #${seq}`))
    }

    return recipients
  }

  /** This run's number, its row written (inside the append's transaction) if it is not yet there. */
  private runId(): {id: number; key: Buffer} {
    if (this.recipients.length === 0) {
      throw new CustodyError('KEY_UNREADABLE', `internal: the ledger ${this.context.path} was asked to append before the case's recipients were given`)
    }

    this.run ??= newRunKey(this.runRecipients())
    const stored = this.run.id === undefined ? undefined : this.context.cached<[number], {wrapped: Buffer}>('SELECT wrapped FROM runs WHERE id = ?').get(this.run.id)
    if (stored === undefined || !stored.wrapped.equals(this.run.wrapped)) {
      // A transaction that rolled back took the row with it: the run takes the next number again,
      // and the number it had may now be another run's.
      if (this.run.id !== undefined) {
        this.ring.forget(this.run.id)
        this.openedRows.clear()
      }

      const id = this.context.cached<[], {id: number}>('SELECT coalesce(max(id) + 1, 0) AS id FROM runs').get()!.id
      this.context.cached<[number, Buffer], unknown>('INSERT INTO runs (id, wrapped) VALUES (?, ?)').run(id, this.run.wrapped)
      this.run.id = id
      this.ring.add(id, Buffer.from(this.run.key))
    }

    return {id: this.run.id!, key: this.run.key}
  }

  override insert(event: CustodyEvent, canonical: string): Written {
    if (this.key === undefined) {
      throw new CustodyError('KEY_UNREADABLE', `internal: the ledger ${this.context.path} was asked to append before the case's address key was opened`)
    }

    const run = this.runId()
    const tags = this.key.of(event)
    const {row, canonicalEvent} = sealRow(event, run.id, SealedStore.hexTags(tags), run.key)
    if (canonicalEvent !== canonical) throw new CustodyError('INTERNAL', `internal: event ${event.seq} was given in a form that is not its canonical JSON`)
    this.context
      .cached<[number, string, string, string, Buffer, number, string | null, Buffer, Buffer | null, Buffer | null, Buffer | null, Buffer | null], unknown>(
        'INSERT INTO events (seq, prev_hash, hash, envelope, body, run, exhibit, action_tag, content_tag, source_tag, file_tag, batch_tag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(row.seq, row.prev_hash, row.hash, row.envelope, row.body, run.id, event.exhibit, tags.action, tags.content, tags.source, tags.file, tags.batch)
    return {hash: row.hash, chained: row.envelope}
  }

  /** The canonical event of a stored row, its body opened under its run's key and checked against its envelope (a carried row's: no salt). */
  private openedText(row: SealedRawRow): {canonical: string; salt?: Buffer} {
    let {body, run} = row
    if (body === undefined || run === undefined) {
      const stored = this.context.cached<[number], {body: Buffer; run: number}>('SELECT body, run FROM events WHERE seq = ?').get(row.seq)!
      ;({body, run} = stored)
    }

    // Opened before in this process, from the same bytes: the same event (KeptRows).
    const stored = storedRow(row, body, run)
    const known = this.openedRows.get(row.seq, stored)
    if (known !== undefined) return known
    const envelope = this.envelopeAt(row.seq, row.event)
    if (run !== envelope.run) throw forgedRow(row.seq, `is stored as run ${run}'s, but its envelope says run ${envelope.run}`)
    const wrapped = (): Buffer | undefined => this.context.cached<[number], {wrapped: Buffer}>('SELECT wrapped FROM runs WHERE id = ?').get(run)?.wrapped
    if (!this.ring.canOpen && this.run?.id !== run) throw contentLocked(row.seq, this.field())
    const key = this.ring.key(run, wrapped, `the key of run ${run} (event ${row.seq})`)
    if (key === undefined) {
      if (wrapped() === undefined) throw forgedRow(row.seq, `names run ${run}, which the ledger does not hold`)
      throw contentLocked(row.seq, this.field(), true)
    }

    const sealed = {...row, envelope: row.event, body}
    const {canonical, salt} = isCarried(envelope) ? {...openCarried(sealed, envelope, key), salt: undefined} : openRow(sealed, envelope, key)
    const opened = salt === undefined ? {canonical} : {canonical, salt}
    this.openedRows.set(row.seq, stored, opened)
    return opened
  }

  /** Opens each row in place: `event` becomes its canonical event, `envelope` keeps what was stored. */
  protected override opened<R extends RawRow>(rows: R[]): R[] {
    for (const row of rows as Array<R & SealedRawRow>) {
      if (row.envelope !== undefined || row.carried !== undefined) continue
      const envelope = row.event
      const opened = this.openedText(row)
      row.event = opened.canonical
      if (opened.salt === undefined) {
        row.carried = envelope
      } else {
        row.salt = opened.salt.toString('hex')
        row.envelope = envelope
      }

      delete row.body
      delete row.run
    }

    return rows
  }

  protected override readable(row: RawRow): boolean {
    try {
      this.opened([row])
      return true
    } catch (error) {
      if (error instanceof CustodyError && (error.code === 'INTEGRITY' || error.code === 'CONTENT_LOCKED')) return false
      throw error
    }
  }

  /** A row from the Ledger's own reads (firstEvent, rowsBelow's callers) is opened here; one from this store's lookups already was. */
  override open(row: RawRow): ParsedEvent {
    const sealed = row as SealedRawRow
    return parseEventText(sealed.envelope === undefined && sealed.carried === undefined ? this.openedText(sealed).canonical : sealed.event)
  }

  /** With the address key, by the content tag, confirmed against the row's chained envelope: no body is opened. */
  override exhibitBySha256(sha256: string): string | undefined {
    if (this.key === undefined) return super.exhibitBySha256(sha256)
    const tag = this.key.content(sha256)
    const row = this.context.cached<[Buffer], {seq: number; event: string; exhibit: string | null}>('SELECT seq, envelope AS event, exhibit FROM events WHERE content_tag = ?').get(tag)
    if (row === undefined) return undefined
    const envelope = this.envelopeAt(row.seq, row.event)
    if (envelope.tags.content !== tag.toString('hex') || envelope.exhibit !== row.exhibit) throw forgedRow(row.seq, 'is indexed as the ingest of another original than its envelope says')
    return row.exhibit ?? undefined
  }

  /**
   * The highest number a restore-accepted event reserves, from the public facts of its envelope
   * (no body is opened): by its action tag with the address key, else by walking the envelopes.
   */
  override highestReserved(): number | null {
    const tag = this.key?.action('restore-accepted')
    const sql = tag === undefined ? 'SELECT seq, envelope AS event FROM events WHERE seq > ? ORDER BY seq LIMIT 200' : 'SELECT seq, envelope AS event FROM events WHERE action_tag = ? AND seq > ? ORDER BY seq LIMIT 200'
    const page = this.context.cached<unknown[], {seq: number; event: string}>(sql)
    let highest: number | null = null
    for (const row of keysetPages((after: number) => (tag === undefined ? page.all(after) : page.all(tag, after)), (r) => r.seq, -1)) {
      const envelope = this.envelopeAt(row.seq, row.event)
      if (tag !== undefined && envelope.tags.action !== tag.toString('hex')) throw forgedRow(row.seq, 'is indexed as a restore-accepted event, but its envelope says otherwise')
      const n = envelope.public?.action === 'restore-accepted' ? envelope.public.reservedExhibitNumbers : undefined
      if (typeof n === 'number' && (highest === null || n > highest)) highest = n
    }

    return highest
  }

  /** Every envelope's public facts, with its place, time and exhibit, oldest first, a page at a time: no key needed (publicOf, envelope.ts). */
  *publicFacts(): Generator<PublicFactsRow> {
    const page = this.context.cached<[number], {seq: number; event: string}>('SELECT seq, envelope AS event FROM events WHERE seq > ? ORDER BY seq LIMIT 200')
    for (const row of keysetPages((after: number) => page.all(after), (r) => r.seq, -1)) {
      const envelope = this.envelopeAt(row.seq, row.event)
      if (envelope.public !== undefined) yield {seq: row.seq, time: envelope.time, exhibit: envelope.exhibit, facts: envelope.public}
    }
  }

  /**
   * Every ingest row's envelope (a row with a content tag: an exhibit's first event), oldest
   * first, read with no key as hostile input (envelopeAt): what a field package is made from.
   */
  *ingestEnvelopes(): Generator<{seq: number; envelope: StoredEnvelope}> {
    const page = this.context.cached<[number], {seq: number; event: string}>('SELECT seq, envelope AS event FROM events WHERE content_tag IS NOT NULL AND seq > ? ORDER BY seq LIMIT 200')
    for (const row of keysetPages((after: number) => page.all(after), (r) => r.seq, -1)) yield {seq: row.seq, envelope: this.envelopeAt(row.seq, row.event)}
  }

  /** Every row as stored below `size` (envelope text, body, run, hashes), oldest first, read a page at a time: no query stays open between pages. */
  *storedRows(size: number): Generator<{seq: number; prev_hash: string; hash: string; envelope: string; body: Buffer; run: number}> {
    const page = this.context.cached<[number, number], {seq: number; prev_hash: string; hash: string; envelope: string; body: Buffer; run: number}>(
      'SELECT seq, prev_hash, hash, envelope, body, run FROM events WHERE seq > ? AND seq < ? ORDER BY seq LIMIT 200',
    )
    yield* keysetPages((after: number) => page.all(after, size), (r) => r.seq, -1)
  }

  /** Each run's key as stored (an age header to the recipients of its time), by run number, read a page at a time. */
  *storedRuns(): Generator<{id: number; wrapped: Buffer}> {
    const page = this.context.cached<[number], {id: number; wrapped: Buffer}>('SELECT id, wrapped FROM runs WHERE id > ? ORDER BY id LIMIT 200')
    yield* keysetPages((after: number) => page.all(after), (r) => r.id, -1)
  }

  /** The tags an envelope holds for an event's tags: hex, only those the event has. */
  private static hexTags(tags: EventTags): EnvelopeTags {
    const hex: EnvelopeTags = {}
    for (const name of ENVELOPE_TAG_NAMES) {
      const tag = tags[name]
      if (tag !== null) hex[name] = tag.toString('hex')
    }

    return hex
  }

  protected override envelopeDisagrees(row: RawRow, exhibit: string | null, tags: EventTags): boolean {
    const sealed = row as SealedRawRow
    const envelope = envelopeOfRow(row.seq, sealed.envelope ?? sealed.carried ?? row.event)
    return envelope.exhibit !== exhibit || canonicalize(envelope.tags) !== canonicalize(SealedStore.hexTags(tags))
  }

  /**
   * With the address key and an identity, every row's columns and envelope against its event
   * (tagged-store.ts); otherwise every row's columns against its chained envelope, which needs no
   * key at all: a tag forged in a column so that a row is not found is seen either way.
   */
  override untrueIndexes(): Iterable<UntrueIndex> | undefined {
    return this.key !== undefined && this.ring.canOpen ? super.untrueIndexes() : this.columnsAgainstEnvelopes()
  }

  private *columnsAgainstEnvelopes(): Generator<UntrueIndex> {
    type Indexed = {seq: number; event: string; exhibit: string | null} & Record<`${TagName}_tag`, Buffer | null>
    const page = this.context.cached<[number], Indexed>(`SELECT seq, envelope AS event, exhibit, ${TAG_NAMES.map((name) => `${name}_tag`).join(', ')} FROM events WHERE seq > ? ORDER BY seq LIMIT 200`)
    for (const row of keysetPages((after: number) => page.all(after), (r) => r.seq, -1)) yield* SealedStore.columnsAgainstEnvelope(row)
  }

  /**
   * A row whose body the keys given do not open (a run wrapped to other recipients: a recipient
   * added after a field case's first run opens only the runs after it): its columns against its
   * chained envelope, as with no key at all.
   */
  protected override unreadableIndexes(row: RawRow & {exhibit: string | null} & Partial<Record<`${TagName}_tag`, Buffer | null>>): Iterable<UntrueIndex> {
    const sealed = row as SealedRawRow
    return SealedStore.columnsAgainstEnvelope({...row, event: sealed.envelope ?? sealed.carried ?? row.event})
  }

  /** One row's exhibit column and tag columns against its envelope's (a row not stored as an envelope is the chain check's to report). */
  private static *columnsAgainstEnvelope(row: {seq: number; event: string; exhibit: string | null} & Partial<Record<`${TagName}_tag`, Buffer | null>>): Generator<UntrueIndex> {
    const hex = (tag: Buffer | null | undefined): string | undefined => (tag === null || tag === undefined ? undefined : tag.toString('hex'))
    const read = readStoredEnvelope(row.event)
    if (!('envelope' in read)) return
    const {exhibit, tags} = read.envelope
    if (row.exhibit !== exhibit) yield {seq: row.seq, column: 'exhibit'}
    for (const name of TAG_NAMES) if (hex(row[`${name}_tag`]) !== tags[name]) yield {seq: row.seq, column: `${name}_tag`}
  }

  /** The lookups of a batch run again, by tag, when the address key was given (BatchTags, store.ts). */
  batchTags(): BatchTags | undefined {
    const key = this.key
    if (key === undefined) return undefined
    return {
      takenFrom: (path) => {
        const tags = {source: key.source(path)}
        const rows = this.context.cached<[Buffer], IndexedRow>('SELECT seq, envelope AS event, exhibit FROM events WHERE source_tag = ? ORDER BY seq').all(tags.source)
        return rows.flatMap((row) => {
          this.confirmed(row, tags, 'a file taken in from a source path')
          return row.exhibit === null ? [] : [{seq: row.seq, exhibit: row.exhibit}]
        })
      },
      takenByBatch: (batch, file) => {
        const tags = {file: key.file(file.path, file.size, file.modifiedAt), batch: key.batch(batch)}
        const sql = 'SELECT seq, envelope AS event, exhibit FROM events WHERE file_tag = ? AND batch_tag = ? ORDER BY seq DESC LIMIT 1'
        const row = this.context.cached<[Buffer, Buffer], IndexedRow>(sql).get(tags.file, tags.batch)
        return row === undefined ? undefined : (this.confirmed(row, tags, "a file a batch took in").exhibit ?? undefined)
      },
      batchStarts: (batch) => {
        const tags = {batch: key.batch(batch), action: key.action('batch-started')}
        const rows = this.context.cached<[Buffer, Buffer], IndexedRow>('SELECT seq, envelope AS event, exhibit FROM events WHERE batch_tag = ? AND action_tag = ? ORDER BY seq').all(tags.batch, tags.action)
        return rows.map((row) => this.confirmed(row, tags, "a batch's start").seq)
      },
    }
  }

  /** The lookup of testimonies by witness code, when the address key was given (TestimonyTags, store.ts). */
  testimonyTags(): TestimonyTags | undefined {
    const key = this.key
    if (key === undefined) return undefined
    const testimonies = (): Array<{seq: number; exhibit: string; witness: string | undefined}> =>
      this.confirmedRowsOfAction(key, 'testimony', 'a testimony').flatMap(({seq, envelope}) =>
        envelope.exhibit === null ? [] : [{seq, exhibit: envelope.exhibit, witness: envelope.tags.witness}],
      )

    return {
      byWitness: (code) => {
        const tag = key.witness(code).toString('hex')
        return testimonies().filter((t) => t.witness === tag).map(({seq, exhibit}) => ({seq, exhibit}))
      },
      byExhibit: (exhibit) => testimonies().find((t) => t.exhibit === exhibit)?.seq,
    }
  }

  /** Every row of one action, by its action tag, each confirmed against its chained envelope (no body is opened). */
  private confirmedRowsOfAction(key: TagKey, action: EventAction, indexedAs: string): Array<{seq: number; envelope: StoredEnvelope}> {
    const tags = {action: key.action(action)}
    const rows = this.context.cached<[Buffer], IndexedRow>('SELECT seq, envelope AS event, exhibit FROM events WHERE action_tag = ? ORDER BY seq').all(tags.action)
    return rows.map((row) => ({seq: row.seq, envelope: this.confirmed(row, tags, indexedAs)}))
  }

  /**
   * The envelope of a row that tags chose, once it holds those tags and the row's exhibit: what a
   * column says is believed only when the chained envelope says it too. No body is opened.
   */
  private confirmed(row: IndexedRow, tags: Partial<Record<TagName, Buffer>>, indexedAs: string): StoredEnvelope {
    const envelope = this.envelopeAt(row.seq, row.event)
    const agrees = Object.entries(tags).every(([name, tag]) => envelope.tags[name as TagName] === tag.toString('hex'))
    if (!agrees || envelope.exhibit !== row.exhibit) throw forgedRow(row.seq, `is indexed as ${indexedAs}, but its envelope says otherwise`)
    return envelope
  }

  /** The exhibit column of the last ingest, confirmed against its envelope: no body is opened. */
  override lastIngestedExhibit(): string | undefined {
    const row = this.context.cached<[], {seq: number; event: string; exhibit: string | null}>('SELECT seq, envelope AS event, exhibit FROM events WHERE content_tag IS NOT NULL ORDER BY seq DESC LIMIT 1').get()
    if (row === undefined) return undefined
    const envelope = this.envelopeAt(row.seq, row.event)
    if (envelope.exhibit !== row.exhibit || envelope.tags.content === undefined) throw forgedRow(row.seq, "is indexed as an exhibit's ingest, but its envelope says otherwise")
    return row.exhibit ?? undefined
  }
}
