import {createHash} from 'node:crypto'
import {closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import {hashChildren, hashLeaf} from '../../src/merkle/rfc6962.js'
import {CompactRange} from '../../src/merkle/compact-range.js'
import {MerkleTree} from '../../src/merkle/tree.js'
import {PackedHashes} from '../../src/merkle/packed-hashes.js'
import {bytesToHex} from '@noble/hashes/utils.js'
import {ProofError, verifyConsistency, verifyInclusion} from '../../src/merkle/verify.js'

interface Vectors {
  leaves: string[]
  roots: string[]
  inclusion: Array<{desc: string; index: number; size: number; leafOf?: number; rootOf?: number; proof: string[]; wantErr: boolean}>
  consistency: Array<{desc: string; size1: number; size2: number; root2Of?: number; proof: string[]; wantErr: boolean}>
}

const vectors = JSON.parse(readFileSync(new URL('../vectors/rfc6962.json', import.meta.url), 'utf8')) as Vectors
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))

// A naive reference written straight from RFC 6962 §2.1, over the raw leaf entries: slices and
// recursion, no stored levels. The fast tree is checked against it.
const sha = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

const naive = {
  k(n: number): number {
    let k = 1
    while (k * 2 < n) k *= 2
    return k
  },
  mth(d: Uint8Array[]): Uint8Array {
    if (d.length === 0) return sha()
    if (d.length === 1) return sha(Uint8Array.of(0), d[0]!)
    const k = naive.k(d.length)
    return sha(Uint8Array.of(1), naive.mth(d.slice(0, k)), naive.mth(d.slice(k)))
  },
  path(m: number, d: Uint8Array[]): Uint8Array[] {
    if (d.length <= 1) return []
    const k = naive.k(d.length)
    return m < k ? [...naive.path(m, d.slice(0, k)), naive.mth(d.slice(k))] : [...naive.path(m - k, d.slice(k)), naive.mth(d.slice(0, k))]
  },
  subproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
    if (m === d.length) return b ? [] : [naive.mth(d)]
    const k = naive.k(d.length)
    return m <= k
      ? [...naive.subproof(m, d.slice(0, k), b), naive.mth(d.slice(k))]
      : [...naive.subproof(m - k, d.slice(k), false), naive.mth(d.slice(0, k))]
  },
}

const entries = vectors.leaves.map((h) => bytes(h))
const leafHashes = entries.map((e) => hashLeaf(e))

describe('RFC 6962 Merkle tree, golden vectors', () => {
  it('gives the published root for every size 0..8', () => {
    for (let n = 0; n <= 8; n++) {
      expect(hex(new MerkleTree(leafHashes.slice(0, n)).root()), `size ${n}`).toBe(vectors.roots[n])
      expect(hex(new MerkleTree(leafHashes).root(n)), `prefix ${n}`).toBe(vectors.roots[n])
    }
  })

  for (const v of vectors.inclusion) {
    it(`inclusion: ${v.desc}`, () => {
      const leaf = leafHashes[v.leafOf ?? v.index]!
      const root = bytes(vectors.roots[v.rootOf ?? v.size]!)
      const proof = v.proof.map((h) => bytes(h))
      if (v.wantErr) {
        expect(() => verifyInclusion(v.index, v.size, leaf, proof, root)).toThrow(ProofError)
      } else {
        expect(() => verifyInclusion(v.index, v.size, leaf, proof, root)).not.toThrow()
        expect(new MerkleTree(leafHashes.slice(0, v.size)).inclusionProof(v.index).map((p) => hex(p))).toEqual(v.proof)
      }
    })
  }

  for (const v of vectors.consistency) {
    it(`consistency: ${v.desc}`, () => {
      const root1 = bytes(vectors.roots[v.size1]!)
      const root2 = bytes(vectors.roots[v.root2Of ?? v.size2]!)
      const proof = v.proof.map((h) => bytes(h))
      if (v.wantErr) {
        expect(() => verifyConsistency(v.size1, v.size2, root1, root2, proof)).toThrow(ProofError)
      } else {
        expect(() => verifyConsistency(v.size1, v.size2, root1, root2, proof)).not.toThrow()
        expect(new MerkleTree(leafHashes.slice(0, v.size2)).consistencyProof(v.size1).map((p) => hex(p))).toEqual(v.proof)
      }
    })
  }

  it('carries the expected and calculated roots in a mismatch', () => {
    const proof = new MerkleTree(leafHashes).inclusionProof(3)
    const wrong = bytes(vectors.roots[7]!)
    try {
      verifyInclusion(3, 8, leafHashes[3]!, proof, wrong)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ProofError)
      expect((error as ProofError).expected).toBe(vectors.roots[7])
      expect((error as ProofError).calculated).toBe(vectors.roots[8])
    }
  })

  it('rejects hashes of the wrong length instead of throwing something else', () => {
    expect(() => verifyInclusion(0, 2, leafHashes[0]!, [new Uint8Array(31)], bytes(vectors.roots[2]!))).toThrow(ProofError)
    expect(() => verifyConsistency(1, 2, new Uint8Array(0), bytes(vectors.roots[2]!), [leafHashes[1]!])).toThrow(ProofError)
  })
})

describe('RFC 6962 Merkle tree against the naive reference', () => {
  const many = Array.from({length: 70}, (_, i) => new TextEncoder().encode(`event ${i}`))
  const manyHashes = many.map((e) => hashLeaf(e))
  const tree = new MerkleTree(manyHashes)

  it('has the same root, every inclusion proof and every consistency proof for sizes up to 70', () => {
    for (let n = 0; n <= many.length; n++) {
      const d = many.slice(0, n)
      const root = naive.mth(d)
      expect(hex(tree.root(n))).toBe(hex(root))
      for (let m = 0; m < n; m++) {
        const proof = tree.inclusionProof(m, n)
        expect(proof.map((p) => hex(p))).toEqual(naive.path(m, d).map((p) => hex(p)))
        verifyInclusion(m, n, manyHashes[m]!, proof, root)
      }

      for (let m = 1; m < n; m++) {
        const proof = tree.consistencyProof(m, n)
        expect(proof.map((p) => hex(p))).toEqual(naive.subproof(m, d, true).map((p) => hex(p)))
        verifyConsistency(m, n, naive.mth(d.slice(0, m)), root, proof)
      }
    }
  })

  it('gives back each leaf hash, and names an index that is not a leaf', () => {
    expect(manyHashes.map((_, i) => hex(tree.leaf(i)))).toEqual(many.map((e) => hex(naive.mth([e]))))
    for (const bad of [-1, 70, 1.5]) expect(() => tree.leaf(bad)).toThrow(`expected a leaf index in [0, 70), got ${bad}`)
  })

  it('rejects any single flipped bit in a proof (property)', () => {
    fc.assert(
      fc.property(fc.integer({min: 2, max: 70}), fc.nat(), fc.nat(), fc.integer({min: 0, max: 255}), (n, i, j, bit) => {
        const index = i % n
        const proof = tree.inclusionProof(index, n)
        fc.pre(proof.length > 0)
        const which = j % proof.length
        const tampered = proof.map((p, k) => {
          if (k !== which) return p
          const copy = new Uint8Array(p)
          copy[bit % 32]! ^= 1 << (bit % 8)
          return copy
        })
        expect(() => verifyInclusion(index, n, manyHashes[index]!, tampered, tree.root(n))).toThrow(ProofError)
      }),
    )
  })
})

describe('the compact range (the running tree head of the ledger)', () => {
  it('gives the published root at every size 0..8', () => {
    const range = new CompactRange()
    expect(hex(range.root())).toBe(vectors.roots[0])
    for (let n = 1; n <= 8; n++) {
      range.push(leafHashes[n - 1]!)
      expect(hex(range.root()), `size ${n}`).toBe(vectors.roots[n])
    }
  })

  it('agrees with the naive reference at every size up to 300, and a clone grows on its own', () => {
    const d = Array.from({length: 300}, (_, i) => Uint8Array.of(i & 0xff, i >> 8))
    const range = new CompactRange()
    let clone: CompactRange | undefined
    for (const [i, entry] of d.entries()) {
      range.push(hashLeaf(entry))
      expect(hex(range.root()), `size ${i + 1}`).toBe(hex(naive.mth(d.slice(0, i + 1))))
      if (i === 100) clone = range.clone()
    }

    clone!.push(hashLeaf(Uint8Array.of(9)))
    expect(clone!.size).toBe(102)
    expect(hex(clone!.root())).toBe(hex(naive.mth([...d.slice(0, 101), Uint8Array.of(9)])))
  })
})

describe('a Merkle tree whose large levels are kept in a file', () => {
  // 70,001 leaves: the leaves (2.2 MB) and the first level above them (1.1 MB) go to the file,
  // the levels above stay in memory; an odd count leaves unpaired nodes on several levels.
  const count = 70_001
  const leaves = Array.from({length: count}, (_, i) => hashLeaf(new TextEncoder().encode(`event ${i}`)))
  const memory = new MerkleTree(leaves)
  const dir = mkdtempSync(join(tmpdir(), 'custody-tree-'))
  const path = join(dir, 'tree')
  const fd = openSync(path, 'wx+', 0o600)
  const inFile = MerkleTree.inFile(leaves, count, {fd})
  afterAll(() => {
    closeSync(fd)
    rmSync(dir, {recursive: true, force: true})
  })

  it('keeps its large levels in the file, and gives every root and proof the in-memory tree gives', () => {
    // Leaves, then the level of 35,000 nodes: the rest (under 1 MiB a level) stays in memory.
    // Each level is cut into blocks of 2,048 hashes, each sealed with a 12-byte nonce and a 16-byte tag.
    // The leaves take 35 blocks (the last one's room kept whole), the 35,000 nodes above them 17 full
    // blocks and 184 hashes: the file ends with that last block.
    const slot = 2048 * 32 + 28
    expect(statSync(path).size).toBe(35 * slot + 17 * slot + 184 * 32 + 28)
    expect(inFile.size).toBe(count)
    expect(hex(inFile.root())).toBe(hex(memory.root()))
    for (const n of [1, 2, 3, 32_768, 65_536, 65_537, count]) expect(hex(inFile.root(n)), `root(${n})`).toBe(hex(memory.root(n)))
    // Consecutive leaves (as a seal proves them) and scattered ones, which move the file windows back and forth.
    const indices = [...Array.from({length: 3_000}, (_, i) => i + 31_000), 69_999, 0, 70_000, 2_047, 2_048, 40_000, 12]
    for (const i of indices) {
      expect(hex(inFile.leaf(i))).toBe(hex(leaves[i]!))
      expect(inFile.inclusionProof(i).map(hex), `proof of ${i}`).toEqual(memory.inclusionProof(i).map(hex))
    }

    for (const [from, to] of [[1, count], [32_768, count], [50_001, 65_537], [69_999, count]] as const) {
      expect(inFile.consistencyProof(from, to).map(hex)).toEqual(memory.consistencyProof(from, to).map(hex))
    }

    verifyInclusion(31_337, count, leaves[31_337]!, inFile.inclusionProof(31_337), memory.root())
  })

  it('holds none of its hashes in clear on disk', () => {
    const file = readFileSync(path)
    for (const i of [0, 1, 2_047, 2_048, 35_000, 69_999, 70_000]) expect(file.indexOf(Buffer.from(leaves[i]!)), `leaf ${i}`).toBe(-1)
    // The level above the leaves: the hash of each pair.
    for (const i of [0, 17_000, 34_999]) expect(file.indexOf(Buffer.from(hashChildren(leaves[2 * i]!, leaves[2 * i + 1]!))), `node ${i}`).toBe(-1)
    expect(file.indexOf(Buffer.from(leaves[5]!).subarray(0, 8))).toBe(-1)
  })

  it('refuses a block changed, moved, cut short or taken from another tree file, naming the file', () => {
    const own = join(dir, 'tampered')
    const other = join(dir, 'other')
    const [ownFd, otherFd] = [openSync(own, 'wx+', 0o600), openSync(other, 'wx+', 0o600)]
    const slot = 2048 * 32 + 28
    try {
      const build = (): MerkleTree => MerkleTree.inFile(leaves, count, {fd: ownFd, path: own})
      const refused = (what: () => unknown): void => expect(what).toThrow(/the scratch file .*tampered changed while custody used it: its block \d+ of the level at \d+ does not open/)
      // A byte changed in block 3 of the leaves: the proof of a leaf there is refused, not wrong.
      let tree = build()
      writeSync(ownFd, Buffer.from([readFileSync(own)[3 * slot + 100]! ^ 1]), 0, 1, 3 * slot + 100)
      refused(() => tree.leaf(3 * 2048 + 5))
      expect(hex(tree.leaf(0))).toBe(hex(leaves[0]!))
      // Two blocks swapped.
      tree = build()
      const file = readFileSync(own)
      writeSync(ownFd, file.subarray(slot, 2 * slot), 0, slot, 0)
      refused(() => tree.leaf(1))
      // The same place in another run's file of the same leaves.
      tree = build()
      MerkleTree.inFile(leaves, count, {fd: otherFd, path: other})
      writeSync(ownFd, readFileSync(other).subarray(0, slot), 0, slot, 0)
      refused(() => tree.leaf(1))
      // Cut short inside block 16 of the level above the leaves (its last block, 17, is still
      // held from the build): a proof that needs a node there is refused.
      tree = build()
      ftruncateSync(ownFd, 35 * slot + 16 * slot + 100)
      refused(() => tree.inclusionProof(65_546))
    } finally {
      closeSync(ownFd)
      closeSync(otherFd)
    }
  })

  it('keeps a small tree in memory, and refuses fewer leaves than it was told', () => {
    const small = join(dir, 'small')
    const smallFd = openSync(small, 'wx+', 0o600)
    try {
      expect(hex(MerkleTree.inFile(leaves.slice(0, 1000), 1000, {fd: smallFd}).root())).toBe(hex(memory.root(1000)))
      expect(statSync(small).size).toBe(0)
      expect(() => MerkleTree.inFile(leaves.slice(0, 10), 11, {fd: smallFd})).toThrow('expected 11 leaves, got 10')
      expect(() => MerkleTree.inFile(leaves.slice(0, 40_000), 40_001, {fd: smallFd})).toThrow('expected 40001 leaves, got 40000')
    } finally {
      closeSync(smallFd)
    }
  })
})

describe('PackedHashes', () => {
  it('keeps hashes one after another as it grows, and gives each back', () => {
    const list = new PackedHashes()
    const hashes = Array.from({length: 3000}, (_, i) => createHash('sha256').update(String(i)).digest())
    for (const h of hashes) list.push(h)
    expect(list.length).toBe(3000)
    expect(Buffer.from(list.at(0)!)).toEqual(hashes[0])
    expect(Buffer.from(list.at(2999)!)).toEqual(hashes[2999])
    expect(list.at(3000)).toBeUndefined()
    expect(list.at(-1)).toBeUndefined()
    expect(Buffer.from(list.packed())).toEqual(Buffer.concat(hashes))
    expect(bytesToHex(new MerkleTree(list.packed()).root())).toBe(bytesToHex(new MerkleTree(hashes).root()))
    expect(() => list.push(new Uint8Array(31))).toThrow('32 bytes')
  })
})
