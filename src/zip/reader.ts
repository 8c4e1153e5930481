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
 *
 * Every read goes through a RandomAccess (src/io/random-access.ts): the file itself, or the
 * plaintext of an age file decrypted chunk by chunk as it is read (src/age/random-reader.ts).
 */
import {createHash} from 'node:crypto'
import {Readable} from 'node:stream'
import {normalize} from 'node:path/posix'
import {crc32, createInflateRaw} from 'node:zlib'
import yauzl from 'yauzl'
import {messageOf} from '../errors.js'
import {CHUNK_SIZE} from '../hashing/digests.js'
import {digestReadAhead, type ChunkKeeper} from '../hashing/read-digests.js'
import {EntryReader, LINE_CHUNK, rangeChunks, type EntryDigest, type EntryResult} from '../io/entry-reader.js'
import {FileAccess, type RandomAccess} from '../io/random-access.js'
import {ReadAhead} from '../io/read-ahead.js'
import {readZipStructure, ZipStructureError, type ZipEntryInfo} from './structure.js'

export {ZipStructureError, type ZipEntryInfo} from './structure.js'
export type {EntryDigest, EntryResult} from '../io/entry-reader.js'

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
export class SafeZip extends EntryReader<ZipEntryInfo> {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly source: RandomAccess,
    /** The ZIP file's path (for an encrypted one, the age file's), as reads name it. */
    private readonly path: string,
  ) {
    super()
  }

  /**
   * Opens the ZIP (a path, or bytes read through `source`, which it then owns and closes) and
   * finds its central directory; a ZIP that cannot be read at all is an exception.
   */
  static async open(path: string, source?: RandomAccess): Promise<SafeZip> {
    const access = source ?? FileAccess.open(path)
    try {
      const {size} = access
      const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
        yauzl.fromRandomAccessReader(new WindowedReader(access), size, {lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true}, (error, opened) => {
          if (error || !opened) reject(error ?? new Error('no zip'))
          else resolve(opened)
        })
      })
      return new SafeZip(zip, access, path)
    } catch (error) {
      access.close()
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
    const strict = readZipStructure(this.source)
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
   * are left unread. `keep` is given each stored entry's bytes as they are hashed, if it wants them.
   */
  async digestEach(
    entries: () => Iterable<ZipEntryInfo>,
    onResult: (info: ZipEntryInfo, result: EntryResult) => void,
    onEach?: (done: number) => void,
    keep?: (info: ZipEntryInfo) => ChunkKeeper | undefined,
  ): Promise<void> {
    let done = 0
    const result = (info: ZipEntryInfo, outcome: EntryResult): void => {
      onResult(info, outcome)
      onEach?.(++done)
    }

    function* stored(): Generator<ZipEntryInfo> {
      for (const info of entries()) if (isPlain(info)) yield info
    }

    await digestReadAhead(
      stored(),
      (info) => ({path: this.path, start: info.dataStart, size: info.uncompressedSize, from: this.source}),
      (info, read) => {
        if ('error' in read) return result(info, read)
        const {crc, ...digest} = read
        const wrongCrc = crcError(info, crc)
        result(info, wrongCrc === undefined ? {digest} : {error: wrongCrc})
      },
      {crc: true, keep},
    )

    for (const info of entries()) {
      if (isPlain(info)) continue
      const digest = await this.digest(info).catch((error: unknown) => ({error: messageOf(error)}))
      result(info, 'error' in digest ? digest : {digest})
    }
  }

  /** Stored entries, read in order from their places in the file: see EntryReader.readAhead. */
  override readAhead(infos: readonly ZipEntryInfo[], readError: (index: number, error: unknown) => Error): ReadAhead | undefined {
    if (!infos.every(isPlain)) return undefined
    return new ReadAhead(
      infos.map((info) => ({path: this.path, start: info.dataStart, size: info.uncompressedSize, from: this.source})),
      {shared: true, readError},
    )
  }

  /**
   * An entry's bytes, in chunks of up to 64 KiB, read again from the ZIP; `onBytes` sees each
   * first (to hash them). A stored entry's chunks are read into one reused buffer: each is valid
   * until the next is asked for. A deflated entry is inflated here, and must give exactly the
   * size the central directory states (a zip bomb stops at that size).
   */
  async *chunks(info: ZipEntryInfo, onBytes?: (chunk: Buffer) => void, chunkSize = LINE_CHUNK): AsyncGenerator<Buffer> {
    if (info.encrypted) throw new Error(`${info.name}: the entry is encrypted`)
    if (info.method !== 0 && info.method !== 8) throw new Error(`${info.name}: compression method ${info.method} is not supported (only stored and deflated)`)
    const start = info.dataStart
    if (info.method === 8) {
      yield* this.inflated(info, start, onBytes)
      return
    }

    yield* rangeChunks(this.source, start, info.uncompressedSize, info.name, onBytes, chunkSize)
  }

  /** A deflated entry's bytes (RFC 1951), inflated from its place in the file. */
  private async *inflated(info: ZipEntryInfo, start: number, onBytes?: (chunk: Buffer) => void): AsyncGenerator<Buffer> {
    const raw = rangeStream(this.source, start, start + info.compressedSize)
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

  close(): void {
    this.zip.close()
    this.source.close()
  }
}

/**
 * The bytes from `start` to `end` of an open file, in chunks of LINE_CHUNK, leaving the file open
 * (a file stream closes its descriptor when destroyed, whatever autoClose says).
 */
function rangeStream(source: RandomAccess, start: number, end: number): Readable {
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
      source.readAt(buffer, 0, length, position).then(
        (n) => {
          if (n === 0) this.destroy(new Error(`unexpected end of file at ${position}`))
          else {
            position += n
            this.push(buffer.subarray(0, n))
          }
        },
        (error: unknown) => this.destroy(error as Error),
      )
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

  constructor(private readonly source: RandomAccess) {
    super()
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return rangeStream(this.source, start, end)
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
      this.source.readAt(buffer, offset, length, position).then(
        (n) => callback(null, n),
        (error: unknown) => callback(error as Error),
      )
    } else {
      // The spare buffer becomes the window; while a read is in flight, a fresh one is used, so
      // that two reads never share a buffer.
      const buffer = this.spare ?? Buffer.allocUnsafe(CHUNK_SIZE)
      this.spare = undefined
      this.source.readAt(buffer, 0, CHUNK_SIZE, position).then(
        (n) => {
          this.spare = this.windowBuffer
          this.windowBuffer = buffer
          this.window = buffer.subarray(0, n)
          this.windowStart = position
          callback(null, fromWindow())
        },
        (error: unknown) => callback(error as Error),
      )
    }
  }

  /** yauzl calls this whenever no stream is open; the file stays open until SafeZip.close(). */
  override close(callback: (error: Error | null) => void): void {
    setImmediate(callback, null)
  }
}
