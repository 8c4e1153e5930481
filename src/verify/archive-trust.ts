/**
 * The trust checks of `custody verify ARCHIVE`, after the bag and its events have been checked:
 *
 *   7. signatures  investigator.pem is a key the sealed events record (key-created or -rotated, proven into
 *                  the tree); checkpoint.json is a checkpoint of this case signed by it
 *                  (checkpoint.json.sig) whose tree head is the one the seal's inclusion proofs
 *                  lead to; seal.json is signed by it too (seal.json.sig)
 *   8. timestamps  the stamped checkpoint is signed, is a prefix of the sealed one (RFC 9162
 *                  §2.1.4 consistency proof), and each of its RFC 3161 tokens is over its exact
 *                  bytes, signed, and chained at its genTime to a root: the court's own
 *                  (--tsa-ca), else the ones the archive carries, and the report says which
 *
 * Everything here is hostile input: a problem names the file, never an exception.
 */
import {createPublicKey} from 'node:crypto'
import {hexToBytes} from '@noble/hashes/utils.js'
import type {Certificate} from 'pkijs'
import {checkSignedCheckpoint, type RecordedKey} from '../checkpoints/verify-checkpoints.js'
import type {CheckpointBody} from '../checkpoints/checkpoint.js'
import {messageOf} from '../errors.js'
import {fingerprintOf} from '../keys/signing-key.js'
import {verifyConsistency} from '../merkle/verify.js'
import {CHECKPOINT_PATH, CONSISTENCY_PATH, KEY_PATH} from '../seal/trust-files.js'
import {checkTimestampReply, parsePemCertificates} from '../timestamps/token.js'

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
  /** Each token that holds: the events it covers and the time it proves they existed by. */
  timestamps: {tsa: string; genTime: string; signer: string; treeSize: number}[]
  /** Where the TSA roots came from: the court's own (--tsa-ca) or the archive's copy. */
  tsaRootsFrom: 'given' | 'archive' | null
}

export interface TrustInput {
  file: (name: string) => Buffer | undefined
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
  /** Roots the court trusts; when absent, the archive's tsa-roots.pem is used and said to be. */
  tsaRoots?: Certificate[]
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function pemToSpki(pem: string): Buffer | undefined {
  try {
    return createPublicKey(pem).export({type: 'spki', format: 'der'})
  } catch {
    return undefined
  }
}

export async function checkArchiveTrust(input: TrustInput): Promise<{problems: TrustProblem[]; trust: ArchiveTrust; details: {signatures: string; timestamps: string}}> {
  const problems: TrustProblem[] = []
  const trust: ArchiveTrust = {signingKey: null, holder: null, timestamps: [], tsaRootsFrom: null}
  const signed = (check: TrustProblem['check'], subject: string, body: Buffer | undefined): CheckpointBody | undefined => {
    const signature = input.file(`${subject}.sig`)
    if (body === undefined || signature === undefined) {
      problems.push({check, subject, message: body === undefined ? 'is missing from the bag' : `its signature ${subject}.sig is missing from the bag`})
      return undefined
    }

    const result = checkSignedCheckpoint(subject, body.toString('utf8'), signature, input)
    for (const p of result.problems) problems.push({check, ...p})
    return result.checkpoint
  }

  // 7. signatures
  const pem = input.file(KEY_PATH)
  const spki = pem === undefined ? undefined : pemToSpki(pem.toString('utf8'))
  const fingerprint = spki === undefined ? undefined : fingerprintOf(spki)
  const recorded = input.keys.find((k) => k.fingerprint === fingerprint)
  if (spki === undefined) {
    problems.push({check: 'signatures', subject: KEY_PATH, message: pem === undefined ? 'is missing from the bag' : 'is not a PEM public key'})
  } else if (recorded === undefined) {
    problems.push({check: 'signatures', subject: KEY_PATH, message: 'is not a key that the sealed events record (no key-created or key-rotated event names it)', actual: String(fingerprint)})
  }

  const statedKey = isRecord(input.statement.key) ? input.statement.key.fingerprint : undefined
  if (fingerprint !== undefined && statedKey !== fingerprint) {
    problems.push({check: 'signatures', subject: 'data/custody/seal.json', message: 'names another signing key than the bag holds', expected: fingerprint, actual: String(statedKey)})
  }

  const checkpoint = signed('signatures', CHECKPOINT_PATH, input.file(CHECKPOINT_PATH))
  if (checkpoint !== undefined && (checkpoint.treeSize !== input.treeHead.size || checkpoint.rootHash !== input.treeHead.root)) {
    problems.push({
      check: 'signatures',
      subject: CHECKPOINT_PATH,
      message: "its tree head is not the one the seal's inclusion proofs lead to",
      expected: `${input.treeHead.size} ${input.treeHead.root}`,
      actual: `${checkpoint.treeSize} ${checkpoint.rootHash}`,
    })
  }

  const statementSig = input.file('data/custody/seal.json.sig')
  if (input.statementSignature !== undefined && recorded !== undefined) {
    if (statementSig === undefined) problems.push({check: 'signatures', subject: 'data/custody/seal.json.sig', message: 'is missing from the bag'})
    else if (!(await input.statementSignature(recorded.spki, statementSig))) {
      problems.push({check: 'signatures', subject: 'data/custody/seal.json', message: `its signature seal.json.sig does not verify with ${recorded.fingerprint}: the statement or its signature was altered`})
    }
  }

  const signaturesOk = problems.length === 0
  if (signaturesOk && recorded !== undefined) {
    trust.signingKey = recorded.fingerprint
    trust.holder = recorded.holder
  }

  // 8. timestamps
  const stated = isRecord(input.statement.timestamp) ? input.statement.timestamp : null
  if (stated === null) {
    return {
      problems,
      trust,
      details: {
        signatures: signaturesOk ? `checkpoint and seal statement signed by ${String(fingerprint)} (${trust.holder ?? '?'})` : 'signature problems',
        timestamps: 'none: the events are signed by the investigator, not timestamped by a TSA',
      },
    }
  }

  const before = problems.length
  const path = String(stated.checkpoint)
  const stampedBytes = input.file(path)
  const stamped = path === CHECKPOINT_PATH ? checkpoint : signed('timestamps', path, stampedBytes)
  if (stamped !== undefined && stamped.treeSize < input.treeHead.size) {
    try {
      const proof = JSON.parse(input.file(CONSISTENCY_PATH)?.toString('utf8') ?? 'null') as {proof?: unknown}
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
      roots = parsePemCertificates(input.file(String(stated.roots))?.toString('utf8') ?? '')
    } catch {
      roots = []
    }
  }

  const tokens = Array.isArray(stated.tokens) ? stated.tokens.filter(isRecord) : []
  if (tokens.length === 0) problems.push({check: 'timestamps', subject: 'data/custody/seal.json', message: 'states a timestamp but no tokens'})
  for (const token of tokens) {
    const tokenPath = String(token.path)
    const reply = input.file(tokenPath)
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
  return {
    problems,
    trust,
    details: {
      signatures: signaturesOk ? `checkpoint and seal statement signed by ${String(fingerprint)} (${trust.holder ?? '?'})` : 'signature problems',
      timestamps: stampedOk
        ? `events 0..${(stamped?.treeSize ?? 0) - 1} existed by ${by}; roots ${trust.tsaRootsFrom === 'given' ? 'you gave (--tsa-ca)' : 'the archive carries (give --tsa-ca to check against a root you trust)'}`
        : 'timestamp problems',
    },
  }
}
