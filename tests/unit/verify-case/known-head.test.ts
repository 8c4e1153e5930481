import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {knownHeadCheck} from '../../../src/verify/case/known-head.js'
import {tempDir} from '../../helpers/cli.js'
import {copyOf, makeSmallCase, rootOf, runCheck, tamper, type SmallCase} from './small-case.js'

let original: SmallCase & {remove: () => void}
const work = tempDir('custody-known-head-')

beforeAll(async () => {
  original = await makeSmallCase()
})

afterAll(() => {
  original.remove()
  work.remove()
})


describe('the known head check', () => {
  it('passes when the checkpoint recorded on this account is a prefix of the ledger', async () => {
    const result = await runCheck(original, knownHeadCheck)
    expect(result).toMatchObject({status: 'ok', detail: 'the newest checkpoint custody signed for this case on this account, 3 events, is a prefix of the ledger'})
  })

  it('passes, saying so, when this account has no record of the case', async () => {
    const c = copyOf(original, work)
    const result = await runCheck(c, knownHeadCheck)
    expect(result.status).toBe('ok')
    expect(result.detail).toMatch(/^no checkpoint of this case recorded on this account \(.*\): it was made or last added to elsewhere$/)
  })

  it('names a ledger cut shorter than the checkpoint recorded on this account, with both tree heads', async () => {
    const c = {...copyOf(original, work), knownHeads: original.knownHeads}
    tamper(c.db, 'DELETE FROM events WHERE seq = 2')
    const result = await runCheck(c, knownHeadCheck)
    expect(result.status).toBe('failed')
    expect(result.detail).toBe('the ledger is shorter than the newest checkpoint custody signed for it')
    expect(result.problems).toEqual([
      {check: 'tree-head', subject: expect.stringContaining(original.knownHeads), message: expect.any(String), expected: `3 events, root ${await rootOf(original)}`, actual: `2 events, root ${await rootOf(c)}`},
    ])
  })
})
