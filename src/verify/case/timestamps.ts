/**
 * Check 6, `timestamps`: every RFC 3161 token a timestamp event holds is over the exact bytes of
 * the checkpoint it stamps, signed, and chained (at its genTime, RFC 3161 §2.4.2) to the roots
 * recorded with it; the time recorded beside it is the time inside it.
 */
import {plural} from '../../render/text.js'
import {timestampCoverage, timestampHistory} from '../../timestamps/stamp-case.js'
import {checkTimestampReply, parsePemCertificates} from '../../timestamps/token.js'
import type {CaseCheck, CaseFinding} from './context.js'
import {resultOf} from './context.js'

export const timestampsCheck: CaseCheck = {
  name: 'timestamps',
  async run({kase, checkpoints}) {
    const bodies = new Map(checkpoints.map((c) => [c.seq, c.body]))
    const problems: CaseFinding[] = []
    let good = 0
    let newest: {treeSize: number; genTime: string} | undefined
    for (const record of timestampHistory(kase)) {
      const body = bodies.get(record.checkpoint.seq)
      for (const token of record.tokens) {
        const subject = `event ${record.eventSeq} (token from ${token.tsa})`
        if (body === undefined) {
          problems.push({check: 'timestamp', subject, message: `it stamps checkpoint ${record.checkpoint.seq}, which the ledger does not have`})
          continue
        }

        const check = await checkTimestampReply(Buffer.from(token.token, 'base64'), {
          data: Buffer.from(body, 'utf8'),
          trusted: record.roots.flatMap((r) => parsePemCertificates(r.pem)),
        })
        if (!check.ok) {
          problems.push({check: 'timestamp', subject, message: `the token does not hold: ${check.problem}`})
        } else if (check.genTime !== token.genTime) {
          problems.push({check: 'timestamp', subject, message: 'the time recorded for the token is not the time inside it', expected: check.genTime, actual: token.genTime})
        } else {
          good++
          if (newest === undefined || record.checkpoint.treeSize >= newest.treeSize) newest = {treeSize: record.checkpoint.treeSize, genTime: check.genTime}
        }
      }
    }

    const {pending} = timestampCoverage(kase)
    const detail =
      newest === undefined
        ? `no trusted timestamp yet; ${plural(pending, 'event')} waiting (run \`custody timestamp\`)`
        : `${plural(good, 'token')} valid; events 0..${newest.treeSize - 1} existed by ${newest.genTime}; ${plural(pending, 'event')} not yet timestamped`
    return resultOf(detail, problems)
  },
}
