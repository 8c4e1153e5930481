/**
 * A checkpoint file: one signed checkpoint as custody gives it out, so that a case can later be
 * shown to extend it (`custody verify --against FILE`):
 *
 *     {
 *       "checkpoint": "{\"case\":\"…\",\"keyFingerprint\":\"SHA256:…\",…,\"type\":\"custody-checkpoint/v1\"}",
 *       "signature": "<hex of the 64-byte Ed25519 signature>"
 *     }
 *
 * The checkpoint is kept as the string that was signed (checkpoint.ts), not as an object, so that
 * its bytes, and with them the signature, survive any JSON tool that reads and writes the file.
 * Other fields are allowed and ignored: the record custody keeps of each case in the user's state
 * folder (src/known-heads/store.ts) is such a file with the case's location beside it. A sealed
 * archive's `data/custody/checkpoint.json`, with `checkpoint.json.sig` (the raw signature) beside
 * it, is read as the same pair.
 */

export interface CheckpointFile {
  /** The checkpoint's exact signed bytes. */
  checkpoint: string
  /** Its Ed25519 signature, hex. */
  signature: string
}

export function checkpointFileText(file: CheckpointFile): string {
  return `${JSON.stringify({checkpoint: file.checkpoint, signature: file.signature}, null, 2)}\n`
}

/** The checkpoint file fields of a parsed JSON value, if it has them. */
export function checkpointFileFields(value: unknown): CheckpointFile | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const {checkpoint, signature} = value as Record<string, unknown>
  return typeof checkpoint === 'string' && typeof signature === 'string' ? {checkpoint, signature} : undefined
}
