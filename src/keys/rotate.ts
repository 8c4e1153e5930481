/**
 * Key rotation: a new Ed25519 key for the case, recorded as a `key-rotated` event that names the
 * key it replaces. The checkpoint over that event is signed by the old key, which so vouches for
 * the new one; every later checkpoint is signed by the new key, and verification refuses a later
 * checkpoint signed by the old one. Rotate when the investigator changes, when the passphrase may
 * have been seen, or when the laptop was out of your hands.
 */
import type {Case} from '../case/case.js'
import {checkNewPassphrase} from './passphrase.js'
import {createSigningKey} from './signing-key.js'

export interface RotationResult {
  previous: string
  current: string
  seq: number
  reason: string
}

export async function rotateSigningKey(kase: Case, options: {passphrase: string; reason: string; holder?: string; actor?: string}): Promise<RotationResult> {
  checkNewPassphrase(options.passphrase)
  await kase.assertIntactHead()
  const previous = kase.signer()
  // The new key file is written first: if the append then fails, an unused key file is all that is left.
  const next = await createSigningKey(kase.dataDir, options.passphrase)
  const holder = options.holder?.trim() || kase.info.investigator
  const {events} = kase.ledger.append(() => ({
    drafts: [
      {
        actor: options.actor?.trim() || holder,
        action: 'key-rotated',
        exhibit: null,
        payload: {
          algorithm: 'Ed25519',
          fingerprint: next.fingerprint,
          publicKey: next.spki.toString('base64'),
          holder,
          replaces: previous.fingerprint,
          reason: options.reason,
        },
      },
    ],
    result: undefined,
  }))
  kase.useSigner(next)
  await kase.recordHead()
  return {previous: previous.fingerprint, current: next.fingerprint, seq: events[0]!.event.seq, reason: options.reason}
}
