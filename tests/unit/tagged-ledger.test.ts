/**
 * The schema-3 ledger of an encrypted case (src/ledger/schema.ts, tagged-store.ts, tags.ts): no
 * lookup column in clear but the exhibit; tags written at insert, as openssl computes them; every
 * lookup answering as the schema-2 ledger does from the same events, with the key and without it;
 * and an index forged with the sqlite3 shell refused, not believed.
 */
import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
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

/** HMAC-SHA-256 under the address key, as openssl computes it: the tags' reference. */
function opensslTag(text: string): string {
  const out = execFileSync('openssl', ['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${ADDRESS_KEY.toString('hex')}`], {input: text}).toString()
  return out.trim().split(' ').at(-1)!
}

/** A presented-again event of `exhibit`, from a source path. */
function presentedAgain(exhibit: string, sha256: string, path: string): CustodyEventDraft {
  return {actor: 'tester', action: 'presented-again', exhibit, payload: {file: {name: 'again.jpg', path, modifiedAt: null}, digests: {sha256, sha512: 'b'.repeat(128)}, size: 1, collected: {}, note: null}}
}

/** The events every test's ledgers hold: exhibits, a failure, a seal of two, a reservation, a file presented again. */
const EVENTS: CustodyEventDraft[] = [
  ingestDraft('EX-000001', A),
  ingestFailedDraft(1),
  ingestDraft('EX-000002', B),
  sealDraft(sealIdOf('1'), 2),
  sealedExhibitsDraft(sealIdOf('1'), 0, ['EX-000001', 'EX-000002']),
  restoreAcceptedDraft(9),
  ingestDraft('EX-000010', C),
  presentedAgain('EX-000001', A, '/evidence/again.jpg'),
]

describe('a schema-3 ledger', () => {
  let tmp: ReturnType<typeof tempDir>
  let path: string
  let tagged: Ledger
  let clear: Ledger

  beforeEach(() => {
    tmp = tempDir()
    path = join(tmp.path, 'tagged.sqlite')
    tagged = Ledger.create(path, [createCaseDraft()], signer, {tagKey: new TagKey(ADDRESS_KEY)}).ledger
    clear = Ledger.create(join(tmp.path, 'clear.sqlite'), [createCaseDraft()], signer).ledger
    for (const ledger of [tagged, clear]) ledger.append(() => ({drafts: EVENTS, result: undefined}))
  })

  afterEach(() => {
    tagged.close()
    clear.close()
    tmp.remove()
  })

  it('has no column generated from the event, nor any in clear but the exhibit; its tags are 32 bytes', () => {
    const db = new Database(path, {readonly: true})
    try {
      expect(db.pragma('user_version', {simple: true})).toBe(3)
      // table_xinfo lists generated columns too (hidden 2 or 3): there are none.
      const columns = db.prepare<[], {name: string; type: string; hidden: number}>("SELECT name, type, hidden FROM pragma_table_xinfo('events')").all()
      expect(columns).toEqual([
        {name: 'seq', type: 'INTEGER', hidden: 0},
        {name: 'prev_hash', type: 'TEXT', hidden: 0},
        {name: 'hash', type: 'TEXT', hidden: 0},
        {name: 'event', type: 'TEXT', hidden: 0},
        {name: 'exhibit', type: 'TEXT', hidden: 0},
        {name: 'action_tag', type: 'BLOB', hidden: 0},
        {name: 'content_tag', type: 'BLOB', hidden: 0},
        {name: 'source_tag', type: 'BLOB', hidden: 0},
      ])
      // Nothing of the schema (table, index, trigger) reads the event's JSON.
      const sql = db.prepare<[], {sql: string | null}>('SELECT sql FROM sqlite_master').all().map((r) => r.sql ?? '')
      expect(sql.join('\n')).not.toMatch(/json_|"action"|sha256 /)
      const sizes = db.prepare<[], {a: number; c: number | null; s: number | null}>('SELECT length(action_tag) AS a, length(content_tag) AS c, length(source_tag) AS s FROM events').all()
      expect(sizes.every((r) => r.a === 32 && (r.c ?? 32) === 32 && (r.s ?? 32) === 32)).toBe(true)
    } finally {
      db.close()
    }
  })

  it('writes each tag as HMAC-SHA-256 under the address key of action:, sha256: and source:, as openssl computes it', () => {
    const rows = JSON.parse(
      sqlite(path, ".mode json\nSELECT seq, json_extract(event, '$.action') AS action, hex(action_tag) AS a, hex(content_tag) AS c, hex(source_tag) AS s FROM events ORDER BY seq;"),
    ) as Array<{seq: number; action: string; a: string; c: string | null; s: string | null}>
    expect(rows.map((r) => r.a.toLowerCase())).toEqual(rows.map((r) => opensslTag(`action:${r.action}`)))
    const bySeq = new Map(rows.map((r) => [r.seq, r]))
    expect(bySeq.get(1)!.c?.toLowerCase()).toBe(opensslTag(`sha256:${A}`))
    expect(bySeq.get(1)!.s?.toLowerCase()).toBe(opensslTag('source:/evidence/EX-000001.jpg'))
    // A presented-again event has a source tag, no content tag: only an exhibit's ingest has one.
    expect(bySeq.get(8)).toMatchObject({c: '', s: opensslTag('source:/evidence/again.jpg').toUpperCase()})
    // Neither has an event that records no file taken in.
    for (const seq of [0, 2, 4, 5, 6]) expect(bySeq.get(seq), `event ${seq}`).toMatchObject({c: '', s: ''})
  })

  it('answers every lookup as the schema-2 ledger does, with the key and without it', () => {
    const keyless = Ledger.open(path)
    try {
      for (const ledger of [tagged, keyless]) {
        // The two ledgers' events differ only by their times (and so their hashes): compared by place.
        const hashes = (events: Array<{event: {seq: number}}>): number[] => events.map((e) => e.event.seq)
        const shape = ({seq, action, exhibit}: {seq: number; action: string; exhibit: string | null}): unknown => ({seq, action, exhibit})
        expect(ledger.schema).toBe(3)
        expect(ledger.exhibitBySha256(B)).toBe(clear.exhibitBySha256(B))
        expect(ledger.exhibitBySha256('d'.repeat(64))).toBeUndefined()
        expect(ledger.ingestEvent('EX-000010')?.event.seq).toBe(clear.ingestEvent('EX-000010')?.event.seq)
        expect(ledger.exhibitFile('EX-000002')).toEqual(clear.exhibitFile('EX-000002'))
        expect(ledger.exhibitFile('EX-000003')).toBeUndefined()
        expect(ledger.exhibitCount()).toBe(3)
        expect(ledger.lastExhibitNumber()).toBe(clear.lastExhibitNumber())
        expect([...ledger.eachExhibitId()]).toEqual([...clear.eachExhibitId()])
        expect(hashes([...ledger.eachIngestEvent()])).toEqual(hashes([...clear.eachIngestEvent()]))
        expect(hashes(ledger.eventsOfKind('seal', 'ingest-failed', 'presented-again'))).toEqual(hashes(clear.eventsOfKind('seal', 'ingest-failed', 'presented-again')))
        // An exhibit's events: its own, and the seal whose sealed-exhibits event lists it.
        expect(hashes(ledger.events('EX-000001'))).toEqual(hashes(clear.events('EX-000001')))
        expect(ledger.events('EX-000001').map((e) => e.event.action)).toEqual(['ingest', 'seal', 'presented-again'])
        // Its own events alone (the purge lookup's): not the seal that lists it.
        expect(hashes(ledger.ownEvents('EX-000001'))).toEqual(hashes(clear.ownEvents('EX-000001')))
        expect(ledger.ownEvents('EX-000001').map((e) => e.event.action)).toEqual(['ingest', 'presented-again'])
        expect(ledger.ownEvents('EX-000003')).toEqual([])
        expect([...ledger.sourceFiles()]).toEqual([...clear.sourceFiles()])
        expect([...ledger.rowsBelow(20)].map(shape)).toEqual([...clear.rowsBelow(20)].map(shape))
        expect([...ledger.rowsBelow(20)].every((r) => r.prev === r.prev_hash)).toBe(true)
      }
    } finally {
      keyless.close()
    }
  })

  it('has an index to check against the events with the key only; schema 2 has none', () => {
    const keyless = Ledger.open(path)
    try {
      expect([...tagged.untrueIndexes()!]).toEqual([])
      expect(keyless.untrueIndexes()).toBeUndefined()
      expect(clear.untrueIndexes()).toBeUndefined()
      forge(`UPDATE events SET source_tag = NULL WHERE seq = 8; UPDATE events SET content_tag = X'${opensslTag(`sha256:${'d'.repeat(64)}`)}', exhibit = 'EX-000099' WHERE seq = 1;`)
      expect([...tagged.untrueIndexes()!]).toEqual([
        {seq: 1, column: 'exhibit'},
        {seq: 1, column: 'content_tag'},
        {seq: 8, column: 'source_tag'},
      ])
    } finally {
      keyless.close()
    }
  })

  it('is opened by its user_version, and a version custody does not write is refused', () => {
    sqlite(path, 'PRAGMA user_version = 5;')
    expect(() => Ledger.open(path)).toThrow(expect.objectContaining({code: 'LEDGER_UNREADABLE', message: expect.stringContaining('has schema version 5, expected 2, 3 or 4')}))
  })

  it('refuses to append without the address key: no event is written untagged', () => {
    const keyless = Ledger.open(path)
    keyless.useSigner(signer)
    try {
      expect(() => keyless.append(() => ({drafts: [ingestFailedDraft(2)], result: undefined}))).toThrow(expect.objectContaining({code: 'KEY_UNREADABLE'}))
      expect(keyless.size()).toBe(EVENTS.length + 1)
    } finally {
      keyless.close()
    }
  })

  it('keeps exhibits unique by content and ID through the tags', () => {
    expect(() => tagged.append(() => ({drafts: [ingestDraft('EX-000011', A)], result: undefined}))).toThrow(/refused an append/)
    expect(() => tagged.append(() => ({drafts: [ingestDraft('EX-000002', 'e'.repeat(64))], result: undefined}))).toThrow(/refused an append/)
    // A tag rewritten in place is refused like any other change.
    expect(() => sqlite(path, "UPDATE events SET action_tag = zeroblob(32) WHERE seq = 1;")).toThrow(/append-only: UPDATE/)
  })

  /** Changes the ledger with the sqlite3 shell, its update trigger dropped, as someone with the disk could. */
  const forge = (sql: string): void => {
    sqlite(path, `DROP TRIGGER events_no_update; ${sql}`)
  }

  it("gives each exhibit's events alike when asked once and again (the second time from an index of what names each), and after the ledger grows", () => {
    const actions = (ledger: Ledger, exhibit: string): string[] => ledger.events(exhibit).map((e) => `${e.event.seq} ${e.event.action}`)
    const exhibits = ['EX-000001', 'EX-000002', 'EX-000010', 'EX-000003']
    for (const ledger of [tagged, clear]) {
      ledger.append(() => ({drafts: [sealDraft(sealIdOf('2'), 1), sealedExhibitsDraft(sealIdOf('2'), 0, ['EX-000010'])], result: undefined}))
    }

    const expected = exhibits.map((x) => actions(clear, x))
    expect(expected[2]).toEqual(['7 ingest', '9 seal'])
    // Asked in turn, twice over: the first answer walks the events, the others come from the index.
    for (const round of [1, 2]) for (const [i, x] of exhibits.entries()) expect(actions(tagged, x), `${x}, round ${round}`).toEqual(expected[i])
    // A seal appended after the index was made: it is made again, and names the new seal.
    for (const ledger of [tagged, clear]) {
      ledger.append(() => ({drafts: [sealDraft(sealIdOf('3'), 2), sealedExhibitsDraft(sealIdOf('3'), 0, ['EX-000001', 'EX-000010'])], result: undefined}))
    }

    for (const x of exhibits) actions(tagged, x)
    for (const x of exhibits) expect(actions(tagged, x), x).toEqual(actions(clear, x))
    expect(actions(tagged, 'EX-000001')).toEqual(['1 ingest', '4 seal', '8 presented-again', '11 seal'])
  })

  it('refuses a content tag forged to point at another exhibit: the event it chose records another SHA-256', () => {
    // EX-000001's row given the tag of a file the case does not hold: the file would be taken for EX-000001.
    const tag = opensslTag(`sha256:${'d'.repeat(64)}`)
    forge(`UPDATE events SET content_tag = X'${tag}' WHERE seq = 1;`)
    expect(() => tagged.exhibitBySha256('d'.repeat(64))).toThrow(
      expect.objectContaining({
        code: 'INTEGRITY',
        subject: 'event 1',
        message: expect.stringContaining(`indexed as the exhibit of the original whose SHA-256 is ${'d'.repeat(64)}, but the event is the ingest of an original whose SHA-256 is ${A}`),
      }),
    )
  })

  it('refuses an action tag or an exhibit column forged to make one event pass for another', () => {
    // The failure at seq 2 tagged as a seal: it would be listed among the seals.
    forge(`UPDATE events SET action_tag = X'${opensslTag('action:seal')}' WHERE seq = 2;`)
    expect(() => tagged.eventsOfKind('seal')).toThrow(expect.objectContaining({code: 'INTEGRITY', subject: 'event 2', message: expect.stringContaining('indexed as a seal event, but the event is a ingest-failed event')}))
    // EX-000002's ingest filed under EX-000001: it would be read as EX-000001's.
    sqlite(path, "DROP INDEX exhibits_by_id; UPDATE events SET exhibit = 'EX-000001' WHERE seq = 3;")
    expect(() => tagged.events('EX-000001')).toThrow(expect.objectContaining({code: 'INTEGRITY', subject: 'event 3'}))
    expect(() => tagged.ownEvents('EX-000001')).toThrow(expect.objectContaining({code: 'INTEGRITY', subject: 'event 3'}))
  })
})
