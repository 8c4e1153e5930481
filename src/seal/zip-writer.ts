/**
 * A deterministic, streaming ZIP writer (PKWARE APPNOTE 6.3.10), for sealed archives.
 *
 * Entries are stored, not deflated: media is already compressed, and stored bytes do not depend on
 * a zlib version. Every entry has the same date (the seal time) and mode, and entries are written
 * in the order they are reserved, so the same entries give the same bytes. Because every entry's
 * size is known when it is reserved, every entry's place in the file is known too, and several
 * entries can be written at once (the caller decides how many). File data is streamed with its
 * CRC-32 (zlib's native crc32) and SHA-256 computed on the way, followed by a data
 * descriptor (§4.3.9); the archive's own SHA-256 is computed from the finished file. ZIP64 records
 * (§4.5.3, §4.3.14-16) are written for an entry of 4 GiB or more, an offset past 4 GiB or more than
 * 65,534 entries, and only then. Names are UTF-8 (general purpose bit 11).
 */
import {constants} from 'node:fs'
import {open, type FileHandle} from 'node:fs/promises'
import {crc32} from 'node:zlib'
import {digestFile} from '../hashing/digests.js'
import {pumpHashed, quietly} from '../hashing/pump.js'
import {writeAll} from '../io/files.js'

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

/** An entry's place in the file, fixed when it is reserved; crc is filled in once written. */
export interface ZipSlot {
  name: Buffer
  size: number
  offset: number
  flags: number
  zip64: boolean
  crc: number
  written: boolean
}

export interface ZipResult {
  sha256: string
  size: number
}

function dosDateTime(date: Date): {time: number; day: number} {
  const year = Math.min(Math.max(date.getUTCFullYear(), 1980), 2107)
  return {
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2),
    day: ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  }
}

export class ZipWriter {
  private readonly handle: FileHandle
  private readonly path: string
  private readonly stamp: {time: number; day: number}
  private readonly slots: ZipSlot[] = []
  /** Where the next reserved entry starts. */
  private end = 0
  /** Test hook: ZIP64 records for every entry, to exercise them without 4 GiB of data. */
  private readonly forceZip64: boolean

  private constructor(handle: FileHandle, path: string, date: Date, forceZip64: boolean) {
    this.handle = handle
    this.path = path
    this.stamp = dosDateTime(date)
    this.forceZip64 = forceZip64
  }

  /** Creates the file; never overwrites (the caller picks a fresh temp name). */
  static async create(path: string, date: Date, options: {forceZip64?: boolean} = {}): Promise<ZipWriter> {
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
    return new ZipWriter(handle, path, date, options.forceZip64 ?? false)
  }

  /**
   * Fixes an entry's place: its local header, `size` bytes of data, and a data descriptor when the
   * data is streamed. Entries appear in the ZIP in the order they are reserved.
   */
  reserve(name: string, size: number, streamed: boolean): ZipSlot {
    const nameBytes = Buffer.from(name, 'utf8')
    const zip64 = this.forceZip64 || size >= MAX32
    const slot: ZipSlot = {name: nameBytes, size, offset: this.end, flags: FLAG_UTF8 | (streamed ? FLAG_DESCRIPTOR : 0), zip64, crc: 0, written: false}
    this.end += 30 + nameBytes.length + (zip64 ? 20 : 0) + size + (streamed ? (zip64 ? 24 : 16) : 0)
    this.slots.push(slot)
    return slot
  }

  private localHeader(slot: ZipSlot): Buffer {
    const {zip64, flags, size} = slot
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
    header.writeUInt32LE(streamed ? 0 : slot.crc, 14)
    header.writeUInt32LE(zip64 ? MAX32 : streamed ? 0 : size, 18)
    header.writeUInt32LE(zip64 ? MAX32 : streamed ? 0 : size, 22)
    header.writeUInt16LE(slot.name.length, 26)
    header.writeUInt16LE(extra.length, 28)
    return Buffer.concat([header, slot.name, extra])
  }

  /** Writes a reserved entry from memory (tag files, records): no data descriptor. */
  async writeBytes(slot: ZipSlot, bytes: Buffer): Promise<void> {
    if (bytes.length !== slot.size) throw new Error(`${slot.name.toString()}: reserved ${slot.size} bytes, given ${bytes.length}`)
    slot.crc = crc32(bytes)
    const header = this.localHeader(slot)
    await writeAll(this.handle, header, slot.offset)
    await writeAll(this.handle, bytes, slot.offset + header.length)
    slot.written = true
  }

  /** Reserves and writes an entry from memory, after every entry reserved so far. */
  async addBytes(name: string, bytes: Buffer): Promise<void> {
    await this.writeBytes(this.reserve(name, bytes.length, false), bytes)
  }

  /**
   * Streams a file into a reserved entry, computing its CRC-32 and SHA-256 on the way, and returns
   * the SHA-256 of what went in. A file that is not the reserved size is an error.
   */
  async writeFile(slot: ZipSlot, source: FileHandle, readError: (error: unknown) => Error): Promise<{sha256: string; size: number}> {
    const header = this.localHeader(slot)
    await writeAll(this.handle, header, slot.offset)
    const dataStart = slot.offset + header.length
    let crc = 0
    const {digests, size} = await pumpHashed(
      source,
      (chunk, at) => {
        // Called in chunk order, so the CRC sees the bytes in file order; writes past the
        // reserved size are refused rather than spilling into the next entry.
        if (at + chunk.length > slot.size) return Promise.reject(readError(new Error(`it is larger than the ${slot.size} bytes expected`)))
        crc = crc32(chunk, crc)
        return quietly(writeAll(this.handle, chunk, dataStart + at))
      },
      {expectedSize: slot.size, algorithms: 'sha256', readError, abortError: () => new Error('aborted')},
    )
    if (size !== slot.size) throw readError(new Error(`it holds ${size} bytes, not the ${slot.size} expected`))
    slot.crc = crc
    const descriptor = Buffer.alloc(slot.zip64 ? 24 : 16)
    descriptor.writeUInt32LE(DATA_DESCRIPTOR, 0)
    descriptor.writeUInt32LE(crc, 4)
    if (slot.zip64) {
      descriptor.writeBigUInt64LE(BigInt(size), 8)
      descriptor.writeBigUInt64LE(BigInt(size), 16)
    } else {
      descriptor.writeUInt32LE(size, 8)
      descriptor.writeUInt32LE(size, 12)
    }

    await writeAll(this.handle, descriptor, dataStart + size)
    slot.written = true
    return {sha256: digests.sha256, size}
  }

  private centralHeader(e: ZipSlot): Buffer {
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

  /** Writes the central directory and end records, fsyncs and closes the file, and hashes it. */
  async finish(): Promise<ZipResult> {
    const unwritten = this.slots.find((slot) => !slot.written)
    if (unwritten) throw new Error(`${unwritten.name.toString()} was reserved but never written`)
    const cdStart = this.end
    const central = Buffer.concat(this.slots.map((slot) => this.centralHeader(slot)))
    const cdSize = central.length
    const count = this.slots.length
    const needs64 = this.forceZip64 || count >= MAX16 || cdStart >= MAX32 || cdSize >= MAX32
    const tail: Buffer[] = [central]
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
    const bytes = Buffer.concat(tail)
    await writeAll(this.handle, bytes, cdStart)
    await this.handle.sync()
    await this.handle.close()
    // Entries were written out of order: the archive's digest comes from the finished file.
    const {sha256, size} = await digestFile(this.path, 'sha256')
    return {sha256, size}
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined)
  }
}
