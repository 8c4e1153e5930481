/**
 * `custody report --lang uk|ru` on the built CLI: the report's headings and verdict in Ukrainian
 * and Russian, no English fixed string left in the cover and verification sections, the HTML's
 * lang attribute, data shown as recorded (names, places, notes, ISO 8601 times), a failed
 * verification said in the language, and `--lang xx` a usage error listing the languages there are.
 * The expected words are read from the message files themselves, so the test follows a better
 * translation without being edited, but not a missing one.
 */
import {copyFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {escapeHtml} from '../../src/report/html.js'
import {custody, custodyJson, newCase, SAMPLES, tempDir} from '../helpers/cli.js'

type Catalog = Record<string, unknown>
const messages = (lang: string): Catalog => JSON.parse(readFileSync(join(import.meta.dirname, '../../src/report/messages', `${lang}.json`), 'utf8')) as Catalog
const section = (catalog: Catalog, key: string): Record<string, unknown> => catalog[key] as Record<string, unknown>

const PLACE = 'Сімферополь, вул. Київська'
const NOTE = 'Found on the phone of a detained person'
const SEALED_AT = '2024-04-01T12:00:00+03:00'
/** How the seal records --sealed-at: in UTC, ISO 8601; the report shows it so, in every language. */
const SEALED_AT_RECORDED = '2024-04-01T09:00:00.000Z'

const work = tempDir('custody-report-lang-')
let kase: {dir: string; remove: () => void}
let archive: string

beforeAll(async () => {
  kase = await newCase()
  const files = join(work.path, 'files')
  mkdirSync(files)
  copyFileSync(join(SAMPLES, 'GPS.jpg'), join(files, 'GPS.jpg'))
  const ingested = await custody(['ingest', join(files, 'GPS.jpg'), '--note', NOTE, '--location', PLACE, '--case', kase.dir])
  expect(ingested.code, ingested.stderr).toBe(0)
  archive = join(work.path, 'sealed.zip')
  const seal = await custody(['seal', '--out', archive, '--purpose', 'court', '--sealed-at', SEALED_AT, '--case', kase.dir])
  expect(seal.code, seal.stderr).toBe(0)
}, 120_000)

afterAll(() => {
  kase.remove()
  work.remove()
})

async function report(target: string, lang: string, name: string, code = 0): Promise<{html: string; json: {lang: string; verdict: string}}> {
  const out = join(work.path, name)
  const result = await custodyJson<{lang: string; verdict: string}>(['report', target, '--out', out, '--lang', lang, '--thumbnails', 'none'])
  expect(result.code, result.stderr + result.stdout.slice(0, 2000)).toBe(code)
  return {html: readFileSync(out, 'utf8'), json: result.json}
}

/** Every text of a catalog section, plural forms and list items too, cut at its placeholders. */
function fixedTexts(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\{[A-Za-z0-9]+\}/).map((s) => s.trim())
  if (Array.isArray(value)) return value.flatMap(fixedTexts)
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(fixedTexts)
  return []
}

/**
 * The cover and verification sections as this report's own wording: what the verifier says in
 * its findings and warnings (English, shown as it states them, like all data) is left out.
 */
function coverAndVerification(html: string): string {
  return html
    .slice(html.indexOf('id="cover"'), html.indexOf('id="exhibits"'))
    .replaceAll(/(<tr><td>[^<]*<\/td><td>[^<]*<\/td>)<td>[^<]*<\/td>/g, '$1')
    .replaceAll(/<li>[^<]*<\/li>/g, '')
}

/**
 * The English fixed strings of the cover and verification (en.json's, less any the translation
 * `m` shares) found in the report's own wording there.
 */
function englishIn(html: string, m: Catalog): string[] {
  const en = messages('en')
  const own = coverAndVerification(html)
  const translated = new Set([...fixedTexts(section(m, 'cover')), ...fixedTexts(section(m, 'verification')), ...fixedTexts(m.title)])
  const english = [...fixedTexts(section(en, 'cover')), ...fixedTexts(section(en, 'verification'))].filter((s) => s.length > 1 && !translated.has(s))
  return english.filter((text) => {
    const escaped = escapeHtml(text)
    // A label is a whole cell or heading; a sentence may sit anywhere.
    if (text.includes(' ') && text.length > 12) return own.includes(escaped)
    return new RegExp(`>${escaped.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')}[:<]`).test(own)
  })
}

describe('the check for English left in a translated report', () => {
  it('finds the English of an English report (so it cannot pass for want of looking)', async () => {
    const {html} = await report(archive, 'en', 'en.html')
    const found = englishIn(html, {cover: {}, verification: {}, title: ''})
    for (const text of ['1. Cover', 'Verdict', 'Seal ID', "Archive's SHA-256", 'PASSED', 'What was not checked, and why', 'Trusted time']) expect(found).toContain(text)
    expect(found.length).toBeGreaterThan(25)
  })
})

describe.each(['uk', 'ru'])('custody report --lang %s', (lang) => {
  const m = messages(lang)
  const en = messages('en')

  it('holds its headings and verdict in that language, and lang= says so', async () => {
    const {html, json} = await report(archive, lang, `${lang}.html`)
    expect(json).toMatchObject({lang, verdict: 'verified'})
    expect(html).toContain(`<html lang="${lang}">`)
    for (const key of ['cover', 'verification', 'exhibits', 'exhibit', 'testimony', 'howTo', 'glossary']) {
      const heading = String(section(m, key).heading)
      expect(html).toContain(`>${escapeHtml(heading)}</h2>`)
      expect(html).not.toContain(`>${escapeHtml(String(section(en, key).heading))}</h2>`)
    }

    const cover = section(m, 'cover')
    const verdict = html.slice(html.indexOf('<p class="verdict'), html.indexOf('</p>', html.indexOf('<p class="verdict')))
    expect(verdict).toContain(escapeHtml(String(cover.verdict)))
    const sentences = [String(cover.verified), ...Object.values(cover.verifiedWithWarnings as Record<string, string>).map((s) => s.split('{count}')[0]!)]
    expect(sentences.some((s) => verdict.includes(escapeHtml(s)))).toBe(true)
    expect(html).toContain(`<td>${escapeHtml(String(section(m, 'verification').ok))}</td>`)
  })

  it('has no English fixed string in the cover and verification sections', async () => {
    const {html} = await report(archive, lang, `${lang}-english.html`)
    expect(englishIn(html, m)).toEqual([])
  })

  it('shows the data as recorded: place, note and ISO 8601 times, untranslated', async () => {
    const {html} = await report(archive, lang, `${lang}-data.html`)
    expect(html).toContain(escapeHtml(PLACE))
    expect(html).toContain(escapeHtml(NOTE))
    expect(html).toContain(`<td>${SEALED_AT_RECORDED}</td>`)
  })

  it('says a failed verification in that language on its cover, with exit 3', async () => {
    const junk = join(work.path, `junk-${lang}.zip`)
    writeFileSync(junk, '<html>not a zip</html>')
    const {html, json} = await report(junk, lang, `${lang}-failed.html`, 3)
    expect(json.verdict).toBe('failed')
    const one = (section(m, 'cover').failed as Record<string, string>).one!.replace('{count}', '1').replace('{checks}', 'zip')
    expect(html).toContain(escapeHtml(one))
    expect(html).toContain(`<td>zip</td><td>${escapeHtml(String(section(m, 'verification').failed))}</td>`)
    expect(html).not.toContain('VERIFICATION FAILED')
    expect(html).not.toContain('PASSED')
  })
})

describe('custody report --lang xx', () => {
  it('is a usage error (exit 2) listing the languages there are, and writes nothing', async () => {
    const out = join(work.path, 'xx.html')
    const result = await custody(['report', archive, '--out', out, '--lang', 'xx'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/--lang.*en, ru, uk/)
    expect(() => readFileSync(out)).toThrow()
  })

  it('its help lists the languages', async () => {
    const help = await custody(['report', '--help'])
    expect(help.stdout.replaceAll(/\s+/g, ' ')).toContain("the language of the report's wording: en (English), ru (Русский), uk (Українська)")
  })
})
