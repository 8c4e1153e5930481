/**
 * A package delivered after a newer one of the same sender (docs/design/transfers.md, "A package
 * delivered late"): two sticks, two couriers, the second one faster. HQ accepts the newer package,
 * which proves its sender's ledger made the older one (a seal's earlier seals; a field package's
 * release events at heads its carried checkpoints sign), and records that (`earlier` of
 * transfer-received). The older package then arrives and is accepted: its head is shorter than one
 * seen, but it is exactly a package proven. What the adversary makes from a copy of the sender's
 * case taken before the older hand-over (the same head, another package) is still refused as a
 * rollback: no accepted package proves it. Both kinds of sender: a keyed case (sealed packages)
 * and a field case (field packages). A field sender that records a release at a head none of its
 * checkpoints signs (to have a fork of its own taken later as a package delivered late) has that
 * release not recorded as proven. A late package signed by a key its sender has since rotated
 * away from is taken (HQ given the new line only); the old key signing anything else is not. A
 * copy exporting here under the ID and head of a seal its sender released to another HQ is refused
 * for its bytes. HQ's seal of it all, late packages included, is checked by
 * custody verify, the bag's verify-bag.py and bagit.py. The built CLI on real cases in temporary folders.
 */
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Case} from '../../src/case/case.js'
import {itemOf} from '../../src/transfers/field-export.js'
import {copyCase, custody, custodyJson, PASSPHRASE, tempDir} from '../helpers/cli.js'
import {sealedAndUnzipped} from '../helpers/bag.js'
import {schemaErrors} from '../helpers/json-schemas.js'
import {checker} from '../helpers/tools.js'
import {acceptPackage, eventCount, ingestSamples, initCase, refusedAccept, writeIdentityLine} from '../helpers/transfers.js'

const work = tempDir('custody-late-package-')
afterAll(() => work.remove())

const at = (name: string): string => join(work.path, name)
const [keyed, keyedCopy, field, fieldCopy, hq] = [at('keyed'), at('keyed-copy'), at('field'), at('field-copy'), at('hq')]
/** Second copies of the senders, before their first hand-over: for a package made again under the older one's ID. */
const [keyedCopy2, fieldCopy2] = [at('keyed-copy-2'), at('field-copy-2')]
/** Senders that rotate their key between two hand-overs, and the adversary's copies of them holding the old key. */
const [keyedRotating, keyedRotatingCopy, fieldRotating, fieldRotatingCopy] = [at('keyed-r'), at('keyed-r-copy'), at('field-r'), at('field-r-copy')]

interface Accepted {
  accepted: boolean
  transferId: string
  sealId: string | null
  treeHead: {size: number; root: string}
  items: Array<{exhibit: string; receivedAs?: string}>
}

interface Received {
  action: string
  payload: {transferId: string; treeHead: {size: number; root: string}; earlier?: Array<{id: string; size: number; root: string}>}
}

/** A package of what `dir` has not released to HQ (with `more` flags), at `out`: its transfer and seal IDs. */
async function exportTo(dir: string, out: string, ...more: string[]): Promise<{file: string; transferId: string; sealId: string | null; treeHead: {size: number; root: string} | undefined}> {
  const made = await custodyJson<{transferId: string; sealId?: string; treeHead?: {size: number; root: string}}>(['transfer', 'export', '--to', at('hq.line'), '--out', at(out), ...more, '--case', dir])
  expect(made.code, made.stderr).toBe(0)
  return {file: at(out), transferId: made.json.transferId, sealId: made.json.sealId ?? null, treeHead: made.json.treeHead}
}

/** HQ's transfer-received events, in order. */
async function received(): Promise<Received[]> {
  const log = await custodyJson<{events: Received[]}>(['log', '--case', hq])
  expect(log.code, log.stderr).toBe(0)
  return log.json.events.filter((e) => e.action === 'transfer-received')
}

beforeAll(async () => {
  await initCase(hq, 'Crimea (HQ)', 'Olena Kovalenko', '--organisation', 'IPHR', '--role', 'hq')
  const line = readFileSync(await writeIdentityLine(hq, at('hq.line')), 'utf8').trim()
  const hqRecipient = (JSON.parse(Buffer.from(line.split(' ')[1]!, 'base64url').toString('utf8')) as {age: string}).age
  await initCase(keyed, 'Crimea (keyed)', 'Iryna Melnyk', '--organisation', 'Kherson field team')
  await writeIdentityLine(keyed, at('keyed.line'))
  await initCase(field, 'Crimea (field)', 'Mykola', '--field', '--recipient', hqRecipient)
  await writeIdentityLine(field, at('field.line'))
  await initCase(keyedRotating, 'Crimea (keyed, rotating)', 'Petro Bondar', '--organisation', 'Kherson field team')
  await initCase(fieldRotating, 'Crimea (field, rotating)', 'Halyna', '--field', '--recipient', hqRecipient)
  await ingestSamples(keyed, 'Canon.jpg')
  await ingestSamples(field, 'Canon.jpg')
  await ingestSamples(keyedRotating, 'Canon.jpg')
  await ingestSamples(fieldRotating, 'Canon.jpg')
  // The adversary's copies of each sender, as they were before their first hand-over.
  copyCase(keyed, keyedCopy)
  copyCase(field, fieldCopy)
  copyCase(keyed, keyedCopy2)
  copyCase(field, fieldCopy2)
}, 120_000)

describe.each([
  {kind: 'sealed', sender: keyed, copy: keyedCopy, copy2: keyedCopy2, line: 'keyed.line', idOf: (p: {transferId: string; sealId: string | null}) => p.sealId!},
  {kind: 'field', sender: field, copy: fieldCopy, copy2: fieldCopy2, line: 'field.line', idOf: (p: {transferId: string; sealId: string | null}) => p.transferId},
])('a $kind package delivered after a newer one', ({kind, sender, copy, copy2, line, idOf}) => {
  let older: {file: string; transferId: string; sealId: string | null}
  let newer: {file: string; transferId: string; sealId: string | null}
  let lateHead: {size: number; root: string}
  let releasedAt: string
  let madeAgain: {file: string; transferId: string; sealId: string | null}

  it('records, with the newer package, the older one its ledger proves', async () => {
    releasedAt = new Date().toISOString()
    older = await exportTo(sender, `${kind}-1.zip.age`, '--sealed-at', releasedAt)
    await ingestSamples(sender, 'Casio.jpg')
    // By default a package carries what was never released to its receiver: the second holds only the new exhibit.
    newer = await exportTo(sender, `${kind}-2.zip.age`)
    const first = await acceptPackage<Accepted>(hq, newer.file, [at(line)])
    expect(first.items.map((i) => i.exhibit)).toEqual(['EX-000002'])
    expect(first).not.toHaveProperty('late')
    const recorded = (await received()).at(-1)!
    expect(recorded.payload.transferId).toBe(newer.transferId)
    expect(recorded.payload.earlier).toContainEqual(expect.objectContaining({id: idOf(older)}))
    for (const e of recorded.payload.earlier!) expect(e.size).toBeLessThan(first.treeHead.size)
  })

  it('accepts the older package delivered after it: the exhibit it alone holds reaches HQ, and the report says why', async () => {
    // First, the older package made again from a copy, at its release time: its ID and head, another purpose (other bytes).
    madeAgain = await exportTo(copy2, `${kind}-again.zip.age`, '--sealed-at', releasedAt, '--purpose', 'made again')
    expect(idOf(madeAgain)).toBe(idOf(older))
    expect(madeAgain.transferId).toBe(older.transferId)
    await refusedAccept(hq, madeAgain.file, [at(line)], new RegExp(`${kind}-again\\.zip\\.age has the ID \\(${idOf(older)}\\) and head \\(\\d+ events, root [0-9a-f]{64}\\) of a package its sender made earlier, as a package accepted here proves, but not its bytes`))
    const text = await custody(['transfer', 'accept', older.file, '--from', at(line), '--case', hq])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(new RegExp(`^Accepted 1 exhibit from .*\\n(.*\\n)*  sender's head  \\d+ events, root [0-9a-f]{64}: an older package, delivered after a newer one; ${newer.transferId}, accepted before, proves its sender's ledger made this one at this head\\n`))
    // The same package again changes nothing, and says the same of it.
    const before = await eventCount(hq)
    const again = await custodyJson<Accepted & {late?: {provenBy: string}}>(['transfer', 'accept', older.file, '--from', at(line), '--case', hq])
    expect(again.code, again.stderr).toBe(0)
    expect(schemaErrors('transfer-accept.schema.json', again.json)).toEqual([])
    expect(again.json).toMatchObject({accepted: false, transferId: older.transferId, late: {provenBy: newer.transferId}})
    expect(await eventCount(hq)).toBe(before)
    const late = again.json
    expect(late.items.map((i) => i.exhibit)).toEqual(['EX-000001'])
    lateHead = late.treeHead
    const events = await received()
    const proven = events.find((e) => e.payload.transferId === newer.transferId)!.payload.earlier!
    expect(proven).toContainEqual(expect.objectContaining({id: idOf(older), ...late.treeHead}))
    // It proves nothing HQ had not seen: its record adds no earlier package.
    expect(events.at(-1)!.payload).not.toHaveProperty('earlier')
    expect((await custody(['verify', '--case', hq])).code).toBe(0)
  })

  it("lets the sender record HQ's receipts in the order they come back, the newer one first", async () => {
    for (const [pkg, exhibit] of [[newer.file, 'EX-000002'], [older.file, 'EX-000001']] as const) {
      const recorded = await custodyJson<{recorded: boolean; acknowledged: string[]}>(['transfer', 'receipt', `${pkg}.receipt`, '--case', sender])
      expect(recorded.code, recorded.stderr).toBe(0)
      expect(recorded.json).toMatchObject({recorded: true, acknowledged: [exhibit]})
    }
  })

  it('still refuses a package made from a copy of the sender rolled back to before the older one: the same head, a package no accepted one proves', async () => {
    const forged = await exportTo(copy, `${kind}-forged.zip.age`)
    expect(idOf(forged)).not.toBe(idOf(older))
    await refusedAccept(hq, forged.file, [at(line)], new RegExp(`ledger was rolled back: this package's head \\(${lateHead.size} events, root ${lateHead.root}\\) is shorter than one already accepted`))
    // The package made again under the older one's transfer, now that the genuine one is accepted: one transfer, two packages.
    await refusedAccept(hq, madeAgain.file, [at(line)], new RegExp(`${kind}-again\\.zip\\.age is a package of ${older.transferId}, which this case accepted as another package \\(SHA-256 [0-9a-f]{64}, ledger event #\\d+\\), not this one`))
    // A copy grown on past the older head: another history, refused as before.
    await ingestSamples(copy, 'Nikon.jpg', 'Sony.jpg', 'Ricoh2.jpg')
    await refusedAccept(hq, (await exportTo(copy, `${kind}-forked.zip.age`, '--again')).file, [at(line)], /ledger was (rolled back|rewritten after an earlier hand-over)/)
  })
})

describe("a field package's releases", () => {
  it('are recorded as proven only at a head a checkpoint it carries signs: a release the sender wrote of a head of its own making is not', async () => {
    await ingestSamples(field, 'Nikon.jpg')
    const third = await exportTo(field, 'field-3.zip.age')
    const treeHead = third.treeHead!
    // The sender records, with its own key, a release of a head at the size of a genuine one with
    // another root: the head of a fork it would send later as a package delivered late.
    const forkRoot = 'e'.repeat(64)
    {
      await using kase = Case.open({root: field, foundBy: 'flag'})
      await kase.unlock(PASSPHRASE, {writeOnly: true})
      const ingest = [...kase.ledger.publicFacts()].find((row) => row.facts.action === 'ingest')!
      const item = itemOf(ingest.exhibit!, ingest.seq, ingest.facts as Record<string, unknown>)!
      kase.ledger.append(() => ({
        drafts: [
          {
            actor: 'Mykola',
            action: 'field-transfer-released',
            exhibit: null,
            payload: {transferId: 'TRANSFER-00000000000000f0', to: readFileSync(at('hq.line'), 'utf8').trim(), releasedAt: '2026-12-07T00:00:00.000Z', package: {name: 'fork.zip.age', sha256: 'f'.repeat(64), size: 1}, purpose: null, treeHead: {size: treeHead.size, root: forkRoot}, acknowledged: null, items: [item]},
          },
        ],
        result: undefined,
      }))
      await kase.recordHead()
    }

    await ingestSamples(field, 'Olympus2.jpg')
    await acceptPackage<Accepted>(hq, (await exportTo(field, 'field-4.zip.age')).file, [at('field.line')])
    const earlier = (await received()).at(-1)!.payload.earlier ?? []
    // The genuine packages made since the last head HQ saw are recorded; the release of the fork's head is not.
    expect(earlier.map((e) => e.id)).toEqual(expect.arrayContaining([third.transferId]))
    expect(earlier.find((e) => e.root === forkRoot)).toBeUndefined()
    expect(earlier.find((e) => e.id === 'TRANSFER-00000000000000f0')).toBeUndefined()
  })
})

describe.each([
  {kind: 'sealed', sender: keyedRotating, copy: keyedRotatingCopy},
  {kind: 'field', sender: fieldRotating, copy: fieldRotatingCopy},
])('a $kind package delivered late, signed by a key its sender has since rotated away from', ({kind, sender, copy}) => {
  it('is accepted on the proof of the newer package, signed by the new key HQ was given; a package the old key signs anew is not', async () => {
    // The adversary's copy of the sender holds the old key (the laptop was seized before the rotation).
    copyCase(sender, copy)
    const releasedAt = new Date().toISOString()
    const older = await exportTo(sender, `${kind}-r1.zip.age`, '--sealed-at', releasedAt)
    const rotated = await custody(['key', 'rotate', '--reason', 'the laptop was out of her hands', '--case', sender])
    expect(rotated.code, rotated.stderr).toBe(0)
    const newLine = await writeIdentityLine(sender, at(`${kind}-r-new.line`))
    await ingestSamples(sender, 'Casio.jpg')
    const newer = await exportTo(sender, `${kind}-r2.zip.age`)
    // Before the newer package proves it, the older one is refused: HQ was given the new line only.
    await refusedAccept(hq, older.file, [newLine], /is signed by SHA256:[0-9a-f]{64} for .*'s case, but --from and the trust list hold SHA256:[0-9a-f]{64} for it/)
    expect((await acceptPackage<Accepted>(hq, newer.file, [newLine])).items.map((i) => i.exhibit)).toEqual(['EX-000002'])

    const late = await custodyJson<Accepted & {late?: {provenBy: string}}>(['transfer', 'accept', older.file, '--from', newLine, '--case', hq])
    expect(late.code, late.stderr).toBe(0)
    expect(late.json).toMatchObject({accepted: true, transferId: older.transferId, late: {provenBy: newer.transferId}})
    expect(late.json.items.map((i) => i.exhibit)).toEqual(['EX-000001'])
    expect(late.json).not.toHaveProperty('rotation')
    expect((await custody(['verify', '--case', hq])).code).toBe(0)
    // The sender records HQ's receipt of the package its old key signed.
    const receipt = await custodyJson<{recorded: boolean; acknowledged: string[]}>(['transfer', 'receipt', `${older.file}.receipt`, '--case', sender])
    expect(receipt.code, receipt.stderr).toBe(0)
    expect(receipt.json).toMatchObject({recorded: true, acknowledged: ['EX-000001']})

    // The old key, in the copy, makes the older package again (its transfer, other bytes): refused.
    const again = await exportTo(copy, `${kind}-r-again.zip.age`, '--sealed-at', releasedAt, '--purpose', 'made again')
    expect(again.transferId).toBe(older.transferId)
    await refusedAccept(hq, again.file, [newLine], /, which this case accepted as another package \(SHA-256 [0-9a-f]{64}, ledger event #\d+\), not this one \([0-9a-f]{64}\): one transfer, two packages/)
    // The old key signs a new package: no accepted package proves it, and HQ trusts the new key only.
    await ingestSamples(copy, 'Nikon.jpg')
    const forged = await exportTo(copy, `${kind}-r-forged.zip.age`)
    await refusedAccept(hq, forged.file, [newLine], /is signed by SHA256:[0-9a-f]{64} for .*'s case, but --from and the trust list hold SHA256:[0-9a-f]{64} for it/)
  })
})

describe('a seal released to another HQ', () => {
  it("is not a package delivered late to this one: a copy of the sender exporting here under that seal's ID and head is refused", async () => {
    // Another HQ case whose investigator has the same name as this one's: a seal ID names the
    // sender's case, head, time and the receiver's name, so a seal to it and a package to this HQ
    // made at the same time and head share it.
    const [other, sender, copy] = [at('hq-other'), at('keyed-other'), at('keyed-other-copy')]
    await initCase(other, 'Crimea (another HQ)', 'Olena Kovalenko', '--role', 'hq')
    await initCase(sender, 'Crimea (keyed, two HQs)', 'Oksana Ivanenko')
    await ingestSamples(sender, 'Canon.jpg')
    copyCase(sender, copy)
    const releasedAt = new Date().toISOString()
    const made = await custodyJson<{sealId: string}>(['transfer', 'export', '--to', await writeIdentityLine(other, at('hq-other.line')), '--out', at('to-other.zip.age'), '--sealed-at', releasedAt, '--case', sender])
    expect(made.code, made.stderr).toBe(0)
    await ingestSamples(sender, 'Casio.jpg')
    const line = await writeIdentityLine(sender, at('keyed-other.line'))
    const here = await exportTo(sender, 'to-here.zip.age')
    await acceptPackage<Accepted>(hq, here.file, [line])
    expect((await received()).at(-1)!.payload.earlier).toContainEqual(expect.objectContaining({id: made.json.sealId}))
    // The copy exports to this HQ at that time: the seal ID and head of the seal to the other HQ, other bytes.
    const forged = await exportTo(copy, 'other-forged.zip.age', '--sealed-at', releasedAt)
    expect(forged.sealId).toBe(made.json.sealId)
    await refusedAccept(hq, forged.file, [line], new RegExp(`has the ID \\(${made.json.sealId}\\) and head \\(\\d+ events, root [0-9a-f]{64}\\) of a package its sender made earlier, as a package accepted here proves, but not its bytes`))
  })
})

describe("HQ's seal of packages delivered late", () => {
  it("carries every hand-over, the late ones too: custody verify, verify-bag.py and bagit.py check it", async () => {
    const {archive, bag, pristine} = await sealedAndUnzipped(hq, work.path, 'court')
    const verified = await custodyJson<{ok: boolean; custodians: Array<{transferId: string}>}>(['verify', archive, '--json'])
    expect(verified.code, verified.stdout).toBe(0)
    const accepted = (await received()).map((e) => e.payload.transferId)
    expect(verified.json.custodians.map((c) => c.transferId).sort()).toEqual([...accepted].sort())
    const script = spawnSync('python3', ['verify-bag.py'], {cwd: join(pristine, bag), encoding: 'utf8'})
    expect(script.status, script.stdout + script.stderr).toBe(0)
    expect(script.stdout).toMatch(new RegExp(`^custodians OK +${accepted.length} hand-overs`, 'm'))
    const bagit = checker('bagit.py')
    if (bagit !== undefined) expect(spawnSync('python3', [bagit, '--validate', join(pristine, bag)]).status).toBe(0)
  })
})
