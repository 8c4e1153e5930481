/**
 * Check 10, `transfers`: each package this case accepted from another custodian (`custody transfer
 * accept`, src/transfers/accept.ts) is kept as its `transfer-received` event records it: the
 * package under .custody/custodians/ with the SHA-256 it had when it was checked, and the receipt
 * given to its sender beside it with the SHA-256 the event records; and each receipt this case
 * recorded for what it released (`transfer-acknowledged`, src/transfers/acknowledge.ts) is kept
 * with the SHA-256 its event records. A kept package swapped for
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
import {keptReceiptOf} from '../../transfers/incoming.js'
import type {CaseCheck, CaseContext, CaseFinding} from './context.js'

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

/** Each file a transfer event says the case keeps, with the SHA-256 it records: [file under .custody/, SHA-256, what it is, event]. */
function keptFiles(kase: CaseContext['kase']): Array<[string, string, string, number]> {
  const files: Array<[string, string, string, number]> = []
  for (const {event} of kase.ledger.eventsOfKind('transfer-received')) {
    const {kept, receipt, transferId} = event.payload
    files.push([kept, event.payload.package.sha256, `the package of ${transferId}`, event.seq], [keptReceiptOf(kept), receipt.sha256, `the receipt of ${transferId}`, event.seq])
  }

  for (const {event} of kase.ledger.eventsOfKind('transfer-acknowledged')) {
    files.push([event.payload.receipt.kept, event.payload.receipt.sha256, `the receipt of ${event.payload.transferId}`, event.seq])
  }

  return files
}

export const transfersCheck: CaseCheck = {
  name: 'transfers',
  async run({kase}) {
    const files = keptFiles(kase)
    if (files.length === 0) return {status: 'ok', detail: 'no package received from another custodian, no receipt recorded'}
    const problems: CaseFinding[] = []
    for (const [file, sha256, what, seq] of files) {
      const problem = await keptProblem(join(kase.dataDir, file), `${CASE_FOLDER}/${file}`, sha256, what, seq)
      if (problem !== undefined) problems.push(problem)
    }

    const received = kase.ledger.eventsOfKind('transfer-received').length
    const receipts = files.length - 2 * received
    const detail = `${plural(received, 'package')} received, ${plural(receipts, 'receipt')} recorded: each kept as the ledger records it`
    return problems.length === 0 ? {status: 'ok', detail} : {status: 'failed', detail: `${plural(problems.length, 'kept file')} not as recorded`, problems}
  },
}
