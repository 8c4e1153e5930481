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
  sha256: string
  format: 'csv' | 'jsonl'
  rows: number
  /** The rows without problems. */
  files: number
  problems: ManifestProblem[]
}

/** Where readManifest() puts the files of a manifest as it reads them. */
export interface ManifestSink {
  /** Claims the file a row names (its real path): the line of the row that claimed it first, if another did. */
  claim(key: string, line: number): number | undefined
  /** The file of a row without problems. */
  add(file: ManifestInput): void
}

const MAX_MANIFEST_BYTES = 512 * 1024 * 1024
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/

type Cells = Map<string, string>

/** A row of the manifest, as read: its line and its cells by column name. */
type Row = {line: number; cells: Cells}

/** Turns pieces of a manifest's text into rows; problems of form are reported, not thrown. */
interface RowReader {
  push(text: string): Row[]
  end(): Row[]
}

function formatOf(path: string, firstText: string): 'csv' | 'jsonl' {
  const lower = path.toLowerCase()
  if (lower.endsWith('.csv')) return 'csv'
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl'
  return firstText.trimStart().startsWith('{') ? 'jsonl' : 'csv'
}

function csvRows(problems: ManifestProblem[]): RowReader {
  const parser = new CsvParser()
  let names: string[] | undefined
  let failed = false
  const rowsOf = (records: () => CsvRecord[]): Row[] => {
    if (failed) return []
    let read: CsvRecord[]
    try {
      read = records()
    } catch (error) {
      // Past a quote left open nothing can be read with confidence: the rest is not read.
      failed = true
      problems.push({line: error instanceof CsvError ? error.line : 1, message: messageOf(error)})
      return []
    }

    const rows: Row[] = []
    for (const record of read) {
      if (names === undefined) {
        names = header(record, problems)
        continue
      }

      if (record.fields.length > names.length) problems.push({line: record.line, message: `${record.fields.length} fields, but the header names ${names.length} columns`})
      else rows.push({line: record.line, cells: new Map(record.fields.map((value, i) => [names![i]!, value.trim()]))})
    }

    return rows
  }

  return {push: (text) => rowsOf(() => parser.push(text)), end: () => rowsOf(() => parser.end())}
}

/** The column names of the header row, with its problems. */
function header(record: CsvRecord, problems: ManifestProblem[]): string[] {
  const names = record.fields.map((name) => name.trim())
  const seen = new Set<string>()
  for (const name of names) {
    if (name === '') problems.push({line: record.line, message: 'a column of the header row has no name'})
    else if (seen.has(name)) problems.push({line: record.line, message: `the column ${JSON.stringify(name)} appears twice in the header row`})
    seen.add(name)
  }

  if (!names.includes('path')) problems.push({line: record.line, message: `the header row has no "path" column (it has: ${names.join(', ')})`})
  return names
}

function jsonlRows(problems: ManifestProblem[]): RowReader {
  let rest = ''
  let line = 0
  const rowsOf = (lines: string[]): Row[] => {
    const rows: Row[] = []
    for (const raw of lines) {
      line++
      const row = jsonlRow(line, raw, problems)
      if (row !== undefined) rows.push(row)
    }

    return rows
  }

  return {
    push(text) {
      // A piece without a line break ends no line (and a very long line is not split again and again).
      if (!text.includes('\n')) {
        rest += text
        return []
      }

      const lines = (rest + text).split('\n')
      rest = lines.pop()!
      return rowsOf(lines)
    },
    end: () => rowsOf([rest]),
  }
}

function jsonlRow(line: number, raw: string, problems: ManifestProblem[]): Row | undefined {
  if (raw.trim() === '') return undefined
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (error) {
    problems.push({line, message: `not JSON: ${messageOf(error)}`})
    return undefined
  }

  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({line, message: 'each line must be one JSON object, such as {"path": "IMG_0412.JPG"}'})
    return undefined
  }

  const cells: Cells = new Map()
  for (const [name, cell] of Object.entries(value)) {
    if (cell === null) continue
    if (typeof cell === 'object') problems.push({line, message: `the value of ${JSON.stringify(name)} must be a string or a number, not ${Array.isArray(cell) ? 'a list' : 'an object'}`})
    else cells.set(name, String(cell).trim())
  }

  return {line, cells}
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

/**
 * Reads and checks a manifest, as a stream: each file goes to the sink as its row is read.
 * Problems are returned, not thrown: the caller reports them all (and ingests nothing if there
 * are any).
 */
export async function readManifest(given: string, sink: ManifestSink, options: {cwd?: string} = {}): Promise<Manifest> {
  const path = resolve(options.cwd ?? process.cwd(), given)
  const unreadable = (error: unknown): CustodyError => new CustodyError('INPUT_UNREADABLE', `cannot read the manifest ${path}: ${messageOf(error)}`, {subject: path, cause: error})
  try {
    const info = await stat(path)
    if (!info.isFile()) throw new Error('it is not a file')
    if (info.size > MAX_MANIFEST_BYTES) throw new Error(`it is larger than ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB; split it into several batches`)
  } catch (error) {
    throw unreadable(error)
  }

  const hash = createHash('sha256')
  const decoder = new TextDecoder('utf-8', {fatal: true})
  const problems: ManifestProblem[] = []
  const base = dirname(path)
  let reader: RowReader | undefined
  let format: Manifest['format'] = 'csv'
  let rows = 0
  let files = 0
  const take = async (read: Row[]): Promise<void> => {
    for (const {line, cells} of read) {
      rows++
      if (await checkRow(line, cells, base, sink, problems)) files++
    }
  }

  try {
    for await (const chunk of createReadStream(path, {highWaterMark: 256 * 1024}) as AsyncIterable<Buffer>) {
      hash.update(chunk)
      const text = decode(decoder, chunk, path)
      if (reader === undefined) {
        format = formatOf(path, text)
        reader = format === 'csv' ? csvRows(problems) : jsonlRows(problems)
      }

      await take(reader.push(text))
    }
  } catch (error) {
    throw error instanceof CustodyError ? error : unreadable(error)
  }

  reader ??= csvRows(problems)
  await take(reader.push(decode(decoder, undefined, path)))
  await take(reader.end())
  if (rows === 0 && problems.length === 0) problems.push({line: 1, message: 'the manifest names no files'})
  problems.sort((a, b) => a.line - b.line)
  return {path, sha256: hash.digest('hex'), format, rows, files, problems}
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
async function checkRow(line: number, cells: Cells, base: string, sink: ManifestSink, problems: ManifestProblem[]): Promise<boolean> {
  const {facts, problems: found} = rowFacts(line, cells)
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

  for (const message of found) problems.push({line, message})
  return added
}
