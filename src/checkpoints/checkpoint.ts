/**
 * A checkpoint: the ledger's tree head at one moment, in a small canonical document that the
 * investigator signs and Time-Stamp Authorities stamp.
 *
 *     {"case":"…","keyFingerprint":"SHA256:…","lastEventHash":"…","rootHash":"…",
 *      "time":"…","treeSize":12,"type":"custody-checkpoint/v1"}
 *
 * The document's bytes are its RFC 8785 canonical JSON, with no trailing newline, and those exact
 * bytes are what is signed (Ed25519, RFC 8032) and stamped (RFC 3161), so in an archive
 * `checkpoint.json` sits beside `checkpoint.json.sig` and `checkpoint.json.tsr` and openssl checks
 * them as they are. `rootHash` is the RFC 6962 root of the first `treeSize` events; consistency
 * proofs (RFC 9162 §2.1.4) between checkpoints show that the ledger only grew.
 */
import {canonicalize} from '../canonical/jcs.js'
import type {Signer} from '../keys/signing-key.js'
import {HEX64} from '../formats/guards.js'

export const CHECKPOINT_TYPE = 'custody-checkpoint/v1'

export interface CheckpointBody {
  type: typeof CHECKPOINT_TYPE
  /** The case's identifier. */
  case: string
  treeSize: number
  /** Hex RFC 6962 root of events 0 .. treeSize-1. */
  rootHash: string
  /** Hex chain hash of event treeSize-1. */
  lastEventHash: string
  /** When it was signed, UTC ISO 8601 (the signer's clock: trusted time comes from tokens). */
  time: string
  keyFingerprint: string
}

/** A checkpoint as kept: the exact signed bytes and the hex signature. */
export interface SignedCheckpoint {
  seq: number
  body: string
  signature: string
}

export interface TreeHead {
  treeSize: number
  rootHash: string
  lastEventHash: string
}

export function signCheckpoint(signer: Signer, caseId: string, head: TreeHead, time = new Date()): {body: string; signature: string} {
  const document: CheckpointBody = {
    type: CHECKPOINT_TYPE,
    case: caseId,
    treeSize: head.treeSize,
    rootHash: head.rootHash,
    lastEventHash: head.lastEventHash,
    time: time.toISOString(),
    keyFingerprint: signer.fingerprint,
  }
  const body = canonicalize(document)
  return {body, signature: signer.sign(Buffer.from(body, 'utf8')).toString('hex')}
}


/** Reads a checkpoint from hostile bytes: the document, or what is wrong with it. */
export function parseCheckpoint(body: string): CheckpointBody | {problem: string} {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    return {problem: 'it is not JSON'}
  }

  const c = value as Partial<CheckpointBody> | null
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return {problem: 'it is not a JSON object'}
  if (c.type !== CHECKPOINT_TYPE) return {problem: `its type is ${JSON.stringify(c.type)}, expected ${CHECKPOINT_TYPE}`}
  if (typeof c.case !== 'string') return {problem: 'it names no case'}
  if (!Number.isSafeInteger(c.treeSize) || (c.treeSize ?? -1) < 1) return {problem: 'its treeSize is not a positive integer'}
  if (typeof c.rootHash !== 'string' || !HEX64.test(c.rootHash)) return {problem: 'its rootHash is not 64 hex digits'}
  if (typeof c.lastEventHash !== 'string' || !HEX64.test(c.lastEventHash)) return {problem: 'its lastEventHash is not 64 hex digits'}
  if (typeof c.time !== 'string' || Number.isNaN(Date.parse(c.time))) return {problem: 'its time is not a date'}
  if (typeof c.keyFingerprint !== 'string') return {problem: 'it names no key'}
  let canonical: string
  try {
    canonical = canonicalize(value)
  } catch {
    return {problem: 'it is not canonical JSON'}
  }

  if (canonical !== body) return {problem: 'it is not in canonical form (RFC 8785), so its bytes are not the ones that were signed'}
  if (Object.keys(c).length !== 7) return {problem: 'it has fields a checkpoint does not have'}
  return c as CheckpointBody
}

/**
 * A line of a file of signed checkpoints (a field package's ledger-checkpoints.jsonl, a record's
 * rotations.jsonl): canonical {"body", "signature"}, the body a checkpoint, the signature 128 hex;
 * undefined when it is not one. Their order is the caller's to check.
 */
export function readCheckpointLine(text: string): {body: string; signature: Buffer; parsed: CheckpointBody} | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }

  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length !== 2 || canonicalize(value) !== text) return undefined
  const {body, signature} = value as Record<string, unknown>
  if (typeof body !== 'string' || typeof signature !== 'string' || !/^[0-9a-f]{128}$/.test(signature)) return undefined
  const parsed = parseCheckpoint(body)
  return 'problem' in parsed ? undefined : {body, signature: Buffer.from(signature, 'hex'), parsed}
}
