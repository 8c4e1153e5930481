/**
 * The age testkit (C2SP/CCTV age/testdata, tests/vectors/age-testkit.json): every vector
 * decrypted by custody's src/age, which must succeed or fail as the vector says, and release
 * exactly the plaintext whose SHA-256 the vector gives (also before a payload failure).
 *
 * Its kinds of failure map to custody's codes: `no match` is WRONG_KEY (WRONG_PASSPHRASE for a
 * passphrase), the others INTEGRITY, each with its own words (a header MAC that does not match
 * is not a header that does not parse, nor a payload that does not authenticate).
 */
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {inflateSync} from 'node:zlib'
import {describe, expect, it} from 'vitest'
import {AgeDecryptor} from '../../src/age/decrypt.js'
import type {AgeKey} from '../../src/age/unwrap.js'
import {generateIdentity, parseIdentity} from '../../src/age/x25519.js'
import {CustodyError} from '../../src/errors.js'

interface Vector {
  name: string
  expect: 'success' | 'no match' | 'HMAC failure' | 'header failure' | 'payload failure'
  payload?: string
  identities: string[]
  passphrases: string[]
  compressed: boolean
  file: string
}

const testkit = JSON.parse(readFileSync(new URL('../vectors/age-testkit.json', import.meta.url), 'utf8')) as {vectors: Vector[]}

/** Decrypts `file` fed in pieces of `pieceSize`: the plaintext released, and the error if one came. */
async function decrypt(file: Buffer, keys: AgeKey[], pieceSize: number): Promise<{released: Buffer; error?: unknown}> {
  const parts: Buffer[] = []
  const release = (plaintext: Buffer): void => void parts.push(plaintext)
  try {
    const decryptor = new AgeDecryptor(keys, {object: 'vector.age'})
    for (let at = 0; at < file.length; at += pieceSize) await decryptor.update(file.subarray(at, at + pieceSize), release)
    decryptor.final(release)
    return {released: Buffer.concat(parts)}
  } catch (error) {
    return {released: Buffer.concat(parts), error}
  }
}

const WORDS: Record<Exclude<Vector['expect'], 'success' | 'no match'>, RegExp> = {
  'HMAC failure': /header MAC does not match/,
  'header failure': /age file: (?!.*MAC does not match)/,
  'payload failure': /chunk|payload|cut short/,
}

describe('the age testkit', () => {
  it('holds the vectors it should', () => {
    expect(testkit.vectors.length).toBeGreaterThan(80)
    for (const kind of ['success', 'no match', 'HMAC failure', 'header failure', 'payload failure']) {
      expect(testkit.vectors.some((vector) => vector.expect === kind), kind).toBe(true)
    }
  })

  for (const vector of testkit.vectors) {
    it(`${vector.name}: ${vector.expect}`, async () => {
      const raw = Buffer.from(vector.file, 'base64')
      const file = vector.compressed ? inflateSync(raw) : raw
      const given: AgeKey[] = [...vector.identities.map((identity) => parseIdentity(identity)), ...vector.passphrases.map((passphrase) => ({type: 'scrypt' as const, passphrase}))]
      // A vector with no key (an empty file) is decrypted with a key of no consequence.
      const keys = given.length > 0 ? given : [parseIdentity(generateIdentity().identity)]
      // Whole, and in pieces that cut the header, the nonce and every chunk somewhere else.
      for (const pieceSize of [file.length || 1, 4099]) {
        const {released, error} = await decrypt(file, keys, pieceSize)
        if (vector.payload !== undefined) expect(createHash('sha256').update(released).digest('hex'), `released plaintext (pieces of ${pieceSize})`).toBe(vector.payload)
        if (vector.expect === 'success') {
          expect(error).toBeUndefined()
          continue
        }

        expect(error).toBeInstanceOf(CustodyError)
        const {code, exitCode, message, subject} = error as CustodyError
        expect(subject).toBe('vector.age')
        if (vector.expect === 'no match') {
          // A passphrase tried on a file with no scrypt stanza (scrypt_uppercase) is the wrong kind of key.
          expect(code).toBe(vector.passphrases.length > 0 && vector.name !== 'scrypt_uppercase' ? 'WRONG_PASSPHRASE' : 'WRONG_KEY')
          expect(exitCode).toBe(2)
        } else {
          expect(code).toBe('INTEGRITY')
          expect(exitCode).toBe(3)
          expect(message).toMatch(WORDS[vector.expect])
        }
      }
    })
  }
})
