import Database from 'better-sqlite3'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {canonicalize} from '../../src/canonical/jcs.js'
import {chainHash, GENESIS_HASH} from '../../src/ledger/event.js'
import {Ledger} from '../../src/ledger/ledger.js'
import {TagKey} from '../../src/ledger/tags.js'
import {bytesToHex, hexToBytes} from '@noble/hashes/utils.js'
import {parseCheckpoint, signCheckpoint} from '../../src/checkpoints/checkpoint.js'
import {verifySignature} from '../../src/keys/signing-key.js'
import {tempDir} from '../helpers/cli.js'
import {createCaseDraft, ingestDraft as ingest, ingestFailedDraft as draft, restoreAcceptedDraft as restore} from '../helpers/drafts.js'
import {memorySigner} from '../helpers/keys.js'

const signer = memorySigner()

// Both schemas behave the same through the Ledger: schema 2 (a case in clear), and schema 3 (an
// encrypted case, its lookup columns keyed tags; tests/unit/tagged-ledger.test.ts tests what is its own).
describe.each([
  {schema: 2, tagKey: undefined},
  {schema: 3, tagKey: new TagKey(Buffer.alloc(32, 7))},
])('the ledger (schema $schema)', ({schema, tagKey}) => {
  let tmp: ReturnType<typeof tempDir>
  let path: string
  let ledger: Ledger

  /** Another connection to the ledger, with the tag key as a command that appends is given it. */
  const openLedger = (): Ledger => {
    const opened = Ledger.open(path)
    if (tagKey !== undefined) opened.useTagKey(tagKey)
    return opened
  }

  beforeEach(() => {
    tmp = tempDir()
    path = join(tmp.path, 'ledger.sqlite')
    ledger = Ledger.create(path, [createCaseDraft()], {caseId: 'c', signer}, tagKey === undefined ? {} : {tagKey}).ledger
    expect(ledger.schema).toBe(schema)
  })

  afterEach(() => {
    ledger.close()
    tmp.remove()
  })

  it('chains every event to the one before, over its canonical JSON', () => {
    ledger.append(() => ({drafts: [draft(1), draft(2)], result: undefined}))
    const events = [...ledger.eachEvent()]
    expect(events.map((e) => e.event.seq)).toEqual([0, 1, 2])
    let prev = GENESIS_HASH
    for (const e of events) {
      expect(e.event.prev).toBe(prev)
      expect(e.canonical).toBe(canonicalize(e.event))
      expect(e.hash).toBe(chainHash(prev, e.canonical))
      prev = e.hash
    }
  })

  describe('refuses to sign onward from events no checkpoint of its own covers', () => {
    /** The ledger's file with its append-only triggers dropped, as whoever can write the file may. */
    const forge = (edit: (db: Database.Database) => void): void => {
      const db = new Database(path)
      for (const {name} of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as Array<{name: string}>) db.prepare(`DROP TRIGGER ${name}`).run()
      edit(db)
      db.close()
    }

    const count = (): number => {
      const db = new Database(path, {readonly: true})
      try {
        return (db.prepare('SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM checkpoints) AS n').get() as {n: number}).n
      } finally {
        db.close()
      }
    }

    it('events added after the last checkpoint (a forger appended, then removed what their key signed)', () => {
      ledger.append(() => ({drafts: [draft(1)], result: undefined}))
      // Two events and their checkpoint, then the checkpoint deleted: events no checkpoint covers.
      ledger.append(() => ({drafts: [draft(2), draft(3)], result: undefined}))
      forge((db) => db.prepare('DELETE FROM checkpoints WHERE seq = (SELECT max(seq) FROM checkpoints)').run())
      const before = count()
      const again = openLedger()
      again.useSigner({caseId: 'c', signer})
      expect(() => again.append(() => ({drafts: [draft(4)], result: undefined}))).toThrow(
        expect.objectContaining({code: 'INTEGRITY', subject: 'event 3', message: expect.stringContaining('ends with 2 event(s) after its last signed checkpoint (events 2 to 3)')}),
      )
      again.close()
      expect(count()).toBe(before)
    })

    it('a last checkpoint whose signature is not its key\'s, or whose body was edited', () => {
      ledger.append(() => ({drafts: [draft(1)], result: undefined}))
      forge((db) => db.prepare("UPDATE checkpoints SET signature = replace(signature, substr(signature, 1, 2), CASE substr(signature, 1, 2) WHEN '00' THEN '01' ELSE '00' END) WHERE seq = (SELECT max(seq) FROM checkpoints)").run())
      const again = openLedger()
      again.useSigner({caseId: 'c', signer})
      expect(() => again.append(() => ({drafts: [draft(2)], result: undefined}))).toThrow(expect.objectContaining({code: 'INTEGRITY', message: expect.stringContaining("a checkpoint whose signature is not its key's")}))
      forge((db) => db.prepare("UPDATE checkpoints SET body = replace(body, '\"treeSize\":2', '\"treeSize\":3') WHERE seq = (SELECT max(seq) FROM checkpoints)").run())
      expect(() => again.append(() => ({drafts: [draft(2)], result: undefined}))).toThrow(expect.objectContaining({code: 'INTEGRITY', message: expect.stringContaining('a checkpoint that is not one custody signs')}))
      again.close()
    })

    it('events a forger appended and signed with a key of their own: a checkpoint by a key that is neither the case\'s nor the one it replaced', () => {
      ledger.append(() => ({drafts: [draft(1)], result: undefined}))
      // custody itself refuses to append for them (their key is not the case's), so they sign the
      // last checkpoint's head again with their own key and put it in its place.
      const own = memorySigner()
      const refused = openLedger()
      refused.useSigner({caseId: 'c', signer: own})
      expect(() => refused.append(() => ({drafts: [draft(2)], result: undefined}))).toThrow(expect.objectContaining({code: 'INTEGRITY'}))
      refused.close()
      forge((db) => {
        const last = db.prepare('SELECT seq, body FROM checkpoints ORDER BY seq DESC LIMIT 1').get() as {seq: number; body: string}
        const {treeSize, rootHash, lastEventHash} = JSON.parse(last.body) as {treeSize: number; rootHash: string; lastEventHash: string}
        const theirs = signCheckpoint(own, 'c', {treeSize, rootHash, lastEventHash})
        db.prepare('UPDATE checkpoints SET body = ?, signature = ? WHERE seq = ?').run(theirs.body, theirs.signature, last.seq)
      })
      const before = count()
      const again = openLedger()
      again.useSigner({caseId: 'c', signer})
      expect(() => again.append(() => ({drafts: [draft(3)], result: undefined}))).toThrow(
        expect.objectContaining({code: 'INTEGRITY', message: expect.stringContaining(`a checkpoint signed by ${own.fingerprint}, which is neither the case's key nor the one its key replaced`)}),
      )
      again.close()
      expect(count()).toBe(before)
    })

    it('a genuine ledger, reopened, appends', () => {
      ledger.append(() => ({drafts: [draft(1)], result: undefined}))
      const again = openLedger()
      again.useSigner({caseId: 'c', signer})
      expect(again.append(() => ({drafts: [draft(2)], result: undefined})).events[0]!.event.seq).toBe(2)
      again.close()
    })
  })

  it('gives the heads of all events and of one prefix without a tree, as the tree gives them', () => {
    ledger.append(() => ({drafts: Array.from({length: 40}, (_, i) => draft(i)), result: undefined}))
    const tree = ledger.tree()
    expect(tree.size).toBe(41)
    for (const at of [undefined, 0, 1, 7, 32, 33, 40, 41]) {
      const heads = ledger.heads(at)
      expect(heads.size).toBe(41)
      expect(bytesToHex(heads.root())).toBe(bytesToHex(tree.root()))
      if (at !== undefined) expect(bytesToHex(heads.root(at)), `head of ${at}`).toBe(bytesToHex(tree.root(at)))
    }

    // Several prefixes in the same pass: head.json's and the known head's.
    const both = ledger.heads(7, 33)
    expect([7, 33, 41].map((at) => bytesToHex(both.root(at)))).toEqual([7, 33, 41].map((at) => bytesToHex(tree.root(at))))
    expect(() => ledger.heads(7).root(8)).toThrow('not of 8')
    // A prefix longer than the ledger has no head (a record from a ledger that was cut short).
    expect(() => ledger.heads(50).root(50)).toThrow('not of 50')
  })

  it('ends every append with a signed checkpoint over the new tree head, in the same transaction', () => {
    ledger.append(() => ({drafts: [draft(1), draft(2)], result: undefined}))
    ledger.append(() => ({drafts: [], result: undefined}))
    ledger.append(() => ({drafts: [draft(3)], result: undefined}))
    const rows = ledger.checkpoints()
    expect(rows.map((r) => r.seq)).toEqual([0, 1, 2])
    const tree = ledger.tree()
    const events = [...ledger.eachEvent()]
    for (const [i, size] of [1, 3, 4].entries()) {
      const body = parseCheckpoint(rows[i]!.body)
      if ('problem' in body) throw new Error(body.problem)
      expect(body.treeSize).toBe(size)
      expect(body.rootHash).toBe(bytesToHex(tree.root(size)))
      expect(body.lastEventHash).toBe(events[size - 1]!.hash)
      expect(body.keyFingerprint).toBe(signer.fingerprint)
      expect(verifySignature(signer.spki, Buffer.from(rows[i]!.body), hexToBytes(rows[i]!.signature))).toBe(true)
    }

    // The newest one this process signed is what the known-heads record keeps; an empty append signs none.
    expect(ledger.lastSigned()).toEqual({body: rows[2]!.body, signature: rows[2]!.signature})
  })

  it('catches up its cached tree head with events another connection appended', () => {
    const other = openLedger()
    other.useSigner({caseId: 'c', signer})
    other.append(() => ({drafts: [draft(1), draft(2), draft(3)], result: undefined}))
    other.close()
    ledger.append(() => ({drafts: [draft(4)], result: undefined}))
    const last = parseCheckpoint(ledger.latestCheckpoint()!.body)
    if ('problem' in last) throw new Error(last.problem)
    expect(last.rootHash).toBe(bytesToHex(ledger.tree().root()))
  })

  it('appends from the head a check computed, caught up with what another connection appended since', () => {
    ledger.append(() => ({drafts: [draft(1), draft(2)], result: undefined}))
    const fresh = openLedger()
    fresh.useSigner({caseId: 'c', signer})
    try {
      expect(fresh.heads().size).toBe(3)
      const other = openLedger()
      other.useSigner({caseId: 'c', signer})
      other.append(() => ({drafts: [draft(3), draft(4)], result: undefined}))
      other.close()
      fresh.append(() => ({drafts: [draft(5)], result: undefined}))
      const last = parseCheckpoint(fresh.latestCheckpoint()!.body)
      if ('problem' in last) throw new Error(last.problem)
      expect(last.treeSize).toBe(6)
      expect(last.rootHash).toBe(bytesToHex(fresh.tree().root()))
    } finally {
      fresh.close()
    }
  })

  it('refuses to append before a signing key is opened', () => {
    const other = openLedger()
    expect(() => other.append(() => ({drafts: [draft(1)], result: undefined}))).toThrow(/signing key/)
    other.close()
  })

  it('refuses to change or remove a checkpoint', () => {
    const db = new Database(path)
    expect(() => db.prepare("UPDATE checkpoints SET body = '{}'").run()).toThrow(/append-only/)
    expect(() => db.prepare('DELETE FROM checkpoints').run()).toThrow(/append-only/)
    db.close()
  })

  it('uses WAL and FULL synchronous on every open', () => {
    const db = new Database(path, {readonly: true})
    expect(db.pragma('journal_mode', {simple: true})).toBe('wal')
    db.close()
    // synchronous is per connection: check the ledger's own connection through a fresh open.
    const again = openLedger()
    const raw = (again as unknown as {db: Database.Database}).db
    expect(raw.pragma('synchronous', {simple: true})).toBe(2)
    again.close()
  })

  it('refuses UPDATE, DELETE, INSERT OR REPLACE and an insert out of sequence', () => {
    ledger.append(() => ({drafts: [draft(1)], result: undefined}))
    const db = new Database(path)
    expect(() => db.prepare("UPDATE events SET event = '{}' WHERE seq = 1").run()).toThrow(/append-only: UPDATE/)
    expect(() => db.prepare('DELETE FROM events WHERE seq = 1').run()).toThrow(/append-only: DELETE/)
    const row = db.prepare('SELECT * FROM events WHERE seq = 1').get() as {prev_hash: string; hash: string; event: string}
    expect(() =>
      db.prepare('INSERT OR REPLACE INTO events (seq, prev_hash, hash, event) VALUES (1, ?, ?, ?)').run(row.prev_hash, 'f'.repeat(64), row.event),
    ).toThrow(/append-only/)
    expect(() => db.prepare('INSERT INTO events (seq, prev_hash, hash, event) VALUES (5, ?, ?, ?)').run(row.hash, 'e'.repeat(64), '{}')).toThrow(
      /append-only/,
    )
    expect(() => db.prepare('INSERT INTO events (seq, prev_hash, hash, event) VALUES (2, ?, ?, ?)').run(GENESIS_HASH, 'e'.repeat(64), '{}')).toThrow(
      /append-only/,
    )
    db.close()
    expect(ledger.size()).toBe(2)
  })

  it('lets compose decide inside the write lock, and appends nothing when compose throws', () => {
    expect(() =>
      ledger.append(() => {
        throw new Error('changed my mind')
      }),
    ).toThrow('changed my mind')
    expect(ledger.size()).toBe(1)
    const {result} = ledger.append((view) => ({drafts: [], result: view.lastExhibitNumber()}))
    expect(result).toBe(0)
  })

  it('numbers exhibits after the last one given, and after the numbers a restore-accepted event reserves', () => {
    const last = (): number => ledger.append((view) => ({drafts: [], result: view.lastExhibitNumber()})).result
    ledger.append(() => ({drafts: [ingest('EX-000001', 'a'.repeat(64)), ingest('EX-000002', 'b'.repeat(64))], result: undefined}))
    expect(last()).toBe(2)
    ledger.append(() => ({drafts: [restore(40)], result: undefined}))
    expect(last()).toBe(40)
    ledger.append(() => ({drafts: [ingest('EX-000041', 'c'.repeat(64)), restore(10)], result: undefined}))
    expect(last()).toBe(41)
    expect(ledger.exhibitCount()).toBe(3)
  })

  it('keeps exhibits unique by SHA-256 and by ID', () => {
    ledger.append(() => ({drafts: [ingest('EX-000001', 'a'.repeat(64))], result: undefined}))
    expect(() => ledger.append(() => ({drafts: [ingest('EX-000002', 'a'.repeat(64))], result: undefined}))).toThrow(/refused an append/)
    expect(() => ledger.append(() => ({drafts: [ingest('EX-000001', 'b'.repeat(64))], result: undefined}))).toThrow(/refused an append/)
    expect(ledger.exhibitBySha256('a'.repeat(64))).toBe('EX-000001')
    expect(ledger.size()).toBe(2)
  })

  it('refuses a stored event custody does not write, naming it and what is wrong; or passes over it, for verify', () => {
    ledger.append(() => ({drafts: [draft(1), ingest('EX-000001', 'a'.repeat(64)), draft(2)], result: undefined}))
    // Edited behind custody's back: a field no custody writes, in the ingest event (seq 2).
    const db = new Database(path)
    db.exec('DROP TRIGGER events_no_update')
    const row = db.prepare<[], {event: string}>('SELECT event FROM events WHERE seq = 2').get()!
    db.prepare('UPDATE events SET event = ? WHERE seq = 2').run(row.event.replace('"note":null', '"note":null,"source":"a hidden note"'))
    db.close()
    const refused = {
      name: 'CustodyError',
      code: 'LEDGER_UNREADABLE',
      subject: 'event 2',
      message: expect.stringMatching(
        new RegExp(`^event 2 of the ledger ${path.replaceAll('.', '\\.')} cannot be read: payload\\.source: expected only the fields .*, got a field custody does not write \\(it is not an event as this version of custody writes them\\)\\. Run \`custody verify\`, and keep a copy of the case as it is$`),
      ),
    }
    expect(() => [...ledger.eachEvent()]).toThrow(expect.objectContaining(refused))
    expect(() => ledger.ingestEvent('EX-000001')).toThrow(expect.objectContaining(refused))
    expect(() => ledger.eventsOfKind('ingest', 'ingest-failed')).toThrow(expect.objectContaining(refused))
    expect(() => [...ledger.eachEventOfKind('ingest')]).toThrow(expect.objectContaining(refused))
    expect(() => ledger.events('EX-000001')).toThrow(expect.objectContaining(refused))
    // What reads no event in full still answers, and the events that parse are read as ever.
    expect(ledger.exhibitCount()).toBe(1)
    expect(ledger.eventsOfKind('ingest-failed').map((e) => e.event.seq)).toEqual([1, 3])

    ledger.passOverUnreadable()
    expect([...ledger.eachEvent()].map((e) => e.event.seq)).toEqual([0, 1, 3])
    expect(ledger.ingestEvent('EX-000001')).toBeUndefined()
    expect(ledger.events('EX-000001')).toEqual([])
  })

  it('reads the events of some kinds a page at a time, every one once and in order, as eventsOfKind() gives them all', () => {
    // More than a page (16 in schema 2, 200 in schema 3) of each kind, interleaved with another kind.
    const drafts = Array.from({length: 450}, (_, i) => (i % 3 === 0 ? ingest(`EX-${String(i + 1).padStart(6, '0')}`, i.toString(16).padStart(64, '0')) : draft(i)))
    ledger.append(() => ({drafts, result: undefined}))
    const paged = [...ledger.eachEventOfKind('ingest')].map((e) => e.event.seq)
    expect(paged).toHaveLength(150)
    expect(paged).toEqual(ledger.eventsOfKind('ingest').map((e) => e.event.seq))
    expect(paged).toEqual(Array.from({length: 150}, (_, k) => 3 * k + 1))
    const both = [...ledger.eachEventOfKind('ingest', 'ingest-failed')].map((e) => e.event.seq)
    expect(both).toEqual(Array.from({length: 450}, (_, k) => k + 1))
  })

  it('builds the Merkle tree over the canonical events', () => {
    ledger.append(() => ({drafts: [draft(1), draft(2), draft(3)], result: undefined}))
    const tree = ledger.tree()
    expect(tree.size).toBe(4)
    expect(tree.root(4)).not.toEqual(tree.root(3))
  })
})
