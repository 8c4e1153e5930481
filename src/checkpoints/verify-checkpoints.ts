/**
 * Checks of signed checkpoints against the events they cover, shared by `custody verify` of a
 * case and of an archive. Checkpoints and keys are hostile input: every failure is a problem with
 * the checkpoint named, never an exception.
 */
import {hexToBytes} from '@noble/hashes/utils.js'
import {verifySignature, type PublicKeyInfo} from '../keys/signing-key.js'
import {parseCheckpoint, type CheckpointBody, type SignedCheckpoint} from './checkpoint.js'

export interface CheckpointProblem {
  subject: string
  message: string
  expected?: string
  actual?: string
}

/** A key the ledger recorded, and the first event after it (a checkpoint must cover its event). */
export interface RecordedKey extends PublicKeyInfo {
  /** Sequence number of the key-created or key-rotated event that recorded it. */
  seq: number
  /** Sequence number of the key-rotated event that replaced it, if one did. */
  until?: number
}

/**
 * The keys of key-created and key-rotated events, in ledger order, each with the event that
 * replaced it. A key signs the checkpoints after its own event, up to and including the one over
 * the event that replaces it (the old key vouches for the new).
 */
export function keyHistory<K extends RecordedKey>(events: readonly K[]): K[] {
  return events.map((key, i) => {
    const next = events[i + 1]
    return next === undefined ? {...key} : {...key, until: next.seq}
  })
}

/**
 * The checkpoint's document, if its bytes are a well-formed checkpoint of this case signed by a
 * key recorded in the ledger before the events it covers; else the problems.
 */
export function checkSignedCheckpoint(
  subject: string,
  body: string,
  signature: Uint8Array,
  context: {caseId: string; keys: readonly RecordedKey[]},
): {checkpoint?: CheckpointBody; problems: CheckpointProblem[]} {
  const parsed = parseCheckpoint(body)
  if ('problem' in parsed) return {problems: [{subject, message: `it is not a valid checkpoint: ${parsed.problem}`}]}
  const problems: CheckpointProblem[] = []
  if (parsed.case !== context.caseId) {
    problems.push({subject, message: 'it is a checkpoint of another case', expected: context.caseId, actual: parsed.case})
  }

  const key = context.keys.find((k) => k.fingerprint === parsed.keyFingerprint)
  if (key === undefined) {
    problems.push({subject, message: `it is signed by the key ${parsed.keyFingerprint}, which the ledger never recorded`})
  } else if (key.seq >= parsed.treeSize) {
    problems.push({subject, message: `it is signed by a key recorded only at event ${key.seq}, after the events it covers`})
  } else if (key.until !== undefined && parsed.treeSize > key.until + 1) {
    problems.push({subject, message: `it is signed by the key ${key.fingerprint}, which event ${key.until} replaced before the events it covers`})
  } else if (!verifySignature(key.spki, Buffer.from(body, 'utf8'), signature)) {
    problems.push({subject, message: `its Ed25519 signature does not verify with the key ${key.fingerprint}: the checkpoint or its signature was altered`})
  }

  return problems.length === 0 ? {checkpoint: parsed, problems} : {problems}
}

/**
 * The local case's series: numbered 0, 1, ... each signed, none shrinking, each root equal to the
 * root recomputed over that many events (which makes each a prefix of the next and of the ledger
 * as it is now), and the last one covering every event.
 */
export function checkCheckpointSeries(
  rows: readonly SignedCheckpoint[],
  ledger: {caseId: string; keys: readonly RecordedKey[]; size: number; rootAt: (size: number) => string; hashAt: (seq: number) => string | undefined},
): {problems: CheckpointProblem[]; latest?: CheckpointBody} {
  const problems: CheckpointProblem[] = []
  let latest: CheckpointBody | undefined
  let previousSize = 0
  /** The replaced keys that signed a checkpoint over the event replacing them (keyHistory: until). */
  const vouched = new Set<string>()
  for (const [index, row] of rows.entries()) {
    const subject = `checkpoint ${row.seq}`
    if (row.seq !== index) {
      problems.push({subject, message: 'checkpoint numbers are not consecutive: a checkpoint was removed or inserted', expected: String(index), actual: String(row.seq)})
    }

    const signature = /^[0-9a-f]{128}$/.test(row.signature) ? hexToBytes(row.signature) : new Uint8Array(0)
    const {checkpoint, problems: own} = checkSignedCheckpoint(subject, row.body, signature, ledger)
    problems.push(...own)
    if (checkpoint === undefined) continue
    const signer = ledger.keys.find((k) => k.fingerprint === checkpoint.keyFingerprint)
    if (signer?.until !== undefined && checkpoint.treeSize > signer.until) vouched.add(signer.fingerprint)
    if (checkpoint.treeSize < previousSize) {
      problems.push({subject, message: 'it covers fewer events than the checkpoint before it: the ledger shrank', expected: `at least ${previousSize}`, actual: String(checkpoint.treeSize)})
    }

    if (checkpoint.treeSize > ledger.size) {
      problems.push({
        subject,
        message: `it covers ${checkpoint.treeSize} events but the ledger has ${ledger.size}: events were removed from its end`,
        expected: String(checkpoint.treeSize),
        actual: String(ledger.size),
      })
    } else {
      const root = ledger.rootAt(checkpoint.treeSize)
      if (root !== checkpoint.rootHash) {
        problems.push({subject, message: `the first ${checkpoint.treeSize} events no longer have the root it signed: the ledger was rewritten`, expected: checkpoint.rootHash, actual: root})
      }

      const last = ledger.hashAt(checkpoint.treeSize - 1)
      if (last !== checkpoint.lastEventHash) {
        problems.push({subject, message: `event ${checkpoint.treeSize - 1} no longer has the hash it signed`, expected: checkpoint.lastEventHash, actual: String(last)})
      }
    }

    previousSize = Math.max(previousSize, checkpoint.treeSize)
    latest = checkpoint
  }

  if (rows.length === 0) {
    problems.push({subject: 'checkpoints', message: 'the ledger has no signed checkpoint at all: its checkpoints were removed'})
  } else if (previousSize < ledger.size) {
    problems.push({
      subject: `events ${previousSize}..${ledger.size - 1}`,
      message: 'no validly signed checkpoint covers these events: custody signs one in the same transaction as every append, so they were added or changed outside custody',
      expected: `${ledger.size} events signed`,
      actual: `${previousSize} events signed`,
    })
  }

  problems.push(...unvouchedRotations(ledger.keys, vouched))
  return latest === undefined ? {problems} : {problems, latest}
}

/**
 * Every rotation must be vouched for by the key it replaces: custody records a `key-rotated` event
 * in an append whose checkpoint the old key signs. A rotation no checkpoint of the old key covers
 * was added by someone without that key (a forger's key put in with the sqlite3 shell, and later
 * checkpoints signed with it).
 */
function unvouchedRotations(keys: readonly RecordedKey[], vouched: ReadonlySet<string>): CheckpointProblem[] {
  return keys
    .filter((key) => key.until !== undefined && !vouched.has(key.fingerprint))
    .map((key) => ({
      subject: `event ${String(key.until)}`,
      message: `it replaces the signing key ${key.fingerprint}, but no checkpoint signed by that key covers it: custody has the key it replaces sign the checkpoint over a rotation, so this one was added by someone without that key`,
    }))
}
