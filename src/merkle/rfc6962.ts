/**
 * Merkle Tree Hash of RFC 6962 §2.1 (carried into RFC 9162 §2.1.1).
 *
 * leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right), and the hash of an empty
 * tree is SHA-256 of the empty string. A tree of n > 1 leaves splits at k, the largest power of two
 * smaller than n.
 */
import {createHash, hash} from 'node:crypto'
import {sha256} from '@noble/hashes/sha2.js'

export const HASH_SIZE = 32

const LEAF_PREFIX = 0x00
const NODE_PREFIX = 0x01

export function hashLeaf(entry: Uint8Array): Uint8Array {
  const input = new Uint8Array(entry.length + 1)
  input[0] = LEAF_PREFIX
  input.set(entry, 1)
  return sha256(input)
}

const LEAF_PREFIX_BYTES = Uint8Array.of(LEAF_PREFIX)

/**
 * The leaf hash of a text entry, as its UTF-8 bytes (OpenSSL's SHA-256, with no copy of the
 * entry: a ledger's events are hashed this way every time its tree is built).
 */
export function hashLeafText(entry: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(LEAF_PREFIX_BYTES).update(entry, 'utf8').digest())
}

/** OpenSSL's one-shot SHA-256: building the tree of a large ledger hashes as many nodes as events. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + HASH_SIZE * 2)
  input[0] = NODE_PREFIX
  input.set(left, 1)
  input.set(right, 1 + HASH_SIZE)
  return hash('sha256', input, 'buffer')
}

export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array(0))
}

/** The largest power of two strictly smaller than n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/** Arithmetic, not bitwise: sizes may pass 2^31. */
export function isPowerOfTwo(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 1) return false
  while (n % 2 === 0) n /= 2
  return n === 1
}
