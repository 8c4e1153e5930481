/**
 * Whether a text names the witness (src/testimony/identifying.ts), and the search of statement
 * files and metadata records (src/testimony/content-check.ts). The streaming scanner is checked
 * against the whole-text search, its naive reference, on every way of cutting a text into chunks.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import {searchMetadata, searchStatementText} from '../../src/testimony/content-check.js'
import {IdentifyingSearch} from '../../src/testimony/identifying.js'
import {SAMPLES, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-identifying-')
afterAll(() => work.remove())

const OLENA = IdentifyingSearch.of({name: 'Olena Kovalenko 王伟', contact: '+380 44 555 0142; ok.witness@example.org; Telegram @zirka_k'})

describe('IdentifyingSearch.find', () => {
  it.each([
    ['kovalenko', 'name'],
    ['KOVALENKO', 'name'],
    ['Kovalénko', 'name'],
    ["at Olena's flat", 'name'],
    ['Olena’s', 'name'],
    ['Petrenko-Kovalenko', 'name'],
    ['044 555 01 42', 'contact'],
    ['(044) 555-0142', 'contact'],
    ['+380445550142', 'contact'],
    ['555 0142', 'contact'],
    ['call 0445550142 today', 'contact'],
    ['OK.WITNESS@EXAMPLE.ORG.', 'contact'],
    ['write to @Zirka_K', 'contact'],
  ])('finds %j (%s)', (text, kind) => {
    expect(OLENA.find(text)).toBe(kind)
  })

  it.each(['Kovalenkivka village', 'an olenal word', 'ole', '044 555 9999', '2024-03-05 10:00', 'nok.witness@example.org', 'ok.witness@example.org.ua', 'a relative (P-3)', ''])('does not find %j', (text) => {
    expect(OLENA.find(text)).toBeUndefined()
  })

  it('ignores name parts under three letters and particles, but not the rest of the name', () => {
    const search = IdentifyingSearch.of({name: 'Ludwig van Li', contact: null})
    expect(search.find('a white van and Li')).toBeUndefined()
    expect(search.find('LUDWIG')).toBe('name')
  })

  it('folds case in every script, and accents', () => {
    const search = IdentifyingSearch.of({name: 'Олена Коваленко', contact: null})
    expect(search.find('свідок КОВАЛЕНКО сказав')).toBe('name')
    expect(IdentifyingSearch.of({name: 'ΣΩΚΡΑΤΗΣ', contact: null}).find('ο σωκρατης')).toBe('name')
    expect(IdentifyingSearch.of({name: 'Zoë Müller', contact: null}).find('MULLER')).toBe('name')
  })

  it('looks for a part in a script written without spaces anywhere, from two characters', () => {
    const search = IdentifyingSearch.of({name: '王伟', contact: null})
    expect(search.find('我叫王伟，住在北京。')).toBe('name')
    expect(search.find('王先生')).toBeUndefined()
    expect(IdentifyingSearch.of({name: 'สมชาย ใจดี', contact: null}).find('นายสมชายเห็นเหตุการณ์')).toBe('name')
  })

  it('searches a witness code anywhere, not only as words', () => {
    expect(OLENA.withinCode('W-KOVALENKO14')).toBe('name')
    expect(OLENA.withinCode('W-014')).toBeUndefined()
  })

  it('has nothing to search for without a name or a contact it can read', () => {
    const none = IdentifyingSearch.of({name: null, contact: 'through her brother'})
    expect(none.searchedFor).toEqual([])
    expect(none.find('her brother Olena Kovalenko 0445550142')).toBeUndefined()
    expect(OLENA.searchedFor).toEqual(['name', 'contact'])
  })
})

describe('the streaming scanner', () => {
  const words = ['王伟', '我叫', '我叫'.repeat(300), '，', '。', 'the', 'Olena', 'Kovalenko', 'KOVALENKIVKA', ' ', '  ', '\n', '044', '555', '01', '42', '-', 'ok.witness@example.org', '@zirka_k', '@', "'s", '.', 'é', 'x'.repeat(300), 'checkpoint']

  it('finds exactly what find() finds on the whole text, however the text is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), {maxLength: 40}), fc.array(fc.nat({max: 2000}), {maxLength: 8}), (parts, cuts) => {
        const text = parts.join('')
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
        const scanner = OLENA.scanner()
        let from = 0
        for (const point of [...points, text.length]) {
          scanner.push(text.slice(from, point))
          from = point
        }

        expect(scanner.end()).toBe(OLENA.find(text))
      }),
      {numRuns: 1000},
    )
  })
})

describe('the streaming scanner on a long run without spaces', () => {
  it('finds a name far inside a run of Han text longer than what it keeps between chunks', () => {
    const text = `${'我叫'.repeat(1500)}王伟${'我叫'.repeat(10)}`
    const scanner = OLENA.scanner()
    for (let i = 0; i < text.length; i += 100) scanner.push(text.slice(i, i + 100))
    expect(scanner.end()).toBe('name')
  })
})

describe('searching a statement file', () => {
  it('searches UTF-8 text as a stream, finding the name across a chunk boundary', async () => {
    const path = join(work.path, 'long.txt')
    const filler = 'All quiet at the checkpoint. '.repeat(2500)
    writeFileSync(path, `${filler.slice(0, 65_536 - 4)}Olena Kovalenko ${filler}`)
    expect(await searchStatementText(path, OLENA, 'text/plain')).toEqual({searched: true, reason: null, found: 'name'})
    writeFileSync(path, filler)
    expect(await searchStatementText(path, OLENA, 'text/plain')).toEqual({searched: true, reason: null, found: undefined})
  })

  it('reads UTF-16 with its byte-order mark', async () => {
    const path = join(work.path, 'utf16.txt')
    writeFileSync(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Свідок Коваленко', 'utf16le')]))
    expect(await searchStatementText(path, IdentifyingSearch.of({name: 'Коваленко', contact: null}), 'text/plain')).toEqual({searched: true, reason: null, found: 'name'})
  })

  it('says it could not search what is not UTF-8 or UTF-16 text, or not plain text', async () => {
    const cp1251 = join(work.path, 'cp1251.txt')
    writeFileSync(cp1251, Buffer.from([0xca, 0xee, 0xe2, 0xe0, 0xeb, 0xe5, 0xed, 0xea, 0xee, 0x0a]))
    const legacy = await searchStatementText(cp1251, IdentifyingSearch.of({name: 'Коваленко', contact: null}), 'text/plain')
    expect(legacy).toMatchObject({searched: false, found: undefined})
    expect(legacy.reason).toContain('not UTF-8 or UTF-16')
    const pdf = await searchStatementText(join(SAMPLES, 'PDF.pdf'), OLENA, 'application/pdf')
    expect(pdf).toMatchObject({searched: false, reason: expect.stringContaining('application/pdf') as string})
    const png = await searchStatementText(join(SAMPLES, 'PNG.png'), OLENA, null)
    expect(png.searched).toBe(false)
  })
})

describe('searching a metadata record', () => {
  it('names every tag whose string value holds the name or contact, nested values too', () => {
    const record = {tags: {'EXIF:IFD0:Artist': 'Olena Kovalenko', 'EXIF:IFD0:Make': 'Canon', 'XMP:XMP-dc:Subject': ['checkpoint', 'call 044 555 0142'], 'EXIF:ExifIFD:ISO': 100}}
    expect(searchMetadata(record, OLENA)).toEqual([
      {tag: 'EXIF:IFD0:Artist', kind: 'name'},
      {tag: 'XMP:XMP-dc:Subject', kind: 'contact'},
    ])
    expect(searchMetadata({tags: {}}, OLENA)).toEqual([])
  })
})
