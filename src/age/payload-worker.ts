/**
 * The age payload sealed on a worker thread: the ChaCha20-Poly1305 of each chunk (RFC 7539 §2.8)
 * and the SHA-256 of the file it makes, beside the thread that reads, hashes and writes. Large
 * files are encrypted this way into the vault (src/vault/sealed-objects.ts): on one thread, the
 * encryption and the hash of what is written were most of what made an encrypted ingest slower
 * than one in clear (README, "Speed", row j).
 *
 * Only the cipher and the hash run in the worker. The STREAM's framing (which bytes make each
 * chunk, its counter, the final flag) is PayloadFramer's, on the caller's thread, and each chunk
 * goes to the worker with its nonce: the worker cannot put chunks out of order, and seals and
 * hashes them in the order given, one message at a time. Each piece sealed is written at the
 * offset the framing gave it, so writes may finish in any order. Plaintext in shared memory (the
 * hash pump's) is read in place, any other copied as it is posted; sealed bytes come back in
 * slots of shared memory, reused once written, so that a large file allocates nothing per chunk.
 */
import {CHUNK_SIZE as READ_SIZE} from '../hashing/digests.js'
import {WorkerThread} from '../io/worker-thread.js'
import {startFileToRecipients, type AgeFileStart} from './encrypt.js'
import {TAG_SIZE} from './key-wrap.js'
import {CHUNK_SIZE, PayloadFramer, SEALED_CHUNK_SIZE, type FramedChunk} from './payload.js'
import type {AgeRecipient} from './x25519.js'

// Plain JavaScript evaluated in the worker (src/io/worker-thread.ts). A message's chunks are sealed
// into `out` (shared memory the caller gave) when it is given, else into a new buffer moved back.
const WORKER_SOURCE = `
const {parentPort} = require('node:worker_threads')
const {createCipheriv, createHash, createSecretKey} = require('node:crypto')
const TAG_SIZE = ${TAG_SIZE}
const jobs = new Map()
function seal(job, m) {
  let size = 0
  for (const length of m.lengths) size += length + TAG_SIZE
  const sealed = m.out === undefined ? new Uint8Array(size) : new Uint8Array(m.out, m.outOffset, size)
  let at = 0
  for (let i = 0; i < m.lengths.length; i++) {
    const cipher = createCipheriv('chacha20-poly1305', job.key, m.nonces.subarray(i * 12, i * 12 + 12), {authTagLength: TAG_SIZE})
    sealed.set(cipher.update(new Uint8Array(m.buffers[i], m.offsets[i], m.lengths[i])), at)
    cipher.final()
    sealed.set(cipher.getAuthTag(), at + m.lengths[i])
    at += m.lengths[i] + TAG_SIZE
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
      const sealed = seal(job, m)
      const sha256 = m.last ? job.hash.digest('hex') : undefined
      if (m.last) jobs.delete(m.job)
      if (m.out === undefined) parentPort.postMessage({key, value: {sealed, sha256}}, [sealed.buffer])
      else parentPort.postMessage({key, value: {sha256}})
    } catch (error) {
      parentPort.postMessage({key, error: String(error instanceof Error ? error.message : error)})
    }
  }
})
`

/** Writes `bytes` at offset `at` of the file; settles once they are written (their memory is free again). */
export type PieceWriter = (bytes: Buffer, at: number) => Promise<unknown>

/**
 * A file encrypted to `recipients` on the worker: its head, to write first, and the sealer of
 * what follows it (one file: the payload key is handed to the worker, and zeroed, by the first
 * sealer made). What the ZIP writer takes to encrypt an archive as it writes it.
 */
export function encryptionOnWorker(recipients: readonly AgeRecipient[]): {head: Buffer; sealer: (write: PieceWriter) => WorkerPayloadSealer} {
  const start = startFileToRecipients(recipients)
  return {head: start.head, sealer: (write) => PayloadWorker.shared().sealer(start, write, ARCHIVE_OUT_SLOTS)}
}

/** The end of a file: the SHA-256 of the whole file (its head included), and its size. */
export interface SealedFile {
  readonly sha256: string
  readonly size: number
}

interface SealReply {
  sealed?: Uint8Array
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
   * A sealer of the payload of the file `start` begins, writing through `write` from the end of
   * the head. The caller writes `start.head` itself; the worker hashes it first, so that the SHA-256
   * given at the end is the whole file's. The payload key is copied to the worker and zeroed here.
   * `slots`: how many pieces sealed may wait for their writes before the next gets new memory.
   */
  sealer(start: AgeFileStart, write: PieceWriter, slots = OUT_SLOTS): WorkerPayloadSealer {
    const job = this.nextJob++
    const key = new Uint8Array(start.payloadKey)
    start.payloadKey.fill(0)
    this.thread.post({type: 'start', job, key, head: new Uint8Array(start.head)})
    key.fill(0)
    return new WorkerPayloadSealer(this.thread, job, write, start.head.length, slots)
  }

  /** Ends the thread (files still being sealed fail); the next shared() starts another. For tests. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (PayloadWorker.instance === this) PayloadWorker.instance = undefined
    await this.thread.end()
  }
}

/**
 * Where the worker puts sealed bytes: slots of shared memory, each free again once its bytes are
 * written. A slot holds what a 1 MiB read completes (16 chunks, and one held back before it); a
 * message that finds no free slot large enough gets new memory, moved back.
 */
const OUT_SLOTS = 4
/**
 * An archive's: one stream of pieces whose writes queue behind the disk (the ZIP writer lets 32
 * run). With 4 slots, half the pieces of a 1 GiB transfer package found none free, and the new
 * memory of each (1 MiB, moved back) kept the main thread's garbage collector busy.
 */
const ARCHIVE_OUT_SLOTS = 16
const OUT_SLOT_SIZE = (READ_SIZE / CHUNK_SIZE + 1) * SEALED_CHUNK_SIZE
/** Shared memory is slow to allocate and late to be freed: kept for the next file (by its number of slots). */
const freeOut = new Map<number, SharedArrayBuffer[]>()

/** One file's payload, sealed in the worker and written in place: fed plaintext in order, as PayloadSealer is. */
export class WorkerPayloadSealer {
  private readonly framer = new PayloadFramer()
  private readonly thread: WorkerThread
  private readonly job: number
  private readonly write: PieceWriter
  private readonly out: SharedArrayBuffer
  private readonly slotBusy: boolean[]
  private position: number
  private seq = 0

  constructor(thread: WorkerThread, job: number, write: PieceWriter, position: number, slots = OUT_SLOTS) {
    this.thread = thread
    this.job = job
    this.write = write
    this.position = position
    this.out = freeOut.get(slots)?.pop() ?? new SharedArrayBuffer(slots * OUT_SLOT_SIZE)
    this.slotBusy = Array.from({length: slots}, () => false)
  }

  /**
   * Seals what `plaintext` completes and writes it. Settles once it is written; `plaintext` may
   * be reused as soon as this returns when it is not in shared memory (it was copied), else once
   * this settles (the worker reads it in place).
   */
  update(plaintext: Uint8Array): Promise<unknown> {
    const chunks = this.framer.update(plaintext)
    return chunks.length === 0 ? Promise.resolve() : this.send(chunks, false)
  }

  /** Seals and writes the final chunk, once every update() has settled; the whole file's SHA-256 and size. */
  async final(): Promise<SealedFile> {
    const sha256 = await this.send([this.framer.final()], true)
    // Every reply is in, so the worker is done with the memory: the next file may use it.
    const free = freeOut.get(this.slotBusy.length) ?? []
    freeOut.set(this.slotBusy.length, free)
    if (free.length < 4) free.push(this.out)
    return {sha256: sha256 ?? '', size: this.position}
  }

  /**
   * Forgets the file in the worker (a copy that failed). Its shared memory is not kept for another
   * file: a worker that was ended may still be writing in it.
   */
  drop(): void {
    this.thread.post({type: 'drop', job: this.job})
  }

  /** Posts the chunks, then writes what comes back at their place in the file; the worker's SHA-256 when `last`. */
  private async send(chunks: readonly FramedChunk[], last: boolean): Promise<string | undefined> {
    const size = chunks.reduce((total, chunk) => total + chunk.plaintext.length + TAG_SIZE, 0)
    const at = this.position
    this.position += size
    const slot = size <= OUT_SLOT_SIZE ? this.slotBusy.indexOf(false) : -1
    const seq = this.seq++
    const out = slot === -1 ? {} : {out: this.out, outOffset: slot * OUT_SLOT_SIZE}
    if (slot !== -1) this.slotBusy[slot] = true
    try {
      const reply = await this.thread.request<SealReply>(`${this.job}:${seq}`, {type: 'seal', job: this.job, seq, last, ...describe(chunks), ...out})
      const sealed = reply.sealed === undefined ? Buffer.from(this.out, slot * OUT_SLOT_SIZE, size) : Buffer.from(reply.sealed.buffer, reply.sealed.byteOffset, size)
      await this.write(sealed, at)
      return reply.sha256
    } finally {
      if (slot !== -1) this.slotBusy[slot] = false
    }
  }
}

/**
 * The chunks as the worker reads them: their nonces in one array, and each plaintext as (buffer,
 * offset, length). Shared memory (the hash pump's) is read in place; any other memory is copied
 * as the message is posted (its buffer whole: for the framer's own, one chunk).
 */
function describe(chunks: readonly FramedChunk[]): {buffers: ArrayBufferLike[]; offsets: number[]; lengths: number[]; nonces: Uint8Array} {
  const nonces = new Uint8Array(chunks.length * 12)
  chunks.forEach((chunk, i) => nonces.set(chunk.nonce, i * 12))
  return {
    buffers: chunks.map((chunk) => chunk.plaintext.buffer),
    offsets: chunks.map((chunk) => chunk.plaintext.byteOffset),
    lengths: chunks.map((chunk) => chunk.plaintext.length),
    nonces,
  }
}
