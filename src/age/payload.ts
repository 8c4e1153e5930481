/**
 * The age payload (age §"Payload"): a 16-byte nonce, then the plaintext in chunks of 64 KiB, each
 * sealed with ChaCha20-Poly1305 (RFC 7539) under the payload key and a 12-byte nonce: an 11-byte
 * big-endian chunk counter and a last byte of 1 for the final chunk, 0 before it (STREAM). The
 * final chunk may be short, and is empty only when the whole payload is.
 *
 * Both directions take bytes in pieces of any size and never hold more than a chunk or two
 * (payload-opener.ts is the other direction). Sealing is in two parts: PayloadFramer cuts the
 * plaintext into chunks and gives each its nonce (the STREAM's whole order), and sealChunk seals one,
 * here (PayloadSealer) or on a worker thread (payload-worker.ts). Each chunk goes through OpenSSL
 * (node:crypto): the JavaScript ChaCha20 of @noble/ciphers is an order of magnitude slower, too
 * slow for the vault's large originals (README, "Speed").
 */
import {createCipheriv, createSecretKey, randomBytes, type KeyObject} from 'node:crypto'
import {CustodyError} from '../errors.js'
import {hkdf, TAG_SIZE} from './key-wrap.js'

export const CHUNK_SIZE = 64 * 1024
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
export const PAYLOAD_NONCE_SIZE = 16
const COUNTER_END = 11

/** A fresh payload nonce (§"Payload": from a CSPRNG, new for each file). */
export function newPayloadNonce(): Buffer {
  return randomBytes(PAYLOAD_NONCE_SIZE)
}

/** payload key = HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload"). */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): KeyObject {
  return createSecretKey(payloadKeyBytes(fileKey, nonce))
}

/** The payload key as bytes: for a thread that seals chunks under it (payload-worker.ts). */
export function payloadKeyBytes(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return hkdf(fileKey, nonce, 'payload')
}

/** The bytes of the sealed payload (nonce and chunks) of `plaintextSize` bytes of plaintext. */
export function sealedPayloadSize(plaintextSize: number): number {
  return PAYLOAD_NONCE_SIZE + plaintextSize + TAG_SIZE * Math.max(1, Math.ceil(plaintextSize / CHUNK_SIZE))
}

/** The STREAM nonce of chunk after chunk: the counter in bytes 0–10, the final flag in byte 11. */
export class ChunkNonce {
  readonly bytes = Buffer.alloc(12)
  index = 0

  advance(): void {
    this.index++
    for (let i = COUNTER_END - 1; i >= 0; i--) {
      this.bytes[i] = (this.bytes[i]! + 1) & 0xff
      if (this.bytes[i] !== 0) return
    }

    throw new CustodyError('INTERNAL', 'the STREAM chunk counter passed 2^88 chunks')
  }

  withFlag(last: boolean): Buffer {
    this.bytes[COUNTER_END] = last ? 1 : 0
    return this.bytes
  }
}

/**
 * One chunk of the STREAM, framed and not yet sealed: its plaintext and its nonce. The plaintext is
 * a view of what the caller gave, or of the framer's own memory (a chunk that waited for what
 * follows it), which a later update() overwrites: seal it, or copy it, before the next call.
 */
export interface FramedChunk {
  readonly plaintext: Uint8Array
  readonly nonce: Buffer
}

/**
 * Cuts plaintext, given in pieces, into the chunks of the STREAM, each with its nonce. A full chunk
 * is framed only once more plaintext follows it (until then it may be the final one), so up to
 * 64 KiB waits for the next call. The framing is all of the STREAM's order: whoever seals the
 * chunks (this thread, or payload-worker.ts) seals each under the nonce given here.
 */
export class PayloadFramer {
  private readonly nonce = new ChunkNonce()
  private pending: Buffer = Buffer.allocUnsafeSlow(CHUNK_SIZE)
  // Two buffers in turn (the second made when first needed): what update() returns from one is not
  // overwritten by the rest of that call.
  private spare: Buffer | undefined
  private pendingLength = 0
  private finished = false

  /** The chunks that `plaintext` completes (none, one or many), in file order. */
  update(plaintext: Uint8Array): FramedChunk[] {
    if (this.finished) throw new CustodyError('INTERNAL', 'plaintext was given after the final chunk was sealed')
    const out: FramedChunk[] = []
    let offset = 0
    while (offset < plaintext.length) {
      if (this.pendingLength === CHUNK_SIZE) out.push(this.takePending(false))
      if (this.pendingLength === 0 && plaintext.length - offset > CHUNK_SIZE) {
        // Whole chunks straight from the input, with more input after them: no copy.
        out.push(this.frame(plaintext.subarray(offset, offset + CHUNK_SIZE), false))
        offset += CHUNK_SIZE
        continue
      }

      const take = Math.min(CHUNK_SIZE - this.pendingLength, plaintext.length - offset)
      this.pending.set(plaintext.subarray(offset, offset + take), this.pendingLength)
      this.pendingLength += take
      offset += take
    }

    return out
  }

  /** The final chunk: what is pending, empty only when no plaintext was given at all. */
  final(): FramedChunk {
    if (this.finished) throw new CustodyError('INTERNAL', 'the final chunk was sealed twice')
    this.finished = true
    return this.takePending(true)
  }

  private takePending(last: boolean): FramedChunk {
    const chunk = this.frame(this.pending.subarray(0, this.pendingLength), last)
    if (!last) [this.pending, this.spare] = [this.spare ?? Buffer.allocUnsafeSlow(CHUNK_SIZE), this.pending]
    this.pendingLength = 0
    return chunk
  }

  private frame(plaintext: Uint8Array, last: boolean): FramedChunk {
    const chunk = {plaintext, nonce: Buffer.from(this.nonce.withFlag(last))}
    this.nonce.advance()
    return chunk
  }
}

/** ChaCha20-Poly1305 (RFC 7539 §2.8) of one framed chunk: its ciphertext, then its tag. */
export function sealChunk(key: KeyObject, chunk: FramedChunk): [Buffer, Buffer] {
  const cipher = createCipheriv('chacha20-poly1305', key, chunk.nonce, {authTagLength: TAG_SIZE})
  const ciphertext = cipher.update(chunk.plaintext)
  cipher.final()
  return [ciphertext, cipher.getAuthTag()]
}

/** Seals plaintext, given in pieces, into chunks on this thread (PayloadFramer frames them). */
export class PayloadSealer {
  private readonly key: KeyObject
  private readonly framer = new PayloadFramer()

  constructor(key: KeyObject) {
    this.key = key
  }

  /**
   * The sealed chunks that `plaintext` completes, each as its ciphertext and its tag, in file
   * order. Pieces, not one buffer: copying into fresh memory cost a third of the time.
   */
  update(plaintext: Uint8Array): Buffer[] {
    return this.framer.update(plaintext).flatMap((chunk) => sealChunk(this.key, chunk))
  }

  /** The final chunk, as its ciphertext and tag. */
  final(): Buffer[] {
    return sealChunk(this.key, this.framer.final())
  }
}
