/**
 * A deterministic, streaming ZIP writer over archiver: entries are stored (media is already
 * compressed, and stored bytes do not depend on a zlib version), in the order they are added, each
 * with the same date and mode, so the same entries give the same bytes. An entry's source is opened
 * only when the previous entry is done, so a case of any size holds one file open at a time.
 * archiver switches to ZIP64 by itself past 4 GiB or 65,535 entries.
 */
import {createHash} from 'node:crypto'
import {createWriteStream} from 'node:fs'
import {open} from 'node:fs/promises'
import {PassThrough, Transform, type Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {ZipArchive} from 'archiver'

export interface ZipResult {
  sha256: string
  size: number
}

export class ZipWriter {
  private readonly archive: ZipArchive
  private readonly done: Promise<void>
  private readonly hash = createHash('sha256')
  private size = 0
  private readonly date: Date
  private failure: Error | undefined
  private readonly entryWaiters: Array<{name: string; resolve: () => void}> = []

  constructor(path: string, date: Date) {
    this.date = date
    this.archive = new ZipArchive({store: true})
    this.archive.on('entry', (entry) => {
      const waiter = this.entryWaiters.shift()
      if (waiter && waiter.name === entry.name) waiter.resolve()
    })
    this.archive.on('warning', (error) => {
      this.failure = error
    })
    const counter = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.hash.update(chunk)
        this.size += chunk.length
        callback(null, chunk)
      },
    })
    // wx: never overwrite; the caller picks a fresh temp name.
    this.done = pipeline(this.archive, counter, createWriteStream(path, {flags: 'wx', mode: 0o644}))
    this.done.catch((error: Error) => {
      this.failure ??= error
    })
  }

  /** Adds an entry and waits until it is fully written, so the next source opens only then. */
  async add(name: string, source: Buffer | (() => Readable)): Promise<void> {
    if (this.failure) throw this.failure
    const entryDone = new Promise<void>((resolve) => this.entryWaiters.push({name, resolve}))
    const input = Buffer.isBuffer(source) ? source : source()
    // archiver wants a stream it can pause; a PassThrough also surfaces the source's errors here.
    const body = Buffer.isBuffer(input) ? input : input.pipe(new PassThrough())
    let sourceError: Error | undefined
    if (!Buffer.isBuffer(input)) input.on('error', (error: Error) => (sourceError = error))
    this.archive.append(body, {name, date: this.date, mode: 0o644, store: true})
    await Promise.race([entryDone, this.done.then(() => undefined)])
    if (sourceError) throw sourceError
    if (this.failure) throw this.failure
  }

  /** Writes the central directory, waits for the file to be written and fsyncs it. */
  async finish(path: string): Promise<ZipResult> {
    await this.archive.finalize()
    await this.done
    if (this.failure) throw this.failure
    const handle = await open(path, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }

    return {sha256: this.hash.digest('hex'), size: this.size}
  }

  abort(): void {
    this.archive.abort()
  }
}
