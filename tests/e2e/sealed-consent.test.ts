/**
 * `custody testimony consent` in a field case whose ledger is sealed (schema 4, what `custody init
 * --field` makes; the first made here by the core, as before issue 19's switch): the built CLI records a withdrawal with the field passphrase, found
 * by the witness code; what needs the testimony (a note, the consent before and after) is refused
 * or said to be unknown in one line; HQ's identity then shows the change applied.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generateIdentity, parseRecipient} from '../../src/age/x25519.js'
import {initCase} from '../../src/case/case.js'
import {custody, custodyJson, PASSPHRASE, tempDir} from '../helpers/cli.js'
import {schemaErrors} from '../helpers/json-schemas.js'

const work = tempDir('custody-sealed-consent-cli-')
afterAll(() => work.remove())
const hq = generateIdentity()
const hqFile = join(work.path, 'hq-identity.txt')
const field = join(work.path, 'field')

beforeAll(async () => {
  writeFileSync(hqFile, `${hq.identity}\n`, {mode: 0o600})
  await initCase({dir: field, title: 'Operation Sunflower', investigator: 'Ana Quintela', passphrase: PASSPHRASE, recipients: [parseRecipient(hq.recipient)], field: true, sealedBodies: true})
  const statement = join(work.path, 'statement.txt')
  writeFileSync(statement, 'The checkpoint closed at dusk.\n')
  const taken = await custody([
    ...['testimony', 'add', '--witness', 'W-001', '--interviewed-at', '2024-03-05T10:00+02:00', '--place', 'Kyiv', '--interviewer', 'A. Investigator'],
    ...['--consent', 'court', '--consent', 'advocacy', '--consent-method', 'signed-form', '--statement-file', statement, '--witness-name', 'Jane Roe', '--case', field],
  ])
  expect(taken.code, taken.stderr).toBe(0)
}, 120_000)

describe('testimony consent in a field case', () => {
  it('records a withdrawal with the field passphrase; --json says it was recorded unread', async () => {
    const {code, json, stderr} = await custodyJson(['testimony', 'consent', 'W-001', '--withdraw', 'court', '--at', '2024-06-01T10:00+03:00', '--case', field])
    expect(code, stderr).toBe(0)
    expect(json).toMatchObject({exhibit: 'EX-000001', witness: 'W-001', withdrawn: ['court'], before: null, current: null, unread: true})
    expect(schemaErrors('testimony-consent.schema.json', json)).toEqual([])
  }, 60_000)

  it('the text output says the consent now is not known on the laptop', async () => {
    const {code, stdout, stderr} = await custody(['testimony', 'consent', 'W-001', '--grant', 'international', '--method', 'oral-noted', '--case', field])
    expect(code, stderr).toBe(0)
    expect(stdout).toContain('consent now    not known here: this field case cannot read the testimony')
  }, 60_000)

  it('a note, or the testimony named by its exhibit ID, is refused in one line (exit 2)', async () => {
    const note = await custody(['testimony', 'consent', 'W-001', '--withdraw', 'advocacy', '--note', 'asked by phone', '--case', field])
    expect(note.code).toBe(2)
    expect(note.stderr.trim().split('\n')).toHaveLength(1)
    expect(note.stderr).toContain("--note cannot be checked here against the witness's name and contact")
    const byId = await custody(['testimony', 'consent', 'EX-000001', '--withdraw', 'advocacy', '--case', field])
    expect(byId.code).toBe(2)
    expect(byId.stderr).toContain('name the testimony by its witness code')
  }, 60_000)

  it("HQ's identity shows both changes applied, and the case verifies", async () => {
    const shown = await custody(['show', 'W-001', '--case', field, '--identity', hqFile], {env: {CUSTODY_PASSPHRASE: undefined}})
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toMatch(/consent now +advocacy, international/)
    const verified = await custody(['verify', '--case', field, '--identity', hqFile], {env: {CUSTODY_PASSPHRASE: undefined}})
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)
  }, 120_000)

  it("with HQ's identity (--identity) the change is recorded read: the consent before it known, a note checked against the witness's name and recorded", async () => {
    const outsider = join(work.path, 'outsider-identity.txt')
    writeFileSync(outsider, `${generateIdentity().identity}\n`, {mode: 0o600})
    const count = async (): Promise<number> => (await custodyJson<{events: number}>(['status', '--case', field])).json.events
    const before = await count()
    const stranger = await custody(['testimony', 'consent', 'W-001', '--withdraw', 'international', '--note', 'asked by phone', '--identity', outsider, '--case', field])
    expect(stranger.code).toBe(2)
    expect(stranger.stderr).toContain('none of the identities given is a recipient of this case')
    const naming = await custody(['testimony', 'consent', 'W-001', '--withdraw', 'international', '--note', 'asked Jane Roe by phone', '--identity', hqFile, '--case', field])
    expect(naming.code).toBe(2)
    expect(naming.stderr).toContain("--note contains the witness's name")
    expect(await count()).toBe(before)
    const {code, json, stderr} = await custodyJson(['testimony', 'consent', 'W-001', '--withdraw', 'international', '--note', 'asked by phone', '--identity', hqFile, '--case', field])
    expect(code, stderr).toBe(0)
    expect(json).toMatchObject({witness: 'W-001', withdrawn: ['international'], before: ['advocacy', 'international'], current: ['advocacy'], unread: false})
    expect(schemaErrors('testimony-consent.schema.json', json)).toEqual([])
    const shown = await custody(['show', 'W-001', '--case', field, '--identity', hqFile])
    expect(shown.stdout).toMatch(/consent now +advocacy\n/)
    expect(shown.stdout).toContain('asked by phone')
  }, 120_000)

  it('a field case made by `custody init --field`, and one made before the switch (schema 3): a note is refused in the same line, before the identity is tried', async () => {
    const today = join(work.path, 'today')
    const made = await custody(['init', today, '--field', '--recipient', hq.recipient, '--title', 'T', '--investigator', 'Ana Quintela'])
    expect(made.code, made.stderr).toBe(0)
    const before = join(work.path, 'before-the-switch')
    await initCase({dir: before, title: 'T', investigator: 'Ana Quintela', passphrase: PASSPHRASE, recipients: [parseRecipient(hq.recipient)], field: true, sealedBodies: false})
    const statement = join(work.path, 'statement-today.txt')
    writeFileSync(statement, 'The bridge was closed.\n')
    for (const dir of [today, before]) {
      const taken = await custody([
        ...['testimony', 'add', '--witness', 'W-002', '--interviewed-at', '2024-03-05T10:00+02:00', '--place', 'Kyiv', '--interviewer', 'A. Investigator'],
        ...['--consent', 'court', '--consent-method', 'signed-form', '--statement-file', statement, '--witness-name', 'Jane Roe', '--case', dir],
      ])
      expect(taken.code, taken.stderr).toBe(0)
      const note = await custody(['testimony', 'consent', 'W-002', '--withdraw', 'court', '--note', 'asked by phone', '--case', dir])
      expect(note.code).toBe(2)
      expect(note.stderr.trim()).toBe("Error: --note cannot be checked here against the witness's name and contact, which only HQ's identity opens in this field case; record the change without it. Nothing was recorded")
    }

    // Sealed: the consent before is in the testimony's event, which only HQ opens.
    const sealed = await custodyJson(['testimony', 'consent', 'W-002', '--withdraw', 'court', '--case', today])
    expect(sealed.code, sealed.stderr).toBe(0)
    expect(sealed.json).toMatchObject({before: null, current: null, unread: true})
    // Schema 3: the events are in clear, the consent before is read.
    const clear = await custodyJson(['testimony', 'consent', 'W-002', '--withdraw', 'court', '--case', before])
    expect(clear.code, clear.stderr).toBe(0)
    expect(clear.json).toMatchObject({before: ['court'], current: [], unread: false})
  }, 120_000)
})
