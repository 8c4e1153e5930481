/**
 * The vault: a content-addressed store of the exact bytes that entered the case.
 *
 * An object lives at `sha256/<first two hex digits>/<sha256 hex>`, read-only by its owner alone
 * (0400; its folders 0700: the vault holds witness statements). It is written as a
 * temp file in `tmp/`, fsynced, checked by hashing the copy again, then renamed into place and
 * the folder fsynced: an object is either whole at its address or absent, never half-written.
 */
import {randomBytes} from 'node:crypto'
import {constants, type BigIntStats} from 'node:fs'
import {chmodSync, mkdirSync, renameSync, statSync, unlinkSync, type Stats} from 'node:fs'
import {mkdir, open, readdir, rm, stat, type FileHandle} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {CustodyError, errnoOf, messageOf} from '../errors.js'
import {digestFile, sha256Hex, type Digests} from '../hashing/digests.js'
import {pumpHashed} from '../hashing/pump.js'
import {fsyncFolder, PRIVATE_FILE, PRIVATE_FOLDER, READ_ONLY_FILE, writeAll} from '../io/files.js'
import {HEX64} from '../formats/guards.js'


export interface StagedObject {
  /** The temp file holding the copy; it keeps the source's extension so ExifTool can tell file types apart. */
  readonly tempPath: string
  readonly digests: Digests
  readonly size: number
}

export interface StageOptions {
  signal?: AbortSignal | undefined
  /** Told the bytes of each chunk copied, as it is read. */
  onBytes?: ((bytes: number) => void) | undefined
}

export interface ObjectCheck {
  readonly sha256: string
  readonly path: string
  readonly status: 'intact' | 'missing' | 'modified' | 'truncated' | 'unreadable'
  readonly expected: {size?: number; sha256: string; sha512?: string}
  readonly actual?: {size: number; sha256: string; sha512?: string}
  readonly detail?: string
}

function storageError(err: unknown, what: string, vaultRoot: string): CustodyError {
  const errno = errnoOf(err)
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return new CustodyError(
      'DISK_FULL',
      `the disk holding the vault (${vaultRoot}) is full while ${what}; free some space and run the same command again`,
      {cause: err},
    )
  }

  if (err instanceof CustodyError) return err
  return new CustodyError('STORAGE_FAILED', `could not write to the vault (${vaultRoot}) while ${what}: ${messageOf(err)}`, {
    cause: err,
  })
}

function sameFileState(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino && a.dev === b.dev
}

function safeExtension(name: string): string {
  const match = /\.([A-Za-z0-9]{1,12})$/.exec(name)
  return match ? `.${match[1]!.toLowerCase()}` : ''
}

/** What is at `path`, or undefined when nothing can be found there (whatever the reason). */
function statIfThere(path: string): Stats | undefined {
  try {
    return statSync(path)
  } catch {
    return undefined
  }
}

/**
 * Makes a written, fsynced temp file read-only and renames it to its address. These metadata calls
 * are made synchronously: each takes microseconds, where a trip through libuv's thread pool costs
 * the main thread far more (README, "Speed"), and ingest makes them twice a file. The rename
 * is made durable by the caller (fsyncFolder, asynchronous: it waits for the disk).
 */
function placeObject(tempPath: string, path: string): void {
  chmodSync(tempPath, READ_ONLY_FILE)
  mkdirSync(dirname(path), {recursive: true, mode: PRIVATE_FOLDER})
  renameSync(tempPath, path)
}

export class Vault {
  readonly root: string

  constructor(root: string) {
    this.root = root
  }

  static objectRelativePath(sha256: string): string {
    if (!HEX64.test(sha256)) throw new CustodyError('INVALID_ARGUMENT', `expected a SHA-256 in lower-case hex, got ${JSON.stringify(sha256)}`)
    return `sha256/${sha256.slice(0, 2)}/${sha256}`
  }

  objectPath(sha256: string): string {
    return join(this.root, Vault.objectRelativePath(sha256))
  }

  private get tempFolder(): string {
    return join(this.root, 'tmp')
  }

  async create(): Promise<void> {
    await mkdir(join(this.root, 'sha256'), {recursive: true, mode: PRIVATE_FOLDER})
    await mkdir(this.tempFolder, {recursive: true, mode: PRIVATE_FOLDER})
  }

  private tempPathFor(extension: string): string {
    return join(this.tempFolder, `${process.pid}-${randomBytes(8).toString('hex')}${extension}`)
  }

  /**
   * Copies `sourcePath` into a temp file of the vault while hashing it, in one streaming pass.
   * Refuses what is not a regular file or is empty, and a file that changed while it was read.
   * The temp copy is fsynced and hashed again before this returns.
   */
  async stageFile(sourcePath: string, options: StageOptions = {}): Promise<StagedObject> {
    let source: FileHandle
    try {
      // O_NONBLOCK: opening a FIFO must not hang waiting for a writer; regular files ignore it.
      source = await open(sourcePath, constants.O_RDONLY | constants.O_NONBLOCK)
    } catch (error) {
      throw new CustodyError('INPUT_UNREADABLE', `cannot open ${sourcePath}: ${messageOf(error)}; check its permissions`, {
        cause: error,
        subject: sourcePath,
      })
    }

    let tempPath: string | undefined
    try {
      const before = await source.stat({bigint: true})
      if (!before.isFile()) {
        throw new CustodyError('INPUT_NOT_REGULAR', `${sourcePath} is not a regular file (a device, socket or pipe); copy its contents to a file first`, {
          subject: sourcePath,
        })
      }

      if (before.size === 0n) {
        throw new CustodyError(
          'INPUT_EMPTY',
          `${sourcePath} is empty (0 bytes): there is nothing to preserve; check the copy from the device it came from`,
          {subject: sourcePath},
        )
      }

      tempPath = this.tempPathFor(safeExtension(basename(sourcePath)))
      const {digests, size} = await this.copyWhileHashing(source, tempPath, sourcePath, Number(before.size), options)

      const afterOpen = await source.stat({bigint: true})
      const afterPath = await stat(sourcePath, {bigint: true}).catch(() => undefined)
      if (BigInt(size) !== before.size || !sameFileState(before, afterOpen) || !afterPath || !sameFileState(before, afterPath)) {
        throw new CustodyError(
          'INPUT_CHANGED',
          `${sourcePath} changed while it was being read (size or modification time moved); wait until nothing is writing to it and ingest it again`,
          {subject: sourcePath},
        )
      }

      // Check the copy: the bytes now on disk must hash to what was read from the source.
      const copy = await digestFile(tempPath, 'sha256')
      if (copy.sha256 !== digests.sha256 || copy.size !== size) {
        throw new CustodyError(
          'COPY_MISMATCH',
          `the vault copy of ${sourcePath} does not match what was read (sha256 ${copy.sha256} instead of ${digests.sha256}); the disk may be failing: check it and ingest again`,
          {subject: sourcePath},
        )
      }

      return {tempPath, digests, size}
    } catch (error) {
      if (tempPath !== undefined) await rm(tempPath, {force: true})
      throw error instanceof CustodyError ? error : storageError(error, `copying ${sourcePath}`, this.root)
    } finally {
      await source.close()
    }
  }

  /** The copy: see pumpHashed. Writes are positional, so chunks may land in any order. */
  private async copyWhileHashing(
    source: FileHandle,
    tempPath: string,
    sourcePath: string,
    expectedSize: number,
    {signal, onBytes}: StageOptions,
  ): Promise<{digests: Digests; size: number}> {
    const target = await open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE)
    try {
      const result = await pumpHashed(source, (chunk, offset) => writeAll(target, chunk, offset), {
        expectedSize,
        signal,
        onBytes,
        readError: (error) =>
          new CustodyError('INPUT_UNREADABLE', `cannot read ${sourcePath}: ${messageOf(error)}; check the medium and ingest it again`, {
            cause: error,
            subject: sourcePath,
          }),
        abortError: () => new CustodyError('INTERRUPTED', `interrupted while copying ${sourcePath}`, {subject: sourcePath}),
      })
      await target.sync()
      return result
    } catch (error) {
      throw error instanceof CustodyError ? error : storageError(error, `copying ${sourcePath}`, this.root)
    } finally {
      await target.close()
    }
  }

  /**
   * Moves a staged copy to its address, read-only, and makes the rename durable.
   * When the address already holds the object, the staged copy is dropped.
   */
  async commit(staged: StagedObject): Promise<{path: string; existed: boolean}> {
    const path = this.objectPath(staged.digests.sha256)
    try {
      // The metadata calls are synchronous (see placeObject); the fsync of the folder is not.
      const existing = statIfThere(path)
      if (existing?.isFile() && existing.size === staged.size) {
        unlinkSync(staged.tempPath)
        return {path, existed: true}
      }

      placeObject(staged.tempPath, path)
      await fsyncFolder(dirname(path))
      return {path, existed: false}
    } catch (error) {
      await rm(staged.tempPath, {force: true})
      throw storageError(error, `storing object ${staged.digests.sha256}`, this.root)
    }
  }

  async discard(staged: StagedObject): Promise<void> {
    await rm(staged.tempPath, {force: true})
  }

  /** Stores small content (a metadata record) durably under its SHA-256. */
  async putBytes(bytes: Uint8Array): Promise<{sha256: string; path: string}> {
    const sha256 = sha256Hex(bytes)
    const path = this.objectPath(sha256)
    if (statIfThere(path)?.size === bytes.length) return {sha256, path}
    const tempPath = this.tempPathFor('.json')
    try {
      const handle = await open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE)
      try {
        await writeAll(handle, bytes)
        await handle.sync()
      } finally {
        await handle.close()
      }

      placeObject(tempPath, path)
      await fsyncFolder(dirname(path))
      return {sha256, path}
    } catch (error) {
      await rm(tempPath, {force: true})
      throw storageError(error, `storing object ${sha256}`, this.root)
    }
  }

  /** Re-hashes an object and compares it with what the ledger says it is. */
  async checkObject(expected: {sha256: string; size?: number; sha512?: string}): Promise<ObjectCheck> {
    const path = this.objectPath(expected.sha256)
    const base = {sha256: expected.sha256, path, expected}
    let actual: Digests & {size: number}
    try {
      actual = await digestFile(path, expected.sha512 === undefined ? 'sha256' : 'both')
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return {...base, status: 'missing'}
      return {...base, status: 'unreadable', detail: messageOf(error)}
    }

    const found = expected.sha512 === undefined ? {size: actual.size, sha256: actual.sha256} : actual
    const intact =
      (expected.size === undefined || actual.size === expected.size) &&
      actual.sha256 === expected.sha256 &&
      (expected.sha512 === undefined || actual.sha512 === expected.sha512)
    if (intact) return {...base, status: 'intact'}
    return {...base, status: expected.size !== undefined && actual.size < expected.size ? 'truncated' : 'modified', actual: found}
  }

  /**
   * Every object address in the vault (`prefix/name`), sorted, read a folder at a time: for
   * finding objects the ledger does not know.
   */
  async *eachObject(): AsyncGenerator<string> {
    const top = join(this.root, 'sha256')
    // Sorted as the whole `prefix/name` strings sort: a folder at a time, by `prefix/`.
    const prefixes = (await readdir(top).catch(() => [])).map((p) => `${p}/`).sort()
    for (const prefix of prefixes) {
      const names = await readdir(join(top, prefix)).catch(() => [])
      for (const name of names.sort()) yield `${prefix}${name}`
    }
  }

  /** Temp files left by a process that no longer runs (a crash or a power cut): safe to remove. */
  async removeStaleTempFiles(): Promise<string[]> {
    const removed: string[] = []
    for (const name of await readdir(this.tempFolder).catch(() => [])) {
      const pid = Number.parseInt(name.split('-')[0] ?? '', 10)
      if (Number.isInteger(pid) && pid > 0 && !isProcessAlive(pid)) {
        await rm(join(this.tempFolder, name), {force: true})
        removed.push(name)
      }
    }

    return removed
  }

  /** Temp files present now, whoever left them. */
  async listTempFiles(): Promise<string[]> {
    return (await readdir(this.tempFolder).catch(() => [])).sort()
  }
}

function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return errnoOf(error) === 'EPERM'
  }
}
