/**
 * The field transfer statement (docs/design/transfers.md, "The field package: decided"): what a
 * field package says, in `data/custody/transfer.json`, signed by the sender as `transfer.json.sig`
 * (the raw 64-byte Ed25519 signature, as a seal's transfer.json.sig):
 *
 *     {"type": "custody-field-transfer/v1", "transferId", "from": <custodian>, "to": <custodian>,
 *      "releasedAt", "purpose", "tree": {"size", "root"}, "acknowledged": {"size", "root"} | null,
 *      "items": [{"exhibit", "seq", "objects": [{"role", "vault", "sha256", "size"}]}], "readme"}
 *
 * as RFC 8785 canonical JSON, no newline after it. A field laptop opens no event body, so an item
 * names no digest of the evidence: it names the ledger row that recorded the exhibit (`seq`, its
 * ingest event, whose envelope is in the package) and its objects as stored, each an age file at
 * its keyed vault path with the SHA-256 and size of that file, as the ingest envelope's public
 * facts state them. The receiver opens the bodies and the objects, and computes the rest.
 * `tree` is the head the package's checkpoint signs, and every row of the ledger up to it is in
 * the package; `acknowledged` is the receiver's last receipt's head, proved a prefix of `tree` by
 * `transfer-consistency.json` (the seal's format, transfer-statement.ts). `readme` is the SHA-256
 * of README.txt, made from the rest (field-readme.ts), so that the instructions a reader follows are
 * the sender's.
 *
 * This module owns the format: it makes the statement and reads it back as hostile input.
 */
import {createHash} from 'node:crypto'
import {canonicalize} from '../canonical/jcs.js'
import {FIELD_TRANSFER_ITEM, MAX_TRANSFER_ITEMS, type FieldTransferItem, type FieldTransferObject} from '../formats/events.js'
import {list, literal, nullable, object, text, type Reader} from '../formats/event-readers.js'
import {HEX64} from '../formats/guards.js'
import type {Custodian} from './custodian.js'
import {readCanonical, STATEMENT_FIELDS, TREE_HEAD, type TreeHead} from './transfer-statement.js'

export const FIELD_TRANSFER_TYPE = 'custody-field-transfer/v1'

export type FieldObject = FieldTransferObject
export type FieldItem = FieldTransferItem

export interface FieldTransferStatement {
  type: typeof FIELD_TRANSFER_TYPE
  transferId: string
  from: Custodian
  to: Custodian
  releasedAt: string
  purpose: string | null
  /** The head the package's checkpoint signs: the package holds every row below it. */
  tree: TreeHead
  acknowledged: TreeHead | null
  items: FieldItem[]
  /** The SHA-256 of the bag's README.txt, which is made from the rest of the statement (field-readme.ts). */
  readme: string
}

const STATEMENT: Reader<FieldTransferStatement> = object<FieldTransferStatement>({
  type: literal(FIELD_TRANSFER_TYPE),
  ...STATEMENT_FIELDS,
  tree: TREE_HEAD,
  acknowledged: nullable(TREE_HEAD),
  items: list(FIELD_TRANSFER_ITEM, {min: 1, max: MAX_TRANSFER_ITEMS}),
  readme: text({pattern: HEX64, expected: '64 lower-case hex'}),
})

/**
 * The transfer's ID: from the sender's case, the head it releases at, the receiver and the time,
 * so that two packages never share one (the same head may be sent twice, with `again`).
 */
export function fieldTransferIdOf(from: Custodian, tree: TreeHead, to: Custodian, releasedAt: string): string {
  const hash = createHash('sha256').update(canonicalize({kind: 'field', from: from.case, tree, to: to.case, toKey: to.signingKey, releasedAt}))
  return `TRANSFER-${hash.digest('hex').slice(0, 16)}`
}

/** The statement's bytes: canonical JSON, which the signature covers as they are. */
export function fieldTransferBytes(statement: FieldTransferStatement): Buffer {
  return Buffer.from(canonicalize(statement), 'utf8')
}

/** transfer.json of a field package read as hostile input: the statement, or the problem with it. */
export function readFieldTransferStatement(bytes: Buffer): FieldTransferStatement | {problem: string} {
  const read = readCanonical(bytes, STATEMENT, 'transfer', (s) => canonicalize(s))
  if ('problem' in read) return read
  for (const item of read.items) {
    const roles = item.objects.map((o) => o.role)
    if (roles[0] !== 'original' || (roles.length === 2 && roles[1] !== 'record')) return {problem: `item ${item.exhibit}: its objects must be its original, then (if it has one) its metadata record`}
  }

  return read
}

/** Where an object as stored lies in a field package's bag: its vault path with `vault/` made `data/`. */
export function packagePathOf(vault: string): string {
  return `data/${vault.slice('vault/'.length)}`
}
