/**
 * Writing a ZIP entry whose bytes are made as they go (events, statement, manifests), in large
 * writes, with its digests taken on the way.
 */
import {createHash} from 'node:crypto'
import {CHUNK_SIZE} from '../hashing/digests.js'
import type {ZipEntry, ZipWriter} from '../zip/writer.js'

/**
 * A streamed ZIP entry of known size, made of text and byte pieces packed into two 1 MiB buffers,
 * each reused once its write is done; its SHA-256 (and SHA-512 when asked) as written. More or
 * fewer bytes than announced is the `changed` error.
 */
export class EntryWriter {
  private readonly buffers = [Buffer.allocUnsafe(CHUNK_SIZE), Buffer.allocUnsafe(CHUNK_SIZE)]
  private readonly free: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()]
  private current = 0
  private filled = 0
  private written = 0
  private readonly h256 = createHash('sha256')
  private readonly h512

  private constructor(
    private readonly zip: ZipWriter,
    private readonly entry: ZipEntry,
    private readonly size: number,
    private readonly changed: () => Error,
    sha512: boolean,
  ) {
    this.h512 = sha512 ? createHash('sha512') : undefined
  }

  static async start(zip: ZipWriter, name: string, size: number, changed: () => Error, options: {sha512?: boolean} = {}): Promise<EntryWriter> {
    return new EntryWriter(zip, await zip.startFile(name, size), size, changed, options.sha512 ?? false)
  }

  async write(data: string | Uint8Array): Promise<void> {
    if (typeof data === 'string' && Buffer.byteLength(data) <= CHUNK_SIZE - this.filled) {
      this.filled += this.buffers[this.current]!.write(data, this.filled)
      return
    }

    const bytes = typeof data === 'string' ? Buffer.from(data) : data
    for (let at = 0; at < bytes.length; ) {
      const n = Math.min(CHUNK_SIZE - this.filled, bytes.length - at)
      this.buffers[this.current]!.set(bytes.subarray(at, at + n), this.filled)
      this.filled += n
      at += n
      if (this.filled === CHUNK_SIZE) await this.flush()
    }
  }

  private async flush(): Promise<void> {
    if (this.filled === 0) return
    const bytes = this.buffers[this.current]!.subarray(0, this.filled)
    if (this.written + bytes.length > this.size) throw this.changed()
    this.written += bytes.length
    this.h256.update(bytes)
    this.h512?.update(bytes)
    let release!: () => void
    this.free[this.current] = new Promise<void>((resolve) => (release = resolve))
    await this.zip.writeChunk(this.entry, bytes, release)
    this.current = 1 - this.current
    this.filled = 0
    await this.free[this.current]
  }

  async end(): Promise<{sha256: string; sha512: string}> {
    await this.flush()
    await Promise.all(this.free)
    if (this.written !== this.size) throw this.changed()
    await this.zip.endFile(this.entry)
    return {sha256: this.h256.digest('hex'), sha512: this.h512?.digest('hex') ?? ''}
  }
}
