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
 * A converted case's first rows are carried (envelope.ts): their hashes and leaves as written over
 * events in clear, their envelopes bound by the ledger-converted event after them (the SHA-256 of
 * them all, checked here with no key); a carried row's hash is checked against its event only
 * when its body is opened.
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
import {isKeyEvent, keyFromFacts, readKeyEvent} from '../../keys/key-events.js'
import {bodySha256, carriedLeafOf, isCarried, readStoredEnvelope, storedBodyProblem, storedLeafHash, type PublicFacts, type StoredEnvelope} from '../../ledger/envelope.js'
import {CarriedBlock, type CarriedFinding} from '../../ledger/carried-block.js'
import {chainHash, eventLeafHash, GENESIS_HASH} from '../../ledger/event.js'
import type {Ledger, RawRow} from '../../ledger/ledger.js'
import {PackedHashes} from '../../merkle/packed-hashes.js'
import type {CaseCheck, CaseContext, CaseFinding, ChainFacts, KeptFile} from './context.js'
import {keptFilesOf} from './transfers.js'
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
    context.unopenedBodies = reader.unopened.count
    const ok = reader.problems.length === 0
    const intact = reader.carriedUnopened === 0 ? ', every hash and link intact' : `, every link intact, every hash but the ${reader.carriedUnopened} carried events' (see below)`
    return {status: ok ? 'ok' : 'failed', detail: `${context.chain.leaves.length} events${ok ? intact : ''}${carriedDetail(reader.carried.count, reader.carriedUnopened)}${unopenedDetail(reader.unopened, reader.opened, reader.bodiesWithoutDigest)}`, problems: reader.problems}
  },
}

/** At most this many runs of event numbers are named in the detail line; the count is always exact. */
const NAMED_RANGES = 5

/**
 * Which events' bodies were not opened, as runs of event numbers (`0..4`), a few named and all
 * counted: the events a verify could not read, said plainly, never held one by one (a ledger
 * with no key given has millions).
 */
export class UnopenedEvents {
  count = 0
  private readonly ranges: Array<[number, number]> = []
  private rangeCount = 0

  private lastSeq = -2

  add(seq: number): void {
    this.count++
    if (seq === this.lastSeq + 1) {
      // The run goes on: its range is extended if it is one of those named.
      if (this.ranges.length === this.rangeCount) this.ranges.at(-1)![1] = seq
    } else {
      this.rangeCount++
      if (this.ranges.length < NAMED_RANGES) this.ranges.push([seq, seq])
    }

    this.lastSeq = seq
  }

  /** `events 0..4, 7`, and how many more runs of them there are. */
  describe(): string {
    const named = this.ranges.map(([from, to]) => (from === to ? String(from) : `${from}..${to}`)).join(', ')
    const more = this.rangeCount - this.ranges.length
    return `${this.count === 1 ? 'event' : 'events'} ${named}${more > 0 ? ` and ${more} more runs of events` : ''}`
  }
}

/**
 * The chain check's words for the bodies not opened: none when every one was; with no key that
 * opens any, that none did; with a key that opens some (a recipient added after a field case's
 * first run, whose identity opens the runs after it only), which were not, and that their public
 * facts were still checked.
 */
function unopenedDetail(unopened: UnopenedEvents, opened: number, withoutDigest: number): string {
  if (unopened.count === 0) return ''
  const asStored =
    withoutDigest === 0 ? 'each body was checked as stored against the SHA-256 its envelope records'
    : withoutDigest >= unopened.count ? "none could be checked as stored (written before custody recorded a body's SHA-256 in its envelope)"
    : `the bodies were checked as stored against the SHA-256 their envelopes record, but for ${withoutDigest} written before custody recorded it`
  const unchecked = `${asStored}; what they record, their commitments and their tags were not checked`
  if (opened === 0) return `; ${unopened.count} event bodies not opened (no key given opens them): ${unopened.describe()}; ${unchecked}`
  return `; ${unopened.count} of ${unopened.count + opened} event bodies not opened (none of the keys given opens them; in a field case, those written before the recipient given was added): ${unopened.describe()}; ${unchecked}, their public facts (signing keys, exhibit numbers, objects as stored) were`
}

/** The chain check's words for a converted case's carried rows: what was checked of them, and what needs a key. */
function carriedDetail(carried: number, unopened: number): string {
  if (carried === 0) return ''
  const bound = `; the first ${carried} events carried from the case in clear (custody encrypt), their envelopes bound by the ledger-converted event`
  if (unopened === 0) return `${bound}, each opened and its hash and leaf recomputed from its event`
  return `${bound}; ${unopened} of their hashes not recomputed from their events (their bodies not opened), their links and the tree over their leaves checked`
}

class ChainReader {
  readonly problems: CaseFinding[] = []
  /** Rows of a sealed ledger whose bodies were not opened: no key given opens them. */
  readonly unopened = new UnopenedEvents()
  /** Rows of a sealed ledger whose bodies were opened. */
  opened = 0
  /** Rows not opened whose envelope records no SHA-256 of its body (written before custody recorded it): not checked as stored. */
  bodiesWithoutDigest = 0
  /** A converted case's carried rows (the first ones), their envelopes hashed as the ledger-converted event records them. */
  readonly carried = new CarriedBlock()
  /** Carried rows whose bodies were not opened: their hashes were not recomputed. */
  carriedUnopened = 0
  /** A sealed ledger's (schema 4) bodies, and whether they can be opened; undefined for the others. */
  private readonly sealed: ReturnType<Ledger['sealedBodies']>
  private readonly leaves = new PackedHashes()
  private readonly hashes = new StoredHashes()
  private readonly keys: RecordedKey[] = []
  private readonly listed: Array<{seq: number; stored: StoredObject}> = []
  private readonly converted: Array<{seq: number; stored: StoredObject}> = []
  private readonly kept: KeptFile[] = []
  private readonly seals: SealLists
  private readonly numbers: ExhibitNumbers
  /** The recipients of the identities given (age1…), whose runs verify holds to opening for them. */
  private readonly given: ReadonlySet<string>
  /** Each given recipient's recipient-added event (its first), and the run that wrote it, from the public facts. */
  private readonly added = new Map<string, {seq: number; run: number}>()
  /** The first event of each run seen, and the runs already reported as not wrapped to a given recipient. */
  private readonly runStarts = new Map<number, number>()
  private readonly reportedRuns = new Set<number>()
  private expectedSeq = 0
  private prevHash = GENESIS_HASH
  private lastHash: string | null = null

  constructor({kase, claims, options}: CaseContext) {
    this.seals = new SealLists(this.problems, claims)
    this.numbers = new ExhibitNumbers(kase.info.prefix, this.problems, claims)
    this.sealed = kase.ledger.sealedBodies()
    this.given = new Set((options.identities ?? []).map((identity) => identity.recipient.text))
  }

  row(row: RawRow): void {
    const at = `event ${row.seq}`
    this.checkSequence(row, at)
    const text = typeof row.event === 'string' ? row.event : String(row.event)
    this.leaves.push(this.sealed === undefined ? eventLeafHash(text) : storedLeafHash(text))
    const event = this.sealed === undefined ? this.parse(row, at) : this.readSealed(row, at, this.sealed)
    if (event !== undefined) this.checkEvent(row, event, at)
    this.checkLinks(row, at)
    this.prevHash = row.hash
    this.lastHash = row.hash
    this.hashes.push(row.hash)
    this.expectedSeq = row.seq + 1
  }

  end(): ChainFacts {
    this.noteCarriedFinding(this.carried.end())
    this.seals.end()
    const hashes = this.hashes
    return {leaves: this.leaves, hashAt: (index) => hashes.at(index), keys: keyHistory(this.keys), lastHash: this.lastHash, listedObjects: this.listed, convertedObjects: this.converted, carriedExhibits: this.numbers.carriedIngests, keptFiles: this.kept}
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
    const read = readStoredEnvelope(row.event)
    if (!('envelope' in read)) {
      this.problems.push({check: 'event', subject: at, message: `it is not stored as custody stores events: ${read.problem}`})
      return undefined
    }

    const {envelope} = read
    this.noteCarriedFinding(this.carried.row(row.seq, envelope, row.event))
    if (envelope.seq !== row.seq) this.problems.push({check: 'chain', subject: at, message: `its envelope says it is event ${envelope.seq}: it was moved`, expected: String(row.seq), actual: String(envelope.seq)})
    if (envelope.prev !== row.prev_hash) this.problems.push({check: 'event', subject: at, message: "the previous hash in its envelope differs from the row's", expected: row.prev_hash, actual: envelope.prev})
    // Opened or not, the objects the envelope lists as stored (readEnvelope checked their form), chained with it.
    const stored = envelope.public?.stored
    const list = envelope.public?.action === 'objects-encrypted' ? this.converted : this.listed
    if (Array.isArray(stored)) for (const object of stored) if (typeof object !== 'string') list.push({seq: row.seq, stored: object})
    const kept = keptFilesOf(row.seq, envelope.public)
    if (kept === undefined) this.problems.push({check: 'event', subject: at, message: "its envelope's facts of a transfer are not of the form custody writes (the files it keeps)"})
    else this.kept.push(...kept)
    this.noteRun(row.seq, envelope)
    // The body as stored, against the SHA-256 its chained envelope records: a body changed or
    // swapped is found with no key. It is then not opened (opening would refuse it again).
    const {body, run} = row as RawRow & {body?: Buffer; run?: number}
    // The run whose key opens the body, as stored beside it, against the one its envelope names (with no key).
    if (run !== undefined && run !== envelope.run) this.problems.push({check: 'event', subject: at, message: `it is stored as run ${run}'s, but its envelope says run ${envelope.run}`, expected: String(envelope.run), actual: String(run)})
    const storedProblem = body === undefined ? undefined : storedBodyProblem(envelope, body)
    if (storedProblem !== undefined) {
      this.problems.push({check: 'event', subject: at, message: `it ${storedProblem}`, expected: envelope.bodySha256!, actual: bodySha256(body!)})
      if (sealed.readable) return undefined
    }

    if (!sealed.readable) {
      this.notOpened(row.seq, envelope, at)
      return undefined
    }


    try {
      const opened = sealed.open(row)
      this.opened++
      if ('event' in opened) return opened.event
      this.problems.push({check: 'event', subject: at, message: `it cannot be read as a custody event: ${opened.problem}`})
    } catch (error) {
      if (!(error instanceof CustodyError) || (error.code !== 'INTEGRITY' && error.code !== 'CONTENT_LOCKED')) throw error
      // A body the keys given do not open (a run wrapped to other recipients) is read as with no
      // key at all, from its public facts; one that is forged is a problem.
      if (error.code === 'CONTENT_LOCKED') this.notOpened(row.seq, envelope, at)
      else this.problems.push({check: 'event', subject: at, message: error.message.replace(/^event \d+ of the ledger /, 'it ').replace(/: the ledger was changed outside custody.*$/, '')})
    }

    return undefined
  }

  /** A converted case's carried rows (carried-block.ts): what a row breaks of their rule, as a problem of the chain. */
  private noteCarriedFinding(finding: CarriedFinding | undefined): void {
    if (finding === undefined) return
    const {seq, message, expected, actual} = finding
    this.problems.push({check: 'chain', subject: `event ${seq}`, message: `it ${message}`, ...(expected === undefined ? {} : {expected, actual})})
  }

  /**
   * A row whose body no key given opens: the key it records, its exhibit's number and its objects
   * as stored come from its envelope's public facts (the keys given may open other rows).
   */
  private notOpened(seq: number, envelope: StoredEnvelope, at: string): void {
    this.unopened.add(seq)
    if (isCarried(envelope)) this.carriedUnopened++
    if (envelope.bodySha256 === undefined) this.bodiesWithoutDigest++
    this.checkWrappedForGiven(envelope, at)
    if (seq === 0 && envelope.public?.action !== 'create-case') {
      this.problems.push({check: 'event', subject: at, message: 'the ledger does not start with create-case', expected: 'create-case', actual: String(envelope.public?.action)})
    }

    this.publicKey(seq, envelope.public, at)
    this.numbers.sealed(seq, envelope.exhibit, envelope.public, envelope.tags.content !== undefined)
  }

  /** Where each run begins, and where each given recipient was added (chained public facts). */
  private noteRun(seq: number, envelope: StoredEnvelope): void {
    if (!this.runStarts.has(envelope.run)) this.runStarts.set(envelope.run, seq)
    const recipient = envelope.public?.action === 'recipient-added' ? envelope.public.recipient : undefined
    if (typeof recipient === 'string' && this.given.has(recipient) && !this.added.has(recipient)) this.added.set(recipient, {seq, run: envelope.run})
  }

  /**
   * A row that no identity given opens, of a run that began after one of their recipients was
   * added by another run: each run's key is wrapped to every recipient recorded when it began
   * (SealedStore.runRecipients), so its key was replaced in the runs table, which would otherwise
   * pass for a run of before the recipient (its bodies counted as not opened). Once a run.
   */
  private checkWrappedForGiven(envelope: StoredEnvelope, at: string): void {
    const {run} = envelope
    if (this.reportedRuns.has(run)) return
    const start = this.runStarts.get(run)
    if (start === undefined) return
    for (const [recipient, added] of this.added) {
      if (added.seq >= start || added.run === run) continue
      this.reportedRuns.add(run)
      this.problems.push({
        check: 'event',
        subject: at,
        message: `its run (${run}) began after event ${added.seq} added the recipient ${recipient}, whose identity was given, yet the run's key does not open with it: the run's key in the ledger was replaced`,
      })
      return
    }
  }

  /** The key a key event's public facts record (no key needed), as the checkpoints check needs it. */
  private publicKey(seq: number, facts: PublicFacts | undefined, at: string): void {
    const read = keyFromFacts(facts, seq, this.keys.at(-1))
    if (read === undefined) return
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

    // A carried row's hash is over its event (in its body): recomputed when the body is opened (SealedStore), not here.
    if (this.sealed !== undefined && carriedLeafOf(String(row.event)) !== undefined) return
    const computed = chainHash(HEX64.test(row.prev_hash) ? row.prev_hash : GENESIS_HASH, String(row.event))
    if (computed !== row.hash) {
      this.problems.push({check: 'chain', subject: at, message: 'its stored hash does not match its content: the event was edited', expected: computed, actual: row.hash})
    }
  }
}
