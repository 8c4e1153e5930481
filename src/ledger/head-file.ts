/**
 * The last tree head a custody command wrote, kept beside the ledger in `head.json`.
 *
 * The hash chain catches an event edited, inserted, removed or moved in the middle of the ledger,
 * but not events cut off its end. This record catches that: the ledger must still hold at least
 * `size` events, and its first `size` events must still have this Merkle root. It is written after
 * each command's commits (a crash leaves it behind the ledger, never ahead). Signed checkpoints
 * will make it proof against someone who rewrites this file too.
 */
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {bytesToHex} from '@noble/hashes/utils.js'
import {writeFileDurably} from '../io/files.js'
import {HEX64} from '../formats/guards.js'

export const HEAD_FILE = 'head.json'

export interface TreeHeadRecord {
  size: number
  /** Hex RFC 6962 root of the first `size` events. */
  root: string
  /** Hash of event size-1. */
  lastHash: string
  writtenAt: string
}

export async function readHeadRecord(dataDir: string): Promise<{record?: TreeHeadRecord; problem?: string}> {
  let text: string
  try {
    text = await readFile(join(dataDir, HEAD_FILE), 'utf8')
  } catch {
    return {problem: `${HEAD_FILE} is missing`}
  }

  try {
    const parsed = JSON.parse(text) as Partial<TreeHeadRecord>
    if (
      !Number.isSafeInteger(parsed.size) ||
      (parsed.size ?? -1) < 0 ||
      typeof parsed.root !== 'string' ||
      !HEX64.test(parsed.root) ||
      typeof parsed.lastHash !== 'string' ||
      typeof parsed.writtenAt !== 'string'
    ) {
      return {problem: `${HEAD_FILE} does not hold a valid tree head`}
    }

    return {record: parsed as TreeHeadRecord}
  } catch {
    return {problem: `${HEAD_FILE} is not valid JSON`}
  }
}

/** Durable replace: temp file in the same folder, write, fsync, rename, fsync the folder. */
export async function writeHeadRecord(dataDir: string, record: TreeHeadRecord): Promise<void> {
  await writeFileDurably(join(dataDir, HEAD_FILE), `${JSON.stringify(record, null, 2)}\n`)
}

export type HeadComparison =
  | {status: 'matches'; record: TreeHeadRecord; /** events appended since the record */ behind: number}
  | {status: 'unreadable'; problem: string}
  | {status: 'shorter'; record: TreeHeadRecord; size: number}
  | {status: 'rewritten'; record: TreeHeadRecord; root: string}

/** A tree's size and the heads of it and of its prefixes (a MerkleTree, or Ledger.heads()). */
export interface TreeHeadSource {
  readonly size: number
  /** The tree head of the first `size` leaves; of all by default. */
  root(size?: number): Uint8Array
}

/**
 * Does the ledger (as `heads`) still hold the recorded head as a prefix? `heads` may be a function
 * of the recorded size, called once the record is read, so that a caller computes only the heads
 * it needs (Ledger.heads) rather than a tree.
 */
export async function compareWithHead(dataDir: string, heads: TreeHeadSource | ((recordedSize: number | undefined) => TreeHeadSource)): Promise<HeadComparison> {
  const {record, problem} = await readHeadRecord(dataDir)
  const tree = typeof heads === 'function' ? heads(record?.size) : heads
  if (record === undefined) return {status: 'unreadable', problem: problem ?? `${HEAD_FILE} is unreadable`}
  if (record.size > tree.size) return {status: 'shorter', record, size: tree.size}
  const root = bytesToHex(tree.root(record.size))
  if (root !== record.root) return {status: 'rewritten', record, root}
  return {status: 'matches', record, behind: tree.size - record.size}
}
