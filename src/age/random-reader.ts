/**
 * An age v1 file read at any plaintext position, for a ZIP inside it (`custody verify
 * FILE.zip.age`): nothing decrypted is written to disk.
 *
 * The STREAM payload (age §"Payload") allows it: chunk i holds plaintext bytes from i × 64 KiB, is
 * sealed at ciphertext offset payloadStart + i × (64 KiB + 16), and its nonce is i as an 11-byte
 * big-endian counter with a last byte of 1 only for the final chunk. Every read decrypts and
 * authenticates each chunk it touches (a few are kept, decrypted, for the small reads of a ZIP's
 * structure), so a changed byte fails the read of its chunk. What a stream learns at its end is
 * checked on open instead: the last chunk must open as the final one (a file cut at a chunk
 * boundary, or with bytes added, is refused before anything is read), and may be empty only when
 * the whole payload is.
 *
 * A large read into shared memory (the read-ahead's buffers, as verify's hashing and the seal's
 * reads use) has its chunks opened on a worker thread (open-worker.ts), under the same rules, the
 * plaintext written straight into the caller's memory: the main thread reads the sealed bytes,
 * into shared memory reused from read to read, and hashes.
 */
import {createSecretKey, type KeyObject} from 'node:crypto'
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'
import {CustodyError} from '../errors.js'
import {CHUNK_SIZE as READ_SIZE} from '../hashing/digests.js'
import {readAt} from '../io/files.js'
import type {RandomAccess} from '../io/random-access.js'
import {findHeaderEnd, parseHeader} from './header.js'
import {TAG_SIZE} from './key-wrap.js'
import {OpenWorker} from './open-worker.js'
import {openChunk} from './payload-opener.js'
import {CHUNK_SIZE, PAYLOAD_NONCE_SIZE, SEALED_CHUNK_SIZE, payloadKeyBytes} from './payload.js'
import {damaged} from './refusals.js'
import {unwrapFileKey, type AgeKey} from './unwrap.js'

/** Bytes read to find the header: the whole of any header header.ts accepts, and one byte more. */
const HEADER_READ = 1024 * 1024 + 1
/** Bytes read first to find the header: most headers end within them. */
const FIRST_HEADER_READ = 16 * 1024
/** Decrypted chunks kept for the next reads. */
const KEPT_CHUNKS = 8
/** From this many bytes, a read into shared memory is opened on the worker: a message there and back costs more than opening a chunk or two. */
const WORKER_READ_BYTES = 4 * CHUNK_SIZE
/** Shared memory for the sealed chunks of a read-ahead's read (1 MiB, at any offset: 17 chunks), reused: it is slow to allocate and freed late. */
const SEALED_SLOT = (READ_SIZE / CHUNK_SIZE + 1) * SEALED_CHUNK_SIZE
const freeSealed: SharedArrayBuffer[] = []

function takeSealed(length: number): SharedArrayBuffer {
  return length <= SEALED_SLOT ? (freeSealed.pop() ?? new SharedArrayBuffer(SEALED_SLOT)) : new SharedArrayBuffer(length)
}

function giveSealed(memory: SharedArrayBuffer): void {
  if (memory.byteLength === SEALED_SLOT && freeSealed.length < 8) freeSealed.push(memory)
}

/** The STREAM nonce of chunk `index` (§"Payload"): the counter in bytes 0–10, the final flag in byte 11. */
export function chunkNonce(index: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12)
  nonce.writeUIntBE(index, 5, 6)
  nonce[11] = last ? 1 : 0
  return nonce
}

function readFullySync(fd: number, buffer: Buffer, position: number): number {
  let done = 0
  while (done < buffer.length) {
    const n = readSync(fd, buffer, done, buffer.length - done, position + done)
    if (n === 0) break
    done += n
  }

  return done
}

/** As readFullySync, on libuv's pool: opening is not a wait of this thread (a vault object not in the page cache is a read from the disk). */
async function readFully(fd: number, buffer: Buffer, position: number): Promise<number> {
  let done = 0
  while (done < buffer.length) {
    const n = await readAt(fd, buffer, done, buffer.length - done, position + done)
    if (n === 0) break
    done += n
  }

  return done
}

/**
 * The header of the file open as `fd`: found in its first FIRST_HEADER_READ bytes (a
 * header to a few recipients takes a few hundred), else in as many as any header may take. Reading
 * a MiB to find it made opening each object of a vault read it whole, once more, on this thread.
 */
async function readHeader(fd: number, fileSize: number, object: string): Promise<Buffer> {
  for (const size of [FIRST_HEADER_READ, HEADER_READ]) {
    const head = Buffer.allocUnsafe(Math.min(size, fileSize))
    const got = head.subarray(0, await readFully(fd, head, 0))
    if (got.length === 0) throw damaged(object, 'it is empty')
    const end = findHeaderEnd(got, object)
    if (end !== undefined) return got.subarray(0, end)
    if (got.length === fileSize) break
  }

  throw damaged(object, 'it ends inside its header')
}

/** The payload's layout, from the file's size and where the payload starts. */
interface Layout {
  payloadStart: number
  chunks: number
  /** The final chunk's sealed size (its plaintext and tag). */
  lastSealed: number
  size: number
}

function layoutOf(fileSize: number, payloadStart: number, object: string): Layout {
  const payload = fileSize - payloadStart
  if (payload <= 0) throw damaged(object, 'it ends after its header and payload nonce: the payload has no chunk (the file was cut short)')
  const chunks = Math.ceil(payload / SEALED_CHUNK_SIZE)
  const lastSealed = payload - (chunks - 1) * SEALED_CHUNK_SIZE
  if (lastSealed < TAG_SIZE) throw damaged(object, `it ends ${lastSealed} bytes into chunk ${chunks - 1}, too short to hold its tag: the file was cut short`)
  if (lastSealed === TAG_SIZE && chunks > 1) throw damaged(object, `its final chunk, chunk ${chunks - 1}, is empty, which age allows only for an empty file`)
  return {payloadStart, chunks, lastSealed, size: payload - chunks * TAG_SIZE}
}

export class AgeRandomReader implements RandomAccess {
  readonly size: number
  /** Each read opens whole chunks. */
  readonly block = CHUNK_SIZE
  private readonly kept = new Map<number, Buffer>()
  private readonly key: KeyObject
  /** The payload key's bytes until the worker is given them (then zeroed), and the file's number there. */
  private workerKey: Buffer | undefined
  private worker: {thread: OpenWorker; file: number} | undefined

  private constructor(
    private readonly fd: number,
    keyBytes: Buffer,
    private readonly layout: Layout,
    private readonly object: string,
  ) {
    this.size = layout.size
    this.key = createSecretKey(keyBytes)
    this.workerKey = keyBytes
  }

  /**
   * Opens the age file `path` with `keys`: its header, the file key (WRONG_KEY when none opens
   * it), and its final chunk (INTEGRITY when the file is not whole). `object` names it in errors.
   */
  static async open(path: string, keys: readonly AgeKey[], object = path): Promise<AgeRandomReader> {
    const fd = openSync(path, 'r')
    try {
      const fileSize = fstatSync(fd).size
      const header = await readHeader(fd, fileSize, object)
      const end = header.length
      const fileKey = await unwrapFileKey(parseHeader(header, object), keys, object)
      const payloadStart = end + PAYLOAD_NONCE_SIZE
      if (fileSize < payloadStart) throw damaged(object, 'it ends before its 16-byte payload nonce: the file was cut short after its header')
      const nonce = Buffer.alloc(PAYLOAD_NONCE_SIZE)
      await readFully(fd, nonce, end)
      const reader = new AgeRandomReader(fd, payloadKeyBytes(fileKey, nonce), layoutOf(fileSize, payloadStart, object), object)
      await reader.checkFinal()
      return reader
    } catch (error) {
      closeSync(fd)
      throw error
    }
  }

  /** The last chunk must open as the final one: otherwise the file was cut at a chunk boundary, or changed at its end. */
  private async checkFinal(): Promise<void> {
    const index = this.layout.chunks - 1
    const sealed = this.sealedSpan(index, index)
    await this.readSealed(sealed.buffer, sealed.position)
    const plaintext = this.open(sealed.buffer, index, true)
    if (plaintext !== undefined) {
      // Kept: the ZIP's end records are read first, from this chunk.
      this.keep(index, plaintext)
      return
    }

    if (sealed.buffer.length === SEALED_CHUNK_SIZE && this.open(sealed.buffer, index, false) !== undefined) {
      throw damaged(this.object, `it ends after chunk ${index} (${this.where(index)}), which is not its final chunk: the file was cut short at a chunk boundary`)
    }

    throw damaged(this.object, `its last chunk, chunk ${index} (${this.where(index)}), does not authenticate: bytes in it were changed, cut off or added`)
  }

  readAtSync(buffer: Uint8Array, offset: number, length: number, position: number): number {
    const wanted = this.missing(length, position)
    let opened: Map<number, Buffer> | undefined
    if (wanted !== undefined) {
      const sealed = this.sealedSpan(wanted.first, wanted.last)
      if (readFullySync(this.fd, sealed.buffer, sealed.position) !== sealed.buffer.length) throw this.changedUnderfoot()
      opened = this.openSpan(sealed.buffer, wanted.first, wanted.last)
    }

    return this.copyOut(buffer, offset, length, position, opened)
  }

  async readAt(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    const wanted = this.missing(length, position)
    if (wanted !== undefined && buffer.buffer instanceof SharedArrayBuffer && Math.min(this.size, position + length) - position >= WORKER_READ_BYTES) {
      return this.readOnWorker(buffer, offset, length, position)
    }

    let opened: Map<number, Buffer> | undefined
    if (wanted !== undefined) {
      const sealed = this.sealedSpan(wanted.first, wanted.last)
      await this.readSealed(sealed.buffer, sealed.position)
      opened = this.openSpan(sealed.buffer, wanted.first, wanted.last)
    }

    return this.copyOut(buffer, offset, length, position, opened)
  }

  close(): void {
    this.kept.clear()
    this.workerKey?.fill(0)
    if (this.worker !== undefined) this.worker.thread.forget(this.worker.file)
    closeSync(this.fd)
  }

  /**
   * A large read into shared memory: the sealed chunks it touches read into shared memory, and
   * opened on the worker, which writes the plaintext into `buffer` (whose bytes are then the
   * read's only if it resolves). A chunk that does not authenticate fails the read, as on this thread.
   */
  private async readOnWorker(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    const end = Math.min(this.size, position + length)
    const first = Math.floor(position / CHUNK_SIZE)
    const span = this.spanOf(first, Math.floor((end - 1) / CHUNK_SIZE))
    const memory = takeSealed(span.length)
    try {
      await this.readSealed(Buffer.from(memory, 0, span.length), span.position)
      const worker = this.onWorker()
      const out = {memory: buffer.buffer as SharedArrayBuffer, offset: buffer.byteOffset + offset}
      const bad = await worker.thread.read(worker.file, {sealed: {memory, offset: 0, length: span.length}, first, skip: position - first * CHUNK_SIZE, out, length: end - position})
      if (bad >= 0) throw this.notAuthentic(bad)
      return end - position
    } finally {
      giveSealed(memory)
    }
  }

  /** The worker, given this file's payload key the first time. */
  private onWorker(): {thread: OpenWorker; file: number} {
    if (this.worker === undefined) {
      const thread = OpenWorker.shared()
      this.worker = {thread, file: thread.file(this.workerKey!, this.layout.chunks - 1)}
      this.workerKey = undefined
    }

    return this.worker
  }

  /** Fills `buffer` from `position` of the file: fewer bytes mean the file became shorter. */
  private async readSealed(buffer: Buffer, position: number): Promise<void> {
    if ((await readFully(this.fd, buffer, position)) !== buffer.length) throw this.changedUnderfoot()
  }

  /** The chunks a read needs that are not kept decrypted: from the first missing to the last missing. */
  private missing(length: number, position: number): {first: number; last: number} | undefined {
    if (!Number.isSafeInteger(position) || position < 0 || length < 0) throw new CustodyError('INTERNAL', `expected a read within ${this.object}, got ${length} bytes at ${position}`)
    const end = Math.min(this.size, position + length)
    if (end <= position) return undefined
    const needed: number[] = []
    for (let i = Math.floor(position / CHUNK_SIZE); i <= Math.floor((end - 1) / CHUNK_SIZE); i++) if (!this.kept.has(i)) needed.push(i)
    return needed.length === 0 ? undefined : {first: needed[0]!, last: needed[needed.length - 1]!}
  }

  /** Where chunks `first` to `last` lie in the file. */
  private spanOf(first: number, last: number): {position: number; length: number} {
    const position = this.layout.payloadStart + first * SEALED_CHUNK_SIZE
    const length = last === this.layout.chunks - 1 ? (last - first) * SEALED_CHUNK_SIZE + this.layout.lastSealed : (last - first + 1) * SEALED_CHUNK_SIZE
    return {position, length}
  }

  /** Where chunks `first` to `last` lie in the file, and a buffer to read them into. */
  private sealedSpan(first: number, last: number): {buffer: Buffer; position: number} {
    const {position, length} = this.spanOf(first, last)
    return {buffer: Buffer.allocUnsafe(length), position}
  }

  /** Opens each chunk of a span read from the file, and keeps it; a chunk that does not authenticate fails the read. */
  private openSpan(sealed: Buffer, first: number, last: number): Map<number, Buffer> {
    const opened = new Map<number, Buffer>()
    for (let index = first; index <= last; index++) {
      const from = (index - first) * SEALED_CHUNK_SIZE
      const chunk = sealed.subarray(from, Math.min(sealed.length, from + SEALED_CHUNK_SIZE))
      const plaintext = this.open(chunk, index, index === this.layout.chunks - 1)
      if (plaintext === undefined) throw this.notAuthentic(index)
      opened.set(index, plaintext)
      this.keep(index, plaintext)
    }

    return opened
  }

  private keep(index: number, plaintext: Buffer): void {
    this.kept.delete(index)
    this.kept.set(index, plaintext)
    while (this.kept.size > KEPT_CHUNKS) this.kept.delete(this.kept.keys().next().value!)
  }

  /**
   * Copies a read's bytes out of the chunks it opened and those kept. Another read may have
   * pushed a chunk out of the cache meanwhile (reads run concurrently): it is opened again.
   */
  private copyOut(buffer: Uint8Array, offset: number, length: number, position: number, opened: Map<number, Buffer> | undefined): number {
    const end = Math.min(this.size, position + length)
    let at = position
    while (at < end) {
      const index = Math.floor(at / CHUNK_SIZE)
      let plaintext = opened?.get(index) ?? this.kept.get(index)
      if (plaintext === undefined) {
        const sealed = this.sealedSpan(index, index)
        if (readFullySync(this.fd, sealed.buffer, sealed.position) !== sealed.buffer.length) throw this.changedUnderfoot()
        plaintext = this.openSpan(sealed.buffer, index, index).get(index)!
      }

      const from = at - index * CHUNK_SIZE
      const take = Math.min(plaintext.length - from, end - at)
      buffer.set(plaintext.subarray(from, from + take), offset + (at - position))
      at += take
    }

    return Math.max(0, end - position)
  }

  private open(chunk: Buffer, index: number, last: boolean): Buffer | undefined {
    return openChunk(this.key, chunkNonce(index, last), chunk)
  }

  private notAuthentic(index: number): CustodyError {
    return damaged(this.object, `chunk ${index} (${this.where(index)}) does not authenticate: a byte in it changed, or chunks were moved`)
  }

  private where(index: number): string {
    return `from byte ${this.layout.payloadStart + index * SEALED_CHUNK_SIZE} of the file`
  }

  private changedUnderfoot(): CustodyError {
    return damaged(this.object, 'it became shorter while it was being read')
  }
}
