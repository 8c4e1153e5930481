/**
 * The custody ledger: an append-only, hash-chained table of events in SQLite.
 *
 * Appends are synchronous IMMEDIATE transactions, so concurrent writers (two ingests on one case)
 * queue rather than interleave, and an append either returns durably assigned sequence numbers
 * or throws, nothing in between. Hashing of files and metadata extraction happen before, never
 * inside, a transaction.
 */
import {closeSync, openSync} from 'node:fs'
import Database from 'better-sqlite3'
import {bytesToHex} from '@noble/hashes/utils.js'
import {parseCheckpoint, signCheckpoint, type CheckpointBody, type SignedCheckpoint} from '../checkpoints/checkpoint.js'
import {CustodyError, messageOf} from '../errors.js'
import {PRIVATE_FILE} from '../io/files.js'
import {keysetPages} from '../io/keyset-pages.js'
import {recordedKey} from '../keys/key-events.js'
import {verifySignature, type Signer} from '../keys/signing-key.js'
import {CompactRange} from '../merkle/compact-range.js'
import {emptyRoot, HASH_SIZE} from '../merkle/rfc6962.js'
import {MerkleTree, type TreeFile} from '../merkle/tree.js'
import {
  EVENT_VERSION,
  MAX_EVENT_BYTES,
  parseEvent,
  type CustodyEvent,
  type CustodyEventDraft,
  type EventAction,
  type EventOfKind,
  type IngestFile,
  type SourceFile,
} from '../formats/events.js'
import {canonicalize} from '../canonical/jcs.js'
import {chainHash, GENESIS_HASH, eventLeafHash, type StoredEvent} from './event.js'
import type {TreeHeadSource} from './head-file.js'
import {ClearStore} from './clear-store.js'
import {CLEAR_SCHEMA_VERSION, schemaSql, SEALED_SCHEMA_VERSION, TAGGED_SCHEMA_VERSION, type LedgerSchema} from './schema.js'
import {SealedStore} from './sealed-store.js'
import {forgedRow, publicOf, storedLeafHash, type PublicFactsRow} from './envelope.js'
import type {BatchTags, BodyKeys, EventStore, PagedRow, RawRow, StoreContext, TestimonyTags, UntrueIndex} from './store.js'
import {TaggedStore} from './tagged-store.js'
import type {TagKey} from './tags.js'

export type {BatchTags, BodyKeys, PagedRow, RawRow, TestimonyTags, UntrueIndex} from './store.js'

/** The ledger's SQLite page cache, in KiB. */
const LEDGER_CACHE_KIB = 4 * 1024

/** What a transaction may look at before it decides which events to append. */
export interface LedgerView {
  exhibitBySha256(sha256: string): string | undefined
  /** The number of the last exhibit given or reserved: the next exhibit is numbered after it. */
  lastExhibitNumber(): number
}

/** Whether a stored event of one of `actions` is typed as one (the query chose it by its action). */
function isOfKind<A extends EventAction>(stored: StoredEvent, actions: readonly A[]): stored is StoredEvent<EventOfKind<A>> {
  return (actions as readonly EventAction[]).includes(stored.event.action)
}

function wrapSqliteError(err: unknown, path: string): CustodyError {
  if (err instanceof CustodyError) return err
  const code = (err as {code?: unknown}).code
  if (code === 'SQLITE_BUSY') {
    return new CustodyError('LEDGER_BUSY', `the ledger ${path} is busy in another custody command; wait for it to finish and try again`, {cause: err})
  }

  if (code === 'SQLITE_CONSTRAINT_TRIGGER' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new CustodyError('LEDGER_APPEND_REFUSED', `the ledger ${path} refused an append: ${messageOf(err)}`, {cause: err})
  }

  return new CustodyError('LEDGER_UNREADABLE', `cannot use the ledger ${path}: ${messageOf(err)}; run \`custody verify\``, {cause: err})
}

/** Who signs the checkpoint that every append ends with. */
export interface CheckpointSigner {
  caseId: string
  signer: Signer
}

export class Ledger implements Disposable {
  readonly path: string
  private readonly db: Database.Database
  private checkpointSigner: CheckpointSigner | undefined
  /** What a typed read does with a stored event that does not parse (see parsed()). */
  private unreadable: 'refuse' | 'pass over' = 'refuse'
  /** The tree head of the events read so far; caught up inside each append's transaction. */
  private range = new CompactRange()
  /** The newest checkpoint this process signed and committed (what the known-heads record keeps). */
  private signed: {body: string; signature: string} | undefined
  /** This account's known head, when it holds the ledger as it is: see vouchFor. */
  private vouched: {treeSize: number; rootHash: string} | undefined
  /**
   * Statements of the hot paths (every file of an ingest), prepared once: each prepare holds a
   * native SQLite statement until the garbage collector finalises it, which on a batch of
   * thousands of files lets the process grow for no use.
   */
  private readonly prepared = new Map<string, Database.Statement>()
  /** The lookups of this ledger's schema (store.ts). */
  private readonly store: EventStore

  private constructor(path: string, db: Database.Database, schema: LedgerSchema) {
    this.path = path
    this.db = db
    const context: StoreContext = {db, path, cached: (sql) => this.cached(sql)}
    this.store = schema === SEALED_SCHEMA_VERSION ? new SealedStore(context) : schema === TAGGED_SCHEMA_VERSION ? new TaggedStore(context) : new ClearStore(context)
  }

  private static connect(path: string, fileMustExist: boolean): Database.Database {
    const db = new Database(path, {fileMustExist})
    // WAL persists in the file; synchronous does not, and WAL's default (NORMAL) can lose the
    // last commit on power loss.
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('busy_timeout = 60000')
    // better-sqlite3's default page cache is 16 MiB. Every command that adds to a case reads all the
    // events once, to check the tree head, and filled it: the cache, not the work, made a large
    // ingest peak higher than a small one. Lookups by index need far less.
    db.pragma(`cache_size = -${LEDGER_CACHE_KIB}`)
    return db
  }

  /**
   * Creates the ledger file with its schema and first events, and signs its first checkpoint.
   * With `tagKey` (an encrypted case), schema 3, whose lookup columns are keyed tags; without it
   * (a case in clear), schema 2.
   */
  static create(path: string, first: CustodyEventDraft[], signer: CheckpointSigner, options: {tagKey?: TagKey; bodyKeys?: BodyKeys} = {}): {ledger: Ledger; events: StoredEvent[]} {
    let db: Database.Database | undefined
    try {
      // SQLite would make the file 0644 less the umask, and gives its -wal and -shm files the
      // mode of the database file: made here owner-only, all three are.
      closeSync(openSync(path, 'wx', PRIVATE_FILE))
      db = Ledger.connect(path, false)
      const schema = options.tagKey === undefined ? CLEAR_SCHEMA_VERSION : options.bodyKeys === undefined ? TAGGED_SCHEMA_VERSION : SEALED_SCHEMA_VERSION
      db.exec(schemaSql(schema))
      const ledger = new Ledger(path, db, schema)
      if (options.tagKey !== undefined) ledger.useTagKey(options.tagKey)
      if (options.bodyKeys !== undefined) ledger.useBodyKeys(options.bodyKeys)
      ledger.useSigner(signer)
      const {events} = ledger.append(() => ({drafts: first, result: undefined}))
      return {ledger, events}
    } catch (error) {
      db?.close()
      throw wrapSqliteError(error, path)
    }
  }

  /**
   * Makes at `path` a sealed ledger (schema 4) that carries every row of this one, whose events
   * are in clear (schema 2, or 3: a case made encrypted before bodies were sealed), as it was
   * written (envelope.ts, "carried"): the same sequence numbers, hashes and leaves, so that the
   * same tree, its checkpoints (copied as they are) and every head stated before stay true; each
   * event sealed under one run key wrapped to the `keys.bodyKeys` recipients. Then appends the
   * ledger-converted event (by `by.actor`, with the investigator's name sealed) that binds the
   * carried envelopes, and signs its checkpoint with this ledger's signer (the new ledger's
   * lastSigned()). Each row is checked as it is carried (its link, its hash over its event, its
   * event one custody writes): a ledger that does not hold is refused (INTEGRITY), and the file at
   * `path` is the caller's to remove. Returns the new ledger, open.
   */
  convertTo(path: string, keys: {tagKey: TagKey; bodyKeys: BodyKeys}, by: {actor: string; sealedInvestigator: string; sealedOrganisation: string}): Ledger {
    if (this.store.schema === SEALED_SCHEMA_VERSION) throw new CustodyError('INTERNAL', 'internal: a sealed ledger (schema 4) is not converted again')
    const signer = this.checkpointSigner
    if (signer === undefined) throw new CustodyError('KEY_UNREADABLE', 'internal: the ledger was asked to convert before the signing key was opened')
    let db: Database.Database | undefined
    try {
      closeSync(openSync(path, 'wx', PRIVATE_FILE))
      db = Ledger.connect(path, false)
      db.exec(schemaSql(SEALED_SCHEMA_VERSION))
      const ledger = new Ledger(path, db, SEALED_SCHEMA_VERSION)
      ledger.useTagKey(keys.tagKey)
      ledger.useBodyKeys(keys.bodyKeys)
      ledger.useSigner(signer)
      const store = ledger.store as SealedStore
      const target = db
      const carried = target.transaction(() => {
        const block = store.carry(this.rowsToCarry())
        const copy = target.prepare<[number, number, string, string], unknown>('INSERT INTO checkpoints (seq, tree_size, body, signature) VALUES (?, ?, ?, ?)')
        for (const c of this.db.prepare<[], {seq: number; tree_size: number; body: string; signature: string}>('SELECT seq, tree_size, body, signature FROM checkpoints ORDER BY seq').iterate()) {
          copy.run(c.seq, c.tree_size, c.body, c.signature)
        }

        return block
      })()
      const {actor, sealedInvestigator, sealedOrganisation} = by
      const payload = {carried: carried.count, envelopes: carried.envelopes, sealedInvestigator, sealedOrganisation}
      ledger.append(() => ({drafts: [{actor, action: 'ledger-converted', exhibit: null, payload}], result: undefined}))
      return ledger
    } catch (error) {
      db?.close()
      throw wrapSqliteError(error, path)
    }
  }

  /**
   * Refuses (INTEGRITY, naming the event) a ledger whose events convertTo would refuse to carry:
   * a pass over them, for `custody encrypt` to run before it writes anything.
   */
  checkCarriable(): void {
    for (const _ of this.rowsToCarry()) continue
  }

  /** Every row of this ledger in clear with its event, each checked as it is read (its link, its hash over its event, the event custody's), for convertTo. */
  private *rowsToCarry(): Generator<{seq: number; prev_hash: string; hash: string; event: CustodyEvent; canonical: string}> {
    let prev = GENESIS_HASH
    let seq = 0
    for (const row of this.rawRows()) {
      const refuse = (why: string): CustodyError => forgedRow(row.seq, `${why}; nothing was converted`)
      if (row.seq !== seq || row.prev_hash !== prev) throw refuse('does not follow the event before it')
      if (chainHash(row.prev_hash, row.event) !== row.hash) throw refuse('does not hash to its stored hash')
      const read = this.store.open(row)
      if (!('event' in read)) throw refuse(`is not an event custody writes (${read.problem})`)
      if (canonicalize(read.event) !== row.event) throw refuse('is not in canonical form')
      yield {seq: row.seq, prev_hash: row.prev_hash, hash: row.hash, event: read.event, canonical: row.event}
      prev = row.hash
      seq++
    }
  }

  /** Opens a ledger of either schema; a schema-3 one is given its tag key later (useTagKey), once the case's keys are open. */
  static open(path: string): Ledger {
    let db: Database.Database | undefined
    try {
      db = Ledger.connect(path, true)
      const version = db.pragma('user_version', {simple: true})
      if (version !== CLEAR_SCHEMA_VERSION && version !== TAGGED_SCHEMA_VERSION && version !== SEALED_SCHEMA_VERSION) {
        throw new CustodyError(
          'LEDGER_UNREADABLE',
          `the ledger ${path} has schema version ${String(version)}, expected ${CLEAR_SCHEMA_VERSION}, ${TAGGED_SCHEMA_VERSION} or ${SEALED_SCHEMA_VERSION}; it was not made by this version of custody`,
        )
      }

      return new Ledger(path, db, version)
    } catch (error) {
      db?.close()
      throw wrapSqliteError(error, path)
    }
  }

  /** Closes the database; closing it again does nothing. */
  close(): void {
    this.db.close()
  }

  /** For `using`: closes it, as close() does (again, harmlessly, after close()). */
  [Symbol.dispose](): void {
    this.close()
  }

  private cached<P extends unknown[], R>(sql: string): Database.Statement<P, R> {
    let statement = this.prepared.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare(sql)
      this.prepared.set(sql, statement)
    }

    return statement as unknown as Database.Statement<P, R>
  }

  /** The schema of the file: 2 (lookups by the event's JSON) or 3 (by keyed tags). */
  get schema(): LedgerSchema {
    return this.store.schema
  }

  /**
   * From now on, the tags of a schema-3 ledger are written and looked up with this key (the
   * case's address key): appends need it, lookups by action use it. A schema-2 ledger has no
   * tags and ignores it.
   */
  useTagKey(key: TagKey): void {
    this.store.useTagKey(key)
  }

  /**
   * From now on, a schema-4 ledger seals the bodies it appends under a run key wrapped to these
   * recipients, and opens bodies with these identities. The other schemas ignore it.
   */
  useBodyKeys(keys: BodyKeys): void {
    this.store.useBodyKeys(keys)
  }

  /** From now on, appends end with a checkpoint signed by this key. */
  useSigner(signer: CheckpointSigner): void {
    this.checkpointSigner = signer
  }

  /**
   * Appends the events that `compose` decides on, in one IMMEDIATE transaction: `compose` sees the
   * ledger as it is once the write lock is held, so its decisions (a new exhibit or one already
   * present, the next exhibit number) cannot race another writer. The same transaction adds a
   * checkpoint over the new tree head, signed, so no event is ever committed without one.
   * `more` are appended after `drafts`, in the same transaction, as they are made, and are not
   * returned: for a long run of events (the exhibit lists of a large seal) that is never held.
   */
  append<T>(compose: (view: LedgerView) => {drafts: CustodyEventDraft[]; more?: Iterable<CustodyEventDraft>; result: T}): {events: StoredEvent[]; result: T} {
    const last = this.cached<[], {seq: number; hash: string}>('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1')
    const view: LedgerView = {
      exhibitBySha256: (sha256) => this.exhibitBySha256(sha256),
      lastExhibitNumber: () => this.lastExhibitNumber(),
    }
    const signer = this.checkpointSigner
    if (signer === undefined) {
      throw new CustodyError('KEY_UNREADABLE', 'internal: the ledger was asked to append before the signing key was opened')
    }

    let committed: {body: string; signature: string} | undefined
    const run = this.db.transaction(() => {
      const {drafts, more = [], result} = compose(view)
      const head = last.get()
      if (head !== undefined) this.refuseUnsignedTail(signer.signer, head)
      const first = head === undefined ? 0 : head.seq + 1
      let seq = first
      let prev = head?.hash ?? GENESIS_HASH
      let range: CompactRange | undefined
      const events: StoredEvent[] = []
      const add = (draft: CustodyEventDraft): StoredEvent => {
        const event = {v: EVENT_VERSION, seq, time: new Date().toISOString(), ...draft, prev} as CustodyEvent
        const canonical = canonicalize(event)
        const bytes = Buffer.byteLength(canonical)
        if (bytes > MAX_EVENT_BYTES) {
          throw new CustodyError(
            'LEDGER_APPEND_REFUSED',
            `a ${draft.action} event of ${bytes} bytes is larger than any event may be (${MAX_EVENT_BYTES}), so that an archive can refuse anything larger; nothing was recorded. Shorten what it records (a note, a manifest column)`,
          )
        }

        const written = this.store.insert(event, canonical)
        range ??= this.caughtUpRange(first)
        range.push(eventLeafHash(written.chained))
        prev = written.hash
        seq++
        return {event, canonical, hash: written.hash}
      }

      for (const draft of drafts) events.push(add(draft))
      for (const draft of more) add(draft)
      if (range === undefined) return {events, result}
      const checkpoint = signCheckpoint(signer.signer, signer.caseId, {treeSize: seq, rootHash: bytesToHex(range.root()), lastEventHash: prev})
      this
        .cached<[number, string, string], unknown>('INSERT INTO checkpoints (seq, tree_size, body, signature) VALUES ((SELECT coalesce(max(seq) + 1, 0) FROM checkpoints), ?, ?, ?)')
        .run(seq, checkpoint.body, checkpoint.signature)
      this.range = range
      committed = checkpoint
      return {events, result}
    })
    try {
      const done = run.immediate()
      if (committed !== undefined) this.signed = committed
      return done
    } catch (error) {
      this.range = new CompactRange()
      throw wrapSqliteError(error, this.path)
    }
  }

  /**
   * The newest checkpoint, signed by the key in use. Right after `key rotate` the newest is the
   * replaced key's (it signed the rotation, vouching for the new key), and what the new key signs
   * beside a head (a field package's statement) needs that head signed by the new key too: then
   * one over the same head is signed now and stored, after the one before it is checked
   * (refuseUnsignedTail). Two checkpoints of one size, each by a key of its time, are both true.
   */
  headSignedByCurrentKey(): SignedCheckpoint {
    const signer = this.checkpointSigner
    if (signer === undefined) throw new CustodyError('KEY_UNREADABLE', 'internal: the ledger was asked to sign its head before the signing key was opened')
    let signed: {body: string; signature: string} | undefined
    const run = this.db.transaction((): SignedCheckpoint | undefined => {
      this.refuseUnsignedTail(signer.signer)
      const latest = this.latestCheckpoint()
      const body = latest === undefined ? undefined : parseCheckpoint(latest.body)
      if (latest === undefined || body === undefined || 'problem' in body) return undefined
      if (body.keyFingerprint === signer.signer.fingerprint) return latest
      signed = signCheckpoint(signer.signer, signer.caseId, {treeSize: body.treeSize, rootHash: body.rootHash, lastEventHash: body.lastEventHash})
      this.cached<[number, string, string], unknown>('INSERT INTO checkpoints (seq, tree_size, body, signature) VALUES ((SELECT coalesce(max(seq) + 1, 0) FROM checkpoints), ?, ?, ?)').run(body.treeSize, signed.body, signed.signature)
      return this.latestCheckpoint()
    })
    let latest: SignedCheckpoint | undefined
    try {
      latest = run.immediate()
    } catch (error) {
      throw wrapSqliteError(error, this.path)
    }

    if (latest === undefined) throw new CustodyError('INTEGRITY', `the ledger ${this.path} has no readable signed checkpoint: run \`custody verify\``)
    if (signed !== undefined) this.signed = signed
    return latest
  }

  /**
   * The public key of `fingerprint` when it is the key that the key `current` replaced, as the key
   * events' public facts record them: after a rotation, the last checkpoint is the old key's (it
   * signed the rotation). Undefined for any other key. Read only when the last checkpoint is not
   * the appending key's: once after each rotation.
   */
  private replacedKeyOf(current: string, fingerprint: string): Uint8Array | undefined {
    let before: {fingerprint: string; publicKey: string} | undefined
    for (const {facts} of this.publicFacts()) {
      if ((facts.action !== 'key-created' && facts.action !== 'key-rotated') || typeof facts.fingerprint !== 'string' || typeof facts.publicKey !== 'string') continue
      const key = {fingerprint: facts.fingerprint, publicKey: facts.publicKey}
      if (key.fingerprint === current) {
        if (before?.fingerprint !== fingerprint) return undefined
        const read = recordedKey({payload: before})
        return 'key' in read ? read.key.spki : undefined
      }

      before = key
    }

    return undefined
  }

  /**
   * Refuses to sign onward from events that no signed checkpoint covers. Every append commits its
   * checkpoint in its own transaction (above), so a ledger custody wrote always ends with a
   * checkpoint over its last event: events after it were added by someone without the signing
   * key, and a new checkpoint over them would vouch for them with the case's own key, where
   * `custody verify` would no longer see them as unsigned. Checked inside the append's
   * transaction: the last checkpoint's size and last event hash against the ledger's end, and its
   * signature, by the key appending or, after a rotation, by the key it replaced (the old key
   * signed the rotation); a checkpoint by any other key is refused. A command checks it before its work too (Case's head
   * check), without a signer, so that it refuses once, not at every append.
   */
  refuseUnsignedTail(signer?: Signer, last?: {seq: number; hash: string}): void {
    const head = last ?? this.cached<[], {seq: number; hash: string}>('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1').get()
    if (head === undefined) return
    const size = head.seq + 1
    const latest = this.cached<[], {tree_size: number; body: string; signature: string}>('SELECT tree_size, body, signature FROM checkpoints ORDER BY seq DESC LIMIT 1').get()
    const body = latest === undefined ? undefined : parseCheckpoint(latest.body)
    let what: string | undefined
    if (latest === undefined || body === undefined) {
      what = `${size} event(s) and no signed checkpoint`
    } else if ('problem' in body || body.treeSize !== latest.tree_size) {
      what = `a checkpoint that is not one custody signs (${'problem' in body ? body.problem : 'its size is not the size it is stored with'})`
    } else if (body.treeSize < size) {
      what = `${size - body.treeSize} event(s) after its last signed checkpoint (events ${body.treeSize} to ${head.seq})`
    } else if (body.treeSize !== size || body.lastEventHash !== head.hash) {
      what = `event ${head.seq}, which its last checkpoint does not sign`
    } else if (signer !== undefined) {
      const spki = body.keyFingerprint === signer.fingerprint ? signer.spki : this.replacedKeyOf(signer.fingerprint, body.keyFingerprint)
      if (spki === undefined) what = `a checkpoint signed by ${body.keyFingerprint}, which is neither the case's key nor the one its key replaced`
      else if (!verifySignature(spki, Buffer.from(latest.body, 'utf8'), Buffer.from(latest.signature, 'hex'))) what = 'a checkpoint whose signature is not its key\'s'
      else if (body.keyFingerprint !== signer.fingerprint && !this.rotationVouched(latest.body, body)) throw this.unvouchedRotation(body.keyFingerprint, signer.fingerprint)
    }

    if (what !== undefined) {
      throw new CustodyError(
        'INTEGRITY',
        `the ledger ${this.path} ends with ${what}: custody signs a checkpoint with every event it records, so someone without the signing key changed it (added events, or removed or changed the checkpoint over them); nothing was added. Run \`custody verify\`, and keep a copy of the case as it is`,
        {subject: `event ${head.seq}`},
      )
    }
  }

  /**
   * Vouches for the ledger as it is now: this account's record of the case (its known head) holds
   * this size and root, recomputed from the events (Case.assertIntactHead). What lets an append
   * sign onward from a checkpoint of the key this key replaced (refuseUnsignedTail).
   */
  vouchFor(head: {treeSize: number; rootHash: string}): void {
    this.vouched = {treeSize: head.treeSize, rootHash: head.rootHash}
  }

  /**
   * Whether a checkpoint of the replaced key, last in the ledger, is vouched for by more than the
   * ledger: this process signed it (`key rotate`, between the rotation and the new key's
   * checkpoint), or this account's known head holds its size and root (vouchFor). The ledger's
   * own key events are not enough: someone with the case folder but not its passphrase can write
   * it again under a first key of their own, rotated at its end to the case's real key, every
   * checkpoint signed by theirs; an append would then sign their history with the real key.
   * custody signs the head with the new key as it rotates, so a genuine rotation leaves the old
   * key's checkpoint last only if custody stopped in between, or an earlier custody rotated.
   */
  private rotationVouched(text: string, body: CheckpointBody): boolean {
    if (this.signed?.body === text) return true
    return this.vouched !== undefined && this.vouched.treeSize === body.treeSize && this.vouched.rootHash === body.rootHash
  }

  private unvouchedRotation(replaced: string, current: string): CustodyError {
    return new CustodyError(
      'INTEGRITY',
      `the newest checkpoint of ${this.path} is signed by ${replaced}, the key this case's key ${current} replaced, and nothing on this account vouches for that rotation: custody signs the head with the new key as it rotates, and this account's record of the case does not hold the ledger as it is. A ledger written again under a first key of someone else's, rotated at its end to this one, ends so (a rotation by an earlier custody, on another account, does too); nothing was done. Run \`custody verify\` with an identity of the case's recipients (it opens only events the case wrote) and compare the case with a copy HQ holds. If you rotated the key yourself on another account, record an event there first`,
    )
  }

  /**
   * That the events are, to the byte, those the case's key signed: the newest checkpoint covers
   * the whole ledger and is signed by the key the passphrase opened (refuseUnsignedTail, then the
   * key itself), and the root of the events as stored now, recomputed from their content, is the one
   * it signs. An event changed in place (its envelope or event text, its stored hash left as it
   * was) passes the chain of stored hashes, not this. The checkpoint must be the current key's:
   * a forger can write a first key of their own and a rotation from it to this one into the
   * ledger, and sign the rest with it (`key rotate` signs the head with the new key at once, so a
   * genuine rotation leaves one). What a command that destroys on the word of the events
   * (`transfer purge`) runs first; one pass over the events.
   */
  assertSignedContent(): void {
    const signer = this.checkpointSigner
    if (signer === undefined) throw new CustodyError('KEY_UNREADABLE', 'internal: the ledger was asked to check its signed content before the signing key was opened')
    const latest = this.latestCheckpoint()
    const body = latest === undefined ? undefined : parseCheckpoint(latest.body)
    // Not the key it replaced, which only the ledger's own key events name (a forger writes those
    // too: a key of theirs made the first, rotated to this one): the key the passphrase opened.
    // Asked before the tail's checks, which would take that key's checkpoint if vouched for.
    if (body !== undefined && !('problem' in body) && body.keyFingerprint !== signer.signer.fingerprint) {
      throw new CustodyError(
        'INTEGRITY',
        `the newest checkpoint of ${this.path} is signed by ${body.keyFingerprint}, not by this case's key ${signer.signer.fingerprint}, which the passphrase opened: a key rotation recorded by an earlier custody, or one someone wrote into the ledger; nothing was done. Run \`custody verify\` with an identity of the case's recipients. If you rotated the key yourself, a command that records an event (\`custody config set\`, for one), run on the account where you rotated it, signs the head with this key; then run this again`,
      )
    }

    this.refuseUnsignedTail(signer.signer)
    if (body === undefined || 'problem' in body) return
    const root = bytesToHex(this.tree(body.treeSize).root())
    if (root !== body.rootHash) {
      throw new CustodyError(
        'INTEGRITY',
        `the events of ${this.path} no longer have the root their last signed checkpoint gives (${body.treeSize} events, root ${body.rootHash}; now ${root}): an event was changed after it was recorded, by someone without the signing key; nothing was done. Run \`custody verify\`, and keep a copy of the case as it is`,
      )
    }
  }

  /** A copy of the cached tree head state, brought up to `size` events by reading only those it lacks. */
  private caughtUpRange(size: number): CompactRange {
    const range = this.range.size <= size ? this.range.clone() : new CompactRange()
    if (range.size < size) {
      const rows = this.db.prepare<[number, number], {event: string}>(`SELECT ${this.store.chained} AS event FROM events WHERE seq >= ? AND seq < ? ORDER BY seq`)
      for (const row of rows.iterate(range.size, size)) range.push(this.leafOf(row.event))
    }

    return range
  }

  /** The newest checkpoint this process signed, once its transaction committed (its exact bytes and hex signature). */
  lastSigned(): {body: string; signature: string} | undefined {
    return this.signed
  }

  /** The signed checkpoints, oldest first, as stored. */
  checkpoints(): SignedCheckpoint[] {
    try {
      return this.db.prepare<[], SignedCheckpoint>('SELECT seq, body, signature FROM checkpoints ORDER BY seq').all()
    } catch (error) {
      throw wrapSqliteError(error, this.path)
    }
  }

  checkpoint(seq: number): SignedCheckpoint | undefined {
    return this.db.prepare<[number], SignedCheckpoint>('SELECT seq, body, signature FROM checkpoints WHERE seq = ?').get(seq)
  }

  latestCheckpoint(): SignedCheckpoint | undefined {
    return this.db.prepare<[], SignedCheckpoint>('SELECT seq, body, signature FROM checkpoints ORDER BY seq DESC LIMIT 1').get()
  }

  /**
   * The rows exactly as stored, oldest first, without trusting them (for verification). A sealed
   * ledger's (schema 4) come with their body and run, so that a body is checked as stored against
   * its envelope with no key, and opened without reading it again when a key is given.
   */
  *rawRows(): Generator<RawRow & {body?: Buffer; run?: number}> {
    const sealed = this.store.chained === 'envelope' ? ', body, run' : ''
    try {
      yield* this.db.prepare<[], RawRow>(`SELECT seq, prev_hash, hash, ${this.store.chained} AS event${sealed} FROM events ORDER BY seq`).iterate()
    } catch (error) {
      throw wrapSqliteError(error, this.path)
    }
  }

  /**
   * The events before `size` (and after `after`), oldest first, as stored, with their action,
   * exhibit and previous hash (as the event says them), read a page at a time: memory stays flat
   * however long the ledger, and no query stays open between pages (the caller may await between
   * them).
   */
  *rowsBelow(size: number, after = -1): Generator<PagedRow> {
    const rows = (after: number): PagedRow[] => {
      try {
        return this.store.pagedRows(after, size)
      } catch (error) {
        throw wrapSqliteError(error, this.path)
      }
    }

    yield* keysetPages(rows, (r) => r.seq, after)
  }

  /**
   * What an archive needs of an exhibit's ingest event (its original's digests, size and name, and
   * its metadata record: INGEST_FILE_FIELDS), taken out by SQLite in schema 2 (sealing many
   * exhibits parses no event in full), picked from the one event in schema 3.
   */
  exhibitFile(exhibit: string): IngestFile | undefined {
    return this.store.exhibitFile(exhibit)
  }

  /** How many exhibits the case has, counted by SQLite. */
  exhibitCount(): number {
    return this.store.exhibitCount()
  }

  /**
   * The number of the last exhibit given (`PREFIX-NNNNNN`), or the highest reserved by a
   * `restore-accepted` event, whichever is larger: the next exhibit is numbered after it. Numbers
   * the events of a lost copy may have given are never given again to another file.
   */
  lastExhibitNumber(): number {
    const last = this.store.lastIngestedExhibit()
    const given = last === undefined ? 0 : Number(last.slice(last.lastIndexOf('-') + 1))
    const reserved = this.store.highestReserved()
    return Math.max(Number.isSafeInteger(given) ? given : 0, reserved ?? 0)
  }

  /** Every exhibit's ID, in the order they were ingested, read a page at a time. */
  *eachExhibitId(): Generator<string> {
    yield* this.store.exhibitIds()
  }

  /**
   * Every exhibit's ingest event, parsed, in the order they were ingested, read a page at a time
   * through an index: a case of any size is never held at once.
   */
  *eachIngestEvent(): Generator<StoredEvent<EventOfKind<'ingest'>>> {
    for (const row of this.store.ingestRows()) yield* this.parsedOfKind([row], ['ingest'])
  }

  /**
   * From now on, a typed read passes over a stored event that does not parse instead of failing:
   * for `custody verify`, whose chain check reads every row as it is stored and reports each such
   * event, so that its later checks can read the others.
   */
  passOverUnreadable(): void {
    this.unreadable = 'pass over'
  }

  /**
   * A stored row's event, parsed and typed (src/formats/events.ts). An event that does not parse
   * fails the command that reads it, naming the event: custody writes none, so the ledger was
   * changed by something else (or by a newer custody) and must be verified. Once
   * passOverUnreadable() was called, it is passed over instead (undefined).
   */
  private parsed(row: RawRow, unreadable: 'refuse'): StoredEvent
  private parsed(row: RawRow, unreadable?: 'refuse' | 'pass over'): StoredEvent | undefined
  private parsed(row: RawRow, unreadable = this.unreadable): StoredEvent | undefined {
    const read = this.store.open(row)
    if ('event' in read) return {event: read.event, canonical: this.store.chained === 'event' ? row.event : canonicalize(read.event), hash: row.hash}
    if (unreadable === 'pass over') return undefined
    throw new CustodyError(
      'LEDGER_UNREADABLE',
      `event ${row.seq} of the ledger ${this.path} cannot be read: ${read.problem} (it is not an event as this version of custody writes them). Run \`custody verify\`, and keep a copy of the case as it is`,
      {subject: `event ${row.seq}`},
    )
  }

  /** The events of these rows, parsed, and typed as events of `actions` (the rows' query chose them by action). */
  private parsedOfKind<A extends EventAction>(rows: Iterable<RawRow>, actions: readonly A[]): Array<StoredEvent<EventOfKind<A>>> {
    const events: Array<StoredEvent<EventOfKind<A>>> = []
    for (const row of rows) {
      const stored = this.parsed(row)
      if (stored !== undefined && isOfKind(stored, actions)) events.push(stored)
    }

    return events
  }

  /**
   * Every event (or every event after `after`), oldest first, read page by page: a case's whole
   * log is never held at once.
   */
  *eachEvent(after = -1): Generator<StoredEvent> {
    for (const row of this.rowsBelow(Number.MAX_SAFE_INTEGER, after)) {
      const stored = this.parsed(row)
      if (stored !== undefined) yield stored
    }
  }

  /**
   * The events of one exhibit, oldest first (eachEvent() gives them all): its own, the seals that
   * took it, and the testimony that it is a later statement version or an attachment of.
   */
  events(exhibit: string): StoredEvent[] {
    return this.exhibitEvents(() => this.store.exhibitRows(exhibit))
  }

  /** The events of one exhibit that are its own (their `exhibit` is it), oldest first: not the seals or testimony that name it, which events() reads too. */
  ownEvents(exhibit: string): StoredEvent[] {
    return this.exhibitEvents(() => this.store.ownRows(exhibit))
  }

  private exhibitEvents(read: () => RawRow[]): StoredEvent[] {
    let rows: RawRow[]
    try {
      rows = read()
    } catch (error) {
      throw wrapSqliteError(error, this.path)
    }

    return rows.flatMap((row) => this.parsed(row) ?? [])
  }

  /** The exhibit whose original has this SHA-256, if there is one (outside a transaction: a hint). */
  exhibitBySha256(sha256: string): string | undefined {
    return this.store.exhibitBySha256(sha256)
  }

  /** The ingest event that created an exhibit. */
  ingestEvent(exhibit: string): StoredEvent<EventOfKind<'ingest'>> | undefined {
    const row = this.store.ingestRow(exhibit)
    return this.parsedOfKind(row === undefined ? [] : [row], ['ingest'])[0]
  }

  /** Every event of these kinds, oldest first. */
  eventsOfKind<A extends EventAction>(...actions: A[]): Array<StoredEvent<EventOfKind<A>>> {
    return this.parsedOfKind(this.store.rowsOfKind(actions), actions)
  }

  /**
   * Every event of these kinds, oldest first, each parsed as it is read, a page of rows at a time:
   * for kinds a case may hold many of (eventsOfKind() holds them all at once).
   */
  *eachEventOfKind<A extends EventAction>(...actions: A[]): Generator<StoredEvent<EventOfKind<A>>> {
    for (const row of this.store.rowsOfKind(actions)) {
      const stored = this.parsed(row)
      if (stored !== undefined && isOfKind(stored, actions)) yield stored
    }
  }

  /**
   * Every file an ingest or presented-again event took in from a source path (not a witness's
   * file, whose path is withheld), oldest first: read page by page, so that a case of any size is
   * neither held in memory nor (in schema 2, whose SQL takes the fields out) parsed whole.
   */
  *sourceFiles(): Generator<SourceFile> {
    yield* this.store.sourceFiles()
  }

  /**
   * What the events read before any key is open say that is not evidence (publicOf: the case's
   * ID and mode, the signing keys' public halves, the recipients, the keys destroyed, the reserved
   * numbers), oldest first. Schema 4 reads it from the envelopes, with no key; the others from
   * the events, in clear.
   */
  *publicFacts(): Generator<PublicFactsRow> {
    if (this.store instanceof SealedStore) {
      yield* this.store.publicFacts()
      return
    }

    const actions = ['create-case', 'key-created', 'key-rotated', 'recipient-added', 'case-encrypted', 'keys-destroyed', 'restore-accepted'] as const
    for (const {event} of this.eventsOfKind(...actions)) {
      const facts = publicOf(event)
      if (facts !== undefined) yield {seq: event.seq, time: event.time, exhibit: event.exhibit, facts}
    }
  }

  /**
   * A sealed ledger's (schema 4) ingest envelopes and stored runs, read with no key: what a field
   * package carries (src/transfers/field-export.ts). Undefined for the other schemas.
   */
  asStored(): Pick<SealedStore, 'ingestEnvelopes' | 'storedRuns' | 'storedRows'> | undefined {
    const store = this.store
    if (!(store instanceof SealedStore)) return undefined
    return {ingestEnvelopes: () => store.ingestEnvelopes(), storedRuns: () => store.storedRuns(), storedRows: (size) => store.storedRows(size)}
  }

  /**
   * Whether the ledger was converted by `custody encrypt` from one in clear: its first rows are
   * carried (envelope.ts), their block checked against its ledger-converted event. No key needed.
   */
  get converted(): boolean {
    return this.store instanceof SealedStore && this.store.carriedCount() > 0
  }

  /**
   * Whether what the events record is sealed and no key given yet opens it: a sealed ledger
   * (schema 4) before an identity or the case identity is given (useBodyKeys). A command that reads
   * events opens a key first (the case passphrase, or a recipient's identity in a field case);
   * the other schemas keep their events in clear.
   */
  get bodiesLocked(): boolean {
    return this.store instanceof SealedStore && !this.store.canOpenBodies
  }

  /**
   * Where a batch run again reads no body: the lookups by keyed tag of its earlier runs and the
   * files they took in (schema 4, given the address key; store.ts BatchTags). Undefined for the
   * other schemas, and for schema 4 with no address key: those read the events themselves
   * (sourceFiles(), eventsOfKind()).
   */
  batchTags(): BatchTags | undefined {
    return this.store instanceof SealedStore ? this.store.batchTags() : undefined
  }

  /**
   * Where a testimony is found without reading a body, by its witness code or exhibit (schema 4,
   * given the address key: a field case records a change of consent so). Undefined otherwise.
   */
  testimonyTags(): TestimonyTags | undefined {
    return this.store instanceof SealedStore ? this.store.testimonyTags() : undefined
  }

  /**
   * For verification of a sealed ledger (schema 4): whether its bodies can be opened at all (an
   * identity was given), and the event of a row as rawRows() gave it, its body opened and checked
   * against its envelope (INTEGRITY naming the event when it does not hold). Undefined for the
   * other schemas, whose rows are their events.
   */
  sealedBodies(): {readable: boolean; open: (row: RawRow) => ReturnType<EventStore['open']>} | undefined {
    const store = this.store
    if (!(store instanceof SealedStore)) return undefined
    return {readable: store.canOpenBodies, open: (row) => store.open(row)}
  }

  /**
   * The timestamp or config events, read where no key opens bodies: in a sealed ledger (schema 4)
   * from their envelopes' public facts, which hold their payloads (checked against the body
   * whenever a key opens it); their actor is not there, and is given as `custody`. The other
   * schemas read the events.
   */
  eventsInClear<A extends 'timestamp' | 'config'>(action: A): Array<EventOfKind<A>> {
    if (!(this.store instanceof SealedStore)) return this.eventsOfKind(action).map((e) => e.event)
    const events: Array<EventOfKind<A>> = []
    for (const {seq, time, facts} of this.store.publicFacts()) {
      if (facts.action !== action) continue
      const read = parseEvent({v: EVENT_VERSION, seq, time, actor: 'custody', action, exhibit: null, payload: facts.payload, prev: GENESIS_HASH})
      if (!('event' in read)) throw forgedRow(seq, `has public facts that are not those of a ${action} event (${read.problem})`)
      events.push(read.event as EventOfKind<A>)
    }

    return events
  }

  /** The first event, which says what the case is: never passed over. */
  firstEvent(): StoredEvent {
    const row = this.db.prepare<[], RawRow>(`SELECT seq, prev_hash, hash, ${this.store.chained} AS event FROM events WHERE seq = 0`).get()
    if (!row) throw new CustodyError('LEDGER_UNREADABLE', `the ledger ${this.path} has no first event; run \`custody verify\``)
    return this.parsed(row, 'refuse')
  }

  /** The stored hash of event `seq`, if the ledger has it (one lookup by primary key). */
  hashAt(seq: number): string | undefined {
    return this.cached<[number], {hash: string}>('SELECT hash FROM events WHERE seq = ?').get(seq)?.hash
  }

  /** The sequence number the next event would take: the number of events, when none is missing. */
  nextSeq(): number {
    return (this.cached<[], {seq: number}>('SELECT seq FROM events ORDER BY seq DESC LIMIT 1').get()?.seq ?? -1) + 1
  }

  lastHash(): string | undefined {
    return this.db.prepare<[], {hash: string}>('SELECT hash FROM events ORDER BY seq DESC LIMIT 1').get()?.hash
  }

  size(): number {
    return this.db.prepare<[], {n: number}>('SELECT count(*) AS n FROM events').get()!.n
  }

  /**
   * The tree head of all events and of the first `at` (each size given), in one pass over them with O(log n) memory
   * (CompactRange): what a check against the recorded head needs, without building the tree. The
   * pass also becomes the cached head that the next append catches up from, so that a command
   * that checks the head and then appends reads the events once, not twice.
   */
  heads(...at: Array<number | undefined>): TreeHeadSource {
    const wanted = new Set(at.filter((n): n is number => n !== undefined))
    const roots = new Map<number, Uint8Array>()
    if (wanted.has(0)) roots.set(0, emptyRoot())
    const range = new CompactRange()
    for (const leaf of this.leafHashes()) {
      range.push(leaf)
      if (wanted.has(range.size)) roots.set(range.size, range.root())
    }

    if (range.size > this.range.size) this.range = range.clone()

    const {size} = range
    const root = range.root()
    return {
      size,
      root(n = size): Uint8Array {
        if (n === size) return root
        const prefix = roots.get(n)
        if (prefix !== undefined) return prefix
        const computed = [...roots.keys()].sort((a, b) => a - b)
        throw new CustodyError('INVALID_ARGUMENT', `only the heads of ${[size, ...computed].join(', ')} events were computed, not of ${n}`)
      },
    }
  }

  /**
   * The Merkle tree over every event (or the first `size`), leaf i being event i's canonical JSON.
   * With `file`, its large levels go there (a seal of a large case), not to memory.
   */
  tree(size = Number.MAX_SAFE_INTEGER, file?: TreeFile): MerkleTree {
    const {n} = this.db.prepare<[number], {n: number}>('SELECT count(*) AS n FROM events WHERE seq < ?').get(size)!
    if (file !== undefined) return MerkleTree.inFile(this.leafHashes(size), n, file)
    // The leaf hashes are packed into one buffer of the right size.
    const packed = new Uint8Array(n * HASH_SIZE)
    let count = 0
    for (const leaf of this.leafHashes(size)) {
      if (count === n) throw new CustodyError('INTEGRITY', 'the ledger grew while its tree was being built')
      packed.set(leaf, count++ * HASH_SIZE)
    }

    return new MerkleTree(packed.subarray(0, count * HASH_SIZE))
  }

  /** The leaf hash of each event below `size`, in order (RFC 6962: SHA-256(0x00 || canonical event, or envelope)). */
  private *leafHashes(size = Number.MAX_SAFE_INTEGER): Generator<Uint8Array> {
    for (const row of this.db.prepare<[number], {event: string}>(`SELECT ${this.store.chained} AS event FROM events WHERE seq < ? ORDER BY seq`).iterate(size)) yield this.leafOf(row.event)
  }

  /** The leaf hash of a row's chained text: of the text itself, but for a carried row of schema 4 (a converted case's), the leaf it states (envelope.ts). */
  private leafOf(text: string): Uint8Array {
    return this.store.chained === 'envelope' ? storedLeafHash(text) : eventLeafHash(text)
  }

  /**
   * The rows whose keyed tags or exhibit column are not those their event gives (schema 3, with
   * the key), oldest first; undefined when there is nothing to check them with (schema 2, whose
   * columns are generated, or no key).
   */
  untrueIndexes(): Iterable<UntrueIndex> | undefined {
    return this.store.untrueIndexes()
  }

  /** Schema facts that verification compares with what custody created. */
  schemaFacts(): {triggers: string[]; integrity: string[]; userVersion: number} {
    const triggers = this.db
      .prepare<[], {name: string}>("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
      .all()
      .map((r) => r.name)
    const integrity = this.db.prepare<[], {integrity_check: string}>('PRAGMA integrity_check').all().map((r) => r.integrity_check)
    return {triggers, integrity, userVersion: Number(this.db.pragma('user_version', {simple: true}))}
  }
}
