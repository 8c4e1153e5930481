/** Batch manifests: the CSV reader (RFC 4180), and the row checks that run before anything is ingested. */
import {createHash} from 'node:crypto'
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import {CsvError, CsvParser, parseCsv, type CsvRecord} from '../../src/manifest/csv.js'
import {LISTED_PROBLEMS, MAX_ROW_BYTES, readManifest, type ManifestInput} from '../../src/manifest/manifest.js'
import {tempDir} from '../helpers/cli.js'
import {ReferenceCsvError, ReferenceCsvParser} from './manifest-csv-reference.js'

const work = tempDir('custody-manifest-')
afterAll(() => work.remove())

/** readManifest() with its files gathered in memory, and duplicates found as ingest finds them. */
async function read(path: string, options: {cwd?: string} = {}) {
  const files: ManifestInput[] = []
  const claimed = new Map<string, number>()
  const manifest = await readManifest(
    path,
    {
      claim(key, line) {
        const first = claimed.get(key)
        if (first === undefined) claimed.set(key, line)
        return first
      },
      add: (file) => files.push(file),
    },
    options,
  )
  expect(manifest.files).toBe(files.length)
  return {...manifest, files}
}

/** Writes a CSV field as a spreadsheet would: quoted when it must be. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value === '' ? `"${value.replaceAll('"', '""')}"` : value
}

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF, a BOM, and keeps the start line', () => {
    const text = '\uFEFFpath,note\r\n"a, b.jpg","said ""hello""\r\nthen left"\r\nc.jpg,\n\nd.jpg,last'
    expect(parseCsv(text)).toEqual([
      {line: 1, fields: ['path', 'note']},
      {line: 2, fields: ['a, b.jpg', 'said "hello"\r\nthen left']},
      {line: 4, fields: ['c.jpg', '']},
      {line: 6, fields: ['d.jpg', 'last']},
    ])
  })

  it('names the line of a quote left open, or text after a closing quote', () => {
    expect(() => parseCsv('path\n"a.jpg\nb.jpg\n')).toThrow(CsvError)
    try {
      parseCsv('path,note\nx.jpg,"ok"x\n')
    } catch (error) {
      expect((error as CsvError).line).toBe(2)
      expect((error as Error).message).toContain('after a closing quote')
    }

    expect.assertions(3)
  })

  it('reads back any table a spreadsheet writes (property)', () => {
    const cell = fc.string({unit: fc.constantFrom('a', 'Ж', ',', '"', '\n', '\r\n', ' ', 'é', '🙂')})
    fc.assert(
      fc.property(fc.integer({min: 1, max: 4}).chain((width) => fc.array(fc.array(cell, {minLength: width, maxLength: width}), {minLength: 1, maxLength: 6})), (table) => {
        // A row of one empty field is a blank line, which readers skip; give it a visible cell.
        const rows = table.map((row) => (row.length === 1 && row[0] === '' ? ['x'] : row))
        const text = rows.map((row) => row.map((f) => csvField(f)).join(',')).join('\r\n')
        expect(parseCsv(text).map((r) => r.fields)).toEqual(rows)
      }),
    )
  })

  it('reads the same records from the text cut in pieces anywhere: in a doubled quote, between CR and LF, in a field (property)', () => {
    const text = '\uFEFFpath,note\r\n"a, b.jpg","said ""hello""\r\nthen left"\r\nc.jpg,\r\n\r\nd.jpg,"x"""\re.jpg,"last"'
    const whole = parseCsv(text)
    expect(whole.map((r) => r.line)).toEqual([1, 2, 4, 6, 7])
    expect(whole.at(-2)!.fields).toEqual(['d.jpg', 'x"'])
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({min: 0, max: text.length}), {maxLength: 8}), (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), text.length]
        const parser = new CsvParser()
        const records = at.slice(1).flatMap((end, i) => parser.push(text.slice(at[i], end)))
        expect([...records, ...parser.end()]).toEqual(whole)
      }),
    )
  })
})

describe('parseCsv: the edge cases a manifest can hit', () => {
  /** The CsvError parseCsv throws for `text`, or undefined. */
  const failure = (text: string, maxRecordBytes?: number): CsvError | undefined => {
    const parser = new CsvParser(maxRecordBytes === undefined ? {} : {maxRecordBytes})
    try {
      parser.push(text)
      parser.end()
    } catch (error) {
      if (error instanceof CsvError) return error
      throw error
    }

    return undefined
  }

  it('reads nothing from no text, and a final line break adds no record', () => {
    expect(parseCsv('')).toEqual([])
    expect(parseCsv('a\n')).toEqual([{line: 1, fields: ['a']}])
    expect(parseCsv('a\r\n\r\n')).toEqual([{line: 1, fields: ['a']}])
  })

  it('takes a quote inside an unquoted field as text, and a space before a quote makes the field unquoted', () => {
    expect(parseCsv('ab"c,d\n "x",y')).toEqual([
      {line: 1, fields: ['ab"c', 'd']},
      {line: 2, fields: [' "x"', 'y']},
    ])
  })

  it('skips a line holding only an empty quoted field, as a blank line, but keeps a line of one space', () => {
    expect(parseCsv('a\n""\n \nb')).toEqual([
      {line: 1, fields: ['a']},
      {line: 3, fields: [' ']},
      {line: 4, fields: ['b']},
    ])
  })

  it('ends records at CR, LF or CRLF, mixed; counts a line for each LF inside a quoted field, and none for a CR there', () => {
    expect(parseCsv('a\rb\nc\r\nd\r\re\n"x\ry",z\nf\n"p\r\nq"\ng')).toEqual([
      {line: 1, fields: ['a']},
      {line: 2, fields: ['b']},
      {line: 3, fields: ['c']},
      {line: 4, fields: ['d']},
      {line: 6, fields: ['e']},
      {line: 7, fields: ['x\ry', 'z']},
      {line: 8, fields: ['f']},
      {line: 9, fields: ['p\r\nq']},
      {line: 11, fields: ['g']},
    ])
  })

  it('returns records of any width: the manifest, not the reader, compares them with the header', () => {
    expect(parseCsv('a,b,c\nd\ne,f,g,h').map((r) => r.fields.length)).toEqual([3, 1, 4])
  })

  it('strips a byte-order mark only at the very start, even after an empty piece', () => {
    expect(parseCsv('a,\uFEFFb')).toEqual([{line: 1, fields: ['a', '\uFEFFb']}])
    const parser = new CsvParser()
    expect([...parser.push(''), ...parser.push('\uFEFFa'), ...parser.end()]).toEqual([{line: 1, fields: ['a']}])
  })

  it('names the line of the character after a closing quote, a space too, counting the lines of the quoted field before it', () => {
    const spaced = failure('path,note\nx.jpg,"ok" ,y\n')
    expect([spaced?.line, spaced?.message]).toEqual([2, 'unexpected " " after a closing quote; a quote inside a quoted field is written twice ("")'])
    const later = failure('path,note\nx.jpg,"two\nlines"z\n')
    expect([later?.line, later?.message]).toEqual([3, 'unexpected "z" after a closing quote; a quote inside a quoted field is written twice ("")'])
  })

  it('names the line where a quote left open to the end of the text opens', () => {
    const open = failure('path,note\na.jpg,fine\nb.jpg,"never\nclosed\nc.jpg,x\n')
    expect([open?.line, open?.message]).toEqual([3, 'a quoted field opens here and is not closed before the end of the file'])
    expect(failure('a,"x""')?.line).toBe(1)
  })

  it('gives the records read before a problem of form with the error', () => {
    const parser = new CsvParser()
    try {
      parser.push('path\r\na.jpg\r\nb.jpg,"x"y\r\nc.jpg\r\n')
      expect.unreachable()
    } catch (error) {
      expect((error as CsvError).before).toEqual([
        {line: 1, fields: ['path']},
        {line: 2, fields: ['a.jpg']},
      ])
    }
  })

  it('counts every byte of a record against the bound: separators, quotes, line breaks inside quotes, characters of four bytes, but not the line break that ends it', () => {
    // 20 bytes each: the record is taken whole, with CRLF, LF or CR after it.
    for (const record of [',,,,,,,,,,,,,,,,,,,,'.slice(1) + 'x', '"ab""c\r\nde",fghi,jkl', '\u{1F642}\u{1F642}\u{1F642}\u{1F642}"x",']) {
      expect(Buffer.byteLength(record)).toBe(20)
      expect(failure(record, 20)).toBeUndefined()
      for (const end of ['\r\n', '\n', '\r']) expect(failure(`${record}${end}next`, 20)).toBeUndefined()
      expect(failure(`a\n${record},`, 20)).toMatchObject({line: 2, message: 'the row is longer than 20 bytes, more than a row naming one file can need; the rest of the manifest is not read'})
    }
  })

  it('refuses a row of nothing but separators past the bound, however long', () => {
    const error = failure(`path,note\na.jpg,x\n${','.repeat(1024 * 1024)}\n`, 1000)
    expect(error).toMatchObject({line: 3, message: expect.stringMatching(/^the row is longer than 1,000 bytes/) as unknown})
  })

  it('names where the quoted field opens when the bound is passed inside it, even if the quote closes later', () => {
    const error = failure(`path,note\na.jpg,x\nb.jpg,"line\n${'n'.repeat(50)}",x\n`, 40)
    expect([error?.line, error?.message]).toEqual([3, 'a quoted field opens here and is not closed within 40 bytes: a quote left open? The rest of the manifest is not read'])
    // Passed after the quote closes: the row's own line.
    const after = failure(`path,note\na.jpg,x\nb.jpg,"line\ntwo",${'n'.repeat(50)}\n`, 40)
    expect([after?.line, after?.message]).toEqual([3, 'the row is longer than 40 bytes, more than a row naming one file can need; the rest of the manifest is not read'])
  })

  it('reports the first problem of a record: a character after a closing quote before the bound, the bound before a quote left open', () => {
    expect(failure(`a,"x"y${'n'.repeat(100)}`, 40)?.message).toContain('after a closing quote')
    expect(failure(`a,${'n'.repeat(100)}"x"y`, 40)?.message).toMatch(/^the row is longer than 40 bytes/)
    expect(failure(`a\nb,"${'n'.repeat(100)}`, 40)).toMatchObject({line: 2, message: expect.stringMatching(/^a quoted field opens here and is not closed within 40 bytes/) as unknown})
  })
})

describe('CsvParser against the hand-written reference', () => {
  /** What a parser gives for `text` cut at `cuts`: its records, and its error's line and message if it stops. */
  function readWith(parser: {push(text: string): CsvRecord[]; end(): CsvRecord[]}, text: string, cuts: number[]) {
    const at = [0, ...cuts.filter((cut) => cut <= text.length).sort((a, b) => a - b), text.length]
    const records: CsvRecord[] = []
    try {
      for (const [i, end] of at.slice(1).entries()) records.push(...parser.push(text.slice(at[i], end)))
      records.push(...parser.end())
      return {records}
    } catch (error) {
      if (!(error instanceof CsvError || error instanceof ReferenceCsvError)) throw error
      return {records: [...records, ...error.before], line: error.line, message: error.message}
    }
  }

  it('reads the same records, lines and errors from any text cut anywhere, with or without a bound (property)', () => {
    const piece = fc.constantFrom('a', 'é', '🙂', ',', '"', '""', '\n', '\r', '\r\n', ' ', '\uFEFF', 'xy', '"a,\nb"')
    fc.assert(
      fc.property(fc.string({unit: piece, maxLength: 60}), fc.uniqueArray(fc.integer({min: 0, max: 120}), {maxLength: 5}), fc.option(fc.integer({min: 1, max: 40})), (text, cuts, bound) => {
        const options = bound === null ? {} : {maxRecordBytes: bound}
        expect(readWith(new CsvParser(options), text, cuts)).toEqual(readWith(new ReferenceCsvParser(options), text, cuts))
      }),
      {numRuns: 1000},
    )
  })
})

describe('CsvParser with a bound on records', () => {
  it('stops at the record that passes it, wherever the text is cut, giving the records before it (property)', () => {
    const text = 'path,note\r\nab.jpg,"x, ""y""\r\nz"\r\nc.jpg,0123456789abcdefghij\r\nnever,read'
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({min: 0, max: text.length}), {maxLength: 6}), (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), text.length]
        const parser = new CsvParser({maxRecordBytes: 20})
        const records: CsvRecord[] = []
        let failure: CsvError | undefined
        for (const [i, end] of at.slice(1).entries()) {
          try {
            records.push(...parser.push(text.slice(at[i], end)))
          } catch (error) {
            failure = error as CsvError
            records.push(...failure.before)
            break
          }
        }

        expect(records.map((r) => r.line)).toEqual([1, 2])
        expect(failure?.line).toBe(4)
        expect(failure?.message).toBe('the row is longer than 20 bytes, more than a row naming one file can need; the rest of the manifest is not read')
      }),
    )
  })
})

describe('readManifest', () => {
  const dir = join(work.path, 'dump')
  mkdirSync(join(dir, 'DCIM'), {recursive: true})
  for (const name of ['a.jpg', 'b.jpg', 'c.jpg']) writeFileSync(join(dir, 'DCIM', name), name)
  symlinkSync(join(dir, 'DCIM', 'a.jpg'), join(dir, 'DCIM', 'link-to-a.jpg'))
  mkdirSync(join(dir, 'DCIM', 'folder'))

  it('resolves paths against its own folder, whatever the working directory, and keeps unknown columns as tags', async () => {
    writeFileSync(
      join(dir, 'good.csv'),
      'path,collected_at,collected_by,location,latitude,longitude,source,note,device_owner\nDCIM/a.jpg,2024-03-01T14:05:00+02:00,A. P.,Simferopol,44.95,34.1,phone,"first, of two",W-014\nDCIM/b.jpg,,,,,,,,\n',
    )
    const manifest = await read('dump/good.csv', {cwd: work.path})
    expect(manifest.problems).toEqual([])
    expect(manifest.format).toBe('csv')
    expect(manifest.files.map((f) => f.path)).toEqual([join(dir, 'DCIM', 'a.jpg'), join(dir, 'DCIM', 'b.jpg')])
    expect(manifest.files[0]!.row).toEqual({
      line: 2,
      given: 'DCIM/a.jpg',
      collected: {at: '2024-03-01T14:05:00+02:00', offset: '+02:00', by: 'A. P.', location: 'Simferopol', latitude: 44.95, longitude: 34.1, source: 'phone'},
      note: 'first, of two',
      tags: {device_owner: 'W-014'},
    })
    expect(manifest.files[1]!.row).toMatchObject({collected: {}, note: null, tags: {}})
  })

  it('reports every bad row with its line: unknown file, bad date, coordinates, duplicates, folders', async () => {
    writeFileSync(
      join(dir, 'bad.csv'),
      [
        'path,collected_at,latitude,longitude',
        'DCIM/a.jpg,2024-02-30,,',
        'DCIM/missing.jpg,,,',
        'DCIM/b.jpg,,-91,200',
        'DCIM/a.jpg,,,',
        'DCIM/link-to-a.jpg,,,',
        'DCIM/folder,,,',
        'DCIM/c.jpg,,45,',
        ',,,',
        'DCIM/c.jpg,2024-03-01,north,10',
        'x,y,z,w,extra',
      ].join('\n'),
    )
    const {problems, files} = await read(join(dir, 'bad.csv'))
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [2, 'collected_at "2024-02-30" is not an ISO 8601 date or time such as 2024-03-01 or 2024-03-01T14:05:00+02:00'],
      [3, `no such file: ${join(dir, 'DCIM', 'missing.jpg')}`],
      [4, 'latitude -91 is out of range (-90 to 90)'],
      [4, 'longitude 200 is out of range (-180 to 180)'],
      [5, 'the same file as line 2 (DCIM/a.jpg)'],
      [6, 'the same file as line 2 (DCIM/link-to-a.jpg)'],
      [7, `${join(dir, 'DCIM', 'folder')} is a folder; a manifest names files, one per row`],
      [8, 'latitude and longitude go together: give both or neither'],
      [9, 'no path'],
      [10, 'the same file as line 8 (DCIM/c.jpg)'],
      [10, 'latitude "north" is not a number in decimal degrees'],
      [11, '5 fields, but the header names 4 columns'],
    ])
    expect(files.length).toBeLessThan(10)
  })

  it('reads a row shorter than the header with its missing columns empty', async () => {
    writeFileSync(join(dir, 'short.csv'), 'path,collected_by,note\r\nDCIM/a.jpg\r\nDCIM/b.jpg,A. P.\r\n')
    const {problems, files} = await read(join(dir, 'short.csv'))
    expect(problems).toEqual([])
    expect(files.map((f) => [f.row.line, f.row.collected, f.row.note])).toEqual([
      [2, {}, null],
      [3, {by: 'A. P.'}, null],
    ])
  })

  it('reads JSON Lines, numbers included, and names a line that is not an object', async () => {
    writeFileSync(join(dir, 'good.jsonl'), '{"path": "DCIM/a.jpg", "latitude": 44.95, "longitude": 34.1, "case_ref": 7}\n\n{"path": "DCIM/b.jpg"}\n')
    const good = await read(join(dir, 'good.jsonl'))
    expect(good.problems).toEqual([])
    expect(good.files[0]!.row).toMatchObject({line: 1, collected: {latitude: 44.95, longitude: 34.1}, tags: {case_ref: '7'}})
    expect(good.files[1]!.row.line).toBe(3)
    writeFileSync(join(dir, 'bad.jsonl'), '{"path": "DCIM/a.jpg"}\n["DCIM/b.jpg"]\n{"path": "DCIM/c.jpg", "tags": {"x": 1}}\n{not json\n')
    const bad = await read(join(dir, 'bad.jsonl'))
    expect(bad.problems.map((p) => p.line)).toEqual([2, 3, 4])
    expect(bad.problems[1]!.message).toContain('must be a string or a number')
  })

  it('reads a manifest of many pieces as one: lines, characters cut between pieces, its SHA-256', async () => {
    // Read in pieces of 256 KiB; rows of about 100 bytes, with two-byte characters.
    const rows = Array.from({length: 6000}, (_, k) => {
      const path = `DCIM/${'abc'[k % 3]}.jpg`
      return `${k % 2 === 0 ? path : `"${path}"`},${'é'.repeat(39)} ${k}`
    })
    const bytes = Buffer.from(['path, note', ...rows].join('\r\n'))
    expect(bytes[256 * 1024]! & 0xc0).toBe(0x80) // the first piece ends inside a character
    writeFileSync(join(dir, 'long.csv'), bytes)
    const {problems, problemCount, files, rows: count, sha256} = await read(join(dir, 'long.csv'))
    expect(count).toBe(6000)
    expect(sha256).toBe(createHash('sha256').update(bytes).digest('hex'))
    expect(files.map((f) => f.row.line)).toEqual([2, 3, 4])
    expect(files[0]!.row.note).toBe(`${'é'.repeat(39)} 0`)
    // Every other row names a file a row before it named, each found on its own line; the first
    // thousand are listed.
    expect(problemCount).toBe(5997)
    expect(problems.map((p) => p.line)).toEqual(Array.from({length: 1000}, (_, k) => k + 5))
    expect(problems.at(-1)).toEqual({line: 1004, message: 'the same file as line 2 (DCIM/a.jpg)'})
  })

  it('reads JSON Lines of many pieces with the right line numbers', async () => {
    const lines = Array.from({length: 3000}, (_, k) => JSON.stringify({path: `DCIM/${'abc'[k % 3]}.jpg`, note: `${'é'.repeat(60)} ${k}`}))
    writeFileSync(join(dir, 'long.jsonl'), `${lines.join('\n')}\n`)
    const {problems, problemCount, files, rows} = await read(join(dir, 'long.jsonl'))
    expect(rows).toBe(3000)
    expect(files.map((f) => [f.row.line, f.row.note])).toEqual([1, 2, 3].map((line) => [line, `${'é'.repeat(60)} ${line - 1}`]))
    expect(problemCount).toBe(2997)
    expect(problems.map((p) => p.line)).toEqual(Array.from({length: 1000}, (_, k) => k + 4))
  })

  it('refuses a manifest that is not UTF-8, naming it', async () => {
    writeFileSync(join(dir, 'latin1.csv'), Buffer.concat([Buffer.from('path,note\nDCIM/a.jpg,caf'), Buffer.from([0xe9]), Buffer.from('\n')]))
    await expect(read(join(dir, 'latin1.csv'))).rejects.toThrow(`the manifest ${join(dir, 'latin1.csv')} is not UTF-8 text`)
  })

  it('refuses a header without a path column, and an empty manifest', async () => {
    writeFileSync(join(dir, 'nopath.csv'), 'file,note\nDCIM/a.jpg,x\n')
    expect((await read(join(dir, 'nopath.csv'))).problems[0]).toEqual({line: 1, message: 'the header row has no "path" column (it has: file, note)'})
    writeFileSync(join(dir, 'empty.csv'), 'path\n')
    expect((await read(join(dir, 'empty.csv'))).problems).toEqual([{line: 1, message: 'the manifest names no files'}])
  })
})

describe('readManifest: bounds', () => {
  const dir = join(work.path, 'bounds')
  mkdirSync(dir, {recursive: true})
  writeFileSync(join(dir, 'a.jpg'), 'a')
  writeFileSync(join(dir, 'b.jpg'), 'b')

  it('takes a row of exactly the bound, counted in bytes, and refuses one byte more with its line; the rest is not read', async () => {
    const row = (bytes: number): string => {
      const head = 'a.jpg,'
      // Two-byte characters, so that characters and bytes differ.
      const note = 'é'.repeat(Math.floor((bytes - head.length) / 2)) + 'x'.repeat((bytes - head.length) % 2)
      return head + note
    }

    expect(Buffer.byteLength(row(MAX_ROW_BYTES))).toBe(MAX_ROW_BYTES)
    writeFileSync(join(dir, 'edge.csv'), `path,note\n${row(MAX_ROW_BYTES)}\n`)
    const edge = await read(join(dir, 'edge.csv'))
    expect(edge.problems).toEqual([])
    expect(edge.files).toHaveLength(1)

    writeFileSync(join(dir, 'over.csv'), `path,note\nb.jpg,fine\n${row(MAX_ROW_BYTES + 1)}\nmissing.jpg,never read\n`)
    const over = await read(join(dir, 'over.csv'))
    expect(over.problems).toEqual([{line: 3, message: expect.stringMatching(/^the row is longer than 65,536 bytes/) as unknown}])
    expect(over.problemCount).toBe(1)
    expect(over.rows).toBe(1)
  })

  it('refuses a quoted field left open that would swallow the rest of the file, at the line where it opens', async () => {
    const rest = Array.from({length: 10_000}, (_, k) => `missing-${k}.jpg,a short note`).join('\n')
    writeFileSync(join(dir, 'open-quote.csv'), `path,note\nb.jpg,fine\na.jpg,"a note whose quote is never closed\n${rest}\n`)
    const {problems, rows} = await read(join(dir, 'open-quote.csv'))
    expect(problems).toEqual([{line: 3, message: expect.stringMatching(/^a quoted field opens here and is not closed within 65,536 bytes/) as unknown}])
    expect(rows).toBe(1)
  })

  it('refuses a JSON Lines line over the bound, even one that arrives in many pieces', async () => {
    const long = JSON.stringify({path: 'a.jpg', note: 'n'.repeat(3 * 256 * 1024)})
    writeFileSync(join(dir, 'long.jsonl'), `{"path": "b.jpg"}\n${long}\n{"path": "missing.jpg"}\n`)
    const {problems, rows} = await read(join(dir, 'long.jsonl'))
    expect(problems).toEqual([{line: 2, message: expect.stringMatching(/^the row is longer than 65,536 bytes/) as unknown}])
    expect(rows).toBe(1)
  })

  it(`lists the first ${LISTED_PROBLEMS} problems in line order and counts all of them`, async () => {
    const rows = Array.from({length: 1500}, (_, k) => `missing-${k}.jpg,2024-13-45`)
    writeFileSync(join(dir, 'many-bad.csv'), ['path,collected_at', ...rows].join('\n'))
    const {problems, problemCount} = await read(join(dir, 'many-bad.csv'))
    expect(problemCount).toBe(3000)
    expect(problems).toHaveLength(LISTED_PROBLEMS)
    expect(problems.map((p) => p.line)).toEqual(Array.from({length: LISTED_PROBLEMS}, (_, k) => 2 + Math.floor(k / 2)))
  })
})
