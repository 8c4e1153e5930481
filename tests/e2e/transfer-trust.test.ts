/**
 * `custody transfer trust` and `transfer accept` without --from (issue 20, docs/design/transfers.md
 * "Accept (HQ side)"): three real cases (two field teams and HQ) in temporary folders, the built
 * CLI. HQ puts field A on its list in the ledger and accepts A's packages without --from; field B,
 * not on it, is refused; a rotation of A's key is followed, as the package proves it (the old key
 * signed the checkpoint over the rotation), and A's new line, trusted, replaces the old one; B's
 * package proving its own rotation is still refused; a case revoked is refused again. The list's
 * events are in `custody log`, and HQ's case verifies. The forgeries of a rotation's proof (a
 * rotation the known key never signed) are in tests/unit/transfer-rotations.test.ts; one made in a
 * real field ledger with sqlite3 is tests/e2e/transfer-forged-rotation.test.ts.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custody, custodyJson, tempDir} from '../helpers/cli.js'
import {acceptPackage, eventCount, exportPackage, ingestSamples, initCase, refusedAccept, writeIdentityLine} from '../helpers/transfers.js'

const work = tempDir('custody-transfer-trust-')
afterAll(() => work.remove())

const at = (name: string): string => join(work.path, name)
const [fieldA, fieldB, hq] = [at('field-a'), at('field-b'), at('hq')]

interface Sender {
  case: string
  fingerprint: string
  identity: string
  seq: number
}

interface Trust {
  change: string
  recorded: boolean
  sender: {case: string; fingerprint: string} | null
  replaces: string | null
  seq: number | null
  senders: Sender[]
}

/** The case's identity line, written to `file`; its path. */
const line = (dir: string, file: string): Promise<string> => writeIdentityLine(dir, at(file))
const exportTo = (dir: string, out: string): Promise<string> => exportPackage(dir, at('hq.line'), at(out))

async function trust(...args: string[]): Promise<Trust> {
  const result = await custodyJson<Trust>(['transfer', 'trust', ...args, '--case', hq])
  expect(result.code, result.stderr).toBe(0)
  return result.json
}

const events = (): Promise<number> => eventCount(hq)
/** A refusal of accept: exit 3, the message matching, HQ's ledger unchanged and no receipt written. */
const refused = (pkg: string, message: RegExp, ...from: string[]): Promise<void> => refusedAccept(hq, pkg, from, message)
const accepted = (pkg: string, ...from: string[]): Promise<{accepted: boolean; from: {fingerprint: string}}> => acceptPackage(hq, pkg, from)

let fingerprintA = ''

beforeAll(async () => {
  await initCase(fieldA, 'Trust', 'Iryna Melnyk')
  await initCase(fieldB, 'Trust', 'Taras Bondar')
  await initCase(hq, 'Trust', 'Olena Kovalenko', '--role', 'hq')
  await line(hq, 'hq.line')
  await line(fieldA, 'field-a.line')
  await line(fieldB, 'field-b.line')
  fingerprintA = (await custodyJson<{fingerprint: string}>(['key', 'show', '--public', '--case', fieldA])).json.fingerprint
  await ingestSamples(fieldA, 'Canon.jpg')
  await ingestSamples(fieldB, 'Nikon.jpg')
}, 120_000)

describe('custody transfer trust', () => {
  it('refuses accept with neither --from nor a sender on the list, naming both (exit 2)', async () => {
    const pkg = await exportTo(fieldA, 'a0.zip.age')
    const result = await custody(['transfer', 'accept', pkg, '--case', hq])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/no sender is accepted: give --from IDENTITY .*`custody transfer trust IDENTITY`/)
    expect((await trust('--list')).senders).toEqual([])
  })

  it('records a sender once, refuses the case itself and what is no identity', async () => {
    const first = await trust(at('field-a.line'))
    expect(first).toMatchObject({change: 'trusted', recorded: true, replaces: null, sender: {fingerprint: fingerprintA}})
    expect(first.senders).toEqual([expect.objectContaining({fingerprint: fingerprintA, identity: readFileSync(at('field-a.line'), 'utf8').trim(), seq: first.seq})])
    const before = await events()
    // The line itself, not the file: the same identity, so nothing is recorded.
    const again = await custody(['transfer', 'trust', readFileSync(at('field-a.line'), 'utf8').trim(), '--case', hq])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/Iryna Melnyk, key SHA256:[0-9a-f]{64} is already trusted \(ledger event #\d+\)\. Nothing was recorded\./)
    const own = await custody(['transfer', 'trust', at('hq.line'), '--case', hq])
    expect(own.code).toBe(2)
    expect(own.stderr).toMatch(/the identity to trust is this case's own/)
    writeFileSync(at('not-a-line'), 'custody-custodian1 bm90IGpzb24\n')
    const garbage = await custody(['transfer', 'trust', at('not-a-line'), '--case', hq])
    expect(garbage.code).toBe(2)
    expect(garbage.stderr).toMatch(/is not a custodian identity/)
    expect(await events()).toBe(before)
  })

  it("accepts a trusted sender's package without --from, and refuses an untrusted one (exit 3)", async () => {
    expect((await accepted(at('a0.zip.age'))).accepted).toBe(true)
    const b1 = await exportTo(fieldB, 'b1.zip.age')
    await refused(b1, /b1\.zip\.age was released by Taras Bondar, key SHA256:[0-9a-f]{64}, who is neither among --from nor on the trust list \(Iryna Melnyk/)
    // --from adds to the list: B given, A still trusted.
    expect((await accepted(b1, at('field-b.line'))).accepted).toBe(true)
  })

  it("follows a rotation of a trusted sender's key, which the package proves; its new line, trusted, replaces the old one", async () => {
    const rotated = await custody(['key', 'rotate', '--reason', 'the laptop was out of her hands', '--case', fieldA])
    expect(rotated.code, rotated.stderr).toBe(0)
    await ingestSamples(fieldA, 'Casio.jpg')
    const a1 = await exportTo(fieldA, 'a1.zip.age')
    const fingerprintNew = (await custodyJson<{fingerprint: string}>(['key', 'show', '--public', '--case', fieldA])).json.fingerprint
    expect(fingerprintNew).not.toBe(fingerprintA)
    // HQ knows A by its old key only (the list): the package proves the rotation, signed by the old key.
    const result = await custody(['transfer', 'accept', a1, '--case', hq])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`sender's key   rotated from ${fingerprintA}\n                 to ${fingerprintNew} (its ledger's event #`)
    const log = await custodyJson<{events: Array<{action: string; payload: {transferId?: string}}>}>(['log', '--case', hq])
    expect(log.json.events.filter((e) => e.action === 'transfer-received')).toHaveLength(3)

    // The new line trusted: it replaces the old one, and the next package needs no rotation followed.
    const replaced = await trust(await line(fieldA, 'field-a-rotated.line'))
    expect(replaced).toMatchObject({change: 'replaced', recorded: true, replaces: fingerprintA, sender: {fingerprint: fingerprintNew}})
    expect(replaced.senders.map((s) => s.fingerprint)).toEqual([fingerprintNew])
    await ingestSamples(fieldA, 'Nikon.jpg')
    const next = await custodyJson<{accepted: boolean; rotation?: unknown; from: {fingerprint: string}}>(['transfer', 'accept', await exportTo(fieldA, 'a2.zip.age'), '--case', hq])
    expect(next.code, next.stderr).toBe(0)
    expect(next.json.rotation).toBeUndefined()
    expect(next.json.from.fingerprint).toBe(fingerprintNew)
  })

  it('refuses a package of another case that proves a rotation of its own (a key HQ does not trust), exit 3', async () => {
    // Field B rotates too; HQ trusts A only (B was given once with --from, not put on the list).
    expect((await custody(['key', 'rotate', '--reason', 'replaced laptop', '--case', fieldB])).code).toBe(0)
    await ingestSamples(fieldB, 'Canon.jpg')
    await refused(await exportTo(fieldB, 'b2.zip.age'), /b2\.zip\.age was released by Taras Bondar, key SHA256:[0-9a-f]{64}, who is neither among --from nor on the trust list \(Iryna Melnyk/)
    // Given B's line from before its rotation, the rotation is followed: it is B's own, signed by B's old key.
    expect((await accepted(at('b2.zip.age'), at('field-b.line'))).accepted).toBe(true)
  })

  it('refuses a package from a case taken off the list, which is said once and then is not on it', async () => {
    await ingestSamples(fieldA, 'GPS.jpg')
    const a2 = await exportTo(fieldA, 'a3.zip.age')
    // Revoked by its old line: the case is who is trusted, whichever key is listed.
    const revoked = await trust('--revoke', at('field-a.line'))
    expect(revoked).toMatchObject({change: 'revoked', recorded: true, senders: []})
    // The key taken off is the one listed (the new one), not the old line's given.
    expect(revoked.replaces).toMatch(/^SHA256:/)
    expect(revoked.replaces).not.toBe(fingerprintA)
    const again = await trust('--revoke', at('field-a.line'))
    expect(again).toMatchObject({change: 'not-trusted', recorded: false, seq: null})
    // The list empty: accept asks for --from (exit 2). With B on it, A's package is refused (exit 3).
    expect((await custody(['transfer', 'accept', a2, '--case', hq])).code).toBe(2)
    expect((await trust(at('field-b.line'))).change).toBe('trusted')
    await refused(a2, /a3\.zip\.age was released by Iryna Melnyk, key SHA256:[0-9a-f]{64}, who is neither among --from nor on the trust list \(Taras Bondar/)
  })

  it("records the list's changes in HQ's ledger, shown by custody log; HQ's case verifies", async () => {
    const log = await custodyJson<{events: Array<{seq: number; action: string; payload: {custodian?: string; fingerprint?: string; replaces?: string | null}}>}>(['log', '--case', hq])
    const changes = log.json.events.filter((e) => e.action.startsWith('custodian-'))
    expect(changes.map((e) => e.action)).toEqual(['custodian-trusted', 'custodian-trusted', 'custodian-distrusted', 'custodian-trusted'])
    expect(changes[0]!.payload).toEqual({custodian: readFileSync(at('field-a.line'), 'utf8').trim(), fingerprint: fingerprintA, replaces: null})
    expect(changes[1]!.payload.replaces).toBe(fingerprintA)
    const text = await custody(['log', '--case', hq])
    expect(text.stdout).toMatch(/custodian-trusted +Olena Kovalenko +packages from Iryna Melnyk, key SHA256:[0-9a-f]{64} accepted from now on\n/)
    expect(text.stdout).toMatch(/custodian-distrusted +Olena Kovalenko +packages from Iryna Melnyk, key SHA256:[0-9a-f]{64} no longer accepted/)
    const verified = await custody(['verify', '--case', hq])
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)
  })
})
