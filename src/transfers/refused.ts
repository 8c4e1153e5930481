/**
 * A refused package's receipt (issue 20, docs/design/transfers.md "A refused package"): HQ
 * accepts a package whole or not at all, and when it refuses one only because items in it failed,
 * it still answers the sender, who would otherwise learn nothing, with a signed receipt whose
 * condition names each failed item and why, every item `receivedAs: null` (nothing imported).
 *
 * Only a package whose every problem is an item's: opened with this case's keys, its checkpoint
 * and transfer statement signed by a sender this case accepts, sent to this case, its sender's
 * heads holding (accept.ts checks those). An item's problem is one the archive verifier found in
 * an exhibit's own files (data/exhibits/<ID>/, where the statement check holds each exhibit's
 * files) or of the exhibit as the signed statement states it; the Payload-Oxum of bag-info.txt
 * differing follows from an original changed in size, and is the one other problem allowed. Any
 * other problem (an event, a signature, a manifest itself, a tag file) leaves nothing to trust:
 * refused as before, no receipt.
 *
 * The receipt is kept under .custody/custodians/<sender case>/<transfer ID>.receipt (the package
 * is not kept: nothing of it was taken in), and `transfer-refused` records it, so that the same
 * package, or another of the same transfer, gets the same receipt again and nothing new is
 * recorded: one answer per transfer, at both ends.
 */
import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'
import type {AgeIdentity} from '../age/x25519.js'
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import type {EarlierPackage, EventOfKind, FailedItemRecord} from '../formats/events.js'
import {identityNeeded} from '../vault/sealed-objects.js'
import type {ArchiveContext} from '../verify/archive/context.js'
import type {ArchiveReport} from '../verify/verify-archive.js'
import {custodianOf} from './custodian.js'
import {arrivalOf, keptNames, type Arrival} from './incoming.js'
import {KeptReceiptProblem, readKeptReceipt, writeKeptReceipt} from './kept-receipt.js'
import {signReceipt, type SignedReceipt} from './receipt.js'
import type {TransferStatement} from './transfer-statement.js'
import {packagePathOf, type FieldTransferStatement} from './field-statement.js'

/** What accept hands over for a refused package: the verifier's verdict, the statement and checkpoint it verified, the failed items. */
export interface RefusedPackage {
  report: ArchiveReport
  /** The transfer as the receiver reads it: a seal's statement, or a field package's arrival (its items' digests from the opened ingest events). */
  statement: Arrival
  /** The sender's tree head the package's checkpoint signs (a field package's statement states it as `tree`). */
  treeHead: {size: number; root: string}
  checkpoint: string
  failed: FailedItemRecord[]
  /** The earlier packages of its sender's it proves (transfer-refused's `earlier`, as transfer-received's). */
  earlier: EarlierPackage[]
}

/** The checks whose problems can be an item's, and the most said of one item in a receipt. */
const ITEM_CHECKS = new Set(['zip', 'manifests', 'statement'])
const MAX_PROBLEM = 4000
/** A field package's checks that can find an item's problem (field-package.ts). */
const FIELD_ITEM_CHECKS = new Set(['manifests', 'transfer', 'objects'])

/** Which item a problem is of (its subject as in the bag), or undefined when it is no item's. */
type ItemOf = (problem: ArchiveReport['problems'][number], subject: string) => string | undefined

/**
 * The items that failed, each with its problems in words, when every problem of the report is an
 * item's (`itemOf`) or the Payload-Oxum that an item changed in size changes (`oxum`); undefined
 * when any is not, or when the report lists only the first of them.
 */
function itemFailures(context: ArchiveContext, report: ArchiveReport, items: ReadonlyArray<{exhibit: string}>, itemOf: ItemOf, oxum: (problem: ArchiveReport['problems'][number]) => boolean): FailedItemRecord[] | undefined {
  if (report.ok || report.problemCount > report.problems.length || report.treeHead === null) return undefined
  const bagPrefix = context.bag === undefined ? undefined : `${context.bag}/`
  const said = new Map<string, string[]>()
  for (const p of report.problems) {
    const subject = bagPrefix !== undefined && p.subject.startsWith(bagPrefix) ? p.subject.slice(bagPrefix.length) : p.subject
    const id = itemOf(p, subject)
    if (id !== undefined) {
      const words = subject === id ? p.message : `${subject}: ${p.message}`
      said.set(id, [...(said.get(id) ?? []), words])
      continue
    }

    if (!oxum(p)) return undefined
  }

  // A Payload-Oxum differing with no item's problem: not an item's.
  if (said.size === 0) return undefined
  return items
    .filter((i) => said.has(i.exhibit))
    .map((i) => {
      const problem = [...new Set(said.get(i.exhibit))].join('; ')
      return {exhibit: i.exhibit, problem: problem.length > MAX_PROBLEM ? `${problem.slice(0, MAX_PROBLEM - 1)}…` : problem}
    })
}

/**
 * A seal's items that failed: a problem is an item's when the zip, manifests or statement check
 * found it in the exhibit's own files (data/exhibits/<ID>/) or of the exhibit as stated.
 */
export function failedItems(context: ArchiveContext, report: ArchiveReport, statement: TransferStatement): FailedItemRecord[] | undefined {
  // The transfer check held (`transfer`), so no check halted before it: the signatures check ran, and a problem of it would be listed.
  if (report.transfer === null) return undefined
  const ids = new Set(statement.items.map((i) => i.exhibit))
  const itemOf: ItemOf = (p, subject) => {
    if (!ITEM_CHECKS.has(p.check)) return undefined
    const folder = /^data\/exhibits\/([^/]+)\//.exec(subject)?.[1]
    return ids.has(subject) ? subject : folder !== undefined && ids.has(folder) ? folder : undefined
  }

  // An original changed in size changes the payload's: bag-info.txt's Payload-Oxum, and the line of it the statement makes, differ.
  const oxum = (p: ArchiveReport['problems'][number]): boolean =>
    p.subject === 'bag-info.txt' && ((p.check === 'oxum' && p.message === 'Payload-Oxum does not match the payload') || (p.check === 'contents' && p.expected?.startsWith('Payload-Oxum: ') === true && p.actual?.startsWith('Payload-Oxum: ') === true))
  return itemFailures(context, report, statement.items, itemOf, oxum)
}

/**
 * A field package's items that failed: a problem is an item's when the objects or transfer check
 * found it of the exhibit (an object that does not decrypt, is not what its ingest event records,
 * or is not the file transfer.json states), or the manifests check of one of its objects' files
 * (data/objects/…); its Payload-Oxum follows an object changed in size. Every row, signature and statement held, or another problem is listed.
 */
export function failedFieldItems(context: ArchiveContext, report: ArchiveReport, statement: FieldTransferStatement): FailedItemRecord[] | undefined {
  // Every check ran (none halted), and all but those that find an item's problems held: a check
  // that fails with no problem listed (the ledger's, "not checked") leaves nothing to trust.
  const ran = new Map(report.checks.map((c) => [c.name, c.ok]))
  if (!ran.has('ledger') || !ran.has('objects') || [...ran].some(([name, ok]) => !ok && !FIELD_ITEM_CHECKS.has(name))) return undefined
  const ids = new Set(statement.items.map((i) => i.exhibit))
  const byFile = new Map(statement.items.flatMap((i) => i.objects.map((o) => [packagePathOf(o.vault), i.exhibit] as const)))
  const itemOf: ItemOf = (p, subject) => ((p.check === 'objects' || p.check === 'transfer') && ids.has(subject) ? subject : p.check === 'manifests' ? byFile.get(subject) : undefined)
  const oxum = (p: ArchiveReport['problems'][number]): boolean => p.subject === 'bag-info.txt' && p.check === 'manifests' && p.message === 'its Payload-Oxum is not the payload'
  return itemFailures(context, report, statement.items, itemOf, oxum)
}

/** The `transfer-refused` event of this package (by its SHA-256) or of its transfer, if any. */
export function refusedBefore(kase: Case, sha256: string, transferId?: string): EventOfKind<'transfer-refused'> | undefined {
  return kase.ledger.eventsOfKind('transfer-refused').find(({event}) => event.payload.package.sha256 === sha256 || event.payload.transferId === transferId)?.event
}

/** Where the receipt goes beside the package, and how accept writes it (its own rules for a file in the way). */
export interface ReceiptGiving {
  paths: {file: string; signature: string}
  give: (signed: SignedReceipt, paths: {file: string; signature: string}) => Promise<void>
}

/** What a refusal says: `again` when refused before, of this very package (`same`) or of another of its transfer. */
function refusal(file: string, event: EventOfKind<'transfer-refused'>, paths: {file: string; signature: string}, report: ArchiveReport | undefined, again?: {same: boolean}): CustodyError {
  const {failed, transferId} = event.payload
  const items = failed.map((f) => f.exhibit).join(', ')
  const before = again?.same === false ? `${file} is of ${transferId}, which this case refused before (ledger event #${event.seq}): ${items} did not verify in the package it received` : `${file} was refused before (${transferId}, ledger event #${event.seq}): ${items} did not verify`
  const head = again
    ? `${before}; nothing was accepted. Its receipt was given again: ${paths.file} and ${paths.signature}`
    : `${file} does not verify as a transfer package; nothing was accepted. A receipt refusing it, naming the items that failed (${items}), was signed for the sender: ${paths.file} and ${paths.signature} (ledger event #${event.seq})`
  const next = '. Give both to the sender: those items stay in their case and go in their next export'
  const problems = report === undefined ? failed.slice(0, 5).map((f) => `\n  ${f.exhibit}: ${f.problem}`) : report.problems.slice(0, 5).map((p) => `\n  ${p.subject}: ${p.message}`)
  const count = report === undefined ? failed.length : report.problemCount
  const more = count > 5 ? `\n  and ${count - 5} more` : ''
  const receipt = {transferId, file: paths.file, signature: paths.signature, seq: event.seq, failed: failed.map((f) => f.exhibit)}
  return new CustodyError('INTEGRITY', `${head}${next}:${problems.join('')}${more}`, {subject: file, receipt})
}

/**
 * Signs the refused package's receipt, keeps it, records `transfer-refused`, gives the receipt
 * beside the package, and throws the refusal (INTEGRITY), which names the receipt. `copy` is the
 * package as checked; `said` turns the verifier's subjects (the copy's path) into the package's.
 */
export async function refusePackage(kase: Case, file: string, refused: RefusedPackage, copy: {sha256: string; size: number}, giving: ReceiptGiving, actor: string | undefined, said: (text: string) => string): Promise<never> {
  const {statement, report, checkpoint, failed, treeHead} = refused
  const kept = keptNames(statement.from.case, statement.transferId)
  const signed = signReceipt(kase.signer(), {
    transferId: statement.transferId,
    packageSha256: copy.sha256,
    receivedBy: custodianOf(kase),
    receivedAt: new Date().toISOString(),
    condition: {failed},
    items: statement.items.map((i) => ({exhibit: i.exhibit, sha256: i.sha256, sha512: i.sha512, size: i.size, receivedAs: null})),
    senderCheckpoint: checkpoint,
  })
  await mkdir(join(kase.dataDir, kept.folder), {recursive: true, mode: 0o700})
  // Kept as an accepted package's receipt is: an age file to the case's recipients in an encrypted case (kept-receipt.ts).
  const recorded = await writeKeptReceipt(kase, kept.receipt, signed)
  const {events} = kase.ledger.append(() => ({
    drafts: [
      {
        actor: actor?.trim() || kase.info.investigator,
        action: 'transfer-refused',
        exhibit: null,
        payload: {
          ...arrivalOf(statement, file, copy),
          sealId: statement.sealId,
          treeHead,
          failed,
          receipt: {...recorded, kept: kept.receipt},
          ...(refused.earlier.length === 0 ? {} : {earlier: refused.earlier}),
        },
      },
    ],
    result: undefined,
  }))
  await kase.recordHead()
  await giving.give(signed, giving.paths)
  const shown = {...report, problems: report.problems.map((p) => ({...p, subject: said(p.subject), message: said(p.message)}))}
  throw refusal(file, events[0]!.event as EventOfKind<'transfer-refused'>, giving.paths, shown)
}

/** A package refused before (the same bytes, or the same transfer): its kept receipt given again, nothing recorded, and refused again. */
export async function refuseAgain(kase: Case, file: string, event: EventOfKind<'transfer-refused'>, giving: ReceiptGiving, sha256: string, identities: readonly AgeIdentity[]): Promise<never> {
  const kept = event.payload.receipt.kept
  const read = await readKeptReceipt(kase.dataDir, kept, event.payload.receipt, identities).catch((error: unknown) => {
    if (!(error instanceof KeptReceiptProblem)) throw error
    throw new CustodyError('INTEGRITY', `the kept receipt .custody/${kept} of ${event.payload.transferId} (refused), which event ${event.seq} records, ${error.why}; run custody verify`, {subject: kept})
  })
  if (!('body' in read)) throw identityNeeded(join(kase.dataDir, kept))
  const signed = {body: read.body.toString('utf8'), signature: read.signature.toString('hex')}

  await giving.give(signed, giving.paths)
  throw refusal(file, event, giving.paths, undefined, {same: event.payload.package.sha256 === sha256})
}
