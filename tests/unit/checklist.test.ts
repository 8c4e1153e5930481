import {describe, expect, it} from 'vitest'
import {runChecklist, type Check, type Problem} from '../../src/verify/checklist.js'
import {ProblemList} from '../../src/verify/problem-list.js'

interface Context {
  seen: string[]
}

const check = (name: string, result: Awaited<ReturnType<Check<Context>['run']>>): Check<Context> => ({
  name,
  run: (context) => {
    context.seen.push(name)
    return result
  },
})

describe('runChecklist', () => {
  it('runs every check in order, names each finding by its check unless it names one, and reports warnings as not ok', async () => {
    const problems = new ProblemList<Problem>()
    const context: Context = {seen: []}
    const outcomes = await runChecklist(
      [
        check('zip', {status: 'ok', detail: 'one reading'}),
        check('manifests', {status: 'failed', detail: '1 file differs', problems: [{subject: 'data/a', message: 'changed', expected: 'aa', actual: 'bb'}, {check: 'oxum', subject: 'bag-info.txt', message: 'wrong count'}]}),
        check('timestamps', {status: 'warning', detail: 'own roots only'}),
      ],
      context,
      problems,
    )
    expect(context.seen).toEqual(['zip', 'manifests', 'timestamps'])
    expect(outcomes).toEqual([
      {name: 'zip', ok: true, status: 'ok', detail: 'one reading'},
      {name: 'manifests', ok: false, status: 'failed', detail: '1 file differs'},
      {name: 'timestamps', ok: false, status: 'warning', detail: 'own roots only'},
    ])
    expect(problems.kept).toEqual([
      {check: 'manifests', subject: 'data/a', message: 'changed', expected: 'aa', actual: 'bb'},
      {check: 'oxum', subject: 'bag-info.txt', message: 'wrong count'},
    ])
  })

  it('stops after a check that halts', async () => {
    const context: Context = {seen: []}
    const outcomes = await runChecklist([check('zip', {status: 'failed', detail: 'unreadable', halt: true}), check('manifests', {status: 'ok', detail: ''})], context, new ProblemList<Problem>())
    expect(context.seen).toEqual(['zip'])
    expect(outcomes.map((o) => o.name)).toEqual(['zip'])
  })

  it('awaits checks that are asynchronous', async () => {
    const slow: Check<Context> = {name: 'slow', run: async (c) => (await Promise.resolve(c.seen.push('slow')), {status: 'ok', detail: 'done'})}
    const context: Context = {seen: []}
    expect(await runChecklist([slow, check('next', {status: 'ok', detail: ''})], context, new ProblemList<Problem>())).toHaveLength(2)
    expect(context.seen).toEqual(['slow', 'next'])
  })
})
