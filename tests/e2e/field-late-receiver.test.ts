/**
 * A receiver made a recipient of a field case after its first run (`key add-recipient`): its
 * identity opens the runs after that only, so not the sender's first event nor its key event.
 * It accepts what the field case recorded since, and seals it: the record in its archive holds
 * every row of the sender's tree, those of the exhibit opened, the others (the first and key
 * events among them) as their envelopes alone, whose public facts name the case and the key.
 * custody verify and verify-bag.py check it. An exhibit recorded before it was added cannot be
 * sent to it (the field side says so).
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custody, custodyJson, tempDir} from '../helpers/cli.js'
import {checker} from '../helpers/tools.js'
import {acceptPackage, ingestSamples, initCase, recordOfSeal, writeIdentityLine} from '../helpers/transfers.js'

const AGE = checker('age')
const work = tempDir('custody-field-late-receiver-')
afterAll(() => work.remove())
const at = (name: string): string => join(work.path, name)
const [field, first, later] = [at('field'), at('hq-first'), at('hq-later')]

/** The age recipient in an identity line (`key show --public`). */
function recipientOf(lineFile: string): string {
  const line = readFileSync(lineFile, 'utf8').trim()
  return (JSON.parse(Buffer.from(line.split(' ')[1]!, 'base64url').toString('utf8')) as {age: string}).age
}

beforeAll(async () => {
  if (AGE === undefined) return
  await initCase(first, 'Crimea (HQ)', 'Olena Kovalenko', '--role', 'hq')
  await initCase(later, 'Crimea (HQ legal)', 'Iryna Shevchenko', '--role', 'hq')
  await writeIdentityLine(first, at('first.line'))
  await writeIdentityLine(later, at('later.line'))
  await initCase(field, 'Crimea (field)', 'Mykola', '--field', '--recipient', recipientOf(at('first.line')))
  await writeIdentityLine(field, at('field.line'))
  await ingestSamples(field, 'Canon.jpg')
  const added = await custody(['key', 'add-recipient', recipientOf(at('later.line')), '--label', 'HQ legal', '--case', field])
  expect(added.code, added.stderr).toBe(0)
  await ingestSamples(field, 'Casio.jpg')
}, 120_000)

describe.skipIf(AGE === undefined)('a receiver added to a field case later', () => {
  it('is sent only what was recorded after it was added', async () => {
    const refused = await custody(['transfer', 'export', '--to', at('later.line'), '--out', at('both.zip.age'), '--case', field])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/EX-000001\) were recorded before .* became a recipient of this case/)
  })

  it("accepts and seals what it was sent: the sender's record holds every row, its own first and key events as envelopes alone; custody verify and verify-bag.py check it", async () => {
    const made = await custody(['transfer', 'export', '--to', at('later.line'), '--out', at('later.zip.age'), '--case', field, 'EX-000002'])
    expect(made.code, made.stderr).toBe(0)
    const accepted = await acceptPackage<{items: Array<{exhibit: string; receivedAs: string}>}>(later, at('later.zip.age'), [at('field.line')])
    expect(accepted.items.map((i) => i.exhibit)).toEqual(['EX-000002'])
    const zip = at('court.zip')
    const sealed = await custody(['seal', '--out', zip, '--case', later])
    expect(sealed.code, sealed.stderr).toBe(0)
    const verified = await custodyJson<{ok: boolean; custodians: Array<{from: {name: string}}>}>(['verify', zip, '--json'])
    expect(verified.code, verified.stdout).toBe(0)
    expect(verified.json.custodians.map((c) => c.from.name)).toEqual(['Mykola'])
    type Line = {envelope?: {exhibit: string | null; public?: {action?: string}}; event?: {action: string; exhibit: string | null}; seq: number}
    const {script, rows} = recordOfSeal<Line>(zip, at('court'))
    expect(script).toMatch(/^custodians OK +1 hand-over /m)
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i))
    // The first and key events did not open with this receiver's identity: their envelopes name them.
    expect(rows[0]!.event).toBeUndefined()
    expect(rows[0]!.envelope!.public!.action).toBe('create-case')
    expect(rows.some((r) => r.event === undefined && r.envelope!.public?.action === 'key-created')).toBe(true)
    expect(rows.filter((r) => r.event !== undefined).map((r) => [r.event!.action, r.event!.exhibit])).toContainEqual(['ingest', 'EX-000002'])
    expect(rows.filter((r) => r.event === undefined).map((r) => r.envelope!.exhibit)).not.toContain('EX-000002')
  }, 120_000)
})
