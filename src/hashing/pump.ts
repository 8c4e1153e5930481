/**
 * Reads a file in large chunks and hands each chunk, in order, to a sink while hashing it
 * (SHA-256 and SHA-512). The next chunk is read (on libuv's thread pool) while this one is hashed
 * and handed on, so disk and CPU overlap. From PARALLEL_HASH_BYTES up, chunks live in shared memory
 * and a worker thread computes the SHA-512 while this thread computes the SHA-256.
 *
 * The sink is called synchronously in chunk order (so it may update a running CRC or hash) and
 * returns a promise that settles when the chunk's memory may be reused (its write is done).
 */
import {createHash, type Hash} from 'node:crypto'
import type {FileHandle} from 'node:fs/promises'
import {CHUNK_SIZE, giveBack, takeBuffer, type Digests} from './digests.js'
import {HashWorker, type WorkerHash} from './hash-worker.js'

/** Below this, one core hashes both digests faster than handing chunks to a worker. */
export const PARALLEL_HASH_BYTES = 16 * 1024 * 1024
const SLOTS = 4

export type ChunkSink = (chunk: Buffer, offset: number) => Promise<unknown>

export interface PumpOptions {
  expectedSize: number
  /** Hash the SHA-512 on the worker whatever the size (a batch of many files keeps it busy). */
  parallel?: boolean
  /** 'sha256' skips the SHA-512 (the result's sha512 is then empty). */
  algorithms?: 'both' | 'sha256'
  signal?: AbortSignal | undefined
  /** Turns a read failure into the error to throw. */
  readError: (error: unknown) => Error
  /** The error to throw when the signal aborts. */
  abortError: () => Error
  /** Told the bytes of each chunk as it is read: progress within a large file. */
  onBytes?: ((bytes: number) => void) | undefined
}

/**
 * The same promise, with a handler attached at once: a read or write that fails while the loop is
 * awaiting something else must not count as an unhandled rejection. It is still awaited later.
 */
export function quietly<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined)
  return promise
}

/** Shared memory is reused: it is slow to allocate and the garbage collector frees it late. */
const freeShared: SharedArrayBuffer[] = []

export async function pumpHashed(source: FileHandle, sink: ChunkSink, options: PumpOptions): Promise<{digests: Digests; size: number}> {
  const withSha512 = options.algorithms !== 'sha256'
  const parallel = withSha512 && (options.parallel === true || options.expectedSize >= PARALLEL_HASH_BYTES)
  const shared = parallel ? (freeShared.pop() ?? new SharedArrayBuffer(SLOTS * CHUNK_SIZE)) : undefined
  const slots: Buffer[] = shared ? Array.from({length: SLOTS}, (_, i) => Buffer.from(shared, i * CHUNK_SIZE, CHUNK_SIZE)) : [takeBuffer(), takeBuffer()]
  const sha256 = createHash('sha256')
  const sha512 = shared ? HashWorker.shared().job('sha512') : createHash('sha512')
  // busy[i] settles when slot i's sink work and worker hash are done and its memory may be reused.
  const busy: Array<Promise<unknown>> = slots.map(() => Promise.resolve())
  let pendingRead = quietly(source.read(slots[0]!, 0, CHUNK_SIZE, null))
  let finished = false
  try {
    let size = 0
    for (let i = 0; ; i++) {
      let bytesRead: number
      try {
        ;({bytesRead} = await pendingRead)
      } catch (error) {
        throw options.readError(error)
      }

      if (bytesRead === 0) break
      if (options.signal?.aborted) throw options.abortError()
      const slot = i % slots.length
      const nextSlot = (i + 1) % slots.length
      await busy[nextSlot]
      pendingRead = quietly(source.read(slots[nextSlot]!, 0, CHUNK_SIZE, null))
      const chunk = slots[slot]!.subarray(0, bytesRead)
      sha256.update(chunk)
      const work: Array<Promise<unknown>> = [sink(chunk, size)]
      if (shared) work.push((sha512 as WorkerHash).update(shared, slot * CHUNK_SIZE, bytesRead))
      else if (withSha512) (sha512 as Hash).update(chunk)
      busy[slot] = quietly(Promise.all(work))
      size += bytesRead
      options.onBytes?.(bytesRead)
    }

    await Promise.all(busy)
    const sha512Hex = shared ? await (sha512 as WorkerHash).digest() : withSha512 ? (sha512 as Hash).digest('hex') : ''
    finished = true
    return {digests: {sha256: sha256.digest('hex'), sha512: sha512Hex}, size}
  } finally {
    // An early exit may leave reads, writes or hashing in flight: let them settle first.
    await Promise.allSettled([pendingRead, ...busy])
    if (shared && !finished) (sha512 as WorkerHash).drop()
    if (shared) {
      if (freeShared.length < 4) freeShared.push(shared)
    } else giveBack(...slots)
  }
}
