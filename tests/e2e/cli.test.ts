/** The built CLI end to end: init, ingest, log, show, verify, case discovery, --json and exit codes. */
import {createHash} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custody, custodyJson, newCase, SAMPLES, tempDir, vaultObject} from '../helpers/cli.js'

const sha256File = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')
const SAMPLE_FILES = readdirSync(SAMPLES)
  .filter((f) => f !== 'expected-tags.json')
  .sort()

interface IngestJson {
  results: Array<{path: string; status: string; exhibit?: string; sha256?: string; error?: {code: string; message: string}}>
  counts: {ingested: number; alreadyPresent: number; failed: number; skipped: number}
}

describe('custody init', () => {
  it('makes a case and refuses to make it twice, changing nothing', async () => {
    const tmp = tempDir()
    try {
      const dir = join(tmp.path, 'crimea')
      const made = await custodyJson<{root: string; case: {prefix: string; title: string; caseId: string}}>([
        'init',
        dir,
        '--title',
        'Crimea 2024',
        '--investigator',
        'A. Petrenko',
        '--prefix',
        'CR24',
      ])
      expect(made.code).toBe(0)
      expect(made.json.case).toMatchObject({prefix: 'CR24', title: 'Crimea 2024'})
      expect(readdirSync(join(dir, '.custody')).sort()).toEqual(['head.json', 'keys', 'ledger.sqlite', 'vault'])
      const ledgerBefore = sha256File(join(dir, '.custody', 'ledger.sqlite'))

      const again = await custody(['init', dir, '--title', 'Other', '--investigator', 'B'])
      expect(again.code).toBe(2)
      expect(again.stderr).toContain('already holds a custody case')
      expect(sha256File(join(dir, '.custody', 'ledger.sqlite'))).toBe(ledgerBefore)
      expect(readdirSync(dir)).toEqual(['.custody'])

      const againJson = await custodyJson<{error: {code: string}}>(['init', dir, '--title', 'Other', '--investigator', 'B'])
      expect(againJson.code).toBe(2)
      expect(againJson.json.error.code).toBe('CASE_EXISTS')
    } finally {
      tmp.remove()
    }
  })

  it('exits 2 on wrong usage, in both output modes', async () => {
    const tmp = tempDir()
    try {
      const noTitle = await custody(['init', tmp.path, '--investigator', 'A'])
      expect(noTitle.code).toBe(2)
      expect(noTitle.stderr).toMatch(/title/)
      const badPrefix = await custodyJson<{error: {message: string}}>(['init', tmp.path, '--title', 'T', '--investigator', 'A', '--prefix', 'ex-1'])
      expect(badPrefix.code).toBe(2)
      expect(badPrefix.json.error.message).toMatch(/--prefix/)
      const unknownFlag = await custodyJson(['init', tmp.path, '--title', 'T', '--investigator', 'A', '--colour', 'red'])
      expect(unknownFlag.code).toBe(2)
      expect(readdirSync(tmp.path)).toEqual([])
    } finally {
      tmp.remove()
    }
  })
})

describe('a case with the camera samples', () => {
  let kase: {dir: string; remove: () => void}
  let first: IngestJson

  beforeAll(async () => {
    kase = await newCase()
    const result = await custodyJson<IngestJson>(
      ['ingest', ...SAMPLE_FILES.map((f) => join(SAMPLES, f)), '--collected-at', '2024-03-01T14:05:00+02:00', '--location', 'Simferopol'],
      {cwd: kase.dir},
    )
    expect(result.code, result.stderr).toBe(0)
    first = result.json
  })

  afterAll(() => kase.remove())

  it('gives every file an exhibit, numbered in the order given', () => {
    expect(first.counts).toEqual({ingested: SAMPLE_FILES.length, alreadyPresent: 0, failed: 0, skipped: 0})
    expect(first.results.map((r) => r.exhibit)).toEqual(SAMPLE_FILES.map((_, i) => `EX-${String(i + 1).padStart(6, '0')}`))
    for (const [i, f] of SAMPLE_FILES.entries()) expect(first.results[i]!.sha256).toBe(sha256File(join(SAMPLES, f)))
  })

  it('keeps each original, byte for byte, read-only under its SHA-256', () => {
    for (const f of SAMPLE_FILES) {
      const digest = sha256File(join(SAMPLES, f))
      const stored = vaultObject(kase.dir, digest)
      expect(sha256File(stored)).toBe(digest)
    }
  })

  it('shows an exhibit with its digests, normalised metadata, vault path and events', async () => {
    const gps = first.results.find((r) => r.path.endsWith('Ricoh2.jpg'))!
    const shown = await custodyJson<{
      digests: {sha256: string; sha512: string}
      metadata: {normalised: {gps: {latitude: number; longitude: number; altitude: number}; device: {make: string; model: string}; captureTime: {local: string; offset: null}}}
      vault: {path: string}
      collected: Record<string, unknown>
      events: Array<{action: string}>
    }>(['show', gps.exhibit!], {cwd: kase.dir})
    expect(shown.code).toBe(0)
    const m = shown.json.metadata.normalised
    expect(m.gps.latitude).toBeCloseTo(42.034575, 6)
    expect(m.gps.longitude).toBeCloseTo(-0.507502777777778, 9)
    expect(m.gps.altitude).toBe(117)
    expect(m.device).toMatchObject({make: 'RICOH', model: 'Caplio Pro G3'})
    expect(m.captureTime).toMatchObject({local: '2006-05-26T11:48:48', offset: null})
    expect(shown.json.digests.sha512).toBe(createHash('sha512').update(readFileSync(join(SAMPLES, 'Ricoh2.jpg'))).digest('hex'))
    expect(shown.json.collected).toMatchObject({at: '2024-03-01T14:05:00+02:00', offset: '+02:00', location: 'Simferopol'})
    expect(shown.json.events.map((e) => e.action)).toEqual(['ingest'])

    const text = await custody(['show', gps.exhibit!.replace(/^EX-0+/, '')], {cwd: kase.dir})
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('42.034575, -0.507502777777778, altitude 117 m')
    expect(text.stdout).toContain('(no time-zone offset in the file)')
    const flir = await custody(['show', first.results.find((r) => r.path.endsWith('FLIR.jpg'))!.exhibit!], {cwd: kase.dir})
    expect(flir.stdout).toContain('2012-02-11T14:17:08.253+01:00  = 2012-02-11T13:17:08.253Z')
  })

  it('records a file presented again without a second exhibit', async () => {
    const again = await custodyJson<IngestJson>(['ingest', join(SAMPLES, 'GPS.jpg')], {cwd: kase.dir})
    expect(again.code).toBe(0)
    const gpsExhibit = first.results.find((r) => r.path.endsWith('GPS.jpg'))!.exhibit
    expect(again.json.results[0]).toMatchObject({status: 'already-present', exhibit: gpsExhibit})
    const log = await custodyJson<{events: Array<{action: string; exhibit: string}>}>(['log', gpsExhibit!], {cwd: kase.dir})
    expect(log.json.events.map((e) => e.action)).toEqual(['ingest', 'presented-again'])
    const text = await custody(['ingest', join(SAMPLES, 'GPS.jpg')], {cwd: kase.dir})
    expect(text.stdout).toContain(`already in the case as ${gpsExhibit}`)
  })

  it('prints the log oldest first, and every event whole with --json', async () => {
    const log = await custodyJson<{events: Array<{seq: number; action: string; hash: string; prev: string}>}>(['log'], {cwd: kase.dir})
    expect(log.code).toBe(0)
    expect(log.json.events[0]!.action).toBe('create-case')
    expect(log.json.events.map((e) => e.seq)).toEqual(log.json.events.map((_, i) => i))
    for (let i = 1; i < log.json.events.length; i++) expect(log.json.events[i]!.prev).toBe(log.json.events[i - 1]!.hash)
    const text = await custody(['log'], {cwd: kase.dir})
    expect(text.stdout.split('\n')[0]).toMatch(/^#0 .* create-case .*A\. Investigator/)
  })

  it('verifies the intact case with exit 0', async () => {
    const verified = await custodyJson<{ok: boolean; exhibits: {total: number; intact: number}; ledger: {treeHead: string}}>(['verify'], {cwd: kase.dir})
    expect(verified.code).toBe(0)
    expect(verified.json.ok).toBe(true)
    expect(verified.json.exhibits).toEqual({total: SAMPLE_FILES.length, intact: SAMPLE_FILES.length})
    expect(verified.json.ledger.treeHead).toMatch(/^[0-9a-f]{64}$/)
    const text = await custody(['verify'], {cwd: kase.dir})
    expect(text.stdout).toContain('Case intact')
  })

  it('names an unknown exhibit with exit 2', async () => {
    const missing = await custodyJson<{error: {code: string; message: string}}>(['show', 'EX-999999'], {cwd: kase.dir})
    expect(missing.code).toBe(2)
    expect(missing.json.error.code).toBe('EXHIBIT_NOT_FOUND')
    const wrongPrefix = await custody(['log', 'ZZ-000001'], {cwd: kase.dir})
    expect(wrongPrefix.code).toBe(2)
    expect(wrongPrefix.stderr).toContain('not an exhibit ID of this case')
  })
})

describe('finding the case', () => {
  it('uses --case, then CUSTODY_CASE, then the folders above the working directory', async () => {
    const kase = await newCase('FIND')
    const elsewhere = tempDir()
    try {
      const deep = join(kase.dir, 'photos', 'day1')
      mkdirSync(deep, {recursive: true})
      const byWalk = await custodyJson<{events: unknown[]}>(['log'], {cwd: deep})
      expect(byWalk.code).toBe(0)
      const byFlag = await custodyJson<{events: unknown[]}>(['log', '--case', kase.dir], {cwd: elsewhere.path})
      expect(byFlag.code).toBe(0)
      const byEnv = await custodyJson<{events: unknown[]}>(['log'], {cwd: elsewhere.path, env: {CUSTODY_CASE: kase.dir}})
      expect(byEnv.code).toBe(0)

      const none = await custody(['log'], {cwd: elsewhere.path})
      expect(none.code).toBe(2)
      expect(none.stderr).toMatch(/no custody case in .* run `custody init`/)
      const badEnv = await custodyJson<{error: {code: string; message: string}}>(['verify'], {cwd: elsewhere.path, env: {CUSTODY_CASE: elsewhere.path}})
      expect(badEnv.code).toBe(2)
      expect(badEnv.json.error.message).toContain('CUSTODY_CASE')
    } finally {
      kase.remove()
      elsewhere.remove()
    }
  })
})

describe('help', () => {
  it('documents every command with examples', async () => {
    for (const command of ['init', 'ingest', 'log', 'show', 'verify']) {
      const help = await custody([command, '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout).toContain('EXAMPLES')
      expect(help.stdout).toContain('--json')
    }
  })
})
