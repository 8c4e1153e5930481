/**
 * src/age end to end: round trips of every size that matters to STREAM (empty, 1 byte, a chunk
 * less one, a chunk, a chunk and one, several MB) through each way in (small objects, Node
 * streams, whole files); the naive reference written from the spec (tests/helpers/age-reference.ts);
 * interoperation both ways with the real `age` a court's expert runs and with the age-encryption
 * package (TypeScript, @noble's ChaCha20); several recipients; passphrases; random sizes and
 * random pieces as a property.
 */
import {spawnSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {createReadStream, createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {Decrypter, Encrypter} from 'age-encryption'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import {createDecryptStream, decryptBytes, decryptWithPassphrase} from '../../src/age/decrypt.js'
import {createEncryptStream, encryptBytes, encryptWithPassphrase} from '../../src/age/encrypt.js'
import {decryptFile, encryptFile} from '../../src/age/files.js'
import {sealedPayloadSize} from '../../src/age/payload.js'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {referenceDecrypt, referenceEncrypt} from '../helpers/age-reference.js'
import {checker} from '../helpers/tools.js'

const work = mkdtempSync(join(tmpdir(), 'custody-age-'))
afterAll(() => rmSync(work, {recursive: true, force: true}))
const age = checker('age')
const script = spawnSync('sh', ['-c', 'command -v script'], {encoding: 'utf8'}).stdout.trim()

const KiB = 1024
const SIZES = [0, 1, 64 * KiB - 1, 64 * KiB, 64 * KiB + 1, 128 * KiB, 3 * 1024 * KiB + 7]
const alice = generateIdentity()
const bob = generateIdentity()
const carol = generateIdentity()
const keysOf = (...pairs: Array<{identity: string}>) => pairs.map((pair) => parseIdentity(pair.identity))
const to = (...pairs: Array<{recipient: string}>) => pairs.map((pair) => parseRecipient(pair.recipient))
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

function file(name: string, content: Uint8Array | string): string {
  const path = join(work, name)
  writeFileSync(path, content)
  return path
}

/** The real age: `age ARGS`, its stdout as bytes; it must exit 0. */
function runAge(args: string[], input?: Uint8Array): Buffer {
  const result = spawnSync(age!, args, {input, maxBuffer: 64 * 1024 * 1024})
  expect(result.status, result.stderr.toString()).toBe(0)
  return result.stdout
}

/** age with a passphrase typed at its terminal (util-linux's `script` gives it one): the lines typed, in order. */
function ageAtTerminal(args: string[], typed: string[]): {status: number | null; output: string} {
  const command = [age!, ...args].map((arg) => `'${arg}'`).join(' ')
  const result = spawnSync(script, ['-qec', command, '/dev/null'], {input: typed.map((line) => `${line}\n`).join(''), encoding: 'utf8', timeout: 60_000})
  return {status: result.status, output: result.stdout}
}

/** Feeds `bytes` to a stream in pieces of the given sizes, cycling. */
function inPieces(bytes: Buffer, sizes: number[]): Readable {
  const pieces: Buffer[] = []
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]!)
    pieces.push(bytes.subarray(at, at + size))
    at += size
  }

  return Readable.from(pieces)
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts)
}

describe('round trips', () => {
  it('small objects: every size, with the ciphertext size STREAM gives', async () => {
    for (const size of SIZES) {
      const plaintext = randomBytes(size)
      const sealed = encryptBytes(plaintext, to(alice))
      const headerLength = sealed.indexOf('\n---') + 1 + 48
      expect(sealed.length, `size ${size}`).toBe(headerLength + sealedPayloadSize(size))
      expect(sha(await decryptBytes(sealed, keysOf(alice), {object: `object of ${size} bytes`}))).toBe(sha(plaintext))
    }
  })

  it('Node streams: encrypted and decrypted through pipeline, fed in uneven pieces', async () => {
    for (const size of SIZES) {
      const plaintext = randomBytes(size)
      const sealed = await collect(inPieces(plaintext, [1, 7000, 65536, 65537, 200_000]).pipe(createEncryptStream(to(alice))))
      const opened = await collect(inPieces(sealed, [3, 65552, 13, 100_000, 65551]).pipe(createDecryptStream(keysOf(alice), {object: 'piped'})))
      expect(sha(opened), `size ${size}`).toBe(sha(plaintext))
    }
  })

  it('whole files: written durably, and no file left behind when one is refused', async () => {
    for (const size of SIZES) {
      const plain = file(`plain-${size}`, randomBytes(size))
      const sealed = join(work, `sealed-${size}.age`)
      const opened = join(work, `opened-${size}`)
      expect(await encryptFile(plain, sealed, to(alice))).toEqual({size, encryptedSize: readFileSync(sealed).length})
      expect(await decryptFile(sealed, opened, keysOf(alice))).toEqual({size, encryptedSize: readFileSync(sealed).length})
      expect(readFileSync(opened).equals(readFileSync(plain))).toBe(true)
    }

    const sealed = join(work, `sealed-${SIZES.at(-1)}.age`)
    await expect(encryptFile(join(work, 'plain-1'), sealed, to(alice))).rejects.toMatchObject({code: 'INVALID_ARGUMENT', subject: sealed})
    const cut = file('cut.age', readFileSync(sealed).subarray(0, 2 * 65552))
    await expect(decryptFile(cut, join(work, 'never'), keysOf(alice))).rejects.toMatchObject({code: 'INTEGRITY', subject: cut})
    expect(existsSync(join(work, 'never'))).toBe(false)
    expect(readdirSync(work).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })
})

describe('the naive reference written from the spec', () => {
  it('decrypts what custody writes, and custody decrypts what it writes', async () => {
    for (const size of SIZES) {
      const plaintext = randomBytes(size)
      expect(sha(referenceDecrypt(encryptBytes(plaintext, to(alice, bob)), bob.identity)), `size ${size}`).toBe(sha(plaintext))
      expect(sha(await decryptBytes(referenceEncrypt(plaintext, [carol.recipient, alice.recipient]), keysOf(alice), {object: 'reference'}))).toBe(sha(plaintext))
    }
  })
})

describe.skipIf(age === undefined)('interoperation with age, the tool a court expert runs', () => {
  it('age -d -i decrypts what custody writes', () => {
    const identityFile = file('alice.txt', `${alice.identity}\n`)
    for (const size of SIZES) {
      const plaintext = randomBytes(size)
      const sealed = file(`to-age-${size}.age`, encryptBytes(plaintext, to(alice)))
      expect(sha(runAge(['-d', '-i', identityFile, sealed])), `size ${size}`).toBe(sha(plaintext))
    }
  })

  it('custody decrypts what age -r and age -R write', async () => {
    const recipients = file('recipients.txt', `# two\n${bob.recipient}\n${alice.recipient}\n`)
    for (const size of SIZES) {
      const plaintext = randomBytes(size)
      const byR = runAge(['-r', alice.recipient], plaintext)
      const byFile = runAge(['-R', recipients], plaintext)
      expect(sha(await decryptBytes(byR, keysOf(alice), {object: 'age -r'})), `size ${size}`).toBe(sha(plaintext))
      expect(sha(await decryptBytes(byFile, keysOf(carol, bob), {object: 'age -R'}))).toBe(sha(plaintext))
    }
  })

  it('several recipients: each identity opens the file alone, with custody and with age', async () => {
    const plaintext = randomBytes(100_000)
    const sealed = file('three.age', encryptBytes(plaintext, to(alice, bob, carol)))
    expect(readFileSync(sealed).toString('latin1').match(/^-> X25519 /gm)).toHaveLength(3)
    for (const pair of [alice, bob, carol]) {
      expect(sha(await decryptBytes(readFileSync(sealed), keysOf(pair), {object: 'three.age'}))).toBe(sha(plaintext))
      // An identity file whose first key is for no stanza, as age -i reads it.
      const identities = file('several.txt', `${generateIdentity().identity}\n${pair.identity}\n`)
      expect(sha(runAge(['-d', '-i', identities, sealed]))).toBe(sha(plaintext))
    }
  })

  it.skipIf(script === '')('passphrases: age -p opens what custody writes, custody opens what age -p writes', async () => {
    const secret = Buffer.from(generateIdentity().identity)
    const sealed = file('by-custody.age', await encryptWithPassphrase(secret, 'correct horse battery staple'))
    expect(readFileSync(sealed).toString('latin1')).toMatch(/^age-encryption\.org\/v1\n-> scrypt [A-Za-z0-9+/]{22} 18\n/)
    const out = join(work, 'by-custody.out')
    expect(ageAtTerminal(['-d', '-o', out, sealed], ['correct horse battery staple']).status).toBe(0)
    expect(readFileSync(out).equals(secret)).toBe(true)
    expect(ageAtTerminal(['-d', '-o', join(work, 'never.out'), sealed], ['wrong']).status).not.toBe(0)

    const byAge = join(work, 'by-age.age')
    expect(ageAtTerminal(['-p', '-o', byAge, file('secret.txt', secret)], ['correct horse battery staple', 'correct horse battery staple']).status).toBe(0)
    expect((await decryptWithPassphrase(readFileSync(byAge), 'correct horse battery staple', {object: 'by-age.age'})).equals(secret)).toBe(true)
    await expect(decryptWithPassphrase(readFileSync(byAge), 'Correct horse battery staple', {object: 'by-age.age'})).rejects.toMatchObject({code: 'WRONG_PASSPHRASE', subject: 'by-age.age'})
  })
})

describe('interoperation with the age-encryption package', () => {
  it('decrypts what custody writes, and custody decrypts what it writes', async () => {
    for (const size of SIZES) {
      const plaintext = randomBytes(size)
      const decrypter = new Decrypter()
      decrypter.addIdentity(bob.identity)
      expect(sha(await decrypter.decrypt(encryptBytes(plaintext, to(alice, bob)))), `size ${size}`).toBe(sha(plaintext))
      const encrypter = new Encrypter()
      encrypter.addRecipient(carol.recipient)
      encrypter.addRecipient(alice.recipient)
      expect(sha(await decryptBytes(await encrypter.encrypt(plaintext), keysOf(alice), {object: 'typage'}))).toBe(sha(plaintext))
    }
  })

  it('passphrases both ways', async () => {
    const secret = randomBytes(300)
    const decrypter = new Decrypter()
    decrypter.addPassphrase('a case passphrase')
    expect(Buffer.from(await decrypter.decrypt(await encryptWithPassphrase(secret, 'a case passphrase', {workFactor: 12}))).equals(secret)).toBe(true)
    const encrypter = new Encrypter()
    encrypter.setPassphrase('a case passphrase')
    encrypter.setScryptWorkFactor(12)
    expect((await decryptWithPassphrase(await encrypter.encrypt(secret), 'a case passphrase', {object: 'typage'})).equals(secret)).toBe(true)
  })
})

describe('passphrases', () => {
  it('write an scrypt stanza as the only stanza, and refuse the wrong key of either kind', async () => {
    const sealed = await encryptWithPassphrase(Buffer.from('the case identity'), 'right', {workFactor: 10})
    const header = sealed.subarray(0, sealed.indexOf('\n---')).toString('latin1')
    expect(header.split('\n').filter((line) => line.startsWith('-> '))).toHaveLength(1)
    await expect(decryptWithPassphrase(sealed, 'wrong', {object: 'key.age'})).rejects.toMatchObject({code: 'WRONG_PASSPHRASE', message: 'the passphrase does not open key.age'})
    await expect(decryptBytes(sealed, keysOf(alice), {object: 'key.age'})).rejects.toMatchObject({code: 'WRONG_KEY', message: expect.stringMatching(/it was encrypted with a passphrase/)})
    await expect(decryptWithPassphrase(encryptBytes(Buffer.from('x'), to(alice)), 'right', {object: 'x.age'})).rejects.toMatchObject({code: 'WRONG_KEY', message: expect.stringMatching(/encrypted to recipients, not with a passphrase/)})
    await expect(decryptWithPassphrase(sealed, 'right', {object: 'key.age', maxWorkFactor: 9})).rejects.toMatchObject({code: 'INTEGRITY', message: expect.stringMatching(/work factor is 2\^10, above the 2\^9/)})
    expect((await decryptWithPassphrase(sealed, 'right', {object: 'key.age'})).toString()).toBe('the case identity')
    await expect(encryptWithPassphrase(Buffer.from('x'), '')).rejects.toMatchObject({code: 'INVALID_ARGUMENT'})
  })
})

describe('as a property', () => {
  it('any size, cut into any pieces, comes back whole, and the reference agrees', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({min: 0, max: 300 * KiB}),
        fc.array(fc.integer({min: 1, max: 150 * KiB}), {minLength: 1, maxLength: 6}),
        fc.array(fc.integer({min: 1, max: 150 * KiB}), {minLength: 1, maxLength: 6}),
        async (size, encryptPieces, decryptPieces) => {
          const plaintext = randomBytes(size)
          const sealed = await collect(inPieces(plaintext, encryptPieces).pipe(createEncryptStream(to(alice))))
          expect(sealed.length).toBe(sealed.indexOf('\n---') + 1 + 48 + sealedPayloadSize(size))
          expect(sha(referenceDecrypt(sealed, alice.identity))).toBe(sha(plaintext))
          const opened = await collect(inPieces(sealed, decryptPieces).pipe(createDecryptStream(keysOf(alice), {object: 'property'})))
          expect(sha(opened)).toBe(sha(plaintext))
        },
      ),
      {numRuns: 40},
    )
  })

  it('streams a file through pipeline into a file', async () => {
    const plain = file('piped.bin', randomBytes(5 * 1024 * KiB + 3))
    const sealed = join(work, 'piped.age')
    await pipeline(createReadStream(plain), createEncryptStream(to(alice)), createWriteStream(sealed))
    const opened = join(work, 'piped.out')
    await pipeline(createReadStream(sealed), createDecryptStream(keysOf(alice), {object: sealed}), createWriteStream(opened))
    expect(sha(readFileSync(opened))).toBe(sha(readFileSync(plain)))
  })
})
