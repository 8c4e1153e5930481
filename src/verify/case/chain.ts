/**
 * Check 2, `event chain`: the events form an unbroken chain. Sequence numbers run 0, 1, 2, ...
 * with no gap; each event is canonical JSON (RFC 8785) that names its own sequence number and the
 * previous hash, and is an event custody writes (parseEvent, src/formats/events.ts); each stored
 * hash is SHA-256(previous hash || canonical event); exhibits are numbered one after the other
 * (exhibit-numbers.ts); each seal's sealed-exhibits events follow it and list as many exhibits of
 * the case as it says it took (seal-lists.ts); key events are sound.
 *
 * A sealed ledger's row (schema 4) is its envelope, which the chain and the leaf are over; its
 * body is opened and checked against it when a key was given, and counted as not opened otherwise.
 * The objects its public facts list as stored are gathered either way (ChainFacts.listedObjects).
 *
 * The rows are read once, each as hostile input. What the later checks need of them (leaf hashes,
 * stored hashes, keys, the exhibits' claims) is gathered on the way. Every event that does not
 * parse is reported here; the later checks, which read the events through the ledger, pass over
 * it (Ledger.passOverUnreadable).
 */
import {canonicalize} from '../../canonical/jcs.js'
import {keyHistory, type RecordedKey} from '../../checkpoints/verify-checkpoints.js'
import {CustodyError, messageOf} from '../../errors.js'
import {EVENT_VERSION, parseEvent, type StoredObject} from '../../formats/events.js'
import {HEX64, isRecord} from '../../formats/guards.js'
import {isKeyEvent, readKeyEvent, type KeyEvent} from '../../keys/key-events.js'
import {readEnvelope, type PublicFacts} from '../../ledger/envelope.js'
import {chainHash, eventLeafHash, GENESIS_HASH} from '../../ledger/event.js'
import type {Ledger, RawRow} from '../../ledger/ledger.js'
import {PackedHashes} from '../../merkle/packed-hashes.js'
import type {CaseCheck, CaseContext, CaseFinding, ChainFacts} from './context.js'
import {ExhibitNumbers} from './exhibit-numbers.js'
import {SealLists} from './seal-lists.js'
import {StoredHashes} from './stored-hashes.js'

export const chainCheck: CaseCheck = {
  name: 'event chain',
  run(context) {
    const reader = new ChainReader(context)
    for (const row of context.kase.ledger.rawRows()) reader.row(row)
    context.chain = reader.end()
    context.kase.ledger.passOverUnreadable()
    context.unopenedBodies = reader.unopened
    const ok = reader.problems.length === 0
    const unopened = reader.unopened === 0 ? '' : `; ${reader.unopened} event bodies not opened (no key given opens them): what they record, their commitments and their tags were not checked`
    return {status: ok ? 'ok' : 'failed', detail: `${context.chain.leaves.length} events${ok ? ', every hash and link intact' : ''}${unopened}`, problems: reader.problems}
  },
}

class ChainReader {
  readonly problems: CaseFinding[] = []
  /** Rows of a sealed ledger whose bodies were not opened: no key was given. */
  unopened = 0
  /** A sealed ledger's (schema 4) bodies, and whether they can be opened; undefined for the others. */
  private readonly sealed: ReturnType<Ledger['sealedBodies']>
  private readonly leaves = new PackedHashes()
  private readonly hashes = new StoredHashes()
  private readonly keys: RecordedKey[] = []
  private readonly listed: Array<{seq: number; stored: StoredObject}> = []
  private readonly seals: SealLists
  private readonly numbers: ExhibitNumbers
  private expectedSeq = 0
  private prevHash = GENESIS_HASH
  private lastHash: string | null = null

  constructor({kase, claims}: CaseContext) {
    this.seals = new SealLists(this.problems, claims)
    this.numbers = new ExhibitNumbers(kase.info.prefix, this.problems, claims)
    this.sealed = kase.ledger.sealedBodies()
  }

  row(row: RawRow): void {
    const at = `event ${row.seq}`
    this.checkSequence(row, at)
    this.leaves.push(eventLeafHash(typeof row.event === 'string' ? row.event : String(row.event)))
    const event = this.sealed === undefined ? this.parse(row, at) : this.readSealed(row, at, this.sealed)
    if (event !== undefined) this.checkEvent(row, event, at)
    this.checkLinks(row, at)
    this.prevHash = row.hash
    this.lastHash = row.hash
    this.hashes.push(row.hash)
    this.expectedSeq = row.seq + 1
  }

  end(): ChainFacts {
    this.seals.end()
    const hashes = this.hashes
    return {leaves: this.leaves, hashAt: (index) => hashes.at(index), keys: keyHistory(this.keys), lastHash: this.lastHash, listedObjects: this.listed}
  }

  private checkSequence(row: RawRow, at: string): void {
    const expected = this.expectedSeq
    if (row.seq === expected) return
    this.problems.push({
      check: 'chain',
      subject: at,
      message: row.seq > expected ? `events ${expected}..${row.seq - 1} are missing: the sequence jumps from ${expected - 1} to ${row.seq}` : `sequence number ${row.seq} is out of order`,
      expected: String(expected),
      actual: String(row.seq),
    })
  }

  /** The event the row holds, if its JSON parses; it must be canonical, as custody writes it. */
  private parse(row: RawRow, at: string): unknown {
    let event: unknown
    try {
      event = JSON.parse(row.event)
    } catch (error) {
      this.problems.push({check: 'event', subject: at, message: `its stored JSON does not parse: ${messageOf(error)}`})
      return undefined
    }

    let canonical: string | undefined
    try {
      canonical = canonicalize(event)
    } catch (error) {
      this.problems.push({check: 'event', subject: at, message: messageOf(error)})
    }

    if (canonical !== undefined && canonical !== row.event) {
      this.problems.push({check: 'event', subject: at, message: 'its stored JSON is not in canonical form: it was written by something other than custody'})
    }

    return event
  }

  /**
   * A sealed row (schema 4): its envelope read as hostile input (canonical, its own seq and prev),
   * then its body opened and checked against it when a key was given; without one, the key
   * events' public facts give the keys, and the body is counted as not opened.
   */
  private readSealed(row: RawRow, at: string, sealed: NonNullable<ChainReader['sealed']>): unknown {
    const read = readEnvelope(row.event)
    if (!('envelope' in read)) {
      this.problems.push({check: 'event', subject: at, message: `it is not stored as custody stores events: ${read.problem}`})
      return undefined
    }

    const {envelope} = read
    if (envelope.seq !== row.seq) this.problems.push({check: 'chain', subject: at, message: `its envelope says it is event ${envelope.seq}: it was moved`, expected: String(row.seq), actual: String(envelope.seq)})
    if (envelope.prev !== row.prev_hash) this.problems.push({check: 'event', subject: at, message: "the previous hash in its envelope differs from the row's", expected: row.prev_hash, actual: envelope.prev})
    // Opened or not, the objects the envelope lists as stored (readEnvelope checked their form), chained with it.
    const stored = envelope.public?.stored
    if (Array.isArray(stored)) for (const object of stored) if (typeof object !== 'string') this.listed.push({seq: row.seq, stored: object})
    if (!sealed.readable) {
      this.unopened++
      this.publicKey(row.seq, envelope.public, at)
      this.numbers.sealed(row.seq, envelope.exhibit, envelope.public)
      return undefined
    }

    try {
      const opened = sealed.open(row)
      if ('event' in opened) return opened.event
      this.problems.push({check: 'event', subject: at, message: `it cannot be read as a custody event: ${opened.problem}`})
    } catch (error) {
      if (!(error instanceof CustodyError) || (error.code !== 'INTEGRITY' && error.code !== 'CONTENT_LOCKED')) throw error
      if (error.code === 'CONTENT_LOCKED') this.unopened++
      else this.problems.push({check: 'event', subject: at, message: error.message.replace(/^event \d+ of the ledger /, 'it ').replace(/: the ledger was changed outside custody.*$/, '')})
    }

    return undefined
  }

  /** The key a key event's public facts record (no key needed), as the checkpoints check needs it. */
  private publicKey(seq: number, facts: PublicFacts | undefined, at: string): void {
    if (facts?.action !== 'key-created' && facts?.action !== 'key-rotated') return
    const payload = {algorithm: 'Ed25519', fingerprint: String(facts.fingerprint), publicKey: String(facts.publicKey), holder: '', ...(facts.replaces === undefined ? {} : {replaces: String(facts.replaces), reason: ''})}
    const read = readKeyEvent({action: facts.action, payload} as KeyEvent, seq, this.keys.at(-1))
    if ('problem' in read) this.problems.push({check: 'key', subject: at, message: `key event is malformed: ${read.problem}`})
    else this.keys.push(read.key)
  }

  /** What the event says of itself, and of the exhibits, seals and keys. */
  private checkEvent(row: RawRow, event: unknown, at: string): void {
    if (!isRecord(event) || event.v !== EVENT_VERSION) {
      this.problems.push({check: 'event', subject: at, message: `it is not a version ${EVENT_VERSION} custody event`})
      return
    }

    if (event.seq !== row.seq) {
      this.problems.push({check: 'chain', subject: at, message: `the event inside says it is event ${String(event.seq)}: it was moved`, expected: String(row.seq), actual: String(event.seq)})
    }

    if (event.prev !== row.prev_hash) {
      this.problems.push({check: 'event', subject: at, message: "the previous hash inside the event differs from the row's", expected: row.prev_hash, actual: String(event.prev)})
    }

    if (row.seq === 0 && event.action !== 'create-case') {
      this.problems.push({check: 'event', subject: at, message: 'the ledger does not start with create-case', expected: 'create-case', actual: String(event.action)})
    }

    const parsed = parseEvent(event)
    if ('problem' in parsed) {
      this.numbers.unreadable(row.seq, event)
      this.seals.unreadable(event)
      this.problems.push({check: 'event', subject: at, message: `it cannot be read as a custody event: ${parsed.problem}`})
      return
    }

    this.numbers.event(row.seq, parsed.event)
    this.seals.event(row.seq, parsed.event)
    if (isKeyEvent(parsed.event)) {
      const read = readKeyEvent(parsed.event, row.seq, this.keys.at(-1))
      if ('problem' in read) this.problems.push({check: 'key', subject: at, message: `key event is malformed: ${read.problem}`})
      else this.keys.push(read.key)
    }
  }

  /** The row's link to the one before, and its stored hash over its content. */
  private checkLinks(row: RawRow, at: string): void {
    if (row.prev_hash !== this.prevHash) {
      this.problems.push({
        check: 'chain',
        subject: at,
        message: `it does not chain to event ${row.seq - 1}: its previous hash is not that event's hash (an event before it was edited, removed or inserted)`,
        expected: this.prevHash,
        actual: row.prev_hash,
      })
    }

    const computed = chainHash(HEX64.test(row.prev_hash) ? row.prev_hash : GENESIS_HASH, String(row.event))
    if (computed !== row.hash) {
      this.problems.push({check: 'chain', subject: at, message: 'its stored hash does not match its content: the event was edited', expected: computed, actual: row.hash})
    }
  }
}
