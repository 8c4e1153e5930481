/**
 * An RFC 6962 Merkle tree over a list of leaf hashes, with the proofs of RFC 9162 §2.1.3
 * (inclusion) and §2.1.4 (consistency).
 *
 * Complete, aligned subtrees are kept level by level, so the root of any subtree costs
 * O(log n) hashes and a proof O(log² n): proving every event of a large ledger stays cheap.
 */
import {CustodyError} from '../errors.js'
import {emptyRoot, hashChildren, HASH_SIZE, isPowerOfTwo, splitPoint} from './rfc6962.js'

export class MerkleTree {
  /**
   * levels[k] holds, HASH_SIZE bytes each, the roots of the complete subtrees over leaves
   * [i·2^k, (i+1)·2^k): one buffer a level rather than an object a hash, so that the tree of a
   * ledger of many events stays small (about 64 bytes an event).
   */
  private readonly levels: Uint8Array[]
  readonly size: number

  /** Over a list of leaf hashes, or over leaf hashes packed one after another (kept, not copied). */
  constructor(leafHashes: readonly Uint8Array[] | Uint8Array) {
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
    this.levels = MerkleTree.build(packed)
  }

  private static build(leaves: Uint8Array): Uint8Array[] {
    const levels = [leaves]
    for (let level = leaves; level.length > HASH_SIZE; ) {
      const pairs = Math.floor(level.length / HASH_SIZE / 2)
      const next = new Uint8Array(pairs * HASH_SIZE)
      for (let i = 0; i < pairs; i++) {
        const at = 2 * i * HASH_SIZE
        next.set(hashChildren(level.subarray(at, at + HASH_SIZE), level.subarray(at + HASH_SIZE, at + 2 * HASH_SIZE)), i * HASH_SIZE)
      }

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
    return this.levels[level]!.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE)
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
