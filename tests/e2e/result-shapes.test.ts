/**
 * The results of `custody ingest --json` through the built CLI: one shape per status, whichever
 * step of the run wrote the result (a file ingested, a row an earlier run of the batch took in, a
 * file presented again, a dry run's guess, a failure, a skip), and a dry run that counts what it
 * would ingest, never "ingested".
 */
import {copyFileSync, mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custodyJson, newCase, SAMPLES, tempDir} from '../helpers/cli.js'

type Result = {status: string; [key: string]: unknown}

interface IngestJson {
  dryRun: boolean
  results: Result[]
  counts: Record<string, number>
  [key: string]: unknown
}

/** The keys of every result of each status, in order: one list per status when each has one shape. */
function shapes(runs: readonly IngestJson[]): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>()
  for (const result of runs.flatMap((run) => run.results)) {
    const keys = seen.get(result.status) ?? new Set<string>()
    keys.add(Object.keys(result).join(','))
    seen.set(result.status, keys)
  }

  return seen
}

const work = tempDir('custody-shapes-')
const dump = join(work.path, 'dump')
let kase: {dir: string; remove: () => void}

beforeAll(async () => {
  kase = await newCase()
  mkdirSync(dump)
  for (const name of ['Canon.jpg', 'GPS.jpg', 'Nikon.jpg']) copyFileSync(join(SAMPLES, name), join(dump, name))
  copyFileSync(join(SAMPLES, 'Canon.jpg'), join(dump, 'Canon copy.jpg'))
  symlinkSync(join(dump, 'Nikon.jpg'), join(dump, 'link.jpg'))
  writeFileSync(join(dump, 'empty.jpg'), '')
})

afterAll(() => {
  kase.remove()
  work.remove()
})

describe('custody ingest --json results', () => {
  it('have one shape per status, whichever step wrote them', async () => {
    const runs: IngestJson[] = []
    const ingest = async (args: string[], code = 0): Promise<IngestJson> => {
      const run = await custodyJson<IngestJson>(['ingest', ...args, '--case', kase.dir])
      expect(run.code, run.stderr).toBe(code)
      runs.push(run.json)
      return run.json
    }

    writeFileSync(join(dump, 'first.csv'), 'path\nCanon.jpg\nlink.jpg\nempty.jpg\n')
    const first = await ingest(['--manifest', join(dump, 'first.csv')], 1)
    expect(first.results.map((r) => r.status)).toEqual(['ingested', 'ingested', 'failed'])
    // The same manifest again: rows an earlier run took in are left out without being read.
    const resumed = await ingest(['--manifest', join(dump, 'first.csv')], 1)
    expect(resumed.results.map((r) => [r.status, r.reason])).toEqual([
      ['already-present', 'taken in by an earlier run of this batch'],
      ['already-present', 'taken in by an earlier run of this batch'],
      ['failed', undefined],
    ])
    // Another manifest naming the same content under another name: presented again.
    writeFileSync(join(dump, 'second.csv'), 'path\nCanon copy.jpg\nGPS.jpg\n')
    const dry = await ingest(['--manifest', join(dump, 'second.csv'), '--dry-run'])
    expect(dry.results.map((r) => r.status)).toEqual(['already-present', 'would-ingest'])
    const second = await ingest(['--manifest', join(dump, 'second.csv')])
    expect(second.results.map((r) => r.status)).toEqual(['already-present', 'ingested'])
    // Files named one by one, a missing one, and a walk that skips the case's own folder.
    await ingest([join(dump, 'GPS.jpg'), join(dump, 'missing.jpg')], 1)
    await ingest([kase.dir, '--recursive'])

    const found = shapes(runs)
    expect([...found.keys()].sort()).toEqual(['already-present', 'failed', 'ingested', 'skipped', 'would-ingest'])
    expect(Object.fromEntries([...found].map(([status, keys]) => [status, [...keys]]))).toEqual({
      ingested: ['path,line,status,exhibit,sha256,size,seq,symlinkTarget,metadataWarnings,noMetadata,changedFrom'],
      'would-ingest': ['path,line,status,sha256,size,symlinkTarget'],
      'already-present': ['path,line,status,exhibit,sha256,size,seq,symlinkTarget,reason'],
      failed: ['path,line,status,sha256,size,seq,symlinkTarget,error'],
      skipped: ['path,line,status,symlinkTarget,reason'],
    })
    // What the keys hold: an earlier run's row names its content; a row not from a manifest has no line.
    // Its SHA-256 is in the earlier run's event, whose body is encrypted: a run that read neither gives null.
    expect(resumed.results[0]).toMatchObject({exhibit: 'EX-000001', sha256: null, size: first.results[0]!.size, seq: null})
    expect(first.results[0]!.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(resumed.results[1]).toMatchObject({symlinkTarget: join(dump, 'Nikon.jpg'), line: 3})
    expect(second.results[0]).toMatchObject({exhibit: 'EX-000001', seq: expect.any(Number) as number, reason: 'already in the case as EX-000001 (recorded as presented again)'})
    expect(first.results[2]).toMatchObject({line: 4, sha256: null, size: null, seq: expect.any(Number) as number, error: {code: 'INPUT_EMPTY'}})
  })

  it('of a dry run count what would be ingested, never "ingested"', async () => {
    writeFileSync(join(dump, 'third.csv'), 'path\nNikon.jpg\nCanon copy.jpg\n')
    copyFileSync(join(SAMPLES, 'Sony.jpg'), join(dump, 'Nikon.jpg'))
    const dry = await custodyJson<IngestJson>(['ingest', '--manifest', join(dump, 'third.csv'), '--dry-run', '--case', kase.dir])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.json.counts).toEqual({wouldIngest: 1, alreadyPresent: 1, failed: 0, skipped: 0})
    expect(dry.json).not.toHaveProperty('bytesIngested')
    expect(dry.json.bytesWouldIngest).toBeGreaterThan(0)
    const run = await custodyJson<IngestJson>(['ingest', '--manifest', join(dump, 'third.csv'), '--case', kase.dir])
    expect(run.json.counts).toEqual({ingested: 1, alreadyPresent: 1, failed: 0, skipped: 0})
    expect(run.json).not.toHaveProperty('bytesWouldIngest')
  })
})
