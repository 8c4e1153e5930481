import {createPublicKey, generateKeyPairSync, sign, verify} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {parseEvent, type EventOf} from '../../src/formats/events.js'
import {readKeyEvent, recordedKey} from '../../src/keys/key-events.js'
import {fingerprintOf, parsePublicKey, publicKeyProblem, verifySignature} from '../../src/keys/signing-key.js'
import {memorySigner} from '../helpers/keys.js'

interface KeyVectors {
  keys: Array<{desc: string; key: string; wantErr: string | null}>
}

const vectors = JSON.parse(readFileSync(new URL('../vectors/ed25519-public-keys.json', import.meta.url), 'utf8')) as KeyVectors
const PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const spkiOf = (raw: string | Buffer): Buffer => Buffer.concat([PREFIX, typeof raw === 'string' ? Buffer.from(raw, 'hex') : raw])

describe('public keys custody accepts (RFC 8032, RFC 8410)', () => {
  it.each(vectors.keys)('$desc', ({key, wantErr}) => {
    const problem = publicKeyProblem(spkiOf(key))
    if (wantErr === null) {
      expect(problem).toBeUndefined()
      expect(parsePublicKey(spkiOf(key))).toBeDefined()
    } else {
      expect(problem).toContain(wantErr)
      expect(parsePublicKey(spkiOf(key))).toBeUndefined()
    }
  })

  it('OpenSSL alone would take the identity key and verify any message by it; custody does not', () => {
    const identity = spkiOf(vectors.keys[1]!.key)
    // R = [S]B for S = 0 is the identity; [0]B = R + [k]identity holds for every message.
    const signature = Buffer.concat([Buffer.from(vectors.keys[1]!.key, 'hex'), Buffer.alloc(32)])
    const opensslKey = createPublicKey({key: identity, format: 'der', type: 'spki'})
    expect(verify(null, Buffer.from('any message'), opensslKey, signature)).toBe(true)
    expect(verifySignature(identity, Buffer.from('any message'), signature)).toBe(false)
  })

  it('only the one DER encoding: another algorithm, trailing bytes or a short key are refused', () => {
    const good = memorySigner().spki
    expect(publicKeyProblem(good)).toBeUndefined()
    const x25519 = generateKeyPairSync('x25519').publicKey.export({type: 'spki', format: 'der'})
    for (const bad of [x25519, Buffer.concat([good, Buffer.from([0])]), good.subarray(0, 43), Buffer.alloc(0)]) {
      expect(publicKeyProblem(bad)).toMatch(/expected the 44-byte DER of an Ed25519 public key/)
    }
  })
})

describe('key events', () => {
  const key = memorySigner()
  const other = memorySigner()
  const envelope = {v: 1, seq: 1, time: '2026-01-01T00:00:00.000Z', actor: 'A. Investigator', exhibit: null, prev: '0'.repeat(64)} as const
  const created = (spki: Buffer, fingerprint = fingerprintOf(spki)): EventOf<'key-created'> => ({
    ...envelope,
    action: 'key-created',
    payload: {algorithm: 'Ed25519', fingerprint, publicKey: spki.toString('base64'), holder: 'A. Investigator'},
  })
  const rotation = (spki: Buffer, replaces: string): EventOf<'key-rotated'> => ({...envelope, action: 'key-rotated', payload: {...created(spki).payload, replaces, reason: 'a new laptop'}})

  it('give the key they record, with its holder and the event that recorded it', () => {
    expect(readKeyEvent(created(key.spki), 1, undefined)).toEqual({key: {algorithm: 'Ed25519', fingerprint: key.fingerprint, spki: key.spki, seq: 1, holder: 'A. Investigator'}})
    expect(readKeyEvent(rotation(other.spki, key.fingerprint), 9, key)).toMatchObject({key: {fingerprint: other.fingerprint, seq: 9}})
    expect(recordedKey(created(key.spki))).toEqual({key: {algorithm: 'Ed25519', fingerprint: key.fingerprint, spki: key.spki}})
  })

  it("are refused when they claim another key's fingerprint: the key substitution of a forged archive", () => {
    expect(readKeyEvent(created(other.spki, key.fingerprint), 1, undefined)).toEqual({problem: `it claims the fingerprint ${key.fingerprint}, but its public key's is ${other.fingerprint}`})
    expect(recordedKey(created(other.spki, key.fingerprint))).toEqual({problem: `it claims the fingerprint ${key.fingerprint}, but its public key's is ${other.fingerprint}`})
  })

  it('are refused with a weak key; with a key that is not base64, or no key, they are not key events custody can read', () => {
    expect(readKeyEvent(created(spkiOf(vectors.keys[1]!.key)), 1, undefined)).toEqual({problem: expect.stringContaining('small-order point')})
    // parseEvent refuses these before any reader of key events sees them.
    const base64 = key.spki.toString('base64')
    expect(parseEvent({...created(key.spki), payload: {...created(key.spki).payload, publicKey: `${base64}!`}})).toEqual({
      problem: `payload.publicKey: expected the base64 DER of an Ed25519 public key (RFC 8410), got ${JSON.stringify(`${base64}!`.slice(0, 60)).slice(0, -1)}…" (61 characters)`,
    })
    expect(parseEvent({...envelope, action: 'key-created', payload: {algorithm: 'RSA'}})).toEqual({problem: 'payload.algorithm: expected "Ed25519", got "RSA"'})
    expect(parseEvent({...envelope, action: 'key-created', payload: 'not an object'})).toEqual({problem: 'payload: expected an object, got "not an object"'})
  })

  it('are refused out of order: a second key-created, a rotation first, a rotation of another key', () => {
    expect(readKeyEvent(created(other.spki), 5, key)).toEqual({problem: 'a second key-created event: a new key must be a rotation'})
    const rotated = rotation(other.spki, key.fingerprint)
    expect(readKeyEvent(rotated, 5, undefined)).toEqual({problem: 'a key rotation before any key-created event'})
    expect(readKeyEvent(rotated, 5, other)).toEqual({problem: `it says it replaces ${key.fingerprint}, but the current key is ${other.fingerprint}`})
  })

  it('a genuine key signs and verifies as before', () => {
    const message = Buffer.from('checkpoint')
    const {privateKey} = generateKeyPairSync('ed25519')
    const spki = createPublicKey(privateKey).export({type: 'spki', format: 'der'})
    expect(verifySignature(spki, message, sign(null, message, privateKey))).toBe(true)
  })
})
