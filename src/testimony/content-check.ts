/**
 * Whether what a testimony brings in names the witness: the statement's own text, when it is text,
 * and the complete metadata record ExifTool read from the statement and from every attachment
 * (EXIF Artist, XMP Creator, IPTC By-line, comments; any tag may hold a name, so every string
 * value is searched). The test is identifying.ts's.
 *
 * A statement is searched as text when ExifTool does not take it for another kind of file (a PDF,
 * a scan, a word-processor document, RTF with its escapes) and its bytes are UTF-8, or UTF-16 with
 * a byte-order mark, without NUL or other control characters. Anything else cannot be searched
 * here, and the check says so rather than pass it as clean: a PDF's words are in compressed
 * streams, a scan's are pixels, and a legacy 8-bit encoding (Windows-1251, KOI8-U) cannot be told
 * from another by its bytes.
 *
 * The statement is read as a stream, 64 KiB at a time; nothing holds the whole of it.
 */
import {createReadStream} from 'node:fs'
import {TextDecoder} from 'node:util'
import type {JsonValue} from '../canonical/jcs.js'
import {CustodyError, fields, said} from '../errors.js'
import type {IdentifierKind, IdentifyingSearch} from './identifying.js'

/** What the testimony's events record of the search (never what was found, only where). */
export interface ContentCheck {
  /** What there was to search for: the name, the contact's phone numbers, e-mail addresses and handles. */
  searchedFor: IdentifierKind[]
  /** Whether the statement's own text could be searched, and if not, why. */
  statementText: {searched: boolean; reason: string | null}
  /** Where the name or contact was found: "statement", "attachment 2 metadata (EXIF:IFD0:Artist)". Empty when nowhere. */
  identifying: string[]
}

/** A file whose content is checked: its label in the record, and how to name it to the investigator. */
export interface CheckedFile {
  /** "statement", "statement version 2", "attachment 2". */
  label: string
  /** The file as the investigator gave it, for the message on their terminal only. */
  shownAs: string
  /** ExifTool's complete record of it. */
  record: {tags: {[key: string]: JsonValue}}
}

/** Where the name or contact was found, for the investigator's eyes: which file, which field. */
export interface Finding {
  source: string
  file: string
  field: string
  kind: IdentifierKind
}

const CHUNK = 64 * 1024
// Text has tabs, line breaks, form feeds and escapes; any other C0 control character means binary.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000e-\u001a\u001c-\u001f]/u

/** ExifTool's MIME types whose bytes are the text itself. */
function isPlainTextType(mimeType: string | null): boolean {
  if (mimeType === null) return true
  if (mimeType === 'text/rtf') return false
  return mimeType.startsWith('text/') || /^application\/(?:json|xml|[\w.+-]+\+xml|x-subrip)$/u.test(mimeType)
}

function encodingOf(head: Buffer): {encoding: 'utf-8' | 'utf-16le' | 'utf-16be'; bom: number} {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return {encoding: 'utf-8', bom: 3}
  if (head[0] === 0xff && head[1] === 0xfe) return {encoding: 'utf-16le', bom: 2}
  if (head[0] === 0xfe && head[1] === 0xff) return {encoding: 'utf-16be', bom: 2}
  return {encoding: 'utf-8', bom: 0}
}

/** A statement's text, held whole, when it is text by the rule above; undefined when it is not. */
export function statementTextOf(bytes: Buffer, mimeType: string | null): string | undefined {
  if (!isPlainTextType(mimeType)) return undefined
  const {encoding, bom} = encodingOf(bytes)
  try {
    const text = new TextDecoder(encoding, {fatal: true, ignoreBOM: true}).decode(bytes.subarray(bom))
    return CONTROL.test(text) ? undefined : text
  } catch {
    return undefined
  }
}

/**
 * Searches a statement's text as a stream. `mimeType` is ExifTool's File:MIMEType of it (null when
 * ExifTool did not recognise it). Stops at the first sight of the name.
 */
export async function searchStatementText(
  path: string,
  search: IdentifyingSearch,
  mimeType: string | null,
): Promise<{searched: boolean; reason: string | null; found: IdentifierKind | undefined}> {
  if (!isPlainTextType(mimeType)) {
    return {searched: false, reason: `${mimeType} is not plain text; only its metadata could be searched`, found: undefined}
  }

  const notText = 'its bytes are not UTF-8 or UTF-16 text (another encoding, or not text at all); only its metadata could be searched'
  const scanner = search.scanner()
  let decoder: TextDecoder | undefined
  const stream = createReadStream(path, {highWaterMark: CHUNK})
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let bytes = chunk
      if (decoder === undefined) {
        const {encoding, bom} = encodingOf(chunk)
        decoder = new TextDecoder(encoding, {fatal: true, ignoreBOM: true})
        bytes = chunk.subarray(bom)
      }

      let text: string
      try {
        text = decoder.decode(bytes, {stream: true})
      } catch {
        return {searched: false, reason: notText, found: scanner.end()}
      }

      if (CONTROL.test(text)) return {searched: false, reason: notText, found: scanner.end()}
      scanner.push(text)
      if (scanner.settled) return {searched: true, reason: null, found: scanner.end()}
    }

    try {
      scanner.push(decoder?.decode() ?? '')
    } catch {
      return {searched: false, reason: notText, found: scanner.end()}
    }

    return {searched: true, reason: null, found: scanner.end()}
  } finally {
    stream.destroy()
  }
}

function* strings(value: JsonValue): Generator<string> {
  if (typeof value === 'string') yield value
  else if (Array.isArray(value)) for (const item of value) yield* strings(item)
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) yield* strings(item)
}

/** Every tag of a metadata record one of whose string values holds the name or contact, in the record's order. */
export function searchMetadata(record: {tags: {[key: string]: JsonValue}}, search: IdentifyingSearch): Array<{tag: string; kind: IdentifierKind}> {
  const found: Array<{tag: string; kind: IdentifierKind}> = []
  for (const [tag, value] of Object.entries(record.tags)) {
    let kind: IdentifierKind | undefined
    for (const text of strings(value)) {
      kind = search.find(text)
      if (kind !== undefined) break
    }

    if (kind !== undefined) found.push({tag, kind})
  }

  return found
}

function mimeTypeOf(record: {tags: {[key: string]: JsonValue}}): string | null {
  const value = record.tags['File:MIMEType']
  return typeof value === 'string' ? value : null
}

/**
 * Searches a statement (its text at `statementPath`, a copy already checked and staged) and the
 * attachments' metadata. Returns what the testimony's event records, and the findings to show.
 */
export async function checkContent(search: IdentifyingSearch, statement: CheckedFile & {path: string}, attachments: readonly CheckedFile[]): Promise<{check: ContentCheck; findings: Finding[]}> {
  const findings: Finding[] = []
  const text = await searchStatementText(statement.path, search, mimeTypeOf(statement.record))
  if (text.found !== undefined) findings.push({source: statement.label, file: statement.shownAs, field: 'its text', kind: text.found})
  for (const file of [statement, ...attachments]) {
    for (const {tag, kind} of searchMetadata(file.record, search)) {
      findings.push({source: `${file.label} metadata (${tag})`, file: file.shownAs, field: `its metadata tag ${tag}`, kind})
    }
  }

  return {
    check: {searchedFor: search.searchedFor, statementText: {searched: text.searched, reason: text.reason}, identifying: findings.map((f) => f.source)},
    findings,
  }
}

/** One line per finding, for a terminal or an error message: which file, which field, name or contact; never the value. */
export function describeFindings(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.source}: ${f.field} holds the witness's ${f.kind === 'name' ? 'name' : 'contact details'} (${f.file})`)
}

/**
 * What to do when the content names the witness: record it as identifying ('accept', given by
 * --identifying-content-ok), stop ('refuse', a script without that flag), or ask the investigator
 * (a terminal): the function shows the findings and says whether to go on.
 */
export type IdentifyingDecision = 'accept' | 'refuse' | ((findings: readonly Finding[]) => Promise<boolean>)

/** The decision, as an error names it: `accept` is given by the investigator. */
const DECISION = fields({identifyingContent: 'your acceptance'})

/** Goes on when the decision accepts the findings; otherwise throws, naming where the name or contact is (never what it is). */
export async function decideOnFindings(findings: readonly Finding[], decision: IdentifyingDecision): Promise<void> {
  if (findings.length === 0 || decision === 'accept') return
  const where = describeFindings(findings).join('; ')
  if (decision === 'refuse') {
    throw new CustodyError(
      'IDENTIFYING_CONTENT',
      said`the witness's name or contact is in what would be recorded: ${where}. A testimony that holds identifying content is never sealed for advocacy (anonymised use). Nothing was recorded: take them out of those files, or give ${DECISION.identifyingContent} to record the testimony as holding identifying content`,
      {subject: findings[0]!.source},
    )
  }

  if (!(await decision(findings))) {
    throw new CustodyError('IDENTIFYING_CONTENT', `not confirmed: nothing was recorded. The witness's name or contact is in ${findings.map((f) => f.source).join('; ')}`, {subject: findings[0]!.source})
  }
}
