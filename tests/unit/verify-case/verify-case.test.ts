import {writeFileSync} from 'node:fs'
import Database from 'better-sqlite3'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Case} from '../../../src/case/case.js'
import {verifyCase, verifyCaseAt} from '../../../src/verify/verify-case.js'
import {tempDir} from '../../helpers/cli.js'
import {appendEvent, copyOf, makeSmallCase, type SmallCase} from './small-case.js'

let original: SmallCase & {remove: () => void}
const work = tempDir('custody-verify-case-')

beforeAll(async () => {
  original = await makeSmallCase()
})

afterAll(() => {
  original.remove()
  work.remove()
})

async function verify(kase: SmallCase): ReturnType<typeof verifyCase> {
  await using opened = Case.open({root: kase.dir, foundBy: 'flag'}, {knownHeads: kase.knownHeads})
  return await verifyCase(opened)
}

describe('verifyCase, the checklist of a local case', () => {
  it('runs every check in the order the report lists them, and reports the case intact', async () => {
    const report = await verify(original)
    expect(report.checks.map((c) => c.name)).toEqual(['ledger file', 'event chain', 'tree head', 'known head', 'checkpoints', 'timestamps', 'vault', 'testimonies', 'signing key', 'transfers', 'purges'])
    expect(report.checks.every((c) => c.ok && c.status === 'ok' && Object.keys(c).join() === 'name,ok,status,detail')).toBe(true)
    expect(report).toMatchObject({ok: true, root: original.dir, ledger: {events: 3}, exhibits: {total: 1, intact: 1}, problems: [], warnings: []})
  })

  it('gives each problem its check, and the same again as the deprecated kind', async () => {
    const c = copyOf(original, work)
    const ledger = new Database(c.db)
    ledger.exec('DROP TRIGGER events_no_update')
    ledger.close()
    const report = await verify(c)
    expect(report.ok).toBe(false)
    expect(report.checks.find((check) => check.name === 'ledger file')?.ok).toBe(false)
    expect(report.problems).toEqual([
      {
        check: 'ledger-schema',
        kind: 'ledger-schema',
        subject: c.db,
        message: "the append-only trigger events_no_update has been removed: someone changed the ledger's schema outside custody",
        expected: 'events_no_update',
        actual: 'missing',
      },
    ])
  })

  it('reports a stored event custody does not write as a problem of the event chain, and runs every check after it', async () => {
    const c = copyOf(original, work)
    // A timestamp event as custody never wrote one (no status, a time without milliseconds): the
    // timestamps check reads timestamp events through the ledger, which must not refuse the case.
    const seq = appendEvent(c.db, {
      action: 'timestamp',
      exhibit: null,
      payload: {checkpoint: {seq: 0, treeSize: 3, sha256: 'ab'.repeat(32)}, tokens: [{tsa: 'https://tsa.example', token: 'AAAA', genTime: '2026-01-01T00:00:00Z'}], failures: [], roots: []},
    })
    const report = await verify(c)
    expect(report.ok).toBe(false)
    expect(report.checks.map((check) => check.name)).toEqual(['ledger file', 'event chain', 'tree head', 'known head', 'checkpoints', 'timestamps', 'vault', 'testimonies', 'signing key', 'transfers', 'purges'])
    expect(report.checks.find((check) => check.name === 'event chain')?.ok).toBe(false)
    expect(report.problems).toEqual([
      {check: 'event', kind: 'event', subject: `event ${seq}`, message: 'it cannot be read as a custody event: payload.status: expected one of "stamped", "waiting", got nothing (the field is missing)'},
      // Appended without the key: no checkpoint covers it.
      expect.objectContaining({check: 'checkpoint', subject: `events ${seq}..${seq}`}),
    ])
    expect(report.checks.find((check) => check.name === 'timestamps')).toEqual({name: 'timestamps', ok: true, status: 'ok', detail: expect.stringContaining('no trusted timestamp yet')})
  })

  it('reports a ledger that cannot be opened as a failed ledger file check', async () => {
    const c = copyOf(original, work)
    writeFileSync(c.db, 'not a database')
    const report = await verifyCaseAt({root: c.dir, foundBy: 'flag'})
    expect(report).toMatchObject({ok: false, checks: [{name: 'ledger file', ok: false, detail: 'cannot be opened'}]})
    expect(report.problems).toEqual([{check: 'ledger-file', kind: 'ledger-file', subject: join('.custody', 'ledger.sqlite'), message: expect.stringContaining('the ledger cannot be opened: ')}])
  })
})
