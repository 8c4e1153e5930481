/**
 * The stored hashes of the ledger's rows, in order, for the checkpoint check (a checkpoint names the
 * hash of the last event it covers). Packed as bytes when they are 64 hex digits, as custody writes
 * them, so that a long ledger costs 32 bytes an event; any other (a damaged row, already a problem
 * of the chain) is kept as it is.
 */
import {bytesToHex, hexToBytes} from '@noble/hashes/utils.js'
import {HEX64} from '../../formats/guards.js'
import {PackedHashes} from '../../merkle/packed-hashes.js'
import {HASH_SIZE} from '../../merkle/rfc6962.js'

export class StoredHashes {
  private readonly packed = new PackedHashes()
  private readonly odd = new Map<number, string>()

  push(hash: string): void {
    if (HEX64.test(hash)) {
      this.packed.push(hexToBytes(hash))
    } else {
      this.odd.set(this.packed.length, hash)
      this.packed.push(new Uint8Array(HASH_SIZE))
    }
  }

  at(index: number): string | undefined {
    const bytes = this.packed.at(index)
    return bytes === undefined ? undefined : (this.odd.get(index) ?? bytesToHex(bytes))
  }
}
