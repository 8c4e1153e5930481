/**
 * Reading a ZIP that may be hostile, without writing anything to disk.
 *
 * yauzl reads the central directory and refuses absolute names, `..` and backslashes
 * (strictFileNames) and entries whose data is not the size they declare (validateEntrySizes). It
 * does not check CRC-32s, duplicate names, symlinks, overlapping entries or the folder layout:
 * those checks are here. Every entry is read as a stream and hashed; nothing is unpacked.
 */
import {createHash} from 'node:crypto'
import {normalize} from 'node:path/posix'
import yauzl from 'yauzl'
import {messageOf} from '../errors.js'

export interface ZipEntryInfo {
  name: string
  isDirectory: boolean
  compressedSize: number
  uncompressedSize: number
  offset: number
  unixMode: number
  entry: yauzl.Entry
}

export interface ZipProblem {
  subject: string
  message: string
}

/** Above this ratio a deflated entry is treated as a zip bomb; stored media is about 1:1. */
const MAX_RATIO = 200
const S_IFMT = 0o170000
const S_IFLNK = 0o120000

export class SafeZip {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    readonly entries: ZipEntryInfo[],
  ) {}

  /** Opens the ZIP and lists its entries; a ZIP that cannot be read at all is an exception. */
  static async open(path: string): Promise<SafeZip> {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      yauzl.open(path, {lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true}, (error, opened) => {
        if (error || !opened) reject(error ?? new Error('no zip'))
        else resolve(opened)
      })
    })
    const entries: ZipEntryInfo[] = []
    try {
      await new Promise<void>((resolve, reject) => {
        zip.on('entry', (entry: yauzl.Entry) => {
          entries.push({
            name: entry.fileName,
            isDirectory: entry.fileName.endsWith('/'),
            compressedSize: entry.compressedSize,
            uncompressedSize: entry.uncompressedSize,
            offset: entry.relativeOffsetOfLocalHeader,
            unixMode: (entry.externalFileAttributes >>> 16) & 0xffff,
            entry,
          })
          zip.readEntry()
        })
        zip.on('end', () => resolve())
        zip.on('error', reject)
        zip.readEntry()
      })
    } catch (error) {
      zip.close()
      throw error
    }

    return new SafeZip(zip, entries)
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

  /** Streams an entry through SHA-256 and SHA-512; keeps the bytes when `keep` (small tag files). */
  async digest(info: ZipEntryInfo, keep: boolean): Promise<{sha256: string; sha512: string; size: number; bytes?: Buffer}> {
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
      this.zip.openReadStream(info.entry, (error, opened) => {
        if (error || !opened) reject(error ?? new Error('no stream'))
        else resolve(opened)
      })
    })
    const h256 = createHash('sha256')
    const h512 = createHash('sha512')
    const kept: Buffer[] = []
    let size = 0
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        h256.update(chunk)
        h512.update(chunk)
        size += chunk.length
        if (keep) kept.push(chunk)
      }
    } catch (error) {
      throw new Error(`${info.name}: ${messageOf(error)}`, {cause: error})
    }

    const out = {sha256: h256.digest('hex'), sha512: h512.digest('hex'), size}
    return keep ? {...out, bytes: Buffer.concat(kept)} : out
  }

  close(): void {
    this.zip.close()
  }
}
