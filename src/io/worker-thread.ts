/**
 * A worker thread that answers requests: each message that wants an answer carries a key, and the
 * worker replies `{key, value}` or `{key, error}`. The hash worker (src/hashing/hash-worker.ts) and
 * the payload worker (src/age/payload-worker.ts) are ones.
 *
 * The worker's code is plain JavaScript evaluated in it, so that it runs the same from src/ (under
 * vitest) and from dist/. The thread keeps the process alive only while an answer is awaited: an
 * idle worker never holds the process open, a busy one is never abandoned.
 */
import {Worker, type Transferable} from 'node:worker_threads'

interface Waiter {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

/** What the worker posts back: the answer to the request of this key, or why there is none. */
export interface WorkerReply {
  key: string
  value?: unknown
  error?: string
}

export class WorkerThread {
  private readonly worker: Worker
  private readonly waiting = new Map<string, Waiter>()
  private readonly name: string
  private ended = false

  /** `onFailed` is told when the thread dies (its error), after every awaited answer is rejected. */
  constructor(source: string, name: string, onFailed: () => void) {
    this.name = name
    this.worker = new Worker(source, {eval: true})
    this.worker.on('message', (reply: WorkerReply) => {
      const waiter = this.waiting.get(reply.key)
      this.waiting.delete(reply.key)
      if (this.waiting.size === 0) this.worker.unref()
      if (reply.error === undefined) waiter?.resolve(reply.value)
      else waiter?.reject(new Error(`the ${this.name} failed: ${reply.error}`))
    })
    this.worker.on('error', (error) => {
      this.rejectAll(error)
      onFailed()
    })
    // After the listeners: adding one refs the worker.
    this.worker.unref()
  }

  /** Posts `message` (moving the buffers in `transfer`); resolves with the worker's answer to `key`. */
  request<T>(key: string, message: object, transfer: readonly Transferable[] = []): Promise<T> {
    return new Promise((resolve, reject) => {
      if (this.ended) {
        reject(new Error(`the ${this.name} was ended before it replied`))
        return
      }

      if (this.waiting.size === 0) this.worker.ref()
      this.waiting.set(key, {resolve: resolve as (value: unknown) => void, reject})
      this.worker.postMessage(message, transfer)
    })
  }

  /** Posts a message that wants no answer. */
  post(message: object): void {
    if (!this.ended) this.worker.postMessage(message)
  }

  /** Ends the thread: answers still awaited fail. Ending it again does nothing. */
  async end(): Promise<void> {
    if (this.ended) return
    this.ended = true
    this.rejectAll(new Error(`the ${this.name} was ended before it replied`))
    await this.worker.terminate()
  }

  private rejectAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error)
    this.waiting.clear()
  }
}
