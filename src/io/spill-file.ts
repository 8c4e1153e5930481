/**
 * A scratch file for what would otherwise grow in memory with the size of a case: a seal's
 * manifest lines, its statement, its ZIP central directory. Text and bytes are appended through a
 * 1 MiB buffer, then read back in order, as often as needed, and the file is removed.
 *
 * It is created beside the archive being written (the same folder and file system, which the
 * user chose) with a name that cannot already exist, readable by its owner only, and removed
 * however the work ends.
 */
import {open, rm, type FileHandle} from 'node:fs/promises'
import {CHUNK_SIZE} from '../hashing/digests.js'
import {writeAll} from './files.js'

export class SpillFile {
  private readonly buffer = Buffer.allocUnsafe(CHUNK_SIZE)
  private filled = 0
  private written = 0

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
      await writeAll(this.handle, typeof data === 'string' ? Buffer.from(data) : data, this.written)
      this.written += length
    } else if (typeof data === 'string') {
      this.filled += this.buffer.write(data, this.filled)
    } else {
      this.buffer.set(data, this.filled)
      this.filled += length
    }
  }

  private async flush(): Promise<void> {
    if (this.filled === 0) return
    await writeAll(this.handle, this.buffer.subarray(0, this.filled), this.written)
    this.written += this.filled
    this.filled = 0
  }

  /**
   * Everything appended, in order, in chunks of up to 1 MiB read into `into` (one reused buffer
   * of the caller's, so a chunk is valid until the next is asked for). A file that is shorter
   * than what was appended (changed under us) is an error.
   */
  async *chunks(into: Buffer = Buffer.allocUnsafe(CHUNK_SIZE)): AsyncGenerator<Buffer> {
    await this.flush()
    for (let at = 0; at < this.written; ) {
      const {bytesRead} = await this.handle.read(into, 0, Math.min(into.length, this.written - at), at)
      if (bytesRead === 0) throw new Error(`${this.path} ended at ${at} bytes of ${this.written}`)
      at += bytesRead
      yield into.subarray(0, bytesRead)
    }
  }

  /** Closes and removes the file; safe to call more than once. */
  async remove(): Promise<void> {
    await this.handle.close().catch(() => undefined)
    await rm(this.path, {force: true})
  }
}
