/**
 * A transfer receipt (issue 20, docs/design/transfers.md "Receipt"): what the receiver signs when
 * it has accepted a package, for the sender to record (`transfer-acknowledged`) and for a court to
 * check with openssl alone.
 *
 * Two files, as a checkpoint is kept in an archive: `FILE.receipt`, the RFC 8785 canonical JSON
 * with no trailing newline, and `FILE.receipt.sig`, the raw 64-byte Ed25519 signature (RFC 8032)
 * of those exact bytes by the receiver's signing key (`openssl pkeyutl -verify -rawin -sigfile`):
 *
 *     {"type": "custody-receipt/v1", "transferId", "packageSha256", "receivedBy": <custodian>,
 *      "receivedAt", "condition": "intact" | {"failed": [{"exhibit", "problem"}]},
 *      "items": [{"exhibit", "sha256", "sha512", "size", "receivedAs"}], "senderCheckpoint": <the sender's
 *      checkpoint, its exact signed bytes>, "cosignature": <the receiver's hex signature of them>}
 *
 * `senderCheckpoint` is a string, not an object, so that its bytes are the ones the sender signed:
 * the cosignature is checked over them as they are (`jq -j .senderCheckpoint`), and the sender's own
 * signature of them comes with the package. With the cosignature the receiver states, in a form
 * the sender can keep and show, which tree head of the sender's ledger it saw: a sender that later
 * rewrites its ledger cannot deny the head a receiver cosigned.
 *
 * The reader is strict, as the event format's is: an unknown field, a value of the wrong form, or
 * JSON not in canonical form is refused, naming what was wrong.
 */
import {canonicalize} from '../canonical/jcs.js'
import {CustodyError, messageOf} from '../errors.js'
import {EXHIBIT_ID} from '../formats/events.js'
import {FieldProblem, integer, list, literal, nullable, object, oneOf, text, type Reader} from '../formats/event-readers.js'
import {HEX64} from '../formats/guards.js'
import {verifySignature, type Signer} from '../keys/signing-key.js'
import {CUSTODIAN_FORMAT, type Custodian} from './custodian.js'

export const RECEIPT_TYPE = 'custody-receipt/v1'

/** The largest receipt read: a receipt lists at most one package's items (a few hundred bytes each). */
export const MAX_RECEIPT_BYTES = 16 * 1024 * 1024

/** The deepest nesting a receipt's JSON has (the receipt, its items or failed list, an item, a custodian): with room; a deeper one is refused before it is parsed. */
const MAX_RECEIPT_DEPTH = 16

/** Whether the JSON text nests arrays and objects deeper than `max` (strings skipped): read in one pass, before JSON.parse holds it all. */
function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) {
      inString = true
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    }
  }

  return false
}

/** An item as the receiver found it: the sender's exhibit ID and the digests and size it received. */
export interface ReceiptItem {
  exhibit: string
  sha256: string
  sha512: string
  size: number
  /** The receiver's own exhibit ID for it; null while it is kept in the sender's package, not numbered by the receiver. */
  receivedAs: string | null
}

/** An item that did not arrive as released, and why. */
export interface FailedItem {
  exhibit: string
  problem: string
}

export type ReceiptCondition = 'intact' | {failed: FailedItem[]}

export interface ReceiptBody {
  type: typeof RECEIPT_TYPE
  transferId: string
  /** The SHA-256 of the package file as received (the `.zip.age` file). */
  packageSha256: string
  receivedBy: Custodian
  /** UTC, with milliseconds (the receiver's clock). */
  receivedAt: string
  condition: ReceiptCondition
  items: ReceiptItem[]
  /** The sender's checkpoint that the package was sealed on: its exact signed bytes. */
  senderCheckpoint: string
  /** The receiver's hex Ed25519 signature of senderCheckpoint's bytes. */
  cosignature: string
}

/** A receipt: the canonical bytes and their signature, in hex here (raw bytes in its .sig file). */
export interface SignedReceipt {
  body: string
  signature: string
}

const hex64 = text({pattern: HEX64, expected: '64 lower-case hex'})
const signatureHex = text({pattern: /^[0-9a-f]{128}$/, expected: 'a hex Ed25519 signature (128 lower-case hex)'})

const exhibitId = text({pattern: EXHIBIT_ID, expected: 'an exhibit ID such as EX-000001'})

const ITEM: Reader<ReceiptItem> = object<ReceiptItem>({
  exhibit: exhibitId,
  receivedAs: nullable(exhibitId),
  sha256: hex64,
  sha512: text({pattern: /^[0-9a-f]{128}$/, expected: '128 lower-case hex'}),
  size: integer(0),
})

const FAILED: Reader<{failed: FailedItem[]}> = object<{failed: FailedItem[]}>({
  failed: list(object<FailedItem>({exhibit: text({nonEmpty: true, max: 200}), problem: text({nonEmpty: true, max: 4000})}), {min: 1}),
})

const CONDITION: Reader<ReceiptCondition> = {
  expected: '"intact" or {"failed": [...]}',
  schema: {oneOf: [oneOf(['intact']).schema, FAILED.schema]},
  read: (value, at) => (typeof value === 'string' ? literal('intact').read(value, at) : FAILED.read(value, at)),
}

const RECEIPT: Reader<ReceiptBody> = object<ReceiptBody>({
  type: literal(RECEIPT_TYPE),
  transferId: text({pattern: /^TRANSFER-[0-9a-f]{16}$/, expected: '"TRANSFER-" and 16 lower-case hex'}),
  packageSha256: hex64,
  receivedBy: CUSTODIAN_FORMAT,
  receivedAt: text({pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, expected: 'a UTC time such as 2024-03-01T12:05:00.000Z'}),
  condition: CONDITION,
  items: list(ITEM),
  senderCheckpoint: text({nonEmpty: true, max: 4096}),
  cosignature: signatureHex,
})

/** The receipt of `body` (all but the cosignature, which is made here), signed by the receiver. */
export function signReceipt(signer: Signer, body: Omit<ReceiptBody, 'type' | 'cosignature'>): SignedReceipt {
  const document: ReceiptBody = {
    type: RECEIPT_TYPE,
    ...body,
    cosignature: signer.sign(Buffer.from(body.senderCheckpoint, 'utf8')).toString('hex'),
  }
  const text = canonicalize(document)
  return {body: text, signature: signer.sign(Buffer.from(text, 'utf8')).toString('hex')}
}

function refused(where: string, why: string): CustodyError {
  // What a hostile receipt holds (a field's name, a value) is said, cut to a line's worth.
  const said = why.length > 500 ? `${why.slice(0, 500)}…` : why
  return new CustodyError('INTEGRITY', `${where} is not a transfer receipt as custody writes it: ${said}`, {subject: where})
}

/** Reads a receipt's bytes (`where` names the file in a refusal); its signatures are checked by checkReceipt(). */
export function parseReceipt(bytes: string, where: string): ReceiptBody {
  let value: unknown
  if (nestsDeeperThan(bytes, MAX_RECEIPT_DEPTH)) throw refused(where, `its JSON nests deeper than any receipt's (${MAX_RECEIPT_DEPTH} levels)`)
  try {
    value = JSON.parse(bytes)
  } catch (error) {
    throw refused(where, `it holds no JSON (${messageOf(error)})`)
  }

  let receipt: ReceiptBody
  try {
    receipt = RECEIPT.read(value, 'receipt')
  } catch (error) {
    if (error instanceof FieldProblem) throw refused(where, error.message)
    throw error
  }

  if (canonicalize(receipt) !== bytes) throw refused(where, 'its JSON is not in canonical form (RFC 8785) with no trailing newline, so it is not the bytes custody signed')
  return receipt
}

/**
 * Checks both signatures of a receipt by its receiver's key (`receivedBy.signingKey`): the
 * receipt's own, over its bytes, and the cosignature over the sender's checkpoint. Which receiver
 * was expected is the caller's to check. INTEGRITY, naming the file, when either fails.
 */
export function checkReceiptSignatures(receipt: ReceiptBody, signed: SignedReceipt, where: string): void {
  const spki = Buffer.from(receipt.receivedBy.signingKey, 'base64')
  if (!/^[0-9a-f]{128}$/.test(signed.signature.trim()) || !verifySignature(spki, Buffer.from(signed.body, 'utf8'), Buffer.from(signed.signature.trim(), 'hex'))) {
    throw refused(where, `its signature (${where}.sig) is not the receiver's over these bytes: the receipt was changed, or signed by another key`)
  }

  if (!verifySignature(spki, Buffer.from(receipt.senderCheckpoint, 'utf8'), Buffer.from(receipt.cosignature, 'hex'))) {
    throw refused(where, "its cosignature is not the receiver's signature of the sender's checkpoint it gives")
  }
}
