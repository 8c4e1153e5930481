import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {checkpointsCheck} from '../../../src/verify/case/checkpoints.js'
import {tempDir} from '../../helpers/cli.js'
import {appendEvent, copyOf, makeSmallCase, runCheck, tamper, type SmallCase} from './small-case.js'

let original: SmallCase & {remove: () => void}
const work = tempDir('custody-checkpoints-')

beforeAll(async () => {
  original = await makeSmallCase()
})

afterAll(() => {
  original.remove()
  work.remove()
})

describe('the checkpoints check', () => {
  it("passes the checkpoints of init and of the ingest, signed by the case's key", async () => {
    const result = await runCheck(original, checkpointsCheck)
    expect(result.status).toBe('ok')
    expect(result.problems).toEqual([])
    expect(result.detail).toMatch(/^2 signed checkpoints, each a prefix of the next; the last covers all 3 events; signed by SHA256:[0-9a-f]{64}$/)
  })

  it('names a checkpoint whose signature was altered', async () => {
    const c = copyOf(original, work)
    // The first byte changed whatever it was (a fixed '00' left one signature in 256 as it was)
    tamper(c.db, `UPDATE checkpoints SET signature = CASE substr(signature, 1, 2) WHEN '00' THEN '01' ELSE '00' END || substr(signature, 3) WHERE seq = 1`)
    const result = await runCheck(c, checkpointsCheck)
    expect(result.status).toBe('failed')
    expect(result.problems).toContainEqual({check: 'checkpoint', subject: 'checkpoint 1', message: expect.stringContaining('its Ed25519 signature does not verify with the key SHA256:')})
    expect(result.detail).toBe(`${result.problems!.length} problem(s) in 2 checkpoints`)
  })

  it('names events no signed checkpoint covers (added by someone without the key)', async () => {
    const c = copyOf(original, work)
    appendEvent(c.db, {action: 'ingest-failed', exhibit: null, payload: {}})
    const result = await runCheck(c, checkpointsCheck)
    expect(result.problems).toEqual([expect.objectContaining({check: 'checkpoint', subject: 'events 3..3', message: expect.stringContaining('no validly signed checkpoint covers these events')})])
  })
})
