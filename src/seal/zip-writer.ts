/**
 * A deterministic, streaming ZIP writer (PKWARE APPNOTE 6.3.10), for sealed archives.
 *
 * Entries are stored, not deflated: media is already compressed, and stored bytes do not depend on
 * a zlib version. Every entry has the same date (the seal time) and mode, and entries are written
 * in the order they are added, so the same entries give the same bytes. File data is streamed with
 * its CRC-32 (zlib's native crc32) and SHA-256/SHA-512 computed on the way, followed by a data
 * descriptor (§4.3.9); the archive's own SHA-256 is computed as it is written. ZIP64 records
 * (§4.5.3, §4.3.14-16) are written for an entry of 4 GiB or more, an offset past 4 GiB or more than
 * 65,534 entries, and only then. Names are UTF-8 (general purpose bit 11).
 */
import {createHash} from 'node:crypto'
import {constants} from 'node:fs'
import {open, type FileHandle} from 'node:fs/promises'
import {crc32} from 'node:zlib'
import type {Digests} from '../hashing/digests.js'
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

interface CentralEntry {
  name: Buffer
  crc: number
  size: number
  offset: number
  flags: number
  zip64: boolean
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
  private readonly stamp: {time: number; day: number}
  private readonly archiveHash = createHash('sha256')
  private readonly entries: CentralEntry[] = []
  private offset = 0
  /** Test hook: ZIP64 records for every entry, to exercise them without 4 GiB of data. */
  private readonly forceZip64: boolean

  private constructor(handle: FileHandle, date: Date, forceZip64: boolean) {
    this.handle = handle
    this.stamp = dosDateTime(date)
    this.forceZip64 = forceZip64
  }

  /** Creates the file; never overwrites (the caller picks a fresh temp name). */
  static async create(path: string, date: Date, options: {forceZip64?: boolean} = {}): Promise<ZipWriter> {
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
    return new ZipWriter(handle, date, options.forceZip64 ?? false)
  }

  private async append(bytes: Buffer): Promise<void> {
    this.archiveHash.update(bytes)
    await writeAll(this.handle, bytes, this.offset)
    this.offset += bytes.length
  }

  private localHeader(name: Buffer, flags: number, crc: number, size: number, zip64: boolean): Buffer {
    const extra = zip64 ? Buffer.alloc(20) : Buffer.alloc(0)
    if (zip64) {
      // §4.5.3: with a data descriptor the sizes here are zero; the descriptor has them.
      extra.writeUInt16LE(0x0001, 0)
      extra.writeUInt16LE(16, 2)
      extra.writeBigUInt64LE(BigInt(flags & FLAG_DESCRIPTOR ? 0 : size), 4)
      extra.writeBigUInt64LE(BigInt(flags & FLAG_DESCRIPTOR ? 0 : size), 12)
    }

    const header = Buffer.alloc(30)
    header.writeUInt32LE(LOCAL_HEADER, 0)
    header.writeUInt16LE(zip64 ? 45 : 20, 4)
    header.writeUInt16LE(flags, 6)
    header.writeUInt16LE(0, 8) // stored
    header.writeUInt16LE(this.stamp.time, 10)
    header.writeUInt16LE(this.stamp.day, 12)
    header.writeUInt32LE(crc, 14)
    header.writeUInt32LE(zip64 ? MAX32 : size, 18)
    header.writeUInt32LE(zip64 ? MAX32 : size, 22)
    header.writeUInt16LE(name.length, 26)
    header.writeUInt16LE(extra.length, 28)
    return Buffer.concat([header, name, extra])
  }

  /** Adds an entry from memory (tag files, records): CRC and size known, no data descriptor. */
  async addBytes(name: string, bytes: Buffer): Promise<void> {
    const nameBytes = Buffer.from(name, 'utf8')
    const offset = this.offset
    const zip64 = this.forceZip64 || bytes.length >= MAX32
    const crc = crc32(bytes)
    await this.append(this.localHeader(nameBytes, FLAG_UTF8, crc, bytes.length, zip64))
    await this.append(bytes)
    this.entries.push({name: nameBytes, crc, size: bytes.length, offset, flags: FLAG_UTF8, zip64: zip64 || offset >= MAX32})
  }

  /**
   * Streams a file into an entry, computing its CRC-32, SHA-256 and SHA-512 on the way, and returns
   * the digests of what went in. `expectedSize` decides ZIP64 before the data is written.
   */
  async addFile(name: string, source: FileHandle, expectedSize: number, readError: (error: unknown) => Error): Promise<Digests & {size: number}> {
    const nameBytes = Buffer.from(name, 'utf8')
    const offset = this.offset
    const zip64 = this.forceZip64 || expectedSize >= MAX32
    const flags = FLAG_UTF8 | FLAG_DESCRIPTOR
    await this.append(this.localHeader(nameBytes, flags, 0, 0, zip64))
    let crc = 0
    const dataStart = this.offset
    const {digests, size} = await pumpHashed(
      source,
      (chunk, at) => {
        // Called in chunk order: the CRC and the archive hash see the bytes in file order.
        crc = crc32(chunk, crc)
        this.archiveHash.update(chunk)
        return quietly(writeAll(this.handle, chunk, dataStart + at))
      },
      {expectedSize, parallel: true, readError, abortError: () => new Error('aborted')},
    )
    this.offset = dataStart + size
    if (!zip64 && size >= MAX32) throw readError(new Error(`the file grew past 4 GiB while it was sealed (expected ${expectedSize} bytes)`))
    const descriptor = Buffer.alloc(zip64 ? 24 : 16)
    descriptor.writeUInt32LE(DATA_DESCRIPTOR, 0)
    descriptor.writeUInt32LE(crc, 4)
    if (zip64) {
      descriptor.writeBigUInt64LE(BigInt(size), 8)
      descriptor.writeBigUInt64LE(BigInt(size), 16)
    } else {
      descriptor.writeUInt32LE(size, 8)
      descriptor.writeUInt32LE(size, 12)
    }

    await this.append(descriptor)
    this.entries.push({name: nameBytes, crc, size, offset, flags, zip64: zip64 || offset >= MAX32})
    return {...digests, size}
  }

  private centralHeader(e: CentralEntry): Buffer {
    const big = e.zip64
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

  /** Writes the central directory and end records, fsyncs and closes the file. */
  async finish(): Promise<ZipResult> {
    const cdStart = this.offset
    for (const e of this.entries) await this.append(this.centralHeader(e))
    const cdSize = this.offset - cdStart
    const count = this.entries.length
    const needs64 = this.forceZip64 || count >= MAX16 || cdStart >= MAX32 || cdSize >= MAX32
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
      const recordOffset = this.offset
      await this.append(record)
      const locator = Buffer.alloc(20)
      locator.writeUInt32LE(ZIP64_LOCATOR, 0)
      locator.writeUInt32LE(0, 4)
      locator.writeBigUInt64LE(BigInt(recordOffset), 8)
      locator.writeUInt32LE(1, 16)
      await this.append(locator)
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
    await this.append(end)
    await this.handle.sync()
    await this.handle.close()
    return {sha256: this.archiveHash.digest('hex'), size: this.offset}
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined)
  }
}
