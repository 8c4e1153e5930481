/**
 * What the signatures and timestamps checks of `custody verify ARCHIVE` both read: the public
 * keys of the bag, each of which must be byte for byte a key that a sealed key event records (the
 * events check read those with key-events.ts: each fingerprint is its own key's), and the signed
 * checkpoints of the bag. Everything here is hostile input: a problem names the file, never an
 * exception.
 */
import {createPublicKey} from 'node:crypto'
import {checkSignedCheckpoint} from '../../checkpoints/verify-checkpoints.js'
import type {CheckpointBody} from '../../checkpoints/checkpoint.js'
import {fingerprintOf, publicKeyProblem} from '../../keys/signing-key.js'
import {isRecord} from '../../formats/guards.js'
import type {Finding} from '../checklist.js'
import type {ProblemList} from '../problem-list.js'
import {readSmallFile, type ArchiveContext, type ArchiveKey} from './context.js'

function pemToSpki(pem: string): Buffer | undefined {
  try {
    return createPublicKey(pem).export({type: 'spki', format: 'der'})
  } catch {
    return undefined
  }
}

/** A PEM public key of the bag: the recorded key it is, or the problem. */
export type RecordedKeyResult = {key: ArchiveKey; fingerprint: string} | {problem: string; fingerprint?: string}

export function recordedKeyOf(pem: Buffer | undefined, keys: readonly ArchiveKey[]): RecordedKeyResult {
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

/** A small file of the bag, or undefined when it cannot be read (the contents check says why). */
export async function bagFile(context: ArchiveContext, name: string): Promise<Buffer | undefined> {
  return readSmallFile(context, name).catch(() => undefined)
}

/** The case the statement names ('' when it names none). */
export function statedCaseId(context: ArchiveContext): string {
  return isRecord(context.statement.case) ? String(context.statement.case.id) : ''
}

/** A checkpoint of the bag (`subject`, its bytes `body`) and its .sig, checked against the recorded keys. */
export async function readSignedCheckpoint(context: ArchiveContext, subject: string, body: Buffer | undefined, found: ProblemList<Finding>): Promise<CheckpointBody | undefined> {
  const signature = await bagFile(context, `${subject}.sig`)
  if (body === undefined || signature === undefined) {
    found.push({subject, message: body === undefined ? 'is missing from the bag' : `its signature ${subject}.sig is missing from the bag`})
    return undefined
  }

  const result = checkSignedCheckpoint(subject, body.toString('utf8'), signature, {caseId: statedCaseId(context), keys: context.keys})
  for (const p of result.problems) found.push(p)
  return result.checkpoint
}
