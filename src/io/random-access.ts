/**
 * Bytes read at any position of something that may be a plain file or a view of one: what the ZIP
 * reader (src/zip/reader.ts, structure.ts) reads an archive through. A plain ZIP is a FileAccess;
 * a ZIP inside an age file is read through src/age/random-reader.ts, which decrypts and
 * authenticates the chunks each read touches, so that no plaintext is written to disk.
 */
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'
import {readAt} from './files.js'

export interface RandomAccess {
  /** The size in bytes of what is read (the plaintext, for a decrypting reader). */
  readonly size: number
  /**
   * When set, reads cost by the block of this many bytes (a decrypting reader opens every chunk a
   * read touches): a reader of small records then reads whole blocks around them, not a large
   * window (src/zip/structure.ts).
   */
  readonly block?: number
  /** Reads up to `length` bytes from `position` into `buffer` at `offset`; fewer only at the end. */
  readAt(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>
  /** The same, synchronously: the ZIP's structure is read synchronously, a window at a time. */
  readAtSync(buffer: Uint8Array, offset: number, length: number, position: number): number
  close(): void
}

/** A file opened for reading, read where asked. */
export class FileAccess implements RandomAccess {
  private constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  static open(path: string): FileAccess {
    const fd = openSync(path, 'r')
    try {
      return new FileAccess(fd, fstatSync(fd).size)
    } catch (error) {
      closeSync(fd)
      throw error
    }
  }

  readAt(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return readAt(this.fd, buffer, offset, length, position)
  }

  readAtSync(buffer: Uint8Array, offset: number, length: number, position: number): number {
    return readSync(this.fd, buffer, offset, length, position)
  }

  close(): void {
    closeSync(this.fd)
  }
}
