/**
 * The ledger's schemas end to end (src/ledger/schema.ts): `custody init` makes an encrypted case
 * with a schema-4 ledger (an envelope in clear and a sealed body a row, lookup columns keyed tags)
 * and a case in clear with schema 2. Encrypted cases made before still open and work as they did,
 * and keep their schema: schema 3 (lookup columns keyed tags, event bodies in clear: what init
 * made before issue 19's switch, made here by the core) and schema 2 (as every encrypted case was
 * before schema 3). The schema-2 case is made with the sqlite3 shell: the same rows and
 * checkpoints in the schema-2 file that custody wrote for encrypted cases before (schemaSql(2),
 * the same SQL as before, checked when it was split).
 */
import {chmodSync, renameSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {schemaSql} from '../../src/ledger/schema.js'
import {caseEnv, custody, custodyJson, newCase, SAMPLES, sqlite} from '../helpers/cli.js'

const ledgerOf = (dir: string): string => join(dir, '.custody', 'ledger.sqlite')
const version = (dir: string): number => Number(sqlite(ledgerOf(dir), 'PRAGMA user_version;').trim())
const columns = (dir: string): string[] => sqlite(ledgerOf(dir), "SELECT name FROM pragma_table_xinfo('events');").trim().split('\n')

async function ingest(dir: string, ...files: string[]): Promise<Array<{status: string; exhibit: string | null}>> {
  const result = await custodyJson<{results: Array<{status: string; exhibit: string | null}>}>(['ingest', ...files.map((f) => join(SAMPLES, f))], {cwd: dir, env: caseEnv(dir)})
  expect(result.code, result.stderr).toBe(0)
  return result.json.results
}

/** Rewrites a case's ledger as a schema-2 file holding the same events and checkpoints. */
function toSchema2(dir: string): void {
  const old = ledgerOf(dir)
  const made = `${old}.schema2`
  sqlite(
    made,
    `${schemaSql(2)}
PRAGMA journal_mode = WAL;
ATTACH '${old}' AS old;
INSERT INTO events (seq, prev_hash, hash, event) SELECT seq, prev_hash, hash, event FROM old.events ORDER BY seq;
INSERT INTO checkpoints (seq, tree_size, body, signature) SELECT seq, tree_size, body, signature FROM old.checkpoints ORDER BY seq;
DETACH old;`,
  )
  for (const suffix of ['-wal', '-shm']) rmSync(`${old}${suffix}`, {force: true})
  renameSync(made, old)
  chmodSync(old, 0o600)
}

describe('the ledger schema of a case', () => {
  const cases: Array<{remove: () => void}> = []
  let encrypted: {dir: string; remove: () => void}
  let older: {dir: string; remove: () => void}
  let tagged: {dir: string; remove: () => void}

  beforeAll(async () => {
    encrypted = await newCase()
    older = await newCase(undefined, {bodiesInClear: true})
    tagged = await newCase(undefined, {bodiesInClear: true})
    cases.push(encrypted, older, tagged)
    await ingest(older.dir, 'Canon.jpg')
    toSchema2(older.dir)
  }, 120_000)

  afterAll(() => {
    for (const c of cases) c.remove()
  })

  it('is 4 in an encrypted case, with envelopes, sealed bodies and keyed tags, and no event in clear; 2 in a case in clear', async () => {
    await ingest(encrypted.dir, 'Canon.jpg', 'GPS.jpg')
    expect(version(encrypted.dir)).toBe(4)
    expect(columns(encrypted.dir)).toEqual(['seq', 'prev_hash', 'hash', 'envelope', 'body', 'run', 'exhibit', 'action_tag', 'content_tag', 'source_tag', 'file_tag', 'batch_tag'])
    // Each run's key, sealed to the case's recipients, in a table of its own; one run each for init and the ingest.
    expect(sqlite(ledgerOf(encrypted.dir), 'SELECT count(*) FROM runs;').trim()).toBe('2')
    // What the shell sees of an ingest's body: bytes, no JSON.
    expect(sqlite(ledgerOf(encrypted.dir), "SELECT count(*) FROM events WHERE CAST(body AS TEXT) LIKE '%digests%';").trim()).toBe('0')
    // Each exhibit's ingest has a 32-byte content tag and source tag; no tag is anything but 32 bytes.
    const tags = sqlite(ledgerOf(encrypted.dir), 'SELECT exhibit, length(action_tag), length(content_tag), length(source_tag) FROM events WHERE content_tag IS NOT NULL ORDER BY seq;')
    expect(tags.trim().split('\n')).toEqual(['EX-000001|32|32|32', 'EX-000002|32|32|32'])
    expect(sqlite(ledgerOf(encrypted.dir), 'SELECT count(*) FROM events WHERE length(action_tag) != 32;').trim()).toBe('0')

    const clear = await newCase(undefined, {plaintext: true})
    cases.push(clear)
    expect(version(clear.dir)).toBe(2)
    expect(columns(clear.dir)).toContain('sha256')
  }, 120_000)

  it('3 in an encrypted case made before the event bodies were sealed: it finds duplicates, takes in, lists, verifies, and stays 3', async () => {
    await ingest(tagged.dir, 'Canon.jpg')
    expect(version(tagged.dir)).toBe(3)
    expect(columns(tagged.dir)).toEqual(['seq', 'prev_hash', 'hash', 'event', 'exhibit', 'action_tag', 'content_tag', 'source_tag'])
    const results = await ingest(tagged.dir, 'Canon.jpg', 'GPS.jpg')
    expect(results.map((r) => [r.status, r.exhibit])).toEqual([
      ['already-present', 'EX-000001'],
      ['ingested', 'EX-000002'],
    ])
    const tags = sqlite(ledgerOf(tagged.dir), 'SELECT exhibit, length(action_tag), length(content_tag), length(source_tag) FROM events WHERE content_tag IS NOT NULL ORDER BY seq;')
    expect(tags.trim().split('\n')).toEqual(['EX-000001|32|32|32', 'EX-000002|32|32|32'])
    expect(sqlite(ledgerOf(tagged.dir), 'SELECT count(*) FROM events WHERE length(action_tag) != 32;').trim()).toBe('0')
    const list = await custodyJson<{exhibits: Array<{exhibit: string}>}>(['list'], {cwd: tagged.dir, env: caseEnv(tagged.dir)})
    expect(list.json.exhibits.map((e) => e.exhibit)).toEqual(['EX-000001', 'EX-000002'])
    const verify = await custody(['verify'], {cwd: tagged.dir, env: caseEnv(tagged.dir)})
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
    expect(version(tagged.dir)).toBe(3)
  }, 120_000)

  it('2 in an encrypted case made before schema 3: it opens, finds duplicates, takes in, lists, verifies, and stays 2', async () => {
    expect(version(older.dir)).toBe(2)
    const results = await ingest(older.dir, 'Canon.jpg', 'GPS.jpg')
    expect(results.map((r) => [r.status, r.exhibit])).toEqual([
      ['already-present', 'EX-000001'],
      ['ingested', 'EX-000002'],
    ])
    const list = await custodyJson<{exhibits: Array<{exhibit: string}>}>(['list'], {cwd: older.dir, env: caseEnv(older.dir)})
    expect(list.json.exhibits.map((e) => e.exhibit)).toEqual(['EX-000001', 'EX-000002'])
    const verify = await custody(['verify'], {cwd: older.dir, env: caseEnv(older.dir)})
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
    expect(version(older.dir)).toBe(2)
  }, 120_000)
})
