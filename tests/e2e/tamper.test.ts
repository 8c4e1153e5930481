/**
 * The tamper matrix for a local case: each change made behind custody's back, with the sqlite3
 * shell or straight on the files, is caught by `custody verify` with exit 3 and a message naming
 * the exhibit or event, with what was expected and what was found.
 */
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, cpSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {bytesToHex} from '@noble/hashes/utils.js'
import {canonicalize} from '../../src/canonical/jcs.js'
import {eventLeafHash} from '../../src/ledger/event.js'
import {schemaSql, TAGGED_SCHEMA_VERSION} from '../../src/ledger/schema.js'
import {MerkleTree} from '../../src/merkle/tree.js'
import {custody, custodyJson, newCase, ownStateFolder, PASSPHRASE, SAMPLES, sqlite, tempDir, vaultObject} from '../helpers/cli.js'
import {knownHeadsFolder} from '../../src/known-heads/store.js'
import {Case, locateCase} from '../../src/case/case.js'
import type {CustodyEventDraft} from '../../src/formats/events.js'
import {exhibitLists} from '../../src/seal/seal-record.js'
import {sealDraft, sealedExhibitsDraft, sealIdOf} from '../helpers/drafts.js'

/** The schema of the ledger whose events the sqlite3 shell edits (schema 3, bodies in clear); the triggers are those of schema 4 too. */
const SCHEMA_SQL = schemaSql(TAGGED_SCHEMA_VERSION)

interface Problem {
  check: string
  /** Deprecated in the JSON: the same as `check`. */
  kind: string
  subject: string
  message: string
  expected?: string
  actual?: string
}

interface VerifyJson {
  ok: boolean
  problems: Problem[]
  warnings: string[]
}

const FILES = ['Canon.jpg', 'GPS.jpg', 'Ricoh2.jpg', 'PDF.pdf']
let pristine: {dir: string; remove: () => void}
/**
 * The same case with its event bodies in clear (schema 3, as init made it before issue 19's switch,
 * and as custody still reads and writes it): for the edits of events that only such a ledger lets
 * the sqlite3 shell make. On the sealed ledger init makes now, an event's body cannot be read or
 * written without a key; its envelope's forgeries are in tests/unit/sealed-ledger.test.ts.
 */
let pristineInClear: {dir: string; remove: () => void}
const work = tempDir('custody-tamper-')
let n = 0

/** The triggers as custody creates them, so a careful attacker can put them back after tampering. */
const TRIGGER_SQL = [...SCHEMA_SQL.matchAll(/CREATE TRIGGER \w+ BEFORE \w+ ON events[\s\S]*?END;/g)].map((m) => m[0]).join('\n')
const DROP_TRIGGERS = 'DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; DROP TRIGGER events_append_only;'

beforeAll(async () => {
  pristine = await newCase()
  pristineInClear = await newCase(undefined, {bodiesInClear: true})
  for (const made of [pristine, pristineInClear]) {
    const ingest = await custody(['ingest', ...FILES.map((f) => join(SAMPLES, f)), '--location', 'Simferopol', '--case', made.dir])
    expect(ingest.code).toBe(0)
    expect((await custody(['ingest', join(SAMPLES, 'GPS.jpg'), '--case', made.dir])).code).toBe(0)
  }
})

afterAll(() => {
  pristine.remove()
  pristineInClear.remove()
  work.remove()
})

/**
 * A fresh copy of the pristine case to tamper with, examined as on another machine: with a state
 * folder of its own and no record of the case there, so that what is tested here is what the case
 * shows of itself (the record outside the case is tested in rollback.test.ts). On one account the
 * copies would all be one case, and each append to one a fork of the others.
 */
function copyCase(of: 'sealed' | 'bodies in clear' = 'sealed'): {dir: string; db: string; vault: string; knownHeads: string} {
  const dir = join(work.path, `case-${n++}`)
  cpSync((of === 'sealed' ? pristine : pristineInClear).dir, dir, {recursive: true})
  const knownHeads = knownHeadsFolder({XDG_STATE_HOME: ownStateFolder(dir)})
  return {dir, db: join(dir, '.custody', 'ledger.sqlite'), vault: join(dir, '.custody', 'vault'), knownHeads}
}

/** The vault object of a sample, where the case keeps it (encrypted: where its event says). */
function objectPath(caseDir: string, file: string): string {
  return vaultObject(caseDir, createHash('sha256').update(readFileSync(join(SAMPLES, file))).digest('hex'))
}

/** Verify's problems with a case, found with no key, or with those of `keys` (such as --passphrase-file FILE). */
async function verifyFails(dir: string, keys: string[] = []): Promise<Problem[]> {
  const result = await custodyJson<VerifyJson>(['verify', '--case', dir, ...keys])
  expect(result.code).toBe(3)
  expect(result.json.ok).toBe(false)
  const text = await custody(['verify', '--case', dir, ...keys])
  expect(text.code).toBe(3)
  expect(text.stdout).toContain('INTEGRITY CHECK FAILED')
  return result.json.problems
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/** hash(n) = SHA-256(bytes of hash(n-1) || canonical event n), computed here independently of custody. */
function rehashFrom(db: string, from: number): void {
  const rows = JSON.parse(sqlite(db, `.mode json\nSELECT seq, prev_hash, hash, event FROM events ORDER BY seq;`)) as Array<{seq: number; prev_hash: string; hash: string; event: string}>
  let prev = rows.find((r) => r.seq === from - 1)!.hash
  const updates: string[] = []
  for (const row of rows.filter((r) => r.seq >= from)) {
    // Only the link changes: the canonical text keeps its order, with the new previous hash in it.
    const canonical = row.event.replace(`"prev":"${row.prev_hash}"`, `"prev":"${prev}"`)
    const hash = sha256Hex(Buffer.concat([Buffer.from(prev, 'hex'), Buffer.from(canonical)]))
    updates.push(`UPDATE events SET prev_hash='${prev}', hash='${hash}', event='${canonical.replaceAll("'", "''")}' WHERE seq=${row.seq};`)
    prev = hash
  }

  sqlite(db, `${DROP_TRIGGERS}\n${updates.join('\n')}\n${TRIGGER_SQL}`)
}

describe('tampering with the vault', () => {
  it('one byte of an original flipped', async () => {
    const c = copyCase()
    const path = objectPath(c.dir, 'GPS.jpg')
    chmodSync(path, 0o644)
    const bytes = readFileSync(path)
    // Without a key, verify checks the object as stored: the SHA-256 of its age file as ingest wrote it.
    const asStored = sha256Hex(bytes)
    bytes[100]! ^= 0x01
    writeFileSync(path, bytes)
    const problems = await verifyFails(c.dir)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({kind: 'vault-object', subject: 'EX-000002', message: expect.stringContaining('was modified')})
    expect(problems[0]!.expected).toBe(`sha256 ${asStored}`)
    expect(problems[0]!.actual).toBe(`sha256 ${sha256Hex(bytes)}`)
  })

  it('an original truncated', async () => {
    const c = copyCase()
    const path = objectPath(c.dir, 'Canon.jpg')
    chmodSync(path, 0o644)
    writeFileSync(path, readFileSync(path).subarray(0, 1000))
    const problems = await verifyFails(c.dir)
    expect(problems).toEqual([expect.objectContaining({subject: 'EX-000001', message: expect.stringContaining('truncated'), actual: '1000 bytes'})])
  })

  it('an original removed', async () => {
    const c = copyCase()
    rmSync(objectPath(c.dir, 'PDF.pdf'))
    const problems = await verifyFails(c.dir)
    expect(problems).toEqual([expect.objectContaining({subject: 'EX-000004', message: expect.stringContaining('is missing')})])
  })

  it('a metadata record edited', async () => {
    const c = copyCase()
    const log = JSON.parse((await custody(['show', 'EX-000003', '--json', '--case', c.dir])).stdout) as {metadata: {recordPath: string}}
    const record = log.metadata.recordPath.replace(pristine.dir, c.dir)
    chmodSync(record, 0o644)
    writeFileSync(record, readFileSync(record, 'utf8').replace('RICOH', 'NIKON'))
    const problems = await verifyFails(c.dir)
    expect(problems).toEqual([expect.objectContaining({kind: 'metadata-record', subject: 'EX-000003', message: expect.stringContaining('metadata record')})])
  })
})

describe('tampering with the ledger through the sqlite3 shell', () => {
  it('is refused by the triggers when done plainly', () => {
    const c = copyCase('bodies in clear')
    for (const sql of ["UPDATE events SET event = '{}' WHERE seq = 1;", 'DELETE FROM events WHERE seq = 1;', "INSERT OR REPLACE INTO events (seq, prev_hash, hash, event) SELECT seq, prev_hash, hash, event FROM events WHERE seq = 1;"]) {
      const result = spawnSync('sqlite3', [c.db, sql], {encoding: 'utf8'})
      expect(result.stderr).toMatch(/append-only/)
    }
  })

  it('an event edited past the triggers', async () => {
    const c = copyCase('bodies in clear')
    sqlite(c.db, `${DROP_TRIGGERS} UPDATE events SET event = replace(event, 'Simferopol', 'Sevastopol') WHERE seq = 2; ${TRIGGER_SQL}`)
    const problems = await verifyFails(c.dir)
    expect(problems).toContainEqual(expect.objectContaining({kind: 'chain', subject: 'event 2', message: expect.stringContaining('was edited')}))
    expect(problems.filter((p) => p.kind === 'tree-head')).toHaveLength(1)
  })

  it('an event edited and its own hash recomputed', async () => {
    const c = copyCase('bodies in clear')
    const row = JSON.parse(sqlite(c.db, '.mode json\nSELECT prev_hash, event FROM events WHERE seq = 3;')) as Array<{prev_hash: string; event: string}>
    const edited = row[0]!.event.replace('Simferopol', 'Sevastopol')
    const hash = sha256Hex(Buffer.concat([Buffer.from(row[0]!.prev_hash, 'hex'), Buffer.from(edited)]))
    sqlite(c.db, `${DROP_TRIGGERS} UPDATE events SET event = '${edited}', hash = '${hash}' WHERE seq = 3; ${TRIGGER_SQL}`)
    const problems = await verifyFails(c.dir)
    expect(problems).toContainEqual(expect.objectContaining({kind: 'chain', subject: 'event 4', message: expect.stringContaining('does not chain to event 3'), actual: expect.any(String)}))
  })

  it('the whole chain rewritten after an edit', async () => {
    const c = copyCase('bodies in clear')
    sqlite(c.db, `${DROP_TRIGGERS} UPDATE events SET event = replace(event, 'Simferopol', 'Sevastopol') WHERE seq = 2; ${TRIGGER_SQL}`)
    rehashFrom(c.db, 2)
    const problems = await verifyFails(c.dir)
    // Every link holds now; what gives it away is the tree head recorded before, and the signed checkpoints.
    expect(problems).toContainEqual(expect.objectContaining({kind: 'tree-head', message: expect.stringContaining('the ledger was rewritten')}))
    expect(problems).toContainEqual(expect.objectContaining({kind: 'checkpoint', subject: 'checkpoint 1', message: expect.stringContaining('the ledger was rewritten')}))
    expect(problems.every((p) => p.kind === 'tree-head' || p.kind === 'checkpoint')).toBe(true)

    // Adding to the case now would bury the evidence under a new tree head: ingest refuses.
    const headBefore = readFileSync(join(c.dir, '.custody', 'head.json'), 'utf8')
    const ingest = await custodyJson<{error: {code: string; message: string}}>(['ingest', join(SAMPLES, 'Sony.jpg'), '--case', c.dir])
    expect(ingest.code).toBe(3)
    expect(ingest.json.error.message).toMatch(/does not match its last recorded tree head .*nothing was added/)
    expect(readFileSync(join(c.dir, '.custody', 'head.json'), 'utf8')).toBe(headBefore)
    expect(await verifyFails(c.dir)).toEqual(problems)
  })

  it('a ledger rebuilt without the key: chain, tree head record and checkpoint roots all recomputed', async () => {
    const c = copyCase('bodies in clear')
    sqlite(c.db, `${DROP_TRIGGERS} UPDATE events SET event = replace(event, 'Simferopol', 'Sevastopol') WHERE seq = 2; ${TRIGGER_SQL}`)
    rehashFrom(c.db, 2)
    const rows = JSON.parse(sqlite(c.db, '.mode json\nSELECT event, hash FROM events ORDER BY seq;')) as Array<{event: string; hash: string}>
    const tree = new MerkleTree(rows.map((r) => eventLeafHash(r.event)))
    const head = JSON.parse(readFileSync(join(c.dir, '.custody', 'head.json'), 'utf8')) as {root: string; lastHash: string}
    writeFileSync(join(c.dir, '.custody', 'head.json'), JSON.stringify({...head, root: bytesToHex(tree.root()), lastHash: rows.at(-1)!.hash}))
    const checkpoints = JSON.parse(sqlite(c.db, '.mode json\nSELECT seq, body FROM checkpoints ORDER BY seq;')) as Array<{seq: number; body: string}>
    const rewrites = checkpoints.map(({seq, body}) => {
      const doc = JSON.parse(body) as {treeSize: number}
      const forged = canonicalize({...doc, rootHash: bytesToHex(tree.root(doc.treeSize)), lastEventHash: rows[doc.treeSize - 1]!.hash})
      return `UPDATE checkpoints SET body = '${forged}' WHERE seq = ${seq};`
    })
    sqlite(c.db, `DROP TRIGGER checkpoints_no_update; ${rewrites.join('\n')} ${[...SCHEMA_SQL.matchAll(/CREATE TRIGGER checkpoints_no_update[\s\S]*?END;/g)][0]![0]}`)
    const problems = await verifyFails(c.dir)
    // Only the signatures, which need the key, give it away now.
    expect(problems.length).toBeGreaterThan(0)
    const unsigned = problems.filter((p) => !p.message.includes('signature does not verify'))
    expect(problems.filter((p) => p.message.includes('signature does not verify')).map((p) => p.subject)).toEqual(checkpoints.slice(1).map((r) => `checkpoint ${r.seq}`))
    expect(unsigned).toEqual([expect.objectContaining({kind: 'checkpoint', subject: 'events 2..6', message: expect.stringContaining('no validly signed checkpoint')})])
  })

  it('the signed checkpoints deleted', async () => {
    const c = copyCase()
    sqlite(c.db, 'DROP TRIGGER checkpoints_no_delete; DELETE FROM checkpoints WHERE seq >= 1;')
    let problems = await verifyFails(c.dir)
    expect(problems).toContainEqual(expect.objectContaining({kind: 'checkpoint', subject: 'events 2..6', message: expect.stringContaining('no validly signed checkpoint covers these events')}))
    sqlite(c.db, 'DELETE FROM checkpoints;')
    problems = await verifyFails(c.dir)
    expect(problems).toContainEqual(expect.objectContaining({kind: 'checkpoint', message: expect.stringContaining('no signed checkpoint at all')}))
  })

  it('an event deleted from the middle', async () => {
    const c = copyCase()
    sqlite(c.db, `${DROP_TRIGGERS} DELETE FROM events WHERE seq = 2; ${TRIGGER_SQL}`)
    const problems = await verifyFails(c.dir)
    expect(problems).toContainEqual(expect.objectContaining({kind: 'chain', subject: 'event 3', message: expect.stringContaining('events 2..2 are missing')}))
    expect(problems).toContainEqual(expect.objectContaining({kind: 'chain', subject: 'event 3', message: expect.stringContaining('does not chain')}))
  })

  it('events cut off the end', async () => {
    const c = copyCase()
    sqlite(c.db, `${DROP_TRIGGERS} DELETE FROM events WHERE seq >= 4; ${TRIGGER_SQL}`)
    const problems = await verifyFails(c.dir)
    expect(problems).toContainEqual(expect.objectContaining({kind: 'tree-head', subject: 'events 4..6', message: expect.stringContaining('events were removed from its end')}))
    const ingest = await custody(['ingest', join(SAMPLES, 'Sony.jpg'), '--case', c.dir])
    expect(ingest.code).toBe(3)
    expect(ingest.stderr).toContain('events were removed from its end')
  })

  it('an event inserted in the middle', async () => {
    const c = copyCase('bodies in clear')
    const forged = '{"action":"ingest-failed","actor":"Someone","exhibit":null,"payload":{},"prev":"' + '0'.repeat(64) + '","seq":3,"time":"2026-01-01T00:00:00.000Z","v":1}'
    sqlite(
      c.db,
      `${DROP_TRIGGERS}
       UPDATE events SET seq = seq + 100 WHERE seq >= 3;
       UPDATE events SET seq = seq - 99 WHERE seq >= 103;
       INSERT INTO events (seq, prev_hash, hash, event, action_tag) VALUES (3, '${'0'.repeat(64)}', '${'1'.repeat(64)}', '${forged}', randomblob(32));
       ${TRIGGER_SQL}`,
    )
    const problems = await verifyFails(c.dir)
    expect(problems).toContainEqual(expect.objectContaining({subject: 'event 3', message: expect.stringContaining('does not chain to event 2')}))
    expect(problems).toContainEqual(expect.objectContaining({subject: 'event 4', message: expect.stringContaining('says it is event 3: it was moved')}))
  })

  it('an event edited into one custody does not write: the commands that read it refuse the case, naming it; verify reports it', async () => {
    const c = copyCase('bodies in clear')
    // A field no custody writes, where nothing would show it: the ingest event of EX-000001 (event 2).
    sqlite(c.db, `${DROP_TRIGGERS} UPDATE events SET event = replace(event, '"location":"Simferopol"', '"location":"Simferopol","witness":"Olena K."') WHERE seq = 2; ${TRIGGER_SQL}`)
    const problem = 'payload.collected.witness: expected only the fields at, offset, by, location, latitude, longitude, source, got a field custody does not write'
    for (const command of [['log'], ['show', 'EX-000001']]) {
      const refused = await custodyJson<{error: {code: string; subject: string; message: string}}>([...command, '--case', c.dir])
      expect(refused.code, command.join(' ')).toBe(1)
      expect(refused.json.error).toEqual({code: 'LEDGER_UNREADABLE', subject: 'event 2', message: expect.stringContaining(`event 2 of the ledger ${c.db} cannot be read: ${problem}`)})
      expect(refused.json.error.message).toContain('Run `custody verify`')
    }

    const problems = await verifyFails(c.dir)
    expect(problems).toContainEqual(expect.objectContaining({kind: 'event', subject: 'event 2', message: `it cannot be read as a custody event: ${problem}`}))
    expect(problems).toContainEqual(expect.objectContaining({kind: 'chain', subject: 'event 2', message: expect.stringContaining('was edited')}))
  })

  it('two events swapped', async () => {
    const c = copyCase('bodies in clear')
    sqlite(
      c.db,
      `${DROP_TRIGGERS}
       UPDATE events SET seq = 100 WHERE seq = 2;
       UPDATE events SET seq = 2 WHERE seq = 3;
       UPDATE events SET seq = 3 WHERE seq = 100;
       ${TRIGGER_SQL}`,
    )
    const problems = await verifyFails(c.dir)
    expect(problems).toContainEqual(expect.objectContaining({subject: 'event 2', message: expect.stringContaining('says it is event 3: it was moved'), expected: '2', actual: '3'}))
    expect(problems).toContainEqual(expect.objectContaining({subject: 'event 3', message: expect.stringContaining('says it is event 2')}))
  })

  it('the append-only triggers dropped', async () => {
    const c = copyCase()
    sqlite(c.db, 'DROP TRIGGER events_no_delete;')
    const problems = await verifyFails(c.dir)
    expect(problems).toEqual([expect.objectContaining({kind: 'ledger-schema', message: expect.stringContaining('events_no_delete has been removed')})])
  })

  it('the recorded tree head deleted', async () => {
    const c = copyCase()
    rmSync(join(c.dir, '.custody', 'head.json'))
    const problems = await verifyFails(c.dir)
    expect(problems).toEqual([expect.objectContaining({kind: 'tree-head', message: expect.stringContaining('head.json is missing')})])
  })

  it('the ledger file replaced by garbage', async () => {
    const c = copyCase()
    rmSync(`${c.db}-wal`, {force: true})
    rmSync(`${c.db}-shm`, {force: true})
    writeFileSync(c.db, Buffer.alloc(8192, 0x41))
    const problems = await verifyFails(c.dir)
    expect(problems).toEqual([expect.objectContaining({kind: 'ledger-file', message: expect.stringContaining('the ledger cannot be opened')})])
  })
})

describe('tampering with the signing key file in .custody/keys/', () => {
  /** The fingerprint the ledger records, and the path of its key file. */
  async function keyOf(dir: string): Promise<{fingerprint: string; file: string; subject: string}> {
    const shown = await custodyJson<{fingerprint: string}>(['key', 'show', '--case', dir])
    const name = `${shown.json.fingerprint.slice('SHA256:'.length)}.json`
    return {fingerprint: shown.json.fingerprint, file: join(dir, '.custody', 'keys', name), subject: `.custody/keys/${name}`}
  }

  it('a genuine key file passes, and the check says that only its public half was checked', async () => {
    const result = await custodyJson<VerifyJson & {checks: Array<{name: string; ok: boolean; status: string; detail: string}>}>(['verify', '--case', pristine.dir])
    expect(result.code).toBe(0)
    const {fingerprint} = await keyOf(pristine.dir)
    expect(result.json.checks).toContainEqual({
      name: 'signing key',
      ok: true,
      status: 'ok',
      detail: `.custody/keys/ holds ${fingerprint}, the key the ledger records (event 1): its public half checked; its private half is encrypted, and only the passphrase can check it (the next command that signs does)`,
    })
  })

  it('deleted', async () => {
    const c = copyCase()
    const key = await keyOf(c.dir)
    rmSync(key.file)
    const problems = await verifyFails(c.dir)
    expect(problems).toEqual([
      {
        check: 'key',
        kind: 'key',
        subject: key.subject,
        message: `the key file of the case's signing key ${key.fingerprint} is missing; restore ${key.subject} from a backup of the case (until then nothing can be added to the case)`,
        expected: `the key file of ${key.fingerprint}`,
        actual: 'missing',
      },
    ])
  })

  it("replaced by another case's key file, renamed to this key's name", async () => {
    const c = copyCase()
    const key = await keyOf(c.dir)
    const other = await newCase()
    try {
      const theirs = await keyOf(other.dir)
      spawnSync('cp', [theirs.file, key.file])
      const problems = await verifyFails(c.dir)
      expect(problems).toEqual([
        {
          check: 'key',
          kind: 'key',
          subject: key.subject,
          message: `the key file holds the key ${theirs.fingerprint}, not the case's signing key ${key.fingerprint} that the ledger records (event 1): it was replaced or edited; restore ${key.subject} from a backup of the case`,
          expected: key.fingerprint,
          actual: theirs.fingerprint,
        },
      ])
      // The next command that signs says what happened, not that the passphrase is wrong.
      const ingest = await custodyJson<{error: {code: string; message: string}}>(['ingest', join(SAMPLES, 'Sony.jpg'), '--case', c.dir])
      expect(ingest.code).toBe(1)
      expect(ingest.json.error).toMatchObject({code: 'KEY_UNREADABLE', message: expect.stringContaining(`holds the key ${theirs.fingerprint}, not the case's key ${key.fingerprint}; restore it from a backup of the case`)})
    } finally {
      other.remove()
    }
  })

  it('its public key edited, its fingerprint and private half left as they were', async () => {
    const c = copyCase()
    const key = await keyOf(c.dir)
    const other = await newCase()
    try {
      const theirs = await keyOf(other.dir)
      const edited = spawnSync('python3', ['-c', `
import json, sys
mine, theirs = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
mine['publicKey'] = theirs['publicKey']
json.dump(mine, open(sys.argv[1], 'w'), indent=2)
`, key.file, theirs.file], {encoding: 'utf8'})
      expect(edited.status, edited.stderr).toBe(0)
      const problems = await verifyFails(c.dir)
      expect(problems).toEqual([expect.objectContaining({kind: 'key', subject: key.subject, message: expect.stringContaining(`the key file holds the key ${theirs.fingerprint}, not the case's signing key ${key.fingerprint}`), expected: key.fingerprint, actual: theirs.fingerprint})])
    } finally {
      other.remove()
    }
  })

  it('replaced by something that is not a key file', async () => {
    const c = copyCase()
    const key = await keyOf(c.dir)
    writeFileSync(key.file, '{"format": "something else"}\n')
    const problems = await verifyFails(c.dir)
    expect(problems).toEqual([expect.objectContaining({kind: 'key', subject: key.subject, message: `the key file is not a custody signing key file (its format is "something else"); restore ${key.subject} from a backup of the case`})])
  })
})

describe("the ledger's record of a seal, appended with the key (a bug in custody, or someone holding the key)", () => {
  // The seal events are in sealed bodies: verify reads them with the passphrase.
  const passphraseFile = join(work.path, 'passphrase.txt')
  beforeAll(() => writeFileSync(passphraseFile, `${PASSPHRASE}\n`, {mode: 0o600}))
  const withKey = ['--passphrase-file', passphraseFile]
  /** Appends these events, signed and with the tree head recorded, as custody itself would. */
  async function appendSigned(c: {dir: string; knownHeads: string}, drafts: CustodyEventDraft[], more: Iterable<CustodyEventDraft> = []): Promise<void> {
    const kase = Case.open(locateCase({caseDir: c.dir}), {knownHeads: c.knownHeads})
    try {
      await kase.unlock(PASSPHRASE)
      kase.ledger.append(() => ({drafts, more, result: undefined}))
      await kase.recordHead()
    } finally {
      kase.close()
    }
  }

  const ACTOR = 'A. Investigator'
  const seal = (sealId: string, exhibitCount: number): CustodyEventDraft => sealDraft(sealId, exhibitCount, ACTOR)
  const [SHORT, LONG, UNCOUNTED, UNKNOWN, GAP, NONE] = ['1', '2', '3', '4', '5', '6'].map(sealIdOf) as [string, string, string, string, string, string]

  it('a seal whose lists hold fewer exhibits than it says, one whose lists run past it, and one with no count', async () => {
    const c = copyCase()
    await appendSigned(c, [seal(SHORT, 3)], exhibitLists(ACTOR, SHORT, ['EX-000001', 'EX-000002']))
    await appendSigned(c, [seal(LONG, 1)], exhibitLists(ACTOR, LONG, ['EX-000001', 'EX-000002']))
    // A seal event custody does not write (a bug in custody, or someone holding the key): no count.
    const {exhibitCount: _count, ...uncounted} = sealDraft(UNCOUNTED, 1, ACTOR).payload
    await appendSigned(c, [{actor: ACTOR, action: 'seal', exhibit: null, payload: uncounted} as unknown as CustodyEventDraft], exhibitLists(ACTOR, UNCOUNTED, ['EX-000001']))
    const problems = await verifyFails(c.dir, withKey)
    // Each once; a seal's count is checked where its lists end, which a body that holds no event does not end.
    expect(problems).toHaveLength(4)
    expect(problems).toEqual(expect.arrayContaining([
      expect.objectContaining({kind: 'event', message: `seal ${SHORT} says it took 3 exhibits, but the events after it list 2`, expected: '3', actual: '2'}),
      expect.objectContaining({kind: 'event', message: `seal ${LONG} says it took 1 exhibit, but the events after it list 2`, expected: '1', actual: '2'}),
      // Sealed in a body: the body opens, but holds no event custody writes.
      expect.objectContaining({kind: 'event', message: 'it has a body that is not an event (payload.exhibitCount: expected a positive integer, got nothing (the field is missing))'}),
      // Its list follows no seal event that can be read.
      expect.objectContaining({kind: 'event', message: `it lists exhibits of seal ${UNCOUNTED}, but does not follow that seal's event`}),
    ]))
  })

  it('a list that names an exhibit the case does not have', async () => {
    const c = copyCase()
    await appendSigned(c, [seal(UNKNOWN, 2)], exhibitLists(ACTOR, UNKNOWN, ['EX-000001', 'EX-000099']))
    const problems = await verifyFails(c.dir, withKey)
    expect(problems).toEqual([expect.objectContaining({kind: 'event', message: `seal ${UNKNOWN} lists 1 exhibit the case did not have: EX-000099`})])
  })

  it('a list with a gap, and a list that follows no seal', async () => {
    const c = copyCase()
    const list = (sealId: string, first: number, exhibits: string[]): CustodyEventDraft => sealedExhibitsDraft(sealId, first, exhibits, ACTOR)
    // A list starts at 1 more than a multiple of 1,000 (the format refuses any other start): this one skips the first thousand.
    await appendSigned(c, [seal(GAP, 2), list(GAP, 1001, ['EX-000001', 'EX-000002'])])
    await appendSigned(c, [list(NONE, 1, ['EX-000001'])])
    const problems = await verifyFails(c.dir, withKey)
    expect(problems).toEqual([
      expect.objectContaining({kind: 'event', message: `the list of seal ${GAP}'s exhibits is broken: this event should list them from number 1`, expected: '1', actual: '1001 (2 listed)'}),
      expect.objectContaining({kind: 'event', message: `it lists exhibits of seal ${NONE}, but does not follow that seal's event`}),
    ])
  })
})
