/**
 * Many files, or ranges of one (the stored entries of a ZIP), read ahead and hashed in one pass:
 * SHA-256 and the CRC-32 here, SHA-512 on the hash worker beside it when an entry is large. What
 * both readers of a bag (src/zip/reader.ts, src/folder/reader.ts) do with every file, once.
 */
import {createHash, hash} from 'node:crypto'
import {crc32} from 'node:zlib'
import {messageOf} from '../errors.js'
import {ReadAhead, type ReadChunk, type ReadSource} from '../io/read-ahead.js'
import {HashWorker, WORKER_HASH_BYTES, WorkerHash} from './hash-worker.js'
import {quietly} from './pump.js'

/** An item's digests, and the CRC-32 of its bytes (0 when not asked for). */
export interface ReadDigest {
  sha256: string
  sha512: string
  size: number
  crc: number
}

/**
 * Where an item's bytes go beside its hashes, as they are read (a copy of it being staged:
 * src/transfers/accept.ts): each chunk's memory is held until take()'s promise settles, so the
 * reading goes no faster than the keeper.
 */
export interface ChunkKeeper {
  /** Called in order, synchronously, with every chunk of the item; must not reject. */
  take(bytes: Buffer): Promise<unknown>
  /** Once every chunk was taken: the item's digests (of exactly the bytes taken), or why it could not be read. */
  end(result: ReadDigest | {error: string}): void
}

/**
 * Reads each item's source (`sourceOf`), several ahead, and hands its digests, or the error that
 * stopped it, to `onResult`: in any order, all of them before this resolves. Once a read fails,
 * the items after it are left unread (and not reported). `items` is read lazily. `keep` gives
 * an item's keeper, if its bytes are wanted beside the hashes; every keeper given is ended.
 */
export async function digestReadAhead<T>(
  items: Iterable<T>,
  sourceOf: (item: T) => ReadSource,
  onResult: (item: T, result: ReadDigest | {error: string}) => void,
  options: {crc: boolean; keep?: ((item: T) => ChunkKeeper | undefined) | undefined},
): Promise<void> {
  // The reader takes its sources from this generator a few ahead of the loop below; `pending`
  // holds the items it has taken and the loop has not reached yet.
  const pending = new Map<number, T>()
  let sources = 0
  function* read(): Generator<ReadSource> {
    for (const item of items) {
      pending.set(sources++, item)
      yield sourceOf(item)
    }
  }

  const reader = new ReadAhead(read(), {shared: true, readError: (_, error) => new Error(messageOf(error))})
  const finishing = new Set<Promise<void>>()
  try {
    for (;;) {
      const first = await reader.next().catch((error: unknown) => ({error: messageOf(error)}))
      if (first === undefined) break
      if ('error' in first) {
        // The source that failed is the next one due.
        const item = pending.get(Math.min(...pending.keys()))
        if (item !== undefined) onResult(item, first)
        break
      }

      const item = pending.get(first.source)!
      pending.delete(first.source)
      const keeper = options.keep?.(item)
      const result = (read: ReadDigest | {error: string}): void => {
        keeper?.end(read)
        onResult(item, read)
      }

      const digests = await hashChunks(reader, first, options.crc, keeper).catch((error: unknown) => ({error: messageOf(error)}))
      if ('error' in digests) {
        result(digests)
        break
      }

      const {sha512, ...rest} = digests
      if (typeof sha512 === 'string') {
        result({...rest, sha512})
      } else {
        const finished: Promise<void> = sha512.then(
          (hex) => result({...rest, sha512: hex}),
          (error: unknown) => result({error: messageOf(error)}),
        )
        finishing.add(finished)
        void finished.then(() => finishing.delete(finished))
      }
    }
  } finally {
    await reader.close()
    await Promise.all(finishing)
  }
}

/** A chunk's memory, handed back once every use of it (`uses`: a worker's hash, a keeper's copy) has settled. */
function releaseAfter(chunk: ReadChunk, uses: ReadonlyArray<Promise<unknown> | undefined>): void {
  const pending = uses.filter((use) => use !== undefined)
  if (pending.length === 0) chunk.release()
  else void Promise.allSettled(pending).then(chunk.release)
}

/**
 * One source from the reader, from its first chunk: SHA-256 and CRC-32 here, SHA-512 on the hash
 * worker (a promise) when large; each chunk also given to `keeper`, if any.
 */
async function hashChunks(reader: ReadAhead, first: ReadChunk, withCrc: boolean, keeper?: ChunkKeeper): Promise<Omit<ReadDigest, 'sha512'> & {sha512: string | Promise<string>}> {
  const {source, size: expectedSize} = first
  if (first.last && expectedSize < WORKER_HASH_BYTES) {
    // A small source, whole in one chunk (most of a bag's files): one-shot digests, with no hash
    // objects to create and collect for each of many thousand files.
    const kept = keeper?.take(first.bytes)
    const digests = {sha256: hash('sha256', first.bytes), sha512: hash('sha512', first.bytes), size: first.bytes.length, crc: withCrc ? crc32(first.bytes) : 0}
    releaseAfter(first, [kept])
    return digests
  }

  const h256 = createHash('sha256')
  // A small source is hashed here: a message to the worker and back would cost more.
  const h512 = expectedSize < WORKER_HASH_BYTES ? createHash('sha512') : HashWorker.shared().job('sha512')
  let size = 0
  let crc = 0
  try {
    for (let chunk = first; ; ) {
      h256.update(chunk.bytes)
      if (withCrc) crc = crc32(chunk.bytes, crc)
      size += chunk.bytes.length
      const kept = keeper?.take(chunk.bytes)
      if (h512 instanceof WorkerHash) {
        releaseAfter(chunk, [kept, h512.update(chunk.shared!.memory, chunk.shared!.offset, chunk.bytes.length)])
      } else {
        h512.update(chunk.bytes)
        releaseAfter(chunk, [kept])
      }

      if (chunk.last) break
      const next = await reader.next()
      if (next?.source !== source) throw new Error(`read source ${next?.source ?? 'none'} where ${source} was due`)
      chunk = next
    }
  } catch (error) {
    if (h512 instanceof WorkerHash) h512.drop()
    throw error
  }

  const sha512 = h512 instanceof WorkerHash ? quietly(h512.digest()) : h512.digest('hex')
  return {sha256: h256.digest('hex'), sha512, size, crc}
}
