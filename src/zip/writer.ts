/**
 * A deterministic, streaming ZIP writer (PKWARE APPNOTE 6.3.10), for sealed archives.
 *
 * Entries are stored, not deflated: media is already compressed, and stored bytes do not depend on
 * a zlib version. Every entry has the same date (the seal time) and mode, and entries are written
 * one after the other in the order they are added, so the same entries give the same bytes. A
 * file's data is streamed in, chunk by chunk, with its CRC-32 (zlib's native crc32) computed on
 * the way and a data descriptor after it (§4.3.9). Every byte of the archive passes through the
 * writer in order, so the archive's own SHA-256 is computed as it is written, not read back. Writes
 * are not awaited one by one: small pieces (headers, descriptors, records) are gathered into one
 * write, and a chunk's memory is handed back once its write is done. ZIP64 records (§4.5.3,
 * §4.3.14-16) are written for an entry of 4 GiB or more, an offset past 4 GiB or more than 65,534
 * entries, and only then. Names are UTF-8 (general purpose bit 11).
 *
 * The writer never seeks back: every byte is written once, after the ones before it. So the
 * archive can be encrypted as it is written (`encrypt`, for `custody seal --encrypt-to` and
 * transfer packages): each piece goes to the encryption in archive order, sealed on a worker
 * thread (src/age/payload-worker.ts) while this one reads, hashes and frames what follows; the file
 * holds only the age file, and the ZIP's own SHA-256 is still that of the plaintext (unless
 * `hashArchive` is false: a field package records only its age file's). No plaintext ZIP is ever
 * on disk.
 */
import {createHash} from 'node:crypto'
import {constants} from 'node:fs'
import {open, rm, type FileHandle} from 'node:fs/promises'
import {crc32} from 'node:zlib'
import {PRIVATE_FILE, writeAll} from '../io/files.js'
import {SpillFile} from '../io/spill-file.js'

const LOCAL_HEADER = 0x04034b50
const DATA_DESCRIPTOR = 0x08074b50
const CENTRAL_HEADER = 0x02014b50
const ZIP64_END = 0x06064b50
const ZIP64_LOCATOR = 0x07064b50
const END = 0x06054b50
const MAX32 = 0xffffffff
const MAX16 = 0xffff
const FLAG_DESCRIPTOR = 0x0008
const FLAG_UTF8 = 0x0800
/** Version made by: UNIX (3) << 8, spec 4.5. */
const MADE_BY = (3 << 8) | 45
/** -rw-r--r-- regular file, in the high 16 bits of the external attributes. */
const EXTERNAL_ATTRIBUTES = (0o100644 << 16) >>> 0

/** An entry as the central directory will describe it; crc is filled in once its data is written. */
export interface ZipEntry {
  name: Buffer
  size: number
  offset: number
  flags: number
  zip64: boolean
  crc: number
  /** Bytes of data written so far (streamed entries). */
  written: number
}

export interface ZipWriterOptions {
  /** ZIP64 records for every entry (tests exercise them without 4 GiB of data). */
  forceZip64?: boolean
  /** Bytes between flushes to disk while writing (default SYNC_STEP). */
  syncStep?: number
  /** Encrypts the archive as it is written: the file then holds only the age file it makes. */
  encrypt?: ArchiveEncryption
  /** Computes the ZIP's own SHA-256 (default true); when false, ZipResult.sha256 is empty. */
  hashArchive?: boolean
}

/** How the archive is encrypted: src/age/payload-worker.ts's encryptionOnWorker. */
export interface ArchiveEncryption {
  /** What the file begins with (the writer writes it). */
  readonly head: Buffer
  /** The sealer of what follows the head, writing each sealed piece through `write` (at `at` in the file; settles once written). */
  sealer(write: (bytes: Buffer, at: number) => Promise<unknown>): ArchiveSealer
}

/** Encrypts the archive's bytes, given in order, and writes them (payload-worker.ts's WorkerPayloadSealer). */
export interface ArchiveSealer {
  /** Settles once what `plaintext` completes is written and its memory is free again. */
  update(plaintext: Uint8Array): Promise<unknown>
  /** Seals and writes the end; the whole file's SHA-256 and size. */
  final(): Promise<{sha256: string; size: number}>
  /** Forgets a file that will not be finished. */
  drop(): void
}

export interface ZipResult {
  /** The ZIP's (the plaintext's, when encrypted). */
  sha256: string
  size: number
  /** The file written, when it is the encrypted archive. */
  encrypted?: {sha256: string; size: number}
}

/** Pieces smaller than this are copied into one buffer and written together. */
const SMALL = 64 * 1024
const STAGE_SIZE = 256 * 1024
/** Small writes in flight before the writer waits for the oldest. */
const MAX_WRITES = 32
/**
 * The archive is flushed to disk in steps of this size while it is written, so that the disk works
 * while files are still being read and hashed, and the final fsync has little left to do. One
 * flush at a time: a slow disk must not take every thread of libuv's pool.
 */
const SYNC_STEP = 128 * 1024 * 1024

function dosDateTime(date: Date): {time: number; day: number} {
  const year = Math.min(Math.max(date.getUTCFullYear(), 1980), 2107)
  return {
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2),
    day: ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  }
}

export class ZipWriter implements AsyncDisposable {
  private readonly handle: FileHandle
  private readonly stamp: {time: number; day: number}
  /**
   * The central directory so far: each entry's record is made as soon as the entry ends and
   * appended to a scratch file beside the archive (held in memory up to 1 MiB), so that memory
   * does not grow with the number of entries. It is copied into the archive by finish().
   */
  private readonly central: SpillFile
  private count = 0
  private readonly archive = createHash('sha256')
  /** Where the next byte goes. */
  private position = 0
  /** Small pieces not yet written, and where they start. */
  private stage: Buffer = Buffer.allocUnsafe(STAGE_SIZE)
  private readonly freeStages: Buffer[] = []
  private staged = 0
  private stageStart = 0
  private readonly writes = new Set<Promise<void>>()
  private failure: unknown
  /** How much of the archive the last flush started covered, and whether one is running. */
  private synced = 0
  private syncing = false
  /** The streamed entry being written, if any. */
  private open: ZipEntry | undefined
  private readonly forceZip64: boolean
  private readonly syncStep: number
  /** Set once finish() has closed a complete archive, which disposal must leave alone. */
  private finished = false
  /** When encrypting: what seals the archive's bytes and writes them. */
  private readonly sealer: ArchiveSealer | undefined
  private readonly hashArchive: boolean

  private constructor(handle: FileHandle, central: SpillFile, date: Date, options: ZipWriterOptions) {
    this.handle = handle
    this.central = central
    this.stamp = dosDateTime(date)
    this.forceZip64 = options.forceZip64 ?? false
    this.syncStep = options.syncStep ?? SYNC_STEP
    this.hashArchive = options.hashArchive ?? true
    if (options.encrypt !== undefined) {
      void this.writeAt(options.encrypt.head, 0)
      this.sealer = options.encrypt.sealer((bytes, at) => writeAll(handle, bytes, at))
    }
  }

  /** Creates the file, its owner's alone (it is evidence); never overwrites (the caller picks a fresh temp name). */
  static async create(path: string, date: Date, options: ZipWriterOptions = {}): Promise<ZipWriter> {
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE)
    try {
      return new ZipWriter(handle, await SpillFile.create(`${path}.central`), date, options)
    } catch (error) {
      await handle.close()
      await rm(path, {force: true})
      throw error
    }
  }

  private write(bytes: Buffer, position: number, done?: () => void): Promise<void> {
    // Called in the archive's order (staged pieces are flushed before a large one): the sealer
    // takes them in that order, and reads shared memory in place until its promise settles.
    if (this.sealer !== undefined) return this.track(this.sealer.update(bytes), done)
    return this.writeAt(bytes, position, done)
  }

  private writeAt(bytes: Buffer, position: number, done?: () => void): Promise<void> {
    return this.track(writeAll(this.handle, bytes, position), done)
  }

  /** A write in flight: its failure is the writer's, and `done` is told when it is over either way. */
  private track(writing: Promise<unknown>, done?: () => void): Promise<void> {
    const write = writing.then(
      () => done?.(),
      (error: unknown) => {
        this.failure ??= error
        done?.()
      },
    )
    this.writes.add(write)
    void write.then(() => this.writes.delete(write))
    return write
  }

  private syncSoFar(): void {
    this.syncing = true
    this.synced = this.position
    const sync = this.handle.datasync().then(
      () => {
        this.syncing = false
      },
      (error: unknown) => {
        this.failure ??= error
      },
    )
    this.writes.add(sync)
    void sync.then(() => this.writes.delete(sync))
  }

  /** Writes what is staged; the stage's memory is reused once written (a few stages at most). */
  private flushStage(): void {
    if (this.staged === 0) return
    const stage = this.stage
    void this.write(stage.subarray(0, this.staged), this.stageStart, () => this.freeStages.push(stage))
    this.stage = this.freeStages.pop() ?? Buffer.allocUnsafe(STAGE_SIZE)
    this.staged = 0
  }

  /**
   * Appends bytes at the end of the archive and hashes them. Small ones are copied (the caller may
   * reuse them at once); a large one is written from the caller's memory, and `release` is called
   * when that memory is free again.
   */
  private async append(bytes: Buffer, release?: () => void): Promise<void> {
    if (this.position - this.synced >= this.syncStep && !this.syncing) this.syncSoFar()
    if (this.failure !== undefined) throw this.failure
    if (this.hashArchive) this.archive.update(bytes)
    if (bytes.length < SMALL) {
      if (this.staged + bytes.length > STAGE_SIZE) this.flushStage()
      if (this.staged === 0) this.stageStart = this.position
      bytes.copy(this.stage, this.staged)
      this.staged += bytes.length
      release?.()
    } else {
      this.flushStage()
      void this.write(bytes, this.position, release)
    }

    this.position += bytes.length
    while (this.writes.size > MAX_WRITES) await Promise.race(this.writes)
  }

  private entry(name: string, size: number, streamed: boolean): ZipEntry {
    if (this.open !== undefined) throw new Error(`${this.open.name.toString()} is still being written`)
    const nameBytes = Buffer.from(name, 'utf8')
    const zip64 = this.forceZip64 || size >= MAX32
    return {name: nameBytes, size, offset: this.position, flags: FLAG_UTF8 | (streamed ? FLAG_DESCRIPTOR : 0), zip64, crc: 0, written: 0}
  }

  private localHeader(entry: ZipEntry): Buffer {
    const {zip64, flags, size} = entry
    const streamed = (flags & FLAG_DESCRIPTOR) !== 0
    const extra = zip64 ? Buffer.alloc(20) : Buffer.alloc(0)
    if (zip64) {
      // §4.5.3: with a data descriptor the sizes here are zero; the descriptor has them.
      extra.writeUInt16LE(0x0001, 0)
      extra.writeUInt16LE(16, 2)
      extra.writeBigUInt64LE(BigInt(streamed ? 0 : size), 4)
      extra.writeBigUInt64LE(BigInt(streamed ? 0 : size), 12)
    }

    const header = Buffer.alloc(30)
    header.writeUInt32LE(LOCAL_HEADER, 0)
    header.writeUInt16LE(zip64 ? 45 : 20, 4)
    header.writeUInt16LE(flags, 6)
    header.writeUInt16LE(0, 8) // stored
    header.writeUInt16LE(this.stamp.time, 10)
    header.writeUInt16LE(this.stamp.day, 12)
    header.writeUInt32LE(streamed ? 0 : entry.crc, 14)
    header.writeUInt32LE(zip64 ? MAX32 : streamed ? 0 : size, 18)
    header.writeUInt32LE(zip64 ? MAX32 : streamed ? 0 : size, 22)
    header.writeUInt16LE(entry.name.length, 26)
    header.writeUInt16LE(extra.length, 28)
    return Buffer.concat([header, entry.name, extra])
  }

  /** Appends an entry whose bytes are all in memory (tag files, records): no data descriptor. */
  async addBytes(name: string, bytes: Buffer): Promise<void> {
    const entry = this.entry(name, bytes.length, false)
    entry.crc = crc32(bytes)
    entry.written = bytes.length
    await this.append(this.localHeader(entry))
    await this.append(bytes)
    await this.record(entry)
  }

  /**
   * Starts an entry of `size` bytes whose data follows in chunks (writeChunk), in order, before
   * endFile(). Nothing else can be added meanwhile.
   */
  async startFile(name: string, size: number): Promise<ZipEntry> {
    const entry = this.entry(name, size, true)
    await this.append(this.localHeader(entry))
    this.open = entry
    return entry
  }

  /** Appends the next chunk of the open entry; `release` is called once its memory is free. */
  async writeChunk(entry: ZipEntry, chunk: Buffer, release?: () => void): Promise<void> {
    if (entry !== this.open) throw new Error(`${entry.name.toString()} is not the entry being written`)
    if (entry.written + chunk.length > entry.size) {
      release?.()
      throw new Error(`${entry.name.toString()}: more than the ${entry.size} bytes expected`)
    }

    entry.crc = crc32(chunk, entry.crc)
    entry.written += chunk.length
    await this.append(chunk, release)
  }

  /** Ends the open entry with its data descriptor. */
  async endFile(entry: ZipEntry): Promise<void> {
    if (entry !== this.open) throw new Error(`${entry.name.toString()} is not the entry being written`)
    if (entry.written !== entry.size) throw new Error(`${entry.name.toString()}: ${entry.written} bytes written, not the ${entry.size} expected`)
    this.open = undefined
    const descriptor = Buffer.alloc(entry.zip64 ? 24 : 16)
    descriptor.writeUInt32LE(DATA_DESCRIPTOR, 0)
    descriptor.writeUInt32LE(entry.crc, 4)
    if (entry.zip64) {
      descriptor.writeBigUInt64LE(BigInt(entry.size), 8)
      descriptor.writeBigUInt64LE(BigInt(entry.size), 16)
    } else {
      descriptor.writeUInt32LE(entry.size, 8)
      descriptor.writeUInt32LE(entry.size, 12)
    }

    await this.append(descriptor)
    await this.record(entry)
  }

  /** Adds the central directory record of an entry that has ended. */
  private async record(entry: ZipEntry): Promise<void> {
    await this.central.append(this.centralHeader(entry))
    this.count++
  }

  private centralHeader(e: ZipEntry): Buffer {
    const big = e.zip64 || e.offset >= MAX32
    const extra = big ? Buffer.alloc(28) : Buffer.alloc(0)
    if (big) {
      // §4.5.3: uncompressed size, compressed size, local header offset.
      extra.writeUInt16LE(0x0001, 0)
      extra.writeUInt16LE(24, 2)
      extra.writeBigUInt64LE(BigInt(e.size), 4)
      extra.writeBigUInt64LE(BigInt(e.size), 12)
      extra.writeBigUInt64LE(BigInt(e.offset), 20)
    }

    const header = Buffer.alloc(46)
    header.writeUInt32LE(CENTRAL_HEADER, 0)
    header.writeUInt16LE(MADE_BY, 4)
    header.writeUInt16LE(big ? 45 : 20, 6)
    header.writeUInt16LE(e.flags, 8)
    header.writeUInt16LE(0, 10)
    header.writeUInt16LE(this.stamp.time, 12)
    header.writeUInt16LE(this.stamp.day, 14)
    header.writeUInt32LE(e.crc, 16)
    header.writeUInt32LE(big ? MAX32 : e.size, 20)
    header.writeUInt32LE(big ? MAX32 : e.size, 24)
    header.writeUInt16LE(e.name.length, 28)
    header.writeUInt16LE(extra.length, 30)
    header.writeUInt16LE(0, 32) // comment
    header.writeUInt16LE(0, 34) // disk
    header.writeUInt16LE(0, 36) // internal attributes
    header.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38)
    header.writeUInt32LE(big ? MAX32 : e.offset, 42)
    return Buffer.concat([header, e.name, extra])
  }

  /** Writes the central directory and end records, waits for every write, fsyncs and closes the file. */
  async finish(): Promise<ZipResult> {
    if (this.open !== undefined) throw new Error(`${this.open.name.toString()} was started but never ended`)
    const cdStart = this.position
    const cdSize = this.central.size
    const count = this.count
    const needs64 = this.forceZip64 || count >= MAX16 || cdStart >= MAX32 || cdSize >= MAX32
    // The scratch file is read back into one buffer, reused once each write of it is done.
    for await (const chunk of this.central.chunks()) {
      let release!: () => void
      const released = new Promise<void>((resolve) => (release = resolve))
      await this.append(chunk, release)
      await released
    }

    const tail: Buffer[] = []
    if (needs64) {
      const record = Buffer.alloc(56)
      record.writeUInt32LE(ZIP64_END, 0)
      record.writeBigUInt64LE(44n, 4)
      record.writeUInt16LE(MADE_BY, 12)
      record.writeUInt16LE(45, 14)
      record.writeUInt32LE(0, 16)
      record.writeUInt32LE(0, 20)
      record.writeBigUInt64LE(BigInt(count), 24)
      record.writeBigUInt64LE(BigInt(count), 32)
      record.writeBigUInt64LE(BigInt(cdSize), 40)
      record.writeBigUInt64LE(BigInt(cdStart), 48)
      const locator = Buffer.alloc(20)
      locator.writeUInt32LE(ZIP64_LOCATOR, 0)
      locator.writeUInt32LE(0, 4)
      locator.writeBigUInt64LE(BigInt(cdStart + cdSize), 8)
      locator.writeUInt32LE(1, 16)
      tail.push(record, locator)
    }

    const end = Buffer.alloc(22)
    end.writeUInt32LE(END, 0)
    end.writeUInt16LE(0, 4)
    end.writeUInt16LE(0, 6)
    end.writeUInt16LE(needs64 ? MAX16 : count, 8)
    end.writeUInt16LE(needs64 ? MAX16 : count, 10)
    end.writeUInt32LE(needs64 ? MAX32 : cdSize, 12)
    end.writeUInt32LE(needs64 ? MAX32 : cdStart, 16)
    end.writeUInt16LE(0, 20)
    tail.push(end)
    for (const piece of tail) await this.append(piece)
    this.flushStage()
    await Promise.all(this.writes)
    if (this.failure !== undefined) throw this.failure
    // The end is sealed once every piece before it is written (the sealer then reuses its memory).
    const encrypted = await this.sealer?.final()
    await this.handle.sync()
    await this.handle.close()
    this.finished = true
    await this.central.remove()
    const zip = {sha256: this.hashArchive ? this.archive.digest('hex') : '', size: this.position}
    return encrypted === undefined ? zip : {...zip, encrypted}
  }

  /** Waits for the writes in flight and closes the file; the caller removes it. */
  async abort(): Promise<void> {
    this.sealer?.drop()
    await Promise.all(this.writes)
    await this.handle.close().catch(() => undefined)
    await this.central.remove()
  }

  /** Aborts an archive that was not finished (`await using`); a finished one is left as it is. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.finished) await this.central.remove()
    else await this.abort()
  }
}
