/**
 * The vault: a content-addressed store of the exact bytes that entered the case.
 *
 * In a case in clear, an object lives at `sha256/<first two hex digits>/<sha256 hex>`. Given the
 * case's keys (`withKeys`), the vault is encrypted: an object is an age file at a keyed address
 * (`objects/…/<hmac>.age`, sealed-objects.ts), written as the source is read, and read back
 * decrypted and authenticated. Either way an object is read-only by its owner alone (0400; its
 * folders 0700: the vault holds witness statements), written as a temp file in `tmp/`, fsynced,
 * checked by hashing the copy again, then renamed into place and the folder fsynced: an object is
 * either whole at its address or absent, never half-written.
 */
import {createHash, randomBytes} from 'node:crypto'
import {constants, createReadStream, type BigIntStats} from 'node:fs'
import {chmodSync, existsSync, linkSync, mkdirSync, renameSync, statSync, unlinkSync, type Stats} from 'node:fs'
import {mkdir, open, readdir, readFile, rm, stat, type FileHandle} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {CustodyError, errnoOf, messageOf} from '../errors.js'
import {digestChunks, digestFile, sha256Hex, type Digests} from '../hashing/digests.js'
import {pumpHashed, quietly} from '../hashing/pump.js'
import {fsyncFolder, fsyncPath, PRIVATE_FILE, PRIVATE_FOLDER, READ_ONLY_FILE, writeAll} from '../io/files.js'
import {HEX64} from '../formats/guards.js'
import {WORKER_HASH_BYTES} from '../hashing/hash-worker.js'
import type {StoredObject} from '../formats/events.js'
import {decryptBytes} from '../age/decrypt.js'
import {encryptBytes} from '../age/encrypt.js'
import {AgeRandomReader} from '../age/random-reader.js'
import type {ReadSource} from '../io/read-ahead.js'
import {identityNeeded, openSealed, sealingSink, SEALED_EXTENSION, type SealingSink, SEALED_FOLDER, sealedRelativePath, type StoredForm, ThreadSealingSink, type VaultKeys, WorkerSealingSink} from './sealed-objects.js'


/** A chunk in shared memory, read ahead of the copy (ReadChunk): its memory is handed back with release() once its bytes are written. */
export interface SharedChunk {
  bytes: Buffer
  release: () => void
}

/** Chunks of a stageShared copy being sealed and written at once: the reader reads ahead of them. */
const SHARED_WRITES = 4

export interface StagedObject {
  /** The temp file holding the copy (in clear, it keeps the source's extension so ExifTool can tell file types apart). */
  readonly tempPath: string
  readonly digests: Digests
  readonly size: number
  /**
   * In an encrypted vault: the age file as stored (its SHA-256 and size); commit() sets it to the
   * object already at the address, when one is (two encryptions of the same content differ).
   */
  stored?: StoredForm
  /**
   * Where the plaintext can be read (by ExifTool): the temp copy in clear; in an encrypted vault,
   * the source itself (no plaintext copy is ever written), checked unchanged by `sourceUnchanged`.
   */
  readonly readablePath: string
  /** The source's state when it was read: for `sourceUnchanged`. */
  readonly sourceState: BigIntStats
}

/** A copy stageChunks made: what commit() needs of a staged object. */
export type ChunkStaged = Pick<StagedObject, 'tempPath' | 'digests' | 'size' | 'stored'>

/** A copy stageAlong() opened: chunks taken in order, then finished with their digests, or dropped. */
export interface AlongCopy {
  /** Called in order, synchronously; the promise settles once the chunk's bytes are no longer read. */
  take(chunk: Buffer): Promise<unknown>
  /** Once every chunk was taken: the digests of exactly the bytes taken. The copy is durable when this returns. */
  finish(digests: Digests & {size: number}): Promise<ChunkStaged>
  drop(): Promise<void>
}

/** A temp file being copied into (Vault.openCopy). */
interface OpenCopy {
  size(): number
  take(chunk: Buffer): Promise<unknown>
  finish(digests: Digests & {size: number}, sync: boolean): Promise<ChunkStaged>
  drop(): Promise<void>
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
  /** Unreadable because none of the identities given opens its age file (it was encrypted to other recipients). */
  readonly wrongKey?: boolean
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

/** A source that changed while custody read it. */
export function sourceChanged(sourcePath: string): CustodyError {
  return new CustodyError(
    'INPUT_CHANGED',
    `${sourcePath} changed while it was being read (size or modification time moved); wait until nothing is writing to it and ingest it again`,
    {subject: sourcePath},
  )
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

/**
 * Places an encrypted object at its address unless one is there already, and says which. Two
 * encryptions of the same content differ (each has its own file key), and an event records the
 * SHA-256 of the bytes it wrote: an object already at its address is never replaced, not even by a
 * run beside this one (link(2) fails on an existing name where rename(2) would replace it). Where
 * the file system has no hard links (FAT, exFAT), it checks, then renames.
 */
function placeNewObject(tempPath: string, path: string): boolean {
  chmodSync(tempPath, READ_ONLY_FILE)
  mkdirSync(dirname(path), {recursive: true, mode: PRIVATE_FOLDER})
  try {
    linkSync(tempPath, path)
  } catch (error) {
    const errno = errnoOf(error)
    if (errno === 'EEXIST') {
      unlinkSync(tempPath)
      return false
    }

    if (errno !== 'EPERM' && errno !== 'ENOTSUP' && errno !== 'EOPNOTSUPP') throw error
    if (statIfThere(path) !== undefined) {
      unlinkSync(tempPath)
      return false
    }

    renameSync(tempPath, path)
    return true
  }

  unlinkSync(tempPath)
  return true
}

/** The SHA-256 and size of an object as it is stored, read back. */
async function storedFormOf(path: string): Promise<{sha256: string; size: number}> {
  const {sha256, size} = await digestFile(path, 'sha256')
  return {sha256, size}
}

/**
 * The stored form of an object that `custody encrypt` converted (its `objects-encrypted` events),
 * by the plaintext's SHA-256: the events that name it (ingest, testimony) were written in clear
 * and record none.
 */
export type ConvertedForms = (sha256: string) => StoredObject | undefined

export class Vault {
  readonly root: string
  /** The case's keys: the vault is encrypted when they are given (`withKeys`). */
  readonly keys: VaultKeys | undefined

  /** Given keys, or holding encrypted objects (a case opened without its keys, by `verify`): seen once, when opened. */
  readonly encrypted: boolean

  private readonly converted: ConvertedForms | undefined

  constructor(root: string, keys?: VaultKeys, converted?: ConvertedForms) {
    this.root = root
    this.keys = keys
    this.encrypted = keys !== undefined || existsSync(join(root, SEALED_FOLDER))
    this.converted = converted
  }

  /** The same vault, encrypted with the case's keys once they are unlocked. */
  withKeys(keys: VaultKeys): Vault {
    return new Vault(this.root, keys, this.converted)
  }

  /**
   * An object's stored form: the one its event records, else, in an encrypted vault, the one
   * `custody encrypt` recorded when it converted it; undefined for an object in clear.
   */
  storedForm(sha256: string, recorded: StoredObject | undefined): StoredObject | undefined {
    return recorded ?? (this.encrypted ? this.converted?.(sha256) : undefined)
  }

  /**
   * An object's file from the case's data folder, as its events record it (`vault/…`), without a
   * key: its stored form when one is recorded, else its address in clear.
   */
  recordedFile(sha256: string, recorded: StoredObject | undefined): string {
    return this.storedForm(sha256, recorded)?.vault ?? `${basename(this.root)}/${Vault.objectRelativePath(sha256)}`
  }

  static objectRelativePath(sha256: string): string {
    if (!HEX64.test(sha256)) throw new CustodyError('INVALID_ARGUMENT', `expected a SHA-256 in lower-case hex, got ${JSON.stringify(sha256)}`)
    return `sha256/${sha256.slice(0, 2)}/${sha256}`
  }

  /** Where the object of this plaintext SHA-256 lives, relative to the vault: keyed when encrypted. */
  relativePath(sha256: string): string {
    if (this.keys !== undefined) return sealedRelativePath(this.keys.addressKey, sha256)
    // An encrypted object's address is keyed: without the keys it cannot be found, let alone read,
    // unless `custody encrypt` recorded it (its path is in the ledger, as an ingest event's is).
    const converted = this.encrypted ? this.converted?.(sha256) : undefined
    if (converted !== undefined) return converted.vault.slice(converted.vault.indexOf('/') + 1)
    if (this.encrypted) throw identityNeeded(`the vault object of SHA-256 ${sha256}`)
    return Vault.objectRelativePath(sha256)
  }

  /** The object's path as events record it: from the case's data folder (`vault/…`), with forward slashes. */
  recordedPath(sha256: string): string {
    return `${basename(this.root)}/${this.relativePath(sha256)}`
  }

  objectPath(sha256: string): string {
    return join(this.root, this.relativePath(sha256))
  }

  private get tempFolder(): string {
    return join(this.root, 'tmp')
  }

  private get objectsFolder(): string {
    return join(this.root, this.encrypted ? SEALED_FOLDER : 'sha256')
  }

  /** Makes the vault's folders: an encrypted vault's (objects/) unless told it is in clear. */
  async create(options: {encrypted?: boolean} = {}): Promise<void> {
    await mkdir(join(this.root, (options.encrypted ?? this.encrypted) ? SEALED_FOLDER : 'sha256'), {recursive: true, mode: PRIVATE_FOLDER})
    await mkdir(this.tempFolder, {recursive: true, mode: PRIVATE_FOLDER})
  }

  /** Nothing is ever written in clear into an encrypted vault: its keys must be given first. */
  private checkWritable(): void {
    if (this.keys === undefined && this.encrypted) throw new CustodyError('INTERNAL', `internal: the vault ${this.root} is encrypted and its keys were not given before writing to it`)
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
    this.checkWritable()
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

      tempPath = this.tempPathFor(this.keys === undefined ? safeExtension(basename(sourcePath)) : SEALED_EXTENSION)
      const {digests, size, stored} = await this.copyWhileHashing(source, tempPath, sourcePath, Number(before.size), options)

      const afterOpen = await source.stat({bigint: true})
      if (BigInt(size) !== before.size || !sameFileState(before, afterOpen) || !(await this.sourceUnchanged(sourcePath, before))) throw sourceChanged(sourcePath)

      // Check the copy: the bytes now on disk must hash to what was written (in clear: to what was read).
      const copy = await digestFile(tempPath, 'sha256')
      const written = stored ?? {sha256: digests.sha256, size}
      if (copy.sha256 !== written.sha256 || copy.size !== written.size) {
        throw new CustodyError(
          'COPY_MISMATCH',
          `the vault copy of ${sourcePath} does not match what was written (sha256 ${copy.sha256} instead of ${written.sha256}); the disk may be failing: check it and ingest again`,
          {subject: sourcePath},
        )
      }

      const readablePath = stored === undefined ? tempPath : sourcePath
      return {tempPath, digests, size, readablePath, sourceState: before, ...(stored === undefined ? {} : {stored})}
    } catch (error) {
      if (tempPath !== undefined) await rm(tempPath, {force: true})
      throw error instanceof CustodyError ? error : storageError(error, `copying ${sourcePath}`, this.root)
    } finally {
      await source.close()
    }
  }

  /**
   * Copies content given as chunks (an exhibit read out of a verified archive, never written in
   * clear) into a temp file of the vault while hashing it: encrypted as it comes in an encrypted
   * vault. Refused unless it has exactly the size and SHA-256 `expected` says (what the archive was
   * verified to hold): the copy is of those bytes or of nothing. The SHA-512 is not computed again:
   * the verifier computed both over the bytes whose SHA-256 this copy matches. `subject` names it
   * in errors.
   */
  async stageChunks(chunks: AsyncIterable<Buffer>, expected: Digests & {size: number}, subject: string): Promise<ChunkStaged> {
    return this.stageFrom(expected, subject, {onWorker: false, sync: true}, async (take) => {
      for await (const chunk of chunks) {
        // The chunk may be the reader's reused buffer: written (or encrypted) before the next is asked for.
        await take(chunk)
      }
    })
  }

  /**
   * As stageChunks, from chunks in shared memory read ahead of the copy (ReadAhead), each released
   * once its bytes are written: in an encrypted vault they are sealed on the payload worker, which
   * reads them in place, while this thread hashes the next ones. A package's originals are copied
   * so without a copy of their bytes on this thread, and without waiting for each chunk in turn.
   * The copy is not yet durable: syncStaged() makes it so, beside the next copies, before it is committed.
   * `onTaken` is called once every chunk is taken (the reader may go on to the next file) while the
   * last ones are still being sealed and written.
   */
  async stageShared(chunks: AsyncIterable<SharedChunk>, expected: Digests & {size: number}, subject: string, onTaken?: () => void): Promise<ChunkStaged> {
    return this.stageFrom(expected, subject, {onWorker: true, sync: false}, async (take) => {
      const writing: Array<Promise<unknown>> = []
      try {
        for await (const chunk of chunks) {
          writing.push(quietly(take(chunk.bytes).finally(chunk.release)))
          if (writing.length >= SHARED_WRITES) await writing.shift()
        }

        onTaken?.()
        await Promise.all(writing)
      } finally {
        // Nothing is left writing into the file, or holding the reader's memory, when this ends.
        await Promise.allSettled(writing)
      }
    })
  }

  /**
   * Waits until a copy stageShared() made is on the disk (its fsync). A staged copy the disk may
   * not hold is never committed: call it, and wait for it, before commit().
   */
  async syncStaged(staged: ChunkStaged): Promise<void> {
    await fsyncPath(staged.tempPath).catch((error: unknown) => {
      throw storageError(error, `making ${staged.tempPath} durable`, this.root)
    })
  }

  /**
   * A copy staged from chunks that another pass reads and hashes as it gives them: the archive
   * verifier's digest pass, through which `transfer accept` keeps a package's originals as they
   * are verified (src/transfers/accept.ts), so that each is read and decrypted once. Sealed on the
   * payload worker in an encrypted vault, which reads each chunk in place: take()'s promise settles
   * once the chunk's bytes are no longer read. finish() is given the digests that pass computed of
   * exactly the bytes taken (this copy does not hash them again) and refuses a size other than
   * the one taken, or a take that failed, and makes the copy durable (its fsync, on the file still
   * open) before it returns. What fails, or drop(), leaves nothing. A copy of fewer than WORKER_HASH_BYTES (`size`) is sealed on this
   * thread: the size below which that pass hashes on this thread too, a message to a worker and
   * back costing more than the work.
   */
  async stageAlong(subject: string, size: number): Promise<AlongCopy> {
    const copy = await this.openCopy(subject, size >= WORKER_HASH_BYTES)
    return {
      take: copy.take,
      finish: async (digests) => {
        try {
          if (digests.size !== copy.size()) throw new CustodyError('INTEGRITY', `${subject}: ${copy.size()} bytes were copied, not the ${digests.size} hashed; nothing of it was kept`, {subject})
          return await copy.finish(digests, true)
        } catch (error) {
          await copy.drop()
          throw error instanceof CustodyError ? error : storageError(error, `copying ${subject}`, this.root)
        }
      },
      drop: copy.drop,
    }
  }

  /**
   * The copy's frame, for stageChunks and stageShared: a copy opened (openCopy), the SHA-256 of
   * what `feed` gives to `take` (in order, synchronously with its calls), held to `expected`;
   * made durable before this returns when `sync`.
   */
  private async stageFrom(
    expected: Digests & {size: number},
    subject: string,
    {onWorker, sync}: {onWorker: boolean; sync: boolean},
    feed: (take: (chunk: Buffer) => Promise<unknown>) => Promise<void>,
  ): Promise<ChunkStaged> {
    const copy = await this.openCopy(subject, onWorker)
    try {
      const sha256 = createHash('sha256')
      await feed((chunk) => {
        sha256.update(chunk)
        return copy.take(chunk)
      })

      const digest = sha256.digest('hex')
      if (copy.size() !== expected.size || digest !== expected.sha256) {
        throw new CustodyError('INTEGRITY', `${subject} read ${copy.size()} bytes of SHA-256 ${digest}, not the ${expected.size} bytes of SHA-256 ${expected.sha256} verified; nothing of it was kept`, {subject})
      }

      return await copy.finish({sha256: digest, sha512: expected.sha512, size: copy.size()}, sync)
    } catch (error) {
      await copy.drop()
      throw error instanceof CustodyError ? error : storageError(error, `copying ${subject}`, this.root)
    }
  }

  /**
   * A temp file of the vault to copy content into, chunk by chunk in order: written in clear at
   * the offsets the chunks take, or into the age file around them in an encrypted vault (sealed on
   * the payload worker when `onWorker`). A take that fails fails finish(); finish() waits for every
   * take; drop() lets go of everything and removes the file, and may follow a failed finish().
   */
  private async openCopy(subject: string, onWorker: boolean): Promise<OpenCopy> {
    this.checkWritable()
    const tempPath = this.tempPathFor(this.keys === undefined ? '.bin' : SEALED_EXTENSION)
    const target = await open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE)
    let closed: Promise<void> | undefined
    const close = (): Promise<void> => (closed ??= target.close())
    let sealing: SealingSink | undefined
    try {
      sealing = this.keys === undefined ? undefined : onWorker ? new WorkerSealingSink(target, this.keys.recipients) : new ThreadSealingSink(target, this.keys.recipients)
      await sealing?.start()
    } catch (error) {
      sealing?.drop()
      await close()
      await rm(tempPath, {force: true})
      throw storageError(error, `copying ${subject}`, this.root)
    }

    let size = 0
    const taking = new Set<Promise<unknown>>()
    let failure: {error: unknown} | undefined
    const settled = async (): Promise<void> => {
      await Promise.allSettled(taking)
      if (failure !== undefined) throw failure.error
    }

    return {
      size: () => size,
      take: (chunk) => {
        const at = size
        size += chunk.length
        const taken = sealing === undefined ? writeAll(target, chunk, at) : sealing.take(chunk)
        const held: Promise<unknown> = taken.then(
          () => taking.delete(held),
          (error: unknown) => {
            taking.delete(held)
            failure ??= {error}
          },
        )
        taking.add(held)
        return taken
      },
      finish: async (digests, sync) => {
        await settled()
        const stored = await sealing?.finish()
        sealing = undefined
        if (sync) await target.sync()
        await close()
        return {tempPath, digests: {sha256: digests.sha256, sha512: digests.sha512}, size, ...(stored === undefined ? {} : {stored})}
      },
      drop: async () => {
        sealing?.drop()
        sealing = undefined
        await Promise.allSettled(taking)
        await close()
        await rm(tempPath, {force: true})
      },
    }
  }

  /**
   * Whether the file at `path` is still the one staged (same size, modification time and inode):
   * in an encrypted vault ExifTool reads the source, so the pipeline asks again after it has.
   */
  async sourceUnchanged(path: string, state: BigIntStats): Promise<boolean> {
    const now = await stat(path, {bigint: true}).catch(() => undefined)
    return now !== undefined && sameFileState(state, now)
  }

  /**
   * The copy: see pumpHashed. Writes are positional, so chunks may land in any order. In an
   * encrypted vault, each chunk is encrypted as it comes and only the age file is written.
   */
  private async copyWhileHashing(
    source: FileHandle,
    tempPath: string,
    sourcePath: string,
    expectedSize: number,
    {signal, onBytes}: StageOptions,
  ): Promise<{digests: Digests; size: number; stored?: StoredForm}> {
    const target = await open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE)
    let sealing: SealingSink | undefined
    let done = false
    try {
      sealing = this.keys === undefined ? undefined : sealingSink(target, this.keys.recipients, expectedSize)
      await sealing?.start()
      const result = await pumpHashed(source, sealing?.take ?? ((chunk, offset) => writeAll(target, chunk, offset)), {
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
      const stored = await sealing?.finish()
      done = true
      await target.sync()
      return stored === undefined ? result : {...result, stored}
    } catch (error) {
      throw error instanceof CustodyError ? error : storageError(error, `copying ${sourcePath}`, this.root)
    } finally {
      if (!done) sealing?.drop()
      await target.close()
    }
  }

  /**
   * Moves a staged copy to its address, read-only, and makes the rename durable.
   * When the address already holds the object, the staged copy is dropped.
   */
  async commit(staged: ChunkStaged): Promise<{path: string; existed: boolean}> {
    const path = this.objectPath(staged.digests.sha256)
    try {
      if (staged.stored !== undefined) {
        // Encrypted: an object already there stays, and the event records it as it is stored.
        const placed = placeNewObject(staged.tempPath, path)
        if (!placed) staged.stored = await storedFormOf(path)
        else await fsyncFolder(dirname(path))
        return {path, existed: !placed}
      }

      // The metadata calls are synchronous (see placeObject); the fsync of the folder is not.
      const existing = statIfThere(path)
      if (existing?.isFile() && existing.size === (staged.stored ?? staged).size) {
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

  async discard(staged: ChunkStaged): Promise<void> {
    await rm(staged.tempPath, {force: true})
  }

  /**
   * Stores small content (a metadata record, a sealed identity) durably under its SHA-256;
   * encrypted whole to the recipients in an encrypted vault. An object already there is kept.
   */
  async putBytes(bytes: Uint8Array): Promise<{sha256: string; path: string; stored?: StoredObject}> {
    this.checkWritable()
    const sha256 = sha256Hex(bytes)
    const path = this.objectPath(sha256)
    const there = statIfThere(path)
    const stored = async (): Promise<StoredObject> => ({vault: this.recordedPath(sha256), ...(await storedFormOf(path))})
    if (there !== undefined && (this.keys === undefined ? there.size === bytes.length : there.size > 0)) {
      return this.keys === undefined ? {sha256, path} : {sha256, path, stored: await stored()}
    }

    const content = this.keys === undefined ? bytes : encryptBytes(bytes, this.keys.recipients)
    const tempPath = this.tempPathFor(this.keys === undefined ? '.json' : SEALED_EXTENSION)
    try {
      const handle = await open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE)
      try {
        await writeAll(handle, content)
        await handle.sync()
      } finally {
        await handle.close()
      }

      if (this.keys === undefined) {
        placeObject(tempPath, path)
        await fsyncFolder(dirname(path))
        return {sha256, path}
      }

      // Another run may have stored the same content meanwhile: its object stays (see placeNewObject).
      if (!placeNewObject(tempPath, path)) return {sha256, path, stored: await stored()}
      await fsyncFolder(dirname(path))
      return {sha256, path, stored: {vault: this.recordedPath(sha256), sha256: sha256Hex(content), size: content.length}}
    } catch (error) {
      await rm(tempPath, {force: true})
      throw storageError(error, `storing object ${sha256}`, this.root)
    }
  }

  /**
   * An object's plaintext as a stream of chunks, each authenticated before it is given (an
   * encrypted object's); the caller hashes it against the ledger's digests.
   */
  openObject(sha256: string): AsyncIterable<Buffer> {
    const path = this.objectPath(sha256)
    if (this.keys === undefined) return createReadStream(path, {highWaterMark: 1024 * 1024})
    return openSealed(path, this.keys.identities, path)
  }

  /**
   * An object as a source for ReadAhead (the seal's payload): its file in clear; in an encrypted
   * vault, its age file read through a decrypting reader that authenticates every chunk it gives.
   */
  readSource(sha256: string, size?: number): ReadSource {
    const path = this.objectPath(sha256)
    const sized = size === undefined ? {path} : {path, size}
    const keys = this.keys
    if (keys === undefined) return sized
    return {...sized, open: () => (keys.identities.length === 0 ? Promise.reject(identityNeeded(path)) : AgeRandomReader.open(path, keys.identities, path))}
  }

  /** Refuses work that needs the content of an encrypted vault (`what`: "sealing") when no key given opens it. */
  requireReadable(what: string): void {
    if (this.encrypted && !this.readable) {
      throw new CustodyError(
        'WRONG_KEY',
        `${what} needs the content of the vault, which is encrypted to the case's recipients, and no key given opens it (a field case holds none): give the age identity file of one of them (HQ's)`,
      )
    }
  }

  /** Whether objects can be read: always in clear; encrypted, when an identity of the case was given. */
  get readable(): boolean {
    return this.keys === undefined ? !this.encrypted : this.keys.identities.length > 0
  }

  /** A small object (a metadata record, a sealed identity) whole, decrypted, checked against its SHA-256. */
  async readObject(sha256: string): Promise<Buffer> {
    const path = this.objectPath(sha256)
    const stored = await readFile(path)
    if (this.keys !== undefined && this.keys.identities.length === 0) throw identityNeeded(path)
    const bytes = this.keys === undefined ? stored : await decryptBytes(stored, this.keys.identities, {object: path})
    if (sha256Hex(bytes) !== sha256) {
      throw new CustodyError('INTEGRITY', `${path} does not hold the object the ledger names (its SHA-256 is not ${sha256}); run \`custody verify\``, {subject: path})
    }

    return bytes
  }

  /** Re-hashes an object and compares it with what the ledger says it is. */
  async checkObject(expected: {sha256: string; size?: number; sha512?: string}): Promise<ObjectCheck> {
    const path = this.objectPath(expected.sha256)
    const algorithms = expected.sha512 === undefined ? 'sha256' : 'both'
    return compareObject(path, expected, () => (this.keys === undefined ? digestFile(path, algorithms) : digestChunks(this.openObject(expected.sha256), algorithms)))
  }

  /**
   * An object checked as well as the keys at hand allow: its content (checkObject), or, in an
   * encrypted vault without a key that opens it, its age file as stored (checkStored; `asStored`).
   * So is an object none of the identities given opens (`notForKey`): in a field case, one stored
   * before the recipient whose identity was given was added. Its age file is the one the ledger
   * records (a header edited to shut a recipient out fails that check), so it is no damage.
   */
  async checkRecorded(expected: ObjectCheck['expected'], recorded: StoredObject | undefined): Promise<ObjectCheck & {asStored: boolean; notForKey?: boolean}> {
    const stored = this.storedForm(expected.sha256, recorded)
    const asStored = stored !== undefined && !(this.keys !== undefined && this.readable)
    if (asStored) return {...(await this.checkStored(stored)), asStored}
    // An event that records no stored form names an object in clear, at its SHA-256, whatever the vault.
    if (stored === undefined && this.keys === undefined) {
      const path = join(this.root, Vault.objectRelativePath(expected.sha256))
      return {...(await compareObject(path, expected, () => digestFile(path, expected.sha512 === undefined ? 'sha256' : 'both'))), asStored}
    }

    const checked = await this.checkObject(expected)
    if (checked.wrongKey === true && stored !== undefined) return {...(await this.checkStored(stored)), asStored: true, notForKey: true}
    return {...checked, asStored}
  }

  /**
   * An encrypted object checked as stored, without a key: its age file present, of the size and
   * SHA-256 the ledger recorded. Its content (the plaintext's digests) needs a key: checkObject.
   */
  checkStored(stored: StoredObject): Promise<ObjectCheck> {
    const path = join(dirname(this.root), stored.vault)
    return compareObject(path, {sha256: stored.sha256, size: stored.size}, () => digestFile(path, 'sha256'))
  }

  /**
   * Every object address in the vault (`prefix/name`), sorted, read a folder at a time: for
   * finding objects the ledger does not know.
   */
  async *eachObject(): AsyncGenerator<string> {
    const top = this.objectsFolder
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

/** An object's digests, as `read` gives them, compared with what the ledger expects of it. */
async function compareObject(path: string, expected: ObjectCheck['expected'], read: () => Promise<Digests & {size: number}>): Promise<ObjectCheck> {
  const base = {sha256: expected.sha256, path, expected}
  let actual: Digests & {size: number}
  try {
    actual = await read()
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return {...base, status: 'missing'}
    // An age file that is not intact (a chunk changed, cut short, a header edited) is refused as it is read.
    if (error instanceof CustodyError && error.code === 'INTEGRITY') return {...base, status: 'modified', detail: error.message}
    if (error instanceof CustodyError && error.code === 'WRONG_KEY') return {...base, status: 'unreadable', detail: error.message, wrongKey: true}
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

function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return errnoOf(error) === 'EPERM'
  }
}
