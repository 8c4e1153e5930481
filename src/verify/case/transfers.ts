/**
 * Check 10, `transfers`: each package this case accepted from another custodian (`custody transfer
 * accept`, src/transfers/accept.ts) is kept as its `transfer-received` event records it: the
 * package under .custody/custodians/ with the SHA-256 it had when it was checked, and the receipt
 * given to its sender beside it with the SHA-256 the event records. A kept package swapped for
 * another (or a receipt rewritten) is found here, without a key: the package is an age file, and
 * what is inside it was verified when it was accepted (`custody verify PACKAGE` with the case's
 * identity checks it again).
 */
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {join} from 'node:path'
import {CASE_FOLDER} from '../../case/case.js'
import {errnoOf, messageOf} from '../../errors.js'
import {plural} from '../../render/text.js'
import type {CaseCheck, CaseFinding} from './context.js'

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** The kept file's problem, when it is not the one recorded. */
async function keptProblem(path: string, subject: string, expected: string, what: string, seq: number): Promise<CaseFinding | undefined> {
  let actual: string
  try {
    actual = await sha256Of(path)
  } catch (error) {
    const missing = errnoOf(error) === 'ENOENT'
    return {check: 'transfer', subject, message: missing ? `${what} that event ${seq} records is missing; restore it from a backup of the case` : `${what} cannot be read: ${messageOf(error)}`, expected, actual: missing ? 'missing' : 'unreadable'}
  }

  if (actual === expected) return undefined
  return {check: 'transfer', subject, message: `${what} is not the one event ${seq} records: it was replaced or changed; restore it from a backup of the case`, expected, actual}
}

export const transfersCheck: CaseCheck = {
  name: 'transfers',
  async run({kase}) {
    const received = kase.ledger.eventsOfKind('transfer-received')
    if (received.length === 0) return {status: 'ok', detail: 'no package received from another custodian'}
    const problems: CaseFinding[] = []
    for (const {event} of received) {
      const {kept, receipt} = event.payload
      const receiptFile = kept.replace(/\.zip\.age$/, '.receipt')
      for (const [file, sha256, what] of [
        [kept, event.payload.package.sha256, `the package of ${event.payload.transferId}`],
        [receiptFile, receipt.sha256, `the receipt of ${event.payload.transferId}`],
      ] as const) {
        const problem = await keptProblem(join(kase.dataDir, file), `${CASE_FOLDER}/${file}`, sha256, what, event.seq)
        if (problem !== undefined) problems.push(problem)
      }
    }

    const detail = `${plural(received.length, 'package')} received, each kept with its receipt as the ledger records them`
    return problems.length === 0 ? {status: 'ok', detail} : {status: 'failed', detail: `${plural(problems.length, 'kept file')} not as recorded`, problems}
  },
}
