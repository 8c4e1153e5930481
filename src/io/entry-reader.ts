/**
 * What the readers of a bag that may be hostile (a ZIP: src/zip/reader.ts; a bag folder:
 * src/folder/reader.ts) share once they can give an entry's bytes as chunks: its text line by
 * line, with a bound on each line, and a small entry whole, checked against the digest it was
 * first hashed with. Each reader hashes its entries itself (src/hashing/read-digests.ts).
 */
import {hash} from 'node:crypto'
import {StringDecoder} from 'node:string_decoder'
import type {RandomAccess} from './random-access.js'
import type {ReadAhead} from './read-ahead.js'

/**
 * Text read line by line comes in chunks this size. The lines of a chunk are held while they are
 * checked one by one; from a 1 MiB chunk, many lived long enough to be moved to V8's old space,
 * with the chunk's whole string (the lines are slices of it), and that grew the heap.
 */
export const LINE_CHUNK = 64 * 1024

/** What a reader needs of an entry to read it: its name (for errors) and its size. */
export interface EntryRef {
  name: string
  uncompressedSize: number
}

/** An entry's digests. */
export interface EntryDigest {
  sha256: string
  sha512: string
  size: number
}

/** An entry's digest, or why it could not be read. */
export type EntryResult = {digest: EntryDigest} | {error: string}

export abstract class EntryReader<Entry extends EntryRef> {
  /**
   * An entry's bytes, in chunks of up to LINE_CHUNK (or `chunkSize`, where the entry is read as it
   * is stored), read again from where it is; `onBytes` sees each first (to hash them). A chunk may
   * be valid only until the next is asked for. A copy of a whole entry asks for larger chunks: one
   * read of an age file's MiB costs about what one of its 64 KiB does.
   */
  abstract chunks(info: Entry, onBytes?: (chunk: Buffer) => void, chunkSize?: number): AsyncGenerator<Buffer>

  /**
   * The lines of a UTF-8 text entry, one at a time and empty ones included (but not the nothing
   * after a final newline), so that a large one (a seal's events, its manifests) is never whole in
   * memory; `onBytes` sees every byte read, to hash them. A line longer than `maxLineBytes` stops
   * the reading with an error naming its number, as soon as that many bytes have come without a
   * line break: no genuine file of a bag has one, and holding it would let one line take all the
   * memory. Linear in the entry's size, however its lines are cut.
   */
  async *lines(info: Entry, maxLineBytes: number, onBytes?: (chunk: Buffer) => void): AsyncGenerator<string> {
    const decoder = new StringDecoder('utf8')
    // The start of the current line, in pieces: joined once, when its end comes.
    let pieces: string[] = []
    let pending = 0
    let line = 1
    for await (const chunk of this.chunks(info, onBytes)) {
      const text = decoder.write(chunk)
      let from = 0
      for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', from)) {
        if (pending + Buffer.byteLength(text.slice(from, at)) > maxLineBytes) throw new Error(`${info.name}: line ${line} is longer than ${maxLineBytes} bytes, more than any genuine line`)
        pieces.push(text.slice(from, at))
        yield pieces.length === 1 ? pieces[0]! : pieces.join('')
        pieces = []
        pending = 0
        line++
        from = at + 1
      }

      if (from < text.length) {
        const rest = text.slice(from)
        pending += Buffer.byteLength(rest)
        if (pending > maxLineBytes) throw new Error(`${info.name}: line ${line} is longer than ${maxLineBytes} bytes, more than any genuine line`)
        pieces.push(rest)
      }
    }

    const rest = pieces.join('') + decoder.end()
    if (Buffer.byteLength(rest) > maxLineBytes) throw new Error(`${info.name}: line ${line} is longer than ${maxLineBytes} bytes, more than any genuine line`)
    if (rest !== '') yield rest
  }

  /**
   * The entries, one after the other, read ahead of their consumer into shared memory (a worker
   * can take each chunk in place: src/io/read-ahead.ts), when every one of them is stored as it
   * is; otherwise undefined, and each is read with chunks(). `readError` names what failed.
   */
  readAhead(_infos: readonly Entry[], _readError: (index: number, error: unknown) => Error): ReadAhead | undefined {
    return undefined
  }

  /**
   * A small entry's bytes, read whole: at most `maxBytes` (checked on the size the entry states,
   * before anything is read), and they must have the SHA-256 `sha256` (the digest taken when the
   * entry was first hashed), so that what is read is what was checked.
   */
  async readSmall(info: Entry, maxBytes: number, sha256: string): Promise<Buffer> {
    if (info.uncompressedSize > maxBytes) throw new Error(`${info.name}: ${info.uncompressedSize} bytes, more than the ${maxBytes} any genuine file of its kind can have`)
    const parts: Buffer[] = []
    for await (const chunk of this.chunks(info)) parts.push(Buffer.from(chunk))
    const bytes = Buffer.concat(parts)
    if (hash('sha256', bytes) !== sha256) throw new Error(`${info.name}: it changed while it was being checked: read again, it is not the file hashed first`)
    return bytes
  }
}

/**
 * `size` bytes of an open file (or a decrypted view of one) from `start`, in chunks of up to LINE_CHUNK read into one reused
 * buffer (each valid until the next is asked for); `onBytes` sees each first. `name` names the
 * entry in the error when the file ends before.
 */
export async function* rangeChunks(source: Pick<RandomAccess, 'readAt'>, start: number, size: number, name: string, onBytes?: (chunk: Buffer) => void, chunkSize = LINE_CHUNK): AsyncGenerator<Buffer> {
  const end = start + size
  const buffer = Buffer.allocUnsafe(Math.min(chunkSize, size))
  for (let at = start; at < end; ) {
    const n = await source.readAt(buffer, 0, Math.min(buffer.length, end - at), at)
    if (n === 0) throw new Error(`${name}: the file ends at ${at}, inside the entry`)
    at += n
    const chunk = buffer.subarray(0, n)
    onBytes?.(chunk)
    yield chunk
  }
}
