/**
 * `custody transfer accept` (issue 20 step 3, docs/design/transfers.md "Accept (HQ side)"): three
 * real cases (two field teams and HQ) in temporary folders, the built CLI. Packages made by
 * `transfer export` are accepted at HQ with HQ's own case identity (the passphrase opens it); the
 * receipt is checked with openssl as the README says; then each attack of the issue is made and
 * refused with exit 3, nothing recorded and no receipt written: a byte changed in transit, a
 * package cut short, a sender HQ was not told to expect, a field ledger rolled back and forked
 * after its first hand-over, and a kept package swapped inside HQ's case. Each refusal says once
 * that nothing was accepted, of the package given (never of the copy accept checks).
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custodianLine, parseCustodian} from '../../src/transfers/custodian.js'
import {copyCase, custody, custodyJson, PASSPHRASE, tempDir} from '../helpers/cli.js'
import {acceptPackage, eventCount, exportPackage, ingestSamples, initCase, refusedAccept, writeIdentityLine} from '../helpers/transfers.js'

const work = tempDir('custody-transfer-accept-')
afterAll(() => work.remove())

const at = (name: string): string => join(work.path, name)
/** The case passphrase in a file: status reads what was released from sealed event bodies only with a key. */
const withKey = (): string[] => ['--passphrase-file', at('passphrase.txt')]
const [fieldA, fieldB, hq, rolledBack] = [at('field-a'), at('field-b'), at('hq'), at('field-a-rolled-back')]

interface Accepted {
  accepted: boolean
  transferId: string
  from: {name: string; fingerprint: string}
  package: {sha256: string; size: number}
  kept: string
  treeHead: {size: number; root: string}
  items: Array<{exhibit: string; sha256: string}>
  seq: number
  receipt: {file: string; signature: string; sha256: string}
}

const line = (dir: string, file: string): Promise<string> => writeIdentityLine(dir, at(file))
const exportTo = (dir: string, out: string): Promise<string> => exportPackage(dir, at('hq.line'), at(out))
/** A refusal: exit 3, the message matching, HQ's ledger unchanged and no receipt written. */
const refused = (pkg: string, from: string[], message: RegExp): Promise<void> => refusedAccept(hq, pkg, from, message)

function openssl(key: string, file: string, sig: string): number | null {
  return spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', key, '-rawin', '-in', file, '-sigfile', sig]).status
}

beforeAll(async () => {
  writeFileSync(at('passphrase.txt'), `${PASSPHRASE}\n`, {mode: 0o600})
  await initCase(fieldA, 'Transfers', 'Iryna Melnyk', '--organisation', 'Kherson field team')
  await initCase(fieldB, 'Transfers', 'Taras Bondar', '--organisation', 'Mariupol field team')
  await initCase(hq, 'Transfers', 'Olena Kovalenko', '--organisation', 'IPHR', '--role', 'hq')
  await line(hq, 'hq.line')
  await line(fieldA, 'field-a.line')
  await line(fieldB, 'field-b.line')
  await ingestSamples(fieldA, 'Canon.jpg', 'Casio.jpg')
  // The adversary's copy of field A as it was before its first hand-over (another machine's state).
  copyCase(fieldA, rolledBack)
  await ingestSamples(fieldB, 'Nikon.jpg')
}, 120_000)

describe('custody init --role hq', () => {
  it("makes HQ's case: exhibit IDs HQ-…, its next step the identity line to give; never a field case", async () => {
    const made = await custodyJson<{case: {prefix: string}; keys: {mode: string}}>(['init', at('hq-2'), '--title', 'HQ', '--investigator', 'O. K.', '--role', 'hq'])
    expect(made.code, made.stderr).toBe(0)
    expect(made.json.case.prefix).toBe('HQ')
    expect(made.json.keys.mode).toBe('encrypted')
    const text = await custody(['init', at('hq-3'), '--title', 'HQ', '--investigator', 'O. K.', '--role', 'hq', '--prefix', 'IPHR'])
    expect(text.stdout).toMatch(/exhibit IDs {4}IPHR-000001/)
    expect(text.stdout).toMatch(/Next: give each field team this case's identity line, to send packages to:\n {2}custody key show --public > hq\.custodian\n/)
    const field = await custody(['init', at('hq-4'), '--title', 'HQ', '--investigator', 'O. K.', '--role', 'hq', '--field', '--recipient', 'age1kxqjker7a6l3tvp6zd9jckjrhr5n524e6v8gvqejf0454y2t4c4qkh3e3w'])
    expect(field.code).toBe(2)
    expect(field.stderr).toMatch(/--field and --role hq cannot be given together/)
    expect(existsSync(at('hq-4'))).toBe(false)
  })
})

describe('custody transfer accept', () => {
  let first: Accepted

  it("accepts field A's package with HQ's own identity, keeps it, records transfer-received and writes a receipt openssl checks", async () => {
    const pkg = await exportTo(fieldA, 'a1.zip.age')
    first = await acceptPackage<Accepted>(hq, pkg, [at('field-a.line')])
    expect(first).toMatchObject({accepted: true, from: {name: 'Iryna Melnyk'}, receipt: {file: `${pkg}.receipt`, signature: `${pkg}.receipt.sig`}})
    expect(first.items.map((i) => i.exhibit)).toEqual(['EX-000001', 'EX-000002'])
    const sha256 = execFileSync('sha256sum', [pkg], {encoding: 'utf8'}).split(' ')[0]
    expect(first.package.sha256).toBe(sha256)
    // Kept byte for byte inside HQ's case.
    expect(readFileSync(join(hq, '.custody', first.kept)).equals(readFileSync(pkg))).toBe(true)
    // The receipt names every item with its digests: HQ's account's alone, as an archive is.
    for (const file of [first.receipt.file, first.receipt.signature]) expect(statSync(file).mode & 0o777, file).toBe(0o600)

    const log = await custodyJson<{events: Array<{action: string; payload: Record<string, unknown>}>}>(['log', '--case', hq])
    const received = log.json.events.filter((e) => e.action === 'transfer-received')
    expect(received).toHaveLength(1)
    expect(received[0]!.payload).toMatchObject({transferId: first.transferId, package: {name: 'a1.zip.age', sha256}, treeHead: first.treeHead, receipt: {sha256: first.receipt.sha256}})

    // The receipt, as the sender or a court checks it: openssl with HQ's public key, for the
    // receipt and for the cosignature of field A's checkpoint.
    const hqPem = at('hq.pem')
    expect((await custody(['key', 'export', '--out', hqPem, '--case', hq])).code).toBe(0)
    expect(openssl(hqPem, first.receipt.file, first.receipt.signature)).toBe(0)
    const receipt = JSON.parse(readFileSync(first.receipt.file, 'utf8')) as {senderCheckpoint: string; cosignature: string; condition: string; receivedBy: {name: string}; items: Array<{exhibit: string; sha256: string; receivedAs: null}>}
    expect(receipt).toMatchObject({condition: 'intact', receivedBy: {name: 'Olena Kovalenko'}})
    expect(receipt.items.map((i) => [i.exhibit, i.sha256])).toEqual(first.items.map((i) => [i.exhibit, i.sha256]))
    writeFileSync(at('cp.json'), receipt.senderCheckpoint)
    writeFileSync(at('cp.sig'), Buffer.from(receipt.cosignature, 'hex'))
    expect(openssl(hqPem, at('cp.json'), at('cp.sig'))).toBe(0)
    expect(JSON.parse(receipt.senderCheckpoint)).toMatchObject({treeSize: first.treeHead.size, rootHash: first.treeHead.root})
    // Not field A's key: the receipt is HQ's.
    const fieldPem = at('field-a.pem')
    expect((await custody(['key', 'export', '--out', fieldPem, '--case', fieldA])).code).toBe(0)
    expect(openssl(fieldPem, first.receipt.file, first.receipt.signature)).not.toBe(0)

    const verified = await custodyJson<{ok: boolean; checks: Array<{name: string; ok: boolean; detail: string}>}>(['verify', '--case', hq])
    expect(verified.code).toBe(0)
    expect(verified.json.checks.find((c) => c.name === 'transfers')).toMatchObject({ok: true, detail: '1 package received, 0 receipts recorded: each kept as the ledger records it; whose signature each receipt bears is checked with a key that opens the events (here, only that each is 64 bytes)'})
  })

  it('changes nothing for the same package again, says so, and gives its receipt again', async () => {
    const pkg = at('a1.zip.age')
    const receipt = readFileSync(`${pkg}.receipt`)
    const before = await eventCount(hq)
    const again = await custody(['transfer', 'accept', pkg, '--from', at('field-a.line'), '--case', hq])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(new RegExp(`^Already accepted: ${first.transferId} .* recorded in ledger event #${first.seq}; nothing changed\\.`))
    expect(await eventCount(hq)).toBe(before)
    expect(readFileSync(`${pkg}.receipt`).equals(receipt)).toBe(true)
    // A copy under another name is the same package: the receipt goes beside the copy.
    copyFileSync(pkg, at('a1-copy.zip.age'))
    const copy = await custodyJson<Accepted>(['transfer', 'accept', at('a1-copy.zip.age'), '--from', at('field-a.line'), '--case', hq])
    expect(copy.json).toMatchObject({accepted: false, transferId: first.transferId, seq: first.seq})
    expect(readFileSync(at('a1-copy.zip.age.receipt')).equals(receipt)).toBe(true)
  })

  it("accepts field A's next package, which proves the head HQ accepted a prefix of its own, and field B's beside it", async () => {
    await ingestSamples(fieldA, 'Nikon.jpg')
    const pkg = await exportTo(fieldA, 'a2.zip.age')
    const second = await acceptPackage<Accepted>(hq, pkg, [at('field-b.line'), at('field-a.line')])
    expect(second.items.map((i) => i.exhibit)).toEqual(['EX-000003'])
    expect(second.treeHead.size).toBeGreaterThan(first.treeHead.size)
    const fromB = await acceptPackage<Accepted>(hq, await exportTo(fieldB, 'b1.zip.age'), [at('field-b.line')])
    // Both senders' EX-000001 are kept apart, each in its sender's folder.
    expect(fromB.items.map((i) => i.exhibit)).toEqual(['EX-000001'])
    expect(fromB.kept.split('/')[1]).not.toBe(first.kept.split('/')[1])
    expect((await custody(['verify', '--case', hq])).code).toBe(0)
  })

  it('refuses a sender HQ was not told to expect, naming who sent it', async () => {
    await ingestSamples(fieldB, 'Sony.jpg')
    await refused(await exportTo(fieldB, 'b2.zip.age'), [at('field-a.line')], /b2\.zip\.age was released by Taras Bondar \(Mariupol field team\), key SHA256:[0-9a-f]{64}, who is neither among --from nor on the trust list \(Iryna Melnyk/)
  })

  it('refuses a package with one byte changed in transit, or cut short', async () => {
    const pkg = at('b2.zip.age')
    const flipped = at('b2-flipped.zip.age')
    const bytes = readFileSync(pkg)
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01
    writeFileSync(flipped, bytes)
    await refused(flipped, [at('field-b.line')], /b2-flipped\.zip\.age/)
    const cut = at('b2-cut.zip.age')
    copyFileSync(pkg, cut)
    truncateSync(cut, readFileSync(pkg).length - 1000)
    await refused(cut, [at('field-b.line')], /b2-cut\.zip\.age/)
  })

  it('says once that nothing was accepted: its own refusals as they are made, anything else said of the package given', async () => {
    const said = (text: string): number => text.split('nothing was accepted').length - 1
    const b2 = at('b2.zip.age')
    // The sender's and the receiver's checks: their words, unchanged.
    const stranger = await custody(['transfer', 'accept', b2, '--from', at('field-a.line'), '--case', hq])
    expect(stranger.code).toBe(3)
    expect(stranger.stderr).toMatch(/; nothing was accepted\. If you expect packages from them, get their identity line from them and compare its fingerprint by voice or in person\n$/)
    expect(said(stranger.stderr)).toBe(1)
    // Released to another HQ case, encrypted to this one's recipient: it opens here, and is refused.
    const hqAge = parseCustodian(readFileSync(at('hq.line'), 'utf8')).age
    writeFileSync(at('hq-2.line'), `${custodianLine({...parseCustodian(readFileSync(await line(at('hq-2'), 'hq-2.line'), 'utf8')), age: hqAge})}\n`)
    const other = await custody(['transfer', 'accept', await exportPackage(fieldB, at('hq-2.line'), at('b-other.zip.age')), '--from', at('field-b.line'), '--case', hq])
    expect(other.code).toBe(3)
    expect(other.stderr).toMatch(/b-other\.zip\.age was released to O\. K\., key SHA256:[0-9a-f]{64} \(case [0-9a-f-]{36}\), not to this case \([0-9a-f-]{36}\); nothing was accepted\n$/)
    expect(said(other.stderr)).toBe(1)
    // A receipt in the way: exit 2, its words unchanged, the file left as it was.
    writeFileSync(at('in-the-way.receipt'), 'kept\n')
    const inTheWay = await custody(['transfer', 'accept', b2, '--from', at('field-b.line'), '--receipt-out', at('in-the-way.receipt'), '--case', hq])
    expect(inTheWay.code).toBe(2)
    expect(inTheWay.stderr).toContain(`${at('in-the-way.receipt')} already exists; nothing was accepted. Move it away, or give --receipt-out another name\n`)
    expect(said(inTheWay.stderr)).toBe(1)
    expect(readFileSync(at('in-the-way.receipt'), 'utf8')).toBe('kept\n')
    // What reading the copy refused: said of the package given, never of the copy, with it added.
    const cut = await custody(['transfer', 'accept', at('b2-cut.zip.age'), '--from', at('field-b.line'), '--case', hq])
    expect(cut.code).toBe(3)
    expect(cut.stderr).toMatch(/b2-cut\.zip\.age is not an intact age file: .*; nothing was accepted\n$/)
    expect(cut.stderr).not.toContain('.incoming-')
    expect(said(cut.stderr)).toBe(1)
  })

  it("refuses field A's ledger rolled back to before its first hand-over and grown again: a split view, both heads named", async () => {
    await ingestSamples(rolledBack, 'Ricoh2.jpg')
    const forked = await exportTo(rolledBack, 'a-forked.zip.age')
    await refused(forked, [at('field-a.line')], new RegExp(`Iryna Melnyk \\(Kherson field team\\), key SHA256:[0-9a-f]{64}'s ledger was (rewritten after an earlier hand-over|rolled back): this package's head \\(\\d+ events, root [0-9a-f]{64}\\) .* \\(${first.treeHead.size} events, root ${first.treeHead.root} \\(accepted in ${first.transferId}\\)\\)`))
  })

  it('finds a kept package swapped inside HQ\'s case: verify exits 3 naming it', async () => {
    const kept = join(hq, '.custody', first.kept)
    const original = readFileSync(kept)
    copyFileSync(at('b1.zip.age'), kept)
    try {
      const verified = await custodyJson<{ok: boolean; problems: Array<{check: string; subject: string; message: string}>}>(['verify', '--case', hq])
      expect(verified.code).toBe(3)
      expect(verified.json.problems).toContainEqual(expect.objectContaining({check: 'transfer', subject: `.custody/${first.kept}`, message: expect.stringMatching(/^the package of TRANSFER-[0-9a-f]{16} is not the one event \d+ records/)}))
    } finally {
      writeFileSync(kept, original)
    }
  })
})

describe('custody transfer receipt (the sender records the receipt)', () => {
  interface Acknowledged {recorded: boolean; transferId: string; acknowledged: string[]; cosigned: {size: number; root: string}; seq: number}
  interface Status {released: Array<{receiver: {name: string}; unacknowledged: string[]}>}

  async function refusedReceipt(dir: string, receipt: string, message: RegExp): Promise<void> {
    const before = await eventCount(dir)
    const result = await custody(['transfer', 'receipt', receipt, '--case', dir])
    expect(result.code, result.stdout + result.stderr).toBe(3)
    expect(result.stderr).toMatch(message)
    expect(await eventCount(dir)).toBe(before)
  }

  it("refuses a receipt for a transfer it never released: HQ's genuine receipt for field B, given to field A", async () => {
    await refusedReceipt(fieldA, at('b1.zip.age.receipt'), /b1\.zip\.age\.receipt is a receipt for TRANSFER-[0-9a-f]{16}, which this case never released; nothing was recorded/)
  })

  it("refuses a receipt changed after HQ signed it, and one signed by someone else in HQ's name", async () => {
    const edited = at('edited.receipt')
    writeFileSync(edited, readFileSync(at('a1.zip.age.receipt'), 'utf8').replace('"condition":"intact"', '"condition":{"failed":[{"exhibit":"EX-000001","problem":"lost"}]}'))
    copyFileSync(at('a1.zip.age.receipt.sig'), `${edited}.sig`)
    await refusedReceipt(fieldA, edited, /its signature .* is not the receiver's over these bytes/)
    // Field B's key signs a copy of the receipt naming HQ as receiver: the receipt's own key check
    // fails, since it is not HQ's key that signed.
    const forged = at('forged.receipt')
    copyFileSync(at('a1.zip.age.receipt'), forged)
    copyFileSync(at('b1.zip.age.receipt.sig'), `${forged}.sig`)
    await refusedReceipt(fieldA, forged, /its signature .* is not the receiver's/)
    const bare = at('bare.receipt')
    copyFileSync(at('a1.zip.age.receipt'), bare)
    const missing = await custody(['transfer', 'receipt', bare, '--case', fieldA])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/bare\.receipt\.sig is missing/)
  })

  it("records HQ's receipts: the items are acknowledged, status no longer lists them, and the next package proves the cosigned head", async () => {
    // What was released is in the sealed bodies of transfer-released: with no key, status says it
    // cannot tell to whom (null, not an empty list) and lists the transfers as their envelopes say
    // (ID, time, items, no receipt yet); the passphrase opens the rest.
    const keyless = await custodyJson<{released: unknown; releasedInClear: Array<{transferId: string; items: number; receipt: unknown}>}>(['status', '--case', fieldA])
    expect(keyless.json.released).toBeNull()
    expect(keyless.json.releasedInClear.map((t) => [t.items, t.receipt])).toEqual([
      [2, null],
      [1, null],
    ])
    const text = (await custody(['status', '--case', fieldA])).stdout
    expect(text).toMatch(/\nReleased {6}2 of 2 transfers released have no receipt recorded yet:\n {16}TRANSFER-[0-9a-f]{16} at \S+, 2 items\n {16}TRANSFER-[0-9a-f]{16} at \S+, 1 item\n {14}to whom, and which exhibits, is recorded encrypted/)
    // Nothing of whom it went to, nor which exhibits, in what status says with no key.
    expect(text).not.toMatch(/Olena|EX-0000/)
    const waiting = await custodyJson<Status>(['status', '--case', fieldA, ...withKey()])
    expect(waiting.json.released[0]!.unacknowledged).toEqual(['EX-000001', 'EX-000002', 'EX-000003'])
    const first = await custodyJson<Acknowledged>(['transfer', 'receipt', at('a1.zip.age.receipt'), '--case', fieldA])
    expect(first.code, first.stderr).toBe(0)
    expect(first.json).toMatchObject({recorded: true, acknowledged: ['EX-000001', 'EX-000002']})
    const again = await custody(['transfer', 'receipt', at('a1.zip.age.receipt'), '--case', fieldA])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/^Already recorded: .*nothing changed\./)
    expect((await custodyJson<Acknowledged>(['transfer', 'receipt', at('a2.zip.age.receipt'), '--case', fieldA])).json.acknowledged).toEqual(['EX-000003'])
    expect((await custodyJson<Status>(['status', '--case', fieldA, ...withKey()])).json.released[0]!.unacknowledged).toEqual([])
    expect((await custody(['verify', '--case', fieldA, ...withKey()])).code).toBe(0)

    // The next package proves the tree head HQ cosigned a prefix of its own, and HQ accepts it.
    await ingestSamples(fieldA, 'Writer.jpg')
    const lastReceipt = JSON.parse(readFileSync(at('a2.zip.age.receipt'), 'utf8')) as {senderCheckpoint: string}
    const cosigned = JSON.parse(lastReceipt.senderCheckpoint) as {treeSize: number; rootHash: string}
    const pkg = at('a3.zip.age')
    const made = await custodyJson<{acknowledged: {size: number; root: string} | null}>(['transfer', 'export', '--to', at('hq.line'), '--out', pkg, '--case', fieldA])
    expect(made.code, made.stderr).toBe(0)
    expect(made.json.acknowledged).toEqual({size: cosigned.treeSize, root: cosigned.rootHash})
    const accepted = await acceptPackage<Accepted>(hq, pkg, [at('field-a.line')])
    expect(accepted.items.map((i) => i.exhibit)).toEqual(['EX-000004'])

    // A kept receipt changed on the sender's side is found by verify.
    const kept = join(fieldA, '.custody', 'custodians')
    const folder = execFileSync('ls', [kept], {encoding: 'utf8'}).trim()
    const receipt = join(kept, folder, `${first.json.transferId}.receipt`)
    const original = readFileSync(receipt)
    writeFileSync(receipt, Buffer.concat([original, Buffer.from(' ')]))
    try {
      const checked = await custodyJson<{problems: Array<{check: string; message: string}>}>(['verify', '--case', fieldA])
      expect(checked.code).toBe(3)
      expect(checked.json.problems).toContainEqual(expect.objectContaining({check: 'transfer', message: expect.stringMatching(/^the receipt of TRANSFER-/)}))
    } finally {
      writeFileSync(receipt, original)
    }
  })
})
