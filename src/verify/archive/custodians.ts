/**
 * Check 13 of `custody verify ARCHIVE`, custodians: in a seal of exhibits received from other
 * custodians, each hand-over's record under data/custodians/ (src/transfers/sealed-custodians.ts)
 * holds, and every received exhibit has one. For each record the signed statement names:
 *   - its files are the ones the statement states (their SHA-256s);
 *   - the sender's events: each chained and proven by its inclusion proof to the sender's
 *     checkpoint, the first naming the sender's case, the key events sound (key-events.ts);
 *   - the sender's checkpoint is of the sender's case, signed by a key its events record, and
 *     sender.pem is that key, the one the record names;
 *   - the sender's transfer statement is signed by that key, released by that sender to this case,
 *     on that checkpoint's tree head, and lists the exhibits received;
 *   - the receipt is signed by receiver.pem, a key this archive's own events record, received by
 *     this case, intact, its cosignature over the sender's checkpoint, its items received as the
 *     exhibits the record says;
 *   - this archive's `transfer-received` event of it names the same sender, tree head and receipt;
 *   - each exhibit received in it is, in the sender's events, the exhibit its ingest here says
 *     (the sender's ingest event at the sequence number given, with the same SHA-256).
 * And each exhibit of the archive whose ingest says it was received has its hand-over's record.
 *
 * A seal of no received exhibit has no `custodians` in its statement: nothing to check.
 */
import {bytesToHex, hexToBytes} from '@noble/hashes/utils.js'
import {canonicalize} from '../../canonical/jcs.js'
import {parseCheckpoint, readCheckpointLine, type CheckpointBody} from '../../checkpoints/checkpoint.js'
import {checkSignedCheckpoint, keyHistory, type RecordedKey} from '../../checkpoints/verify-checkpoints.js'
import {messageOf} from '../../errors.js'
import type {CustodyEvent} from '../../formats/events.js'
import {HEX64, isRecord} from '../../formats/guards.js'
import {isKeyEvent, keyFromFacts, readKeyEvent} from '../../keys/key-events.js'
import {verifySignature} from '../../keys/signing-key.js'
import {isCarried, readStoredEnvelope, storedLeafHash, type StoredEnvelope} from '../../ledger/envelope.js'
import {chainHash} from '../../ledger/event.js'
import {CompactRange} from '../../merkle/compact-range.js'
import {BAG_LIMITS, CUSTODIAN_FILES, type CustodianFileRole, type SealedCustodian} from '../../seal/bag-layout.js'
import {custodianFingerprint, parseCustodian} from '../../transfers/custodian.js'
import {checkReceiptSignatures, parseReceipt, type ReceiptBody} from '../../transfers/receipt.js'
import {FIELD_TRANSFER_TYPE, readFieldTransferStatement, type FieldTransferStatement} from '../../transfers/field-statement.js'
import {readTransferStatement, type TransferStatement} from '../../transfers/transfer-statement.js'
import type {Check, Finding} from '../checklist.js'
import type {ProblemList} from '../problem-list.js'
import {concluded, findings, type ArchiveContext, type ArchiveHandOver} from './context.js'
import {checkChainedTo, parseEventLine} from './events.js'
import {bagFile, recordedKeyOf, statedCaseId} from './trust.js'

/** What this archive's own events say of hand-overs (the events check gathered it). */
type OwnRecord = ArchiveContext['handOverEvents']

/** The statement's record of a hand-over, read strictly (the contents check has held its paths to where custody puts them). */
function readStated(value: unknown): SealedCustodian | undefined {
  if (!isRecord(value) || !isRecord(value.from) || !isRecord(value.files) || !Array.isArray(value.items)) return undefined
  const text = (v: unknown): v is string => typeof v === 'string'
  const {from, files} = value
  if (!text(value.transferId) || !text(value.releasedAt) || !text(value.receivedAt) || !text(value.folder) || !Number.isSafeInteger(value.eventCount)) return undefined
  if (!text(from.case) || !text(from.name) || !text(from.fingerprint) || !(from.organisation === null || text(from.organisation))) return undefined
  if (!value.items.every((i) => isRecord(i) && text(i.exhibit) && text(i.receivedAs))) return undefined
  if (!Object.keys(CUSTODIAN_FILES).every((role) => isRecord(files[role]) && text(files[role].path) && text(files[role].sha256))) return undefined
  if (files.rotations !== undefined && !(isRecord(files.rotations) && text(files.rotations.path) && text(files.rotations.sha256))) return undefined
  return value as unknown as SealedCustodian
}

/** One record's files, read whole (the events excepted), each the one the statement states. */
async function readFiles(context: ArchiveContext, record: SealedCustodian, found: ProblemList<Finding>): Promise<Partial<Record<CustodianFileRole | 'rotations', Buffer>> | undefined> {
  const bytes: Partial<Record<CustodianFileRole | 'rotations', Buffer>> = {}
  let whole = true
  const roles: Array<CustodianFileRole | 'rotations'> = Object.keys(CUSTODIAN_FILES) as CustodianFileRole[]
  if (record.files.rotations !== undefined) roles.push('rotations')
  for (const role of roles) {
    const {path, sha256} = record.files[role]!
    const file = context.files.get(path)
    if (file === undefined) {
      found.push({subject: path, message: 'is missing from the bag'})
      whole = false
    } else if (file.sha256 !== sha256) {
      found.push({subject: path, message: 'is not the file the seal statement states', expected: sha256, actual: file.sha256})
      whole = false
    } else if (role !== 'events') {
      const read = await bagFile(context, path)
      if (read === undefined) whole = false
      else bytes[role] = read
    }
  }

  return whole ? bytes : undefined
}

/** What the sender's events give: its keys, its ingest events by exhibit, and whether the first names its case. */
interface SenderEvents {
  keys: RecordedKey[]
  ingests: Map<string, {seq: number; sha256: string}>
  count: number
  /** The sender's exhibit IDs of the record's items: the only ingests kept. */
  wanted: ReadonlySet<string>
  /** Whether event 0 is there, naming the sender's case (`from`). */
  genesis: boolean
  from: string
}

/**
 * A record's line that is a row of a field ledger with its envelope alone (sealed-custodians.ts
 * FieldRows): canonical {envelope, hash, leafHash, prev, seq}, the envelope one custody writes,
 * not carried (a carried envelope is not its leaf), stating the seq and previous hash beside it,
 * its hash and leaf over it.
 */
function rowLine(entry: Record<string, unknown>, text: string, at: string): {seq: number; prev: string; hash: string; leaf: Uint8Array; envelope: StoredEnvelope} | Finding {
  const names = Object.keys(entry).sort().join(',')
  if (names !== 'envelope,hash,leafHash,prev,seq' || !isRecord(entry.envelope) || !Number.isSafeInteger(entry.seq) || ![entry.hash, entry.leafHash, entry.prev].every((h) => typeof h === 'string' && HEX64.test(h))) {
    return {subject: at, message: 'is not a row as custody writes it ({"envelope", "hash", "leafHash", "prev", "seq"})'}
  }

  let stored: string
  try {
    stored = canonicalize(entry.envelope)
    if (canonicalize(entry) !== text) return {subject: at, message: 'is not laid out as custody writes it (canonical JSON, each name once), so another reader could read another row in it'}
  } catch (error) {
    return {subject: at, message: `cannot be read: ${messageOf(error)}`}
  }

  const read = readStoredEnvelope(stored)
  const seq = entry.seq as number
  const prev = entry.prev as string
  if (!('envelope' in read)) return {subject: at, message: `its envelope is not one custody writes: ${read.problem}`}
  const {envelope} = read
  if (isCarried(envelope)) return {subject: at, message: 'holds a carried envelope alone, which is not its leaf: its event must be there'}
  if (envelope.seq !== seq || envelope.prev !== prev) return {subject: at, message: 'its envelope does not state the sequence number and previous hash beside it'}
  const leaf = storedLeafHash(stored)
  if (chainHash(prev, stored) !== entry.hash) return {subject: at, message: 'its hash does not match its envelope: the row was changed', expected: chainHash(prev, stored), actual: String(entry.hash)}
  if (bytesToHex(leaf) !== entry.leafHash) return {subject: at, message: 'its leaf hash does not match its envelope', expected: bytesToHex(leaf), actual: String(entry.leafHash)}
  return {seq, prev, hash: entry.hash as string, leaf, envelope}
}

/** A line of a record's ROTATIONS_FILE: a checkpoint of the sender's and its signature. */
interface RotationCheckpoint {
  at: string
  body: string
  signature: Buffer
  parsed: CheckpointBody
}

/** The record's rotation checkpoints, each line canonical {"body", "signature"}, in order of tree size. */
function readRotations(record: SealedCustodian, bytes: Buffer | undefined, found: ProblemList<Finding>): RotationCheckpoint[] {
  const list: RotationCheckpoint[] = []
  if (bytes === undefined) return list
  const path = record.files.rotations!.path
  const lines = bytes.toString('utf8').split('\n')
  if (lines.pop() !== '') found.push({subject: path, message: 'does not end with a line feed'})
  for (const [i, text] of lines.entries()) {
    const at = `${path} line ${i + 1}`
    const read = readCheckpointLine(text)
    if (read === undefined || read.parsed.treeSize <= (list.at(-1)?.parsed.treeSize ?? 0)) {
      found.push({subject: at, message: 'is not a checkpoint as custody writes it ({"body", "signature"}, canonical, in order of tree size)'})
      continue
    }

    list.push({at, ...read})
  }

  return list
}

/**
 * A field record's key rotations vouched for: for each key the sender's events record after its
 * first, a checkpoint of the record's rotations over the event that recorded it (its root and last
 * hash checked as the rows were read), signed by the key it replaced; and no other line.
 */
function checkRotations(record: SealedCustodian, rotations: readonly RotationCheckpoint[], keys: readonly RecordedKey[], found: ProblemList<Finding>): void {
  const history = keyHistory(keys)
  const used = new Set<RotationCheckpoint>()
  for (const [i, key] of history.entries()) {
    const replaced = history[i - 1]
    if (replaced === undefined) continue
    const c = rotations.find((r) => r.parsed.treeSize === key.seq + 1 && r.parsed.keyFingerprint === replaced.fingerprint)
    if (c === undefined) {
      found.push({subject: `${record.from.name}'s event ${key.seq}`, message: `it rotates the sender's key to ${key.fingerprint}, and the record holds no checkpoint of the key it replaces (${replaced.fingerprint}) over it: nothing shows the sender made that rotation`})
      continue
    }

    used.add(c)
    for (const p of checkSignedCheckpoint(c.at, c.body, c.signature, {caseId: record.from.case, keys: history}).problems) found.push(p)
  }

  for (const c of rotations) if (!used.has(c)) found.push({subject: c.at, message: "vouches for no key rotation of the sender's events"})
}

/**
 * The sender's events, each proven to its checkpoint `head`. From a field package (`whole`), the
 * record holds every row of the sender's tree, in order (sealed-custodians.ts FieldRows): their
 * leaves make the checkpoint's root, the last its last hash, and a row naming an exhibit the
 * record brought holds its event, so that no event of it was left out.
 */
async function senderEvents(context: ArchiveContext, record: SealedCustodian, head: CheckpointBody, rotations: readonly RotationCheckpoint[] | undefined, found: ProblemList<Finding>): Promise<SenderEvents> {
  const whole = rotations !== undefined
  const path = record.files.events.path
  const read: SenderEvents = {keys: [], ingests: new Map(), count: 0, wanted: new Set(record.items.map((i) => i.exhibit)), genesis: false, from: record.from.case}
  const file = context.files.get(path)
  if (file === undefined) return read
  let previous: {seq: number; hash: string} | undefined
  const range = new CompactRange()
  const proven = {size: head.treeSize, root: head.rootHash}
  const names = {event: `${record.from.name}'s event`, head: `the sender's checkpoint (${record.folder}/${CUSTODIAN_FILES.checkpoint})`}
  try {
    for await (const text of context.source.lines(file.info, BAG_LIMITS.eventLine)) {
      if (text === '') continue
      read.count++
      const at = `${path} line ${read.count}`
      if (whole) {
        const row = wholeRow(text, at, previous, read, found, names.event)
        if (row === undefined) continue
        range.push(row.leaf)
        for (const c of rotations!) {
          if (c.parsed.treeSize === range.size && (c.parsed.rootHash !== bytesToHex(range.root()) || c.parsed.lastEventHash !== row.hash)) {
            found.push({subject: c.at, message: "signs another tree than the sender's first rows: rows were changed", expected: bytesToHex(range.root()), actual: c.parsed.rootHash})
          }
        }

        if (row.event !== true) {
          previous = row
          continue
        }
      }

      const line = parseEventLine(text, at)
      if (!('entry' in line)) {
        found.push(line)
        continue
      }

      checkChainedTo(proven, line, previous, found, names)
      previous = {seq: line.seq, hash: String(line.entry.hash)}
      if ('problem' in line.parsed) found.push({subject: `${names.event} ${line.seq}`, message: `it cannot be read as a custody event: ${line.parsed.problem}`})
      else noteSenderEvent(line.parsed.event, record, read, found)
    }
  } catch (error) {
    found.push({subject: path, message: `cannot be read: ${messageOf(error)}`})
  }

  if (whole && (read.count !== head.treeSize || bytesToHex(range.root()) !== head.rootHash || previous?.hash !== head.lastEventHash)) {
    found.push({subject: path, message: "its rows are not the tree the sender's checkpoint signs (their number, Merkle root or last hash): rows were removed, added or changed", expected: `${head.treeSize} ${head.rootHash}`, actual: `${read.count} ${bytesToHex(range.root())}`})
  }

  if (!read.genesis) found.push({subject: path, message: "the sender's first event, which names its case, is not in it"})
  if (read.count !== record.eventCount) found.push({subject: path, message: 'does not hold as many events as the seal statement states', expected: String(record.eventCount), actual: String(read.count)})
  return read
}

/**
 * One line of a whole record: in its place (the line's number is its seq), and its leaf. A row
 * line (its envelope alone) is checked here (rowLine) and must not name an exhibit the record
 * brought; its key facts and the first row's case are read from its envelope. A line with its
 * event is left to the caller, `event` set. Undefined when the line cannot be read.
 */
function wholeRow(text: string, at: string, previous: {seq: number; hash: string} | undefined, read: SenderEvents, found: ProblemList<Finding>, sender: string): {seq: number; hash: string; leaf: Uint8Array; event?: true} | undefined {
  let entry: unknown
  try {
    entry = JSON.parse(text)
  } catch (error) {
    found.push({subject: at, message: `cannot be read: ${messageOf(error)}`})
    return undefined
  }

  const seq = read.count - 1
  const placed = (s: unknown): void => {
    if (s !== seq) found.push({subject: at, message: `holds event ${String(s)} where event ${seq} should be: rows were removed, added or moved`})
  }

  if (isRecord(entry) && 'event' in entry) {
    placed(entry.seq)
    const leaf = typeof entry.leafHash === 'string' && HEX64.test(entry.leafHash) ? hexToBytes(entry.leafHash) : new Uint8Array(32)
    return {seq, hash: String(entry.hash), leaf, event: true}
  }

  const row = isRecord(entry) ? rowLine(entry, text, at) : {subject: at, message: 'is not a row or an event as custody writes them'}
  if (!('envelope' in row)) {
    found.push(row)
    return undefined
  }

  placed(row.seq)
  const subject = `${sender} ${row.seq}`
  if (previous !== undefined && row.prev !== previous.hash) found.push({subject, message: `it does not chain to event ${previous.seq}`, expected: previous.hash, actual: row.prev})
  const {envelope} = row
  if (envelope.exhibit !== null && read.wanted.has(envelope.exhibit)) {
    found.push({subject, message: `it is of ${envelope.exhibit}, which the record brought, yet holds its envelope alone: the event was left out`})
  }

  const facts = envelope.public
  if (row.seq === 0) {
    if (facts?.action === 'create-case' && facts.caseId === read.from) read.genesis = true
    else found.push({subject, message: "it is not the first event of the sender's case", expected: read.from, actual: String(facts?.caseId)})
  }

  let key = keyFromFacts(facts, row.seq, read.keys.at(-1))
  if (key !== undefined && read.keys.length >= BAG_LIMITS.keyEvents) key = {problem: `more than ${BAG_LIMITS.keyEvents} key events`}
  if (key !== undefined && 'problem' in key) found.push({subject, message: `key event is refused: ${key.problem}`})
  else if (key !== undefined) read.keys.push(key.key)
  return {seq: row.seq, hash: row.hash, leaf: row.leaf}
}

function noteSenderEvent(event: CustodyEvent, record: SealedCustodian, read: SenderEvents, found: ProblemList<Finding>): void {
  const subject = `${record.from.name}'s event ${event.seq}`
  if (event.action === 'create-case') {
    if (event.payload.caseId === record.from.case && event.seq === 0) read.genesis = true
    else found.push({subject, message: "it is not the first event of the sender's case", expected: record.from.case, actual: event.payload.caseId})
  }

  // Only the items' ingests are kept: a hostile file of many events cannot grow the map.
  if (event.action === 'ingest' && event.exhibit !== null && read.wanted.has(event.exhibit)) read.ingests.set(event.exhibit, {seq: event.seq, sha256: event.payload.digests.sha256})
  if (isKeyEvent(event)) {
    const key = read.keys.length >= BAG_LIMITS.keyEvents ? {problem: `more than ${BAG_LIMITS.keyEvents} key events`} : readKeyEvent(event, event.seq, read.keys.at(-1))
    if ('problem' in key) found.push({subject, message: `key event is refused: ${key.problem}`})
    else read.keys.push(key.key)
  }
}

/** The sender's checkpoint and key: of the sender's case, signed by a key its events record, which is sender.pem and the record's. */
function checkSender(record: SealedCustodian, bytes: Partial<Record<CustodianFileRole, Buffer>>, keys: readonly RecordedKey[], found: ProblemList<Finding>): {spki: Uint8Array} | undefined {
  const checkpointPath = record.files.checkpoint.path
  const signed = checkSignedCheckpoint(checkpointPath, bytes.checkpoint!.toString('utf8'), bytes.checkpointSignature!, {caseId: record.from.case, keys})
  for (const p of signed.problems) found.push(p)
  const pem = recordedKeyOf(bytes.senderKey, keys.map((k) => ({...k, holder: record.from.name})))
  const keyPath = record.files.senderKey.path
  if ('problem' in pem) return void found.push({subject: keyPath, message: `${pem.problem.replace('the sealed events', "the sender's events")}`})
  if (pem.fingerprint !== record.from.fingerprint) found.push({subject: keyPath, message: 'is not the key the seal statement names as the sender\'s', expected: record.from.fingerprint, actual: pem.fingerprint})
  if (signed.checkpoint !== undefined && signed.checkpoint.keyFingerprint !== pem.fingerprint) found.push({subject: checkpointPath, message: 'is signed by another key than sender.pem', expected: pem.fingerprint, actual: signed.checkpoint.keyFingerprint})
  return {spki: pem.key.spki}
}

/** The `type` a JSON object gives, if it is one (the readers then read it strictly). */
function typeOf(bytes: Buffer): unknown {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'))
    return isRecord(value) ? value.type : undefined
  } catch {
    return undefined
  }
}

/** The sender's transfer statement: signed by the sender's key, from that sender to this case, on that checkpoint, listing the exhibits received. */
function checkTransfer(context: ArchiveContext, record: SealedCustodian, bytes: Partial<Record<CustodianFileRole, Buffer>>, spki: Uint8Array, checkpoint: CheckpointBody, found: ProblemList<Finding>): TransferStatement | FieldTransferStatement | undefined {
  const subject = record.files.transfer.path
  if (!verifySignature(spki, bytes.transfer!, bytes.transferSignature!)) found.push({subject, message: "its signature transfer.json.sig does not verify with sender.pem: the transfer statement or its signature was altered"})
  // A seal's statement (custody-transfer/v1) or, from a field package, a field statement
  // (custody-field-transfer/v1): each is held to the same facts, its tree head named otherwise.
  const field = typeOf(bytes.transfer!) === FIELD_TRANSFER_TYPE
  const t = field ? readFieldTransferStatement(bytes.transfer!) : readTransferStatement(bytes.transfer!)
  if ('problem' in t) return void found.push({subject, message: `is not a transfer statement: ${t.problem}`})
  const tree = 'archiveTree' in t ? t.archiveTree : t.tree
  const differ = (message: string, expected: string, actual: string): void => {
    if (expected !== actual) found.push({subject, message, expected, actual})
  }

  differ('names another transfer than the seal statement', record.transferId, t.transferId)
  differ('is released by another custodian than the seal statement names', `${record.from.case} ${record.from.fingerprint}`, `${t.from.case} ${custodianFingerprint(t.from)}`)
  // The name and organisation a court reads in the list of hand-overs are the sender's own, as it signed them.
  differ("names the sender otherwise than the seal statement (its name and organisation are the sender's, as it signed them)", JSON.stringify([record.from.name, record.from.organisation]), JSON.stringify([t.from.name, t.from.organisation]))
  differ('is released to another case than the one that sealed this archive', statedCaseId(context), t.to.case)
  differ("names another tree head than the sender's checkpoint", `${checkpoint.treeSize} ${checkpoint.rootHash}`, `${tree.size} ${tree.root}`)
  differ('is released at another time than the seal statement says', record.releasedAt, t.releasedAt)
  const listed = new Set(t.items.map((i) => i.exhibit))
  for (const item of record.items) {
    if (!listed.has(item.exhibit)) found.push({subject, message: `does not list ${item.exhibit}, which the seal statement says it brought`})
  }

  return t
}

/** This case's receipt: signed by receiver.pem, one of this archive's keys; for this case, this transfer, intact; its items received as stated. */
function checkReceipt(context: ArchiveContext, record: SealedCustodian, bytes: Partial<Record<CustodianFileRole, Buffer>>, found: ProblemList<Finding>): ReceiptBody | undefined {
  const subject = record.files.receipt.path
  let receipt: ReceiptBody
  try {
    receipt = parseReceipt(bytes.receipt!.toString('utf8'), subject)
    checkReceiptSignatures(receipt, {body: bytes.receipt!.toString('utf8'), signature: bytes.receiptSignature!.toString('hex')}, subject)
  } catch (error) {
    return void found.push({subject, message: messageOf(error).replace(`${subject} `, '')})
  }

  const pem = recordedKeyOf(bytes.receiverKey, context.keys)
  const keyPath = record.files.receiverKey.path
  if ('problem' in pem) found.push({subject: keyPath, message: pem.problem})
  else if (pem.fingerprint !== custodianFingerprint(receipt.receivedBy)) found.push({subject: keyPath, message: 'is not the key the receipt names as its signer', expected: custodianFingerprint(receipt.receivedBy), actual: pem.fingerprint})
  const differ = (message: string, expected: string, actual: string): void => {
    if (expected !== actual) found.push({subject, message, expected, actual})
  }

  differ('is a receipt for another transfer', record.transferId, receipt.transferId)
  differ('is received by another case than the one that sealed this archive', statedCaseId(context), receipt.receivedBy.case)
  differ("does not cosign the sender's checkpoint", bytes.checkpoint!.toString('utf8'), receipt.senderCheckpoint)
  differ('was received at another time than the seal statement says', record.receivedAt, receipt.receivedAt)
  if (receipt.condition !== 'intact') found.push({subject, message: 'says the package did not arrive intact'})
  const items = new Map(receipt.items.map((i) => [i.exhibit, i]))
  for (const item of record.items) {
    const got = items.get(item.exhibit)
    if (got?.receivedAs !== item.receivedAs) found.push({subject, message: `does not say ${item.exhibit} was received as ${item.receivedAs}`, expected: item.receivedAs, actual: String(got?.receivedAs)})
  }

  return receipt
}

/** This archive's own `transfer-received` of it: the same sender, tree head and receipt, the same items received as. */
function checkOwnEvent(record: SealedCustodian, own: OwnRecord, receipt: ReceiptBody | undefined, checkpoint: CheckpointBody, found: ProblemList<Finding>): void {
  const subject = `${record.folder}`
  const event = own.received.get(record.transferId)
  if (event === undefined) return void found.push({subject, message: `no transfer-received event of this archive records ${record.transferId}`})
  const p = event.payload
  const sender = (() => {
    try {
      return custodianFingerprint(parseCustodian(p.from, `event ${event.seq}`))
    } catch {
      return 'an unreadable identity'
    }
  })()
  const differ = (message: string, expected: string, actual: string): void => {
    if (expected !== actual) found.push({subject, message: `${message} than event ${event.seq} (transfer-received) records`, expected, actual})
  }

  differ('names another sender', sender, record.from.fingerprint)
  differ("holds another sender's tree head", `${p.treeHead.size} ${p.treeHead.root}`, `${checkpoint.treeSize} ${checkpoint.rootHash}`)
  differ('holds another receipt', p.receipt.sha256, record.files.receipt.sha256)
  if (receipt !== undefined) differ('is a receipt for another package', p.package.sha256, receipt.packageSha256)
  const recorded = new Set(p.items.map((i) => `${i.exhibit} ${String(i.receivedAs)}`))
  for (const item of record.items) {
    if (!recorded.has(`${item.exhibit} ${item.receivedAs}`)) found.push({subject, message: `says ${item.exhibit} was received as ${item.receivedAs}, which event ${event.seq} does not record`})
  }
}

/** Each exhibit received in the hand-over is, in the sender's events, the exhibit its ingest here names, with the same SHA-256. */
function checkReceivedExhibits(record: SealedCustodian, ingests: OwnRecord['ingests'], sender: SenderEvents, transfer: TransferStatement | FieldTransferStatement | undefined, found: ProblemList<Finding>): void {
  // A field statement names no digest of an item (its laptop opens no event): the sender's ingest event does.
  const released = new Map<string, {sha256: string}>(transfer === undefined || !('archiveTree' in transfer) ? [] : transfer.items.map((i) => [i.exhibit, i]))
  const stated = new Set(record.items.map((i) => `${i.exhibit} ${i.receivedAs}`))
  for (const ingest of ingests) {
    const theirs = sender.ingests.get(ingest.from.exhibit)
    const item = released.get(ingest.from.exhibit)
    if (ingest.from.case !== record.from.case) {
      found.push({subject: ingest.exhibit, message: `was received, its ingest says, from case ${ingest.from.case}, but ${record.transferId} came from ${record.from.name}'s case`, expected: record.from.case, actual: ingest.from.case})
    } else if (theirs === undefined || theirs.seq !== ingest.from.seq) {
      found.push({subject: ingest.exhibit, message: `was received as ${record.from.name}'s ${ingest.from.exhibit} (their event ${ingest.from.seq}), which ${record.folder}/${CUSTODIAN_FILES.events} does not hold`})
    } else if (theirs.sha256 !== ingest.sha256 || (item !== undefined && item.sha256 !== ingest.sha256)) {
      found.push({subject: ingest.exhibit, message: `is not the file ${record.from.name} released as ${ingest.from.exhibit}`, expected: theirs.sha256, actual: ingest.sha256})
    }

    if (!stated.has(`${ingest.from.exhibit} ${ingest.exhibit}`)) found.push({subject: ingest.exhibit, message: `the seal statement's record of ${record.transferId} does not list it`})
  }
}

/** One record, whole: what it proves, or nothing when a problem was found. */
async function checkRecord(context: ArchiveContext, record: SealedCustodian, received: OwnRecord['ingests'], found: ProblemList<Finding>): Promise<ArchiveHandOver | undefined> {
  const own = context.handOverEvents
  const before = found.length
  const bytes = await readFiles(context, record, found)
  if (bytes === undefined) return undefined
  const checkpoint = parseCheckpoint(bytes.checkpoint!.toString('utf8'))
  if ('problem' in checkpoint) return void found.push({subject: record.files.checkpoint.path, message: `is not a checkpoint: ${checkpoint.problem}`})
  const field = typeOf(bytes.transfer!) === FIELD_TRANSFER_TYPE
  const rotations = readRotations(record, bytes.rotations, found)
  const events = await senderEvents(context, record, checkpoint, field ? rotations : undefined, found)
  if (field) checkRotations(record, rotations, events.keys, found)
  else if (record.files.rotations !== undefined) found.push({subject: record.files.rotations.path, message: 'is in the record of a sealed transfer package, whose transfer.json carries its rotations: custody never puts it there'})
  const key = checkSender(record, bytes, events.keys, found)
  const transfer = key === undefined ? undefined : checkTransfer(context, record, bytes, key.spki, checkpoint, found)
  const receipt = checkReceipt(context, record, bytes, found)
  checkOwnEvent(record, own, receipt, checkpoint, found)
  checkReceivedExhibits(record, received, events, transfer, found)
  if (found.length > before || receipt === undefined) return undefined
  const by = receipt.receivedBy
  return {transferId: record.transferId, from: record.from, to: {case: by.case, name: by.name, organisation: by.organisation, fingerprint: custodianFingerprint(by)}, releasedAt: record.releasedAt, receivedAt: record.receivedAt, items: record.items.length}
}

export const custodiansCheck: Check<ArchiveContext> = {
  name: 'custodians',
  async run(context) {
    const own = context.handOverEvents
    const stated = 'custodians' in context.statement ? context.statement.custodians : []
    if (!Array.isArray(stated)) return {status: 'failed', detail: 'the seal statement names its hand-overs unreadably', problems: [{subject: 'data/custody/seal.json', message: 'its custodians is not a list'}]}
    if (stated.length === 0 && own.ingests.length === 0 && own.received.size === 0) {
      context.handOvers = []
      return {status: 'ok', detail: 'none: no exhibit came from another custodian', problems: []}
    }

    const found = findings()
    const handOvers: ArchiveHandOver[] = []
    const byTransfer = new Map<string, OwnRecord['ingests']>()
    for (const ingest of own.ingests) {
      const group = byTransfer.get(ingest.from.transferId)
      if (group === undefined) byTransfer.set(ingest.from.transferId, [ingest])
      else group.push(ingest)
    }

    const seen = new Set<string>()
    for (const [i, value] of stated.slice(0, BAG_LIMITS.custodians).entries()) {
      const record = readStated(value)
      if (record === undefined) found.push({subject: 'data/custody/seal.json', message: `its custodians[${i}] is not a hand-over's record as custody writes it`})
      else if (seen.has(record.transferId)) found.push({subject: 'data/custody/seal.json', message: `its custodians[${i}] names ${record.transferId} again: each hand-over is carried once`})
      else {
        seen.add(record.transferId)
        const proven = await checkRecord(context, record, byTransfer.get(record.transferId) ?? [], found)
        if (proven !== undefined) handOvers.push(proven)
      }
    }

    const carried = new Set(stated.map((r) => (isRecord(r) ? r.transferId : undefined)))
    for (const ingest of own.ingests) {
      if (!carried.has(ingest.from.transferId)) found.push({subject: ingest.exhibit, message: `was received from another custodian (${ingest.from.transferId}), but the archive does not carry the sender's record of it`})
    }

    // Every hand-over this archive's own events record (a seal carries the transfer-received events
    // that brought its exhibits, a second sender's of the same file too) has its sender's record.
    for (const [transferId, event] of own.received) {
      if (!carried.has(transferId)) found.push({subject: `event ${event.seq}`, message: `records ${transferId} (transfer-received), but the archive does not carry the sender's record of that hand-over`})
    }

    context.handOvers = found.length > 0 ? null : handOvers
    return concluded(context, found, found.length > 0 ? "the senders' records do not hold" : `${handOvers.length} hand-over${handOvers.length === 1 ? '' : 's'} before this case sealed, each the sender's signed record and this case's signed receipt (listed below)`)
  },
}
