/**
 * `custody transfer purge` (issue 20, docs/design/transfers.md "Purge"): real cases in temporary
 * folders, the built CLI. A field case (encrypted, the default) and a case in clear each release
 * exhibits to HQ, HQ accepts, the field side records the receipt and purges; `verify` then reports
 * the purged exhibits as purged, and the other commands say so. Then what must be refused: a purge
 * with no receipt, an exhibit not acknowledged (never purged), an object deleted by hand (still
 * missing, exit 3), a kept receipt changed after the purge (a problem of verify), and a purge
 * killed by SIGKILL after its events were recorded (the case verifies, a run again finishes it).
 */
import {spawn} from 'node:child_process'
import {appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, caseEnv, copyCase, custody, custodyJson, PASSPHRASE, tempDir} from '../helpers/cli.js'
import {eventCount, exportPackage, ingestSamples, initCase, writeIdentityLine, type CaseVerifyJson, type PurgeJson} from '../helpers/transfers.js'
import {editRowsInPlace} from '../helpers/rechain.js'
import {Terminal} from '../helpers/terminal.js'

const work = tempDir('custody-transfer-purge-')
afterAll(() => work.remove())

const at = (name: string): string => join(work.path, name)
const [field, plain, hq] = [at('field'), at('plain'), at('hq')]



/** The field side's hand-over: export to HQ, HQ accepts, the field side records HQ's receipt. */
async function handOver(dir: string, name: string): Promise<void> {
  const pkg = await exportPackage(dir, at('hq.line'), at(`${name}.zip.age`))
  const line = await writeIdentityLine(dir, at(`${name}.line`))
  const accepted = await custody(['transfer', 'accept', pkg, '--from', line, '--case', hq])
  expect(accepted.code, accepted.stderr).toBe(0)
  const recorded = await custody(['transfer', 'receipt', `${pkg}.receipt`, '--case', dir])
  expect(recorded.code, recorded.stderr).toBe(0)
}

async function purge(dir: string, ...more: string[]): Promise<ReturnType<typeof custodyJson<PurgeJson>>> {
  return custodyJson<PurgeJson>(['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--case', dir, ...more])
}

/** `custody verify` of a case, with `keys` (such as --passphrase-file FILE) or none. */
async function verify(dir: string, ...keys: string[]): Promise<ReturnType<typeof custodyJson<CaseVerifyJson>>> {
  return custodyJson<CaseVerifyJson>(['verify', '--case', dir, ...keys])
}

/** The case passphrase in a file: the purges are checked from the purged events' sealed bodies. */
const withKey = (): string[] => ['--passphrase-file', at('passphrase.txt')]

beforeAll(async () => {
  writeFileSync(at('passphrase.txt'), `${PASSPHRASE}\n`, {mode: 0o600})
  await initCase(field, 'Purge', 'Iryna Melnyk')
  await initCase(plain, 'Purge', 'Taras Bondar', '--plaintext')
  await initCase(hq, 'Purge', 'Olena Kovalenko', '--role', 'hq')
  await writeIdentityLine(hq, at('hq.line'))
  await ingestSamples(field, 'Canon.jpg', 'Casio.jpg')
  await ingestSamples(plain, 'Nikon.jpg', 'PNG.png')
}, 120_000)

describe('custody transfer purge', () => {
  it('with no receipt recorded: says nothing is acknowledged, exit 0, records nothing', async () => {
    const before = await eventCount(field)
    const result = await purge(field, '--yes')
    expect(result.code, result.stderr).toBe(0)
    expect(result.json).toMatchObject({nothingAcknowledged: true, purged: [], removed: 0})
    expect((await custody(['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--yes', '--case', field])).stdout).toMatch(/^Nothing acknowledged by Olena Kovalenko/)
    expect(await eventCount(field)).toBe(before)
  })

  it('refuses to run without --yes when no terminal can confirm, nothing done', async () => {
    const result = await custody(['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--case', field])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/asks for confirmation on a terminal, and there is none: give --yes/)
  })

  it('lists with --dry-run what the receipt allows, and changes nothing; an exhibit not acknowledged is not among them', async () => {
    await handOver(field, 'field')
    // Ingested after the hand-over: never released, never acknowledged, so never purged.
    await ingestSamples(field, 'Nikon.jpg')
    const before = await eventCount(field)
    const dry = await purge(field, '--dry-run')
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.json.dryRun).toBe(true)
    expect(dry.json.purged.map((p) => p.exhibit)).toEqual(['EX-000001', 'EX-000002'])
    expect(dry.json.purged[0]!.objects.map((o) => o.role)).toEqual(['original', 'metadata-record'])
    expect(dry.json.purged[0]!.objects[0]!.vault).toMatch(/^vault\/objects\/[0-9a-f]{2}\/[0-9a-f]{64}\.age$/)
    for (const o of dry.json.purged[0]!.objects) expect(existsSync(join(field, '.custody', o.vault))).toBe(true)
    expect(await eventCount(field)).toBe(before)
  })

  it('purges the acknowledged exhibits of an encrypted case: a purged event each, then the objects removed; verify passes and reports them purged', async () => {
    const before = await eventCount(field)
    const result = await purge(field, '--yes')
    expect(result.code, result.stderr).toBe(0)
    expect(result.json).toMatchObject({dryRun: false, removed: 4})
    expect(result.json.purged.map((p) => [p.exhibit, p.seq])).toEqual([['EX-000001', before], ['EX-000002', before + 1]])
    for (const p of result.json.purged) for (const o of p.objects) expect(existsSync(join(field, '.custody', o.vault))).toBe(false)
    const log = await custodyJson<{events: Array<{action: string; exhibit: string; payload: {transferId: string; receipt: {sha256: string}; objects: unknown[]}}>}>(['log', 'EX-000001', '--case', field])
    const event = log.json.events.find((e) => e.action === 'purged')!
    expect(event.payload).toMatchObject({transferId: result.json.purged[0]!.transferId, receipt: {sha256: result.json.purged[0]!.receipt.sha256}})
    expect(event.payload.objects).toHaveLength(2)
    // With no key, verify cannot read the purged events' bodies (the receipts they stand on): it
    // says the purges were not checked, and still passes.
    const keyless = await verify(field)
    expect(keyless.code, keyless.stdout).toBe(0)
    expect(keyless.json.checks.find((c) => c.name === 'purges')).toMatchObject({ok: false, detail: expect.stringMatching(/^not checked: /)})
    const verified = await verify(field, ...withKey())
    expect(verified.code, verified.stdout).toBe(0)
    expect(verified.json.checks.find((c) => c.name === 'vault')!.detail).toMatch(/^1\/1 exhibits intact .*; 2 purged \(removed after their receiver's receipt/)
    expect(verified.json.checks.find((c) => c.name === 'purges')).toMatchObject({ok: true, detail: '2 exhibits purged, each acknowledged by a receipt the case keeps'})
    expect(verified.json.warnings.join('\n')).not.toMatch(/purge/)
  })

  it('a run again purges nothing and records nothing', async () => {
    const before = await eventCount(field)
    const again = await purge(field, '--yes')
    expect(again.code, again.stderr).toBe(0)
    expect(again.json).toMatchObject({purged: [], finished: [], alreadyPurged: 2, removed: 0})
    expect(await eventCount(field)).toBe(before)
  })

  it('show says an exhibit was purged, when and by whose receipt; seal and transfer export refuse it by name and leave it out', async () => {
    const shown = await custody(['show', 'EX-000001', '--case', field])
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toMatch(/purged/i)
    expect(shown.stdout).toMatch(/Olena Kovalenko/)
    const json = await custodyJson<{purged: {seq: number; transferId: string; by: string}}>(['show', 'EX-000001', '--case', field])
    expect(json.json.purged).toMatchObject({by: expect.stringMatching(/^Olena Kovalenko/), transferId: expect.stringMatching(/^TRANSFER-/)})
    const sealed = await custody(['seal', 'EX-000001', '--out', at('s.zip'), '--case', field])
    expect(sealed.code).toBe(2)
    expect(sealed.stderr).toMatch(/EX-000001 was purged from this case's vault .* after Olena Kovalenko.* acknowledged it in TRANSFER-/)
    const exported = await custody(['transfer', 'export', 'EX-000002', '--to', at('hq.line'), '--out', at('again.zip.age'), '--case', field])
    expect(exported.code).toBe(2)
    expect(exported.stderr).toMatch(/EX-000002 was purged/)
    // To another receiver, with none named: what is still in the vault goes, and the purged ones are counted out.
    await initCase(at('hq2'), 'Purge', 'Mykola Hrytsenko', '--role', 'hq')
    await writeIdentityLine(at('hq2'), at('hq2.line'))
    const other = await custodyJson<{items: Array<{exhibit: string}>; purged: number}>(['transfer', 'export', '--to', at('hq2.line'), '--out', at('hq2.zip.age'), '--case', field])
    expect(other.code, other.stderr).toBe(0)
    expect(other.json.items.map((i) => i.exhibit)).toEqual(['EX-000003'])
    expect(other.json.purged).toBe(2)
    // With none named, the seal takes what is still in the vault and says what it left out.
    const all = await custodyJson<{exhibitCount: number; purged: number}>(['seal', '--out', at('all.zip'), '--case', field])
    expect(all.code, all.stderr).toBe(0)
    expect(all.json).toMatchObject({exhibitCount: 1, purged: 2})
    const listed = await custodyJson<{exhibits: Array<{exhibit: string; purged: boolean}>}>(['list', '--case', field])
    expect(listed.json.exhibits.map((x) => [x.exhibit, x.purged])).toEqual([['EX-000001', true], ['EX-000002', true], ['EX-000003', false]])
    expect((await custody(['list', '--case', field])).stdout).toMatch(/3 exhibits, 2 purged from the vault/)
    expect((await custodyJson<{purged: number}>(['status', '--case', field])).json.purged).toBe(2)
  })

  it('asks on a terminal: no records and removes nothing, yes purges', async () => {
    const dir = at('terminal')
    await initCase(dir, 'Purge', 'Iryna Melnyk')
    await ingestSamples(dir, 'GPS.jpg')
    await handOver(dir, 'terminal')
    const original = join(dir, '.custody', (await purge(dir, '--dry-run')).json.purged[0]!.objects[0]!.vault)
    const passFile = at('pass.txt')
    writeFileSync(passFile, `${PASSPHRASE}\n`)
    const args = ['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--case', dir, '--passphrase-file', passFile]
    const before = await eventCount(dir)
    {
      using term = new Terminal(args, {cwd: work.path, env: {}, exitFile: at('purge-no.exit')})
      await term.answer('Remove these objects from the vault?', 'n')
      expect(await term.exitCode()).toBe(1)
      expect(term.screen()).toContain('nothing was purged: not confirmed')
    }

    expect(await eventCount(dir)).toBe(before)
    expect(existsSync(original)).toBe(true)
    using term = new Terminal(args, {cwd: work.path, env: {}, exitFile: at('purge-yes.exit')})
    await term.answer('Remove these objects from the vault?', 'y')
    expect(await term.exitCode()).toBe(0)
    expect(existsSync(original)).toBe(false)
    expect(await eventCount(dir)).toBe(before + 1)
  })

  it('purges a case in clear as well; its receipt event edited in place to acknowledge an exhibit never sent is refused first', async () => {
    await handOver(plain, 'plain')
    // A copy with an exhibit taken in after the hand-over, and the recorded receipt made to acknowledge it too.
    const forged = copyCase(plain, at('plain-forged'))
    await ingestSamples(forged, 'Casio.jpg')
    expect(editRowsInPlace(forged, `UPDATE events SET event = json_insert(event, '$.payload.acknowledged[#]', 'EX-000003') WHERE json_extract(event, '$.action') = 'transfer-acknowledged'`)).toBe(1)
    const events = await eventCount(forged)
    const refused = await purge(forged, '--yes')
    expect(refused.code, refused.stdout).toBe(3)
    expect(refused.stdout + refused.stderr).toMatch(/no longer have the root their last signed checkpoint gives/)
    expect(await eventCount(forged)).toBe(events)
    // A copy whose vault has a folder where an object was: unlink cannot remove it, and a purge
    // that recorded it would fail there at every run. Refused before anything is recorded.
    const folder = copyCase(plain, at('plain-folder'))
    const objects = readdirSync(join(folder, '.custody', 'vault', 'sha256'), {recursive: true, withFileTypes: true}).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort()
    rmSync(objects[0]!)
    mkdirSync(objects[0]!, {mode: 0o700})
    const before = await eventCount(folder)
    const stuck = await purge(folder, '--yes')
    expect(stuck.code, stuck.stdout).toBe(3)
    expect(stuck.stdout + stuck.stderr).toMatch(/the vault object \((original|metadata-record)\) to remove, is not a file but a folder: .*nothing was recorded or removed/)
    expect(await eventCount(folder)).toBe(before)
    expect(objects.slice(1).every((o) => existsSync(o))).toBe(true)
    const result = await purge(plain, '--yes')
    expect(result.code, result.stderr).toBe(0)
    expect(result.json.purged.map((p) => p.exhibit)).toEqual(['EX-000001', 'EX-000002'])
    expect(result.json.purged[0]!.objects[0]!.vault).toMatch(/^vault\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/)
    expect(result.json.removed).toBe(4)
    const verified = await verify(plain)
    expect(verified.code, verified.stdout).toBe(0)
    expect(verified.json.checks.find((c) => c.name === 'vault')!.detail).toMatch(/^0\/0 exhibits intact .*; 2 purged/)
  })
})

describe('what a purge must not hide', () => {
  it('an object deleted by hand, with no purged event, is still missing (exit 3)', async () => {
    const copy = copyCase(field, at('field-deleted'))
    const shown = await custodyJson<{vault: {path: string}}>(['show', 'EX-000003', '--case', copy])
    rmSync(shown.json.vault.path)
    const verified = await verify(copy)
    expect(verified.code).toBe(3)
    expect(verified.json.problems).toEqual([expect.objectContaining({kind: 'vault-object', subject: 'EX-000003', message: expect.stringMatching(/is missing$/)})])
  })

  it('a kept receipt changed after the purge: verify reports each purge standing on it (exit 3)', async () => {
    const copy = copyCase(field, at('field-receipt'))
    const log = await custodyJson<{events: Array<{action: string; payload: {receipt: {kept: string}}}>}>(['log', '--case', copy])
    const kept = log.json.events.find((e) => e.action === 'transfer-acknowledged')!.payload.receipt.kept
    appendFileSync(join(copy, '.custody', kept), ' ')
    // With no key, the kept receipt is still found changed (its path and SHA-256 are public facts
    // of transfer-acknowledged); the purges standing on it are read from their bodies, with a key.
    const keyless = await verify(copy)
    expect(keyless.code).toBe(3)
    expect(keyless.json.problems).toContainEqual(expect.objectContaining({message: expect.stringMatching(/^the receipt of TRANSFER-/)}))
    const verified = await verify(copy, ...withKey())
    expect(verified.code).toBe(3)
    const purges = verified.json.problems.filter((p) => p.kind === 'purge')
    expect(purges.map((p) => p.subject)).toEqual(['EX-000001', 'EX-000002'])
    expect(purges[0]!.message).toMatch(/is not the one recorded .*: it was replaced or changed/)
    rmSync(join(copy, '.custody', kept))
    expect((await verify(copy, ...withKey())).json.problems.filter((p) => p.kind === 'purge')[0]!.message).toMatch(/is missing: restore it/)
  })

  it('a kept receipt changed before a purge: the purge is refused (exit 3), nothing recorded or removed', async () => {
    const fresh = at('fresh')
    await initCase(fresh, 'Purge', 'Iryna Melnyk')
    await ingestSamples(fresh, 'Olympus2.jpg')
    await handOver(fresh, 'fresh')
    const log = await custodyJson<{events: Array<{action: string; payload: {receipt: {kept: string}}}>}>(['log', '--case', fresh])
    const kept = log.json.events.find((e) => e.action === 'transfer-acknowledged')!.payload.receipt.kept
    appendFileSync(join(fresh, '.custody', kept), ' ')
    const before = await eventCount(fresh)
    const refused = await custody(['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--yes', '--case', fresh])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toMatch(/is not the one recorded .*nothing was purged/)
    expect(await eventCount(fresh)).toBe(before)
  })
})

describe('custody transfer purge killed after its events were recorded', () => {
  it('leaves a case that verifies (a warning names what is left), and a run again removes it, recording nothing', async () => {
    const dir = at('crash')
    await initCase(dir, 'Purge', 'Iryna Melnyk')
    await ingestSamples(dir, 'Canon.jpg')
    await handOver(dir, 'crash')
    const dry = await purge(dir, '--dry-run')
    const original = join(dir, '.custody', dry.json.purged[0]!.objects[0]!.vault)
    const headFile = join(dir, '.custody', 'head.json')
    const headBefore = readFileSync(headFile)
    // strace kills the real process as it enters unlink(2) of the original: the events are recorded.
    const args = ['-f', '-qq', '-o', '/dev/null', '-P', original, '-e', 'trace=unlink,unlinkat', '-e', 'inject=unlink,unlinkat:signal=SIGKILL', process.execPath, BIN, 'transfer', 'purge', '--acknowledged-by', at('hq.line'), '--yes', '--case', dir]
    const strace = spawn('strace', args, {stdio: 'ignore', env: caseEnv(dir)})
    expect(await new Promise((resolve) => strace.on('close', (code, signal) => resolve(signal ?? code)))).toBe('SIGKILL')
    expect(existsSync(original)).toBe(true)
    // As if the kill had come a moment earlier, before the run wrote the case's tree head (head.json).
    writeFileSync(headFile, headBefore)
    const verified = await verify(dir)
    expect(verified.code, verified.stdout).toBe(0)
    expect(verified.json.warnings.join('\n')).toMatch(/EX-000001 is recorded as purged, but its original .* is still in the vault .*run `custody transfer purge` again/)
    expect(verified.json.warnings.join('\n')).toMatch(/1 event\(s\) after the last recorded tree head/)
    const before = await eventCount(dir)
    const rerun = await purge(dir, '--yes')
    expect(rerun.code, rerun.stderr).toBe(0)
    expect(rerun.json).toMatchObject({purged: [], removed: 2})
    expect(rerun.json.finished.map((f) => f.exhibit)).toEqual(['EX-000001'])
    expect(existsSync(original)).toBe(false)
    expect(await eventCount(dir)).toBe(before)
    const after = await verify(dir)
    expect(after.code, after.stdout).toBe(0)
    expect(after.json.warnings.join('\n')).not.toMatch(/purge/)
    // The run killed before it wrote the case's tree head: the run that finished it wrote it.
    expect(after.json.warnings.join('\n')).not.toMatch(/after the last recorded tree head/)
  })
})
