/**
 * `custody encrypt`: converts a case in clear (made with `init --plaintext`, or before custody
 * encrypted cases) in place, into one whose keys and vault are those `custody init` makes
 * (docs/design/encryption-at-rest.md, "Conversion").
 *
 * Crash-safe by steps, each named in `.custody/encrypting.json` (the intent file: the step, the
 * mode and the recipients' public keys, nothing secret) until the ledger can say it:
 *   1. `keys`: the case keys are made in a staging folder (the same createCaseKeys as init's),
 *      then renamed into `.custody/keys/`. A run that finds this step begun makes them again:
 *      nothing was encrypted with the first ones;
 *   2. `objects`: each object of `vault/sha256/` is encrypted beside its plaintext, as ingest
 *      encrypts (a temp file in `vault/tmp/`, fsync, link into its keyed address), and recorded
 *      1,000 at a time by `objects-encrypted` events (its SHA-256 and the age file it became);
 *      then one `case-encrypted` event records the case keys (and `recipient-added` each HQ
 *      recipient), as `create-case` does in a case made encrypted; before it, the witness identity
 *      key (if any) is kept for every recipient, as in a case made encrypted. A run that finds this step
 *      begun skips what the ledger records, and records an object already at its address as
 *      stored (a link puts it there whole, or not at all);
 *   3. once `case-encrypted` is in the ledger: each plaintext object is removed, its age file
 *      first checked against the SHA-256 recorded;
 *   4. the ledger: a sealed one (schema 4) is built beside it (`ledger.sqlite.converting`), every
 *      event carried as it was written (its sequence number, hash and leaf kept; its event
 *      sealed: src/ledger/envelope.ts, "carried"), the checkpoints copied, and a ledger-converted
 *      event appended; once its tree over the carried events is the old one's, it is renamed over
 *      `ledger.sqlite`. A run that finds the ledger in clear still does this step again (the file
 *      beside it removed first); one that finds it sealed has only the intent file to remove.
 * No event is rewritten: each keeps its hash, so the checkpoints, the tree heads that earlier seals
 * stated and the known head stay true. At every step `custody verify` passes: an object not yet
 * recorded is checked in clear, one recorded is checked as stored.
 *
 * What the ledger records is looked up in a scratch database (src/case/converted-objects.ts), read
 * from its objects-encrypted events an event at a time: memory stays flat however large the case.
 */
import {existsSync, readFileSync, renameSync, statSync, unlinkSync} from 'node:fs'
import {mkdir, readdir, rm, rmdir} from 'node:fs/promises'
import {join} from 'node:path'
import {parseRecipient, type AgeRecipient} from '../age/x25519.js'
import {CustodyError, errnoOf, messageOf} from '../errors.js'
import {MAX_ENCRYPTED_OBJECTS_PER_EVENT, type EncryptedObject, type StoredObject} from '../formats/events.js'
import {HEX64} from '../formats/guards.js'
import {digestFile} from '../hashing/digests.js'
import {fsyncFolder, PRIVATE_FOLDER, writeFileDurably} from '../io/files.js'
import {
  ADDRESS_KEY_FILE,
  ADDRESS_KEY_RECIPIENTS_FILE,
  CASE_IDENTITY_FILE,
  CASE_IDENTITY_RECIPIENTS_FILE,
  caseKeyMode,
  createCaseKeys,
  CASE_IDENTITY_LABEL,
  caseIdentityRecipient,
  caseRecipients,
  recipientsOnRecord,
  openAddressKey,
  RECIPIENTS_FILE,
  recipientAddedDrafts,
  type CaseKeyMode,
  type RecordedRecipient,
} from '../keys/case-keys.js'
import {KEYS_FOLDER, verifySignature} from '../keys/signing-key.js'
import {canonicalize} from '../canonical/jcs.js'
import {hasIdentityKey, keepIdentityKeyForRecipients, openIdentityKey} from '../testimony/identity.js'
import {Vault} from '../vault/vault.js'
import {SEALED_SCHEMA_VERSION} from '../ledger/schema.js'
import {TagKey} from '../ledger/tags.js'
import {sealInvestigator, sealOrganisation, settingsKey} from '../keys/sealed-investigator.js'
import {ENCRYPT_INTENT_FILE, LEDGER_FILE, VAULT_FOLDER, type Case} from './case.js'
import {ConvertedObjects} from './converted-objects.js'

/** The folder of a vault in clear, under the vault. */
const CLEAR_FOLDER = 'sha256'
/** Where the case keys are made before they are renamed into `.custody/keys/`. */
const STAGING_FOLDER = 'encrypting-keys'
const CASE_KEY_FILES = [CASE_IDENTITY_FILE, CASE_IDENTITY_RECIPIENTS_FILE, ADDRESS_KEY_FILE, ADDRESS_KEY_RECIPIENTS_FILE]

/** The intent file: public facts only (recipients are public keys). */
interface Intent {
  v: 1
  /** `ledger`: a case whose keys and vault were converted (by a custody that left the ledger in clear) has only its ledger left. */
  step: 'keys' | 'objects' | 'ledger'
  field: boolean
  recipients: Array<{recipient: string; label?: string}>
  /** Once the keys are made (step `objects`), unless a field case. */
  caseRecipient?: string
}

export interface EncryptOptions {
  passphrase: string
  recipients: AgeRecipient[]
  labels?: ReadonlyMap<string, string> | undefined
  field: boolean
  /** Called as the objects in clear are checked, encrypted, then removed (a step may be skipped: one an earlier run did). */
  onProgress?: ((progress: EncryptProgress) => void) | undefined
}

/** How far a step of the conversion went, in objects of the vault in clear. */
export interface EncryptProgress {
  /** `check`: re-hashed before anything is written; `encrypt`: encrypted, or found recorded; `remove`: removed in clear. */
  step: 'check' | 'encrypt' | 'remove'
  done: number
  total: number
}

type Progress = EncryptOptions['onProgress']

export interface EncryptResult {
  /** `already`: nothing was left to do (a case made encrypted, or converted before). */
  status: 'encrypted' | 'already'
  /** Whether this run completed a conversion an earlier run began. */
  resumed: boolean
  /** The objects the ledger records as converted. */
  objects: number
  /** The events this run carried into the sealed ledger (0: it was sealed already). */
  carried: number
  mode: CaseKeyMode
  /** Each with its label where the events that record it open (null where they do not: a field case's, read with its passphrase). */
  recipients: RecordedRecipient[]
}

/**
 * Where a conversion stands: from the ledger, the intent file and the vault. `remove`: the keys
 * are recorded, and objects in clear, the ledger in clear or the intent file are left.
 */
export type ConversionState = {step: 'done'} | {step: 'start'} | {step: 'keys' | 'objects'; intent: Intent} | {step: 'remove'}

export function conversionState(kase: Case): ConversionState {
  const intent = readIntent(kase)
  if (caseKeyMode(kase) !== 'none') {
    const left = intent !== undefined || existsSync(join(kase.dataDir, VAULT_FOLDER, CLEAR_FOLDER)) || kase.ledger.schema !== SEALED_SCHEMA_VERSION
    return left ? {step: 'remove'} : {step: 'done'}
  }

  return intent === undefined || intent.step === 'ledger' ? {step: 'start'} : {step: intent.step, intent}
}

/** Whether the case was made in clear and converted since (its keys recorded by `case-encrypted`, not by `create-case`). */
export function wasConverted(kase: Case): boolean {
  const first = kase.ledger.firstEvent().event
  const madeWithKeys = first.action === 'create-case' && (first.payload.caseRecipient !== undefined || first.payload.field === true)
  return !madeWithKeys && caseKeyMode(kase) !== 'none'
}

function intentPath(kase: Case): string {
  return join(kase.dataDir, ENCRYPT_INTENT_FILE)
}

/**
 * What the case's signing key signs of an intent file: it names the recipients the conversion
 * encrypts to, so that one put there by someone who can write to the case but has no passphrase
 * (to have the case encrypted to their key) is refused.
 */
function intentMessage(intent: Intent): Buffer {
  return Buffer.from(`custody encrypt intent\n${canonicalize(intent as never)}`, 'utf8')
}

function readIntent(kase: Case): Intent | undefined {
  const path = intentPath(kase)
  if (!existsSync(path)) return undefined
  let intent: Intent
  let signature: unknown
  try {
    ;({signature, ...intent} = JSON.parse(readFileSync(path, 'utf8')) as Intent & {signature?: unknown})
    if (intent.v !== 1 || !['keys', 'objects', 'ledger'].includes(intent.step) || !Array.isArray(intent.recipients)) throw new Error('not an intent file of this version')
  } catch (error) {
    throw new CustodyError('INTEGRITY', `${path}, which says how far \`custody encrypt\` went, cannot be read (${messageOf(error)}); keep a copy of the case as it is`, {subject: path})
  }

  const signed = typeof signature === 'string' && /^[0-9a-f]{128}$/.test(signature) && verifySignature(kase.signingKey().spki, intentMessage(intent), Buffer.from(signature, 'hex'))
  if (!signed) {
    throw new CustodyError(
      'INTEGRITY',
      `${path}, which says whom \`custody encrypt\` encrypts this case to, is not signed by the case's signing key: custody did not write it (someone who could write to the case may have put it there to have the case encrypted to their own key). Nothing was done. Keep a copy of it, remove it, and run \`custody verify\``,
      {subject: path},
    )
  }

  return intent
}

/**
 * What verify says of a conversion left unfinished: the step and the recipients its signed intent
 * file names, or that the file is not custody's (not signed by the case's key). Undefined when
 * there is none.
 */
export function unfinishedConversion(kase: Case): string | undefined {
  if (!existsSync(intentPath(kase))) return undefined
  try {
    const intent = readIntent(kase)!
    const to = [...(intent.caseRecipient === undefined ? [] : [`the case identity ${intent.caseRecipient}`]), ...intent.recipients.map((r) => r.recipient)].join(', ') || 'the recipients the ledger records'
    return `a conversion by \`custody encrypt\` is unfinished (${ENCRYPT_INTENT_FILE}: step ${intent.step}${intent.field ? ', a field case' : ''}, encrypting to ${to}): nothing can be added to the case until \`custody encrypt\` is run again, which completes it`
  } catch (error) {
    return messageOf(error).replace(/ Nothing was done\..*$/, ' Until it is removed, nothing can be added to the case.')
  }
}

async function writeIntent(kase: Case, intent: Intent): Promise<void> {
  const signature = kase.signer().sign(intentMessage(intent)).toString('hex')
  await writeFileDurably(intentPath(kase), `${JSON.stringify({...intent, signature})}\n`, {overwrite: true})
}

/**
 * Recipients given to a run that resumes must be those the conversion began with (or none); given
 * for a case whose keys the ledger records (encrypted already, or its conversion past that), those
 * it records: other ones are refused, not ignored.
 */
export function checkResumedRecipients(kase: Case, state: ConversionState, given: {recipients: readonly AgeRecipient[]; field: boolean}): void {
  if (state.step === 'start' || (given.recipients.length === 0 && !given.field)) return
  const [began, field] =
    (state.step === 'keys' || state.step === 'objects')
      ? [state.intent.recipients.map((r) => r.recipient), state.intent.field]
      : [hqRecipients(kase), caseKeyMode(kase) === 'field']
  const now = given.recipients.map((r) => r.text)
  const sameRecipients = [...began].sort().join() === [...now].sort().join()
  if (given.field === field && sameRecipients) return
  const begun = state.step === 'keys' || state.step === 'objects'
  const what = begun ? 'a conversion of this case was begun' : 'this case is encrypted'
  const how = sameRecipients ? (field ? 'as a field case' : 'not as a field case') : `with other recipients (${began.join(', ') || 'none'}${field ? ', a field case' : ''})`
  const next =
    state.step === 'done'
      ? 'a case keeps the mode it was encrypted in; `custody key add-recipient` adds a recipient to it'
      : `run \`custody encrypt\` again as it was begun (the same recipients and mode), or with none, to complete it; \`custody key add-recipient\` adds a recipient once it is encrypted`
  throw new CustodyError('USAGE', `${what} ${how}; ${next}. Nothing was done`)
}

/** The recipients the ledger records but the case identity's (the first, unless a field case). */
function hqRecipients(kase: Case): string[] {
  const named = recipientsOnRecord(kase).map((r) => r.recipient)
  return caseKeyMode(kase) === 'encrypted' ? named.slice(1) : named
}

/** What `encrypt` says of a case with nothing left to convert. */
export function encryptedAlready(kase: Case): EncryptResult {
  return {status: 'already', resumed: false, objects: convertedCount(kase), carried: 0, mode: caseKeyMode(kase), recipients: recipientsNamed(kase)}
}

/** The recipients the ledger records, with their labels where the events that record them open (the case identity's always): no key needed. */
function recipientsNamed(kase: Case): RecordedRecipient[] {
  const own = caseIdentityRecipient(kase)
  return recipientsOnRecord(kase).map((r) => ({...r, label: r.label ?? (r.recipient === own ? CASE_IDENTITY_LABEL : null)}))
}

/** How many vault objects the conversion converted, as its case-encrypted event's public facts say (none in a case made encrypted): no key needed. */
function convertedCount(kase: Case): number {
  for (const {facts} of kase.ledger.publicFacts()) if (facts.action === 'case-encrypted') return Number(facts.objects)
  return 0
}

/** Converts the case (see the top of this file). Its signing key must be open (Case.unlock, converting). */
export async function encryptCase(kase: Case, options: EncryptOptions): Promise<EncryptResult> {
  const state = conversionState(kase)
  const resumed = state.step !== 'start'
  if (state.step === 'done') return encryptedAlready(kase)
  await kase.assertIntactHead()
  // The ledger in clear is carried as written at the end: one that does not hold is refused now, before anything is written.
  if (kase.ledger.schema !== SEALED_SCHEMA_VERSION) kase.ledger.checkCarriable()
  let intent = 'intent' in state ? state.intent : undefined
  if (state.step === 'start') {
    await checkClearObjects(kase, options.onProgress)
    intent = {v: 1, step: 'keys', field: options.field, recipients: options.recipients.map((r) => ({recipient: r.text, ...labelOf(options.labels, r)}))}
    await writeIntent(kase, intent)
  }

  if (intent?.step === 'keys') intent = await makeCaseKeys(kase, options.passphrase, intent)
  let carried = 0
  // Read while the events that record them open with the passphrase (in a field case, those of a ledger in clear).
  let recipients = recipientsNamed(kase)
  if (kase.ledger.schema !== SEALED_SCHEMA_VERSION) {
    // A case whose vault an earlier custody converted, or made encrypted by a custody that kept event bodies in clear (schema 3): the intent file says, from now on, that a conversion is under way.
    if (intent === undefined && !existsSync(intentPath(kase))) await writeIntent(kase, {v: 1, step: 'ledger', field: caseKeyMode(kase) === 'field', recipients: hqRecipients(kase).map((recipient) => ({recipient}))})
    using converted = ConvertedObjects.fromLedger(kase.ledger)
    if (intent?.step === 'objects') await convertObjects(kase, options, intent, converted)
    await kase.recordHead()
    await removeClearObjects(kase, converted, options.onProgress)
    recipients = recipientsNamed(kase)
    carried = await convertLedger(kase, options.passphrase)
  }

  await rm(intentPath(kase), {force: true})
  await fsyncFolder(kase.dataDir)
  return {status: 'encrypted', resumed, objects: convertedCount(kase), carried, mode: caseKeyMode(kase), recipients}
}

/** Where step 4 builds the sealed ledger, beside the one in clear. */
const CONVERTING_LEDGER = `${LEDGER_FILE}.converting`
/** SQLite's files beside a database (WAL mode, and a rollback journal should one be left). */
const SQLITE_SIDE_FILES = ['-wal', '-shm', '-journal']

/**
 * Step 4: the ledger in clear carried into a sealed one beside it, checked (its tree over the
 * carried events is the old one's), then renamed over it; the case then reads the new one. A
 * file left beside it by a killed run is removed first. Nothing else may have the ledger open.
 */
async function convertLedger(kase: Case, passphrase: string): Promise<number> {
  const target = join(kase.dataDir, LEDGER_FILE)
  const building = join(kase.dataDir, CONVERTING_LEDGER)
  for (const suffix of ['', ...SQLITE_SIDE_FILES]) await rm(`${building}${suffix}`, {force: true})
  const addressKey = await openAddressKey(kase.dataDir, passphrase)
  let signed: {body: string; signature: string} | undefined
  const carried = kase.ledger.size()
  try {
    const recipients = caseRecipients(kase)
    const old = kase.ledger
    const rootBefore = old.heads().root()
    const {caseId, investigator, organisation} = kase.info
    const sealing = settingsKey(addressKey)
    const by = {actor: investigator, sealedInvestigator: sealInvestigator(sealing, caseId, investigator), sealedOrganisation: sealOrganisation(sealing, caseId, organisation)}
    sealing.fill(0)
    using converted = old.convertTo(building, {tagKey: new TagKey(addressKey), bodyKeys: {recipients, identities: []}}, by)
    if (Buffer.compare(converted.heads(carried).root(carried), rootBefore) !== 0) {
      throw new CustodyError('INTEGRITY', `the ledger converted beside ${target} does not hold the tree of the one in clear; nothing was replaced. Run \`custody verify\``, {subject: target})
    }

    signed = converted.lastSigned()
  } catch (error) {
    for (const suffix of ['', ...SQLITE_SIDE_FILES]) await rm(`${building}${suffix}`, {force: true})
    throw error
  } finally {
    addressKey.fill(0)
  }

  // The old ledger closed (SQLite folds its WAL back in, and removes it); a WAL left with content
  // means another process has it open, and it would be read into the new file: refused.
  kase.ledger.close()
  const wal = `${target}-wal`
  if (existsSync(wal) && statSync(wal).size > 0) {
    kase.reopenLedger()
    throw new CustodyError('LEDGER_BUSY', `another custody command has the ledger ${target} open; nothing was replaced. Let it finish, then run \`custody encrypt\` again`, {subject: target})
  }

  for (const suffix of SQLITE_SIDE_FILES) await rm(`${target}${suffix}`, {force: true})
  renameSync(building, target)
  await fsyncFolder(kase.dataDir)
  kase.reopenLedger()
  await kase.recordHead(signed)
  return carried
}

function labelOf(labels: ReadonlyMap<string, string> | undefined, r: AgeRecipient): {label?: string} {
  const label = labels?.get(r.text)
  return label === undefined ? {} : {label}
}

/** Each object of the vault in clear, by name (its SHA-256), sorted: a folder at a time. */
async function* clearObjects(kase: Case): AsyncGenerator<{sha256: string; path: string; name: string}> {
  const top = join(kase.dataDir, VAULT_FOLDER, CLEAR_FOLDER)
  for (const prefix of (await readdir(top).catch(() => [])).sort()) {
    for (const sha256 of (await readdir(join(top, prefix)).catch(() => [])).sort()) {
      yield {sha256, path: join(top, prefix, sha256), name: `${VAULT_FOLDER}/${CLEAR_FOLDER}/${prefix}/${sha256}`}
    }
  }
}

/** How many objects the vault in clear holds: a listing, a folder at a time, for the progress's total. */
async function countClearObjects(kase: Case): Promise<number> {
  const top = join(kase.dataDir, VAULT_FOLDER, CLEAR_FOLDER)
  let count = 0
  for (const prefix of await readdir(top).catch(() => [])) count += (await readdir(join(top, prefix)).catch(() => [])).length
  return count
}

/**
 * Before anything is written: every object in clear must be what its name says (its SHA-256). One
 * that is not (damaged, or edited) is INTEGRITY naming it; so is a file that is no custody object.
 */
async function checkClearObjects(kase: Case, onProgress: Progress): Promise<void> {
  const total = onProgress === undefined ? 0 : await countClearObjects(kase)
  let done = 0
  for await (const {sha256, path, name} of clearObjects(kase)) {
    onProgress?.({step: 'check', done: done++, total})
    if (!HEX64.test(sha256) || !name.endsWith(`/${sha256.slice(0, 2)}/${sha256}`)) {
      throw new CustodyError('INTEGRITY', `${name} is not a custody object (its name is not a SHA-256 in its folder); nothing was encrypted. Move it out of the vault, run \`custody verify\`, then encrypt`, {subject: path})
    }

    const actual = (await digestFile(path, 'sha256')).sha256
    if (actual !== sha256) {
      throw new CustodyError('INTEGRITY', `${name} does not hold what its name says (its SHA-256 is ${actual}): the object was changed or damaged; nothing was encrypted or removed. Run \`custody verify\`, and restore the object from a copy of the case`, {subject: path})
    }
  }

  onProgress?.({step: 'check', done, total})
}

/** Step 1: the case keys made in a staging folder, then renamed into place; the intent moves on to `objects`. */
async function makeCaseKeys(kase: Case, passphrase: string, intent: Intent): Promise<Intent> {
  const keys = join(kase.dataDir, KEYS_FOLDER)
  const staging = join(kase.dataDir, STAGING_FOLDER)
  // What a run killed at this step left: nothing was encrypted with it.
  await rm(staging, {recursive: true, force: true})
  for (const file of CASE_KEY_FILES) await rm(join(keys, file), {force: true})
  await rm(join(kase.dataDir, RECIPIENTS_FILE), {force: true})
  await mkdir(staging, {mode: PRIVATE_FOLDER})
  const recipients = intent.recipients.map((r) => parseRecipient(r.recipient))
  const labels = new Map(intent.recipients.flatMap((r) => (r.label === undefined ? [] : [[r.recipient, r.label] as const])))
  const {caseRecipient, tagKey, settingsKey} = await createCaseKeys(staging, passphrase, {recipients, field: intent.field, labels})
  // A converted case's ledger stays as it was (its settings in clear): neither key is used here.
  settingsKey.fill(0)
  tagKey.wipe()
  // Synchronous renames, as the vault's (src/vault/vault.ts, placeObject): a few, microseconds each.
  for (const file of CASE_KEY_FILES) {
    if (existsSync(join(staging, KEYS_FOLDER, file))) renameSync(join(staging, KEYS_FOLDER, file), join(keys, file))
  }

  renameSync(join(staging, RECIPIENTS_FILE), join(kase.dataDir, RECIPIENTS_FILE))
  await fsyncFolder(keys)
  await rm(staging, {recursive: true, force: true})
  const next: Intent = {...intent, step: 'objects', ...(caseRecipient === undefined ? {} : {caseRecipient: caseRecipient.text})}
  await writeIntent(kase, next)
  return next
}

/**
 * Step 2: every object encrypted and recorded, then the case keys recorded (case-encrypted).
 * `converted` holds what the ledger recorded when the run began, and gets each batch recorded.
 */
async function convertObjects(kase: Case, options: EncryptOptions, intent: Intent, converted: ConvertedObjects): Promise<void> {
  const addressKey = await openAddressKey(kase.dataDir, options.passphrase)
  try {
    const recipients = [...(intent.caseRecipient === undefined ? [] : [intent.caseRecipient]), ...intent.recipients.map((r) => r.recipient)].map((r) => parseRecipient(r))
    const vault = new Vault(join(kase.dataDir, VAULT_FOLDER), {addressKey, recipients, identities: []})
    await vault.create({encrypted: true})
    // A killed run's temp files: its age files (and, from an ingest in clear, copies in clear).
    await vault.removeStaleTempFiles()
    const actor = kase.info.investigator
    let batch: EncryptedObject[] = []
    const record = (): void => {
      if (batch.length > 0) kase.ledger.append(() => ({drafts: [{actor, action: 'objects-encrypted', exhibit: null, payload: {objects: batch}}], result: undefined}))
      // Only once appended: the index says what the ledger records, never more.
      converted.add(batch)
      batch = []
    }

    const total = options.onProgress === undefined ? 0 : await countClearObjects(kase)
    let done = 0
    for await (const object of clearObjects(kase)) {
      options.onProgress?.({step: 'encrypt', done: done++, total})
      if (converted.has(object.sha256)) continue
      batch.push({sha256: object.sha256, stored: await encryptObject(vault, object)})
      if (batch.length === MAX_ENCRYPTED_OBJECTS_PER_EVENT) record()
    }

    record()
    options.onProgress?.({step: 'encrypt', done, total})
    // The witness identity key, as a case made encrypted keeps it: for every recipient too (Threat C).
    if (hasIdentityKey(kase.dataDir)) await keepIdentityKeyForRecipients(kase.dataDir, await openIdentityKey(kase.dataDir, options.passphrase), recipients)
    const keys = {...(intent.caseRecipient === undefined ? {} : {caseRecipient: intent.caseRecipient}), ...(intent.field ? {field: true as const} : {})}
    const hq = intent.recipients.map((r) => parseRecipient(r.recipient))
    const labels = new Map(intent.recipients.flatMap((r) => (r.label === undefined ? [] : [[r.recipient, r.label] as const])))
    kase.ledger.append(() => ({
      drafts: [{actor, action: 'case-encrypted', exhibit: null, payload: {...keys, objects: converted.size}}, ...recipientAddedDrafts(actor, hq, labels)],
      result: undefined,
    }))
  } finally {
    addressKey.fill(0)
  }
}

/** One object in clear as an age file at its keyed address: its stored form. One already there (a killed run's) is taken as it is. */
async function encryptObject(vault: Vault, object: {sha256: string; path: string; name: string}): Promise<StoredObject> {
  const target = vault.objectPath(object.sha256)
  if (!existsSync(target)) {
    const staged = await vault.stageFile(object.path)
    if (staged.digests.sha256 !== object.sha256) {
      await vault.discard(staged)
      throw new CustodyError('INTEGRITY', `${object.name} changed while it was encrypted (its SHA-256 is now ${staged.digests.sha256}); nothing was removed. Run \`custody verify\``, {subject: object.path})
    }

    await vault.commit(staged)
  }

  const {sha256, size} = await digestFile(target, 'sha256')
  return {vault: vault.recordedPath(object.sha256), sha256, size}
}

/**
 * Step 3: each object in clear that the ledger records as converted is removed, once its age file
 * is checked against the SHA-256 recorded; then the folders in clear. An object the ledger does
 * not record is left (none should be: nothing is added to a case while it converts).
 */
async function removeClearObjects(kase: Case, converted: ConvertedObjects, onProgress: Progress): Promise<void> {
  const total = onProgress === undefined ? 0 : await countClearObjects(kase)
  let done = 0
  for await (const object of clearObjects(kase)) {
    onProgress?.({step: 'remove', done: done++, total})
    const stored = converted.get(object.sha256)
    if (stored === undefined) continue
    const path = join(kase.dataDir, stored.vault)
    const actual = await digestFile(path, 'sha256').catch((error: unknown) => {
      if (errnoOf(error) === 'ENOENT') return undefined
      throw error
    })
    if (actual?.sha256 !== stored.sha256) {
      throw new CustodyError('INTEGRITY', `${stored.vault}, the encrypted form of ${object.name}, is ${actual === undefined ? 'missing' : 'not the file recorded'}; the object in clear was kept. Run \`custody verify\``, {subject: path})
    }

    // Synchronous, as the vault's own metadata calls are (src/vault/vault.ts, placeObject): microseconds each.
    unlinkSync(object.path)
  }

  onProgress?.({step: 'remove', done, total})

  await removeEmptyFolders(join(kase.dataDir, VAULT_FOLDER, CLEAR_FOLDER))
}

/** The vault's folders in clear, where now empty (a folder that still holds something stays). */
async function removeEmptyFolders(top: string): Promise<void> {
  for (const prefix of await readdir(top).catch(() => [])) {
    await fsyncFolder(join(top, prefix))
    await rmdir(join(top, prefix)).catch(() => undefined)
  }

  await rmdir(top).catch(() => undefined)
  await fsyncFolder(join(top, '..'))
}
