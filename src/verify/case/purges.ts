/**
 * Check 11, `purges`: each `purged` event (`custody transfer purge`, src/transfers/purge.ts) stands
 * on a receipt this case keeps: the `transfer-acknowledged` event it names records that receipt
 * (its SHA-256 and transfer), from the same receiver, acknowledging that very exhibit; the kept
 * receipt is still the one recorded (in an encrypted case, its age file as stored, and opened
 * when a key was given: src/transfers/kept-receipt.ts); and the objects the event names are the exhibit's own. A purge
 * with no such receipt is a problem: evidence removed with nothing to show that anyone holds it.
 */
import {CASE_FOLDER} from '../../case/case.js'
import type {EventOfKind, PurgedObject} from '../../formats/events.js'
import type {PublicFacts} from '../../ledger/envelope.js'
import {plural} from '../../render/text.js'
import {parseCustodian} from '../../transfers/custodian.js'
import {objectsByExhibit, purgeFactsOf, type PurgedFacts, type PurgeFacts} from '../../transfers/field-purge.js'
import {checkKeptAsStored, KeptReceiptProblem, readKeptReceipt} from '../../transfers/kept-receipt.js'
import {objectsOf} from '../../transfers/purge.js'
import type {CaseCheck, CaseCheckResult, CaseContext, CaseFinding} from './context.js'

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
  const {kept} = ack.payload.receipt
  return keptFinding(kept, () => readKeptReceipt(kase.dataDir, kept, ack.payload.receipt, kase.vault.keys?.identities ?? []))
}

/** What is wrong with the receipt kept at `kept`, as `check` finds it (a KeptReceiptProblem), said as verify says it. */
async function keptFinding(kept: string, check: () => Promise<unknown>): Promise<string | undefined> {
  const where = `${CASE_FOLDER}/${kept}`
  try {
    await check()
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

/**
 * What is wrong with the objects a `purged` event names: each must be one of its exhibit's own
 * (its plaintext SHA-256 too, unless the purge was made with no key: field-purge.ts).
 */
function objectsProblem(kase: CaseContext['kase'], purged: EventOfKind<'purged'>): string | undefined {
  const ingest = kase.ledger.ingestEvent(purged.exhibit!)?.event
  if (ingest === undefined) return 'it names an exhibit no ingest event created'
  const own = objectsOf(kase, ingest.payload)
  const other = purged.payload.objects.find((o) => !own.some((mine) => mine.role === o.role && mine.vault === o.vault && (o.sha256 === null || o.sha256 === mine.sha256)))
  return other === undefined ? undefined : `it names ${other.vault} as its ${other.role}, which is not the exhibit's (event ${ingest.seq})`
}

/** A purge whose envelope names the receipt it stands on. */
type NamedPurge = PurgedFacts & {receipt: NonNullable<PurgedFacts['receipt']>}

/**
 * What is wrong with a `purged` envelope, by the public facts alone (no key opens the bodies: a
 * field laptop): the envelope it names records a receipt of the same transfer and SHA-256 in
 * clear; that transfer is a field package whose release lists the exhibit, and the receipt
 * acknowledged it (its count is not zero); the kept receipt is the file recorded (as stored);
 * the objects are among the exhibit's own as its ingest envelope lists them.
 */
async function inClearProblem(kase: CaseContext['kase'], facts: PurgeFacts, objects: Map<string, PurgedObject[]>, purged: NamedPurge, kept: Map<string, string | undefined>): Promise<string | undefined> {
  const {transferId, sha256, seq} = purged.receipt
  const ack = facts.acks.get(seq)
  if (ack === undefined) return `it names event ${seq} as the receipt that acknowledged it, and that event records no receipt`
  const inClear = ack.receiptInClear ?? ack.receipt
  if (ack.transferId !== transferId || inClear !== sha256) return `it names the receipt sha256 ${sha256} of ${transferId}, and event ${seq} records ${String(inClear)} of ${String(ack.transferId)}`
  if (!(facts.releases.get(transferId)?.includes(purged.exhibit) ?? false) || ack.acknowledged === 0) return `the receipt of ${transferId} (event ${seq}) does not acknowledge it`
  const file = String(ack.kept)
  if (!kept.has(file)) kept.set(file, await keptAsStoredProblem(kase, file, ack))
  if (kept.get(file) !== undefined) return kept.get(file)
  const own = objects.get(purged.exhibit) ?? []
  const other = purged.objects.find((vault) => !own.some((o) => o.vault === vault))
  return other === undefined ? undefined : `it names ${other}, which is not one of the exhibit's objects`
}

/** What is wrong with a kept receipt held to its envelope's facts: an age file to its SHA-256, a receipt in clear to its SHA-256 and signatures. */
async function keptAsStoredProblem(kase: CaseContext['kase'], kept: string, ack: PublicFacts): Promise<string | undefined> {
  const recorded = String(ack.receipt)
  return keptFinding(kept, () => (typeof ack.receiptInClear === 'string' ? checkKeptAsStored(kase.dataDir, kept, recorded) : readKeptReceipt(kase.dataDir, kept, {sha256: recorded}, [])))
}

/**
 * The check with no key: each purge held to its receipt by the public facts (inClearProblem).
 * Undefined (not checked) when a purge's envelope does not name its receipt (written before
 * 2026-12-06) or stands on a sealed package's receipt, whose items only its body lists.
 */
async function checkInClear(kase: CaseContext['kase']): Promise<CaseCheckResult | undefined> {
  const facts = purgeFactsOf(kase)
  if (facts.purged.length === 0) return {status: 'ok', detail: 'no exhibit purged'}
  const named = facts.purged.filter((p): p is NamedPurge => p.receipt !== undefined && facts.releases.has(p.receipt.transferId))
  if (named.length < facts.purged.length) return undefined
  const objects = objectsByExhibit(kase)
  const kept = new Map<string, string | undefined>()
  const problems: CaseFinding[] = []
  for (const purged of named) {
    const problem = await inClearProblem(kase, facts, objects, purged, kept)
    if (problem !== undefined) problems.push({check: 'purge', subject: purged.exhibit, message: `purged (event ${purged.seq}), but ${problem}`})
  }

  const detail = `${plural(facts.purged.length, 'exhibit')} purged, each acknowledged by a receipt the case keeps (held to it by the envelopes' public facts: no key given opens the bodies; the receipts checked as stored)`
  return problems.length === 0 ? {status: 'ok', detail} : {status: 'failed', detail: `${plural(problems.length, 'purge')} not acknowledged by a kept receipt`, problems}
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
  // A purge's envelope says so in clear (its objects as stored, and the receipt it stands on).
  withoutBodies: ({kase}) => checkInClear(kase),
}
