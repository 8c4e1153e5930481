/**
 * Key rotation: a new Ed25519 key for the case, recorded as a `key-rotated` event that names the
 * key it replaces. The checkpoint over that event is signed by the old key, which so vouches for
 * the new one; every later checkpoint is signed by the new key, and verification refuses a later
 * checkpoint signed by the old one. Rotate when the investigator changes, when the passphrase may
 * have been seen, or when the laptop was out of your hands.
 */
import type {Case} from '../case/case.js'
import {openForRewrap, rewrapCaseKeys} from './case-keys.js'
import {checkNewPassphrase} from './passphrase.js'
import {createSigningKey} from './signing-key.js'
import {openIdentityKeyIfAny, rewrapIdentityKey} from '../testimony/identity.js'

export interface RotationResult {
  previous: string
  current: string
  seq: number
  reason: string
}

/**
 * `passphrase` protects the new key; `currentPassphrase` is the one that opened the old key. When
 * they differ, the witness identity key and the case keys (the case identity and the address key,
 * src/keys/case-keys.ts) are put under the new passphrase too, so that one passphrase keeps
 * opening the whole case and the old one opens nothing new.
 */
export async function rotateSigningKey(kase: Case, options: {passphrase: string; currentPassphrase: string; reason: string; holder?: string; actor?: string}): Promise<RotationResult> {
  checkNewPassphrase(options.passphrase)
  await kase.assertIntactHead()
  // Opened first, so that a rotation that could not carry the identity key along does not begin.
  const changed = options.passphrase !== options.currentPassphrase
  const identityKey = changed ? await openIdentityKeyIfAny(kase.dataDir, options.currentPassphrase) : undefined
  const caseKeys = changed ? await openForRewrap(kase, options.currentPassphrase) : undefined
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
  // The old key signed the rotation; the new one signs the same head at once, so that the ledger
  // ends with a checkpoint of the key in use (what a purge asks for: Ledger.assertSignedContent).
  kase.ledger.headSignedByCurrentKey()
  if (identityKey !== undefined) await rewrapIdentityKey(kase.dataDir, identityKey, options.passphrase)
  if (caseKeys !== undefined) await rewrapCaseKeys(kase.dataDir, caseKeys, options.passphrase)
  await kase.recordHead()
  return {previous: previous.fingerprint, current: next.fingerprint, seq: events[0]!.event.seq, reason: options.reason}
}
