/**
 * Decrypting age v1 (age §"Encrypted file format"), with one or more keys: read the header whole
 * (bounded, src/age/header.ts), unwrap the file key and check the header MAC (unwrap.ts), read the
 * payload nonce, then open the payload chunk by chunk (payload-opener.ts). Everything read is
 * hostile: a file that is not the intact age file it was written as is refused with INTEGRITY,
 * naming the object and what is wrong; a file for other keys with WRONG_KEY or WRONG_PASSPHRASE.
 *
 * AgeDecryptor is the core; createDecryptStream wraps it as a Node Transform, decryptBytes and
 * decryptWithPassphrase decrypt a small object whole. A stream releases each chunk's plaintext
 * once that chunk is authenticated, before the file's end is: keep the output only if the stream
 * ends without an error.
 */
import {Transform, type TransformCallback} from 'node:stream'
import {CustodyError} from '../errors.js'
import {findHeaderEnd, parseHeader} from './header.js'
import {PayloadOpener, type Release} from './payload-opener.js'
import {PAYLOAD_NONCE_SIZE, payloadKey} from './payload.js'
import {damaged} from './refusals.js'
import {unwrapFileKey, type AgeKey} from './unwrap.js'

export interface DecryptOptions {
  /** What the file is, as errors name it: a vault object's path, an exhibit. */
  readonly object: string
}

export class AgeDecryptor {
  private readonly keys: readonly AgeKey[]
  private readonly object: string
  /** The file's first bytes, until the header and the payload nonce are complete. */
  private head: Buffer | undefined = Buffer.alloc(0)
  private headerLength: number | undefined
  private fileKey: Buffer | undefined
  private opener: PayloadOpener | undefined

  constructor(keys: readonly AgeKey[], options: DecryptOptions) {
    if (keys.length === 0) throw new CustodyError('INVALID_ARGUMENT', `expected at least one identity or passphrase to decrypt ${options.object} with, got none`)
    this.keys = keys
    this.object = options.object
  }

  /** Takes the next bytes of the file; releases the plaintext of every chunk they complete. */
  async update(bytes: Uint8Array, release: Release): Promise<void> {
    if (this.opener !== undefined) {
      this.opener.update(bytes, release)
      return
    }

    this.head = Buffer.concat([this.head!, bytes])
    await this.readHeader()
    if (this.fileKey === undefined || this.head.length < this.headerLength! + PAYLOAD_NONCE_SIZE) return
    const payloadStart = this.headerLength! + PAYLOAD_NONCE_SIZE
    this.opener = new PayloadOpener(payloadKey(this.fileKey, this.head.subarray(this.headerLength, payloadStart)), this.object, payloadStart)
    const rest = this.head.subarray(payloadStart)
    this.head = undefined
    this.opener.update(rest, release)
  }

  /** At the end of the file: refuses a file cut short, releases the final chunk. */
  final(release: Release): void {
    if (this.opener !== undefined) {
      this.opener.final(release)
      return
    }

    if (this.headerLength === undefined) throw damaged(this.object, this.head!.length === 0 ? 'it is empty' : 'it ends inside its header')
    throw damaged(this.object, 'it ends before its 16-byte payload nonce: the file was cut short after its header')
  }

  /** Once the header is complete: parses it and unwraps the file key (once). */
  private async readHeader(): Promise<void> {
    if (this.headerLength !== undefined) return
    const end = findHeaderEnd(this.head!, this.object)
    if (end === undefined) return
    const header = parseHeader(this.head!.subarray(0, end), this.object)
    this.fileKey = await unwrapFileKey(header, this.keys, this.object)
    this.headerLength = end
  }
}

/** A Transform from an age file to its plaintext; it errors (a CustodyError) on anything refused. */
export function createDecryptStream(keys: readonly AgeKey[], options: DecryptOptions): Transform {
  const decryptor = new AgeDecryptor(keys, options)
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      decryptor.update(chunk, (plaintext) => this.push(plaintext)).then(() => callback(), callback)
    },
    flush(callback: TransformCallback) {
      try {
        decryptor.final((plaintext) => this.push(plaintext))
        callback()
      } catch (error) {
        callback(error as Error)
      }
    },
  })
}

/** An age file read as `chunks`, decrypted: each plaintext piece given once it is authenticated, the end checked (a CustodyError on anything refused). */
export async function* decryptChunks(chunks: AsyncIterable<Uint8Array>, keys: readonly AgeKey[], options: DecryptOptions): AsyncGenerator<Buffer> {
  const decryptor = new AgeDecryptor(keys, options)
  let pieces: Buffer[] = []
  const take = (plaintext: Buffer): void => {
    pieces.push(plaintext)
  }

  for await (const chunk of chunks) {
    await decryptor.update(chunk, take)
    if (pieces.length > 0) yield Buffer.concat(pieces)
    pieces = []
  }

  decryptor.final(take)
  if (pieces.length > 0) yield Buffer.concat(pieces)
}

/** A small age file decrypted whole. */
export async function decryptBytes(ciphertext: Uint8Array, keys: readonly AgeKey[], options: DecryptOptions): Promise<Buffer> {
  const decryptor = new AgeDecryptor(keys, options)
  const parts: Buffer[] = []
  await decryptor.update(ciphertext, (plaintext) => parts.push(plaintext))
  decryptor.final((plaintext) => parts.push(plaintext))
  return Buffer.concat(parts)
}

/** A small passphrase-encrypted age file (`age -p`) decrypted whole. */
export function decryptWithPassphrase(ciphertext: Uint8Array, passphrase: string, options: DecryptOptions & {maxWorkFactor?: number}): Promise<Buffer> {
  const key = options.maxWorkFactor === undefined ? {type: 'scrypt' as const, passphrase} : {type: 'scrypt' as const, passphrase, maxWorkFactor: options.maxWorkFactor}
  return decryptBytes(ciphertext, [key], options)
}
