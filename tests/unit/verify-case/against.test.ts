import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {exportCheckpoint, readCheckpointFile} from '../../../src/checkpoints/checkpoint-file.js'
import type {AgainstFile} from '../../../src/verify/against.js'
import {againstCheck} from '../../../src/verify/case/against.js'
import {tempDir} from '../../helpers/cli.js'
import {copyOf, makeSmallCase, openContext, rootOf, runCheck, tamper, type SmallCase} from './small-case.js'

let original: SmallCase & {remove: () => void}
let file: AgainstFile
let exported: {path: string; root: string}
const work = tempDir('custody-against-')

beforeAll(async () => {
  original = await makeSmallCase()
  using context = openContext(original)
  const {path, checkpoint} = await exportCheckpoint(context.kase, join(work.path, 'checkpoint.json'), false)
  exported = {path, root: checkpoint.rootHash}
  file = {path, kind: 'checkpoint', read: await readCheckpointFile(path)}
})

afterAll(() => {
  original.remove()
  work.remove()
})


describe('the against check', () => {
  it('is named after the file, and passes a ledger that extends the checkpoint given out', async () => {
    const check = againstCheck(file)
    expect(check.name).toBe('against checkpoint.json')
    const result = await runCheck(original, check)
    expect(result).toMatchObject({
      status: 'ok',
      detail: `the checkpoint in ${exported.path}, 3 events, root ${exported.root}: the ledger extends it (RFC 9162 consistency proof to its 3 events)`,
      problems: [],
    })
  })

  it('names a ledger cut shorter than the checkpoint given out, with both tree heads', async () => {
    const c = copyOf(original, work)
    tamper(c.db, 'DELETE FROM events WHERE seq = 2')
    const result = await runCheck(c, againstCheck(file))
    expect(result).toMatchObject({status: 'failed', detail: `the checkpoint in ${exported.path}: does not hold`})
    expect(result.problems).toEqual([
      {
        check: 'against',
        subject: `the checkpoint in ${exported.path}`,
        message: expect.stringContaining(`the ledger is shorter than the checkpoint in ${exported.path}`),
        expected: `at least 3 events, root ${exported.root} as a prefix`,
        actual: `2 events, root ${await rootOf(c)}`,
      },
    ])
  })
})
