/**
 * The age payload sealed on a worker thread: the ChaCha20-Poly1305 of each chunk (RFC 7539 §2.8)
 * and the SHA-256 of the file it makes, beside the thread that reads, hashes and writes. Large
 * files are encrypted this way into the vault (src/vault/sealed-objects.ts): on one thread, the
 * encryption and the hash of what is written were most of what made an encrypted ingest slower
 * than one in clear (README, "Speed", row j).
 *
 * Only the cipher runs in the worker. The STREAM's framing (which bytes make each chunk, its
 * counter, the final flag) is PayloadFramer's, on the caller's thread, and each chunk goes to the
 * worker with its nonce: the worker cannot put chunks out of order, and seals them in the order
 * given, one message at a time, each message's chunks into one buffer that is moved (not copied)
 * back. Plaintext in shared memory (the hash pump's) is read in place; a chunk the framer held back
 * is moved; any other is copied first.
 */
import type {Transferable} from 'node:worker_threads'
import {WorkerThread} from '../io/worker-thread.js'
import type {AgeFileStart} from './encrypt.js'
import {TAG_SIZE} from './key-wrap.js'
import {PayloadFramer, type FramedChunk} from './payload.js'

// Plain JavaScript evaluated in the worker (src/io/worker-thread.ts).
const WORKER_SOURCE = `
const {parentPort} = require('node:worker_threads')
const {createCipheriv, createHash, createSecretKey} = require('node:crypto')
const TAG_SIZE = ${TAG_SIZE}
const jobs = new Map()
function seal(job, chunks) {
  let size = 0
  for (const chunk of chunks) size += chunk.length + TAG_SIZE
  const sealed = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    const cipher = createCipheriv('chacha20-poly1305', job.key, chunk.nonce, {authTagLength: TAG_SIZE})
    sealed.set(cipher.update(new Uint8Array(chunk.buffer, chunk.offset, chunk.length)), at)
    cipher.final()
    sealed.set(cipher.getAuthTag(), at + chunk.length)
    at += chunk.length + TAG_SIZE
  }
  job.hash.update(sealed)
  return sealed
}
parentPort.on('message', (m) => {
  if (m.type === 'start') {
    jobs.set(m.job, {key: createSecretKey(m.key), hash: createHash('sha256').update(m.head)})
    m.key.fill(0)
  } else if (m.type === 'drop') {
    jobs.delete(m.job)
  } else if (m.type === 'seal') {
    const key = m.job + ':' + m.seq
    try {
      const job = jobs.get(m.job)
      if (job === undefined) throw new Error('no file ' + m.job + ' is being sealed')
      const sealed = seal(job, m.chunks)
      let sha256
      if (m.last) {
        sha256 = job.hash.digest('hex')
        jobs.delete(m.job)
      }
      parentPort.postMessage({key, value: {sealed, sha256}}, [sealed.buffer])
    } catch (error) {
      parentPort.postMessage({key, error: String(error instanceof Error ? error.message : error)})
    }
  }
})
`

/** Sealed payload bytes: how many (known at once, so that the caller can place them) and, once the worker is done, the bytes. */
export interface SealedPiece<T> {
  readonly size: number
  readonly sealed: Promise<T>
}

/** The end of a file: its last bytes, and the SHA-256 of the whole file (its head included). */
export interface SealedEnd {
  readonly sealed: Buffer
  readonly sha256: string
}

interface SealReply {
  sealed: Uint8Array
  sha256?: string
}

export class PayloadWorker implements AsyncDisposable {
  private static instance: PayloadWorker | undefined
  private readonly thread: WorkerThread
  private nextJob = 1

  private constructor() {
    this.thread = new WorkerThread(WORKER_SOURCE, 'encryption worker', () => {
      if (PayloadWorker.instance === this) PayloadWorker.instance = undefined
    })
  }

  /** The worker every file being sealed shares (each is a job). */
  static shared(): PayloadWorker {
    PayloadWorker.instance ??= new PayloadWorker()
    return PayloadWorker.instance
  }

  /**
   * A sealer of the payload of the file `start` begins. The caller writes `start.head` itself; the
   * worker hashes it first, so that the SHA-256 given at the end is the whole file's. The payload
   * key is copied to the worker and zeroed here.
   */
  sealer(start: AgeFileStart): WorkerPayloadSealer {
    const job = this.nextJob++
    const key = new Uint8Array(start.payloadKey)
    start.payloadKey.fill(0)
    this.thread.post({type: 'start', job, key, head: new Uint8Array(start.head)})
    key.fill(0)
    return new WorkerPayloadSealer(this.thread, job)
  }

  /** Ends the thread (files still being sealed fail); the next shared() starts another. For tests. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (PayloadWorker.instance === this) PayloadWorker.instance = undefined
    await this.thread.end()
  }
}

/** One file's payload, sealed in the worker: fed plaintext in order, as PayloadSealer is. */
export class WorkerPayloadSealer {
  private readonly framer = new PayloadFramer()
  private readonly thread: WorkerThread
  private readonly job: number
  private seq = 0

  constructor(thread: WorkerThread, job: number) {
    this.thread = thread
    this.job = job
  }

  /**
   * The sealed chunks that `plaintext` completes, in one buffer (possibly empty). `plaintext` may
   * be reused once `sealed` settles: the worker has read it then.
   */
  update(plaintext: Uint8Array): SealedPiece<Buffer> {
    const chunks = this.framer.update(plaintext)
    if (chunks.length === 0) return {size: 0, sealed: Promise.resolve(Buffer.alloc(0))}
    const {size, sealed} = this.send(chunks, false)
    return {size, sealed: sealed.then((reply) => bufferOf(reply.sealed))}
  }

  /** The final chunk, and the SHA-256 of the whole file. */
  final(): SealedPiece<SealedEnd> {
    const {size, sealed} = this.send([this.framer.final()], true)
    return {size, sealed: sealed.then((reply) => ({sealed: bufferOf(reply.sealed), sha256: reply.sha256 ?? ''}))}
  }

  /** Forgets the file in the worker (a copy that failed); harmless once final() has been asked. */
  drop(): void {
    this.thread.post({type: 'drop', job: this.job})
  }

  private send(chunks: readonly FramedChunk[], last: boolean): SealedPiece<SealReply> {
    const transfer: Transferable[] = []
    const described = chunks.map((chunk) => describe(chunk, transfer))
    const size = chunks.reduce((total, chunk) => total + chunk.plaintext.length + TAG_SIZE, 0)
    const seq = this.seq++
    const sealed = this.thread.request<SealReply>(`${this.job}:${seq}`, {type: 'seal', job: this.job, seq, last, chunks: described}, transfer)
    return {size, sealed}
  }
}

/** A chunk as the worker reads it: shared memory in place, memory the chunk owns moved, anything else copied. */
function describe(chunk: FramedChunk, transfer: Transferable[]): {buffer: ArrayBufferLike; offset: number; length: number; nonce: Uint8Array} {
  let view = chunk.plaintext
  if (view.buffer instanceof ArrayBuffer) {
    if (!chunk.owned) view = new Uint8Array(view)
    transfer.push(view.buffer as ArrayBuffer)
  }

  // The nonce in its own 12 bytes: a Buffer may be a view of a shared pool, all of which a message would copy.
  return {buffer: view.buffer, offset: view.byteOffset, length: view.length, nonce: new Uint8Array(chunk.nonce)}
}

function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
}
