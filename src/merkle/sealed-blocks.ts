/**
 * The blocks of a Merkle tree file (MerkleTree.inFile): the large levels of a ledger's tree while
 * a seal runs, in a file beside the archive being written.
 *
 * They hold hashes only, but a seized disk is to give up nothing custody wrote while it ran
 * (docs/design/encryption-at-rest.md, "Scratch and temporary files"), and a file changed under the
 * run must not become a wrong proof. The tree reads its levels at any place, not in order, so the
 * levels are cut into blocks of a fixed size, each sealed on its own with this run's key
 * (src/io/scratch-seal.ts, never written) and put at a fixed place:
 *
 *   block k of the level at `start`   at start + k × SLOT: nonce || ciphertext || tag
 *
 * A block's associated data names the file (random, held in memory), its level's place and its
 * number, so a block changed, moved to another place, or taken from another run's file does not
 * open, and one cut short is not read whole: each is refused as INTEGRITY, naming the file. Each
 * block is opened whole before any of its hashes is given back.
 */
import {randomBytes} from 'node:crypto'
import {readSync, writeSync} from 'node:fs'
import {CustodyError} from '../errors.js'
import {openSealed, SCRATCH_OVERHEAD, sealScratch} from '../io/scratch-seal.js'
import {HASH_SIZE} from './rfc6962.js'

/** Where a tree's large levels go: an open file of its own (created empty, removed by its owner), and its path for errors. */
export interface TreeFile {
  fd: number
  path?: string
}

/** The hashes a block holds (64 KiB of them: proofs of consecutive leaves share one). */
export const NODES_PER_BLOCK = 2048
export const BLOCK_BYTES = NODES_PER_BLOCK * HASH_SIZE
/** The room a block takes in the file, sealed. */
const SLOT = BLOCK_BYTES + SCRATCH_OVERHEAD

export class SealedBlocks {
  /** This file's name in its blocks' associated data: never written, so never guessed. */
  private readonly name = randomBytes(16).toString('hex')

  constructor(private readonly file: TreeFile) {}

  /** The room in the file of a level of `nodes` hashes. */
  static bytesFor(nodes: number): number {
    return Math.ceil(nodes / NODES_PER_BLOCK) * SLOT
  }

  /** Seals `plain` (a whole block, or the last of its level) as block `block` of the level at `start`. */
  write(start: number, block: number, plain: Uint8Array): void {
    const sealed = sealScratch(Buffer.from(plain.buffer, plain.byteOffset, plain.length), this.context(start, block))
    const at = start + block * SLOT
    for (let done = 0; done < sealed.length; ) done += writeSync(this.file.fd, sealed, done, sealed.length - done, at + done)
  }

  /** Block `block` of the level at `start`, of `length` bytes in clear, opened. */
  read(start: number, block: number, length: number): Buffer {
    const sealed = Buffer.allocUnsafe(length + SCRATCH_OVERHEAD)
    const at = start + block * SLOT
    let got = 0
    while (got < sealed.length) {
      const n = readSync(this.file.fd, sealed, got, sealed.length - got, at + got)
      if (n === 0) break
      got += n
    }

    const opened = got === sealed.length ? openSealed(sealed, this.context(start, block)) : undefined
    if (opened === undefined) {
      const file = this.file.path ?? 'the Merkle tree file'
      throw new CustodyError('INTEGRITY', `the scratch file ${file} changed while custody used it: its block ${block} of the level at ${start} does not open. Nothing was published; check the disk and what else writes to that folder, and run the same command again`, {subject: file})
    }

    return opened
  }

  private context(start: number, block: number): string {
    return `merkle ${this.name} ${start} ${block}`
  }
}
