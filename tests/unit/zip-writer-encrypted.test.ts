/**
 * src/zip/writer.ts with `encrypt`: the archive encrypted as it is written, on the payload worker.
 * The file is an age file whose plaintext is, byte for byte, the ZIP the writer writes without it
 * (small and large pieces, a streamed entry of many chunks, chunks in shared memory that the
 * worker reads in place and that are reused once released, ZIP64 records); the result gives the
 * ZIP's SHA-256 and size (or none, with `hashArchive` false), and the age file's; the ZIP inside
 * reads back through the decrypting reader. An archive aborted halfway leaves the worker free.
 */
import {createHash, randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {decryptBytes} from '../../src/age/decrypt.js'
import {encryptionOnWorker} from '../../src/age/payload-worker.js'
import {AgeRandomReader} from '../../src/age/random-reader.js'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {SafeZip} from '../../src/zip/reader.js'
import {ZipWriter, type ZipWriterOptions} from '../../src/zip/writer.js'
import {tempDir} from '../helpers/cli.js'

const work = tempDir('custody-zip-encrypted-')
afterAll(() => work.remove())
const key = generateIdentity()
const date = new Date('2024-05-01T09:00:00Z')
const big = randomBytes(3 * 1024 * 1024 + 77)

async function write(path: string, options: ZipWriterOptions): Promise<Awaited<ReturnType<ZipWriter['finish']>>> {
  const zip = await ZipWriter.create(path, date, options)
  await zip.addBytes('bag/bagit.txt', Buffer.from('BagIt-Version: 1.0\n'))
  const entry = await zip.startFile('bag/data/big.bin', big.length)
  // Two buffers of shared memory in turn, each filled again once the writer releases it (as ReadAhead's are).
  const shared = new SharedArrayBuffer(2 * 300_000)
  const slots = [0, 1].map((i) => ({buffer: Buffer.from(shared, i * 300_000, 300_000), free: Promise.resolve()}))
  for (let at = 0, i = 0; at < big.length; at += 300_000, i++) {
    const slot = slots[i % 2]!
    await slot.free
    const length = Math.min(300_000, big.length - at)
    big.copy(slot.buffer, 0, at, at + length)
    let release!: () => void
    slot.free = new Promise((resolve) => (release = resolve))
    await zip.writeChunk(entry, slot.buffer.subarray(0, length), () => {
      // Scribbled over as soon as it is given back: a writer that released it too early seals these bytes.
      slot.buffer.fill(0xee)
      release()
    })
  }

  await zip.endFile(entry)
  for (let i = 0; i < 50; i++) await zip.addBytes(`bag/data/small-${i}.txt`, Buffer.from(`file ${i}\n`))
  return zip.finish()
}

describe('ZipWriter encrypting as it writes', () => {
  for (const forceZip64 of [false, true]) {
    it(`writes an age file of the very ZIP it writes in clear${forceZip64 ? ', with ZIP64 records' : ''}`, async () => {
      const plainPath = join(work.path, `plain-${forceZip64}.zip`)
      const agePath = join(work.path, `sealed-${forceZip64}.zip.age`)
      const plain = await write(plainPath, {forceZip64})
      const sealed = await write(agePath, {forceZip64, encrypt: encryptionOnWorker([parseRecipient(key.recipient)])})
      const clear = readFileSync(plainPath)
      const file = readFileSync(agePath)
      expect(file.subarray(0, 22).toString('latin1')).toBe('age-encryption.org/v1\n')
      expect(await decryptBytes(file, [parseIdentity(key.identity)], {object: agePath})).toEqual(clear)
      expect({sha256: sealed.sha256, size: sealed.size}).toEqual(plain)
      expect(sealed.encrypted).toEqual({sha256: createHash('sha256').update(file).digest('hex'), size: file.length})

      const zip = await SafeZip.open(agePath, await AgeRandomReader.open(agePath, [parseIdentity(key.identity)]))
      try {
        const entries: Parameters<Parameters<SafeZip['list']>[0]>[0][] = []
        expect(await zip.list((info) => entries.push(info))).toBe(52)
        expect(entries[1]!.name).toBe('bag/data/big.bin')
        // Read back in the reader's pieces, and in the MiB pieces a copy asks for: the same bytes.
        for (const size of [undefined, 1024 * 1024]) {
          const parts: Buffer[] = []
          for await (const chunk of zip.chunks(entries[1]!, undefined, size)) parts.push(Buffer.from(chunk))
          expect(Math.max(...parts.map((p) => p.length))).toBe(size ?? 64 * 1024)
          expect(Buffer.concat(parts).equals(big)).toBe(true)
        }
      } finally {
        zip.close()
      }
    })
  }

  it('leaves the ZIP unhashed when told (a field package records only its age file)', async () => {
    const agePath = join(work.path, 'unhashed.zip.age')
    const sealed = await write(agePath, {encrypt: encryptionOnWorker([parseRecipient(key.recipient)]), hashArchive: false})
    const file = readFileSync(agePath)
    expect(sealed.sha256).toBe('')
    expect(sealed.encrypted).toEqual({sha256: createHash('sha256').update(file).digest('hex'), size: file.length})
    const clear = await decryptBytes(file, [parseIdentity(key.identity)], {object: agePath})
    expect(clear.length).toBe(sealed.size)
  })

  it('aborts an archive halfway, and the worker seals the next one', async () => {
    const halfPath = join(work.path, 'half.zip.age')
    const zip = await ZipWriter.create(halfPath, date, {encrypt: encryptionOnWorker([parseRecipient(key.recipient)])})
    const entry = await zip.startFile('bag/data/big.bin', big.length)
    await zip.writeChunk(entry, Buffer.from(big.subarray(0, 1_000_000)))
    await zip.abort()
    const nextPath = join(work.path, 'next.zip.age')
    const plain = await write(join(work.path, 'next-plain.zip'), {})
    const sealed = await write(nextPath, {encrypt: encryptionOnWorker([parseRecipient(key.recipient)])})
    expect(await decryptBytes(readFileSync(nextPath), [parseIdentity(key.identity)], {object: nextPath})).toEqual(readFileSync(join(work.path, 'next-plain.zip')))
    expect(sealed.sha256).toBe(plain.sha256)
  })
})
