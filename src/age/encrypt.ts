/**
 * Encrypting to age v1 (age §"Encrypted file format"): a fresh file key wrapped in one stanza per
 * recipient, the header and its MAC, the payload nonce, then the STREAM payload. Whatever custody
 * writes here, `age -d -i IDENTITY FILE` decrypts.
 *
 * AgeEncryptor is the core, fed pieces of plaintext synchronously (a copy loop can hash and
 * encrypt the same buffer); createEncryptStream wraps it as a Node Transform, and encryptBytes
 * and encryptWithPassphrase encrypt a small object whole.
 */
import {createSecretKey} from 'node:crypto'
import {Transform, type TransformCallback} from 'node:stream'
import {CustodyError} from '../errors.js'
import {encodeHeader, type Stanza} from './header.js'
import {newFileKey} from './key-wrap.js'
import {newPayloadNonce, payloadKeyBytes, PayloadSealer} from './payload.js'
import {DEFAULT_WORK_FACTOR, wrapWithPassphrase} from './scrypt.js'
import {wrapForRecipient, type AgeRecipient} from './x25519.js'

/**
 * The start of an age file: its head (the header, then the payload nonce), to write first, and the
 * payload key that the chunks after it are sealed under (for a sealer on another thread:
 * payload-worker.ts).
 */
export interface AgeFileStart {
  readonly head: Buffer
  readonly payloadKey: Buffer
}

function startFile(stanzas: readonly Stanza[], fileKey: Buffer): AgeFileStart {
  const nonce = newPayloadNonce()
  return {head: Buffer.concat([encodeHeader(stanzas, fileKey), nonce]), payloadKey: payloadKeyBytes(fileKey, nonce)}
}

/** The start of an age file to one or more X25519 recipients, each of whom can decrypt alone. */
export function startFileToRecipients(recipients: readonly AgeRecipient[]): AgeFileStart {
  if (recipients.length === 0) throw new CustodyError('INVALID_ARGUMENT', 'expected at least one age recipient to encrypt to, got none')
  const fileKey = newFileKey()
  return startFile(recipients.map((recipient) => wrapForRecipient(fileKey, recipient)), fileKey)
}

export class AgeEncryptor {
  /** What the file begins with: the header, then the payload nonce. Write it first. */
  readonly head: Buffer
  private readonly sealer: PayloadSealer

  private constructor(start: AgeFileStart) {
    this.head = start.head
    this.sealer = new PayloadSealer(createSecretKey(start.payloadKey))
    start.payloadKey.fill(0)
  }

  /** An encryptor to one or more X25519 recipients, each of whom can decrypt alone. */
  static toRecipients(recipients: readonly AgeRecipient[]): AgeEncryptor {
    return new AgeEncryptor(startFileToRecipients(recipients))
  }

  /** An encryptor under a passphrase: its scrypt stanza is the header's only stanza, as age requires. */
  static async withPassphrase(passphrase: string, workFactor = DEFAULT_WORK_FACTOR): Promise<AgeEncryptor> {
    if (passphrase.length === 0) throw new CustodyError('INVALID_ARGUMENT', 'expected a passphrase to encrypt with, got an empty one')
    const fileKey = newFileKey()
    return new AgeEncryptor(startFile([await wrapWithPassphrase(fileKey, passphrase, workFactor)], fileKey))
  }

  /** The payload bytes that `plaintext` completes, in pieces to write in order (up to 64 KiB waits for what follows). */
  update(plaintext: Uint8Array): Buffer[] {
    return this.sealer.update(plaintext)
  }

  /** The final chunk, in pieces: the end of the file. */
  final(): Buffer[] {
    return this.sealer.final()
  }
}

/**
 * A Transform from plaintext to the age file of it, for a pipeline. For a file on disk,
 * encryptFile (files.ts) is faster: a stream's machinery costs more than the encryption.
 */
export function createEncryptStream(recipients: readonly AgeRecipient[]): Transform {
  const encryptor = AgeEncryptor.toRecipients(recipients)
  let started = false
  const pushHead = (stream: Transform): void => {
    if (!started) stream.push(encryptor.head)
    started = true
  }

  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      pushHead(this)
      for (const piece of encryptor.update(chunk)) this.push(piece)
      callback()
    },
    flush(callback: TransformCallback) {
      pushHead(this)
      for (const piece of encryptor.final()) this.push(piece)
      callback()
    },
  })
}

function whole(encryptor: AgeEncryptor, plaintext: Uint8Array): Buffer {
  return Buffer.concat([encryptor.head, ...encryptor.update(plaintext), ...encryptor.final()])
}

/** A small object (a metadata record, a statement) encrypted whole to `recipients`. */
export function encryptBytes(plaintext: Uint8Array, recipients: readonly AgeRecipient[]): Buffer {
  return whole(AgeEncryptor.toRecipients(recipients), plaintext)
}

/** Small data encrypted under a passphrase, as `age -p` does (scrypt work factor 2^18 unless told). */
export async function encryptWithPassphrase(plaintext: Uint8Array, passphrase: string, options: {workFactor?: number} = {}): Promise<Buffer> {
  return whole(await AgeEncryptor.withPassphrase(passphrase, options.workFactor), plaintext)
}
