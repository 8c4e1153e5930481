/**
 * HQ's seal of an exhibit a field case sent after it was converted (`custody encrypt --field` of a
 * case made in clear): the rows from before the conversion are carried rows, whose envelope is not
 * their leaf. The record carries each of them with its event (which HQ's identity opens), also
 * one of an exhibit not sealed; custody verify and verify-bag.py check the record.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custody, custodyJson, tempDir} from '../helpers/cli.js'
import {checker} from '../helpers/tools.js'
import {acceptPackage, ingestSamples, initCase, recordOfSeal, writeIdentityLine} from '../helpers/transfers.js'

const AGE = checker('age')
const work = tempDir('custody-field-converted-')
afterAll(() => work.remove())
const at = (name: string): string => join(work.path, name)
const [field, hq] = [at('field'), at('hq')]

beforeAll(async () => {
  if (AGE === undefined) return
  await initCase(hq, 'Crimea (HQ)', 'Olena Kovalenko', '--role', 'hq')
  const line = readFileSync(await writeIdentityLine(hq, at('hq.line')), 'utf8').trim()
  const recipient = (JSON.parse(Buffer.from(line.split(' ')[1]!, 'base64url').toString('utf8')) as {age: string}).age
  await initCase(field, 'Crimea (field)', 'Mykola', '--plaintext')
  await ingestSamples(field, 'Canon.jpg')
  const encrypted = await custody(['encrypt', '--field', '--recipient', recipient, '--case', field])
  expect(encrypted.code, encrypted.stderr).toBe(0)
  await writeIdentityLine(field, at('field.line'))
  await ingestSamples(field, 'Casio.jpg')
}, 120_000)

describe.skipIf(AGE === undefined)("HQ's seal of a converted field case's exhibit", () => {
  it('carries the rows from before the conversion with their events, and verifies', async () => {
    const made = await custody(['transfer', 'export', '--to', at('hq.line'), '--out', at('p.zip.age'), '--case', field, 'EX-000002'])
    expect(made.code, made.stderr).toBe(0)
    await acceptPackage(hq, at('p.zip.age'), [at('field.line')])
    const zip = at('court.zip')
    const sealed = await custody(['seal', '--out', zip, '--case', hq])
    expect(sealed.code, sealed.stderr).toBe(0)
    const verified = await custodyJson<{ok: boolean}>(['verify', zip, '--json'])
    expect(verified.code, verified.stdout).toBe(0)
    const {rows} = recordOfSeal<{envelope?: unknown; event?: {action: string; exhibit: string | null}}>(zip, at('court'))
    // The ingest of EX-000001, from before the conversion, is carried in clear (its event is its leaf).
    const before = rows.find((r) => r.event?.action === 'ingest' && r.event.exhibit === 'EX-000001')
    expect(before).toBeDefined()
    expect(before!.envelope).toBeUndefined()
    expect(rows.find((r) => r.event?.action === 'ingest' && r.event.exhibit === 'EX-000002')?.envelope).toBeDefined()
  }, 120_000)
})
