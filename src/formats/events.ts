/**
 * The custody event format: every action of the ledger with the payload custody writes for it, and
 * one parser, parseEvent(), for events read from anywhere (the case's ledger, an archive's
 * events.jsonl, a test). Events are hostile input until parseEvent() has said what they are;
 * after it, a reader takes fields from a typed CustodyEvent and casts nothing.
 *
 * The envelope (v, seq, time, actor, action, exhibit, payload, prev) is the one hashed into the
 * chain (src/ledger/event.ts); each action adds a typed payload, whose format is written here
 * exactly as custody's writers make it today (src/ingest, src/testimony, src/seal, ...).
 *
 * Adding an action: give its payload an interface and an entry in PayloadOf (which names the
 * action: EventAction is its keys), and its reader an entry in ACTIONS. The compiler refuses the
 * build until both agree, field by field, and until every writer and every reader that must
 * handle each action (the log's summary, src/render/reports.ts) handles it.
 *
 * Unknown payload fields are refused, not ignored. custody never writes a field its format does
 * not name, and an event's bytes are hashed, signed and carried into every sealed archive: a field
 * no reader looks at would be carried to a court unseen, a place to hide content (a witness's
 * name, past the identifying-content checks) that every reader would pass over. A format that
 * gains a field does so here, in the same change as its writer, so old custody reading a newer
 * event says so plainly instead of half-reading it.
 *
 * Bounds: a whole event is at most MAX_EVENT_BYTES (parseEventText refuses a longer one before
 * parsing it), so reading one is linear work in at most 1 MiB. Within it, lists and strings are
 * bounded where custody's own writers bound them: 1,000 exhibits to a sealed-exhibits event,
 * witness codes of at most 32 characters, digests of their exact length, four consent scopes.
 */
import {CONSENT_METHODS, CONSENT_SCOPES, type ConsentMethod, type ConsentScope} from '../testimony/vocabulary.js'
import {HEX64, isRecord} from './guards.js'
import {
  FieldProblem,
  boolean,
  describeValue,
  dictionary,
  finite,
  integer,
  list,
  literal,
  nullable,
  object,
  oneOf,
  optional,
  refine,
  text,
  type JsonSchema,
  type Reader,
} from './event-readers.js'

// ---------------------------------------------------------------------------------------------
// The envelope

export const EVENT_VERSION = 1

/**
 * The largest canonical event the ledger takes. Events are small (the largest custody writes, a
 * list of 1,000 sealed exhibits, is about 12 KB); the bound lets a verifier refuse a hostile line
 * of an archive's events long before it could fill the memory.
 */
export const MAX_EVENT_BYTES = 1024 * 1024

// ---------------------------------------------------------------------------------------------
// The forms of the values custody writes

/** The most exhibits one `sealed-exhibits` event lists (the seal writes them 1,000 an event). */
export const MAX_SEALED_EXHIBITS_PER_EVENT = 1000

/** The most items one transfer releases: its `transfer-released` event lists them all, and stays far under the event size limit. */
export const MAX_TRANSFER_ITEMS = 1000

/** The most objects one `objects-encrypted` event lists: some 300 bytes each, well inside an event's limit. */
export const MAX_ENCRYPTED_OBJECTS_PER_EVENT = 1000

/** A witness code (W-014): letters, digits, '.', '_' or '-', at most 32, never a name. */
export const WITNESS_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/

/** An exhibit ID: the case's prefix (1 to 12 capitals or digits), '-', the number padded to six digits. */
export const EXHIBIT_ID = /^[A-Z][A-Z0-9]{0,11}-(?:\d{6}|[1-9]\d{6,14})$/

/** A UTC time as Date.toISOString() writes it, with milliseconds (and six signed digits for a year past 0000-9999). */
const ISO_UTC_MS = /^(?:\d{4}|[+-]\d{6})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** A time with its zone as an investigator gives it (testimony: 2024-03-01T14:05+02:00). */
const ZONED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/

const hex64 = text({pattern: HEX64, expected: '64 lower-case hex'})
const hex128 = text({pattern: /^[0-9a-f]{128}$/, expected: '128 lower-case hex'})
const fingerprint = text({pattern: /^SHA256:[0-9a-f]{64}$/, expected: '"SHA256:" and 64 lower-case hex'})
const exhibitId = text({pattern: EXHIBIT_ID, expected: 'an exhibit ID such as EX-000001'})
const witnessCode = text({pattern: WITNESS_CODE, expected: 'a witness code such as W-014 (at most 32 letters, digits, ".", "_" or "-")'})
const sealId = text({pattern: /^SEAL-[0-9a-f]{16}$/, expected: '"SEAL-" and 16 lower-case hex'})
const batchId = text({pattern: /^BATCH-[0-9a-f]{16}$/, expected: '"BATCH-" and 16 lower-case hex'})
const transferId = text({pattern: /^TRANSFER-[0-9a-f]{16}$/, expected: '"TRANSFER-" and 16 lower-case hex'})
const caseId = text({pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, expected: 'a UUID in lower-case hex'})
const nonEmpty = text({nonEmpty: true})
const custodianLine = text({pattern: /^custody-custodian1 [A-Za-z0-9_-]+$/, expected: 'a custodian identity line (custody-custodian1 and base64url)'})
const anyText = text()
const count = integer(0)

const isoUtcMs: Reader<string> = refine(text({pattern: ISO_UTC_MS, expected: 'a UTC time such as 2024-03-01T12:05:00.000Z'}), (value, at) =>
  // Date.parse rolls 30 February over into March (or gives NaN): the time must print back as written.
  isoRoundTrips(value) ? undefined : [at, 'a UTC time that exists in the calendar', value],
)
function isoRoundTrips(value: string): boolean {
  const ms = Date.parse(value)
  return !Number.isNaN(ms) && new Date(ms).toISOString() === value
}

const zonedTime = text({pattern: ZONED_TIME, expected: 'an ISO 8601 time with its zone, such as 2024-03-01T14:05+02:00'})

/** Canonical base64 (what Buffer#toString('base64') writes): decoding and encoding again gives it back. */
function base64(expected: string, pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/): Reader<string> {
  return refine(text({pattern, expected}), (value, at) => (Buffer.from(value, 'base64').toString('base64') === value ? undefined : [at, `${expected}, canonical`, value]))
}

/** RFC 8410 SubjectPublicKeyInfo of an Ed25519 key (44 bytes), in base64: its fixed prefix, then the key. */
const ed25519Spki = base64('the base64 DER of an Ed25519 public key (RFC 8410)', /^MCowBQYDK2VwAyEA[A-Za-z0-9+/]{43}=$/)

/** An X25519 age recipient as age-keygen prints it: `age1` and 58 Bech32 characters (src/age/x25519.ts reads its key). */
const ageRecipient = text({pattern: /^age1[02-9ac-hj-np-z]{58}$/, expected: 'an age recipient: age1 and 58 lower-case Bech32 characters'})

const consentScope: Reader<ConsentScope> = oneOf(Object.keys(CONSENT_SCOPES) as ConsentScope[])
const consentMethod: Reader<ConsentMethod> = oneOf(Object.keys(CONSENT_METHODS) as ConsentMethod[])
const consentScopes = list(consentScope, {unique: true})

// ---------------------------------------------------------------------------------------------
// Shapes shared by several payloads

/** A TSA root certificate the case trusts (src/case/settings.ts). */
export interface TrustedRootFormat {
  subject: string
  /** SHA-256 of the certificate's DER. */
  sha256: string
  pem: string
}

const trustedRoot = object<TrustedRootFormat>({subject: anyText, sha256: hex64, pem: nonEmpty})

/**
 * What custody records of a file it was given (src/ingest/ingest.ts fileFacts): its name, path and
 * modification time; or, for a witness's file, a name custody chose and `withheld` in place of the
 * path. `modifiedAt` is null when the file could not be examined.
 */
export interface FileFacts {
  name: string
  path: string | null
  modifiedAt: string | null
  relativePath?: string
  symlinkTarget?: string
  withheld?: string
}

const fileFacts = refine(
  object<FileFacts>({
    name: anyText,
    path: nullable(nonEmpty),
    modifiedAt: nullable(isoUtcMs),
    relativePath: optional(anyText),
    symlinkTarget: optional(anyText),
    withheld: optional(nonEmpty),
  }),
  (f, at) => {
    if ((f.path === null) !== (f.withheld !== undefined)) return [`${at}.path`, 'null exactly when the file is withheld', f.path]
    if (f.withheld !== undefined && (f.relativePath !== undefined || f.symlinkTarget !== undefined)) return [`${at}.withheld`, 'no relativePath or symlinkTarget beside it', f.withheld]
    return undefined
  },
)

export interface Digests {
  sha256: string
  sha512: string
}

const digests = object<Digests>({sha256: hex64, sha512: hex128})

/** Where and by whom a file was collected, as given (flags or a manifest row); every field optional. */
export interface Collected {
  /** ISO 8601 date or time as given; with `offset` (its zone, null when it has none). */
  at?: string
  offset?: string | null
  by?: string
  location?: string
  latitude?: number
  longitude?: number
  source?: string
}

const collected = refine(
  object<Collected>({
    at: optional(nonEmpty),
    offset: optional(nullable(anyText)),
    by: optional(nonEmpty),
    location: optional(nonEmpty),
    latitude: optional(finite(90)),
    longitude: optional(finite(180)),
    source: optional(nonEmpty),
  }),
  (c, at) => {
    if ((c.at === undefined) !== (c.offset === undefined)) return [`${at}.offset`, 'present exactly when "at" is', c.offset]
    if ((c.latitude === undefined) !== (c.longitude === undefined)) return [`${at}.longitude`, 'present exactly when latitude is', c.longitude]
    return undefined
  },
)

/** The fields a batch adds to the events of its files (src/ingest/ingest.ts, `extra`). */
export interface BatchFields {
  /** The manifest row's columns that custody does not know, as given. */
  tags?: {[column: string]: string}
  manifestLine?: number
  batch?: string
}

const batchFields = {tags: optional(dictionary(anyText)), manifestLine: optional(integer(1)), batch: optional(batchId)}

/** src/metadata/normalise.ts NormalisedMetadata, as the ingest event carries it. */
export interface NormalisedMetadataFormat {
  mimeType: string | null
  fileType: string | null
  captureTime: {local: string; offset: string | null; utc: string | null; source: string; offsetSource: string | null} | null
  gps: {latitude: number; longitude: number; altitude: number | null; source: string} | null
  device: {make: string | null; model: string | null; serialNumber: string | null}
  software: string | null
  image: {width: number; height: number} | null
  sources: {[field: string]: string}
}

const orNull = nullable(anyText)
const normalisedMetadata = object<NormalisedMetadataFormat>({
  mimeType: orNull,
  fileType: orNull,
  captureTime: nullable(object({local: anyText, offset: orNull, utc: nullable(isoUtcMs), source: anyText, offsetSource: orNull})),
  gps: nullable(object({latitude: finite(90), longitude: finite(180), altitude: nullable(finite()), source: anyText})),
  device: object({make: orNull, model: orNull, serialNumber: orNull}),
  software: orNull,
  // Read from the file as ExifTool gives it: any number a crafted file holds is recorded as it is.
  image: nullable(object({width: finite(), height: finite()})),
  sources: dictionary(anyText),
})

/**
 * An object of an encrypted vault as it is stored (src/vault/sealed-objects.ts): its path in the
 * case folder (`vault/objects/<2 hex>/<64 hex>.age`, a keyed address) and its age file's SHA-256
 * and size, so that `custody verify` checks it present and intact without a key.
 */
export interface StoredObject {
  vault: string
  sha256: string
  size: number
}

const SEALED_VAULT_PATH = /^vault\/objects\/([0-9a-f]{2})\/\1[0-9a-f]{62}\.age$/
const sealedVaultPath = text({pattern: SEALED_VAULT_PATH, expected: 'vault/objects/<2 hex>/<the same 2 hex and 62 more>.age'})
const storedObject = object<StoredObject>({
  vault: sealedVaultPath,
  sha256: text({pattern: HEX64, expected: '64 lower-case hex'}),
  size: integer(1),
})
/** An item of a field package, as its release event and the package's statement (src/transfers/field-statement.ts) both give it: the original first, then its record if it has one. */
export const FIELD_TRANSFER_ITEM: Reader<FieldTransferItem> = object<FieldTransferItem>({
  exhibit: exhibitId,
  seq: integer(0),
  objects: list(object<FieldTransferObject>({role: oneOf(['original', 'record'] as const), vault: sealedVaultPath, sha256: hex64, size: integer(1)}), {min: 1, max: 2}),
})

export interface MetadataSummary {
  /** SHA-256 of the complete ExifTool record, stored in the vault. */
  record: string
  /** In an encrypted vault: the record as stored. */
  stored?: StoredObject
  /** "ExifTool 13.59" */
  reader: string
  normalised: NormalisedMetadataFormat
  warnings: string[]
  errors: string[]
}

const metadataSummary = object<MetadataSummary>({record: hex64, stored: optional(storedObject), reader: nonEmpty, normalised: normalisedMetadata, warnings: list(anyText), errors: list(anyText)})

/** The search of a testimony's statement and attachments for the witness's name and contact. */
export interface ContentCheckFormat {
  searchedFor: Array<'name' | 'contact'>
  statementText: {searched: boolean; reason: string | null}
  /** Where the name or contact was found ("statement", "attachment 2 metadata (EXIF:IFD0:Artist)"). */
  identifying: string[]
}

const contentCheck = nullable(
  object<ContentCheckFormat>({
    searchedFor: list(oneOf(['name', 'contact']), {min: 1, unique: true}),
    statementText: object({searched: boolean, reason: orNull}),
    identifying: list(nonEmpty),
  }),
)

/** A version of a statement, or an attachment: an exhibit and its SHA-256. */
export interface ExhibitRef {
  exhibit: string
  sha256: string
}

const exhibitRef = object<ExhibitRef>({exhibit: exhibitId, sha256: hex64})

// ---------------------------------------------------------------------------------------------
// The payload of each action

/** `create-case`, the first event: what the case is (src/case/case.ts). */
export interface CreateCasePayload {
  caseId: string
  title: string
  investigator: string
  organisation: string | null
  /** The exhibit ID prefix: 1 to 12 capitals or digits, starting with a letter. */
  prefix: string
  custodyVersion: string
  /** The case identity's age recipient (age1…): the case's own key to its encrypted content; absent in field mode and in cases made before it. */
  caseRecipient?: string
  /** A field case (`init --field`): no key on the laptop decrypts its content, only its recipients' identities. */
  field?: true
  /**
   * A case whose ledger seals its event bodies: the investigator's name sealed under a key derived
   * from the address key, base64 (src/keys/sealed-investigator.ts), so that a run that opens no
   * body records its events in that name. In the envelope's public facts too.
   */
  sealedInvestigator?: string
  /** Its organisation sealed the same way (the empty string for none), for the custodian line. */
  sealedOrganisation?: string
}

/** `recipient-added`: an age recipient (HQ's) that opens the whole case with its own identity (src/keys/case-keys.ts). */
export interface RecipientAddedPayload {
  /** age1… as age-keygen prints it. */
  recipient: string
  /** Whose it is, as the investigator named it. */
  label?: string
}

/** `keys-destroyed`: the local keys were overwritten and removed (`custody key destroy`); the recipients still open the case. */
export interface KeysDestroyedPayload {
  /** What was destroyed, as names of files under .custody/keys/. */
  files: string[]
  reason: string | null
}

/** One object of a vault converted by `custody encrypt`: the plaintext's SHA-256 (as its events name it) and the age file it became. */
export interface EncryptedObject {
  sha256: string
  stored: StoredObject
}

/**
 * `objects-encrypted`: objects of a case in clear, each now an age file at its keyed address
 * (`custody encrypt`, src/case/encrypt.ts). The events that named them (ingest, testimony) record
 * no stored form: these do, so that `custody verify` checks them as stored without a key.
 */
export interface ObjectsEncryptedPayload {
  objects: EncryptedObject[]
}

/** `case-encrypted`: a case in clear now has case keys (`custody encrypt`); what `create-case` says of them in a case made encrypted. */
export interface CaseEncryptedPayload {
  /** The case identity's age recipient; absent in a field case. */
  caseRecipient?: string
  field?: true
  /** How many objects the `objects-encrypted` events before it converted. */
  objects: number
}

/**
 * `ledger-converted`: the ledger of a converted case (`custody encrypt`) rewritten in place as an
 * encrypted one: its first `carried` events kept at their sequence numbers with their hashes and
 * leaves as written, each sealed, each beside an envelope in clear that is not chained
 * (src/ledger/envelope.ts, "carried"). `envelopes` is the SHA-256 of those envelopes as stored,
 * each followed by a line feed: so that they are bound to the chain through this event's own.
 */
export interface LedgerConvertedPayload {
  carried: number
  envelopes: string
  /**
   * The investigator's name and organisation sealed under the address key, as create-case holds
   * them in a case made encrypted (src/keys/sealed-investigator.ts): the carried create-case was
   * written in clear and holds none, and a run that opens no body (a write-only ingest, a field
   * case's passphrase) records its events in that name.
   */
  sealedInvestigator: string
  sealedOrganisation: string
}

/** `key-created` (the case's first signing key) and, with `replaces` and `reason`, `key-rotated`. */
export interface KeyCreatedPayload {
  algorithm: 'Ed25519'
  fingerprint: string
  /** Base64 DER SubjectPublicKeyInfo (RFC 8410). */
  publicKey: string
  holder: string
}

export interface KeyRotatedPayload extends KeyCreatedPayload {
  /** The fingerprint of the key this one replaces. */
  replaces: string
  reason: string
}

/** `config`: a setting's new value (src/case/settings.ts). */
export type ConfigPayload = {setting: 'tsa'; value: string[]} | {setting: 'tsa-ca'; value: TrustedRootFormat[]}

/** `ingest`: a new exhibit. */
export interface IngestPayload extends BatchFields {
  file: FileFacts
  digests: Digests
  size: number
  /** The object's path in the case folder: vault/sha256/<first two hex>/<sha256>; in an encrypted vault, `stored.vault`. */
  vault: string
  /** In an encrypted vault: the original as stored. */
  stored?: StoredObject
  collected: Collected
  note: string | null
  metadata: MetadataSummary
  /**
   * An exhibit received from another custodian (`custody transfer accept`): the sender's case, its
   * exhibit ID and the sequence number of its ingest event there, and the transfer that brought it.
   * The file, collection, note and metadata are the sender's, as its ingest event records them.
   */
  received?: ReceivedFrom
}

/** Where a received exhibit came from: the sender's case and exhibit ID, its ingest event there, the transfer. */
export interface ReceivedFrom {
  case: string
  exhibit: string
  seq: number
  transferId: string
}

/** `presented-again`: a file whose content is already an exhibit (or already in the vault). */
export interface PresentedAgainPayload extends BatchFields {
  file: FileFacts
  digests: Digests
  size: number
  collected: Collected
  note: string | null
}

/** `ingest-failed`: a file that became no exhibit, and why (a CustodyError's code and message). */
export interface IngestFailedPayload extends BatchFields {
  file: FileFacts
  error: {code: string; message: string}
}

/** `seal`: a sealed archive (src/seal/seal.ts); its exhibits follow in `sealed-exhibits` events. */
export interface SealPayload {
  sealId: string
  archive: {name: string; sha256: string; size: number}
  exhibitCount: number
  treeHead: {size: number; root: string}
  sealedAt: string
  purpose: string | null
  note: string | null
  /** Testimony exhibits left out because consent does not cover the purpose. */
  leftOut: Array<{exhibit: string; testimony: string; reason: string}>
}

/** `sealed-exhibits`: up to 1,000 of a seal's exhibits, in archive order, from number `first`. */
export interface SealedExhibitsPayload {
  sealId: string
  first: number
  exhibits: string[]
}

/** A token as `custody timestamp` keeps it (src/timestamps/stamp-case.ts StoredToken). */
export interface StoredTokenFormat {
  tsa: string
  /** Base64 DER TimeStampResp, as the TSA sent it. */
  token: string
  genTime: string
  serial: string
  policy: string
  signer: string
  chain: string[]
}

/** `timestamp`: the tokens (or the failures) for one signed checkpoint. */
export interface TimestampPayload {
  checkpoint: {seq: number; treeSize: number; sha256: string}
  status: 'stamped' | 'waiting'
  tokens: StoredTokenFormat[]
  failures: Array<{tsa: string; problem: string}>
  roots: TrustedRootFormat[]
}

/** `testimony`: a witness's testimony; the event's exhibit is the statement's. */
export interface TestimonyPayload {
  witness: string
  interview: {startedAt: string; endedAt: string | null; place: string; interviewers: string[]; present: string[]; interpreter: string | null; languages: string[]}
  vulnerable: boolean
  consent: {scopes: ConsentScope[]; method: ConsentMethod | null; givenAt: string | null}
  /** The encrypted identity record, never its content; null when none was given. */
  identity: {commitment: string; sealedRecord: string; stored?: StoredObject; encryptedTo: string; fields: Array<'name' | 'contact' | 'notes' | 'vulnerability' | 'referral'>} | null
  statement: {version: 1; exhibit: string; sha256: string}
  attachments: ExhibitRef[]
  note: string | null
  contentCheck: ContentCheckFormat | null
}

/** `testimony-amended`: a new version of the statement; the event's exhibit is the testimony's. */
export interface TestimonyAmendedPayload {
  witness: string
  version: number
  statement: ExhibitRef
  previous: ExhibitRef & {version: number}
  reason: string
  contentCheck: ContentCheckFormat | null
}

/** `consent-changed`: scopes granted or withdrawn, dated when the witness did so. */
export interface ConsentChangedPayload {
  witness: string
  granted: ConsentScope[]
  withdrawn: ConsentScope[]
  method: ConsentMethod | null
  at: string
  note: string | null
}

/** `identity-viewed`: someone opened a witness's protected identity (and perhaps disclosed it). */
export interface IdentityViewedPayload {
  witness: string
  reason: string | null
  disclosed: {sha256: string} | null
}

/** `batch-started`: a manifest or folder batch (src/ingest/batch.ts). */
export interface BatchStartedPayload {
  batch: string
  manifest: {path: string; sha256: string; rows: number} | null
  /**
   * The paths walked; `systemFiles` says whether the walk left out the files and folders an
   * operating system keeps for itself (src/ingest/system-files.ts) or took them. Absent in
   * events written before walks left them out, which took them.
   */
  inputs: {paths: string[]; recursive: boolean; systemFiles?: 'skipped' | 'included'} | null
  files: number
  bytes: number
  /** The seq of the batch-started event of the run this one resumes. */
  resumes: number | null
}

/** `batch-ended`: the counts of a batch's run. */
export interface BatchEndedPayload {
  batch: string
  counts: {ingested: number; alreadyPresent: number; failed: number; skipped: number}
  bytesIngested: number
  interrupted: boolean
}

/** An item of a transfer: an exhibit with the digests and size the sender's ledger records. */
export interface TransferItem {
  exhibit: string
  sha256: string
  sha512: string
  size: number
}

/** An item of a transfer as its receiver recorded it: with the exhibit ID it has in the receiver's case (absent in events of custody before the import). */
export interface ReceivedItem extends TransferItem {
  receivedAs?: string
}

/**
 * `transfer-released`: a transfer package made for another custodian (`custody transfer export`,
 * src/transfers/export.ts), recorded in the append of its seal's events, after them.
 */
export interface TransferReleasedPayload {
  transferId: string
  sealId: string
  /** The receiver, as the identity line `custody key show --public` printed (src/transfers/custodian.ts). */
  to: string
  /** The package file as delivered (the age file), its SHA-256 and size. */
  package: {name: string; sha256: string; size: number}
  purpose: string | null
  /** The tree head of the receiver's last receipt, which the package proves consistent with; null the first time. */
  acknowledged: {size: number; root: string} | null
  items: TransferItem[]
}

/** An object of an item of a field package: an age file as the vault stores it (StoredObject), and which object of the exhibit it is. */
export interface FieldTransferObject extends StoredObject {
  role: 'original' | 'record'
}

/** An item of a field package: an exhibit, the ledger row that recorded it, and its objects as stored (no digest of the evidence: a field laptop reads none). */
export interface FieldTransferItem {
  exhibit: string
  seq: number
  objects: FieldTransferObject[]
}

/**
 * `field-transfer-released`: a field package made for another custodian (`custody transfer
 * export` in a field case with no identity, src/transfers/field-export.ts): the exhibits' objects
 * and the ledger's rows as stored, nothing opened (docs/design/transfers.md, "The field package").
 */
export interface FieldTransferReleasedPayload {
  transferId: string
  /** The receiver, as the identity line `custody key show --public` printed. */
  to: string
  /** The statement's release time, from which (with the sender, the head and the receiver) its transfer ID is made. */
  releasedAt: string
  /** The package file as delivered (the age file), its SHA-256 and size. */
  package: {name: string; sha256: string; size: number}
  purpose: string | null
  /** The head the package's checkpoint signs: the package holds every row below it. */
  treeHead: {size: number; root: string}
  acknowledged: {size: number; root: string} | null
  items: FieldTransferItem[]
}

/**
 * `transfer-received`: a transfer package accepted from another custodian (`custody transfer
 * accept`, src/transfers/accept.ts), after it verified and its sender's heads held.
 */
export interface TransferReceivedPayload {
  transferId: string
  /** The seal the package was; null for a field package (`custody-field-transfer/v1`: objects and ledger rows as the sender stores them, no seal). */
  sealId: string | null
  /** The sender, as the identity line of its transfer statement (src/transfers/custodian.ts). */
  from: string
  /** The package as received: its file name, SHA-256 and size. */
  package: {name: string; sha256: string; size: number}
  /** Where the case keeps it, under .custody/. */
  kept: string
  /** The sender's tree head the package was sealed at, which its checkpoint signs. */
  treeHead: {size: number; root: string}
  releasedAt: string
  purpose: string | null
  /** Each item with the exhibit ID this case gave it (`receivedAs`: a new one, or the exhibit that already held its content). */
  items: ReceivedItem[]
  /**
   * The receipt given to the sender: the SHA-256 of its bytes (kept beside the package). In an
   * encrypted case the kept copy is an age file to the case's recipients: `stored` is its SHA-256
   * and size (src/transfers/kept-receipt.ts); absent for a receipt kept in clear.
   */
  receipt: {sha256: string; stored?: KeptReceiptStored}
  /** Earlier packages of the sender's that this one proves its ledger made (EarlierPackage); absent when it proves none not seen before. */
  earlier?: EarlierPackage[]
}

/**
 * An earlier package of a sender's, as a later package of the same sender proves its ledger made
 * it (src/transfers/split-view.ts): a seal's ID and head, from the later seal's proven earlier
 * seals, or a field package's transfer ID and head, from the release event in the later package's
 * rows (at the head of a checkpoint it carries). A package delivered after a newer one is
 * accepted when it is one of them: older, not rolled back.
 */
export interface EarlierPackage {
  /** The seal ID (a sealed package) or the transfer ID (a field package). */
  id: string
  size: number
  root: string
  /** Its SHA-256: a seal's ZIP (the later seal's earlier seals give it), a field package's age file as delivered (its release event gives it). */
  sha256: string
}

/**
 * A kept receipt as stored, in an encrypted case: the SHA-256 and size of its age file, which
 * `custody verify` checks with no key (its path follows from the event: the receipt's SHA-256 in
 * clear is in the sealed body only).
 */
export interface KeptReceiptStored {
  sha256: string
  size: number
}

/**
 * `transfer-refused`: a transfer package refused by this case (`custody transfer accept`,
 * src/transfers/accept.ts) because items in it did not verify, though the package opened with this
 * case's keys and its sender was authenticated: nothing was imported, and a receipt naming the
 * failed items was signed for the sender and kept (docs/design/transfers.md "A refused package").
 */
export interface TransferRefusedPayload {
  transferId: string
  /** The package's seal ID; null for a field package (no seal was made: src/transfers/field-export.ts). */
  sealId: string | null
  /** The sender, as the identity line of its transfer statement (src/transfers/custodian.ts). */
  from: string
  /** The package as received: its file name, SHA-256 and size. It is not kept. */
  package: {name: string; sha256: string; size: number}
  /** The sender's tree head the package was sealed at, which its checkpoint signs (and the receipt cosigns). */
  treeHead: {size: number; root: string}
  /** Each item that failed (the sender's exhibit ID) and why, as the receipt states it. */
  failed: FailedItemRecord[]
  /**
   * The receipt given to the sender: the SHA-256 of its bytes, and where this case keeps it, under
   * .custody/; in an encrypted case, the kept copy as stored (an age file: `stored`, as transfer-received's).
   */
  receipt: {sha256: string; kept: string; stored?: KeptReceiptStored}
  /** As transfer-received's: the package's head was verified and cosigned, and so were its proofs. */
  earlier?: EarlierPackage[]
}

/** An item of a refused package that did not verify, and why. */
export interface FailedItemRecord {
  exhibit: string
  problem: string
}

/**
 * `transfer-acknowledged`: a receipt for a transfer this case released, checked and kept
 * (`custody transfer receipt`, src/transfers/acknowledge.ts).
 */
export interface TransferAcknowledgedPayload {
  transferId: string
  /** The receiver that signed the receipt, as the identity line it gives (the one released to). */
  by: string
  /**
   * The receipt: the SHA-256 of its bytes, when the receiver says it received the package, and
   * where this case keeps it, under .custody/; in an encrypted case, the kept copy as stored (an
   * age file: `stored`, as transfer-received's).
   */
  receipt: {sha256: string; receivedAt: string; kept: string; stored?: KeptReceiptStored}
  /**
   * `intact`: the receiver accepted the package; `refused`: it refused it, naming failed items in
   * the receipt, and imported nothing, so nothing is acknowledged.
   */
  condition: 'intact' | 'refused'
  /** The items the receiver acknowledged as intact (the sender's exhibit IDs); none for a refused package. */
  acknowledged: string[]
  /** This ledger's tree head the receiver cosigned. */
  cosigned: {size: number; root: string}
}

/**
 * `custodian-trusted`: a sender added to the case's standing list of senders whose transfer
 * packages it accepts (`custody transfer trust`, src/transfers/trust.ts). One line a case: a line
 * for a case already on the list, with another key, replaces it (the sender's new key, after a
 * rotation), and `replaces` names the key it replaces.
 */
export interface CustodianTrustedPayload {
  /** The sender's identity line, as given (src/transfers/custodian.ts). */
  custodian: string
  /** The fingerprint of the key the line holds. */
  fingerprint: string
  /** The key of the line this one replaces on the list (the same case), or null. */
  replaces: string | null
}

/** `custodian-distrusted`: a sender's case taken off the standing list (`custody transfer trust --revoke`). */
export interface CustodianDistrustedPayload {
  /** The identity line that was on the list. */
  custodian: string
  fingerprint: string
}

/** One vault object a purge removes: what it is to its exhibit, the plaintext's SHA-256, and its file as the case stores it. */
export interface PurgedObject {
  role: 'original' | 'metadata-record'
  /**
   * Null when the purge was made where no key opens the case's events (a field laptop, whose
   * passphrase opens no body: src/transfers/field-purge.ts): the exhibit's ingest event names it,
   * and `vault` names the object.
   */
  sha256: string | null
  /** From the case's data folder, as the ingest event (or `objects-encrypted`) records it: vault/sha256/… or vault/objects/….age. */
  vault: string
}

/**
 * `purged`: an exhibit's vault objects removed after its receiver acknowledged it (`custody
 * transfer purge`, src/transfers/purge.ts), recorded before they are removed. The event's exhibit
 * is the one purged; the ledger keeps its digests, and the receipt, kept in the case, says who
 * holds it now.
 */
export interface PurgedPayload {
  /** The transfer the receipt acknowledges, and the receiver, as the identity line of its `transfer-acknowledged` event. */
  transferId: string
  by: string
  /** The kept receipt: its SHA-256 and the `transfer-acknowledged` event that recorded it. */
  receipt: {sha256: string; seq: number}
  /** The objects removed; one another exhibit still needs stays, and is not named. */
  objects: PurgedObject[]
}

/** `restore-accepted`: an older copy of the case was put back, and the loss accepted (src/known-heads). */
export interface RestoreAcceptedPayload {
  reason: string
  /** The lost copy's checkpoint: its exact signed bytes, hex signature, and when it was recorded. */
  lost: {checkpoint: string; signature: string; recordedAt: string | null}
  ledger: {size: number; root: string}
  reservedExhibitNumbers: number
}

/** Each action's payload. */
export interface PayloadOf {
  'create-case': CreateCasePayload
  'key-created': KeyCreatedPayload
  'key-rotated': KeyRotatedPayload
  config: ConfigPayload
  ingest: IngestPayload
  'presented-again': PresentedAgainPayload
  'ingest-failed': IngestFailedPayload
  seal: SealPayload
  'sealed-exhibits': SealedExhibitsPayload
  timestamp: TimestampPayload
  testimony: TestimonyPayload
  'testimony-amended': TestimonyAmendedPayload
  'consent-changed': ConsentChangedPayload
  'identity-viewed': IdentityViewedPayload
  'batch-started': BatchStartedPayload
  'batch-ended': BatchEndedPayload
  'restore-accepted': RestoreAcceptedPayload
  'recipient-added': RecipientAddedPayload
  'keys-destroyed': KeysDestroyedPayload
  'transfer-released': TransferReleasedPayload
  'field-transfer-released': FieldTransferReleasedPayload
  'transfer-received': TransferReceivedPayload
  'transfer-refused': TransferRefusedPayload
  'transfer-acknowledged': TransferAcknowledgedPayload
  'custodian-trusted': CustodianTrustedPayload
  'custodian-distrusted': CustodianDistrustedPayload
  purged: PurgedPayload
  'objects-encrypted': ObjectsEncryptedPayload
  'case-encrypted': CaseEncryptedPayload
  'ledger-converted': LedgerConvertedPayload
}

/** Every action custody writes. */
export type EventAction = keyof PayloadOf

/**
 * The envelope every event has, with the action's own payload. It is hashed into the chain as it
 * is (src/ledger/event.ts): `seq` and `prev` (the hex SHA-256 of the event before, 64 zeros for
 * the first) say where it belongs; `time` is UTC with milliseconds.
 */
export interface EventOf<A extends EventAction> {
  v: typeof EVENT_VERSION
  seq: number
  time: string
  actor: string
  action: A
  exhibit: string | null
  payload: PayloadOf[A]
  prev: string
}

/** A custody event, discriminated by `action`. */
export type CustodyEvent = {[A in EventAction]: EventOf<A>}[EventAction]

/** The events of some actions, still discriminated by `action` (EventOf of a union is not). */
export type EventOfKind<A extends EventAction> = Extract<CustodyEvent, {action: A}>

/**
 * What a writer gives the ledger for one action: the ledger adds v, seq, time and prev. A writer
 * that builds its payload as this type is checked by the compiler against the format that
 * parseEvent() will hold it to.
 */
export type CustodyEventDraft = {[A in EventAction]: Pick<EventOf<A>, 'actor' | 'action' | 'exhibit' | 'payload'>}[EventAction]

/** The dotted path of each field of T ('digests.sha256'), through objects but not into arrays. */
type FieldPath<T> = T extends readonly unknown[] ? never : T extends object ? {[K in keyof T & string]-?: K | `${K}.${FieldPath<NonNullable<T[K]>>}`}[keyof T & string] : never

/**
 * A payload field as SQLite's json_extract() names it in a stored event ('$.payload.digests.sha256'),
 * checked by the compiler against the action's payload: for the ledger's indexed queries
 * (src/ledger/ledger.ts), which read or match one field of many events without parsing them.
 */
export function payloadPath<A extends EventAction>(_action: A, field: FieldPath<PayloadOf[A]>): string {
  return `$.payload.${field}`
}

/**
 * What sealing reads of each exhibit's ingest event (src/ledger/ledger.ts exhibitFile): each
 * field's path, taken out by SQLite so that a seal of many exhibits parses no event in full.
 * The row it gives is IngestFile.
 */
export const INGEST_FILE_FIELDS = {
  sha256: payloadPath('ingest', 'digests.sha256'),
  sha512: payloadPath('ingest', 'digests.sha512'),
  size: payloadPath('ingest', 'size'),
  name: payloadPath('ingest', 'file.name'),
  record: payloadPath('ingest', 'metadata.record'),
} as const satisfies {[K in keyof IngestFile]: string}

export interface IngestFile {
  sha256: Digests['sha256']
  sha512: Digests['sha512']
  size: IngestPayload['size']
  name: FileFacts['name']
  record: MetadataSummary['record']
}

/** A field that ingest and presented-again payloads both have, as json_extract() names it. */
function fileEventPath(field: FieldPath<PayloadOf['ingest']> & FieldPath<PayloadOf['presented-again']>): string {
  return payloadPath('ingest', field)
}

/**
 * What an ingest reads of every ingest and presented-again event, to know what the case took in
 * from each source path (src/ledger/ledger.ts sourceFiles): each field's path, taken out by
 * SQLite. The row it gives, with the event's seq and exhibit, is SourceFile.
 */
export const SOURCE_FILE_FIELDS = {
  path: fileEventPath('file.path'),
  size: fileEventPath('size'),
  modifiedAt: fileEventPath('file.modifiedAt'),
  batch: fileEventPath('batch'),
} as const satisfies {[K in Exclude<keyof SourceFile, 'seq' | 'exhibit'>]: string}

/** A file an ingest or presented-again event records, by its source path (never a witness's withheld one). */
export interface SourceFile {
  seq: number
  exhibit: string
  path: string
  size: number
  modifiedAt: FileFacts['modifiedAt']
  batch: string | null
}

// ---------------------------------------------------------------------------------------------
// The readers, one entry an action

interface ActionFormat<A extends EventAction> {
  /** Whether the event names an exhibit: always, never (null), or either. */
  exhibit: 'required' | 'none' | 'either'
  payload: Reader<PayloadOf[A]>
  /** A check across the envelope and the payload: [path, expected, got] when it fails. */
  consistent?: (event: EventOf<A>) => [at: string, expected: string, got: unknown] | undefined
}

const storedToken = object<StoredTokenFormat>({
  tsa: nonEmpty,
  token: base64('base64 DER'),
  genTime: isoUtcMs,
  serial: anyText,
  policy: text({pattern: /^\d+(?:\.\d+)+$/, expected: 'an object identifier such as 1.2.3.4'}),
  signer: anyText,
  chain: list(anyText),
})

const interview = object<TestimonyPayload['interview']>({
  startedAt: zonedTime,
  endedAt: nullable(zonedTime),
  place: nonEmpty,
  interviewers: list(nonEmpty, {min: 1}),
  present: list(nonEmpty),
  interpreter: nullable(nonEmpty),
  languages: list(nonEmpty),
})

const identityReference = object<NonNullable<TestimonyPayload['identity']>>({
  commitment: hex64,
  sealedRecord: hex64,
  stored: optional(storedObject),
  encryptedTo: fingerprint,
  fields: list(oneOf(['name', 'contact', 'notes', 'vulnerability', 'referral']), {min: 1, unique: true}),
})

const keyCreatedShape = {algorithm: literal('Ed25519'), fingerprint, publicKey: ed25519Spki, holder: anyText}

const tsaConfig = object<ConfigPayload & {setting: 'tsa'}>({setting: oneOf(['tsa']), value: list(text({pattern: /^https?:\/\/\S+$/, expected: 'an http or https URL'}))})
const tsaCaConfig = object<ConfigPayload & {setting: 'tsa-ca'}>({setting: literal('tsa-ca'), value: list(trustedRoot)})

const configPayload: Reader<ConfigPayload> = {
  expected: 'an object',
  schema: {oneOf: [tsaConfig.schema, tsaCaConfig.schema]},
  read(value, at) {
    const setting = oneOf(['tsa', 'tsa-ca']).read(isRecord(value) ? value['setting'] : undefined, `${at}.setting`)
    return setting === 'tsa-ca' ? tsaCaConfig.read(value, at) : tsaConfig.read(value, at)
  },
}

/** An object's file from the case's data folder: in clear at its SHA-256, or an age file at its keyed address. */
const vaultPath = text({pattern: /^vault\/(sha256\/[0-9a-f]{2}\/[0-9a-f]{64}|objects\/[0-9a-f]{2}\/[0-9a-f]{64}\.age)$/, expected: 'vault/sha256/<2 hex>/<64 hex> or vault/objects/<2 hex>/<64 hex>.age'})

/** Where a case keeps a package it received, and a receipt (under .custody/): what transfer events record. */
export const KEPT_PACKAGE_PATH = /^custodians\/[0-9a-f-]{36}\/TRANSFER-[0-9a-f]{16}\.zip\.age$/
export const KEPT_RECEIPT_PATH = /^custodians\/[0-9a-f-]{36}\/TRANSFER-[0-9a-f]{16}\.receipt$/
const keptReceiptStored = object<KeptReceiptStored>({sha256: hex64, size: integer(1)})
const keptReceiptPath = text({pattern: KEPT_RECEIPT_PATH, expected: 'custodians/<case ID>/<transfer ID>.receipt'})
/** A transfer package as the transfer events name it. */
const transferPackage = object({name: nonEmpty, sha256: hex64, size: integer(1)})
/** A tree head of a ledger: its size and Merkle root. */
const treeHead = object({size: integer(1), root: hex64})
/** The earlier packages a transfer's package proves (EarlierPackage): at most one per event of the sender's ledger. */
const earlierPackages = optional(list(object<EarlierPackage>({id: text({pattern: /^(SEAL|TRANSFER)-[0-9a-f]{16}$/, expected: 'a seal or transfer ID'}), size: integer(1), root: hex64, sha256: hex64}), {min: 1, max: 1_000_000}))

const ACTIONS: {[A in EventAction]: ActionFormat<A>} = {
  'create-case': {
    exhibit: 'none',
    payload: object<CreateCasePayload>({
      caseId,
      title: anyText,
      investigator: anyText,
      organisation: nullable(nonEmpty),
      prefix: text({pattern: /^[A-Z][A-Z0-9]{0,11}$/, expected: '1 to 12 capital letters or digits, starting with a letter'}),
      custodyVersion: nonEmpty,
      caseRecipient: optional(ageRecipient),
      field: optional(literal(true)),
      sealedInvestigator: optional(base64('the base64 of a nonce, the sealed name and its tag')),
      sealedOrganisation: optional(base64('the base64 of a nonce, the sealed organisation and its tag')),
    }),
    consistent: (e) =>
      e.payload.field === true && e.payload.caseRecipient !== undefined ? ['payload.caseRecipient', 'no case recipient in a field case', e.payload.caseRecipient]
      : e.payload.sealedInvestigator !== undefined && e.payload.field !== true && e.payload.caseRecipient === undefined ?
        ['payload.sealedInvestigator', 'a sealed name only in an encrypted case (with a case recipient, or a field case)', e.payload.sealedInvestigator]
      : e.payload.sealedOrganisation !== undefined && e.payload.sealedInvestigator === undefined ?
        ['payload.sealedOrganisation', 'a sealed organisation only beside a sealed name', e.payload.sealedOrganisation]
      : undefined,
  },
  'key-created': {exhibit: 'none', payload: object<KeyCreatedPayload>(keyCreatedShape)},
  'key-rotated': {exhibit: 'none', payload: object<KeyRotatedPayload>({...keyCreatedShape, replaces: fingerprint, reason: anyText})},
  'recipient-added': {exhibit: 'none', payload: object<RecipientAddedPayload>({recipient: ageRecipient, label: optional(nonEmpty)})},
  'keys-destroyed': {exhibit: 'none', payload: object<KeysDestroyedPayload>({files: list(text({pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, expected: 'a file name under .custody/keys/'}), {unique: true}), reason: nullable(nonEmpty)})},
  'objects-encrypted': {
    exhibit: 'none',
    payload: object<ObjectsEncryptedPayload>({objects: list(object<EncryptedObject>({sha256: hex64, stored: storedObject}), {min: 1, max: MAX_ENCRYPTED_OBJECTS_PER_EVENT})}),
  },
  'case-encrypted': {
    exhibit: 'none',
    payload: object<CaseEncryptedPayload>({caseRecipient: optional(ageRecipient), field: optional(literal(true)), objects: count}),
    consistent: (e) =>
      (e.payload.field === true) === (e.payload.caseRecipient !== undefined) ? ['payload.caseRecipient', 'a case recipient, unless a field case (and none in one)', String(e.payload.caseRecipient)] : undefined,
  },
  'ledger-converted': {
    exhibit: 'none',
    payload: object<LedgerConvertedPayload>({
      carried: integer(1),
      envelopes: hex64,
      sealedInvestigator: base64('the base64 of a nonce, the sealed name and its tag'),
      sealedOrganisation: base64('the base64 of a nonce, the sealed organisation and its tag'),
    }),
  },
  config: {exhibit: 'none', payload: configPayload},
  ingest: {
    exhibit: 'required',
    payload: refine(
      object<IngestPayload>({
        file: fileFacts,
        digests,
        size: integer(1),
        vault: vaultPath,
        stored: optional(storedObject),
        collected,
        note: nullable(nonEmpty),
        metadata: metadataSummary,
        received: optional(object<ReceivedFrom>({case: caseId, exhibit: exhibitId, seq: integer(1), transferId})),
        ...batchFields,
      }),
      (p, at) => {
        if (p.stored !== undefined) return p.vault === p.stored.vault ? undefined : [`${at}.vault`, `stored.vault (${p.stored.vault})`, p.vault]
        return p.vault === `vault/sha256/${p.digests.sha256.slice(0, 2)}/${p.digests.sha256}` ? undefined : [`${at}.vault`, `the vault path of digests.sha256 ${p.digests.sha256}`, p.vault]
      },
    ),
  },
  'presented-again': {
    exhibit: 'either',
    payload: object<PresentedAgainPayload>({file: fileFacts, digests, size: integer(1), collected, note: nullable(nonEmpty), ...batchFields}),
  },
  'ingest-failed': {
    exhibit: 'none',
    payload: object<IngestFailedPayload>({
      file: fileFacts,
      error: object({code: text({pattern: /^[A-Z][A-Z0-9_]*$/, expected: 'an error code such as INPUT_EMPTY'}), message: nonEmpty}),
      ...batchFields,
    }),
  },
  seal: {
    exhibit: 'none',
    payload: object<SealPayload>({
      sealId,
      archive: object({name: nonEmpty, sha256: hex64, size: integer(1)}),
      exhibitCount: integer(1),
      treeHead,
      sealedAt: isoUtcMs,
      purpose: nullable(nonEmpty),
      note: nullable(nonEmpty),
      leftOut: list(object({exhibit: exhibitId, testimony: exhibitId, reason: nonEmpty})),
    }),
  },
  'sealed-exhibits': {
    exhibit: 'none',
    payload: refine(
      object<SealedExhibitsPayload>({sealId, first: integer(1), exhibits: list(exhibitId, {min: 1, max: MAX_SEALED_EXHIBITS_PER_EVENT})}),
      // The seal writes its list 1,000 an event: each event starts at 1, 1001, 2001, ...
      (p, at) => ((p.first - 1) % MAX_SEALED_EXHIBITS_PER_EVENT === 0 ? undefined : [`${at}.first`, `1 more than a multiple of ${MAX_SEALED_EXHIBITS_PER_EVENT}`, p.first]),
    ),
  },
  timestamp: {
    exhibit: 'none',
    payload: refine(
      object<TimestampPayload>({
        checkpoint: object({seq: count, treeSize: integer(1), sha256: hex64}),
        status: oneOf(['stamped', 'waiting']),
        tokens: list(storedToken),
        failures: list(object({tsa: nonEmpty, problem: anyText})),
        roots: list(trustedRoot),
      }),
      (p, at) => ((p.status === 'stamped') === p.tokens.length > 0 ? undefined : [`${at}.status`, p.tokens.length > 0 ? '"stamped" with tokens' : '"waiting" without tokens', p.status]),
    ),
  },
  testimony: {
    exhibit: 'required',
    payload: object<TestimonyPayload>({
      witness: witnessCode,
      interview,
      vulnerable: boolean,
      consent: refine(object({scopes: consentScopes, method: nullable(consentMethod), givenAt: nullable(zonedTime)}), (c, at) => {
        // `--consent none` records no scopes, no method and no date; a consent records all three.
        const none = c.scopes.length === 0
        if (none !== (c.method === null)) return [`${at}.method`, none ? 'null when no scope is given' : 'a method when scopes are given', c.method]
        if (none !== (c.givenAt === null)) return [`${at}.givenAt`, none ? 'null when no scope is given' : 'the time consent was given when scopes are given', c.givenAt]
        return undefined
      }),
      identity: nullable(identityReference),
      statement: object({version: literal(1), exhibit: exhibitId, sha256: hex64}),
      attachments: list(exhibitRef),
      note: nullable(nonEmpty),
      contentCheck,
    }),
    consistent: (e) => (e.payload.statement.exhibit === e.exhibit ? undefined : ['payload.statement.exhibit', `the event's exhibit ${String(e.exhibit)}`, e.payload.statement.exhibit]),
  },
  'testimony-amended': {
    exhibit: 'required',
    payload: refine(
      object<TestimonyAmendedPayload>({
        witness: witnessCode,
        version: integer(2),
        statement: exhibitRef,
        previous: object({version: integer(1), exhibit: exhibitId, sha256: hex64}),
        reason: nonEmpty,
        contentCheck,
      }),
      (p, at) => (p.previous.version === p.version - 1 ? undefined : [`${at}.previous.version`, `${p.version - 1}, the version before ${p.version}`, p.previous.version]),
    ),
  },
  'consent-changed': {
    exhibit: 'required',
    payload: refine(
      object<ConsentChangedPayload>({witness: witnessCode, granted: consentScopes, withdrawn: consentScopes, method: nullable(consentMethod), at: zonedTime, note: nullable(nonEmpty)}),
      (p, at) => {
        if (p.granted.length + p.withdrawn.length === 0) return [`${at}.granted`, 'a scope granted or withdrawn', p.granted]
        if (p.granted.length > 0 && p.method === null) return [`${at}.method`, 'how the new consent was given', p.method]
        const both = p.granted.find((s) => p.withdrawn.includes(s))
        return both === undefined ? undefined : [`${at}.withdrawn`, 'no scope both granted and withdrawn', both]
      },
    ),
  },
  'identity-viewed': {
    exhibit: 'required',
    payload: object<IdentityViewedPayload>({witness: witnessCode, reason: nullable(nonEmpty), disclosed: nullable(object({sha256: hex64}))}),
  },
  'batch-started': {
    exhibit: 'none',
    payload: refine(
      object<BatchStartedPayload>({
        batch: batchId,
        manifest: nullable(object({path: nonEmpty, sha256: hex64, rows: count})),
        inputs: nullable(object<NonNullable<BatchStartedPayload['inputs']>>({paths: list(nonEmpty, {min: 1}), recursive: boolean, systemFiles: optional(oneOf(['skipped', 'included']))})),
        files: count,
        bytes: count,
        resumes: nullable(count),
      }),
      (p, at) => ((p.manifest === null) !== (p.inputs === null) ? undefined : [`${at}.inputs`, p.manifest === null ? 'the inputs when there is no manifest' : 'null beside a manifest', p.inputs]),
    ),
  },
  'batch-ended': {
    exhibit: 'none',
    payload: object<BatchEndedPayload>({
      batch: batchId,
      counts: object({ingested: count, alreadyPresent: count, failed: count, skipped: count}),
      bytesIngested: count,
      interrupted: boolean,
    }),
  },
  'restore-accepted': {
    exhibit: 'none',
    payload: object<RestoreAcceptedPayload>({
      reason: nonEmpty,
      // recordedAt is copied from the known-head file as it was found there: any string.
      lost: object({checkpoint: nonEmpty, signature: hex128, recordedAt: nullable(anyText)}),
      ledger: treeHead,
      reservedExhibitNumbers: integer(1),
    }),
  },
  'transfer-released': {
    exhibit: 'none',
    payload: object<TransferReleasedPayload>({
      transferId,
      sealId,
      to: custodianLine,
      package: transferPackage,
      purpose: nullable(nonEmpty),
      acknowledged: nullable(treeHead),
      items: list(object<TransferItem>({exhibit: exhibitId, sha256: hex64, sha512: hex128, size: integer(1)}), {min: 1, max: MAX_TRANSFER_ITEMS}),
    }),
  },
  'field-transfer-released': {
    exhibit: 'none',
    payload: object<FieldTransferReleasedPayload>({
      transferId,
      to: custodianLine,
      releasedAt: isoUtcMs,
      package: transferPackage,
      purpose: nullable(nonEmpty),
      treeHead,
      acknowledged: nullable(treeHead),
      items: list(FIELD_TRANSFER_ITEM, {min: 1, max: MAX_TRANSFER_ITEMS}),
    }),
  },
  'transfer-received': {
    exhibit: 'none',
    payload: object<TransferReceivedPayload>({
      transferId,
      sealId: nullable(sealId),
      from: custodianLine,
      package: transferPackage,
      kept: text({pattern: KEPT_PACKAGE_PATH, expected: 'custodians/<case ID>/<transfer ID>.zip.age'}),
      treeHead,
      releasedAt: isoUtcMs,
      purpose: nullable(nonEmpty),
      items: list(object<ReceivedItem>({exhibit: exhibitId, sha256: hex64, sha512: hex128, size: integer(1), receivedAs: optional(exhibitId)}), {min: 1, max: MAX_TRANSFER_ITEMS}),
      receipt: object<TransferReceivedPayload['receipt']>({sha256: hex64, stored: optional(keptReceiptStored)}),
      earlier: earlierPackages,
    }),
  },
  'transfer-refused': {
    exhibit: 'none',
    payload: object<TransferRefusedPayload>({
      transferId,
      sealId: nullable(sealId),
      from: custodianLine,
      package: transferPackage,
      treeHead,
      failed: list(object<FailedItemRecord>({exhibit: exhibitId, problem: text({nonEmpty: true, max: 4000})}), {min: 1, max: MAX_TRANSFER_ITEMS}),
      receipt: object<TransferRefusedPayload['receipt']>({
        sha256: hex64,
        kept: keptReceiptPath,
        stored: optional(keptReceiptStored),
      }),
      earlier: earlierPackages,
    }),
  },
  'transfer-acknowledged': {
    exhibit: 'none',
    payload: object<TransferAcknowledgedPayload>({
      transferId,
      by: custodianLine,
      receipt: object<TransferAcknowledgedPayload['receipt']>({
        sha256: hex64,
        receivedAt: isoUtcMs,
        kept: keptReceiptPath,
        stored: optional(keptReceiptStored),
      }),
      condition: oneOf(['intact', 'refused']),
      acknowledged: list(exhibitId, {max: MAX_TRANSFER_ITEMS, unique: true}),
      cosigned: treeHead,
    }),
  },
  'custodian-trusted': {
    exhibit: 'none',
    payload: object<CustodianTrustedPayload>({custodian: custodianLine, fingerprint, replaces: nullable(fingerprint)}),
  },
  'custodian-distrusted': {
    exhibit: 'none',
    payload: object<CustodianDistrustedPayload>({custodian: custodianLine, fingerprint}),
  },
  purged: {
    exhibit: 'required',
    payload: object<PurgedPayload>({
      transferId,
      by: custodianLine,
      receipt: object({sha256: hex64, seq: integer(1)}),
      objects: list(object<PurgedObject>({role: oneOf(['original', 'metadata-record']), sha256: nullable(hex64), vault: vaultPath}), {max: 2}),
    }),
  },
}

/** Every action custody writes, in the order of PayloadOf. */
export const EVENT_ACTIONS = Object.keys(ACTIONS) as EventAction[]

export function isEventAction(value: unknown): value is EventAction {
  return typeof value === 'string' && Object.hasOwn(ACTIONS, value)
}

// ---------------------------------------------------------------------------------------------
// The format as JSON Schema

/**
 * The event format as JSON Schema (draft 2020-12), made from the readers above: what
 * docs/json/event.schema.json holds (tests/unit/event-schema.test.ts keeps the two equal; run it
 * with CUSTODY_WRITE_SCHEMAS=1 to write the file). `$defs.fields` is an event's fields without
 * closing them, for a document that gives more beside them (`custody log` gives each event's
 * hash); the other `$defs` are forms that the schemas of command outputs in docs/json/ refer to.
 */
export function eventJsonSchema(): JsonSchema {
  const exhibit = {required: exhibitId.schema, none: {type: 'null'}, either: nullable(exhibitId).schema}
  const branches = EVENT_ACTIONS.map((action) => ({
    title: action,
    type: 'object',
    properties: {
      v: literal(EVENT_VERSION).schema,
      seq: count.schema,
      time: isoUtcMs.schema,
      actor: anyText.schema,
      action: {const: action},
      exhibit: exhibit[ACTIONS[action].exhibit],
      payload: ACTIONS[action].payload.schema,
      prev: hex64.schema,
    },
    required: ENVELOPE_FIELDS,
  }))
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'A custody event',
    description:
      'One event of the ledger, as custody writes it (src/formats/events.ts, made from its readers). custody refuses an event that does not validate, and also checks what this schema cannot say: fields that depend on each other, and times that exist in the calendar.',
    type: 'object',
    $ref: '#/$defs/fields',
    unevaluatedProperties: false,
    $defs: {
      fields: {oneOf: branches},
      hex64: hex64.schema,
      hex128: hex128.schema,
      fingerprint: fingerprint.schema,
      caseId: caseId.schema,
      exhibitId: exhibitId.schema,
      witnessCode: witnessCode.schema,
      sealId: sealId.schema,
      utcTime: isoUtcMs.schema,
      zonedTime: zonedTime.schema,
      digests: digests.schema,
      fileFacts: fileFacts.schema,
      collected: collected.schema,
      metadataSummary: metadataSummary.schema,
      normalisedMetadata: normalisedMetadata.schema,
      storedToken: storedToken.schema,
      interview: interview.schema,
      identityReference: identityReference.schema,
      contentCheck: contentCheck.schema,
      trustedRoot: trustedRoot.schema,
      consentScope: consentScope.schema,
      consentMethod: consentMethod.schema,
      exhibitRef: exhibitRef.schema,
    },
  }
}

// ---------------------------------------------------------------------------------------------
// The parser

export type ParsedEvent = {event: CustodyEvent} | {problem: string}

const ENVELOPE_FIELDS = ['v', 'seq', 'time', 'actor', 'action', 'exhibit', 'payload', 'prev']

/**
 * Reads one event from a hostile value (already parsed JSON): the event, typed by its action, or
 * the first thing wrong with it, naming the field ("payload.archive.sha256: expected 64 lower-case
 * hex, got ..."). Never throws. The value is returned as given (not copied): it has been checked
 * field by field and holds nothing else.
 */
export function parseEvent(value: unknown): ParsedEvent {
  try {
    return {event: readEvent(value)}
  } catch (error) {
    if (error instanceof FieldProblem) return {problem: error.message}
    // A reader that throws anything else is a bug in this file; the input is still refused, not trusted.
    return {problem: `the event could not be read: ${error instanceof Error ? error.message : String(error)}`}
  }
}

/**
 * Reads one event from its JSON text (a line of an archive's events.jsonl, a ledger row): refuses
 * text longer than MAX_EVENT_BYTES before parsing it, then parseEvent().
 */
export function parseEventText(json: string): ParsedEvent {
  // A UTF-16 unit is one to three UTF-8 bytes: the length alone decides, but for text near the bound.
  if (json.length > MAX_EVENT_BYTES || (json.length * 3 > MAX_EVENT_BYTES && Buffer.byteLength(json, 'utf8') > MAX_EVENT_BYTES)) {
    return {problem: `event: expected at most ${MAX_EVENT_BYTES} bytes of JSON, got ${Buffer.byteLength(json, 'utf8')}`}
  }

  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (error) {
    return {problem: `event: expected JSON, got text that is not (${error instanceof Error ? error.message : String(error)})`}
  }

  return parseEvent(value)
}

function readEvent(value: unknown): CustodyEvent {
  if (!isRecord(value)) throw new FieldProblem('event', 'an object', describeValue(value))
  for (const key of Object.keys(value)) {
    if (!ENVELOPE_FIELDS.includes(key)) throw new FieldProblem(key, `only the fields ${ENVELOPE_FIELDS.join(', ')}`, 'a field custody does not write')
  }

  literal(EVENT_VERSION).read(value['v'], 'v')
  integer(0).read(value['seq'], 'seq')
  isoUtcMs.read(value['time'], 'time')
  anyText.read(value['actor'], 'actor')
  const action = value['action']
  if (!isEventAction(action)) throw new FieldProblem('action', `a custody action (${EVENT_ACTIONS.join(', ')})`, describeValue(action))
  hex64.read(value['prev'], 'prev')
  // readAction is generic in the action; the union of its results is CustodyEvent.
  return readAction(action, value) as CustodyEvent
}

function readAction<A extends EventAction>(action: A, value: Record<string, unknown>): EventOf<A> {
  const format: ActionFormat<A> = ACTIONS[action]
  const exhibit = value['exhibit']
  if (format.exhibit === 'none' && exhibit !== null) throw new FieldProblem('exhibit', `null (${action} events name no exhibit)`, describeValue(exhibit))
  if (format.exhibit === 'required') exhibitId.read(exhibit, 'exhibit')
  if (format.exhibit === 'either') nullable(exhibitId).read(exhibit, 'exhibit')
  format.payload.read(value['payload'], 'payload')
  const event = value as unknown as EventOf<A>
  const wrong = format.consistent?.(event)
  if (wrong !== undefined) throw new FieldProblem(wrong[0], wrong[1], describeValue(wrong[2]))
  return event
}
