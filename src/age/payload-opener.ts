/**
 * Opens an age payload's chunks (age §"Payload") as they arrive, refusing what STREAM exists to
 * catch: a changed byte, chunks reordered or dropped, a file cut short (at a chunk boundary or
 * inside a chunk), data after the final chunk, an empty final chunk after others.
 *
 * Plaintext is released chunk by chunk, each once its tag is checked; streaming decryption MUST
 * signal an error when the end comes without a valid final chunk, and it does, after releasing the
 * chunks before it. Whoever keeps the plaintext keeps it only if no error came.
 */
import {createDecipheriv, type KeyObject} from 'node:crypto'
import {CustodyError} from '../errors.js'
import {TAG_SIZE} from './key-wrap.js'
import {ChunkNonce, SEALED_CHUNK_SIZE} from './payload.js'
import {damaged} from './refusals.js'

export type Release = (plaintext: Buffer) => void

/** One sealed chunk (ciphertext and tag) opened under `nonce`: its plaintext, or undefined when it does not authenticate. */
export function openChunk(key: KeyObject, nonce: Uint8Array, chunk: Uint8Array): Buffer | undefined {
  if (chunk.length < TAG_SIZE) return undefined
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, {authTagLength: TAG_SIZE})
  decipher.setAuthTag(chunk.subarray(chunk.length - TAG_SIZE))
  const plaintext = decipher.update(chunk.subarray(0, chunk.length - TAG_SIZE))
  try {
    decipher.final()
    return plaintext
  } catch {
    return undefined
  }
}

export class PayloadOpener {
  private readonly key: KeyObject
  private readonly object: string
  /** Where the first chunk starts in the file: for the byte offsets errors name. */
  private readonly start: number
  private readonly nonce = new ChunkNonce()
  private readonly pending = Buffer.allocUnsafe(SEALED_CHUNK_SIZE)
  private pendingLength = 0
  private finished = false

  constructor(key: KeyObject, object: string, start: number) {
    this.key = key
    this.object = object
    this.start = start
  }

  /** Opens the chunks that `ciphertext` completes and that are sure not to be the final one. */
  update(ciphertext: Uint8Array, release: Release): void {
    if (this.finished) throw new CustodyError('INTERNAL', 'ciphertext was given after the end of the payload')
    let offset = 0
    while (offset < ciphertext.length) {
      if (this.pendingLength === SEALED_CHUNK_SIZE) {
        this.openMiddle(this.pending, release)
        this.pendingLength = 0
      }

      if (this.pendingLength === 0 && ciphertext.length - offset > SEALED_CHUNK_SIZE) {
        this.openMiddle(ciphertext.subarray(offset, offset + SEALED_CHUNK_SIZE), release)
        offset += SEALED_CHUNK_SIZE
        continue
      }

      const take = Math.min(SEALED_CHUNK_SIZE - this.pendingLength, ciphertext.length - offset)
      this.pending.set(ciphertext.subarray(offset, offset + take), this.pendingLength)
      this.pendingLength += take
      offset += take
    }
  }

  /** At the end of the file: the pending chunk must be a valid final chunk. */
  final(release: Release): void {
    if (this.finished) throw new CustodyError('INTERNAL', 'the end of the payload was given twice')
    this.finished = true
    const chunk = this.pending.subarray(0, this.pendingLength)
    const {index} = this.nonce
    if (chunk.length === 0) throw damaged(this.object, 'it ends after its header and payload nonce: the payload has no chunk (the file was cut short)')
    if (chunk.length < TAG_SIZE) throw damaged(this.object, `it ends ${chunk.length} bytes into chunk ${index} (${this.where(index)}), too short to hold its tag: the file was cut short`)
    const plaintext = this.open(chunk, true)
    if (plaintext === undefined) {
      const asMiddle = chunk.length === SEALED_CHUNK_SIZE ? this.open(chunk, false) : undefined
      if (asMiddle !== undefined) {
        // An authentic chunk, released as every one before it; what is missing is the final one.
        release(asMiddle)
        throw damaged(this.object, `it ends after chunk ${index} (${this.where(index)}), which is not its final chunk: the file was cut short at a chunk boundary`)
      }

      throw damaged(this.object, `its last chunk, chunk ${index} (${this.where(index)}), does not authenticate: bytes in it were changed, cut off or added`)
    }

    if (plaintext.length === 0 && index > 0) throw damaged(this.object, `its final chunk, chunk ${index} (${this.where(index)}), is empty, which age allows only for an empty file`)
    release(plaintext)
  }

  /** A full chunk with more after it: it must open as a chunk before the final one. */
  private openMiddle(chunk: Uint8Array, release: Release): void {
    const {index} = this.nonce
    const plaintext = this.open(chunk, false)
    if (plaintext !== undefined) {
      this.nonce.advance()
      release(plaintext)
      return
    }

    const asFinal = this.open(chunk, true)
    if (asFinal === undefined) throw damaged(this.object, `chunk ${index} (${this.where(index)}) does not authenticate: a byte in it changed, or chunks were moved`)
    // It is a valid final chunk, so its plaintext is released as the payload's end, then refused for what follows.
    this.finished = true
    release(asFinal)
    throw damaged(this.object, `data follows its final chunk, chunk ${index} (${this.where(index)}): something was appended to the file`)
  }

  private open(chunk: Uint8Array, last: boolean): Buffer | undefined {
    return openChunk(this.key, this.nonce.withFlag(last), chunk)
  }

  private where(index: number): string {
    const from = this.start + index * SEALED_CHUNK_SIZE
    return `from byte ${from} of the file`
  }
}
