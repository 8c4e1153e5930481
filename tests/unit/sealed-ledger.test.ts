/**
 * The schema-4 ledger (design step 2, in development; src/ledger/sealed-store.ts): each row an
 * envelope in clear and a body sealed under its run's key. With the keys it answers every lookup
 * as the schema-2 ledger does; the file holds nothing of the events in clear; without an identity
 * a typed read says CONTENT_LOCKED, while duplicates and the next exhibit number are found with
 * the address key alone; every forgery of a row or a run is refused with INTEGRITY, naming the event.
 */
import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {readFileSync} from 'node:fs'
import Database from 'better-sqlite3'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import type {CustodyEventDraft} from '../../src/formats/events.js'
import {Ledger} from '../../src/ledger/ledger.js'
import {TagKey} from '../../src/ledger/tags.js'
import {sqlite, tempDir} from '../helpers/cli.js'
import {createCaseDraft, ingestDraft, ingestFailedDraft, restoreAcceptedDraft, sealDraft, sealedExhibitsDraft, sealIdOf} from '../helpers/drafts.js'
import {memorySigner} from '../helpers/keys.js'

const ADDRESS_KEY = Buffer.alloc(32, 0x5a)
const signer = {caseId: 'c', signer: memorySigner()}
const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const C = 'c'.repeat(64)
const own = generateIdentity()
const hq = generateIdentity()
const bodyKeys = {recipients: [parseRecipient(own.recipient), parseRecipient(hq.recipient)], identities: [parseIdentity(own.identity)]}

const EVENTS: CustodyEventDraft[] = [
  ingestDraft('EX-000001', A),
  ingestFailedDraft(1),
  ingestDraft('EX-000002', B),
  sealDraft(sealIdOf('1'), 2),
  sealedExhibitsDraft(sealIdOf('1'), 1, ['EX-000001', 'EX-000002']),
  restoreAcceptedDraft(9),
  ingestDraft('EX-000010', C),
]

describe('a schema-4 ledger', () => {
  let tmp: ReturnType<typeof tempDir>
  let path: string
  let sealed: Ledger
  let clear: Ledger

  beforeEach(() => {
    tmp = tempDir()
    path = join(tmp.path, 'sealed.sqlite')
    sealed = Ledger.create(path, [createCaseDraft()], signer, {tagKey: new TagKey(ADDRESS_KEY), bodyKeys}).ledger
    clear = Ledger.create(join(tmp.path, 'clear.sqlite'), [createCaseDraft()], signer).ledger
    for (const ledger of [sealed, clear]) ledger.append(() => ({drafts: EVENTS, result: undefined}))
  })

  afterEach(() => {
    sealed.close()
    clear.close()
    tmp.remove()
  })

  /** The ledger opened again, as another command would, with these keys. */
  const reopened = (identities = bodyKeys.identities, tagKey = true): Ledger => {
    const ledger = Ledger.open(path)
    if (tagKey) ledger.useTagKey(new TagKey(ADDRESS_KEY))
    ledger.useBodyKeys({recipients: bodyKeys.recipients, identities})
    return ledger
  }

  it('holds nothing of the events in clear, in the file or its -wal', () => {
    sealed.close()
    const bytes = Buffer.concat([readFileSync(path), ...['-wal'].map((s) => (() => { try { return readFileSync(path + s) } catch { return Buffer.alloc(0) } })())]).toString('latin1')
    for (const secret of [A, B, '/evidence/EX-000001.jpg', 'EX-000001.jpg', '"action":"ingest"', 'ingest-failed']) expect(bytes, secret).not.toContain(secret)
    expect(bytes).toContain('EX-000001') // the exhibit IDs stay in clear, by design
    sealed = Ledger.open(path)
  })

  it('answers every lookup as the schema-2 ledger does, opened again by another identity of the case', () => {
    for (const ledger of [sealed, reopened([parseIdentity(hq.identity)])]) {
      const seqs = (events: Array<{event: {seq: number}}>): number[] => events.map((e) => e.event.seq)
      expect(ledger.schema).toBe(4)
      expect(ledger.exhibitBySha256(B)).toBe('EX-000002')
      expect(ledger.exhibitBySha256('d'.repeat(64))).toBeUndefined()
      expect(ledger.exhibitFile('EX-000002')).toEqual(clear.exhibitFile('EX-000002'))
      expect(ledger.lastExhibitNumber()).toBe(clear.lastExhibitNumber())
      expect(seqs([...ledger.eachIngestEvent()])).toEqual(seqs([...clear.eachIngestEvent()]))
      expect(seqs(ledger.eventsOfKind('seal', 'ingest-failed'))).toEqual(seqs(clear.eventsOfKind('seal', 'ingest-failed')))
      expect(ledger.events('EX-000001').map((e) => e.event.action)).toEqual(['ingest', 'seal'])
      expect(ledger.ownEvents('EX-000001').map((e) => e.event.action)).toEqual(['ingest'])
      expect([...ledger.sourceFiles()]).toEqual([...clear.sourceFiles()])
      expect([...ledger.eachEvent()].map((e) => e.event.action)).toEqual([...clear.eachEvent()].map((e) => e.event.action))
      expect(ledger.firstEvent().event).toMatchObject({action: 'create-case'})
      expect([...ledger.untrueIndexes()!]).toEqual([])
      if (ledger !== sealed) ledger.close()
    }
  })

  it("tags a batch's file by its path, size and time, and each event of a batch, as openssl computes them, in its columns and envelope", () => {
    const batch = 'BATCH-0123456789abcdef'
    const draft = ingestDraft('EX-000011', 'd'.repeat(64))
    draft.payload = {...draft.payload, file: {name: 'IMG_0001.jpg', path: '/card/DCIM/IMG_0001.jpg', modifiedAt: '2026-01-02T03:04:05.000Z'}, batch}
    sealed.append(() => ({drafts: [draft], result: undefined}))
    const db = new Database(path, {readonly: true})
    type Tagged = {seq: number; file: Buffer | null; batch: Buffer | null; envelope: string}
    const rows = db.prepare<[], Tagged>('SELECT seq, file_tag AS file, batch_tag AS batch, envelope FROM events WHERE file_tag IS NOT NULL OR batch_tag IS NOT NULL').all()
    db.close()
    const hmac = (text: string): string => execFileSync('openssl', ['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${ADDRESS_KEY.toString('hex')}`], {input: text}).toString().trim().split(' ').at(-1)!
    const expected = {file: hmac('file:["/card/DCIM/IMG_0001.jpg",1,"2026-01-02T03:04:05.000Z"]'), batch: hmac(`batch:${batch}`)}
    // Only the batch's file has them: the events of EVENTS are of no batch.
    expect(rows.map((r) => ({seq: r.seq, file: r.file?.toString('hex'), batch: r.batch?.toString('hex')}))).toEqual([{seq: 8, ...expected}])
    expect(JSON.parse(rows[0]!.envelope).tags).toMatchObject(expected)
  })

  it("tags a testimony's witness code in lower case, as openssl computes it: W-014 and w-014 are one witness", () => {
    const hmac = (text: string): string => execFileSync('openssl', ['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${ADDRESS_KEY.toString('hex')}`], {input: text}).toString().trim().split(' ').at(-1)!
    const key = new TagKey(ADDRESS_KEY)
    expect(key.witness('W-014').toString('hex')).toBe(hmac('witness:w-014'))
    expect(key.witness('w-014').toString('hex')).toBe(hmac('witness:w-014'))
    expect(key.witness('W-015').toString('hex')).not.toBe(hmac('witness:w-014'))
  })

  it('chains and trees the envelopes, as the checkpoint signed', () => {
    const again = reopened()
    expect(Buffer.from(again.heads().root()).toString('hex')).toBe(JSON.parse(again.latestCheckpoint()!.body).rootHash)
    again.close()
  })

  it('without an identity, finds duplicates and numbers exhibits but reads no event: CONTENT_LOCKED', () => {
    const writeOnly = reopened([])
    try {
      expect(writeOnly.exhibitBySha256(A)).toBe('EX-000001')
      expect(writeOnly.lastExhibitNumber()).toBe(10)
      expect(writeOnly.exhibitCount()).toBe(3)
      expect(() => writeOnly.ingestEvent('EX-000001')).toThrow(expect.objectContaining({code: 'CONTENT_LOCKED', subject: 'event 1'}))
      expect(() => writeOnly.firstEvent()).toThrow(expect.objectContaining({code: 'CONTENT_LOCKED'}))
      // It appends, sealing under a run key of its own, and reads back what it wrote.
      writeOnly.useSigner(signer)
      const {events} = writeOnly.append(() => ({drafts: [ingestFailedDraft(7)], result: undefined}))
      expect(events[0]!.event.seq).toBe(8)
      expect(sqlite(path, 'SELECT count(*) FROM runs;').trim()).toBe('2')
      const reader = reopened([parseIdentity(hq.identity)])
      expect(reader.eventsOfKind('ingest-failed').map((e) => e.event.seq)).toEqual([2, 8])
      reader.close()
    } finally {
      writeOnly.close()
    }
  })

  it('gives the public facts of its key events without any key, as a schema-2 ledger gives them from its events', () => {
    const keyless = Ledger.open(path)
    try {
      const facts = [...keyless.publicFacts()].map(({seq, facts}) => ({seq, facts}))
      expect(facts).toEqual([...clear.publicFacts()].map(({seq, facts}) => ({seq, facts})))
      expect(facts.map((f) => f.facts.action)).toEqual(['create-case', 'restore-accepted'])
      expect(facts[1]!.facts).toEqual({action: 'restore-accepted', reservedExhibitNumbers: 9})
    } finally {
      keyless.close()
    }
  })

  it('checks its index against the chained envelopes with no key, and against the events with the keys', () => {
    const keyless = Ledger.open(path)
    try {
      expect([...keyless.untrueIndexes()!]).toEqual([])
      forge(`UPDATE events SET source_tag = NULL WHERE seq = 1;`)
      expect([...keyless.untrueIndexes()!]).toEqual([{seq: 1, column: 'source_tag'}])
      const keyed = reopened()
      expect([...keyed.untrueIndexes()!]).toEqual([{seq: 1, column: 'source_tag'}])
      keyed.close()
    } finally {
      keyless.close()
    }
  })

  it('gives up its run number when its transaction rolls back, and reads the run that took it with that run\'s key', () => {
    const first = reopened()
    const second = reopened()
    for (const ledger of [first, second]) ledger.useSigner(signer)
    try {
      // first's first append rolls back after writing the row of its run, number 1.
      expect(() => first.append(() => ({drafts: [ingestDraft('EX-000011', A)], result: undefined}))).toThrow(/refused an append/)
      second.append(() => ({drafts: [ingestFailedDraft(8)], result: undefined}))
      first.append(() => ({drafts: [ingestFailedDraft(9)], result: undefined}))
      expect(sqlite(path, 'SELECT id FROM runs ORDER BY id;').trim().split('\n')).toEqual(['0', '1', '2'])
      expect(first.eventsOfKind('ingest-failed').map((e) => e.event.seq)).toEqual([2, 8, 9])
    } finally {
      first.close()
      second.close()
    }
  })

  /** Changes the ledger with the sqlite3 shell, its triggers dropped, as someone with the disk could. */
  const forge = (sql: string): void => {
    sqlite(path, `DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS runs_no_update; DROP TRIGGER IF EXISTS runs_no_delete; ${sql}`)
  }
  const refusedAt = (seq: number, read: (l: Ledger) => unknown): void => {
    const ledger = reopened()
    try {
      expect(() => read(ledger)).toThrow(expect.objectContaining({code: 'INTEGRITY', subject: `event ${seq}`}))
    } finally {
      ledger.close()
    }
  }

  it('refuses a body moved to another row', () => {
    forge('UPDATE events SET body = (SELECT body FROM events WHERE seq = 3) WHERE seq = 1;')
    refusedAt(1, (l) => l.ingestEvent('EX-000001'))
  })

  it('refuses a body with a byte flipped', () => {
    const db = new Database(path)
    const body = db.prepare<[], {body: Buffer}>('SELECT body FROM events WHERE seq = 3').get()!.body
    body[20]! ^= 0xff
    db.exec('DROP TRIGGER events_no_update')
    db.prepare('UPDATE events SET body = ? WHERE seq = 3').run(body)
    db.close()
    refusedAt(3, (l) => l.ingestEvent('EX-000002'))
  })

  it('reads and opens a row again once a byte of it changed, when the same process read it before (what it made of it is not believed after)', () => {
    const ledger = reopened()
    try {
      // Read, so that what was opened is kept; then changed on the disk while the ledger is open.
      expect(ledger.ingestEvent('EX-000002')?.event.seq).toBe(3)
      expect(ledger.eventsOfKind('ingest-failed').map((e) => e.event.seq)).toEqual([2])
      const facts = [...ledger.publicFacts()].length
      expect(facts).toBeGreaterThan(0)
      const db = new Database(path)
      const body = db.prepare<[], {body: Buffer}>('SELECT body FROM events WHERE seq = 3').get()!.body
      body[20]! ^= 0xff
      db.exec('DROP TRIGGER events_no_update')
      db.prepare('UPDATE events SET body = ? WHERE seq = 3').run(body)
      db.prepare(`UPDATE events SET envelope = replace(envelope, substr(envelope, instr(envelope, '"bodyCommitment":"') + 18, 64), '${'0'.repeat(64)}') WHERE seq = 2`).run()
      // An envelope that says it is another event's: a walk over the envelopes alone finds it.
      db.prepare(`UPDATE events SET envelope = replace(envelope, '"seq":5,', '"seq":50,') WHERE seq = 5`).run()
      db.close()
      expect(() => [...ledger.publicFacts()]).toThrow(expect.objectContaining({code: 'INTEGRITY', subject: 'event 5'}))
      expect(() => ledger.ingestEvent('EX-000002')).toThrow(expect.objectContaining({code: 'INTEGRITY', subject: 'event 3'}))
      expect(() => ledger.eventsOfKind('ingest-failed')).toThrow(expect.objectContaining({code: 'INTEGRITY', subject: 'event 2'}))
    } finally {
      ledger.close()
    }
  })

  it('refuses an envelope edited', () => {
    forge("UPDATE events SET envelope = replace(envelope, '\"exhibit\":\"EX-000002\"', '\"exhibit\":\"EX-000009\"') WHERE seq = 3;")
    refusedAt(3, (l) => [...l.eachEvent()])
  })

  it('refuses a commitment changed', () => {
    forge(`UPDATE events SET envelope = replace(envelope, substr(envelope, instr(envelope, '"bodyCommitment":"') + 18, 64), '${'0'.repeat(64)}') WHERE seq = 2;`)
    refusedAt(2, (l) => l.eventsOfKind('ingest-failed'))
  })

  it('refuses a run swapped or removed', () => {
    const other = Ledger.create(join(tmp.path, 'other.sqlite'), [createCaseDraft()], signer, {tagKey: new TagKey(ADDRESS_KEY), bodyKeys}).ledger
    other.close()
    forge(`ATTACH '${join(tmp.path, 'other.sqlite')}' AS o; UPDATE runs SET wrapped = (SELECT wrapped FROM o.runs WHERE id = 0) WHERE id = 0;`)
    refusedAt(1, (l) => l.ingestEvent('EX-000001'))
    forge('DELETE FROM runs;')
    refusedAt(1, (l) => l.ingestEvent('EX-000001'))
  })

  it('refuses a content tag forged to point at another exhibit, without opening a body', () => {
    forge(`UPDATE events SET content_tag = (SELECT action_tag FROM events WHERE seq = 2) WHERE seq = 1;`)
    const writeOnly = reopened([])
    try {
      expect(() => writeOnly.exhibitBySha256(A)).not.toThrow()
      const tag = new TagKey(ADDRESS_KEY).content('d'.repeat(64)).toString('hex')
      forge(`UPDATE events SET content_tag = X'${tag}' WHERE seq = 3;`)
      expect(() => writeOnly.exhibitBySha256('d'.repeat(64))).toThrow(expect.objectContaining({code: 'INTEGRITY', subject: 'event 3'}))
    } finally {
      writeOnly.close()
    }
  })
})
