/**
 * Check 5, `checkpoints`: every signed checkpoint: its Ed25519 signature by a key the ledger
 * recorded, and its root equal to the root recomputed over the events it covers, so that each is a
 * prefix of the next and of the ledger now (RFC 9162 §2.1.4 consistency, checked on the events
 * themselves); the last one covers every event. A ledger rebuilt by someone without the key fails
 * here.
 */
import {bytesToHex} from '@noble/hashes/utils.js'
import {checkCheckpointSeries} from '../../checkpoints/verify-checkpoints.js'
import type {CaseCheck} from './context.js'
import {resultOf} from './context.js'

export const checkpointsCheck: CaseCheck = {
  name: 'checkpoints',
  run({kase, chain, tree, checkpoints}) {
    const {keys, hashAt} = chain
    const series = checkCheckpointSeries(checkpoints, {
      caseId: kase.info.caseId,
      keys,
      size: tree.size,
      rootAt: (size) => bytesToHex(tree.root(size)),
      hashAt,
    })
    const signers = [...new Set(keys.map((k) => k.fingerprint))].join(', ')
    const detail =
      series.problems.length === 0
        ? `${checkpoints.length} signed checkpoints, each a prefix of the next; the last covers all ${tree.size} events; signed by ${signers}`
        : `${series.problems.length} problem(s) in ${checkpoints.length} checkpoints`
    return resultOf(detail, series.problems.map((problem) => ({check: 'checkpoint', ...problem})))
  },
}
