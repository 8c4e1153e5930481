/**
 * A case with more problems than a report lists: `custody verify` keeps the first 1,000, as the
 * archive's report does, and counts them all (`problemCount`), so that its memory and output stay
 * bounded however damaged the case is.
 */
import {chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {custody, custodyJson, newCase, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-verify-cap-')
const cases: Array<{remove: () => void}> = []

afterAll(() => {
  for (const kase of cases) kase.remove()
  work.remove()
})

describe('custody verify of a case with more than 1,000 problems', () => {
  it('lists the first 1,000, counts them all, and says how many more there are', async () => {
    const kase = await newCase()
    cases.push(kase)
    const folder = join(work.path, 'notes')
    mkdirSync(folder)
    for (let i = 0; i < 1003; i++) writeFileSync(join(folder, `note-${String(i).padStart(4, '0')}.txt`), `note ${i}\n`)
    const ingested = await custody(['ingest', folder, '--recursive', '--case', kase.dir])
    expect(ingested.code, ingested.stderr).toBe(0)
    // Every object gone from the vault: one problem an exhibit.
    const objects = ['objects', 'sha256'].map((name) => join(kase.dir, '.custody', 'vault', name)).find((path) => existsSync(path))!
    for (const prefix of readdirSync(objects)) {
      chmodSync(join(objects, prefix), 0o700)
      rmSync(join(objects, prefix), {recursive: true})
    }

    const report = await custodyJson<{ok: boolean; problems: unknown[]; problemCount: number}>(['verify', '--case', kase.dir])
    expect(report.code).toBe(3)
    expect(report.json.ok).toBe(false)
    expect(report.json.problems).toHaveLength(1000)
    expect(report.json.problemCount).toBeGreaterThanOrEqual(1003)
    const text = await custody(['verify', '--case', kase.dir])
    expect(text.stdout).toContain(`FAIL  … and ${report.json.problemCount - 1000} more problem`)
    expect(text.stdout).toContain(`INTEGRITY CHECK FAILED: ${report.json.problemCount} problems.`)
  })
})
