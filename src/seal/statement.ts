/**
 * The seal statement (data/custody/seal.json): the one signed document of a bag, which names
 * every file in it (bag-layout.ts). This module owns its type, makes it from the case, writes it
 * (as JSON.stringify(statement, null, 2) would, its exhibits streamed), and reads it back from an
 * archive, where it is hostile input.
 */
import {createHash} from 'node:crypto'
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import {isRecord} from '../formats/guards.js'
import {canonicalWithList, jsonWithList} from '../render/json-lines.js'
import type {ConsentSelection} from '../testimony/consent-filter.js'
import type {Interview} from '../testimony/record.js'
import {CUSTODY_VERSION} from '../version.js'
import {safeFileName} from './bagit.js'
import {CHECKER_PATH, README_PATH, type SealedCustodian, type TransferFiles} from './bag-layout.js'
import type {SealChoice} from './choice.js'
import type {EarlierSealsStatement} from './earlier-seals.js'
import type {SpillFile} from '../io/spill-file.js'
import type {SealTrust} from './trust-files.js'

export interface SealStatement {
  type: 'custody-seal'
  version: 1
  sealId: string
  case: {id: string; title: string; organisation: string | null; investigator: string}
  sealer: string
  sealedAt: string
  purpose: string | null
  note: string | null
  treeHead: {size: number; root: string}
  /** The signed checkpoint the tree head comes from, the key, and the trusted time (trust-files.ts). */
  checkpoint: SealTrust['checkpoint']
  key: SealTrust['key']
  timestamp: SealTrust['timestamp']
  /** The events file: how many events, and its SHA-256, so that none can be left out unseen. */
  events: {path: string; count: number; sha256: string}
  /** README.txt's SHA-256: a tag file, which the manifests alone would let anyone rewrite. */
  readme: {path: string; sha256: string}
  /** verify-bag.py's SHA-256: a program the reader runs, so only the signed statement can vouch for it. */
  checker: {path: string; sha256: string}
  /** The seals the ledger had recorded, each proven a prefix of this one (earlier-seals.ts); null when there were none. */
  earlierSeals: EarlierSealsStatement | null
  /** A transfer package's files (`custody transfer export`); absent from every other seal, whose bytes it leaves as they were. */
  transfer?: TransferFiles
  /**
   * A seal of received exhibits: each hand-over that brought one, with the sender's record of it
   * under data/custodians/ (bag-layout.ts); absent from every other seal, whose bytes it leaves as they were.
   */
  custodians?: SealedCustodian[]
  exhibits: SealedExhibit[]
  /** The testimonies sealed: the open record only, with the commitment to the protected identity. */
  testimonies: SealedTestimony[]
  custodyVersion: string
}

export interface SealedExhibit {
  exhibit: string
  originalName: string
  path: string
  metadataPath: string
  sha256: string
  sha512: string
  size: number
  metadataRecord: string
}

export interface SealedTestimony {
  exhibit: string
  witness: string
  interview: Interview
  vulnerable: boolean
  /** The witness's consent when sealed; it covers the seal's purpose. */
  consent: string[]
  identityCommitment: string | null
  /** Where the witness's name or contact was found (never what): never in an advocacy seal. */
  identifyingContent: string[]
  versions: Array<{version: number; exhibit: string; sha256: string; reason: string | null}>
  attachments: string[]
}

/** The statement without its list of exhibits, which can be long; it is streamed, never held. */
export type SealStatementHead = Omit<SealStatement, 'exhibits'>

/** The statement before README.txt and verify-bag.py, which are made from it, are digested into it. */
export type DescribedSeal = Omit<SealStatementHead, 'readme' | 'checker'>

/** What a seal is made of, beside the case: gathered by the steps before the statement. */
export interface SealParts {
  sealId: string
  sealer: string
  sealedAt: Date
  purpose: string | undefined
  note: string | undefined
  treeHead: {size: number; root: string}
  trust: SealTrust
  events: {path: string; count: number; sha256: string}
  earlierSeals: EarlierSealsStatement | null
  transfer?: TransferFiles | undefined
  custodians?: SealedCustodian[] | undefined
  selection: ConsentSelection
  choice: SealChoice
}

/**
 * The seal's identifier: from the RFC 8785 canonical JSON of what identifies it, its exhibits
 * among them, hashed as it is made.
 */
export function sealIdOf(identity: {caseId: string; treeHead: {size: number; root: string}; sealedAt: string; purpose: string | null}, exhibits: Iterable<string>): string {
  const hash = createHash('sha256')
  for (const piece of canonicalWithList(identity, ['exhibits'], exhibits)) hash.update(piece)
  return `SEAL-${hash.digest('hex').slice(0, 16)}`
}

/** The statement of a seal, but its README digest and exhibits. Its keys are in the order written. */
export function describeSeal(kase: Case, parts: SealParts): DescribedSeal {
  const {info} = kase
  return {
    type: 'custody-seal',
    version: 1,
    sealId: parts.sealId,
    case: {id: info.caseId, title: info.title, organisation: info.organisation, investigator: info.investigator},
    sealer: parts.sealer,
    sealedAt: parts.sealedAt.toISOString(),
    purpose: parts.purpose?.trim() || null,
    note: parts.note?.trim() || null,
    treeHead: parts.treeHead,
    ...parts.trust,
    events: parts.events,
    earlierSeals: parts.earlierSeals,
    ...(parts.transfer === undefined ? {} : {transfer: parts.transfer}),
    ...(parts.custodians === undefined || parts.custodians.length === 0 ? {} : {custodians: parts.custodians}),
    testimonies: parts.selection.testimonies.map((t) => ({
      exhibit: t.exhibit,
      witness: t.witness,
      interview: t.interview,
      vulnerable: t.vulnerable,
      consent: t.consent.current,
      identityCommitment: t.identity?.commitment ?? null,
      identifyingContent: t.identifyingContent,
      versions: t.versions.map((v) => ({version: v.version, exhibit: v.exhibit, sha256: v.sha256, reason: v.reason})),
      attachments: t.attachments.map((a) => a.exhibit).filter((x) => parts.choice.has(x)),
    })),
    custodyVersion: CUSTODY_VERSION,
  }
}

/** The statement with the SHA-256s of README.txt and verify-bag.py in their place, after the earlier seals. */
export function withReadme(described: DescribedSeal, readme: Uint8Array, checker: Uint8Array): SealStatementHead {
  const {testimonies, custodyVersion, ...before} = described
  const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
  return {...before, readme: {path: README_PATH, sha256: sha256(readme)}, checker: {path: CHECKER_PATH, sha256: sha256(checker)}, testimonies, custodyVersion}
}

/** The statement with its exhibits in their place, before its testimonies. */
export function withExhibits<T>(head: SealStatementHead, exhibits: T): SealStatementHead & {exhibits: T} {
  const {testimonies, custodyVersion, ...before} = head
  return {...before, exhibits, testimonies, custodyVersion}
}

/** Where a seal puts exhibits' originals (sealedExhibit's `path`): a file of the bag at such a path may be one. */
export function mayBeOriginal(path: string): boolean {
  return /^data\/exhibits\/[^/]+\/original\/[^/]+$/.test(path)
}

/** What the archive holds of an exhibit, from the ledger; asked for again whenever it is needed. */
export function sealedExhibit(kase: Case, id: string): SealedExhibit {
  const x = kase.ledger.exhibitFile(id)
  if (x === undefined) throw new CustodyError('EXHIBIT_NOT_FOUND', `there is no exhibit ${id} in this case; \`custody log\` lists them`, {subject: id})
  const originalName = String(x.name ?? 'file')
  return {
    exhibit: id,
    originalName,
    path: `data/exhibits/${id}/original/${safeFileName(originalName)}`,
    metadataPath: `data/exhibits/${id}/metadata.json`,
    sha256: x.sha256,
    sha512: x.sha512,
    size: x.size,
    metadataRecord: x.record,
  }
}

/** The statement's exhibits, made from the ledger one at a time; `interrupted` is asked every 1,000. */
export function* statementExhibits(kase: Case, ids: Iterable<string>, interrupted: () => Error | undefined = () => undefined): Generator<SealedExhibit> {
  let i = 0
  for (const id of ids) {
    const stop = i++ % 1000 === 0 ? interrupted() : undefined
    if (stop !== undefined) throw stop
    yield sealedExhibit(kase, id)
  }
}

/**
 * Writes the statement to `file` as JSON.stringify(statement, null, 2) would write it, with its
 * exhibits made one at a time from the ledger; returns its digests, taken on the way.
 */
export async function writeStatement(kase: Case, head: SealStatementHead, ids: Iterable<string>, file: SpillFile, interrupted: () => Error | undefined): Promise<{sha256: string; sha512: string}> {
  const h256 = createHash('sha256')
  const h512 = createHash('sha512')
  for (const piece of jsonWithList(withExhibits(head, []), ['exhibits'], statementExhibits(kase, ids, interrupted))) {
    const line = `${piece}\n`
    h256.update(line)
    h512.update(line)
    await file.append(line)
  }

  return {sha256: h256.digest('hex'), sha512: h512.digest('hex')}
}

// Reading a statement back. Only its shape is checked here: that every field is there with its
// type. Whether its paths are where custody puts them (statedCustodyFiles() in bag-layout.ts)
// and whether its digests match the files are the verifier's checks.

/** A field that is missing or of the wrong type: where ('' for the statement itself), what was expected, what was found. */
class Refused extends Error {
  constructor(
    readonly at: string,
    expected: string,
    found: unknown,
  ) {
    super(`expected ${expected}, got ${kindOf(found)}`)
  }

  get problem(): string {
    return this.at === '' ? `the seal statement: ${this.message}` : `the seal statement's ${this.at}: ${this.message}`
  }
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`
}

function refuse(at: string, expected: string, value: unknown): never {
  throw new Refused(at, expected, value)
}

type Read<T> = (value: unknown, at: string) => T

const text: Read<string> = (v, at) => (typeof v === 'string' ? v : refuse(at, 'text', v))
const textOrNull: Read<string | null> = (v, at) => (v === null || typeof v === 'string' ? v : refuse(at, 'text or null', v))
const count: Read<number> = (v, at) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : refuse(at, 'a whole number of 0 or more', v))
const flag: Read<boolean> = (v, at) => (typeof v === 'boolean' ? v : refuse(at, 'true or false', v))
const nullOr = <T>(read: Read<T>): Read<T | null> => (v, at) => (v === null ? null : read(v, at))
const listOf = <T>(read: Read<T>): Read<T[]> => (v, at) => (Array.isArray(v) ? v.map((item, i) => read(item, `${at}[${i}]`)) : refuse(at, 'a list', v))
const texts = listOf(text)

/** Reads an object's fields with `read`, each at its path: `field(name, reader)`. */
function object<T>(read: (field: <F>(name: string, reader: Read<F>) => F) => T): Read<T> {
  return (v, at) => {
    if (!isRecord(v)) return refuse(at, 'an object', v)
    return read((name, reader) => reader(v[name], at === '' ? name : `${at}.${name}`))
  }
}

const exactly = <T extends string | number>(wanted: T): Read<T> => (v, at) => (v === wanted ? wanted : refuse(at, JSON.stringify(wanted), v))
const named = object((f) => ({path: f('path', text), count: f('count', count), sha256: f('sha256', text)}))
const treeHead = object((f) => ({size: f('size', count), root: f('root', text)}))

const readExhibit: Read<SealedExhibit> = object((f) => ({
  exhibit: f('exhibit', text),
  originalName: f('originalName', text),
  path: f('path', text),
  metadataPath: f('metadataPath', text),
  sha256: f('sha256', text),
  sha512: f('sha512', text),
  size: f('size', count),
  metadataRecord: f('metadataRecord', text),
}))

const readTestimony: Read<SealedTestimony> = object((f) => ({
  exhibit: f('exhibit', text),
  witness: f('witness', text),
  interview: f(
    'interview',
    object((g) => ({
      startedAt: g('startedAt', text),
      endedAt: g('endedAt', textOrNull),
      place: g('place', text),
      interviewers: g('interviewers', texts),
      present: g('present', texts),
      interpreter: g('interpreter', textOrNull),
      languages: g('languages', texts),
    })),
  ),
  vulnerable: f('vulnerable', flag),
  consent: f('consent', texts),
  identityCommitment: f('identityCommitment', textOrNull),
  identifyingContent: f('identifyingContent', texts),
  versions: f('versions', listOf(object((g) => ({version: g('version', count), exhibit: g('exhibit', text), sha256: g('sha256', text), reason: g('reason', textOrNull)})))),
  attachments: f('attachments', texts),
}))

const readTimestamp: Read<SealTrust['timestamp']> = nullOr(
  object((f) => ({
    checkpoint: f('checkpoint', text),
    key: f('key', text),
    treeSize: f('treeSize', count),
    tokens: f('tokens', listOf(object((g) => ({path: g('path', text), tsa: g('tsa', text), genTime: g('genTime', text)})))),
    consistencyProof: f('consistencyProof', textOrNull),
    roots: f('roots', text),
  })),
)

const readStatement: Read<SealStatement> = object((f) => ({
  type: f('type', exactly('custody-seal')),
  version: f('version', exactly(1)),
  sealId: f('sealId', text),
  case: f('case', object((g) => ({id: g('id', text), title: g('title', text), organisation: g('organisation', textOrNull), investigator: g('investigator', text)}))),
  sealer: f('sealer', text),
  sealedAt: f('sealedAt', text),
  purpose: f('purpose', textOrNull),
  note: f('note', textOrNull),
  treeHead: f('treeHead', treeHead),
  checkpoint: f('checkpoint', object((g) => ({path: g('path', text), signature: g('signature', text), treeSize: g('treeSize', count), keyFingerprint: g('keyFingerprint', text)}))),
  key: f('key', object((g) => ({path: g('path', text), fingerprint: g('fingerprint', text), algorithm: g('algorithm', exactly('Ed25519'))}))),
  timestamp: f('timestamp', readTimestamp),
  events: f('events', named),
  readme: f('readme', object((g) => ({path: g('path', text), sha256: g('sha256', text)}))),
  checker: f('checker', object((g) => ({path: g('path', text), sha256: g('sha256', text)}))),
  earlierSeals: f('earlierSeals', nullOr(named)),
  exhibits: f('exhibits', listOf(readExhibit)),
  testimonies: f('testimonies', listOf(readTestimony)),
  custodyVersion: f('custodyVersion', text),
}))

/**
 * A statement read from an archive (hostile input), typed; or the problem with it, naming the
 * first field that is missing or of the wrong type ("case.title: expected text, got nothing").
 */
export function parseStatement(value: unknown): SealStatement | {problem: string} {
  try {
    return readStatement(value, '')
  } catch (error) {
    if (error instanceof Refused) return {problem: error.problem}
    throw error
  }
}

/** One element of a statement's exhibits, for a reader that streams them; or its problem. */
export function parseSealedExhibit(value: unknown, at = 'exhibit'): SealedExhibit | {problem: string} {
  try {
    return readExhibit(value, at)
  } catch (error) {
    if (error instanceof Refused) return {problem: error.problem}
    throw error
  }
}
