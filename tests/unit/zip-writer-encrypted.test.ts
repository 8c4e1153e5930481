/**
 * src/zip/writer.ts with `encrypt`: the archive encrypted as it is written. The file is an age
 * file whose plaintext is, byte for byte, the ZIP the writer writes without it (small and large
 * pieces, a streamed entry of many chunks, ZIP64 records); the result gives the ZIP's SHA-256 and
 * size, and the age file's; the ZIP inside reads back through the decrypting reader.
 */
import {createHash, randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {decryptBytes} from '../../src/age/decrypt.js'
import {AgeEncryptor} from '../../src/age/encrypt.js'
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
  for (let at = 0; at < big.length; at += 300_000) await zip.writeChunk(entry, Buffer.from(big.subarray(at, at + 300_000)))
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
      const sealed = await write(agePath, {forceZip64, encrypt: AgeEncryptor.toRecipients([parseRecipient(key.recipient)])})
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
})
