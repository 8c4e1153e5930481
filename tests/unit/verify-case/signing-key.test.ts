import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {chainCheck} from '../../../src/verify/case/chain.js'
import {signingKeyCheck} from '../../../src/verify/case/signing-key.js'
import {tempDir} from '../../helpers/cli.js'
import {copyOf, makeSmallCase, openContext, runCheck, tamper, type SmallCase} from './small-case.js'

let original: SmallCase & {remove: () => void}
let fingerprint: string
const work = tempDir('custody-signing-key-')

beforeAll(async () => {
  original = await makeSmallCase()
  using context = openContext(original)
  await chainCheck.run(context)
  fingerprint = context.chain.keys.at(-1)!.fingerprint
})

afterAll(() => {
  original.remove()
  work.remove()
})

const keyFile = (kase: SmallCase): {path: string; subject: string} => {
  const name = `${fingerprint.slice('SHA256:'.length)}.json`
  return {path: join(kase.dir, '.custody', 'keys', name), subject: `.custody/keys/${name}`}
}

describe('the signing key check', () => {
  it('passes the key file of the key the ledger records, having checked its public half', async () => {
    const result = await runCheck(original, signingKeyCheck)
    expect(result).toMatchObject({
      status: 'ok',
      detail: `.custody/keys/ holds ${fingerprint}, the key the ledger records (event 1): its public half checked; its private half is encrypted, and only the passphrase can check it (the next command that signs does)`,
    })
  })

  it('names a missing key file', async () => {
    const c = copyOf(original, work)
    const key = keyFile(c)
    rmSync(key.path)
    const result = await runCheck(c, signingKeyCheck)
    expect(result).toMatchObject({status: 'failed', detail: 'the key file is missing'})
    expect(result.problems).toEqual([
      {
        check: 'key',
        subject: key.subject,
        message: `the key file of the case's signing key ${fingerprint} is missing; restore ${key.subject} from a backup of the case (until then nothing can be added to the case)`,
        expected: `the key file of ${fingerprint}`,
        actual: 'missing',
      },
    ])
  })

  it('names a key file that is not a custody key file', async () => {
    const c = copyOf(original, work)
    const key = keyFile(c)
    rmSync(key.path)
    writeFileSync(key.path, JSON.stringify({format: 'something else'}))
    const result = await runCheck(c, signingKeyCheck)
    expect(result).toMatchObject({status: 'failed', detail: 'the key file is not a sound key file'})
    expect(result.problems).toEqual([{check: 'key', subject: key.subject, message: `the key file is not a custody signing key file (its format is "something else"); restore ${key.subject} from a backup of the case`}])
  })

  it('passes, with nothing to compare, when the ledger records no sound key (the chain check names that)', async () => {
    const c = copyOf(original, work)
    tamper(c.db, 'DELETE FROM events WHERE seq = 1')
    const result = await runCheck(c, signingKeyCheck)
    expect(result).toMatchObject({status: 'ok', detail: 'no key recorded in the ledger to check its file against'})
  })
})
