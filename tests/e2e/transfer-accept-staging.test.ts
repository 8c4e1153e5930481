/**
 * What `custody transfer accept` writes into HQ's vault while it verifies a sealed package (issue
 * 20): the originals of a package it will take are copied into the vault as the verification
 * hashes them (so that each is read and decrypted once), and those of a package it would refuse
 * for its parties (a sender it was not told to expect) are not copied at all: the decision is
 * made on the transfer statement read before anything is hashed, signed by the key it names, and
 * everything is checked again after. strace records every file the real process
 * creates; the accepted run shows the trace seeing what is staged, so that an empty one means
 * something (with the decision taken out, the refused runs create the originals' copies).
 */
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, caseEnv, tempDir} from '../helpers/cli.js'
import {eventCount, exportPackage, ingestSamples, initCase, vaultTempFiles, writeIdentityLine} from '../helpers/transfers.js'

const work = tempDir('custody-transfer-staging-')
afterAll(() => work.remove())

const at = (name: string): string => join(work.path, name)
const [field, hq, other] = [at('field'), at('hq'), at('other')]
let pkg = ''

/** `custody transfer accept` at `dir` under strace: its exit code and the files it created in the vault's tmp folder (O_CREAT). */
async function acceptTraced(dir: string, from: readonly string[], trace: string): Promise<{code: number | null; created: string[]}> {
  const args = ['-f', '-qq', '-o', trace, '-e', 'trace=openat,open,creat', process.execPath, BIN, 'transfer', 'accept', pkg, ...from.flatMap((f) => ['--from', f]), '--case', dir]
  const strace = spawn('strace', args, {stdio: 'ignore', env: caseEnv(dir)})
  const code = await new Promise<number | null>((resolve) => strace.on('close', (c) => resolve(c)))
  const tmp = join(dir, '.custody', 'vault', 'tmp') + '/'
  const created = readFileSync(trace, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`"${tmp}`) && (line.includes('O_CREAT') || line.includes('creat(')))
  return {code, created}
}

beforeAll(async () => {
  await initCase(field, 'Staging', 'Iryna Melnyk')
  await initCase(hq, 'HQ', 'Olena Kovalenko', '--role', 'hq')
  await initCase(other, 'Other', 'Petro Shevchenko')
  await ingestSamples(field, 'Canon.jpg', 'Casio.jpg')
  await writeIdentityLine(hq, at('hq.line'))
  await writeIdentityLine(field, at('field.line'))
  await writeIdentityLine(other, at('other.line'))
  pkg = await exportPackage(field, at('hq.line'), at('p.zip.age'))
}, 120_000)

describe('custody transfer accept: copies into the vault while verifying', () => {
  it('copies nothing of a package from a sender it was not told to expect, which it refuses', async () => {
    const before = await eventCount(hq)
    // HQ is told to expect another custodian only.
    const {code, created} = await acceptTraced(hq, [at('other.line')], at('stranger.trace'))
    expect(code).toBe(3)
    expect(created).toEqual([])
    expect(await eventCount(hq)).toBe(before)
    expect(vaultTempFiles(hq)).toEqual([])
  })

  it('copies the originals of a package it accepts as it verifies them, and leaves nothing staged', async () => {
    const {code, created} = await acceptTraced(hq, [at('field.line')], at('accepted.trace'))
    expect(code).toBe(0)
    // Its two originals and their metadata records are staged in the vault, and the trace sees them.
    expect(created.length).toBeGreaterThanOrEqual(4)
    expect(vaultTempFiles(hq)).toEqual([])
  })
})
