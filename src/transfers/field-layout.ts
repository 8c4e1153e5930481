/**
 * The files of a field package's bag (docs/design/transfers.md, "The field package: decided"),
 * for its writer (field-export.ts) and its reader (field-check.ts) alike. Under data/: the objects
 * as stored (`data/objects/<2 hex>/<keyed address>.age`, field-statement.ts packagePathOf) and the
 * files below; outside it, BagIt's tag files and README.txt. Nothing else belongs in the bag.
 */
export const FIELD_PACKAGE_FILES = {
  /** Every row of the sender's ledger below the checkpoint's size, one canonical JSON line each. */
  rows: 'data/custody/ledger-rows.jsonl',
  /** Each run those rows name: its key wrapped to the recipients of its time. */
  runs: 'data/custody/ledger-runs.jsonl',
  /** Every checkpoint the sender's ledger signed up to the head, one canonical line each ({"body", "signature"}): they prove each key rotation by the key it replaced. */
  checkpoints: 'data/custody/ledger-checkpoints.jsonl',
  /** The sender's latest signed checkpoint, its exact bytes, and the raw 64-byte signature. */
  checkpoint: 'data/custody/checkpoint.json',
  checkpointSignature: 'data/custody/checkpoint.json.sig',
  /** The sender's signing key, PEM (the key `from` names), for openssl. */
  senderKey: 'data/custody/sender.pem',
  /** The field transfer statement and its raw signature. */
  transfer: 'data/custody/transfer.json',
  transferSignature: 'data/custody/transfer.json.sig',
} as const

/** The tag files, outside data/. */
export const FIELD_PACKAGE_TAGS = ['bagit.txt', 'bag-info.txt', 'manifest-sha256.txt', 'README.txt', 'tagmanifest-sha256.txt'] as const

/** The bag's folder in the ZIP. */
export function fieldBagName(transferId: string): string {
  return `custody-field-${transferId}`
}
