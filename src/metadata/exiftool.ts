/**
 * Reads a file's complete metadata record with ExifTool (through exiftool-vendored).
 *
 * ExifTool runs as a pool of long-lived processes: starting one (a Perl interpreter loading
 * ExifTool's tag tables) costs far more than reading a photo. The pool owns processes, so the
 * reader is AsyncDisposable and must be ended.
 */
import {availableParallelism} from 'node:os'
import {StringDecoder} from 'node:string_decoder'
import type {ExifTool as ExifToolClass} from 'exiftool-vendored'
import type {JsonValue} from '../canonical/jcs.js'
import {messageOf} from '../errors.js'
import {watchedExifTool} from './exiftool-watchdog.js'

/**
 * The whole file is scanned (no `-fast`); every known tag is kept, duplicates too (`-a`), named by
 * family 0 and family 1 group (`-G0:1`) and as numbers (`-n`). The System group describes the file
 * on this disk (its temp name, dates, permissions), not the evidence. Unknown tags (`-u`) are left
 * out: they cost a sixth more ExifTool time on a batch and carry no name a court could read; the
 * original bytes stay in the vault for anyone who wants them.
 */
export const EXIFTOOL_READ_ARGS: readonly string[] = ['-a', '-G0:1', '-n', '-x', 'System:all']

export interface MetadataRecord {
  /** The program that read the record, e.g. `ExifTool 13.59`, and the arguments it was given. */
  reader: {name: 'ExifTool'; version: string; args: string[]}
  tags: {[key: string]: JsonValue}
  warnings: string[]
  errors: string[]
}

const LONE_SURROGATES = /[\uD800-\uDFFF]/gu

/** Metadata is hostile input: keep it JSON-safe without changing the evidence (kept in the vault). */
function toJson(value: unknown): JsonValue {
  if (value === null || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value)
  if (typeof value === 'string') return value.replaceAll(LONE_SURROGATES, '\uFFFD')
  if (Array.isArray(value)) return value.map((item) => toJson(item))
  if (typeof value === 'object') {
    const out: {[key: string]: JsonValue} = {}
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key.replaceAll(LONE_SURROGATES, '\uFFFD')] = toJson(item)
    }

    return out
  }

  return String(value)
}

interface GroupAnswer {
  answers: unknown[]
  /** ExifTool's complaints on stderr, by line; a line names the file it is about. */
  errors: string[]
  warnings: string[]
}

/**
 * One ExifTool request for several files (`-json FILE...`): each file gets the record a request
 * of its own would give, without paying ExifTool's per-request set-up every time. Its output is
 * decoded as one UTF-8 stream: batch-cluster decodes every pipe chunk on its own, which breaks a
 * character that straddles two chunks (an output over 64 KiB, a name such as "årtîst").
 */
function groupTask(module: typeof import('exiftool-vendored'), paths: readonly string[]): import('exiftool-vendored').ExifToolTask<GroupAnswer> {
  class ReadGroupTask extends module.ExifToolTask<GroupAnswer> {
    private readonly decoder = new StringDecoder('utf8')

    constructor() {
      super(['-charset', 'filename=utf8', ...EXIFTOOL_READ_ARGS, '-json', ...paths])
    }

    override onStdout(buf: string | Buffer): void {
      super.onStdout(typeof buf === 'string' ? buf : this.decoder.write(buf))
    }

    protected parse(data: string, error?: Error): GroupAnswer {
      const complaints = {errors: [...this.errors], warnings: [...this.warnings]}
      if (data.trim() === '') {
        if (error !== undefined && paths.length === 1) throw error
        return {answers: [], ...complaints}
      }

      const parsed = JSON.parse(data) as unknown
      if (!Array.isArray(parsed)) throw new Error('ExifTool did not answer with a JSON list')
      return {answers: parsed, ...complaints}
    }
  }

  return new ReadGroupTask()
}

/** At most this many files in one ExifTool request. */
const MAX_GROUP = 16

export class MetadataReader implements AsyncDisposable {
  private readonly exiftool: ExifToolClass
  private readonly module: typeof import('exiftool-vendored')
  private readonly maxProcs: number
  private cachedVersion: string | undefined
  /** Reads asked for and not yet sent to ExifTool. */
  private queue: Array<{path: string; resolve: (record: MetadataRecord) => void}> = []
  private inFlight = 0

  private constructor(exiftool: ExifToolClass, module: typeof import('exiftool-vendored'), maxProcs: number) {
    this.exiftool = exiftool
    this.module = module
    this.maxProcs = maxProcs
  }

  /** Loads exiftool-vendored only when metadata is needed: it is heavy at start-up. */
  static async start(options: {maxProcs?: number} = {}): Promise<MetadataReader> {
    const module = await import('exiftool-vendored')
    const maxProcs = options.maxProcs ?? Math.max(1, Math.min(4, availableParallelism()))
    const exiftool = new module.ExifTool({
      maxProcs,
      minDelayBetweenSpawnMillis: 0,
      taskTimeoutMillis: 5 * 60 * 1000,
      readArgs: [],
      ignoreMinorErrors: false,
      useMWG: false,
      ...(process.platform === 'win32' ? {} : {processFactory: async () => watchedExifTool(await module.exiftoolPath(), module.DefaultExiftoolArgs)}),
    })
    return new MetadataReader(exiftool, module, maxProcs)
  }

  async version(): Promise<string> {
    this.cachedVersion ??= await this.exiftool.version()
    return this.cachedVersion
  }

  /**
   * Never throws for a bad file: ExifTool's complaint becomes part of the record. Reads asked for
   * while every ExifTool process is busy wait, and go together in the next request.
   */
  async read(path: string): Promise<MetadataRecord> {
    await this.version()
    return new Promise((resolve) => {
      this.queue.push({path, resolve})
      this.pump()
    })
  }

  /** Sends what is waiting to the processes that are free, in equal shares. */
  private pump(): void {
    while (this.inFlight < this.maxProcs && this.queue.length > 0) {
      const share = Math.min(MAX_GROUP, Math.ceil(this.queue.length / (this.maxProcs - this.inFlight)))
      const group = this.queue.splice(0, share)
      this.inFlight++
      void this.readGroup(group.map((g) => g.path))
        .then((records) => group.forEach((g, i) => g.resolve(records[i]!)))
        .finally(() => {
          this.inFlight--
          this.pump()
        })
    }
  }

  private async readGroup(paths: readonly string[]): Promise<MetadataRecord[]> {
    const reader = {name: 'ExifTool' as const, version: this.cachedVersion ?? 'unknown', args: [...EXIFTOOL_READ_ARGS]}
    let answer: GroupAnswer
    try {
      answer = await this.exiftool.enqueueTask(() => groupTask(this.module, paths))
    } catch (error) {
      // A request that failed as a whole is retried file by file, so that one bad file cannot
      // take the others' records with it.
      if (paths.length > 1) return Promise.all(paths.map((path) => this.readGroup([path]).then((records) => records[0]!)))
      return [{reader, tags: {}, warnings: [], errors: [`ExifTool could not read the file: ${messageOf(error)}`]}]
    }

    const bySource = new Map<string, Record<string, unknown>>()
    for (const item of answer.answers) {
      if (typeof item === 'object' && item !== null && typeof (item as {SourceFile?: unknown}).SourceFile === 'string') {
        bySource.set((item as {SourceFile: string}).SourceFile, item as Record<string, unknown>)
      }
    }

    return Promise.all(
      paths.map(async (path) => {
        const about = (lines: string[]): string[] => (paths.length === 1 ? lines : lines.filter((line) => line.includes(path)))
        const raw = bySource.get(path)
        if (raw !== undefined) return this.recordOf(raw, about(answer.errors), about(answer.warnings))
        // No answer for this file: asked again on its own, it gets its own complaint.
        if (paths.length > 1) return (await this.readGroup([path]))[0]!
        const why = about(answer.errors)
        return {reader, tags: {}, warnings: about(answer.warnings), errors: [`ExifTool could not read the file${why.length ? `: ${why.join('; ')}` : ''}`]}
      }),
    )
  }

  private recordOf(raw: Record<string, unknown>, errors: string[], warnings: string[]): MetadataRecord {
    const reader = {name: 'ExifTool' as const, version: this.cachedVersion ?? 'unknown', args: [...EXIFTOOL_READ_ARGS]}
    const {SourceFile: _sourceFile, ...tags} = raw
    // With group names, ExifTool's complaints arrive as the tags ExifTool:Warning and ExifTool:Error.
    const collect = (fromStderr: string[], tag: string): string[] => {
      const found = new Set(fromStderr)
      const value = tags[tag]
      if (typeof value === 'string' && value.trim() !== '') found.add(value)
      return [...found]
    }

    return {
      reader,
      tags: toJson(tags) as {[key: string]: JsonValue},
      warnings: collect(warnings, 'ExifTool:Warning'),
      errors: collect(errors, 'ExifTool:Error'),
    }
  }

  /** Ends the ExifTool processes, once what they were asked is done; ending again does nothing. */
  async end(): Promise<void> {
    await this.exiftool.end()
  }

  /** For `await using`: ends the processes, as end() does (again, harmlessly, after end()). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.end()
  }
}
