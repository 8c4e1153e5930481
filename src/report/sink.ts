/**
 * Where the report is written as it is made: a temp file beside --out (so that the rename that
 * puts it in place stays on one file system), in chunks, so that the report is never whole in
 * memory however many exhibits it lists. Durable as every file custody writes: write, fsync, then
 * moved into place (src/io/files.ts moveIntoPlace).
 */
import {randomBytes} from 'node:crypto'
import {open, rm, type FileHandle} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {moveIntoPlace, PRIVATE_FILE, writeAll} from '../io/files.js'

const FLUSH_AT = 64 * 1024

export class ReportSink implements AsyncDisposable {
  private parts: Buffer[] = []
  private pending = 0
  private done = false

  private constructor(
    readonly temp: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(target: string): Promise<ReportSink> {
    const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
    return new ReportSink(temp, await open(temp, 'wx', PRIVATE_FILE))
  }

  async write(text: string): Promise<void> {
    this.push(Buffer.from(text, 'utf8'))
    await this.drain()
  }

  /** Bytes kept until the next drain() (for a writer that gives them from an event handler, as PDFKit does). */
  push(bytes: Buffer): void {
    this.parts.push(bytes)
    this.pending += bytes.length
  }

  /** Writes what is kept once it is large enough to be worth a write. */
  async drain(): Promise<void> {
    if (this.pending >= FLUSH_AT) await this.flush()
  }

  /** Puts the finished report at `target`: false when a file is there and `overwrite` is not given. */
  async finish(target: string, overwrite: boolean): Promise<boolean> {
    await this.flush()
    await this.handle.sync()
    await this.handle.close()
    this.done = true
    return moveIntoPlace(this.temp, target, overwrite)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.done) return
    await this.handle.close().catch(() => undefined)
    await rm(this.temp, {force: true})
  }

  private async flush(): Promise<void> {
    const chunk = Buffer.concat(this.parts)
    this.parts = []
    this.pending = 0
    await writeAll(this.handle, chunk)
  }
}
