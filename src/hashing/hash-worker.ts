/**
 * A worker thread that hashes chunks of shared memory, so that a large file's SHA-512 and SHA-256
 * are computed on two cores at once instead of one after the other.
 *
 * Chunks are passed as (SharedArrayBuffer, offset, length): no copy. The caller must not reuse a
 * chunk's memory before the worker acknowledges it. One worker is shared by every file in flight
 * (each is a job).
 */
import {WorkerThread} from '../io/worker-thread.js'

// Plain JavaScript evaluated in the worker (src/io/worker-thread.ts).
const WORKER_SOURCE = `
const {parentPort} = require('node:worker_threads')
const {createHash} = require('node:crypto')
const jobs = new Map()
parentPort.on('message', (m) => {
  if (m.type === 'update') {
    let hash = jobs.get(m.job)
    if (!hash) jobs.set(m.job, (hash = createHash(m.algorithm)))
    hash.update(new Uint8Array(m.buffer, m.offset, m.length))
    parentPort.postMessage({key: m.job + ':' + m.seq})
  } else if (m.type === 'digest') {
    const hash = jobs.get(m.job) ?? createHash(m.algorithm)
    jobs.delete(m.job)
    parentPort.postMessage({key: m.job + ':digest', value: hash.digest('hex')})
  } else if (m.type === 'drop') {
    jobs.delete(m.job)
  }
})
`

/** Below this many bytes a file is hashed where it is read: a message to the worker and back costs more. */
export const WORKER_HASH_BYTES = 64 * 1024

export class HashWorker implements AsyncDisposable {
  private static instance: HashWorker | undefined
  private readonly thread: WorkerThread
  private nextJob = 1

  private constructor() {
    this.thread = new WorkerThread(WORKER_SOURCE, 'hash worker', () => {
      if (HashWorker.instance === this) HashWorker.instance = undefined
    })
  }

  static shared(): HashWorker {
    HashWorker.instance ??= new HashWorker()
    return HashWorker.instance
  }

  /** A streaming hash computed in the worker. */
  job(algorithm: 'sha256' | 'sha512'): WorkerHash {
    return new WorkerHash(this, this.nextJob++, algorithm)
  }

  /** The worker's answer to `key`: a digest's hex, or nothing for a chunk hashed. */
  request(key: string, message: Record<string, unknown>): Promise<string> {
    return this.thread.request<string | undefined>(key, message).then((value) => value ?? '')
  }

  post(message: Record<string, unknown>): void {
    this.thread.post(message)
  }

  /**
   * Ends the worker thread: hashes still awaited fail, and the next shared() starts another
   * worker. custody itself never ends the shared worker (it keeps the process alive only while a
   * reply is awaited); this is for `await using` it where a thread must not outlive its work, as
   * in tests. Ending it again does nothing.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (HashWorker.instance === this) HashWorker.instance = undefined
    await this.thread.end()
  }
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
