import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {ledgerFileCheck} from '../../../src/verify/case/ledger-file.js'
import {PASSPHRASE, tempDir} from '../../helpers/cli.js'
import {copyOf, makeSmallCase, openContext, rows, runCheck, tamper, type SmallCase} from './small-case.js'

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

  it('with the address key, finds the rows whose keyed index is not their event\'s: made up so that no lookup finds them', async () => {
    const checked = async (kase: SmallCase): Promise<Awaited<ReturnType<typeof ledgerFileCheck.run>>> => {
      using context = openContext(kase)
      await context.kase.openVault({passphrase: PASSPHRASE})
      return ledgerFileCheck.run(context)
    }

    expect(await checked(original)).toMatchObject({status: 'ok', detail: 'SQLite integrity ok, 6/6 append-only triggers, keyed index true to every event', problems: []})
    const c = copyOf(original, work)
    const ingest = rows(c.db).find((r) => r.event.startsWith('{"action":"ingest",'))!.seq
    // As someone with the disk and no key could: the ingest's action tag made up (no lookup by
    // action finds it), and the create-case event filed under an exhibit.
    tamper(c.db, `UPDATE events SET action_tag = randomblob(32) WHERE seq = ${ingest}; UPDATE events SET exhibit = 'EX-000009' WHERE seq = 0`)
    // Without the key there is nothing to check the tags with: the check says what it did, as before.
    expect(await runCheck(c, ledgerFileCheck)).toMatchObject({status: 'ok', detail: 'SQLite integrity ok, 6/6 append-only triggers'})
    const result = await checked(c)
    expect(result.detail).toBe('SQLite integrity ok, 6/6 append-only triggers, keyed index untrue to 2 columns')
    expect(result.problems).toEqual([
      {check: 'ledger-file', subject: 'event 0', message: expect.stringMatching(/^the exhibit column of event 0 is not the one its event gives: the ledger's index was changed outside custody/)},
      {check: 'ledger-file', subject: `event ${ingest}`, message: expect.stringContaining(`the action_tag column of event ${ingest} is not the one its event gives`)},
    ])
  })
})
