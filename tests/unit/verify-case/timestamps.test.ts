import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {timestampsCheck} from '../../../src/verify/case/timestamps.js'
import {tempDir} from '../../helpers/cli.js'
import {appendEvent, copyOf, makeSmallCase, runCheck, type SmallCase} from './small-case.js'

let original: SmallCase & {remove: () => void}
const work = tempDir('custody-timestamps-')

beforeAll(async () => {
  original = await makeSmallCase()
})

afterAll(() => {
  original.remove()
  work.remove()
})

const TSA = 'https://tsa.example'

/** A timestamp event by hand, in the format custody writes (src/formats/events.ts TimestampPayload), with a token of our own. */
const stampEvent = (checkpointSeq: number, token: string): Parameters<typeof appendEvent>[1] => ({
  action: 'timestamp',
  exhibit: null,
  payload: {
    checkpoint: {seq: checkpointSeq, treeSize: 3, sha256: 'ab'.repeat(32)},
    status: 'stamped',
    tokens: [{tsa: TSA, token, genTime: '2026-01-01T00:00:00.000Z', serial: '1', policy: '1.2.3.4', signer: 'CN=Test TSA', chain: []}],
    failures: [],
    roots: [],
  },
})

describe('the timestamps check', () => {
  it('passes a case with no token yet, and says how many events wait', async () => {
    const result = await runCheck(original, timestampsCheck)
    expect(result).toMatchObject({status: 'ok', detail: 'no trusted timestamp yet; 3 events waiting (run `custody timestamp`)', problems: []})
  })

  it('names a token for a checkpoint the ledger does not have', async () => {
    const c = copyOf(original, work)
    const seq = appendEvent(c.db, stampEvent(9, 'AAAA'))
    const result = await runCheck(c, timestampsCheck)
    expect(result.status).toBe('failed')
    expect(result.problems).toEqual([{check: 'timestamp', subject: `event ${seq} (token from ${TSA})`, message: 'it stamps checkpoint 9, which the ledger does not have'}])
  })

  it('names a token that is not an RFC 3161 reply over its checkpoint', async () => {
    const c = copyOf(original, work)
    const seq = appendEvent(c.db, stampEvent(1, Buffer.from('not a token').toString('base64')))
    const result = await runCheck(c, timestampsCheck)
    expect(result.problems).toEqual([{check: 'timestamp', subject: `event ${seq} (token from ${TSA})`, message: expect.stringMatching(/^the token does not hold: ./)}])
  })
})
