/**
 * `custody transfer export` (docs/design/transfers.md "Export (field side)"): a transfer package
 * for another custodian. It is a seal (src/seal/seal.ts), encrypted to the receiver's age
 * recipient and with the transfer's files attached (a SealAttachment): the seal's own choice,
 * proofs, record-then-publish and `seal --finish` serve it unchanged. So:
 *
 *   1. choose   the exhibits named, or every exhibit never released to that receiver (with
 *               `again`: every one it has not acknowledged); none: nothing is made or recorded
 *   2. seal     them, purpose "transfer to <receiver>", encrypted to the receiver alone, with
 *               transfer.json (signed, transfer-statement.ts) and, after a receipt,
 *               transfer-consistency.json under data/custody/, before the manifests that cover them
 *   3. record   `transfer-released` (receiver, transfer ID, seal ID, the package's SHA-256, the
 *               items) in the seal's own append, so that no package is published without it
 *
 * A receiver is its case ID: another line of the same case (its key rotated) is the same receiver.
 */
import {createHash} from 'node:crypto'
import {basename} from 'node:path'
import type {Case} from '../case/case.js'
import {checkDestination} from '../io/files.js'
import {CustodyError, fields, said} from '../errors.js'
import {MAX_TRANSFER_ITEMS, type CustodyEventDraft, type TransferItem} from '../formats/events.js'
import {parseRecipient} from '../age/x25519.js'
import {TRANSFER_CONSISTENCY_PATH, TRANSFER_PATH, TRANSFER_SIGNATURE_PATH, type TransferFiles} from '../seal/bag-layout.js'
import {sealArchive, type AttachedSeal, type SealAttachment, type SealOptions, type SealReport} from '../seal/seal.js'
import {purgedExhibits} from '../exhibits/exhibits.js'
import {sealedExhibit} from '../seal/statement.js'
import {selectByConsent} from '../testimony/consent-filter.js'
import {custodianLine, custodianOf, describeCustodian, type Custodian} from './custodian.js'
import {acknowledgedBy, receiverOf, releasedTo, type Receiver} from './released.js'
import {consistencyBytes, transferBytes, transferIdOf, type TransferStatement, type TreeHead} from './transfer-statement.js'
import {rotationProofs, type RotationProof} from './rotations.js'

/** The fields a transfer's errors name (the command maps them to its flags). */
export const TRANSFER = fields({to: 'the receiver', out: 'output file', again: 'the option to send again', exhibits: 'the exhibits named', identity: "an identity of one of the case's recipients"})

export interface ExportOptions extends Omit<SealOptions, 'exhibits' | 'purpose' | 'note' | 'encryptTo' | 'attach'> {
  to: Custodian
  /** Exhibits named (IDs, numbers or witness codes); none: the receiver's unreleased ones. */
  exhibits: readonly string[]
  /** With none named: every exhibit the receiver has not acknowledged, released before or not. */
  again?: boolean
  /** Why, in the sender's words (transfer.json's purpose, the seal's note). */
  purpose?: string | undefined
}

export interface TransferReport {
  transferId: string
  to: Receiver
  sealId: string
  /** The `transfer-released` event's number in the ledger. */
  seq: number
  /** The package: the age file delivered, its SHA-256 and size. */
  package: {file: string; sha256: string; size: number}
  items: TransferItem[]
  acknowledged: TreeHead | null
  /** With none named, exhibits not yet released that did not fit in this package (MAX_TRANSFER_ITEMS): export again. */
  remaining: number
  /** With none named, exhibits of testimony, which a transfer does not carry (testimonyExhibits()). */
  testimony: number
  /** With none named, exhibits left out because they were purged (`custody transfer purge`). */
  purged: number
  seal: SealReport
}

/** Nothing new for that receiver: nothing was made or recorded. */
export interface NothingNew {
  nothingNew: true
  to: TransferReport['to']
  /** Exhibits released to it and not acknowledged (sent again with `again`). */
  unacknowledged: number
  /** Exhibits of testimony, which a transfer does not carry. */
  testimony: number
  /** Exhibits left out because they were purged. */
  purged: number
}

/** What a receiver must be to be sent to: another case, with an age recipient. Checked before anything is asked. */
export function checkReceiver(kase: Case, to: Custodian): void {
  refuseFieldReceiver(to)
  if (to.case === kase.info.caseId) throw new CustodyError('INVALID_ARGUMENT', said`${TRANSFER.to} is this case itself; give the identity of the custodian the evidence goes to`, {subject: to.case})
}

/** A field case's identity has no age recipient: nothing can be sent to it. */
export function refuseFieldReceiver(to: Custodian): void {
  if (to.age === null) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      said`${TRANSFER.to} ${describeCustodian(to)} is a field case: it has no age recipient, so nothing can be encrypted to it. Send to HQ's identity (\`custody key show --public\` in HQ's case)`,
      {subject: to.case},
    )
  }
}

/** Step 1: the exhibits to send, or none new. Named ones go as named (the seal resolves and checks them). */
function chooseItems(kase: Case, options: ExportOptions): {exhibits: string[]; remaining: number; testimony: number; purged: number} | NothingNew {
  if (options.exhibits.length > MAX_TRANSFER_ITEMS) {
    throw new CustodyError('INVALID_ARGUMENT', said`${options.exhibits.length} ${TRANSFER.exhibits}: a package carries at most ${MAX_TRANSFER_ITEMS}; send the rest in another`)
  }

  if (options.exhibits.length > 0) return {exhibits: [...options.exhibits], remaining: 0, testimony: 0, purged: 0}
  const {to} = options
  const acknowledged = acknowledgedBy(kase, to.case).exhibits
  const released = releasedTo(kase, to.case)
  const skip = options.again === true ? acknowledged : new Set([...acknowledged, ...released])
  const testimony = testimonyExhibits(kase)
  // Purged after another receiver acknowledged them: their objects are gone from this case.
  const purged = purgedExhibits(kase)
  const exhibits: string[] = []
  let remaining = 0
  let purgedOut = 0
  for (const id of kase.ledger.eachExhibitId()) {
    if (skip.has(id) || testimony.has(id)) continue
    if (purged.has(id)) {
      purgedOut++
      continue
    }

    if (exhibits.length < MAX_TRANSFER_ITEMS) exhibits.push(id)
    else remaining++
  }

  if (exhibits.length > 0) return {exhibits, remaining, testimony: testimony.size, purged: purgedOut}
  return {nothingNew: true, to: receiverOf(to), unacknowledged: [...released].filter((x) => !acknowledged.has(x)).length, testimony: testimony.size, purged: purgedOut}
}

/**
 * The exhibits of testimony (statements, their versions and attachments): a witness consents to
 * uses (court, advocacy...), and a hand-over is none of them, so the seal would leave them out
 * (consent-filter.ts). They are not chosen by default; named, the seal refuses them.
 */
function testimonyExhibits(kase: Case): Set<string> {
  const none = {add: (): void => undefined, has: (): boolean => false}
  return new Set(selectByConsent(kase, 'all', null, none).leftOut.map((l) => l.exhibit))
}

/**
 * The ZIP the seal writes, then encrypts to the package: --out without its .age (given a .zip, the
 * package is it with .age added). The package's folder is checked here, so that a refusal names
 * --out as given (the seal would name the .zip).
 */
export function packageOut(out: string): string {
  const lower = out.toLowerCase()
  const zip = lower.endsWith('.zip.age') ? out.slice(0, -'.age'.length) : lower.endsWith('.zip') ? out : undefined
  if (zip === undefined) throw new CustodyError('INVALID_ARGUMENT', said`${TRANSFER.out} must name a .zip.age file (the package: a ZIP encrypted with age), got ${JSON.stringify(out)}`)
  checkDestination(`${zip}.age`, TRANSFER.out)
  return zip
}

/** Step 2's attachment: transfer.json, its signature and the consistency proof, then step 3's event. */
class TransferAttachment implements SealAttachment {
  statement: TransferStatement | undefined

  constructor(
    private readonly kase: Case,
    private readonly options: ExportOptions & {sealer: string},
  ) {}

  describe(seal: AttachedSeal): {files: Array<[string, Buffer]>; stated: TransferFiles} {
    const {kase, options} = this
    const {to} = options
    const acknowledged = acknowledgedBy(kase, to.case).head
    const items = [...seal.exhibits()].map((id) => {
      const x = sealedExhibit(kase, id)
      return {exhibit: id, sha256: x.sha256, sha512: x.sha512, size: x.size}
    })
    const statement: TransferStatement = {
      type: 'custody-transfer/v1',
      transferId: transferIdOf(seal.sealId, to),
      from: custodianOf(kase),
      to,
      releasedAt: seal.sealedAt.toISOString(),
      purpose: options.purpose?.trim() || null,
      sealId: seal.sealId,
      archiveTree: seal.treeHead,
      acknowledged,
      items,
      ...this.rotations(seal),
    }
    this.statement = statement
    const bytes = transferBytes(statement)
    const files: Array<[string, Buffer]> = [
      [TRANSFER_PATH, bytes],
      [TRANSFER_SIGNATURE_PATH, kase.signer().sign(bytes)],
    ]
    if (acknowledged !== null) {
      const proof = seal.consistencyFrom(acknowledged)
      files.push([TRANSFER_CONSISTENCY_PATH, consistencyBytes({from: {treeSize: acknowledged.size, rootHash: acknowledged.root}, to: {treeSize: seal.treeHead.size, rootHash: seal.treeHead.root}, proof})])
    }

    const sha256 = createHash('sha256').update(bytes).digest('hex')
    return {files, stated: {path: TRANSFER_PATH, signature: TRANSFER_SIGNATURE_PATH, sha256, consistency: acknowledged === null ? null : TRANSFER_CONSISTENCY_PATH}}
  }

  /** The proofs of the sender's key rotations (rotations.ts), when it has any: a receiver that knows an earlier key follows them. */
  private rotations(seal: AttachedSeal): {rotations?: RotationProof[]} {
    const {ledger} = this.kase
    // From a ledger that keeps its event bodies encrypted, each with its envelope and salt: the chain is over the envelope.
    const rotations = ledger.eventsOfKind('key-rotated').map((r) => {
      const row = ledger.rowsBelow(r.event.seq + 1, r.event.seq - 1).next().value
      return {...r, envelope: row?.envelope, salt: row?.salt}
    })
    if (rotations.length === 0) return {}
    const proofs = rotationProofs({rotations, checkpoints: ledger.checkpoints(), treeHead: seal.treeHead, consistencyFrom: seal.consistencyFrom})
    return proofs.length === 0 ? {} : {rotations: proofs}
  }

  events(written: Parameters<SealAttachment['events']>[0]): CustodyEventDraft[] {
    const s = this.statement!
    const delivered = written.encrypted ?? written.archive
    return [
      {
        actor: this.options.sealer,
        action: 'transfer-released',
        exhibit: null,
        payload: {
          transferId: s.transferId,
          sealId: s.sealId,
          to: custodianLine(s.to),
          package: {name: basename(written.delivered), sha256: delivered.sha256, size: delivered.size},
          purpose: s.purpose,
          acknowledged: s.acknowledged,
          items: s.items,
        },
      },
    ]
  }
}

/**
 * Makes the transfer package for `options.to`, or says there is nothing new for it (nothing is
 * then made or recorded). The seal's checks and record-then-publish apply as to any seal.
 */
export async function exportTransfer(kase: Case, options: ExportOptions): Promise<TransferReport | NothingNew> {
  checkReceiver(kase, options.to)
  const chosen = chooseItems(kase, options)
  if ('nothingNew' in chosen) return chosen
  const sealer = options.actor?.trim() || kase.info.investigator
  const attachment = new TransferAttachment(kase, {...options, sealer})
  const seal = await sealArchive(kase, {
    ...options,
    out: packageOut(options.out),
    exhibits: chosen.exhibits,
    purpose: `transfer to ${options.to.name}`,
    note: options.purpose,
    encryptTo: [parseRecipient(options.to.age!, 'the receiver\'s age recipient')],
    attach: attachment,
  })
  const statement = attachment.statement!
  const delivered = seal.encrypted!
  return {
    transferId: statement.transferId,
    to: receiverOf(options.to),
    sealId: statement.sealId,
    seq: kase.ledger.eventsOfKind('transfer-released').at(-1)!.event.seq,
    package: {file: delivered.file, sha256: delivered.sha256, size: delivered.size},
    items: statement.items,
    acknowledged: statement.acknowledged,
    remaining: chosen.remaining,
    testimony: chosen.testimony,
    purged: chosen.purged,
    seal,
  }
}
