/**
 * The case keys of an encrypted case (issue 19, docs/design/encryption-at-rest.md "Keys"):
 *   - the case identity, an X25519 age identity, the case's own key to its encrypted content;
 *     absent in a field case, whose laptop holds no key that decrypts content;
 *   - the address key, 32 random bytes that key content addresses and digests at rest; it opens
 *     nothing, and is held in a field case too (ingest must find duplicates);
 *   - the recipients (age1…): the case identity's, and every HQ recipient's, each of which opens
 *     the whole case with its own identity.
 *
 * On disk, in `.custody/keys/` (mode 0600, written durably):
 *   - `case-identity.age`: age's identity file (`# created`, `# public key`, `AGE-SECRET-KEY-1…`),
 *     encrypted with the passphrase (an scrypt stanza), so that `age -d case-identity.age` gives
 *     an identity file that `age -d -i` takes;
 *   - `address-key.age`: the address key under the passphrase;
 *   - `address-key.recipients.age`: the address key encrypted to every recipient;
 *   - `case-identity.recipients.age` (a case with HQ recipients, not a field case): the case
 *     identity's file encrypted to every HQ recipient. Vault objects are encrypted to the
 *     recipients of the time they were stored; through this file a recipient added later opens
 *     the ones stored before it too (`age -d -i hq.key` of it gives an identity file that opens
 *     them), with no object rewritten. It gives a recipient nothing it would not have if every
 *     object had been encrypted to it: the case identity opens content, never the signing key;
 * and `.custody/recipients.txt`, age's recipients file of them all, each under a comment naming it.
 *
 * The passphrase is normalised (NFC) as the signing key's is (secret-box.ts): custody opens these
 * files with the passphrase however it was typed; `age -d` uses the bytes typed, which are the
 * same for every passphrase typed on an ordinary keyboard.
 *
 * The ledger, not recipients.txt, is what says who the recipients are: the `create-case` event
 * (its `caseRecipient`, or `field`), or in a case converted by `custody encrypt` its
 * `case-encrypted` event, and the `recipient-added` events after it.
 */
import {randomBytes} from 'node:crypto'
import {mkdir, readFile, rm} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {decryptBytes, decryptWithPassphrase} from '../age/decrypt.js'
import {encryptBytes, encryptWithPassphrase} from '../age/encrypt.js'
import {parseIdentityFile} from '../age/key-files.js'
import {generateIdentity, parseIdentity, parseRecipient, type AgeIdentity, type AgeRecipient} from '../age/x25519.js'
import {CustodyError, errnoOf, messageOf} from '../errors.js'
import type {CustodyEventDraft} from '../formats/events.js'
import type {Ledger} from '../ledger/ledger.js'
import type {PublicFacts} from '../ledger/envelope.js'
import {TagKey} from '../ledger/tags.js'
import {PRIVATE_FOLDER, moveIntoPlace, writeFileDurably} from '../io/files.js'
import {settingsKey} from './sealed-investigator.js'
import {KEYS_FOLDER} from './signing-key.js'

export const CASE_IDENTITY_FILE = 'case-identity.age'
export const ADDRESS_KEY_FILE = 'address-key.age'
export const ADDRESS_KEY_RECIPIENTS_FILE = 'address-key.recipients.age'
export const CASE_IDENTITY_RECIPIENTS_FILE = 'case-identity.recipients.age'
/** In `.custody/`, beside the ledger: public, but the case's own like everything in it. */
export const RECIPIENTS_FILE = 'recipients.txt'
export const ADDRESS_KEY_SIZE = 32
/**
 * The scrypt work factor of the files under the passphrase: 2^16 (64 MiB). age's default, 2^18,
 * needs 256 MiB, above custody's memory budget; `age -d` reads any factor up to its limit.
 */
export const CASE_KEY_WORK_FACTOR = 16

/** How a case's content is protected: by case keys, by case keys with no case identity, or not at all (made before them). */
export type CaseKeyMode = 'encrypted' | 'field' | 'none'

export interface CaseKeys {
  addressKey: Buffer
  /** Every recipient, the case identity's first (absent in a field case). */
  recipients: AgeRecipient[]
  /** What decrypts content: the case identity (opened by the passphrase), or the identities given. */
  identities: AgeIdentity[]
  field: boolean
}

/** A recipient with the words that name it in recipients.txt and in reports. */
export interface NamedRecipient {
  recipient: string
  /** `case identity`, or the label given (`HQ recipient` when none was). */
  label: string
  /** The ledger event that records it. */
  seq: number
}

/** What these functions read of a case (a Case is one): its folder and its ledger. */
export interface CaseKeyHolder {
  readonly dataDir: string
  readonly ledger: Ledger
}

/**
 * How the case keys are opened: with the passphrase, or with recipients' identities. `writeOnly`:
 * the work only adds content (ingest), which needs the recipients (public, in the ledger) and the
 * address key, never a key that decrypts; the case identity then stays closed, and its scrypt
 * (64 MiB, the time of one key opening) is not spent.
 */
export type CaseUnlock = {passphrase: string; writeOnly?: boolean} | {identities: AgeIdentity[]}

export function keyPath(dataDir: string, file: string): string {
  return join(dataDir, KEYS_FOLDER, file)
}

function normalised(passphrase: string): string {
  return passphrase.normalize('NFC')
}

/** age's identity file, as age-keygen writes it. */
function identityFileText(identity: string, recipient: string): string {
  return `# created: ${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')}\n# public key: ${recipient}\n${identity}\n`
}

/** recipients.txt: age's recipients file, each recipient under a comment naming it. */
export function recipientsFileText(named: ReadonlyArray<{recipient: string; label: string}>, sealed: boolean): string {
  // Where the ledger keeps its event bodies encrypted, the labels given (an office, a desk, a
  // town) are recorded there only: this file, in clear, says no more than that a recipient is HQ's.
  const shown = (label: string): string => (sealed && label !== CASE_IDENTITY_LABEL ? LABEL_SEALED : label)
  const lines = named.map(({recipient, label}) => `# ${shown(label).replaceAll(/[\r\n]+/g, ' ')}\n${recipient}\n`)
  return `# The age recipients of this custody case: each identity opens all of it.\n${lines.join('')}`
}

/**
 * Makes the case keys in `dataDir` (a case being made): the case identity unless `field`, the
 * address key, and their files. `labels` names HQ recipients (by their age1… text) in
 * recipients.txt. Returns the case identity's recipient and identity (undefined in a field case),
 * the address key as the ledger's tag key (its own copy: the key made here is wiped), and the
 * settings key derived from it (sealed-investigator.ts), which the caller wipes once used.
 */
export async function createCaseKeys(
  dataDir: string,
  passphrase: string,
  options: {recipients: AgeRecipient[]; field: boolean; labels?: ReadonlyMap<string, string>; sealedLedger?: boolean},
): Promise<{caseRecipient: AgeRecipient | undefined; caseIdentity: AgeIdentity | undefined; tagKey: TagKey; settingsKey: Buffer}> {
  if (options.field && options.recipients.length === 0) throw new CustodyError('INVALID_ARGUMENT', 'a field case needs at least one recipient: no key on the laptop would open it')
  await mkdir(join(dataDir, KEYS_FOLDER), {recursive: true, mode: PRIVATE_FOLDER})
  let caseRecipient: AgeRecipient | undefined
  let caseIdentity: AgeIdentity | undefined
  if (!options.field) {
    const made = generateIdentity()
    caseRecipient = parseRecipient(made.recipient)
    caseIdentity = parseIdentity(made.identity)
    const text = Buffer.from(identityFileText(made.identity, made.recipient))
    try {
      await writeKeyFile(dataDir, CASE_IDENTITY_FILE, await encryptWithPassphrase(text, normalised(passphrase), {workFactor: CASE_KEY_WORK_FACTOR}), false)
      if (options.recipients.length > 0) await writeKeyFile(dataDir, CASE_IDENTITY_RECIPIENTS_FILE, encryptBytes(text, options.recipients), false)
    } finally {
      text.fill(0)
    }
  }

  const addressKey = randomBytes(ADDRESS_KEY_SIZE)
  const tagKey = new TagKey(addressKey)
  const settings = settingsKey(addressKey)
  try {
    await writeKeyFile(dataDir, ADDRESS_KEY_FILE, await encryptWithPassphrase(addressKey, normalised(passphrase), {workFactor: CASE_KEY_WORK_FACTOR}), false)
    const recipients = [...(caseRecipient === undefined ? [] : [caseRecipient]), ...options.recipients]
    await writeKeyFile(dataDir, ADDRESS_KEY_RECIPIENTS_FILE, encryptBytes(addressKey, recipients), false)
  } finally {
    addressKey.fill(0)
  }

  const named = [
    ...(caseRecipient === undefined ? [] : [{recipient: caseRecipient.text, label: CASE_IDENTITY_LABEL}]),
    ...options.recipients.map((r) => ({recipient: r.text, label: options.labels?.get(r.text) ?? 'HQ recipient'})),
  ]
  await writeFileDurably(join(dataDir, RECIPIENTS_FILE), recipientsFileText(named, options.sealedLedger === true), {overwrite: false})
  return {caseRecipient, caseIdentity, tagKey, settingsKey: settings}
}

async function writeKeyFile(dataDir: string, file: string, data: Uint8Array, overwrite: boolean): Promise<void> {
  if (!(await writeFileDurably(keyPath(dataDir, file), data, {overwrite}))) {
    throw new CustodyError('KEY_UNREADABLE', `${keyPath(dataDir, file)} exists already; nothing was replaced`, {subject: keyPath(dataDir, file)})
  }
}

/** The `recipient-added` events of `recipients`, each with its label if it has one. */
export function recipientAddedDrafts(actor: string, recipients: readonly AgeRecipient[], labels: ReadonlyMap<string, string> | undefined): CustodyEventDraft[] {
  return recipients.map((r) => {
    const label = labels?.get(r.text)
    return {actor, action: 'recipient-added', exhibit: null, payload: {recipient: r.text, ...(label === undefined ? {} : {label})}}
  })
}

/** The case's mode, from its first event: no key is needed. */
export function caseKeyMode(kase: CaseKeyHolder): CaseKeyMode {
  return keyModeOf(kase.ledger)
}

/**
 * From the public facts (Ledger.publicFacts): what an encrypted ledger's envelope says in clear,
 * so that no key is needed to know which keys to ask for.
 */
function keyModeOf(ledger: Ledger): CaseKeyMode {
  const keys = keysFacts(ledger)
  if (keys === undefined) return 'none'
  return keys.facts.field === true ? 'field' : keys.facts.caseRecipient === undefined ? 'none' : 'encrypted'
}

/**
 * The facts that say what case keys the case has: its first event's (`create-case`) in a case made
 * encrypted; in a case made in clear, its `case-encrypted` event's once `custody encrypt` has
 * converted it.
 */
function keysFacts(ledger: Ledger): {seq: number; facts: PublicFacts} | undefined {
  let converted: {seq: number; facts: PublicFacts} | undefined
  for (const {seq, facts} of ledger.publicFacts()) {
    if (seq === 0) {
      if (facts.action !== 'create-case') return undefined
      if (facts.field === true || facts.caseRecipient !== undefined) return {seq, facts}
    } else if (facts.action === 'case-encrypted') {
      converted = {seq, facts}
    }
  }

  return converted
}

/** The recipients the ledger records, from the public facts (no key): the case identity's first, each once, with its event. */
export function recordedRecipients(ledger: Ledger): Array<{recipient: string; seq: number}> {
  const seen = new Set<string>()
  const recipients: Array<{recipient: string; seq: number}> = []
  for (const {seq, facts} of ledger.publicFacts()) {
    const recipient = facts.action === 'create-case' || facts.action === 'case-encrypted' ? facts.caseRecipient : facts.action === 'recipient-added' ? facts.recipient : undefined
    if (typeof recipient !== 'string' || seen.has(recipient)) continue
    seen.add(recipient)
    recipients.push({recipient, seq})
  }

  return recipients
}

/** The case identity's recipient, from the public facts (no key): undefined in a field case or a case in clear. */
export function caseIdentityRecipient(kase: CaseKeyHolder): string | undefined {
  const recipient = keysFacts(kase.ledger)?.facts.caseRecipient
  return typeof recipient === 'string' ? recipient : undefined
}

/** Every recipient the ledger records, the case identity's first, with its label and event. */
export function namedRecipients(kase: CaseKeyHolder): NamedRecipient[] {
  const keys = keysFacts(kase.ledger)
  const own = typeof keys?.facts.caseRecipient === 'string' ? [{recipient: keys.facts.caseRecipient, label: CASE_IDENTITY_LABEL, seq: keys.seq}] : []
  const added = kase.ledger.eventsOfKind('recipient-added').map(({event}) => ({recipient: event.payload.recipient, label: event.payload.label ?? 'HQ recipient', seq: event.seq}))
  const seen = new Set<string>()
  return [...own, ...added].filter((r) => !seen.has(r.recipient) && seen.add(r.recipient))
}

/** A recipient the ledger records, with its label when a key given opens the event that records it. */
export interface RecordedRecipient {
  recipient: string
  /** As namedRecipients gives it; null when no key given opens the events (a field case's passphrase). */
  label: string | null
  seq: number
}

/**
 * Every recipient the ledger records, as namedRecipients gives them, for work that must run where
 * no key opens the bodies (`key add-recipient` in a field case, with its passphrase): the
 * recipients and their events then come from the public facts (recordedRecipients), and every
 * label is null, left to HQ, whose identity opens the events that record them. Labels are all
 * known or all null: an identity that opens only some of the events (a recipient added after a
 * field case's first run) gives none.
 */
export function recipientsOnRecord(kase: CaseKeyHolder): RecordedRecipient[] {
  const recorded = recordedRecipients(kase.ledger)
  if (kase.ledger.bodiesLocked) return recorded.map((r) => ({...r, label: null}))
  let named: NamedRecipient[]
  try {
    named = namedRecipients(kase)
  } catch (error) {
    if (error instanceof CustodyError && error.code === 'CONTENT_LOCKED') return recorded.map((r) => ({...r, label: null}))
    throw error
  }

  return named
}

/**
 * The recipients as recipients.txt names them (recipientsFileText): each with its label where a
 * key given opens the events that record it, else as the file names every HQ recipient of a
 * sealed ledger, where no key is needed (a field case's passphrase, which opens no event).
 */
export function recipientsForFile(kase: CaseKeyHolder): Array<{recipient: string; label: string}> {
  const own = caseIdentityRecipient(kase)
  return recipientsOnRecord(kase).map((r) => ({recipient: r.recipient, label: r.label ?? (r.recipient === own ? CASE_IDENTITY_LABEL : LABEL_SEALED)}))
}

/** The recipients to encrypt the case's content to (no key needed: the public facts). */
export function caseRecipients(kase: CaseKeyHolder): AgeRecipient[] {
  return recordedRecipients(kase.ledger).map((r) => parseRecipient(r.recipient, `the recipient ${r.recipient} recorded in event #${r.seq}`))
}

/** When and by which event the local keys were destroyed, if they were (`custody key destroy`), from the public facts. */
export function keysDestroyed(ledger: Ledger): {seq: number; time: string} | undefined {
  let last: {seq: number; time: string} | undefined
  for (const {seq, time, facts} of ledger.publicFacts()) if (facts.action === 'keys-destroyed') last = {seq, time}
  return last
}

/** The error of a passphrase given to a case whose keys were destroyed: one line. */
export function keysDestroyedError(destroyed: {seq: number; time: string}): CustodyError {
  return new CustodyError(
    'KEYS_DESTROYED',
    `the local keys of this case were destroyed on ${destroyed.time.slice(0, 10)} (\`custody key destroy\`, event #${destroyed.seq}): no passphrase opens it, and nothing can be recorded in it any more (its signing key is gone); a recipient's identity is needed to open its content`,
  )
}

/** Refuses the passphrase of a case whose keys were destroyed, in one line (keysDestroyedError). */
export function refuseDestroyedKeys(ledger: Ledger): void {
  const destroyed = keysDestroyed(ledger)
  if (destroyed !== undefined) throw keysDestroyedError(destroyed)
}

async function readKeyFile(dataDir: string, file: string): Promise<Buffer> {
  const path = keyPath(dataDir, file)
  try {
    return await readFile(path)
  } catch (error) {
    throw new CustodyError(
      'KEY_UNREADABLE',
      errnoOf(error) === 'ENOENT' ? `the case key file ${path} is missing; restore .custody/keys/ from a backup of the case` : `cannot read the case key file ${path}: ${messageOf(error)}`,
      {subject: path, cause: error},
    )
  }
}

/** A file under the passphrase, opened; a wrong passphrase is WRONG_PASSPHRASE naming the file. */
async function openWithPassphrase(dataDir: string, file: string, passphrase: string): Promise<Buffer> {
  const path = keyPath(dataDir, file)
  try {
    return await decryptWithPassphrase(await readKeyFile(dataDir, file), normalised(passphrase), {object: path})
  } catch (error) {
    if (error instanceof CustodyError && error.code === 'WRONG_PASSPHRASE') {
      throw new CustodyError('WRONG_PASSPHRASE', `the passphrase does not open ${path}: it is wrong, or the file is damaged`, {subject: path})
    }

    throw error
  }
}

/**
 * A key file that decrypts (its age authentication holds) but does not hold what the case records
 * was replaced: tampering or a wrong file restored. INTEGRITY (exit 3), as for a damaged one, so
 * that `custody verify` says the case is not as recorded, not that a key was mistyped.
 */
function checkAddressKey(bytes: Buffer, path: string): Buffer {
  if (bytes.length !== ADDRESS_KEY_SIZE) throw new CustodyError('INTEGRITY', `${path} holds ${bytes.length} bytes, not a ${ADDRESS_KEY_SIZE}-byte address key; restore it from a backup of the case`, {subject: path})
  return bytes
}

/** The case identity in an identity file's text read from `path`, which must be the one the ledger records. */
function checkCaseIdentity(text: Buffer, path: string, recipient: string | undefined): AgeIdentity {
  const [identity] = parseIdentityFile(text.toString('utf8'), path)
  if (identity === undefined || identity.recipient.text !== recipient) {
    throw new CustodyError('INTEGRITY', `${path} does not hold the case identity the ledger records (${String(recipient)}); restore it from a backup of the case`, {subject: path})
  }

  return identity
}

/** The case identity, opened with the passphrase. */
async function openCaseIdentity(dataDir: string, passphrase: string, recipient: string | undefined): Promise<AgeIdentity> {
  const text = await openWithPassphrase(dataDir, CASE_IDENTITY_FILE, passphrase)
  try {
    return checkCaseIdentity(text, keyPath(dataDir, CASE_IDENTITY_FILE), recipient)
  } finally {
    text.fill(0)
  }
}

/**
 * Opens the case keys: with the passphrase (the address key, and the case identity unless in a
 * field case or `writeOnly`), or with identities, at least one of which must be a recipient's (WRONG_KEY
 * otherwise). Refuses a case without case keys, and a passphrase once the keys were destroyed.
 */
export async function openCaseKeys(kase: CaseKeyHolder, unlock: CaseUnlock): Promise<CaseKeys> {
  const mode = caseKeyMode(kase)
  if (mode === 'none') throw new CustodyError('KEY_UNREADABLE', 'this case has no case keys: it was made before custody encrypted cases, and its content is in clear')
  const recipients = caseRecipients(kase)
  const field = mode === 'field'
  if ('identities' in unlock) {
    const path = keyPath(kase.dataDir, ADDRESS_KEY_RECIPIENTS_FILE)
    const opened = await decryptBytes(await readKeyFile(kase.dataDir, ADDRESS_KEY_RECIPIENTS_FILE), unlock.identities, {object: path}).catch((error: unknown) => {
      if (error instanceof CustodyError && error.code === 'WRONG_KEY') {
        throw new CustodyError('WRONG_KEY', `none of the identities given is a recipient of this case (they do not open ${path}); give the identity file of one of the recipients \`custody key show\` lists`, {subject: path})
      }

      throw error
    })
    const caseIdentity = field ? undefined : await caseIdentityForRecipients(kase.dataDir, unlock.identities, recipients[0]?.text)
    return {addressKey: checkAddressKey(opened, path), recipients, identities: caseIdentity === undefined ? unlock.identities : [...unlock.identities, caseIdentity], field}
  }

  refuseDestroyedKeys(kase.ledger)
  const addressKey = checkAddressKey(await openWithPassphrase(kase.dataDir, ADDRESS_KEY_FILE, unlock.passphrase), keyPath(kase.dataDir, ADDRESS_KEY_FILE))
  const identities = field || unlock.writeOnly === true ? [] : [await openCaseIdentity(kase.dataDir, unlock.passphrase, recipients[0]?.text)]
  return {addressKey, recipients, identities, field}
}

/**
 * The case identity's file as the recipients' identities open it (case-identity.recipients.age),
 * or undefined when there is no such file (a case made before it was written, with no recipient
 * added since) or none of them opens it: such a recipient opens the objects stored for it, and the
 * objects' own stanzas say so object by object.
 */
async function caseIdentityTextForRecipients(dataDir: string, identities: readonly AgeIdentity[]): Promise<Buffer | undefined> {
  const path = keyPath(dataDir, CASE_IDENTITY_RECIPIENTS_FILE)
  let file: Buffer
  try {
    file = await readFile(path)
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined
    throw new CustodyError('KEY_UNREADABLE', `cannot read the case key file ${path}: ${messageOf(error)}`, {subject: path, cause: error})
  }

  try {
    return await decryptBytes(file, identities, {object: path})
  } catch (error) {
    if (error instanceof CustodyError && error.code === 'WRONG_KEY') return undefined
    throw error
  }
}

/** The case identity, opened by recipients' identities through case-identity.recipients.age (see above). */
async function caseIdentityForRecipients(dataDir: string, identities: readonly AgeIdentity[], recipient: string | undefined): Promise<AgeIdentity | undefined> {
  const text = await caseIdentityTextForRecipients(dataDir, identities)
  if (text === undefined) return undefined
  try {
    return checkCaseIdentity(text, keyPath(dataDir, CASE_IDENTITY_RECIPIENTS_FILE), recipient)
  } finally {
    text.fill(0)
  }
}

/**
 * Writes case-identity.recipients.age for `hqRecipients` (a case with a case identity), by temp
 * file and rename: the case identity's file is opened with the passphrase when there is one (the
 * copy the recipients' file holds may be damaged: it is written anew from the passphrase's), or
 * else through that file with the identities given. Nothing is written in a field case.
 */
export async function wrapCaseIdentityForRecipients(
  kase: CaseKeyHolder,
  keys: CaseKeys,
  passphrase: string | undefined,
  hqRecipients: readonly AgeRecipient[],
): Promise<void> {
  if (keys.field || hqRecipients.length === 0) return
  const text = passphrase === undefined ? await caseIdentityTextForRecipients(kase.dataDir, keys.identities) : await caseIdentityText(kase.dataDir, passphrase)
  if (text === undefined) {
    throw new CustodyError('KEY_UNREADABLE', `the case identity could not be opened to give it to the new recipients: give the case passphrase`, {subject: keyPath(kase.dataDir, CASE_IDENTITY_FILE)})
  }

  try {
    checkCaseIdentity(text, keyPath(kase.dataDir, CASE_IDENTITY_FILE), caseRecipients(kase)[0]?.text)
    await writeKeyFile(kase.dataDir, CASE_IDENTITY_RECIPIENTS_FILE, encryptBytes(text, hqRecipients), true)
  } finally {
    text.fill(0)
  }
}

/**
 * Writes every copy kept for the recipients again (address-key.recipients.age, recipients.txt,
 * case-identity.recipients.age) from the keys the passphrase opens: before `key destroy` removes
 * the passphrase's copies, so that a recipients' copy damaged or swapped on disk (which nothing
 * opening it with the passphrase would notice) is not all that is left.
 */
export async function rewriteRecipientCopies(kase: CaseKeyHolder, passphrase: string): Promise<void> {
  const mode = caseKeyMode(kase)
  if (mode === 'none') return
  refuseDestroyedKeys(kase.ledger)
  const recipients = caseRecipients(kase)
  const hq = mode === 'field' ? [] : recipients.slice(1)
  // Each file once, both scrypts at once (this runs while the investigator waits to destroy).
  const [addressKey, text] = await Promise.all([
    openWithPassphrase(kase.dataDir, ADDRESS_KEY_FILE, passphrase),
    hq.length === 0 ? undefined : caseIdentityText(kase.dataDir, passphrase),
  ])
  try {
    checkAddressKey(addressKey, keyPath(kase.dataDir, ADDRESS_KEY_FILE))
    if (text !== undefined) checkCaseIdentity(text, keyPath(kase.dataDir, CASE_IDENTITY_FILE), recipients[0]?.text)
    await writeRecipientFiles(kase.dataDir, addressKey, recipients, recipientsForFile(kase), kase.ledger.sealedBodies() !== undefined)
    if (text !== undefined) await writeKeyFile(kase.dataDir, CASE_IDENTITY_RECIPIENTS_FILE, encryptBytes(text, hq), true)
  } finally {
    addressKey.fill(0)
    text?.fill(0)
  }
}

/**
 * The address key under the passphrase, as `custody encrypt` opens it while it converts a case:
 * before the ledger records the case keys (openCaseKeys reads them from it), and write-only.
 */
export async function openAddressKey(dataDir: string, passphrase: string): Promise<Buffer> {
  return checkAddressKey(await openWithPassphrase(dataDir, ADDRESS_KEY_FILE, passphrase), keyPath(dataDir, ADDRESS_KEY_FILE))
}

/** The case identity's text as it is kept (for a rewrap under a new passphrase). */
async function caseIdentityText(dataDir: string, passphrase: string): Promise<Buffer> {
  return openWithPassphrase(dataDir, CASE_IDENTITY_FILE, passphrase)
}

/** What rewrapCaseKeys() puts under the new passphrase: opened with the current one first. */
export interface OpenedForRewrap {
  identityFile: Buffer | undefined
  addressKey: Buffer
}

/** Opens the passphrase's files, before a rotation that changes the passphrase begins. */
export async function openForRewrap(kase: CaseKeyHolder, passphrase: string): Promise<OpenedForRewrap | undefined> {
  const mode = caseKeyMode(kase)
  if (mode === 'none') return undefined
  const addressKey = await openWithPassphrase(kase.dataDir, ADDRESS_KEY_FILE, passphrase)
  return {addressKey, identityFile: mode === 'field' ? undefined : await caseIdentityText(kase.dataDir, passphrase)}
}

/**
 * Puts the case identity and the address key under `passphrase`: both new files are written
 * beside the old ones (temp file, fsync) before either replaces its old one (rename), so that a
 * failure while writing leaves both under the old passphrase.
 */
export async function rewrapCaseKeys(dataDir: string, opened: OpenedForRewrap, passphrase: string): Promise<void> {
  const files = [
    ...(opened.identityFile === undefined ? [] : [{file: CASE_IDENTITY_FILE, plaintext: opened.identityFile}]),
    {file: ADDRESS_KEY_FILE, plaintext: opened.addressKey},
  ]
  const staged: Array<{temp: string; target: string}> = []
  try {
    for (const {file, plaintext} of files) {
      const target = keyPath(dataDir, file)
      const temp = join(dirname(target), `.${file}.rotate-${process.pid}`)
      await writeFileDurably(temp, await encryptWithPassphrase(plaintext, normalised(passphrase), {workFactor: CASE_KEY_WORK_FACTOR}), {overwrite: true})
      staged.push({temp, target})
    }

    for (const {temp, target} of staged) await moveIntoPlace(temp, target, true)
  } finally {
    for (const {plaintext} of files) plaintext.fill(0)
    for (const {temp} of staged) await rm(temp, {force: true})
  }
}

/** What recipients.txt names a recipient whose label no key given opens, and that the file does not name. */
/** The label recipients.txt and key show give the case identity's recipient. */
export const CASE_IDENTITY_LABEL = 'case identity'

export const LABEL_SEALED = 'HQ recipient (its label is recorded encrypted in the ledger)'

/** The recipient files rewritten for `recipients` (address-key.recipients.age, then recipients.txt), each by temp file and rename. */
export async function writeRecipientFiles(dataDir: string, addressKey: Buffer, recipients: AgeRecipient[], named: ReadonlyArray<{recipient: string; label: string}>, sealedLedger: boolean): Promise<void> {
  await writeKeyFile(dataDir, ADDRESS_KEY_RECIPIENTS_FILE, encryptBytes(addressKey, recipients), true)
  await writeFileDurably(join(dataDir, RECIPIENTS_FILE), recipientsFileText(named, sealedLedger), {overwrite: true})
}
