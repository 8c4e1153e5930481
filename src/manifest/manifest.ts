/**
 * Batch manifests: one row per file, in CSV (a header row, RFC 4180) or JSON Lines (one object
 * per line). The columns:
 *
 *   path           the file; a relative path is resolved against the manifest's own folder
 *   collected_at   when it was collected, ISO 8601 (2024-03-01 or 2024-03-01T14:05:00+02:00)
 *   collected_by   who collected it
 *   location       where, in words
 *   latitude       where, in decimal degrees (WGS 84), -90 to 90; with longitude
 *   longitude      -180 to 180; with latitude
 *   source         where the file came from (a device, a person, a platform)
 *   note           a note on this file
 *   anything else  kept as a tag on the exhibit (column name and text)
 *
 * Every row is checked before anything is ingested, and every problem is reported with its line
 * in the file. The manifest's SHA-256 identifies the batch.
 *
 * Whatever the file holds, reading it takes bounded memory: a row longer than MAX_ROW_BYTES (or a
 * quoted field left open, which would run to the end of the file) stops the reading there, and
 * only the first LISTED_PROBLEMS problems are kept, with a count of all of them.
 */
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {lstat, realpath, stat} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'
import {TextDecoder} from 'node:util'
import {CustodyError, errnoOf, messageOf} from '../errors.js'
import type {InputFile} from '../ingest/inputs.js'
import {parseGivenDate} from '../metadata/normalise.js'
import {CsvError, CsvParser, type CsvRecord} from './csv.js'

export const KNOWN_COLUMNS = ['path', 'collected_at', 'collected_by', 'location', 'latitude', 'longitude', 'source', 'note'] as const

/** What a manifest row says about its file, recorded beside (never instead of) the file's own metadata. */
export interface RowFacts {
  line: number
  /** The path as written in the manifest. */
  given: string
  collected: {at?: string; offset?: string | null; by?: string; location?: string; latitude?: number; longitude?: number; source?: string}
  note: string | null
  tags: {[column: string]: string}
}

export interface ManifestInput extends InputFile {
  row: RowFacts
}

export interface ManifestProblem {
  line: number
  message: string
}

/** The manifest's summary; its files went to the sink, row by row, as they were read. */
export interface Manifest {
  path: string
  /** The SHA-256 of the bytes read: the whole file, unless a row stopped the reading (then there are problems). */
  sha256: string
  format: 'csv' | 'jsonl'
  rows: number
  /** The rows without problems. */
  files: number
  /** The first LISTED_PROBLEMS problems, in line order. */
  problems: ManifestProblem[]
  /** How many problems were found in all, listed or not. */
  problemCount: number
}

/** Where readManifest() puts the files of a manifest as it reads them. */
export interface ManifestSink {
  /** Claims the file a row names (its real path): the line of the row that claimed it first, if another did. */
  claim(key: string, line: number): number | undefined
  /** The file of a row without problems. */
  add(file: ManifestInput): void
}

const MAX_MANIFEST_BYTES = 512 * 1024 * 1024

/**
 * The longest row a manifest may have, in bytes. A genuine row names one file (a path of at most
 * 4,096 bytes, PATH_MAX on Linux) and a few short values; 64 KiB leaves room for a long note and
 * many tags, while a longer "row" is a file that is not a manifest, or a quote left open.
 */
export const MAX_ROW_BYTES = 64 * 1024

/** How many problems are kept to be reported; the others are only counted. */
export const LISTED_PROBLEMS = 1000

/** The problems of a manifest: the first LISTED_PROBLEMS, and how many in all. */
class ProblemList {
  readonly listed: ManifestProblem[] = []
  count = 0

  add(line: number, message: string): void {
    this.count++
    if (this.listed.length < LISTED_PROBLEMS) this.listed.push({line, message})
  }
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/

type Cells = Map<string, string>

/**
 * A row of the manifest, as read: its line, its cells by column name (none when the row could not
 * be read as one), and the problems of form found in it. Problems of form travel with the rows,
 * so that all problems are found in line order.
 */
type Row = {line: number; cells: Cells | undefined; problems: string[]}

const formProblem = (line: number, problem: string): Row => ({line, cells: undefined, problems: [problem]})

/**
 * Turns pieces of a manifest's text into rows; problems of form are reported, not thrown. Once
 * `stopped`, nothing more can be read with confidence, and the rest of the file is not read.
 */
interface RowReader {
  push(text: string): Row[]
  end(): Row[]
  readonly stopped: boolean
}

function formatOf(path: string, firstText: string): 'csv' | 'jsonl' {
  const lower = path.toLowerCase()
  if (lower.endsWith('.csv')) return 'csv'
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl'
  return firstText.trimStart().startsWith('{') ? 'jsonl' : 'csv'
}

function csvRows(): RowReader {
  const parser = new CsvParser({maxRecordBytes: MAX_ROW_BYTES})
  let names: string[] | undefined
  let stopped = false
  const rowsOf = (records: () => CsvRecord[]): Row[] => {
    if (stopped) return []
    const rows: Row[] = []
    const add = (record: CsvRecord): void => {
      if (names === undefined) names = header(record, rows)
      else if (record.fields.length > names.length) rows.push(formProblem(record.line, `${record.fields.length} fields, but the header names ${names.length} columns`))
      else rows.push({line: record.line, cells: new Map(record.fields.map((value, i) => [names![i]!, value.trim()])), problems: []})
    }

    try {
      for (const record of records()) add(record)
    } catch (error) {
      if (!(error instanceof CsvError)) throw error
      // Past a quote left open or a row over the bound nothing can be read with confidence.
      stopped = true
      for (const record of error.before) add(record)
      rows.push(formProblem(error.line, error.message))
    }

    return rows
  }

  return {
    push: (text) => rowsOf(() => parser.push(text)),
    end: () => rowsOf(() => parser.end()),
    get stopped() {
      return stopped
    },
  }
}

/** The column names of the header row; its problems go to `rows`. */
function header(record: CsvRecord, rows: Row[]): string[] {
  const names = record.fields.map((name) => name.trim())
  const seen = new Set<string>()
  const problem = (text: string): number => rows.push(formProblem(record.line, text))
  for (const name of names) {
    if (name === '') problem('a column of the header row has no name')
    else if (seen.has(name)) problem(`the column ${JSON.stringify(name)} appears twice in the header row`)
    seen.add(name)
  }

  if (!names.includes('path')) problem(`the header row has no "path" column (it has: ${names.join(', ')})`)
  return names
}

function jsonlRows(): RowReader {
  // The line being read: its pieces so far, and their size in bytes.
  let pieces: string[] = []
  let bytes = 0
  let line = 0
  let stopped = false
  const take = (piece: string, rows: Row[]): boolean => {
    bytes += Buffer.byteLength(piece)
    if (bytes > MAX_ROW_BYTES) {
      stopped = true
      pieces = []
      rows.push(formProblem(line + 1, `the row is longer than ${MAX_ROW_BYTES.toLocaleString('en-US')} bytes, more than a row naming one file can need; the rest of the manifest is not read`))
      return false
    }

    pieces.push(piece)
    return true
  }

  const endLine = (rows: Row[]): void => {
    line++
    const row = jsonlRow(line, pieces.join(''))
    if (row !== undefined) rows.push(row)
    pieces = []
    bytes = 0
  }

  return {
    push(text) {
      const rows: Row[] = []
      let start = 0
      for (let end = text.indexOf('\n'); end !== -1 && !stopped; end = text.indexOf('\n', start)) {
        if (take(text.slice(start, end), rows)) endLine(rows)
        start = end + 1
      }

      if (!stopped && start < text.length) take(text.slice(start), rows)
      return rows
    },
    end() {
      const rows: Row[] = []
      if (!stopped) endLine(rows)
      return rows
    },
    get stopped() {
      return stopped
    },
  }
}

function jsonlRow(line: number, raw: string): Row | undefined {
  if (raw.trim() === '') return undefined
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (error) {
    return formProblem(line, `not JSON: ${messageOf(error)}`)
  }

  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return formProblem(line, 'each line must be one JSON object, such as {"path": "IMG_0412.JPG"}')
  }

  const cells: Cells = new Map()
  const problems: string[] = []
  for (const [name, cell] of Object.entries(value)) {
    if (cell === null) continue
    if (typeof cell === 'object') problems.push(`the value of ${JSON.stringify(name)} must be a string or a number, not ${Array.isArray(cell) ? 'a list' : 'an object'}`)
    else cells.set(name, String(cell).trim())
  }

  return {line, cells, problems}
}

function coordinate(value: string | undefined, name: 'latitude' | 'longitude', limit: number, problems: string[]): number | undefined {
  if (value === undefined || value === '') return undefined
  const n = Number(value)
  if (!DECIMAL.test(value) || !Number.isFinite(n)) problems.push(`${name} ${JSON.stringify(value)} is not a number in decimal degrees`)
  else if (Math.abs(n) > limit) problems.push(`${name} ${value} is out of range (-${limit} to ${limit})`)
  else return n
  return undefined
}

/** Checks one row's values; returns its facts and the problems found. */
function rowFacts(line: number, cells: Cells): {facts: RowFacts; problems: string[]} {
  const problems: string[] = []
  const text = (name: string): string | undefined => {
    const value = cells.get(name)
    return value === undefined || value === '' ? undefined : value
  }

  const collected: RowFacts['collected'] = {}
  const at = text('collected_at')
  if (at !== undefined) {
    const parsed = parseGivenDate(at)
    if (parsed === null) problems.push(`collected_at ${JSON.stringify(at)} is not an ISO 8601 date or time such as 2024-03-01 or 2024-03-01T14:05:00+02:00`)
    else Object.assign(collected, {at, offset: parsed.offset})
  }

  for (const [column, key] of [
    ['collected_by', 'by'],
    ['location', 'location'],
    ['source', 'source'],
  ] as const) {
    const value = text(column)
    if (value !== undefined) collected[key] = value
  }

  const latitude = coordinate(text('latitude'), 'latitude', 90, problems)
  const longitude = coordinate(text('longitude'), 'longitude', 180, problems)
  if ((text('latitude') === undefined) !== (text('longitude') === undefined)) problems.push('latitude and longitude go together: give both or neither')
  else if (latitude !== undefined && longitude !== undefined) Object.assign(collected, {latitude, longitude})

  const tags: {[column: string]: string} = {}
  for (const [name, value] of cells) {
    if (!(KNOWN_COLUMNS as readonly string[]).includes(name) && value !== '') tags[name] = value
  }

  return {facts: {line, given: text('path') ?? '', collected, note: text('note') ?? null, tags}, problems}
}

/** The file a row names: it must exist and be a regular file (a symlink to one is followed). */
async function rowFile(path: string): Promise<{size: number; symlinkTarget: string | null} | string> {
  let info
  try {
    info = await lstat(path)
  } catch (error) {
    return errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR' ? `no such file: ${path}` : `cannot look at ${path}: ${messageOf(error)}`
  }

  let symlinkTarget: string | null = null
  if (info.isSymbolicLink()) {
    const target = await stat(path).catch(() => undefined)
    if (target === undefined) return `${path} is a symlink to nothing`
    symlinkTarget = await realpath(path)
    info = target
  }

  if (info.isDirectory()) return `${path} is a folder; a manifest names files, one per row`
  if (!info.isFile()) return `${path} is not a regular file`
  return {size: info.size, symlinkTarget}
}

/** The manifest's absolute path, once it is known to be a file custody will read; a file it will not read is refused. */
export async function checkManifestFile(given: string, cwd = process.cwd()): Promise<string> {
  const path = resolve(cwd, given)
  try {
    const info = await stat(path)
    if (!info.isFile()) throw new Error('it is not a file')
    if (info.size > MAX_MANIFEST_BYTES) throw new Error(`it is larger than ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB; split it into several batches`)
  } catch (error) {
    throw unreadable(path, error)
  }

  return path
}

function unreadable(path: string, error: unknown): CustodyError {
  return new CustodyError('INPUT_UNREADABLE', `cannot read the manifest ${path}: ${messageOf(error)}`, {subject: path, cause: error})
}

/**
 * Reads and checks a manifest, as a stream: each file goes to the sink as its row is read.
 * Problems are returned, not thrown: the caller reports them all (and ingests nothing if there
 * are any).
 */
export async function readManifest(given: string, sink: ManifestSink, options: {cwd?: string} = {}): Promise<Manifest> {
  const path = await checkManifestFile(given, options.cwd)

  const hash = createHash('sha256')
  const decoder = new TextDecoder('utf-8', {fatal: true})
  const problems = new ProblemList()
  const base = dirname(path)
  let reader: RowReader | undefined
  let format: Manifest['format'] = 'csv'
  let rows = 0
  let files = 0
  const take = async (read: Row[]): Promise<void> => {
    for (const row of read) {
      if (row.cells === undefined) {
        for (const message of row.problems) problems.add(row.line, message)
        continue
      }

      rows++
      if (await checkRow(row.line, row.cells, row.problems, base, sink, problems)) files++
    }
  }

  try {
    for await (const chunk of createReadStream(path, {highWaterMark: 256 * 1024}) as AsyncIterable<Buffer>) {
      hash.update(chunk)
      const text = decode(decoder, chunk, path)
      if (reader === undefined) {
        format = formatOf(path, text)
        reader = format === 'csv' ? csvRows() : jsonlRows()
      }

      await take(reader.push(text))
      if (reader.stopped) break
    }
  } catch (error) {
    throw error instanceof CustodyError ? error : unreadable(path, error)
  }

  reader ??= csvRows()
  if (!reader.stopped) {
    await take(reader.push(decode(decoder, undefined, path)))
    await take(reader.end())
  }

  if (rows === 0 && problems.count === 0) problems.add(1, 'the manifest names no files')
  // Rows are read in order and each row's problems are found before the next row's: the problems
  // are already in line order.
  return {path, sha256: hash.digest('hex'), format, rows, files, problems: problems.listed, problemCount: problems.count}
}

/** A piece of the manifest as text (the decoder's end when `chunk` is undefined); UTF-8 only. */
function decode(decoder: TextDecoder, chunk: Buffer | undefined, path: string): string {
  try {
    return chunk === undefined ? decoder.decode() : decoder.decode(chunk, {stream: true})
  } catch {
    throw new CustodyError('INVALID_ARGUMENT', `the manifest ${path} is not UTF-8 text; save it as UTF-8 (CSV UTF-8 in a spreadsheet)`, {subject: path})
  }
}

/** Checks one row and its file; a row without problems goes to the sink. True when it did. */
async function checkRow(line: number, cells: Cells, ofForm: string[], base: string, sink: ManifestSink, problems: ProblemList): Promise<boolean> {
  const {facts, problems: ofValues} = rowFacts(line, cells)
  const found = [...ofForm, ...ofValues]
  let added = false
  if (facts.given === '') {
    found.unshift('no path')
  } else {
    const file = resolve(base, facts.given)
    const target = await rowFile(file)
    if (typeof target === 'string') {
      found.unshift(target)
    } else {
      const earlier = sink.claim(target.symlinkTarget ?? file, line)
      if (earlier !== undefined) found.unshift(`the same file as line ${earlier} (${facts.given})`)
      if (found.length === 0) {
        sink.add({path: file, relativePath: facts.given, symlinkTarget: target.symlinkTarget, size: target.size, row: facts})
        added = true
      }
    }
  }

  for (const message of found) problems.add(line, message)
  return added
}
