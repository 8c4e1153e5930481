/**
 * A refused package's receipt (issue 20, docs/design/transfers.md "A refused package"): real cases
 * (a field team, HQ, and a stranger), the built CLI, the real age tool. The field team sends to
 * HQ's identity line with an age recipient of the test's own in it, so that the test can open the
 * package as HQ would, change one item's bytes inside it (the ZIP made again, still valid), and
 * encrypt it again to the same recipient: a package HQ opens, from a sender it authenticates, with
 * an item that does not verify. HQ refuses it with exit 3 and a receipt openssl checks naming that
 * item; the field side records the receipt, acknowledges nothing, purges nothing, and its next
 * export sends the items again, which HQ accepts. Then the forgeries: the refused receipt edited
 * to say intact or to name another item, a stranger's package with a changed item, one from a
 * fork of the sender's ledger, one whose checkpoint or events were changed too (no item's
 * problem), and the refused package, another of its transfer and the intact one given again.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generateIdentity} from '../../src/age/x25519.js'
import {custodianLine, parseCustodian} from '../../src/transfers/custodian.js'
import {copyCase, custody, custodyJson, PASSPHRASE, tempDir} from '../helpers/cli.js'
import {schemaErrors} from '../helpers/json-schemas.js'
import {eventCount, exportPackage, ingestSamples, initCase, vaultTempFiles, writeIdentityLine} from '../helpers/transfers.js'

const work = tempDir('custody-transfer-refused-')
afterAll(() => work.remove())

const at = (name: string): string => join(work.path, name)
const [field, stranger, hq] = [at('field'), at('stranger'), at('hq')]
const withKey = (): string[] => ['--passphrase-file', at('passphrase.txt')]
const sha256 = (file: string): string => execFileSync('sha256sum', [file], {encoding: 'utf8'}).split(' ')[0]!

interface Receipt {
  transferId: string
  packageSha256: string
  condition: 'intact' | {failed: Array<{exhibit: string; problem: string}>}
  items: Array<{exhibit: string; sha256: string; receivedAs: string | null}>
  senderCheckpoint: string
  cosignature: string
}

interface Acknowledged {
  recorded: boolean
  condition: Receipt['condition']
  package: {sha256: string; asReleased: boolean}
  acknowledged: string[]
  failed: Array<{exhibit: string; problem: string}>
  seq: number
}

interface Logged {
  events: Array<{seq: number; action: string; payload: Record<string, unknown>}>
}

function openssl(key: string, file: string, sig: string): number | null {
  return spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', key, '-rawin', '-in', file, '-sigfile', sig]).status
}

let recipient = ''

/**
 * The package `pkg` opened with the test's identity, changed by `edit` (given the bag folder), zipped
 * again with Info-ZIP's zip and encrypted again with the age tool to the same recipient, as `out`.
 */
function tamper(pkg: string, out: string, edit: (bag: string) => void): string {
  const folder = `${out}.d`
  rmSync(folder, {recursive: true, force: true})
  mkdirSync(folder)
  execFileSync('age', ['-d', '-i', at('test-identity.txt'), '-o', `${folder}.zip`, pkg])
  execFileSync('unzip', ['-q', `${folder}.zip`, '-d', folder])
  edit(join(folder, readdirSync(folder)[0]!))
  rmSync(`${folder}.zip`)
  // Stored, as custody writes it: the verifier reads stored entries as it hashes them, and accept copies the originals then.
  execFileSync('zip', ['-q', '-0', '-r', '-X', `${folder}.zip`, '.'], {cwd: folder})
  execFileSync('age', ['-r', recipient, '-o', out, `${folder}.zip`])
  return out
}

/** One byte of the exhibit's original flipped, its size kept. */
function flipOriginal(exhibit: string): (bag: string) => void {
  return (bag) => {
    const dir = join(bag, 'data', 'exhibits', exhibit, 'original')
    const file = join(dir, readdirSync(dir)[0]!)
    const bytes = readFileSync(file)
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01
    writeFileSync(file, bytes)
  }
}

beforeAll(async () => {
  writeFileSync(at('passphrase.txt'), `${PASSPHRASE}\n`, {mode: 0o600})
  await initCase(field, 'Transfers', 'Iryna Melnyk', '--organisation', 'Kherson field team')
  await initCase(stranger, 'Transfers', 'Petro Stranger')
  await initCase(hq, 'Transfers', 'Olena Kovalenko', '--organisation', 'IPHR', '--role', 'hq')
  // HQ's identity line with the test's own age recipient: what is sent to it, the test opens.
  const identity = generateIdentity()
  recipient = identity.recipient
  writeFileSync(at('test-identity.txt'), `${identity.identity}\n`, {mode: 0o600})
  const line = parseCustodian(readFileSync(await writeIdentityLine(hq, at('hq-own.line')), 'utf8'))
  writeFileSync(at('hq.line'), `${custodianLine({...line, age: recipient})}\n`)
  await writeIdentityLine(field, at('field.line'))
  await ingestSamples(field, 'Canon.jpg', 'Casio.jpg')
  // The adversary's copy of the field case as it was before its first hand-over (another machine's state).
  copyCase(field, at('field-forked'))
  await ingestSamples(stranger, 'Nikon.jpg')
  copyCase(stranger, at('stranger-forked'))
  expect((await custody(['key', 'export', '--out', at('hq.pem'), '--case', hq])).code).toBe(0)
}, 120_000)

const accept = (pkg: string, ...more: string[]): ReturnType<typeof custody> => custody(['transfer', 'accept', pkg, '--from', at('field.line'), '--identity', at('test-identity.txt'), '--case', hq, ...more])

/** A refusal with no receipt: exit 3, the message matching, HQ's ledger unchanged, no receipt beside the package. */
async function refusedWithNoReceipt(pkg: string, message: RegExp): Promise<void> {
  const before = await eventCount(hq)
  const result = await accept(pkg)
  expect(result.code, result.stdout + result.stderr).toBe(3)
  expect(result.stderr).toMatch(message)
  expect(await eventCount(hq)).toBe(before)
  expect(existsSync(`${pkg}.receipt`)).toBe(false)
  expect(existsSync(`${pkg}.receipt.sig`)).toBe(false)
}

describe('a package with an item changed inside it', () => {
  let bad = ''
  let released = ''

  it('is refused with exit 3 and a receipt naming that item, which openssl checks; HQ records transfer-refused and imports nothing', async () => {
    released = await exportPackage(field, at('hq.line'), at('a1.zip.age'))
    bad = tamper(released, at('a1-bad.zip.age'), flipOriginal('EX-000001'))
    const before = await eventCount(hq)
    const result = await accept(bad)
    expect(result.code, result.stderr).toBe(3)
    expect(result.stderr).toMatch(/a1-bad\.zip\.age does not verify as a transfer package; nothing was accepted\. A receipt refusing it, naming the items that failed \(EX-000001\), was signed for the sender: .*a1-bad\.zip\.age\.receipt and .*a1-bad\.zip\.age\.receipt\.sig \(ledger event #\d+\)/)
    expect(result.stderr).toContain('data/exhibits/EX-000001/original/Canon.jpg: its SHA-256 does not match manifest-sha256.txt')
    expect(result.stderr).not.toContain('.incoming-')
    expect(await eventCount(hq)).toBe(before + 1)
    // The intact item's original, copied into the vault as the package was verified, is not kept.
    expect(vaultTempFiles(hq)).toEqual([])

    // The receipt, as the sender or a court checks it: openssl with HQ's key, over the receipt and over the cosigned checkpoint.
    expect(openssl(at('hq.pem'), `${bad}.receipt`, `${bad}.receipt.sig`)).toBe(0)
    const receipt = JSON.parse(readFileSync(`${bad}.receipt`, 'utf8')) as Receipt
    expect(receipt.condition).toEqual({failed: [{exhibit: 'EX-000001', problem: expect.stringMatching(/original\/Canon\.jpg: its SHA-256 does not match .*the seal statement's SHA-256 does not match/)}]})
    expect(receipt.items.map((i) => [i.exhibit, i.receivedAs])).toEqual([['EX-000001', null], ['EX-000002', null]])
    expect(receipt.packageSha256).toBe(sha256(bad))
    writeFileSync(at('cp.json'), receipt.senderCheckpoint)
    writeFileSync(at('cp.sig'), Buffer.from(receipt.cosignature, 'hex'))
    expect(openssl(at('hq.pem'), at('cp.json'), at('cp.sig'))).toBe(0)

    const log = await custodyJson<Logged>(['log', '--case', hq])
    const refused = log.json.events.filter((e) => e.action === 'transfer-refused')
    expect(refused).toHaveLength(1)
    expect(refused[0]!.payload).toMatchObject({
      transferId: receipt.transferId,
      package: {name: 'a1-bad.zip.age', sha256: sha256(bad)},
      failed: [{exhibit: 'EX-000001'}],
      receipt: {sha256: sha256(`${bad}.receipt`), kept: expect.stringMatching(/^custodians\/[0-9a-f-]{36}\/TRANSFER-[0-9a-f]{16}\.receipt$/)},
    })
    expect(log.json.events.some((e) => e.action === 'transfer-received' || e.action === 'ingest')).toBe(false)
    expect((await custody(['log', '--case', hq])).stdout).toMatch(/transfer-refused .*refused, as a1-bad\.zip\.age .*1 item failed \(EX-000001\), nothing taken in/)

    // verify finds the kept receipt as recorded, and a kept receipt changed.
    const verified = await custodyJson<{checks: Array<{name: string; detail: string}>}>(['verify', '--case', hq])
    expect(verified.code).toBe(0)
    expect(verified.json.checks.find((c) => c.name === 'transfers')?.detail).toBe('0 packages received, 1 package refused with a receipt, 0 receipts recorded: each kept as the ledger records it; whose signature each receipt bears is checked with a key that opens the events (here, only that each is 64 bytes)')
    const kept = join(hq, '.custody', String((refused[0]!.payload.receipt as {kept: string}).kept))
    const original = readFileSync(kept)
    // Kept as an accepted package's receipt is in an encrypted case: an age file, recorded as stored; no item's SHA-256 in clear.
    expect(original.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n')
    expect(refused[0]!.payload.receipt).toMatchObject({stored: {sha256: createHash('sha256').update(original).digest('hex'), size: original.length}})
    for (const item of receipt.items) expect(original.includes(Buffer.from(item.sha256))).toBe(false)
    writeFileSync(kept, Buffer.concat([original, Buffer.from(' ')]))
    try {
      const changed = await custodyJson<{problems: Array<{check: string; message: string}>}>(['verify', '--case', hq])
      expect(changed.code).toBe(3)
      expect(changed.json.problems).toContainEqual(expect.objectContaining({check: 'transfer', message: expect.stringMatching(/^the receipt of TRANSFER-[0-9a-f]{16} \(refused\) is not the one event \d+ records/)}))
    } finally {
      writeFileSync(kept, original)
    }
  })

  it('given again: exit 3 again, says it was refused before, the same receipt, nothing recorded', async () => {
    const receipt = readFileSync(`${bad}.receipt`)
    const before = await eventCount(hq)
    rmSync(`${bad}.receipt`)
    rmSync(`${bad}.receipt.sig`)
    const again = await custodyJson<{error: {code: string; message: string}}>(['transfer', 'accept', bad, '--from', at('field.line'), '--identity', at('test-identity.txt'), '--case', hq])
    expect(again.code).toBe(3)
    expect(schemaErrors('transfer-accept.schema.json', again.json)).toEqual([])
    expect(again.json.error).toMatchObject({code: 'INTEGRITY', message: expect.stringMatching(/a1-bad\.zip\.age was refused before \(TRANSFER-[0-9a-f]{16}, ledger event #\d+\): EX-000001 did not verify; nothing was accepted\. Its receipt was given again/)})
    // A script finds the receipt to give the sender in the error document, not only in its message.
    expect(again.json.error).toMatchObject({receipt: {transferId: expect.stringMatching(/^TRANSFER-[0-9a-f]{16}$/), file: `${bad}.receipt`, signature: `${bad}.receipt.sig`, seq: expect.any(Number), failed: ['EX-000001']}})
    expect(readFileSync(`${bad}.receipt`).equals(receipt)).toBe(true)
    expect(await eventCount(hq)).toBe(before)
    // Another package of the same transfer (another item changed): the same answer, the same receipt.
    const other = tamper(released, at('a1-other.zip.age'), flipOriginal('EX-000002'))
    const second = await accept(other)
    expect(second.code).toBe(3)
    expect(second.stderr).toMatch(/a1-other\.zip\.age is of TRANSFER-[0-9a-f]{16}, which this case refused before \(ledger event #\d+\): EX-000001 did not verify in the package it received; nothing was accepted\. Its receipt was given again/)
    expect(readFileSync(`${other}.receipt`).equals(receipt)).toBe(true)
    expect(await eventCount(hq)).toBe(before)
    // The package as it was released, intact: its transfer had its answer; the sender sends the items in a new export.
    const intact = await accept(released)
    expect(intact.code).toBe(3)
    expect(intact.stderr).toMatch(/a1\.zip\.age is of TRANSFER-[0-9a-f]{16}, which this case refused before/)
    expect(readFileSync(`${released}.receipt`).equals(receipt)).toBe(true)
    rmSync(`${released}.receipt`)
    rmSync(`${released}.receipt.sig`)
    expect(await eventCount(hq)).toBe(before)
  })

  it('a receipt edited to say intact, or to name another item, is refused by the field side (its signature), nothing recorded', async () => {
    const body = readFileSync(`${bad}.receipt`, 'utf8')
    const forged = (name: string, text: string): string => {
      writeFileSync(at(name), text)
      writeFileSync(at(`${name}.sig`), readFileSync(`${bad}.receipt.sig`))
      return at(name)
    }

    const failed = body.slice(body.indexOf('"condition":') + '"condition":'.length, body.indexOf(',"cosignature":'))
    const before = await eventCount(field)
    for (const file of [forged('intact.receipt', body.replace(failed, '"intact"')), forged('other-item.receipt', body.replace('"exhibit":"EX-000001","problem"', '"exhibit":"EX-000002","problem"'))]) {
      expect(readFileSync(file, 'utf8')).not.toBe(body)
      const result = await custody(['transfer', 'receipt', file, '--case', field])
      expect(result.code, result.stderr).toBe(3)
      expect(result.stderr).toMatch(/its signature .* is not the receiver's over these bytes/)
    }

    expect(await eventCount(field)).toBe(before)
  })

  it('the field side records it: nothing acknowledged, the failed item said, nothing purged, and the next export sends both items again', async () => {
    const before = await eventCount(field)
    const text = await custody(['transfer', 'receipt', `${bad}.receipt`, '--case', field])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/^Recorded the receipt for TRANSFER-[0-9a-f]{16} from Olena Kovalenko .*: refused, 1 item did not verify, so the receiver took in nothing\n/)
    expect(text.stdout).toMatch(/\n {2}package {8}sha256 [0-9a-f]{64}: not the package released; it was changed after it left this case\n {2}acknowledged {3}0 exhibits\n {2}failed {9}EX-000001: data\/exhibits\/EX-000001\/original\/Canon\.jpg: its SHA-256 does not match/)
    expect(text.stdout).toMatch(/Every exhibit of it stays in this case, not acknowledged \(nothing can be purged on this receipt\), and goes in the next custody transfer export to this receiver\.\n$/)
    expect(await eventCount(field)).toBe(before + 1)
    const recorded = await custodyJson<Acknowledged>(['transfer', 'receipt', `${bad}.receipt`, '--case', field])
    expect(recorded.code, recorded.stderr).toBe(0)
    expect(recorded.json).toMatchObject({recorded: false, acknowledged: [], failed: [{exhibit: 'EX-000001'}], package: {sha256: sha256(bad), asReleased: false}})
    expect(schemaErrors('transfer-receipt.schema.json', recorded.json)).toEqual([])
    expect(await eventCount(field)).toBe(before + 1)
    const log = await custodyJson<Logged>(['log', '--case', field, ...withKey()])
    expect(log.json.events.find((e) => e.seq === recorded.json.seq)).toMatchObject({action: 'transfer-acknowledged', payload: {condition: 'refused', acknowledged: []}})

    const status = await custodyJson<{released: Array<{unacknowledged: string[]}>}>(['status', '--case', field, ...withKey()])
    expect(status.json.released[0]!.unacknowledged).toEqual(['EX-000001', 'EX-000002'])
    // With no key, from the envelopes: a receipt is recorded, and it acknowledged nothing.
    const keyless = await custodyJson<{releasedInClear: Array<{items: number; receipt: {seq: number; acknowledged: number} | null}>}>(['status', '--case', field])
    expect(keyless.json.releasedInClear).toEqual([expect.objectContaining({items: 2, receipt: {seq: recorded.json.seq, acknowledged: 0}})])
    expect(schemaErrors('status.schema.json', keyless.json)).toEqual([])
    expect((await custody(['status', '--case', field])).stdout).toMatch(/\n {14}TRANSFER-[0-9a-f]{16}: its receipt acknowledged nothing \(the receiver refused the package\); the next export sends its items again\n/)
    const unpurged = await eventCount(field)
    const purged = await custodyJson<{nothingAcknowledged: boolean; removed: number}>(['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--yes', '--case', field])
    expect(purged.code, purged.stderr).toBe(0)
    expect(purged.json).toMatchObject({nothingAcknowledged: true, removed: 0})
    expect(await eventCount(field)).toBe(unpurged)
    expect((await custody(['verify', '--case', field, ...withKey()])).code).toBe(0)

    const next = await custodyJson<{items: Array<{exhibit: string}>}>(['transfer', 'export', '--to', at('hq.line'), '--out', at('a2.zip.age'), '--case', field])
    expect(next.code, next.stderr).toBe(0)
    expect(next.json.items.map((i) => i.exhibit)).toEqual(['EX-000001', 'EX-000002'])
    const accepted = await custodyJson<{items: Array<{exhibit: string; receivedAs: string}>}>(['transfer', 'accept', at('a2.zip.age'), '--from', at('field.line'), '--identity', at('test-identity.txt'), '--case', hq])
    expect(accepted.code, accepted.stderr).toBe(0)
    expect(accepted.json.items.map((i) => i.exhibit)).toEqual(['EX-000001', 'EX-000002'])
    const intact = await custodyJson<Acknowledged>(['transfer', 'receipt', at('a2.zip.age.receipt'), '--case', field])
    expect(intact.json).toMatchObject({condition: 'intact', acknowledged: ['EX-000001', 'EX-000002'], failed: [], package: {asReleased: true}})
    expect(schemaErrors('transfer-receipt.schema.json', intact.json)).toEqual([])
    expect((await custody(['verify', '--case', hq])).code).toBe(0)
  })
})

describe('refused with no receipt, as before', () => {
  it("a package with a changed item whose sender's checkpoint was changed too: nothing to cosign", async () => {
    const pkg = await custody(['transfer', 'export', 'EX-000001', '--to', at('hq.line'), '--out', at('c1.zip.age'), '--case', field])
    expect(pkg.code, pkg.stderr).toBe(0)
    const bad = tamper(at('c1.zip.age'), at('c1-bad.zip.age'), (bag) => {
      flipOriginal('EX-000001')(bag)
      const file = join(bag, 'data', 'custody', 'checkpoint.json')
      writeFileSync(file, readFileSync(file, 'utf8').replace('"treeSize":', '"treeSize": '))
    })
    await refusedWithNoReceipt(bad, /c1-bad\.zip\.age does not verify as a transfer package; nothing was accepted and no receipt was written/)
  })

  it('a package with a changed item from a fork of the sender\'s ledger (a split view): the heads named, no receipt', async () => {
    await ingestSamples(at('field-forked'), 'Ricoh2.jpg')
    const pkg = await exportPackage(at('field-forked'), at('hq.line'), at('f1.zip.age'))
    const bad = tamper(pkg, at('f1-bad.zip.age'), flipOriginal('EX-000001'))
    await refusedWithNoReceipt(bad, /f1-bad\.zip\.age: Iryna Melnyk \(Kherson field team\), key SHA256:[0-9a-f]{64}'s ledger was (rewritten after an earlier hand-over|rolled back)/)
  })

  it("a stranger's package with a changed item: no one HQ accepts to answer", async () => {
    const pkg = await exportPackage(stranger, at('hq.line'), at('s1.zip.age'))
    const bad = tamper(pkg, at('s1-bad.zip.age'), flipOriginal('EX-000001'))
    await refusedWithNoReceipt(bad, /s1-bad\.zip\.age was released by Petro Stranger, key SHA256:[0-9a-f]{64}, who is neither among --from nor on the trust list/)
  })

  it("a package whose events were changed: not an item's problem, nothing to trust", async () => {
    await ingestSamples(field, 'Nikon.jpg')
    const pkg = await exportPackage(field, at('hq.line'), at('a3.zip.age'))
    const bad = tamper(pkg, at('a3-events.zip.age'), (bag) => {
      const file = join(bag, 'data', 'custody', 'events.jsonl')
      writeFileSync(file, readFileSync(file, 'utf8').replace('Nikon', 'Nikoo'))
    })
    await refusedWithNoReceipt(bad, /a3-events\.zip\.age does not verify as a transfer package; nothing was accepted and no receipt was written/)
    expect(existsSync(`${bad}.receipt`)).toBe(false)
  })

})

describe('more than one item failed', () => {
  it('an original cut short and a metadata record missing, in one package: both items named, the receipt at --receipt-out', async () => {
    // EX-000003 was released in a package refused with no receipt (above): sent again with --again, beside a new one.
    await ingestSamples(field, 'Sony.jpg')
    const made = await custody(['transfer', 'export', '--again', '--to', at('hq.line'), '--out', at('a4.zip.age'), '--case', field])
    expect(made.code, made.stderr).toBe(0)
    const bad = tamper(at('a4.zip.age'), at('a4-bad.zip.age'), (bag) => {
      const dir = join(bag, 'data', 'exhibits', 'EX-000003', 'original')
      const file = join(dir, readdirSync(dir)[0]!)
      writeFileSync(file, readFileSync(file).subarray(0, 100))
      rmSync(join(bag, 'data', 'exhibits', 'EX-000004', 'metadata.json'))
    })
    const before = await eventCount(hq)
    const result = await accept(bad, '--receipt-out', at('a4-answer.receipt'))
    expect(result.code, result.stderr).toBe(3)
    expect(result.stderr).toMatch(/naming the items that failed \(EX-000003, EX-000004\)/)
    expect(existsSync(`${bad}.receipt`)).toBe(false)
    expect(openssl(at('hq.pem'), at('a4-answer.receipt'), at('a4-answer.receipt.sig'))).toBe(0)
    const receipt = JSON.parse(readFileSync(at('a4-answer.receipt'), 'utf8')) as Receipt
    expect(receipt.condition).toEqual({
      failed: [
        {exhibit: 'EX-000003', problem: expect.stringContaining('the stated size does not match')},
        {exhibit: 'EX-000004', problem: expect.stringContaining('its metadata record data/exhibits/EX-000004/metadata.json is not in the bag')},
      ],
    })
    expect(await eventCount(hq)).toBe(before + 1)
  })
})

describe("a refused package's head counts in the split-view check", () => {
  it('a fork of a sender whose one package HQ saw was refused for its items: refused, naming the head HQ cosigned', async () => {
    await writeIdentityLine(stranger, at('stranger.line'))
    const acceptFrom = (pkg: string): ReturnType<typeof custody> => custody(['transfer', 'accept', pkg, '--from', at('stranger.line'), '--identity', at('test-identity.txt'), '--case', hq])
    const made = await custody(['transfer', 'export', 'EX-000001', '--to', at('hq.line'), '--out', at('s2.zip.age'), '--case', stranger])
    expect(made.code, made.stderr).toBe(0)
    const bad = tamper(at('s2.zip.age'), at('s2-bad.zip.age'), flipOriginal('EX-000001'))
    const refused = await acceptFrom(bad)
    expect(refused.code).toBe(3)
    expect(existsSync(`${bad}.receipt`)).toBe(true)
    // The fork's package is intact: without the refused head, HQ would have seen none of this sender's.
    await ingestSamples(at('stranger-forked'), 'Writer.jpg')
    const forked = await exportPackage(at('stranger-forked'), at('hq.line'), at('s-forked.zip.age'))
    const before = await eventCount(hq)
    const result = await acceptFrom(forked)
    expect(result.code, result.stderr).toBe(3)
    expect(result.stderr).toMatch(/Petro Stranger, key SHA256:[0-9a-f]{64}'s ledger was (rewritten after an earlier hand-over|rolled back): .*\(cosigned in TRANSFER-[0-9a-f]{16}, refused for its items\)/)
    expect(await eventCount(hq)).toBe(before)
    expect(existsSync(`${forked}.receipt`)).toBe(false)
  })
})

describe('a package refused for its items, and the older package delivered after it', () => {
  it('proves the older one its sender made (its ledger verified): the older one is accepted, and the report says the proof came from a refused package', async () => {
    const sender = at('late-sender')
    await initCase(sender, 'Transfers', 'Oksana Late', '--organisation', 'Kherson field team')
    const line = await writeIdentityLine(sender, at('late-sender.line'))
    const acceptFrom = (pkg: string, ...more: string[]): ReturnType<typeof custody> => custody(['transfer', 'accept', pkg, '--from', line, '--identity', at('test-identity.txt'), '--case', hq, ...more])
    await ingestSamples(sender, 'Canon.jpg')
    const older = await exportPackage(sender, at('hq.line'), at('late-1.zip.age'))
    await ingestSamples(sender, 'Casio.jpg')
    const newer = await exportPackage(sender, at('hq.line'), at('late-2.zip.age'))
    // The newer package arrives first, changed in transit: refused with a receipt, its ledger and signatures verified.
    const refused = await acceptFrom(tamper(newer, at('late-2-bad.zip.age'), flipOriginal('EX-000002')))
    expect(refused.code, refused.stderr).toBe(3)
    const log = await custodyJson<Logged>(['log', '--case', hq])
    const event = log.json.events.filter((e) => e.action === 'transfer-refused').at(-1)!
    const provenBy = event.payload.transferId as string
    expect(event.payload.earlier).toHaveLength(1)

    const text = await acceptFrom(older)
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain(`an older package, delivered after a newer one; ${provenBy}, refused before for its items alone (its ledger verified), proves its sender's ledger made this one at this head`)
    const again = await custodyJson<{accepted: boolean; late?: {provenBy: string; refused?: boolean}}>(['transfer', 'accept', older, '--from', line, '--identity', at('test-identity.txt'), '--case', hq])
    expect(again.code, again.stderr).toBe(0)
    expect(schemaErrors('transfer-accept.schema.json', again.json)).toEqual([])
    expect(again.json).toMatchObject({accepted: false, late: {provenBy, refused: true}})
  })
})
