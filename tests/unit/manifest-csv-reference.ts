/**
 * A reference for src/manifest/csv.ts: the hand-written, character-by-character reader custody
 * used before csv-parse (as of commit 13ad6d8), kept unchanged but for its names. The property in
 * manifest.test.ts requires the csv-parse reader to give the same records, lines, errors and
 * records-before-the-error as this one, for any text cut anywhere, with or without a bound.
 */
interface CsvRecord {
  /** 1-based line of the file where the record starts. */
  line: number
  fields: string[]
}

export class ReferenceCsvError extends Error {
  readonly line: number
  /** The records that ended in the same piece of text before the problem. */
  readonly before: CsvRecord[]

  constructor(line: number, message: string, before: CsvRecord[] = []) {
    super(message)
    this.line = line
    this.before = before
  }
}

/**
 * Reads CSV piece by piece; throws CsvError (with its line) on a quote left open, text after a
 * closing quote, or a record longer than `maxRecordBytes`.
 */
export class ReferenceCsvParser {
  private readonly maxRecordBytes: number
  /** UTF-8 bytes of the record being read, separators and line breaks inside it included. */
  private recordBytes = 0
  private fields: string[] = []
  private field = ''
  private line = 1
  private recordLine = 1
  private atStart = true
  private quoted = false
  /** The line on which the quoted field being read opened. */
  private quoteLine = 1
  private afterQuote = false
  /** A quote inside a quoted field: the next character says whether it is doubled or closes the field. */
  private quoteSeen = false
  /** A CR that ended a record: an LF right after it belongs to it. */
  private crSeen = false
  private records: CsvRecord[] = []

  constructor(options: {maxRecordBytes?: number} = {}) {
    this.maxRecordBytes = options.maxRecordBytes ?? Number.POSITIVE_INFINITY
  }

  /** The records that end in this piece. A CsvError thrown carries those that ended before the problem. */
  push(text: string): CsvRecord[] {
    try {
      this.read(text)
    } catch (error) {
      if (error instanceof ReferenceCsvError) throw new ReferenceCsvError(error.line, error.message, this.take())
      throw error
    }

    return this.take()
  }

  private read(text: string): void {
    let i = 0
    if (this.atStart && text.length > 0) {
      this.atStart = false
      if (text.charCodeAt(0) === 0xfeff) i = 1 // a byte-order mark is not part of the first name
    }

    for (; i < text.length; i++) {
      const c = text[i]!
      if (this.crSeen) {
        this.crSeen = false
        if (c === '\n') continue
      }

      if (this.quoteSeen) {
        this.quoteSeen = false
        if (c === '"') {
          this.count(c)
          this.field += '"'
          continue
        }

        this.quoted = false
        this.afterQuote = true
      }

      // The line break that ends a record is not part of it.
      if (this.quoted || (c !== '\n' && c !== '\r')) this.count(c)
      if (this.quoted) {
        if (c === '"') this.quoteSeen = true
        else {
          if (c === '\n') this.line++
          this.field += c
        }

        continue
      }

      if (c === ',') {
        this.endField()
      } else if (c === '\n' || c === '\r') {
        this.crSeen = c === '\r'
        this.endRecord()
        this.recordBytes = 0
        this.line++
        this.recordLine = this.line
      } else if (this.afterQuote) {
        throw new ReferenceCsvError(this.line, `unexpected ${JSON.stringify(c)} after a closing quote; a quote inside a quoted field is written twice ("")`)
      } else if (c === '"' && this.field === '') {
        this.quoted = true
        this.quoteLine = this.line
      } else {
        this.field += c
      }
    }
  }

  /** The last record, at the end of the text. */
  end(): CsvRecord[] {
    if (this.quoteSeen) {
      this.quoteSeen = false
      this.quoted = false
      this.afterQuote = true
    }

    if (this.quoted) throw new ReferenceCsvError(this.quoteLine, 'a quoted field opens here and is not closed before the end of the file')
    if (this.field !== '' || this.fields.length > 0 || this.afterQuote) this.endRecord()
    return this.take()
  }

  /** Counts a character of the record against the bound. */
  private count(c: string): void {
    this.recordBytes += utf8Length(c.charCodeAt(0))
    if (this.recordBytes > this.maxRecordBytes) throw this.tooLong()
  }

  private tooLong(): ReferenceCsvError {
    const bound = this.maxRecordBytes.toLocaleString('en-US')
    return new ReferenceCsvError(
      this.quoted ? this.quoteLine : this.recordLine,
      this.quoted
        ? `a quoted field opens here and is not closed within ${bound} bytes: a quote left open? The rest of the manifest is not read`
        : `the row is longer than ${bound} bytes, more than a row naming one file can need; the rest of the manifest is not read`,
    )
  }

  private endField(): void {
    this.fields.push(this.field)
    this.field = ''
    this.afterQuote = false
  }

  private endRecord(): void {
    this.endField()
    // A blank line is no record (RFC 4180 has none; spreadsheets leave them at the end).
    if (!(this.fields.length === 1 && this.fields[0] === '')) this.records.push({line: this.recordLine, fields: this.fields})
    this.fields = []
  }

  private take(): CsvRecord[] {
    const done = this.records
    this.records = []
    return done
  }
}

/** The bytes a UTF-16 code unit takes in UTF-8 (a surrogate is half of a four-byte character). */
function utf8Length(unit: number): number {
  if (unit < 0x80) return 1
  if (unit < 0x800 || (unit >= 0xd800 && unit <= 0xdfff)) return 2
  return 3
}
