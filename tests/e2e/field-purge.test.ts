/**
 * `custody transfer purge` on a field laptop with no key (docs/design/transfers.md, "Purge on a
 * field laptop"): a field case (`init --field`, encrypted to HQ) sends two photos and a testimony
 * in a field package, HQ accepts, the field side records HQ's receipt and purges, all with the
 * field passphrase alone, which opens no event body. What stays (an exhibit never sent) stays;
 * `verify` with no key holds each purge to its receipt by the envelopes' public facts, and with
 * HQ's identity by the sealed bodies. Then what must be refused or said: the kept receipt changed
 * before a purge (exit 3, nothing recorded, nothing removed), another receiver named (nothing to
 * purge), the kept receipt gone after a purge (verify fails with no key, naming it), and a purge
 * killed by SIGKILL at its first unlink (verify warns; a run again with no key finishes it).
 */
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, caseEnv, copyCase, custody, custodyJson, loggedEvents, SAMPLES, tempDir} from '../helpers/cli.js'
import {ageWithPassphrase, listFiles} from '../helpers/field-forge.js'
import {schemaErrors} from '../helpers/json-schemas.js'
import {editRowsInPlace, forgeFirstKey, rechainLedger} from '../helpers/rechain.js'
import {checker} from '../helpers/tools.js'
import {eventCount, ingestSamples, initCase, writeIdentityLine, type CaseVerifyJson, type PurgeJson} from '../helpers/transfers.js'

const AGE = checker('age')
const work = tempDir('custody-field-purge-')
afterAll(() => work.remove())

const at = (name: string): string => join(work.path, name)
const [field, hq] = [at('field'), at('hq')]
const hqKey = at('hq.key')



/** A purge with the field passphrase alone (no --identity), for HQ's receipts, as JSON. */
async function purge(dir: string, ...more: string[]): Promise<ReturnType<typeof custodyJson<PurgeJson>>> {
  const result = await custodyJson<PurgeJson>(['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--case', dir, ...more])
  if (result.code === 0) expect(schemaErrors('transfer-purge.schema.json', result.json)).toEqual([])
  return result
}

async function verify(dir: string, ...keys: string[]): Promise<ReturnType<typeof custodyJson<CaseVerifyJson>>> {
  return custodyJson<CaseVerifyJson>(['verify', '--case', dir, ...keys])
}

const detailOf = (report: CaseVerifyJson, name: string): string => report.checks.find((c) => c.name === name)?.detail ?? ''
/** The vault's age files, from the case's data folder. */
const vaultFiles = (dir: string): string[] => listFiles(join(dir, '.custody', 'vault', 'objects'), join(dir, '.custody')).sort()
/** The receipt the field case keeps for HQ (its age file), from the case's folder. */
const keptReceipt = (dir: string): string => {
  const folder = join(dir, '.custody', 'custodians')
  const [hqCase] = readdirSync(folder)
  const [file] = readdirSync(join(folder, hqCase!)).filter((f) => f.endsWith('.receipt'))
  return join(folder, hqCase!, file!)
}

let sent: string[] = []
let unsent: string[] = []

beforeAll(async () => {
  if (AGE === undefined) return
  await initCase(hq, 'Crimea (HQ)', 'Olena Kovalenko', '--organisation', 'IPHR', '--role', 'hq')
  const line = readFileSync(await writeIdentityLine(hq, at('hq.line')), 'utf8').trim()
  const {age: recipient} = JSON.parse(Buffer.from(line.split(' ')[1]!, 'base64url').toString('utf8')) as {age: string}
  ageWithPassphrase(AGE, join(hq, '.custody', 'keys', 'case-identity.age'), hqKey)
  await initCase(field, 'Crimea (field)', 'Mykola', '--field', '--recipient', recipient)
  await writeIdentityLine(field, at('field.line'))
  await ingestSamples(field, 'Canon.jpg', 'Casio.jpg')
  writeFileSync(at('statement.txt'), 'I saw the detention at the checkpoint on 5 March.\n')
  const testimony = await custody([
    ...['testimony', 'add', '--witness', 'W-001', '--interviewed-at', '2024-03-05T10:00+02:00', '--place', 'Kherson', '--interviewer', 'Mykola'],
    ...['--consent', 'court', '--consent-method', 'signed-form', '--statement-file', at('statement.txt'), '--case', field],
  ])
  expect(testimony.code, testimony.stderr).toBe(0)
  const before = vaultFiles(field)
  const made = await custody(['transfer', 'export', '--to', at('hq.line'), '--out', at('p1.zip.age'), '--case', field])
  expect(made.code, made.stderr).toBe(0)
  const accepted = await custody(['transfer', 'accept', at('p1.zip.age'), '--from', at('field.line'), '--case', hq])
  expect(accepted.code, accepted.stderr).toBe(0)
  const recorded = await custody(['transfer', 'receipt', at('p1.zip.age.receipt'), '--case', field])
  expect(recorded.code, recorded.stderr).toBe(0)
  sent = before
  // Taken in after the hand-over: HQ has not acknowledged it, and it stays.
  await ingestSamples(field, 'FLIR.jpg')
  unsent = vaultFiles(field).filter((f) => !sent.includes(f))
  expect(unsent).toHaveLength(2)
  for (const copy of ['changed', 'changed-pristine', 'killed']) copyCase(field, at(copy))
}, 180_000)

describe.skipIf(AGE === undefined)('custody transfer purge in a field case, with no key', () => {
  it('lists, then purges what HQ acknowledged (the testimony too); the rest stays; verify holds each purge to its receipt with no key and with HQ\'s', async () => {
    const listed = await purge(field, '--dry-run')
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.json).toMatchObject({dryRun: true, nothingAcknowledged: false, removed: 0})
    expect(listed.json.purged.map((p) => p.exhibit)).toEqual(['EX-000001', 'EX-000002', 'EX-000003'])
    expect(listed.json.purged.flatMap((p) => p.objects.map((o) => o.sha256))).toEqual(Array(6).fill(null))
    expect(listed.json.purged.flatMap((p) => p.objects.map((o) => o.vault)).sort()).toEqual(sent)
    expect(vaultFiles(field)).toEqual([...sent, ...unsent].sort())

    const events = await eventCount(field)
    const done = await purge(field, '--yes')
    expect(done.code, done.stderr).toBe(0)
    expect(done.json).toMatchObject({dryRun: false, removed: 6})
    expect(await eventCount(field)).toBe(events + 3)
    expect(vaultFiles(field)).toEqual(unsent)

    // The events as HQ reads them: the receiver's line, the receipt in clear, no plaintext digest (the laptop has none).
    const receiptSha = done.json.purged[0]!.receipt.sha256
    expect(receiptSha).toBe(createHash('sha256').update(readFileSync(at('p1.zip.age.receipt'))).digest('hex'))
    const purgedEvents = loggedEvents(field, ['purged'], {identity: hqKey})
    expect(purgedEvents.map((e) => e.exhibit)).toEqual(['EX-000001', 'EX-000002', 'EX-000003'])
    for (const event of purgedEvents) {
      expect(event.payload.by).toBe(readFileSync(at('hq.line'), 'utf8').trim())
      expect(event.payload.receipt.sha256).toBe(receiptSha)
      expect(event.payload.objects.map((o: {sha256: unknown}) => o.sha256)).toEqual([null, null])
    }

    const inClear = await verify(field)
    expect(inClear.code, JSON.stringify(inClear.json.problems)).toBe(0)
    expect(detailOf(inClear.json, 'purges')).toMatch(/^3 exhibits purged, each acknowledged by a receipt the case keeps \(held to it by the envelopes' public facts/)
    const withHq = await verify(field, '--identity', hqKey)
    expect(withHq.code, JSON.stringify(withHq.json.problems)).toBe(0)
    expect(detailOf(withHq.json, 'purges')).toBe('3 exhibits purged, each acknowledged by a receipt the case keeps')

    // Again: nothing left to do, nothing recorded.
    const again = await purge(field, '--yes')
    expect(again.json).toMatchObject({purged: [], finished: [], alreadyPurged: 3, removed: 0})
    expect(await eventCount(field)).toBe(events + 3)
    // HQ's identity line names the receiver; another's acknowledged nothing here.
    const other = await custodyJson<PurgeJson>(['transfer', 'purge', '--acknowledged-by', at('field.line'), '--yes', '--case', field])
    expect(other.code, other.stderr).toBe(0)
    expect(other.json.nothingAcknowledged).toBe(true)
  })

  it('refuses a kept receipt changed since it was recorded: exit 3, nothing recorded, nothing removed', async () => {
    const dir = at('changed')
    appendFileSync(keptReceipt(dir), 'x')
    const events = await eventCount(dir)
    const refused = await purge(dir, '--yes')
    expect(refused.code, refused.stdout).toBe(3)
    expect(refused.stdout + refused.stderr).toMatch(/the receipt of TRANSFER-[0-9a-f]{16} \(\.custody\/custodians\/.*\.receipt\), which event \d+ recorded, is not the one recorded \(the age file's SHA-256 is not [0-9a-f]{64}\): nothing was purged/)
    expect(await eventCount(dir)).toBe(events)
    expect(vaultFiles(dir)).toEqual([...sent, ...unsent].sort())
  })

  it('refuses envelopes changed in place to have an exhibit never sent released and acknowledged: exit 3, nothing recorded, nothing removed; re-chained, refused too', async () => {
    for (const [name, forge] of [
      ['in-place', (dir: string) => {
        // What the purge reads with no key, edited where it lies: the release lists EX-000004 (never sent), the receipt's count follows.
        expect(editRowsInPlace(dir, `UPDATE events SET envelope = json_insert(envelope, '$.public.exhibits[#]', 'EX-000004') WHERE json_extract(envelope, '$.public.action') = 'field-transfer-released'`)).toBe(1)
        expect(editRowsInPlace(dir, `UPDATE events SET envelope = json_set(envelope, '$.public.acknowledged', 4) WHERE json_extract(envelope, '$.public.action') = 'transfer-acknowledged'`)).toBe(1)
      }],
      ['rechained', (dir: string) => {
        rechainLedger(dir, (_seq, envelope) => {
          const facts = envelope.public as {action?: string; exhibits?: string[]; acknowledged?: number} | undefined
          if (facts?.action === 'field-transfer-released') facts.exhibits = [...facts.exhibits!, 'EX-000004']
          if (facts?.action === 'transfer-acknowledged') facts.acknowledged = 4
        })
      }],
    ] as const) {
      const dir = copyCase(at('changed-pristine'), at(`forged-${name}`))
      forge(dir)
      const events = await eventCount(dir)
      for (const mode of ['--dry-run', '--yes']) {
        const refused = await purge(dir, mode)
        expect(refused.code, `${name} ${mode}: ${refused.stdout}`).toBe(3)
        expect(refused.stdout + refused.stderr).toMatch(/no longer have the root their last signed checkpoint gives|which its last checkpoint does not sign/)
      }

      expect(await eventCount(dir)).toBe(events)
      expect(vaultFiles(dir)).toEqual([...sent, ...unsent].sort())
    }
  })

  it("refuses a ledger made again under a forger's first key, rotated at its end to the case's own, to release and acknowledge an exhibit never sent: exit 3, nothing removed", async () => {
    const dir = copyCase(at('changed-pristine'), at('forged-first-key'))
    forgeFirstKey(dir, (envelope) => {
      const facts = envelope.public as {action?: string; exhibits?: string[]; items?: number; acknowledged?: number} | undefined
      if (facts?.action === 'field-transfer-released') Object.assign(facts, {exhibits: [...facts.exhibits!, 'EX-000004'], items: 4})
      if (facts?.action === 'transfer-acknowledged') facts.acknowledged = 4
    })
    for (const mode of ['--dry-run', '--yes']) {
      const refused = await purge(dir, mode)
      expect(refused.code, refused.stdout).toBe(3)
      expect(refused.stdout + refused.stderr).toMatch(/the newest checkpoint of .* is signed by SHA256:[0-9a-f]{64}, not by this case's key SHA256:[0-9a-f]{64}, which the passphrase opened/)
    }

    expect(vaultFiles(dir)).toEqual([...sent, ...unsent].sort())
  })

  it("after `key rotate` the ledger ends with the new key's checkpoint, and the purge goes on; one an earlier custody left (the old key's last) is refused, saying what to do", async () => {
    const dir = copyCase(at('changed-pristine'), at('rotated'))
    const rotated = await custody(['key', 'rotate', '--reason', 'the laptop was out of sight at a checkpoint', '--case', dir])
    expect(rotated.code, rotated.stderr).toBe(0)
    const listed = await purge(dir, '--dry-run')
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.json.purged.map((p) => p.exhibit)).toEqual(['EX-000001', 'EX-000002', 'EX-000003'])
    // As an earlier custody left it: the rotation signed by the old key, nothing after.
    const db = new Database(join(dir, '.custody', 'ledger.sqlite'))
    const triggers = db.prepare<[], {name: string; sql: string}>("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'checkpoints'").all()
    for (const t of triggers) db.exec(`DROP TRIGGER ${t.name}`)
    expect(db.prepare('DELETE FROM checkpoints WHERE seq = (SELECT max(seq) FROM checkpoints)').run().changes).toBe(1)
    for (const t of triggers) db.exec(t.sql)
    db.close()
    const refused = await purge(dir, '--dry-run')
    expect(refused.code, refused.stdout).toBe(3)
    expect(refused.stdout + refused.stderr).toMatch(/a key rotation recorded by an earlier custody, or one someone wrote into the ledger; nothing was done.*If you rotated the key yourself, a command that records an event \(`custody config set`, for one\), run on the account where you rotated it, signs the head with this key/)
    // A copy on an account with no record of the case: nothing there vouches for the rotation, and
    // an append would sign onward from the old key's checkpoint with the new key. Refused.
    const elsewhere = copyCase(dir, at('rotated-elsewhere'))
    const events = await eventCount(elsewhere)
    const appended = await custody(['config', 'set', 'tsa', 'http://127.0.0.1:9/tsa', '--case', elsewhere])
    expect(appended.code, appended.stderr).toBe(3)
    expect(appended.stderr).toMatch(/is signed by SHA256:[0-9a-f]{64}, the key this case's key SHA256:[0-9a-f]{64} replaced, and nothing on this account vouches for that rotation.*nothing was done.*If you rotated the key yourself on another account, record an event there first/s)
    expect(await eventCount(elsewhere)).toBe(events)
    // On the account that rotated it, its record of the case vouches for the rotation: the append
    // signs the head with the new key, and the purge goes on.
    const recorded = await custody(['config', 'set', 'tsa', 'http://127.0.0.1:9/tsa', '--case', dir])
    expect(recorded.code, recorded.stderr).toBe(0)
    const after = await purge(dir, '--dry-run')
    expect(after.code, after.stderr).toBe(0)
    expect(after.json.purged.map((p) => p.exhibit)).toEqual(['EX-000001', 'EX-000002', 'EX-000003'])
  })

  it("refuses to append to a ledger made again under a forger's first key, rotated at its end to the case's own: the real key would sign the forger's history (exit 3, nothing added)", async () => {
    const dir = copyCase(at('changed-pristine'), at('forged-then-appended'))
    forgeFirstKey(dir, () => {})
    const events = await eventCount(dir)
    const ingested = await custody(['ingest', join(SAMPLES, 'Writer.jpg'), '--case', dir])
    expect(ingested.code, ingested.stderr + ingested.stdout).toBe(3)
    expect(ingested.stderr).toMatch(/is signed by SHA256:[0-9a-f]{64}, the key this case's key SHA256:[0-9a-f]{64} replaced, and nothing on this account vouches for that rotation/)
    expect(await eventCount(dir)).toBe(events)
  })

  it('a kept receipt gone after the purge: verify with no key fails, naming it', async () => {
    const dir = copyCase(field, at('receipt-gone'))
    rmSync(keptReceipt(dir))
    const verified = await verify(dir)
    expect(verified.code).toBe(3)
    const purges = verified.json.problems.filter((p) => p.kind === 'purge')
    expect(purges.map((p) => p.subject)).toEqual(['EX-000001', 'EX-000002', 'EX-000003'])
    expect(purges[0]!.message).toMatch(/purged \(event \d+\), but the receipt it stands on, \.custody\/custodians\/.*\.receipt, is missing/)
  })

  it('killed at its first unlink, after recording: verify warns, and a run again with no key finishes it', async () => {
    const dir = at('killed')
    const first = join(dir, '.custody', sent[0]!)
    const args = ['-f', '-qq', '-o', '/dev/null', '-P', first, '-e', 'trace=unlink,unlinkat', '-e', 'inject=unlink,unlinkat:signal=SIGKILL', process.execPath, BIN, 'transfer', 'purge', '--acknowledged-by', at('hq.line'), '--yes', '--case', dir]
    const events = await eventCount(dir)
    const strace = spawn('strace', args, {stdio: 'ignore', env: caseEnv(dir)})
    expect(await new Promise((resolve) => strace.on('close', (code, signal) => resolve(signal ?? code)))).toBe('SIGKILL')
    expect(await eventCount(dir)).toBe(events + 3)
    expect(existsSync(first)).toBe(true)
    const verified = await verify(dir)
    expect(verified.code, JSON.stringify(verified.json.problems)).toBe(0)
    expect(verified.json.warnings.join('\n')).toMatch(/is recorded as purged, but its .* is still in the vault \(a purge was interrupted\): run `custody transfer purge` again/)
    const rerun = await purge(dir, '--yes')
    expect(rerun.code, rerun.stderr).toBe(0)
    expect(rerun.json.purged).toEqual([])
    expect(rerun.json.finished.length).toBeGreaterThan(0)
    expect(await eventCount(dir)).toBe(events + 3)
    expect(vaultFiles(dir)).toEqual(unsent)
    expect((await verify(dir)).json.warnings.join('\n')).not.toMatch(/still in the vault/)
  })
})
