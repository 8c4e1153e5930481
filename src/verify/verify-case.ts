/**
 * `custody verify` of a local case: an fsck of the ledger and the vault.
 *
 * Every stored row is hostile input. The checks, each reported with what was expected and what
 * was found:
 *   1. the SQLite file is sound (PRAGMA integrity_check) and its append-only triggers are there;
 *   2. the events form an unbroken chain: sequence numbers 0, 1, 2, ... with no gap; each event is
 *      canonical JSON (RFC 8785) that names its own sequence number and the previous hash; each
 *      stored hash is SHA-256(previous hash || canonical event); exhibits are numbered one after
 *      the other (after the numbers a restore-accepted event reserves); each seal's sealed-exhibits
 *      events follow it and list as many exhibits of the case as it says it took;
 *   3. the Merkle tree head (RFC 6962) recomputed over all events agrees with the last recorded
 *      head (head.json) and with the newest checkpoint custody signed for the case on this account
 *      (src/known-heads/, outside the case): the ledger still has at least that many events, and
 *      its prefix has the same root;
 *   4. every signed checkpoint: its Ed25519 signature by a key the ledger recorded, and its root
 *      equal to the root recomputed over the events it covers, so each is a prefix of the next and
 *      of the ledger now (RFC 9162 §2.1.4 consistency, checked on the events themselves); the
 *      last one covers every event. A ledger rebuilt by someone without the key fails here;
 *   5. every RFC 3161 token a timestamp event holds: over the exact bytes of its checkpoint,
 *      signed, and chained (at its genTime) to the roots recorded with it;
 *   6. every exhibit's original and metadata record in the vault hash to what the ledger says;
 *   7. every testimony's statement versions and attachments are exhibits with the digests it
 *      names, and each sealed witness identity is intact in the vault, encrypted to the case's
 *      identity key (it is not decrypted: verification needs no passphrase).
 *   8. the current signing key's file in .custody/keys/ is there and holds the public half and
 *      fingerprint the ledger's last key event records (its private half needs the passphrase,
 *      which verification does not ask for: the next command that signs checks it).
 *   9. with --against: the ledger extends each sealed archive or checkpoint file given (against.ts).
 * Objects the ledger does not mention, temp files and batches without an end are reported as
 * warnings: an interrupted ingest leaves them, and they change nothing that the ledger claims. So
 * are what killed seals left (a seal recorded but never published among them: seal/leftovers.ts)
 * and folders or files of .custody open to other users (case/permissions.ts).
 */
import {relative} from 'node:path'
import {bytesToHex, hexToBytes} from '@noble/hashes/utils.js'
import {canonicalize} from '../canonical/jcs.js'
import {Case as CaseClass, CASE_FOLDER, type Case} from '../case/case.js'
import {messageOf} from '../errors.js'
import {chainHash, EVENT_VERSION, eventLeafHash, GENESIS_HASH} from '../ledger/event.js'
import {compareWithHead, HEAD_FILE} from '../ledger/head-file.js'
import {TRIGGERS} from '../ledger/schema.js'
import {isKeyEvent, readKeyEvent} from '../keys/key-events.js'
import type {SignedCheckpoint} from '../checkpoints/checkpoint.js'
import {plural} from '../render/text.js'
import {timestampCoverage, timestampHistory} from '../timestamps/stamp-case.js'
import {checkTimestampReply, parsePemCertificates} from '../timestamps/token.js'
import {checkCheckpointSeries, keyHistory, type RecordedKey} from '../checkpoints/verify-checkpoints.js'
import {readKeyFileState} from '../keys/signing-key.js'
import {MerkleTree} from '../merkle/tree.js'
import {PackedHashes} from '../merkle/packed-hashes.js'
import {HASH_SIZE} from '../merkle/rfc6962.js'
import {ClaimIndex, type ExhibitClaim} from './claim-index.js'
import {scratchWork} from '../io/scratch-db.js'
import type {ObjectCheck} from '../vault/vault.js'
import type {StoredEvent} from '../ledger/event.js'
import {IDENTITY_KEY_FILE, identityPublicKey} from '../testimony/identity.js'
import {listTestimonies, type TestimonyView} from '../testimony/testimonies.js'
import {unfinishedBatches} from '../ingest/batch.js'
import {compareFully, conflictMessage, recoveryAdvice} from '../known-heads/compare.js'
import {checkCaseAgainst, type AgainstFile} from './against.js'
import type {Certificate} from 'pkijs'
import {permissionWarnings} from '../case/permissions.js'
import {describeSealLeftovers, inspectSeals} from '../seal/leftovers.js'
import {HEX64, isRecord} from '../formats/guards.js'
import {formatExhibitId} from '../formats/ids.js'

export type ProblemKind =
  | 'ledger-file'
  | 'ledger-schema'
  | 'event'
  | 'chain'
  | 'tree-head'
  | 'checkpoint'
  | 'key'
  | 'timestamp'
  | 'vault-object'
  | 'metadata-record'
  | 'testimony'
  | 'against'

export interface VerifyProblem {
  kind: ProblemKind
  /** What the problem is about: `event 12`, `EX-000003`, a file. */
  subject: string
  message: string
  expected?: string
  actual?: string
}

export interface VerifyCheck {
  name: string
  ok: boolean
  detail: string
}

export interface VerifyReport {
  ok: boolean
  caseId: string
  root: string
  ledger: {events: number; treeHead: string; lastHash: string | null}
  exhibits: {total: number; intact: number}
  checks: VerifyCheck[]
  problems: VerifyProblem[]
  warnings: string[]
}

export interface VerifyProgress {
  objectsDone: number
  objectsTotal: number
}



/** Reads an exhibit's claims from an ingest event without trusting its shape. */
function claimOf(seq: number, event: Record<string, unknown>): ExhibitClaim | string {
  const payload = event.payload
  if (!isRecord(payload) || !isRecord(payload.digests)) return 'its payload has no digests'
  const {sha256, sha512} = payload.digests
  if (typeof sha256 !== 'string' || !HEX64.test(sha256)) return 'its SHA-256 is not 64 hex digits'
  const metadata = isRecord(payload.metadata) ? payload.metadata : {}
  return {
    exhibit: typeof event.exhibit === 'string' ? event.exhibit : `event ${seq}`,
    seq,
    sha256,
    sha512: typeof sha512 === 'string' ? sha512 : undefined,
    size: typeof payload.size === 'number' ? payload.size : undefined,
    record: typeof metadata.record === 'string' && HEX64.test(metadata.record) ? metadata.record : undefined,
  }
}

function checkLedgerFile(kase: Case, problems: VerifyProblem[], checks: VerifyCheck[]): void {
  const facts = kase.ledger.schemaFacts()
  const sound = facts.integrity.length === 1 && facts.integrity[0] === 'ok'
  if (!sound) {
    problems.push({kind: 'ledger-file', subject: kase.ledger.path, message: `SQLite integrity check failed: ${facts.integrity.slice(0, 5).join('; ')}`})
  }

  const missing = TRIGGERS.filter((name) => !facts.triggers.includes(name))
  for (const name of missing) {
    problems.push({
      kind: 'ledger-schema',
      subject: kase.ledger.path,
      message: `the append-only trigger ${name} has been removed: someone changed the ledger's schema outside custody`,
      expected: name,
      actual: 'missing',
    })
  }

  checks.push({name: 'ledger file', ok: sound && missing.length === 0, detail: sound ? `SQLite integrity ok, ${TRIGGERS.length - missing.length}/${TRIGGERS.length} append-only triggers` : 'SQLite integrity check failed'})
}

interface ChainFacts {
  /** Each event's leaf hash, in the order of the rows. */
  leaves: PackedHashes
  /** Each row's stored hash, in the same order. */
  hashAt: (index: number) => string | undefined
  keys: RecordedKey[]
  lastHash: string | null
}

/**
 * The stored hashes of the rows, in order: packed when they are 64 hex digits, as custody writes
 * them; any other (a damaged row, already a problem of the chain) kept as it is.
 */
class StoredHashes {
  private readonly packed = new PackedHashes()
  private readonly odd = new Map<number, string>()

  push(hash: string): void {
    if (HEX64.test(hash)) {
      this.packed.push(hexToBytes(hash))
    } else {
      this.odd.set(this.packed.length, hash)
      this.packed.push(new Uint8Array(HASH_SIZE))
    }
  }

  at(index: number): string | undefined {
    const bytes = this.packed.at(index)
    return bytes === undefined ? undefined : (this.odd.get(index) ?? bytesToHex(bytes))
  }
}

/**
 * Part of step 2: what the ledger says each seal took. A `seal` event says how many exhibits went
 * into its archive; the `sealed-exhibits` events right after it list them, numbered from 1
 * without a gap, and each must be an exhibit ingested before it.
 */
class SealLists {
  private open: {seq: number; sealId: unknown; count: unknown; next: number} | undefined

  constructor(
    private readonly problems: VerifyProblem[],
    private readonly claims: ClaimIndex,
  ) {}

  /** The next event of the chain. */
  event(seq: number, event: Record<string, unknown>): void {
    const payload = isRecord(event.payload) ? event.payload : {}
    if (event.action !== 'sealed-exhibits') {
      this.end()
      if (event.action === 'seal') this.open = {seq, sealId: payload.sealId, count: payload.exhibitCount, next: 1}
      return
    }

    const at = `event ${seq}`
    const list = Array.isArray(payload.exhibits) ? (payload.exhibits as unknown[]) : []
    const seal = this.open
    if (seal === undefined || payload.sealId !== seal.sealId) {
      this.problems.push({kind: 'event', subject: at, message: `it lists exhibits of seal ${String(payload.sealId)}, but does not follow that seal's event`})
      return
    }

    if (payload.first !== seal.next || list.length === 0) {
      this.problems.push({kind: 'event', subject: at, message: `the list of seal ${String(seal.sealId)}'s exhibits is broken: this event should list them from number ${seal.next}`, expected: String(seal.next), actual: `${String(payload.first)} (${list.length} listed)`})
    }

    const unknown = list.filter((id) => typeof id !== 'string' || this.claims.sha256Of(id) === undefined)
    if (unknown.length > 0) {
      this.problems.push({kind: 'event', subject: at, message: `seal ${String(seal.sealId)} lists ${plural(unknown.length, 'exhibit')} the case did not have: ${unknown.slice(0, 3).map(String).join(', ')}${unknown.length > 3 ? ', …' : ''}`})
    }

    seal.next += list.length
  }

  /** The end of a seal's lists: they must hold as many exhibits as it says. */
  end(): void {
    const seal = this.open
    this.open = undefined
    if (seal === undefined || seal.next - 1 === seal.count) return
    if (typeof seal.count !== 'number') {
      this.problems.push({kind: 'event', subject: `event ${seal.seq}`, message: `seal ${String(seal.sealId)} records no count of its exhibits (exhibitCount)`})
      return
    }

    this.problems.push({
      kind: 'event',
      subject: `event ${seal.seq}`,
      message: `seal ${String(seal.sealId)} says it took ${plural(seal.count, 'exhibit')}, but the events after it list ${seal.next - 1}`,
      expected: String(seal.count),
      actual: String(seal.next - 1),
    })
  }
}

/** Step 2: the chain of events, read once; the exhibits' claims go to `claims`. */
function checkChain(kase: Case, problems: VerifyProblem[], claims: ClaimIndex): ChainFacts {
  const leaves = new PackedHashes()
  const hashes = new StoredHashes()
  const keys: RecordedKey[] = []
  const seals = new SealLists(problems, claims)
  let expectedSeq = 0
  let prevHash = GENESIS_HASH
  let lastHash: string | null = null
  /** The number of the last exhibit given or reserved: each ingest must give the next. */
  let lastExhibit = 0
  const prefix = kase.info.prefix
  for (const row of kase.ledger.rawRows()) {
    const at = `event ${row.seq}`
    if (row.seq !== expectedSeq) {
      problems.push({
        kind: 'chain',
        subject: at,
        message:
          row.seq > expectedSeq
            ? `events ${expectedSeq}..${row.seq - 1} are missing: the sequence jumps from ${expectedSeq - 1} to ${row.seq}`
            : `sequence number ${row.seq} is out of order`,
        expected: String(expectedSeq),
        actual: String(row.seq),
      })
    }

    leaves.push(eventLeafHash(typeof row.event === 'string' ? row.event : String(row.event)))
    let event: unknown
    try {
      event = JSON.parse(row.event)
    } catch (error) {
      problems.push({kind: 'event', subject: at, message: `its stored JSON does not parse: ${messageOf(error)}`})
    }

    if (event !== undefined) {
      let canonical: string | undefined
      try {
        canonical = canonicalize(event)
      } catch (error) {
        problems.push({kind: 'event', subject: at, message: messageOf(error)})
      }

      if (canonical !== undefined && canonical !== row.event) {
        problems.push({kind: 'event', subject: at, message: 'its stored JSON is not in canonical form: it was written by something other than custody'})
      }

      if (!isRecord(event) || event.v !== EVENT_VERSION) {
        problems.push({kind: 'event', subject: at, message: `it is not a version ${EVENT_VERSION} custody event`})
      } else {
        if (event.seq !== row.seq) {
          problems.push({kind: 'chain', subject: at, message: `the event inside says it is event ${String(event.seq)}: it was moved`, expected: String(row.seq), actual: String(event.seq)})
        }

        if (event.prev !== row.prev_hash) {
          problems.push({kind: 'event', subject: at, message: "the previous hash inside the event differs from the row's", expected: row.prev_hash, actual: String(event.prev)})
        }

        if (row.seq === 0 && event.action !== 'create-case') {
          problems.push({kind: 'event', subject: at, message: 'the ledger does not start with create-case', expected: 'create-case', actual: String(event.action)})
        }

        if (event.action === 'restore-accepted') {
          // The numbers a lost copy may have given are reserved (accept-restore.ts): numbering goes on after them.
          const reserved = isRecord(event.payload) ? event.payload.reservedExhibitNumbers : undefined
          if (typeof reserved !== 'number' || !Number.isSafeInteger(reserved) || reserved < 0) {
            problems.push({kind: 'event', subject: at, message: 'the restore-accepted event reserves no exhibit numbers (reservedExhibitNumbers)', actual: String(reserved)})
          } else {
            lastExhibit = Math.max(lastExhibit, reserved)
          }
        }

        if (event.action === 'ingest') {
          lastExhibit++
          const expectedId = formatExhibitId(prefix, lastExhibit)
          if (event.exhibit !== expectedId) {
            problems.push({kind: 'event', subject: at, message: `exhibit IDs are not sequential: this ingest should have created ${expectedId}`, expected: expectedId, actual: String(event.exhibit)})
          }

          const claim = claimOf(row.seq, event)
          if (typeof claim === 'string') problems.push({kind: 'event', subject: at, message: `ingest event is malformed: ${claim}`})
          else claims.add(claim)
        }

        seals.event(row.seq, event)
        if (isKeyEvent(event)) {
          const read = readKeyEvent(event, row.seq, keys.at(-1))
          if ('problem' in read) problems.push({kind: 'key', subject: at, message: `key event is malformed: ${read.problem}`})
          else keys.push(read.key)
        }
      }
    }

    if (row.prev_hash !== prevHash) {
      problems.push({
        kind: 'chain',
        subject: at,
        message: `it does not chain to event ${row.seq - 1}: its previous hash is not that event's hash (an event before it was edited, removed or inserted)`,
        expected: prevHash,
        actual: row.prev_hash,
      })
    }

    const computed = chainHash(HEX64.test(row.prev_hash) ? row.prev_hash : GENESIS_HASH, String(row.event))
    if (computed !== row.hash) {
      problems.push({kind: 'chain', subject: at, message: 'its stored hash does not match its content: the event was edited', expected: computed, actual: row.hash})
    }

    prevHash = row.hash
    lastHash = row.hash
    hashes.push(row.hash)
    expectedSeq = row.seq + 1
  }

  seals.end()
  return {leaves, hashAt: (index) => hashes.at(index), keys: keyHistory(keys), lastHash}
}

async function checkTreeHead(kase: Case, tree: MerkleTree, problems: VerifyProblem[], warnings: string[]): Promise<string> {
  const subject = `${CASE_FOLDER}/${HEAD_FILE}`
  const head = await compareWithHead(kase.dataDir, tree)
  switch (head.status) {
    case 'unreadable': {
      problems.push({kind: 'tree-head', subject, message: `${head.problem}: the last recorded tree head cannot be compared (it was deleted or edited)`})
      return 'no recorded tree head'
    }

    case 'shorter': {
      problems.push({
        kind: 'tree-head',
        subject: `events ${head.size}..${head.record.size - 1}`,
        message: `the ledger has ${head.size} events but ${head.record.size} were recorded on ${head.record.writtenAt}: events were removed from its end`,
        expected: String(head.record.size),
        actual: String(head.size),
      })
      return 'ledger shorter than its recorded head'
    }

    case 'rewritten': {
      problems.push({
        kind: 'tree-head',
        subject,
        message: `the first ${head.record.size} events no longer have the Merkle root recorded on ${head.record.writtenAt}: the ledger was rewritten`,
        expected: head.record.root,
        actual: head.root,
      })
      return 'recorded head does not match'
    }

    default: {
      if (head.behind > 0) {
        warnings.push(`${head.behind} event(s) after the last recorded tree head (size ${head.record.size}); an interrupted command leaves this, and the next command records it`)
      }

      return `recorded head at size ${head.record.size} matches`
    }
  }
}

/**
 * Part of step 3: the newest checkpoint custody signed for this case on this account, kept outside
 * the case (src/known-heads/), must be a prefix of the ledger: its root recomputed over the
 * ledger's first events. Cut-off events or an older copy put back fail here even when head.json,
 * which goes back with the case, was rewritten to match.
 */
function checkKnownHead(kase: Case, tree: MerkleTree, problems: VerifyProblem[], warnings: string[]): string {
  const known = compareFully(kase.knownHead(), tree)
  switch (known.status) {
    case 'none': {
      return `no checkpoint of this case recorded on this account (${known.path}): it was made or last added to elsewhere`
    }

    case 'unreadable': {
      warnings.push(`custody's record of this case in ${known.path} cannot be used (${known.problem}); the next command that adds to the case replaces it`)
      return 'record unreadable'
    }

    case 'matches': {
      const {treeSize} = known.head.checkpoint
      const where = known.head.location !== null && known.head.location !== kase.root ? ` (recorded at ${known.head.location})` : ''
      return `the newest checkpoint custody signed for this case on this account, ${plural(treeSize, 'event')}${where}, is a prefix of the ledger`
    }

    default: {
      const {treeSize, rootHash} = known.head.checkpoint
      problems.push({
        kind: 'tree-head',
        subject: known.head.path,
        message: `${conflictMessage(known, kase.root)}. ${recoveryAdvice(known, kase.root)}`,
        expected: `${treeSize} events, root ${rootHash}`,
        actual: `${known.ledger.size} events, root ${known.ledger.root}`,
      })
      return known.status === 'shorter' ? 'the ledger is shorter than the newest checkpoint custody signed for it' : 'the ledger does not extend the newest checkpoint custody signed for it'
    }
  }
}

/** Re-checks every stored token against the checkpoint it stamps; returns the check's detail line. */
async function checkTimestamps(kase: Case, checkpoints: readonly SignedCheckpoint[], problems: VerifyProblem[]): Promise<string> {
  const bodies = new Map(checkpoints.map((c) => [c.seq, c.body]))
  let good = 0
  let newest: {treeSize: number; genTime: string} | undefined
  for (const record of timestampHistory(kase)) {
    const body = bodies.get(record.checkpoint.seq)
    for (const token of record.tokens) {
      const subject = `event ${record.eventSeq} (token from ${token.tsa})`
      if (body === undefined) {
        problems.push({kind: 'timestamp', subject, message: `it stamps checkpoint ${record.checkpoint.seq}, which the ledger does not have`})
        continue
      }

      const check = await checkTimestampReply(Buffer.from(String(token.token), 'base64'), {
        data: Buffer.from(body, 'utf8'),
        trusted: record.roots.flatMap((r) => parsePemCertificates(r.pem)),
      })
      if (!check.ok) {
        problems.push({kind: 'timestamp', subject, message: `the token does not hold: ${check.problem}`})
      } else if (check.genTime !== token.genTime) {
        problems.push({kind: 'timestamp', subject, message: 'the time recorded for the token is not the time inside it', expected: check.genTime, actual: String(token.genTime)})
      } else {
        good++
        if (newest === undefined || record.checkpoint.treeSize >= newest.treeSize) newest = {treeSize: record.checkpoint.treeSize, genTime: check.genTime}
      }
    }
  }

  const {pending} = timestampCoverage(kase)
  if (newest === undefined) return `no trusted timestamp yet; ${plural(pending, 'event')} waiting (run \`custody timestamp\`)`
  return `${plural(good, 'token')} valid; events 0..${newest.treeSize - 1} existed by ${newest.genTime}; ${plural(pending, 'event')} not yet timestamped`
}

async function checkTestimonies(kase: Case, claims: ClaimIndex, problems: VerifyProblem[]): Promise<string> {
  let views: TestimonyView[]
  let orphans: StoredEvent[]
  try {
    views = listTestimonies(kase)
    const known = new Set(views.map((v) => v.exhibit))
    orphans = kase.ledger.eventsOfKind('testimony-amended', 'consent-changed', 'identity-viewed').filter((e) => e.event.exhibit === null || !known.has(e.event.exhibit))
  } catch (error) {
    problems.push({kind: 'testimony', subject: 'testimony events', message: `cannot be read: ${messageOf(error)}`})
    return 'testimony events unreadable'
  }

  for (const orphan of orphans) {
    problems.push({kind: 'testimony', subject: `event ${orphan.event.seq}`, message: `a ${orphan.event.action} event for ${String(orphan.event.exhibit)}, which is not a testimony`})
  }

  const key = await identityPublicKey(kase.dataDir).catch(() => undefined)
  let identities = 0
  for (const view of views) {
    const subject = `${view.exhibit} (testimony of ${view.witness})`
    const linked: Array<[string, {exhibit: string; sha256: string}]> = [
      ...view.versions.map((v): [string, {exhibit: string; sha256: string}] => [`statement version ${v.version}`, v]),
      ...view.attachments.map((a): [string, {exhibit: string; sha256: string}] => ['attachment', a]),
    ]
    if (view.versions[0]?.exhibit !== view.exhibit) problems.push({kind: 'testimony', subject, message: 'its first statement version is not the testimony exhibit itself', expected: view.exhibit, actual: String(view.versions[0]?.exhibit)})
    view.versions.forEach((v, i) => {
      if (v.version !== i + 1) problems.push({kind: 'testimony', subject, message: 'its statement versions are not numbered 1, 2, 3, ...', expected: String(i + 1), actual: String(v.version)})
    })
    for (const [role, x] of linked) {
      const recorded = claims.sha256Of(x.exhibit)
      if (recorded !== x.sha256) {
        problems.push({kind: 'testimony', subject, message: `its ${role} ${x.exhibit} ${recorded === undefined ? 'is not an exhibit of the case' : 'is not the file it names'}`, expected: x.sha256, actual: recorded ?? 'no such exhibit'})
      }
    }

    if (view.identity === null) continue
    identities++
    claims.reference(String(view.identity.sealedRecord))
    const sealed = await kase.vault.checkObject({sha256: String(view.identity.sealedRecord)})
    if (sealed.status !== 'intact') {
      const described = describeObject(sealed)
      problems.push({kind: 'testimony', subject, ...described, message: described.message.replace('its vault file', 'its sealed identity record')})
    }

    const fingerprint = key?.fingerprint
    if (view.identity.encryptedTo !== fingerprint) {
      problems.push({
        kind: 'testimony',
        subject,
        message: fingerprint === undefined ? `the case's witness identity key (.custody/keys/${IDENTITY_KEY_FILE}) is missing or unreadable: the identity cannot be opened` : 'its identity is encrypted to another key than the case\'s identity key',
        expected: view.identity.encryptedTo,
        actual: fingerprint ?? 'no key',
      })
    }
  }

  return views.length === 0 ? 'no testimonies' : `${plural(views.length, 'testimony', 'testimonies')}: statement versions and attachments are the exhibits they name; ${plural(identities, 'sealed identity', 'sealed identities')} intact`
}

/** Step 8: the current key's file; returns the check's detail line. */
async function checkKeyFile(kase: Case, keys: readonly RecordedKey[], problems: VerifyProblem[]): Promise<string> {
  const key = keys.at(-1)
  // With no sound key event the chain check has already said so.
  if (key === undefined) return 'no key recorded in the ledger to check its file against'
  const state = await readKeyFileState(kase.dataDir, key)
  const subject = `${CASE_FOLDER}/${relative(kase.dataDir, state.path)}`
  const restore = `restore ${subject} from a backup of the case`
  switch (state.status) {
    case 'intact': {
      return `${CASE_FOLDER}/keys/ holds ${key.fingerprint}, the key the ledger records (event ${key.seq}): its public half checked; its private half is encrypted, and only the passphrase can check it (the next command that signs does)`
    }

    case 'missing': {
      problems.push({kind: 'key', subject, message: `the key file of the case's signing key ${key.fingerprint} is missing; ${restore} (until then nothing can be added to the case)`, expected: `the key file of ${key.fingerprint}`, actual: 'missing'})
      return 'the key file is missing'
    }

    case 'other-key': {
      problems.push({
        kind: 'key',
        subject,
        message: `the key file holds the key ${state.holds}, not the case's signing key ${key.fingerprint} that the ledger records (event ${key.seq}): it was replaced or edited; ${restore}`,
        expected: key.fingerprint,
        actual: state.holds,
      })
      return 'the key file holds another key'
    }

    default: {
      problems.push({kind: 'key', subject, message: `the key file ${state.problem}; ${restore}`})
      return 'the key file is not a sound key file'
    }
  }
}

function describeObject(check: ObjectCheck): {message: string; expected?: string; actual?: string} {
  const expected = check.expected.sha256
  switch (check.status) {
    case 'missing': {
      return {message: `its vault file ${check.path} is missing`}
    }

    case 'unreadable': {
      return {message: `its vault file ${check.path} cannot be read: ${check.detail ?? ''}`}
    }

    case 'truncated': {
      return {message: `its vault file ${check.path} was truncated`, expected: `${check.expected.size} bytes`, actual: `${check.actual?.size} bytes`}
    }

    default: {
      return {message: `its vault file ${check.path} was modified`, expected: `sha256 ${expected}`, actual: `sha256 ${check.actual?.sha256}`}
    }
  }
}

export interface VerifyCaseOptions {
  onProgress?: (progress: VerifyProgress) => void
  /** Sealed archives and checkpoint files the ledger must extend (against.ts). */
  against?: readonly AgainstFile[]
  /** TSA roots for the archives given with `against`. */
  tsaRoots?: Certificate[]
  /** Signing keys the archives given with `against` must be signed by (--key). */
  pinnedKeys?: readonly string[]
}

export async function verifyCase(kase: Case, options: VerifyCaseOptions = {}): Promise<VerifyReport> {
  return scratchWork('verify could not finish, which says nothing about the case', async () => {
    const claims = new ClaimIndex()
    try {
      return await verifyWith(kase, claims, options)
    } finally {
      claims.close()
    }
  })
}

async function verifyWith(kase: Case, claims: ClaimIndex, options: VerifyCaseOptions): Promise<VerifyReport> {
  const problems: VerifyProblem[] = []
  const warnings: string[] = []
  const checks: VerifyCheck[] = []

  // 1. the ledger file
  checkLedgerFile(kase, problems, checks)

  // 2. the chain
  const chainProblemsBefore = problems.length
  const {leaves, hashAt, keys, lastHash} = checkChain(kase, problems, claims)
  const chainOk = problems.length === chainProblemsBefore
  checks.push({name: 'event chain', ok: chainOk, detail: `${leaves.length} events${chainOk ? ', every hash and link intact' : ''}`})

  // 3. the tree head
  const tree = new MerkleTree(leaves.packed())
  const headBefore = problems.length
  const headDetail = await checkTreeHead(kase, tree, problems, warnings)
  const treeHead = bytesToHex(tree.root())
  checks.push({name: 'tree head', ok: problems.length === headBefore, detail: `root ${treeHead} over ${tree.size} events; ${headDetail}`})
  const knownBefore = problems.length
  const knownDetail = checkKnownHead(kase, tree, problems, warnings)
  checks.push({name: 'known head', ok: problems.length === knownBefore, detail: knownDetail})

  // 4. the signed checkpoints
  const checkpointRows = kase.ledger.checkpoints()
  const series = checkCheckpointSeries(checkpointRows, {
    caseId: kase.info.caseId,
    keys,
    size: tree.size,
    rootAt: (size) => bytesToHex(tree.root(size)),
    hashAt,
  })
  for (const problem of series.problems) problems.push({kind: 'checkpoint', ...problem})
  const signers = [...new Set(keys.map((k) => k.fingerprint))].join(', ')
  checks.push({
    name: 'checkpoints',
    ok: series.problems.length === 0,
    detail:
      series.problems.length === 0
        ? `${checkpointRows.length} signed checkpoints, each a prefix of the next; the last covers all ${tree.size} events; signed by ${signers}`
        : `${series.problems.length} problem(s) in ${checkpointRows.length} checkpoints`,
  })

  // 5. the timestamps
  const stampBefore = problems.length
  const stamps = await checkTimestamps(kase, checkpointRows, problems)
  checks.push({name: 'timestamps', ok: problems.length === stampBefore, detail: stamps})

  // 6. the vault
  const objectsTotal = claims.size * 2
  let objectsDone = 0
  let intact = 0
  const vaultBefore = problems.length
  // Two workers take the claims from one reader, a page at a time.
  const queue: Iterator<ExhibitClaim> = claims.all()
  const worker = async (): Promise<void> => {
    for (let next = queue.next(); next.done !== true; next = queue.next()) {
      const claim = next.value
      claims.reference(claim.sha256)
      const original = await kase.vault.checkObject({
        sha256: claim.sha256,
        ...(claim.size === undefined ? {} : {size: claim.size}),
        ...(claim.sha512 === undefined ? {} : {sha512: claim.sha512}),
      })
      let ok = original.status === 'intact'
      if (!ok) problems.push({kind: 'vault-object', subject: claim.exhibit, ...describeObject(original)})
      objectsDone++
      if (claim.record === undefined) {
        problems.push({kind: 'metadata-record', subject: claim.exhibit, message: 'its ingest event names no metadata record'})
        ok = false
      } else {
        claims.reference(claim.record)
        const record = await kase.vault.checkObject({sha256: claim.record})
        if (record.status !== 'intact') {
          const described = describeObject(record)
          problems.push({kind: 'metadata-record', subject: claim.exhibit, ...described, message: described.message.replace('its vault file', 'its metadata record')})
          ok = false
        }
      }

      objectsDone++
      if (ok) intact++
      options.onProgress?.({objectsDone, objectsTotal})
    }
  }

  await Promise.all(Array.from({length: 2}, () => worker()))
  checks.push({name: 'vault', ok: problems.length === vaultBefore, detail: `${intact}/${claims.size} exhibits intact (original and metadata record re-hashed)`})

  // 7. the testimonies
  const testimonyBefore = problems.length
  const testimonyDetail = await checkTestimonies(kase, claims, problems)
  checks.push({name: 'testimonies', ok: problems.length === testimonyBefore, detail: testimonyDetail})

  // 8. the signing key's file
  const keyBefore = problems.length
  const keyDetail = await checkKeyFile(kase, keys, problems)
  checks.push({name: 'signing key', ok: problems.length === keyBefore, detail: keyDetail})

  for await (const address of kase.vault.eachObject()) {
    const name = address.split('/')[1] ?? address
    if (!HEX64.test(name) || address.split('/')[0] !== name.slice(0, 2)) {
      warnings.push(`the vault holds a file that is not a custody object: sha256/${address}`)
    } else if (!claims.isReferenced(name)) {
      warnings.push(`vault object ${name} is not named by any event (left by an interrupted ingest; harmless)`)
    }
  }

  // 8. against
  if (options.against !== undefined && options.against.length > 0) {
    const against = await checkCaseAgainst(options.against, {caseId: kase.info.caseId, keys, tree}, {
      ...(options.tsaRoots === undefined ? {} : {tsaRoots: options.tsaRoots}),
      ...(options.pinnedKeys === undefined ? {} : {pinnedKeys: options.pinnedKeys}),
    })
    checks.push(...against.checks)
    for (const problem of against.problems) problems.push({kind: 'against', ...problem})
  }

  for (const temp of await kase.vault.listTempFiles()) warnings.push(`temp file vault/tmp/${temp} (left by an interrupted or running ingest)`)
  warnings.push(...permissionWarnings(kase.dataDir), ...describeSealLeftovers(await inspectSeals(kase), false))
  try {
    for (const batch of unfinishedBatches(kase)) {
      warnings.push(
        `batch ${batch.id} (started at event ${batch.startedSeq}) has not ended: an ingest was interrupted or is still running; the files it took in are in the case, and running the same command again ingests the rest`,
      )
    }
  } catch (error) {
    // Unreadable events are the chain check's problems; here they only leave the batches unknown.
    warnings.push(`the batch events could not be read: ${messageOf(error)}`)
  }

  return {
    ok: problems.length === 0,
    caseId: kase.info.caseId,
    root: kase.root,
    ledger: {events: tree.size, treeHead, lastHash},
    exhibits: {total: claims.size, intact},
    checks,
    problems,
    warnings,
  }
}


/**
 * Opens the case and verifies it. A ledger too damaged to open is itself an integrity failure
 * (exit 3), not a usage error: the report says so.
 */
export async function verifyCaseAt(
  location: {root: string; foundBy: 'flag' | 'environment' | 'working directory'},
  options: VerifyCaseOptions = {},
): Promise<VerifyReport> {
  let kase: Case
  try {
    kase = CaseClass.open(location)
  } catch (error) {
    return {
      ok: false,
      caseId: 'unknown',
      root: location.root,
      ledger: {events: 0, treeHead: '', lastHash: null},
      exhibits: {total: 0, intact: 0},
      checks: [{name: 'ledger file', ok: false, detail: 'cannot be opened'}],
      problems: [{kind: 'ledger-file', subject: `${CASE_FOLDER}/ledger.sqlite`, message: `the ledger cannot be opened: ${messageOf(error)}`}],
      warnings: [],
    }
  }

  try {
    return await verifyCase(kase, options)
  } finally {
    kase.close()
  }
}
