/**
 * The receipts a case keeps under .custody/custodians/<case ID>/<transfer ID>.receipt: at HQ the
 * one it signed for a package it accepted (accept.ts), at the sender the one HQ signed for what it
 * released (acknowledge.ts). The receipt is canonical JSON listing each item with its SHA-256: in
 * an encrypted case, plaintext digests at rest, which issue 19 forbids. So there the kept copy is
 * an age file to the case's recipients (the vault's: the case identity's and HQ's, or HQ's alone
 * in a field case), which `age -d -i IDENTITY` opens to the very bytes the receiver signed; the
 * event records its SHA-256 and size (`receipt.stored`), and that is what `custody verify` checks
 * with no key (publicOf, src/ledger/envelope.ts). The receipt's SHA-256 in clear stays in the
 * event's sealed body, and is checked again whenever the kept copy is opened. A case in clear
 * keeps its receipts in clear, and events that record no stored form (written before, or in a
 * case in clear) name a receipt in clear, read as before.
 *
 * The signature beside it (`.receipt.sig`, 64 raw bytes) stays in clear: it says nothing without
 * the body (Ed25519 hides its message; checking a guess needs the whole receipt, its time to the
 * millisecond and the sender's checkpoint included), and kept apart from the body it is checked
 * against the opened body with openssl exactly as the receipt given out is (README, "Transfers").
 * The receipt given to the sender beside the package (PACKAGE.receipt) stays clear JSON too: it
 * is the sender's, to check with standard tools; only the copies a case keeps are encrypted.
 */
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {decryptBytes} from '../age/decrypt.js'
import {encryptBytes} from '../age/encrypt.js'
import type {AgeIdentity} from '../age/x25519.js'
import type {Case} from '../case/case.js'
import {CustodyError, errnoOf, messageOf} from '../errors.js'
import type {KeptReceiptStored} from '../formats/events.js'
import {sha256Hex} from '../hashing/digests.js'
import {writeFileDurably} from '../io/files.js'
import {checkReceiptSignatures, parseReceipt, type SignedReceipt} from './receipt.js'

/** What a transfer event records of the receipt it keeps: its SHA-256 in clear, and its age file's when encrypted. */
export interface RecordedReceipt {
  sha256: string
  stored?: KeptReceiptStored
}

/**
 * Keeps `signed` at `kept` (relative to the case's data folder) and its signature beside it:
 * encrypted to the case's recipients when the case is encrypted. Returns what the event records.
 * An encrypted case whose keys were not opened is refused: a receipt never lands there in clear.
 */
export async function writeKeptReceipt(kase: Case, kept: string, signed: SignedReceipt): Promise<RecordedReceipt> {
  const body = Buffer.from(signed.body, 'utf8')
  const keys = kase.vault.keys
  if (keys === undefined && kase.vault.encrypted) throw new CustodyError('KEY_UNREADABLE', 'internal: a receipt was to be kept before the case keys were opened')
  const content = keys === undefined ? body : encryptBytes(body, keys.recipients)
  await writeFileDurably(join(kase.dataDir, kept), content)
  await writeFileDurably(join(kase.dataDir, `${kept}.sig`), Buffer.from(signed.signature, 'hex'))
  return keys === undefined ? {sha256: sha256Hex(body)} : {sha256: sha256Hex(body), stored: {sha256: sha256Hex(content), size: content.length}}
}

/**
 * A kept receipt read: its body in clear and signature, or (encrypted, and no identity given opens
 * it) its age file checked as stored only.
 */
export type KeptReceipt = {body: Buffer; signature: Buffer} | {asStored: true; signature: Buffer}

/** Why a kept receipt is not the one recorded, said of it ("is missing"): refused as INTEGRITY. */
export class KeptReceiptProblem extends Error {
  constructor(readonly why: string) {
    super(why)
  }
}

/** A kept receipt's file and its signature beside it, as they are; one missing or unreadable is a KeptReceiptProblem. */
async function readKeptFiles(dataDir: string, kept: string): Promise<{file: Buffer; signature: Buffer}> {
  const read = async (at: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(at)
    } catch (error) {
      throw new KeptReceiptProblem(errnoOf(error) === 'ENOENT' ? `${what}is missing` : `${what}cannot be read (${messageOf(error)})`)
    }
  }

  const path = join(dataDir, kept)
  return {file: await read(path, ''), signature: await read(`${path}.sig`, `(its signature file, .custody/${kept}.sig) `)}
}

/**
 * An encrypted kept receipt held, with no key, to the SHA-256 of its age file that its event's
 * public facts give (a field laptop's purge and verify: field-purge.ts): the very file recorded,
 * its signature beside it. Throws KeptReceiptProblem.
 */
export async function checkKeptAsStored(dataDir: string, kept: string, storedSha256: string): Promise<void> {
  const {file} = await readKeptFiles(dataDir, kept)
  if (sha256Hex(file) !== storedSha256) throw new KeptReceiptProblem(`is not the one recorded (the age file's SHA-256 is not ${storedSha256})`)
}

/**
 * The receipt kept at `kept`, held to what its event records: a receipt in clear to its SHA-256;
 * an encrypted one to its age file's SHA-256 and size first (a copy swapped for another
 * transfer's, changed, cut short or put back in clear fails here, with no key), then opened with
 * `identities` and held to its SHA-256 in clear. With no identity that opens it (a field case's
 * laptop; a recipient added after it was kept), an encrypted receipt is checked as stored only
 * (`asStored`): its age file is byte for byte the one the event recorded, so no other recipient
 * can have been put in its header. Throws KeptReceiptProblem.
 */
export async function readKeptReceipt(dataDir: string, kept: string, recorded: RecordedReceipt, identities: readonly AgeIdentity[]): Promise<KeptReceipt> {
  const path = join(dataDir, kept)
  const {file, signature} = await readKeptFiles(dataDir, kept)

  const {stored} = recorded
  if (stored === undefined) {
    if (sha256Hex(file) !== recorded.sha256) throw new KeptReceiptProblem(`is not the one recorded (its SHA-256 is not ${recorded.sha256})`)
    return signedBy(file, signature, kept)
  }

  if (file.length !== stored.size || sha256Hex(file) !== stored.sha256) {
    throw new KeptReceiptProblem(`is not the one recorded (the age file's SHA-256 is not ${stored.sha256}, or its size not ${stored.size} bytes)`)
  }

  if (identities.length === 0) return {asStored: true, signature}
  let body: Buffer
  try {
    body = await decryptBytes(file, identities, {object: path})
  } catch (error) {
    if (error instanceof CustodyError && error.code === 'WRONG_KEY') return {asStored: true, signature}
    throw new KeptReceiptProblem(`does not open as an age file (${messageOf(error)})`)
  }

  if (sha256Hex(body) !== recorded.sha256) throw new KeptReceiptProblem(`does not hold the receipt recorded (its SHA-256 in clear is not ${recorded.sha256})`)
  return signedBy(body, signature, kept)
}

/**
 * The receipt in clear with its signature, once both signatures in it are the receiver's (the
 * `.sig` over these bytes, and the cosignature of the sender's checkpoint): a `.sig` changed or
 * swapped would otherwise pass into a sealed archive, whose verifier refuses it.
 */
function signedBy(body: Buffer, signature: Buffer, kept: string): {body: Buffer; signature: Buffer} {
  try {
    const text = body.toString('utf8')
    checkReceiptSignatures(parseReceipt(text, `.custody/${kept}`), {body: text, signature: signature.toString('hex')}, `.custody/${kept}`)
  } catch (error) {
    if (error instanceof CustodyError) throw new KeptReceiptProblem(`is not signed as a receipt must be: ${error.message.replace(/^[^:]*: /, '')}`)
    throw error
  }

  return {body, signature}
}
