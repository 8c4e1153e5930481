/**
 * src/transfers/receipt.ts: a transfer receipt is signed by its receiver, read back strictly, and
 * its two signatures (the receipt's and the cosignature of the sender's checkpoint) are checked by
 * custody and by openssl alone, as the README tells a court to. Each forgery a sender or a third
 * party could make of a genuine receipt is refused.
 */
import {execFileSync} from 'node:child_process'
import {generateKeyPairSync} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {generateIdentity} from '../../src/age/x25519.js'
import {canonicalize} from '../../src/canonical/jcs.js'
import {signCheckpoint} from '../../src/checkpoints/checkpoint.js'
import {publicKeyPem, signerFrom, type Signer} from '../../src/keys/signing-key.js'
import {CUSTODIAN_TYPE, type Custodian} from '../../src/transfers/custodian.js'
import {checkReceiptSignatures, parseReceipt, signReceipt, type ReceiptBody, type SignedReceipt} from '../../src/transfers/receipt.js'
import {tempDir} from '../helpers/cli.js'

const work = tempDir('custody-receipt-')
afterAll(() => work.remove())

const newSigner = (): Signer => signerFrom(generateKeyPairSync('ed25519').privateKey)
const hq = newSigner()
const field = newSigner()

function custodianOf(signer: Signer, name: string): Custodian {
  return {type: CUSTODIAN_TYPE, case: '7d3c1a2b-5e4f-4a6b-9c8d-1e2f3a4b5c6d', name, organisation: 'IPHR', signingKey: Buffer.from(signer.spki).toString('base64'), age: generateIdentity().recipient}
}

const senderCheckpoint = signCheckpoint(field, '0f8e4c1a-5b2d-4e6f-9a7b-3c1d2e4f5a6b', {treeSize: 12, rootHash: 'a'.repeat(64), lastEventHash: 'b'.repeat(64)}).body

function receiptOf(over: Partial<Omit<ReceiptBody, 'type' | 'cosignature'>> = {}, signer = hq): SignedReceipt {
  return signReceipt(signer, {
    transferId: 'TRANSFER-0123456789abcdef',
    packageSha256: 'c'.repeat(64),
    receivedBy: custodianOf(hq, 'HQ legal team'),
    receivedAt: '2026-12-04T10:00:00.000Z',
    condition: 'intact',
    items: [{exhibit: 'EX-000001', sha256: 'd'.repeat(64), sha512: 'e'.repeat(128), size: 1234, receivedAs: null}],
    senderCheckpoint,
    ...over,
  })
}

function refusal(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    return (error as Error).message
  }

  throw new Error('expected a refusal')
}

/** openssl's verdict on a hex signature of `body` by `signer`'s key. */
function openssl(name: string, body: string, signatureHex: string, signer: Signer): boolean {
  const [file, sig, key] = ['', '.sig', '.pem'].map((suffix) => join(work.path, `${name}${suffix}`)) as [string, string, string]
  writeFileSync(file, body)
  writeFileSync(sig, Buffer.from(signatureHex, 'hex'))
  writeFileSync(key, publicKeyPem(signer.spki))
  try {
    execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', key, '-rawin', '-in', file, '-sigfile', sig], {stdio: 'pipe'})
    return true
  } catch {
    return false
  }
}

describe('a transfer receipt', () => {
  it('is canonical JSON signed by the receiver, with its cosignature of the sender checkpoint, and reads back as written', () => {
    const signed = receiptOf()
    const read = parseReceipt(signed.body, 'r.receipt')
    expect(read.type).toBe('custody-receipt/v1')
    expect(read.senderCheckpoint).toBe(senderCheckpoint)
    expect(canonicalize(read)).toBe(signed.body)
    expect(signed.body.endsWith('\n')).toBe(false)
    expect(() => checkReceiptSignatures(read, signed, 'r.receipt')).not.toThrow()
  })

  it('is checked by openssl alone: the receipt and the cosignature, and neither by another key', () => {
    const signed = receiptOf()
    const read = JSON.parse(signed.body) as ReceiptBody
    expect(openssl('receipt', signed.body, signed.signature, hq)).toBe(true)
    expect(openssl('cosigned', read.senderCheckpoint, read.cosignature, hq)).toBe(true)
    expect(openssl('receipt-other', signed.body, signed.signature, field)).toBe(false)
    expect(openssl('receipt-edited', signed.body.replace('"size":1234', '"size":1235'), signed.signature, hq)).toBe(false)
  })

  it('keeps a failed condition with the items that did not arrive', () => {
    const signed = receiptOf({condition: {failed: [{exhibit: 'EX-000002', problem: 'its SHA-256 is not the one released'}]}})
    expect(parseReceipt(signed.body, 'r').condition).toEqual({failed: [{exhibit: 'EX-000002', problem: 'its SHA-256 is not the one released'}]})
  })

  it('refuses a receipt changed after signing, naming the file', () => {
    const signed = receiptOf()
    // One digest changed: still a well-formed receipt, but not the bytes signed.
    const edited = signed.body.replace('d'.repeat(64), 'f'.repeat(64))
    expect(refusal(() => checkReceiptSignatures(parseReceipt(edited, 'hq.receipt'), {body: edited, signature: signed.signature}, 'hq.receipt'))).toMatch(
      /hq\.receipt is not a transfer receipt as custody writes it: its signature \(hq\.receipt\.sig\) is not the receiver's/,
    )
  })

  it("refuses a receipt signed by someone else in the receiver's name", () => {
    // The forger signs with its own key but names HQ as the receiver.
    const forged = receiptOf({}, field)
    expect(refusal(() => checkReceiptSignatures(parseReceipt(forged.body, 'f.receipt'), forged, 'f.receipt'))).toMatch(/its signature .* is not the receiver's/)
  })

  it("refuses a cosignature moved onto another checkpoint of the sender's", () => {
    const signed = receiptOf()
    const other = signCheckpoint(field, '0f8e4c1a-5b2d-4e6f-9a7b-3c1d2e4f5a6b', {treeSize: 9, rootHash: 'f'.repeat(64), lastEventHash: 'b'.repeat(64)}).body
    const body = JSON.parse(signed.body) as ReceiptBody
    // Re-signed as a whole by the receiver's key (a receiver's bug, or a receipt assembled from parts): the cosignature still fails.
    const moved = canonicalize({...body, senderCheckpoint: other})
    const resigned = {body: moved, signature: hq.sign(Buffer.from(moved, 'utf8')).toString('hex')}
    expect(refusal(() => checkReceiptSignatures(parseReceipt(moved, 'm'), resigned, 'm'))).toMatch(/its cosignature is not the receiver's signature of the sender's checkpoint/)
  })

  it('refuses what custody never writes: JSON not canonical, a field unknown or missing, a value of the wrong form', () => {
    const body = JSON.parse(receiptOf().body) as Record<string, unknown>
    expect(refusal(() => parseReceipt(`${receiptOf().body}\n`, 'r'))).toMatch(/not in canonical form/)
    expect(refusal(() => parseReceipt(JSON.stringify(body, null, 2), 'r'))).toMatch(/not in canonical form/)
    expect(refusal(() => parseReceipt(canonicalize({...body, note: 'hidden'}), 'r'))).toMatch(/note/)
    const {items: _items, ...noItems} = body
    expect(refusal(() => parseReceipt(canonicalize(noItems), 'r'))).toMatch(/items/)
    expect(refusal(() => parseReceipt(canonicalize({...body, type: 'custody-receipt/v2'}), 'r'))).toMatch(/type/)
    expect(refusal(() => parseReceipt(canonicalize({...body, condition: 'partly'}), 'r'))).toMatch(/condition/)
    expect(refusal(() => parseReceipt(canonicalize({...body, condition: {failed: []}}), 'r'))).toMatch(/failed/)
    expect(refusal(() => parseReceipt(canonicalize({...body, packageSha256: 'C'.repeat(64)}), 'r'))).toMatch(/packageSha256/)
    expect(refusal(() => parseReceipt('{"type":', 'r'))).toMatch(/holds no JSON/)
  })
})
