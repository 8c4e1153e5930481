/**
 * Check 11 of `custody verify ARCHIVE`, earlier seals (the file is described in
 * src/seal/earlier-seals.ts): the file is the one the signed seal statement names (SHA-256 and
 * line count), and each seal it lists is proven, on its own, a prefix of the sealed tree: its
 * RFC 9162 §2.1.4 consistency proof, checked by verifyConsistency (§2.1.4.2), leads from its tree
 * head to this archive's. What passes is given to `--against` (against.ts) through the report.
 *
 * An archive sealed before custody listed earlier seals has no `earlierSeals` in its statement:
 * nothing to check, and nothing that can link it to an earlier archive.
 */
import {createHash} from 'node:crypto'
import {hexToBytes} from '@noble/hashes/utils.js'
import {messageOf} from '../../errors.js'
import {verifyConsistency} from '../../merkle/verify.js'
import {BAG_LIMITS} from '../../seal/bag-layout.js'
import {EARLIER_SEALS_PATH, parseEarlierSeal, type EarlierSeal} from '../../seal/earlier-seals.js'
import {HEX64, isRecord} from '../../formats/guards.js'
import type {Check, Finding} from '../checklist.js'
import type {ArchiveContext} from './context.js'

/** A problem of this check, named as the report names it. */
export type EarlierSealsProblem = Finding & {check: 'earlier seals'}

export interface EarlierSealsResult {
  problems: EarlierSealsProblem[]
  detail: string
  /** The seals listed and proven; null when the archive does not list earlier seals at all (made before custody did). */
  seals: EarlierSeal[] | null
}

type Report = (message: string, evidence?: {expected?: string; actual?: string}) => void

/** One listed seal: in ledger order after the one before, inside the sealed tree, and proven a prefix of it. */
function proven(seal: EarlierSeal, previous: EarlierSeal | undefined, treeHead: {size: number}, root: Uint8Array, problem: Report): boolean {
  if (previous !== undefined && (seal.seq <= previous.seq || seal.treeHead.size < previous.treeHead.size)) {
    problem(`${seal.sealId} is not in ledger order after ${previous.sealId}`)
  }

  if (seal.seq >= treeHead.size) problem(`${seal.sealId} is recorded at event ${seal.seq}, outside the sealed tree of ${treeHead.size} events`)
  try {
    verifyConsistency(seal.treeHead.size, treeHead.size, hexToBytes(seal.treeHead.root), root, seal.consistencyProof.map((h) => hexToBytes(h)))
    return true
  } catch (error) {
    const e = error as {expected?: string; calculated?: string}
    problem(`the consistency proof of ${seal.sealId} (tree head of ${seal.treeHead.size} events) does not lead to the sealed tree head: ${messageOf(error)}`, {
      ...(e.expected ? {expected: e.expected} : {}),
      ...(e.calculated ? {actual: e.calculated} : {}),
    })
    return false
  }
}

export async function checkEarlierSeals(input: {
  /**
   * The file in the bag, if it is there: its SHA-256 when first hashed, and its lines read again
   * (bounded; `onBytes` sees every byte, to hash them again).
   */
  file: {sha256: string; lines: (onBytes: (chunk: Buffer) => void) => AsyncIterable<string>} | undefined
  statement: Record<string, unknown>
  treeHead: {size: number; root: string}
}): Promise<EarlierSealsResult> {
  const problems: EarlierSealsProblem[] = []
  const problem = (subject: string, message: string, evidence: {expected?: string; actual?: string} = {}): void => {
    problems.push({check: 'earlier seals', subject, message, ...evidence})
  }

  const stated = input.statement.earlierSeals
  const present = input.file
  if (!('earlierSeals' in input.statement) || stated === null) {
    if (present !== undefined) problem(EARLIER_SEALS_PATH, 'is in the bag, but the seal statement does not name it')
    const detail = 'earlierSeals' in input.statement ? 'none: the ledger had recorded no seal before this one' : 'not listed: sealed by a custody that did not list earlier seals'
    return {problems, detail, seals: 'earlierSeals' in input.statement && present === undefined ? [] : null}
  }

  if (!isRecord(stated) || stated.path !== EARLIER_SEALS_PATH) {
    problem('data/custody/seal.json', `its earlierSeals does not name ${EARLIER_SEALS_PATH}`)
    return {problems, detail: 'earlier seals unreadable', seals: null}
  }

  if (present === undefined) {
    problem(EARLIER_SEALS_PATH, 'is missing from the bag')
    return {problems, detail: 'earlier seals missing', seals: null}
  }

  const seals: EarlierSeal[] = []
  const root = hexToBytes(HEX64.test(input.treeHead.root) ? input.treeHead.root : '00'.repeat(32))
  const read = createHash('sha256')
  let count = 0
  try {
    for await (const line of present.lines((chunk) => read.update(chunk))) {
      const subject = `${EARLIER_SEALS_PATH} line ${++count}`
      if (count > BAG_LIMITS.earlierSeals) {
        problem(EARLIER_SEALS_PATH, `lists more than ${BAG_LIMITS.earlierSeals} earlier seals, more than any case makes`)
        break
      }

      const seal = parseEarlierSeal(line)
      if ('problem' in seal) {
        problem(subject, `is not an earlier seal: ${seal.problem}`)
        continue
      }

      if (proven(seal, seals.at(-1), input.treeHead, root, (message, evidence) => problem(subject, message, evidence))) seals.push(seal)
    }
  } catch (error) {
    problem(EARLIER_SEALS_PATH, `cannot be read: ${messageOf(error)}`)
    return {problems, detail: 'earlier seals unreadable', seals: null}
  }

  const sha256 = read.digest('hex')
  if (sha256 !== present.sha256) problem(EARLIER_SEALS_PATH, 'changed while it was being checked: read again, it is not the file hashed first')
  if (stated.sha256 !== sha256 || stated.count !== count) {
    problem(EARLIER_SEALS_PATH, 'is not the file the seal statement names (a seal was added, removed or changed)', {
      expected: `${String(stated.count)} seals, sha256 ${String(stated.sha256)}`,
      actual: `${count} seals, sha256 ${sha256}`,
    })
  }

  const detail =
    problems.length === 0
      ? `${count} earlier seal${count === 1 ? '' : 's'}, each proven a prefix of the sealed tree (RFC 9162 consistency proofs)`
      : 'earlier seals do not hold'
  return {problems, detail, seals: problems.length === 0 ? seals : null}
}

/** The file read again from the ZIP, bounded a line at a time; what passes goes to the report for `--against`. */
export const earlierSealsCheck: Check<ArchiveContext> = {
  name: 'earlier seals',
  async run(context) {
    const file = context.files.get(EARLIER_SEALS_PATH)
    const {problems, detail, seals} = await checkEarlierSeals({
      file: file === undefined ? undefined : {sha256: file.sha256, lines: (onBytes) => context.source.lines(file.info, BAG_LIMITS.earlierSealLine, onBytes)},
      statement: context.statement,
      treeHead: context.treeHead,
    })
    context.earlierSeals = seals
    return {status: problems.length > 0 ? 'failed' : 'ok', detail, problems}
  },
}
