/**
 * The RFC 6962 tree head of a growing list of leaves, kept in O(log n) memory: the roots of the
 * complete subtrees that the leaves so far decompose into, largest first (a binary counter).
 *
 * MTH(D[n]) splits at the largest power of two below n (RFC 6962 §2.1), so the head is those
 * subtree roots folded from the right: H(T1, H(T2, ... H(Tk-1, Tk))).
 */
import {emptyRoot, hashChildren} from './rfc6962.js'

export class CompactRange {
  private readonly subtrees: {size: number; hash: Uint8Array}[] = []
  private count = 0

  get size(): number {
    return this.count
  }

  push(leafHash: Uint8Array): void {
    let node = {size: 1, hash: leafHash}
    for (let last = this.subtrees.at(-1); last !== undefined && last.size === node.size; last = this.subtrees.at(-1)) {
      this.subtrees.pop()
      node = {size: node.size * 2, hash: hashChildren(last.hash, node.hash)}
    }

    this.subtrees.push(node)
    this.count++
  }

  root(): Uint8Array {
    if (this.subtrees.length === 0) return emptyRoot()
    let hash = this.subtrees.at(-1)!.hash
    for (let i = this.subtrees.length - 2; i >= 0; i--) hash = hashChildren(this.subtrees[i]!.hash, hash)
    return hash
  }

  clone(): CompactRange {
    const copy = new CompactRange()
    copy.subtrees.push(...this.subtrees)
    copy.count = this.count
    return copy
  }
}
