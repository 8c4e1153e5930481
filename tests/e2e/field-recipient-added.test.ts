/**
 * A recipient added after a field case's first run, on a sealed ledger (schema 4, made through
 * initCase's `sealedBodies`, which `custody init` does not set yet: docs/design/encryption-at-rest.md,
 * step 2, "Left" 4). The field passphrase opens no event: `key add-recipient` takes the recipients
 * from the public facts and leaves their labels to HQ; the runs after it are wrapped to the new
 * recipient, whose identity opens those only. `verify` with it reads the earlier rows' public facts
 * (keys, exhibit numbers, objects as stored) and names the events it could not open; HQ's opens all.
 */
import {createHash} from 'node:crypto'
import {chmodSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generateIdentity, parseRecipient} from '../../src/age/x25519.js'
import {initCase} from '../../src/case/case.js'
import {copyCase, custody, custodyJson, SAMPLES, sqlite, tempDir, PASSPHRASE} from '../helpers/cli.js'
import {schemaErrors} from '../helpers/json-schemas.js'
import {LABEL_SEALED} from '../../src/keys/case-keys.js'

const work = tempDir('custody-field-recipient-')
afterAll(() => work.remove())
const hq = generateIdentity()
const later = generateIdentity()
const hqFile = join(work.path, 'hq-identity.txt')
const laterFile = join(work.path, 'later-identity.txt')
const dir = join(work.path, 'field')
const LEDGER = (root: string): string => join(root, '.custody', 'ledger.sqlite')

/** The environment of a run given no passphrase (the tests' own is in CUSTODY_PASSPHRASE). */
const NO_PASSPHRASE = {CUSTODY_PASSPHRASE: undefined}

interface VerifyJson {
  ok: boolean
  checks: Array<{name: string; ok: boolean; status: string; detail: string}>
  problems: Array<{subject: string; message: string}>
  exhibits: {total: number; intact: number; contentUnchecked: number}
}

/** The event that records the later recipient (from add-recipient's --json). */
let addedSeq = -1

beforeAll(async () => {
  writeFileSync(hqFile, `${hq.identity}\n`, {mode: 0o600})
  writeFileSync(laterFile, `${later.identity}\n`, {mode: 0o600})
  await initCase({
    dir,
    title: 'Operation Sunflower',
    investigator: 'Ana Quintela',
    organisation: 'IPHR',
    passphrase: PASSPHRASE,
    recipients: [parseRecipient(hq.recipient)],
    labels: new Map([[hq.recipient, 'HQ Kyiv']]),
    field: true,
    sealedBodies: true,
  })
  const first = await custody(['ingest', join(SAMPLES, 'Canon.jpg'), '--case', dir])
  expect(first.code, first.stderr).toBe(0)
}, 120_000)

const detailOf = (report: VerifyJson, name: string): string => report.checks.find((c) => c.name === name)?.detail ?? ''

describe('key add-recipient on a field case whose ledger is sealed', () => {
  it('works with the field passphrase: the recipients from the public facts, the earlier labels left to HQ', async () => {
    const added = await custodyJson<{added: Array<{recipient: string; label: string; seq: number}>; already: string[]}>(['key', 'add-recipient', later.recipient, '--label', 'HQ legal team', '--case', dir])
    expect(added.code, added.stderr).toBe(0)
    expect(schemaErrors('key-add-recipient.schema.json', added.json)).toEqual([])
    expect(added.json.already).toEqual([])
    expect(added.json.added).toEqual([{recipient: later.recipient, label: 'HQ legal team', seq: expect.any(Number)}])
    addedSeq = added.json.added[0]!.seq
    // recipients.txt, in clear, names no label on a ledger that seals them: the ledger holds them.
    const file = readFileSync(join(dir, '.custody', 'recipients.txt'), 'utf8')
    expect(file).toContain(`# ${LABEL_SEALED}\n${hq.recipient}\n`)
    expect(file).toContain(`# ${LABEL_SEALED}\n${later.recipient}\n`)
    expect(file).not.toMatch(/Kyiv|legal team/)

    // Again: the public facts say it is there already; nothing is recorded.
    const again = await custody(['key', 'add-recipient', later.recipient, '--case', dir])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('is a recipient of this case already; nothing was recorded')

    // A later run wraps its run key to the new recipient too.
    const ingested = await custody(['ingest', join(SAMPLES, 'GPS.jpg'), '--case', dir])
    expect(ingested.code, ingested.stderr).toBe(0)
  }, 120_000)

  it("HQ's identity opens the labels: key show lists both recipients as recorded", async () => {
    const shown = await custodyJson<{caseKeys: {mode: string; recipients: Array<{recipient: string; label: string; seq: number}>}}>(['key', 'show', '--case', dir, '--identity', hqFile], {env: NO_PASSPHRASE})
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.json.caseKeys.mode).toBe('field')
    expect(shown.json.caseKeys.recipients.map((r) => [r.recipient, r.label])).toEqual([
      [hq.recipient, 'HQ Kyiv'],
      [later.recipient, 'HQ legal team'],
    ])
  }, 60_000)

  it("the later recipient's identity: key show lists both, with no label or holder, which the events before it keep sealed to it", async () => {
    const shown = await custodyJson<{recordedIn: {holder: string | null}; caseKeys: {recipients: Array<{recipient: string; label: string | null}>}}>(['key', 'show', '--case', dir, '--identity', laterFile], {env: NO_PASSPHRASE})
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.json.recordedIn.holder).toBeNull()
    expect(shown.json.caseKeys.recipients.map((r) => [r.recipient, r.label])).toEqual([
      [hq.recipient, null],
      [later.recipient, null],
    ])
  }, 60_000)

  it("verify with the later recipient's identity passes, and names the events it could not open", async () => {
    const report = await custodyJson<VerifyJson>(['verify', '--case', dir, '--identity', laterFile], {env: NO_PASSPHRASE})
    expect(report.code, report.stdout + report.stderr).toBe(0)
    expect(schemaErrors('verify.schema.json', report.json)).toEqual([])
    expect(report.json.ok).toBe(true)
    expect(report.json.problems).toEqual([])
    // The add-recipient run was wrapped to the recipients before it: its event is among those not opened.
    expect(detailOf(report.json, 'event chain')).toContain(`${addedSeq + 1} of ${addedSeq + 2} event bodies not opened`)
    expect(detailOf(report.json, 'event chain')).toContain(`: events 0..${addedSeq}; `)
    expect(detailOf(report.json, 'vault')).toMatch(/^2\/2 exhibits intact .*but for 2 objects that none of the identities given opens, checked as stored .*stored before that recipient was added/)
    expect(report.json.exhibits).toMatchObject({total: 2, intact: 2, contentUnchecked: 2})
    // The purges check reads bodies, but the envelopes say in clear that nothing was purged: nothing to check.
    expect(report.json.checks.find((c) => c.name === 'purges')).toMatchObject({ok: true, detail: 'no exhibit purged'})
    expect(report.json.checks.filter((c) => c.status === 'failed')).toEqual([])
    const text = await custody(['verify', '--case', dir, '--identity', laterFile], {env: NO_PASSPHRASE})
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('Case intact')
    expect(text.stdout).not.toMatch(/^warn {2}purges/m)
    expect(text.stdout).not.toMatch(/^FAIL/m)
  }, 60_000)

  it("verify with HQ's identity opens every body", async () => {
    const report = await custodyJson<VerifyJson>(['verify', '--case', dir, '--identity', hqFile], {env: NO_PASSPHRASE})
    expect(report.code, report.stdout + report.stderr).toBe(0)
    expect(report.json.ok).toBe(true)
    expect(detailOf(report.json, 'event chain')).not.toContain('not opened')
    expect(detailOf(report.json, 'vault')).toBe('2/2 exhibits intact (original and metadata record re-hashed)')
    expect(report.json.exhibits.contentUnchecked).toBe(0)
  }, 60_000)

  it("the later recipient's identity opens the later runs only: an earlier exhibit is refused in one clear line", async () => {
    const earlier = await custody(['show', 'EX-000001', '--case', dir, '--identity', laterFile], {env: NO_PASSPHRASE})
    expect(earlier.code).toBe(2)
    expect(earlier.stdout).not.toContain('Canon.jpg')
    expect(earlier.stderr.trim().split('\n')).toHaveLength(1)
    expect(earlier.stderr).toMatch(/is encrypted to the recipients of the run that wrote it, and none of the identities given is one of them: in a field case a recipient added later opens only what was recorded after it was added/)
    const log = await custody(['log', 'EX-000001', '--case', dir, '--identity', laterFile], {env: NO_PASSPHRASE})
    expect(log.code).toBe(2)
    expect(log.stdout).not.toContain('Canon.jpg')
    // The exhibit recorded after it was added opens.
    const after = await custody(['show', 'EX-000002', '--case', dir, '--identity', laterFile], {env: NO_PASSPHRASE})
    expect(after.code, after.stderr).toBe(0)
    expect(after.stdout).toContain('GPS.jpg')
    // HQ opens both.
    const atHq = await custody(['show', 'EX-000001', '--case', dir, '--identity', hqFile], {env: NO_PASSPHRASE})
    expect(atHq.code, atHq.stderr).toBe(0)
    expect(atHq.stdout).toContain('Canon.jpg')
  }, 60_000)
})

describe('forgeries of a field case with a recipient added later', () => {
  /** A copy of the case, forged by `forge` on its ledger (the append-only trigger dropped, as a forger would). */
  function forged(name: string, forge: (db: Database.Database) => void): string {
    const copy = copyCase(dir, join(work.path, name))
    const db = new Database(LEDGER(copy))
    db.exec('DROP TRIGGER events_no_update')
    forge(db)
    // Put back as custody made it, so that only what was forged can be found.
    db.exec("CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only: UPDATE is refused'); END")
    db.close()
    return copy
  }

  const other = generateIdentity().recipient
  /** The recipient-added row's envelope with its public recipient changed to another's. */
  const swapRecipient = (db: Database.Database): void => {
    const {changes} = db.prepare('UPDATE events SET envelope = replace(envelope, ?, ?) WHERE seq = ?').run(later.recipient, other, addedSeq)
    expect(changes).toBe(1)
  }

  it("the recipient-added envelope's public recipient changed: refused with no key, the later recipient's and HQ's (exit 3)", async () => {
    const copy = forged('swapped', swapRecipient)
    expect(sqlite(LEDGER(copy), `SELECT instr(envelope, '${other}') > 0 FROM events WHERE seq = ${addedSeq};`).trim()).toBe('1')
    for (const identity of [[], ['--identity', laterFile], ['--identity', hqFile]]) {
      const report = await custodyJson<VerifyJson>(['verify', '--case', copy, ...identity], {env: NO_PASSPHRASE})
      expect(report.code, identity.join(' ')).toBe(3)
      expect(report.json.problems).toContainEqual(expect.objectContaining({subject: `event ${addedSeq}`, message: expect.stringContaining('its stored hash does not match its content')}))
    }
  }, 120_000)

  it('the same, every later hash recomputed so that the chain holds: the signed checkpoints refuse it (exit 3)', async () => {
    const copy = forged('rechained', (db) => {
      swapRecipient(db)
      const rows = db.prepare<[number], {seq: number; envelope: string}>('SELECT seq, envelope FROM events WHERE seq >= ? ORDER BY seq').all(addedSeq)
      let prev = db.prepare<[number], {hash: string}>('SELECT hash FROM events WHERE seq = ?').get(addedSeq - 1)!.hash
      for (const row of rows) {
        const envelope = row.seq === addedSeq ? row.envelope : row.envelope.replace(/"prev":"[0-9a-f]{64}"/, `"prev":"${prev}"`)
        const hash = createHash('sha256').update(Buffer.concat([Buffer.from(prev, 'hex'), Buffer.from(envelope)])).digest('hex')
        db.prepare('UPDATE events SET envelope = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(envelope, prev, hash, row.seq)
        prev = hash
      }
    })
    for (const identity of [['--identity', laterFile], ['--identity', hqFile]]) {
      const report = await custodyJson<VerifyJson>(['verify', '--case', copy, ...identity], {env: NO_PASSPHRASE})
      expect(report.code, identity.join(' ')).toBe(3)
      expect(report.json.ok).toBe(false)
      expect(report.json.checks.find((c) => c.name === 'checkpoints')?.ok).toBe(false)
    }

    // HQ opens the body, whose recipient is not the envelope's.
    const atHq = await custodyJson<VerifyJson>(['verify', '--case', copy, '--identity', hqFile], {env: NO_PASSPHRASE})
    expect(atHq.json.problems).toContainEqual(expect.objectContaining({subject: `event ${addedSeq}`}))
  }, 120_000)

  it("the later run's key swapped for an earlier run's, so that it no longer opens with the later recipient: refused, not passed over as unopened (exit 3)", async () => {
    const copy = copyCase(dir, join(work.path, 'run-key'))
    const db = new Database(LEDGER(copy))
    const last = db.prepare<[], {run: number; seq: number}>('SELECT run, min(seq) AS seq FROM events WHERE run = (SELECT max(run) FROM events)').get()!
    expect(last.seq).toBeGreaterThan(addedSeq)
    db.exec('DROP TRIGGER runs_no_update')
    db.prepare('UPDATE runs SET wrapped = (SELECT wrapped FROM runs WHERE id = 0) WHERE id = ?').run(last.run)
    db.exec("CREATE TRIGGER runs_no_update BEFORE UPDATE ON runs BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only: UPDATE is refused'); END")
    db.close()
    const report = await custodyJson<VerifyJson>(['verify', '--case', copy, '--identity', laterFile], {env: NO_PASSPHRASE})
    expect(report.code, report.stdout).toBe(3)
    expect(report.json.problems).toContainEqual(
      expect.objectContaining({subject: `event ${last.seq}`, message: expect.stringContaining(`began after event ${addedSeq} added the recipient ${later.recipient}, whose identity was given, yet the run's key does not open with it`)}),
    )
    // HQ opens the key swapped in, and the body does not open under it.
    const atHq = await custodyJson<VerifyJson>(['verify', '--case', copy, '--identity', hqFile], {env: NO_PASSPHRASE})
    expect(atHq.code).toBe(3)
    expect(atHq.json.problems).toContainEqual(expect.objectContaining({subject: `event ${last.seq}`}))
  }, 60_000)

  it("an earlier row's content tag edited: the later recipient's verify, which cannot open that row, finds it against the envelope (exit 3)", async () => {
    const seq = Number(sqlite(LEDGER(dir), "SELECT seq FROM events WHERE exhibit = 'EX-000001' AND content_tag IS NOT NULL;").trim())
    expect(seq).toBeLessThan(addedSeq)
    const copy = forged('content-tag', (db) => {
      db.prepare('UPDATE events SET content_tag = randomblob(32) WHERE seq = ?').run(seq)
    })
    const report = await custodyJson<VerifyJson>(['verify', '--case', copy, '--identity', laterFile], {env: NO_PASSPHRASE})
    expect(report.code).toBe(3)
    expect(report.json.problems).toContainEqual(expect.objectContaining({subject: `event ${seq}`, message: expect.stringContaining(`the content_tag column of event ${seq}`)}))
  }, 60_000)

  it("an earlier exhibit's object swapped for the later one's: the later recipient's verify, checking it as stored, refuses it (exit 3)", async () => {
    const copy = copyCase(dir, join(work.path, 'swapped-object'))
    const at = (exhibit: string): string =>
      sqlite(LEDGER(copy), `SELECT json_extract(envelope, '$.public.original.vault') FROM events WHERE exhibit = '${exhibit}' AND content_tag IS NOT NULL;`).trim()
    const [earlier, laterObject] = [at('EX-000001'), at('EX-000002')]
    expect(earlier).toMatch(/^vault\//)
    chmodSync(join(copy, '.custody', earlier), 0o600)
    writeFileSync(join(copy, '.custody', earlier), readFileSync(join(copy, '.custody', laterObject)))
    const report = await custodyJson<VerifyJson>(['verify', '--case', copy, '--identity', laterFile], {env: NO_PASSPHRASE})
    expect(report.code).toBe(3)
    expect(report.json.problems).toContainEqual(expect.objectContaining({subject: 'EX-000001'}))
  }, 60_000)
})
