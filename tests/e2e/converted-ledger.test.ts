/**
 * The ledger of a case converted by `custody encrypt` (issue 19; docs/design/encryption-at-rest.md,
 * "The converted case's ledger"): its events carried as written into a sealed ledger, each with
 * its hash and leaf, their envelopes bound by the ledger-converted event. What a court was given
 * before (an archive sealed in clear) stays provable against what is sealed after; the archive
 * sealed after carries the events of before as a ledger in clear does, and both verifiers take
 * it. Then the forgeries of someone with write access to the case and no key: each is refused.
 * Real tools: age-keygen, unzip, Python's verify-bag.py, sqlite3.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {bytesToHex} from '@noble/hashes/utils.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {canonicalize} from '../../src/canonical/jcs.js'
import {hashLeafText} from '../../src/merkle/rfc6962.js'
import {copyCase, custody, custodyJson, newCase, PASSPHRASE, SAMPLES, sqlite, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-converted-ledger-')
const template = join(work.path, 'template')
const converted = join(work.path, 'converted')
const NO_PASSPHRASE = {CUSTODY_PASSPHRASE: undefined}
const LEDGER = (dir: string): string => join(dir, '.custody', 'ledger.sqlite')
let hq = {file: '', recipient: ''}
let sealedBefore = ''
/** How many events were carried: the ledger in clear's, with the conversion's own. */
let carried = 0
let copies = 0

interface VerifyJson {
  ok: boolean
  problems: Array<{subject: string; message: string}>
}

async function run(dir: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{code: number | null; stdout: string; stderr: string}> {
  return custody([...args, '--case', dir], env === undefined ? {} : {env})
}

/** A copy of the converted case, forged by `forge` on its ledger (the append-only triggers dropped and put back, as a forger would). */
function forged(forge: (db: Database.Database) => void): string {
  const copy = copyCase(converted, join(work.path, `forged-${++copies}`))
  const db = new Database(LEDGER(copy))
  db.exec('DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete')
  forge(db)
  db.exec(`CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only: UPDATE is refused'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only: DELETE is refused'); END;`)
  db.close()
  return copy
}

/** What a verify found: its problems, or the one error that stopped it (a ledger that cannot be read past a forged row). */
function found(report: {json: VerifyJson & {error?: {subject?: string; message: string}}}): string {
  const {problems, error} = report.json
  return problems === undefined ? `${error?.subject ?? ''}: ${error?.message ?? ''}` : problems.map((p) => `${p.subject}: ${p.message}`).join('\n')
}

/** The ways to verify: with no key, with the passphrase (verify reads it from a file only), with HQ's identity. */
const KEYS: ReadonlyArray<[string, () => string[]]> = [
  ['no key', () => []],
  ['the passphrase', () => ['--passphrase-file', passphraseFile]],
  ["HQ's identity", () => ['--identity', hq.file]],
]
let passphraseFile = ''

/** Verify with each key: each refuses (exit 3), and each names what `expected` says. */
async function refusedEverywhere(copy: string, expected: RegExp, keys = KEYS): Promise<void> {
  for (const [how, args] of keys) {
    const report = await custodyJson<VerifyJson>(['verify', '--case', copy, ...args()], {env: NO_PASSPHRASE})
    expect(report.code, `${how}: ${report.stdout}`).toBe(3)
    expect(found(report), how).toMatch(expected)
  }
}

beforeAll(async () => {
  passphraseFile = join(work.path, 'passphrase')
  writeFileSync(passphraseFile, `${PASSPHRASE}\n`)
  hq.file = join(work.path, 'hq.key')
  execFileSync('age-keygen', ['-o', hq.file], {stdio: 'ignore'})
  hq = {file: hq.file, recipient: execFileSync('age-keygen', ['-y', hq.file], {encoding: 'utf8'}).trim()}
  expect((await custody(['init', template, '--title', 'Made in clear', '--investigator', 'A. Investigator', '--plaintext'])).code).toBe(0)
  const samples = readdirSync(SAMPLES).filter((n) => n.endsWith('.jpg')).sort().slice(0, 3)
  const ingest = await run(template, ['ingest', ...samples.map((n) => join(SAMPLES, n)), '--location', 'Kherson'])
  expect(ingest.code, ingest.stderr).toBe(0)
  sealedBefore = join(work.path, 'before.zip')
  const seal = await run(template, ['seal', '--out', sealedBefore, '--purpose', 'court'])
  expect(seal.code, seal.stderr).toBe(0)
  // The conversion's own events carried too: objects-encrypted, case-encrypted, recipient-added (HQ's).
  carried = Number(sqlite(LEDGER(template), 'SELECT count(*) FROM events;').trim()) + 3
  copyCase(template, converted)
  const result = await custodyJson<{status: string}>(['encrypt', '--recipient', hq.recipient, '--case', converted])
  expect(result.code, result.stderr).toBe(0)
  // Evidence taken in after the conversion: events sealed as an encrypted case's are.
  const after = await run(converted, ['ingest', join(SAMPLES, 'GPS.jpg'), '--location', 'Kherson'])
  expect(after.code, after.stderr).toBe(0)
  expect(sqlite(LEDGER(converted), `SELECT count(*) FROM events WHERE seq > ${carried};`).trim()).not.toBe('0')
}, 240_000)

afterAll(() => work.remove())

describe('a converted ledger, for a court', () => {
  it('seals an archive that both verifiers take, its events of before in clear as written and those after sealed, proving the earlier seal a prefix', async () => {
    const after = join(work.path, 'after.zip')
    const sealed = await run(converted, ['seal', '--out', after, '--purpose', 'court'])
    expect(sealed.code, sealed.stderr).toBe(0)
    const verified = await custody(['verify', after, '--against', sealedBefore])
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)
    const bag = join(work.path, 'after-bag')
    mkdirSync(bag)
    execFileSync('unzip', ['-q', after, '-d', bag])
    const [top] = readdirSync(bag)
    const lines = readFileSync(join(bag, top!, 'data', 'custody', 'events.jsonl'), 'utf8').trim().split('\n')
    const kinds = lines.map((l) => (l.startsWith('{"envelope":') ? 'sealed' : 'in clear'))
    expect(kinds.slice(0, 1)).toEqual(['in clear'])
    expect(kinds.at(-1)).toBe('sealed')
    // A line of before holds the event as the archive sealed in clear holds it: the same bytes of event, the same hash.
    const first = JSON.parse(lines[0]!) as {hash: string}
    const firstBefore = JSON.parse(execFileSync('unzip', ['-p', sealedBefore, '*/data/custody/events.jsonl'], {encoding: 'utf8'}).split('\n')[0]!) as {hash: string}
    expect(first.hash).toBe(firstBefore.hash)
    const python = spawnSync('python3', [join(bag, top!, 'verify-bag.py'), join(bag, top!)], {encoding: 'utf8'})
    expect(python.status, python.stdout + python.stderr).toBe(0)
    expect(python.stdout).toMatch(/All checks passed/)
  }, 120_000)

  it('is listed, shown and logged with the passphrase as before the conversion', async () => {
    const log = await run(converted, ['log'])
    expect(log.code, log.stderr).toBe(0)
    expect(log.stdout).toMatch(/ledger-converted .*ledger encrypted: its first \d+ events sealed, their hashes kept as written/)
    const show = await run(converted, ['show', 'EX-000001'])
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toContain('Kherson')
  })
})

describe('a case made encrypted by a custody that kept event bodies in clear (schema 3)', () => {
  it('has its ledger carried into a sealed one by `custody encrypt`, every event and checkpoint as written, and verifies with and without a key', async () => {
    const made = await newCase(undefined, {bodiesInClear: true})
    try {
      expect((await run(made.dir, ['ingest', join(SAMPLES, 'Canon.jpg'), '--location', 'Kherson'])).code).toBe(0)
      const ledger = LEDGER(made.dir)
      expect(sqlite(ledger, 'PRAGMA user_version;').trim()).toBe('3')
      expect(readFileSync(ledger).includes(Buffer.from('Kherson'))).toBe(true)
      const hashes = sqlite(ledger, 'SELECT hash FROM events ORDER BY seq;')
      const checkpoints = sqlite(ledger, 'SELECT body FROM checkpoints ORDER BY seq;')
      const result = await custodyJson<{status: string}>(['encrypt', '--case', made.dir])
      expect(result.code, result.stderr).toBe(0)
      expect(sqlite(ledger, 'PRAGMA user_version;').trim()).toBe('4')
      expect(sqlite(ledger, 'SELECT hash FROM events ORDER BY seq;').startsWith(hashes)).toBe(true)
      expect(sqlite(ledger, 'SELECT body FROM checkpoints ORDER BY seq;').startsWith(checkpoints)).toBe(true)
      for (const file of readdirSync(join(made.dir, '.custody')).filter((f) => f.startsWith('ledger.sqlite'))) {
        expect(readFileSync(join(made.dir, '.custody', file)).includes(Buffer.from('Kherson')), file).toBe(false)
      }

      for (const args of [[], ['--passphrase-file', passphraseFile]]) {
        const verified = await custody(['verify', '--case', made.dir, ...args], {env: NO_PASSPHRASE})
        expect(verified.code, verified.stdout).toBe(0)
        expect(verified.stdout).toMatch(/1\/1 exhibits intact|1 exhibit recorded before the case was encrypted/)
      }

      // The ingest's body needs the key: `show` with the passphrase reads the location.
      const show = await run(made.dir, ['show', 'EX-000001'])
      expect(show.stdout).toContain('Kherson')
    } finally {
      made.remove()
    }
  }, 120_000)
})

describe('forgeries of a converted ledger', () => {
  it("a carried event's envelope changed (its time): refused with and without a key, the block's SHA-256 no longer the ledger-converted event's", async () => {
    const copy = forged((db) => {
      const row = db.prepare<[], {envelope: string}>('SELECT envelope FROM events WHERE seq = 2').get()!
      const envelope = JSON.parse(row.envelope) as Record<string, unknown>
      envelope.time = '2020-01-01T00:00:00.000Z'
      db.prepare('UPDATE events SET envelope = ? WHERE seq = 2').run(canonicalize(envelope as never))
    })
    await refusedEverywhere(copy, /is the ledger-converted event, and records other carried events than the \d+ before it/)
    // An appending command reads the carried envelopes through the same check, and adds nothing.
    const ingest = await run(copy, ['ingest', join(SAMPLES, 'Canon.jpg')])
    expect(ingest.code).toBe(3)
    expect(ingest.stderr).toMatch(/event \d+ of the ledger is the ledger-converted event, and records other carried events than the \d+ before it \(the count, or the SHA-256 of their envelopes\): a carried event's envelope was changed/)
  }, 120_000)

  it('an event after the conversion stored as a carried one with its leaf as it was, so that the tree holds: refused', async () => {
    const seq = carried + 1
    const copy = forged((db) => {
      const row = db.prepare<[number], {envelope: string; body: Buffer}>('SELECT envelope, body FROM events WHERE seq = ?').get(seq)!
      const {bodyCommitment: _c, bodySha256: _s, ...rest} = JSON.parse(row.envelope) as Record<string, unknown>
      // The leaf of the envelope as it was chained: the tree, the checkpoints and head.json still hold.
      const leaf = bytesToHex(hashLeafText(row.envelope))
      const envelope = canonicalize({...rest, carried: leaf, bodySha256: createHash('sha256').update(row.body).digest('hex')} as never)
      db.prepare('UPDATE events SET envelope = ? WHERE seq = ?').run(envelope, seq)
    })
    await refusedEverywhere(copy, /stored as a carried (event|row) .*(not among the first events that a ledger-converted event records|no ledger-converted event carries it)/)
  }, 120_000)

  it('the ledger-converted event and every event after it cut off: refused (no event records the carried envelopes)', async () => {
    const copy = forged((db) => {
      db.exec('DROP TRIGGER checkpoints_no_delete')
      db.prepare('DELETE FROM events WHERE seq >= ?').run(carried)
      db.prepare('DELETE FROM checkpoints WHERE tree_size > ?').run(carried)
      db.exec("CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints BEGIN SELECT RAISE(ABORT, 'custody checkpoints are append-only: DELETE is refused'); END")
    })
    // head.json said the longer ledger: put back as the forger would, to the ledger as cut.
    const head = JSON.parse(readFileSync(join(copy, '.custody', 'head.json'), 'utf8')) as Record<string, unknown>
    writeFileSync(join(copy, '.custody', 'head.json'), JSON.stringify({...head, size: carried}))
    await refusedEverywhere(copy, /is carried \(one a converted case kept as written\), but no ledger-converted event follows the carried events to record their envelopes/)
  }, 120_000)

  it("a carried event's body swapped for another carried event's: refused with no key (its SHA-256 as stored) and with one", async () => {
    const copy = forged((db) => {
      const other = db.prepare<[], {body: Buffer}>('SELECT body FROM events WHERE seq = 3').get()!
      db.prepare('UPDATE events SET body = ? WHERE seq = 2').run(other.body)
    })
    await refusedEverywhere(copy, /event 2: it has a body that is not the one its envelope records/)
  }, 120_000)

  it("a carried event's run column changed to a later run's: refused with no key (its envelope names another run) and with one", async () => {
    const copy = forged((db) => {
      db.prepare('UPDATE events SET run = (SELECT max(id) FROM runs) WHERE seq = 3').run()
    })
    await refusedEverywhere(copy, /event 3: (it is|event 3 of the ledger is) stored as run \d+'s, but its envelope says run 0/)
  }, 120_000)

  it("a carried event's stored hash changed, and the next one's link with it: refused by every key that opens it (its event does not hash to it)", async () => {
    const copy = forged((db) => {
      const forgedHash = 'ab'.repeat(32)
      db.prepare('UPDATE events SET hash = ? WHERE seq = 2').run(forgedHash)
      db.prepare('UPDATE events SET prev_hash = ? WHERE seq = 3').run(forgedHash)
    })
    await refusedEverywhere(copy, /event 2: it has a body whose event is not the one its hash was written over/, KEYS.slice(1))
    // With no key, the link of the event after it to its envelope's: what no key needs.
    await refusedEverywhere(copy, /event 3: the previous hash in its envelope differs from the row's/, KEYS.slice(0, 1))
  }, 120_000)
})
