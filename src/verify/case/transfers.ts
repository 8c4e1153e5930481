/**
 * Check 10, `transfers`: each package this case accepted from another custodian (`custody transfer
 * accept`, src/transfers/accept.ts) is kept as its `transfer-received` event records it: the
 * package under .custody/custodians/ with the SHA-256 it had when it was checked, and the receipt
 * given to its sender beside it with the SHA-256 the event records; and each receipt this case
 * recorded for what it released (`transfer-acknowledged`, src/transfers/acknowledge.ts) is kept
 * with the SHA-256 its event records, as is the receipt given for a package refused
 * (`transfer-refused`: the package itself is not kept). A kept package swapped for
 * another (or a receipt rewritten) is found here, without a key: the package is an age file, and
 * what is inside it was verified when it was accepted (`custody verify PACKAGE` with the case's
 * identity checks it again). In an encrypted case a kept receipt is an age file, and the public
 * facts give its SHA-256 as stored (src/transfers/kept-receipt.ts); given a key that opens the
 * events and the receipt, it is opened too and held to its SHA-256 in clear, which only the
 * event's body holds.
 */
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {stat} from 'node:fs/promises'
import {join} from 'node:path'
import {CASE_FOLDER} from '../../case/case.js'
import {CustodyError, errnoOf, messageOf} from '../../errors.js'
import {plural} from '../../render/text.js'
import {keptReceiptOf} from '../../transfers/incoming.js'
import {KeptReceiptProblem, readKeptReceipt} from '../../transfers/kept-receipt.js'
import {KEPT_PACKAGE_PATH, KEPT_RECEIPT_PATH} from '../../formats/events.js'
import {isHex64} from '../../formats/guards.js'
import {publicOf, type PublicFacts} from '../../ledger/envelope.js'
import type {CaseCheck, CaseContext, CaseFinding, KeptFile} from './context.js'

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

/**
 * A kept receipt's signature file, with no key: there, and 64 bytes (an Ed25519 signature). Whose
 * signature it is over which bytes is checked once the receipt is read (a key opens an encrypted
 * one: kept-receipt.ts), and by HQ's seal and purge before they rely on it.
 */
async function signatureProblem(path: string, subject: string, what: string, seq: number): Promise<CaseFinding | undefined> {
  let size: number
  try {
    size = (await stat(path)).size
  } catch (error) {
    const missing = errnoOf(error) === 'ENOENT'
    return {check: 'transfer', subject, message: missing ? `the signature of ${what}, which event ${seq} records, is missing; restore it from a backup of the case` : `the signature of ${what} cannot be read: ${messageOf(error)}`}
  }

  if (size === 64) return undefined
  return {check: 'transfer', subject, message: `the signature of ${what}, which event ${seq} records, is ${size} bytes, not the 64 of an Ed25519 signature: it was replaced or changed; restore it from a backup of the case`, expected: '64 bytes', actual: `${size} bytes`}
}

/**
 * The files a transfer event says the case keeps, from its public facts (publicOf in
 * src/ledger/envelope.ts), which a sealed ledger's envelope holds in clear; undefined when the
 * facts are not of that form (an envelope forged past its body, read with no key).
 */
export function keptFilesOf(seq: number, facts: PublicFacts | undefined): KeptFile[] | undefined {
  if (facts?.action !== 'transfer-received' && facts?.action !== 'transfer-acknowledged' && facts?.action !== 'transfer-refused') return []
  const {transferId, kept, receipt} = facts
  const received = facts.action === 'transfer-received'
  if (typeof transferId !== 'string' || typeof kept !== 'string' || !(received ? KEPT_PACKAGE_PATH : KEPT_RECEIPT_PATH).test(kept) || !isHex64(receipt)) return undefined
  if (facts.action === 'transfer-refused') return [{file: kept, sha256: receipt, what: `the receipt of ${transferId} (refused)`, seq}]
  if (!received) return [{file: kept, sha256: receipt, what: `the receipt of ${transferId}`, seq}]
  if (!isHex64(facts.package)) return undefined
  return [
    {file: kept, sha256: facts.package, what: `the package of ${transferId}`, seq},
    {file: keptReceiptOf(kept), sha256: receipt, what: `the receipt of ${transferId}`, seq},
  ]
}

/** Each file a transfer event says the case keeps: from the envelopes of a sealed ledger (opened or not), else from the events. */
function keptFiles({kase, chain}: CaseContext): KeptFile[] {
  if (kase.ledger.sealedBodies() !== undefined) return [...chain.keptFiles]
  const files: KeptFile[] = []
  for (const {event} of kase.ledger.eventsOfKind('transfer-received', 'transfer-refused', 'transfer-acknowledged')) files.push(...keptFilesOf(event.seq, publicOf(event))!)
  return files
}

/**
 * Each kept receipt read as its event records it, but those already found not as stored (`found`):
 * one in clear, and (with a key) one kept as an age file, opened and held to its SHA-256 in clear;
 * then its signatures (kept-receipt.ts). None while the bodies stay closed.
 */
async function openedProblems({kase}: CaseContext, found: ReadonlySet<string>): Promise<CaseFinding[]> {
  const identities = kase.vault.keys?.identities ?? []
  if (kase.ledger.bodiesLocked) return []
  let events
  try {
    events = kase.ledger.eventsOfKind('transfer-received', 'transfer-refused', 'transfer-acknowledged')
  } catch (error) {
    // Some bodies the identity given does not open (a recipient added later): those are checked as stored only.
    if (error instanceof CustodyError && error.code === 'CONTENT_LOCKED') return []
    throw error
  }

  const problems: CaseFinding[] = []
  for (const {event} of events) {
    const recorded = event.payload.receipt
    const kept = event.action === 'transfer-received' ? keptReceiptOf(event.payload.kept) : event.payload.receipt.kept
    if ((recorded.stored !== undefined && identities.length === 0) || found.has(kept) || found.has(`${kept}.sig`)) continue
    const problem = await readKeptReceipt(kase.dataDir, kept, recorded, identities).then(
      () => undefined,
      (error: unknown) => {
        if (error instanceof KeptReceiptProblem) return error.why
        throw error
      },
    )
    if (problem !== undefined) {
      const asStored = recorded.stored === undefined ? '' : `, though it is the age file event ${event.seq} records`
      problems.push({check: 'transfer', subject: `${CASE_FOLDER}/${kept}`, message: `the receipt of ${event.payload.transferId} ${problem}${asStored}: restore it from a backup of the case`, expected: recorded.sha256})
    }
  }

  return problems
}

export const transfersCheck: CaseCheck = {
  name: 'transfers',
  async run(context) {
    const {kase} = context
    const files = keptFiles(context)
    if (files.length === 0) return {status: 'ok', detail: 'no package received from another custodian, no receipt recorded'}
    const problems: CaseFinding[] = []
    for (const {file, sha256, what, seq} of files) {
      const problem = await keptProblem(join(kase.dataDir, file), `${CASE_FOLDER}/${file}`, sha256, what, seq)
      if (problem !== undefined) problems.push(problem)
      if (file.endsWith('.receipt')) {
        const signature = await signatureProblem(join(kase.dataDir, `${file}.sig`), `${CASE_FOLDER}/${file}.sig`, what, seq)
        if (signature !== undefined) problems.push(signature)
      }
    }

    problems.push(...(await openedProblems(context, new Set(problems.map((p) => p.subject.slice(CASE_FOLDER.length + 1))))))

    const received = new Set(files.filter((f) => f.file.endsWith('.zip.age')).map((f) => f.seq)).size
    const refused = files.filter((f) => f.what.endsWith('(refused)')).length
    const receipts = files.length - 2 * received - refused
    const refusals = refused === 0 ? '' : `, ${plural(refused, 'package')} refused with a receipt`
    // With the bodies closed a receipt kept encrypted is not read, so nor is whose signature its .sig is: said.
    const unsigned = kase.ledger.bodiesLocked && files.some((f) => f.file.endsWith('.receipt')) ? '; whose signature each receipt bears is checked with a key that opens the events (here, only that each is 64 bytes)' : ''
    const detail = `${plural(received, 'package')} received${refusals}, ${plural(receipts, 'receipt')} recorded: each kept as the ledger records it${unsigned}`
    return problems.length === 0 ? {status: 'ok', detail} : {status: 'failed', detail: `${plural(problems.length, 'kept file')} not as recorded`, problems}
  },
}
