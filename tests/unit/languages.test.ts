/** Languages named as people name them (src/testimony/languages.ts): the tag custody records. */
import {describe, expect, it} from 'vitest'
import {checkLanguages, languageName, readLanguage} from '../../src/testimony/languages.js'

describe('readLanguage', () => {
  it('reads names in English, Ukrainian, Russian and the language itself, whatever the case', () => {
    const cases: Array<[string, string]> = [
      ['Crimean Tatar', 'crh'],
      ['crimean  TATAR', 'crh'],
      ['кримськотатарська', 'crh'],
      ['Qırımtatar', 'crh'],
      ['Ukrainian', 'uk'],
      ['українська', 'uk'],
      ['украинский', 'uk'],
      ['Russian', 'ru'],
      ['русский', 'ru'],
      ['Armenian', 'hy'],
      ['հայերեն', 'hy'],
      ['Azerbaijani', 'az'],
      ['azərbaycan', 'az'],
      ['Georgian', 'ka'],
      ['English', 'en'],
      ['Farsi', 'fa'],
      ['Kurdish', 'ku'],
      ['Ukrainian Sign Language', 'ukl'],
    ]
    expect(cases.map(([name]) => [name, readLanguage(name)])).toEqual(cases)
  })

  it('takes BCP 47 tags as they are, in canonical case', () => {
    expect(['uk', 'EN-gb', 'crh', 'sr-Latn', 'apc'].map(readLanguage)).toEqual(['uk', 'en-GB', 'crh', 'sr-Latn', 'apc'])
  })

  it('refuses a misspelt name rather than take it for a tag', () => {
    expect(['Ukranian', 'englsh', 'not a tag!', '', 'Klingonese'].map(readLanguage)).toEqual([undefined, undefined, undefined, undefined, undefined])
    expect(() => checkLanguages(['Ukrainian', 'Ukranian'])).toThrow('the language must be a BCP 47 language tag such as uk, ru, crh or en-GB, or a language\'s name such as Ukrainian or Crimean Tatar; got "Ukranian"')
    expect(checkLanguages(['Crimean Tatar', 'uk'])).toEqual(['crh', 'uk'])
  })

  it('names a tag in English when CLDR knows it', () => {
    expect([languageName('crh'), languageName('uk'), languageName('apc')]).toEqual(['Crimean Tatar', 'Ukrainian', undefined])
  })
})
