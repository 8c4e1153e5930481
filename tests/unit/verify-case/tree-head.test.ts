import {rmSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {treeHeadCheck} from '../../../src/verify/case/tree-head.js'
import {tempDir} from '../../helpers/cli.js'
import {appendEvent, copyOf, makeSmallCase, rootOf, runCheck, tamper, type SmallCase} from './small-case.js'

let original: SmallCase & {remove: () => void}
const work = tempDir('custody-tree-head-')

beforeAll(async () => {
  original = await makeSmallCase()
})

afterAll(() => {
  original.remove()
  work.remove()
})


describe('the tree head check', () => {
  it('passes when the root over all events matches the recorded head', async () => {
    const result = await runCheck(original, treeHeadCheck)
    expect(result).toMatchObject({status: 'ok', detail: `root ${await rootOf(original)} over 3 events; recorded head at size 3 matches`, problems: [], warnings: []})
  })

  it('warns, and passes, when events were added after the recorded head (an interrupted command)', async () => {
    const c = copyOf(original, work)
    appendEvent(c.db, {action: 'ingest-failed', exhibit: null, payload: {}})
    const result = await runCheck(c, treeHeadCheck)
    expect(result.status).toBe('ok')
    expect(result.warnings).toEqual(['1 event(s) after the last recorded tree head (size 3); an interrupted command leaves this, and the next command that adds to the case records it'])
  })

  it('names events removed from the end, with the sizes recorded and found', async () => {
    const c = copyOf(original, work)
    tamper(c.db, 'DELETE FROM events WHERE seq = 2')
    const result = await runCheck(c, treeHeadCheck)
    expect(result.status).toBe('failed')
    expect(result.detail).toBe(`root ${await rootOf(c)} over 2 events; ledger shorter than its recorded head`)
    expect(result.problems).toEqual([{check: 'tree-head', subject: 'events 2..2', message: expect.stringContaining('the ledger has 2 events but 3 were recorded on '), expected: '3', actual: '2'}])
  })

  it('names a ledger whose events were rewritten, with the root recorded and the root found', async () => {
    const c = copyOf(original, work)
    const recorded = await rootOf(original)
    tamper(c.db, `UPDATE events SET event = replace(event, 'A. Investigator', 'B. Investigator') WHERE seq = 0`)
    const result = await runCheck(c, treeHeadCheck)
    expect(result.problems).toEqual([
      {check: 'tree-head', subject: '.custody/head.json', message: expect.stringMatching(/^the first 3 events no longer have the Merkle root recorded on .*: the ledger was rewritten$/), expected: recorded, actual: await rootOf(c)},
    ])
  })

  it('fails when head.json is gone', async () => {
    const c = copyOf(original, work)
    rmSync(join(c.dir, '.custody', 'head.json'))
    const result = await runCheck(c, treeHeadCheck)
    expect(result.detail).toMatch(/; no recorded tree head$/)
    expect(result.problems).toEqual([{check: 'tree-head', subject: '.custody/head.json', message: expect.stringContaining('the last recorded tree head cannot be compared (it was deleted or edited)')}])
  })
})
