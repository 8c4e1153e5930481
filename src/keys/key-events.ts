/**
 * The ledger's key events, read as hostile input: `key-created` (the case's first signing key) and
 * `key-rotated` (a key that replaces the current one). Both verifiers, of a case and of an archive,
 * read them here, so that a key is accepted by the same rules wherever it is found:
 *   - the event records an Ed25519 key that publicKeyProblem() accepts (RFC 8410 DER, canonical,
 *     of prime order);
 *   - its fingerprint is the SHA-256 of that key's DER. Without this check an event could claim
 *     the fingerprint of someone else's key while carrying the forger's own, and everything the
 *     forger signs would be reported as signed by the genuine key;
 *   - there is one key-created event, before any rotation, and a rotation names the key it
 *     replaces.
 */
import type {RecordedKey} from '../checkpoints/verify-checkpoints.js'
import {fingerprintOf, publicKeyProblem} from './signing-key.js'

export const KEY_ACTIONS: readonly string[] = ['key-created', 'key-rotated']

export function isKeyEvent(event: {readonly action?: unknown}): boolean {
  return KEY_ACTIONS.includes(String(event.action))
}

export type KeyEventResult = {key: RecordedKey & {holder: string}} | {problem: string}

/**
 * The key that a key event (at `seq`) records, given the current key before it; or why the event
 * cannot stand.
 */
export function readKeyEvent(event: {readonly action?: unknown; readonly payload?: unknown}, seq: number, current: {fingerprint: string} | undefined): KeyEventResult {
  const payload = typeof event.payload === 'object' && event.payload !== null && !Array.isArray(event.payload) ? (event.payload as Record<string, unknown>) : {}
  const {algorithm, fingerprint, publicKey, holder, replaces} = payload
  if (algorithm !== 'Ed25519' || typeof fingerprint !== 'string' || typeof publicKey !== 'string') return {problem: 'it records no Ed25519 key'}
  const spki = Buffer.from(publicKey, 'base64')
  if (spki.toString('base64') !== publicKey) return {problem: 'its public key is not base64'}
  const wrong = publicKeyProblem(spki)
  if (wrong !== undefined) return {problem: `its public key is refused: ${wrong}`}
  const actual = fingerprintOf(spki)
  if (actual !== fingerprint) return {problem: `it claims the fingerprint ${fingerprint}, but its public key's is ${actual}`}
  if (event.action === 'key-created' && current !== undefined) return {problem: 'a second key-created event: a new key must be a rotation'}
  if (event.action === 'key-rotated') {
    if (current === undefined) return {problem: 'a key rotation before any key-created event'}
    if (replaces !== current.fingerprint) return {problem: `it says it replaces ${String(replaces)}, but the current key is ${current.fingerprint}`}
  }

  return {key: {algorithm: 'Ed25519', fingerprint, spki, seq, holder: typeof holder === 'string' ? holder : ''}}
}
