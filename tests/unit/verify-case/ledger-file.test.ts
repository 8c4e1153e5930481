import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {ledgerFileCheck} from '../../../src/verify/case/ledger-file.js'
import {tempDir} from '../../helpers/cli.js'
import {copyOf, makeSmallCase, runCheck, type SmallCase} from './small-case.js'

let original: SmallCase & {remove: () => void}
const work = tempDir('custody-ledger-file-')

beforeAll(async () => {
  original = await makeSmallCase()
})

afterAll(() => {
  original.remove()
  work.remove()
})

describe('the ledger file check', () => {
  it('passes a sound SQLite file with its six append-only triggers', async () => {
    const result = await runCheck(original, ledgerFileCheck)
    expect(result).toMatchObject({status: 'ok', detail: 'SQLite integrity ok, 6/6 append-only triggers', problems: []})
  })

  it("names each trigger removed behind custody's back", async () => {
    const c = copyOf(original, work)
    const ledger = new Database(c.db)
    ledger.exec('DROP TRIGGER events_no_delete; DROP TRIGGER checkpoints_no_update')
    ledger.close()
    const result = await runCheck(c, ledgerFileCheck)
    expect(result.status).toBe('failed')
    expect(result.detail).toBe('SQLite integrity ok, 4/6 append-only triggers')
    const removed = (name: string): object => ({
      check: 'ledger-schema',
      subject: c.db,
      message: `the append-only trigger ${name} has been removed: someone changed the ledger's schema outside custody`,
      expected: name,
      actual: 'missing',
    })
    expect(result.problems).toEqual([removed('checkpoints_no_update'), removed('events_no_delete')])
  })
})
