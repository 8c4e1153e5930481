/**
 * The layout of a sealed bag, for the sealer and the verifier alike: which files a bag holds and
 * where, how large each small one can be, and bag-info.txt, which says nothing the seal statement
 * does not. The statement (data/custody/seal.json) is the one signed document of a bag, so every
 * file must be one it accounts for:
 *   - the tag files of RFC 8493 §2 (bagit.txt, bag-info.txt, both payload and tag manifests),
 *     README.txt and verify-bag.py, whose SHA-256s the statement states;
 *   - under data/: each exhibit's original and metadata record at the paths the statement gives,
 *     and the custody files it names (events, checkpoint, key, timestamp files), and at HQ, for
 *     each hand-over that brought a sealed exhibit, the sender's record under data/custodians/;
 *   - nothing else. A file that the statement does not name would be reported as intact by a
 *     validator of the manifests alone, yet nobody vouches for it.
 */
import {createHash} from 'node:crypto'
import {MAX_EVENT_BYTES} from '../formats/events.js'
import {formatBytes} from '../render/text.js'
import {EARLIER_SEALS_PATH} from './earlier-seals.js'
import {CHECKPOINT_PATH, CONSISTENCY_PATH, CUSTODY_DIR, KEY_PATH, STAMPED_CHECKPOINT_PATH, STAMPED_KEY_PATH, TSA_ROOTS_PATH, tokenPath} from './trust-files.js'
import {isRecord} from '../formats/guards.js'

export const STATEMENT_PATH = `${CUSTODY_DIR}/seal.json`
export const STATEMENT_SIGNATURE_PATH = `${STATEMENT_PATH}.sig`
export const EVENTS_PATH = `${CUSTODY_DIR}/events.jsonl`
/**
 * A transfer package's files (docs/design/transfers.md): the transfer statement, its signature,
 * and the consistency proof from the receiver's last receipt. The statement (src/transfers/
 * transfer-statement.ts) owns what they hold; a seal statement names them under `transfer`.
 * Not `consistency.json`, beside the timestamps' consistency-proof.json: two names too alike.
 */
export const TRANSFER_PATH = `${CUSTODY_DIR}/transfer.json`
export const TRANSFER_SIGNATURE_PATH = `${TRANSFER_PATH}.sig`
export const TRANSFER_CONSISTENCY_PATH = `${CUSTODY_DIR}/transfer-consistency.json`
/**
 * A seal of received exhibits (docs/design/transfers.md "HQ's seal") carries, for each hand-over
 * that brought one, the sender's own record of it in a folder of its own:
 * data/custodians/<sender's case ID>/<transfer ID>/ holding the files below. The sender's files are
 * the package's own bytes, so the sender's signatures hold over them; the receipt is this case's,
 * as it signed it. src/transfers/sealed-custodians.ts makes them; the custodians check verifies them.
 */
export const CUSTODIANS_DIR = 'data/custodians'
export const CUSTODIAN_FILES = {
  /** The sender's signed transfer statement and its raw signature, as in the package. */
  transfer: 'transfer.json',
  transferSignature: 'transfer.json.sig',
  /** The sender's checkpoint the package was sealed on, and its signature. */
  checkpoint: 'checkpoint.json',
  checkpointSignature: 'checkpoint.json.sig',
  /** The sender's public key (the package's investigator.pem), and the key that signed the receipt. */
  senderKey: 'sender.pem',
  receiverKey: 'receiver.pem',
  /** The sender's events of the sealed exhibits, with the case's and the keys', each with its inclusion proof to the checkpoint. */
  events: 'events.jsonl',
  /** The receipt this case signed when it accepted the package, and its raw signature. */
  receipt: 'receipt.json',
  receiptSignature: 'receipt.json.sig',
} as const
export type CustodianFileRole = keyof typeof CUSTODIAN_FILES

/**
 * In a field package's record whose sender's key events rotate its key: for each rotation, the
 * sender's checkpoint over it signed by the key it replaced, as the package's
 * ledger-checkpoints.jsonl holds it (one canonical {"body", "signature"} line, in order). It
 * proves each new key was vouched for by the one before (the record's events are proven only
 * under the newest). The statement names it as the record's `files.rotations`, only when present.
 */
export const ROTATIONS_FILE = 'rotations.jsonl'
/** Its most lines: one a key event. */
const ROTATION_LINE = 8 * 1024

/** The folder of one hand-over's record: its two IDs are a UUID and TRANSFER- with 16 hex, safe as names. */
export function custodianFolder(senderCase: string, transferId: string): string {
  return `${CUSTODIANS_DIR}/${senderCase}/${transferId}`
}

const SENDER_CASE = /^[0-9a-f-]{36}$/
const TRANSFER_ID = /^TRANSFER-[0-9a-f]{16}$/

/** What a seal statement says of one hand-over's record (its `custodians`, present only in a seal of received exhibits). */
export interface SealedCustodian {
  transferId: string
  from: {case: string; name: string; organisation: string | null; fingerprint: string}
  releasedAt: string
  receivedAt: string
  /** The sender's exhibit IDs sealed here, each with this case's ID for it. */
  items: Array<{exhibit: string; receivedAs: string}>
  folder: string
  /** Each file of the folder, by role, with its SHA-256 (`rotations`: ROTATIONS_FILE, when there is one). */
  files: Record<CustodianFileRole, {path: string; sha256: string}> & {rotations?: {path: string; sha256: string}}
  /** How many lines the events file has. */
  eventCount: number
}

export const README_PATH = 'README.txt'
/** The standalone checker of the bag (Python 3, standard library only), whose SHA-256 the statement states. */
export const CHECKER_PATH = 'verify-bag.py'
export const BAG_INFO_PATH = 'bag-info.txt'
export const BAGIT_PATH = 'bagit.txt'
export const PAYLOAD_MANIFESTS = ['manifest-sha256.txt', 'manifest-sha512.txt'] as const
export const TAG_MANIFESTS = ['tagmanifest-sha256.txt', 'tagmanifest-sha512.txt'] as const
/** Every file of a bag outside data/. */
export const TAG_FILES: readonly string[] = [BAGIT_PATH, BAG_INFO_PATH, ...PAYLOAD_MANIFESTS, README_PATH, CHECKER_PATH, ...TAG_MANIFESTS]

const KiB = 1024
const MiB = 1024 * KiB

/**
 * The most any genuine file or line of a bag can hold, with room to spare. A verifier refuses more
 * before it reads it, so that a small hostile archive cannot make it hold or parse gigabytes.
 */
export const BAG_LIMITS = {
  /** A payload manifest line: a 128-digit SHA-512, two spaces and a path of at most a few hundred bytes. */
  manifestLine: 16 * KiB,
  /** An events.jsonl line: an event (the ledger refuses larger) with its hashes and inclusion proof. */
  eventLine: MAX_EVENT_BYTES + 64 * KiB,
  /** One element of the statement's exhibits. */
  statementExhibit: 64 * KiB,
  /** The statement without its exhibits: the case, the trust files, the testimonies. */
  statementRest: 16 * MiB,
  /** The tokens a statement may name: one a TSA, and a case asks a few. */
  tokens: 64,
  /** The testimony events of an archive, together (their text is held while checked). */
  testimonyEvents: 16 * MiB,
  /** Key events: a key-created and its rotations. */
  keyEvents: 1000,
  /** A line of earlier-seals.jsonl: a seal and its consistency proof (at most 64 hashes). */
  earlierSealLine: 16 * KiB,
  /** The earlier seals an archive may list: more than any case makes. */
  earlierSeals: 10_000,
  /** A transfer statement: its items (1,000 at most, a few hundred bytes each) and two custodians. */
  transferStatement: MiB,
  /** The hand-overs a seal may carry the records of: more than any case receives. */
  custodians: 10_000,
  /** A receipt: as a transfer statement, its items and a custodian. */
  receipt: MiB,
} as const

/** The files of a bag that are read whole, and the most each can hold. */
export function smallFileLimit(path: string): number | undefined {
  if (path === BAGIT_PATH) return KiB
  if (path === BAG_INFO_PATH) return 64 * KiB
  if (path === README_PATH) return MiB
  if (path === CHECKER_PATH) return 256 * KiB
  if ((TAG_MANIFESTS as readonly string[]).includes(path)) return 64 * KiB
  if (path.endsWith('.sig')) return 64
  if (path === CHECKPOINT_PATH || path === STAMPED_CHECKPOINT_PATH || path === KEY_PATH || path === STAMPED_KEY_PATH) return 4 * KiB
  if (path === CONSISTENCY_PATH || path === TRANSFER_CONSISTENCY_PATH) return 64 * KiB
  if (path === TRANSFER_PATH) return BAG_LIMITS.transferStatement
  if (path.startsWith(`${CUSTODIANS_DIR}/`)) return custodianFileLimit(path.slice(path.lastIndexOf('/') + 1))
  // A TSA's reply: custody refuses one larger when it receives it.
  if (path === TSA_ROOTS_PATH || path.endsWith('.tsr')) return MiB
  return undefined
}

/** The bound of a file of a hand-over's record, by its name; the events are streamed, a line at a time. */
function custodianFileLimit(name: string): number | undefined {
  if (name === CUSTODIAN_FILES.transfer) return BAG_LIMITS.transferStatement
  if (name === CUSTODIAN_FILES.receipt) return BAG_LIMITS.receipt
  if (name === CUSTODIAN_FILES.checkpoint || name === CUSTODIAN_FILES.senderKey || name === CUSTODIAN_FILES.receiverKey) return 4 * KiB
  if (name === ROTATIONS_FILE) return BAG_LIMITS.keyEvents * ROTATION_LINE
  return undefined
}

/** A file of a bag with its digests, as both manifests of its kind list it. */
export interface ManifestEntry {
  /** Path inside the bag, with `/` separators (RFC 8493 §2.1.3). */
  path: string
  sha256: string
  sha512: string
}

/** The manifest entry of a file held whole. */
export function manifestEntryOf(path: string, bytes: Uint8Array): ManifestEntry {
  return {path, sha256: createHash('sha256').update(bytes).digest('hex'), sha512: createHash('sha512').update(bytes).digest('hex')}
}

/**
 * One manifest line, `<digest>  <path>` (RFC 8493 §2.1.3), as sha256sum -c and bagit-python read
 * it. Paths custody writes need no percent-encoding: safeFileName() keeps CR, LF and `%` out.
 */
export function manifestLine(hex: string, path: string): string {
  return `${hex}  ${path}\n`
}

/** A manifest's lines, sorted by path (the order a seal writes its payload in). */
export function manifest(entries: readonly ManifestEntry[], algorithm: 'sha256' | 'sha512'): string {
  return [...entries]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((e) => manifestLine(e[algorithm], e.path))
    .join('')
}

/** `<digest>  <path>` (RFC 8493 §2.1.3); `*` before the path is sha256sum's binary mark. */
export function parseManifestLine(line: string): {hex: string; path: string} | undefined {
  const match = /^([0-9a-fA-F]+)[ \t]+\*?(.+)$/.exec(line)
  return match ? {hex: match[1]!.toLowerCase(), path: match[2]!} : undefined
}

/**
 * The custody files under data/ that a statement names (besides the exhibits' files), each
 * checked against where custody puts it; or the problems. Hostile input: a statement may name a
 * path outside data/custody/ to make a verifier read something else.
 */
export function statedCustodyFiles(statement: Record<string, unknown>): {files: string[]; problems: string[]} {
  const files = [STATEMENT_PATH, STATEMENT_SIGNATURE_PATH]
  const problems: string[] = []
  const expect = (what: string, actual: unknown, expected: string): void => {
    if (actual === expected) files.push(expected)
    else problems.push(`its ${what} is ${JSON.stringify(actual)}, not ${expected}`)
  }

  const events = isRecord(statement.events) ? statement.events : {}
  const checkpoint = isRecord(statement.checkpoint) ? statement.checkpoint : {}
  const key = isRecord(statement.key) ? statement.key : {}
  expect('events path', events.path, EVENTS_PATH)
  expect('checkpoint path', checkpoint.path, CHECKPOINT_PATH)
  expect('checkpoint signature path', checkpoint.signature, `${CHECKPOINT_PATH}.sig`)
  expect('key path', key.path, KEY_PATH)
  const readme = isRecord(statement.readme) ? statement.readme : {}
  if (readme.path !== README_PATH) problems.push(`its readme path is ${JSON.stringify(readme.path)}, not ${README_PATH}`)
  const checker = isRecord(statement.checker) ? statement.checker : {}
  if (checker.path !== CHECKER_PATH) problems.push(`its checker path is ${JSON.stringify(checker.path)}, not ${CHECKER_PATH}`)
  // The earlier-seals check says what is wrong with a statement that names it otherwise.
  if (isRecord(statement.earlierSeals) && statement.earlierSeals.path === EARLIER_SEALS_PATH) files.push(EARLIER_SEALS_PATH)
  if ('transfer' in statement) files.push(...statedTransferFiles(statement.transfer, problems))
  if ('custodians' in statement) files.push(...statedCustodianFiles(statement.custodians, problems))
  const stamp = statement.timestamp
  if (stamp === null) return {files, problems}
  if (!isRecord(stamp)) {
    problems.push('its timestamp is neither null nor an object')
    return {files, problems}
  }

  const stampedSeparately = stamp.checkpoint !== CHECKPOINT_PATH
  if (stampedSeparately) {
    expect('stamped checkpoint path', stamp.checkpoint, STAMPED_CHECKPOINT_PATH)
    files.push(`${STAMPED_CHECKPOINT_PATH}.sig`)
    expect('consistency proof path', stamp.consistencyProof, CONSISTENCY_PATH)
    if (stamp.key !== KEY_PATH) expect('stamped key path', stamp.key, STAMPED_KEY_PATH)
  } else {
    if (stamp.consistencyProof !== null) problems.push('it names a consistency proof for a checkpoint that is itself the stamped one')
    if (stamp.key !== KEY_PATH) problems.push(`its stamped key path is ${JSON.stringify(stamp.key)}, not ${KEY_PATH}`)
  }

  expect('TSA roots path', stamp.roots, TSA_ROOTS_PATH)
  const tokens = Array.isArray(stamp.tokens) ? stamp.tokens : []
  if (tokens.length > BAG_LIMITS.tokens) problems.push(`it names ${tokens.length} timestamp tokens, more than the ${BAG_LIMITS.tokens} any case asks for`)
  for (const [i, token] of tokens.slice(0, BAG_LIMITS.tokens).entries()) {
    expect(`token ${i + 1} path`, isRecord(token) ? token.path : undefined, tokenPath(String(stamp.checkpoint), i))
  }

  return {files, problems}
}

/** What a seal statement says of a transfer package's files (absent from a seal that is no transfer). */
export interface TransferFiles {
  path: string
  signature: string
  sha256: string
  /** Null the first time: no receipt of the receiver's to be consistent with. */
  consistency: string | null
}

/** The transfer files a statement names, each where custody puts it; problems otherwise. */
function statedTransferFiles(stated: unknown, problems: string[]): string[] {
  if (!isRecord(stated)) {
    problems.push('its transfer is not an object')
    return []
  }

  const files: string[] = []
  const expect = (what: string, actual: unknown, expected: string): void => {
    if (actual === expected) files.push(expected)
    else problems.push(`its transfer ${what} is ${JSON.stringify(actual)}, not ${expected}`)
  }

  expect('path', stated.path, TRANSFER_PATH)
  expect('signature path', stated.signature, TRANSFER_SIGNATURE_PATH)
  if (stated.consistency !== null) expect('consistency proof path', stated.consistency, TRANSFER_CONSISTENCY_PATH)
  return files
}

/**
 * The files of the hand-overs' records a statement names, each where custody puts it (the folder
 * made of the sender's case and the transfer, each file by its role); problems otherwise. Whether
 * the records hold is the custodians check's.
 */
function statedCustodianFiles(stated: unknown, problems: string[]): string[] {
  if (!Array.isArray(stated) || stated.length === 0 || stated.length > BAG_LIMITS.custodians) {
    problems.push(`its custodians is not a list of 1 to ${BAG_LIMITS.custodians} hand-overs`)
    return []
  }

  const files: string[] = []
  for (const [i, record] of stated.entries()) {
    const from = isRecord(record) && isRecord(record.from) ? record.from : {}
    const kase = String(from.case)
    const transferId = isRecord(record) ? String(record.transferId) : ''
    if (!isRecord(record) || !SENDER_CASE.test(kase) || !TRANSFER_ID.test(transferId) || record.folder !== custodianFolder(kase, transferId) || !isRecord(record.files)) {
      problems.push(`its custodians[${i}] does not name its sender's case, its transfer and their folder as custody writes them`)
      continue
    }

    const named = record.files
    for (const [role, name] of Object.entries(CUSTODIAN_FILES)) {
      const path = `${record.folder}/${name}`
      const file = named[role]
      if (isRecord(file) && file.path === path) files.push(path)
      else problems.push(`its custodians[${i}].files.${role} is not ${path}`)
    }

    const rotations = `${record.folder}/${ROTATIONS_FILE}`
    if (named.rotations === undefined) continue
    if (isRecord(named.rotations) && named.rotations.path === rotations) files.push(rotations)
    else problems.push(`its custodians[${i}].files.rotations is not ${rotations}`)
  }

  return files
}

/** What bag-info.txt says: all of it from the statement, but the payload's size. */
export interface BagInfoSource {
  sealId: string
  case: {id: string; title: string; organisation: string | null; investigator: string}
  sealer: string
  sealedAt: string
  purpose: string | null
  treeHead: {size: number; root: string}
  key: {fingerprint: string}
  timestamp: {treeSize: number; tokens: ReadonlyArray<{genTime: string}>} | null
  custodyVersion: string
}

/** A metadata label's value on one line: RFC 8493 §2.2.2 allows folding, custody never folds. */
function oneLine(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is being replaced
  return value.replace(/[\u0000-\u001F\u007F]+/g, ' ').trim()
}

/** bag-info.txt (RFC 8493 §2.2.2) of a sealed bag: the sealer writes it, the verifier writes it again and compares. */
export function sealBagInfo(s: BagInfoSource, payload: {bytes: number; count: number}): string {
  const labels: Array<[string, string]> = [
    ['Source-Organization', s.case.organisation ?? 'not recorded'],
    ['Contact-Name', s.case.investigator],
    ['External-Identifier', s.case.id],
    ['External-Description', `${s.case.title}${s.purpose ? ` (sealed for: ${s.purpose})` : ''}`],
    ['Bagging-Date', s.sealedAt.slice(0, 10)],
    ['Payload-Oxum', `${payload.bytes}.${payload.count}`],
    // RFC 8493 §2.2.2: a human-readable size.
    ['Bag-Size', formatBytes(payload.bytes)],
    ['Bag-Software-Agent', `custody ${s.custodyVersion}`],
    ['Custody-Seal-Identifier', s.sealId],
    ['Custody-Sealed-At', s.sealedAt],
    ['Custody-Sealed-By', s.sealer],
    ['Custody-Tree-Head', `${s.treeHead.size} ${s.treeHead.root}`],
    ['Custody-Signing-Key', s.key.fingerprint],
  ]
  if (s.timestamp) labels.push(['Custody-Timestamped', `${s.timestamp.treeSize} events by ${s.timestamp.tokens.map((t) => t.genTime).join(', ')}`])
  return labels.map(([label, value]) => `${label}: ${oneLine(value)}\n`).join('')
}

/** The bag-info source of a statement read from an archive (hostile), or why it has none. */
export function bagInfoSourceOf(statement: Record<string, unknown>): BagInfoSource | string {
  const text = (value: unknown): value is string => typeof value === 'string'
  const kase = isRecord(statement.case) ? statement.case : undefined
  const head = isRecord(statement.treeHead) ? statement.treeHead : undefined
  const key = isRecord(statement.key) ? statement.key : undefined
  const stamp = statement.timestamp
  if (!text(statement.sealId) || !text(statement.sealer) || !text(statement.sealedAt) || !text(statement.custodyVersion)) return 'the statement lacks its seal ID, sealer, time or version'
  if (!(statement.purpose === null || text(statement.purpose))) return "the statement's purpose is not text"
  if (kase === undefined || !text(kase.id) || !text(kase.title) || !text(kase.investigator) || !(kase.organisation === null || text(kase.organisation))) return "the statement's case is incomplete"
  if (head === undefined || typeof head.size !== 'number' || !text(head.root)) return "the statement's tree head is incomplete"
  if (key === undefined || !text(key.fingerprint)) return "the statement's key has no fingerprint"
  let timestamp: BagInfoSource['timestamp'] = null
  if (stamp !== null) {
    if (!isRecord(stamp) || typeof stamp.treeSize !== 'number' || !Array.isArray(stamp.tokens)) return "the statement's timestamp is incomplete"
    const tokens = (stamp.tokens as unknown[]).slice(0, BAG_LIMITS.tokens)
    if (!tokens.every((t) => isRecord(t) && text(t.genTime))) return "the statement's tokens have no times"
    timestamp = {treeSize: stamp.treeSize, tokens: tokens as Array<{genTime: string}>}
  }

  return {
    sealId: statement.sealId,
    case: {id: kase.id, title: kase.title, organisation: kase.organisation, investigator: kase.investigator},
    sealer: statement.sealer,
    sealedAt: statement.sealedAt,
    purpose: statement.purpose,
    treeHead: {size: head.size, root: head.root},
    key: {fingerprint: key.fingerprint},
    timestamp,
    custodyVersion: statement.custodyVersion,
  }
}
