/**
 * The ledger's key events: `key-created` (the case's first signing key) and `key-rotated` (a key
 * that replaces the current one). parseEvent() (src/formats/events.ts) has read their format: an
 * Ed25519 key as base64 DER (RFC 8410), a fingerprint, a holder. Whether the key they record
 * stands is decided here, once, for every reader (both verifiers, the case's current key, the
 * key beside a timestamped checkpoint in a seal):
 *   - the key is one publicKeyProblem() accepts (canonical, of prime order);
 *   - its fingerprint is the SHA-256 of that key's DER. Without this check an event could claim
 *     the fingerprint of someone else's key while carrying the forger's own, and everything the
 *     forger signs would be reported as signed by the genuine key;
 *   - there is one key-created event, before any rotation, and a rotation names the key it
 *     replaces (readKeyEvent, which reads them in order).
 */
import type {RecordedKey} from '../checkpoints/verify-checkpoints.js'
import type {CustodyEvent, EventOfKind} from '../formats/events.js'
import {fingerprintOf, publicKeyProblem, type PublicKeyInfo} from './signing-key.js'

export const KEY_ACTIONS = ['key-created', 'key-rotated'] as const

export type KeyEvent = EventOfKind<(typeof KEY_ACTIONS)[number]>

export function isKeyEvent(event: CustodyEvent): event is KeyEvent {
  return event.action === 'key-created' || event.action === 'key-rotated'
}

/**
 * The key a key event records (its payload, or the public facts of its envelope, which say the
 * same), if custody accepts it and it has the fingerprint the event claims.
 */
export function recordedKey(event: KeyEvent | {payload: {fingerprint: string; publicKey: string}}): {key: PublicKeyInfo} | {problem: string} {
  const {fingerprint, publicKey} = event.payload
  const spki = Buffer.from(publicKey, 'base64')
  const wrong = publicKeyProblem(spki)
  if (wrong !== undefined) return {problem: `its public key is refused: ${wrong}`}
  const actual = fingerprintOf(spki)
  if (actual !== fingerprint) return {problem: `it claims the fingerprint ${fingerprint}, but its public key's is ${actual}`}
  return {key: {algorithm: 'Ed25519', fingerprint, spki}}
}

export type KeyEventResult = {key: RecordedKey & {holder: string}} | {problem: string}

/**
 * The key that a key event (at `seq`) records, given the current key before it; or why the event
 * cannot stand.
 */
export function readKeyEvent(event: KeyEvent, seq: number, current: {fingerprint: string} | undefined): KeyEventResult {
  const recorded = recordedKey(event)
  if ('problem' in recorded) return recorded
  if (event.action === 'key-created' && current !== undefined) return {problem: 'a second key-created event: a new key must be a rotation'}
  if (event.action === 'key-rotated') {
    if (current === undefined) return {problem: 'a key rotation before any key-created event'}
    if (event.payload.replaces !== current.fingerprint) return {problem: `it says it replaces ${event.payload.replaces}, but the current key is ${current.fingerprint}`}
  }

  return {key: {...recorded.key, seq, holder: event.payload.holder}}
}

/**
 * The key a key event's public facts record (an envelope of a sealed ledger, read with no key),
 * given the current key before it, as readKeyEvent reads the event; undefined for other facts.
 */
export function keyFromFacts(facts: {action?: unknown; fingerprint?: unknown; publicKey?: unknown; replaces?: unknown} | undefined, seq: number, current: {fingerprint: string} | undefined): KeyEventResult | undefined {
  if (facts?.action !== 'key-created' && facts?.action !== 'key-rotated') return undefined
  const payload = {algorithm: 'Ed25519', fingerprint: String(facts.fingerprint), publicKey: String(facts.publicKey), holder: '', ...(facts.replaces === undefined ? {} : {replaces: String(facts.replaces), reason: ''})}
  return readKeyEvent({action: facts.action, payload} as KeyEvent, seq, current)
}
