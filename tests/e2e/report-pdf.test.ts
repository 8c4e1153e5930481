/**
 * `custody report ARCHIVE --out report.pdf` on the built CLI, read back with the tools a court's
 * expert has (Debian's poppler-utils and qpdf): pdftotext for what it says (every exhibit ID and
 * SHA-256, the verdict, Ukrainian and Armenian text as recorded), pdffonts for embedded fonts,
 * qpdf --check for the file's structure, pdfdetach for the attached verification result, pdfimages
 * for where the images are. A tampered archive, and the same bytes for the same archive and options.
 */
import {createHash} from 'node:crypto'
import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {forgeBag} from '../helpers/bag.js'
import {custody, custodyJson, SAMPLES, tempDir} from '../helpers/cli.js'

const TITLE_UK = 'Обстріл Харкова: ґанок, їжа, єдність'
const NOTE_HY = 'Հայերեն նշում՝ Երևան'
const NOTE_CRH = 'Qırım: Aqmescit, şahit ğayıp'
const SEAL_NOTE_RU = 'Печать для суда, экземпляр №1'

const work = tempDir('custody-report-pdf-')
let sealed: {archive: string; bagDir: string}

interface ReportJson {
  format: string
  verdict: string
  failedChecks: string[]
  exhibits: number
  attachments: string[]
}

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, {encoding: 'utf8'})
  expect(result.status, `${command} ${args.join(' ')}: ${result.stderr}`).toBe(0)
  return result.stdout
}

beforeAll(async () => {
  const dir = join(work.path, 'case')
  const init = await custody(['init', dir, '--title', TITLE_UK, '--investigator', 'О. Слідча', '--organisation', 'Test NGO'])
  expect(init.code, init.stderr).toBe(0)
  const files = join(work.path, 'files')
  mkdirSync(files)
  copyFileSync(join(SAMPLES, 'Canon.jpg'), join(files, 'Canon.jpg'))
  copyFileSync(join(SAMPLES, 'GPS.jpg'), join(files, 'GPS.jpg'))
  for (const [file, note] of [['Canon.jpg', NOTE_HY], ['GPS.jpg', NOTE_CRH]] as const) {
    const ingested = await custody(['ingest', join(files, file), '--note', note, '--case', dir])
    expect(ingested.code, ingested.stderr).toBe(0)
  }

  const archive = join(work.path, 'sealed.zip')
  const seal = await custody(['seal', '--out', archive, '--purpose', 'court', '--note', SEAL_NOTE_RU, '--sealed-at', '2024-04-01T12:00:00+03:00', '--case', dir])
  expect(seal.code, seal.stderr).toBe(0)
  const pristine = join(work.path, 'pristine')
  mkdirSync(pristine)
  run('unzip', ['-q', archive, '-d', pristine])
  sealed = {archive, bagDir: join(pristine, readdirSync(pristine)[0]!)}
}, 120_000)

afterAll(() => work.remove())

async function report(archive: string, name: string, extra: string[] = [], code = 0): Promise<{pdf: string; json: ReportJson; pages: string[]}> {
  const pdf = join(work.path, name)
  const result = await custodyJson<ReportJson>(['report', archive, '--out', pdf, ...extra])
  expect(result.code, result.stderr + result.stdout.slice(0, 2000)).toBe(code)
  // pdftotext ends each page with a form feed.
  return {pdf, json: result.json, pages: run('pdftotext', ['-enc', 'UTF-8', pdf, '-']).split('\f')}
}

function exhibits(): Array<{exhibit: string; sha256: string}> {
  const statement = JSON.parse(readFileSync(join(sealed.bagDir, 'data', 'custody', 'seal.json'), 'utf8')) as {exhibits: Array<{exhibit: string; sha256: string}>}
  return statement.exhibits
}

/** The pages (1-based) pdfimages finds an image on. */
function imagePages(pdf: string): number[] {
  const lines = run('pdfimages', ['-list', pdf]).split('\n').slice(2).filter((l) => l.trim() !== '')
  return lines.map((l) => Number(l.trim().split(/\s+/)[0]))
}

describe('custody report --out FILE.pdf', () => {
  it('says every exhibit ID and SHA-256 and the verdict, and keeps Ukrainian, Russian, Crimean Tatar and Armenian text', async () => {
    const {json, pages} = await report(sealed.archive, 'genuine.pdf')
    expect(json).toMatchObject({format: 'pdf', verdict: 'verified', failedChecks: [], exhibits: 2, attachments: ['verification.json', 'case-uco.jsonld']})
    const text = pages.join('\n')
    expect(exhibits()).toHaveLength(2)
    for (const x of exhibits()) {
      expect(text).toContain(x.exhibit)
      expect(text).toContain(x.sha256)
    }

    expect(pages[0]).toContain('Verdict: VERIFIED')
    expect(text).not.toContain('VERIFICATION FAILED')
    for (const recorded of [TITLE_UK, SEAL_NOTE_RU, NOTE_HY, NOTE_CRH]) expect(text).toContain(recorded)
    expect(pages[0]).toContain(TITLE_UK)
    for (const heading of ['1. Cover', '2. Verification', '3. Exhibits', '4. Each exhibit', '5. Testimony', '6. How to check this yourself', '7. Glossary']) expect(text).toContain(heading)
  })

  it('is PDF/A-3 with every font embedded, and passes qpdf --check', async () => {
    const {pdf} = await report(sealed.archive, 'fonts.pdf')
    const fonts = run('pdffonts', [pdf]).split('\n').slice(2).filter((l) => l.trim() !== '')
    expect(fonts.length).toBeGreaterThanOrEqual(2)
    // Columns: name type encoding emb sub uni object ID; emb is the fourth from the end.
    for (const font of fonts) expect(font.trim().split(/\s+/).at(-5), font).toBe('yes')
    for (const font of fonts) expect(font).toContain('DejaVu')
    const check = spawnSync('qpdf', ['--check', pdf], {encoding: 'utf8'})
    expect(check.status, check.stdout + check.stderr).toBe(0)
    expect(check.stdout).toContain('No syntax or stream encoding errors')
    const meta = run('pdfinfo', ['-meta', pdf])
    expect(meta).toMatch(/<pdfaid:part>3<\/pdfaid:part>/)
    expect(meta).toMatch(/<pdfaid:conformance>B<\/pdfaid:conformance>/)
    // The document's dates are the seal's, not the clock's.
    expect(meta).toContain('<xmp:CreateDate>2024-04-01T09:00:00Z</xmp:CreateDate>')
  })

  it('carries verification.json and the CASE/UCO export, equal to what custody verify --json and custody export case-uco give', async () => {
    const {pdf} = await report(sealed.archive, 'attached.pdf')
    expect(run('pdfdetach', ['-list', pdf])).toContain('verification.json')
    const out = join(work.path, 'detached')
    mkdirSync(out)
    run('pdfdetach', ['-saveall', '-o', out, pdf])
    expect(readdirSync(out).sort()).toEqual(['case-uco.jsonld', 'verification.json'])
    const verified = await custodyJson(['verify', sealed.archive])
    expect(verified.code).toBe(0)
    expect(JSON.parse(readFileSync(join(out, 'verification.json'), 'utf8'))).toEqual(verified.json)
    const exported = join(work.path, 'exported.jsonld')
    expect((await custody(['export', 'case-uco', sealed.archive, '--out', exported])).code).toBe(0)
    expect(readFileSync(join(out, 'case-uco.jsonld')).equals(readFileSync(exported))).toBe(true)
    // Each embedded file's /CheckSum is the MD5 of its bytes (ISO 32000-1 §7.11.4), as qpdf reads it.
    const listed = run('qpdf', ['--list-attachments', '--verbose', pdf])
    const sums = [...listed.matchAll(/checksum: ([0-9a-f]{32})/g)].map((m) => m[1])
    const md5 = (name: string): string => createHash('md5').update(readFileSync(join(out, name))).digest('hex')
    expect(sums.sort()).toEqual([md5('case-uco.jsonld'), md5('verification.json')].sort())
  })

  it('puts images only in an appendix after a content warning by default, in place when shown, nowhere with none', async () => {
    const hidden = await report(sealed.archive, 'hidden.pdf')
    const warning = hidden.pages.findIndex((p) => p.includes('8. Appendix: images'))
    const glossary = hidden.pages.findIndex((p) => p.includes('7. Glossary'))
    expect(warning).toBeGreaterThan(glossary)
    expect(hidden.pages[warning]).toContain('Content warning')
    const pages = imagePages(hidden.pdf)
    expect(pages.length).toBe(2)
    // pdfimages counts pages from 1; every image after the warning's page.
    for (const page of pages) expect(page).toBeGreaterThan(warning + 1)
    expect(hidden.pages.slice(0, warning).join('\n')).toContain('The image is in the appendix at the end of this report')

    const shown = await report(sealed.archive, 'shown.pdf', ['--thumbnails', 'shown'])
    expect(shown.pages.join('\n')).not.toContain('Appendix')
    const glossaryShown = shown.pages.findIndex((p) => p.includes('7. Glossary'))
    const shownPages = imagePages(shown.pdf)
    expect(shownPages.length).toBe(2)
    for (const page of shownPages) expect(page).toBeLessThanOrEqual(glossaryShown)

    const none = await report(sealed.archive, 'none.pdf', ['--thumbnails', 'none'])
    expect(imagePages(none.pdf)).toEqual([])
    expect(none.pages.join('\n')).not.toContain('Appendix')
  })

  it('of a tampered archive: exit 3, and the cover says verification failed and names the check', async () => {
    const original = readFileSync(join(sealed.bagDir, 'manifest-sha256.txt'), 'utf8').split('\n').find((l) => l.includes('/original/'))!.split('  ')[1]!
    const bag = sealed.bagDir.split('/').at(-1)!
    const forged = forgeBag(join(sealed.bagDir, '..'), bag, join(work.path, 'forged'), (dir) => {
      const path = join(dir, original)
      const bytes = readFileSync(path)
      bytes[bytes.length >> 1]! ^= 0x01
      writeFileSync(path, bytes)
    })
    const {json, pages, pdf} = await report(forged, 'tampered.pdf', [], 3)
    expect(json.verdict).toBe('failed')
    expect(json.failedChecks).toContain('manifests')
    expect(pages[0]!.replaceAll(/\s+/g, ' ')).toMatch(/VERIFICATION FAILED: the following (?:\d+ checks|check) failed: [^.]*manifests/)
    expect(pages[0]).not.toContain('Verdict: VERIFIED')
    const out = join(work.path, 'detached-forged')
    mkdirSync(out)
    run('pdfdetach', ['-saveall', '-o', out, pdf])
    // No CASE/UCO export of an archive that did not verify, as `custody export case-uco` makes none.
    expect(readdirSync(out)).toEqual(['verification.json'])
    expect(JSON.parse(readFileSync(join(out, 'verification.json'), 'utf8'))).toMatchObject({ok: false})
  })

  it('gives the same bytes for the same archive and options', async () => {
    const first = await report(sealed.archive, 'same-1.pdf')
    const second = await report(sealed.archive, 'same-2.pdf')
    expect(readFileSync(second.pdf).equals(readFileSync(first.pdf))).toBe(true)
    const other = await report(sealed.archive, 'same-3.pdf', ['--thumbnails', 'none'])
    expect(readFileSync(other.pdf).equals(readFileSync(first.pdf))).toBe(false)
  })

  it('writes nothing when --format and the extension disagree (exit 2)', async () => {
    const out = join(work.path, 'wrong.html')
    const result = await custody(['report', sealed.archive, '--out', out, '--format', 'pdf'])
    expect(result.code).toBe(2)
    expect(existsSync(out)).toBe(false)
  })
})
