/**
 * `custody key show --public` (issue 20, docs/design/transfers.md "Custodian identities"): the line
 * a case is named by in a hand-over, printed by the built CLI for real cases and read back.
 */
import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {parseCustodian} from '../../src/transfers/custodian.js'
import {custody, custodyJson, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-custodian-e2e-')
afterAll(() => work.remove())

interface KeyShowJson {
  fingerprint: string
  caseKeys: {recipients: Array<{recipient: string}>}
}

async function init(name: string, ...more: string[]): Promise<string> {
  const dir = join(work.path, name)
  const made = await custody(['init', dir, '--title', 'Custodian', '--investigator', 'Iryna Melnyk', '--organisation', 'Kherson field team', ...more])
  expect(made.code, made.stderr).toBe(0)
  return dir
}

describe('custody key show --public', () => {
  it("prints one line naming the case, its investigator, its signing key and its case identity's recipient", async () => {
    const dir = await init('encrypted')
    const printed = await custody(['key', 'show', '--public', '--case', dir])
    expect(printed.code, printed.stderr).toBe(0)
    expect(printed.stdout).toMatch(/^custody-custodian1 [A-Za-z0-9_-]+\n$/)
    const custodian = parseCustodian(printed.stdout)
    const shown = await custodyJson<KeyShowJson>(['key', 'show', '--case', dir])
    const status = await custodyJson<{case: {caseId: string}}>(['status', '--case', dir])
    expect(custodian).toMatchObject({case: status.json.case.caseId, name: 'Iryna Melnyk', organisation: 'Kherson field team', age: shown.json.caseKeys.recipients[0]!.recipient})
    const json = await custodyJson<{line: string; fingerprint: string}>(['key', 'show', '--public', '--case', dir])
    expect(json.json.line).toBe(printed.stdout.trim())
    expect(json.json.fingerprint).toBe(shown.json.fingerprint)
  })

  it('has no age recipient in a field case, and follows the signing key when it is rotated', async () => {
    const hq = join(work.path, 'hq.key')
    execFileSync('age-keygen', ['-o', hq], {stdio: 'ignore'})
    const dir = await init('field', '--field', '--recipient', execFileSync('age-keygen', ['-y', hq], {encoding: 'utf8'}).trim())
    const before = parseCustodian((await custody(['key', 'show', '--public', '--case', dir])).stdout)
    expect(before.age).toBeNull()
    const next = join(work.path, 'next.txt')
    writeFileSync(next, 'the next passphrase of the field case\n')
    expect((await custody(['key', 'rotate', '--reason', 'laptop out of our hands', '--new-passphrase-file', next, '--case', dir])).code).toBe(0)
    // The line's name and organisation are sealed under the address key, which the new passphrase opens now.
    const env = {CUSTODY_PASSPHRASE: 'the next passphrase of the field case'}
    expect((await custody(['key', 'show', '--public', '--case', dir])).code).toBe(2)
    const after = parseCustodian((await custody(['key', 'show', '--public', '--case', dir], {env})).stdout)
    expect(after.case).toBe(before.case)
    expect(after.signingKey).not.toBe(before.signingKey)
    // Once the keys are destroyed, nobody holds what the line names: there is none to give.
    expect((await custody(['key', 'destroy', '--yes', '--case', dir], {env})).code).toBe(0)
    const gone = await custody(['key', 'show', '--public', '--case', dir])
    expect(gone.code).toBe(2)
    expect(gone.stderr).toMatch(/^Error: the keys of this case were destroyed on /)
    expect(gone.stdout).toBe('')
  })
})
