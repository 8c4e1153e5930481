/**
 * The transfer statement (docs/design/transfers.md "Reuse, not a second format"): what a transfer
 * package says beyond the sealed archive it is, in `data/custody/transfer.json`, signed by the
 * sender as `transfer.json.sig` (the raw 64-byte Ed25519 signature, as checkpoint.json.sig is, so
 * that `openssl pkeyutl -verify -rawin` checks it against the bag's investigator.pem):
 *
 *     {"type": "custody-transfer/v1", "transferId", "from": <custodian>, "to": <custodian>,
 *      "releasedAt", "purpose", "sealId", "archiveTree": {"size", "root"},
 *      "acknowledged": {"size", "root"} | null, "items": [{"exhibit", "sha256", "sha512", "size"}],
 *      "rotations": [{"event", "checkpoint", "signature", "proof"}] (only when the key was rotated)}
 *
 * as RFC 8785 canonical JSON, no newline after it: released by whom (the custodian identity, as
 * `key show --public` gives it), to whom, when, why, in which seal at which tree head, and each
 * item with the digests the sender's ledger records. `acknowledged` is the tree head of the
 * receiver's last receipt, and `transfer-consistency.json` proves it a prefix of `archiveTree`.
 *
 * This module owns the format: it makes the statement and its consistency file, and reads them
 * back from an archive, where they are hostile input. The reader is strict, as the custodian's is.
 */
import {createHash} from 'node:crypto'
import {canonicalize} from '../canonical/jcs.js'
import {MAX_TRANSFER_ITEMS, type TransferItem} from '../formats/events.js'
import {FieldProblem, integer, list, literal, nullable, object, optional, text, type Reader} from '../formats/event-readers.js'
import {HEX64} from '../formats/guards.js'
import {CUSTODIAN_FORMAT, type Custodian} from './custodian.js'
import {MAX_ROTATIONS, ROTATION_PROOF, type RotationProof} from './rotations.js'

export const TRANSFER_TYPE = 'custody-transfer/v1'

/** A tree head of the sender's ledger: its size in events and its RFC 9162 root (hex). */
export interface TreeHead {
  size: number
  root: string
}

export interface TransferStatement {
  type: typeof TRANSFER_TYPE
  transferId: string
  from: Custodian
  to: Custodian
  /** The seal time, ISO 8601 UTC. */
  releasedAt: string
  /** Why, in the sender's words; null when none was given. */
  purpose: string | null
  sealId: string
  /** The sealed tree head: the one the archive's checkpoint signs. */
  archiveTree: TreeHead
  acknowledged: TreeHead | null
  items: TransferItem[]
  /**
   * The sender's key rotations, each with the checkpoint the replaced key signed over it
   * (rotations.ts), so that a receiver who knows an earlier key can follow them; absent when the
   * sender's key was never rotated (the statement then has the bytes it had before rotations).
   */
  rotations?: RotationProof[]
}

/** transfer-consistency.json: RFC 9162 §2.1.4 proof from `from` to `to`, as consistency-proof.json is written. */
export interface TransferConsistency {
  from: {treeSize: number; rootHash: string}
  to: {treeSize: number; rootHash: string}
  proof: string[]
}

const hex64 = text({pattern: HEX64, expected: '64 lower-case hex'})
/** The readers of the fields a seal's and a field package's statements share (field-statement.ts). */
export const TREE_HEAD: Reader<TreeHead> = object<TreeHead>({size: integer(1), root: hex64})
const treeHead = TREE_HEAD
/** The readers of the fields a seal's and a field package's statements share (field-statement.ts): the transfer, its parties, when and why. */
export const STATEMENT_FIELDS = {
  transferId: text({pattern: /^TRANSFER-[0-9a-f]{16}$/, expected: '"TRANSFER-" and 16 lower-case hex'}),
  from: CUSTODIAN_FORMAT,
  to: CUSTODIAN_FORMAT,
  releasedAt: text({pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, expected: 'a UTC time such as 2024-05-01T09:00:00.000Z'}),
  purpose: nullable(text({nonEmpty: true})),
}

const STATEMENT: Reader<TransferStatement> = object<TransferStatement>({
  type: literal(TRANSFER_TYPE),
  ...STATEMENT_FIELDS,
  sealId: text({pattern: /^SEAL-[0-9a-f]{16}$/, expected: '"SEAL-" and 16 lower-case hex'}),
  archiveTree: treeHead,
  acknowledged: nullable(treeHead),
  items: list(
    object<TransferItem>({
      exhibit: text({nonEmpty: true, max: 64}),
      sha256: hex64,
      sha512: text({pattern: /^[0-9a-f]{128}$/, expected: '128 lower-case hex'}),
      size: integer(1),
    }),
    {min: 1, max: MAX_TRANSFER_ITEMS},
  ),
  rotations: optional(list(ROTATION_PROOF, {min: 1, max: MAX_ROTATIONS})),
})

const CONSISTENCY: Reader<TransferConsistency> = object<TransferConsistency>({
  from: object({treeSize: integer(1), rootHash: hex64}),
  to: object({treeSize: integer(1), rootHash: hex64}),
  proof: list(hex64, {max: 128}),
})

/** The transfer's ID: from the seal's ID and the receiver, so that the same seal to the same receiver gives the same ID. */
export function transferIdOf(sealId: string, to: Custodian): string {
  const hash = createHash('sha256').update(canonicalize({sealId, to: to.case, toKey: to.signingKey}))
  return `TRANSFER-${hash.digest('hex').slice(0, 16)}`
}

/** The statement's bytes: canonical JSON, which the signature covers as they are. */
export function transferBytes(statement: TransferStatement): Buffer {
  return Buffer.from(canonicalize(statement), 'utf8')
}

/** transfer-consistency.json's bytes, canonical with a newline (as consistency-proof.json). */
export function consistencyBytes(proof: TransferConsistency): Buffer {
  return Buffer.from(`${canonicalize(proof)}\n`, 'utf8')
}

/** Parses `bytes` as JSON read with `reader`, canonical form required (`canonical` gives the bytes custody writes of it); or what is wrong. */
export function readCanonical<T>(bytes: Buffer, reader: Reader<T>, what: string, canonical: (value: T) => string): T | {problem: string} {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch {
    return {problem: 'it is not JSON'}
  }

  let read: T
  try {
    read = reader.read(value, what)
  } catch (error) {
    if (error instanceof FieldProblem) return {problem: error.message}
    throw error
  }

  if (canonical(read) !== bytes.toString('utf8')) return {problem: 'it is not in canonical form (RFC 8785), as custody writes it'}
  return read
}

/** transfer.json read from an archive (hostile input): the statement, or the problem with it. */
export function readTransferStatement(bytes: Buffer): TransferStatement | {problem: string} {
  return readCanonical(bytes, STATEMENT, 'transfer', (s) => canonicalize(s))
}

/** transfer-consistency.json read from an archive: the proof, or the problem with it. */
export function readTransferConsistency(bytes: Buffer): TransferConsistency | {problem: string} {
  return readCanonical(bytes, CONSISTENCY, 'consistency', (p) => `${canonicalize(p)}\n`)
}
