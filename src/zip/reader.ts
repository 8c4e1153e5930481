/**
 * Reading a ZIP that may be hostile, without writing anything to disk.
 *
 * The structure is read and checked by structure.ts, so strictly that no mainstream reader can
 * see other entries, names or bytes; yauzl, read beside it, must list exactly the same entries (a
 * second, independent reading of the central directory). entryProblems() and the caller check
 * what needs the names (symlinks, duplicates, the folder layout). Every entry is hashed as it is
 * read, its CRC-32 checked, and nothing is unpacked. Stored entries (what custody writes) are read
 * straight from their place in the file, in large chunks and several ahead (ReadAhead), with the
 * SHA-512 computed on the hash worker beside the SHA-256; an entry another tool deflated is
 * inflated here (node's zlib), and must come to exactly the size it states.
 */
import {createHash, hash} from 'node:crypto'
import {closeSync, fstatSync, open as openFd, read} from 'node:fs'
import {Readable} from 'node:stream'
import {normalize} from 'node:path/posix'
import {StringDecoder} from 'node:string_decoder'
import {crc32, createInflateRaw} from 'node:zlib'
import yauzl from 'yauzl'
import {messageOf} from '../errors.js'
import {CHUNK_SIZE} from '../hashing/digests.js'
import {HashWorker, WORKER_HASH_BYTES, WorkerHash} from '../hashing/hash-worker.js'
import {quietly} from '../hashing/pump.js'
import {readAt} from '../io/files.js'
import {ReadAhead, type ReadChunk, type ReadSource} from '../io/read-ahead.js'
import {readZipStructure, ZipStructureError, type ZipEntryInfo} from './structure.js'

export {ZipStructureError, type ZipEntryInfo} from './structure.js'

export interface EntryDigest {
  sha256: string
  sha512: string
  size: number
}

/** An entry's digest, or why it could not be read. */
export type EntryResult = {digest: EntryDigest} | {error: string}

/**
 * Above this ratio a deflated entry is treated as a zip bomb, and so is an archive whose deflated
 * entries together state more than this many times the file's size: stored media is about 1:1,
 * and the text of a bag deflates far less than this.
 */
export const MAX_RATIO = 200
/** Entries up to this size may expand more: a tiny text file can deflate very well. */
const SMALL_ENTRY = 64 * 1024
const S_IFMT = 0o170000
const S_IFLNK = 0o120000
/**
 * Text read line by line comes in chunks this size. The lines of a chunk are held while they are
 * checked one by one; from a 1 MiB chunk, many lived long enough to be moved to V8's old space,
 * with the chunk's whole string (the lines are slices of it), and that grew the heap.
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

/** The CRC-32 of bytes read, against the one the ZIP states: the error when they differ. */
function crcError(info: ZipEntryInfo, crc: number): string | undefined {
  if (crc === info.crc32) return undefined
  const hex = (n: number): string => n.toString(16).padStart(8, '0')
  return `its bytes have the CRC-32 ${hex(crc)}, but the ZIP states ${hex(info.crc32)}: other readers would refuse or read them otherwise`
}

/**
 * What is wrong with one entry on its own (the checks that need the other entries, such as
 * duplicate names, are the caller's): yauzl already refused absolute names, `..` and backslashes,
 * and structure.ts everything another reader could read otherwise.
 */
export function entryProblems(e: ZipEntryInfo): string[] {
  const problems: string[] = []
  if ((e.unixMode & S_IFMT) === S_IFLNK) problems.push('the entry is a symbolic link; a bag holds only files')
  // eslint-disable-next-line no-control-regex -- control characters in names are what is refused
  if (/[\u0000-\u001F\u007F]/.test(e.name)) problems.push('the name holds control characters')
  if (normalize(e.name) !== e.name) problems.push('the name is not in normal form (empty or "." components)')
  if (e.uncompressedSize > SMALL_ENTRY && e.uncompressedSize > e.compressedSize * MAX_RATIO) {
    problems.push(`the entry expands ${Math.round(e.uncompressedSize / Math.max(1, e.compressedSize))} times (a zip bomb?)`)
  }

  return problems
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
   * Reads and checks the structure (src/zip/structure.ts), handing each entry to `onEntry` in order,
   * and resolves with how many there were. yauzl's reading of the central directory must give the
   * same entries, one for one. Call it once. A structure another reader could read otherwise is a
   * ZipStructureError; a central directory that cannot be read at all, another exception.
   */
  async list(onEntry: (info: ZipEntryInfo) => void): Promise<number> {
    const {zip} = this
    const strict = readZipStructure(this.fd, this.size)
    let index = 0
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        try {
          const next = strict.next()
          const info = next.done === true ? undefined : next.value
          // The same bytes for the name, read the same: yauzl decodes a name not flagged UTF-8
          // as CP437 (when no Unicode Path field says otherwise), as Python's zipfile does too.
          const same =
            info !== undefined &&
            info.rawName.equals(entry.fileNameRaw) &&
            (info.name === entry.fileName || info.cp437Name === entry.fileName) &&
            info.offset === entry.relativeOffsetOfLocalHeader &&
            info.compressedSize === entry.compressedSize &&
            info.uncompressedSize === entry.uncompressedSize &&
            info.method === entry.compressionMethod &&
            info.crc32 === entry.crc32
          if (!same) throw new ZipStructureError(entry.fileName, `two readings of the central directory differ at entry ${index}: the ZIP is ambiguous`)
          index++
          const {rawName: _, ...listed} = info
          onEntry(listed)
        } catch (error) {
          reject(error as Error)
          return
        }

        zip.readEntry()
      })
      zip.on('end', () => {
        try {
          // The strict reading's own last checks (nothing between the entries and the directory).
          const rest = strict.next()
          if (rest.done !== true) throw new ZipStructureError('ZIP', `two readings of the central directory differ: one has more than ${index} entries`)
          resolve()
        } catch (error) {
          reject(error as Error)
        }
      })
      zip.on('error', reject)
      zip.readEntry()
    })
    return index
  }

  /**
   * Hashes the entries (SHA-256 and SHA-512), checks each one's CRC-32, and hands each result to
   * `onResult`: nothing of the entries is gathered here, so a bag of many files costs the same.
   * `entries` is called twice and must give the same entries each time: the stored ones are read
   * in the first pass, several ahead, and any other (deflated) in the second. Results may come in
   * any order; all have come when this resolves. Once a read fails, the stored entries after it
   * are left unread.
   */
  async digestEach(entries: () => Iterable<ZipEntryInfo>, onResult: (info: ZipEntryInfo, result: EntryResult) => void, onEach?: (done: number) => void): Promise<void> {
    let done = 0
    const result = (info: ZipEntryInfo, outcome: EntryResult): void => {
      onResult(info, outcome)
      onEach?.(++done)
    }

    // The reader takes its sources from this generator a few ahead of the loop below; `pending`
    // holds the entries it has taken and the loop has not reached yet.
    const {path} = this
    const pending = new Map<number, ZipEntryInfo>()
    let sources = 0
    function* stored(): Generator<ReadSource> {
      for (const info of entries()) {
        if (!isPlain(info)) continue
        pending.set(sources++, info)
        yield {path, start: info.dataStart, size: info.uncompressedSize}
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
        const read = await this.hashStored(reader, first).catch((error: unknown) => ({error: messageOf(error)}))
        if ('error' in read) {
          result(info, read)
          break
        }

        const wrongCrc = crcError(info, read.crc)
        const {sha512, crc: _, ...rest} = read
        if (wrongCrc !== undefined) {
          if (typeof sha512 !== 'string') void sha512.catch(() => undefined)
          result(info, {error: wrongCrc})
        } else if (typeof sha512 === 'string') {
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
      const digest = await this.digest(info).catch((error: unknown) => ({error: messageOf(error)}))
      result(info, 'error' in digest ? digest : {digest})
    }
  }

  /** A stored entry from the reader, from its first chunk: SHA-256 and CRC-32 here, SHA-512 on the hash worker (a promise) when large. */
  private async hashStored(reader: ReadAhead, first: ReadChunk): Promise<{sha256: string; sha512: string | Promise<string>; size: number; crc: number}> {
    const {source, size: expectedSize} = first
    if (first.last && expectedSize < WORKER_HASH_BYTES) {
      // A small entry, whole in one chunk (most of a bag's files): one-shot digests, with no hash
      // objects to create and collect for each of many thousand files.
      const digests = {sha256: hash('sha256', first.bytes), sha512: hash('sha512', first.bytes), size: first.bytes.length, crc: crc32(first.bytes)}
      first.release()
      return digests
    }

    const h256 = createHash('sha256')
    // A small entry is hashed here: a message to the worker and back would cost more.
    const h512 = expectedSize < WORKER_HASH_BYTES ? createHash('sha512') : HashWorker.shared().job('sha512')
    let size = 0
    let crc = 0
    try {
      for (let chunk = first; ; ) {
        h256.update(chunk.bytes)
        crc = crc32(chunk.bytes, crc)
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
    return {sha256: h256.digest('hex'), sha512, size, crc}
  }

  /**
   * The lines of a UTF-8 text entry, one at a time and empty ones included (but not the nothing
   * after a final newline), so that a large one (a seal's events, its manifests) is never whole in
   * memory; `onBytes` sees every byte read, to hash them. A line longer than `maxLineBytes` stops
   * the reading with an error naming its number, as soon as that many bytes have come without a
   * line break: no genuine file of a bag has one, and holding it would let one line take all the
   * memory. Linear in the entry's size, however its lines are cut.
   */
  async *lines(info: ZipEntryInfo, maxLineBytes: number, onBytes?: (chunk: Buffer) => void): AsyncGenerator<string> {
    const decoder = new StringDecoder('utf8')
    // The start of the current line, in pieces: joined once, when its end comes.
    let pieces: string[] = []
    let pending = 0
    let line = 1
    for await (const chunk of this.chunks(info, onBytes)) {
      const text = decoder.write(chunk)
      let from = 0
      for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', from)) {
        if (pending + Buffer.byteLength(text.slice(from, at)) > maxLineBytes) throw new Error(`${info.name}: line ${line} is longer than ${maxLineBytes} bytes, more than any genuine line`)
        pieces.push(text.slice(from, at))
        yield pieces.length === 1 ? pieces[0]! : pieces.join('')
        pieces = []
        pending = 0
        line++
        from = at + 1
      }

      if (from < text.length) {
        const rest = text.slice(from)
        pending += Buffer.byteLength(rest)
        if (pending > maxLineBytes) throw new Error(`${info.name}: line ${line} is longer than ${maxLineBytes} bytes, more than any genuine line`)
        pieces.push(rest)
      }
    }

    const rest = pieces.join('') + decoder.end()
    if (Buffer.byteLength(rest) > maxLineBytes) throw new Error(`${info.name}: line ${line} is longer than ${maxLineBytes} bytes, more than any genuine line`)
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
    const start = info.dataStart
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
    const inflate = createInflateRaw({chunkSize: LINE_CHUNK})
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

  /** Streams an entry through SHA-256, SHA-512 and CRC-32 (which must be the one the ZIP states). */
  async digest(info: ZipEntryInfo): Promise<EntryDigest> {
    const h256 = createHash('sha256')
    const h512 = createHash('sha512')
    let size = 0
    let crc = 0
    try {
      for await (const chunk of this.chunks(info)) {
        h256.update(chunk)
        h512.update(chunk)
        crc = crc32(chunk, crc)
        size += chunk.length
      }
    } catch (error) {
      throw naming(info, error)
    }

    const wrongCrc = crcError(info, crc)
    if (wrongCrc !== undefined) throw new Error(`${info.name}: ${wrongCrc}`)
    return {sha256: h256.digest('hex'), sha512: h512.digest('hex'), size}
  }

  /**
   * A small entry's bytes, read whole: at most `maxBytes` (checked on the size the ZIP states,
   * before anything is read), and they must have the SHA-256 `sha256` (the digest taken when the
   * entry was first hashed), so that what is read is what was checked.
   */
  async readSmall(info: ZipEntryInfo, maxBytes: number, sha256: string): Promise<Buffer> {
    if (info.uncompressedSize > maxBytes) throw new Error(`${info.name}: ${info.uncompressedSize} bytes, more than the ${maxBytes} any genuine file of its kind can have`)
    const parts: Buffer[] = []
    for await (const chunk of this.chunks(info)) parts.push(Buffer.from(chunk))
    const bytes = Buffer.concat(parts)
    if (hash('sha256', bytes) !== sha256) throw new Error(`${info.name}: it changed while it was being checked: read again, it is not the file hashed first`)
    return bytes
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
