/**
 * Check 11, `purges`: each `purged` event (`custody transfer purge`, src/transfers/purge.ts) stands
 * on a receipt this case keeps: the `transfer-acknowledged` event it names records that receipt
 * (its SHA-256 and transfer), from the same receiver, acknowledging that very exhibit; the kept
 * receipt is still the one recorded (in an encrypted case, its age file as stored, and opened
 * when a key was given: src/transfers/kept-receipt.ts); and the objects the event names are the exhibit's own. A purge
 * with no such receipt is a problem: evidence removed with nothing to show that anyone holds it.
 */
import {CASE_FOLDER} from '../../case/case.js'
import type {EventOfKind} from '../../formats/events.js'
import {plural} from '../../render/text.js'
import {parseCustodian} from '../../transfers/custodian.js'
import {KeptReceiptProblem, readKeptReceipt} from '../../transfers/kept-receipt.js'
import {objectsOf} from '../../transfers/purge.js'
import type {CaseCheck, CaseContext, CaseFinding} from './context.js'

/** The receipts the case recorded, by their event's number, and what is wrong with each kept file, once read (undefined: nothing). */
interface Receipts {
  bySeq: Map<number, EventOfKind<'transfer-acknowledged'>>
  kept: Map<string, string | undefined>
}

/**
 * What is wrong with the receipt kept for `ack`: held to its event as kept-receipt.ts does (in an
 * encrypted case its age file as stored, and its content too when an identity opened the case).
 */
async function keptProblem(kase: CaseContext['kase'], ack: EventOfKind<'transfer-acknowledged'>): Promise<string | undefined> {
  const where = `${CASE_FOLDER}/${ack.payload.receipt.kept}`
  try {
    await readKeptReceipt(kase.dataDir, ack.payload.receipt.kept, ack.payload.receipt, kase.vault.keys?.identities ?? [])
    return undefined
  } catch (error) {
    if (!(error instanceof KeptReceiptProblem)) throw error
    if (error.why === 'is missing') return `the receipt it stands on, ${where}, is missing: restore it from a backup of the case`
    return `the receipt it stands on, ${where}, ${error.why}: it was replaced or changed`
  }
}

/** What is wrong with the receipt a `purged` event names, if anything. */
async function receiptProblem(kase: CaseContext['kase'], receipts: Receipts, purged: EventOfKind<'purged'>): Promise<string | undefined> {
  const {receipt, transferId, by} = purged.payload
  const ack = receipts.bySeq.get(receipt.seq)
  if (ack === undefined) return `it names event ${receipt.seq} as the receipt that acknowledged it, and that event records no receipt`
  if (ack.payload.receipt.sha256 !== receipt.sha256 || ack.payload.transferId !== transferId) {
    return `it names the receipt sha256 ${receipt.sha256} of ${transferId}, and event ${receipt.seq} records ${ack.payload.receipt.sha256} of ${ack.payload.transferId}`
  }

  if (parseCustodian(ack.payload.by, `event ${ack.seq}`).case !== parseCustodian(by, `event ${purged.seq}`).case) return `it names another receiver than the one whose receipt event ${ack.seq} records`
  if (!ack.payload.acknowledged.includes(purged.exhibit!)) return `the receipt of ${transferId} (event ${ack.seq}) does not acknowledge it`
  const {kept} = ack.payload.receipt
  if (!receipts.kept.has(kept)) receipts.kept.set(kept, await keptProblem(kase, ack))
  return receipts.kept.get(kept)
}

/** What is wrong with the objects a `purged` event names: each must be one of its exhibit's own. */
function objectsProblem(kase: CaseContext['kase'], purged: EventOfKind<'purged'>): string | undefined {
  const ingest = kase.ledger.ingestEvent(purged.exhibit!)?.event
  if (ingest === undefined) return 'it names an exhibit no ingest event created'
  const own = new Set(objectsOf(kase, ingest.payload).map((o) => `${o.role} ${o.sha256} ${o.vault}`))
  const other = purged.payload.objects.find((o) => !own.has(`${o.role} ${o.sha256} ${o.vault}`))
  return other === undefined ? undefined : `it names ${other.vault} as its ${other.role}, which is not the exhibit's (event ${ingest.seq})`
}

export const purgesCheck: CaseCheck = {
  name: 'purges',
  readsBodies: true,
  async run({kase}) {
    const events = kase.ledger.eventsOfKind('purged')
    if (events.length === 0) return {status: 'ok', detail: 'no exhibit purged'}
    const problems: CaseFinding[] = []
    const receipts: Receipts = {bySeq: new Map(kase.ledger.eventsOfKind('transfer-acknowledged').map(({event}) => [event.seq, event])), kept: new Map()}
    for (const {event} of events) {
      const problem = (await receiptProblem(kase, receipts, event)) ?? objectsProblem(kase, event)
      if (problem !== undefined) problems.push({check: 'purge', subject: event.exhibit ?? `event ${event.seq}`, message: `purged (event ${event.seq}), but ${problem}`})
    }

    const detail = `${plural(events.length, 'exhibit')} purged, each acknowledged by a receipt the case keeps`
    return problems.length === 0 ? {status: 'ok', detail} : {status: 'failed', detail: `${plural(problems.length, 'purge')} not acknowledged by a kept receipt`, problems}
  },
  // A purge's envelope says so in clear (its objects as stored): with none, there is nothing to check.
  withoutBodies({kase}) {
    for (const {facts} of kase.ledger.publicFacts()) if (facts.action === 'purged') return undefined
    return {status: 'ok', detail: 'no exhibit purged'}
  },
}
