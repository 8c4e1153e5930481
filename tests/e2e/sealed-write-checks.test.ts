/**
 * Write commands whose early check (run before the passphrase is asked for) reads what events
 * record, on cases whose ledger keeps it sealed (schema 4, made through initCase's `sealedBodies`):
 * the check cannot read a body before a key is open, so it runs again once the passphrase has
 * opened the case (commands/_base.ts, checkBeforeKeys). In a case with a case identity the command
 * then works, and bad input is refused as in a case in clear; in a field case, where the
 * passphrase opens no body, the command says in one line that it needs a recipient's identity,
 * and records nothing.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generateIdentity, parseRecipient} from '../../src/age/x25519.js'
import {initCase} from '../../src/case/case.js'
import {createHash} from 'node:crypto'
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {custody, custodyJson, PASSPHRASE, tempDir, vaultObject} from '../helpers/cli.js'
import {checker} from '../helpers/tools.js'

const work = tempDir('custody-sealed-write-checks-')
afterAll(() => work.remove())
const hq = generateIdentity()
const cases = {keyed: join(work.path, 'keyed'), field: join(work.path, 'field')}

beforeAll(async () => {
  const statement = join(work.path, 'statement.txt')
  writeFileSync(statement, 'The checkpoint closed at dusk.\n')
  for (const [name, dir] of Object.entries(cases)) {
    await initCase({dir, title: 'Operation Sunflower', investigator: 'Ana Quintela', passphrase: PASSPHRASE, recipients: [parseRecipient(hq.recipient)], field: name === 'field', sealedBodies: true})
    const taken = await custody([
      ...['testimony', 'add', '--witness', 'W-001', '--interviewed-at', '2024-03-05T10:00+02:00', '--place', 'Kyiv', '--interviewer', 'A. Investigator'],
      ...['--consent', 'court', '--consent-method', 'signed-form', '--statement-file', statement, '--witness-name', 'Jane Roe', '--case', dir],
    ])
    expect(taken.code, taken.stderr).toBe(0)
  }
}, 120_000)

/** The number of events of a case, from `custody status --json`, which needs no key. */
async function eventCount(dir: string): Promise<number> {
  const status = await custodyJson<{events: number}>(['status', '--case', dir])
  expect(status.code, status.stderr).toBe(0)
  return status.json.events
}

describe('early checks that read sealed events, in a case with a case identity', () => {
  it('seal --purpose reads the consent once the passphrase opens the events: seals what the witness consented to, refuses the rest', async () => {
    const sealed = await custody(['seal', '--purpose', 'court', '--out', join(work.path, 'court.zip'), '--case', cases.keyed])
    expect(sealed.code, sealed.stderr).toBe(0)
    expect((await custody(['verify', join(work.path, 'court.zip')])).code).toBe(0)
    const before = await eventCount(cases.keyed)
    const refused = await custody(['seal', '--purpose', 'advocacy', '--out', join(work.path, 'advocacy.zip'), '--case', cases.keyed])
    expect(refused.code).toBe(2)
    expect(refused.stderr.trim()).toBe('Error: nothing can be sealed: EX-000001: witness W-001 has not consented to advocacy (consented to court)')
    expect(await eventCount(cases.keyed)).toBe(before)
  }, 120_000)

  it('testimony identity and amend work with the passphrase', async () => {
    const identity = await custody(['testimony', 'identity', 'W-001', '--reason', 'a follow-up call', '--case', cases.keyed])
    expect(identity.code, identity.stderr).toBe(0)
    expect(identity.stdout).toMatch(/name +Jane Roe/)
    const corrected = join(work.path, 'corrected.txt')
    writeFileSync(corrected, 'The checkpoint closed at dusk, not at noon.\n')
    const amended = await custody(['testimony', 'amend', 'W-001', '--statement-file', corrected, '--reason', 'the witness corrected the time', '--case', cases.keyed])
    expect(amended.code, amended.stderr).toBe(0)
    expect(amended.stdout).toContain('Recorded version 2 of the statement of W-001')
  }, 120_000)

  it('ingest --dry-run finds what the case holds already with the passphrase (the address key), and asks for it', async () => {
    const statement = join(work.path, 'statement.txt')
    const fresh = join(work.path, 'fresh.txt')
    writeFileSync(fresh, 'Not yet in the case.\n')
    const planned = await custody(['ingest', '--dry-run', statement, fresh, '--case', cases.keyed])
    expect(planned.code, planned.stderr).toBe(0)
    expect(planned.stdout).toContain('Dry run: 1 file would be ingested (21 B), 1 already present, 0 would fail. Nothing was written.')
    const none = await custody(['ingest', '--dry-run', fresh, '--case', cases.keyed], {env: {CUSTODY_PASSPHRASE: undefined}})
    expect(none.code).toBe(2)
    expect(none.stderr.trim()).toBe(
      'Error: ingest --dry-run (finding what this case holds already) needs the case passphrase, and there is no terminal to ask for it; set CUSTODY_PASSPHRASE or pass --passphrase-file FILE. Nothing was done',
    )
  }, 60_000)

  it('without the passphrase, the command asks for it rather than failing on the sealed events', async () => {
    const none = await custody(['testimony', 'identity', 'W-001', '--reason', 'x', '--case', cases.keyed], {env: {CUSTODY_PASSPHRASE: undefined}})
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('needs the case passphrase')
  }, 60_000)
})

describe('early checks that read sealed events, in a field case', () => {
  it('testimony identity and amend say in one line that an identity is needed, naming --identity, and record nothing', async () => {
    const before = await eventCount(cases.field)
    const corrected = join(work.path, 'corrected-field.txt')
    writeFileSync(corrected, 'Another version.\n')
    for (const args of [
      ['testimony', 'identity', 'W-001', '--reason', 'a follow-up call'],
      ['testimony', 'amend', 'W-001', '--statement-file', corrected, '--reason', 'corrected'],
    ]) {
      const refused = await custody([...args, '--case', cases.field])
      expect(refused.code, args.join(' ')).toBe(2)
      expect(refused.stderr.trim().split('\n')).toHaveLength(1)
      expect(refused.stderr).toContain(`${args.slice(0, 2).join(' ')} needs the content of this field case, which only its recipients' identities open (no key on this laptop does): run it again with --identity FILE`)
    }

    expect(await eventCount(cases.field)).toBe(before)
  }, 120_000)

  it("testimony identity opens with HQ's identity (--identity), and records the view; another identity opens nothing", async () => {
    // The check ran again after the passphrase, before the identity given had opened the events:
    // refused as if no identity had been given (found by tests/e2e/grep-matrix.test.ts).
    const hqFile = join(work.path, 'hq-identity-field.txt')
    writeFileSync(hqFile, `${hq.identity}\n`, {mode: 0o600})
    const outsiderFile = join(work.path, 'outsider-identity.txt')
    writeFileSync(outsiderFile, `${generateIdentity().identity}\n`, {mode: 0o600})
    const before = await eventCount(cases.field)
    const outsider = await custody(['testimony', 'identity', 'W-001', '--reason', 'a follow-up call', '--identity', outsiderFile, '--case', cases.field])
    expect(outsider.code).toBe(2)
    expect(outsider.stderr).toContain('none of the identities given is a recipient of this case')
    expect(outsider.stdout).not.toContain('Jane Roe')
    expect(await eventCount(cases.field)).toBe(before)
    const opened = await custody(['testimony', 'identity', 'W-001', '--reason', 'a follow-up call', '--identity', hqFile, '--case', cases.field])
    expect(opened.code, opened.stderr).toBe(0)
    expect(opened.stdout).toMatch(/name +Jane Roe/)
    expect(await eventCount(cases.field)).toBe(before + 1)
  }, 120_000)

  it("seal of exhibits named (a witness code, an exhibit ID) opens with HQ's identity: the check runs once it has opened the events", async () => {
    const hqFile = join(work.path, 'hq-identity-seal.txt')
    writeFileSync(hqFile, `${hq.identity}\n`, {mode: 0o600})
    const outsiderFile = join(work.path, 'outsider-identity-seal.txt')
    writeFileSync(outsiderFile, `${generateIdentity().identity}\n`, {mode: 0o600})
    const before = await eventCount(cases.field)
    // Without it, said first (a witness code cannot even be looked up); another identity opens nothing.
    const without = await custody(['seal', 'W-001', '--purpose', 'court', '--out', join(work.path, 'field-none.zip'), '--case', cases.field])
    expect(without.code).toBe(2)
    expect(without.stderr).toContain('run it again with --identity FILE')
    const outsider = await custody(['seal', 'W-001', '--purpose', 'court', '--out', join(work.path, 'field-outsider.zip'), '--identity', outsiderFile, '--case', cases.field])
    expect(outsider.code).toBe(2)
    expect(outsider.stderr).toContain('none of the identities given is a recipient of this case')
    expect(await eventCount(cases.field)).toBe(before)
    // Both ways of naming it failed before (CONTENT_LOCKED; "not an exhibit ID"): the check ran before the identity opened the events.
    for (const [name, named] of [['by-code', 'W-001'], ['by-id', 'EX-000001']] as const) {
      const out = join(work.path, `field-${name}.zip`)
      const sealed = await custody(['seal', named, '--purpose', 'court', '--out', out, '--identity', hqFile, '--case', cases.field])
      expect(sealed.code, sealed.stderr).toBe(0)
      const verified = await custodyJson<{ok: boolean; exhibits: unknown[]}>(['verify', out])
      expect(verified.code, JSON.stringify(verified.json)).toBe(0)
    }
  }, 180_000)

  it("testimony amend opens with HQ's identity (--identity): the reason and the statement are searched for the witness's name, and the version recorded", async () => {
    const hqFile = join(work.path, 'hq-identity-amend.txt')
    writeFileSync(hqFile, `${hq.identity}\n`, {mode: 0o600})
    const outsiderFile = join(work.path, 'outsider-identity-amend.txt')
    writeFileSync(outsiderFile, `${generateIdentity().identity}\n`, {mode: 0o600})
    const corrected = join(work.path, 'corrected-by-hq.txt')
    writeFileSync(corrected, 'The checkpoint closed at night.\n')
    const naming = join(work.path, 'naming.txt')
    writeFileSync(naming, 'Jane Roe saw the checkpoint close.\n')
    const amend = (file: string, reason: string, identity: string) => custody(['testimony', 'amend', 'W-001', '--statement-file', file, '--reason', reason, '--identity', identity, '--case', cases.field])
    const before = await eventCount(cases.field)
    const outsider = await amend(corrected, 'the time corrected', outsiderFile)
    expect(outsider.code).toBe(2)
    expect(outsider.stderr).toContain('none of the identities given is a recipient of this case')
    // The identity opened in memory finds the name, in the reason and in the statement: nothing recorded.
    const inReason = await amend(corrected, 'asked by Jane Roe', hqFile)
    expect(inReason.code).toBe(2)
    expect(inReason.stderr).toContain("--reason contains the witness's name")
    const inStatement = await amend(naming, 'the names added', hqFile)
    expect(inStatement.code).toBe(2)
    expect(inStatement.stderr).toContain("its text holds the witness's name")
    expect(await eventCount(cases.field)).toBe(before)
    const amended = await custodyJson<{statement: {version: number}; reason: string}>(['testimony', 'amend', 'W-001', '--statement-file', corrected, '--reason', 'the time corrected', '--identity', hqFile, '--case', cases.field])
    expect(amended.code, amended.stderr).toBe(0)
    expect(amended.json).toMatchObject({statement: {version: 2}, reason: 'the time corrected'})
    expect(await eventCount(cases.field)).toBeGreaterThan(before)
    const shown = await custody(['show', 'W-001', '--identity', hqFile, '--case', cases.field])
    expect(shown.stdout).toMatch(/version 2 .*reason: the time corrected/)
    expect((await custody(['verify', '--case', cases.field, '--identity', hqFile])).code).toBe(0)
  }, 120_000)
})

describe('the vault object of a sealed ledger, found as a test finds it', () => {
  it("is where `custody log --json` says (the passphrase opens it), and the age tool opens it with HQ's identity to the statement's bytes", () => {
    const statement = readFileSync(join(work.path, 'statement.txt'))
    const stored = vaultObject(cases.keyed, createHash('sha256').update(statement).digest('hex'))
    expect(stored).toMatch(/\/\.custody\/vault\/objects\/[0-9a-f]{2}\/[0-9a-f]{64}\.age$/)
    const age = checker('age')
    if (age === undefined) return
    const hqFile = join(work.path, 'hq-identity.txt')
    writeFileSync(hqFile, `${hq.identity}\n`, {mode: 0o600})
    expect(execFileSync(age, ['-d', '-i', hqFile, stored]).equals(statement)).toBe(true)
  }, 60_000)
})
