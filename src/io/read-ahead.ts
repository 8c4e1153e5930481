/**
 * Reads a list of files, one after the other, as a stream of chunks in order, while reads of the
 * chunks that come next are already running (on libuv's thread pool). A consumer that must take
 * bytes in order, such as a ZIP writer that hashes the archive as it writes it, then never waits
 * for the disk between files, however small they are.
 *
 * Memory is bounded: `depth` buffers of CHUNK_SIZE, each handed back by the consumer (release())
 * once it is done with the chunk (its write has finished). At most about `depth` files are open.
 * With `shared`, the buffers are views of one SharedArrayBuffer, so that a worker thread can hash
 * a chunk without a copy (hash-worker.ts).
 */
import {closeSync, fstatSync, openSync} from 'node:fs'
import {CHUNK_SIZE} from '../hashing/digests.js'
import {quietly} from '../hashing/pump.js'
import {readAt} from './files.js'
import type {RandomAccess} from './random-access.js'

export interface ReadSource {
  path: string
  /** The size the file must have; when left out, whatever it holds when opened. */
  size?: number
  /** Read only `size` bytes from here (an entry inside an archive); the file must hold them. */
  start?: number
  /** How to open it (fs.constants), when not simply for reading: a bag folder's files are opened without following links. */
  flags?: number
  /** Read through this (a ZIP decrypted as it is read: src/age/random-reader.ts) instead of opening `path`, which then only names it; left open. */
  from?: RandomAccess
  /**
   * Opened when reading reaches the source, read instead of `path` and closed after (an encrypted
   * vault object, decrypted and authenticated as it is read): at most about `depth` are open.
   */
  open?: () => Promise<RandomAccess>
}

export interface ReadChunk {
  /** Index of the source in the list. */
  source: number
  /** Where the chunk starts in its source (from `start`). */
  offset: number
  bytes: Buffer
  /** The size of the whole source. */
  size: number
  /** The file's last chunk (an empty file has one empty chunk). */
  last: boolean
  /** Where the bytes are, when the buffers are shared memory. */
  shared?: {memory: SharedArrayBuffer; offset: number}
  /** Hands the chunk's memory back: call it once nothing reads the bytes any more. */
  release: () => void
}

export interface ReadAheadOptions {
  /** Buffers, hence chunks read but not yet released (default 8). */
  depth?: number
  chunkSize?: number
  /** Buffers in shared memory (ReadChunk.shared), for hashing on a worker thread. */
  shared?: boolean
  /** Turns a failure to open or read source `index` into the error the consumer gets. */
  readError: (index: number, error: unknown) => Error
}

const END = Symbol('end')

interface OpenFile {
  path: string
  read: (buffer: Buffer, offset: number, length: number, position: number) => Promise<number>
  /** Closes it, once its reads are done. */
  close: () => void
  /** Its size when opened. */
  held: number
  /**
   * The reads issued on it that have not settled, so that it is closed only after the last. A
   * settled read leaves the set: the entries of one archive share one open file, and a list of
   * every read ever issued on it grew with the number of entries.
   */
  reads: Set<Promise<unknown>>
}

async function readFully(file: OpenFile, buffer: Buffer, length: number, position: number): Promise<void> {
  let done = 0
  while (done < length) {
    const bytesRead = await file.read(buffer, done, length - done, position + done)
    if (bytesRead === 0) throw new Error(`it ends after ${position + done} bytes`)
    done += bytesRead
  }
}

/**
 * How many bytes to read of a source whose file holds `held`: `expected` from `start` (an entry
 * inside an archive), or the whole file, which must be of the `expected` size when one is given.
 */
function sizeToRead(held: number, expected: number | undefined, start: number | undefined): number {
  if (start !== undefined) {
    if (expected === undefined || start + expected > held) throw new Error(`it ends at ${held} bytes, before ${start} + ${expected ?? '?'}`)
    return expected
  }

  if (expected !== undefined && held !== expected) throw new Error(`it holds ${held} bytes, not the ${expected} expected`)
  return held
}

function openFile(path: string, flags: number | undefined): OpenFile {
  const fd = openSync(path, flags ?? 'r')
  try {
    return {path, read: (buffer, offset, length, position) => readAt(fd, buffer, offset, length, position), close: () => closeSync(fd), held: fstatSync(fd).size, reads: new Set()}
  } catch (error) {
    closeSync(fd)
    throw error
  }
}

/** A source read through `access`, closed with the file when `owned`. */
function accessFile(path: string, access: RandomAccess, owned: boolean): OpenFile {
  return {path, read: (...args) => access.readAt(...args), close: () => (owned ? access.close() : undefined), held: access.size, reads: new Set()}
}

export class ReadAhead {
  private readonly sources: Iterable<ReadSource>
  private readonly chunkSize: number
  private readonly readError: ReadAheadOptions['readError']
  private readonly free: Buffer[]
  private readonly memory: SharedArrayBuffer | undefined
  /** Resolves the producer when a buffer comes back, or when reading stops. */
  private bufferWaiter: (() => void) | undefined
  /** Chunks in order; END after the last. */
  private readonly queue: Array<Promise<ReadChunk> | typeof END> = []
  private queueWaiter: (() => void) | undefined
  /** Files being closed once their reads are done. */
  private readonly closing = new Set<Promise<unknown>>()
  private stopped = false
  private readonly producer: Promise<void>

  /** `sources` is read lazily, as reading reaches them: a generator keeps a long list out of memory. */
  constructor(sources: Iterable<ReadSource>, options: ReadAheadOptions) {
    this.sources = sources
    this.chunkSize = options.chunkSize ?? CHUNK_SIZE
    this.readError = options.readError
    const depth = Math.max(1, options.depth ?? 8)
    const memory = options.shared ? new SharedArrayBuffer(depth * this.chunkSize) : undefined
    this.memory = memory
    this.free = Array.from({length: depth}, (_, i) => (memory ? Buffer.from(memory, i * this.chunkSize, this.chunkSize) : Buffer.allocUnsafe(this.chunkSize)))
    this.producer = this.produce()
  }

  private push(item: Promise<ReadChunk> | typeof END): void {
    this.queue.push(item)
    this.queueWaiter?.()
    this.queueWaiter = undefined
  }

  private give(buffer: Buffer): void {
    this.free.push(buffer)
    this.bufferWaiter?.()
    this.bufferWaiter = undefined
  }

  private async take(): Promise<Buffer | undefined> {
    while (this.free.length === 0 && !this.stopped) await new Promise<void>((resolve) => (this.bufferWaiter = resolve))
    return this.stopped ? undefined : this.free.pop()
  }

  /** Closes a file once every read issued on it is done. */
  private closeAfter(file: OpenFile): void {
    const closed = Promise.all(file.reads)
      .then(() => file.close())
      .catch(() => undefined)
    this.closing.add(closed)
    void closed.then(() => this.closing.delete(closed))
  }

  private async produce(): Promise<void> {
    // Consecutive sources in the same file (entries of one archive) share one open file.
    let file: OpenFile | undefined
    let next = 0
    // The sources are taken from their iterable as reading goes: one that throws (a generator
    // looking them up) fails the reading in its turn, like a read that fails.
    const sources = this.sources[Symbol.iterator]()
    for (;;) {
      let item: IteratorResult<ReadSource>
      try {
        item = sources.next()
      } catch (error) {
        this.push(quietly(Promise.reject(error)))
        break
      }

      if (item.done) break
      const {path, size: expected, start, flags, from, open} = item.value
      if (this.stopped) break
      const index = next++
      let size: number
      try {
        if (file?.path !== path) {
          if (file !== undefined) this.closeAfter(file)
          file = undefined
          // Opened and measured synchronously: each takes microseconds, where a trip through
          // libuv's thread pool costs far more (sealing opens two files an exhibit).
          file = open !== undefined ? accessFile(path, await open(), true) : from === undefined ? openFile(path, flags) : accessFile(path, from, false)
        }

        size = sizeToRead(file.held, expected, start)
      } catch (error) {
        this.push(quietly(Promise.reject(this.readError(index, error))))
        break
      }

      await this.readSource(file, index, size, start ?? 0)
    }

    if (file !== undefined) this.closeAfter(file)
    this.push(END)
  }

  /** Issues the reads of source `index` (`size` bytes from `start` of `file`), a chunk a free buffer, and queues their chunks in order. */
  private async readSource(file: OpenFile, index: number, size: number, start: number): Promise<void> {
    const {reads} = file
    const count = Math.max(1, Math.ceil(size / this.chunkSize))
    for (let c = 0; c < count; c++) {
      const buffer = await this.take()
      if (buffer === undefined) break
      const offset = c * this.chunkSize
      const length = Math.min(this.chunkSize, size - offset)
      const reading = readFully(file, buffer, length, start + offset)
      const settled: Promise<void> = reading.then(
        () => void reads.delete(settled),
        () => void reads.delete(settled),
      )
      reads.add(settled)
      this.push(
        quietly(
          reading.then(
            (): ReadChunk => ({
              source: index,
              offset,
              bytes: buffer.subarray(0, length),
              size,
              last: c === count - 1,
              ...(this.memory ? {shared: {memory: this.memory, offset: buffer.byteOffset}} : {}),
              release: () => this.give(buffer),
            }),
            (error: unknown) => {
              this.give(buffer)
              throw this.readError(index, error)
            },
          ),
        ),
      )
    }
  }

  /** The next chunk in order, or undefined after the last. A failed read throws here, in its turn. */
  async next(): Promise<ReadChunk | undefined> {
    while (this.queue.length === 0) await new Promise<void>((resolve) => (this.queueWaiter = resolve))
    const item = this.queue[0]!
    if (item === END) return undefined
    this.queue.shift()
    return item
  }

  /**
   * The chunks of source `index`, which must be the next to come: each is the consumer's to
   * release. Read in the order the sources were given, one source's chunks after the other's.
   */
  async *chunksOf(index: number): AsyncGenerator<ReadChunk> {
    for (;;) {
      const chunk = await this.next()
      if (chunk?.source !== index) {
        chunk?.release()
        throw new Error(`read source ${chunk?.source ?? 'none'} where ${index} was due`)
      }

      yield chunk
      if (chunk.last) return
    }
  }

  /** Stops reading, waits for the reads in flight and closes every file. Always call it. */
  async close(): Promise<void> {
    this.stopped = true
    this.bufferWaiter?.()
    await this.producer
    for (const item of this.queue.splice(0)) if (item !== END) (await item.catch(() => undefined))?.release()
    await Promise.all(this.closing)
  }
}
