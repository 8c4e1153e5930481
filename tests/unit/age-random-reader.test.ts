/**
 * src/age/random-reader.ts: an age file read at any plaintext position. Random reads (across chunk
 * borders, sync and async) equal the plaintext, for files written by custody and by the real
 * `age`; a flipped byte in any chunk fails the read of that chunk, naming the file and the chunk;
 * a file cut after a whole chunk, or inside its last one, is refused on open; a wrong identity is
 * WRONG_KEY. Large reads into shared memory are opened on the decryption worker (open-worker.ts):
 * they give the same bytes, and refuse a flipped byte, chunks swapped and a moved final chunk the same way.
 */
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import {encryptBytes} from '../../src/age/encrypt.js'
import {OpenWorker} from '../../src/age/open-worker.js'
import {AgeRandomReader} from '../../src/age/random-reader.js'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {CustodyError} from '../../src/errors.js'
import {checker} from '../helpers/tools.js'

const work = mkdtempSync(join(tmpdir(), 'custody-age-random-'))
afterAll(async () => {
  await OpenWorker.shared()[Symbol.asyncDispose]()
  rmSync(work, {recursive: true, force: true})
})
const CHUNK = 65536
const SEALED_CHUNK = CHUNK + 16
const alice = generateIdentity()
const keys = [parseIdentity(alice.identity)]

function sealedFile(name: string, plaintext: Buffer): string {
  const path = join(work, name)
  writeFileSync(path, encryptBytes(plaintext, [parseRecipient(alice.recipient)]))
  return path
}

function codeOf(error: unknown): string | undefined {
  return error instanceof CustodyError ? error.code : undefined
}

describe('AgeRandomReader', () => {
  const plaintext = randomBytes(5 * CHUNK + 1234)
  const path = sealedFile('five.age', plaintext)

  it('gives the plaintext at any position, across chunk borders, sync and async', async () => {
    const reader = await AgeRandomReader.open(path, keys)
    try {
      expect(reader.size).toBe(plaintext.length)
      await fc.assert(
        fc.asyncProperty(fc.nat(plaintext.length), fc.nat(3 * CHUNK), fc.boolean(), async (position, length, sync) => {
          const buffer = Buffer.alloc(length + 3)
          const n = sync ? reader.readAtSync(buffer, 3, length, position) : await reader.readAt(buffer, 3, length, position)
          expect(n).toBe(Math.max(0, Math.min(length, plaintext.length - position)))
          expect(buffer.subarray(3, 3 + n).equals(plaintext.subarray(position, position + n))).toBe(true)
        }),
        {numRuns: 200},
      )
    } finally {
      reader.close()
    }
  })

  // age found as every test finds a checker: skipped with a message where it is absent, a failure under CI
  it.runIf(checker('age') !== undefined)('reads a file the real age wrote, of an exact number of chunks, and an empty one', async () => {
    const age = checker('age')!
    for (const size of [0, CHUNK, 2 * CHUNK, 3]) {
      const plain = join(work, `plain-${size}`)
      const data = randomBytes(size)
      writeFileSync(plain, data)
      const sealed = `${plain}.age`
      execFileSync(age, ['-r', alice.recipient, '-o', sealed, plain])
      const reader = await AgeRandomReader.open(sealed, keys)
      const all = Buffer.alloc(size)
      expect(await reader.readAt(all, 0, size, 0)).toBe(size)
      reader.close()
      expect(all.equals(data)).toBe(true)
    }
  })

  it('fails the read of a chunk with a flipped byte, and only of that chunk (the last: on open)', async () => {
    const whole = readFileSync(path)
    const payloadStart = whole.length - (plaintext.length + 6 * 16)
    const last = Buffer.from(whole)
    last[last.length - 20]! ^= 0x01
    writeFileSync(join(work, 'flipped-last.age'), last)
    expect(codeOf(await AgeRandomReader.open(join(work, 'flipped-last.age'), keys).catch((e: unknown) => e))).toBe('INTEGRITY')
    for (const chunk of [0, 1, 2, 3, 4]) {
      const flipped = Buffer.from(whole)
      flipped[payloadStart + chunk * SEALED_CHUNK + 100]! ^= 0x01
      const bad = join(work, `flipped-${chunk}.age`)
      writeFileSync(bad, flipped)
      const reader = await AgeRandomReader.open(bad, keys)
      try {
        const other = chunk === 0 ? 1 : 0
        const ok = Buffer.alloc(10)
        reader.readAtSync(ok, 0, 10, other * CHUNK)
        expect(ok.equals(plaintext.subarray(other * CHUNK, other * CHUNK + 10))).toBe(true)
        const error: unknown = await reader.readAt(Buffer.alloc(10), 0, 10, chunk * CHUNK + 5).catch((e: unknown) => e)
        expect(codeOf(error)).toBe('INTEGRITY')
        expect((error as Error).message).toContain(`${bad} is not an intact age file: chunk ${chunk} `)
        expect(() => reader.readAtSync(Buffer.alloc(10), 0, 10, chunk * CHUNK + 5)).toThrow(/does not authenticate/)
      } finally {
        reader.close()
      }
    }
  })

  it('refuses on open a file cut after a whole chunk, inside its last chunk, or with bytes added', async () => {
    const whole = readFileSync(path)
    const payloadStart = whole.length - (plaintext.length + 6 * 16)
    const cases = [
      {name: 'cut-at-boundary', bytes: whole.subarray(0, payloadStart + 3 * SEALED_CHUNK), says: /cut short at a chunk boundary/},
      {name: 'cut-inside', bytes: whole.subarray(0, whole.length - 100), says: /does not authenticate/},
      {name: 'appended', bytes: Buffer.concat([whole, Buffer.from('more')]), says: /does not authenticate/},
      {name: 'header-only', bytes: whole.subarray(0, payloadStart), says: /no chunk/},
    ]
    for (const {name, bytes, says} of cases) {
      const bad = join(work, `${name}.age`)
      writeFileSync(bad, bytes)
      const error: unknown = await AgeRandomReader.open(bad, keys).catch((e: unknown) => e)
      expect(codeOf(error), name).toBe('INTEGRITY')
      expect((error as Error).message, name).toMatch(says)
    }
  })

  it('opens a file whose header is larger than the first read (many recipients), and refuses one cut inside such a header', async () => {
    const others = Array.from({length: 200}, () => parseRecipient(generateIdentity().recipient))
    const data = randomBytes(3 * CHUNK)
    const bytes = encryptBytes(data, [...others, parseRecipient(alice.recipient)])
    const headerLength = bytes.indexOf('\n---') + 1
    expect(headerLength).toBeGreaterThan(16 * 1024)
    const many = join(work, 'many-recipients.age')
    writeFileSync(many, bytes)
    const reader = await AgeRandomReader.open(many, keys)
    const all = Buffer.alloc(data.length)
    expect(await reader.readAt(all, 0, data.length, 0)).toBe(data.length)
    reader.close()
    expect(all.equals(data)).toBe(true)
    writeFileSync(join(work, 'many-cut.age'), bytes.subarray(0, headerLength - 10))
    const error: unknown = await AgeRandomReader.open(join(work, 'many-cut.age'), keys).catch((e: unknown) => e)
    expect(codeOf(error)).toBe('INTEGRITY')
    expect((error as Error).message).toMatch(/ends inside its header/)
  })

  it('refuses a wrong identity with WRONG_KEY', async () => {
    const error: unknown = await AgeRandomReader.open(path, [parseIdentity(generateIdentity().identity)]).catch((e: unknown) => e)
    expect(codeOf(error)).toBe('WRONG_KEY')
  })
})

describe('AgeRandomReader, large reads into shared memory (opened on the worker)', () => {
  const plaintext = randomBytes(20 * CHUNK + 4321)
  const path = sealedFile('twenty.age', plaintext)
  const whole = readFileSync(path)
  const payloadStart = whole.length - (plaintext.length + 21 * 16)

  /** `length` bytes read at `position` into shared memory at `offset`, as the read-ahead reads. */
  async function sharedRead(reader: AgeRandomReader, position: number, length: number, offset = 5): Promise<Buffer> {
    const buffer = Buffer.from(new SharedArrayBuffer(length + offset + 7), 0, length + offset + 7)
    const n = await reader.readAt(buffer, offset, length, position)
    return buffer.subarray(offset, offset + n)
  }

  it('gives the plaintext at any position and length, consecutive reads and concurrent ones', async () => {
    const reader = await AgeRandomReader.open(path, keys)
    try {
      await fc.assert(
        fc.asyncProperty(fc.nat(plaintext.length), fc.integer({min: 4 * CHUNK, max: 18 * CHUNK}), async (position, length) => {
          const got = await sharedRead(reader, position, length)
          expect(got.equals(plaintext.subarray(position, position + length))).toBe(true)
        }),
        {numRuns: 60},
      )
      // As the read-ahead reads: 1 MiB at a time from an offset inside a chunk, several at once.
      const at = 1000
      const reads = [0, 1, 2].map((i) => sharedRead(reader, at + i * 6 * CHUNK, 6 * CHUNK))
      const got = Buffer.concat(await Promise.all(reads))
      expect(got.equals(plaintext.subarray(at, at + 18 * CHUNK))).toBe(true)
    } finally {
      reader.close()
    }
  })

  it('refuses a flipped byte in any chunk a read touches, naming the file and the chunk', async () => {
    for (const chunk of [0, 7, 19]) {
      const flipped = Buffer.from(whole)
      flipped[payloadStart + chunk * SEALED_CHUNK + 999]! ^= 0x01
      const bad = join(work, `worker-flipped-${chunk}.age`)
      writeFileSync(bad, flipped)
      const reader = await AgeRandomReader.open(bad, keys)
      try {
        // A read that does not touch the chunk is whole; one that does is refused.
        const clear = chunk === 0 ? 8 * CHUNK : 0
        expect((await sharedRead(reader, clear, 5 * CHUNK)).equals(plaintext.subarray(clear, clear + 5 * CHUNK))).toBe(true)
        const error: unknown = await sharedRead(reader, Math.max(0, chunk - 2) * CHUNK + 17, 5 * CHUNK).catch((e: unknown) => e)
        expect(codeOf(error)).toBe('INTEGRITY')
        expect((error as Error).message).toContain(`${bad} is not an intact age file: chunk ${chunk} `)
        expect((error as Error).message).toContain(`from byte ${payloadStart + chunk * SEALED_CHUNK} of the file`)
      } finally {
        reader.close()
      }
    }
  })

  it('refuses two chunks swapped, and the final chunk copied over a middle one (the nonce holds the index and the final flag)', async () => {
    const swapped = Buffer.from(whole)
    const a = payloadStart + 3 * SEALED_CHUNK
    const b = payloadStart + 4 * SEALED_CHUNK
    whole.copy(swapped, a, b, b + SEALED_CHUNK)
    whole.copy(swapped, b, a, a + SEALED_CHUNK)
    const bad = join(work, 'worker-swapped.age')
    writeFileSync(bad, swapped)
    const reader = await AgeRandomReader.open(bad, keys)
    try {
      const error: unknown = await sharedRead(reader, 2 * CHUNK, 6 * CHUNK).catch((e: unknown) => e)
      expect(codeOf(error)).toBe('INTEGRITY')
      expect((error as Error).message).toMatch(/chunk 3 .*does not authenticate/)
    } finally {
      reader.close()
    }

    // A chunk that opens only as the final one, read where a middle chunk must be: the file's
    // last chunk copied over chunk 10 is refused (its nonce's index and final flag differ).
    const moved = Buffer.from(whole)
    const lastChunk = whole.subarray(payloadStart + 20 * SEALED_CHUNK)
    lastChunk.copy(moved, payloadStart + 10 * SEALED_CHUNK)
    writeFileSync(join(work, 'worker-moved.age'), moved)
    const movedReader = await AgeRandomReader.open(join(work, 'worker-moved.age'), keys)
    try {
      const error: unknown = await sharedRead(movedReader, 8 * CHUNK, 5 * CHUNK).catch((e: unknown) => e)
      expect(codeOf(error)).toBe('INTEGRITY')
      expect((error as Error).message).toMatch(/chunk 10 .*does not authenticate/)
    } finally {
      movedReader.close()
    }
  })

  it('fails a read, naming the file, when the file became shorter after it was opened', async () => {
    const short = join(work, 'worker-shrinks.age')
    writeFileSync(short, whole)
    const reader = await AgeRandomReader.open(short, keys)
    try {
      writeFileSync(short, whole.subarray(0, payloadStart + 6 * SEALED_CHUNK))
      const error: unknown = await sharedRead(reader, 4 * CHUNK, 8 * CHUNK).catch((e: unknown) => e)
      expect(codeOf(error)).toBe('INTEGRITY')
      expect((error as Error).message).toMatch(/worker-shrinks\.age.*became shorter/)
    } finally {
      reader.close()
    }
  })
})
