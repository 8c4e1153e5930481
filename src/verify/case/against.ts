/**
 * Check 10, `against FILE` (one for each --against FILE): the ledger extends the sealed archive or
 * checkpoint file given out earlier (../against.ts proves it with an RFC 9162 consistency proof).
 */
import {basename} from 'node:path'
import {checkCaseAgainst, type AgainstFile} from '../against.js'
import type {CaseCheck} from './context.js'

export function againstCheck(file: AgainstFile): CaseCheck {
  return {
    // The name checkCaseAgainst gives the file's check, known before it runs.
    name: `against ${basename(file.path)}`,
    async run({kase, chain, tree, options}) {
      const against = await checkCaseAgainst([file], {caseId: kase.info.caseId, keys: chain.keys, tree}, {
        ...(options.tsaRoots === undefined ? {} : {tsaRoots: options.tsaRoots}),
        ...(options.pinnedKeys === undefined ? {} : {pinnedKeys: options.pinnedKeys}),
      })
      const ok = against.checks.every((check) => check.ok)
      return {
        status: ok ? 'ok' : 'failed',
        detail: against.checks.map((check) => check.detail).join('; '),
        problems: against.problems.map((problem) => ({check: 'against', ...problem})),
      }
    },
  }
}
