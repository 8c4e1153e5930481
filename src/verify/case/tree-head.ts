/**
 * Check 3, `tree head`: the Merkle tree head (RFC 6962 §2.1) recomputed over all events agrees
 * with the last head custody recorded in the case (head.json): the ledger still has at least that
 * many events, and its first events have the recorded root.
 */
import {bytesToHex} from '@noble/hashes/utils.js'
import {CASE_FOLDER} from '../../case/case.js'
import {compareWithHead, HEAD_FILE} from '../../ledger/head-file.js'
import type {CaseCheck, CaseContext, CaseFinding} from './context.js'
import {resultOf} from './context.js'

export const treeHeadCheck: CaseCheck = {
  name: 'tree head',
  async run(context) {
    const {tree} = context
    const {detail, problems} = await compareHead(context)
    return resultOf(`root ${bytesToHex(tree.root())} over ${tree.size} events; ${detail}`, problems)
  },
}

async function compareHead({kase, tree, warnings}: CaseContext): Promise<{detail: string; problems: CaseFinding[]}> {
  const subject = `${CASE_FOLDER}/${HEAD_FILE}`
  const head = await compareWithHead(kase.dataDir, tree)
  switch (head.status) {
    case 'unreadable': {
      const message = `${head.problem}: the last recorded tree head cannot be compared (it was deleted or edited)`
      return {detail: 'no recorded tree head', problems: [{check: 'tree-head', subject, message}]}
    }

    case 'shorter': {
      const problem: CaseFinding = {
        check: 'tree-head',
        subject: `events ${head.size}..${head.record.size - 1}`,
        message: `the ledger has ${head.size} events but ${head.record.size} were recorded on ${head.record.writtenAt}: events were removed from its end`,
        expected: String(head.record.size),
        actual: String(head.size),
      }
      return {detail: 'ledger shorter than its recorded head', problems: [problem]}
    }

    case 'rewritten': {
      const problem: CaseFinding = {
        check: 'tree-head',
        subject,
        message: `the first ${head.record.size} events no longer have the Merkle root recorded on ${head.record.writtenAt}: the ledger was rewritten`,
        expected: head.record.root,
        actual: head.root,
      }
      return {detail: 'recorded head does not match', problems: [problem]}
    }

    default: {
      if (head.behind > 0) {
        warnings.push(`${head.behind} event(s) after the last recorded tree head (size ${head.record.size}); an interrupted command leaves this, and the next command that adds to the case records it`)
      }

      return {detail: `recorded head at size ${head.record.size} matches`, problems: []}
    }
  }
}
