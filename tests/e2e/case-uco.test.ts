/**
 * `custody export case-uco ARCHIVE --out FILE.jsonld` on the built CLI: the demo's exhibits (the
 * batch of camera samples) and a witness's testimony, sealed, exported and checked by
 * case-validate (CASE 1.4 and UCO 1.4's SHACL shapes, and no undefined term) as a partner's
 * forensic tool would read it; a copy with one term misspelt, which case-validate must refuse (so
 * that the check cannot pass vacuously); every exhibit's digests present; no witness name or
 * contact; a tampered archive refused with nothing written; the same bytes every time.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {forgeBag, sealedAndUnzipped} from '../helpers/bag.js'
import {custody, custodyJson, newCase, ROOT, tempDir} from '../helpers/cli.js'
import {checker} from '../helpers/tools.js'

const WITNESS_NAME = 'Mariia Vyhadana-Export'
const WITNESS_CONTACT = '+380 67 000 4321 mariia.export@example.org'

const work = tempDir('custody-case-uco-')
const caseValidate = checker('case-validate')
let kase: {dir: string; remove: () => void}
let sealed: {archive: string; bag: string; pristine: string}

interface ExportJson {
  version: number
  out: string
  sealId: string
  exhibits: number
  actions: number
  testimonies: number
}

beforeAll(async () => {
  kase = await newCase()
  const batch = await custody(['ingest', '--manifest', join(ROOT, 'fixtures', 'batch', 'camera-samples.csv'), '--case', kase.dir])
  expect(batch.code, batch.stderr).toBe(0)
  const testimony = await custody([
    ...['testimony', 'add', '--witness', 'W-301', '--interviewed-at', '2024-03-05T10:00+02:00/2024-03-05T11:30+02:00'],
    ...['--place', 'Kharkiv, safe house 7', '--interviewer', 'A. Investigator', '--language', 'uk', '--consent', 'court', '--consent-method', 'signed-form'],
    ...['--statement-file', join(ROOT, 'fixtures', 'testimony', 'W-001-statement.txt'), '--witness-name', WITNESS_NAME, '--witness-contact', WITNESS_CONTACT, '--case', kase.dir],
  ])
  expect(testimony.code, testimony.stderr).toBe(0)
  sealed = await sealedAndUnzipped(kase.dir, work.path, 'sealed', ['--purpose', 'court', '--sealed-at', '2024-04-01T12:00:00+03:00'])
}, 180_000)

afterAll(() => {
  kase.remove()
  work.remove()
})

async function exported(archive: string, name: string, extra: string[] = []): Promise<{text: string; json: ExportJson}> {
  const out = join(work.path, name)
  const result = await custodyJson<ExportJson>(['export', 'case-uco', archive, '--out', out, ...extra])
  expect(result.code, result.stderr + result.stdout.slice(0, 2000)).toBe(0)
  return {text: readFileSync(out, 'utf8'), json: result.json}
}

/** Each exhibit's SHA-256 and SHA-512, from the archive's payload manifests. */
function exhibitDigests(algorithm: 'sha256' | 'sha512'): string[] {
  return readFileSync(join(sealed.pristine, sealed.bag, `manifest-${algorithm}.txt`), 'utf8')
    .split('\n')
    .filter((line) => line.includes('/original/'))
    .map((line) => line.split(' ')[0]!)
}

function validate(file: string): {code: number | null; output: string} {
  const run = spawnSync(caseValidate!, [file, '--quiet'], {encoding: 'utf8', timeout: 120_000})
  return {code: run.status, output: run.stdout + run.stderr}
}

describe('custody export case-uco', () => {
  it('passes case-validate, and case-validate refuses a copy with one term misspelt', async (t) => {
    const {json} = await exported(sealed.archive, 'archive.jsonld')
    expect(json).toMatchObject({version: 1, exhibits: exhibitDigests('sha256').length, testimonies: 1})
    if (caseValidate === undefined) return t.skip()
    const good = validate(json.out)
    expect(good.output).toContain('case-validate: conforms')
    expect(good.code, good.output).toBe(0)
    const misspelt = join(work.path, 'misspelt.jsonld')
    writeFileSync(misspelt, readFileSync(json.out, 'utf8').replace('"uco-observable:fileName"', '"uco-observable:filename"'))
    const bad = validate(misspelt)
    expect(bad.code, bad.output).toBe(1)
    expect(bad.output).toContain('undefined term: https://ontology.unifiedcyberontology.org/uco/observable/filename')
  }, 300_000)

  it("holds every exhibit's SHA-256 and SHA-512, as hashes of its File", async () => {
    const {text} = await exported(sealed.archive, 'digests.jsonld')
    const graph = (JSON.parse(text) as {'@graph': Array<Record<string, unknown>>})['@graph']
    const hashes = new Set(JSON.stringify(graph.filter((n) => n['@type'] === 'uco-observable:File')).match(/"uco-types:hashValue":\{"@type":"xsd:hexBinary","@value":"[0-9a-f]+"\}/g))
    for (const digest of [...exhibitDigests('sha256'), ...exhibitDigests('sha512')]) expect(hashes).toContain(`"uco-types:hashValue":{"@type":"xsd:hexBinary","@value":"${digest}"}`)
    // Each custody event an investigative action, each after the first informed by the one before.
    const actions = graph.filter((n) => n['@type'] === 'case-investigation:InvestigativeAction' && String(n['uco-core:description']).startsWith('custody ledger event'))
    expect(actions.length).toBeGreaterThan(hashes.size / 2)
    expect(actions.filter((a) => a['case-investigation:wasInformedBy'] === undefined).length).toBe(hashes.size / 2)
    const seal = graph.find((n) => n['@type'] === 'case-investigation:ProvenanceRecord' && n['uco-core:name'] === JSON.parse(readFileSync(join(sealed.pristine, sealed.bag, 'data', 'custody', 'seal.json'), 'utf8')).sealId)
    expect((seal?.['case-investigation:rootExhibitNumber'] as string[]).length).toBe(hashes.size / 2)
  })

  it('names the witness by code only: no name, contact or interview place', async () => {
    const {text} = await exported(sealed.archive, 'witness.jsonld')
    expect(text).toContain('"uco-core:name":"W-301"')
    for (const secret of [WITNESS_NAME, 'Vyhadana', '000 4321', 'mariia.export', 'example.org', 'safe house']) expect(text).not.toContain(secret)
  })

  it('is the same bytes every time, from the ZIP and from its bag folder', async () => {
    const a = await exported(sealed.archive, 'a.jsonld')
    const b = await exported(sealed.archive, 'b.jsonld')
    expect(a.text).toBe(b.text)
    expect((await exported(join(sealed.pristine, sealed.bag), 'folder.jsonld')).text).toBe(a.text)
  })

  it('refuses a tampered archive: exit 3, and nothing written', async () => {
    const bagDir = join(sealed.pristine, sealed.bag)
    const original = readFileSync(join(bagDir, 'manifest-sha256.txt'), 'utf8').split('\n').find((l) => l.includes('/original/'))!.split('  ')[1]!
    const forged = forgeBag(sealed.pristine, sealed.bag, join(work.path, 'forged'), (dir) => {
      const path = join(dir, original)
      const bytes = readFileSync(path)
      bytes[bytes.length >> 1]! ^= 0x01
      writeFileSync(path, bytes)
    })
    const out = join(work.path, 'tampered.jsonld')
    const result = await custodyJson<{error: {code: string; message: string}}>(['export', 'case-uco', forged, '--out', out])
    expect(result.code).toBe(3)
    expect(result.json.error.code).toBe('INTEGRITY')
    expect(result.json.error.message).toMatch(/did not verify \(these checks failed: [^)]*manifests[^)]*\); nothing was written/)
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(work.path).filter((name) => name.includes('tampered'))).toEqual([])
  })

  it('refuses an --out it cannot write, or one that exists without --force, before any work (exit 2)', async () => {
    const missing = await custody(['export', 'case-uco', join(work.path, 'no-such.zip'), '--out', join(work.path, 'no-such-folder', 'x.jsonld')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('--out')
    const there = join(work.path, 'there.jsonld')
    writeFileSync(there, 'kept')
    const kept = await custody(['export', 'case-uco', sealed.archive, '--out', there])
    expect(kept.code).toBe(2)
    expect(readFileSync(there, 'utf8')).toBe('kept')
    expect((await custody(['export', 'case-uco', sealed.archive, '--out', there, '--force'])).code).toBe(0)
    expect(readFileSync(there, 'utf8')).toMatch(/^\{"@context":/)
  })
})

