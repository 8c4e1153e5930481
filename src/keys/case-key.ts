/**
 * The case's public signing key as the investigator and a court see it: fingerprint, PEM, and
 * when the ledger recorded it.
 */
import type {Case} from '../case/case.js'
import {checkDestination, notReplaced, writeFileDurably} from '../io/files.js'
import {KEY_ACTIONS} from './key-events.js'
import {publicKeyPem} from './signing-key.js'

export interface KeyView {
  algorithm: 'Ed25519'
  fingerprint: string
  publicKeyPem: string
  /** The ledger event that recorded it, and when. */
  recordedIn: {seq: number; time: string; holder: string}
  /** Keys it replaced, oldest first, with the event that retired each. */
  previous: {fingerprint: string; holder: string; recordedAt: number; replacedAt: number}[]
}

export function describeSigningKey(kase: Case): KeyView {
  const key = kase.signingKey()
  const history = kase.ledger.eventsOfKind(...KEY_ACTIONS).map((e) => e.event)
  const event = history.findLast((e) => e.payload.fingerprint === key.fingerprint)!
  return {
    algorithm: key.algorithm,
    fingerprint: key.fingerprint,
    publicKeyPem: publicKeyPem(key.spki),
    recordedIn: {seq: event.seq, time: event.time, holder: event.payload.holder},
    previous: history.slice(0, -1).map((e, i) => ({fingerprint: e.payload.fingerprint, holder: e.payload.holder, recordedAt: e.seq, replacedAt: history[i + 1]!.seq})),
  }
}

/**
 * Writes the public key as PEM (SPKI), readable by all (0644): unlike everything else custody
 * writes, it is public, and meant to be handed out. An existing file is replaced only with `force`.
 */
export async function exportPublicKey(kase: Case, out: string, force: boolean): Promise<KeyView & {path: string}> {
  const path = checkDestination(out)
  const view = describeSigningKey(kase)
  if (!(await writeFileDurably(path, view.publicKeyPem, {mode: 0o644, overwrite: force}))) {
    throw notReplaced(path)
  }

  return {...view, path}
}
