/**
 * Check 4, `known head`: the newest checkpoint custody signed for this case on this account, kept
 * outside the case (src/known-heads/), must be a prefix of the ledger: its root recomputed over
 * the ledger's first events. Cut-off events or an older copy put back fail here even when
 * head.json, which goes back with the case, was rewritten to match.
 */
import {compareFully, conflictMessage, recoveryAdvice} from '../../known-heads/compare.js'
import {plural} from '../../render/text.js'
import type {CaseCheck} from './context.js'

export const knownHeadCheck: CaseCheck = {
  name: 'known head',
  run({kase, tree, warnings}) {
    const known = compareFully(kase.knownHead(), tree)
    switch (known.status) {
      case 'none': {
        return {status: 'ok', detail: `no checkpoint of this case recorded on this account (${known.path}): it was made or last added to elsewhere`}
      }

      case 'unreadable': {
        warnings.push(`custody's record of this case in ${known.path} cannot be used (${known.problem}); the next command that adds to the case replaces it`)
        return {status: 'ok', detail: 'record unreadable'}
      }

      case 'matches': {
        const {treeSize} = known.head.checkpoint
        const where = known.head.location !== null && known.head.location !== kase.root ? ` (recorded at ${known.head.location})` : ''
        return {status: 'ok', detail: `the newest checkpoint custody signed for this case on this account, ${plural(treeSize, 'event')}${where}, is a prefix of the ledger`}
      }

      default: {
        const {treeSize, rootHash} = known.head.checkpoint
        return {
          status: 'failed',
          detail: known.status === 'shorter' ? 'the ledger is shorter than the newest checkpoint custody signed for it' : 'the ledger does not extend the newest checkpoint custody signed for it',
          problems: [
            {
              check: 'tree-head',
              subject: known.head.path,
              message: `${conflictMessage(known, kase.root)}. ${recoveryAdvice(known, kase.root)}`,
              expected: `${treeSize} events, root ${rootHash}`,
              actual: `${known.ledger.size} events, root ${known.ledger.root}`,
            },
          ],
        }
      }
    }
  },
}
