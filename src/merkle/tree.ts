/**
 * An RFC 6962 Merkle tree over a list of leaf hashes, with the proofs of RFC 9162 §2.1.3
 * (inclusion) and §2.1.4 (consistency).
 *
 * Complete, aligned subtrees are kept level by level, so the root of any subtree costs
 * O(log n) hashes and a proof O(log² n): proving every event of a large ledger stays cheap.
 */
import {CustodyError} from '../errors.js'
import {emptyRoot, hashChildren, HASH_SIZE, isPowerOfTwo, splitPoint} from './rfc6962.js'
import {BLOCK_BYTES, NODES_PER_BLOCK, SealedBlocks, type TreeFile} from './sealed-blocks.js'

/** The nodes of one level of a tree, HASH_SIZE bytes each. */
interface Level {
  readonly nodes: number
  /** Node `index` (a view of a level in memory, a copy of one in a file). */
  node(index: number): Uint8Array
}

class MemoryLevel implements Level {
  readonly nodes: number

  constructor(private readonly bytes: Uint8Array) {
    this.nodes = bytes.length / HASH_SIZE
  }

  node(index: number): Uint8Array {
    return this.bytes.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE)
  }
}

/** Levels at least this large go to the tree's file, when it has one. */
const MEMORY_LEVEL_BYTES = 1024 * 1024

/** A level kept in a tree file, read a sealed block at a time (the block of the last node read is kept). */
class FileLevel implements Level {
  private block = -1
  private held: Buffer = Buffer.alloc(0)

  constructor(
    private readonly file: SealedBlocks,
    private readonly start: number,
    readonly nodes: number,
  ) {}

  node(index: number): Uint8Array {
    const block = Math.floor(index / NODES_PER_BLOCK)
    if (block !== this.block) {
      this.held = this.file.read(this.start, block, Math.min(NODES_PER_BLOCK, this.nodes - block * NODES_PER_BLOCK) * HASH_SIZE)
      this.block = block
    }

    const at = (index - block * NODES_PER_BLOCK) * HASH_SIZE
    // A copy: the block moves on. (Buffer's slice() would be a view.)
    return new Uint8Array(this.held.subarray(at, at + HASH_SIZE))
  }
}

/** Where the nodes of a level are put, one after another, before the level is read. */
interface LevelSink {
  add(node: Uint8Array): void
  /** The level put. */
  finish(): Level
}

class MemorySink implements LevelSink {
  private readonly bytes: Uint8Array
  private filled = 0

  constructor(nodes: number) {
    this.bytes = new Uint8Array(nodes * HASH_SIZE)
  }

  add(node: Uint8Array): void {
    this.bytes.set(node, this.filled)
    this.filled += HASH_SIZE
  }

  finish(): Level {
    return new MemoryLevel(this.bytes)
  }
}

/** Writes nodes one after another into a tree file's level from `start`, a sealed block at a time. */
class LevelWriter implements LevelSink {
  private readonly buffer = Buffer.allocUnsafe(BLOCK_BYTES)
  private filled = 0
  private blocks = 0
  private nodes = 0

  constructor(
    private readonly file: SealedBlocks,
    private readonly start: number,
  ) {}

  add(node: Uint8Array): void {
    if (this.filled === this.buffer.length) this.flush()
    this.buffer.set(node, this.filled)
    this.filled += HASH_SIZE
    this.nodes++
  }

  private flush(): void {
    if (this.filled === 0) return
    this.file.write(this.start, this.blocks++, this.buffer.subarray(0, this.filled))
    this.filled = 0
  }

  finish(): Level {
    this.flush()
    return new FileLevel(this.file, this.start, this.nodes)
  }
}

/** Where a level of `nodes` nodes goes: into `file` from `at` when it is large, else into memory. */
function sinkFor(nodes: number, file: SealedBlocks | undefined, at: number): LevelSink {
  return file !== undefined && nodes * HASH_SIZE >= MEMORY_LEVEL_BYTES ? new LevelWriter(file, at) : new MemorySink(nodes)
}

/** Levels already built (MerkleTree.inFile). */
class Built {
  constructor(readonly levels: Level[]) {}
}

export type {TreeFile} from './sealed-blocks.js'


export class MerkleTree {
  /**
   * levels[k] holds the roots of the complete subtrees over leaves [i·2^k, (i+1)·2^k): one buffer
   * a level rather than an object a hash, so that the tree of a ledger of many events stays small
   * (about 64 bytes an event). A tree built with a file (MerkleTree.inFile) keeps its large
   * levels there, and then needs about 2 MiB of memory however many leaves it has.
   */
  private readonly levels: Level[]
  readonly size: number

  /** Over a list of leaf hashes, or over leaf hashes packed one after another (kept, not copied). */
  constructor(leafHashes: readonly Uint8Array[] | Uint8Array | Built) {
    if (leafHashes instanceof Built) {
      this.levels = leafHashes.levels
      this.size = this.levels[0]!.nodes
      return
    }

    let packed: Uint8Array
    if (leafHashes instanceof Uint8Array) {
      if (leafHashes.length % HASH_SIZE !== 0) throw new CustodyError('INVALID_ARGUMENT', `packed leaf hashes must be a multiple of ${HASH_SIZE} bytes, got ${leafHashes.length}`)
      packed = leafHashes
    } else {
      packed = new Uint8Array(leafHashes.length * HASH_SIZE)
      for (const [i, hash] of leafHashes.entries()) {
        if (hash.length !== HASH_SIZE) throw new CustodyError('INVALID_ARGUMENT', `leaf ${i} is ${hash.length} bytes, not ${HASH_SIZE}`)
        packed.set(hash, i * HASH_SIZE)
      }
    }

    this.size = packed.length / HASH_SIZE
    this.levels = MerkleTree.build(new MemoryLevel(packed))
  }

  /**
   * Over `count` leaf hashes given one at a time, keeping each level of MEMORY_LEVEL_BYTES or more
   * in `file` (which must be empty) rather than in memory. Fewer leaves than `count` is an error;
   * more are not read.
   */
  static inFile(leaves: Iterable<Uint8Array>, count: number, treeFile: TreeFile): MerkleTree {
    const file = new SealedBlocks(treeFile)
    const sink = sinkFor(count, file, 0)
    let i = 0
    for (const leaf of leaves) {
      if (i === count) break
      if (leaf.length !== HASH_SIZE) throw new CustodyError('INVALID_ARGUMENT', `leaf ${i} is ${leaf.length} bytes, not ${HASH_SIZE}`)
      sink.add(leaf)
      i++
    }

    if (i < count) throw new CustodyError('INTEGRITY', `expected ${count} leaves, got ${i}`)
    return new MerkleTree(new Built(MerkleTree.build(sink.finish(), file)))
  }

  /** Every level above the leaves, each from the one below; large ones to `file` after the leaves. */
  private static build(leaves: Level, file?: SealedBlocks): Level[] {
    const levels = [leaves]
    let end = leaves instanceof FileLevel ? SealedBlocks.bytesFor(leaves.nodes) : 0
    for (let level = leaves; level.nodes > 1; ) {
      const pairs = Math.floor(level.nodes / 2)
      const sink = sinkFor(pairs, file, end)
      for (let i = 0; i < pairs; i++) sink.add(hashChildren(level.node(2 * i), level.node(2 * i + 1)))
      const next = sink.finish()
      if (next instanceof FileLevel) end += SealedBlocks.bytesFor(next.nodes)
      levels.push(next)
      level = next
    }

    return levels
  }

  /** The hash of leaf `index`. */
  leaf(index: number): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) throw new CustodyError('INVALID_ARGUMENT', `expected a leaf index in [0, ${this.size}), got ${index}`)
    return this.node(0, index)
  }

  private node(level: number, index: number): Uint8Array {
    return this.levels[level]!.node(index)
  }

  /** The tree head (root hash) of the first `size` leaves; the whole tree by default. */
  root(size = this.size): Uint8Array {
    this.checkSize(size, 'size')
    return size === 0 ? emptyRoot() : this.subtreeRoot(0, size)
  }

  /** RFC 9162 §2.1.3.1: the audit path of leaf `index` in the tree of the first `size` leaves. */
  inclusionProof(index: number, size = this.size): Uint8Array[] {
    this.checkSize(size, 'size')
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      throw new CustodyError('INVALID_ARGUMENT', `expected a leaf index in [0, ${size}), got ${index}`)
    }

    return this.path(index, 0, size)
  }

  /** RFC 9162 §2.1.4.1: the proof that the tree of `from` leaves is a prefix of the tree of `to`. */
  consistencyProof(from: number, to = this.size): Uint8Array[] {
    this.checkSize(to, 'to')
    if (!Number.isInteger(from) || from < 0 || from > to) {
      throw new CustodyError('INVALID_ARGUMENT', `expected a first size in [0, ${to}], got ${from}`)
    }

    if (from === 0 || from === to) return []
    return this.subproof(from, 0, to, true)
  }

  private checkSize(size: number, what: string): void {
    if (!Number.isInteger(size) || size < 0 || size > this.size) {
      throw new CustodyError('INVALID_ARGUMENT', `expected ${what} in [0, ${this.size}], got ${size}`)
    }
  }

  /** MTH(D[lo:hi]) for hi > lo, using the stored complete subtrees. */
  private subtreeRoot(lo: number, hi: number): Uint8Array {
    const n = hi - lo
    if (isPowerOfTwo(n) && lo % n === 0) {
      return this.node(Math.log2(n), lo / n)
    }

    const k = splitPoint(n)
    return hashChildren(this.subtreeRoot(lo, lo + k), this.subtreeRoot(lo + k, hi))
  }

  /** PATH(m, D[lo:hi]) of RFC 6962 §2.1.1, with m relative to lo. */
  private path(m: number, lo: number, hi: number): Uint8Array[] {
    const n = hi - lo
    if (n === 1) return []
    const k = splitPoint(n)
    if (m < k) return [...this.path(m, lo, lo + k), this.subtreeRoot(lo + k, hi)]
    return [...this.path(m - k, lo + k, hi), this.subtreeRoot(lo, lo + k)]
  }

  /** SUBPROOF(m, D[lo:hi], b) of RFC 6962 §2.1.2. */
  private subproof(m: number, lo: number, hi: number, complete: boolean): Uint8Array[] {
    const n = hi - lo
    if (m === n) return complete ? [] : [this.subtreeRoot(lo, hi)]
    const k = splitPoint(n)
    if (m <= k) return [...this.subproof(m, lo, lo + k, complete), this.subtreeRoot(lo + k, hi)]
    return [...this.subproof(m - k, lo + k, hi, false), this.subtreeRoot(lo, lo + k)]
  }
}
