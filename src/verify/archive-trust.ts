/**
 * The trust checks of `custody verify ARCHIVE`, after the bag and its events have been checked:
 *
 *   7. signatures  investigator.pem is, byte for byte, a key that a sealed key event records (the
 *                  key events were read by key-events.ts: each fingerprint is its own key's);
 *                  checkpoint.json is a checkpoint of this case signed by it (checkpoint.json.sig)
 *                  whose tree head is the one the seal's inclusion proofs lead to; seal.json is
 *                  signed by it too (seal.json.sig). With --key, it must be one of the keys given:
 *                  without, the report says the signer is only the one the archive names
 *   8. timestamps  the stamped checkpoint is signed (by its own key file, when a rotation came
 *                  between), is a prefix of the sealed one (RFC 9162 §2.1.4 consistency proof), and
 *                  each of its RFC 3161 tokens is over its exact bytes, signed, and chained at its
 *                  genTime to a root. Only roots the user gives (--tsa-ca) make the check pass;
 *                  against the roots the archive carries, which a forger would choose, it is a
 *                  warning
 *
 * Everything here is hostile input: a problem names the file, never an exception.
 */
import {createPublicKey} from 'node:crypto'
import {hexToBytes} from '@noble/hashes/utils.js'
import type {Certificate} from 'pkijs'
import {checkSignedCheckpoint, type RecordedKey} from '../checkpoints/verify-checkpoints.js'
import type {CheckpointBody} from '../checkpoints/checkpoint.js'
import {messageOf} from '../errors.js'
import {fingerprintOf, publicKeyProblem} from '../keys/signing-key.js'
import {verifyConsistency} from '../merkle/verify.js'
import {CHECKPOINT_PATH, CONSISTENCY_PATH, KEY_PATH} from '../seal/trust-files.js'
import {checkTimestampReply, parsePemCertificates} from '../timestamps/token.js'
import {isRecord} from '../formats/guards.js'

export interface TrustProblem {
  check: 'signatures' | 'timestamps'
  subject: string
  message: string
  expected?: string
  actual?: string
}

export interface ArchiveTrust {
  /** Fingerprint of the key that signed the checkpoint and the seal statement, when they verify. */
  signingKey: string | null
  /** Who holds it, as its key event says. */
  holder: string | null
  /**
   * Whether the signing key is one the user named (--key). When false, the signer is only the one
   * the archive itself names: a forger can make an archive that names any holder.
   */
  signerPinned: boolean
  /** Each token that holds: the events it covers and the time it proves they existed by. */
  timestamps: {tsa: string; genTime: string; signer: string; treeSize: number}[]
  /** Where the TSA roots came from: the user's own (--tsa-ca) or the archive's copy. */
  tsaRootsFrom: 'given' | 'archive' | null
}

export interface TrustInput {
  /** The bytes of a small file of the bag (read with a bound), or undefined when it is not there. */
  file: (name: string) => Promise<Buffer | undefined>
  /**
   * Whether seal.json (read as a stream: it grows with the exhibits) has this signature by this
   * key; undefined when the bag has no seal.json.
   */
  statementSignature: ((spki: Uint8Array, signature: Uint8Array) => Promise<boolean>) | undefined
  statement: Record<string, unknown>
  caseId: string
  /** Keys recorded by key events in the sealed events, with when each was replaced. */
  keys: readonly (RecordedKey & {holder: string})[]
  treeHead: {size: number; root: string}
  /** Roots the user trusts (--tsa-ca); when absent, the archive's tsa-roots.pem is tried, and that is a warning. */
  tsaRoots?: Certificate[]
  /** Fingerprints of the keys the user expects (--key): any other signer is a problem. */
  pinnedKeys?: readonly string[]
}

export interface TrustResult {
  problems: TrustProblem[]
  /** What holds but is not proof for the user (timestamps against the archive's own roots). */
  warnings: Array<{check: 'signatures' | 'timestamps'; message: string}>
  trust: ArchiveTrust
  details: {signatures: string; timestamps: string}
}


function pemToSpki(pem: string): Buffer | undefined {
  try {
    return createPublicKey(pem).export({type: 'spki', format: 'der'})
  } catch {
    return undefined
  }
}

type Recorded = TrustInput['keys'][number]

/**
 * A PEM public key of the bag, which must be byte for byte a key that a sealed key event records:
 * that key, or the problem.
 */
function recordedKeyOf(pem: Buffer | undefined, keys: TrustInput['keys']): {key: Recorded; fingerprint: string} | {problem: string; fingerprint?: string} {
  if (pem === undefined) return {problem: 'is missing from the bag'}
  const spki = pemToSpki(pem.toString('utf8'))
  if (spki === undefined) return {problem: 'is not a PEM public key'}
  const fingerprint = fingerprintOf(spki)
  const wrong = publicKeyProblem(spki)
  if (wrong !== undefined) return {problem: `is refused: ${wrong}`, fingerprint}
  const key = keys.find((k) => k.fingerprint === fingerprint)
  if (key === undefined) return {problem: 'is not a key that the sealed events record (no key-created or key-rotated event holds it)', fingerprint}
  if (!Buffer.from(key.spki).equals(spki)) return {problem: `is not the key that event ${key.seq} records`, fingerprint}
  return {key, fingerprint}
}

export async function checkArchiveTrust(input: TrustInput): Promise<TrustResult> {
  const problems: TrustProblem[] = []
  const warnings: TrustResult['warnings'] = []
  const trust: ArchiveTrust = {signingKey: null, holder: null, signerPinned: false, timestamps: [], tsaRootsFrom: null}
  /** A checkpoint of the bag and its .sig, checked against the recorded keys. */
  const signed = async (check: TrustProblem['check'], subject: string, body: Buffer | undefined): Promise<CheckpointBody | undefined> => {
    const signature = await input.file(`${subject}.sig`)
    if (body === undefined || signature === undefined) {
      problems.push({check, subject, message: body === undefined ? 'is missing from the bag' : `its signature ${subject}.sig is missing from the bag`})
      return undefined
    }

    const result = checkSignedCheckpoint(subject, body.toString('utf8'), signature, input)
    for (const p of result.problems) problems.push({check, ...p})
    return result.checkpoint
  }

  // 7. signatures
  const own = recordedKeyOf(await input.file(KEY_PATH), input.keys)
  const {fingerprint} = own
  const recorded = 'key' in own ? own.key : undefined
  if ('problem' in own) problems.push({check: 'signatures', subject: KEY_PATH, message: own.problem, ...(fingerprint === undefined ? {} : {actual: fingerprint})})
  const statedKey = isRecord(input.statement.key) ? input.statement.key.fingerprint : undefined
  if (fingerprint !== undefined && statedKey !== fingerprint) {
    problems.push({check: 'signatures', subject: 'data/custody/seal.json', message: 'names another signing key than the bag holds', expected: fingerprint, actual: String(statedKey)})
  }

  const checkpoint = await signed('signatures', CHECKPOINT_PATH, await input.file(CHECKPOINT_PATH))
  if (checkpoint !== undefined && fingerprint !== undefined && checkpoint.keyFingerprint !== fingerprint) {
    problems.push({check: 'signatures', subject: CHECKPOINT_PATH, message: `it is signed by another key than ${KEY_PATH}`, expected: fingerprint, actual: checkpoint.keyFingerprint})
  }

  if (checkpoint !== undefined && (checkpoint.treeSize !== input.treeHead.size || checkpoint.rootHash !== input.treeHead.root)) {
    problems.push({
      check: 'signatures',
      subject: CHECKPOINT_PATH,
      message: "its tree head is not the one the seal's inclusion proofs lead to",
      expected: `${input.treeHead.size} ${input.treeHead.root}`,
      actual: `${checkpoint.treeSize} ${checkpoint.rootHash}`,
    })
  }

  const statementSig = await input.file('data/custody/seal.json.sig')
  if (input.statementSignature !== undefined && recorded !== undefined) {
    if (statementSig === undefined) problems.push({check: 'signatures', subject: 'data/custody/seal.json.sig', message: 'is missing from the bag'})
    else if (!(await input.statementSignature(recorded.spki, statementSig))) {
      problems.push({check: 'signatures', subject: 'data/custody/seal.json', message: `its signature seal.json.sig does not verify with ${recorded.fingerprint}: the statement or its signature was altered`})
    }
  }

  const pinned = input.pinnedKeys ?? []
  if (recorded !== undefined && pinned.length > 0 && !pinned.includes(recorded.fingerprint)) {
    problems.push({
      check: 'signatures',
      subject: KEY_PATH,
      message: `the archive is signed by ${recorded.fingerprint} (${recorded.holder || 'no holder named'}), which is not a key you gave with --key`,
      expected: pinned.join(' or '),
      actual: recorded.fingerprint,
    })
  }

  const signaturesOk = problems.length === 0
  if (signaturesOk && recorded !== undefined) {
    trust.signingKey = recorded.fingerprint
    trust.holder = recorded.holder
    trust.signerPinned = pinned.includes(recorded.fingerprint)
  }

  const signatures = !signaturesOk
    ? 'signature problems'
    : `checkpoint and seal statement signed by ${String(fingerprint)} (${trust.holder || 'no holder named'})${
        trust.signerPinned ? ', a key you gave with --key' : ', the key the archive itself names: give --key with the fingerprint you had from the investigator to require it'
      }`

  // 8. timestamps
  const stated = isRecord(input.statement.timestamp) ? input.statement.timestamp : null
  if (stated === null) return {problems, warnings, trust, details: {signatures, timestamps: 'none: the events are signed by the investigator, not timestamped by a TSA'}}

  const before = problems.length
  const path = String(stated.checkpoint)
  const stampedBytes = await input.file(path)
  let stamped = checkpoint
  if (path !== CHECKPOINT_PATH) {
    stamped = await signed('timestamps', path, stampedBytes)
    // Signed before a key rotation: the key file beside it must be the key that signed it.
    const keyPath = String(stated.key)
    const stampedKey = keyPath === KEY_PATH ? own : recordedKeyOf(await input.file(keyPath), input.keys)
    if ('problem' in stampedKey) problems.push({check: 'timestamps', subject: keyPath, message: stampedKey.problem})
    else if (stamped !== undefined && stamped.keyFingerprint !== stampedKey.fingerprint) {
      problems.push({check: 'timestamps', subject: path, message: `it is signed by another key than ${keyPath}`, expected: stampedKey.fingerprint, actual: stamped.keyFingerprint})
    }
  }

  if (stamped !== undefined && stamped.treeSize < input.treeHead.size) {
    try {
      const proof = JSON.parse((await input.file(CONSISTENCY_PATH))?.toString('utf8') ?? 'null') as {proof?: unknown}
      const hashes = Array.isArray(proof?.proof) ? proof.proof.map((h) => hexToBytes(String(h))) : []
      verifyConsistency(stamped.treeSize, input.treeHead.size, hexToBytes(stamped.rootHash), hexToBytes(input.treeHead.root), hashes)
    } catch (error) {
      problems.push({check: 'timestamps', subject: CONSISTENCY_PATH, message: `does not prove the stamped checkpoint a prefix of the sealed one: ${messageOf(error)}`})
    }
  } else if (stamped !== undefined && stamped.treeSize > input.treeHead.size) {
    problems.push({check: 'timestamps', subject: path, message: 'covers more events than the sealed checkpoint'})
  }

  let roots = input.tsaRoots
  trust.tsaRootsFrom = roots === undefined ? 'archive' : 'given'
  if (roots === undefined) {
    try {
      roots = parsePemCertificates((await input.file(String(stated.roots)))?.toString('utf8') ?? '')
    } catch {
      roots = []
    }
  }

  const tokens = Array.isArray(stated.tokens) ? stated.tokens.filter(isRecord) : []
  if (tokens.length === 0) problems.push({check: 'timestamps', subject: 'data/custody/seal.json', message: 'states a timestamp but no tokens'})
  for (const token of tokens) {
    const tokenPath = String(token.path)
    const reply = await input.file(tokenPath)
    if (reply === undefined || stampedBytes === undefined) {
      problems.push({check: 'timestamps', subject: tokenPath, message: 'is missing from the bag'})
      continue
    }

    const result = await checkTimestampReply(reply, {data: stampedBytes, trusted: roots})
    if (!result.ok) {
      problems.push({check: 'timestamps', subject: tokenPath, message: `the token does not hold: ${result.problem}`})
    } else if (result.genTime !== token.genTime) {
      problems.push({check: 'timestamps', subject: tokenPath, message: 'the seal statement states another time than the token', expected: result.genTime, actual: String(token.genTime)})
    } else if (stamped !== undefined) {
      trust.timestamps.push({tsa: String(token.tsa), genTime: result.genTime, signer: result.signer, treeSize: stamped.treeSize})
    }
  }

  const stampedOk = problems.length === before
  const by = trust.timestamps.map((t) => `${t.genTime} (${t.signer})`).join('; ')
  const covered = `events 0..${(stamped?.treeSize ?? 0) - 1} existed by ${by}`
  if (stampedOk && trust.tsaRootsFrom === 'archive') {
    warnings.push({check: 'timestamps', message: `not checked against a root you trust: the tokens chain only to the roots the archive itself carries; give --tsa-ca with the TSA's root certificate, obtained from the TSA`})
  }

  return {
    problems,
    warnings,
    trust,
    details: {
      signatures,
      timestamps: !stampedOk ? 'timestamp problems' : trust.tsaRootsFrom === 'given' ? `${covered}; roots you gave (--tsa-ca)` : `${covered}, if the roots the archive carries are the TSA's: not checked against a root you trust (give --tsa-ca)`,
    },
  }
}
