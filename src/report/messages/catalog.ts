/**
 * The report's fixed wording, one JSON file a language in this folder (en.json, uk.json, ru.json),
 * named by its BCP 47 tag: adding a language is adding a file, with no code to touch. A file has
 * exactly the keys of en.json. A value is a text, a list (of texts or of pairs), or a plural: an
 * object whose keys are Unicode CLDR plural categories (zero, one, two, few, many, other), the form
 * for a number chosen by Intl.PluralRules for the file's language (CLDR "Language Plural Rules").
 * Texts take named placeholders, `{count}`, filled in by the code; a translation uses the same
 * placeholders as en.json (a plural's forms may each leave one out, as long as together they keep
 * them all). Every file is checked against en.json before it is used (catalogProblems).
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {CustodyError} from '../../errors.js'
import {isRecord} from '../../formats/guards.js'
import type EnMessages from './en.json'

/** Where the message files are: beside this module, in src/ as in dist/ (the build copies them). */
export const MESSAGES_FOLDER = fileURLToPath(new URL('.', import.meta.url))

export const REFERENCE_LANGUAGE = 'en'

export type Plural = Readonly<Partial<Record<Intl.LDMLPluralRule, string>>>
export type Params = Readonly<Record<string, string | number>>

/** How a text is filled in, for the language of its file. */
export interface Wording {
  readonly lang: string
  say(text: string, params?: Params): string
  /** The form of `plural` for `count` in this language, with `{count}` and the other placeholders filled in. */
  count(plural: Plural, count: number, params?: Params): string
}

export type ReportMessages = typeof EnMessages & Wording

const CATEGORIES: readonly string[] = ['zero', 'one', 'two', 'few', 'many', 'other']
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9]*)\}/g
const FILE = /^([a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.json$/

/** The languages there is a message file for, by their tags, sorted. */
export function reportLanguages(folder = MESSAGES_FOLDER): string[] {
  return readdirSync(folder)
    .map((name) => FILE.exec(name)?.[1])
    .filter((tag): tag is string => tag !== undefined)
    .sort()
}

/** The languages as `tag (name)`, the name as its own file gives it (`language`), for --lang's help. */
export function describeReportLanguages(folder = MESSAGES_FOLDER): string[] {
  return reportLanguages(folder).map((tag) => {
    try {
      const name = (JSON.parse(readFileSync(join(folder, `${tag}.json`), 'utf8')) as {language?: unknown}).language
      return typeof name === 'string' ? `${tag} (${name})` : tag
    } catch {
      // A file that cannot be read is refused with its reason when it is used (loadReportMessages), not in the help.
      return tag
    }
  })
}

function placeholders(text: string): Set<string> {
  return new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))
}

function isPlural(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && 'other' in value && Object.keys(value).every((k) => CATEGORIES.includes(k))
}

const listed = (names: Iterable<string>): string => [...names].map((n) => `{${n}}`).join(', ')

/** What is wrong with one text of a translation against en.json's placeholders. */
function textProblems(text: string, wanted: Set<string>, where: string, whole: boolean): string[] {
  const found = placeholders(text)
  const problems: string[] = []
  const unknown = [...found].filter((p) => !wanted.has(p))
  if (unknown.length > 0) problems.push(`${where}: unknown placeholder ${listed(unknown)} (en.json has ${wanted.size === 0 ? 'none' : listed(wanted)})`)
  const missing = [...wanted].filter((p) => !found.has(p))
  if (whole && missing.length > 0) problems.push(`${where}: placeholder ${listed(missing)} missing`)
  if (/[{}]/.test(text.replaceAll(PLACEHOLDER, ''))) problems.push(`${where}: a brace that is not a placeholder {name}`)
  return problems
}

function pluralProblems(value: unknown, reference: Record<string, unknown>, where: string, categories: readonly string[]): string[] {
  if (!isPlural(value)) return [`${where}: expected a plural (an object of ${categories.join(', ')}), got ${JSON.stringify(value)?.slice(0, 60)}`]
  const wanted = new Set(Object.values(reference).flatMap((t) => [...placeholders(String(t))]))
  const problems = categories.filter((c) => typeof value[c] !== 'string').map((c) => `${where}: plural form "${c}" missing (the language needs ${categories.join(', ')})`)
  for (const [category, text] of Object.entries(value)) {
    if (!categories.includes(category)) problems.push(`${where}: plural form "${category}" is not one the language has (${categories.join(', ')})`)
    else if (typeof text === 'string') problems.push(...textProblems(text, wanted, `${where}.${category}`, false))
  }

  const used = new Set(Object.values(value).flatMap((t) => (typeof t === 'string' ? [...placeholders(t)] : [])))
  const lost = [...wanted].filter((p) => !used.has(p))
  if (lost.length > 0) problems.push(`${where}: placeholder ${listed(lost)} in no form`)
  return problems
}

/** The differences of `value` from en.json's `reference` at `where` (a dotted key). */
function valueProblems(value: unknown, reference: unknown, where: string, categories: readonly string[]): string[] {
  if (typeof reference === 'string') return typeof value === 'string' ? textProblems(value, placeholders(reference), where, true) : [`${where}: expected a text, got ${JSON.stringify(value)?.slice(0, 60) ?? 'nothing'}`]
  if (isPlural(reference)) return pluralProblems(value, reference, where, categories)
  if (Array.isArray(reference)) {
    if (!Array.isArray(value) || value.length !== reference.length) return [`${where}: expected a list of ${reference.length}, as in en.json`]
    return reference.flatMap((r, i) => valueProblems(value[i], r, `${where}[${i}]`, categories))
  }

  if (!isRecord(reference)) return [`${where}: en.json holds a value that is not a text, list or object`]
  if (!isRecord(value)) return [`${where}: expected an object of ${Object.keys(reference).join(', ')}`]
  const prefix = where === '' ? '' : `${where}.`
  return [
    ...Object.keys(reference).flatMap((k) => (k in value ? valueProblems(value[k], reference[k], `${prefix}${k}`, categories) : [`${prefix}${k}: missing (en.json has it)`])),
    ...Object.keys(value)
      .filter((k) => !(k in reference))
      .map((k) => `${prefix}${k}: not a key of en.json`),
  ]
}

/** The plural categories a language needs, as the CLDR data of this Node's ICU has them. */
export function pluralCategories(lang: string): readonly string[] | undefined {
  if (Intl.PluralRules.supportedLocalesOf([lang]).length === 0) return undefined
  return new Intl.PluralRules(lang).resolvedOptions().pluralCategories
}

/**
 * Every way `candidate` (the parsed file `file`, for language `lang`) differs from en.json: a key
 * missing or extra, a value of another kind, a placeholder unknown or missing, a plural form
 * missing. Each problem names the file and the key.
 */
export function catalogProblems(file: string, lang: string, candidate: unknown, reference: unknown): string[] {
  const categories = pluralCategories(lang)
  if (categories === undefined) return [`${file}: this Node's Intl has no plural rules for "${lang}": name the file by a BCP 47 language tag it knows`]
  return valueProblems(candidate, reference, '', categories).map((p) => `${file}: ${p.replace(/^\.|^: /, '')}`)
}

function readCatalog(folder: string, lang: string): unknown {
  const file = join(folder, `${lang}.json`)
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown
  } catch (error) {
    throw new CustodyError('INTERNAL', `${file}: the report's message file could not be read (${error instanceof Error ? error.message : String(error)}): restore it, or fix its JSON`, {cause: error})
  }
}

function fill(text: string, params: Params, lang: string): string {
  return text.replaceAll(PLACEHOLDER, (whole, name: string) => {
    const value = params[name]
    if (value === undefined) throw new CustodyError('INTERNAL', `report message "${text}" (${lang}) has ${whole} but none was given: this is a fault in custody, please report it`)
    return String(value)
  })
}

/** The wording of the report in `lang`, checked against en.json first (a problem refuses it). */
export function loadReportMessages(lang: string, folder = MESSAGES_FOLDER): ReportMessages {
  if (!reportLanguages(folder).includes(lang)) throw new CustodyError('USAGE', `there is no report wording in the language ${JSON.stringify(lang)}; the languages there are: ${reportLanguages(folder).join(', ')}`)
  const reference = readCatalog(folder, REFERENCE_LANGUAGE)
  const catalog = lang === REFERENCE_LANGUAGE ? reference : readCatalog(folder, lang)
  const problems = catalogProblems(join(folder, `${lang}.json`), lang, catalog, reference)
  if (problems.length > 0) {
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''
    throw new CustodyError('INTERNAL', `the report's wording in "${lang}" is not usable: ${problems.slice(0, 5).join('; ')}${more}. Fix the file against en.json (npx vitest run tests/unit/report-messages.test.ts lists every problem)`)
  }

  const rules = new Intl.PluralRules(lang)
  const wording: Wording = {
    lang,
    say: (text, params = {}) => fill(text, params, lang),
    count: (plural, count, params = {}) => fill(plural[rules.select(count)] ?? plural.other ?? '', {...params, count}, lang),
  }
  return {...(catalog as typeof EnMessages), ...wording}
}
