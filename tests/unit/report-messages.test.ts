/**
 * The report's message files (src/report/messages/*.json): every language has exactly the keys of
 * en.json, the same placeholders in each text, and every plural form its language needs (CLDR, as
 * Intl.PluralRules gives them); a malformed file is refused with its name and the key. The plural
 * forms are checked against numbers a reader knows: 1, 2, 5, 11, 21, 22, 25.
 */
import {copyFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {CustodyError} from '../../src/errors.js'
import {catalogProblems, loadReportMessages, MESSAGES_FOLDER, pluralCategories, reportLanguages} from '../../src/report/messages/catalog.js'
import {tempDir} from '../helpers/cli.js'

const read = (lang: string): unknown => JSON.parse(readFileSync(join(MESSAGES_FOLDER, `${lang}.json`), 'utf8')) as unknown
const en = read('en')
const work = tempDir('custody-messages-')
afterAll(() => work.remove())

/** A folder holding en.json and one other file, `lang`.json, made from `text`. */
function folderWith(lang: string, text: string): string {
  const folder = join(work.path, `${lang}-${Math.random().toString(36).slice(2)}`)
  mkdirSync(folder)
  copyFileSync(join(MESSAGES_FOLDER, 'en.json'), join(folder, 'en.json'))
  writeFileSync(join(folder, `${lang}.json`), text)
  return folder
}

/** uk.json changed by `edit`, as a translator might have got it wrong. */
function brokenUk(edit: (catalog: Record<string, Record<string, unknown>>) => void): Record<string, Record<string, unknown>> {
  const catalog = read('uk') as Record<string, Record<string, unknown>>
  edit(catalog)
  return catalog
}

describe('the message files', () => {
  it('are found in the folder: en, ru and uk at least', () => {
    expect(reportLanguages()).toEqual(expect.arrayContaining(['en', 'ru', 'uk']))
  })

  it.each(reportLanguages())('%s.json has the keys and placeholders of en.json and every plural form its language needs', (lang) => {
    expect(catalogProblems(`${lang}.json`, lang, read(lang), en)).toEqual([])
  })

  it('Ukrainian and Russian need one, few and many (CLDR), English one and other', () => {
    expect(pluralCategories('uk')).toEqual(expect.arrayContaining(['one', 'few', 'many']))
    expect(pluralCategories('ru')).toEqual(expect.arrayContaining(['one', 'few', 'many']))
    expect([...(pluralCategories('en') ?? [])].sort()).toEqual(['one', 'other'])
  })
})

describe('a malformed language file is refused, naming the file and the key', () => {
  it('a key missing', () => {
    const bad = brokenUk((c) => delete c.cover!.verdict)
    expect(catalogProblems('uk.json', 'uk', bad, en)).toEqual(['uk.json: cover.verdict: missing (en.json has it)'])
  })

  it('a key en.json does not have', () => {
    const bad = brokenUk((c) => (c.cover!.verdikt = 'Висновок'))
    expect(catalogProblems('uk.json', 'uk', bad, en)).toEqual(['uk.json: cover.verdikt: not a key of en.json'])
  })

  it('an unknown placeholder, and one missing', () => {
    const bad = brokenUk((c) => {
      c.cover!.madeBy = 'Звіт складено програмою custody {versoin}.'
    })
    const problems = catalogProblems('uk.json', 'uk', bad, en)
    expect(problems).toContain('uk.json: cover.madeBy: unknown placeholder {versoin} (en.json has {version})')
    expect(problems).toContain('uk.json: cover.madeBy: placeholder {version} missing')
  })

  it('a plural form the language needs, missing; a placeholder in no form', () => {
    const bad = brokenUk((c) => {
      const plural = c.exhibits!.bytes as Record<string, string>
      delete plural.many
      c.verification!.coversEvents = {one: 'подія {count}', few: 'події {count}', many: 'подій {count}', other: 'події {count}'}
    })
    const problems = catalogProblems('uk.json', 'uk', bad, en)
    expect(problems).toContain('uk.json: exhibits.bytes: plural form "many" missing (the language needs few, many, one, other)')
    expect(problems).toContain('uk.json: verification.coversEvents: placeholder {last} in no form')
  })

  it('a text where en.json has a plural, a list of another length, a stray brace', () => {
    const bad = brokenUk((c) => {
      c.cover!.failed = 'ПЕРЕВІРКУ НЕ ПРОЙДЕНО: {checks}'
      ;(c.verification!.notCheckedItems as string[]).pop()
      c.exhibit!.image = 'Зображення {'
    })
    const problems = catalogProblems('uk.json', 'uk', bad, en)
    expect(problems).toContain('uk.json: cover.failed: expected a plural (an object of few, many, one, other), got "ПЕРЕВІРКУ НЕ ПРОЙДЕНО: {checks}"')
    expect(problems).toContain('uk.json: verification.notCheckedItems: expected a list of 4, as in en.json')
    expect(problems).toContain('uk.json: exhibit.image: a brace that is not a placeholder {name}')
  })

  it('is refused when the report loads it: a CustodyError naming the file and the key', () => {
    const folder = folderWith('uk', JSON.stringify(brokenUk((c) => delete c.glossary!.heading)))
    const refused = ((): unknown => {
      try {
        loadReportMessages('uk', folder)
        return undefined
      } catch (error) {
        return error
      }
    })()
    expect(refused).toBeInstanceOf(CustodyError)
    expect((refused as Error).message).toContain(`${join(folder, 'uk.json')}: glossary.heading: missing (en.json has it)`)
  })

  it('a file that is not JSON is refused with its name', () => {
    const folder = folderWith('uk', '{"title": ')
    expect(() => loadReportMessages('uk', folder)).toThrow(join(folder, 'uk.json'))
  })

  it('a language with no file is a usage error listing those there are', () => {
    expect(() => loadReportMessages('xx')).toThrow(/no report wording in the language "xx"; the languages there are: .*en.*ru.*uk/)
  })
})

describe('a new language is one file', () => {
  it('hy.json (Armenian), a copy of en.json here, is found and used; its plurals follow Armenian rules', () => {
    const folder = folderWith('hy', readFileSync(join(MESSAGES_FOLDER, 'en.json'), 'utf8'))
    expect(reportLanguages(folder)).toEqual(['en', 'hy'])
    const m = loadReportMessages('hy', folder)
    expect(m.lang).toBe('hy')
    expect(m.say(m.title, {sealId: 'S-1'})).toBe('Evidence report: seal S-1')
  })
})

describe('plural forms chosen by Intl.PluralRules', () => {
  const forms = (lang: string): string[] => {
    const m = loadReportMessages(lang)
    return [1, 2, 5, 11, 21, 22, 25].map((n) => m.count(m.exhibits.bytes, n))
  }

  it('English: 1 byte, 2 bytes', () => {
    expect(forms('en')).toEqual(['1 byte', '2 bytes', '5 bytes', '11 bytes', '21 bytes', '22 bytes', '25 bytes'])
  })

  it('Ukrainian: байт, байти, байтів (21 байт, 22 байти, 11 and 25 байтів)', () => {
    expect(forms('uk')).toEqual(['1 байт', '2 байти', '5 байтів', '11 байтів', '21 байт', '22 байти', '25 байтів'])
  })

  it('Russian: байт, байта, байт', () => {
    expect(forms('ru')).toEqual(['1 байт', '2 байта', '5 байт', '11 байт', '21 байт', '22 байта', '25 байт'])
  })

  it('placeholders besides count are filled in, and one not given is a fault said plainly', () => {
    const m = loadReportMessages('uk')
    expect(m.count(m.verification.coversEvents, 5, {last: 4})).toBe('події журналу з 0 по 4 (5 подій)')
    expect(() => m.say(m.cover.madeBy)).toThrow(/\{version\} but none was given/)
  })
})
