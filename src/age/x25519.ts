/**
 * The X25519 recipient type (age §"The X25519 recipient type"): identities `AGE-SECRET-KEY-1…`
 * and recipients `age1…`, Bech32 of 32 bytes, and the stanza that wraps a file key for one.
 * X25519 itself (RFC 7748 §5) is OpenSSL's, through node:crypto: about ten times faster than
 * JavaScript, which counts when every small vault object gets a stanza of its own.
 */
import {createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject} from 'node:crypto'
import {CustodyError} from '../errors.js'
import {decodeBase64, encodeBase64} from './base64.js'
import {decodeBech32, encodeBech32} from './bech32.js'
import type {Stanza} from './header.js'
import {hkdf, openFileKey, sealFileKey, WRAPPED_KEY_SIZE} from './key-wrap.js'
import {damaged} from './refusals.js'

export interface AgeRecipient {
  readonly type: 'X25519'
  /** As age writes it: `age1` and 58 Bech32 characters. */
  readonly text: string
  readonly publicKey: Buffer
  readonly key: KeyObject
}

export interface AgeIdentity {
  readonly type: 'X25519'
  readonly key: KeyObject
  readonly recipient: AgeRecipient
}

const IDENTITY_HRP = 'age-secret-key-'
const RECIPIENT_HRP = 'age'
const STANZA_TYPE = 'X25519'
const STANZA_INFO = 'age-encryption.org/v1/X25519'
const KEY_SIZE = 32
// The fixed DER framing of a raw X25519 key (RFC 8410 §7 and §10.3): prefix, then the 32 bytes.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')

const EXPECTED_IDENTITY = 'an age identity (AGE-SECRET-KEY-1 and 58 Bech32 characters, as age-keygen writes it)'
const EXPECTED_RECIPIENT = 'an age recipient (age1 and 58 Bech32 characters, as age-keygen prints it)'

function rawPublicKey(key: KeyObject): Buffer {
  return key.export({format: 'der', type: 'spki'}).subarray(SPKI_PREFIX.length)
}

/** As a JWK (RFC 8037 §2): OpenSSL takes its raw bytes as they are, about ten times faster than decoding DER (every stanza's share is one). */
function publicKeyObject(bytes: Uint8Array): KeyObject {
  return createPublicKey({key: {kty: 'OKP', crv: 'X25519', x: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url')}, format: 'jwk'})
}

/** X25519(secret, public), or undefined when the result is all zeros (a low-order public key: OpenSSL refuses it). */
function sharedSecret(privateKey: KeyObject, publicKey: KeyObject): Buffer | undefined {
  try {
    return diffieHellman({privateKey, publicKey})
  } catch {
    return undefined
  }
}

function recipientOf(publicKey: Buffer): AgeRecipient {
  return {type: 'X25519', text: encodeBech32(RECIPIENT_HRP, publicKey), publicKey, key: publicKeyObject(publicKey)}
}

/** A new X25519 identity and its recipient, as age-keygen makes them. */
export function generateIdentity(): {identity: string; recipient: string} {
  const {privateKey, publicKey} = generateKeyPairSync('x25519')
  const secret = privateKey.export({format: 'der', type: 'pkcs8'}).subarray(PKCS8_PREFIX.length)
  return {identity: encodeBech32(IDENTITY_HRP, secret).toUpperCase(), recipient: recipientOf(rawPublicKey(publicKey)).text}
}

/** A recipient string checked and decoded; `where` names where it was read, for the error. */
export function parseRecipient(text: string, where = 'the recipient'): AgeRecipient {
  const refuse = (problem: string): CustodyError =>
    new CustodyError('INVALID_ARGUMENT', `${where} must be ${EXPECTED_RECIPIENT}, got ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)}: ${problem}`, {subject: text})
  if (text.startsWith('ssh-')) throw refuse('an SSH key, which custody does not encrypt to')
  if (text.startsWith('age1pq1') || text.startsWith('age1tag')) throw refuse('a post-quantum or hardware-key recipient, which custody does not encrypt to')
  const decoded = decodeBech32(text)
  if (!decoded.ok) throw refuse(decoded.problem)
  if (decoded.hrp !== RECIPIENT_HRP || text !== text.toLowerCase()) throw refuse('it does not begin with "age1" in lower case')
  if (decoded.data.length !== KEY_SIZE) throw refuse(`it holds ${decoded.data.length} bytes, not ${KEY_SIZE}`)
  const recipient = recipientOf(Buffer.from(decoded.data))
  if (sharedSecret(generateKeyPairSync('x25519').privateKey, recipient.key) === undefined) throw refuse('it is a low-order point, which no identity matches')
  return recipient
}

/**
 * An identity string checked and decoded; `where` names where it was read. The error never
 * repeats the string: it is a secret key.
 */
export function parseIdentity(text: string, where = 'the identity'): AgeIdentity {
  const refuse = (problem: string): CustodyError =>
    new CustodyError('INVALID_ARGUMENT', `${where} must be ${EXPECTED_IDENTITY}, got ${text.length} characters (not repeated here: it may be a secret key): ${problem}`)
  if (text.startsWith('AGE-SECRET-KEY-PQ-1') || text.startsWith('AGE-PLUGIN-')) throw refuse('a post-quantum or plugin identity, which custody does not read')
  const decoded = decodeBech32(text)
  if (!decoded.ok) throw refuse(decoded.problem)
  if (decoded.hrp !== IDENTITY_HRP || text !== text.toUpperCase()) throw refuse('it does not begin with "AGE-SECRET-KEY-1" in upper case')
  if (decoded.data.length !== KEY_SIZE) throw refuse(`it holds ${decoded.data.length} bytes, not ${KEY_SIZE}`)
  const key = createPrivateKey({key: Buffer.concat([PKCS8_PREFIX, decoded.data]), format: 'der', type: 'pkcs8'})
  return {type: 'X25519', key, recipient: recipientOf(rawPublicKey(createPublicKey(key)))}
}

/** §"X25519 recipient stanza": the wrap key from a shared secret, salted with the ephemeral share and the recipient. */
function wrapKey(shared: Uint8Array, share: Uint8Array, recipient: Uint8Array): Buffer {
  return hkdf(shared, Buffer.concat([share, recipient]), STANZA_INFO)
}

/** A stanza wrapping `fileKey` for `recipient`, with a fresh ephemeral key. */
export function wrapForRecipient(fileKey: Uint8Array, recipient: AgeRecipient): Stanza {
  const ephemeral = generateKeyPairSync('x25519')
  const share = rawPublicKey(ephemeral.publicKey)
  const shared = sharedSecret(ephemeral.privateKey, recipient.key)
  // parseRecipient refused low-order points; a recipient made another way could still be one.
  if (shared === undefined) throw new CustodyError('INVALID_ARGUMENT', `the recipient ${recipient.text} is a low-order point, which no identity matches`, {subject: recipient.text})
  return {args: [STANZA_TYPE, encodeBase64(share)], body: sealFileKey(wrapKey(shared, share, recipient.publicKey), fileKey)}
}

export function isX25519Stanza(stanza: Stanza): boolean {
  return stanza.args[0] === STANZA_TYPE
}

/** The ephemeral share of an X25519 stanza, once its form is checked (the identity MUST reject a malformed one). */
export function checkX25519Stanza(stanza: Stanza, object: string): Buffer {
  const share = stanza.args.length === 2 ? decodeBase64(stanza.args[1]!) : undefined
  if (share?.length !== KEY_SIZE) throw damaged(object, 'an X25519 stanza does not have exactly one argument, the canonical base64 of 32 bytes')
  if (stanza.body.length !== WRAPPED_KEY_SIZE) throw damaged(object, `an X25519 stanza's body is ${stanza.body.length} bytes, not ${WRAPPED_KEY_SIZE}`)
  return share
}

/** The file key an X25519 stanza wraps for `identity`, or undefined when it is another recipient's. */
export function unwrapForIdentity(stanza: Stanza, identity: AgeIdentity, object: string): Buffer | undefined {
  const share = checkX25519Stanza(stanza, object)
  const shared = sharedSecret(identity.key, publicKeyObject(share))
  if (shared === undefined) throw damaged(object, 'an X25519 stanza carries a low-order share, whose shared secret is all zeros')
  return openFileKey(wrapKey(shared, share, identity.recipient.publicKey), stanza.body)
}
