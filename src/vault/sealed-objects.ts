/**
 * The encrypted vault's side of an object (issue 19, docs/design/encryption-at-rest.md, "Vault
 * objects"): where it lives, how it is written and how it is read back.
 *
 * An object of an encrypted case is an age v1 file, encrypted to every recipient of the case, at
 * `objects/<2 hex>/<64 hex>.age`, the hex being HMAC-SHA-256 under the case's address key of the
 * plaintext's SHA-256 (its raw 32 bytes). No file name is a plaintext digest: whoever holds the
 * disk cannot confirm that a photo they have is in the case without the address key. Anyone with
 * an identity of the case opens an object with the standard tool: `age -d -i IDENTITY OBJECT`.
 *
 * Written as the plaintext is read (one pass: plaintext digests, the age stream and the digest of
 * what lands on disk); read back through `createDecryptStream`, which authenticates every chunk,
 * and hashed again against the ledger's digests, so that an object swapped for another of the same
 * case (which would decrypt) is refused too.
 */
import {createHash, createHmac, type Hash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import type {FileHandle} from 'node:fs/promises'
import {basename} from 'node:path'
import {pipeline} from 'node:stream'
import {createDecryptStream} from '../age/decrypt.js'
import {AgeEncryptor, startFileToRecipients} from '../age/encrypt.js'
import {PayloadWorker, type WorkerPayloadSealer} from '../age/payload-worker.js'
import type {AgeIdentity, AgeRecipient} from '../age/x25519.js'
import {CustodyError} from '../errors.js'
import {HEX64} from '../formats/guards.js'
import {PARALLEL_HASH_BYTES} from '../hashing/pump.js'
import {writeAll, writeAllPieces} from '../io/files.js'

/** What an encrypted vault needs: the keys of the case, once it is unlocked. */
export interface VaultKeys {
  /** Keys content addresses (and nothing else): HMAC-SHA-256 of an object's plaintext SHA-256. */
  readonly addressKey: Uint8Array
  /** Every object is encrypted to each of these (the case identity's recipient and HQ's). */
  readonly recipients: readonly AgeRecipient[]
  /** What opens objects; none in field mode unless a recipient's identity was given. */
  readonly identities: readonly AgeIdentity[]
}

/** The SHA-256 and size of an object as it is stored (its age file): checkable without a key. */
export interface StoredForm {
  readonly sha256: string
  readonly size: number
}

export const SEALED_FOLDER = 'objects'
export const SEALED_EXTENSION = '.age'

/** `objects/<2 hex>/<HMAC-SHA-256(address key, sha256)>.age`, relative to the vault's root. */
export function sealedRelativePath(addressKey: Uint8Array, sha256: string): string {
  if (!HEX64.test(sha256)) throw new CustodyError('INVALID_ARGUMENT', `expected a SHA-256 in lower-case hex, got ${JSON.stringify(sha256)}`)
  const address = createHmac('sha256', addressKey).update(Buffer.from(sha256, 'hex')).digest('hex')
  return `${SEALED_FOLDER}/${address.slice(0, 2)}/${address}${SEALED_EXTENSION}`
}

/** The keyed address of an object as stored (its file name without `.age`): what the vault lists it by. */
export function addressOf(stored: {vault: string}): string {
  return basename(stored.vault, SEALED_EXTENSION)
}

/**
 * A sink for `pumpHashed` that encrypts each plaintext chunk to the recipients as it comes and
 * writes the age file from its first byte, hashing what it writes. Pieces are written at the
 * offsets they take in the file (known as each chunk is taken, in order), so writes may overlap in
 * time as the pump's do. The promise of a chunk settles once it is written: its memory is free.
 */
export interface SealingSink {
  /** The header: written before the first chunk. */
  start(): Promise<unknown>
  /** Called synchronously in plaintext order. */
  readonly take: (chunk: Buffer) => Promise<unknown>
  /** The final chunk, then the SHA-256 and size of the whole age file: once every take has settled. */
  finish(): Promise<StoredForm>
  /** Lets go of what a copy that failed holds (nothing on disk: the caller removes the file). */
  drop(): void
}

/**
 * From this size up, an object is sealed on the payload worker (src/age/payload-worker.ts), beside
 * the threads that hash it: the size from which the hash pump gives a file's chunks in shared
 * memory, which the worker reads in place. A smaller file is sealed here: a batch of photos keeps
 * both cores busy already, and a message to the worker and back costs more than a photo's encryption.
 */
export const WORKER_SEAL_BYTES = PARALLEL_HASH_BYTES

/** The sink that seals a file of `expectedSize` bytes into `target`, on this thread or on the worker. */
export function sealingSink(target: FileHandle, recipients: readonly AgeRecipient[], expectedSize: number): SealingSink {
  return expectedSize >= WORKER_SEAL_BYTES ? new WorkerSealingSink(target, recipients) : new ThreadSealingSink(target, recipients)
}

/** Sealed and hashed on this thread. */
export class ThreadSealingSink implements SealingSink {
  private readonly encryptor: AgeEncryptor
  private readonly target: FileHandle
  private readonly written: Hash = createHash('sha256')
  private position = 0

  constructor(target: FileHandle, recipients: readonly AgeRecipient[]) {
    this.encryptor = AgeEncryptor.toRecipients(recipients)
    this.target = target
  }

  start(): Promise<unknown> {
    return this.write([this.encryptor.head])
  }

  readonly take = (chunk: Buffer): Promise<unknown> => this.write(this.encryptor.update(chunk))

  async finish(): Promise<StoredForm> {
    await this.write(this.encryptor.final())
    return {sha256: this.written.digest('hex'), size: this.position}
  }

  drop(): void {}

  private write(pieces: readonly Buffer[]): Promise<unknown> {
    const at = this.position
    for (const piece of pieces) {
      this.written.update(piece)
      this.position += piece.length
    }

    return writeAllPieces(this.target, pieces, at)
  }
}

/**
 * Sealed, and the file hashed, on the payload worker, which gives each sealed piece to be written
 * at its offset. The SHA-256 is of the bytes the worker gave to be written, head included.
 */
export class WorkerSealingSink implements SealingSink {
  private readonly head: Buffer
  private readonly sealer: WorkerPayloadSealer
  private readonly target: FileHandle

  constructor(target: FileHandle, recipients: readonly AgeRecipient[]) {
    const start = startFileToRecipients(recipients)
    this.head = start.head
    this.target = target
    this.sealer = PayloadWorker.shared().sealer(start, (bytes, at) => writeAll(target, bytes, at))
  }

  start(): Promise<unknown> {
    return writeAll(this.target, this.head, 0)
  }

  readonly take = (chunk: Buffer): Promise<unknown> => this.sealer.update(chunk)

  finish(): Promise<StoredForm> {
    return this.sealer.final()
  }

  drop(): void {
    this.sealer.drop()
  }
}

/** An object's plaintext, decrypted and authenticated chunk by chunk as it is read. */
export function openSealed(path: string, identities: readonly AgeIdentity[], object: string): AsyncIterable<Buffer> {
  if (identities.length === 0) throw identityNeeded(object)
  const plaintext = createDecryptStream(identities, {object})
  // pipeline, not pipe: a file that cannot be read (deleted) fails the reader with its error
  // (ENOENT: the object is missing), where pipe left the error unheard and the reader waiting.
  pipeline(createReadStream(path, {highWaterMark: 1024 * 1024}), plaintext, () => {})
  return plaintext
}

/** What no key on this machine opens: in field mode, only a recipient's identity does. */
export function identityNeeded(object: string): CustodyError {
  return new CustodyError(
    'WRONG_KEY',
    `${object} is encrypted to the case's recipients and no key given opens it: give the age identity file of one of them (HQ's)`,
    {subject: object},
  )
}
