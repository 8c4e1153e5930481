/**
 * src/transfers/kept-receipt.ts: a case keeps a receipt in clear, or, encrypted, as an age file to
 * its recipients (real age files, opened by the reader with real identities), and reads it back
 * held to what its event records: as stored first, then opened and held to its SHA-256 in clear.
 * Each forgery is refused; a receipt no identity given opens is checked as stored only.
 */
import {createHash, generateKeyPairSync, randomBytes} from 'node:crypto'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import type {Case} from '../../src/case/case.js'
import {signCheckpoint} from '../../src/checkpoints/checkpoint.js'
import {signerFrom} from '../../src/keys/signing-key.js'
import {CUSTODIAN_TYPE} from '../../src/transfers/custodian.js'
import {signReceipt} from '../../src/transfers/receipt.js'
import {KeptReceiptProblem, readKeptReceipt, writeKeptReceipt, type RecordedReceipt} from '../../src/transfers/kept-receipt.js'
import {tempDir} from '../helpers/cli.js'

const work = tempDir('custody-kept-receipt-')
afterAll(() => work.remove())
const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex')

const KEPT = 'custodians/9881eb8a-1841-462a-ba9f-b4a6a8089672/TRANSFER-963dee33cce2c047.receipt'
const ITEM = sha256('an exhibit')
const receiver = signerFrom(generateKeyPairSync('ed25519').privateKey)
const senderCheckpoint = signCheckpoint(signerFrom(generateKeyPairSync('ed25519').privateKey), '0f8e4c1a-5b2d-4e6f-9a7b-3c1d2e4f5a6b', {treeSize: 3, rootHash: 'a'.repeat(64), lastEventHash: 'b'.repeat(64)}).body
/** A receipt as HQ signs one: the reader checks both its signatures once it has it in clear. */
const signed = signReceipt(receiver, {
  transferId: 'TRANSFER-963dee33cce2c047',
  packageSha256: 'c'.repeat(64),
  receivedBy: {type: CUSTODIAN_TYPE, case: '7d3c1a2b-5e4f-4a6b-9c8d-1e2f3a4b5c6d', name: 'HQ', organisation: 'IPHR', signingKey: Buffer.from(receiver.spki).toString('base64'), age: generateIdentity().recipient},
  receivedAt: '2026-12-05T10:00:00.000Z',
  condition: 'intact',
  items: [{exhibit: 'EX-000001', sha256: ITEM, sha512: 'e'.repeat(128), size: 1234, receivedAs: 'HQ-000001'}],
  senderCheckpoint,
})
const hq = generateIdentity()
const stranger = generateIdentity()

/** What the writer reads of a case: its data folder and its vault's keys (none: a case in clear). */
function caseAt(name: string, encrypted: boolean): Case {
  const dataDir = join(work.path, name)
  mkdirSync(join(dataDir, 'custodians', '9881eb8a-1841-462a-ba9f-b4a6a8089672'), {recursive: true})
  const keys = encrypted ? {addressKey: randomBytes(32), recipients: [parseRecipient(hq.recipient)], identities: []} : undefined
  return {dataDir, vault: {keys, encrypted}} as unknown as Case
}

async function problemOf(read: Promise<unknown>): Promise<string> {
  const error = await read.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(KeptReceiptProblem)
  return (error as KeptReceiptProblem).why
}

describe('a receipt kept in clear (a case in clear, or an event that records no stored form)', () => {
  it('is the receipt as signed, read back held to its SHA-256', async () => {
    const kase = caseAt('clear', false)
    const recorded = await writeKeptReceipt(kase, KEPT, signed)
    expect(recorded).toEqual({sha256: sha256(signed.body)})
    expect(readFileSync(join(kase.dataDir, KEPT), 'utf8')).toBe(signed.body)
    const read = await readKeptReceipt(kase.dataDir, KEPT, recorded, [])
    expect(read).toEqual({body: Buffer.from(signed.body), signature: Buffer.from(signed.signature, 'hex')})
    writeFileSync(join(kase.dataDir, KEPT), `${signed.body} `)
    expect(await problemOf(readKeptReceipt(kase.dataDir, KEPT, recorded, []))).toBe(`is not the one recorded (its SHA-256 is not ${sha256(signed.body)})`)
  })

  it("is refused when its signature is not the receiver's over it (a .sig changed, or another receipt's)", async () => {
    const kase = caseAt('clear-sig', false)
    const recorded = await writeKeptReceipt(kase, KEPT, signed)
    writeFileSync(join(kase.dataDir, `${KEPT}.sig`), randomBytes(64))
    expect(await problemOf(readKeptReceipt(kase.dataDir, KEPT, recorded, []))).toMatch(/^is not signed as a receipt must be: its signature \(.*\.sig\) is not the receiver's over these bytes/)
  })
})

describe('a receipt kept in an encrypted case', () => {
  const kase = caseAt('encrypted', true)
  let recorded: RecordedReceipt
  let file: Buffer

  it("is an age file to the case's recipients, with no digest of the items in it; its signature beside it in clear", async () => {
    recorded = await writeKeptReceipt(kase, KEPT, signed)
    file = readFileSync(join(kase.dataDir, KEPT))
    expect(recorded).toEqual({sha256: sha256(signed.body), stored: {sha256: sha256(file), size: file.length}})
    expect(file.subarray(0, 22).toString('latin1')).toBe('age-encryption.org/v1\n')
    expect(file.includes(ITEM)).toBe(false)
    expect(file.includes(Buffer.from(ITEM, 'hex'))).toBe(false)
    expect(readFileSync(join(kase.dataDir, `${KEPT}.sig`)).toString('hex')).toBe(signed.signature)
  })

  it("opens with the recipient's identity to the receipt as signed", async () => {
    const read = await readKeptReceipt(kase.dataDir, KEPT, recorded, [parseIdentity(hq.identity)])
    expect(read).toEqual({body: Buffer.from(signed.body), signature: Buffer.from(signed.signature, 'hex')})
  })

  it('is checked as stored only when no identity given opens it (none, or another)', async () => {
    for (const identities of [[], [parseIdentity(stranger.identity)]]) {
      expect(await readKeptReceipt(kase.dataDir, KEPT, recorded, identities)).toEqual({asStored: true, signature: Buffer.from(signed.signature, 'hex')})
    }
  })

  it('refuses it changed, cut short, put back in clear or swapped for another age file, with or without a key', async () => {
    const other = await writeKeptReceipt(caseAt('other', true), KEPT, {...signed, body: signed.body.replace('EX-000001', 'EX-000002')})
    const otherFile = readFileSync(join(work.path, 'other', KEPT))
    expect(other.stored!.sha256).not.toBe(recorded.stored!.sha256)
    const flipped = Buffer.from(file)
    flipped[flipped.length - 20]! ^= 1
    const notStored = `is not the one recorded (the age file's SHA-256 is not ${recorded.stored!.sha256}, or its size not ${recorded.stored!.size} bytes)`
    for (const forged of [flipped, file.subarray(0, file.length - 1), Buffer.from(signed.body), otherFile]) {
      writeFileSync(join(kase.dataDir, KEPT), forged)
      for (const identities of [[], [parseIdentity(hq.identity)]]) expect(await problemOf(readKeptReceipt(kase.dataDir, KEPT, recorded, identities))).toBe(notStored)
    }

    writeFileSync(join(kase.dataDir, KEPT), file)
  })

  it('refuses an age file as recorded whose content is not the receipt recorded (the SHA-256 in clear checked once opened)', async () => {
    const wrong = {...recorded, sha256: sha256('another receipt')}
    expect(await problemOf(readKeptReceipt(kase.dataDir, KEPT, wrong, [parseIdentity(hq.identity)]))).toBe(`does not hold the receipt recorded (its SHA-256 in clear is not ${wrong.sha256})`)
  })

  it('says a receipt or its signature gone is missing', async () => {
    expect(await problemOf(readKeptReceipt(kase.dataDir, KEPT.replace('963dee33', '00000000'), recorded, []))).toBe('is missing')
  })
})
