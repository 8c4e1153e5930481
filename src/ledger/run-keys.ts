/**
 * Run keys (docs/design/encryption-at-rest.md "Keys", "Ledger"): every command run that appends to
 * an encrypted case's ledger seals its events' bodies under a key of its own, 32 random bytes
 * made at its first append. The key is stored once, in the ledger's `runs` table, as an age file
 * to the case's recipients (the case identity's and HQ's; only HQ's in a field case, so that
 * nothing on a field laptop opens it), and forgotten when the run ends.
 *
 * The ledger's reads are synchronous (better-sqlite3), so a reader opens a run's key synchronously
 * too: a run key is wrapped to X25519 recipients only, never a passphrase (whose scrypt is
 * async), and its age file is read here step by step as src/age/decrypt.ts does, refusing the
 * same things (a damaged header, a stanza for nobody given, a header MAC that does not match, a
 * payload that does not open). Each key is opened once a command and kept (RunKeyRing).
 */
import {randomBytes} from 'node:crypto'
import {CustodyError} from '../errors.js'
import {encryptBytes} from '../age/encrypt.js'
import {checkHeaderMac, findHeaderEnd, parseHeader} from '../age/header.js'
import {PayloadOpener} from '../age/payload-opener.js'
import {PAYLOAD_NONCE_SIZE, payloadKey} from '../age/payload.js'
import {damaged} from '../age/refusals.js'
import {checkX25519Stanza, isX25519Stanza, unwrapForIdentity, type AgeIdentity, type AgeRecipient} from '../age/x25519.js'
import {RUN_KEY_SIZE} from './envelope.js'

/** A new run key and its age file to `recipients`. */
export function newRunKey(recipients: readonly AgeRecipient[]): {key: Buffer; wrapped: Buffer} {
  if (recipients.length === 0) throw new CustodyError('KEY_UNREADABLE', 'internal: a run key was to be made with no recipient to wrap it to')
  const key = randomBytes(RUN_KEY_SIZE)
  return {key, wrapped: encryptBytes(key, recipients)}
}

/** The file key that one of `identities` unwraps from the age file's header (checked by its MAC), or undefined when none does. */
function fileKeyOf(wrapped: Buffer, identities: readonly AgeIdentity[], object: string): {fileKey: Buffer; end: number} | undefined {
  const end = findHeaderEnd(wrapped, object)
  if (end === undefined) throw damaged(object, 'it ends inside its header')
  const header = parseHeader(wrapped.subarray(0, end), object)
  const stanzas = header.stanzas.filter(isX25519Stanza)
  for (const stanza of stanzas) checkX25519Stanza(stanza, object)
  for (const identity of identities) {
    for (const stanza of stanzas) {
      const fileKey = unwrapForIdentity(stanza, identity, object)
      if (fileKey === undefined) continue
      checkHeaderMac(header, fileKey, object)
      return {fileKey, end}
    }
  }

  return undefined
}

/**
 * The run key an age file holds, opened with the first of `identities` that is one of its
 * recipients; undefined when none is. A file that is not the intact age file of a 32-byte key is
 * refused (INTEGRITY, naming `object`).
 */
export function openRunKey(wrapped: Buffer, identities: readonly AgeIdentity[], object: string): Buffer | undefined {
  const opened = fileKeyOf(wrapped, identities, object)
  if (opened === undefined) return undefined
  const start = opened.end + PAYLOAD_NONCE_SIZE
  if (wrapped.length < start) throw damaged(object, 'it ends before its 16-byte payload nonce')
  const opener = new PayloadOpener(payloadKey(opened.fileKey, wrapped.subarray(opened.end, start)), object, start)
  const parts: Buffer[] = []
  opener.update(wrapped.subarray(start), (plain) => parts.push(plain))
  opener.final((plain) => parts.push(plain))
  const key = Buffer.concat(parts)
  if (key.length !== RUN_KEY_SIZE) throw damaged(object, `it holds ${key.length} bytes, not a run key's ${RUN_KEY_SIZE}`)
  return key
}

/** The run keys a command has opened, each once, and the identities it opens them with. */
export class RunKeyRing {
  private readonly opened = new Map<number, Buffer>()

  constructor(private readonly identities: readonly AgeIdentity[]) {}

  /** Whether it can open anything at all (a field case's laptop, given no identity, cannot). */
  get canOpen(): boolean {
    return this.identities.length > 0
  }

  /** Run `run`'s key, opened from `wrapped` (read by the caller) the first time; undefined when no identity given is a recipient of it. */
  key(run: number, wrapped: () => Buffer | undefined, object: string): Buffer | undefined {
    const known = this.opened.get(run)
    if (known !== undefined) return known
    const file = wrapped()
    if (file === undefined) return undefined
    const key = openRunKey(file, this.identities, object)
    if (key !== undefined) this.opened.set(run, key)
    return key
  }

  /** Adds a key this process made (its own run's), so that it reads back what it wrote. */
  add(run: number, key: Buffer): void {
    this.opened.set(run, key)
  }

  /** Forgets run `run`'s key (this process's run, whose number a rolled-back transaction gave up to another's). */
  forget(run: number): void {
    this.opened.delete(run)
  }

  /** Overwrites every key held. */
  wipe(): void {
    for (const key of this.opened.values()) key.fill(0)
    this.opened.clear()
  }
}
