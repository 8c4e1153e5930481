/**
 * Witness identities, encrypted at rest, with a commitment that travels in clear.
 *
 * The case has one identity key pair, X25519 (RFC 7748). Its private half is PKCS#8 in a secret box
 * under the case passphrase, in `.custody/keys/identities.json`; its public half needs no
 * passphrase, so recording an identity never decrypts any other.
 *
 * In an encrypted case the private half is also kept for the case's recipients, PKCS#8 in an age
 * file encrypted to each of them (`.custody/keys/identities.recipients.age`): HQ opens every
 * witness identity with its own age identity, without the field passphrase (threat C of issue 19),
 * and `custody key destroy` can destroy the passphrase's copy without losing them.
 *
 * An identity is sealed to that key as in ECIES: a fresh X25519 key pair per record, the shared
 * secret through HKDF-SHA256 (RFC 5869) into an AES-256-GCM key; the case and witness code are the
 * associated data, so a sealed record cannot be moved to stand for another witness. The sealed
 * record is a vault object; the ledger names it by its SHA-256. Drafts of unfinished interviews
 * are sealed to the same key in the same way (draft.ts), with HKDF info of their own.
 *
 * The commitment is the SHA-256 of the plaintext record (RFC 8785 canonical JSON), which holds a
 * random 256-bit salt: without the record nobody can test guesses of the name against it; with a
 * record disclosed later, `sha256sum` shows that it is the one recorded at the interview.
 */
import {createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {decryptBytes} from '../age/decrypt.js'
import {encryptBytes} from '../age/encrypt.js'
import type {AgeIdentity, AgeRecipient} from '../age/x25519.js'
import {canonicalize} from '../canonical/jcs.js'
import {CustodyError, errnoOf, messageOf} from '../errors.js'
import {sha256Hex} from '../hashing/digests.js'
import {writeFileDurably} from '../io/files.js'
import {KEYS_FOLDER} from '../keys/signing-key.js'
import {openSecret, sealSecret, type SecretBox} from '../keys/secret-box.js'
import type {ProtectedDetails} from './record.js'

export const IDENTITY_KEY_FILE = 'identities.json'
/** The private identity key (PKCS#8 DER) encrypted to every recipient of an encrypted case. */
export const IDENTITY_KEY_RECIPIENTS_FILE = 'identities.recipients.age'
const HKDF_INFO = 'custody witness identity v1'

interface IdentityKeyFile {
  format: 'custody-identity-key/v1'
  algorithm: 'X25519'
  fingerprint: string
  /** Base64 SPKI DER. */
  publicKey: string
  createdAt: string
  privateKey: SecretBox
}

/** The plaintext that is encrypted and committed to. */
export interface IdentityRecord extends ProtectedDetails {
  type: 'custody-witness-identity/v1'
  case: string
  witness: string
  /** 32 random bytes, hex: the commitment's salt. */
  salt: string
}

/** What is sealed to the identity key: the ciphertext and what opens it with the private key. */
export interface SealedBox {
  /** Fingerprint of the case identity key it is encrypted to. */
  to: string
  /** Base64 SPKI DER of the one-time X25519 key. */
  ephemeral: string
  iv: string
  tag: string
  ciphertext: string
}

export interface SealedIdentity extends SealedBox {
  format: 'custody-sealed-identity/v1'
}

export interface IdentityPublicKey {
  fingerprint: string
  key: KeyObject
  spki: Buffer
}

function keyPath(dataDir: string, file = IDENTITY_KEY_FILE): string {
  return join(dataDir, KEYS_FOLDER, file)
}

/** The private key, opened: with the passphrase, or with recipients' identities (identities.recipients.age). */
export type IdentityKeyUnlock = string | {identities: readonly AgeIdentity[]}

/** What opens the key for work given both: the recipients' identities when given (HQ's), else the passphrase. */
export function identityKeyUnlock<P extends string | undefined>(given: {passphrase: P; identities?: readonly AgeIdentity[] | undefined}): P | {identities: readonly AgeIdentity[]} {
  return given.identities === undefined ? given.passphrase : {identities: given.identities}
}

/** The private identity key, its fingerprint the one its file names. */
export interface IdentityPrivateKey {
  fingerprint: string
  key: KeyObject
}

function fingerprintOf(spki: Buffer): string {
  return `SHA256:${sha256Hex(spki)}`
}

async function readKeyFile(dataDir: string): Promise<IdentityKeyFile | undefined> {
  const path = keyPath(dataDir)
  let parsed: Partial<IdentityKeyFile>
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<IdentityKeyFile>
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined
    throw new CustodyError('KEY_UNREADABLE', `the witness identity key file ${path} is unreadable; restore it from a backup of the case`, {subject: path, cause: error})
  }

  if (parsed.format !== 'custody-identity-key/v1' || typeof parsed.publicKey !== 'string' || typeof parsed.fingerprint !== 'string') {
    throw new CustodyError('KEY_UNREADABLE', `${path} is not a custody identity key; restore it from a backup of the case`, {subject: path})
  }

  return parsed as IdentityKeyFile
}

function publicFrom(file: IdentityKeyFile, path: string): IdentityPublicKey {
  const spki = Buffer.from(file.publicKey, 'base64')
  let key: KeyObject
  try {
    key = createPublicKey({key: spki, format: 'der', type: 'spki'})
  } catch (error) {
    throw new CustodyError('KEY_UNREADABLE', `${path} holds no readable public key; restore it from a backup of the case`, {subject: path, cause: error})
  }

  if (key.asymmetricKeyType !== 'x25519' || fingerprintOf(spki) !== file.fingerprint) {
    throw new CustodyError('KEY_UNREADABLE', `${path} does not hold the X25519 key it names; restore it from a backup of the case`, {subject: path})
  }

  return {fingerprint: file.fingerprint, key, spki}
}

/** The public identity key, if the case has one yet. */
export async function identityPublicKey(dataDir: string): Promise<IdentityPublicKey | undefined> {
  const file = await readKeyFile(dataDir)
  return file === undefined ? undefined : publicFrom(file, keyPath(dataDir))
}

/**
 * The case's identity key, made on first need (the first testimony with protected details). Two
 * commands making it at once cannot both win: the second finds the first's file and uses it.
 */
export async function ensureIdentityKey(dataDir: string, passphrase: string, recipients: readonly AgeRecipient[] = []): Promise<IdentityPublicKey> {
  const existing = await identityPublicKey(dataDir)
  if (existing !== undefined) {
    // Made by a run that stopped before it kept the key for the recipients: kept now.
    if (recipients.length > 0 && !existsSync(keyPath(dataDir, IDENTITY_KEY_RECIPIENTS_FILE))) {
      await keepIdentityKeyForRecipients(dataDir, await openIdentityKey(dataDir, passphrase), recipients)
    }

    return existing
  }

  const {privateKey, publicKey} = generateKeyPairSync('x25519')
  const spki = publicKey.export({type: 'spki', format: 'der'})
  const fingerprint = fingerprintOf(spki)
  const pkcs8 = privateKey.export({type: 'pkcs8', format: 'der'})
  const file: IdentityKeyFile = {
    format: 'custody-identity-key/v1',
    algorithm: 'X25519',
    fingerprint,
    publicKey: spki.toString('base64'),
    createdAt: new Date().toISOString(),
    privateKey: await sealSecret(pkcs8, passphrase, labelFor(fingerprint)),
  }
  pkcs8.fill(0)
  await mkdir(join(dataDir, KEYS_FOLDER), {recursive: true, mode: 0o700})
  const written = await writeFileDurably(keyPath(dataDir), `${JSON.stringify(file, null, 2)}\n`, {mode: 0o600, overwrite: false})
  if (!written) return ensureIdentityKey(dataDir, passphrase, recipients)
  if (recipients.length > 0) await keepIdentityKeyForRecipients(dataDir, {fingerprint, key: privateKey}, recipients)
  return {fingerprint, key: publicKey, spki}
}

/**
 * Writes identities.recipients.age: the private key encrypted to `recipients` (every recipient of
 * the case), by temp file and rename over the one before.
 */
export async function keepIdentityKeyForRecipients(dataDir: string, key: IdentityPrivateKey, recipients: readonly AgeRecipient[]): Promise<void> {
  const pkcs8 = key.key.export({type: 'pkcs8', format: 'der'})
  try {
    await writeFileDurably(keyPath(dataDir, IDENTITY_KEY_RECIPIENTS_FILE), encryptBytes(pkcs8, recipients), {mode: 0o600, overwrite: true})
  } finally {
    pkcs8.fill(0)
  }
}

/** Whether the case has a witness identity key (made at its first testimony with protected details). */
export function hasIdentityKey(dataDir: string): boolean {
  return existsSync(keyPath(dataDir))
}

function labelFor(fingerprint: string): string {
  return `custody witness identity key ${fingerprint}`
}

/**
 * The private identity key, opened with the passphrase, or with recipients' identities through
 * identities.recipients.age (WRONG_KEY when none of them opens it).
 */
export async function openIdentityKey(dataDir: string, unlock: IdentityKeyUnlock): Promise<IdentityPrivateKey> {
  const path = keyPath(dataDir)
  const file = await readKeyFile(dataDir)
  if (file === undefined) {
    throw new CustodyError('KEY_UNREADABLE', `the witness identity key ${path} is missing; restore .custody/keys/ from a backup of the case`, {subject: path})
  }

  const pkcs8 = typeof unlock === 'string'
    ? await openSecret(file.privateKey, unlock, labelFor(file.fingerprint), {name: 'the witness identity key', id: `witness identity key ${file.fingerprint}`, file: path})
    : await openForRecipients(dataDir, unlock.identities)
  const from = typeof unlock === 'string' ? path : keyPath(dataDir, IDENTITY_KEY_RECIPIENTS_FILE)
  try {
    const key = createPrivateKey({key: pkcs8, format: 'der', type: 'pkcs8'})
    const spki = createPublicKey(key).export({type: 'spki', format: 'der'})
    if (key.asymmetricKeyType !== 'x25519' || fingerprintOf(spki) !== file.fingerprint) throw new Error('not the key the file names')
    return {fingerprint: file.fingerprint, key}
  } catch (error) {
    throw new CustodyError('KEY_UNREADABLE', `${from} does not hold the witness identity key ${file.fingerprint}; restore it from a backup of the case`, {subject: from, cause: error})
  } finally {
    pkcs8.fill(0)
  }
}

/** identities.recipients.age, opened by one of `identities`. */
async function openForRecipients(dataDir: string, identities: readonly AgeIdentity[]): Promise<Buffer> {
  const path = keyPath(dataDir, IDENTITY_KEY_RECIPIENTS_FILE)
  let sealed: Buffer
  try {
    sealed = await readFile(path)
  } catch (error) {
    throw new CustodyError(
      'KEY_UNREADABLE',
      errnoOf(error) === 'ENOENT'
        ? `the witness identity key is not kept for the case's recipients (${path} is missing: the key was made before custody kept it for them, or no recipient was added since); give the case passphrase, or run \`custody key add-recipient\` once with it`
        : `cannot read ${path}: ${messageOf(error)}`,
      {subject: path, cause: error},
    )
  }

  try {
    return await decryptBytes(sealed, identities, {object: path})
  } catch (error) {
    if (error instanceof CustodyError && error.code === 'WRONG_KEY') {
      throw new CustodyError('WRONG_KEY', `none of the identities given opens the witness identity key (${path}): give the identity file of one of the recipients \`custody key show\` lists`, {subject: path})
    }

    throw error
  }
}

/** The private identity key, or undefined when the case has none yet (no testimony with protected details). */
export async function openIdentityKeyIfAny(dataDir: string, passphrase: string): Promise<IdentityPrivateKey | undefined> {
  return (await readKeyFile(dataDir)) === undefined ? undefined : openIdentityKey(dataDir, passphrase)
}

/** Puts the identity key under a new passphrase (temp file, fsync, rename over the old file). */
export async function rewrapIdentityKey(dataDir: string, key: {fingerprint: string; key: KeyObject}, passphrase: string): Promise<void> {
  const file = (await readKeyFile(dataDir))!
  const pkcs8 = key.key.export({type: 'pkcs8', format: 'der'})
  try {
    const rewrapped: IdentityKeyFile = {...file, privateKey: await sealSecret(pkcs8, passphrase, labelFor(key.fingerprint))}
    await writeFileDurably(keyPath(dataDir), `${JSON.stringify(rewrapped, null, 2)}\n`, {mode: 0o600, overwrite: true})
  } finally {
    pkcs8.fill(0)
  }
}

export function identityRecord(caseId: string, witness: string, details: ProtectedDetails): IdentityRecord {
  return {type: 'custody-witness-identity/v1', case: caseId, witness, ...details, salt: randomBytes(32).toString('hex')}
}

/** The exact bytes committed to, and disclosed. */
export function identityBytes(record: IdentityRecord): Buffer {
  return Buffer.from(canonicalize(record), 'utf8')
}

export function commitmentOf(record: IdentityRecord): string {
  return sha256Hex(identityBytes(record))
}

function associatedData(caseId: string, witness: string): Buffer {
  return Buffer.from(`custody witness identity ${caseId} ${witness}`, 'utf8')
}

function aeadKey(shared: Buffer, ephemeral: Buffer, recipient: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeral, recipient]), info, 32))
}

/**
 * ECIES to the case's identity key: a one-time X25519 key, the shared secret through HKDF-SHA256
 * (with `info`, which keeps each use of the key apart) into an AES-256-GCM key, `associated` bound in.
 */
export function sealToIdentityKey(plain: Uint8Array, to: IdentityPublicKey, info: string, associated: Buffer): SealedBox {
  const {privateKey, publicKey} = generateKeyPairSync('x25519')
  const ephemeral = publicKey.export({type: 'spki', format: 'der'})
  const key = aeadKey(diffieHellman({privateKey, publicKey: to.key}), ephemeral, to.spki, info)
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(associated)
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()])
  key.fill(0)
  return {
    to: to.fingerprint,
    ephemeral: ephemeral.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  }
}

/** Opens what sealToIdentityKey sealed with the same `info` and `associated`; throws when it was altered, or is for another key. */
export function openWithIdentityKey(box: SealedBox, key: {key: KeyObject}, info: string, associated: Buffer): Buffer {
  const ephemeral = Buffer.from(box.ephemeral, 'base64')
  const recipient = createPublicKey(key.key).export({type: 'spki', format: 'der'})
  const aes = aeadKey(diffieHellman({privateKey: key.key, publicKey: createPublicKey({key: ephemeral, format: 'der', type: 'spki'})}), ephemeral, recipient, info)
  try {
    const decipher = createDecipheriv('aes-256-gcm', aes, Buffer.from(box.iv, 'base64'))
    decipher.setAAD(associated)
    decipher.setAuthTag(Buffer.from(box.tag, 'base64'))
    return Buffer.concat([decipher.update(Buffer.from(box.ciphertext, 'base64')), decipher.final()])
  } finally {
    aes.fill(0)
  }
}

/** Is it a box sealToIdentityKey made (its fields there, not yet opened)? */
export function isSealedBox(value: unknown): value is SealedBox {
  const box = value as Partial<SealedBox> | null
  return typeof box === 'object' && box !== null && ['to', 'ephemeral', 'iv', 'tag', 'ciphertext'].every((k) => typeof box[k as keyof SealedBox] === 'string')
}

export function sealIdentity(record: IdentityRecord, to: IdentityPublicKey): SealedIdentity {
  return {format: 'custody-sealed-identity/v1', ...sealToIdentityKey(identityBytes(record), to, HKDF_INFO, associatedData(record.case, record.witness))}
}

/** Opens a sealed identity; the plaintext must be the record of this case and witness. */
export function openIdentity(sealed: unknown, key: {fingerprint: string; key: KeyObject}, expected: {caseId: string; witness: string}, where: string): {record: IdentityRecord; bytes: Buffer} {
  const box = sealed as Partial<SealedIdentity> | null
  if (typeof box !== 'object' || box === null || box.format !== 'custody-sealed-identity/v1' || typeof box.ephemeral !== 'string' || typeof box.iv !== 'string' || typeof box.tag !== 'string' || typeof box.ciphertext !== 'string') {
    throw new CustodyError('INTEGRITY', `${where} is not a sealed witness identity`, {subject: where})
  }

  if (box.to !== key.fingerprint) {
    throw new CustodyError('INTEGRITY', `${where} is encrypted to the identity key ${String(box.to)}, not to this case's ${key.fingerprint}`, {subject: where})
  }

  let bytes: Buffer
  try {
    bytes = openWithIdentityKey(box as SealedIdentity, key, HKDF_INFO, associatedData(expected.caseId, expected.witness))
  } catch (error) {
    throw new CustodyError('INTEGRITY', `${where} does not decrypt as the identity of ${expected.witness} in this case: it was altered or belongs elsewhere`, {subject: where, cause: error})
  }

  const record = JSON.parse(bytes.toString('utf8')) as IdentityRecord
  if (record.type !== 'custody-witness-identity/v1' || record.case !== expected.caseId || record.witness !== expected.witness) {
    throw new CustodyError('INTEGRITY', `${where} holds an identity record for another case or witness`, {subject: where})
  }

  return {record, bytes}
}
