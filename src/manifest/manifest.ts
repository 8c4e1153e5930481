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
import {lstat, readFile, realpath, stat} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'
import {CustodyError, errnoOf, messageOf} from '../errors.js'
import {sha256Hex} from '../hashing/digests.js'
import type {InputFile} from '../ingest/inputs.js'
import {parseGivenDate} from '../metadata/normalise.js'
import {CsvError, parseCsv} from './csv.js'

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

export interface Manifest {
  path: string
  sha256: string
  format: 'csv' | 'jsonl'
  rows: number
  files: ManifestInput[]
  problems: ManifestProblem[]
}

const MAX_MANIFEST_BYTES = 512 * 1024 * 1024
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/

type Cells = Map<string, string>

function formatOf(path: string, text: string): 'csv' | 'jsonl' {
  const lower = path.toLowerCase()
  if (lower.endsWith('.csv')) return 'csv'
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl'
  return text.trimStart().startsWith('{') ? 'jsonl' : 'csv'
}

function csvRows(text: string, problems: ManifestProblem[]): Array<{line: number; cells: Cells}> {
  let records
  try {
    records = parseCsv(text)
  } catch (error) {
    problems.push({line: error instanceof CsvError ? error.line : 1, message: messageOf(error)})
    return []
  }

  const [header, ...rest] = records
  if (header === undefined) return []
  const names = header.fields.map((name) => name.trim())
  const seen = new Set<string>()
  for (const name of names) {
    if (name === '') problems.push({line: header.line, message: 'a column of the header row has no name'})
    else if (seen.has(name)) problems.push({line: header.line, message: `the column ${JSON.stringify(name)} appears twice in the header row`})
    seen.add(name)
  }

  if (!names.includes('path')) problems.push({line: header.line, message: `the header row has no "path" column (it has: ${names.join(', ')})`})
  const rows: Array<{line: number; cells: Cells}> = []
  for (const record of rest) {
    if (record.fields.length > names.length) {
      problems.push({line: record.line, message: `${record.fields.length} fields, but the header names ${names.length} columns`})
      continue
    }

    rows.push({line: record.line, cells: new Map(record.fields.map((value, i) => [names[i]!, value.trim()]))})
  }

  return rows
}

function jsonlRows(text: string, problems: ManifestProblem[]): Array<{line: number; cells: Cells}> {
  const rows: Array<{line: number; cells: Cells}> = []
  for (const [i, raw] of text.split('\n').entries()) {
    const line = i + 1
    if (raw.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch (error) {
      problems.push({line, message: `not JSON: ${messageOf(error)}`})
      continue
    }

    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push({line, message: 'each line must be one JSON object, such as {"path": "IMG_0412.JPG"}'})
      continue
    }

    const cells: Cells = new Map()
    for (const [name, cell] of Object.entries(value)) {
      if (cell === null) continue
      if (typeof cell === 'object') problems.push({line, message: `the value of ${JSON.stringify(name)} must be a string or a number, not ${Array.isArray(cell) ? 'a list' : 'an object'}`})
      else cells.set(name, String(cell).trim())
    }

    rows.push({line, cells})
  }

  return rows
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

/** Reads and checks a manifest. Problems are returned, not thrown: the caller reports them all. */
export async function readManifest(given: string, options: {cwd?: string} = {}): Promise<Manifest> {
  const path = resolve(options.cwd ?? process.cwd(), given)
  let bytes: Buffer
  try {
    const info = await stat(path)
    if (!info.isFile()) throw new Error('it is not a file')
    if (info.size > MAX_MANIFEST_BYTES) throw new Error(`it is larger than ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB; split it into several batches`)
    bytes = await readFile(path)
  } catch (error) {
    throw new CustodyError('INPUT_UNREADABLE', `cannot read the manifest ${path}: ${messageOf(error)}`, {subject: path, cause: error})
  }

  const text = bytes.toString('utf8')
  if (text.includes('\uFFFD')) throw new CustodyError('INVALID_ARGUMENT', `the manifest ${path} is not UTF-8 text; save it as UTF-8 (CSV UTF-8 in a spreadsheet)`, {subject: path})
  const format = formatOf(path, text)
  const problems: ManifestProblem[] = []
  const rows = format === 'csv' ? csvRows(text, problems) : jsonlRows(text, problems)
  const base = dirname(path)
  const firstLine = new Map<string, number>()
  const files: ManifestInput[] = []
  for (const {line, cells} of rows) {
    const {facts, problems: found} = rowFacts(line, cells)
    if (facts.given === '') {
      found.unshift('no path')
    } else {
      const file = resolve(base, facts.given)
      const target = await rowFile(file)
      if (typeof target === 'string') {
        found.unshift(target)
      } else {
        const key = target.symlinkTarget ?? file
        const earlier = firstLine.get(key)
        if (earlier === undefined) firstLine.set(key, line)
        else found.unshift(`the same file as line ${earlier} (${facts.given})`)
        if (found.length === 0) files.push({path: file, relativePath: facts.given, symlinkTarget: target.symlinkTarget, size: target.size, row: facts})
      }
    }

    for (const message of found) problems.push({line, message})
  }

  if (rows.length === 0 && problems.length === 0) problems.push({line: 1, message: 'the manifest names no files'})
  problems.sort((a, b) => a.line - b.line)
  return {path, sha256: sha256Hex(bytes), format, rows: rows.length, files, problems}
}
