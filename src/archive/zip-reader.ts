/**
 * Reading a ZIP that may be hostile, without writing anything to disk.
 *
 * yauzl reads the central directory and refuses absolute names, `..` and backslashes
 * (strictFileNames) and entries whose data is not the size they declare (validateEntrySizes). It
 * does not check CRC-32s, duplicate names, symlinks, overlapping entries or the folder layout:
 * those checks are here. Every entry is hashed as it is read; nothing is unpacked. Stored entries
 * (what custody writes) are read straight from their place in the file, in large chunks and
 * several ahead (ReadAhead), with the SHA-512 computed on the hash worker beside the SHA-256; an
 * entry another tool deflated goes through yauzl's inflating stream.
 */
import {createHash, hash} from 'node:crypto'
import {close, closeSync, fstat, open as openFd, read} from 'node:fs'
import {Readable} from 'node:stream'
import {normalize} from 'node:path/posix'
import {StringDecoder} from 'node:string_decoder'
import yauzl from 'yauzl'
import {messageOf} from '../errors.js'
import {CHUNK_SIZE} from '../hashing/digests.js'
import {HashWorker, WORKER_HASH_BYTES, WorkerHash} from '../hashing/hash-worker.js'
import {quietly} from '../hashing/pump.js'
import {readAt} from '../io/files.js'
import {ReadAhead, type ReadSource} from '../io/read-ahead.js'

export interface ZipEntryInfo {
  name: string
  isDirectory: boolean
  /** 0 stored, 8 deflated. */
  method: number
  encrypted: boolean
  compressedSize: number
  uncompressedSize: number
  offset: number
  unixMode: number
  /** yauzl's entry, kept only for an entry that is not stored plainly: it reads that one. */
  entry?: yauzl.Entry
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

export interface ZipProblem {
  subject: string
  message: string
}

/** Above this ratio a deflated entry is treated as a zip bomb; stored media is about 1:1. */
const MAX_RATIO = 200
const S_IFMT = 0o170000
const S_IFLNK = 0o120000
const LOCAL_HEADER_SIGNATURE = 0x04034b50
const LOCAL_HEADER_SIZE = 30
/** storedPlaces(): an entry that is not stored plainly, and one whose data cannot be found. */
const NOT_STORED = -1
const PLACE_ERROR = -2
/**
 * Text read line by line comes in chunks this size. The lines of a chunk are held while they are
 * checked one by one; from a 1 MiB chunk, many lived long enough to be moved to V8's old space,
 * with the chunk's whole string (the lines are slices of it), and that grew the heap by tens of MB.
 */
const LINE_CHUNK = 64 * 1024

export class SafeZip {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly fd: number,
    /** The ZIP file's size when opened. */
    private readonly size: number,
    private readonly path: string,
    readonly entries: ZipEntryInfo[],
  ) {}

  /**
   * Opens the ZIP and lists its entries; a ZIP that cannot be read at all is an exception. Only
   * what the checks need is kept of each entry, so that a bag of many files stays small in memory.
   */
  static async open(path: string): Promise<SafeZip> {
    const fd = await new Promise<number>((resolve, reject) => openFd(path, 'r', (error, opened) => (error ? reject(error) : resolve(opened))))
    let zip: yauzl.ZipFile
    let size: number
    try {
      size = await new Promise<number>((resolve, reject) => fstat(fd, (error, stats) => (error ? reject(error) : resolve(stats.size))))
      zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
        yauzl.fromRandomAccessReader(new WindowedReader(fd), size, {lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true}, (error, opened) => {
          if (error || !opened) reject(error ?? new Error('no zip'))
          else resolve(opened)
        })
      })
    } catch (error) {
      close(fd, () => {})
      throw error
    }

    const entries: ZipEntryInfo[] = []
    try {
      await new Promise<void>((resolve, reject) => {
        zip.on('entry', (entry: yauzl.Entry) => {
          const plain = entry.compressionMethod === 0 && !entry.isEncrypted()
          entries.push({
            name: entry.fileName,
            isDirectory: entry.fileName.endsWith('/'),
            method: entry.compressionMethod,
            encrypted: entry.isEncrypted(),
            compressedSize: entry.compressedSize,
            uncompressedSize: entry.uncompressedSize,
            offset: entry.relativeOffsetOfLocalHeader,
            unixMode: (entry.externalFileAttributes >>> 16) & 0xffff,
            ...(plain ? {} : {entry}),
          })
          zip.readEntry()
        })
        zip.on('end', () => resolve())
        zip.on('error', reject)
        zip.readEntry()
      })
    } catch (error) {
      zip.close()
      close(fd, () => {})
      throw error
    }

    return new SafeZip(zip, fd, size, path, entries)
  }

  /** The layout and header checks that yauzl leaves to its caller. */
  structuralProblems(): {problems: ZipProblem[]; top: string | undefined} {
    const problems: ZipProblem[] = []
    const seen = new Map<string, string>()
    const tops = new Set<string>()
    for (const e of this.entries) {
      const normal = e.name.normalize('NFC')
      const earlier = seen.get(normal)
      if (earlier !== undefined) {
        problems.push({subject: e.name, message: earlier === e.name ? 'two entries have this same name' : `this name and ${JSON.stringify(earlier)} are the same after Unicode normalisation`})
      }

      seen.set(normal, e.name)
      if ((e.unixMode & S_IFMT) === S_IFLNK) problems.push({subject: e.name, message: 'the entry is a symbolic link; a bag holds only files'})
      // eslint-disable-next-line no-control-regex -- control characters in names are what is refused
      if (/[\u0000-\u001F\u007F]/.test(e.name)) problems.push({subject: e.name, message: 'the name holds control characters'})
      if (normalize(e.name) !== e.name) {
        problems.push({subject: e.name, message: 'the name is not in normal form (empty or "." components)'})
      }

      tops.add(e.name.split('/')[0]!)
      if (e.uncompressedSize > 1024 * 1024 && e.uncompressedSize > e.compressedSize * MAX_RATIO) {
        problems.push({subject: e.name, message: `the entry expands ${Math.round(e.uncompressedSize / Math.max(1, e.compressedSize))} times (a zip bomb?)`})
      }
    }

    const files = this.entries.filter((e) => !e.isDirectory)
    if (tops.size !== 1) problems.push({subject: 'ZIP', message: `expected exactly one top-level folder (the bag), found ${tops.size}: ${[...tops].slice(0, 5).join(', ')}`})
    else if (files.some((e) => !e.name.includes('/'))) problems.push({subject: 'ZIP', message: 'a file lies outside the bag folder'})

    // Entries whose data overlap are a zip-bomb technique and never come from an honest writer.
    const byOffset = [...this.entries].sort((a, b) => a.offset - b.offset)
    for (let i = 1; i < byOffset.length; i++) {
      const previous = byOffset[i - 1]!
      if (previous.offset + previous.compressedSize > byOffset[i]!.offset) {
        problems.push({subject: byOffset[i]!.name, message: `its data overlaps the entry ${JSON.stringify(previous.name)}`})
      }
    }

    return {problems, top: tops.size === 1 ? [...tops][0] : undefined}
  }

  /**
   * Hashes the entries (SHA-256 and SHA-512), in order, keeping the bytes of those `keep` names,
   * and hands each result to `onResult` with its index: nothing of the entries is gathered here, so
   * a bag of many files costs only what the caller keeps. A result may come after later ones (a
   * large entry's SHA-512 is finished on the worker); all have come when this resolves. Once a
   * read fails, the entries after it are left unread.
   */
  async digestEach(
    infos: readonly ZipEntryInfo[],
    keep: (info: ZipEntryInfo) => boolean,
    onResult: (index: number, result: EntryResult) => void,
    onEach?: (done: number) => void,
  ): Promise<void> {
    // Where each stored entry's data lies (from its local header), or why that cannot be found.
    const {starts, errors} = await this.storedPlaces(infos)
    const path = this.path
    function* stored(): Generator<ReadSource> {
      for (const [i, info] of infos.entries()) if (starts[i]! >= 0) yield {path, start: starts[i]!, size: info.uncompressedSize}
    }

    const reader = new ReadAhead(stored(), {shared: true, readError: (_, error) => new Error(messageOf(error))})
    const finishing = new Set<Promise<void>>()
    let source = 0
    try {
      for (const [i, info] of infos.entries()) {
        const start = starts[i]!
        if (start === PLACE_ERROR) {
          onResult(i, {error: errors.get(i)!})
        } else if (start === NOT_STORED) {
          const digest = await this.digest(info, keep(info)).catch((error: unknown) => ({error: messageOf(error)}))
          onResult(i, 'error' in digest ? digest : {digest})
        } else {
          const read = await this.hashStored(reader, source++, info.uncompressedSize, keep(info)).catch((error: unknown) => ({error: messageOf(error)}))
          if ('error' in read) {
            onResult(i, read)
            break
          }

          const {sha512, ...rest} = read
          if (typeof sha512 === 'string') {
            onResult(i, {digest: {...rest, sha512}})
          } else {
            const done: Promise<void> = sha512.then(
              (hex) => onResult(i, {digest: {...rest, sha512: hex}}),
              (error: unknown) => onResult(i, {error: messageOf(error)}),
            )
            finishing.add(done)
            void done.then(() => finishing.delete(done))
          }
        }

        onEach?.(i + 1)
      }
    } finally {
      await reader.close()
      await Promise.all(finishing)
    }
  }

  /**
   * Where each stored entry's data starts, from its local header (§4.3.7): NOT_STORED for an
   * entry that is deflated or encrypted, PLACE_ERROR when it cannot be found (with the reason).
   * Headers are read from 1 MiB windows of the file: one read serves many small entries.
   */
  private async storedPlaces(infos: readonly ZipEntryInfo[]): Promise<{starts: Float64Array; errors: Map<number, string>}> {
    // One entry (a file read again as a stream) needs only its header.
    const window = Buffer.allocUnsafe(infos.length === 1 ? LOCAL_HEADER_SIZE : CHUNK_SIZE)
    let windowStart = 0
    let windowLength = 0
    const starts = new Float64Array(infos.length)
    const errors = new Map<number, string>()
    const fail = (i: number, error: string): void => {
      starts[i] = PLACE_ERROR
      errors.set(i, error)
    }

    for (const [i, {method, encrypted, offset, compressedSize, uncompressedSize}] of infos.entries()) {
      if (method !== 0 || encrypted) {
        starts[i] = NOT_STORED
        continue
      }

      if (compressedSize !== uncompressedSize) {
        fail(i, `a stored entry of ${uncompressedSize} bytes says it takes ${compressedSize}`)
        continue
      }

      if (offset < windowStart || offset + LOCAL_HEADER_SIZE > windowStart + windowLength) {
        windowStart = offset
        windowLength = await readAt(this.fd, window, 0, window.length, offset)
      }

      if (offset + LOCAL_HEADER_SIZE > windowStart + windowLength) {
        fail(i, `its local header at ${offset} runs past the end of the file`)
        continue
      }

      const header = window.subarray(offset - windowStart, offset - windowStart + LOCAL_HEADER_SIZE)
      if (header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
        fail(i, `no local header at ${offset} (signature 0x${header.readUInt32LE(0).toString(16)})`)
        continue
      }

      const start = offset + LOCAL_HEADER_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28)
      if (start + compressedSize > this.size) {
        fail(i, `its data runs past the end of the file (${start} + ${compressedSize} > ${this.size})`)
        continue
      }

      starts[i] = start
    }

    return {starts, errors}
  }

  /** The next stored entry from the reader: SHA-256 here, SHA-512 on the hash worker (a promise). */
  private async hashStored(reader: ReadAhead, source: number, expectedSize: number, keep: boolean): Promise<{sha256: string; sha512: string | Promise<string>; size: number; bytes?: Buffer}> {
    const first = await reader.next()
    if (first?.source !== source) throw new Error(`read source ${first?.source ?? 'none'} where ${source} was due`)
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
   * until the next is asked for.
   */
  async *chunks(info: ZipEntryInfo, onBytes?: (chunk: Buffer) => void): AsyncGenerator<Buffer> {
    if (info.entry !== undefined) {
      for await (const chunk of (await this.openStream(info)) as AsyncIterable<Buffer>) {
        onBytes?.(chunk)
        yield chunk
      }

      return
    }

    const {starts, errors} = await this.storedPlaces([info])
    const start = starts[0]!
    if (start < 0) throw new Error(`${info.name}: ${errors.get(0) ?? 'not a stored entry'}`)
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

  /** The bytes of an entry that is not stored plainly, inflated by yauzl. */
  private async openStream(info: ZipEntryInfo): Promise<NodeJS.ReadableStream> {
    const {entry} = info
    if (entry === undefined) throw new Error(`${info.name} is stored: read it with chunks()`)
    return new Promise<NodeJS.ReadableStream>((resolve, reject) => {
      this.zip.openReadStream(entry, (error, opened) => {
        if (error || !opened) reject(error ?? new Error('no stream'))
        else resolve(opened)
      })
    })
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
      throw new Error(`${info.name}: ${messageOf(error)}`, {cause: error})
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
