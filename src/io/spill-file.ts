/**
 * A scratch file for what would otherwise grow in memory with the size of a case: a seal's
 * manifest lines, its statement, its ZIP central directory. Text and bytes are appended through a
 * 1 MiB buffer, then read back in order, as often as needed, and the file is removed.
 *
 * It is created beside the archive being written (the same folder and file system, which the
 * user chose) with a name that cannot already exist, readable by its owner only, and removed
 * however the work ends.
 *
 * Nothing of what it holds is in clear on disk (docs/design/encryption-at-rest.md, "Scratch and
 * temporary files"): each flush of the buffer is one record, sealed with this run's key
 * (src/io/scratch-seal.ts, a key never written) and framed by its length:
 *
 *   record   length (u32 LE) || nonce || ciphertext || tag
 *
 * Each record's associated data names the file (a random name of its own, in memory) and the
 * record's number, so a record changed, moved, repeated or taken from another spill file does not
 * open; the number of records is held in memory, so a file cut short (a record dropped from the
 * end) is refused too. The record lengths, and so the file's size, stay in clear: sizes may be
 * seen. The bytes read back are the bytes appended: what is made from them does not change.
 */
import {randomBytes} from 'node:crypto'
import {open, rm, type FileHandle} from 'node:fs/promises'
import {dirname} from 'node:path'
import {CustodyError} from '../errors.js'
import {CHUNK_SIZE} from '../hashing/digests.js'
import {writeAllPieces} from './files.js'
import {openSealed, SCRATCH_OVERHEAD, sealScratch} from './scratch-seal.js'

/** The length before each record. */
const FRAME = 4

export class SpillFile {
  private readonly buffer = Buffer.allocUnsafe(CHUNK_SIZE)
  /** This file's name in its records' associated data: never written, so never guessed. */
  private readonly name = randomBytes(16).toString('hex')
  private filled = 0
  private written = 0
  /** Records written, and the bytes they take on disk. */
  private records = 0
  private onDisk = 0

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  /** Creates `path`, which must not exist. */
  static async create(path: string): Promise<SpillFile> {
    return new SpillFile(await open(path, 'wx+', 0o600), path)
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.written + this.filled
  }

  async append(data: string | Uint8Array): Promise<void> {
    const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length
    if (this.filled + length > this.buffer.length) await this.flush()
    if (length > this.buffer.length) {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data
      for (let at = 0; at < length; at += CHUNK_SIZE) await this.writeRecord(bytes.subarray(at, Math.min(length, at + CHUNK_SIZE)))
    } else if (typeof data === 'string') {
      this.filled += this.buffer.write(data, this.filled)
    } else {
      this.buffer.set(data, this.filled)
      this.filled += length
    }
  }

  private async flush(): Promise<void> {
    if (this.filled === 0) return
    await this.writeRecord(this.buffer.subarray(0, this.filled))
    this.filled = 0
  }

  /** `plain` (at most CHUNK_SIZE bytes) sealed as the next record. */
  private async writeRecord(plain: Uint8Array): Promise<void> {
    const sealed = sealScratch(Buffer.from(plain.buffer, plain.byteOffset, plain.length), this.context(this.records))
    const frame = Buffer.alloc(FRAME)
    frame.writeUInt32LE(sealed.length)
    this.onDisk += await writeAllPieces(this.handle, [frame, sealed], this.onDisk)
    this.records++
    this.written += plain.length
  }

  private context(record: number): string {
    return `spill ${this.name} ${record}`
  }

  /**
   * Everything appended, in order, in chunks of up to 1 MiB copied into `into` (one reused buffer
   * of the caller's, so a chunk is valid until the next is asked for). Each record is opened whole
   * before any of it is given; a record that does not open, a file cut short or one with fewer
   * records than were written is a CustodyError naming the file.
   */
  async *chunks(into: Buffer = Buffer.allocUnsafe(CHUNK_SIZE)): AsyncGenerator<Buffer> {
    await this.flush()
    const sealed = Buffer.allocUnsafe(CHUNK_SIZE + SCRATCH_OVERHEAD)
    let at = 0
    for (let record = 0; record < this.records; record++) {
      const length = (await this.readExactly(sealed, FRAME, at, record)).readUInt32LE(0)
      if (length > sealed.length) throw this.changed(record, 'is longer than any record written')
      const plain = openSealed(await this.readExactly(sealed, length, at + FRAME, record), this.context(record))
      if (plain === undefined) throw this.changed(record, 'does not open')
      at += FRAME + length
      for (let from = 0; from < plain.length; from += into.length) {
        const n = plain.copy(into, 0, from, Math.min(plain.length, from + into.length))
        yield into.subarray(0, n)
      }
    }
  }

  /** The `length` bytes at `position`, in `into`; a file that ends first is changed. */
  private async readExactly(into: Buffer, length: number, position: number, record: number): Promise<Buffer> {
    for (let got = 0; got < length; ) {
      const {bytesRead} = await this.handle.read(into, got, length - got, position + got)
      if (bytesRead === 0) throw this.changed(record, `is cut short (the file ends at ${position + got} bytes of ${this.onDisk})`)
      got += bytesRead
    }

    return into.subarray(0, length)
  }

  private changed(record: number, what: string): CustodyError {
    const folder = dirname(this.path)
    return new CustodyError(
      'INTEGRITY',
      `the scratch file ${this.path} changed while custody used it: its record ${record + 1} of ${this.records} ${what}, so nothing read from it can be trusted. Check the disk and what else writes to ${folder}, and run the same command again`,
      {subject: this.path},
    )
  }

  /** Closes and removes the file; safe to call more than once. */
  async remove(): Promise<void> {
    await this.handle.close().catch(() => undefined)
    await rm(this.path, {force: true})
  }
}
