/**
 * `custody verify --against FILE`: proof that a case, or a sealed archive, extends what was given
 * out earlier, where the user's own record of the case (src/known-heads/) is not at hand or not
 * trusted: another machine, a court, a colleague.
 *
 * For the local case, each FILE is
 *   - a sealed archive, or its bag folder unzipped: verified first (verify-archive.ts; it must pass), then its signed tree
 *     head must be a prefix of the ledger;
 *   - a checkpoint file (checkpoint-file.ts, or a checkpoint.json with its .sig beside it): of this
 *     case, signed by a key the ledger records, and its tree head a prefix of the ledger.
 * "A prefix of the ledger" is shown as a third party would check it: an RFC 9162 §2.1.4.1
 * consistency proof computed from the ledger's tree, verified by verifyConsistency (§2.1.4.2)
 * against the file's tree head and the ledger's. A ledger with fewer events than the file fails
 * too. Both tree heads are named.
 *
 * For `custody verify ARCHIVE --against ARCHIVE2`, both archives are verified, must be of one case,
 * and the one with the smaller tree must be a prefix of the other's. An archive cannot prove that
 * from its own events; the later one lists the seals its ledger had recorded, each with a
 * consistency proof to its own tree head (earlier-seals.jsonl): the earlier archive must be
 * listed there with its tree head. When it is not, the two cannot be linked, and the report says
 * why. Events that both archives hold (the same sequence number) must also be the same event.
 */
import type {AgeIdentity} from '../age/x25519.js'
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {open, stat} from 'node:fs/promises'
import {basename} from 'node:path'
import {bytesToHex, hexToBytes} from '@noble/hashes/utils.js'
import type Database from 'better-sqlite3'
import type {Certificate} from 'pkijs'
import {readCheckpointFile, type ReadCheckpoint} from '../checkpoints/checkpoint-file.js'
import {checkSignedCheckpoint, type RecordedKey} from '../checkpoints/verify-checkpoints.js'
import {CustodyError, fields, messageOf, said} from '../errors.js'
import {openScratchDatabase} from '../io/scratch-db.js'
import {openScratch, sealScratch} from '../io/scratch-seal.js'
import type {MerkleTree} from '../merkle/tree.js'
import {verifyConsistency} from '../merkle/verify.js'
import {plural} from '../render/text.js'
import {verifyArchive, type ArchiveReport} from './verify-archive.js'

/** A file given with --against, read far enough to know what it is. */
export type AgainstFile = {path: string; kind: 'archive'} | {path: string; kind: 'checkpoint'; read: ReadCheckpoint}

export interface AgainstProblem {
  subject: string
  message: string
  expected?: string
  actual?: string
}

export interface AgainstCheck {
  name: string
  ok: boolean
  detail: string
}

interface Head {
  size: number
  root: string
}

const describeHead = (head: Head): string => `${head.size} events, root ${head.root}`

/** The files verified against, as errors name them. */
const AGAINST = fields({against: 'the comparison list'}).against

/** A ZIP starts with a local file header, or (empty) with the end record (APPNOTE 6.3.10 §4.3.7, §4.3.16). */
async function isZip(path: string): Promise<boolean> {
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw new CustodyError('INVALID_ARGUMENT', said`${path} cannot be read (${messageOf(error)}); give a sealed archive or a checkpoint file with ${AGAINST}`, {subject: path})
  })
  try {
    const {buffer, bytesRead} = await handle.read(Buffer.alloc(4), 0, 4, 0)
    const magic = buffer.subarray(0, bytesRead).toString('latin1')
    return magic === 'PK\u0003\u0004' || magic === 'PK\u0005\u0006'
  } finally {
    await handle.close()
  }
}

/** A sealed archive or a bag folder (an archive unzipped: verify-archive.ts finds the bag in it). */
async function isArchive(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true || (await isZip(path))
}

/**
 * Reads what each --against file is, before any long work: a folder is a bag folder, and a file
 * that is neither an archive nor a checkpoint file is a usage error (exit 2).
 */
export async function readAgainstFiles(paths: readonly string[]): Promise<AgainstFile[]> {
  const files: AgainstFile[] = []
  for (const path of paths) files.push((await isArchive(path)) ? {path, kind: 'archive'} : {path, kind: 'checkpoint', read: await readCheckpointFile(path)})
  return files
}

/** The ledger's tree is a consistent extension of `claimed`: an RFC 9162 consistency proof, computed and verified. */
function ledgerExtends(tree: MerkleTree, claimed: Head, what: string): AgainstProblem | undefined {
  const ledger = {size: tree.size, root: bytesToHex(tree.root())}
  const heads = {expected: `at least ${describeHead(claimed)} as a prefix`, actual: describeHead(ledger)}
  if (claimed.size > tree.size) {
    return {
      subject: what,
      message: `the ledger is shorter than ${what}: it has ${describeHead(ledger)}, where ${what} states ${describeHead(claimed)}: events were removed from its end, or an older copy of the case was put back`,
      ...heads,
    }
  }

  try {
    verifyConsistency(claimed.size, tree.size, hexToBytes(claimed.root), tree.root(), tree.consistencyProof(claimed.size))
    return undefined
  } catch (error) {
    return {
      subject: what,
      message: `the ledger's first ${claimed.size} events are not those of ${what} (${describeHead(claimed)}); the ledger has ${describeHead(ledger)}: it was rewritten, or it is another copy of the case that went its own way (${messageOf(error)})`,
      ...heads,
    }
  }
}

/**
 * Checks the local case's ledger (its tree, its keys) against each file. Returns a check and any
 * problems for each.
 */
export async function checkCaseAgainst(
  files: readonly AgainstFile[],
  ledger: {caseId: string; keys: readonly RecordedKey[]; tree: MerkleTree},
  options: {tsaRoots?: Certificate[]; pinnedKeys?: readonly string[]} = {},
): Promise<{checks: AgainstCheck[]; problems: AgainstProblem[]}> {
  const checks: AgainstCheck[] = []
  const problems: AgainstProblem[] = []
  for (const file of files) {
    const name = `against ${basename(file.path)}`
    const before = problems.length
    let claimed: Head | undefined
    let what: string
    if (file.kind === 'archive') {
      const report = await verifyArchive(file.path, options)
      what = `the archive ${file.path}${report.sealId === null ? '' : ` (seal ${report.sealId})`}`
      if (!report.ok || report.treeHead === null) {
        problems.push(archiveFailed(file.path, report))
      } else if (report.caseId !== ledger.caseId) {
        problems.push({subject: file.path, message: `${what} is of another case`, expected: ledger.caseId, actual: String(report.caseId)})
      } else {
        claimed = report.treeHead
      }
    } else {
      what = `the checkpoint in ${file.path}`
      const signed = checkSignedCheckpoint(file.path, file.read.body, file.read.signature, ledger)
      for (const p of signed.problems) {
        const rotated = p.message.includes('never recorded') ? ' (a key rotated in events this ledger no longer has would explain it)' : ''
        problems.push({...p, message: `${p.message}${rotated}`})
      }

      if (signed.checkpoint !== undefined) claimed = {size: signed.checkpoint.treeSize, root: signed.checkpoint.rootHash}
    }

    const link = claimed === undefined ? undefined : ledgerExtends(ledger.tree, claimed, what)
    if (link !== undefined) problems.push(link)
    const ok = problems.length === before
    checks.push({
      name,
      ok,
      detail: ok && claimed !== undefined ? `${what}, ${describeHead(claimed)}: the ledger extends it (RFC 9162 consistency proof to its ${ledger.tree.size} events)` : `${what}: does not hold`,
    })
  }

  return {checks, problems}
}

function archiveFailed(path: string, report: ArchiveReport): AgainstProblem {
  const first = report.problems.slice(0, 3).map((p) => `${p.subject}: ${p.message}`)
  return {
    subject: path,
    message: `does not verify as a sealed archive (${plural(report.problems.length, 'problem')}${first.length > 0 ? `: ${first.join('; ')}` : ''}); run \`custody verify ${path}\``,
  }
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** The events of the first archive by sequence number, to compare those of the others as they are read. */
class EventHashes implements Disposable {
  private readonly db: Database.Database
  private readonly insert: Database.Statement<[number, Buffer]>
  private readonly lookup: Database.Statement<[number], {hash: Buffer}>

  constructor() {
    // The hash sealed for its event's number (src/io/scratch-seal.ts): none is in clear in the file.
    this.db = openScratchDatabase('CREATE TABLE event (seq INTEGER PRIMARY KEY, hash BLOB NOT NULL);')
    this.insert = this.db.prepare('INSERT OR IGNORE INTO event (seq, hash) VALUES (?, ?)')
    this.lookup = this.db.prepare('SELECT hash FROM event WHERE seq = ?')
  }

  add(seq: number, hash: string): void {
    this.insert.run(seq, sealScratch(Buffer.from(hexToBytes(hash)), `event ${seq}`))
  }

  /** The hash the first archive holds for this event, if it holds it. */
  hashOf(seq: number): string | undefined {
    const row = this.lookup.get(seq)
    return row === undefined ? undefined : openScratch(row.hash, `event ${seq}`).toString('hex')
  }

  /** Closes the database (SQLite removes its file); closing it again does nothing. */
  close(): void {
    this.db.close()
  }

  /** For `using`: closes it, as close() does (again, harmlessly, after close()). */
  [Symbol.dispose](): void {
    this.close()
  }
}

/**
 * `custody verify ARCHIVE --against ARCHIVE2 ...`: the report of ARCHIVE, with a check (and its
 * problems) for each other archive: that it verifies, is of the same case, and is linked to
 * ARCHIVE (see above).
 */
export async function verifyArchiveAgainst(
  path: string,
  others: readonly string[],
  options: {onProgress?: (done: number, total: number) => void; tsaRoots?: Certificate[]; pinnedKeys?: readonly string[]; identities?: readonly AgeIdentity[]} = {},
): Promise<ArchiveReport> {
  for (const other of others) {
    if (!(await isArchive(other))) {
      throw new CustodyError(
        'INVALID_ARGUMENT',
        said`${other} is not a ZIP or a bag folder: with an archive, ${AGAINST} takes other archives of its case. A checkpoint file is checked against the case itself (\`custody verify --against ${other}\` in the case)`,
        {subject: other},
      )
    }
  }

  const mine = new EventHashes()
  try {
    const main = await verifyArchive(path, {...options, onEvent: (seq, hash) => mine.add(seq, hash)})
    for (const other of others) {
      const before = main.problemCount
      const differing: Array<{seq: number; mine: string; theirs: string}> = []
      let differences = 0
      const report = await verifyArchive(other, {
        ...(options.tsaRoots === undefined ? {} : {tsaRoots: options.tsaRoots}),
        ...(options.pinnedKeys === undefined ? {} : {pinnedKeys: options.pinnedKeys}),
        ...(options.identities === undefined ? {} : {identities: options.identities}),
        onEvent: (seq, hash) => {
          const held = mine.hashOf(seq)
          if (held === undefined || held === hash) return
          differences++
          if (differing.length < 5) differing.push({seq, mine: held, theirs: hash})
        },
      })
      // The report keeps its first 1,000 problems and counts all (problem-list.ts).
      const problem = (p: AgainstProblem): void => {
        if (main.problems.length < 1000) main.problems.push({check: 'against', ...p})
        main.problemCount++
      }
      let detail = 'does not hold'
      if (!report.ok || report.treeHead === null) {
        problem(archiveFailed(other, report))
      } else if (main.treeHead !== null) {
        if (report.caseId !== main.caseId) problem({subject: other, message: 'is an archive of another case', expected: String(main.caseId), actual: String(report.caseId)})
        else {
          const linked = await link({path, report: main}, {path: other, report})
          if ('problem' in linked) problem(linked.problem)
          else detail = linked.detail
        }
      }

      for (const d of differing) {
        problem({
          subject: `event ${d.seq}`,
          message: `event ${d.seq} differs between ${path} and ${other}: one case cannot have two events under one number, so one of them was made from a copy that went its own way (a fork)${differences > differing.length ? ` (${differences} events differ in all)` : ''}`,
          expected: d.mine,
          actual: d.theirs,
        })
      }

      const held = main.problemCount === before
      main.checks.push({name: `against ${basename(other)}`, ok: held, status: held ? 'ok' : 'failed', detail: held ? detail : 'does not hold'})
    }

    main.ok = main.problemCount === 0
    return main
  } finally {
    mine.close()
  }
}

/**
 * The archive with the smaller tree is a prefix of the other's: the other lists it among its
 * earlier seals with the same tree head, and that entry's consistency proof holds.
 */
async function link(a: {path: string; report: ArchiveReport}, b: {path: string; report: ArchiveReport}): Promise<{detail: string} | {problem: AgainstProblem}> {
  const [earlier, later] = a.report.treeHead!.size <= b.report.treeHead!.size ? [a, b] : [b, a]
  const early = earlier.report.treeHead!
  const late = later.report.treeHead!
  const heads = {expected: `${earlier.path}: ${describeHead(early)}`, actual: `${later.path}: ${describeHead(late)}`}
  if (early.size === late.size) {
    if (early.root === late.root) return {detail: `both seal the same tree head (${describeHead(early)})`}
    return {problem: {subject: later.path, message: `the two archives seal trees of ${early.size} events with different roots: they were made from copies of the case that went their own ways (a fork)`, ...heads}}
  }

  const cannot = `${earlier.path} (seal ${String(earlier.report.sealId)}, ${describeHead(early)}) and ${later.path} (seal ${String(later.report.sealId)}, ${describeHead(late)}) cannot be linked`
  const listed = later.report.earlierSeals
  if (listed === null) {
    return {problem: {subject: later.path, message: `${cannot}: ${later.path} lists no earlier seals (it was sealed by a custody that did not list them), so it cannot show that its case extends the other's`, ...heads}}
  }

  const entry = listed.find((seal) => seal.sealId === earlier.report.sealId)
  if (entry === undefined) {
    return {
      problem: {
        subject: later.path,
        message: `${cannot}: ${later.path} does not list seal ${String(earlier.report.sealId)} among its earlier seals, so its ledger had not recorded that seal: it was made from a copy of the case that was cut back, put back to an older copy, or went its own way (a fork), or the two were sealed at the same moment`,
        ...heads,
      },
    }
  }

  if (entry.treeHead.size !== early.size || entry.treeHead.root !== early.root) {
    return {problem: {subject: later.path, message: `${cannot}: ${later.path} lists seal ${entry.sealId} with another tree head (${describeHead(entry.treeHead)}): the two were made from different copies of the case`, ...heads}}
  }

  try {
    verifyConsistency(early.size, late.size, hexToBytes(early.root), hexToBytes(late.root), entry.consistencyProof.map((h) => hexToBytes(h)))
  } catch (error) {
    return {problem: {subject: later.path, message: `${cannot}: its consistency proof for seal ${entry.sealId} does not hold (${messageOf(error)})`, ...heads}}
  }

  const bytes =
    earlier.report.source === 'folder'
      ? `; ${earlier.path} is a bag folder: its bag is what was checked, not the ZIP that was sealed`
      : (await sha256OfFile(earlier.path)) === entry.archiveSha256
        ? ''
        : `; ${earlier.path} is not byte for byte the ZIP that was sealed (zipped again?): its bag is what was checked`
  return {detail: `${earlier.path} (${describeHead(early)}) is a prefix of ${later.path} (${describeHead(late)}): listed among its earlier seals, RFC 9162 consistency proof verified${bytes}`}
}
