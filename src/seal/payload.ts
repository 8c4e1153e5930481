/**
 * Step 4 of a seal: the exhibits (testimony among them), written in archive order: each original,
 * checked against the ledger's SHA-256 as it goes in, then its metadata record. The vault files
 * are read ahead of the writer (ReadAhead), so reading, hashing and writing of different files
 * overlap. The manifest lines of both go to scratch files, already in manifest order.
 */
import {createHash} from 'node:crypto'
import type {Case} from '../case/case.js'
import {CustodyError, messageOf} from '../errors.js'
import {HashWorker, WORKER_HASH_BYTES} from '../hashing/hash-worker.js'
import {ReadAhead, type ReadChunk, type ReadSource} from '../io/read-ahead.js'
import type {SpillFile} from '../io/spill-file.js'
import {manifestEntryOf, manifestLine} from './bag-layout.js'
import type {SealChoice} from './choice.js'
import {sealedExhibit, type SealedExhibit} from './statement.js'
import type {ZipWriter} from '../zip/writer.js'

export interface PayloadOptions {
  onProgress?: ((done: number, total: number) => void) | undefined
  /** The error to stop with, once the seal is interrupted. */
  interrupted: () => Error | undefined
}

/** Writes the exhibits of `choice` into the bag `bag`; returns the bytes of payload written. */
export async function writeExhibits(
  zip: ZipWriter,
  kase: Case,
  bag: string,
  choice: SealChoice,
  manifests: {sha256: SpillFile; sha512: SpillFile},
  options: PayloadOptions,
): Promise<{bytes: number}> {
  let bytes = 0
  const checks = new OriginalChecks()
  try {
    await using reader = new ExhibitReader(kase, choice, options.interrupted)
    for (let i = 0; i < choice.size; i++) {
      const {exhibit: x, first} = await reader.exhibit(i)
      await writeOriginal(zip, `${bag}/${x.path}`, x, first, reader, checks)
      const record = await reader.record(i)
      const digests = manifestEntryOf(x.metadataPath, record)
      if (digests.sha256 !== x.metadataRecord) {
        throw new CustodyError('INTEGRITY', `${x.exhibit}: its metadata record no longer matches the ledger; nothing was sealed. Run \`custody verify\``, {subject: x.exhibit})
      }

      await zip.addBytes(`${bag}/${x.metadataPath}`, record)
      // In manifest order: metadata.json sorts before original/.
      await manifests.sha256.append(manifestLine(digests.sha256, x.metadataPath) + manifestLine(x.sha256, x.path))
      // The SHA-256 proves the bytes are the ones ingested; the SHA-512 recorded then goes in the manifest.
      await manifests.sha512.append(manifestLine(digests.sha512, x.metadataPath) + manifestLine(x.sha512, x.path))
      bytes += x.size + record.length
      reader.written(i)
      options.onProgress?.(i + 1, choice.size)
    }
  } finally {
    await checks.settled()
  }

  checks.throwIfFailed()
  return {bytes}
}

/**
 * Streams an original into the ZIP and checks its SHA-256 against the ledger's. A large file's
 * SHA-256 is computed on the hash worker, from the shared read buffers, while this thread
 * computes the CRC-32 and the archive's SHA-256; it is compared once it is ready. A small file is
 * hashed here: a message to the worker and back would cost more.
 */
async function writeOriginal(zip: ZipWriter, name: string, x: SealedExhibit, first: ReadChunk, reader: ExhibitReader, checks: OriginalChecks): Promise<void> {
  const entry = await zip.startFile(name, x.size)
  if (x.size < WORKER_HASH_BYTES) {
    const sha256 = createHash('sha256')
    await reader.eachChunk(first, (chunk) => {
      sha256.update(chunk.bytes)
      return zip.writeChunk(entry, chunk.bytes, chunk.release)
    })
    checks.compare(x, sha256.digest('hex'))
  } else {
    const sha256 = HashWorker.shared().job('sha256')
    try {
      await reader.eachChunk(first, (chunk) => {
        const hashed = sha256.update(chunk.shared!.memory, chunk.shared!.offset, chunk.bytes.length)
        return zip.writeChunk(entry, chunk.bytes, releaseWhenSettled(hashed, chunk.release))
      })
    } catch (error) {
      sha256.drop()
      throw error
    }

    checks.follow(x, sha256.digest())
  }

  await zip.endFile(entry)
  checks.throwIfFailed()
}

/** A release to be called when the chunk is written; the memory goes back once it is hashed too. */
function releaseWhenSettled(hashed: Promise<unknown>, release: () => void): () => void {
  let waiting = 2
  const settled = (): void => {
    if (--waiting === 0) release()
  }

  hashed.then(settled, settled)
  return settled
}

/** The checks of the originals' SHA-256 against the ledger, some still running on the hash worker. */
class OriginalChecks {
  private readonly running = new Set<Promise<void>>()
  private failure: unknown

  compare(x: SealedExhibit, found: string): void {
    if (found !== x.sha256) {
      this.failure ??= new CustodyError(
        'INTEGRITY',
        `${x.exhibit}: its vault file no longer matches the ledger (sha256 ${found}, expected ${x.sha256}); nothing was sealed. Run \`custody verify\``,
        {subject: x.exhibit},
      )
    }
  }

  follow(x: SealedExhibit, digest: Promise<string>): void {
    const check: Promise<void> = digest.then(
      (found) => this.compare(x, found),
      (error: unknown) => void (this.failure ??= error),
    )
    this.running.add(check)
    void check.then(() => this.running.delete(check))
  }

  /** Throws the first failure found so far. */
  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure
  }

  async settled(): Promise<void> {
    await Promise.all(this.running)
  }
}

/**
 * The vault files of the chosen exhibits, read ahead: two sources an exhibit, its original (which
 * must have the ledger's size), then its metadata record. The reader asks for sources ahead of
 * the writer, which takes their exhibits in turn.
 */
class ExhibitReader implements AsyncDisposable {
  private readonly ahead: SealedExhibit[] = []
  /** The exhibit of each source read ahead, until its exhibit is written: for read errors. */
  private readonly exhibitOf = new Map<number, string>()
  private readonly reader: ReadAhead

  constructor(
    private readonly kase: Case,
    private readonly choice: SealChoice,
    private readonly interrupted: () => Error | undefined,
  ) {
    this.reader = new ReadAhead(this.sources(), {
      shared: true,
      readError: (index, error) => {
        const id = this.exhibitOf.get(index) ?? `source ${index}`
        const what = index % 2 === 0 ? 'its vault file' : 'its metadata record'
        return new CustodyError('INTEGRITY', `${id}: ${what} cannot be read (${messageOf(error)}); nothing was sealed. Run \`custody verify\``, {subject: id})
      },
    })
  }

  private *sources(): Generator<ReadSource> {
    let source = 0
    for (const id of this.choice.ids()) {
      const x = sealedExhibit(this.kase, id)
      this.ahead.push(x)
      this.exhibitOf.set(source++, id)
      yield this.kase.vault.readSource(x.sha256, x.size)
      this.exhibitOf.set(source++, id)
      yield this.kase.vault.readSource(x.metadataRecord)
    }
  }

  /** The next chunk, which must be of `source`. */
  private async next(source: number): Promise<ReadChunk> {
    const stop = this.interrupted()
    if (stop !== undefined) throw stop
    const chunk = await this.reader.next()
    if (chunk?.source !== source) throw new Error(`sealing read source ${chunk?.source ?? 'none'} where ${source} was due`)
    return chunk
  }

  /** The `i`th exhibit, and the first chunk of its original. */
  async exhibit(i: number): Promise<{exhibit: SealedExhibit; first: ReadChunk}> {
    const first = await this.next(2 * i)
    // Once the reader has given this exhibit's first chunk, it has taken its sources, and the
    // exhibit is the first of those waiting.
    return {exhibit: this.ahead.shift()!, first}
  }

  /** Passes each chunk of a source to `take`, in order, from its first. */
  async eachChunk(first: ReadChunk, take: (chunk: ReadChunk) => Promise<void>): Promise<void> {
    for (let chunk = first; ; chunk = await this.next(first.source)) {
      await take(chunk)
      if (chunk.last) return
    }
  }

  /** The `i`th exhibit's metadata record, whole. */
  async record(i: number): Promise<Buffer> {
    const parts: Buffer[] = []
    await this.eachChunk(await this.next(2 * i + 1), async (chunk) => {
      parts.push(Buffer.from(chunk.bytes))
      chunk.release()
    })
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  }

  /** The `i`th exhibit is in the archive: its read errors can no longer happen. */
  written(i: number): void {
    this.exhibitOf.delete(2 * i)
    this.exhibitOf.delete(2 * i + 1)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.reader.close()
  }
}
