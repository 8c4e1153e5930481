/**
 * The case's public signing key as the investigator and a court see it: fingerprint, PEM, and
 * when the ledger recorded it.
 */
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import {checkDestination, notReplaced, writeFileDurably} from '../io/files.js'
import {KEY_ACTIONS} from './key-events.js'
import {publicKeyPem} from './signing-key.js'

export interface KeyView {
  algorithm: 'Ed25519'
  fingerprint: string
  publicKeyPem: string
  /**
   * The ledger event that recorded it, and when; the holder's name is null in a case whose ledger
   * keeps it encrypted, opened with no key (the key's public half is in clear).
   */
  recordedIn: {seq: number; time: string; holder: string | null}
  /** Keys it replaced, oldest first, with the event that retired each. */
  previous: {fingerprint: string; holder: string | null; recordedAt: number; replacedAt: number}[]
}

type KeyRecord = {seq: number; time: string; fingerprint: string; holder: string | null}

/** The key events, oldest first; of a sealed ledger opened with no key, their public facts (which name no holder). */
function keyHistory(kase: Case): KeyRecord[] {
  if (!kase.ledger.bodiesLocked) {
    try {
      return kase.ledger.eventsOfKind(...KEY_ACTIONS).map(({event}) => ({seq: event.seq, time: event.time, fingerprint: event.payload.fingerprint, holder: event.payload.holder}))
    } catch (error) {
      // A field case opened by a recipient added later: the key events of the runs before it stay sealed to it, as with no key.
      if (!(error instanceof CustodyError && error.code === 'CONTENT_LOCKED')) throw error
    }
  }

  const history: KeyRecord[] = []
  for (const {seq, time, facts} of kase.ledger.publicFacts()) {
    if (facts.action === 'key-created' || facts.action === 'key-rotated') history.push({seq, time, fingerprint: String(facts.fingerprint), holder: null})
  }

  return history
}

export function describeSigningKey(kase: Case): KeyView {
  const key = kase.signingKey()
  const history = keyHistory(kase)
  const event = history.findLast((e) => e.fingerprint === key.fingerprint)!
  return {
    algorithm: key.algorithm,
    fingerprint: key.fingerprint,
    publicKeyPem: publicKeyPem(key.spki),
    recordedIn: {seq: event.seq, time: event.time, holder: event.holder},
    previous: history.slice(0, -1).map((e, i) => ({fingerprint: e.fingerprint, holder: e.holder, recordedAt: e.seq, replacedAt: history[i + 1]!.seq})),
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
