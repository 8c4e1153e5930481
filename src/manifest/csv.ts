/**
 * CSV as RFC 4180 §2 describes it: fields separated by commas, records by CRLF or LF; a field in
 * double quotes may hold commas, line breaks and doubled quotes (""). Each record keeps the line
 * on which it starts, so that a problem can be reported where a person will find it. The text can
 * come in pieces of any size (a manifest is read as a stream): a record, a doubled quote or a CRLF
 * split between two pieces reads the same as whole.
 */

export interface CsvRecord {
  /** 1-based line of the file where the record starts. */
  line: number
  fields: string[]
}

export class CsvError extends Error {
  readonly line: number

  constructor(line: number, message: string) {
    super(message)
    this.line = line
  }
}

/** Reads CSV piece by piece; throws CsvError (with its line) on a quote left open or text after a closing quote. */
export class CsvParser {
  private fields: string[] = []
  private field = ''
  private line = 1
  private recordLine = 1
  private atStart = true
  private quoted = false
  private afterQuote = false
  /** A quote inside a quoted field: the next character says whether it is doubled or closes the field. */
  private quoteSeen = false
  /** A CR that ended a record: an LF right after it belongs to it. */
  private crSeen = false
  private records: CsvRecord[] = []

  /** The records that end in this piece. */
  push(text: string): CsvRecord[] {
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
          this.field += '"'
          continue
        }

        this.quoted = false
        this.afterQuote = true
      }

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
        this.line++
        this.recordLine = this.line
      } else if (this.afterQuote) {
        throw new CsvError(this.line, `unexpected ${JSON.stringify(c)} after a closing quote; a quote inside a quoted field is written twice ("")`)
      } else if (c === '"' && this.field === '') {
        this.quoted = true
      } else {
        this.field += c
      }
    }

    return this.take()
  }

  /** The last record, at the end of the text. */
  end(): CsvRecord[] {
    if (this.quoteSeen) {
      this.quoteSeen = false
      this.quoted = false
      this.afterQuote = true
    }

    if (this.quoted) throw new CsvError(this.recordLine, 'a quoted field is not closed before the end of the file')
    if (this.field !== '' || this.fields.length > 0 || this.afterQuote) this.endRecord()
    return this.take()
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

/** Parses a whole text at once. */
export function parseCsv(text: string): CsvRecord[] {
  const parser = new CsvParser()
  return [...parser.push(text), ...parser.end()]
}
