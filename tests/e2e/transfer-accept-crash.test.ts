/**
 * `custody transfer accept` killed (SIGKILL) in the middle (issue 20: "a crash in the middle of
 * accept leaves HQ's case verifiable and a re-run completes it"), at the moments that matter:
 * as the checked copy is put in place, before anything is recorded; as the received exhibits are
 * stored in the vault, before they are recorded; and after `transfer-received`
 * was recorded, before the receipt is put beside the package. strace kills the real process as it
 * enters rename(2), before the call is made (as tests/e2e/seal-crash.test.ts does with link).
 */
import {spawn} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, caseEnv, custody, custodyJson, tempDir} from '../helpers/cli.js'
import {exportPackage, ingestSamples, initCase, writeIdentityLine} from '../helpers/transfers.js'

const work = tempDir('custody-transfer-crash-')
afterAll(() => work.remove())

const at = (name: string): string => join(work.path, name)
const [field, hq] = [at('field'), at('hq')]
let pkg = ''
let transferId = ''
let fieldCase = ''

/**
 * `custody transfer accept` under strace, killed as it enters a system call: the first rename(2)
 * it makes (putting the checked copy in place), the first link(2) (storing a received exhibit's
 * metadata record in the vault, its original staged beside), or the first fsync(2) of the folder `path` (which
 * must exist: strace follows a path it can resolve).
 */
async function acceptKilledAt(path: string | undefined, first: 'rename' | 'link' = 'rename'): Promise<NodeJS.Signals | number | null> {
  const call = path === undefined ? first : 'fsync'
  // link(2) is not stopped under --seccomp-bpf on this strace: traced without it.
  const where = path === undefined ? (call === 'link' ? [] : ['--seccomp-bpf']) : ['-P', path]
  const args = ['-f', '-qq', '-o', '/dev/null', ...where, '-e', `trace=${call}`, '-e', `inject=${call}:signal=SIGKILL`, process.execPath, BIN, 'transfer', 'accept', pkg, '--from', at('field.line'), '--case', hq]
  const strace = spawn('strace', args, {stdio: 'ignore', env: caseEnv(hq)})
  return new Promise((resolve) => strace.on('close', (code, signal) => resolve(signal ?? code)))
}

async function received(): Promise<number> {
  const log = await custodyJson<{events: Array<{action: string}>}>(['log', '--case', hq])
  return log.json.events.filter((e) => e.action === 'transfer-received').length
}

beforeAll(async () => {
  for (const [dir, name] of [[field, 'Iryna Melnyk'], [hq, 'Olena Kovalenko']] as const) {
    await initCase(dir, 'Crash', name)
  }

  await ingestSamples(field, 'Canon.jpg')
  await writeIdentityLine(hq, at('hq.line'))
  await writeIdentityLine(field, at('field.line'))
  pkg = at('p.zip.age')
  const made = await custodyJson<{transferId: string}>(['transfer', 'export', '--to', at('hq.line'), '--out', pkg, '--case', field])
  expect(made.code, made.stderr).toBe(0)
  transferId = made.json.transferId
  fieldCase = (await custodyJson<{case: {caseId: string}}>(['status', '--case', field])).json.case.caseId
}, 120_000)

describe('custody transfer accept killed in the middle', () => {
  it('before anything is recorded: the case verifies, and a run again accepts it and removes what the killed one left', async () => {
    expect(await acceptKilledAt(undefined)).toBe('SIGKILL')
    expect(existsSync(join(hq, '.custody', 'custodians', fieldCase, `${transferId}.zip.age`))).toBe(false)
    expect(await received()).toBe(0)
    expect(existsSync(`${pkg}.receipt`)).toBe(false)
    const left = readdirSync(join(hq, '.custody', 'custodians')).filter((f) => f.startsWith('.incoming-'))
    expect(left).toHaveLength(1)
    const verified = await custodyJson<{warnings: string[]}>(['verify', '--case', hq])
    expect(verified.code).toBe(0)
    expect(verified.json.warnings).toContain(`custodians/${left[0]}: a package's copy left by an interrupted transfer accept (nothing was recorded from it; the next accept removes it)`)

    const again = await custody(['transfer', 'accept', pkg, '--from', at('field.line'), '--case', hq])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/^Accepted 1 exhibit from Iryna Melnyk/)
    expect(await received()).toBe(1)
    expect(readdirSync(join(hq, '.custody', 'custodians')).filter((f) => f.startsWith('.incoming-'))).toEqual([])
  })

  it('after transfer-received is recorded, before the receipt is given: the case verifies, and a run again gives the receipt', async () => {
    // Another package to the same HQ, killed as custody's record of the case's newest checkpoint
    // (outside the case, in its state folder) is made durable: after the event was committed and
    // head.json written, before the receipt is put beside the package.
    await ingestSamples(field, 'Casio.jpg')
    pkg = await exportPackage(field, at('hq.line'), at('p2.zip.age'))
    expect(await acceptKilledAt(join(caseEnv(hq).XDG_STATE_HOME!, 'custody'))).toBe('SIGKILL')
    expect(await received()).toBe(2)
    expect(existsSync(`${pkg}.receipt`)).toBe(false)
    expect((await custody(['verify', '--case', hq])).code).toBe(0)

    const again = await custody(['transfer', 'accept', pkg, '--from', at('field.line'), '--case', hq])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/^Already accepted: /)
    expect(existsSync(`${pkg}.receipt`) && existsSync(`${pkg}.receipt.sig`)).toBe(true)
    expect(await received()).toBe(2)
    // The receipt given late is the one recorded: the field side takes it.
    const recorded = await custody(['transfer', 'receipt', `${pkg}.receipt`, '--case', field])
    expect(recorded.code, recorded.stderr).toBe(0)
  })

  it('as the received exhibits are stored, before they are recorded: the case verifies, and a run again numbers each once', async () => {
    await ingestSamples(field, 'Nikon.jpg')
    pkg = await exportPackage(field, at('hq.line'), at('p3.zip.age'))
    const exhibits = async (): Promise<number> => (await custodyJson<{exhibits: number}>(['status', '--case', hq])).json.exhibits
    const before = await exhibits()
    expect(await acceptKilledAt(undefined, 'link')).toBe('SIGKILL')
    expect(await received()).toBe(2)
    expect(await exhibits()).toBe(before)
    expect(existsSync(`${pkg}.receipt`)).toBe(false)
    const verified = await custody(['verify', '--case', hq])
    expect(verified.code, verified.stdout).toBe(0)
    // What it staged is named, and removed by the next accept.
    expect(verified.stdout).toMatch(/note {2}temp file vault\/tmp\/\d+-[0-9a-f]{16}\.age/)

    const again = await custodyJson<{items: Array<{exhibit: string; receivedAs?: string}>}>(['transfer', 'accept', pkg, '--from', at('field.line'), '--case', hq])
    expect(again.code, again.stderr).toBe(0)
    expect(await received()).toBe(3)
    expect(await exhibits()).toBe(before + 1)
    // HQ's third exhibit (this HQ case numbers EX- too), the field's third.
    expect(again.json.items.map((i) => [i.exhibit, i.receivedAs])).toEqual([['EX-000003', 'EX-000003']])
    const after = await custody(['verify', '--case', hq])
    expect(after.code).toBe(0)
    expect(after.stdout).not.toMatch(/temp file/)
  })
})
