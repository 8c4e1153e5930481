/**
 * `custody verify PACKAGE` of a field package (docs/design/transfers.md, "The field package:
 * decided"; made by src/transfers/field-export.ts): the checks that replace a seal's after the
 * ZIP (or folder) was read, over the same context. A field package carries objects and ledger rows
 * as a field laptop stores them, so what it proves is checked in two layers: with no key but the
 * one that opened the age file around it, everything in clear; with an identity that opens the
 * sender's run keys and objects (HQ's), every body and the evidence itself.
 *
 *   manifests  manifest-sha256.txt against every payload file, the tag manifest, Payload-Oxum
 *   transfer   transfer.json (canonical, its form) signed by the key it names as the sender's,
 *              sender.pem that key, the checkpoint signed by it over the head the statement
 *              gives, and every file of the bag one the statement or the layout accounts for, each
 *              object with the SHA-256 and size the statement gives
 *   ledger     every row from event 0: canonical, numbered in order, linked (hash over the
 *              previous hash and the envelope as stored), its body as stored against its
 *              envelope, the carried rows' rule, the key events in order ending with the key that
 *              signed the checkpoint, the case's first event naming the sender's case, and the
 *              RFC 6962 root over the rows' leaves the checkpoint's; each item's row the ingest of
 *              that exhibit stating those objects. With an identity: each run key opened and each
 *              body opened and held to its envelope (openRow, openCarried)
 *   objects    with an identity: each object decrypted (its age authentication) and its
 *              plaintext's SHA-256, SHA-512 and size those its opened ingest event records
 *
 * The package is hostile input: lines are read with a bound, the file re-hashed as it is read
 * (a file changed while checked is a problem), and nothing is held that grows with the ledger but
 * the run keys (one per run) and the items' rows (at most 1,000).
 */
import {createHash} from 'node:crypto'
import {canonicalize} from '../../canonical/jcs.js'
import {decryptChunks} from '../../age/decrypt.js'
import type {AgeIdentity} from '../../age/x25519.js'
import {parseCheckpoint, readCheckpointLine, type CheckpointBody} from '../../checkpoints/checkpoint.js'
import {checkSignedCheckpoint, keyHistory, type RecordedKey} from '../../checkpoints/verify-checkpoints.js'
import {messageOf} from '../../errors.js'
import {MAX_EVENT_BYTES, type CustodyEvent, type EarlierPackage, type EventOfKind, type StoredObject} from '../../formats/events.js'
import {isRecord} from '../../formats/guards.js'
import {keyFromFacts} from '../../keys/key-events.js'
import {fingerprintOf, verifySignature} from '../../keys/signing-key.js'
import {CarriedBlock} from '../../ledger/carried-block.js'
import {isCarried, openCarried, openRow, readStoredEnvelope, storedBodyProblem, storedLeafHash, type StoredEnvelope} from '../../ledger/envelope.js'
import {chainHash, GENESIS_HASH} from '../../ledger/event.js'
import {openRunKey} from '../../ledger/run-keys.js'
import {CompactRange} from '../../merkle/compact-range.js'
import {bytesToHex} from '@noble/hashes/utils.js'
import {TAG_MANIFESTS} from '../../seal/bag-layout.js'
import {FIELD_PACKAGE_FILES as F, FIELD_PACKAGE_TAGS} from '../../transfers/field-layout.js'
import {fieldTransferIdOf, packagePathOf, readFieldTransferStatement, type FieldItem, type FieldObject, type FieldTransferStatement} from '../../transfers/field-statement.js'
import {custodianFingerprint} from '../../transfers/custodian.js'
import {fieldBagInfo} from '../../transfers/field-readme.js'
import type {Check, Finding} from '../checklist.js'
import type {ProblemList} from '../problem-list.js'
import {concluded, findings, type ArchiveContext} from './context.js'
import type {FieldRowRead} from './field-state.js'
import {checkManifest} from './manifests.js'

/** Whether the bag is a field package: it holds the ledger's rows and no seal statement. */
export function isFieldPackage(context: ArchiveContext): boolean {
  return context.files.get(F.rows) !== undefined && context.files.get(F.transfer) !== undefined && context.files.get('data/custody/seal.json') === undefined
}

/** The longest line of ledger-rows.jsonl any genuine row makes: an envelope and a body (base64) of an event at most MAX_EVENT_BYTES each, with room. */
const MAX_ROW_LINE = 4 * MAX_EVENT_BYTES
/** A runs line: an age header of a few recipients. */
const MAX_RUN_LINE = 64 * 1024

/** A small file of the bag read whole, bounded, and as hashed when first read; undefined when absent or larger than `limit`. */
async function small(context: ArchiveContext, path: string, limit: number): Promise<Buffer | undefined> {
  const file = context.files.get(path)
  if (file === undefined || file.size > limit) return undefined
  return context.source.readSmall(file.info, limit, file.sha256).catch(() => undefined)
}

/** The bounds of a field package's small files, as its checks read them. */
const SMALL_FILES = {transfer: 1024 * 1024, transferSignature: 64, checkpoint: 4096, checkpointSignature: 64, senderKey: 4096} as const

/** One of a field package's small files, read within its bound (undefined when missing or larger): for what reads the package after its checks (a seal of what it brought). */
export async function fieldPackageFile(context: ArchiveContext, role: keyof typeof SMALL_FILES): Promise<Buffer | undefined> {
  return small(context, F[role], SMALL_FILES[role])
}

/** Lines of a bag file, hashed as read: the problem when it is not the file first hashed. */
async function* linesOf(context: ArchiveContext, path: string, max: number, found: ProblemList<Finding>): AsyncGenerator<string> {
  const file = context.files.get(path)
  if (file === undefined) {
    found.push({subject: path, message: 'is missing from the bag'})
    return
  }

  const hash = createHash('sha256')
  yield* context.source.lines(file.info, max, (chunk) => hash.update(chunk))
  if (hash.digest('hex') !== file.sha256) found.push({subject: path, message: 'changed while it was being checked: read again, it is not the file hashed first'})
}

export const fieldManifestsCheck: Check<ArchiveContext> = {
  name: 'manifests',
  async run(context) {
    const found = findings()
    await checkManifest(context, {name: 'manifest-sha256.txt', algorithm: 'sha256', payload: true}, found)
    await checkManifest(context, {name: TAG_MANIFESTS[0], algorithm: 'sha256', payload: false}, found)
    const info = (await small(context, 'bag-info.txt', 64 * 1024))?.toString('utf8') ?? ''
    const oxum = /^Payload-Oxum: (\d+)\.(\d+)$/m.exec(info)
    const {bytes, count} = context.files.payload()
    if (oxum === null || Number(oxum[1]) !== bytes || Number(oxum[2]) !== count) {
      found.push({subject: 'bag-info.txt', message: oxum === null ? 'states no Payload-Oxum' : 'its Payload-Oxum is not the payload', expected: `${bytes}.${count}`, ...(oxum === null ? {} : {actual: `${oxum[1]}.${oxum[2]}`})})
    }

    return concluded(context, found, `${count} payload files against the SHA-256 manifest; the tag manifest; Payload-Oxum`)
  },
}

/** The statement's signature and sender.pem, by the key `from` names. */
async function checkSigned(context: ArchiveContext, statement: FieldTransferStatement, bytes: Buffer, found: ProblemList<Finding>): Promise<boolean> {
  const spki = Buffer.from(statement.from.signingKey, 'base64')
  const signature = await small(context, F.transferSignature, 64)
  const signed = signature !== undefined && verifySignature(spki, bytes, signature)
  if (!signed) {
    found.push({subject: F.transferSignature, message: signature === undefined ? 'is missing from the bag' : `does not verify with the sender's key ${custodianFingerprint(statement.from)}: the statement or its signature was altered, or another key signed it`})
  }

  const pem = (await small(context, F.senderKey, 4096))?.toString('utf8')
  const der = pem === undefined ? undefined : Buffer.from(pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, ''), 'base64')
  if (der === undefined || !der.equals(spki)) found.push({subject: F.senderKey, message: pem === undefined ? 'is missing from the bag' : "is not the key transfer.json names as the sender's"})
  return signed
}

/** The checkpoint: signed by the sender's key, of its case, over the head the statement gives. */
async function checkCheckpoint(context: ArchiveContext, statement: FieldTransferStatement, found: ProblemList<Finding>): Promise<CheckpointBody | undefined> {
  const body = await small(context, F.checkpoint, 4096)
  const signature = await small(context, F.checkpointSignature, 64)
  if (body === undefined || signature === undefined) {
    found.push({subject: body === undefined ? F.checkpoint : F.checkpointSignature, message: 'is missing from the bag'})
    return undefined
  }

  const parsed = parseCheckpoint(body.toString('utf8'))
  if ('problem' in parsed) {
    found.push({subject: F.checkpoint, message: `is not a checkpoint: ${parsed.problem}`})
    return undefined
  }

  const spki = Buffer.from(statement.from.signingKey, 'base64')
  if (parsed.keyFingerprint !== fingerprintOf(spki) || !verifySignature(spki, body, signature)) {
    found.push({subject: F.checkpoint, message: `is not signed by the sender's key ${fingerprintOf(spki)}`, actual: parsed.keyFingerprint})
  }

  if (parsed.case !== statement.from.case) found.push({subject: F.checkpoint, message: "is a checkpoint of another case than the sender's", expected: statement.from.case, actual: parsed.case})
  if (parsed.treeSize !== statement.tree.size || parsed.rootHash !== statement.tree.root) {
    found.push({subject: F.checkpoint, message: 'signs another tree head than transfer.json states', expected: `${statement.tree.size} ${statement.tree.root}`, actual: `${parsed.treeSize} ${parsed.rootHash}`})
  }

  return parsed
}

/** Every file of the bag is one the layout or the statement accounts for; each object as the statement states it. */
function checkContents(context: ArchiveContext, statement: FieldTransferStatement | undefined, found: ProblemList<Finding>): void {
  for (const path of [...FIELD_PACKAGE_TAGS, ...Object.values(F)]) {
    const file = context.files.statedFile(path)
    if (file === undefined) found.push({subject: path, message: 'is missing from the bag'})
  }

  const named = new Set<string>()
  for (const item of statement?.items ?? []) {
    for (const object of item.objects) {
      const path = packagePathOf(object.vault)
      // An object two items share (one metadata record) is one file, stated once; each item's digests are still compared.
      const file = named.has(path) ? context.files.get(path) : context.files.statedFile(path)
      named.add(path)
      if (file === undefined) found.push({subject: item.exhibit, message: `its ${object.role} ${path} is missing from the bag`})
      else if (file.size !== object.size || file.sha256 !== object.sha256) {
        found.push({subject: item.exhibit, message: `its ${object.role} ${path} is not the file transfer.json states (its SHA-256 or size)`, expected: `${object.sha256} ${object.size}`, actual: `${file.sha256} ${file.size}`})
      }
    }
  }

  for (const path of context.files.unnamed('', 'stated')) found.push({subject: path, message: 'is in the bag, but no part of a field package: nobody vouches for it'})
}

/**
 * README.txt is the one whose SHA-256 the signed statement states (its instructions are the
 * sender's), and bag-info.txt the one the statement and the payload make: neither says anything
 * the statement does not.
 */
async function checkTagFiles(context: ArchiveContext, statement: FieldTransferStatement, found: ProblemList<Finding>): Promise<void> {
  const readme = context.files.get('README.txt')
  if (readme !== undefined && readme.sha256 !== statement.readme) {
    found.push({subject: 'README.txt', message: 'is not the one transfer.json states (its SHA-256): its instructions were changed', expected: statement.readme, actual: readme.sha256})
  }

  const expected = fieldBagInfo(statement, context.files.payload())
  const info = (await small(context, 'bag-info.txt', 64 * 1024))?.toString('utf8')
  if (info !== undefined && info !== expected) found.push({subject: 'bag-info.txt', message: 'says other than transfer.json and the payload: it was changed', expected, actual: info})
}

/** Who signed: the sender's key, as transfer.json names it. */
function pinSender(context: ArchiveContext, s: FieldTransferStatement): void {
  const fingerprint = custodianFingerprint(s.from)
  // Whether --key named it, or a key it was rotated from, is settled once the ledger's key events are read (fieldLedgerCheck).
  context.trust = {signingKey: fingerprint, holder: s.from.name, signerPinned: false, timestamps: [], tsaRootsFrom: null}
}

export const fieldStatementCheck: Check<ArchiveContext> = {
  name: 'transfer',
  async run(context) {
    const found = findings()
    const state = context.field!
    const bytes = await small(context, F.transfer, 1024 * 1024)
    const read = bytes === undefined ? undefined : readFieldTransferStatement(bytes)
    if (read === undefined || 'problem' in read) {
      found.push({subject: F.transfer, message: read === undefined ? 'is missing from the bag, or larger than any genuine one' : `is not a field transfer statement as custody writes it: ${read.problem}`})
    } else {
      state.statement = read
      if (fieldTransferIdOf(read.from, read.tree, read.to, read.releasedAt) !== read.transferId) {
        found.push({subject: F.transfer, message: 'its transfer ID is not the one its sender, head, receiver and time give: it was taken from another transfer', expected: fieldTransferIdOf(read.from, read.tree, read.to, read.releasedAt), actual: read.transferId})
      }

      const exhibits = new Set(read.items.map((i) => i.exhibit))
      if (exhibits.size !== read.items.length) found.push({subject: F.transfer, message: 'names an exhibit twice'})
      const signed = await checkSigned(context, read, bytes!, found)
      // Whoever reads it may refuse it, or its parties, now (VerifyArchiveOptions.onFieldStatement).
      context.options.onFieldStatement?.(read, signed)
      state.checkpoint = await checkCheckpoint(context, read, found)
    }

    checkContents(context, state.statement, found)
    if (state.statement !== undefined) await checkTagFiles(context, state.statement, found)
    const s = state.statement
    if (s !== undefined && found.length === 0) {
      context.transfer = {
        transferId: s.transferId,
        from: {case: s.from.case, name: s.from.name, organisation: s.from.organisation, fingerprint: custodianFingerprint(s.from)},
        to: {case: s.to.case, name: s.to.name, organisation: s.to.organisation, fingerprint: custodianFingerprint(s.to)},
        releasedAt: s.releasedAt,
        purpose: s.purpose,
        items: s.items.length,
        acknowledged: s.acknowledged,
      }
      context.treeHead = s.tree
    }

    if (s !== undefined) pinSender(context, s)
    const given = context.options.identities ?? []
    if (s !== undefined && given.length > 0 && !given.some((i) => i.recipient.text === s.to.age)) {
      context.warnings.push(`transfer: the package was made for ${s.to.name} (${custodianFingerprint(s.to)}, age ${s.to.age ?? 'none'}), and none of the identities given is that receiver's: it was encrypted again for you by someone else`)
    }

    const detail = s === undefined ? 'no field transfer statement' : `${s.transferId}: ${s.items.length} exhibit(s) as stored, from ${s.from.name} (${custodianFingerprint(s.from)}) to ${s.to.name} (${custodianFingerprint(s.to)}), released ${s.releasedAt}`
    return concluded(context, found, detail)
  },
}

/**
 * The runs file's wrapped keys, by run number, each opened with the identities given only when a
 * row first names its run (`key`): a run no row names is refused without an X25519 operation spent
 * on it, and its stanzas, however many, cost nothing (a runs file is the sender's to fill).
 */
class RunKeys {
  private readonly opened = new Map<number, Buffer | undefined>()

  constructor(
    private readonly wrapped: ReadonlyMap<number, string>,
    private readonly identities: readonly AgeIdentity[],
    private readonly found: ProblemList<Finding>,
  ) {}

  has(run: number): boolean {
    return this.wrapped.has(run)
  }

  /** Every run the file holds. */
  ids(): Iterable<number> {
    return this.wrapped.keys()
  }

  /** The run's key, opened the first time it is asked for; undefined when it is not in the file, or not for the identities given (none given: never opened). */
  key(run: number): Buffer | undefined {
    if (this.opened.has(run)) return this.opened.get(run)
    const wrapped = this.wrapped.get(run)
    let key: Buffer | undefined
    try {
      key = wrapped === undefined || this.identities.length === 0 ? undefined : openRunKey(Buffer.from(wrapped, 'base64'), this.identities, `run ${run} of the sender's ledger`)
    } catch (error) {
      this.found.push({subject: `run ${run}`, message: messageOf(error)})
    }

    this.opened.set(run, key)
    return key
  }
}

/**
 * The runs file read (each line a run, once, canonical), its keys opened later as rows name them
 * (RunKeys). A ledger of `size` events has at most that many runs (every run is named by a row,
 * or refused): a file holding more is read no further.
 */
async function runKeys(context: ArchiveContext, size: number, found: ProblemList<Finding>): Promise<RunKeys> {
  const wrapped = new Map<number, string>()
  let line = 0
  const take = (text: string): void => {
    line++
    if (line > size) throw new Error(`more than ${size} lines, more runs than a ledger of ${size} events names`)
    let run: unknown
    try {
      run = JSON.parse(text)
    } catch {
      run = undefined
    }

    if (!isRecord(run) || !Number.isSafeInteger(run.id) || typeof run.wrapped !== 'string' || canonicalize(run) !== text || wrapped.has(run.id as number)) {
      found.push({subject: `${F.runs} line ${line}`, message: 'is not a run as custody writes it ({"id", "wrapped"}, canonical, each run once)'})
      return
    }

    wrapped.set(run.id as number, run.wrapped)
  }

  try {
    for await (const text of linesOf(context, F.runs, MAX_RUN_LINE, found)) take(text)
  } catch (error) {
    found.push({subject: F.runs, message: `cannot be read: ${messageOf(error)}`})
  }

  return new RunKeys(wrapped, context.options.identities ?? [], found)
}

/** A checkpoint of ledger-checkpoints.jsonl: its exact bytes, signature and document. */
interface CarriedCheckpoint {
  line: number
  body: string
  signature: Buffer
  parsed: CheckpointBody
}

/**
 * Every checkpoint the package carries, in order of tree size; each line that is not one, a
 * problem. A ledger signs one checkpoint an append, so never more than its events and a few: past
 * twice the statement's tree size the rest is not read (a hostile package of many lines costs no
 * more than a genuine one).
 */
async function readCheckpoints(context: ArchiveContext, size: number, found: ProblemList<Finding>): Promise<CarriedCheckpoint[]> {
  const list: CarriedCheckpoint[] = []
  const most = 2 * size + 16
  let line = 0
  const take = (text: string): void => {
    line++
    if (line > most) throw new Error(`more than ${most} lines, more checkpoints than a ledger of ${size} events signs`)
    const read = readCheckpointLine(text)
    if (read === undefined || read.parsed.treeSize < (list.at(-1)?.parsed.treeSize ?? 0)) {
      found.push({subject: `${F.checkpoints} line ${line}`, message: 'is not a checkpoint as custody writes it ({"body", "signature"}, canonical, in order of tree size)'})
      return
    }

    list.push({line, ...read})
  }

  try {
    for await (const text of linesOf(context, F.checkpoints, 16 * 1024, found)) take(text)
  } catch (error) {
    found.push({subject: F.checkpoints, message: `cannot be read: ${messageOf(error)}`})
  }

  return list
}

/**
 * After the rows: every checkpoint signed by the key the ledger's key events give for its size,
 * each key rotation vouched for by a checkpoint of the key it replaced over the rotation (so that
 * rows and a key of someone else's cannot be added after the sender's), the last one checkpoint.json,
 * and --key: a key the user named among the sender's keys.
 */
function checkSeries(context: ArchiveContext, statement: FieldTransferStatement, checkpoints: readonly CarriedCheckpoint[], keys: readonly RecordedKey[], latest: string | undefined, found: ProblemList<Finding>): void {
  const history = keyHistory(keys)
  for (const c of checkpoints) {
    const checked = checkSignedCheckpoint(`${F.checkpoints} line ${c.line}`, c.body, c.signature, {caseId: statement.from.case, keys: history})
    for (const p of checked.problems) found.push(p)
  }

  for (const [i, key] of history.entries()) {
    const replaced = history[i - 1]
    if (replaced === undefined) continue
    const vouched = checkpoints.some((c) => c.parsed.treeSize === key.seq + 1 && c.parsed.keyFingerprint === replaced.fingerprint)
    if (!vouched) found.push({subject: `event ${key.seq}`, message: `it rotates the sender's key to ${key.fingerprint}, and no checkpoint of the key it replaces (${replaced.fingerprint}) signs it: a key rotation the sender never made`})
  }

  if (checkpoints.at(-1)?.body !== latest) found.push({subject: F.checkpoints, message: 'does not end with checkpoint.json, the checkpoint the package is made at'})
  const pinned = context.options.pinnedKeys ?? []
  const named = history.filter((k) => pinned.includes(k.fingerprint))
  if (pinned.length > 0 && named.length === 0) found.push({subject: F.transfer, message: `is signed by ${custodianFingerprint(statement.from)}, which is neither a key you gave with --key nor one the sender's key events rotate from it`, expected: pinned.join(', ')})
  if (context.trust !== null) context.trust.signerPinned = named.length > 0
}

interface RowLine {
  seq: number
  prev: string
  hash: string
  envelope: string
  body: string
  run: number
}

function rowOf(text: string): RowLine | undefined {
  let row: unknown
  try {
    row = JSON.parse(text)
  } catch {
    return undefined
  }

  if (!isRecord(row) || canonicalize(row) !== text || Object.keys(row).length !== 6) return undefined
  const {seq, prev, hash, envelope, body, run} = row
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(run) || typeof prev !== 'string' || typeof hash !== 'string' || typeof envelope !== 'string' || typeof body !== 'string') return undefined
  return row as unknown as RowLine
}

/** The exhibits a testimony event names: its statement's, and its attachments' or the statement's before. */
function testimonyExhibitsOf(event: CustodyEvent): string[] {
  if (event.action === 'testimony') return [event.payload.statement.exhibit, ...event.payload.attachments.map((a) => a.exhibit)]
  if (event.action === 'testimony-amended') return [event.payload.statement.exhibit, event.payload.previous.exhibit]
  return []
}

/** The ledger's rows read in order, with what holds across them. */
class RowsReader {
  readonly range = new CompactRange()
  readonly block = new CarriedBlock()
  keys: RecordedKey[] = []
  last = GENESIS_HASH
  count = 0
  private readonly items: Map<number, FieldItem>
  private readonly exhibits: ReadonlySet<string>

  private readonly bySize = new Map<number, CarriedCheckpoint[]>()
  /** The sizes at which the caller wants the tree's root (a receiver's earlier heads of this sender). */
  private readonly heads: ReadonlySet<number>
  /** Each run's first row, and the row that made the receiver a recipient. */
  private readonly runFirst = new Map<number, number>()
  private receiverSince: number | undefined
  /** The run of the event that made the receiver a recipient, and the runs whose key the identities given did not open. */
  private receiverRun: number | undefined
  private readonly unopenedRuns = new Set<number>()
  /** The opened release events' transfer IDs and heads (FieldPackageState.releases, once held to the checkpoints). */
  readonly releases: EarlierPackage[] = []

  constructor(
    private readonly context: ArchiveContext,
    private readonly statement: FieldTransferStatement,
    private readonly runs: RunKeys,
    checkpoints: readonly CarriedCheckpoint[],
    private readonly found: ProblemList<Finding>,
  ) {
    this.items = new Map(statement.items.map((i) => [i.seq, i]))
    this.exhibits = new Set(statement.items.map((i) => i.exhibit))
    this.heads = new Set(context.options.headsAt ?? [])
    for (const c of checkpoints) {
      const same = this.bySize.get(c.parsed.treeSize)
      if (same === undefined) this.bySize.set(c.parsed.treeSize, [c])
      else same.push(c)
    }
  }

  row(text: string, line: number): void {
    const at = `event ${this.count}`
    const row = rowOf(text)
    if (row === undefined || row.seq !== this.count) {
      this.found.push({subject: `${F.rows} line ${line}`, message: row === undefined ? 'is not a row as custody writes it ({"seq", "prev", "hash", "envelope", "body", "run"}, canonical)' : `holds event ${row.seq} where event ${this.count} should be: rows were removed, added or moved`})
      this.count++
      return
    }

    this.count++
    const read = readStoredEnvelope(row.envelope)
    if (!('envelope' in read)) {
      this.found.push({subject: at, message: `its envelope is not one custody writes: ${read.problem}`})
      return
    }

    const {envelope} = read
    this.link(row, envelope, at)
    const body = Buffer.from(row.body, 'base64')
    const stored = storedBodyProblem(envelope, body)
    if (stored !== undefined) this.found.push({subject: at, message: `it ${stored}`})
    if (row.run !== envelope.run) this.found.push({subject: at, message: `it is given as run ${row.run}'s, but its envelope says run ${envelope.run}`})
    const key = keyFromFacts(envelope.public, row.seq, this.keys.at(-1))
    if (key !== undefined && 'problem' in key) this.found.push({subject: at, message: `its key event cannot stand: ${key.problem}`})
    else if (key !== undefined) this.keys.push(key.key)
    if (row.seq === 0 && (envelope.public?.action !== 'create-case' || envelope.public.caseId !== this.statement.from.case)) {
      this.found.push({subject: at, message: "it is not the creation of the sender's case (the first event must be create-case, of the case transfer.json names)"})
    }

    this.noteReceiver(row.seq, envelope)
    if (!this.runFirst.has(row.run)) this.runFirst.set(row.run, row.seq)
    const item = this.items.get(row.seq)
    if (item !== undefined) this.checkItemRow(item, envelope)
    const opened = stored === undefined ? this.open(row, body, envelope, item, at) : undefined
    this.context.options.onFieldRow?.({seq: row.seq, prev: row.prev, hash: row.hash, envelope: row.envelope, opened})
  }

  /** The first event that made the receiver (transfer.json's `to`) a recipient of the sender's case: every run after it is wrapped to it. */
  private noteReceiver(seq: number, envelope: StoredEnvelope): void {
    const facts = envelope.public
    const recipient = facts?.action === 'recipient-added' ? facts.recipient : facts?.action === 'create-case' || facts?.action === 'case-encrypted' ? facts.caseRecipient : undefined
    if (this.receiverSince === undefined && recipient !== undefined && recipient === this.statement.to.age) {
      this.receiverSince = seq
      this.receiverRun = envelope.run
    }
  }

  /**
   * After the rows, with identities given: each run wrapped to the receiver that does not open
   * with them. Those are the runs begun after the event that made the receiver a recipient, and
   * the first run when that event is in it (the receiver named when the case was made): a run's
   * key is wrapped to the recipients of its time. Such a run's key was replaced in the runs file,
   * or the identity is not the receiver's. Runs the rows never name are refused too.
   */
  checkRuns(): void {
    for (const run of this.unopenedRuns) {
      const first = this.runFirst.get(run)!
      const since = this.receiverSince
      if (since === undefined || !(first > since || (first === 0 && this.receiverRun === run))) continue
      this.found.push({subject: `run ${run}`, message: `it is wrapped to the receiver (a recipient since event ${since}), yet its key does not open with the identities given: the run's key in ${F.runs} was replaced, or the identity is not the receiver's`})
    }

    for (const run of this.runs.ids()) if (!this.runFirst.has(run)) this.found.push({subject: `run ${run}`, message: `it is in ${F.runs}, but no row names it: nobody vouches for it`})
  }

  /** The row's link, its hash over what it chains, the carried rows' rule, and its leaf. */
  private link(row: RowLine, envelope: StoredEnvelope, at: string): void {
    if (row.prev !== this.last || envelope.prev !== row.prev || envelope.seq !== row.seq) {
      this.found.push({subject: at, message: 'it does not link to the event before it (its previous hash, or its envelope\'s number and previous hash)', expected: this.last, actual: row.prev})
    }

    const carried = this.block.row(row.seq, envelope, row.envelope)
    if (carried !== undefined) this.found.push({subject: `event ${carried.seq}`, message: `it ${carried.message}`})
    // A carried row's hash is over its event, in its body: checked when the body opens (openCarried).
    if (!isCarried(envelope) && chainHash(row.prev, row.envelope) !== row.hash) {
      this.found.push({subject: at, message: 'its hash is not SHA-256 of the previous hash and its envelope: the row was changed', expected: chainHash(row.prev, row.envelope), actual: row.hash})
    }

    this.last = row.hash
    this.range.push(storedLeafHash(row.envelope))
    if (this.heads.has(this.range.size)) this.context.field!.rootsAt.set(this.range.size, bytesToHex(this.range.root()))
    // Each checkpoint over this many rows: their root and last hash.
    for (const c of this.bySize.get(this.range.size) ?? []) {
      const root = bytesToHex(this.range.root())
      if (c.parsed.rootHash !== root || c.parsed.lastEventHash !== row.hash) {
        this.found.push({subject: `${F.checkpoints} line ${c.line}`, message: `signs another tree than the first ${c.parsed.treeSize} rows: rows were changed`, expected: root, actual: c.parsed.rootHash})
      }
    }
  }

  /** An item's row: the ingest of that exhibit, stating the objects transfer.json gives. */
  private checkItemRow(item: FieldItem, envelope: StoredEnvelope): void {
    const facts = envelope.public
    const same = (stated: unknown, object: FieldObject | undefined): boolean => (stated === undefined ? object === undefined : object !== undefined && canonicalize(stated as StoredObject) === canonicalize({vault: object.vault, sha256: object.sha256, size: object.size}))
    if (envelope.exhibit !== item.exhibit || facts?.action !== 'ingest') {
      this.found.push({subject: item.exhibit, message: `event ${item.seq}, which transfer.json names as its ingest, is not one (${facts?.action === 'ingest' ? `it records ${envelope.exhibit ?? 'no exhibit'}` : 'another action'})`})
    } else if (!same(facts.original, item.objects[0]) || !same(facts.record, item.objects[1])) {
      this.found.push({subject: item.exhibit, message: `its objects in transfer.json are not those its ingest event (event ${item.seq}) states as stored`})
    }
  }

  /** With the run's key: the body opened and held to its envelope (returned); an item's ingest event kept. */
  private open(row: RowLine, body: Buffer, envelope: StoredEnvelope, item: FieldItem | undefined, at: string): FieldRowRead['opened'] {
    const key = this.runs.key(row.run)
    const state = this.context.field!
    if (!this.runs.has(row.run)) this.found.push({subject: at, message: `its run ${row.run} is not in ${F.runs}`})
    if (key === undefined) {
      state.notOpened++
      const given = (this.context.options.identities ?? []).length > 0
      if (item !== undefined && given) this.found.push({subject: item.exhibit, message: `its ingest event (event ${row.seq}) does not open with the identities given: its run's key is wrapped to other recipients`})
      if (given && this.runs.has(row.run)) this.unopenedRuns.add(row.run)
      return undefined
    }

    try {
      const sealed = {seq: row.seq, prev_hash: row.prev, hash: row.hash, envelope: row.envelope, body}
      const opened = isCarried(envelope) ? {...openCarried(sealed, envelope, key), salt: undefined} : openRow(sealed, envelope, key)
      const {event} = opened
      state.opened++
      if (item !== undefined && event.action === 'ingest') state.ingests.set(row.seq, {...event, hash: row.hash})
      if (event.action === 'field-transfer-released') this.releases.push({id: event.payload.transferId, ...event.payload.treeHead, sha256: event.payload.package.sha256})
      for (const exhibit of testimonyExhibitsOf(event)) if (this.exhibits.has(exhibit)) state.testimony.add(exhibit)
      return opened
    } catch (error) {
      this.found.push({subject: at, message: messageOf(error).replace(/^event \d+ of the ledger /, 'it ').replace(/: the ledger was changed outside custody.*$/, '')})
      return undefined
    }
  }
}

export const fieldLedgerCheck: Check<ArchiveContext> = {
  name: 'ledger',
  async run(context) {
    const found = findings()
    const state = context.field!
    const {statement, checkpoint} = state
    if (statement === undefined || checkpoint === undefined) return {status: 'failed', detail: 'not checked: the statement or the checkpoint does not hold', problems: []}
    const runs = await runKeys(context, statement.tree.size, found)
    const checkpoints = await readCheckpoints(context, statement.tree.size, found)
    const rows = new RowsReader(context, statement, runs, checkpoints, found)
    let line = 0
    try {
      for await (const text of linesOf(context, F.rows, MAX_ROW_LINE, found)) rows.row(text, ++line)
    } catch (error) {
      found.push({subject: F.rows, message: `cannot be read: ${messageOf(error)}`})
    }

    rows.checkRuns()
    // A release is proven at its head only when a checkpoint carried signs it: each was checked against the rows.
    const signed = new Set(checkpoints.map((c) => `${c.parsed.treeSize} ${c.parsed.rootHash}`))
    state.releases = rows.releases.filter((r) => signed.has(`${r.size} ${r.root}`))
    const end = rows.block.end()
    if (end !== undefined) found.push({subject: `event ${end.seq}`, message: `it ${end.message}`})
    const root = bytesToHex(rows.range.root())
    if (rows.count !== checkpoint.treeSize || root !== checkpoint.rootHash || rows.last !== checkpoint.lastEventHash) {
      found.push({subject: F.rows, message: 'its rows are not the tree the checkpoint signs (their number, Merkle root or last hash): rows were removed, added or changed', expected: `${checkpoint.treeSize} ${checkpoint.rootHash}`, actual: `${rows.count} ${root}`})
    }

    checkSeries(context, statement, checkpoints, rows.keys, (await small(context, F.checkpoint, 4096))?.toString('utf8'), found)
    for (const c of checkpoints) if (c.parsed.treeSize > rows.count) found.push({subject: `${F.checkpoints} line ${c.line}`, message: `covers ${c.parsed.treeSize} events, past the rows' end`})
    const current = keyHistory(rows.keys).at(-1)
    if (current?.fingerprint !== checkpoint.keyFingerprint) {
      found.push({subject: F.checkpoint, message: "its key is not the one the sender's key events end with", expected: current?.fingerprint ?? 'a key event', actual: checkpoint.keyFingerprint})
    }

    for (const item of statement.items) if (item.seq >= rows.count) found.push({subject: item.exhibit, message: `transfer.json names event ${item.seq} as its ingest, past the ledger's end`})
    state.rows = rows.count
    state.keys = rows.keys
    context.eventCount = rows.count
    const opened = state.notOpened === 0 ? 'every body opened and held to its envelope' : `${state.opened} bodies opened and held to their envelopes, ${state.notOpened} not (${(context.options.identities ?? []).length === 0 ? 'no identity given' : 'their runs are wrapped to other recipients'})`
    return concluded(context, found, `${rows.count} events linked from the first, the Merkle root the checkpoint's; ${opened}`)
  },
}

/** An object decrypted from the bag, and its plaintext's digests. */
async function plaintextOf(context: ArchiveContext, object: FieldObject): Promise<{sha256: string; sha512: string; size: number}> {
  const path = packagePathOf(object.vault)
  const file = context.files.get(path)!
  const h256 = createHash('sha256')
  const h512 = createHash('sha512')
  let size = 0
  for await (const plain of decryptChunks(context.source.chunks(file.info, undefined, 1024 * 1024), context.options.identities!, {object: path})) {
    h256.update(plain)
    h512.update(plain)
    size += plain.length
  }

  return {sha256: h256.digest('hex'), sha512: h512.digest('hex'), size}
}

/** What an ingest event records of an object's plaintext: the original's digests and size, the record's SHA-256. */
function recordedOf(event: EventOfKind<'ingest'>, role: FieldObject['role']): {sha256: string; sha512?: string; size?: number; stored: StoredObject | undefined} {
  const {payload} = event
  return role === 'original' ? {sha256: payload.digests.sha256, sha512: payload.digests.sha512, size: payload.size, stored: payload.stored} : {sha256: payload.metadata.record, stored: payload.metadata.stored}
}

export const fieldObjectsCheck: Check<ArchiveContext> = {
  name: 'objects',
  async run(context) {
    const found = findings()
    const state = context.field!
    const items = state.statement?.items ?? []
    if ((context.options.identities ?? []).length === 0) {
      context.warnings.push('objects: the evidence itself was not checked (no identity given): the objects are checked as stored, and their content needs the receiver\'s identity')
      return {status: 'ok', detail: `${items.length} exhibit(s) as stored; their content not checked (no identity given)`}
    }

    let checked = 0
    for (const [i, item] of items.entries()) {
      const event = state.ingests.get(item.seq)
      if (event === undefined) continue
      for (const object of item.objects) {
        const recorded = recordedOf(event, object.role)
        if (canonicalize(recorded.stored ?? null) !== canonicalize({vault: object.vault, sha256: object.sha256, size: object.size})) {
          found.push({subject: item.exhibit, message: `its ${object.role} as stored is not the one its ingest event records`})
          continue
        }

        try {
          const plain = await plaintextOf(context, object)
          const wrong = plain.sha256 !== recorded.sha256 || (recorded.sha512 !== undefined && plain.sha512 !== recorded.sha512) || (recorded.size !== undefined && plain.size !== recorded.size)
          if (wrong) found.push({subject: item.exhibit, message: `its ${object.role}, decrypted, is not what its ingest event records (SHA-256, SHA-512 or size)`, expected: recorded.sha256, actual: plain.sha256})
          else checked++
        } catch (error) {
          found.push({subject: item.exhibit, message: `its ${object.role} does not decrypt: ${messageOf(error)}`})
        }
      }

      context.options.onProgress?.(i + 1, items.length)
    }

    return concluded(context, found, `${checked} object(s) decrypted, each its ingest event's SHA-256, SHA-512 and size`)
  },
}

export const FIELD_CHECKS: ReadonlyArray<Check<ArchiveContext>> = [fieldManifestsCheck, fieldStatementCheck, fieldLedgerCheck, fieldObjectsCheck]
