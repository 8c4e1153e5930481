/**
 * The sender's side of a hand-over in a case whose ledger keeps its event bodies encrypted (schema
 * 4, made by the core until `custody init` makes it): `transfer receipt`, `purge` and `trust` read
 * what earlier events record (what was released, acknowledged, trusted), so the passphrase opens
 * the case identity for them, where a write-only run would leave the bodies closed. And `verify`
 * with no key checks the files a transfer event says the case keeps (a package received and its
 * receipt; a receipt acknowledged): their paths and SHA-256 are in the envelopes, in clear.
 */
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {initCase as initSealedCase} from '../../src/case/case.js'
import {copyCase, custody, custodyJson, PASSPHRASE, tempDir} from '../helpers/cli.js'
import {eventCount, exportPackage, ingestSamples, writeIdentityLine} from '../helpers/transfers.js'

const work = tempDir('custody-sealed-transfers-')
afterAll(() => work.remove())
const at = (name: string): string => join(work.path, name)
const [sender, hq] = [at('sender'), at('hq')]

beforeAll(async () => {
  await initSealedCase({dir: sender, title: 'Operation Sunflower', investigator: 'Iryna Melnyk', passphrase: PASSPHRASE, sealedBodies: true})
  await initSealedCase({dir: hq, title: 'HQ', investigator: 'Olena Kovalenko', passphrase: PASSPHRASE, sealedBodies: true})
  await writeIdentityLine(hq, at('hq.line'))
  await ingestSamples(sender, 'Canon.jpg', 'Casio.jpg')
  const pkg = await exportPackage(sender, at('hq.line'), at('one.zip.age'))
  const accepted = await custody(['transfer', 'accept', pkg, '--from', await writeIdentityLine(sender, at('sender.line')), '--case', hq])
  expect(accepted.code, accepted.stderr).toBe(0)
}, 180_000)

describe("a sender whose ledger keeps its event bodies encrypted", () => {
  it("refuses HQ's receipt changed after it was signed (exit 3, nothing recorded), then records the genuine one", async () => {
    const receipt = at('one.zip.age.receipt')
    const edited = at('edited.receipt')
    writeFileSync(edited, readFileSync(receipt, 'utf8').replace('"condition":"intact"', '"condition":{"failed":[{"exhibit":"EX-000001","problem":"lost"}]}'))
    writeFileSync(`${edited}.sig`, readFileSync(`${receipt}.sig`))
    const before = await eventCount(sender)
    const refused = await custody(['transfer', 'receipt', edited, '--case', sender])
    expect(refused.code, refused.stderr).toBe(3)
    expect(await eventCount(sender)).toBe(before)

    const recorded = await custodyJson<{recorded: boolean; acknowledged: string[]}>(['transfer', 'receipt', receipt, '--case', sender])
    expect(recorded.code, recorded.stderr).toBe(0)
    expect(recorded.json).toMatchObject({recorded: true, acknowledged: ['EX-000001', 'EX-000002']})
    const again = await custodyJson<{recorded: boolean}>(['transfer', 'receipt', receipt, '--case', sender])
    expect(again.code, again.stderr).toBe(0)
    expect(again.json.recorded).toBe(false)
  }, 60_000)

  it('trusts HQ once (a second time changes nothing), and purges what HQ acknowledged; the case verifies', async () => {
    const trusted = await custody(['transfer', 'trust', at('hq.line'), '--case', sender])
    expect(trusted.code, trusted.stderr).toBe(0)
    const before = await eventCount(sender)
    const again = await custody(['transfer', 'trust', at('hq.line'), '--case', sender])
    expect(again.code, again.stderr).toBe(0)
    expect(await eventCount(sender)).toBe(before)
    // The list is in the events: the passphrase opens it, and nothing is shown without it.
    const listed = await custodyJson<{senders: Array<{name: string}>}>(['transfer', 'trust', '--list', '--case', sender])
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.json.senders.map((s) => s.name)).toEqual(['Olena Kovalenko'])
    const locked = await custody(['transfer', 'trust', '--list', '--case', sender], {env: {CUSTODY_PASSPHRASE: undefined}})
    expect(locked.code).toBe(2)
    expect(locked.stdout).not.toContain('Olena')

    const purged = await custodyJson<{purged: Array<{exhibit: string}>; removed: number}>(['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--yes', '--case', sender])
    expect(purged.code, purged.stderr).toBe(0)
    expect(purged.json.purged.map((p) => p.exhibit)).toEqual(['EX-000001', 'EX-000002'])
    expect(purged.json.removed).toBeGreaterThanOrEqual(2)
    const passphraseFile = at('passphrase.txt')
    writeFileSync(passphraseFile, `${PASSPHRASE}\n`, {mode: 0o600})
    for (const args of [[], ['--passphrase-file', passphraseFile]]) {
      const verified = await custodyJson<{ok: boolean; exhibits: {purged: number}}>(['verify', '--case', sender, ...args])
      expect(verified.code, JSON.stringify(verified.json)).toBe(0)
      expect(verified.json.exhibits.purged).toBe(2)
    }
  }, 120_000)
})

describe("a rotation of the sealed sender's key", () => {
  it("is followed by HQ, which knows the old key only: the package proves it through the event's envelope", async () => {
    const oldLine = at('sender.line')
    const rotated = await custody(['key', 'rotate', '--reason', 'the laptop was out of her hands', '--case', sender])
    expect(rotated.code, rotated.stderr).toBe(0)
    await ingestSamples(sender, 'Nikon.jpg')
    const pkg = await exportPackage(sender, at('hq.line'), at('two.zip.age'))
    const result = await custody(['transfer', 'accept', pkg, '--from', oldLine, '--case', hq])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/sender's key {3}rotated from SHA256:[0-9a-f]{64}\n {17}to SHA256:[0-9a-f]{64} \(its ledger's event #/)
  }, 120_000)
})

describe('verify with no key, where the ledger keeps its event bodies encrypted: the kept transfer files', () => {
  interface Verified {ok: boolean; checks: Array<{name: string; status: string; detail: string}>; problems: Array<{check: string; subject: string; message: string}>}
  const NO_PASSPHRASE = {CUSTODY_PASSPHRASE: undefined}
  const transfers = (report: Verified) => report.checks.find((c) => c.name === 'transfers')

  it('checks them at HQ and at the sender, as stored', async () => {
    const atHq = await custodyJson<Verified>(['verify', '--case', hq], {env: NO_PASSPHRASE})
    expect(atHq.code, JSON.stringify(atHq.json.problems)).toBe(0)
    const unsigned = '; whose signature each receipt bears is checked with a key that opens the events (here, only that each is 64 bytes)'
    expect(transfers(atHq.json)).toMatchObject({status: 'ok', detail: `2 packages received, 0 receipts recorded: each kept as the ledger records it${unsigned}`})
    const atSender = await custodyJson<Verified>(['verify', '--case', sender], {env: NO_PASSPHRASE})
    expect(atSender.code, JSON.stringify(atSender.json.problems)).toBe(0)
    expect(transfers(atSender.json)).toMatchObject({status: 'ok', detail: `0 packages received, 1 receipt recorded: each kept as the ledger records it${unsigned}`})
  }, 60_000)

  it('finds a kept package swapped at HQ, and a kept receipt changed at the sender (exit 3, naming each)', async () => {
    const hqCopy = copyCase(hq, at('hq-swapped'))
    const folder = join(hqCopy, '.custody', 'custodians')
    const [senderFolder] = readdirSync(folder)
    const pkg = readdirSync(join(folder, senderFolder!)).find((f) => f.endsWith('.zip.age'))!
    writeFileSync(join(folder, senderFolder!, pkg), readFileSync(at('one.zip.age.receipt')))
    const swapped = await custodyJson<Verified>(['verify', '--case', hqCopy], {env: NO_PASSPHRASE})
    expect(swapped.code).toBe(3)
    expect(swapped.json.problems).toContainEqual(expect.objectContaining({check: 'transfer', subject: `.custody/custodians/${senderFolder}/${pkg}`, message: expect.stringMatching(/^the package of TRANSFER-[0-9a-f]{16} is not the one event \d+ records/) as string}))

    const senderCopy = copyCase(sender, at('sender-changed'))
    const kept = join(senderCopy, '.custody', 'custodians')
    const [hqFolder] = readdirSync(kept)
    const receipt = readdirSync(join(kept, hqFolder!)).find((f) => f.endsWith('.receipt'))!
    writeFileSync(join(kept, hqFolder!, receipt), `${readFileSync(join(kept, hqFolder!, receipt), 'utf8')} `)
    const changed = await custodyJson<Verified>(['verify', '--case', senderCopy], {env: NO_PASSPHRASE})
    expect(changed.code).toBe(3)
    expect(changed.json.problems).toContainEqual(expect.objectContaining({check: 'transfer', subject: `.custody/custodians/${hqFolder}/${receipt}`}))

    // Its signature swapped for 64 other bytes: with no key only the size is seen (the check says
    // so); a key that opens the events reads the receipt and finds the signature is not HQ's.
    const signed = copyCase(sender, at('sender-resigned'))
    const sig = join(signed, '.custody', 'custodians', hqFolder!, `${receipt}.sig`)
    writeFileSync(sig, Buffer.alloc(64, 7))
    const keyless = await custodyJson<Verified>(['verify', '--case', signed], {env: NO_PASSPHRASE})
    expect(transfers(keyless.json)?.detail).toMatch(/here, only that each is 64 bytes\)$/)
    const withKey = await custodyJson<Verified>(['verify', '--case', signed, '--passphrase-file', at('passphrase.txt')], {env: NO_PASSPHRASE})
    expect(withKey.code, JSON.stringify(withKey.json.problems)).toBe(3)
    expect(withKey.json.problems).toContainEqual(expect.objectContaining({check: 'transfer', subject: `.custody/custodians/${hqFolder}/${receipt}`}))
  }, 60_000)
})
