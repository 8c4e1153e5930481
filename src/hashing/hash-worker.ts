/**
 * A worker thread that hashes chunks of shared memory, so that a large file's SHA-512 and SHA-256
 * are computed on two cores at once instead of one after the other.
 *
 * Chunks are passed as (SharedArrayBuffer, offset, length): no copy. The caller must not reuse a
 * chunk's memory before the worker acknowledges it. One worker is shared by every file in flight
 * (each is a job).
 */
import {Worker} from 'node:worker_threads'

// Plain JavaScript evaluated in the worker: it runs the same from src/ (under vitest) and dist/.
const WORKER_SOURCE = `
const {parentPort} = require('node:worker_threads')
const {createHash} = require('node:crypto')
const jobs = new Map()
parentPort.on('message', (m) => {
  if (m.type === 'update') {
    let hash = jobs.get(m.job)
    if (!hash) jobs.set(m.job, (hash = createHash(m.algorithm)))
    hash.update(new Uint8Array(m.buffer, m.offset, m.length))
    parentPort.postMessage({type: 'ack', job: m.job, seq: m.seq})
  } else if (m.type === 'digest') {
    const hash = jobs.get(m.job) ?? createHash(m.algorithm)
    jobs.delete(m.job)
    parentPort.postMessage({type: 'digest', job: m.job, hex: hash.digest('hex')})
  } else if (m.type === 'drop') {
    jobs.delete(m.job)
  }
})
`

/** Below this many bytes a file is hashed where it is read: a message to the worker and back costs more. */
export const WORKER_HASH_BYTES = 64 * 1024

type Reply = {type: 'ack'; job: number; seq: number} | {type: 'digest'; job: number; hex: string}

export class HashWorker implements AsyncDisposable {
  private static instance: HashWorker | undefined
  private readonly worker: Worker
  private readonly waiting = new Map<string, {resolve: (value: string) => void; reject: (error: Error) => void}>()
  private nextJob = 1
  private ended = false

  private constructor() {
    this.worker = new Worker(WORKER_SOURCE, {eval: true})
    this.worker.on('message', (reply: Reply) => {
      const key = reply.type === 'ack' ? `${reply.job}:${reply.seq}` : `${reply.job}:digest`
      const waiter = this.waiting.get(key)
      this.waiting.delete(key)
      if (this.waiting.size === 0) this.worker.unref()
      waiter?.resolve(reply.type === 'digest' ? reply.hex : '')
    })
    this.worker.on('error', (error) => {
      for (const waiter of this.waiting.values()) waiter.reject(error)
      this.waiting.clear()
      HashWorker.instance = undefined
    })
    // Referenced only while a reply is awaited, so that an idle worker never keeps the process
    // alive and a busy one is never abandoned. (After the listeners: adding one refs the worker.)
    this.worker.unref()
  }

  static shared(): HashWorker {
    HashWorker.instance ??= new HashWorker()
    return HashWorker.instance
  }

  /** A streaming hash computed in the worker. */
  job(algorithm: 'sha256' | 'sha512'): WorkerHash {
    return new WorkerHash(this, this.nextJob++, algorithm)
  }

  request(key: string, message: Record<string, unknown>): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.ended) {
        reject(endedError())
        return
      }

      if (this.waiting.size === 0) this.worker.ref()
      this.waiting.set(key, {resolve, reject})
      this.worker.postMessage(message)
    })
  }

  post(message: Record<string, unknown>): void {
    this.worker.postMessage(message)
  }

  /**
   * Ends the worker thread: hashes still awaited fail, and the next shared() starts another
   * worker. custody itself never ends the shared worker (it keeps the process alive only while a
   * reply is awaited); this is for `await using` it where a thread must not outlive its work, as
   * in tests. Ending it again does nothing.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (HashWorker.instance === this) HashWorker.instance = undefined
    if (this.ended) return
    this.ended = true
    for (const waiter of this.waiting.values()) waiter.reject(endedError())
    this.waiting.clear()
    await this.worker.terminate()
  }
}

function endedError(): Error {
  return new Error('the hash worker was ended before it replied')
}

export class WorkerHash {
  private seq = 0
  private readonly worker: HashWorker
  private readonly id: number
  private readonly algorithm: string

  constructor(worker: HashWorker, id: number, algorithm: string) {
    this.worker = worker
    this.id = id
    this.algorithm = algorithm
  }

  /** Resolves once the worker has hashed the chunk and its memory may be reused. */
  update(buffer: SharedArrayBuffer, offset: number, length: number): Promise<unknown> {
    const seq = this.seq++
    return this.worker.request(`${this.id}:${seq}`, {type: 'update', job: this.id, seq, algorithm: this.algorithm, buffer, offset, length})
  }

  digest(): Promise<string> {
    return this.worker.request(`${this.id}:digest`, {type: 'digest', job: this.id, algorithm: this.algorithm})
  }

  drop(): void {
    this.worker.post({type: 'drop', job: this.id})
  }
}
