/**
 * The receipts a case keeps of its hand-overs (issue 19: "No plaintext digests on disk"): in an
 * encrypted case `.custody/custodians/<case ID>/<transfer ID>.receipt` is an age file to the case's
 * recipients, at HQ (`transfer accept`) and at the sender (`transfer receipt`), which `age -d -i`
 * opens to the receipt given out; the events record it as stored, so `verify` with no key checks
 * it as stored. The built CLI on real cases: two hand-overs from an encrypted sender to HQ, and one
 * from a sender in clear, whose kept receipt stays clear JSON and is read as before. Then the
 * forgeries of a kept receipt (another transfer's, a byte changed, cut short, put back in clear),
 * each refused by verify, by the sender's purge and by HQ's seal, naming the file.
 */
import {createHash} from 'node:crypto'
import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generateIdentity} from '../../src/age/x25519.js'
import {keptReceiptOf} from '../../src/transfers/incoming.js'
import {copyCase, custody, custodyJson, PASSPHRASE, SAMPLES, tempDir} from '../helpers/cli.js'
import {eventCount, exportPackage, ingestSamples, initCase, writeIdentityLine} from '../helpers/transfers.js'
import {checker} from '../helpers/tools.js'

const AGE = checker('age')
const work = tempDir('custody-kept-receipts-')
afterAll(() => work.remove())
const at = (name: string): string => join(work.path, name)
const [sender, hq, plain] = [at('sender'), at('hq'), at('plain')]
const SAMPLE_NAMES = ['Canon.jpg', 'Casio.jpg', 'Nikon.jpg']
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

interface Verified {
  ok: boolean
  problems: Array<{check: string; subject: string; message: string}>
}

interface ReceiptRecord {
  sha256: string
  kept?: string
  stored?: {sha256: string; size: number}
}

interface Logged {
  events: Array<{seq: number; payload: {transferId: string; kept: string; receipt: ReceiptRecord}}>
}

/** The kept receipts of a case, by transfer: at HQ beside each package received, at a sender as acknowledged; with what the event records. */
async function keptReceipts(dir: string, action: 'transfer-received' | 'transfer-acknowledged'): Promise<Array<{transferId: string; file: string; relative: string; recorded: ReceiptRecord}>> {
  const log = await custodyJson<Logged>(['log', '--action', action, '--case', dir])
  expect(log.code, log.stderr).toBe(0)
  return log.json.events.map(({payload}) => {
    const relative = action === 'transfer-received' ? keptReceiptOf(payload.kept) : payload.receipt.kept!
    return {transferId: payload.transferId, file: join(dir, '.custody', relative), relative: `.custody/${relative}`, recorded: payload.receipt}
  })
}

/** Every file under `dir` that holds `needle`. */
function holding(dir: string, needle: string | Buffer): string[] {
  const found: string[] = []
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (readFileSync(path).includes(needle)) found.push(path)
    }
  }

  walk(dir)
  return found
}

async function accept(pkg: string, from: string): Promise<void> {
  const accepted = await custody(['transfer', 'accept', pkg, '--from', from, '--case', hq])
  expect(accepted.code, accepted.stderr).toBe(0)
}

async function acknowledge(dir: string, receipt: string): Promise<void> {
  const recorded = await custody(['transfer', 'receipt', receipt, '--case', dir])
  expect(recorded.code, recorded.stderr).toBe(0)
}

beforeAll(async () => {
  // Each case has a recipient of its own, whose identity `age -d -i` opens the kept receipts with.
  for (const name of ['sender', 'hq']) writeFileSync(at(`${name}-key.txt`), `${generateIdentity().identity}\n`, {mode: 0o600})
  const recipient = (name: string): string => execFileSync('age-keygen', ['-y', at(`${name}-key.txt`)], {encoding: 'utf8'}).trim()
  await initCase(sender, 'Kherson', 'Iryna Melnyk', '--recipient', recipient('sender'))
  await initCase(hq, 'HQ', 'Olena Kovalenko', '--role', 'hq', '--recipient', recipient('hq'))
  await initCase(plain, 'Mariupol', 'Taras Bondar', '--plaintext')
  await writeIdentityLine(hq, at('hq.line'))
  await writeIdentityLine(sender, at('sender.line'))
  await writeIdentityLine(plain, at('plain.line'))
  await ingestSamples(sender, 'Canon.jpg', 'Casio.jpg')
  await accept(await exportPackage(sender, at('hq.line'), at('one.zip.age')), at('sender.line')) // HQ-000001, HQ-000002
  await acknowledge(sender, at('one.zip.age.receipt'))
  copyCase(hq, at('hq-before-two')) // HQ as it was before the second package, for a receipt signed twice
  await ingestSamples(sender, 'Nikon.jpg')
  await accept(await exportPackage(sender, at('hq.line'), at('two.zip.age')), at('sender.line')) // HQ-000003
  await acknowledge(sender, at('two.zip.age.receipt'))
  await ingestSamples(plain, 'Canon.jpg')
  await accept(await exportPackage(plain, at('hq.line'), at('plain.zip.age')), at('plain.line'))
  await acknowledge(plain, at('plain.zip.age.receipt'))
}, 300_000)

describe('an encrypted case keeps its receipts encrypted', () => {
  it("as age files to the case's recipients, at HQ and at the sender, which age -d opens to the receipt given out; the events record them as stored", async () => {
    const atHq = await keptReceipts(hq, 'transfer-received')
    const atSender = await keptReceipts(sender, 'transfer-acknowledged')
    expect(atHq).toHaveLength(3)
    expect(atSender).toHaveLength(2)
    const given = [at('one.zip.age.receipt'), at('two.zip.age.receipt')]
    for (const [kept, key] of [...atHq.slice(0, 2).map((k) => [k, 'hq'] as const), ...atSender.map((k) => [k, 'sender'] as const)]) {
      const file = readFileSync(kept.file)
      expect(file.subarray(0, 22).toString('latin1'), kept.relative).toBe('age-encryption.org/v1\n')
      expect(kept.recorded.stored).toEqual({sha256: sha256(file), size: file.length})
      const receipt = readFileSync(given[atHq.findIndex((k) => k.transferId === kept.transferId)]!)
      expect(kept.recorded.sha256).toBe(sha256(receipt))
      if (AGE !== undefined) expect(execFileSync(AGE, ['-d', '-i', at(`${key}-key.txt`), kept.file]).equals(receipt), kept.relative).toBe(true)
      // The signature stays clear, as given: openssl checks it against the opened receipt.
      expect(readFileSync(`${kept.file}.sig`).equals(readFileSync(`${given[atHq.findIndex((k) => k.transferId === kept.transferId)]!}.sig`))).toBe(true)
    }
  }, 60_000)

  it("holds no item's SHA-256 in .custody/custodians at either end; a sender in clear holds them, so the search finds them where they are", () => {
    for (const name of SAMPLE_NAMES) {
      const digest = sha256(readFileSync(join(SAMPLES, name)))
      for (const dir of [sender, hq]) {
        expect(holding(join(dir, '.custody', 'custodians'), digest), `${name} in ${dir}`).toEqual([])
        expect(holding(join(dir, '.custody', 'custodians'), Buffer.from(digest, 'hex')), `${name} raw in ${dir}`).toEqual([])
      }
    }

    const canon = sha256(readFileSync(join(SAMPLES, 'Canon.jpg')))
    expect(holding(join(plain, '.custody', 'custodians'), canon)).toHaveLength(1)
  })

  it('verifies at both ends, with no key (as stored) and with the passphrase (opened, held to the SHA-256 in clear)', async () => {
    writeFileSync(at('passphrase.txt'), `${PASSPHRASE}\n`, {mode: 0o600})
    for (const dir of [sender, hq]) {
      for (const args of [[], ['--passphrase-file', at('passphrase.txt')]]) {
        const verified = await custodyJson<Verified>(['verify', '--case', dir, ...args], {env: {CUSTODY_PASSPHRASE: undefined}})
        expect(verified.code, JSON.stringify(verified.json.problems)).toBe(0)
      }
    }
  }, 60_000)

  it('gives the kept receipt again when the same package comes again: opened, the very bytes given the first time', async () => {
    const again = await custody(['transfer', 'accept', at('one.zip.age'), '--from', at('sender.line'), '--receipt-out', at('again.receipt'), '--case', hq])
    expect(again.code, again.stderr).toBe(0)
    expect(readFileSync(at('again.receipt')).equals(readFileSync(at('one.zip.age.receipt')))).toBe(true)
    expect(readFileSync(at('again.receipt.sig')).equals(readFileSync(at('one.zip.age.receipt.sig')))).toBe(true)
  }, 60_000)
  it("is checked as README says: age -d -i, then openssl with HQ's key and the signature kept beside it", async () => {
    if (AGE === undefined) return
    expect((await custody(['key', 'export', '--out', at('hq.pem'), '--case', hq])).code).toBe(0)
    const [atHq] = await keptReceipts(hq, 'transfer-received')
    const [atSender] = await keptReceipts(sender, 'transfer-acknowledged')
    for (const [kept, key] of [[atHq!, 'hq'], [atSender!, 'sender']] as const) {
      const opened = at(`opened-${key}.receipt`)
      execFileSync(AGE, ['-d', '-i', at(`${key}-key.txt`), '-o', opened, kept.file])
      const checked = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', at('hq.pem'), '-rawin', '-in', opened, '-sigfile', `${kept.file}.sig`], {encoding: 'utf8'})
      expect(checked).toContain('Signature Verified Successfully')
    }
  }, 60_000)
})

describe('a sender in clear keeps its receipt in clear, read as before', () => {
  it('as the JSON given out, its event recording no stored form; verify and purge pass', async () => {
    const [kept] = await keptReceipts(plain, 'transfer-acknowledged')
    expect(readFileSync(kept!.file).equals(readFileSync(at('plain.zip.age.receipt')))).toBe(true)
    expect(kept!.recorded.stored).toBeUndefined()
    const copy = copyCase(plain, at('plain-purged'))
    const purged = await custodyJson<{purged: Array<{exhibit: string}>}>(['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--yes', '--case', copy])
    expect(purged.code, purged.stderr).toBe(0)
    expect(purged.json.purged.map((p) => p.exhibit)).toEqual(['EX-000001'])
    const verified = await custodyJson<Verified>(['verify', '--case', copy])
    expect(verified.code, JSON.stringify(verified.json.problems)).toBe(0)
  }, 60_000)
})

describe('a kept receipt forged', () => {
  /** The forgeries of the first hand-over's kept receipt, given the second's and the receipt given out in clear. */
  const FORGERIES: Array<[string, (file: Buffer, other: Buffer, clear: Buffer) => Buffer]> = [
    ["swapped for the other transfer's age receipt", (_file, other) => other],
    ['with one byte changed', (file) => Buffer.concat([file.subarray(0, file.length - 40), Buffer.from([file[file.length - 40]! ^ 1]), file.subarray(file.length - 39)])],
    ['cut short', (file) => file.subarray(0, file.length - 17)],
    ['put back in clear (the receipt given out)', (_file, _other, clear) => clear],
  ]

  /** A copy of `dir` whose first kept receipt (of `action`) is forged; the kept receipt's path in the case. */
  async function forged(dir: string, action: 'transfer-received' | 'transfer-acknowledged', name: string, forge: (typeof FORGERIES)[number][1]): Promise<{copy: string; relative: string}> {
    const copy = copyCase(dir, at(name))
    const [first, second] = await keptReceipts(copy, action)
    writeFileSync(first!.file, forge(readFileSync(first!.file), readFileSync(second!.file), readFileSync(at('one.zip.age.receipt'))))
    return {copy, relative: first!.relative}
  }

  async function refusedByVerify(copy: string, relative: string): Promise<void> {
    const verified = await custodyJson<Verified>(['verify', '--case', copy], {env: {CUSTODY_PASSPHRASE: undefined}})
    expect(verified.code).toBe(3)
    expect(verified.json.problems).toContainEqual(expect.objectContaining({check: 'transfer', subject: relative}))
  }

  it.each(FORGERIES.map(([what, forge], i) => [what, forge, i] as const))('%s: refused by verify and by the purge at the sender (exit 3, naming it, nothing recorded)', async (_what, forge, i) => {
    const {copy, relative} = await forged(sender, 'transfer-acknowledged', `sender-forged-${i}`, forge)
    await refusedByVerify(copy, relative)
    const before = await eventCount(copy)
    const purge = await custody(['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--yes', '--case', copy])
    expect(purge.code, purge.stderr).toBe(3)
    expect(purge.stderr).toContain(`(${relative}), which event`)
    expect(purge.stderr).toContain('nothing was purged')
    expect(await eventCount(copy)).toBe(before)
  }, 60_000)

  it.each(FORGERIES.map(([what, forge], i) => [what, forge, i] as const))("%s: refused by verify and by HQ's seal (exit 3, naming it, no archive)", async (_what, forge, i) => {
    const {copy, relative} = await forged(hq, 'transfer-received', `hq-forged-${i}`, forge)
    await refusedByVerify(copy, relative)
    const out = at(`hq-forged-${i}.zip`)
    const sealed = await custody(['seal', 'HQ-000001', '--out', out, '--case', copy])
    expect(sealed.code, sealed.stderr).toBe(3)
    expect(sealed.stderr).toContain(`the kept receipt ${relative}, which event`)
    expect(sealed.stderr).toContain('nothing was sealed')
    expect(readdirSync(work.path).filter((f) => f.startsWith(`hq-forged-${i}.zip`))).toEqual([])
  }, 60_000)
})

describe("a kept receipt's signature forged", () => {
  it('changed (still 64 bytes): refused by verify with the passphrase and by HQ\'s seal, which would have put it in the archive; removed: refused by verify with no key, naming the .sig', async () => {
    writeFileSync(at('passphrase.txt'), `${PASSPHRASE}\n`, {mode: 0o600})
    const flippedCopy = copyCase(hq, at('hq-sig-flipped'))
    const [first] = await keptReceipts(flippedCopy, 'transfer-received')
    const signature = readFileSync(`${first!.file}.sig`)
    signature[10]! ^= 1
    writeFileSync(`${first!.file}.sig`, signature)
    const keyed = await custodyJson<Verified>(['verify', '--case', flippedCopy, '--passphrase-file', at('passphrase.txt')], {env: {CUSTODY_PASSPHRASE: undefined}})
    expect(keyed.code).toBe(3)
    expect(keyed.json.problems).toContainEqual(expect.objectContaining({check: 'transfer', subject: first!.relative, message: expect.stringContaining('is not signed as a receipt must be')}))
    const sealed = await custody(['seal', 'HQ-000001', '--out', at('hq-sig-flipped.zip'), '--case', flippedCopy])
    expect(sealed.code, sealed.stderr).toBe(3)
    expect(sealed.stderr).toContain('is not signed as a receipt must be')
    expect(readdirSync(work.path).filter((f) => f.startsWith('hq-sig-flipped.zip'))).toEqual([])

    const removedCopy = copyCase(hq, at('hq-sig-removed'))
    const [kept] = await keptReceipts(removedCopy, 'transfer-received')
    execFileSync('rm', [`${kept!.file}.sig`])
    const keyless = await custodyJson<Verified>(['verify', '--case', removedCopy], {env: {CUSTODY_PASSPHRASE: undefined}})
    expect(keyless.code).toBe(3)
    expect(keyless.json.problems).toContainEqual(expect.objectContaining({check: 'transfer', subject: `${kept!.relative}.sig`, message: expect.stringContaining('is missing')}))
  }, 120_000)
})

describe('a second, different receipt for a transfer already acknowledged', () => {
  it('is refused (exit 3): the kept receipt the first event and a purge stand on stays as it was, and nothing is recorded', async () => {
    // HQ's case as it was before the second package, restored with a state folder of its own,
    // accepts that package again: a receipt for the same transfer, signed by HQ's key, other than the one given.
    const restored = copyCase(at('hq-before-two'), at('hq-restored'))
    const accepted = await custody(['transfer', 'accept', at('two.zip.age'), '--from', at('sender.line'), '--receipt-out', at('two-again.receipt'), '--case', restored], {env: {XDG_STATE_HOME: at('hq-restored-state')}})
    expect(accepted.code, accepted.stderr).toBe(0)
    expect(readFileSync(at('two-again.receipt')).equals(readFileSync(at('two.zip.age.receipt')))).toBe(false)

    const copy = copyCase(sender, at('sender-second-receipt'))
    const [, kept] = await keptReceipts(copy, 'transfer-acknowledged')
    const before = {file: readFileSync(kept!.file), events: await eventCount(copy)}
    const second = await custody(['transfer', 'receipt', at('two-again.receipt'), '--case', copy])
    expect(second.code).toBe(3)
    expect(second.stderr).toContain(`is a second receipt for ${kept!.transferId}, other than the one recorded`)
    expect(second.stderr).toContain('nothing was recorded')
    expect(readFileSync(kept!.file).equals(before.file)).toBe(true)
    expect(await eventCount(copy)).toBe(before.events)
    const verified = await custodyJson<Verified>(['verify', '--case', copy])
    expect(verified.code, JSON.stringify(verified.json.problems)).toBe(0)
    // The one recorded, given again, still says so and changes nothing.
    const again = await custody(['transfer', 'receipt', at('two.zip.age.receipt'), '--case', copy])
    expect(again.code, again.stderr).toBe(0)
    expect(await eventCount(copy)).toBe(before.events)
  }, 120_000)
})
