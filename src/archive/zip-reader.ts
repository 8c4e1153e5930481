/**
 * Reading a ZIP that may be hostile, without writing anything to disk.
 *
 * yauzl reads the central directory and refuses absolute names, `..` and backslashes
 * (strictFileNames). It does not check CRC-32s, duplicate names, symlinks, overlapping entries or
 * the folder layout: entryProblems() and the caller do. Every entry is hashed as it is read;
 * nothing is unpacked. Stored entries (what custody writes) are read straight from their place in
 * the file, in large chunks and several ahead (ReadAhead), with the SHA-512 computed on the hash
 * worker beside the SHA-256; an entry another tool deflated is inflated here (node's zlib), and
 * must come to exactly the size it states.
 */
import {createHash, hash} from 'node:crypto'
import {closeSync, fstatSync, open as openFd, read, readSync} from 'node:fs'
import {Readable} from 'node:stream'
import {normalize} from 'node:path/posix'
import {StringDecoder} from 'node:string_decoder'
import {createInflateRaw} from 'node:zlib'
import yauzl from 'yauzl'
import {messageOf} from '../errors.js'
import {CHUNK_SIZE} from '../hashing/digests.js'
import {HashWorker, WORKER_HASH_BYTES, WorkerHash} from '../hashing/hash-worker.js'
import {quietly} from '../hashing/pump.js'
import {readAt} from '../io/files.js'
import {ReadAhead, type ReadChunk, type ReadSource} from '../io/read-ahead.js'

export interface ZipEntryInfo {
  /** Its place in the central directory, from 0. */
  index: number
  name: string
  isDirectory: boolean
  /** 0 stored, 8 deflated. */
  method: number
  encrypted: boolean
  compressedSize: number
  uncompressedSize: number
  offset: number
  unixMode: number
}

export interface EntryDigest {
  sha256: string
  sha512: string
  size: number
  /** The bytes, when asked to keep them. */
  bytes?: Buffer
}

/** An entry's digest, or why it could not be read. */
export type EntryResult = {digest: EntryDigest} | {error: string}

/** Above this ratio a deflated entry is treated as a zip bomb; stored media is about 1:1. */
const MAX_RATIO = 200
const S_IFMT = 0o170000
const S_IFLNK = 0o120000
const LOCAL_HEADER_SIGNATURE = 0x04034b50
const LOCAL_HEADER_SIZE = 30
/**
 * Text read line by line comes in chunks this size. The lines of a chunk are held while they are
 * checked one by one; from a 1 MiB chunk, many lived long enough to be moved to V8's old space,
 * with the chunk's whole string (the lines are slices of it), and that grew the heap by tens of MB.
 */
const LINE_CHUNK = 64 * 1024

/** An error that names the entry, once. */
function naming(info: ZipEntryInfo, error: unknown): Error {
  const message = messageOf(error)
  return new Error(message.startsWith(info.name) ? message : `${info.name}: ${message}`, {cause: error})
}

/** Stored plainly: its bytes are read straight from the file. */
function isPlain(info: ZipEntryInfo): boolean {
  return info.method === 0 && !info.encrypted
}

/**
 * What is wrong with one entry on its own (the checks that need the other entries, such as
 * duplicate names and overlapping data, are the caller's): yauzl already refused absolute names,
 * `..` and backslashes.
 */
export function entryProblems(e: ZipEntryInfo): string[] {
  const problems: string[] = []
  if ((e.unixMode & S_IFMT) === S_IFLNK) problems.push('the entry is a symbolic link; a bag holds only files')
  // eslint-disable-next-line no-control-regex -- control characters in names are what is refused
  if (/[\u0000-\u001F\u007F]/.test(e.name)) problems.push('the name holds control characters')
  if (normalize(e.name) !== e.name) problems.push('the name is not in normal form (empty or "." components)')
  if (e.uncompressedSize > 1024 * 1024 && e.uncompressedSize > e.compressedSize * MAX_RATIO) {
    problems.push(`the entry expands ${Math.round(e.uncompressedSize / Math.max(1, e.compressedSize))} times (a zip bomb?)`)
  }

  return problems
}

/**
 * Local headers (§4.3.7), read from windows of the file: one read serves many small entries. Reads
 * are synchronous (microseconds from the page cache), so that places can be found inside the
 * generator that feeds ReadAhead.
 */
class HeaderWindow {
  private readonly buffer: Buffer
  private start = 0
  private length = 0

  constructor(
    private readonly fd: number,
    /** The ZIP file's size. */
    private readonly fileSize: number,
    windowSize: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(LOCAL_HEADER_SIZE, windowSize))
  }

  /** Where the entry's data starts, or why that cannot be found (or, stored, cannot be its size). */
  dataStart(info: ZipEntryInfo): number | {error: string} {
    const {offset, compressedSize} = info
    if (info.method === 0 && compressedSize !== info.uncompressedSize) return {error: `a stored entry of ${info.uncompressedSize} bytes says it takes ${compressedSize}`}
    if (offset < this.start || offset + LOCAL_HEADER_SIZE > this.start + this.length) {
      this.start = offset
      this.length = readSync(this.fd, this.buffer, 0, this.buffer.length, offset)
    }

    if (offset + LOCAL_HEADER_SIZE > this.start + this.length) return {error: `its local header at ${offset} runs past the end of the file`}
    const header = this.buffer.subarray(offset - this.start, offset - this.start + LOCAL_HEADER_SIZE)
    if (header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) return {error: `no local header at ${offset} (signature 0x${header.readUInt32LE(0).toString(16)})`}
    const start = offset + LOCAL_HEADER_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28)
    if (start + compressedSize > this.fileSize) return {error: `its data runs past the end of the file (${start} + ${compressedSize} > ${this.fileSize})`}
    return start
  }
}

/**
 * Reads a ZIP that may be hostile. The entries are handed out one at a time (list()), never held
 * here: the caller keeps what it needs, where it likes (verify keeps them in a temporary database),
 * so that an archive of any number of entries costs the same memory.
 */
export class SafeZip {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly fd: number,
    /** The ZIP file's size when opened. */
    private readonly size: number,
    private readonly path: string,
  ) {}

  /** Opens the ZIP and finds its central directory; a ZIP that cannot be read at all is an exception. */
  static async open(path: string): Promise<SafeZip> {
    const fd = await new Promise<number>((resolve, reject) => openFd(path, 'r', (error, opened) => (error ? reject(error) : resolve(opened))))
    try {
      const size = fstatSync(fd).size
      const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
        yauzl.fromRandomAccessReader(new WindowedReader(fd), size, {lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true}, (error, opened) => {
          if (error || !opened) reject(error ?? new Error('no zip'))
          else resolve(opened)
        })
      })
      return new SafeZip(zip, fd, size, path)
    } catch (error) {
      closeSync(fd)
      throw error
    }
  }

  /**
   * Reads the central directory, handing each entry to `onEntry` in order, and resolves with how
   * many there were. Call it once. A central directory that cannot be read is an exception.
   */
  async list(onEntry: (info: ZipEntryInfo) => void): Promise<number> {
    const {zip} = this
    let index = 0
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        try {
          onEntry({
            index: index++,
            name: entry.fileName,
            isDirectory: entry.fileName.endsWith('/'),
            method: entry.compressionMethod,
            encrypted: entry.isEncrypted(),
            compressedSize: entry.compressedSize,
            uncompressedSize: entry.uncompressedSize,
            offset: entry.relativeOffsetOfLocalHeader,
            unixMode: (entry.externalFileAttributes >>> 16) & 0xffff,
          })
        } catch (error) {
          reject(error as Error)
          return
        }

        zip.readEntry()
      })
      zip.on('end', () => resolve())
      zip.on('error', reject)
      zip.readEntry()
    })
    return index
  }

  /**
   * Hashes the entries (SHA-256 and SHA-512), keeping the bytes of those `keep` names, and hands
   * each result to `onResult`: nothing of the entries is gathered here, so a bag of many files costs
   * only what the caller keeps. `entries` is called twice and must give the same entries each time:
   * the stored ones are read in the first pass, several ahead, and any other (deflated) in the
   * second. Results may come in any order; all have come when this resolves. Once a read fails, the
   * stored entries after it are left unread.
   */
  async digestEach(
    entries: () => Iterable<ZipEntryInfo>,
    keep: (info: ZipEntryInfo) => boolean,
    onResult: (info: ZipEntryInfo, result: EntryResult) => void,
    onEach?: (done: number) => void,
  ): Promise<void> {
    let done = 0
    const result = (info: ZipEntryInfo, outcome: EntryResult): void => {
      onResult(info, outcome)
      onEach?.(++done)
    }

    // The reader takes its sources from this generator a few ahead of the loop below; `pending`
    // holds the entries it has taken and the loop has not reached yet.
    const {path} = this
    const headers = new HeaderWindow(this.fd, this.size, CHUNK_SIZE)
    const pending = new Map<number, ZipEntryInfo>()
    let sources = 0
    const placeOf = (info: ZipEntryInfo): number | {error: string} => {
      try {
        return headers.dataStart(info)
      } catch (error) {
        return {error: `its local header cannot be read: ${messageOf(error)}`}
      }
    }

    function* stored(): Generator<ReadSource> {
      for (const info of entries()) {
        if (!isPlain(info)) continue
        const start = placeOf(info)
        if (typeof start !== 'number') {
          result(info, start)
          continue
        }

        pending.set(sources++, info)
        yield {path, start, size: info.uncompressedSize}
      }
    }

    const reader = new ReadAhead(stored(), {shared: true, readError: (_, error) => new Error(messageOf(error))})
    const finishing = new Set<Promise<void>>()
    try {
      for (;;) {
        const first = await reader.next().catch((error: unknown) => ({error: messageOf(error)}))
        if (first === undefined) break
        if ('error' in first) {
          // The source that failed is the next one due.
          const info = pending.get(Math.min(...pending.keys()))
          if (info !== undefined) result(info, first)
          break
        }

        const info = pending.get(first.source)!
        pending.delete(first.source)
        const read = await this.hashStored(reader, first, keep(info)).catch((error: unknown) => ({error: messageOf(error)}))
        if ('error' in read) {
          result(info, read)
          break
        }

        const {sha512, ...rest} = read
        if (typeof sha512 === 'string') {
          result(info, {digest: {...rest, sha512}})
        } else {
          const finished: Promise<void> = sha512.then(
            (hex) => result(info, {digest: {...rest, sha512: hex}}),
            (error: unknown) => result(info, {error: messageOf(error)}),
          )
          finishing.add(finished)
          void finished.then(() => finishing.delete(finished))
        }
      }
    } finally {
      await reader.close()
      await Promise.all(finishing)
    }

    for (const info of entries()) {
      if (isPlain(info)) continue
      const digest = await this.digest(info, keep(info)).catch((error: unknown) => ({error: messageOf(error)}))
      result(info, 'error' in digest ? digest : {digest})
    }
  }

  /** A stored entry from the reader, from its first chunk: SHA-256 here, SHA-512 on the hash worker (a promise) when large. */
  private async hashStored(reader: ReadAhead, first: ReadChunk, keep: boolean): Promise<{sha256: string; sha512: string | Promise<string>; size: number; bytes?: Buffer}> {
    const {source, size: expectedSize} = first
    if (first.last && expectedSize < WORKER_HASH_BYTES) {
      // A small entry, whole in one chunk (most of a bag's files): one-shot digests, with no hash
      // objects to create and collect for each of many thousand files.
      const digests = {sha256: hash('sha256', first.bytes), sha512: hash('sha512', first.bytes), size: first.bytes.length}
      const kept = keep ? Buffer.from(first.bytes) : undefined
      first.release()
      return kept ? {...digests, bytes: kept} : digests
    }

    const h256 = createHash('sha256')
    // A small entry is hashed here: a message to the worker and back would cost more.
    const h512 = expectedSize < WORKER_HASH_BYTES ? createHash('sha512') : HashWorker.shared().job('sha512')
    // Kept bytes go straight into one buffer of the entry's size (its reads give exactly that).
    const kept = keep ? Buffer.allocUnsafe(expectedSize) : undefined
    let size = 0
    try {
      for (let chunk = first; ; ) {
        h256.update(chunk.bytes)
        if (kept) chunk.bytes.copy(kept, chunk.offset)
        size += chunk.bytes.length
        if (h512 instanceof WorkerHash) {
          const hashed = h512.update(chunk.shared!.memory, chunk.shared!.offset, chunk.bytes.length)
          hashed.then(chunk.release, chunk.release)
        } else {
          h512.update(chunk.bytes)
          chunk.release()
        }

        if (chunk.last) break
        const next = await reader.next()
        if (next?.source !== source) throw new Error(`read source ${next?.source ?? 'none'} where ${source} was due`)
        chunk = next
      }
    } catch (error) {
      if (h512 instanceof WorkerHash) h512.drop()
      throw error
    }

    const sha512 = h512 instanceof WorkerHash ? quietly(h512.digest()) : h512.digest('hex')
    return {sha256: h256.digest('hex'), sha512, size, ...(kept ? {bytes: kept} : {})}
  }

  /**
   * The lines of a UTF-8 text entry, one at a time and empty ones included (but not the nothing
   * after a final newline), so that a large one (a seal's events, its manifests) is never whole in
   * memory; `onBytes` sees every byte read, to hash them.
   */
  async *lines(info: ZipEntryInfo, onBytes?: (chunk: Buffer) => void): AsyncGenerator<string> {
    const decoder = new StringDecoder('utf8')
    let rest = ''
    for await (const chunk of this.chunks(info, onBytes)) {
      const parts = (rest + decoder.write(chunk)).split('\n')
      rest = parts.pop()!
      yield* parts
    }

    rest += decoder.end()
    if (rest !== '') yield rest
  }

  /**
   * An entry's bytes, in chunks of up to 64 KiB, read again from the ZIP; `onBytes` sees each
   * first (to hash them). A stored entry's chunks are read into one reused buffer: each is valid
   * until the next is asked for. A deflated entry is inflated here, and must give exactly the
   * size the central directory states (a zip bomb stops at that size).
   */
  async *chunks(info: ZipEntryInfo, onBytes?: (chunk: Buffer) => void): AsyncGenerator<Buffer> {
    if (info.encrypted) throw new Error(`${info.name}: the entry is encrypted`)
    if (info.method !== 0 && info.method !== 8) throw new Error(`${info.name}: compression method ${info.method} is not supported (only stored and deflated)`)
    const start = new HeaderWindow(this.fd, this.size, LOCAL_HEADER_SIZE).dataStart(info)
    if (typeof start !== 'number') throw new Error(`${info.name}: ${start.error}`)
    if (info.method === 8) {
      yield* this.inflated(info, start, onBytes)
      return
    }

    const end = start + info.uncompressedSize
    const buffer = Buffer.allocUnsafe(Math.min(LINE_CHUNK, info.uncompressedSize))
    for (let at = start; at < end; ) {
      const n = await readAt(this.fd, buffer, 0, Math.min(buffer.length, end - at), at)
      if (n === 0) throw new Error(`${info.name}: the file ends at ${at}, inside the entry`)
      at += n
      const chunk = buffer.subarray(0, n)
      onBytes?.(chunk)
      yield chunk
    }
  }

  /** A deflated entry's bytes (RFC 1951), inflated from its place in the file. */
  private async *inflated(info: ZipEntryInfo, start: number, onBytes?: (chunk: Buffer) => void): AsyncGenerator<Buffer> {
    const raw = rangeStream(this.fd, start, start + info.compressedSize)
    const inflate = createInflateRaw()
    raw.on('error', (error) => inflate.destroy(error))
    raw.pipe(inflate)
    let size = 0
    try {
      for await (const chunk of inflate as AsyncIterable<Buffer>) {
        size += chunk.length
        if (size > info.uncompressedSize) throw new Error(`${info.name}: it inflates to more than the ${info.uncompressedSize} bytes it states`)
        onBytes?.(chunk)
        yield chunk
      }
    } catch (error) {
      throw naming(info, error)
    } finally {
      raw.destroy()
      inflate.destroy()
    }

    if (size !== info.uncompressedSize) throw new Error(`${info.name}: it inflates to ${size} bytes, not the ${info.uncompressedSize} it states`)
  }

  /** Streams an entry through SHA-256 and SHA-512; keeps the bytes when `keep` (small tag files). */
  async digest(info: ZipEntryInfo, keep: boolean): Promise<{sha256: string; sha512: string; size: number; bytes?: Buffer}> {
    const h256 = createHash('sha256')
    const h512 = createHash('sha512')
    const kept: Buffer[] = []
    let size = 0
    try {
      for await (const chunk of this.chunks(info)) {
        h256.update(chunk)
        h512.update(chunk)
        size += chunk.length
        // A stored entry's chunks share one buffer: what is kept is copied.
        if (keep) kept.push(Buffer.from(chunk))
      }
    } catch (error) {
      throw naming(info, error)
    }

    const out = {sha256: h256.digest('hex'), sha512: h512.digest('hex'), size}
    return keep ? {...out, bytes: Buffer.concat(kept)} : out
  }

  close(): void {
    this.zip.close()
    closeSync(this.fd)
  }
}

/**
 * The bytes from `start` to `end` of an open file, in chunks of LINE_CHUNK, leaving the file open
 * (a file stream closes its descriptor when destroyed, whatever autoClose says).
 */
function rangeStream(fd: number, start: number, end: number): Readable {
  let position = start
  return new Readable({
    highWaterMark: LINE_CHUNK,
    read() {
      const length = Math.min(LINE_CHUNK, end - position)
      if (length <= 0) {
        this.push(null)
        return
      }

      const buffer = Buffer.allocUnsafe(length)
      read(fd, buffer, 0, length, position, (error, n) => {
        if (error) this.destroy(error)
        else if (n === 0) this.destroy(new Error(`unexpected end of file at ${position}`))
        else {
          position += n
          this.push(buffer.subarray(0, n))
        }
      })
    },
  })
}

/**
 * The file under yauzl. yauzl reads the central directory in two small reads an entry (46 bytes,
 * then the name and extra fields): 40,000 reads for a bag of 10,000 exhibits. Here such reads are
 * served from a 1 MiB window of the file, read once; larger reads and entry streams go to the file.
 */
class WindowedReader extends yauzl.RandomAccessReader {
  private window: Buffer = Buffer.alloc(0)
  private windowStart = 0
  /** The whole buffer behind the window, and one to read the next window into. */
  private windowBuffer: Buffer | undefined
  private spare: Buffer | undefined

  constructor(private readonly fd: number) {
    super()
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return rangeStream(this.fd, start, end)
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (error: Error | null, bytesRead?: number) => void): void {
    const fromWindow = (): number => {
      const at = position - this.windowStart
      const n = Math.max(0, Math.min(length, this.window.length - at))
      this.window.copy(buffer, offset, at, at + n)
      return n
    }

    if (position >= this.windowStart && position + length <= this.windowStart + this.window.length) {
      const n = fromWindow()
      process.nextTick(callback, null, n)
    } else if (length > CHUNK_SIZE) {
      read(this.fd, buffer, offset, length, position, (error, n) => callback(error, n))
    } else {
      // The spare buffer becomes the window; while a read is in flight, a fresh one is used, so
      // that two reads never share a buffer.
      const buffer = this.spare ?? Buffer.allocUnsafe(CHUNK_SIZE)
      this.spare = undefined
      read(this.fd, buffer, 0, CHUNK_SIZE, position, (error, n) => {
        if (error) return callback(error)
        this.spare = this.windowBuffer
        this.windowBuffer = buffer
        this.window = buffer.subarray(0, n)
        this.windowStart = position
        callback(null, fromWindow())
      })
    }
  }

  /** yauzl calls this whenever no stream is open; the file stays open until SafeZip.close(). */
  override close(callback: (error: Error | null) => void): void {
    setImmediate(callback, null)
  }
}
