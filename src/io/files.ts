/**
 * Small file-writing helpers shared by the vault, the key store, the head record and the archive
 * writer, and the modes of what custody writes.
 */
import {randomBytes} from 'node:crypto'
import {accessSync, closeSync, constants, fsync, openSync, read, statSync, type Stats} from 'node:fs'
import {link, mkdir, open, rename, rm, type FileHandle} from 'node:fs/promises'
import {basename, dirname, join, resolve, sep} from 'node:path'
import {CustodyError, errnoOf, fields, said, type Field} from '../errors.js'

/**
 * The modes of what custody makes in a case, and of the scratch files and archives beside --out:
 * its owner's alone, whatever the umask (a case names witnesses; evidence is not for every account
 * on the computer). Vault objects are read-only once in place.
 */
export const PRIVATE_FOLDER = 0o700
export const PRIVATE_FILE = 0o600
export const READ_ONLY_FILE = 0o400

/** The fields of work that writes a file, as its errors name them: where, and whether to replace what is there. */
export const OUTPUT = fields({out: 'output file', force: 'the force option'})

/** The error of a file that was in the way: it `happened` (already exists, appeared) and was not replaced. */
export function notReplaced(path: string, happened = 'already exists'): CustodyError {
  return new CustodyError('INVALID_ARGUMENT', said`${path} ${happened}; nothing was replaced. Choose another ${OUTPUT.out}, or add ${OUTPUT.force}`, {subject: path})
}

/** What is at `path`: undefined when nothing is, or it cannot be looked at (`looked` says why: the errno). */
function lookAt(path: string): {stats?: Stats; looked?: string} {
  try {
    return {stats: statSync(path)}
  } catch (error) {
    return {looked: errnoOf(error) ?? 'unknown'}
  }
}

/** The error of a file (or folder) to write that cannot be, `why`; `path` as given, `target` resolved. */
function unwritable(field: Field, path: string, target: string, why: string, kind: 'file' | 'folder' = 'file'): CustodyError {
  const instead = kind === 'file' ? 'Name a file in a folder you can write to' : 'Name a folder you can write in (or make)'
  return new CustodyError('OUTPUT_UNWRITABLE', said`${field} ${path} cannot be written: ${why}; nothing was done. ${instead}`, {subject: target, field: field.name})
}

/** Why this account cannot make a file in `folder`, an existing path, if it cannot (undefined: it can). */
function unwritableFolder(folder: string): string | undefined {
  const {stats, looked} = lookAt(folder)
  if (stats === undefined) return looked === 'ENOENT' ? `there is no folder ${folder}` : looked === 'ENOTDIR' ? `${folder} is not a folder` : `the folder ${folder} cannot be looked at (${looked})`
  if (!stats.isDirectory()) return `${folder} is not a folder`
  try {
    accessSync(folder, constants.W_OK | constants.X_OK)
    return undefined
  } catch (error) {
    return errnoOf(error) === 'EROFS' ? `${folder} is on a read-only disk` : `you may not write in ${folder}`
  }
}

/**
 * Where a file is to be written, resolved, once it is sure it can be: refused before any work
 * (OUTPUT_UNWRITABLE, exit 2, naming `field`) when a folder is given, when the folder it goes in
 * is missing or not a folder, or when this account cannot write in it (its permissions, a
 * read-only disk). An existing file is not refused here: whether to replace it is the caller's
 * (notReplaced()). Every command that writes a file the user names calls this first.
 */
export function checkDestination(path: string, field: Field = OUTPUT.out, cwd = process.cwd()): string {
  const target = resolve(cwd, path)
  if (path.endsWith(sep) || path.endsWith('/') || lookAt(target).stats?.isDirectory() === true) throw unwritable(field, path, target, 'it is a folder')
  const why = unwritableFolder(dirname(target))
  if (why !== undefined) throw unwritable(field, path, target, why)
  return target
}

/**
 * A folder to be made or written in (a new case), resolved, once it is sure it can be: refused as
 * checkDestination() refuses a file when it is not a folder, or when the first of it and the
 * folders above it that exists cannot be written in.
 */
export function checkFolderDestination(path: string, field: Field, cwd = process.cwd()): string {
  const target = resolve(cwd, path)
  let existing = target
  // Up to the first path that exists: a file on the way (ENOTDIR) is then named as not a folder.
  for (let looked = lookAt(existing).looked; (looked === 'ENOENT' || looked === 'ENOTDIR') && dirname(existing) !== existing; looked = lookAt(existing).looked) {
    existing = dirname(existing)
  }

  const why = unwritableFolder(existing)
  if (why !== undefined) throw unwritable(field, path, target, why, 'folder')
  return target
}

/**
 * Makes the folder `target` (resolved; `path` as given) and those missing above it, one at a time
 * from the top: Node's own recursive mkdir retries for ever where a folder exists but refuses new
 * folders in it with ENOENT, as /proc does. One that cannot be made is OUTPUT_UNWRITABLE.
 */
export async function makeFolders(target: string, field: Field, path: string = target): Promise<void> {
  const missing: string[] = []
  for (let folder = target; lookAt(folder).looked === 'ENOENT' && dirname(folder) !== folder; folder = dirname(folder)) missing.unshift(folder)
  for (const folder of missing) {
    try {
      await mkdir(folder)
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw unwritable(field, path, target, `the folder ${folder} cannot be made (${errnoOf(error) ?? 'unknown error'})`, 'folder')
    }
  }
}

/** Writes all of `chunk`, at `position` in the file when given (writes may then run in any order). */
export async function writeAll(handle: FileHandle, chunk: Uint8Array, position: number | null = null): Promise<void> {
  let offset = 0
  while (offset < chunk.length) {
    const at = position === null ? null : position + offset
    const {bytesWritten} = await handle.write(chunk, offset, chunk.length - offset, at)
    offset += bytesWritten
  }
}

/**
 * Writes all of `pieces`, in order, from `position` in the file: one writev for many buffers
 * (the chunks and tags of an age file), again from where a short write stopped.
 */
export async function writeAllPieces(handle: FileHandle, pieces: readonly Uint8Array[], position: number): Promise<number> {
  const rest = pieces.filter((piece) => piece.length > 0)
  let at = position
  while (rest.length > 0) {
    const {bytesWritten} = await handle.writev(rest, at)
    if (bytesWritten === 0) throw new Error(`writev wrote nothing at byte ${at}`)
    at += bytesWritten
    let skip = bytesWritten
    while (rest.length > 0 && skip >= rest[0]!.length) skip -= rest.shift()!.length
    if (skip > 0) rest[0] = rest[0]!.subarray(skip)
  }

  return at - position
}

/** One positional read of an open file: how many bytes came (0 at its end). */
export function readAt(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buffer, offset, length, position, (error, n) => (error ? reject(error) : resolve(n))))
}

/** Waits until the file or folder at `path` is on the disk (fsync of it, opened for reading). */
export async function fsyncPath(path: string): Promise<void> {
  // Opened and closed synchronously (microseconds); the fsync itself waits for the disk.
  const fd = openSync(path, 'r')
  try {
    await new Promise<void>((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())))
  } finally {
    closeSync(fd)
  }
}

/** Makes a rename or a new name in `path` durable (POSIX: fsync the folder). */
export async function fsyncFolder(path: string): Promise<void> {
  await fsyncPath(path)
}

/**
 * Puts a finished temp file at `target`. With `overwrite` a rename replaces what is there;
 * without it a hard link, which fails on an existing name, so nothing is ever replaced (false).
 * The temp name is gone afterwards either way, unless an error other than EEXIST is thrown.
 */
export async function moveIntoPlace(temp: string, target: string, overwrite: boolean): Promise<boolean> {
  if (overwrite) {
    await rename(temp, target)
  } else {
    try {
      await link(temp, target)
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error
      await rm(temp, {force: true})
      return false
    }

    await rm(temp, {force: true})
  }

  await fsyncFolder(dirname(target))
  return true
}

/** The pid in one of writeFileDurably's temp names (`.<name>.<pid>.<8 hex>.tmp`), if `name` is one. */
export function durableTempOwner(name: string): number | undefined {
  const match = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name)
  return match === null ? undefined : Number(match[1])
}

/**
 * Durable write of a small file: a temp file in the same folder, write, fsync, then moveIntoPlace.
 * The file gets exactly `mode` (default PRIVATE_FILE), whatever the umask.
 * Returns false, having changed nothing, when `target` exists and `overwrite` is false.
 */
export async function writeFileDurably(target: string, data: string | Uint8Array, options: {mode?: number; overwrite?: boolean} = {}): Promise<boolean> {
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const mode = options.mode ?? PRIVATE_FILE
  try {
    const handle = await open(temp, 'wx', mode & PRIVATE_FILE)
    try {
      // Made owner-only, then given exactly `mode`: chmod is not subject to the umask.
      await handle.chmod(mode)
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }

    return await moveIntoPlace(temp, target, options.overwrite ?? true)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
}
