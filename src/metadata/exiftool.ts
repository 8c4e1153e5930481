/**
 * Reads a file's complete metadata record with ExifTool (through exiftool-vendored).
 *
 * ExifTool runs as a pool of long-lived processes: start-up costs ~90 ms, far more than reading a
 * photo. The pool owns processes, so the reader is AsyncDisposable and must be ended.
 */
import {availableParallelism} from 'node:os'
import type {ExifTool as ExifToolClass} from 'exiftool-vendored'
import type {JsonValue} from '../canonical/jcs.js'
import {messageOf} from '../errors.js'

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

export class MetadataReader implements AsyncDisposable {
  private readonly exiftool: ExifToolClass
  private cachedVersion: string | undefined

  private constructor(exiftool: ExifToolClass) {
    this.exiftool = exiftool
  }

  /** Loads exiftool-vendored only when metadata is needed: it is heavy at start-up. */
  static async start(options: {maxProcs?: number} = {}): Promise<MetadataReader> {
    const {ExifTool} = await import('exiftool-vendored')
    const maxProcs = options.maxProcs ?? Math.max(1, Math.min(4, availableParallelism()))
    const exiftool = new ExifTool({
      maxProcs,
      minDelayBetweenSpawnMillis: 0,
      taskTimeoutMillis: 5 * 60 * 1000,
      readArgs: [],
      ignoreMinorErrors: false,
      useMWG: false,
    })
    return new MetadataReader(exiftool)
  }

  async version(): Promise<string> {
    this.cachedVersion ??= await this.exiftool.version()
    return this.cachedVersion
  }

  /** Never throws for a bad file: ExifTool's complaint becomes part of the record. */
  async read(path: string): Promise<MetadataRecord> {
    const reader = {name: 'ExifTool' as const, version: await this.version(), args: [...EXIFTOOL_READ_ARGS]}
    try {
      const raw = (await this.exiftool.readRaw(path, {readArgs: [...EXIFTOOL_READ_ARGS]})) as Record<string, unknown>
      const {errors, warnings, SourceFile: _sourceFile, ...tags} = raw
      // With group names, ExifTool's complaints arrive as the tags ExifTool:Warning and ExifTool:Error.
      const collect = (fromVendored: unknown, tag: string): string[] => {
        const found = new Set(Array.isArray(fromVendored) ? fromVendored.map(String) : [])
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
    } catch (error) {
      return {reader, tags: {}, warnings: [], errors: [`ExifTool could not read the file: ${messageOf(error)}`]}
    }
  }

  async end(): Promise<void> {
    await this.exiftool.end()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.end()
  }
}
