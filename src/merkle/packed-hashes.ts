/**
 * 32-byte hashes packed one after another in one growing buffer: a list of n hashes takes 32·n
 * bytes, where as many Uint8Arrays or hex strings would take several times that (each is an
 * object of its own, with its header, and a hex string has two characters a byte).
 */
import {HASH_SIZE} from './rfc6962.js'

export class PackedHashes {
  private bytes = new Uint8Array(1024 * HASH_SIZE)
  private count = 0

  push(hash: Uint8Array): void {
    if (hash.length !== HASH_SIZE) throw new Error(`expected a hash of ${HASH_SIZE} bytes, got ${hash.length}`)
    if ((this.count + 1) * HASH_SIZE > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2)
      grown.set(this.bytes)
      this.bytes = grown
    }

    this.bytes.set(hash, this.count++ * HASH_SIZE)
  }

  get length(): number {
    return this.count
  }

  /** Hash `index`: a view, valid until the next push. */
  at(index: number): Uint8Array | undefined {
    return index >= 0 && index < this.count ? this.bytes.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE) : undefined
  }

  /** All of them, one after another (a view, valid until the next push). */
  packed(): Uint8Array {
    return this.bytes.subarray(0, this.count * HASH_SIZE)
  }
}
