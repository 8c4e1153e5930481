/**
 * `custody key add-recipient`: another age recipient (HQ's) for the whole case. The address key is
 * opened (with the passphrase, or an existing recipient's identity), encrypted again to every
 * recipient (address-key.recipients.age), the case identity encrypted again to every HQ recipient
 * (case-identity.recipients.age: through it the new recipient opens the objects stored before it,
 * which are encrypted to the recipients of their time; none is rewritten), the witness identity
 * key to every recipient (identities.recipients.age), and recipients.txt rewritten, each by temp
 * file and rename; then a `recipient-added` event records it. A crash between the two leaves a
 * recipient in the files and not in the ledger: the ledger says who the recipients are, and a run
 * again records it. A recipient the ledger records already is said so, and nothing is recorded.
 *
 * In a field case on a sealed ledger the passphrase opens no event: the recipients there already
 * are taken from the public facts (recipientsForFile), and their labels, encrypted in the events
 * that record them, are left to HQ (recipients.txt keeps the words it had). The new recipient's
 * event is sealed under this run's key, to the recipients before it; the runs after it are
 * wrapped to it too, and only those open with its identity.
 */
import type {AgeRecipient} from '../age/x25519.js'
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import {TagKey} from '../ledger/tags.js'
import {hasIdentityKey, keepIdentityKeyForRecipients, openIdentityKey} from '../testimony/identity.js'
import {openCaseKeys, recipientsForFile, recipientAddedDrafts, wrapCaseIdentityForRecipients, writeRecipientFiles, type CaseUnlock, type NamedRecipient} from './case-keys.js'

/**
 * The witness identity key, if the case has one, kept for every recipient (identities.recipients.age):
 * opened with the passphrase when there is one (the recipients' copy is written anew from it), or
 * else through that file by the identities given.
 */
async function keepWitnessKeyForRecipients(kase: Case, unlock: CaseUnlock, passphrase: string | undefined, recipients: readonly AgeRecipient[]): Promise<void> {
  if (!hasIdentityKey(kase.dataDir)) return
  const key =
    passphrase !== undefined
      ? await openIdentityKey(kase.dataDir, passphrase)
      : 'identities' in unlock
        ? await openIdentityKey(kase.dataDir, unlock).catch(() => undefined)
        : undefined
  if (key === undefined) {
    throw new CustodyError('KEY_UNREADABLE', 'the witness identity key could not be opened to keep it for the new recipients: give the case passphrase')
  }

  await keepIdentityKeyForRecipients(kase.dataDir, key, recipients)
}

export interface AddRecipientResult {
  /** The recipients this run added, with their events. */
  added: NamedRecipient[]
  /** Those the case had already (age1…): nothing was recorded for them. */
  already: string[]
}

export async function addRecipients(
  kase: Case,
  options: {
    unlock: CaseUnlock
    /** Opens the case identity when the identities given do not (a case whose case-identity.recipients.age predates them). */
    passphrase?: string
    recipients: readonly AgeRecipient[]
    labels?: ReadonlyMap<string, string>
    actor?: string
  },
): Promise<AddRecipientResult> {
  await kase.assertIntactHead()
  // A field case's passphrase opens no event: the recipients come from the public facts, their
  // labels (sealed in the events) left to HQ; recipients.txt, on such a ledger, names none.
  const existing = recipientsForFile(kase)
  const known = new Set(existing.map((r) => r.recipient))
  const fresh = options.recipients.filter((r) => !known.has(r.text))
  const already = options.recipients.filter((r) => known.has(r.text)).map((r) => r.text)
  if (fresh.length === 0) return {added: [], already}
  const keys = await openCaseKeys(kase, options.unlock)
  const labelOf = (r: AgeRecipient): string | undefined => options.labels?.get(r.text)
  const named = [
    ...existing,
    ...fresh.map((r) => ({recipient: r.text, label: labelOf(r) ?? 'HQ recipient'})),
  ]
  const passphrase = 'passphrase' in options.unlock ? options.unlock.passphrase : options.passphrase
  const hqRecipients = [...(keys.field ? keys.recipients : keys.recipients.slice(1)), ...fresh]
  await wrapCaseIdentityForRecipients(kase, keys, passphrase, hqRecipients)
  await keepWitnessKeyForRecipients(kase, options.unlock, passphrase, [...keys.recipients, ...fresh])
  await writeRecipientFiles(kase.dataDir, keys.addressKey, [...keys.recipients, ...fresh], named, kase.ledger.sealedBodies() !== undefined)
  const actor = options.actor?.trim() || kase.info.investigator
  // The recipient-added events are tagged with the address key just opened (a schema-3 ledger).
  kase.ledger.useTagKey(new TagKey(keys.addressKey))
  const {events} = kase.ledger.append(() => ({drafts: recipientAddedDrafts(actor, fresh, options.labels), result: undefined}))
  await kase.recordHead()
  keys.addressKey.fill(0)
  return {added: fresh.map((r, i) => ({recipient: r.text, label: labelOf(r) ?? 'HQ recipient', seq: events[i]!.event.seq})), already}
}
