import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {testimoniesCheck} from '../../../src/verify/case/testimonies.js'
import {tempDir} from '../../helpers/cli.js'
import {appendEvent, copyOf, makeSmallCase, runCheck, type SmallCase} from './small-case.js'

// Testimonies themselves (versions, attachments, sealed identities) are taken through the CLI's
// interview and tested end to end in tests/e2e/testimony.test.ts; here, what a small case shows.
let original: SmallCase & {remove: () => void}
const work = tempDir('custody-testimonies-')

beforeAll(async () => {
  original = await makeSmallCase()
})

afterAll(() => {
  original.remove()
  work.remove()
})

describe('the testimonies check', () => {
  it('passes a case with no testimony', async () => {
    const result = await runCheck(original, testimoniesCheck)
    expect(result).toMatchObject({status: 'ok', detail: 'no testimonies', problems: []})
  })

  it('names a testimony event for an exhibit that is not a testimony', async () => {
    const c = copyOf(original, work)
    const seq = appendEvent(c.db, {
      action: 'consent-changed',
      exhibit: 'EX-000001',
      payload: {witness: 'W-001', granted: ['court'], withdrawn: [], method: 'signed-form', at: '2024-03-05T10:00+02:00', note: null},
    })
    const result = await runCheck(c, testimoniesCheck)
    expect(result.status).toBe('failed')
    expect(result.problems).toEqual([{check: 'testimony', subject: `event ${seq}`, message: 'a consent-changed event for EX-000001, which is not a testimony'}])
  })
})
