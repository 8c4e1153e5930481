/**
 * Check 12 of `custody verify ARCHIVE`, transfer: a transfer package's statement
 * (data/custody/transfer.json, src/transfers/transfer-statement.ts) is the one the signed seal
 * statement names (its SHA-256), it is signed by the archive's key (transfer.json.sig, with the key
 * the signatures check found to be the checkpoint's), it reads strictly (its custodians as
 * `key show --public` writes them), it is released by this case with that key, it names this seal
 * and its tree head, its items are the archive's exhibits with the digests and sizes the seal
 * statement states, and a consistency proof from the receiver's last receipt, when it names one,
 * leads to the sealed tree head.
 *
 * An archive that is no transfer has no `transfer` in its statement: nothing to check (a transfer
 * file it holds anyway is found by the contents check, as no file the statement names).
 */
import {hexToBytes} from '@noble/hashes/utils.js'
import {isRecord} from '../../formats/guards.js'
import {verifySignature} from '../../keys/signing-key.js'
import {verifyConsistency} from '../../merkle/verify.js'
import {STATEMENT_PATH, TRANSFER_CONSISTENCY_PATH, TRANSFER_PATH, TRANSFER_SIGNATURE_PATH} from '../../seal/bag-layout.js'
import {custodianFingerprint, describeParty} from '../../transfers/custodian.js'
import {readTransferConsistency, readTransferStatement, type TransferStatement} from '../../transfers/transfer-statement.js'
import {messageOf} from '../../errors.js'
import type {Check, Finding} from '../checklist.js'
import type {ProblemList} from '../problem-list.js'
import {concluded, findings, type ArchiveContext, type ArchiveTransfer} from './context.js'
import {bagFile, statedCaseId} from './trust.js'

/** transfer.json: present, the file the seal statement names, signed by the archive's key, and readable. */
async function readSigned(context: ArchiveContext, found: ProblemList<Finding>): Promise<TransferStatement | undefined> {
  const stated = context.statement.transfer
  const file = context.files.get(TRANSFER_PATH)
  const bytes = await bagFile(context, TRANSFER_PATH)
  if (file === undefined || bytes === undefined) {
    found.push({subject: TRANSFER_PATH, message: file === undefined ? 'is missing from the bag' : 'cannot be read (larger than any genuine one?)'})
    return undefined
  }

  const statedSha256 = isRecord(stated) ? stated.sha256 : undefined
  if (file.sha256 !== statedSha256) found.push({subject: TRANSFER_PATH, message: 'is not the transfer statement the seal statement names', expected: String(statedSha256), actual: file.sha256})
  const signature = await bagFile(context, TRANSFER_SIGNATURE_PATH)
  const key = context.signingKey.key
  if (signature === undefined) found.push({subject: TRANSFER_SIGNATURE_PATH, message: 'is missing from the bag'})
  else if (key === undefined) found.push({subject: TRANSFER_PATH, message: 'its signature cannot be checked: the archive has no recorded signing key'})
  else if (!verifySignature(key.spki, bytes, signature)) {
    found.push({subject: TRANSFER_PATH, message: `its signature transfer.json.sig does not verify with ${key.fingerprint}, the key of checkpoint.json: the transfer statement or its signature was altered`})
  }

  const read = readTransferStatement(bytes)
  if ('problem' in read) {
    found.push({subject: TRANSFER_PATH, message: `is not a transfer statement: ${read.problem}`})
    return undefined
  }

  return read
}

/** Who released it, which seal and tree head: this archive's. */
function checkSender(context: ArchiveContext, t: TransferStatement, found: ProblemList<Finding>): void {
  const push = (message: string, expected: string, actual: string): void => void found.push({subject: TRANSFER_PATH, message, expected, actual})
  const key = context.signingKey.key
  if (t.from.case !== statedCaseId(context)) push('its sender is not the case the archive is of', statedCaseId(context), t.from.case)
  if (key !== undefined && custodianFingerprint(t.from) !== key.fingerprint) push("its sender's key is not the archive's signing key", key.fingerprint, custodianFingerprint(t.from))
  if (t.sealId !== context.sealId) push('names another seal than this archive', String(context.sealId), t.sealId)
  const head = context.treeHead
  if (t.archiveTree.size !== head.size || t.archiveTree.root !== head.root) push('names another tree head than the sealed one', `${head.size} ${head.root}`, `${t.archiveTree.size} ${t.archiveTree.root}`)
  if (t.releasedAt !== context.statement.sealedAt) push('is released at another time than the archive was sealed', String(context.statement.sealedAt), t.releasedAt)
  if (t.to.case === t.from.case) found.push({subject: TRANSFER_PATH, message: 'its receiver is its sender'})
}

/** Its items: the archive's exhibits, each once, with the digests and size the seal statement states. */
function checkItems(context: ArchiveContext, t: TransferStatement, found: ProblemList<Finding>): void {
  const seen = new Set<string>()
  for (const item of t.items) {
    const subject = `${TRANSFER_PATH} item ${item.exhibit}`
    if (seen.has(item.exhibit)) found.push({subject, message: 'is listed twice'})
    seen.add(item.exhibit)
    const stated = context.files.statedDigests(item.exhibit)
    if (stated === undefined) {
      found.push({subject, message: 'is not an exhibit of the archive'})
      continue
    }

    const actual = `${item.sha256} ${item.sha512} ${item.size}`
    const expected = `${stated.sha256} ${stated.sha512} ${String(stated.size)}`
    if (actual !== expected) found.push({subject, message: 'states other digests or size than the seal statement', expected, actual})
  }

  if (seen.size !== context.exhibitCount) {
    found.push({subject: TRANSFER_PATH, message: 'does not list every exhibit of the archive', expected: `${context.exhibitCount} items`, actual: `${seen.size} items`})
  }
}

/** transfer-consistency.json: present exactly when the statement names an acknowledged head, and a proof from it to the sealed head. */
async function checkConsistency(context: ArchiveContext, t: TransferStatement, found: ProblemList<Finding>): Promise<void> {
  const stated = isRecord(context.statement.transfer) ? context.statement.transfer.consistency : undefined
  if (t.acknowledged === null) {
    if (stated !== null) found.push({subject: STATEMENT_PATH, message: 'names a transfer consistency proof, but the transfer statement names no acknowledged tree head'})
    return
  }

  const bytes = await bagFile(context, TRANSFER_CONSISTENCY_PATH)
  if (stated !== TRANSFER_CONSISTENCY_PATH || bytes === undefined) {
    found.push({subject: TRANSFER_CONSISTENCY_PATH, message: 'is missing: the transfer names an acknowledged tree head, and nothing proves the sealed tree grew from it'})
    return
  }

  const proof = readTransferConsistency(bytes)
  const head = context.treeHead
  if ('problem' in proof) return void found.push({subject: TRANSFER_CONSISTENCY_PATH, message: `is not a consistency proof: ${proof.problem}`})
  if (proof.from.treeSize !== t.acknowledged.size || proof.from.rootHash !== t.acknowledged.root || proof.to.treeSize !== head.size || proof.to.rootHash !== head.root) {
    found.push({subject: TRANSFER_CONSISTENCY_PATH, message: 'does not lead from the acknowledged tree head to the sealed one'})
    return
  }

  try {
    verifyConsistency(proof.from.treeSize, proof.to.treeSize, hexToBytes(proof.from.rootHash), hexToBytes(proof.to.rootHash), proof.proof.map((h) => hexToBytes(h)))
  } catch (error) {
    found.push({subject: TRANSFER_CONSISTENCY_PATH, message: `does not prove the acknowledged tree a prefix of the sealed one: ${messageOf(error)}`})
  }
}

/** The transfer as the report names it. */
function described(t: TransferStatement): ArchiveTransfer {
  const who = (c: TransferStatement['from']): ArchiveTransfer['from'] => ({case: c.case, name: c.name, organisation: c.organisation, fingerprint: custodianFingerprint(c)})
  return {transferId: t.transferId, from: who(t.from), to: who(t.to), releasedAt: t.releasedAt, purpose: t.purpose, items: t.items.length, acknowledged: t.acknowledged}
}

export const transferCheck: Check<ArchiveContext> = {
  name: 'transfer',
  async run(context) {
    if (!('transfer' in context.statement)) return {status: 'ok', detail: 'none: a seal, not a transfer package', problems: []}
    const found = findings()
    const t = await readSigned(context, found)
    if (t !== undefined) {
      checkSender(context, t, found)
      checkItems(context, t, found)
      await checkConsistency(context, t, found)
    }

    if (found.length > 0 || t === undefined) return concluded(context, found, 'the transfer statement does not hold')
    context.transfer = described(t)
    const why = t.purpose === null ? '' : `, purpose: ${t.purpose}`
    return concluded(context, found, `${t.transferId} from ${describeParty(context.transfer.from, ' ')} to ${describeParty(context.transfer.to, ' ')}, released ${t.releasedAt}${why}; ${t.items.length} items, the archive's exhibits`)
  },
}
