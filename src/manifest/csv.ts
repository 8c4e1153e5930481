/**
 * CSV as RFC 4180 §2 describes it: fields separated by commas, records by CRLF or LF; a field in
 * double quotes may hold commas, line breaks and doubled quotes (""). Each record keeps the line
 * on which it starts, so that a problem can be reported where a person will find it.
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

/** Parses the whole text; throws CsvError (with its line) on a quote left open or text after a closing quote. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = []
  let fields: string[] = []
  let field = ''
  let line = 1
  let recordLine = 1
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0 // a byte-order mark is not part of the first name
  let quoted = false
  let afterQuote = false

  const endField = (): void => {
    fields.push(field)
    field = ''
    afterQuote = false
  }

  const endRecord = (): void => {
    endField()
    // A blank line is no record (RFC 4180 has none; spreadsheets leave them at the end).
    if (!(fields.length === 1 && fields[0] === '')) records.push({line: recordLine, fields})
    fields = []
  }

  for (; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else {
          quoted = false
          afterQuote = true
        }
      } else {
        if (c === '\n') line++
        field += c
      }

      continue
    }

    if (c === ',') {
      endField()
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      endRecord()
      line++
      recordLine = line
    } else if (afterQuote) {
      throw new CsvError(line, `unexpected ${JSON.stringify(c)} after a closing quote; a quote inside a quoted field is written twice ("")`)
    } else if (c === '"' && field === '') {
      quoted = true
    } else {
      field += c
    }
  }

  if (quoted) throw new CsvError(recordLine, 'a quoted field is not closed before the end of the file')
  if (field !== '' || fields.length > 0 || afterQuote) endRecord()
  return records
}
