import {createHash, randomBytes} from 'node:crypto'
import {readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {ed25519} from '@noble/curves/ed25519.js'
import {afterAll, describe, expect, it} from 'vitest'
import {parseCheckpoint, signCheckpoint} from '../../src/checkpoints/checkpoint.js'
import {askNewPassphrase, passphraseFromFileOrEnv, tryPassphrases} from '../../src/keys/passphrase.js'
import {CustodyError} from '../../src/errors.js'
import {openSecret, sealSecret} from '../../src/keys/secret-box.js'
import {createSigningKey, fingerprintOf, KEYS_FOLDER, openSigningKey, readKeyFileState, verifySignature, verifySignatureStreamed, type KeyFileState} from '../../src/keys/signing-key.js'
import {tempDir} from '../helpers/cli.js'
import {memorySigner} from '../helpers/keys.js'

const tmp = tempDir('custody-keys-')
const BOX = {name: 'the test secret', id: 'test secret', file: '/somewhere/box.json'}
afterAll(() => tmp.remove())

describe('the secret box (scrypt + AES-256-GCM)', () => {
  it('opens with the passphrase and label it was sealed with, and with nothing else', async () => {
    const secret = new TextEncoder().encode('the private key')
    const box = await sealSecret(secret, 'a long passphrase', 'label A')
    expect(box.kdf).toMatchObject({name: 'scrypt', logN: 16, r: 8, p: 2})
    expect(Buffer.from(box.ciphertext, 'base64').toString()).not.toContain('private')
    expect(new TextDecoder().decode(await openSecret(box, 'a long passphrase', 'label A', BOX))).toBe('the private key')
    await expect(openSecret(box, 'a long passphrasE', 'label A', BOX)).rejects.toMatchObject({code: 'WRONG_PASSPHRASE'})
    await expect(openSecret(box, 'a long passphrase', 'label B', BOX)).rejects.toMatchObject({code: 'WRONG_PASSPHRASE'})
    const flipped = Buffer.from(box.ciphertext, 'base64')
    flipped[0]! ^= 1
    await expect(openSecret({...box, ciphertext: flipped.toString('base64')}, 'a long passphrase', 'label A', BOX)).rejects.toMatchObject({code: 'WRONG_PASSPHRASE'})
  })

  it('refuses a box whose KDF parameters were weakened or are absurd', async () => {
    const box = await sealSecret(new Uint8Array([1]), 'a long passphrase', 'l')
    for (const kdf of [{...box.kdf, logN: 10}, {...box.kdf, logN: 40}, {...box.kdf, name: 'pbkdf2'}]) {
      await expect(openSecret({...box, kdf}, 'a long passphrase', 'l', BOX)).rejects.toMatchObject({code: 'KEY_UNREADABLE'})
    }

    await expect(openSecret(null, 'x', 'l', BOX)).rejects.toMatchObject({code: 'KEY_UNREADABLE'})
  })
})

describe('the signing key', () => {
  it('is stored encrypted, opens with the passphrase, and signs what @noble/curves verifies', async () => {
    const dir = join(tmp.path, 'case')
    const signer = await createSigningKey(dir, 'correct horse battery staple')
    const [file] = readdirSync(join(dir, KEYS_FOLDER))
    expect(file).toBe(`${signer.fingerprint.slice(7)}.json`)
    expect(readFileSync(join(dir, KEYS_FOLDER, file!), 'utf8')).not.toMatch(/PRIVATE KEY/)
    const opened = await openSigningKey(dir, signer.fingerprint, 'correct horse battery staple')
    expect(opened.fingerprint).toBe(signer.fingerprint)
    const message = new TextEncoder().encode('checkpoint bytes')
    const signature = opened.sign(message)
    // RFC 8410: the last 32 bytes of an Ed25519 SPKI are the raw public key.
    expect(ed25519.verify(signature, message, opened.spki.subarray(-32))).toBe(true)
    expect(verifySignature(opened.spki, message, signature)).toBe(true)
    expect(verifySignature(opened.spki, new TextEncoder().encode('other bytes'), signature)).toBe(false)
    // Named by what it is, never by the path of its file (issue 18).
    const wrong = await openSigningKey(dir, signer.fingerprint, 'wrong passphrase').then(
      () => expect.unreachable('a wrong passphrase opened the key'),
      (error: unknown) => error as Error & {code: string; subject: string},
    )
    expect(wrong).toMatchObject({code: 'WRONG_PASSPHRASE', message: "the passphrase does not open the case's signing key: it is wrong, or the key's file is damaged", subject: `signing key ${signer.fingerprint}`})
    expect(`${wrong.message} ${wrong.subject}`).not.toContain(dir)
  })

  it('signs a streamed message exactly as it signs the whole message, and refuses one that changed between readings', async () => {
    const signer = memorySigner()
    const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
    // Empty, one byte, and messages cut into uneven pieces (one of them empty).
    for (const length of [0, 1, 63, 64, 1000, 3 * 1024 * 1024 + 5]) {
      const message = randomBytes(length)
      const cuts = [0, Math.floor(length / 3), Math.floor(length / 3), Math.floor(length / 2), length]
      async function* read(): AsyncGenerator<Uint8Array> {
        for (let i = 1; i < cuts.length; i++) yield message.subarray(cuts[i - 1], cuts[i])
      }

      const streamed = await signer.signStreamed(read, sha256(message))
      expect(streamed.toString('hex'), `length ${length}`).toBe(signer.sign(message).toString('hex'))
      expect(ed25519.verify(streamed, message, signer.spki.subarray(-32))).toBe(true)
    }

    // The second reading differs from the first: nothing is signed.
    const message = Buffer.from('the seal statement')
    let readings = 0
    async function* changing(): AsyncGenerator<Uint8Array> {
      yield readings++ === 0 ? message : Buffer.from('the seal statemenT')
    }

    await expect(signer.signStreamed(changing, sha256(message))).rejects.toMatchObject({code: 'INTEGRITY'})
  })

  it('verifies a streamed message exactly as node verifies it whole: good, altered and malformed signatures and keys', async () => {
    const signer = memorySigner()
    const L = 2n ** 252n + 27742317777372353535851937790883648493n
    const spkiOf = (raw: Uint8Array): Buffer => Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw])
    const le = (n: bigint): Buffer => Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse()
    const identity = Buffer.concat([Buffer.from([1]), Buffer.alloc(31)])
    const p = 2n ** 255n - 19n
    const cases: Array<{what: string; spki: Buffer; message: Buffer; signature: Buffer}> = []
    for (const length of [0, 1, 100, 70_000]) {
      const message = randomBytes(length)
      const signature = signer.sign(message)
      const s = BigInt(`0x${Buffer.from(signature.subarray(32)).reverse().toString('hex')}`)
      const flipped = Buffer.from(message)
      if (length > 0) flipped[length - 1]! ^= 1
      cases.push(
        {what: `good, ${length} bytes`, spki: signer.spki, message, signature},
        {what: `message altered, ${length} bytes`, spki: signer.spki, message: length > 0 ? flipped : Buffer.from('x'), signature},
        {what: 'R altered', spki: signer.spki, message, signature: Buffer.concat([Buffer.from(signature.subarray(0, 31)), Buffer.from([signature[31]! ^ 4]), signature.subarray(32)])},
        {what: 'S + L (not canonical)', spki: signer.spki, message, signature: Buffer.concat([signature.subarray(0, 32), le(s + L)])},
        {what: 'S altered', spki: signer.spki, message, signature: Buffer.concat([signature.subarray(0, 32), le((s + 1n) % L)])},
        {what: 'another key', spki: memorySigner().spki, message, signature},
        {what: 'a key of small order, R of small order, S = 0', spki: spkiOf(identity), message, signature: Buffer.concat([identity, Buffer.alloc(32)])},
        {what: 'a key not encoded canonically (y = p + 1)', spki: spkiOf(le(p + 1n)), message, signature: Buffer.concat([identity, Buffer.alloc(32)])},
        {what: 'a key that is not a point', spki: spkiOf(Buffer.alloc(32, 0xff)), message, signature},
        {what: 'a short signature', spki: signer.spki, message, signature: signature.subarray(0, 63)},
      )
    }

    for (const {what, spki, message, signature} of cases) {
      async function* read(): AsyncGenerator<Uint8Array> {
        for (let at = 0; at < message.length; at += 30_000) yield message.subarray(at, at + 30_000)
      }

      expect(await verifySignatureStreamed(spki, read, signature), what).toBe(verifySignature(spki, message, signature))
    }

    // Both accept what is good and refuse everything else: also a key of small order, which
    // OpenSSL alone would let "verify" any message, and a key not encoded canonically.
    const accepted = cases.filter((c) => verifySignature(c.spki, c.message, c.signature)).map((c) => c.what)
    expect(accepted).toEqual(['good, 0 bytes', 'good, 1 bytes', 'good, 100 bytes', 'good, 70000 bytes'])
  })

  it("refuses a key file that holds another key than the one the case names", async () => {
    const dir = join(tmp.path, 'swap')
    const a = await createSigningKey(dir, 'passphrase one')
    const b = await createSigningKey(dir, 'passphrase one')
    writeFileSync(join(dir, KEYS_FOLDER, `${a.fingerprint.slice(7)}.json`), readFileSync(join(dir, KEYS_FOLDER, `${b.fingerprint.slice(7)}.json`)))
    // Said as it is, before any passphrase is tried: not as a wrong passphrase.
    await expect(openSigningKey(dir, a.fingerprint, 'passphrase one')).rejects.toMatchObject({code: 'KEY_UNREADABLE', message: expect.stringContaining(`holds the key ${b.fingerprint}, not the case's key ${a.fingerprint}`)})
    await expect(openSigningKey(dir, fingerprintOf(new Uint8Array(44)), 'passphrase one')).rejects.toMatchObject({code: 'KEY_UNREADABLE'})
  })

  it('is checked without the passphrase: its file there, holding its fingerprint, its public half and a sealed private half', async () => {
    const dir = join(tmp.path, 'states')
    const a = await createSigningKey(dir, 'passphrase one')
    const b = await createSigningKey(dir, 'passphrase one')
    const path = join(dir, KEYS_FOLDER, `${a.fingerprint.slice(7)}.json`)
    const genuine = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
    const theirs = JSON.parse(readFileSync(join(dir, KEYS_FOLDER, `${b.fingerprint.slice(7)}.json`), 'utf8')) as Record<string, unknown>
    const stateWith = async (content: string | undefined): Promise<KeyFileState> => {
      if (content === undefined) rmSync(path)
      else writeFileSync(path, content)
      return readKeyFileState(dir, a)
    }

    const json = (value: unknown): string => JSON.stringify(value)
    expect(await stateWith(json(genuine))).toEqual({status: 'intact', path})
    expect(await stateWith(undefined)).toEqual({status: 'missing', path})
    expect(await stateWith(json(theirs))).toEqual({status: 'other-key', path, holds: b.fingerprint})
    expect(await stateWith(json({...genuine, publicKey: theirs.publicKey}))).toEqual({status: 'other-key', path, holds: b.fingerprint})
    expect(await stateWith('{"format": ')).toEqual({status: 'unreadable', path, problem: 'is not JSON'})
    expect(await stateWith('[]')).toEqual({status: 'unreadable', path, problem: 'is not a custody signing key file'})
    expect(await stateWith(json({...genuine, format: undefined}))).toEqual({status: 'unreadable', path, problem: 'is not a custody signing key file (its format is missing)'})
    expect(await stateWith(json({...genuine, algorithm: 'RSA'}))).toEqual({status: 'unreadable', path, problem: 'holds an "RSA" key, not an Ed25519 one'})
    expect(await stateWith(json({...genuine, publicKey: undefined}))).toEqual({status: 'unreadable', path, problem: 'holds no public key'})
    expect(await stateWith(json({...genuine, privateKey: 'in clear'}))).toEqual({status: 'unreadable', path, problem: 'holds no encrypted private key that custody can open'})
  })
})

describe('checkpoints', () => {
  const signer = memorySigner()
  const head = {treeSize: 3, rootHash: 'a'.repeat(64), lastEventHash: 'b'.repeat(64)}

  it('are canonical JSON whose exact bytes are signed', () => {
    const {body, signature} = signCheckpoint(signer, 'case-1', head, new Date('2026-01-02T03:04:05Z'))
    expect(body).toBe(
      `{"case":"case-1","keyFingerprint":"${signer.fingerprint}","lastEventHash":"${'b'.repeat(64)}","rootHash":"${'a'.repeat(64)}","time":"2026-01-02T03:04:05.000Z","treeSize":3,"type":"custody-checkpoint/v1"}`,
    )
    expect(verifySignature(signer.spki, Buffer.from(body), Buffer.from(signature, 'hex'))).toBe(true)
    expect(parseCheckpoint(body)).toMatchObject({treeSize: 3, case: 'case-1'})
  })

  it('are refused when not canonical, incomplete or padded with fields', () => {
    const {body} = signCheckpoint(signer, 'case-1', head)
    const doc = JSON.parse(body) as Record<string, unknown>
    expect(parseCheckpoint(JSON.stringify(doc, null, 1))).toEqual({problem: expect.stringContaining('canonical form')})
    expect(parseCheckpoint(body.replace('"treeSize":3', '"treeSize":0'))).toEqual({problem: expect.stringContaining('treeSize')})
    expect(parseCheckpoint(body.replace('"case":"case-1",', ''))).toEqual({problem: 'it names no case'})
    expect(parseCheckpoint(body.replace(/}$/, ',"zzz":1}'))).toEqual({problem: 'it has fields a checkpoint does not have'})
    expect(parseCheckpoint('not json')).toEqual({problem: 'it is not JSON'})
  })
})

describe('the passphrase file', () => {
  it('drops one trailing line break, refuses an empty file, and falls back to the environment', async () => {
    const file = join(tmp.path, 'pass')
    writeFileSync(file, 'two words\r\n')
    expect(await passphraseFromFileOrEnv(file, {})).toBe('two words')
    writeFileSync(file, '  spaced  \n\n')
    expect(await passphraseFromFileOrEnv(file, {})).toBe('  spaced  \n')
    writeFileSync(file, '\n')
    await expect(passphraseFromFileOrEnv(file, {})).rejects.toMatchObject({code: 'PASSPHRASE_MISSING'})
    const missing = join(tmp.path, 'missing')
    // Said in words, never Node's message (ENOENT, the syscall).
    await expect(passphraseFromFileOrEnv(missing, {})).rejects.toMatchObject({code: 'PASSPHRASE_MISSING', message: `cannot read the passphrase file ${missing}: there is no such file`})
    await expect(passphraseFromFileOrEnv(tmp.path, {})).rejects.toMatchObject({code: 'PASSPHRASE_MISSING', message: `cannot read the passphrase file ${tmp.path}: it is a folder`})
    expect(await passphraseFromFileOrEnv(undefined, {CUSTODY_PASSPHRASE: 'from env'})).toBe('from env')
    expect(await passphraseFromFileOrEnv(undefined, {CUSTODY_PASSPHRASE: ''})).toBeUndefined()
  })
})

describe('a passphrase typed at a prompt', () => {
  /** A prompt that gives these answers in turn, and what it was asked and told. */
  function prompt(answers: string[]): {ask: (question?: string) => Promise<string>; asked: string[]; told: string[]; tell: (why: string, left: number) => void} {
    const asked: string[] = []
    const told: string[] = []
    return {
      asked,
      told,
      ask: async (question = 'Case passphrase:') => {
        asked.push(question)
        const answer = answers.shift()
        if (answer === undefined) throw new Error('asked once too often')
        return answer
      },
      tell: (why, left) => told.push(`${why} (${left} left)`),
    }
  }

  const open = async (passphrase: string): Promise<string> => {
    if (passphrase !== 'right one') throw new CustodyError('WRONG_PASSPHRASE', "the passphrase does not open the case's signing key")
    return 'opened'
  }

  it('is asked again while it is wrong, three times in all', async () => {
    const twice = prompt(['wrong', 'wrong again', 'right one'])
    expect(await tryPassphrases(twice.ask, open, twice.tell)).toBe('opened')
    expect(twice.told).toEqual(["the passphrase does not open the case's signing key (2 left)", "the passphrase does not open the case's signing key (1 left)"])
    const thrice = prompt(['a', 'b', 'c', 'right one'])
    await expect(tryPassphrases(thrice.ask, open, thrice.tell)).rejects.toMatchObject({code: 'WRONG_PASSPHRASE'})
    expect(thrice.asked).toHaveLength(3)
  })

  it('is not asked again for another failure', async () => {
    const other = prompt(['x', 'right one'])
    const failing = async (): Promise<never> => {
      throw new CustodyError('KEY_UNREADABLE', 'the key file is missing')
    }

    await expect(tryPassphrases(other.ask, failing, other.tell)).rejects.toMatchObject({code: 'KEY_UNREADABLE'})
    expect(other.asked).toHaveLength(1)
  })

  it('when new, is asked twice, and again when too short or typed differently', async () => {
    const mended = prompt(['short', 'a long passphrase', 'a long passphrasE', 'a long passphrase', 'a long passphrase'])
    expect(await askNewPassphrase(mended.ask, mended.tell)).toBe('a long passphrase')
    expect(mended.told).toEqual(['the passphrase must be at least 8 characters; a few words make a strong one (2 left)', 'the two passphrases differ (1 left)'])
    expect(mended.asked).toEqual([
      'New case passphrase (protects the signing key):',
      'New case passphrase (protects the signing key):',
      'The same passphrase again:',
      'New case passphrase (protects the signing key):',
      'The same passphrase again:',
    ])
    const short = prompt(['a', 'b', 'c'])
    await expect(askNewPassphrase(short.ask, short.tell)).rejects.toMatchObject({code: 'INVALID_ARGUMENT', message: expect.stringContaining('at least 8 characters')})
  })
})
