/**
 * A case on disk: `DIR/.custody/` holding the ledger (`ledger.sqlite`), the vault (`vault/`), the
 * investigator's encrypted signing key (`keys/`) and the last tree head (`head.json`); and, outside
 * it, the newest checkpoint custody signed for it on this account (src/known-heads/), which every
 * command compares with the ledger.
 *
 * A command finds its case from `--case DIR`, else `CUSTODY_CASE`, else by walking up from the
 * working directory, as git finds its repository. The case's own facts (title, investigator,
 * exhibit prefix) are the payload of the ledger's first event, so they are as tamper-evident as
 * the rest.
 */
import {randomBytes, randomUUID} from 'node:crypto'
import {existsSync, statSync} from 'node:fs'
import {mkdir, rename, rm} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {bytesToHex} from '@noble/hashes/utils.js'
import {CustodyError, fields, given, said, type Field} from '../errors.js'
import type {AgeRecipient} from '../age/x25519.js'
import type {CreateCasePayload, CustodyEvent, CustodyEventDraft} from '../formats/events.js'
import {caseKeyMode, createCaseKeys, openCaseKeys, type CaseUnlock, refuseDestroyedKeys, recipientAddedDrafts, namedRecipients, type CaseKeyMode, type NamedRecipient} from '../keys/case-keys.js'
import {compareWithHead, writeHeadRecord, type TreeHeadSource} from '../ledger/head-file.js'
import {Ledger} from '../ledger/ledger.js'
import {TagKey} from '../ledger/tags.js'
import {forgedRow, type PublicFacts} from '../ledger/envelope.js'
import {SEALED_SCHEMA_VERSION} from '../ledger/schema.js'
import {contentLocked} from '../ledger/sealed-store.js'
import {compareFully, compareQuickly, knownHeadError, type KnownHeadComparison, type KnownHeadConflict} from '../known-heads/compare.js'
import {knownHeadsFolder, readKnownHead, recordKnownHead, type KnownHeadRead, type RecordOutcome} from '../known-heads/store.js'
import {PRIVATE_FOLDER, checkFolderDestination, makeFolders} from '../io/files.js'
import {KEY_ACTIONS, recordedKey} from '../keys/key-events.js'
import {checkNewPassphrase} from '../keys/passphrase.js'
import {openInvestigator, openOrganisation, sealInvestigator, sealOrganisation, settingsKey as settingsKeyOf} from '../keys/sealed-investigator.js'
import {createSigningKey, openSigningKey, type PublicKeyInfo, type Signer} from '../keys/signing-key.js'
import type {VaultKeys} from '../vault/sealed-objects.js'
import {Vault} from '../vault/vault.js'
import {CUSTODY_VERSION} from '../version.js'
import {ConvertedLookup} from './converted-objects.js'

export const CASE_FOLDER = '.custody'
export const LEDGER_FILE = 'ledger.sqlite'
export const VAULT_FOLDER = 'vault'
export const DEFAULT_PREFIX = 'EX'
/** In `.custody/` while `custody encrypt` converts the case (src/case/encrypt.ts): the step it is at. */
export const ENCRYPT_INTENT_FILE = 'encrypting.json'

const PREFIX_PATTERN = /^[A-Z][A-Z0-9]{0,11}$/

export interface CaseInfo {
  caseId: string
  title: string
  investigator: string
  organisation: string | null
  prefix: string
  createdAt: string
  custodyVersion: string
}

export interface CaseLocation {
  /** The case folder, the one that holds `.custody/`. */
  root: string
  /** How it was found. */
  foundBy: 'flag' | 'environment' | 'working directory'
}

function isCaseRoot(dir: string): boolean {
  try {
    return statSync(join(dir, CASE_FOLDER, LEDGER_FILE)).isFile()
  } catch {
    return false
  }
}

/** What finding and making a case are given, as their errors name it. */
const CASE = fields({caseDir: 'the case folder', title: 'the title', investigator: 'the investigator', prefix: 'the exhibit prefix'})

/** The folder `custody init` makes a case in (its DIR argument, no flag). */
const NEW_CASE = fields({dir: 'the case folder'})

export function locateCase(options: {caseDir?: string | undefined; env?: NodeJS.ProcessEnv; cwd?: string} = {}): CaseLocation {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const explicit = options.caseDir ?? (env.CUSTODY_CASE === '' ? undefined : env.CUSTODY_CASE)
  if (explicit !== undefined) {
    const root = resolve(cwd, explicit)
    if (!isCaseRoot(root)) {
      const how = options.caseDir === undefined ? 'CUSTODY_CASE' : CASE.caseDir
      throw new CustodyError('CASE_NOT_FOUND', said`${root} (from ${how}) is not a custody case: it has no ${CASE_FOLDER}/${LEDGER_FILE}; run \`custody init ${explicit}\` to make one`)
    }

    return {root, foundBy: options.caseDir === undefined ? 'environment' : 'flag'}
  }

  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (isCaseRoot(dir)) return {root: dir, foundBy: 'working directory'}
    if (dirname(dir) === dir) break
  }

  throw new CustodyError(
    'CASE_NOT_FOUND',
    said`no custody case in ${cwd} or any folder above it; run \`custody init\` to make one, or name it with ${given(CASE.caseDir)} or CUSTODY_CASE`,
  )
}

export class Case implements Disposable, AsyncDisposable {
  readonly root: string
  readonly dataDir: string
  private currentLedger: Ledger
  private currentVault: Vault
  private caseInfo: CaseInfo
  /** The folder of the known heads (src/known-heads/store.ts): the user's state folder unless given. */
  readonly knownHeads: string
  /** What the user should know but that fails nothing (a state folder that cannot be written); commands print them. */
  readonly notices: string[] = []
  private unlocked: Signer | undefined
  private unlocking: Promise<Signer> | undefined
  /**
   * The stored forms `custody encrypt` recorded (objects-encrypted events), for the vault: a
   * scratch index filled on first need (none in a case made encrypted), released by close().
   */
  private converted: ConvertedLookup

  private constructor(root: string, ledger: Ledger, knownHeads: string) {
    this.root = root
    this.dataDir = join(root, CASE_FOLDER)
    this.currentLedger = ledger
    this.converted = new ConvertedLookup(ledger)
    this.currentVault = new Vault(join(this.dataDir, VAULT_FOLDER), undefined, (sha256) => this.converted.forms(sha256))
    // A sealed ledger (schema 4) says in clear only what its first envelope's public facts do.
    this.caseInfo = ledger.schema === SEALED_SCHEMA_VERSION ? publicCaseInfo(ledger) : caseInfoFrom(ledger.firstEvent().event)
    this.knownHeads = knownHeads
  }

  /** The case's ledger (`.custody/ledger.sqlite`). */
  get ledger(): Ledger {
    return this.currentLedger
  }

  /**
   * Puts in place of the ledger open the one now at its path (`custody encrypt` renamed the
   * converted ledger over it, having closed this one). It is given no keys: what reads it next
   * reads the public facts, or opens the keys again.
   */
  reopenLedger(): void {
    this.converted.close()
    this.currentLedger.close()
    this.currentLedger = Ledger.open(join(this.dataDir, LEDGER_FILE))
    this.converted = new ConvertedLookup(this.currentLedger)
    if (this.unlocked !== undefined) this.currentLedger.useSigner({caseId: this.info.caseId, signer: this.unlocked})
  }

  /** What the case is: its first event; of a sealed ledger, until a key opens it, its public facts (the rest is CONTENT_LOCKED). */
  get info(): CaseInfo {
    return this.caseInfo
  }

  /** Replaces what the case is known as (init, which was given it; useKeys, once the first body opens). */
  useInfo(info: CaseInfo): void {
    this.caseInfo = info
  }

  static open(location: CaseLocation, options: {knownHeads?: string} = {}): Case {
    const ledger = Ledger.open(join(location.root, CASE_FOLDER, LEDGER_FILE))
    try {
      return new Case(location.root, ledger, options.knownHeads ?? knownHeadsFolder())
    } catch (error) {
      ledger.close()
      throw error
    }
  }

  /** The vault: encrypted once the case's keys are given (useKeys), in clear in a case without keys. */
  get vault(): Vault {
    return this.currentVault
  }

  /**
   * Gives an encrypted vault the case's keys, opened with the passphrase (which opens no content in
   * a field case) or with recipients' identities; a vault in clear needs none.
   */
  async openVault(unlock: CaseUnlock): Promise<void> {
    if (!this.currentVault.encrypted) return
    this.useKeys(await openCaseKeys(this, unlock))
  }

  /**
   * From now on the vault writes and reads with these keys (an encrypted case, unlocked), and the
   * ledger writes and looks up its keyed tags with the address key (a schema-3 ledger).
   */
  useKeys(keys: VaultKeys): void {
    this.currentVault = this.currentVault.withKeys(keys)
    this.ledger.useTagKey(new TagKey(keys.addressKey))
    this.ledger.useBodyKeys({recipients: keys.recipients, identities: keys.identities})
    if (this.ledger.schema === SEALED_SCHEMA_VERSION) this.caseInfo = sealedCaseInfo(this.ledger, keys)
  }

  /** The newest checkpoint custody signed for this case on this account, as recorded. */
  knownHead(): KnownHeadRead {
    return readKnownHead(this.knownHeads, this.info.caseId)
  }

  /**
   * For commands that only read: the quick comparison with the known head (one lookup; why it is
   * enough for them is in src/known-heads/compare.ts). Throws INTEGRITY on a conflict.
   */
  checkKnownHeadQuickly(refused = 'nothing was shown'): void {
    this.refuseConflict(compareQuickly(this.knownHead(), this.ledger), refused)
  }

  private refuseConflict(comparison: KnownHeadComparison, refused: string): void {
    if (comparison.status === 'shorter' || comparison.status === 'diverged') throw knownHeadError(comparison, this.root, refused)
    if (comparison.status === 'unreadable') {
      this.notices.push(`custody's record of this case in ${comparison.path} cannot be used (${comparison.problem}): it is kept aside and replaced by the next command that adds to the case`)
    }
  }

  /**
   * Refuses to add to a ledger that no longer holds its recorded tree head (head.json), or that is
   * behind or beside the newest checkpoint custody signed for the case on this account, or that
   * ends with events no signed checkpoint covers (Ledger.refuseUnsignedTail): appending would bury
   * the evidence under a new head, or vouch for what someone else added. One pass over the events computes the heads both
   * need. Run before a command appends anything. A known head that holds the ledger as it is
   * vouches for it to the ledger (Ledger.vouchFor).
   */
  async assertIntactHead(): Promise<void> {
    const known = this.knownHead()
    let tree: TreeHeadSource | undefined
    const head = await compareWithHead(this.dataDir, (recorded) => (tree = this.ledger.heads(recorded, knownSize(known))))
    const comparison = compareFully(known, tree!)
    this.refuseConflict(comparison, 'nothing was added')
    // This account's record holds the ledger as it is, root recomputed from the events: what
    // vouches for a rotation whose new key has not signed yet (Ledger.rotationVouched).
    if (comparison.status === 'matches' && comparison.behind === 0) this.ledger.vouchFor(comparison.head.checkpoint)
    if (head.status === 'matches') {
      this.ledger.refuseUnsignedTail()
      // With the key open, or opening beside this check, the checks that need it too (a checkpoint
      // of the key it replaced must be vouched for): refused here once, as the case, not at an
      // append, which an ingest would count as one file's failure.
      const opening = this.unlocked ?? this.unlocking
      if (opening !== undefined) this.ledger.refuseUnsignedTail(await opening)
      return
    }

    const what =
      head.status === 'unreadable' ? head.problem : head.status === 'shorter' ? 'events were removed from its end' : 'its recorded events were rewritten'
    throw new CustodyError(
      'INTEGRITY',
      `the ledger of this case does not match its last recorded tree head (${what}); nothing was added. Run \`custody verify\`, and keep a copy of the case as it is`,
    )
  }

  /**
   * After a command's appends: records the current tree head in head.json when it extends the
   * recorded one (another command may have gone further), and the newest checkpoint this process
   * signed as the case's known head. One pass over the events for both.
   */
  async recordHead(signed?: {body: string; signature: string}): Promise<void> {
    const known = this.knownHead()
    let heads: TreeHeadSource | undefined
    const head = await compareWithHead(this.dataDir, (recorded) => (heads = this.ledger.heads(recorded, knownSize(known))))
    if (head.status === 'matches' && head.behind > 0) await writeCurrentHead(this.dataDir, this.ledger, heads)
    await this.recordKnownHead({tree: heads, computedAt: knownSize(known), ...(signed === undefined ? {} : {signed})})
  }

  /**
   * Records `signed` (by default the newest checkpoint this process signed) as the case's known
   * head, unless the record there has more events or this ledger does not extend it. `tree`: the
   * ledger's heads, computed at `computedAt` too, if the caller has them. `replacing`:
   * the record accepted as lost (`custody accept-restore`). Problems are notices, not failures.
   */
  async recordKnownHead(
    options: {tree?: TreeHeadSource | undefined; computedAt?: number | undefined; signed?: {body: string; signature: string}; replacing?: KnownHeadConflict} = {},
  ): Promise<RecordOutcome | undefined> {
    const signed = options.signed ?? this.ledger.lastSigned()
    if (signed === undefined) return undefined
    const rootAt = (size: number): string | undefined => {
      // The heads were computed at the size of the record read before the lock; when another
      // process replaced it meanwhile (rare), the ledger is read again for the new one.
      const given = options.tree
      const tree = given !== undefined && (size === given.size || size === options.computedAt) ? given : this.ledger.heads(size)
      return size > tree.size ? undefined : bytesToHex(tree.root(size))
    }

    const outcome = await recordKnownHead(this.knownHeads, {
      caseId: this.info.caseId,
      signed,
      location: this.root,
      rootAt,
      ...(options.replacing === undefined ? {} : {replacing: options.replacing.head.body}),
    })
    switch (outcome.status) {
      case 'not-written': {
        this.notices.push(
          `custody could not record this case's newest checkpoint: ${outcome.problem}. Until it can, events cut off the ledger's end or an older copy of the case put back are not detected on this account; make the folder writable, or set XDG_STATE_HOME to a folder you can write`,
        )
        break
      }

      case 'kept': {
        const {treeSize, rootHash} = outcome.head.checkpoint
        this.notices.push(
          `custody's record of this case in ${outcome.path} (${treeSize} events, root ${rootHash}) was kept: ${outcome.why === 'newer' ? 'it has more events than this copy' : 'this copy does not extend it'}. Another copy of the case was written to meanwhile; run \`custody verify\``,
        )
        break
      }

      case 'written': {
        if (outcome.aside !== undefined && options.replacing === undefined) this.notices.push(`custody's record of this case could not be read; it was kept as ${outcome.aside} and replaced`)
        break
      }

      default:
    }

    return outcome
  }

  /**
   * The key that signs this case's checkpoints now: the one the latest key event names, read from
   * the public facts (Ledger.publicFacts), so that no key is needed to know which key file opens.
   */
  signingKey(): PublicKeyInfo {
    let latest: {fingerprint: string; publicKey: string} | undefined
    for (const {facts} of this.ledger.publicFacts()) {
      if ((KEY_ACTIONS as readonly unknown[]).includes(facts.action)) latest = {fingerprint: String(facts.fingerprint), publicKey: String(facts.publicKey)}
    }

    const recorded = latest === undefined ? undefined : recordedKey({payload: latest})
    if (recorded === undefined || 'problem' in recorded) {
      throw new CustodyError('LEDGER_UNREADABLE', 'the ledger records no signing key for this case; run `custody verify`')
    }

    return recorded.key
  }

  /**
   * Opens the signing key with the passphrase; every append from now on ends with a checkpoint
   * it signs. Commands that append call this before doing any other work. `writeOnly`: the work
   * only adds content (ingest), and the case identity stays closed (openCaseKeys). `converting`:
   * `custody encrypt`, which may run on a conversion it began before (refuseIfConverting).
   */
  async unlock(passphrase: string, options: {writeOnly?: boolean; converting?: boolean} = {}): Promise<Signer> {
    this.refuseIfKeysDestroyed()
    // `custody encrypt` opens the signing key alone: it makes or opens the case keys itself.
    if (options.converting !== true) this.refuseIfConverting()
    const signer =
      options.converting === true
        ? await openSigningKey(this.dataDir, this.signingKey().fingerprint, passphrase)
        : options.writeOnly === true
          ? await this.unlockForWriting(passphrase)
          : await this.unlockAll(passphrase)
    this.ledger.useSigner({caseId: this.info.caseId, signer})
    this.unlocked = signer
    return signer
  }

  /**
   * The signing key and the vault's keys at once (each an scrypt, the vault's two in a row); a
   * wrong passphrase is said as the signing key's refusal.
   */
  private async unlockAll(passphrase: string): Promise<Signer> {
    const [signing, vault] = await Promise.allSettled([openSigningKey(this.dataDir, this.signingKey().fingerprint, passphrase), this.openVault({passphrase})])
    if (signing.status === 'rejected') throw signing.reason
    if (vault.status === 'rejected') throw vault.reason
    return signing.value
  }

  /**
   * The signing key, then the address key: one scrypt (64 MiB) at a time, so that an ingest's
   * peak memory is the same in an encrypted case as in clear. On two cores, two scrypts at once
   * take about as long as one after the other (README, "Speed", row j).
   */
  private async unlockForWriting(passphrase: string): Promise<Signer> {
    const signer = await openSigningKey(this.dataDir, this.signingKey().fingerprint, passphrase)
    await this.openVault({passphrase, writeOnly: true})
    return signer
  }

  /**
   * Refuses to add to a case that `custody encrypt` began to convert and has not finished (a crash,
   * or a kill): its keys are not yet those the ledger records, and nothing new may land in clear.
   */
  refuseIfConverting(): void {
    if (existsSync(join(this.dataDir, ENCRYPT_INTENT_FILE))) {
      throw new CustodyError('INTERRUPTED', 'a `custody encrypt` of this case was interrupted before it finished; nothing was added. Run `custody encrypt` again to complete it (the case verifies meanwhile)')
    }
  }

  /** Refuses, in one line, a case whose local keys were destroyed (`custody key destroy`): no passphrase opens it now. */
  refuseIfKeysDestroyed(): void {
    refuseDestroyedKeys(this.ledger)
  }

  /**
   * Starts opening the signing key and returns at once: the key derivation (scrypt, slow on
   * purpose: secret-box.ts) then runs beside the first steps of the work. The command awaits
   * ready() before anything it would have to undo: a wrong passphrase still leaves nothing behind.
   */
  beginUnlock(passphrase: string, options: {writeOnly?: boolean} = {}): void {
    this.unlocking = this.unlock(passphrase, options)
    // A rejection is reported by ready(); without this it would also be an unhandled one.
    this.unlocking.catch(() => undefined)
  }

  /** The open signing key, once beginUnlock() (or unlock()) has opened it; throws what opening threw. */
  async ready(): Promise<Signer> {
    if (this.unlocked !== undefined) return this.unlocked
    if (this.unlocking === undefined) throw new CustodyError('KEY_UNREADABLE', 'internal: the signing key was needed before the passphrase was given')
    return this.unlocking
  }

  /** From now on this key signs (after a rotation has recorded it). */
  useSigner(signer: Signer): void {
    this.ledger.useSigner({caseId: this.info.caseId, signer})
    this.unlocked = signer
  }

  /** The open signing key; only after unlock(). */
  signer(): Signer {
    if (this.unlocked === undefined) throw new CustodyError('KEY_UNREADABLE', 'internal: the signing key was needed before the passphrase opened it')
    return this.unlocked
  }

  /** Closes the ledger, and the vault's index of converted objects; closing again does nothing. */
  close(): void {
    this.converted?.close()
    this.ledger.close()
  }

  /** For `using`: closes the case, as close() does (again, harmlessly, after close()). */
  [Symbol.dispose](): void {
    this.close()
  }

  /** For `await using`: the same. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
  }
}

/** The size of the known head, when there is one: the ledger's heads are computed at it too. */
function knownSize(read: KnownHeadRead): number | undefined {
  return read.status === 'found' ? read.head.checkpoint.treeSize : undefined
}

async function writeCurrentHead(dataDir: string, ledger: Ledger, tree: TreeHeadSource = ledger.heads()): Promise<void> {
  await writeHeadRecord(dataDir, {
    size: tree.size,
    root: bytesToHex(tree.root()),
    lastHash: ledger.lastHash() ?? '',
    writtenAt: new Date().toISOString(),
  })
}

/** The first envelope's time and public facts, which must be a create-case event's. */
function firstFacts(ledger: Ledger): {time: string; facts: PublicFacts} {
  let first: {time: string; facts: PublicFacts} | undefined
  for (const {seq, time, facts} of ledger.publicFacts()) {
    if (first === undefined) {
      first = seq === 0 ? {time, facts} : undefined
      // A case made encrypted seals the name in create-case; one converted (a ledger in clear carried sealed) in its ledger-converted event, after the carried ones.
      if (first === undefined || first.facts.sealedInvestigator !== undefined || !ledger.converted) break
    } else if (facts.action === 'ledger-converted') {
      const {sealedInvestigator, sealedOrganisation} = facts
      if (typeof sealedInvestigator === 'string' && typeof sealedOrganisation === 'string') first = {time: first.time, facts: {...first.facts, sealedInvestigator, sealedOrganisation}}
      break
    }
  }

  if (first === undefined || first.facts.action !== 'create-case') throw new CustodyError('LEDGER_UNREADABLE', 'the ledger does not start with a create-case event; run `custody verify`')
  return first
}

/**
 * The investigator's name and organisation sealed in the create-case event, opened (the
 * organisation undefined when the event has none sealed: it stays locked); or why they cannot be
 * trusted.
 */
type SealedName = {name: string; organisation?: string | null} | {forged: CustodyError}

/**
 * The investigator's name and organisation sealed in the create-case event's public facts
 * (src/keys/sealed-investigator.ts), opened with the address key: undefined when the event has no
 * name sealed. A value that does not open (another case's, a byte changed, one in the other's
 * place) is a forged ledger, kept to be thrown when the name is read.
 */
function sealedNameOf(facts: PublicFacts, addressKey: Uint8Array): SealedName | undefined {
  const {sealedInvestigator: sealed, sealedOrganisation: organisation} = facts
  if (sealed === undefined) return undefined
  const key = settingsKeyOf(addressKey)
  const caseId = String(facts.caseId)
  try {
    const name = typeof sealed === 'string' ? openInvestigator(key, caseId, sealed) : undefined
    const opened = typeof organisation === 'string' ? openOrganisation(key, caseId, organisation) : undefined
    if (name !== undefined && organisation === undefined) return {name}
    if (name !== undefined && opened !== undefined) return {name, organisation: opened}
    return {forged: forgedRow(0, "(create-case) has an investigator's name or organisation sealed under another key or for another case, or changed")}
  } finally {
    key.fill(0)
  }
}

function nameOf(sealed: SealedName): string {
  if ('forged' in sealed) throw sealed.forged
  return sealed.name
}

/** The sealed organisation, or undefined when none was sealed (it is then read from the body only). */
function organisationOf(sealed: SealedName): string | null | undefined {
  if ('forged' in sealed) throw sealed.forged
  return sealed.organisation
}

/**
 * What a sealed ledger (schema 4) says of its case with no key that opens its first body: the ID,
 * prefix, version and time of its first envelope; once the address key opened the investigator's
 * name sealed in it (`sealed`: a write-only run, a field case's passphrase), that name too, so that
 * such a run records its events in it. The title and organisation, and until then the
 * investigator, are in the body: reading them is CONTENT_LOCKED.
 */
function publicCaseInfo(ledger: Ledger, sealed?: SealedName): CaseInfo {
  const {time, facts} = firstFacts(ledger)
  const locked = (): never => {
    throw contentLocked(0, facts.field === true)
  }

  return {
    caseId: String(facts.caseId),
    prefix: String(facts.prefix),
    custodyVersion: String(facts.custodyVersion),
    createdAt: time,
    get title(): string {
      return locked()
    },
    get investigator(): string {
      return sealed === undefined ? locked() : nameOf(sealed)
    },
    get organisation(): string | null {
      const organisation = sealed === undefined ? undefined : organisationOf(sealed)
      return organisation === undefined ? locked() : organisation
    },
  }
}

/**
 * What a sealed ledger's case is once its keys are open (Case.useKeys): from the first body when
 * a key given opens it, its investigator being the one sealed in the public facts (INTEGRITY naming
 * the event otherwise, when the name is read); else from the public facts (publicCaseInfo): a
 * write-only run, a field case's passphrase, a recipient added after a field case's first run.
 */
function sealedCaseInfo(ledger: Ledger, keys: VaultKeys): CaseInfo {
  const sealed = sealedNameOf(firstFacts(ledger).facts, keys.addressKey)
  const opened = publicCaseInfo(ledger, sealed)
  if (keys.identities.length === 0) return opened
  let body: CaseInfo
  try {
    body = caseInfoFrom(ledger.firstEvent().event)
  } catch (error) {
    if (error instanceof CustodyError && error.code === 'CONTENT_LOCKED') return opened
    throw error
  }

  if (sealed === undefined) return body
  const {investigator, organisation, ...rest} = body
  return {
    ...rest,
    get investigator(): string {
      if (nameOf(sealed) !== investigator) throw forgedRow(0, "(create-case) has an investigator's name sealed that is not its body's")
      return investigator
    },
    get organisation(): string | null {
      const opened = organisationOf(sealed)
      if (opened !== undefined && opened !== organisation) throw forgedRow(0, "(create-case) has an organisation sealed that is not its body's")
      return organisation
    },
  }
}

function caseInfoFrom(event: CustodyEvent): CaseInfo {
  if (event.action !== 'create-case') {
    throw new CustodyError('LEDGER_UNREADABLE', 'the ledger does not start with a create-case event; run `custody verify`')
  }

  const {caseId, title, investigator, organisation, prefix, custodyVersion} = event.payload
  return {caseId, title, investigator, organisation, prefix, createdAt: event.time, custodyVersion}
}

export interface InitOptions {
  dir: string
  title: string
  investigator: string
  organisation?: string | undefined
  prefix?: string | undefined
  /** Protects the investigator's signing key, which init creates, and the case keys. */
  passphrase: string
  /** HQ's age recipients: each opens the whole case with its own identity (recorded as recipient-added). */
  recipients?: AgeRecipient[] | undefined
  /** Labels of recipients (by their age1… text), for recipients.txt and the ledger. */
  labels?: ReadonlyMap<string, string> | undefined
  /** A field case: no case identity, so that no key on the laptop decrypts content (needs recipients). */
  field?: boolean | undefined
  /** A vault in clear and no case keys: only when asked for. */
  plaintext?: boolean | undefined
  /**
   * An encrypted case's ledger keeps its event bodies sealed under run keys (schema 4) unless this
   * is false: then schema 3, bodies in clear, as init made them before issue 19's switch (no
   * command asks for it; the tests make such cases, which custody still reads and writes).
   */
  sealedBodies?: boolean | undefined
}

function required(value: string | undefined, field: Field): string {
  const trimmed = value?.trim() ?? ''
  if (trimmed === '') throw new CustodyError('INVALID_ARGUMENT', said`${field} must not be empty`)
  return trimmed
}

/**
 * The folder a new case goes in, resolved: refused before any work when a case is there already,
 * or when it is not a folder, or cannot be made or written in (checkFolderDestination).
 */
export function newCaseFolder(dir: string): string {
  const root = checkFolderDestination(dir, NEW_CASE.dir)
  const target = join(root, CASE_FOLDER)
  if (existsSync(target)) {
    throw new CustodyError('CASE_EXISTS', `${root} already holds a custody case (${target}); nothing was changed. Use that case, or init another folder`, {subject: root})
  }

  return root
}

/**
 * What init refuses before the passphrase is asked for: a folder that cannot hold the case
 * (newCaseFolder), and a title, investigator or prefix it would refuse.
 */
export function checkInit(options: Omit<InitOptions, 'passphrase'>): {root: string; title: string; investigator: string; prefix: string; organisation: string | null} {
  const root = newCaseFolder(options.dir)
  const title = required(options.title, CASE.title)
  const investigator = required(options.investigator, CASE.investigator)
  const prefix = options.prefix ?? DEFAULT_PREFIX
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new CustodyError('INVALID_ARGUMENT', said`${CASE.prefix} must be 1 to 12 capital letters or digits, starting with a letter (like EX or CRIMEA24), got ${JSON.stringify(prefix)}`)
  }

  return {root, title, investigator, prefix, organisation: options.organisation?.trim() || null}
}

/**
 * Makes a case. The `.custody/` folder is built under a temporary name and renamed into place
 * when complete, so an interrupted init leaves no half-made case; an existing case is refused and
 * left untouched.
 */
export async function initCase(options: InitOptions): Promise<{root: string; info: CaseInfo; signingKey: string; keys: InitKeys; notices: string[]}> {
  const {root, title, investigator, prefix, organisation} = checkInit(options)
  const recipients = options.recipients ?? []
  const field = options.field === true
  checkNewPassphrase(options.passphrase)
  const target = join(root, CASE_FOLDER)
  await makeFolders(root, NEW_CASE.dir, options.dir)
  const staging = join(root, `${CASE_FOLDER}.init-${randomBytes(6).toString('hex')}`)
  let signed: {body: string; signature: string} | undefined
  let caseRecipientText: string | undefined
  try {
    // Its owner's alone, as everything custody makes in it (see io/files.ts).
    await mkdir(staging, {mode: PRIVATE_FOLDER})
    await new Vault(join(staging, VAULT_FOLDER)).create({encrypted: options.plaintext !== true})
    const signer = await createSigningKey(staging, options.passphrase)
    // An encrypted case's ledger is schema 4, its event bodies sealed and its lookup columns keyed
    // by the address key (schema 3, bodies in clear, only when asked for); a case in clear keeps schema 2.
    const sealedLedger = options.sealedBodies !== false && options.plaintext !== true
    const {caseRecipient, caseIdentity, tagKey, settingsKey} =
      options.plaintext === true
        ? {caseRecipient: undefined, caseIdentity: undefined, tagKey: undefined, settingsKey: undefined}
        : await createCaseKeys(staging, options.passphrase, {recipients, field, sealedLedger, ...(options.labels === undefined ? {} : {labels: options.labels})})
    caseRecipientText = caseRecipient?.text
    const bodyKeys =
      sealedLedger && tagKey !== undefined
        ? {recipients: [...(caseRecipient === undefined ? [] : [caseRecipient]), ...recipients], identities: caseIdentity === undefined ? [] : [caseIdentity]}
        : undefined

    const caseId = randomUUID()
    const first = createCaseDraft(
      {caseId, title, investigator, organisation, prefix, custodyVersion: CUSTODY_VERSION, ...(caseRecipient === undefined ? {} : {caseRecipient: caseRecipient.text}), ...(field ? {field: true as const} : {})},
      bodyKeys === undefined ? undefined : settingsKey,
    )
    settingsKey?.fill(0)
    const {ledger} = Ledger.create(
      join(staging, LEDGER_FILE),
      [
        first,
        {
          actor: investigator,
          action: 'key-created',
          exhibit: null,
          payload: {algorithm: 'Ed25519', fingerprint: signer.fingerprint, publicKey: signer.spki.toString('base64'), holder: investigator},
        },
        ...recipientAddedDrafts(investigator, recipients, options.labels),
      ],
      {caseId, signer},
      {...(tagKey === undefined ? {} : {tagKey}), ...(bodyKeys === undefined ? {} : {bodyKeys})},
    )
    try {
      await writeCurrentHead(staging, ledger)
      signed = ledger.lastSigned()
    } finally {
      ledger.close()
    }

    try {
      // rename(2) onto an existing non-empty folder fails, so a concurrent init cannot be overwritten.
      await rename(staging, target)
    } catch {
      throw new CustodyError('CASE_EXISTS', `${root} already holds a custody case (${target}); nothing was changed`)
    }
  } finally {
    await rm(staging, {recursive: true, force: true})
  }

  await using opened = Case.open({root, foundBy: 'flag'})
  await opened.recordKnownHead({...(signed === undefined ? {} : {signed})})
  const keys = {mode: caseKeyMode(opened), recipients: madeRecipients(opened, {title, investigator, organisation}, caseRecipientText, options)}
  const inClear = options.plaintext === true ? ['the vault of this case is in clear (--plaintext): whoever holds the disk holds every original, record and statement in it; keep it on an encrypted disk'] : []
  return {root, info: opened.info, signingKey: opened.signingKey().fingerprint, keys, notices: [...inClear, ...opened.notices]}
}

/**
 * The first event: what the case is. A sealed ledger's (`settingsKey` given) also carries the
 * investigator's name and organisation sealed under the address key
 * (src/keys/sealed-investigator.ts): the default actor of the runs that open no body, and with it
 * the case's custodian line.
 */
function createCaseDraft(payload: Omit<CreateCasePayload, 'sealedInvestigator' | 'sealedOrganisation'>, settingsKey: Uint8Array | undefined): CustodyEventDraft {
  const sealed =
    settingsKey === undefined
      ? {}
      : {sealedInvestigator: sealInvestigator(settingsKey, payload.caseId, payload.investigator), sealedOrganisation: sealOrganisation(settingsKey, payload.caseId, payload.organisation)}
  return {actor: payload.investigator, action: 'create-case', exhibit: null, payload: {...payload, ...sealed}}
}

/**
 * The recipients of a case just made. A sealed ledger's settings and labels are in its bodies,
 * which no key opens here: what init was given says them (and `opened` is told its settings).
 */
function madeRecipients(opened: Case, settings: Pick<CaseInfo, 'title' | 'investigator' | 'organisation'>, caseRecipient: string | undefined, options: InitOptions): NamedRecipient[] {
  if (opened.ledger.schema !== SEALED_SCHEMA_VERSION) return namedRecipients(opened)
  const {caseId, prefix, custodyVersion, createdAt} = opened.info
  opened.useInfo({caseId, prefix, custodyVersion, createdAt, ...settings})
  const own = caseRecipient === undefined ? [] : [{recipient: caseRecipient, label: 'case identity', seq: 0}]
  // The key-created event is event 1; the recipient-added events follow it.
  return [...own, ...(options.recipients ?? []).map((r, i) => ({recipient: r.text, label: options.labels?.get(r.text) ?? 'HQ recipient', seq: 2 + i}))]
}

/** What init says of the case keys: the mode, and every recipient. */
export interface InitKeys {
  mode: CaseKeyMode
  recipients: NamedRecipient[]
}
