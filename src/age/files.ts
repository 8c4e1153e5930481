/**
 * Whole files encrypted to age and decrypted from it, durably: the output is written to a temp
 * file beside the target, fsynced, and only then given its name (src/io/files.ts,
 * moveIntoPlace), so a decrypted file exists only once every chunk and the final one are
 * authenticated, and a crash leaves no half file under the target's name.
 *
 * Files are read 1 MiB at a time through FileHandle (as src/hashing/ reads them), the next read
 * under way while this one is encrypted and written with one writev: a Node stream pipeline
 * spends more in its own machinery than OpenSSL spends encrypting.
 */
import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {open, rm, type FileHandle} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {giveBack, takeBuffer, CHUNK_SIZE as READ_SIZE} from '../hashing/digests.js'
import {quietly} from '../hashing/pump.js'
import {moveIntoPlace, notReplaced, PRIVATE_FILE, writeAllPieces} from '../io/files.js'
import {AgeDecryptor, type DecryptOptions} from './decrypt.js'
import {AgeEncryptor} from './encrypt.js'
import type {AgeKey} from './unwrap.js'
import type {AgeRecipient} from './x25519.js'

/** Turns each piece read into the pieces to write, in order; `end` gives the last ones. */
interface Converter {
  convert(chunk: Buffer): Buffer[] | Promise<Buffer[]>
  end(): Buffer[]
}

/**
 * Reads `source` to its end through `converter`, writing what it gives to `target` from byte 0;
 * one read and one write in flight beside the conversion. Returns the bytes read and written.
 */
async function pump(source: FileHandle, target: FileHandle, converter: Converter): Promise<{read: number; written: number}> {
  const buffers = [takeBuffer(), takeBuffer()]
  let reading = quietly(source.read(buffers[0]!, 0, READ_SIZE, null))
  let writing: Promise<number> = Promise.resolve(0)
  let read = 0
  let written = 0
  try {
    for (let i = 0; ; i++) {
      const {bytesRead} = await reading
      if (bytesRead === 0) break
      read += bytesRead
      // The other buffer's chunk is converted already, and a converter keeps no reference to what it is given.
      reading = quietly(source.read(buffers[(i + 1) % 2]!, 0, READ_SIZE, null))
      const pieces = await converter.convert(buffers[i % 2]!.subarray(0, bytesRead))
      written += await writing
      writing = quietly(writeAllPieces(target, pieces, written))
    }

    written += await writing
    written += await writeAllPieces(target, converter.end(), written)
    return {read, written}
  } finally {
    await Promise.allSettled([reading, writing])
    giveBack(...buffers)
  }
}

/** Opens `source`, writes through `converter` into a temp file beside `target`, fsyncs it and gives it the name `target`. */
async function convertFile(source: string, target: string, converter: Converter): Promise<{read: number; written: number}> {
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const input = await open(source, 'r')
  try {
    const output = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE)
    let sizes: {read: number; written: number}
    try {
      sizes = await pump(input, output, converter)
      await output.sync()
    } finally {
      await output.close()
    }

    if (!(await moveIntoPlace(temp, target, false))) throw notReplaced(target)
    return sizes
  } finally {
    await input.close()
    await rm(temp, {force: true})
  }
}

/** Encrypts the file `source` to `recipients` as the new file `target` (refused if it exists). */
export async function encryptFile(source: string, target: string, recipients: readonly AgeRecipient[]): Promise<{size: number; encryptedSize: number}> {
  const encryptor = AgeEncryptor.toRecipients(recipients)
  let first = true
  const {read, written} = await convertFile(source, target, {
    convert: (chunk) => {
      const pieces = encryptor.update(chunk)
      if (first) pieces.unshift(encryptor.head)
      first = false
      return pieces
    },
    end: () => (first ? [encryptor.head, ...encryptor.final()] : encryptor.final()),
  })
  return {size: read, encryptedSize: written}
}

/**
 * Decrypts the age file `source` with `keys` as the new file `target` (refused if it exists),
 * which appears only if the whole file is authenticated; errors name `options.object` (default: `source`).
 */
export async function decryptFile(source: string, target: string, keys: readonly AgeKey[], options: Partial<DecryptOptions> = {}): Promise<{size: number; encryptedSize: number}> {
  const decryptor = new AgeDecryptor(keys, {object: options.object ?? source})
  const {read, written} = await convertFile(source, target, {
    convert: async (chunk) => {
      const pieces: Buffer[] = []
      await decryptor.update(chunk, (plaintext) => pieces.push(plaintext))
      return pieces
    },
    end: () => {
      const pieces: Buffer[] = []
      decryptor.final((plaintext) => pieces.push(plaintext))
      return pieces
    },
  })
  return {size: written, encryptedSize: read}
}
