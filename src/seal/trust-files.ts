/**
 * What a seal carries so that a court can check who vouches for the events and since when, with
 * openssl alone. One convention throughout: a detached signature `NAME.sig` (the raw 64-byte
 * Ed25519 signature, RFC 8032) beside the exact bytes `NAME` it signs, and a token `NAME.tsr` (a
 * DER TimeStampResp, RFC 3161) beside the exact bytes it stamps.
 *
 *   data/custody/checkpoint.json(.sig)   the signed tree head the seal's inclusion proofs lead to
 *   data/custody/investigator.pem        the public key that signs it (and seal.json.sig)
 *   data/custody/timestamped-checkpoint.json(.sig, .tsr, .2.tsr ...)
 *                                        the newest checkpoint with tokens, when it is not
 *                                        checkpoint.json itself (then the tokens sit beside that)
 *   data/custody/timestamped-checkpoint.pem
 *                                        its signer's public key, when a key rotation came between
 *   data/custody/consistency-proof.json  RFC 9162 §2.1.4 proof that the stamped tree is a prefix
 *                                        of the sealed one
 *   data/custody/tsa-roots.pem           the TSA roots the tokens were checked against when they
 *                                        were received (a court should use roots it trusts itself)
 */
import {bytesToHex, hexToBytes} from '@noble/hashes/utils.js'
import {canonicalize} from '../canonical/jcs.js'
import type {Case} from '../case/case.js'
import {parseCheckpoint, type SignedCheckpoint} from '../checkpoints/checkpoint.js'
import {CustodyError} from '../errors.js'
import {KEY_ACTIONS, recordedKey} from '../keys/key-events.js'
import {publicKeyPem} from '../keys/signing-key.js'
import type {MerkleTree} from '../merkle/tree.js'
import {timestampHistory} from '../timestamps/stamp-case.js'

export const CUSTODY_DIR = 'data/custody'
export const CHECKPOINT_PATH = `${CUSTODY_DIR}/checkpoint.json`
export const STAMPED_CHECKPOINT_PATH = `${CUSTODY_DIR}/timestamped-checkpoint.json`
export const KEY_PATH = `${CUSTODY_DIR}/investigator.pem`
export const STAMPED_KEY_PATH = `${CUSTODY_DIR}/timestamped-checkpoint.pem`
export const CONSISTENCY_PATH = `${CUSTODY_DIR}/consistency-proof.json`
export const TSA_ROOTS_PATH = `${CUSTODY_DIR}/tsa-roots.pem`

/** What the seal statement says about the files below. */
export interface SealTrust {
  checkpoint: {path: string; signature: string; treeSize: number; keyFingerprint: string}
  key: {path: string; fingerprint: string; algorithm: 'Ed25519'}
  timestamp: {
    checkpoint: string
    /** The public key that signed the stamped checkpoint (investigator.pem unless a rotation came between). */
    key: string
    treeSize: number
    tokens: {path: string; tsa: string; genTime: string}[]
    consistencyProof: string | null
    roots: string
  } | null
}

export function tokenPath(checkpointPath: string, index: number): string {
  return index === 0 ? `${checkpointPath}.tsr` : `${checkpointPath}.${index + 1}.tsr`
}

/** The checkpoint, key and timestamp files for a seal based on `base`, the ledger's latest checkpoint. */
export function trustFiles(kase: Case, base: SignedCheckpoint & {treeSize: number}, tree: MerkleTree): {files: Array<[string, Buffer]>; trust: SealTrust} {
  const key = kase.signingKey()
  const signature = (hex: string): Buffer => Buffer.from(hexToBytes(hex))
  const files: Array<[string, Buffer]> = [
    [CHECKPOINT_PATH, Buffer.from(base.body, 'utf8')],
    [`${CHECKPOINT_PATH}.sig`, signature(base.signature)],
    [KEY_PATH, Buffer.from(publicKeyPem(key.spki))],
  ]
  const trust: SealTrust = {
    checkpoint: {path: CHECKPOINT_PATH, signature: `${CHECKPOINT_PATH}.sig`, treeSize: base.treeSize, keyFingerprint: key.fingerprint},
    key: {path: KEY_PATH, fingerprint: key.fingerprint, algorithm: 'Ed25519'},
    timestamp: null,
  }

  const stamped = timestampHistory(kase).findLast((r) => r.tokens.length > 0 && r.checkpoint.treeSize <= base.treeSize)
  if (stamped === undefined) return {files, trust}
  const row = kase.ledger.checkpoint(stamped.checkpoint.seq)
  if (row === undefined) {
    throw new CustodyError('INTEGRITY', `timestamp event ${stamped.eventSeq} stamps checkpoint ${stamped.checkpoint.seq}, which the ledger does not have; run \`custody verify\``)
  }

  const same = row.seq === base.seq
  const path = same ? CHECKPOINT_PATH : STAMPED_CHECKPOINT_PATH
  let stampedKey = KEY_PATH
  if (!same) {
    files.push([path, Buffer.from(row.body, 'utf8')], [`${path}.sig`, signature(row.signature)])
    const body = parseCheckpoint(row.body)
    const signer = 'problem' in body ? undefined : kase.ledger.eventsOfKind(...KEY_ACTIONS).find((e) => e.event.payload.fingerprint === body.keyFingerprint)
    const recorded = signer === undefined ? undefined : recordedKey(signer.event)
    const stampedBy = recorded !== undefined && 'key' in recorded ? recorded.key : undefined
    if (stampedBy === undefined) throw new CustodyError('INTEGRITY', `checkpoint ${row.seq} names a key the ledger does not record; run \`custody verify\``)
    if (stampedBy.fingerprint !== key.fingerprint) {
      // Signed before a key rotation: its own key travels beside it.
      stampedKey = STAMPED_KEY_PATH
      files.push([STAMPED_KEY_PATH, Buffer.from(publicKeyPem(stampedBy.spki))])
    }
  }

  const tokens = stamped.tokens.map((t, i) => ({path: tokenPath(path, i), tsa: t.tsa, genTime: t.genTime}))
  for (const [i, t] of stamped.tokens.entries()) files.push([tokens[i]!.path, Buffer.from(t.token, 'base64')])
  let consistencyProof: string | null = null
  if (stamped.checkpoint.treeSize < base.treeSize) {
    const from = stamped.checkpoint.treeSize
    const proof = {
      from: {treeSize: from, rootHash: bytesToHex(tree.root(from))},
      to: {treeSize: base.treeSize, rootHash: bytesToHex(tree.root(base.treeSize))},
      proof: tree.consistencyProof(from, base.treeSize).map((h) => bytesToHex(h)),
    }
    files.push([CONSISTENCY_PATH, Buffer.from(`${canonicalize(proof)}\n`)])
    consistencyProof = CONSISTENCY_PATH
  }

  files.push([TSA_ROOTS_PATH, Buffer.from(stamped.roots.map((r) => r.pem).join(''))])
  trust.timestamp = {checkpoint: path, key: stampedKey, treeSize: stamped.checkpoint.treeSize, tokens, consistencyProof, roots: TSA_ROOTS_PATH}
  return {files, trust}
}
