/**
 * Age payload chunks opened on a worker thread: the ChaCha20-Poly1305 of each chunk (RFC 7539
 * §2.8) that a large read of an AgeRandomReader touches (random-reader.ts), beside the thread that
 * reads the file and hashes what it gives. On one thread, opening the chunks of `verify
 * FILE.zip.age` (and of the vault objects a seal reads) took as long as hashing them.
 *
 * The worker is given, for each file, its payload key and the index of its final chunk (the
 * reader checked on open that this chunk opens as the final one); for each read, the sealed bytes
 * of the chunks it touches (read by the caller into shared memory) and where the plaintext goes
 * (the caller's shared memory, as the read-ahead's buffers are). It derives each chunk's nonce from
 * its index, as age's STREAM does, with the final flag only on the final chunk, and authenticates
 * a chunk before any of its bytes is copied out: a chunk that does not open stops the read and is
 * named in the answer, so the caller refuses the read as the main thread's reads do. The last
 * chunk of each read is kept opened for the next (consecutive reads share the chunk at their
 * border), a few a file.
 */
import {WorkerThread} from '../io/worker-thread.js'
import {TAG_SIZE} from './key-wrap.js'
import {SEALED_CHUNK_SIZE} from './payload.js'

// Plain JavaScript evaluated in the worker (src/io/worker-thread.ts). A read's answer is -1 when
// every byte asked for was written, else the index of the chunk that does not authenticate.
const WORKER_SOURCE = `
const {parentPort} = require('node:worker_threads')
const {createDecipheriv, createSecretKey} = require('node:crypto')
const SEALED = ${SEALED_CHUNK_SIZE}
const TAG = ${TAG_SIZE}
const KEPT = 4
const files = new Map()
const nonce = Buffer.alloc(12)
function open(file, sealed, index) {
  if (sealed.length < TAG) return undefined
  nonce.fill(0)
  nonce.writeUIntBE(index, 5, 6)
  nonce[11] = index === file.last ? 1 : 0
  const decipher = createDecipheriv('chacha20-poly1305', file.key, nonce, {authTagLength: TAG})
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG))
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG))
  try {
    decipher.final()
  } catch {
    return undefined
  }
  return plaintext
}
function read(file, m) {
  const sealed = Buffer.from(m.sealed, m.sealedOffset, m.sealedLength)
  const out = new Uint8Array(m.out, m.outOffset, m.length)
  let at = 0
  let skip = m.skip
  for (let i = 0; at < m.length; i++) {
    const index = m.first + i
    let plaintext = file.kept.get(index)
    if (plaintext === undefined) {
      const from = i * SEALED
      if (from >= sealed.length) throw new Error('a read of ' + m.length + ' bytes was given too few chunks')
      plaintext = open(file, sealed.subarray(from, Math.min(sealed.length, from + SEALED)), index)
      if (plaintext === undefined) return index
    }
    const take = Math.min(plaintext.length - skip, m.length - at)
    out.set(plaintext.subarray(skip, skip + take), at)
    at += take
    skip = 0
    if (at === m.length) {
      file.kept.delete(index)
      file.kept.set(index, plaintext)
      while (file.kept.size > KEPT) file.kept.delete(file.kept.keys().next().value)
    }
  }
  return -1
}
parentPort.on('message', (m) => {
  if (m.type === 'file') {
    files.set(m.file, {key: createSecretKey(m.key), last: m.last, kept: new Map()})
    m.key.fill(0)
  } else if (m.type === 'forget') {
    files.delete(m.file)
  } else if (m.type === 'read') {
    const key = m.file + ':' + m.seq
    try {
      const file = files.get(m.file)
      if (file === undefined) throw new Error('no file ' + m.file + ' is open')
      parentPort.postMessage({key, value: read(file, m)})
    } catch (error) {
      parentPort.postMessage({key, error: String(error instanceof Error ? error.message : error)})
    }
  }
})
`

/** Bytes in shared memory: a SharedArrayBuffer and a range of it. */
export interface SharedBytes {
  memory: SharedArrayBuffer
  offset: number
  length: number
}

/** One read for the worker: the sealed chunks from `first`, and `length` plaintext bytes from `skip` into the first, to `out`. */
export interface ChunkRead {
  sealed: SharedBytes
  first: number
  skip: number
  out: {memory: SharedArrayBuffer; offset: number}
  length: number
}

export class OpenWorker implements AsyncDisposable {
  private static instance: OpenWorker | undefined
  private readonly thread: WorkerThread
  private nextFile = 1
  private seq = 0

  private constructor() {
    this.thread = new WorkerThread(WORKER_SOURCE, 'decryption worker', () => {
      if (OpenWorker.instance === this) OpenWorker.instance = undefined
    })
  }

  /** The worker every age file being read shares (each is a file of it). */
  static shared(): OpenWorker {
    OpenWorker.instance ??= new OpenWorker()
    return OpenWorker.instance
  }

  /** Gives the worker a file's payload key (copied, then zeroed here) and its final chunk's index; its number for read(). */
  file(payloadKey: Uint8Array, last: number): number {
    const file = this.nextFile++
    this.thread.post({type: 'file', file, key: new Uint8Array(payloadKey), last})
    payloadKey.fill(0)
    return file
  }

  /** Opens the chunks of a read into `out`: -1 when all of it was written, else the index of the chunk that does not authenticate. */
  read(file: number, read: ChunkRead): Promise<number> {
    const seq = this.seq++
    const {sealed, first, skip, out, length} = read
    return this.thread.request<number>(`${file}:${seq}`, {
      type: 'read',
      file,
      seq,
      sealed: sealed.memory,
      sealedOffset: sealed.offset,
      sealedLength: sealed.length,
      first,
      skip,
      out: out.memory,
      outOffset: out.offset,
      length,
    })
  }

  /** Forgets a file (its key and the chunks kept). */
  forget(file: number): void {
    this.thread.post({type: 'forget', file})
  }

  /** Ends the thread (reads awaited fail); the next shared() starts another. For tests. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (OpenWorker.instance === this) OpenWorker.instance = undefined
    await this.thread.end()
  }
}

