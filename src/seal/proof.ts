/**
 * Step 2 of a seal: what proves the custody of what it takes. The latest signed checkpoint, the
 * Merkle tree of the ledger up to it (which must have the root the checkpoint signed), the sealed
 * events with their RFC 9162 inclusion proofs against it, the checkpoint, key and timestamp files
 * (trust-files.ts), and each earlier seal with a consistency proof from its tree head
 * (earlier-seals.ts).
 */
import {createHash} from 'node:crypto'
import {bytesToHex} from '@noble/hashes/utils.js'
import type {Case} from '../case/case.js'
import {parseCheckpoint, type SignedCheckpoint} from '../checkpoints/checkpoint.js'
import {CustodyError} from '../errors.js'
import type {TreeFile} from '../merkle/tree.js'
import type {SealChoice} from './choice.js'
import {EARLIER_SEALS_PATH, earlierSeals, earlierSealsText, type EarlierSealsStatement} from './earlier-seals.js'
import {SealedEvents} from './events-file.js'
import {trustFiles, type SealTrust} from './trust-files.js'

export interface CustodyProof {
  treeHead: {size: number; root: string}
  events: SealedEvents
  trust: SealTrust
  /** The files under data/custody/ that are held whole, in the order they go into the archive. */
  files: Array<[string, Buffer]>
  earlierSeals: EarlierSealsStatement | null
  /** RFC 9162 §2.1.4 proof from an earlier tree head of the ledger to the sealed one; the head must be this ledger's. */
  consistencyFrom: (head: {size: number; root: string}) => string[]
}

/** The ledger's latest signed checkpoint, read: what a seal is sealed against. */
function latestCheckpointOf(kase: Case): SignedCheckpoint & {treeSize: number; rootHash: string} {
  const latest = kase.ledger.latestCheckpoint()
  const body = latest === undefined ? undefined : parseCheckpoint(latest.body)
  if (latest === undefined || body === undefined || 'problem' in body) {
    throw new CustodyError('INTEGRITY', 'the ledger has no readable signed checkpoint to seal against; nothing was sealed. Run `custody verify`')
  }

  return {...latest, treeSize: body.treeSize, rootHash: body.rootHash}
}

/** How many events the seal's tree will hold: its latest checkpoint's. */
export function sealedTreeSize(kase: Case): number {
  return latestCheckpointOf(kase).treeSize
}

/**
 * Gathers the proof for the exhibits of `choice`, and for the events `also` names (the hand-overs
 * that brought them); the large levels of the tree go to `treeFile`.
 */
export function proveCustody(kase: Case, choice: SealChoice, treeFile: TreeFile, also?: ReadonlySet<number>): CustodyProof {
  const latest = latestCheckpointOf(kase)
  const size = latest.treeSize
  const tree = kase.ledger.tree(size, treeFile)
  if (tree.size !== size || bytesToHex(tree.root()) !== latest.rootHash) {
    throw new CustodyError('INTEGRITY', `the ledger no longer has the root its checkpoint ${latest.seq} signed; nothing was sealed. Run \`custody verify\``)
  }

  const treeHead = {size: tree.size, root: bytesToHex(tree.root())}
  const events = new SealedEvents(kase, tree, choice, also)
  const {files, trust} = trustFiles(kase, latest, tree)
  const consistencyFrom = (head: {size: number; root: string}): string[] => {
    if (head.size < 1 || head.size > tree.size || bytesToHex(tree.root(head.size)) !== head.root) {
      throw new CustodyError('INTEGRITY', `the tree head of ${head.size} events ${head.root} is not one this ledger had; nothing was sealed. Run \`custody verify\``)
    }

    return tree.consistencyProof(head.size, tree.size).map((h) => bytesToHex(h))
  }
  const earlier = earlierSeals(kase, tree)
  if (earlier.length === 0) return {treeHead, events, trust, files, earlierSeals: null, consistencyFrom}
  const text = Buffer.from(earlierSealsText(earlier))
  files.push([EARLIER_SEALS_PATH, text])
  return {treeHead, events, trust, files, earlierSeals: {path: EARLIER_SEALS_PATH, count: earlier.length, sha256: createHash('sha256').update(text).digest('hex')}, consistencyFrom}
}
