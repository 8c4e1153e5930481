/**
 * Languages as people name them, read into the BCP 47 tag (RFC 5646) that custody records: a tag
 * (uk, crh, en-GB) as it is, or a language's name in English, Ukrainian or Russian, in the
 * language itself, or in this computer's language ("Crimean Tatar", "кримськотатарська",
 * "українська", "Ukrainian"), compared whatever the case or accents.
 *
 * The names are those of the Unicode CLDR data that Node carries (Intl.DisplayNames), for every
 * two-letter ISO 639-1 language it names and for the three-letter languages below, which have no
 * two-letter code; a few names CLDR does not give (Farsi, Sorani, the sign languages) are added.
 * A name that two languages share goes to the one with the two-letter code ("Kurdish": ku).
 */
import {CustodyError, said} from '../errors.js'
import {TESTIMONY} from './fields.js'
import {foldText} from './identifying.js'

/** Languages with no two-letter code that witnesses speak in the places custody is used. */
const THREE_LETTER = ['crh', 'ckb', 'kmr', 'prs', 'rom', 'gag', 'krc', 'kbd', 'ady', 'lez', 'sah', 'tyv', 'yue', 'fil', 'ceb', 'haw', 'hmn', 'syr', 'ast', 'dsb', 'hsb', 'rue']

/** Names CLDR does not give, folded. */
const ALIASES: {readonly [name: string]: string} = {
  farsi: 'fa',
  sorani: 'ckb',
  kurmanji: 'kmr',
  'qırımtatar': 'crh',
  qirimtatar: 'crh',
  'qırımtatarca': 'crh',
  qirimtatarca: 'crh',
  'къырымтатар': 'crh',
  'къырымтатарджа': 'crh',
  moldovan: 'ro',
  mandarin: 'zh',
  'ukrainian sign language': 'ukl',
  'українська жестова мова': 'ukl',
  'russian sign language': 'rsl',
  'international sign': 'ils',
}

/** The display locales whose names are known, besides each language's own. */
const NAMED_IN = ['en', 'uk', 'ru']

let names: Map<string, string> | undefined

function normalised(name: string): string {
  return foldText(name).trim().replaceAll(/\s+/gu, ' ')
}

function codes(): string[] {
  const english = new Intl.DisplayNames(['en'], {type: 'language', fallback: 'none'})
  const two: string[] = []
  for (let a = 97; a <= 122; a++) for (let b = 97; b <= 122; b++) two.push(String.fromCharCode(a, b))
  return [...two, ...THREE_LETTER].filter((code) => english.of(code) !== undefined)
}

/** Every known name, folded, to its tag; made the first time it is needed. */
function nameTable(): Map<string, string> {
  if (names !== undefined) return names
  names = new Map()
  const all = codes()
  const locales = [...new Set([...NAMED_IN, Intl.DateTimeFormat().resolvedOptions().locale])]
  const add = (name: string | undefined, code: string): void => {
    if (name !== undefined && !names!.has(normalised(name))) names!.set(normalised(name), code)
  }

  for (const locale of locales) {
    const display = new Intl.DisplayNames([locale], {type: 'language', fallback: 'none'})
    for (const code of all) add(display.of(code), code)
    if (locale === 'en') for (const code of all) add(ownName(code), code)
  }

  for (const [alias, code] of Object.entries(ALIASES)) add(alias, code)
  return names
}

/** A language's name in itself (українська), when CLDR has it. */
function ownName(code: string): string | undefined {
  try {
    return new Intl.DisplayNames([code], {type: 'language', fallback: 'none'}).of(code)
  } catch {
    return undefined
  }
}

/** A language's English name, or undefined when CLDR has none (a rare language, a private-use tag). */
export function languageName(tag: string): string | undefined {
  try {
    const name = new Intl.DisplayNames(['en'], {type: 'language', fallback: 'none'}).of(tag)
    return name === tag ? undefined : name
  } catch {
    return undefined
  }
}

/**
 * The BCP 47 tag of a language given by name or by tag, in canonical case; undefined when it is
 * neither. A well-formed tag whose language CLDR does not name is taken when its language subtag
 * is an ISO 639 code (two or three letters); a longer one ("english", "ukranian") is a misspelt
 * name, not a tag.
 */
export function readLanguage(text: string): string | undefined {
  const byName = nameTable().get(normalised(text))
  if (byName !== undefined) return byName
  let canonical: string | undefined
  try {
    ;[canonical] = Intl.getCanonicalLocales(text.trim())
  } catch {
    return undefined
  }

  const language = canonical?.split('-')[0] ?? ''
  return canonical !== undefined && (language.length <= 3 || languageName(language) !== undefined) ? canonical : undefined
}

/** Languages given by name or BCP 47 tag, read into their tags (readLanguage); the first that is neither is refused, naming the field. */
export function checkLanguages(values: readonly string[]): string[] {
  return values.map((value) => {
    const tag = readLanguage(value)
    if (tag === undefined) {
      throw new CustodyError(
        'INVALID_ARGUMENT',
        said`${TESTIMONY.languages} must be a BCP 47 language tag such as uk, ru, crh or en-GB, or a language's name such as Ukrainian or Crimean Tatar; got ${JSON.stringify(value)}`,
      )
    }

    return tag
  })
}
