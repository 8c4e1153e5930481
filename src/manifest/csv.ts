/**
 * CSV as RFC 4180 §2 describes it: fields separated by commas, records by CRLF or LF (a lone CR
 * too); a field in double quotes may hold commas, line breaks and doubled quotes (""). csv-parse
 * splits the text into records; this module holds custody's rules around it:
 *
 *   - each record keeps the line on which it starts, so that a problem can be reported where a
 *     person will find it (an LF inside a quoted field starts a line, a CR alone there does not);
 *   - a quote inside an unquoted field is text, and anything but a comma or a line break after a
 *     closing quote is refused (csv-parse's `relax_quotes` allows the first, and would let the
 *     second through, so records with quotes are checked here);
 *   - a blank line, or one holding only "", is no record;
 *   - a record may be given a bound in bytes (UTF-8, as in the file; separators, quotes and line
 *     breaks inside quoted fields count, the line break that ends it does not).
 *
 * The text can come in pieces of any size (a manifest is read as a stream): a record, a doubled
 * quote or a CRLF split between two pieces reads the same as whole. With a bound, the text is
 * handed to csv-parse in slices such that it never holds more of one record than the bound and
 * its few bytes of look-ahead: neither a huge line, a line of nothing but commas (csv-parse's own
 * `max_record_size` counts field text, not separators) nor a quote left open, which would take
 * the rest of the file into one field, is ever held whole.
 */
import {parse, type Parser} from 'csv-parse'

export interface CsvRecord {
  /** 1-based line of the file where the record starts. */
  line: number
  fields: string[]
}

export class CsvError extends Error {
  readonly line: number
  /** The records that ended in the same piece of text before the problem. */
  readonly before: CsvRecord[]

  constructor(line: number, message: string, before: CsvRecord[] = []) {
    super(message)
    this.line = line
    this.before = before
  }
}

/** What csv-parse gives for a record with its options `raw` and `info`. */
interface ParsedRecord {
  record: string[]
  /** The record as written, with the first character of the line break that ends it (the LF of a CRLF is left out). */
  raw: string
  /** `bytes`: the offset in the text just past the record and its line break. */
  info: {bytes: number}
}

/**
 * The bytes csv-parse may keep unread at the end of what it was given, to see what follows: the
 * LF of a CRLF, the second quote of a doubled one, a character it could trim (up to 3 bytes).
 */
const LOOK_AHEAD = 3

/**
 * Reads CSV piece by piece; throws CsvError (with its line) on a quote left open, text after a
 * closing quote, or a record longer than `maxRecordBytes`.
 */
export class CsvParser {
  private readonly maxRecordBytes: number
  private readonly reader: Parser
  /** The line on which the next record starts. */
  private line = 1
  private atStart = true
  /** A high surrogate that ended the last piece: it is encoded with its pair, which starts the next. */
  private held = ''
  /** Bytes handed to csv-parse, and the offset just past the last record it gave back. */
  private fed = 0
  private recordEnd = 0
  /** The bytes handed over since `recordEnd`: the record being read, walked to find where it went wrong. */
  private pending: Buffer = Buffer.alloc(0)

  constructor(options: {maxRecordBytes?: number} = {}) {
    this.maxRecordBytes = options.maxRecordBytes ?? Number.POSITIVE_INFINITY
    this.reader = parse({
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_quotes: true,
      // The manifest compares each record's width with its header.
      relax_column_count: true,
      raw: true,
      info: true,
    })
    // The stream is written and read synchronously, and its `errored` looked at after each write;
    // the 'error' event that follows a tick later has nothing left to say.
    this.reader.on('error', () => {})
  }

  /** The records that end in this piece. A CsvError thrown carries those that ended before the problem. */
  push(text: string): CsvRecord[] {
    return this.collect((records) => this.feed(this.encode(text), records))
  }

  /** The last record, at the end of the text. */
  end(): CsvRecord[] {
    return this.collect((records) => {
      this.feed(Buffer.from(this.held), records)
      this.reader.end()
      this.take(records)
      this.checkStopped()
      // Every byte belongs to a record once the text has ended well; anything else would be records lost.
      if (this.fed !== this.recordEnd) throw new Error(`csv-parse returned records for ${this.recordEnd} of ${this.fed} bytes at the end of the text`)
    })
  }

  private collect(read: (records: CsvRecord[]) => void): CsvRecord[] {
    const records: CsvRecord[] = []
    try {
      read(records)
    } catch (error) {
      if (error instanceof CsvError) throw new CsvError(error.line, error.message, records)
      throw error
    }

    return records
  }

  private encode(text: string): Buffer {
    let whole = this.held + text
    this.held = ''
    if (this.atStart && whole.length > 0) {
      this.atStart = false
      if (whole.charCodeAt(0) === 0xfeff) whole = whole.slice(1) // a byte-order mark is not part of the first name
    }

    const last = whole.charCodeAt(whole.length - 1)
    if (last >= 0xd800 && last <= 0xdbff) {
      this.held = whole.slice(-1)
      whole = whole.slice(0, -1)
    }

    return Buffer.from(whole, 'utf8')
  }

  /** Hands `bytes` to csv-parse, in slices that keep what it holds of one record within the bound. */
  private feed(bytes: Buffer, records: CsvRecord[]): void {
    for (let at = 0; at < bytes.length; ) {
      const room = this.maxRecordBytes + LOOK_AHEAD + 1 - (this.fed - this.recordEnd)
      const slice = bytes.subarray(at, at + room)
      at += slice.length
      this.fed += slice.length
      this.pending = this.pending.length === 0 ? slice : Buffer.concat([this.pending, slice])
      this.reader.write(slice)
      this.take(records)
      if (this.reader.writableLength !== 0) throw new Error('csv-parse did not read a piece of text as it was written; its records would come late')
      this.checkStopped()
      // Past the bound by more than the look-ahead: the record itself is, whatever ends it.
      if (this.fed - this.recordEnd > this.maxRecordBytes + LOOK_AHEAD) throw this.faultPending()
    }
  }

  /** Takes the records csv-parse has ready, each checked and given its line. */
  private take(records: CsvRecord[]): void {
    for (let parsed = this.next(); parsed !== null; parsed = this.next()) {
      const line = this.line
      this.line += lineBreaks(parsed.raw)
      this.pending = this.pending.subarray(parsed.info.bytes - this.recordEnd)
      this.recordEnd = parsed.info.bytes
      if (recordBytes(parsed.raw) > this.maxRecordBytes || !quotesWellPlaced(parsed.raw)) {
        throw locateFault(parsed.raw, line, this.maxRecordBytes) ?? new CsvError(line, 'this row could not be read as CSV')
      }

      // A blank line is no record (RFC 4180 has none; spreadsheets leave them at the end).
      if (!(parsed.record.length === 1 && parsed.record[0] === '')) records.push({line, fields: parsed.record})
    }
  }

  private next(): ParsedRecord | null {
    return this.reader.read() as ParsedRecord | null
  }

  /** csv-parse stops at the end of the text when a quote is still open (its only error with these options). */
  private checkStopped(): void {
    const error = this.reader.errored
    if (error !== null) throw this.faultPending(error)
  }

  private faultPending(error?: Error): CsvError {
    const fault = locateFault(this.pending.toString('utf8'), this.line, this.maxRecordBytes)
    return fault ?? new CsvError(this.line, `this row could not be read as CSV${error === undefined ? '' : `: ${error.message}`}`)
  }
}

/**
 * Whether every quoted field of a record (its text as csv-parse gives it) closes right before a
 * comma or the record's end (RFC 4180 §2.5, §2.7). A quote inside an unquoted field, which §2.5
 * does not allow, is taken as text, as custody's reader always has. One pass of indexOf, so that a
 * record of any length is checked in time of its size and without a regular expression's stack.
 */
function quotesWellPlaced(raw: string): boolean {
  const end = raw.endsWith('\n') || raw.endsWith('\r') ? raw.length - 1 : raw.length
  let at = 0
  while (at < end) {
    if (raw[at] === '"') {
      let close = raw.indexOf('"', at + 1)
      while (close !== -1 && raw[close + 1] === '"') close = raw.indexOf('"', close + 2)
      if (close === -1 || close >= end) return false
      if (close + 1 === end) return true
      if (raw[close + 1] !== ',') return false
      at = close + 2
    } else {
      const comma = raw.indexOf(',', at)
      if (comma === -1 || comma >= end) return true
      at = comma + 1
    }
  }

  return true
}

/** The lines a record spans: each LF in it, and the CR that ends it (alone or as the CR of a CRLF). */
function lineBreaks(raw: string): number {
  let count = raw.endsWith('\r') ? 1 : 0
  for (let i = raw.indexOf('\n'); i !== -1; i = raw.indexOf('\n', i + 1)) count++
  return count
}

/** A record's size in UTF-8, without the line break that ends it. */
function recordBytes(raw: string): number {
  return Buffer.byteLength(raw, 'utf8') - (raw.endsWith('\n') || raw.endsWith('\r') ? 1 : 0)
}

/**
 * The first problem in a record's text (starting on `startLine`, possibly cut short or followed by
 * more), character by character: a character after a closing quote, the byte that passes the
 * bound, or, at the end of the text, a quoted field still open. Run only on a record already known
 * to be wrong, to say where.
 */
function locateFault(text: string, startLine: number, maxBytes: number): CsvError | undefined {
  let line = startLine
  let bytes = 0
  let quoted = false
  let quoteLine = startLine
  let afterQuote = false
  let fieldStart = true
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (!quoted && (c === '\n' || c === '\r')) return undefined
    const doubled = quoted && c === '"' && text[i + 1] === '"'
    bytes += utf8Length(c.charCodeAt(0)) + (doubled ? 1 : 0)
    if (bytes > maxBytes) return tooLong(quoted ? quoteLine : startLine, quoted, maxBytes)
    if (doubled) {
      i++
    } else if (quoted) {
      if (c === '"') {
        quoted = false
        afterQuote = true
      } else if (c === '\n') {
        line++
      }
    } else if (c === ',') {
      fieldStart = true
      afterQuote = false
    } else if (afterQuote) {
      return new CsvError(line, `unexpected ${JSON.stringify(c)} after a closing quote; a quote inside a quoted field is written twice ("")`)
    } else {
      if (c === '"' && fieldStart) {
        quoted = true
        quoteLine = line
      }

      fieldStart = false
    }
  }

  return quoted ? new CsvError(quoteLine, 'a quoted field opens here and is not closed before the end of the file') : undefined
}

function tooLong(line: number, quoted: boolean, maxBytes: number): CsvError {
  const bound = maxBytes.toLocaleString('en-US')
  return new CsvError(
    line,
    quoted
      ? `a quoted field opens here and is not closed within ${bound} bytes: a quote left open? The rest of the manifest is not read`
      : `the row is longer than ${bound} bytes, more than a row naming one file can need; the rest of the manifest is not read`,
  )
}

/** The bytes a UTF-16 code unit takes in UTF-8 (a surrogate is half of a four-byte character). */
function utf8Length(unit: number): number {
  if (unit < 0x80) return 1
  if (unit < 0x800 || (unit >= 0xd800 && unit <= 0xdfff)) return 2
  return 3
}

/** Parses a whole text at once. */
export function parseCsv(text: string): CsvRecord[] {
  const parser = new CsvParser()
  return [...parser.push(text), ...parser.end()]
}
