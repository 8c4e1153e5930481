/**
 * Verifiers for RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) proofs.
 *
 * Everything here is treated as hostile input: a proof of the wrong length, a hash of the wrong
 * size or a root that does not match ends in a ProofError that carries what was expected and
 * what was calculated, never in an uncaught exception.
 */
import {bytesToHex} from '@noble/hashes/utils.js'
import {CustodyError} from '../errors.js'
import {HASH_SIZE, hashChildren, isPowerOfTwo} from './rfc6962.js'

export class ProofError extends CustodyError {
  readonly expected: string | undefined
  readonly calculated: string | undefined

  constructor(message: string, evidence: {expected?: Uint8Array; calculated?: Uint8Array} = {}) {
    super('INTEGRITY', message)
    this.expected = evidence.expected === undefined ? undefined : bytesToHex(evidence.expected)
    this.calculated = evidence.calculated === undefined ? undefined : bytesToHex(evidence.calculated)
  }
}

function checkHash(what: string, hash: Uint8Array): void {
  if (hash.length !== HASH_SIZE) throw new ProofError(`expected ${what} of ${HASH_SIZE} bytes, got ${hash.length}`)
}

function checkSize(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new ProofError(`expected ${what} to be a non-negative integer, got ${n}`)
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

// Sizes can pass 2^32, where JavaScript's bitwise operators stop working: use arithmetic.
const odd = (n: number): boolean => n % 2 === 1
const half = (n: number): number => Math.floor(n / 2)

/** The root that an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1-4). */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkSize('leaf index', index)
  checkSize('tree size', size)
  checkHash('a leaf hash', leafHash)
  if (index >= size) throw new ProofError(`leaf index ${index} is outside a tree of size ${size}`)
  let fn = index
  let sn = size - 1
  let r = leafHash
  for (const [i, p] of proof.entries()) {
    checkHash(`proof hash ${i}`, p)
    if (sn === 0) throw new ProofError(`inclusion proof is too long: ${proof.length} hashes for leaf ${index} of ${size}`)
    if (odd(fn) || fn === sn) {
      r = hashChildren(p, r)
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn)
          sn = half(sn)
        }
      }
    } else {
      r = hashChildren(r, p)
    }

    fn = half(fn)
    sn = half(sn)
  }

  if (sn !== 0) throw new ProofError(`inclusion proof is too short: ${proof.length} hashes for leaf ${index} of ${size}`)
  return r
}

/** Checks that `leafHash` is leaf `index` of the tree of `size` leaves whose root is `root`. */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash('a root hash', root)
  const calculated = rootFromInclusionProof(index, size, leafHash, proof)
  if (!sameBytes(calculated, root)) {
    throw new ProofError(`inclusion proof of leaf ${index} in a tree of size ${size} leads to another root`, {
      expected: root,
      calculated,
    })
  }
}

/** Checks that the tree of `size1` leaves with root `root1` is a prefix of the tree of `size2` with `root2`. */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  checkSize('first size', size1)
  checkSize('second size', size2)
  checkHash('the first root', root1)
  checkHash('the second root', root2)
  if (size1 > size2) throw new ProofError(`a tree of size ${size2} cannot extend one of size ${size1}`)
  if (size1 === size2) {
    if (proof.length > 0) throw new ProofError('expected an empty consistency proof between equal sizes')
    if (!sameBytes(root1, root2)) throw new ProofError('equal sizes with different roots', {expected: root1, calculated: root2})
    return
  }

  if (size1 === 0) {
    // Every tree extends the empty tree (RFC 9162 §2.1.4.1 defines no proof for it).
    if (proof.length > 0) throw new ProofError('expected an empty consistency proof from the empty tree')
    return
  }

  if (proof.length === 0) throw new ProofError(`empty consistency proof from size ${size1} to ${size2}`)
  proof.forEach((p, i) => checkHash(`proof hash ${i}`, p))

  // RFC 9162 §2.1.4.2, steps 2-7.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof]
  let fn = size1 - 1
  let sn = size2 - 1
  while (odd(fn)) {
    fn = half(fn)
    sn = half(sn)
  }

  let fr = path[0]!
  let sr = path[0]!
  for (const c of path.slice(1)) {
    if (sn === 0) throw new ProofError(`consistency proof from ${size1} to ${size2} is too long`)
    if (odd(fn) || fn === sn) {
      fr = hashChildren(c, fr)
      sr = hashChildren(c, sr)
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn)
          sn = half(sn)
        }
      }
    } else {
      sr = hashChildren(sr, c)
    }

    fn = half(fn)
    sn = half(sn)
  }

  if (sn !== 0) throw new ProofError(`consistency proof from ${size1} to ${size2} is too short`)
  if (!sameBytes(fr, root1)) {
    throw new ProofError(`consistency proof does not lead to the root of size ${size1}`, {expected: root1, calculated: fr})
  }

  if (!sameBytes(sr, root2)) {
    throw new ProofError(`consistency proof does not lead to the root of size ${size2}`, {expected: root2, calculated: sr})
  }
}
