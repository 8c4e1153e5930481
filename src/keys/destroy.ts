/**
 * `custody key destroy`: every local key made unusable in well under a second, for a laptop about
 * to be taken. First a `keys-destroyed` event is recorded (its checkpoint signed by the key about
 * to go, as after any command), then each key file under the passphrase (the signing key files,
 * the case identity, the address key, and the witness identity key once it is kept for the
 * recipients) is overwritten with random bytes, synced, and removed. The recipient files stay:
 * each recipient's identity still opens the case and its witness identities, and `custody verify`
 * still checks it. Before anything is destroyed, every copy kept for the recipients is written
 * again from the passphrase's (a witness identity key made before it was kept for them is kept
 * now), so that a recipients' copy damaged or swapped on disk is not all that is left.
 *
 * Overwriting is best-effort: on an SSD, wear levelling writes the new bytes elsewhere in flash,
 * and the old ones may survive until the drive erases that block. What stands without the
 * passphrase is the scrypt that protects them; full-disk encryption is the answer to the rest
 * (README "Destroying the keys").
 */
import {randomBytes} from 'node:crypto'
import {open, readdir, rm} from 'node:fs/promises'
import {join} from 'node:path'
import type {Case} from '../case/case.js'
import {fsyncFolder} from '../io/files.js'
import {hasIdentityKey, IDENTITY_KEY_FILE, IDENTITY_KEY_RECIPIENTS_FILE, keepIdentityKeyForRecipients, openIdentityKey} from '../testimony/identity.js'
import {CustodyError, errnoOf, fields, said} from '../errors.js'
import {ADDRESS_KEY_FILE, CASE_IDENTITY_FILE, caseKeyMode, caseRecipients, rewriteRecipientCopies} from './case-keys.js'
import {KEYS_FOLDER} from './signing-key.js'

export interface DestroyResult {
  seq: number
  /** The files destroyed, as named under .custody/keys/. */
  files: string[]
  destroyedAt: string
}

/**
 * The key files that a passphrase opens: every signing key (current and replaced), the case
 * identity, the address key, and the witness identity key when its recipients' copy is there.
 */
async function passphraseKeyFiles(dataDir: string): Promise<string[]> {
  const names = await readdir(join(dataDir, KEYS_FOLDER))
  const witnessKeyKept = names.includes(IDENTITY_KEY_RECIPIENTS_FILE)
  return names
    .filter((name) => /^[0-9a-f]{64}\.json$/.test(name) || name === CASE_IDENTITY_FILE || name === ADDRESS_KEY_FILE || (witnessKeyKept && name === IDENTITY_KEY_FILE))
    .sort()
}

/** Overwrites a file with random bytes of its size, syncs it, and removes it. */
async function overwriteAndRemove(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r+')
    try {
      const {size} = await handle.stat()
      await handle.write(randomBytes(size), 0, size, 0)
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error
  }

  await rm(path, {force: true})
}

/**
 * Refuses to destroy the keys of an encrypted case that has no recipient but its own case
 * identity, unless `unrecoverable`: afterwards nobody could open its content or its witnesses'
 * identities. Runs before anything is asked or written.
 */
export function refuseUnrecoverable(kase: Case, unrecoverable: boolean): void {
  if (unrecoverable || caseKeyMode(kase) !== 'encrypted' || caseRecipients(kase).length > 1) return
  throw new CustodyError(
    'INVALID_ARGUMENT',
    said`this case has no recipient but its own case identity: once its keys are destroyed nobody could open its content or its witnesses' identities again. Add HQ's recipient first (\`custody key add-recipient age1…\`), or say so (${DESTROY.unrecoverable}) to destroy them anyway. Nothing was done`,
  )
}

/** What `key destroy` is given, as the core's messages name it (the command names its flags). */
export const DESTROY = fields({unrecoverable: 'that the loss is wanted'})

/** Records the destruction, then destroys each key file the passphrase opens. The case must be unlocked (its signing key open). */
export async function destroyLocalKeys(
  kase: Case,
  options: {reason?: string | undefined; actor?: string | undefined; passphrase?: string | undefined; unrecoverable?: boolean | undefined},
): Promise<DestroyResult> {
  refuseUnrecoverable(kase, options.unrecoverable === true)
  await kase.assertIntactHead()
  // What the recipients keep is written again from the passphrase's copies, which are about to go:
  // a copy damaged or swapped on disk must not be all that is left.
  const recipients = caseRecipients(kase)
  const {passphrase} = options
  if (passphrase !== undefined) {
    // The case's copies and the witness key's at once: each is scrypt under the passphrase.
    const witnessKey = async (): Promise<void> => {
      if (recipients.length > 0 && hasIdentityKey(kase.dataDir)) await keepIdentityKeyForRecipients(kase.dataDir, await openIdentityKey(kase.dataDir, passphrase), recipients)
    }

    await Promise.all([rewriteRecipientCopies(kase, passphrase), witnessKey()])
  }

  const files = await passphraseKeyFiles(kase.dataDir)
  const reason = options.reason?.trim() || null
  const actor = options.actor?.trim() || kase.info.investigator
  const {events} = kase.ledger.append(() => ({drafts: [{actor, action: 'keys-destroyed', exhibit: null, payload: {files, reason}}], result: undefined}))
  await kase.recordHead()
  for (const name of files) await overwriteAndRemove(join(kase.dataDir, KEYS_FOLDER, name))
  await fsyncFolder(join(kase.dataDir, KEYS_FOLDER))
  const event = events[0]!.event
  return {seq: event.seq, files, destroyedAt: event.time}
}
