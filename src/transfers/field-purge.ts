/**
 * `custody transfer purge` in a field case with no key (docs/design/transfers.md, "Purge on a
 * field laptop"): the passphrase opens no event body, and the laptop is where the evidence is in
 * danger, so what a purge needs is read from the envelopes' public facts (envelope.ts, publicOf):
 *
 *   - the receiver's receipts: `transfer-acknowledged` envelopes whose kept receipt is filed under
 *     the receiver's case (keptNames), for a field package this case released (a receipt for a
 *     sealed package is checked against the release's sealed body, and needs --identity);
 *   - what each acknowledges: the release's exhibits (its public facts list them) when the count
 *     its envelope gives is theirs, none when it is zero (a refused package); anything else is a
 *     ledger not as custody writes it, refused. acknowledge.ts recorded exactly one of these two
 *     after checking the receipt whole (checkFieldReceipt);
 *   - the receipt's SHA-256 in clear, which the `purged` event names (`receiptInClear`), and its
 *     age file's, against which the kept copy is checked as stored before anything is recorded;
 *   - each exhibit's objects as stored (its ingest envelope), and the objects purged before.
 *
 * An object another exhibit that stays needs (the same file, by its keyed path) stays. A
 * testimony's statement and attachments are exhibits that a field package carries and that the
 * receiver keeps in the package (accept.ts): acknowledged, they leave the laptop like any other,
 * as in purge.ts with a key; the witnesses' sealed identity records are no exhibit's object and
 * stay. The `purged` events are written as with a key, their objects' plaintext SHA-256 null (the
 * ingest event, sealed, names it).
 */
import {statSync} from 'node:fs'
import {join} from 'node:path'
import type {Case} from '../case/case.js'
import {CASE_FOLDER} from '../case/case.js'
import {CustodyError, given, said} from '../errors.js'
import type {PurgedObject} from '../formats/events.js'
import type {PublicFacts} from '../ledger/envelope.js'
import {plural} from '../render/text.js'
import type {Custodian} from './custodian.js'
import {TRANSFER} from './export.js'
import {receiverOf} from './released.js'
import {itemOf} from './field-export.js'
import {keptNames} from './incoming.js'
import {checkKeptAsStored, KeptReceiptProblem} from './kept-receipt.js'
import type {PurgeItem, PurgeReport} from './purge.js'

/** A receipt recorded for a field package, as its envelope's public facts give it. */
interface FieldAcknowledgement {
  seq: number
  transferId: string
  kept: string
  /** The SHA-256 of the kept receipt's age file, and of the receipt in clear. */
  stored: string
  inClear: string
  exhibits: readonly string[]
}

/** A `purged` envelope's facts: the exhibit, the objects removed, and (written since 2026-12-06) the transfer and receipt it stands on. */
export interface PurgedFacts {
  seq: number
  exhibit: string
  objects: string[]
  receipt?: {transferId: string; sha256: string; seq: number}
}

/** What the envelopes say of field releases, receipts and purges (purgeFactsOf). */
export interface PurgeFacts {
  /** Each field package's transfer ID, and the exhibits it released. */
  releases: Map<string, string[]>
  /** Every `transfer-acknowledged` envelope's facts, by its event's number. */
  acks: Map<number, PublicFacts>
  purged: PurgedFacts[]
}

const text = (value: unknown): value is string => typeof value === 'string'

/** What the public facts say, in one pass: the field releases' exhibits, the receipts, the purges. */
export function purgeFactsOf(kase: Case): PurgeFacts {
  const facts: PurgeFacts = {releases: new Map(), acks: new Map(), purged: []}
  for (const {seq, exhibit, facts: row} of kase.ledger.publicFacts()) {
    const {action, transferId, exhibits} = row
    if (action === 'field-transfer-released' && text(transferId) && Array.isArray(exhibits)) facts.releases.set(transferId, exhibits.filter(text))
    if (action === 'transfer-acknowledged') facts.acks.set(seq, row)
    if (action === 'purged' && exhibit !== null && Array.isArray(row.objects)) {
      const {receiptInClear, receiptEvent} = row
      const receipt = text(transferId) && text(receiptInClear) && typeof receiptEvent === 'number' ? {transferId, sha256: receiptInClear, seq: receiptEvent} : undefined
      facts.purged.push({seq, exhibit, objects: row.objects.filter(text), ...(receipt === undefined ? {} : {receipt})})
    }
  }

  return facts
}

/**
 * The receipts of the receiver `by` (their kept file filed under its case), each with what it
 * acknowledges, read with no key. A receipt this laptop cannot read so is said, not passed over.
 */
function acknowledgementsOf(by: Custodian, facts: PurgeFacts): FieldAcknowledgement[] {
  const found: FieldAcknowledgement[] = []
  for (const [seq, ack] of facts.acks) {
    const {transferId, kept, receipt, receiptInClear, acknowledged} = ack
    if (!text(transferId) || kept !== keptNames(by.case, transferId).receipt) continue
    const released = facts.releases.get(transferId)
    const locked = (why: string): CustodyError =>
      new CustodyError('CONTENT_LOCKED', said`the receipt of ${transferId} (event ${seq}) ${why}: give ${given(TRANSFER.identity)} to purge on its word`, {subject: `event ${seq}`})
    if (released === undefined) throw locked('acknowledges a package this case released sealed, whose release only a key opens')
    if (!text(receiptInClear) || !text(receipt)) throw locked('was recorded by an earlier custody, whose event says the receipt in clear only inside its sealed body')
    if (acknowledged !== 0 && acknowledged !== released.length) {
      throw new CustodyError('INTEGRITY', `event ${seq} says its receipt acknowledged ${String(acknowledged)} items of ${transferId}, which released ${plural(released.length, 'exhibit')}: a receipt for a field package acknowledges all of them or none. Nothing was purged; run \`custody verify\``, {
        subject: `event ${seq}`,
      })
    }

    found.push({seq, transferId, kept, stored: receipt, inClear: receiptInClear, exhibits: acknowledged === 0 ? [] : released})
  }

  return found
}

/**
 * Whether a purge for `by` in this case needs a key, read before the passphrase from the public
 * facts: in a sealed ledger, a receipt of theirs for a seal, or one whose envelope does not give
 * what a purge with no key reads (recorded by an earlier custody). The command then asks for
 * --identity before anything else (a field case's passphrase would open none of it).
 */
export function purgeNeedsKey(kase: Case, by: Custodian): boolean {
  if (kase.ledger.asStored() === undefined) return false
  try {
    acknowledgementsOf(by, purgeFactsOf(kase))
    return false
  } catch (error) {
    if (error instanceof CustodyError && error.code === 'CONTENT_LOCKED') return true
    throw error
  }
}

/** Each exhibit's own objects as stored, from its ingest envelope (one pass); an exhibit recorded in clear before `custody encrypt` lists none. */
export function objectsByExhibit(kase: Case): Map<string, PurgedObject[]> {
  const objects = new Map<string, PurgedObject[]>()
  for (const {seq, envelope} of kase.ledger.asStored()!.ingestEnvelopes()) {
    if (envelope.exhibit === null) continue
    const item = itemOf(envelope.exhibit, seq, envelope.public)
    if (item !== undefined) objects.set(envelope.exhibit, item.objects.map((o) => ({role: o.role === 'original' ? 'original' : 'metadata-record', sha256: null, vault: o.vault})))
  }

  return objects
}

const present = (kase: Case, vault: string): boolean => statSync(join(kase.dataDir, vault), {throwIfNoEntry: false}) !== undefined

/** The kept receipt, held as stored to the age file its event recorded, before anything is purged on its word. */
async function checkKept(kase: Case, ack: FieldAcknowledgement): Promise<void> {
  const where = `${CASE_FOLDER}/${ack.kept}`
  await checkKeptAsStored(kase.dataDir, ack.kept, ack.stored).catch((error: unknown) => {
    if (!(error instanceof KeptReceiptProblem)) throw error
    throw new CustodyError('INTEGRITY', `the receipt of ${ack.transferId} (${where}), which event ${ack.seq} recorded, ${error.why}: nothing was purged; run \`custody verify\``, {subject: where})
  })
}

/** purge.ts's step 1 with no key: what to purge for the receiver `by`, and what earlier runs left. */
export async function planFieldPurge(kase: Case, by: Custodian): Promise<PurgeReport> {
  // Nothing leaves on the word of envelopes changed since the case's key signed them (their public facts are all this reads).
  kase.ledger.assertSignedContent()
  const facts = purgeFactsOf(kase)
  const purgedBefore = new Map(facts.purged.map((p) => [p.exhibit, p]))
  const acknowledged = new Map<string, FieldAcknowledgement>()
  const acks = acknowledgementsOf(by, facts)
  for (const ack of acks) for (const exhibit of ack.exhibits) if (!acknowledged.has(exhibit)) acknowledged.set(exhibit, ack)
  const report: PurgeReport = {by: receiverOf(by), nothingAcknowledged: acknowledged.size === 0, purged: [], finished: [], alreadyPurged: 0, dryRun: true, removed: 0}
  const objects = objectsByExhibit(kase)
  const ackSeqs = new Set(acks.map((a) => a.seq))
  for (const [exhibit, purged] of purgedBefore) {
    const ack = acknowledged.get(exhibit)
    if (purged.receipt === undefined ? ack === undefined : !ackSeqs.has(purged.receipt.seq)) continue
    const left = purged.objects.filter((vault) => present(kase, vault))
    if (left.length === 0) {
      report.alreadyPurged++
      continue
    }

    const own = objects.get(exhibit) ?? []
    const {transferId, sha256, seq} = purged.receipt ?? {transferId: ack!.transferId, sha256: ack!.inClear, seq: ack!.seq}
    report.finished.push({exhibit, transferId, receipt: {sha256, seq}, objects: left.map((vault) => own.find((o) => o.vault === vault) ?? {role: 'original', sha256: null, vault}), kept: [], seq: purged.seq})
  }

  const needed = new Map<string, string>()
  for (const [exhibit, own] of objects) if (!acknowledged.has(exhibit) && !purgedBefore.has(exhibit)) for (const o of own) needed.set(o.vault, exhibit)
  const checked = new Set<number>()
  for (const [exhibit, ack] of acknowledged) {
    const own = objects.get(exhibit)
    if (purgedBefore.has(exhibit) || own === undefined) continue
    if (!checked.has(ack.seq)) await checkKept(kase, ack)
    checked.add(ack.seq)
    const item: PurgeItem = {exhibit, transferId: ack.transferId, receipt: {sha256: ack.inClear, seq: ack.seq}, objects: own.filter((o) => !needed.has(o.vault)), kept: []}
    item.kept = own.filter((o) => needed.has(o.vault)).map((o) => ({...o, neededBy: needed.get(o.vault)!}))
    report.purged.push(item)
  }

  return report
}
