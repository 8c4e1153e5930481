/**
 * A manifest that grows every night (issue 18): appending 10 rows to a 500-row manifest re-read
 * all 500 files and wrote 500 `presented-again` events each night. A row whose file the case took
 * in from the same path, with the same content, is now reported present and recorded no more (it
 * is hashed again, and nothing else); only a new row, or one whose content changed, makes an event.
 * The same bytes at another path are still a new fact, recorded as presented again.
 */
import {randomBytes} from 'node:crypto'
import {appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custody, custodyJson, loggedEvents, newCase, tempDir} from '../helpers/cli.js'

interface FileJson {
  path: string
  line: number | null
  status: string
  exhibit: string | null
  seq: number | null
  reason?: string
  changedFrom?: string | null
}

interface IngestJson {
  dryRun: boolean
  results: FileJson[]
  counts: Record<string, number>
}

const ROWS = 500
const work = tempDir('custody-growing-')
const dump = join(work.path, 'dump')
const manifest = join(dump, 'manifest.csv')
const name = (n: number): string => `REC_${String(n).padStart(4, '0')}.bin`
let kase: {dir: string; remove: () => void}

/** The number of events of each action the ledger holds (custody log --json: whatever the ledger's schema). */
function actions(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const {action} of loggedEvents(kase.dir)) counts[action] = (counts[action] ?? 0) + 1
  return counts
}

/** What a run added: the actions it appended, by count. */
function added(before: Record<string, number>): Record<string, number> {
  const after = actions()
  return Object.fromEntries(Object.entries(after).flatMap(([action, n]) => (n === (before[action] ?? 0) ? [] : [[action, n - (before[action] ?? 0)]])))
}

function vaultObjects(): number {
  // The objects' folder: encrypted (objects/), as init makes it, or in clear (sha256/).
  const folder = ['objects', 'sha256'].map((name) => join(kase.dir, '.custody', 'vault', name)).find((path) => existsSync(path))!
  return readdirSync(folder, {recursive: true, withFileTypes: true}).filter((d) => d.isFile()).length
}

beforeAll(async () => {
  kase = await newCase()
  mkdirSync(dump)
  for (let n = 0; n < ROWS + 10; n++) writeFileSync(join(dump, name(n)), randomBytes(2048))
  writeFileSync(manifest, ['path,source', ...Array.from({length: ROWS}, (_, n) => `${name(n)},recorder 3`)].join('\n') + '\n')
  const first = await custodyJson<IngestJson>(['ingest', '--manifest', manifest, '--case', kase.dir])
  expect(first.code, first.stderr).toBe(0)
  expect(first.json.counts).toEqual({ingested: ROWS, alreadyPresent: 0, failed: 0, skipped: 0})
})

afterAll(() => {
  kase.remove()
  work.remove()
})

describe('a manifest that grows every night', () => {
  it('10 rows appended to 500: 10 ingest events and one batch, no presented-again; the 500 are present and recorded no more', async () => {
    appendFileSync(manifest, Array.from({length: 10}, (_, k) => `${name(ROWS + k)},recorder 3\n`).join(''))
    const before = actions()
    const objects = vaultObjects()
    const night = await custodyJson<IngestJson>(['ingest', '--manifest', manifest, '--case', kase.dir])
    expect(night.code, night.stderr).toBe(0)
    expect(night.json.counts).toEqual({ingested: 10, alreadyPresent: ROWS, failed: 0, skipped: 0})
    expect(added(before)).toEqual({'batch-started': 1, ingest: 10, 'batch-ended': 1})
    const present = night.json.results.filter((r) => r.status === 'already-present')
    expect(present.every((r) => r.seq === null && r.reason === 'taken in before from this path, unchanged (not recorded again)')).toBe(true)
    expect(present[0]).toMatchObject({line: 2, exhibit: 'EX-000001'})
    expect(night.json.results.filter((r) => r.status === 'ingested').map((r) => r.exhibit)).toEqual(Array.from({length: 10}, (_, k) => `EX-${String(ROWS + k + 1).padStart(6, '0')}`))
    // The vault holds the originals and metadata records the ingest events name, and nothing else.
    const ingests = loggedEvents(kase.dir, ['ingest'])
    const named = new Set(ingests.map((e) => e.payload.digests.sha256)).size + new Set(ingests.map((e) => e.payload.metadata.record)).size
    expect(vaultObjects()).toBe(named)
    expect(vaultObjects()).toBeGreaterThan(objects)
    expect(readdirSync(join(kase.dir, '.custody', 'vault', 'tmp'))).toEqual([])

    const text = await custody(['ingest', '--manifest', manifest, '--case', kase.dir])
    expect(text.stdout).toContain(`EX-000001  line 2: ${join(dump, name(0))}  taken in before from this path, unchanged (not recorded again)`)
    expect(text.stdout).toContain(`0 files ingested (0 B), ${ROWS + 10} already present, 0 failed.`)
    const dry = await custodyJson<IngestJson>(['ingest', '--manifest', manifest, '--dry-run', '--case', kase.dir])
    expect(dry.json.counts).toEqual({wouldIngest: 0, alreadyPresent: ROWS + 10, failed: 0, skipped: 0})
    // The 10 rows of last night are left out as this batch's own, without being read; the 500 are hashed.
    expect(new Set(dry.json.results.map((r) => r.reason))).toEqual(new Set(['taken in before from this path, unchanged (not recorded again)', 'taken in by an earlier run of this batch']))
  })

  it('a row whose file changed is ingested as new, noted as a change; the same bytes at another path are presented again', async () => {
    writeFileSync(join(dump, name(7)), randomBytes(2048))
    copyFileSync(join(dump, name(0)), join(dump, 'copy of REC_0000.bin'))
    appendFileSync(manifest, 'copy of REC_0000.bin,recorder 3\n')
    const before = actions()
    const next = await custodyJson<IngestJson>(['ingest', '--manifest', manifest, '--case', kase.dir])
    expect(next.code, next.stderr).toBe(0)
    expect(next.json.counts).toEqual({ingested: 1, alreadyPresent: ROWS + 10, failed: 0, skipped: 0})
    expect(added(before)).toEqual({'batch-started': 1, ingest: 1, 'presented-again': 1, 'batch-ended': 1})
    const changed = next.json.results.find((r) => r.status === 'ingested')!
    expect(changed).toMatchObject({line: 9, exhibit: `EX-${String(ROWS + 11).padStart(6, '0')}`, changedFrom: 'EX-000008'})
    const copy = next.json.results.at(-1)!
    expect(copy).toMatchObject({status: 'already-present', exhibit: 'EX-000001', seq: expect.any(Number) as number, reason: 'already in the case as EX-000001 (recorded as presented again)'})

    const text = await custody(['ingest', '--manifest', manifest, '--case', kase.dir])
    expect(text.stdout).not.toContain('changed since')
    expect((await custody(['verify', '--case', kase.dir])).code).toBe(0)
  })
})
