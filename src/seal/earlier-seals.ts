/**
 * `data/custody/earlier-seals.jsonl`: the seals the ledger had recorded when an archive was sealed,
 * each with an RFC 9162 §2.1.4 consistency proof from its tree head to this seal's. One line a
 * seal, in ledger order, each the RFC 8785 canonical JSON of:
 *
 *     {"archiveSha256": "<SHA-256 of that archive's ZIP as written>",
 *      "consistencyProof": ["<hex>", ...],
 *      "sealId": "SEAL-…", "sealedAt": "…", "seq": <its seal event's number in the ledger>,
 *      "treeHead": {"root": "<hex>", "size": <events>}}
 *
 * An archive alone proves what its own events are, not that the case it came from only ever
 * grew. With this file, two archives of one case can be checked against each other
 * (`custody verify ARCHIVE --against ARCHIVE2`): the later one names the earlier one and proves its
 * tree a prefix of its own, so that neither was made from a ledger that was cut back, put back to
 * an older copy, or forked in between.
 *
 * The seal statement names the file with its SHA-256 and line count, and is signed. Only what
 * identifies each earlier archive is given: not its name, purpose, note or exhibits, which the
 * recipients of this archive may have no business knowing.
 */
import {bytesToHex} from '@noble/hashes/utils.js'
import {canonicalize} from '../canonical/jcs.js'
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import type {MerkleTree} from '../merkle/tree.js'
import {HEX64, isRecord} from '../formats/guards.js'

export const EARLIER_SEALS_PATH = 'data/custody/earlier-seals.jsonl'

export interface EarlierSeal {
  sealId: string
  archiveSha256: string
  sealedAt: string
  seq: number
  treeHead: {size: number; root: string}
  /** RFC 9162 §2.1.4.1, from treeHead.size to the tree head of the archive that lists it. */
  consistencyProof: string[]
}

/** What the seal statement says of the file. */
export interface EarlierSealsStatement {
  path: string
  count: number
  sha256: string
}



/**
 * Every seal that the ledger's first `tree.size` events record, with its proof against `tree`. A
 * seal event whose tree head the ledger does not have is refused: the ledger must be checked first.
 */
export function earlierSeals(kase: Case, tree: MerkleTree): EarlierSeal[] {
  return kase.ledger
    .eventsOfKind('seal')
    .filter(({event}) => event.seq < tree.size)
    .map(({event: {seq, payload: seal}}) => {
      const {size, root} = seal.treeHead
      if (size > tree.size || root !== bytesToHex(tree.root(size))) {
        throw new CustodyError('INTEGRITY', `event ${seq} records seal ${seal.sealId} at a tree head this ledger does not have; nothing was sealed. Run \`custody verify\``)
      }

      return {
        sealId: seal.sealId,
        archiveSha256: seal.archive.sha256,
        sealedAt: seal.sealedAt,
        seq,
        treeHead: {size, root},
        consistencyProof: tree.consistencyProof(size, tree.size).map((h) => bytesToHex(h)),
      }
    })
}

/** The file's bytes: one canonical line a seal. */
export function earlierSealsText(seals: readonly EarlierSeal[]): string {
  return seals.map((seal) => `${canonicalize({...seal})}\n`).join('')
}

/** One line of the file, read as hostile input: the seal it lists, or what is wrong with it. */
export function parseEarlierSeal(line: string): EarlierSeal | {problem: string} {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return {problem: 'it is not JSON'}
  }

  if (!isRecord(value)) return {problem: 'it is not a JSON object'}
  const {sealId, archiveSha256, sealedAt, seq, treeHead, consistencyProof} = value
  if (typeof sealId !== 'string' || !/^SEAL-[0-9a-f]{16}$/.test(sealId)) return {problem: 'its sealId is not a seal ID'}
  if (typeof archiveSha256 !== 'string' || !HEX64.test(archiveSha256)) return {problem: 'its archiveSha256 is not 64 hex digits'}
  if (typeof sealedAt !== 'string') return {problem: 'its sealedAt is not a time'}
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return {problem: 'its seq is not an event number'}
  if (!isRecord(treeHead) || typeof treeHead.size !== 'number' || !Number.isSafeInteger(treeHead.size) || treeHead.size < 1) return {problem: 'its treeHead has no size'}
  if (typeof treeHead.root !== 'string' || !HEX64.test(treeHead.root)) return {problem: 'its treeHead root is not 64 hex digits'}
  if (!Array.isArray(consistencyProof) || !consistencyProof.every((h) => typeof h === 'string' && HEX64.test(h))) return {problem: 'its consistencyProof is not a list of hashes'}
  const seal: EarlierSeal = {sealId, archiveSha256, sealedAt, seq, treeHead: {size: treeHead.size, root: treeHead.root}, consistencyProof: consistencyProof as string[]}
  if (Object.keys(value).length !== 6 || Object.keys(treeHead).length !== 2) return {problem: 'it has fields an earlier seal does not have'}
  if (canonicalize(value) !== line) return {problem: 'it is not in canonical form (RFC 8785)'}
  return seal
}
