/**
 * A stored event of an encrypted case's ledger, as step 2 of docs/design/encryption-at-rest.md
 * ("Ledger") defines it: an envelope in clear and a body sealed under the key of the run that
 * wrote it.
 *
 *     envelope       = canonical JSON {v: 2, seq, time, prev, exhibit, run, tags, public?, bodyCommitment, bodySha256}
 *     bodyCommitment = hex SHA-256( salt (32) || UTF-8 canonical event )
 *     body           = nonce (12) || ChaCha20-Poly1305(run key, nonce, salt || canonical event,
 *                                                      AAD = UTF-8 canonical envelope without bodySha256)
 *     bodySha256     = hex SHA-256( body )
 *     hash(n)        = SHA-256( hash(n-1) (32) || UTF-8 canonical envelope )
 *
 * The chain and the Merkle tree are over the envelope, so that they are checked without a key.
 *
 * A carried row (a converted case's ledger, `custody encrypt`: docs/design/encryption-at-rest.md
 * "The converted case's ledger") keeps the hash and the leaf its event was written with, in clear,
 * before the case was encrypted: the chain and the tree are over the canonical event, as in a
 * ledger in clear. Its envelope is not chained:
 *
 *     carried envelope = canonical JSON {v: 2, seq, time, prev, exhibit, run, tags, public?, carried, bodySha256}
 *     carried          = hex RFC 6962 leaf hash of the canonical event (the tree's leaf, as written)
 *     body             = as above, its AAD the carried envelope without bodySha256
 *     hash(n)          = SHA-256( hash(n-1) (32) || UTF-8 canonical event )   (as written)
 *
 * The carried envelopes are bound to the chain as a block: the `ledger-converted` event after the
 * last of them records the SHA-256 of them all (each followed by a line feed), and a carried row
 * anywhere else is forged. Opening a carried body checks the event against its hash, its leaf and
 * its envelope.
 * The AAD binds a body to its envelope: a body moved to another row does not open. `bodySha256`
 * binds the body as stored to the chain, so that `custody verify` with no key finds a body changed
 * or swapped for another (it cannot open it); it says nothing of the content (the body is random
 * to whoever has no key). Envelopes written before it existed have none (their AAD is then the
 * whole envelope, as the definition above gives): their bodies are checked with a key only. The commitment
 * lets a sealed archive carry the event in clear with its salt, for a court to check against the
 * signed envelope with sha256sum alone. The event inside keeps its own seq, time, prev and
 * exhibit; opening a body checks them against its envelope.
 *
 * `public` holds, for the events that must be read before any key is open (the key events, and
 * restore-accepted's reserved numbers, the timestamp and config events that `custody timestamp`
 * reads), and for an ingest or a testimony the objects as stored that verify checks with no key,
 * what they say that is not evidence: publicOf() below.
 * `tags` holds the keyed tags of the row (src/ledger/tags.ts) in hex, so that a lookup's columns
 * are checked against the chained envelope without opening the body.
 */
import {createCipheriv, createDecipheriv, createHash, randomBytes} from 'node:crypto'
import {canonicalize} from '../canonical/jcs.js'
import {CustodyError} from '../errors.js'
import {parseEventText, type ConfigPayload, type CustodyEvent, type EventOfKind, type StoredObject, type TimestampPayload} from '../formats/events.js'
import {isHex64, isRecord} from '../formats/guards.js'
import {bytesToHex, hexToBytes} from '@noble/hashes/utils.js'
import {chainHash, eventLeafHash} from './event.js'

export const ENVELOPE_VERSION = 2
/** The salt before the canonical event in a body (so that the commitment of a guessable event cannot be confirmed by guessing). */
export const SALT_SIZE = 32
export const BODY_NONCE_SIZE = 12
const BODY_TAG_SIZE = 16
/** A run key: 32 random bytes, one a command run that appends. */
export const RUN_KEY_SIZE = 32

/** The keyed tags of a row, hex (HMAC-SHA-256 under the address key; which ones, tags.ts). */
export type EnvelopeTags = Partial<Record<'action' | 'content' | 'source' | 'file' | 'batch' | 'witness', string>>
const TAG_NAMES = new Set(['action', 'content', 'source', 'file', 'batch', 'witness'])

/** What an event says that is not evidence, read before or without a key (publicOf): plain values, and objects as stored. */
export type PublicFacts = Record<string, string | number | boolean | string[] | StoredObject | StoredObject[] | TimestampPayload | ConfigPayload>

/** An envelope's public facts as a ledger gives them out (Ledger.publicFacts): with the event's place, time and exhibit (the clear columns). */
export interface PublicFactsRow {
  seq: number
  time: string
  exhibit: string | null
  facts: PublicFacts
}

export interface Envelope {
  v: typeof ENVELOPE_VERSION
  seq: number
  time: string
  prev: string
  exhibit: string | null
  run: number
  tags: EnvelopeTags
  public?: PublicFacts
  bodyCommitment: string
  /** The SHA-256 of the body as stored (absent from envelopes written before custody recorded it). */
  bodySha256?: string
}

/**
 * The envelope of a carried row (see the top of this file): no commitment, and not chained; the
 * leaf its event was written with, and its body's SHA-256, always.
 */
export interface CarriedEnvelope extends Omit<Envelope, 'bodyCommitment' | 'bodySha256'> {
  carried: string
  bodySha256: string
}

/** An envelope as a schema-4 row may store it: chained, or (a converted case's first rows) carried. */
export type StoredEnvelope = Envelope | CarriedEnvelope

export function isCarried(envelope: StoredEnvelope): envelope is CarriedEnvelope {
  return 'carried' in envelope
}

/** What every carried envelope's canonical JSON begins with (its first keys in RFC 8785 order), and where its leaf lies. */
const CARRIED_HEAD = '{"bodySha256":"'
const CARRIED_LEAF_AT = CARRIED_HEAD.length + 64 + '","carried":"'.length

/**
 * The leaf a carried envelope states, read from its text without parsing it (hex), or undefined
 * for any other text: what the tree of a schema-4 ledger is over is each row's chained text, or
 * for a carried row the leaf its event was written with.
 */
export function carriedLeafOf(text: string): string | undefined {
  if (!text.startsWith(CARRIED_HEAD) || text.slice(CARRIED_LEAF_AT - 13, CARRIED_LEAF_AT) !== '","carried":"') return undefined
  const leaf = text.slice(CARRIED_LEAF_AT, CARRIED_LEAF_AT + 64)
  return isHex64(leaf) ? leaf : undefined
}

/** The leaf hash of a stored row's chained text (schema 2 or 3: the canonical event; 4: the envelope, or a carried row's leaf). */
export function storedLeafHash(text: string): Uint8Array {
  const carried = carriedLeafOf(text)
  return carried === undefined ? eventLeafHash(text) : hexToBytes(carried)
}

/** A row as an encrypted ledger stores it. */
export interface SealedRow {
  seq: number
  prev_hash: string
  hash: string
  envelope: string
  body: Buffer
}

/** The SHA-256 of a body as stored, as an envelope records it. */
export function bodySha256(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex')
}

/**
 * The AAD a body was sealed with: its envelope's canonical JSON without `bodySha256`, which is
 * computed from the sealed body and so cannot be in it. `text` is the envelope as stored (canonical,
 * as readEnvelope checked); an envelope without `bodySha256` is its own AAD.
 */
function associatedText(text: string): string {
  const value = JSON.parse(text) as Record<string, unknown>
  if (!('bodySha256' in value)) return text
  delete value.bodySha256
  return canonicalize(value)
}

/** The commitment to a body's content: what an archive's verifier recomputes from the salt and the event in clear. */
export function bodyCommitment(salt: Uint8Array, canonicalEvent: string): string {
  return createHash('sha256').update(salt).update(canonicalEvent, 'utf8').digest('hex')
}

/**
 * The facts of an event that are read before any key is open, and are not evidence: its action, the case's
 * ID, prefix and mode, the investigator's name sealed under the address key (never in clear), the
 * signing keys' public halves (never the holder's name), the recipients (never their labels),
 * which key files were destroyed, the reserved exhibit numbers, a transfer's ID and how many items
 * a release carried or a receipt acknowledged (never which, nor to whom); and the vault objects an event
 * records, as stored (`{vault, sha256, size}` of the age file: never a plaintext digest), which
 * verify checks with no key. Undefined for every other event.
 */
export function publicOf(event: CustodyEvent): PublicFacts | undefined {
  switch (event.action) {
    case 'create-case': {
      // The investigator's name and organisation only sealed (src/keys/sealed-investigator.ts): the default actor of a run that opens no body, and the custodian line.
      const {caseId, prefix, custodyVersion, caseRecipient, field, sealedInvestigator, sealedOrganisation} = event.payload
      return {
        action: event.action,
        caseId,
        prefix,
        custodyVersion,
        ...(caseRecipient === undefined ? {} : {caseRecipient}),
        ...(field === true ? {field} : {}),
        ...(sealedInvestigator === undefined ? {} : {sealedInvestigator}),
        ...(sealedOrganisation === undefined ? {} : {sealedOrganisation}),
      }
    }

    case 'key-created':
    case 'key-rotated': {
      const {algorithm, fingerprint, publicKey} = event.payload
      return {action: event.action, algorithm, fingerprint, publicKey, ...('replaces' in event.payload ? {replaces: event.payload.replaces} : {})}
    }

    case 'recipient-added':
      return {action: event.action, recipient: event.payload.recipient}
    case 'case-encrypted': {
      // A case in clear converted by `custody encrypt`: its case keys from then on, as create-case's.
      const {caseRecipient, field, objects} = event.payload
      return {action: event.action, ...(caseRecipient === undefined ? {} : {caseRecipient}), ...(field === true ? {field} : {}), objects}
    }
    case 'objects-encrypted':
      // A converted vault's objects as stored (carried rows of a converted ledger): verify checks them with no key. Not their SHA-256 in clear.
      return {action: event.action, stored: event.payload.objects.map((o) => o.stored)}
    case 'ledger-converted':
      // What binds the carried envelopes to the chain (the top of this file), and the name sealed, which the carried create-case lacks.
      return {action: event.action, ...event.payload}
    case 'keys-destroyed':
      return {action: event.action, files: event.payload.files}
    case 'restore-accepted':
      return {action: event.action, reservedExhibitNumbers: event.payload.reservedExhibitNumbers}
    case 'timestamp':
    case 'config':
      // What `custody timestamp` and `status` read with the passphrase alone: a TSA's tokens over
      // checkpoints, and which TSAs and roots the case uses. Nothing in them is evidence.
      return {action: event.action, payload: event.payload}
    case 'ingest': {
      // The original and the metadata record as stored (their age files' keyed paths, SHA-256 and
      // size, which the disk shows anyway): verify checks them present and intact with no key.
      // One written in clear (carried into a converted case's ledger) records none: its envelope's content tag says it is an ingest.
      const {stored, metadata} = event.payload
      return stored === undefined ? undefined : {action: event.action, original: stored, ...(metadata.stored === undefined ? {} : {record: metadata.stored})}
    }

    case 'testimony': {
      // The sealed identity record as stored, which verify checks with no key. No action: that a
      // testimony was taken, and that its witness gave protected details, stays in the body, as
      // every testimony action does (design, "Ledger"). Its statement and attachments are
      // exhibits, whose ingest events list them.
      const stored = event.payload.identity?.stored
      return stored === undefined ? undefined : {stored: [stored]}
    }

    case 'transfer-released':
    case 'field-transfer-released':
      return releaseFacts(event)

    case 'transfer-received':
    case 'transfer-acknowledged':
    case 'transfer-refused':
      return transferFacts(event)
    case 'purged':
      return purgedFacts(event)
    default:
      return undefined
  }
}

/**
 * A release's public facts, what `custody status` lists with no key (a field laptop holds none):
 * that a transfer was released, when (the envelope's time) and how many items; not to whom. A
 * field package's also names its exhibits, which the next one reads with no key (that they were
 * sent is said; which exhibits exist, the clear exhibit column says anyway), the SHA-256 of
 * the package (an age file), by which a package a killed export recorded is found and finished,
 * and the statement's release time, with which `transfer receipt` remakes the transfer ID from a
 * receipt's receiver and cosigned head: so a receipt is held to the receiver released to with no
 * key, and the receiver is not named in clear.
 */
function releaseFacts(event: EventOfKind<'transfer-released' | 'field-transfer-released'>): PublicFacts {
  const {transferId, items} = event.payload
  const facts = {action: event.action, transferId, items: items.length}
  if (event.action !== 'field-transfer-released') return facts
  const {payload} = event
  return {...facts, exhibits: payload.items.map((i) => i.exhibit), package: payload.package.sha256, releasedAt: payload.releasedAt}
}

/**
 * A purge's public facts: the objects it removed, as the disk shows anyway, so that verify tells
 * them from missing ones with no key; and the transfer and the receipt it stands on (that
 * acknowledgement's event and the receipt's SHA-256 in clear, which its envelope gives too), so
 * that verify holds it to that receipt with no key, as a field laptop must.
 */
function purgedFacts(event: EventOfKind<'purged'>): PublicFacts {
  const {transferId, receipt, objects} = event.payload
  return {action: event.action, objects: objects.map((o) => o.vault), transferId, receiptInClear: receipt.sha256, receiptEvent: receipt.seq}
}

/**
 * The files a transfer event says the case keeps, by their paths and SHA-256, as the disk shows
 * them anyway: verify checks them kept with no key. `transfer-received`: the package kept under
 * custodians/ (an age file) and the receipt beside it (not the package's name as it was received,
 * nor its items); `transfer-acknowledged`: the receipt kept for a transfer released;
 * `transfer-refused`: the receipt kept for a package refused (the package is not kept). A
 * receipt's SHA-256 is its age file's when it is kept encrypted: its SHA-256 in clear, a digest of
 * the items', stays in the body.
 */
function transferFacts(event: EventOfKind<'transfer-received' | 'transfer-acknowledged' | 'transfer-refused'>): PublicFacts {
  const {transferId, receipt} = event.payload
  const asStored = receipt.stored?.sha256 ?? receipt.sha256
  if (event.action === 'transfer-received') return {action: event.action, transferId, kept: event.payload.kept, package: event.payload.package.sha256, receipt: asStored}
  const facts: PublicFacts = {action: event.action, transferId, kept: event.payload.receipt.kept, receipt: asStored}
  if (event.action !== 'transfer-acknowledged') return facts
  // How many items the receipt acknowledged (none when it refused the package): what status counts
  // with no key. Of a receipt kept encrypted, its SHA-256 in clear too: what a purge on its word
  // names, written with no key on a field laptop (the digests the receipt lists stay inside it).
  const counted = {...facts, acknowledged: event.payload.acknowledged.length}
  return receipt.stored === undefined ? counted : {...counted, receiptInClear: receipt.sha256}
}

/**
 * The public facts an envelope may hold for its event: publicOf's, and for the events whose facts
 * grew (a release's, an acknowledgement's count and receipt in clear, a purge's receipt), those that development builds of
 * schema 4 wrote before, which a chained envelope keeps: read as before, as an envelope without
 * `bodySha256` is. Nothing else.
 */
function factsAllowed(event: CustodyEvent): string[] {
  const now = canonicalize(publicOf(event) ?? null)
  if (event.action === 'transfer-released') return [now, 'null']
  if (event.action === 'transfer-acknowledged') {
    const {acknowledged: _count, receiptInClear: _clear, ...before} = transferFacts(event)
    const {receiptInClear: _inClear, ...counted} = transferFacts(event)
    return [now, canonicalize(counted), canonicalize(before)]
  }

  // A purge's facts named only its objects before the transfer and receipt were added (2026-12-06).
  if (event.action === 'purged') return [now, canonicalize({action: event.action, objects: event.payload.objects.map((o) => o.vault)})]
  return [now]
}

/** A body sealed under the run key, bound to its envelope by the AAD. */
function sealBody(runKey: Uint8Array, canonicalEnvelope: string, salt: Uint8Array, canonicalEvent: string): Buffer {
  const nonce = randomBytes(BODY_NONCE_SIZE)
  const cipher = createCipheriv('chacha20-poly1305', runKey, nonce, {authTagLength: BODY_TAG_SIZE})
  cipher.setAAD(Buffer.from(canonicalEnvelope, 'utf8'), {plaintextLength: SALT_SIZE + Buffer.byteLength(canonicalEvent)})
  return Buffer.concat([nonce, cipher.update(salt), cipher.update(canonicalEvent, 'utf8'), cipher.final(), cipher.getAuthTag()])
}

/** The salt and canonical event of a body, or undefined when it does not open under this key and envelope. */
function openSealedBody(runKey: Uint8Array, canonicalEnvelope: string, body: Buffer): {salt: Buffer; canonical: string} | undefined {
  if (body.length < BODY_NONCE_SIZE + SALT_SIZE + BODY_TAG_SIZE) return undefined
  const decipher = createDecipheriv('chacha20-poly1305', runKey, body.subarray(0, BODY_NONCE_SIZE), {authTagLength: BODY_TAG_SIZE})
  decipher.setAAD(Buffer.from(canonicalEnvelope, 'utf8'), {plaintextLength: body.length - BODY_NONCE_SIZE - BODY_TAG_SIZE})
  decipher.setAuthTag(body.subarray(body.length - BODY_TAG_SIZE))
  try {
    const plain = Buffer.concat([decipher.update(body.subarray(BODY_NONCE_SIZE, body.length - BODY_TAG_SIZE)), decipher.final()])
    return {salt: plain.subarray(0, SALT_SIZE), canonical: plain.subarray(SALT_SIZE).toString('utf8')}
  } catch {
    return undefined
  }
}

/** What every envelope says of its event, chained or carried: its place, time, exhibit, run, tags and public facts. */
function envelopeFields(event: CustodyEvent, run: number, tags: EnvelopeTags): Omit<Envelope, 'bodyCommitment' | 'bodySha256'> {
  const facts = publicOf(event)
  return {v: ENVELOPE_VERSION, seq: event.seq, time: event.time, prev: event.prev, exhibit: event.exhibit, run, tags, ...(facts === undefined ? {} : {public: facts})}
}

/**
 * The row an event is stored as: its envelope (with the tags and run given), its body sealed
 * under the run key, and its hash in the chain. `event.prev` is the previous row's hash.
 */
export function sealRow(event: CustodyEvent, run: number, tags: EnvelopeTags, runKey: Uint8Array): {row: SealedRow; canonicalEvent: string; salt: Buffer} {
  const canonicalEvent = canonicalize(event)
  const salt = randomBytes(SALT_SIZE)
  const envelope: Envelope = {...envelopeFields(event, run, tags), bodyCommitment: bodyCommitment(salt, canonicalEvent)}
  const body = sealBody(runKey, canonicalize(envelope), salt, canonicalEvent)
  const text = canonicalize({...envelope, bodySha256: bodySha256(body)})
  const row = {seq: event.seq, prev_hash: event.prev, hash: chainHash(event.prev, text), envelope: text, body}
  return {row, canonicalEvent, salt}
}

/** Why the row of event `seq` cannot be trusted: the ledger was changed outside custody. */
export function forgedRow(seq: number, problem: string): CustodyError {
  return new CustodyError('INTEGRITY', `event ${seq} of the ledger ${problem}: the ledger was changed outside custody. Run \`custody verify\`, and keep a copy of the case as it is`, {
    subject: `event ${seq}`,
  })
}

/** What a body's envelope must agree with: its event's own place, time and exhibit. */
function disagreement(envelope: StoredEnvelope, event: CustodyEvent): string | undefined {
  for (const name of ['seq', 'time', 'prev', 'exhibit'] as const) {
    if (envelope[name] !== event[name]) return `has an envelope whose ${name} is not its event's`
  }

  return undefined
}

/**
 * What is wrong with an opened body (its salt and canonical event) against its envelope: the
 * commitment, the public facts, the event's own seq, time, prev and exhibit. Undefined when
 * nothing is. Shared by the ledger (openRow) and an archive's verifier, which reads the event in
 * clear with its salt.
 */
export function bodyProblem(envelope: Envelope, event: CustodyEvent, canonicalEvent: string, salt: Uint8Array): string | undefined {
  if (bodyCommitment(salt, canonicalEvent) !== envelope.bodyCommitment) return "has a body that does not match its envelope's commitment"
  if (canonicalize(event) !== canonicalEvent) return 'has a body whose event is not in canonical form'
  if (!factsAllowed(event).includes(canonicalize(envelope.public ?? null))) return "has an envelope whose public facts are not its event's"
  return disagreement(envelope, event)
}

/**
 * The event of a row, once its body opened under the run key and its envelope, its commitment
 * matched and its event agreed with the envelope; INTEGRITY naming the event otherwise. The row's
 * envelope must already have been read (readEnvelope) and the row's chain checked by the caller.
 */
export function openRow(row: SealedRow, envelope: Envelope, runKey: Uint8Array): {event: CustodyEvent; canonical: string; salt: Buffer} {
  const stored = storedBodyProblem(envelope, row.body)
  if (stored !== undefined) throw forgedRow(row.seq, stored)
  const opened = openSealedBody(runKey, associatedText(row.envelope), row.body)
  if (opened === undefined) throw forgedRow(row.seq, `has a body that does not open under its run's key and its envelope (a body changed or moved from another event, or the run's key in the ledger replaced)`)
  if (bodyCommitment(opened.salt, opened.canonical) !== envelope.bodyCommitment) throw forgedRow(row.seq, "has a body that does not match its envelope's commitment")
  const read = parseEventText(opened.canonical)
  if (!('event' in read)) throw forgedRow(row.seq, `has a body that is not an event (${read.problem})`)
  const problem = bodyProblem(envelope, read.event, opened.canonical, opened.salt)
  if (problem !== undefined) throw forgedRow(row.seq, problem)
  return {event: read.event, canonical: opened.canonical, salt: opened.salt}
}

/**
 * A row written in clear, carried into a sealed ledger (see the top of this file): its hash and
 * prev as written, its leaf in a carried envelope, its event sealed under the run key.
 */
export function carryRow(row: {seq: number; prev_hash: string; hash: string}, event: CustodyEvent, canonicalEvent: string, run: number, tags: EnvelopeTags, runKey: Uint8Array): SealedRow {
  const envelope: Omit<CarriedEnvelope, 'bodySha256'> = {...envelopeFields(event, run, tags), carried: bytesToHex(eventLeafHash(canonicalEvent))}
  const body = sealBody(runKey, canonicalize(envelope), randomBytes(SALT_SIZE), canonicalEvent)
  return {seq: row.seq, prev_hash: row.prev_hash, hash: row.hash, envelope: canonicalize({...envelope, bodySha256: bodySha256(body)}), body}
}

/**
 * The event of a carried row, once its body opened under the run key and its envelope, and its
 * event is the one the row's hash and the envelope's leaf were written over, agreeing with the
 * envelope; INTEGRITY naming the event otherwise.
 */
export function openCarried(row: SealedRow, envelope: CarriedEnvelope, runKey: Uint8Array): {event: CustodyEvent; canonical: string} {
  if (bodySha256(row.body) !== envelope.bodySha256) throw forgedRow(row.seq, 'has a body that is not the one its envelope records (its SHA-256 differs): a body changed, or swapped for another')
  const opened = openSealedBody(runKey, associatedText(row.envelope), row.body)
  if (opened === undefined) throw forgedRow(row.seq, `has a body that does not open under its run's key and its envelope (a body changed or moved from another event, or the run's key in the ledger replaced)`)
  if (chainHash(row.prev_hash, opened.canonical) !== row.hash) throw forgedRow(row.seq, 'has a body whose event is not the one its hash was written over')
  if (bytesToHex(eventLeafHash(opened.canonical)) !== envelope.carried) throw forgedRow(row.seq, "has a body whose event is not the one its envelope's leaf was written over")
  const read = parseEventText(opened.canonical)
  if (!('event' in read)) throw forgedRow(row.seq, `has a body that is not an event (${read.problem})`)
  if (canonicalize(read.event) !== opened.canonical) throw forgedRow(row.seq, 'has a body whose event is not in canonical form')
  if (!factsAllowed(read.event).includes(canonicalize(envelope.public ?? null))) throw forgedRow(row.seq, "has an envelope whose public facts are not its event's")
  const problem = disagreement(envelope, read.event)
  if (problem !== undefined) throw forgedRow(row.seq, problem)
  return {event: read.event, canonical: opened.canonical}
}

/**
 * What is wrong with a body as stored against its envelope's `bodySha256`, checked with no key:
 * undefined when it agrees, or when the envelope records none (written before custody recorded it).
 */
export function storedBodyProblem(envelope: StoredEnvelope, body: Uint8Array): string | undefined {
  if (envelope.bodySha256 === undefined || bodySha256(body) === envelope.bodySha256) return undefined
  return 'has a body that is not the one its envelope records (its SHA-256 differs): a body changed, or swapped for another'
}

/** A tags object as an envelope holds it: only known names, each 64 hex. */
function isTags(value: unknown): value is EnvelopeTags {
  return isRecord(value) && Object.entries(value).every(([name, tag]) => TAG_NAMES.has(name) && isHex64(tag))
}

/** An object as stored: exactly its path, its age file's SHA-256 and its size. */
function isStoredObject(value: unknown): boolean {
  if (!isRecord(value) || Object.keys(value).sort().join() !== 'sha256,size,vault') return false
  return typeof value.vault === 'string' && isHex64(value.sha256) && Number.isSafeInteger(value.size) && (value.size as number) > 0
}

/** A public object: flat, of strings, numbers, booleans, objects as stored, and lists of strings or of objects as stored. */
function isPublic(value: unknown): value is PublicFacts {
  const list = (v: unknown): boolean => Array.isArray(v) && (v.every((s) => typeof s === 'string') || v.every(isStoredObject))
  const plain = (v: unknown): boolean => ['string', 'number', 'boolean'].includes(typeof v) || list(v) || isStoredObject(v)
  return isRecord(value) && Object.entries(value).every(([name, v]) => plain(v) || (name === 'payload' && isRecord(v)))
}

const ENVELOPE_FIELDS = new Set(['v', 'seq', 'time', 'prev', 'exhibit', 'run', 'tags', 'public', 'bodyCommitment', 'bodySha256', 'carried'])

/** Reads an envelope from hostile text (a ledger row, an archive's line): the envelope, or what is wrong with it. Never throws. A carried one is refused. */
export function readEnvelope(text: string): {envelope: Envelope} | {problem: string} {
  const read = readStoredEnvelope(text)
  if ('envelope' in read && isCarried(read.envelope)) return {problem: "its envelope is a carried row's, which is not chained"}
  return read as {envelope: Envelope} | {problem: string}
}

/** Reads an envelope of a schema-4 row from hostile text: chained, or carried (a converted case's first rows). Never throws. */
export function readStoredEnvelope(text: string): {envelope: StoredEnvelope} | {problem: string} {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return {problem: 'its envelope is not JSON'}
  }

  if (!isRecord(value)) return {problem: 'its envelope is not a JSON object'}
  const unknown = Object.keys(value).find((name) => !ENVELOPE_FIELDS.has(name))
  if (unknown !== undefined) return {problem: `its envelope has a field no envelope has: ${JSON.stringify(unknown.slice(0, 40))}`}
  const {v, seq, time, prev, exhibit, run, tags, bodyCommitment: commitment} = value
  const carried = 'carried' in value
  const wrong =
    v !== ENVELOPE_VERSION ? 'v'
    : !Number.isSafeInteger(seq) || (seq as number) < 0 ? 'seq'
    : typeof time !== 'string' ? 'time'
    : !isHex64(prev) ? 'prev'
    : exhibit !== null && typeof exhibit !== 'string' ? 'exhibit'
    : !Number.isSafeInteger(run) || (run as number) < 0 ? 'run'
    : !isTags(tags) ? 'tags'
    : value.public !== undefined && !isPublic(value.public) ? 'public'
    : carried ? (commitment !== undefined ? 'bodyCommitment' : !isHex64(value.carried) ? 'carried' : !isHex64(value.bodySha256) ? 'bodySha256' : undefined)
    : !isHex64(commitment) ? 'bodyCommitment'
    : value.bodySha256 !== undefined && !isHex64(value.bodySha256) ? 'bodySha256'
    : undefined
  if (wrong !== undefined) return {problem: `its envelope's ${wrong} is not what custody writes`}
  if (canonicalize(value) !== text) return {problem: 'its envelope is not in canonical form'}
  return {envelope: value as unknown as StoredEnvelope}
}
