/**
 * Check 7 of `custody verify ARCHIVE`, events: each event's hash is SHA-256(prev || canonical
 * event) (of an encrypted case, SHA-256(prev || canonical envelope), the envelope's commitment
 * recomputed from the event and salt beside it: a v2 line), consecutive events chain, each event is one custody writes (parseEvent,
 * src/formats/events.ts), each stated exhibit's ingest event states the exhibit's digests, the
 * key events are sound (key-events.ts), and every inclusion proof (RFC 9162 §2.1.3.2) leads to
 * the tree head the seal records; the file is the one the statement names.
 *
 * The events are read as a stream, hashed again on the way. Only what later checks need is kept:
 * whether each stated exhibit's ingest event states its digests (in the index), the key events and
 * the testimony events (bounded).
 */
import {createHash} from 'node:crypto'
import {bytesToHex, hexToBytes} from '@noble/hashes/utils.js'
import {canonicalize} from '../../canonical/jcs.js'
import {keyHistory} from '../../checkpoints/verify-checkpoints.js'
import {messageOf} from '../../errors.js'
import {parseEvent, type CustodyEvent, type ParsedEvent} from '../../formats/events.js'
import {HEX64, isRecord} from '../../formats/guards.js'
import {isKeyEvent, readKeyEvent} from '../../keys/key-events.js'
import {bodyProblem, readEnvelope} from '../../ledger/envelope.js'
import {chainHash, eventLeafHash} from '../../ledger/event.js'
import {verifyInclusion} from '../../merkle/verify.js'
import {BAG_LIMITS, EVENTS_PATH} from '../../seal/bag-layout.js'
import {TESTIMONY_ACTIONS} from '../../testimony/testimonies.js'
import type {Check, Finding} from '../checklist.js'
import type {ProblemList} from '../problem-list.js'
import {concluded, findings, type ArchiveContext} from './context.js'

/**
 * An events.jsonl line: the event (as found, and as parseEvent reads it), and what the sealer wrote
 * beside it. `chained` is what the hash and the leaf are over: the canonical event (a v1 line), or
 * the canonical envelope (a v2 line, from an encrypted ledger, whose event and salt must match the
 * envelope's commitment).
 */
export interface EventLine {
  entry: Record<string, unknown>
  event: Record<string, unknown>
  parsed: ParsedEvent
  seq: number
  canonical: string
  chained: string
}

/** What the reading carries from one line to the next. */
interface Reading {
  count: number
  first: string | undefined
  previous: {seq: number; hash: string} | undefined
  testimonyBytes: number
}

/** No events file: no lines. */
async function* noLines(): AsyncGenerator<string> {}

/**
 * What is wrong with a v2 line's envelope against the event and salt beside it (the same checks
 * as the ledger's when it opens a body: envelope.ts), or undefined.
 */
function envelopeProblem(entry: Record<string, unknown>, chained: string, parsed: ParsedEvent, canonical: string): string | undefined {
  const read = readEnvelope(chained)
  if (!('envelope' in read)) return read.problem
  if (read.envelope.seq !== entry.seq) return `its envelope says it is event ${read.envelope.seq}`
  if (typeof entry.salt !== 'string' || !HEX64.test(entry.salt)) return 'its salt is not 64 hex digits'
  if (!('event' in parsed)) return undefined
  return bodyProblem(read.envelope, parsed.event, canonical, hexToBytes(entry.salt))?.replace(/^has a body/, 'has an event')
}

/** A line read as an event, or the problem (the line is then skipped). */
export function parseEventLine(line: string, at: string): EventLine | Finding {
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(line) as Record<string, unknown>
    if (!isRecord(entry) || !isRecord(entry.event)) throw new Error('not an event record')
  } catch (error) {
    return {subject: at, message: `cannot be read: ${messageOf(error)}`}
  }

  // custody writes each line as canonical JSON: a line that is not (a name given twice, of which
  // JSON.parse keeps the last and another reader the first) says one thing here and another there.
  try {
    if (canonicalize(entry) !== (line.endsWith('\n') ? line.slice(0, -1) : line)) return {subject: at, message: 'is not laid out as custody writes it (canonical JSON, each name once), so another reader could read another event in it'}
  } catch (error) {
    return {subject: at, message: `cannot be read: ${messageOf(error)}`}
  }

  const event = entry.event as Record<string, unknown>
  const seq = Number(entry.seq)
  try {
    const canonical = canonicalize(event)
    const parsed = parseEvent(event)
    if (entry.envelope === undefined) return {entry, event, parsed, seq, canonical, chained: canonical}
    if (!isRecord(entry.envelope)) return {subject: `event ${seq}`, message: 'its envelope is not a JSON object'}
    const chained = canonicalize(entry.envelope)
    const problem = envelopeProblem(entry, chained, parsed, canonical)
    if (problem !== undefined) return {subject: `event ${seq}`, message: problem}
    return {entry, event, parsed, seq, canonical, chained}
  } catch (error) {
    return {subject: `event ${seq}`, message: messageOf(error)}
  }
}

/** The event's hash, its place in the chain, its leaf hash and its inclusion proof. */
function checkChained(context: ArchiveContext, line: EventLine, previous: Reading['previous'], found: ProblemList<Finding>): void {
  if (checkChainedTo(context.treeHead, line, previous, found)) context.options.onEvent?.(line.seq, String(line.entry.hash))
}

/**
 * An events.jsonl line against the tree head `head` it is proven under (this archive's, or a
 * sender's checkpoint in a hand-over's record): the event's hash over its content and the previous
 * hash, its place after `previous`, its leaf hash and its inclusion proof. Whether its hash holds.
 */
export function checkChainedTo(head: {size: number; root: string}, line: EventLine, previous: {seq: number; hash: string} | undefined, found: ProblemList<Finding>, names = {event: 'event', head: 'the sealed tree head'}): boolean {
  const {entry, event, seq, chained} = line
  const {size, root} = head
  const subject = `${names.event} ${seq}`
  if (event.seq !== seq || event.prev !== entry.prev) found.push({subject, message: 'the event does not state the sequence number and previous hash beside it'})
  const prev = String(entry.prev)
  const hash = HEX64.test(prev) ? chainHash(prev, chained) : ''
  const holds = hash === entry.hash
  if (!holds) found.push({subject, message: 'its hash does not match its content: the event was changed', expected: hash, actual: String(entry.hash)})
  if (previous && previous.seq + 1 === seq && prev !== previous.hash) {
    found.push({subject, message: `it does not chain to event ${previous.seq}`, expected: previous.hash, actual: prev})
  }

  if (previous && seq <= previous.seq) found.push({subject, message: 'events are not in ledger order'})
  const leaf = eventLeafHash(chained)
  if (bytesToHex(leaf) !== entry.leafHash) found.push({subject, message: 'its leaf hash does not match its content', expected: bytesToHex(leaf), actual: String(entry.leafHash)})
  try {
    const proof = Array.isArray(entry.inclusionProof) ? entry.inclusionProof.map((h) => hexToBytes(String(h))) : []
    verifyInclusion(seq, size, leaf, proof, hexToBytes(HEX64.test(root) ? root : '00'.repeat(32)))
  } catch (error) {
    const e = error as {expected?: string; calculated?: string}
    found.push({subject, message: `its inclusion proof does not lead to ${names.head}: ${messageOf(error)}`, ...(e.expected ? {expected: e.expected} : {}), ...(e.calculated ? {actual: e.calculated} : {})})
  }

  return holds
}

/** What later checks need of an event that parses: ingest digests, testimony events, keys; and the case of the first. */
function noteEvent(context: ArchiveContext, line: {event: CustodyEvent; seq: number; canonical: string}, reading: Reading, found: ProblemList<Finding>): void {
  const {event, seq, canonical} = line
  const subject = `event ${seq}`
  if (event.action === 'ingest' && event.exhibit !== null) context.files.ingested(event.exhibit, event.payload.digests)
  noteHandOver(context, event, found)
  if ((TESTIMONY_ACTIONS as readonly string[]).includes(event.action)) {
    reading.testimonyBytes += canonical.length
    if (reading.testimonyBytes > BAG_LIMITS.testimonyEvents) {
      if (reading.testimonyBytes - canonical.length <= BAG_LIMITS.testimonyEvents) found.push({subject, message: `the testimony events hold more than ${BAG_LIMITS.testimonyEvents} bytes, more than any genuine archive's`})
    } else {
      context.testimonyEvents.push(event)
    }
  }

  if (isKeyEvent(event)) {
    const {keys} = context
    const read = keys.length >= BAG_LIMITS.keyEvents ? {problem: `more than ${BAG_LIMITS.keyEvents} key events`} : readKeyEvent(event, seq, keys.at(-1))
    if ('problem' in read) found.push({subject, message: `key event is refused: ${read.problem}`})
    else keys.push(read.key)
  }

  const kase = context.statement.case
  const caseId = event.action === 'create-case' ? event.payload.caseId : undefined
  if (seq === 0 && isRecord(kase) && caseId !== kase.id) {
    found.push({subject, message: 'the case of the first event is not the case of the seal', expected: String(kase.id), actual: String(caseId)})
  }
}

/** For the custodians check: this archive's `transfer-received` events, and each exhibit it says it received. */
function noteHandOver(context: ArchiveContext, event: CustodyEvent, found: ProblemList<Finding>): void {
  const own = context.handOverEvents
  if (event.action === 'ingest' && event.exhibit !== null && event.payload.received !== undefined) {
    // One ingest an exhibit: a hostile archive cannot make this list outgrow its statement.
    if (own.ingests.length < context.exhibitCount) own.ingests.push({exhibit: event.exhibit, sha256: event.payload.digests.sha256, from: event.payload.received})
    else if (own.ingests.length === context.exhibitCount) found.push({subject: `event ${event.seq}`, message: 'more ingest events of received exhibits than the archive has exhibits'})
  }

  if (event.action !== 'transfer-received') return
  if (own.received.size >= BAG_LIMITS.custodians) {
    if (own.received.size === BAG_LIMITS.custodians) found.push({subject: `event ${event.seq}`, message: `more than ${BAG_LIMITS.custodians} transfer-received events, more than any genuine archive's`})
    return
  }

  own.received.set(event.payload.transferId, event)
}

/** Reads every line; false when the file could not be read to its end. */
async function readEvents(context: ArchiveContext, lines: AsyncIterable<string>, reading: Reading, found: ProblemList<Finding>): Promise<boolean> {
  try {
    for await (const text of lines) {
      if (text === '') continue
      const at = `event line ${++reading.count}`
      reading.first ??= text
      const line = parseEventLine(text, at)
      if (!('entry' in line)) {
        found.push(line)
        continue
      }

      checkChained(context, line, reading.previous, found)
      if ('problem' in line.parsed) found.push({subject: `event ${line.seq}`, message: `it cannot be read as a custody event: ${line.parsed.problem}`})
      else noteEvent(context, {event: line.parsed.event, seq: line.seq, canonical: line.canonical}, reading, found)
      reading.previous = {seq: line.seq, hash: String(line.entry.hash)}
    }
  } catch (error) {
    found.push({subject: EVENTS_PATH, message: `cannot be read: ${messageOf(error)}`})
    return false
  }

  return true
}

/** The file as a whole: its first event, and its count and digest against the statement. */
function checkEventsFile(context: ArchiveContext, reading: Reading, sha256: string | undefined, found: ProblemList<Finding>): void {
  if (reading.first === undefined || !reading.first.includes('"seq":0')) found.push({subject: EVENTS_PATH, message: "the case's first event is missing"})
  const stated = isRecord(context.statement.events) ? context.statement.events : {}
  if (stated.count !== reading.count || stated.sha256 !== sha256) {
    found.push({
      subject: EVENTS_PATH,
      message: 'is not the events file the seal statement names (an event was added, removed or changed)',
      expected: `${String(stated.count)} events, sha256 ${String(stated.sha256)}`,
      actual: `${reading.count} events, sha256 ${sha256 ?? 'missing'}`,
    })
  }

  for (const {id, stated: statedSha256, ingest} of context.files.ingestResults()) {
    if (ingest === 'missing') found.push({subject: id, message: 'its ingest event is not in the archive'})
    else if (ingest !== 'same') found.push({subject: id, message: 'its ingest event states other digests than the seal', expected: ingest.sha256, actual: statedSha256})
  }
}

export const eventsCheck: Check<ArchiveContext> = {
  name: 'events',
  async run(context) {
    const found = findings()
    const treeHead = isRecord(context.statement.treeHead) ? context.statement.treeHead : {}
    context.treeHead = {size: Number(treeHead.size), root: String(treeHead.root)}
    const file = context.files.get(EVENTS_PATH)
    const reread = createHash('sha256')
    const lines = file ? context.source.lines(file.info, BAG_LIMITS.eventLine, (chunk) => reread.update(chunk)) : noLines()
    const reading: Reading = {count: 0, first: undefined, previous: undefined, testimonyBytes: 0}
    const readWhole = await readEvents(context, lines, reading, found)
    if (file !== undefined && readWhole && reread.digest('hex') !== file.sha256) {
      found.push({subject: EVENTS_PATH, message: 'changed while it was being checked: read again, it is not the file hashed first'})
    }

    checkEventsFile(context, reading, file?.sha256, found)
    context.eventCount = reading.count
    // Each key with the event that replaced it, as the signatures check needs them.
    context.keys = keyHistory(context.keys)
    const {size, root} = context.treeHead
    return concluded(context, found, `${reading.count} events, each tied to the tree head ${root.slice(0, 16)}… of ${size} events`)
  },
}
