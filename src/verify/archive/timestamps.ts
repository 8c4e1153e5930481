/**
 * Check 9 of `custody verify ARCHIVE`, timestamps: the stamped checkpoint is signed (by its own
 * key file, when a rotation came between), is a prefix of the sealed one (RFC 9162 §2.1.4
 * consistency proof), and each of its RFC 3161 tokens is over its exact bytes, signed, and chained
 * at its genTime to a root. Only roots the user gives (--tsa-ca) make the check pass; against the
 * roots the archive carries, which a forger would choose, it is a warning.
 */
import {hexToBytes} from '@noble/hashes/utils.js'
import type {Certificate} from 'pkijs'
import type {CheckpointBody} from '../../checkpoints/checkpoint.js'
import {messageOf} from '../../errors.js'
import {isRecord} from '../../formats/guards.js'
import {verifyConsistency} from '../../merkle/verify.js'
import {STATEMENT_PATH} from '../../seal/bag-layout.js'
import {CHECKPOINT_PATH, CONSISTENCY_PATH, KEY_PATH} from '../../seal/trust-files.js'
import {checkTimestampReply, parsePemCertificates} from '../../timestamps/token.js'
import type {Check, CheckResult, Finding} from '../checklist.js'
import type {ProblemList} from '../problem-list.js'
import {concluded, findings, type ArchiveContext, type ArchiveTrust} from './context.js'
import {bagFile, readSignedCheckpoint, recordedKeyOf} from './trust.js'

/** The stamped checkpoint: the sealed one, or one signed earlier (before a key rotation) beside its own key file. */
async function stampedCheckpoint(context: ArchiveContext, stated: Record<string, unknown>, path: string, bytes: Buffer | undefined, found: ProblemList<Finding>): Promise<CheckpointBody | undefined> {
  if (path === CHECKPOINT_PATH) return context.checkpoint
  const stamped = await readSignedCheckpoint(context, path, bytes, found)
  // Signed before a key rotation: the key file beside it must be the key that signed it.
  const keyPath = String(stated.key)
  const stampedKey: {fingerprint?: string; problem?: string} = keyPath === KEY_PATH ? context.signingKey : recordedKeyOf(await bagFile(context, keyPath), context.keys)
  if (stampedKey.problem !== undefined) found.push({subject: keyPath, message: stampedKey.problem})
  else if (stamped !== undefined && stamped.keyFingerprint !== stampedKey.fingerprint) {
    found.push({subject: path, message: `it is signed by another key than ${keyPath}`, expected: String(stampedKey.fingerprint), actual: stamped.keyFingerprint})
  }

  return stamped
}

/** The stamped checkpoint is the sealed tree head or a prefix of it. */
async function checkPrefix(context: ArchiveContext, stamped: CheckpointBody, path: string, found: ProblemList<Finding>): Promise<void> {
  const {treeHead} = context
  if (stamped.treeSize < treeHead.size) {
    try {
      const proof = JSON.parse((await bagFile(context, CONSISTENCY_PATH))?.toString('utf8') ?? 'null') as {proof?: unknown}
      const hashes = Array.isArray(proof?.proof) ? proof.proof.map((h) => hexToBytes(String(h))) : []
      verifyConsistency(stamped.treeSize, treeHead.size, hexToBytes(stamped.rootHash), hexToBytes(treeHead.root), hashes)
    } catch (error) {
      found.push({subject: CONSISTENCY_PATH, message: `does not prove the stamped checkpoint a prefix of the sealed one: ${messageOf(error)}`})
    }
  } else if (stamped.treeSize > treeHead.size) {
    found.push({subject: path, message: 'covers more events than the sealed checkpoint'})
  }
}

/** The roots the tokens must chain to: the user's, else (a warning) the archive's own. */
async function tsaRoots(context: ArchiveContext, trust: ArchiveTrust, stated: Record<string, unknown>): Promise<Certificate[]> {
  const given = context.options.tsaRoots
  trust.tsaRootsFrom = given === undefined ? 'archive' : 'given'
  if (given !== undefined) return given
  try {
    return parsePemCertificates((await bagFile(context, String(stated.roots)))?.toString('utf8') ?? '')
  } catch {
    return []
  }
}

/** Each token the statement names, over the stamped checkpoint's exact bytes. */
async function checkTokens(context: ArchiveContext, trust: ArchiveTrust, stated: Record<string, unknown>, stamped: {body: CheckpointBody | undefined; bytes: Buffer | undefined}, found: ProblemList<Finding>): Promise<void> {
  const roots = await tsaRoots(context, trust, stated)
  const tokens = Array.isArray(stated.tokens) ? stated.tokens.filter(isRecord) : []
  if (tokens.length === 0) found.push({subject: STATEMENT_PATH, message: 'states a timestamp but no tokens'})
  for (const token of tokens) {
    const tokenPath = String(token.path)
    const reply = await bagFile(context, tokenPath)
    if (reply === undefined || stamped.bytes === undefined) {
      found.push({subject: tokenPath, message: 'is missing from the bag'})
      continue
    }

    const result = await checkTimestampReply(reply, {data: stamped.bytes, trusted: roots})
    if (!result.ok) {
      found.push({subject: tokenPath, message: `the token does not hold: ${result.problem}`})
    } else if (result.genTime !== token.genTime) {
      found.push({subject: tokenPath, message: 'the seal statement states another time than the token', expected: result.genTime, actual: String(token.genTime)})
    } else if (stamped.body !== undefined) {
      trust.timestamps.push({tsa: String(token.tsa), genTime: result.genTime, signer: result.signer, treeSize: stamped.body.treeSize})
    }
  }
}

export const timestampsCheck: Check<ArchiveContext> = {
  name: 'timestamps',
  async run(context): Promise<CheckResult> {
    const found = findings()
    const stated = isRecord(context.statement.timestamp) ? context.statement.timestamp : null
    if (stated === null) return concluded(context, found, 'none: the events are signed by the investigator, not timestamped by a TSA')
    // The signatures check made the trust this check adds its timestamps to.
    const trust = context.trust ?? {signingKey: null, holder: null, signerPinned: false, timestamps: [], tsaRootsFrom: null}
    context.trust = trust
    const path = String(stated.checkpoint)
    const bytes = await bagFile(context, path)
    const body = await stampedCheckpoint(context, stated, path, bytes, found)
    if (body !== undefined) await checkPrefix(context, body, path, found)
    await checkTokens(context, trust, stated, {body, bytes}, found)
    const by = trust.timestamps.map((t) => `${t.genTime} (${t.signer})`).join('; ')
    const covered = `events 0..${(body?.treeSize ?? 0) - 1} existed by ${by}`
    if (found.length > 0) return concluded(context, found, 'timestamp problems')
    if (trust.tsaRootsFrom === 'given') return concluded(context, found, `${covered}; roots you gave (--tsa-ca)`)
    context.warnings.push(`timestamps: not checked against a root you trust: the tokens chain only to the roots the archive itself carries; give --tsa-ca with the TSA's root certificate, obtained from the TSA`)
    return {status: 'warning', detail: `${covered}, if the roots the archive carries are the TSA's: not checked against a root you trust (give --tsa-ca)`}
  },
}
