/**
 * The whole hand-over from a field case (`init --field`, issues 19 and 20): the built CLI on real
 * cases. The field team's case is encrypted to an HQ age key it does not hold; it exports with
 * that key (`--identity`, as it must today), HQ accepts, and the field side then records HQ's
 * receipt and purges what HQ acknowledged. Both need what the field case records in event bodies
 * that no key on the laptop opens: without --identity each is refused in one line naming it,
 * before the passphrase and with nothing recorded; with a key that is no recipient's, refused
 * too; with HQ's identity, done, and the case verifies with no key, its exhibits purged (what
 * it cannot check without HQ's key said as such).
 */
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {copyCase, custody, custodyJson, tempDir} from '../helpers/cli.js'
import {rechainLedger} from '../helpers/rechain.js'
import {eventCount, ingestSamples, initCase, writeIdentityLine} from '../helpers/transfers.js'

const work = tempDir('custody-field-hand-over-')
afterAll(() => work.remove())

const at = (name: string): string => join(work.path, name)
const [field, hq] = [at('field'), at('hq')]
/** HQ's age key, which the field case is encrypted to; the field team holds only its public line. */
const hqKey = at('hq.key')
const strangerKey = at('stranger.key')
const pkg = at('from-field.zip.age')
/** No passphrase anywhere: a refusal that came after the prompt would say so instead. */
const noPassphrase = {env: {CUSTODY_PASSPHRASE: ''}}

interface PurgeJson {
  removed: number
  purged: Array<{exhibit: string; objects: Array<{vault: string}>}>
}

interface VerifyJson {
  ok: boolean
  checks: Array<{name: string; ok: boolean; detail: string}>
  warnings: string[]
}

beforeAll(async () => {
  execFileSync('age-keygen', ['-o', hqKey], {stdio: 'ignore'})
  execFileSync('age-keygen', ['-o', strangerKey], {stdio: 'ignore'})
  await initCase(hq, 'Hand-over', 'Olena Kovalenko', '--role', 'hq')
  await writeIdentityLine(hq, at('hq.line'))
  const recipient = execFileSync('age-keygen', ['-y', hqKey], {encoding: 'utf8'}).trim()
  await initCase(field, 'Hand-over', 'Mykola', '--field', '--recipient', recipient)
  await ingestSamples(field, 'Canon.jpg', 'Casio.jpg')
  const made = await custody(['transfer', 'export', '--to', at('hq.line'), '--out', pkg, '--identity', hqKey, '--case', field])
  expect(made.code, made.stderr).toBe(0)
  const line = await writeIdentityLine(field, at('field.line'))
  const accepted = await custody(['transfer', 'accept', pkg, '--from', line, '--case', hq])
  expect(accepted.code, accepted.stderr).toBe(0)
})

/** A refusal on the field side: the exit code, the message, and the ledger as it was. */
async function refused(args: string[], code: number, message: RegExp, options = {}): Promise<void> {
  const before = await eventCount(field)
  const result = await custody([...args, '--case', field], options)
  expect(result.code, result.stdout + result.stderr).toBe(code)
  expect(result.stderr).toMatch(message)
  expect(await eventCount(field)).toBe(before)
}

describe('the receipt, on the field side', () => {
  it('is refused without --identity, before the passphrase, naming the flag', async () => {
    await refused(['transfer', 'receipt', `${pkg}.receipt`], 2, /transfer receipt needs the content of this field case.*--identity FILE/, noPassphrase)
  })

  it("is refused with an identity that is none of the case's recipients (exit 2); a key file missing or garbled, before the passphrase", async () => {
    await refused(['transfer', 'receipt', `${pkg}.receipt`, '--identity', strangerKey], 2, /none of the identities given is a recipient of this case/)
    await refused(['transfer', 'receipt', `${pkg}.receipt`, '--identity', at('missing.key')], 2, /missing\.key/, noPassphrase)
    writeFileSync(at('garbled.key'), 'AGE-SECRET-KEY-1NOTAKEY\n')
    await refused(['transfer', 'receipt', `${pkg}.receipt`, '--identity', at('garbled.key')], 2, /garbled\.key/, noPassphrase)
  })

  it('is refused changed after HQ signed it, even with the key (exit 3)', async () => {
    const changed = at('changed.receipt')
    writeFileSync(changed, readFileSync(`${pkg}.receipt`, 'utf8').replace('"intact"', '"INTACT"'))
    writeFileSync(`${changed}.sig`, readFileSync(`${pkg}.receipt.sig`))
    await refused(['transfer', 'receipt', changed, '--identity', hqKey], 3, /changed\.receipt/)
  })

  it("is recorded with HQ's identity; the same receipt again changes nothing", async () => {
    const recorded = await custodyJson<{acknowledged: string[]}>(['transfer', 'receipt', `${pkg}.receipt`, '--identity', hqKey, '--case', field])
    expect(recorded.code, recorded.stderr).toBe(0)
    expect(recorded.json.acknowledged).toEqual(['EX-000001', 'EX-000002'])
    const before = await eventCount(field)
    const again = await custody(['transfer', 'receipt', `${pkg}.receipt`, '--identity', hqKey, '--case', field])
    expect(again.code, again.stderr).toBe(0)
    expect(await eventCount(field)).toBe(before)
  })
})

describe('the purge, on the field side', () => {
  it('leaves, before it runs, a case that verifies with no key, nothing purged as its envelopes say, and the content left to a recipient', async () => {
    const verified = await custodyJson<VerifyJson>(['verify', '--case', field])
    expect(verified.code, verified.stdout).toBe(0)
    expect(verified.json.checks.find((c) => c.name === 'purges')).toMatchObject({ok: true, detail: 'no exhibit purged'})
    expect(verified.json.checks.find((c) => c.name === 'vault')?.detail).toMatch(/their content was not checked, which needs a recipient's identity \(a field case's passphrase opens no content\)/)
  })

  it('is refused without --identity, before the passphrase, naming the flag; with a key file missing, before the passphrase too', async () => {
    await refused(['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--yes'], 2, /transfer purge needs the content of this field case.*--identity FILE/, noPassphrase)
    await refused(['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--yes', '--identity', at('missing.key')], 2, /missing\.key/, noPassphrase)
    await refused(['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--yes', '--identity', strangerKey], 2, /none of the identities given is a recipient of this case/)
  })

  it("removes what HQ acknowledged, with HQ's identity; the case verifies with no key, the exhibits purged", async () => {
    const purged = await custodyJson<PurgeJson>(['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--identity', hqKey, '--yes', '--case', field])
    expect(purged.code, purged.stderr).toBe(0)
    expect(purged.json.purged.map((p) => p.exhibit)).toEqual(['EX-000001', 'EX-000002'])
    expect(purged.json.removed).toBe(4)
    for (const p of purged.json.purged) for (const o of p.objects) expect(existsSync(join(field, '.custody', o.vault))).toBe(false)
    const verified = await custodyJson<VerifyJson>(['verify', '--case', field])
    expect(verified.code, verified.stdout).toBe(0)
    expect(verified.json.checks.find((c) => c.name === 'vault')?.detail).toMatch(/2 purged/)
    // The purges themselves stand on receipts in encrypted bodies: not checked with no key, and said so.
    expect(verified.json.checks.find((c) => c.name === 'purges')).toMatchObject({ok: false, detail: expect.stringMatching(/^not checked: /)})
    // What a field laptop cannot know without HQ's key is said as such, naming the key that would tell.
    expect(verified.json.warnings).toContainEqual(expect.stringMatching(/^whether an interrupted ingest left a batch unfinished is not known: .*an identity of one of the case's recipients opens them\)$/))
    expect(verified.json.warnings.join('\n')).not.toMatch(/could not be read/)
    const withKey = await custodyJson<VerifyJson>(['verify', '--case', field, '--identity', hqKey])
    expect(withKey.code, withKey.stdout).toBe(0)
    expect(withKey.json.checks.find((c) => c.name === 'purges')).toMatchObject({ok: true})
    expect(withKey.json.warnings.join('\n')).not.toMatch(/batch/)
  })

  it("a purge's envelope stripped of its public facts, so that no key would see a purge: refused with no key (exit 3)", async () => {
    const forged = copyCase(field, at('field-unpurged'))
    rechainLedger(forged, (_seq, envelope) => {
      if ((envelope.public as {action?: string} | undefined)?.action === 'purged') delete envelope.public
    })
    const verified = await custodyJson<VerifyJson & {problems: Array<{check: string; subject: string}>}>(['verify', '--case', forged])
    expect(verified.code, verified.stdout).toBe(3)
    // No checkpoint signs the rewritten events, and the objects the purges removed are now missing.
    expect(verified.json.checks.find((c) => c.name === 'checkpoints')).toMatchObject({ok: false})
    expect(verified.json.checks.find((c) => c.name === 'vault')).toMatchObject({ok: false})
  })
})

describe('an encrypted case that is not a field case', () => {
  it("records a receipt with no identity, and refuses one given that is none of its recipients' (exit 2, nothing recorded)", async () => {
    const team = at('team')
    await initCase(team, 'Hand-over', 'Iryna', '--recipient', execFileSync('age-keygen', ['-y', hqKey], {encoding: 'utf8'}).trim())
    await ingestSamples(team, 'Nikon.jpg')
    const out = at('from-team.zip.age')
    const made = await custody(['transfer', 'export', '--to', at('hq.line'), '--out', out, '--case', team])
    expect(made.code, made.stderr).toBe(0)
    const accepted = await custody(['transfer', 'accept', out, '--from', await writeIdentityLine(team, at('team.line')), '--case', hq])
    expect(accepted.code, accepted.stderr).toBe(0)
    const before = await eventCount(team)
    const stranger = await custody(['transfer', 'receipt', `${out}.receipt`, '--identity', strangerKey, '--case', team])
    expect(stranger.code, stranger.stdout + stranger.stderr).toBe(2)
    expect(stranger.stderr).toMatch(/none of the identities given is a recipient of this case/)
    expect(await eventCount(team)).toBe(before)
    const recorded = await custody(['transfer', 'receipt', `${out}.receipt`, '--identity', hqKey, '--case', team])
    expect(recorded.code, recorded.stderr).toBe(0)
    expect(await eventCount(team)).toBe(before + 1)
  })
})
