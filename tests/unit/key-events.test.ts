import {createPublicKey, generateKeyPairSync, sign, verify} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {readKeyEvent} from '../../src/keys/key-events.js'
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
  const created = (spki: Buffer, fingerprint = fingerprintOf(spki)): {action: string; payload: Record<string, unknown>} => ({
    action: 'key-created',
    payload: {algorithm: 'Ed25519', fingerprint, publicKey: spki.toString('base64'), holder: 'A. Investigator'},
  })

  it('give the key they record, with its holder and the event that recorded it', () => {
    expect(readKeyEvent(created(key.spki), 1, undefined)).toEqual({key: {algorithm: 'Ed25519', fingerprint: key.fingerprint, spki: key.spki, seq: 1, holder: 'A. Investigator'}})
    const rotated = {action: 'key-rotated', payload: {...created(other.spki).payload, replaces: key.fingerprint}}
    expect(readKeyEvent(rotated, 9, key)).toMatchObject({key: {fingerprint: other.fingerprint, seq: 9}})
  })

  it("are refused when they claim another key's fingerprint: the key substitution of a forged archive", () => {
    expect(readKeyEvent(created(other.spki, key.fingerprint), 1, undefined)).toEqual({problem: `it claims the fingerprint ${key.fingerprint}, but its public key's is ${other.fingerprint}`})
  })

  it('are refused with a weak key, a key that is not base64, or no key', () => {
    expect(readKeyEvent(created(spkiOf(vectors.keys[1]!.key)), 1, undefined)).toEqual({problem: expect.stringContaining('small-order point')})
    expect(readKeyEvent({action: 'key-created', payload: {...created(key.spki).payload, publicKey: `${key.spki.toString('base64')}!`}}, 1, undefined)).toEqual({problem: 'its public key is not base64'})
    expect(readKeyEvent({action: 'key-created', payload: {algorithm: 'RSA'}}, 1, undefined)).toEqual({problem: 'it records no Ed25519 key'})
    expect(readKeyEvent({action: 'key-created', payload: 'not an object'}, 1, undefined)).toEqual({problem: 'it records no Ed25519 key'})
  })

  it('are refused out of order: a second key-created, a rotation first, a rotation of another key', () => {
    expect(readKeyEvent(created(other.spki), 5, key)).toEqual({problem: 'a second key-created event: a new key must be a rotation'})
    const rotated = {action: 'key-rotated', payload: {...created(other.spki).payload, replaces: key.fingerprint}}
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
