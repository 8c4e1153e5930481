/**
 * Reading a bag folder that may be hostile (an unzipped sealed archive), for `custody verify
 * FOLDER`, as src/zip/reader.ts reads a ZIP: every entry listed once and named as in a ZIP
 * (`<bag folder>/<path>`, a folder with a final `/`), every file hashed once, and files read again
 * as the checks need them, each bounded by the size it was listed with.
 *
 * A folder has no structure to read two ways, but it can hold what a ZIP's entries cannot be: so
 * the listing never follows a link, and refuses (without opening it) a symbolic link wherever it
 * points, a FIFO, socket or device (opening a FIFO would wait for ever), anything on another file
 * system (a mount point inside the bag), and a name that is not UTF-8 (a Linux file system takes
 * any bytes). Files are opened without following a link (O_NOFOLLOW) or waiting (O_NONBLOCK), and
 * must still be regular files of the size listed. Nothing outside the bag folder is read.
 */
import {closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, realpathSync, statSync, type Stats} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {CustodyError, messageOf} from '../errors.js'
import {digestReadAhead, type ChunkKeeper} from '../hashing/read-digests.js'
import {EntryReader, rangeChunks, type EntryResult} from '../io/entry-reader.js'
import {readAt} from '../io/files.js'
import type {ZipEntryInfo} from '../zip/structure.js'

const {O_RDONLY, O_NOFOLLOW, O_NONBLOCK} = constants
const OPEN_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK
/** Where macOS puts its AppleDouble files: unzip makes it beside the bag folder from a ZIP made on a Mac. */
export const MACOS_FOLDER = '__MACOSX'

/** The bag folder that a path given to verify names, and a __MACOSX folder beside it, left aside. */
export interface FoundBag {
  bag: string
  aside: string | undefined
}

/**
 * The bag folder `path` names: `path` itself when it holds bagit.txt (or a data/ folder: a bag
 * whose bagit.txt is gone is still checked, and fails), else the one folder it holds, as unzip
 * makes it of a sealed archive (a __MACOSX folder beside it, from a ZIP made on a Mac, is left
 * aside). Anything else is a usage error, before anything is read.
 */
export function findBagFolder(path: string): FoundBag {
  const names = readdirSync(path)
  if (names.includes('.custody')) {
    throw new CustodyError('INVALID_ARGUMENT', `${path} is a case folder, not a bag: \`custody verify --case ${path}\` checks a case`, {subject: path})
  }

  if (names.includes('bagit.txt') || names.includes('data')) return {bag: path, aside: undefined}
  const others = names.filter((name) => name !== MACOS_FOLDER)
  const only = others.length === 1 ? join(path, others[0]!) : undefined
  if (only !== undefined && lstatSync(only).isDirectory()) return {bag: only, aside: names.includes(MACOS_FOLDER) ? join(path, MACOS_FOLDER) : undefined}
  const shown = others.slice(0, 5).join(', ') + (others.length > 5 ? ', …' : '')
  throw new CustodyError(
    'INVALID_ARGUMENT',
    `${path} is neither a bag folder (it holds no bagit.txt) nor a folder holding one bag folder and nothing else, as unzip makes of a sealed archive: it holds ${others.length === 0 ? 'nothing' : `${others.length} entries (${shown})`}; give the bag folder itself`,
    {subject: path},
  )
}

/**
 * What a file is, when it is one that a file manager writes into a folder it shows, and so no part
 * of a bag (custody names no file of a bag so): macOS Finder's `.DS_Store` (view settings), the
 * AppleDouble file `._NAME` it writes beside NAME on a disk that cannot keep extended attributes,
 * and Windows Explorer's `Thumbs.db` and `desktop.ini`. Anything else is the bag's.
 */
export function fileManagerLitter(name: string, siblings: readonly Buffer[]): string | undefined {
  if (name === '.DS_Store') return "macOS Finder's view settings"
  if (name === 'Thumbs.db') return "Windows Explorer's thumbnails"
  if (name === 'desktop.ini') return "Windows Explorer's folder settings"
  if (name.startsWith('._') && name.length > 2 && siblings.some((raw) => raw.equals(Buffer.from(name.slice(2), 'utf8')))) return `macOS's AppleDouble file of ${name.slice(2)}`
  return undefined
}

function utf8(raw: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(raw)
  } catch {
    return undefined
  }
}

/** A folder being listed: its name (as in a ZIP, without the final `/`), its entries' raw names in byte order, and the next to take. */
interface Frame {
  name: string
  children: Buffer[]
  next: number
}

export class SafeFolder extends EntryReader<ZipEntryInfo> {
  private constructor(
    /** The folder holding the bag folder: entries' names are relative to it. */
    private readonly root: string,
    private readonly top: string,
    /** The bag folder's file system: nothing on another is read. */
    private readonly device: number,
    private readonly limitOf: (pathInBag: string) => number | undefined,
  ) {
    super()
  }

  /**
   * The bag folder at `bag` (a link the user gives to it is followed; none inside it is).
   * `limitOf` gives the most a file of the bag can hold, by its path in the bag, when there is such
   * a bound: a larger one is refused when listed, never read (a sparse file costs no disk).
   */
  static open(bag: string, limitOf: (pathInBag: string) => number | undefined = () => undefined): SafeFolder {
    const real = realpathSync(bag)
    return new SafeFolder(dirname(real), basename(real), statSync(real).dev, limitOf)
  }

  private pathOf(info: {name: string}): string {
    return join(this.root, info.name)
  }

  /**
   * Lists the bag folder, depth first and in byte order of the names, handing each file and
   * folder to `onEntry` and what cannot be part of a bag to `onProblem` (never opened, never
   * entered). Resolves with how many entries were handed out. Synchronous file-system calls, one
   * folder's names held at a time for each level.
   */
  async list(onEntry: (info: ZipEntryInfo) => void, onProblem: (subject: string, message: string) => void, onAside?: (name: string, what: string) => void): Promise<number> {
    let index = 0
    const emit = (name: string, stats: Stats): void => {
      const size = stats.isFile() ? stats.size : 0
      onEntry({index: index++, name, isDirectory: stats.isDirectory(), method: 0, encrypted: false, compressedSize: size, uncompressedSize: size, offset: 0, dataStart: 0, crc32: 0, unixMode: stats.mode & 0xffff})
    }

    emit(`${this.top}/`, lstatSync(join(this.root, this.top)))
    const stack: Frame[] = [{name: this.top, children: this.childrenOf(this.top, onProblem), next: 0}]
    while (stack.length > 0) {
      const frame = stack.at(-1)!
      const raw = frame.children[frame.next++]
      if (raw === undefined) {
        stack.pop()
        continue
      }

      const decoded = utf8(raw)
      if (decoded === undefined) {
        onProblem(`${frame.name}/${raw.toString('latin1')}`, 'its name is not UTF-8: readers and tools would show and name it each their own way')
        continue
      }

      const name = `${frame.name}/${decoded}`
      const stats = this.entryStats(name, onProblem)
      if (stats === undefined) continue
      const litter = stats.isFile() ? fileManagerLitter(decoded, frame.children) : undefined
      if (litter !== undefined) onAside?.(name, litter)
      else if (!stats.isDirectory()) emit(name, stats)
      else {
        emit(`${name}/`, stats)
        stack.push({name, children: this.childrenOf(name, onProblem), next: 0})
      }
    }

    return index
  }

  /** A folder's entries, raw, in byte order (that of UTF-8 code points); none when it cannot be read. */
  private childrenOf(name: string, onProblem: (subject: string, message: string) => void): Buffer[] {
    try {
      return readdirSync(join(this.root, name), {encoding: 'buffer'}).sort(Buffer.compare)
    } catch (error) {
      onProblem(`${name}/`, `the folder cannot be read: ${messageOf(error)}`)
      return []
    }
  }

  /** An entry's own stats (never a link's target), or undefined after naming why it cannot be part of a bag. */
  private entryStats(name: string, onProblem: (subject: string, message: string) => void): Stats | undefined {
    const path = join(this.root, name)
    let stats: Stats
    try {
      stats = lstatSync(path)
    } catch (error) {
      onProblem(name, `cannot be read: ${messageOf(error)}`)
      return undefined
    }

    if (stats.isSymbolicLink()) {
      const target = (() => {
        try {
          return readlinkSync(path)
        } catch {
          return '?'
        }
      })()
      onProblem(name, `it is a symbolic link (to ${JSON.stringify(target)}): a bag holds only files and folders, and a link can lead anywhere outside it`)
    } else if (!stats.isFile() && !stats.isDirectory()) {
      onProblem(name, 'it is a FIFO, socket or device, not a file: a bag holds only files and folders')
    } else if (stats.dev !== this.device) {
      onProblem(name, 'it is on another file system than the bag folder (a mount point inside it): a bag holds only its own files')
    } else if (stats.isFile() && stats.size > (this.limitOf(name.slice(this.top.length + 1)) ?? Number.POSITIVE_INFINITY)) {
      onProblem(name, `it holds ${stats.size} bytes, more than the ${this.limitOf(name.slice(this.top.length + 1))} any genuine file of its kind can have: not read`)
    } else {
      return stats
    }

    return undefined
  }

  /**
   * Hashes the files (SHA-256 and SHA-512), several read ahead, each at the size it was listed
   * with, and hands each result to `onResult` (in any order). Once a read fails, the files after
   * it are left unread. `keep` is given each file's bytes as they are hashed, if it wants them.
   */
  async digestEach(
    entries: () => Iterable<ZipEntryInfo>,
    onResult: (info: ZipEntryInfo, result: EntryResult) => void,
    onEach?: (done: number) => void,
    keep?: (info: ZipEntryInfo) => ChunkKeeper | undefined,
  ): Promise<void> {
    let done = 0
    await digestReadAhead(
      entries(),
      (info) => ({path: this.pathOf(info), size: info.uncompressedSize, flags: OPEN_FLAGS}),
      (info, read) => {
        onResult(info, 'error' in read ? read : {digest: {sha256: read.sha256, sha512: read.sha512, size: read.size}})
        onEach?.(++done)
      },
      {crc: false, keep},
    )
  }

  /** A file's bytes, read again: it must still be a regular file of the size listed. */
  override async *chunks(info: ZipEntryInfo, onBytes?: (chunk: Buffer) => void, chunkSize?: number): AsyncGenerator<Buffer> {
    const fd = openSync(this.pathOf(info), OPEN_FLAGS)
    try {
      const stats = fstatSync(fd)
      if (!stats.isFile() || stats.size !== info.uncompressedSize) {
        throw new Error(`${info.name}: it changed while it was being checked (${info.uncompressedSize} bytes when listed, now ${stats.isFile() ? `${stats.size} bytes` : 'not a file'})`)
      }

      yield* rangeChunks({readAt: (buffer, offset, length, position) => readAt(fd, buffer, offset, length, position)}, 0, info.uncompressedSize, info.name, onBytes, chunkSize)
    } finally {
      closeSync(fd)
    }
  }

  /** Nothing stays open between reads. */
  close(): void {}
}
