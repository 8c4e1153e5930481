/**
 * A file a PDF carries inside it, packed as the PDF stores it: compressed (FlateDecode), with the
 * MD5 and size of its bytes as they were before compression (ISO 32000-1 §7.11.4, the embedded
 * file's /Params). Packed by custody rather than by PDFKit's `file()`, which keeps the whole file,
 * copies it into an array of JavaScript numbers to take its MD5 (crypto-js) and compresses it in
 * one call: for the CASE/UCO export of 10,000 exhibits that was the largest thing in memory.
 *
 * FilePacker takes the file as it is written, a piece at a time, so that only its compressed form
 * is ever whole. Compression is deterministic: the same text, written in the same pieces, gives the
 * same bytes (a report is the same bytes for the same archive).
 */
import {createHash} from 'node:crypto'
import {once} from 'node:events'
import {createDeflate, deflateSync} from 'node:zlib'

/** A file as a PDF stores it. */
export interface PackedFile {
  /** The bytes, compressed with zlib's deflate (the PDF's FlateDecode filter). */
  deflated: Buffer
  /** How many bytes the file holds before compression. */
  size: number
  /** The MD5 of the bytes before compression: 16 bytes. */
  md5: Buffer
}

/** A file held whole in memory, packed (a small one: the verification result). */
export function packBytes(bytes: Buffer): PackedFile {
  return {deflated: deflateSync(bytes), size: bytes.length, md5: createHash('md5').update(bytes).digest()}
}

/** How much text is gathered before it is compressed: the writers give it in small pieces. */
const PIECE_CHARS = 64 * 1024

/** Packs a file written as text, a piece at a time (a writer's TextOut). */
export class FilePacker {
  private readonly deflate = createDeflate()
  private readonly md5 = createHash('md5')
  private readonly parts: Buffer[] = []
  private pending = ''
  private size = 0

  constructor() {
    this.deflate.on('data', (chunk: Buffer) => this.parts.push(chunk))
  }

  async write(text: string): Promise<void> {
    this.pending += text
    if (this.pending.length >= PIECE_CHARS) await this.compress()
  }

  async finish(): Promise<PackedFile> {
    await this.compress()
    const ended = once(this.deflate, 'end')
    this.deflate.end()
    await ended
    return {deflated: Buffer.concat(this.parts), size: this.size, md5: this.md5.digest()}
  }

  private async compress(): Promise<void> {
    if (this.pending === '') return
    const bytes = Buffer.from(this.pending, 'utf8')
    this.pending = ''
    this.md5.update(bytes)
    this.size += bytes.length
    if (!this.deflate.write(bytes)) await once(this.deflate, 'drain')
  }
}
