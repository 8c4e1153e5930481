/**
 * The investigator's Ed25519 key (RFC 8032), which signs every checkpoint of the ledger and every
 * seal statement.
 *
 * The public key travels as SPKI (RFC 8410), DER in the ledger and PEM in archives, because
 * `openssl pkey` and `openssl pkeyutl -verify -rawin` read it as it is. Its fingerprint is
 * `SHA256:` and the hex SHA-256 of that DER, which anyone can recompute:
 *     openssl pkey -pubin -in KEY.pem -outform DER | sha256sum
 * The private key is PKCS#8 DER inside a secret box under the case passphrase, in
 * `.custody/keys/<fingerprint hex>.json`; it never leaves the case in clear.
 */
import {createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject} from 'node:crypto'
import {ed25519} from '@noble/curves/ed25519.js'
import {bytesToNumberLE, numberToBytesLE} from '@noble/curves/utils.js'
import {mkdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {sha256} from '@noble/hashes/sha2.js'
import {bytesToHex} from '@noble/hashes/utils.js'
import {CustodyError, errnoOf, messageOf} from '../errors.js'
import {writeFileDurably} from '../io/files.js'
import {isSecretBox, openSecret, sealSecret, type SecretBox} from './secret-box.js'

export const KEYS_FOLDER = 'keys'
const FINGERPRINT = /^SHA256:[0-9a-f]{64}$/

export interface PublicKeyInfo {
  algorithm: 'Ed25519'
  fingerprint: string
  /** SubjectPublicKeyInfo, DER. */
  spki: Buffer
}

/** What a command holds once the passphrase has opened the key. */
export interface Signer extends PublicKeyInfo {
  sign(message: Uint8Array): Buffer
  /**
   * The same signature as sign() of the whole message, for a message too large to hold: `read`
   * gives its bytes, and is called twice (Ed25519 hashes the message twice). Both readings must
   * have the SHA-256 `sha256`, or nothing is signed.
   */
  signStreamed(read: () => AsyncIterable<Uint8Array>, sha256: string): Promise<Buffer>
}

interface KeyFile {
  format: 'custody-signing-key/v1'
  algorithm: 'Ed25519'
  fingerprint: string
  /** Base64 SPKI DER. */
  publicKey: string
  createdAt: string
  /** PKCS#8 DER of the private key, encrypted. */
  privateKey: SecretBox
}

export function fingerprintOf(spki: Uint8Array): string {
  return `SHA256:${bytesToHex(sha256(spki))}`
}

/** A fingerprint as a user types it: `SHA256:<hex>` (as `custody key show` prints it) or the 64 hex digits alone, in either case. */
export function parseFingerprint(text: string): string {
  const hex = text.trim().replace(/^sha256:/i, '').toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a key fingerprint SHA256:<64 hex digits>, as \`custody key show\` prints it, got ${JSON.stringify(text)}`)
  }

  return `SHA256:${hex}`
}

export function publicKeyPem(spki: Uint8Array): string {
  return createPublicKey({key: Buffer.from(spki), format: 'der', type: 'spki'}).export({type: 'spki', format: 'pem'}).toString()
}

/** RFC 8410 §4: the DER of an Ed25519 SubjectPublicKeyInfo is these 12 bytes, then the 32-byte key. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/**
 * Why `spki` is not a public key custody accepts, or undefined when it is. Hostile input: a key in
 * an archive or a ledger row. Three rules:
 *   - exactly the 44-byte DER of RFC 8410 §4, so that one key has one encoding and one fingerprint;
 *   - a point encoded canonically (RFC 8032 §5.1.3: y below p, and no negative zero), which
 *     RFC 8032's strict decoding requires and some libraries do not;
 *   - a point of the prime-order subgroup. A small-order key (the identity point among them) makes
 *     one signature verify for every message, so whoever writes such a key into an archive can
 *     change what it signed afterwards. A key made by signing software is [s]B, always of prime
 *     order, so this refuses no genuine key.
 */
export function publicKeyProblem(spki: Uint8Array): string | undefined {
  if (spki.length !== 44 || !Buffer.from(spki.subarray(0, 12)).equals(ED25519_SPKI_PREFIX)) {
    return `expected the 44-byte DER of an Ed25519 public key (RFC 8410), got ${spki.length} bytes that are not one`
  }

  let point: InstanceType<typeof ed25519.Point>
  try {
    point = ed25519.Point.fromBytes(spki.subarray(12), false)
  } catch {
    return 'its 32 bytes are not the canonical encoding of a point of edwards25519 (RFC 8032 §5.1.3)'
  }

  if (point.isSmallOrder()) return 'it is a small-order point: a signature by it would verify for any message'
  if (!point.isTorsionFree()) return 'it is not in the prime-order subgroup: no signing software makes such a key'
  return undefined
}

/** Reads an SPKI Ed25519 public key from hostile input; undefined when publicKeyProblem() finds one. */
export function parsePublicKey(spki: Uint8Array): KeyObject | undefined {
  if (publicKeyProblem(spki) !== undefined) return undefined
  try {
    const key = createPublicKey({key: Buffer.from(spki), format: 'der', type: 'spki'})
    return key.asymmetricKeyType === 'ed25519' ? key : undefined
  } catch {
    return undefined
  }
}

/**
 * Strict RFC 8032 §5.1.7 verification: the key must pass publicKeyProblem(); then OpenSSL checks
 * that S is below the group order and that the encoding of [S]B - [k]A is R's bytes (so a
 * non-canonical R never verifies).
 */
export function verifySignature(spki: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = parsePublicKey(spki)
  if (key === undefined || signature.length !== 64) return false
  try {
    return verify(null, message, key, signature)
  } catch {
    return false
  }
}

/**
 * verifySignature() for a message too large to hold: `read` gives its bytes, once. RFC 8032
 * §5.1.7 as OpenSSL does it: S must be below L, A must decode, and the encoding of
 * [S]B - [k]A, with k = SHA-512(R || A || M), must be R's bytes. A unit test holds it to node's
 * verify() on good, altered and malformed signatures and keys.
 */
export async function verifySignatureStreamed(spki: Uint8Array, read: () => AsyncIterable<Uint8Array>, signature: Uint8Array): Promise<boolean> {
  if (parsePublicKey(spki) === undefined || signature.length !== 64) return false
  try {
    const {Point} = ed25519
    // RFC 8410: the last 32 bytes of an Ed25519 SPKI are the raw public key.
    const a = spki.subarray(12)
    const r = signature.subarray(0, 32)
    const s = bytesToNumberLE(signature.subarray(32))
    if (s >= Point.Fn.ORDER) return false
    // parsePublicKey() has refused a non-canonical or small-order key: RFC 8032's strict decoding.
    const publicPoint = Point.fromBytes(a, false)
    const h = createHash('sha512').update(r).update(a)
    for await (const chunk of read()) h.update(chunk)
    const k = Point.Fn.create(bytesToNumberLE(h.digest()))
    const expected = Point.BASE.multiplyUnsafe(s).subtract(publicPoint.multiplyUnsafe(k))
    return Buffer.from(expected.toBytes()).equals(r)
  } catch {
    return false
  }
}

function keyFilePath(dataDir: string, fingerprint: string): string {
  if (!FINGERPRINT.test(fingerprint)) throw new CustodyError('INVALID_ARGUMENT', `expected a key fingerprint SHA256:<64 hex>, got ${JSON.stringify(fingerprint)}`)
  return join(dataDir, KEYS_FOLDER, `${fingerprint.slice(7)}.json`)
}

/** The signer of an Ed25519 private key. */
export function signerFrom(privateKey: KeyObject): Signer {
  const spki = createPublicKey(privateKey).export({type: 'spki', format: 'der'})
  return {
    algorithm: 'Ed25519',
    fingerprint: fingerprintOf(spki),
    spki,
    sign: (message) => sign(null, message, privateKey),
    signStreamed: (read, sha256) => signStreamed(privateKey, read, sha256),
  }
}

/**
 * RFC 8032 §5.1.6 with the message streamed: r = SHA-512(prefix || M), R = rB,
 * k = SHA-512(R || A || M), S = r + k·s (mod L); the signature is R || S. Node's crypto signs only
 * a message held whole, so the two hashes are computed here, over two readings of the message, and
 * the curve arithmetic is @noble/curves'. Ed25519 is deterministic: the result is byte for byte
 * what sign() gives (a unit test holds the two together).
 */
async function signStreamed(privateKey: KeyObject, read: () => AsyncIterable<Uint8Array>, sha256: string): Promise<Buffer> {
  const reading = async (first: Uint8Array[]): Promise<Buffer> => {
    const h512 = createHash('sha512')
    const h256 = createHash('sha256')
    for (const bytes of first) h512.update(bytes)
    for await (const chunk of read()) {
      h512.update(chunk)
      h256.update(chunk)
    }

    if (h256.digest('hex') !== sha256) throw new CustodyError('INTEGRITY', 'the message changed while it was being signed; nothing was signed')
    return h512.digest()
  }

  const seed = Buffer.from(String(privateKey.export({format: 'jwk'}).d), 'base64url')
  try {
    const {prefix, scalar, pointBytes} = ed25519.utils.getExtendedPublicKey(seed)
    const Fn = ed25519.Point.Fn
    const r = Fn.create(bytesToNumberLE(await reading([prefix])))
    const R = ed25519.Point.BASE.multiply(r).toBytes()
    const k = Fn.create(bytesToNumberLE(await reading([R, pointBytes])))
    return Buffer.concat([R, numberToBytesLE(Fn.create(r + k * scalar), 32)])
  } finally {
    seed.fill(0)
  }
}

/**
 * Makes a key pair and keeps the private half, encrypted, in `dataDir/keys/` (temp file, fsync,
 * rename). Returns the signer, already open.
 */
export async function createSigningKey(dataDir: string, passphrase: string): Promise<Signer> {
  const {privateKey} = generateKeyPairSync('ed25519')
  const signer = signerFrom(privateKey)
  const pkcs8 = privateKey.export({type: 'pkcs8', format: 'der'})
  const file: KeyFile = {
    format: 'custody-signing-key/v1',
    algorithm: 'Ed25519',
    fingerprint: signer.fingerprint,
    publicKey: signer.spki.toString('base64'),
    createdAt: new Date().toISOString(),
    privateKey: await sealSecret(pkcs8, passphrase, labelFor(signer.fingerprint)),
  }
  pkcs8.fill(0)
  await mkdir(join(dataDir, KEYS_FOLDER), {recursive: true, mode: 0o700})
  await writeFileDurably(keyFilePath(dataDir, signer.fingerprint), `${JSON.stringify(file, null, 2)}\n`, {mode: 0o600, overwrite: false})
  return signer
}

function labelFor(fingerprint: string): string {
  return `custody signing key ${fingerprint}`
}

/** Opens the private key with this fingerprint; refuses a file whose key is not that one. */
export async function openSigningKey(dataDir: string, fingerprint: string, passphrase: string): Promise<Signer> {
  const path = keyFilePath(dataDir, fingerprint)
  let file: Partial<KeyFile>
  try {
    file = JSON.parse(await readFile(path, 'utf8')) as Partial<KeyFile>
  } catch (error) {
    const missing = errnoOf(error) === 'ENOENT'
    throw new CustodyError(
      'KEY_UNREADABLE',
      missing
        ? `the case's signing key ${fingerprint} is missing (${path}); restore .custody/keys/ from a backup of the case`
        : `the case's signing key file ${path} is unreadable; restore it from a backup of the case`,
      {subject: path, cause: error},
    )
  }

  // A file put in place of this key's (another key's, renamed) would fail as a wrong passphrase.
  if (file.fingerprint !== fingerprint) {
    throw new CustodyError('KEY_UNREADABLE', `${path} holds the key ${String(file.fingerprint)}, not the case's key ${fingerprint}; restore it from a backup of the case`, {subject: path})
  }

  const pkcs8 = await openSecret(file.privateKey, passphrase, labelFor(fingerprint), {name: "the case's signing key", id: `signing key ${fingerprint}`, file: path})
  let signer: Signer
  try {
    signer = signerFrom(createPrivateKey({key: pkcs8, format: 'der', type: 'pkcs8'}))
  } catch (error) {
    throw new CustodyError('KEY_UNREADABLE', `${path} does not hold an Ed25519 private key; restore it from a backup of the case`, {subject: path, cause: error})
  } finally {
    pkcs8.fill(0)
  }

  if (signer.fingerprint !== fingerprint) {
    throw new CustodyError('KEY_UNREADABLE', `${path} holds the key ${signer.fingerprint}, not the case's key ${fingerprint}; restore it from a backup of the case`, {subject: path})
  }

  return signer
}

/** What the key file of a key holds, as far as can be seen without the passphrase. */
export type KeyFileState =
  | {status: 'intact'; path: string}
  | {status: 'missing'; path: string}
  | {status: 'unreadable'; path: string; problem: string}
  | {status: 'other-key'; path: string; holds: string}

/**
 * Reads the key file of `key` without the passphrase: it must be a key file that holds that key's
 * public half under its fingerprint, and an encrypted private half. Whether the private half is
 * that key's can only be seen with the passphrase (openSigningKey()).
 */
export async function readKeyFileState(dataDir: string, key: PublicKeyInfo): Promise<KeyFileState> {
  const path = keyFilePath(dataDir, key.fingerprint)
  const unreadable = (problem: string): KeyFileState => ({status: 'unreadable', path, problem})
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    return errnoOf(error) === 'ENOENT' ? {status: 'missing', path} : unreadable(`cannot be read: ${messageOf(error)}`)
  }

  let file: Partial<Record<keyof KeyFile, unknown>>
  try {
    file = JSON.parse(text) as Partial<Record<keyof KeyFile, unknown>>
  } catch {
    return unreadable('is not JSON')
  }

  if (typeof file !== 'object' || file === null || Array.isArray(file)) return unreadable('is not a custody signing key file')
  if (file.format !== 'custody-signing-key/v1') return unreadable(`is not a custody signing key file (its format is ${JSON.stringify(file.format) ?? 'missing'})`)
  if (file.algorithm !== 'Ed25519') return unreadable(`holds an ${JSON.stringify(file.algorithm) ?? 'unnamed'} key, not an Ed25519 one`)
  if (file.fingerprint !== key.fingerprint) return {status: 'other-key', path, holds: String(file.fingerprint)}
  if (typeof file.publicKey !== 'string') return unreadable('holds no public key')
  const holds = fingerprintOf(Buffer.from(file.publicKey, 'base64'))
  if (holds !== key.fingerprint) return {status: 'other-key', path, holds}
  if (!isSecretBox(file.privateKey)) return unreadable('holds no encrypted private key that custody can open')
  return {status: 'intact', path}
}
