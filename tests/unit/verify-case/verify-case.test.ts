import {writeFileSync} from 'node:fs'
import Database from 'better-sqlite3'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Case} from '../../../src/case/case.js'
import {verifyCase, verifyCaseAt} from '../../../src/verify/verify-case.js'
import {tempDir} from '../../helpers/cli.js'
import {copyOf, makeSmallCase, type SmallCase} from './small-case.js'

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
    expect(report.checks.map((c) => c.name)).toEqual(['ledger file', 'event chain', 'tree head', 'known head', 'checkpoints', 'timestamps', 'vault', 'testimonies', 'signing key'])
    expect(report.checks.every((c) => c.ok && Object.keys(c).join() === 'name,ok,detail')).toBe(true)
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

  it('reports a ledger that cannot be opened as a failed ledger file check', async () => {
    const c = copyOf(original, work)
    writeFileSync(c.db, 'not a database')
    const report = await verifyCaseAt({root: c.dir, foundBy: 'flag'})
    expect(report).toMatchObject({ok: false, checks: [{name: 'ledger file', ok: false, detail: 'cannot be opened'}]})
    expect(report.problems).toEqual([{check: 'ledger-file', kind: 'ledger-file', subject: join('.custody', 'ledger.sqlite'), message: expect.stringContaining('the ledger cannot be opened: ')}])
  })
})
