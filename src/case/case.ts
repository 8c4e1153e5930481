/**
 * A case on disk: `DIR/.custody/` holding the ledger (`ledger.sqlite`), the vault (`vault/`), the
 * investigator's encrypted signing key (`keys/`) and the last tree head (`head.json`).
 *
 * A command finds its case from `--case DIR`, else `CUSTODY_CASE`, else by walking up from the
 * working directory, as git finds its repository. The case's own facts (title, investigator,
 * exhibit prefix) are the payload of the ledger's first event, so they are as tamper-evident as
 * the rest.
 */
import {randomBytes, randomUUID} from 'node:crypto'
import {existsSync, statSync} from 'node:fs'
import {mkdir, rename, rm, stat} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {bytesToHex} from '@noble/hashes/utils.js'
import {CustodyError} from '../errors.js'
import type {LedgerEvent} from '../ledger/event.js'
import {compareWithHead, writeHeadRecord, type TreeHeadSource} from '../ledger/head-file.js'
import {Ledger} from '../ledger/ledger.js'
import {PRIVATE_FOLDER} from '../io/files.js'
import {checkNewPassphrase} from '../keys/passphrase.js'
import {createSigningKey, openSigningKey, type PublicKeyInfo, type Signer} from '../keys/signing-key.js'
import {Vault} from '../vault/vault.js'
import {CUSTODY_VERSION} from '../version.js'

export const CASE_FOLDER = '.custody'
export const LEDGER_FILE = 'ledger.sqlite'
export const VAULT_FOLDER = 'vault'
export const DEFAULT_PREFIX = 'EX'

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

export function locateCase(options: {caseDir?: string | undefined; env?: NodeJS.ProcessEnv; cwd?: string} = {}): CaseLocation {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const explicit = options.caseDir ?? (env.CUSTODY_CASE === '' ? undefined : env.CUSTODY_CASE)
  if (explicit !== undefined) {
    const root = resolve(cwd, explicit)
    if (!isCaseRoot(root)) {
      const how = options.caseDir === undefined ? 'CUSTODY_CASE' : '--case'
      throw new CustodyError('CASE_NOT_FOUND', `${root} (from ${how}) is not a custody case: it has no ${CASE_FOLDER}/${LEDGER_FILE}; run \`custody init ${explicit}\` to make one`)
    }

    return {root, foundBy: options.caseDir === undefined ? 'environment' : 'flag'}
  }

  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (isCaseRoot(dir)) return {root: dir, foundBy: 'working directory'}
    if (dirname(dir) === dir) break
  }

  throw new CustodyError(
    'CASE_NOT_FOUND',
    `no custody case in ${cwd} or any folder above it; run \`custody init\` to make one, or name it with --case DIR or CUSTODY_CASE`,
  )
}

export class Case implements AsyncDisposable {
  readonly root: string
  readonly dataDir: string
  readonly ledger: Ledger
  readonly vault: Vault
  readonly info: CaseInfo
  private unlocked: Signer | undefined
  private unlocking: Promise<Signer> | undefined

  private constructor(root: string, ledger: Ledger) {
    this.root = root
    this.dataDir = join(root, CASE_FOLDER)
    this.ledger = ledger
    this.vault = new Vault(join(this.dataDir, VAULT_FOLDER))
    this.info = caseInfoFrom(ledger.firstEvent().event)
  }

  static open(location: CaseLocation): Case {
    const ledger = Ledger.open(join(location.root, CASE_FOLDER, LEDGER_FILE))
    try {
      return new Case(location.root, ledger)
    } catch (error) {
      ledger.close()
      throw error
    }
  }

  /**
   * Refuses to add to a ledger that no longer holds its recorded tree head: appending would bury
   * the evidence of tampering under a new head. Run before a command appends anything.
   */
  async assertIntactHead(): Promise<void> {
    const head = await compareWithHead(this.dataDir, (recorded) => this.ledger.heads(recorded))
    if (head.status === 'matches') return
    const what =
      head.status === 'unreadable' ? head.problem : head.status === 'shorter' ? 'events were removed from its end' : 'its recorded events were rewritten'
    throw new CustodyError(
      'INTEGRITY',
      `the ledger of this case does not match its last recorded tree head (${what}); nothing was added. Run \`custody verify\`, and keep a copy of the case as it is`,
    )
  }

  /** Records the current tree head when it extends the recorded one (another command may have gone further). */
  async recordHead(): Promise<void> {
    let heads: TreeHeadSource | undefined
    const head = await compareWithHead(this.dataDir, (recorded) => (heads = this.ledger.heads(recorded)))
    if (head.status !== 'matches' || head.behind === 0) return
    await writeCurrentHead(this.dataDir, this.ledger, heads)
  }

  /** The key that signs this case's checkpoints now: the one the latest key event names. */
  signingKey(): PublicKeyInfo {
    const latest = this.ledger.eventsOfKind('key-created', 'key-rotated').at(-1)
    const key = latest === undefined ? undefined : keyFromEvent(latest.event)
    if (key === undefined) {
      throw new CustodyError('LEDGER_UNREADABLE', 'the ledger records no signing key for this case; run `custody verify`')
    }

    return key
  }

  /**
   * Opens the signing key with the passphrase; every append from now on ends with a checkpoint
   * it signs. Commands that append call this before doing any other work.
   */
  async unlock(passphrase: string): Promise<Signer> {
    const signer = await openSigningKey(this.dataDir, this.signingKey().fingerprint, passphrase)
    this.ledger.useSigner({caseId: this.info.caseId, signer})
    this.unlocked = signer
    return signer
  }

  /**
   * Starts opening the signing key and returns at once: the key derivation (about half a second)
   * then runs beside the first steps of the work. The command awaits ready() before anything it
   * would have to undo: a wrong passphrase still leaves nothing behind.
   */
  beginUnlock(passphrase: string): void {
    this.unlocking = this.unlock(passphrase)
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

  close(): void {
    this.ledger.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
  }
}

async function writeCurrentHead(dataDir: string, ledger: Ledger, tree: TreeHeadSource = ledger.heads()): Promise<void> {
  await writeHeadRecord(dataDir, {
    size: tree.size,
    root: bytesToHex(tree.root()),
    lastHash: ledger.lastHash() ?? '',
    writtenAt: new Date().toISOString(),
  })
}

/** The public key a key-created event records, read without trusting the event's shape. */
export function keyFromEvent(event: {payload: {[key: string]: unknown}}): PublicKeyInfo | undefined {
  const {fingerprint, publicKey, algorithm} = event.payload
  if (algorithm !== 'Ed25519' || typeof fingerprint !== 'string' || typeof publicKey !== 'string') return undefined
  return {algorithm: 'Ed25519', fingerprint, spki: Buffer.from(publicKey, 'base64')}
}

function caseInfoFrom(event: LedgerEvent): CaseInfo {
  const p = event.payload
  if (event.action !== 'create-case' || typeof p.caseId !== 'string' || typeof p.prefix !== 'string' || typeof p.title !== 'string') {
    throw new CustodyError('LEDGER_UNREADABLE', 'the ledger does not start with a create-case event; run `custody verify`')
  }

  return {
    caseId: p.caseId,
    title: p.title,
    investigator: typeof p.investigator === 'string' ? p.investigator : event.actor,
    organisation: typeof p.organisation === 'string' ? p.organisation : null,
    prefix: p.prefix,
    createdAt: event.time,
    custodyVersion: typeof p.custodyVersion === 'string' ? p.custodyVersion : 'unknown',
  }
}

export interface InitOptions {
  dir: string
  title: string
  investigator: string
  organisation?: string | undefined
  prefix?: string | undefined
  /** Protects the investigator's signing key, which init creates. */
  passphrase: string
}

function required(value: string | undefined, flag: string): string {
  const trimmed = value?.trim() ?? ''
  if (trimmed === '') throw new CustodyError('INVALID_ARGUMENT', `${flag} must not be empty`)
  return trimmed
}

/**
 * Makes a case. The `.custody/` folder is built under a temporary name and renamed into place
 * when complete, so an interrupted init leaves no half-made case; an existing case is refused and
 * left untouched.
 */
export async function initCase(options: InitOptions): Promise<{root: string; info: CaseInfo; signingKey: string}> {
  const root = resolve(options.dir)
  const title = required(options.title, '--title')
  const investigator = required(options.investigator, '--investigator')
  const prefix = options.prefix ?? DEFAULT_PREFIX
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new CustodyError('INVALID_ARGUMENT', `--prefix must be 1 to 12 capital letters or digits, starting with a letter (like EX or CRIMEA24), got ${JSON.stringify(prefix)}`)
  }

  const organisation = options.organisation?.trim() || null
  checkNewPassphrase(options.passphrase)
  const target = join(root, CASE_FOLDER)
  if (existsSync(target)) {
    throw new CustodyError('CASE_EXISTS', `${root} already holds a custody case (${target}); nothing was changed. Use that case, or init another folder`)
  }

  const existing = await stat(root).catch(() => undefined)
  if (existing !== undefined && !existing.isDirectory()) {
    throw new CustodyError('INVALID_ARGUMENT', `${root} exists and is not a folder; choose a folder for the case`)
  }

  await mkdir(root, {recursive: true})
  const staging = join(root, `${CASE_FOLDER}.init-${randomBytes(6).toString('hex')}`)
  try {
    // Its owner's alone, as everything custody makes in it (see io/files.ts).
    await mkdir(staging, {mode: PRIVATE_FOLDER})
    await new Vault(join(staging, VAULT_FOLDER)).create()
    const signer = await createSigningKey(staging, options.passphrase)

    const caseId = randomUUID()
    const {ledger} = Ledger.create(
      join(staging, LEDGER_FILE),
      [
        {
          actor: investigator,
          action: 'create-case',
          exhibit: null,
          payload: {caseId, title, investigator, organisation, prefix, custodyVersion: CUSTODY_VERSION},
        },
        {
          actor: investigator,
          action: 'key-created',
          exhibit: null,
          payload: {algorithm: 'Ed25519', fingerprint: signer.fingerprint, publicKey: signer.spki.toString('base64'), holder: investigator},
        },
      ],
      {caseId, signer},
    )
    try {
      await writeCurrentHead(staging, ledger)
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
  return {root, info: opened.info, signingKey: opened.signingKey().fingerprint}
}
