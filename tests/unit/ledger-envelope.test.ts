/**
 * The stored form of an encrypted case's events (src/ledger/envelope.ts) and the run keys that
 * seal their bodies (src/ledger/run-keys.ts): a row opens to the event it was written from; the
 * chain hash and the commitment are what sha256sum computes from the bytes; every forgery of a
 * row (a body moved, a byte flipped, an envelope edited, a commitment changed, another run's key)
 * is refused with INTEGRITY naming the event; a run key opens with each recipient's identity,
 * with the `age` tool too, and with nobody else's.
 */
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {canonicalize} from '../../src/canonical/jcs.js'
import {CustodyError} from '../../src/errors.js'
import type {CustodyEvent, CustodyEventDraft} from '../../src/formats/events.js'
import {chainHash, eventLeafHash, GENESIS_HASH} from '../../src/ledger/event.js'
import {carriedLeafOf, carryRow, openCarried, openRow, publicOf, readEnvelope, readStoredEnvelope, sealRow, storedBodyProblem, storedLeafHash, type CarriedEnvelope, type Envelope, type SealedRow} from '../../src/ledger/envelope.js'
import {newRunKey, openRunKey, RunKeyRing} from '../../src/ledger/run-keys.js'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {tempDir} from '../helpers/cli.js'
import {createCaseDraft, ingestDraft} from '../helpers/drafts.js'

const RUN_KEY = Buffer.alloc(32, 7)
const OTHER_KEY = Buffer.alloc(32, 8)
const TAGS = {action: 'ab'.repeat(32)}

function eventOf(draft: CustodyEventDraft, seq: number, prev: string): CustodyEvent {
  return {v: 1, seq, time: '2026-12-04T10:00:00.000Z', ...draft, prev} as CustodyEvent
}

/** Two rows, chained, sealed under RUN_KEY. */
function twoRows(): Array<{row: SealedRow; event: CustodyEvent; salt: Buffer; canonicalEvent: string}> {
  const first = eventOf(createCaseDraft(), 0, GENESIS_HASH)
  const a = sealRow(first, 0, TAGS, RUN_KEY)
  const second = eventOf(ingestDraft('EX-000001', 'a'.repeat(64)), 1, a.row.hash)
  const b = sealRow(second, 0, {...TAGS, content: 'cd'.repeat(32)}, RUN_KEY)
  return [
    {...a, event: first},
    {...b, event: second},
  ]
}

function envelopeOf(row: SealedRow): Envelope {
  const read = readEnvelope(row.envelope)
  if (!('envelope' in read)) throw new Error(read.problem)
  return read.envelope
}

/** The INTEGRITY error that opening `row` under `envelope` and `key` throws. */
function refusal(row: SealedRow, key = RUN_KEY, envelope?: Envelope): CustodyError {
  try {
    openRow(row, envelope ?? envelopeOf(row), key)
  } catch (error) {
    if (error instanceof CustodyError) return error
    throw error
  }

  throw new Error('the row was not refused')
}

describe('an encrypted ledger row', () => {
  it('opens to the event it was sealed from, its hash and commitment as sha256sum computes them', () => {
    const tmp = tempDir()
    for (const {row, event, salt, canonicalEvent} of twoRows()) {
      expect(openRow(row, envelopeOf(row), RUN_KEY).event).toEqual(event)
      const chained = createHash('sha256').update(Buffer.from(row.prev_hash, 'hex')).update(row.envelope).digest('hex')
      expect(row.hash).toBe(chained)
      const file = join(tmp.path, `salted-${row.seq}`)
      writeFileSync(file, Buffer.concat([salt, Buffer.from(canonicalEvent)]))
      expect(execFileSync('sha256sum', [file]).toString().split(' ')[0]).toBe(envelopeOf(row).bodyCommitment)
    }
  })

  it('keeps the event out of the envelope, and the envelope canonical', () => {
    const [, ingest] = twoRows()
    expect(ingest!.row.envelope).not.toContain('a'.repeat(64))
    expect(ingest!.row.body.toString('latin1')).not.toContain('a'.repeat(64))
    expect(canonicalize(JSON.parse(ingest!.row.envelope))).toBe(ingest!.row.envelope)
  })

  it('refuses a body moved to another row', () => {
    const [a, b] = twoRows()
    const error = refusal({...b!.row, body: a!.row.body})
    expect(error.code).toBe('INTEGRITY')
    expect(error.message).toContain('event 1 ')
  })

  it('refuses a body with one byte flipped: its SHA-256 is not the envelope\'s, which needs no key to see', () => {
    const [, b] = twoRows()
    const body = Buffer.from(b!.row.body)
    body[body.length - 20]! ^= 1
    expect(storedBodyProblem(envelopeOf(b!.row), body)).toMatch(/its SHA-256 differs/)
    expect(storedBodyProblem(envelopeOf(b!.row), b!.row.body)).toBeUndefined()
    expect(refusal({...b!.row, body}).message).toMatch(/^event 1 of the ledger has a body that is not the one its envelope records/)
  })

  it("records the body's SHA-256 as sha256sum computes it, and seals the body with the envelope without it as AAD", () => {
    const tmp = tempDir()
    const [, b] = twoRows()
    const file = join(tmp.path, 'body')
    writeFileSync(file, b!.row.body)
    expect(execFileSync('sha256sum', [file]).toString().split(' ')[0]).toBe(envelopeOf(b!.row).bodySha256)
    // An envelope written before custody recorded the digest is its own AAD: taking the field out
    // gives that row, whose body opens (cases made then still read), and then has nothing to check as stored.
    const {bodySha256: _digest, ...before} = envelopeOf(b!.row)
    const text = canonicalize(before)
    const old = {...b!.row, envelope: text, hash: createHash('sha256').update(Buffer.from(b!.row.prev_hash, 'hex')).update(text).digest('hex')}
    expect(openRow(old, before as Envelope, RUN_KEY).event).toEqual(b!.event)
    expect(storedBodyProblem(before as Envelope, Buffer.alloc(40))).toBeUndefined()
    // And a body flipped under such an envelope is still refused once opened.
    const body = Buffer.from(b!.row.body)
    body[body.length - 20]! ^= 1
    expect(refusal({...old, body}, RUN_KEY, before as Envelope).message).toMatch(/does not open/)
  })

  it('refuses an envelope edited and put back in canonical form', () => {
    const [, b] = twoRows()
    const edited = {...envelopeOf(b!.row), time: '2020-01-01T00:00:00.000Z'}
    const text = canonicalize(edited)
    expect(refusal({...b!.row, envelope: text}, RUN_KEY, edited).code).toBe('INTEGRITY')
  })

  it('refuses a commitment changed in the envelope (and the body sealed again to agree with it, as only the run key allows)', () => {
    const [, b] = twoRows()
    const envelope = {...envelopeOf(b!.row), bodyCommitment: 'f'.repeat(64)}
    // The body still opens under the original envelope text, but its commitment is not the one given.
    expect(refusal(b!.row, RUN_KEY, envelope).message).toContain("does not match its envelope's commitment")
  })

  it('refuses a body read with another run key', () => {
    const [, b] = twoRows()
    expect(refusal(b!.row, OTHER_KEY).code).toBe('INTEGRITY')
  })

  it('refuses an envelope that says another seq than its event', () => {
    const [, b] = twoRows()
    const envelope = {...envelopeOf(b!.row), seq: 5}
    expect(refusal(b!.row, RUN_KEY, envelope).message).toContain('envelope whose seq')
  })
})

describe('readEnvelope', () => {
  it('refuses what custody does not write', () => {
    const [a] = twoRows()
    const good = JSON.parse(a!.row.envelope) as Record<string, unknown>
    const problems = [
      '{"v":2',
      '[]',
      canonicalize({...good, extra: 1}),
      canonicalize({...good, v: 1}),
      canonicalize({...good, tags: {action: 'x'}}),
      canonicalize({...good, tags: {label: 'ab'.repeat(32)}}),
      canonicalize({...good, public: {nested: {a: 1}}}),
      canonicalize({...good, bodyCommitment: 'F'.repeat(64)}),
      canonicalize({...good, bodySha256: 'ab'}),
      canonicalize({...good, bodySha256: 1}),
      JSON.stringify({...good, v: 2}, null, 1),
    ].map((text) => readEnvelope(text))
    for (const read of problems) expect(read).toHaveProperty('problem')
    expect(readEnvelope(a!.row.envelope)).toHaveProperty('envelope')
  })
})

describe('publicOf', () => {
  it('says of the key events what is read before a key, and never a name, a title or a label', () => {
    const created = eventOf(createCaseDraft(), 0, GENESIS_HASH)
    const facts = publicOf(created)!
    expect(Object.keys(facts).sort()).toEqual(['action', 'caseId', 'custodyVersion', 'prefix'])
    const key: CustodyEventDraft = {actor: 'Ana Investigator', action: 'key-created', exhibit: null, payload: {algorithm: 'Ed25519', fingerprint: 'f'.repeat(64), publicKey: 'AAAA', holder: 'Ana Investigator'}}
    expect(JSON.stringify(publicOf(eventOf(key, 1, GENESIS_HASH)))).not.toContain('Ana')
    const recipient: CustodyEventDraft = {actor: 'Ana', action: 'recipient-added', exhibit: null, payload: {recipient: 'age1xyz', label: 'HQ Lisbon'}}
    expect(publicOf(eventOf(recipient, 2, GENESIS_HASH))).toEqual({action: 'recipient-added', recipient: 'age1xyz'})
    expect(publicOf(eventOf(ingestDraft('EX-000001', 'a'.repeat(64)), 3, GENESIS_HASH))).toBeUndefined()
  })

  it("lists a testimony's sealed identity record as stored, and nothing else of it (not even its action); an edited list is refused", () => {
    const stored = {vault: `vault/objects/ab/ab${'1'.repeat(62)}.age`, sha256: '2'.repeat(64), size: 812}
    const draft = testimonyDraft(stored)
    const facts = publicOf(eventOf(draft, 3, GENESIS_HASH))
    expect(facts).toEqual({stored: [stored]})
    for (const secret of ['W-014', 'Izium', 'A. Investigator', '3'.repeat(64), '4'.repeat(64), '5'.repeat(64), '6'.repeat(64), 'testimony']) expect(JSON.stringify(facts)).not.toContain(secret)
    const {identity: _, ...withoutIdentity} = draft.payload
    expect(publicOf(eventOf({...draft, payload: {...withoutIdentity, identity: null}} as CustodyEventDraft, 3, GENESIS_HASH))).toBeUndefined()

    // Sealed and opened; then an envelope listing another object (its AAD aside) fails against the body.
    const {row} = sealRow(eventOf(draft, 3, GENESIS_HASH), 0, TAGS, RUN_KEY)
    const envelope = envelopeOf(row)
    expect(envelope.public).toEqual({stored: [stored]})
    expect(openRow(row, envelope, RUN_KEY).event.action).toBe('testimony')
    expect(refusal(row, RUN_KEY, {...envelope, public: {stored: [{...stored, size: 813}]}}).message).toContain("public facts are not its event's")
    expect(refusal(row, RUN_KEY, {...envelope, public: {stored: []}}).message).toContain("public facts are not its event's")
  })

  it("gives a kept receipt's SHA-256 as stored when it is kept encrypted, and in clear apart (what a purge with no key names); as before when kept in clear; an envelope swapping them is refused, one of an earlier build without the clear one opens", () => {
    const clear = '7'.repeat(64)
    const stored = {sha256: '8'.repeat(64), size: 1421}
    const kept = 'custodians/a6c4d560-307c-40d0-a6e0-2a6767f265b4/TRANSFER-963dee33cce2c047.receipt'
    const acknowledged = (receipt: Record<string, unknown>): CustodyEventDraft =>
      ({actor: 'A', action: 'transfer-acknowledged', exhibit: null, payload: {transferId: 'TRANSFER-963dee33cce2c047', by: 'custody-custodian1 x', receipt: {sha256: clear, receivedAt: '2026-12-04T22:20:14.209Z', kept, ...receipt}, condition: 'intact', acknowledged: ['EX-000001'], cosigned: {size: 4, root: '9'.repeat(64)}}}) as CustodyEventDraft
    const encrypted = eventOf(acknowledged({stored}), 3, GENESIS_HASH)
    expect(publicOf(encrypted)).toEqual({action: 'transfer-acknowledged', transferId: 'TRANSFER-963dee33cce2c047', kept, receipt: stored.sha256, acknowledged: 1, receiptInClear: clear})
    const inClear = publicOf(eventOf(acknowledged({}), 3, GENESIS_HASH))
    expect(inClear).toMatchObject({receipt: clear})
    expect(inClear).not.toHaveProperty('receiptInClear')
    const {row} = sealRow(encrypted, 0, TAGS, RUN_KEY)
    const envelope = envelopeOf(row)
    expect(refusal(row, RUN_KEY, {...envelope, public: {...envelope.public, receipt: clear}}).message).toContain("public facts are not its event's")
    expect(refusal(row, RUN_KEY, {...envelope, public: {...envelope.public, receiptInClear: stored.sha256}}).message).toContain("public facts are not its event's")
    const {receiptInClear: _clear, ...earlier} = envelope.public!
    expect(openRow(row, {...envelope, public: earlier}, RUN_KEY).event).toEqual(encrypted)
  })

  it("gives a purge's objects as stored, its transfer and the receipt it stands on; an envelope of an earlier build with its objects only opens, no other change does", () => {
    const objects = [{role: 'original', sha256: null, vault: `vault/objects/ab/ab${'1'.repeat(62)}.age`}]
    const purged = eventOf({actor: 'A', action: 'purged', exhibit: 'EX-000001', payload: {transferId: 'TRANSFER-963dee33cce2c047', by: 'custody-custodian1 x', receipt: {sha256: '7'.repeat(64), seq: 5}, objects}} as CustodyEventDraft, 9, GENESIS_HASH)
    expect(publicOf(purged)).toEqual({action: 'purged', objects: [objects[0]!.vault], transferId: 'TRANSFER-963dee33cce2c047', receiptInClear: '7'.repeat(64), receiptEvent: 5})
    const {row} = sealRow(purged, 0, TAGS, RUN_KEY)
    const envelope = envelopeOf(row)
    expect(openRow(row, envelope, RUN_KEY).event).toEqual(purged)
    expect(openRow(row, {...envelope, public: {action: 'purged', objects: [objects[0]!.vault]}}, RUN_KEY).event).toEqual(purged)
    for (const forged of [{...envelope.public, receiptEvent: 4}, {...envelope.public, receiptInClear: '8'.repeat(64)}, {...envelope.public, objects: []}]) {
      expect(refusal(row, RUN_KEY, {...envelope, public: forged}).message, JSON.stringify(forged)).toContain("public facts are not its event's")
    }
  })

  it("gives a release's ID and item count and a receipt's count acknowledged, never to whom nor which; envelopes of earlier builds without them still open, no other change does", () => {
    const line = 'custody-custodian1 eyJhZ2UiOiJhZ2UxcmVjZWl2ZXIifQ'
    const items = ['EX-000001', 'EX-000002'].map((exhibit, i) => ({exhibit, sha256: String(i + 1).repeat(64), sha512: String(i + 3).repeat(128), size: 100 + i}))
    const released = eventOf(
      {actor: 'A', action: 'transfer-released', exhibit: null, payload: {transferId: 'TRANSFER-963dee33cce2c047', sealId: 'SEAL-0123456789abcdef', to: line, package: {name: 'to-hq.zip.age', sha256: '7'.repeat(64), size: 4096}, purpose: 'hand-over in Kharkiv', acknowledged: null, items}} as CustodyEventDraft,
      5,
      GENESIS_HASH,
    )
    expect(publicOf(released)).toEqual({action: 'transfer-released', transferId: 'TRANSFER-963dee33cce2c047', items: 2})
    for (const secret of [line, 'EX-000001', '1'.repeat(64), '7'.repeat(64), 'to-hq', 'Kharkiv', 'SEAL-']) expect(JSON.stringify(publicOf(released))).not.toContain(secret)
    const {row} = sealRow(released, 0, TAGS, RUN_KEY)
    const envelope = envelopeOf(row)
    expect(openRow(row, envelope, RUN_KEY).event).toEqual(released)
    // The envelope as a development build wrote it, with no facts, is read as before; facts other than these are refused.
    const {public: _facts, ...bare} = envelope
    expect(openRow(row, bare, RUN_KEY).event).toEqual(released)
    for (const forged of [{...envelope.public, items: 3}, {...envelope.public, transferId: 'TRANSFER-0000000000000000'}, {action: 'transfer-released', transferId: 'TRANSFER-963dee33cce2c047'}]) {
      expect(refusal(row, RUN_KEY, {...envelope, public: forged}).message, JSON.stringify(forged)).toContain("public facts are not its event's")
    }

    const acknowledged = (condition: 'intact' | 'refused', ids: string[]): CustodyEvent =>
      eventOf({actor: 'A', action: 'transfer-acknowledged', exhibit: null, payload: {transferId: 'TRANSFER-963dee33cce2c047', by: line, receipt: {sha256: '8'.repeat(64), receivedAt: '2026-12-04T22:20:14.209Z', kept: 'custodians/a6c4d560-307c-40d0-a6e0-2a6767f265b4/TRANSFER-963dee33cce2c047.receipt'}, condition, acknowledged: ids, cosigned: {size: 4, root: '9'.repeat(64)}}} as CustodyEventDraft, 6, GENESIS_HASH)
    expect(publicOf(acknowledged('intact', ['EX-000001', 'EX-000002']))).toMatchObject({acknowledged: 2})
    expect(publicOf(acknowledged('refused', []))).toMatchObject({acknowledged: 0})
    const intact = acknowledged('intact', ['EX-000001', 'EX-000002'])
    const acknowledgedRow = sealRow(intact, 0, TAGS, RUN_KEY).row
    const sealed = envelopeOf(acknowledgedRow)
    const {acknowledged: _count, ...earlier} = sealed.public!
    expect(openRow(acknowledgedRow, {...sealed, public: earlier}, RUN_KEY).event).toEqual(intact)
    const {public: _none, ...noFacts} = sealed
    for (const forged of [{...sealed, public: {...sealed.public, acknowledged: 0}}, noFacts] as Envelope[]) {
      expect(refusal(acknowledgedRow, RUN_KEY, forged).message, JSON.stringify(forged.public)).toContain("public facts are not its event's")
    }
  })

  it('reads a list of objects as stored, and refuses one that holds anything else', () => {
    const good = JSON.parse(sealRow(eventOf(testimonyDraft({vault: `vault/objects/ab/ab${'1'.repeat(62)}.age`, sha256: '2'.repeat(64), size: 812}), 3, GENESIS_HASH), 0, TAGS, RUN_KEY).row.envelope) as Record<string, unknown>
    const object = {vault: `vault/objects/ab/ab${'1'.repeat(62)}.age`, sha256: '2'.repeat(64), size: 812}
    expect(readEnvelope(canonicalize({...good, public: {stored: [object, object]}}))).toHaveProperty('envelope')
    for (const stored of [[object, 'vault/x'], [{...object, plaintext: '3'.repeat(64)}], [{...object, size: 0}], [{vault: object.vault, sha256: object.sha256}]]) {
      expect(readEnvelope(canonicalize({...good, public: {stored}})), JSON.stringify(stored)).toHaveProperty('problem')
    }
  })
})

/** A testimony whose witness gave protected details: its sealed identity record stored as `stored`. */
function testimonyDraft(stored: {vault: string; sha256: string; size: number}): Extract<CustodyEventDraft, {action: 'testimony'}> {
  return {
    actor: 'A. Investigator',
    action: 'testimony',
    exhibit: 'EX-000001',
    payload: {
      witness: 'W-014',
      interview: {startedAt: '2024-03-05T10:00+02:00', endedAt: null, place: 'Izium', interviewers: ['A. Investigator'], present: [], interpreter: null, languages: []},
      vulnerable: false,
      consent: {scopes: ['court'], method: 'signed-form', givenAt: '2024-03-05T10:00+02:00'},
      identity: {commitment: '3'.repeat(64), sealedRecord: '4'.repeat(64), stored, encryptedTo: `SHA256:${'6'.repeat(64)}`, fields: ['name']},
      statement: {version: 1, exhibit: 'EX-000001', sha256: '5'.repeat(64)},
      attachments: [],
      note: null,
      contentCheck: null,
    },
  }
}

describe('run keys', () => {
  const hq = generateIdentity()
  const own = generateIdentity()
  const stranger = generateIdentity()
  const made = newRunKey([parseRecipient(own.recipient), parseRecipient(hq.recipient)])

  it('opens with each recipient, and the age tool opens it too', () => {
    expect(openRunKey(made.wrapped, [parseIdentity(hq.identity)], 'run 0')).toEqual(made.key)
    expect(openRunKey(made.wrapped, [parseIdentity(stranger.identity), parseIdentity(own.identity)], 'run 0')).toEqual(made.key)
    const tmp = tempDir()
    writeFileSync(join(tmp.path, 'id'), `${hq.identity}\n`)
    writeFileSync(join(tmp.path, 'run.age'), made.wrapped)
    expect(execFileSync('age', ['-d', '-i', join(tmp.path, 'id'), join(tmp.path, 'run.age')])).toEqual(made.key)
  })

  it('does not open for a stranger, and refuses a damaged file', () => {
    expect(openRunKey(made.wrapped, [parseIdentity(stranger.identity)], 'run 0')).toBeUndefined()
    const damaged = Buffer.from(made.wrapped)
    damaged[damaged.length - 3]! ^= 1
    expect(() => openRunKey(damaged, [parseIdentity(hq.identity)], 'run 0')).toThrow(expect.objectContaining({code: 'INTEGRITY'}))
    expect(() => openRunKey(made.wrapped.subarray(0, 40), [parseIdentity(hq.identity)], 'run 0')).toThrow(expect.objectContaining({code: 'INTEGRITY'}))
  })

  it('are opened once a command, and wiped', () => {
    const ring = new RunKeyRing([parseIdentity(hq.identity)])
    let reads = 0
    const wrapped = (): Buffer => (reads++, made.wrapped)
    const key = ring.key(3, wrapped, 'run 3')!
    expect(ring.key(3, wrapped, 'run 3')).toBe(key)
    expect(reads).toBe(1)
    ring.wipe()
    expect(key.equals(Buffer.alloc(32))).toBe(true)
    expect(new RunKeyRing([]).canOpen).toBe(false)
  })
})

describe('a carried row (a converted case: its event written in clear, sealed with its hash and leaf kept)', () => {
  /** Two events of a ledger in clear, chained as written, carried under RUN_KEY. */
  function carried(): [{row: SealedRow; event: CustodyEvent; canonical: string}, {row: SealedRow; event: CustodyEvent; canonical: string}] {
    const first = eventOf(createCaseDraft(), 0, GENESIS_HASH)
    const firstText = canonicalize(first)
    const second = eventOf(ingestDraft('EX-000001', 'a'.repeat(64)), 1, chainHash(GENESIS_HASH, firstText))
    const secondText = canonicalize(second)
    return [
      {event: first, canonical: firstText, row: carryRow({seq: 0, prev_hash: GENESIS_HASH, hash: chainHash(GENESIS_HASH, firstText)}, first, firstText, 0, TAGS, RUN_KEY)},
      {event: second, canonical: secondText, row: carryRow({seq: 1, prev_hash: second.prev, hash: chainHash(second.prev, secondText)}, second, secondText, 0, {...TAGS, content: 'cd'.repeat(32)}, RUN_KEY)},
    ]
  }

  const carriedOf = (row: SealedRow): CarriedEnvelope => {
    const read = readStoredEnvelope(row.envelope)
    if (!('envelope' in read) || !('carried' in read.envelope)) throw new Error('not a carried envelope')
    return read.envelope
  }

  it('keeps the hash and the leaf the event was written with, the leaf read from its envelope without parsing it, and opens to the event', () => {
    for (const {row, event, canonical} of carried()) {
      expect(row.hash).toBe(chainHash(row.prev_hash, canonical))
      expect(carriedLeafOf(row.envelope)).toBe(Buffer.from(eventLeafHash(canonical)).toString('hex'))
      expect(storedLeafHash(row.envelope)).toEqual(eventLeafHash(canonical))
      expect(openCarried(row, carriedOf(row), RUN_KEY)).toEqual({event, canonical})
      // Its envelope holds nothing of the event but what any envelope holds (the investigator's name is not there); the body is not the event.
      expect(row.envelope).not.toContain(String(event.actor))
      expect(row.body.includes(Buffer.from(canonical.slice(0, 40)))).toBe(false)
    }

    // A chained envelope's text and a canonical event are not read as carried.
    const [sealed] = twoRows()
    expect(carriedLeafOf(sealed!.row.envelope)).toBeUndefined()
    expect(carriedLeafOf(carried()[0]!.canonical)).toBeUndefined()
    expect(storedLeafHash(sealed!.row.envelope)).toEqual(eventLeafHash(sealed!.row.envelope))
  })

  it('is refused where a chained envelope is read (an archive line, a chained row), and read where a stored row may be one', () => {
    const [{row}] = carried()
    expect(readEnvelope(row.envelope)).toEqual({problem: "its envelope is a carried row's, which is not chained"})
    expect('envelope' in readStoredEnvelope(row.envelope)).toBe(true)
    // Both a commitment and a leaf, or a leaf that is no hash: not what custody writes.
    const value = JSON.parse(row.envelope) as Record<string, unknown>
    expect(readStoredEnvelope(canonicalize({...value, bodyCommitment: 'ab'.repeat(32)} as never))).toEqual({problem: "its envelope's bodyCommitment is not what custody writes"})
    expect(readStoredEnvelope(canonicalize({...value, carried: 'xyz'} as never))).toEqual({problem: "its envelope's carried is not what custody writes"})
    const {bodySha256: _drop, ...without} = value
    expect(readStoredEnvelope(canonicalize(without as never))).toEqual({problem: "its envelope's bodySha256 is not what custody writes"})
  })

  it('refuses, naming the event, a hash that is not over its event, a leaf changed, a body swapped or changed, another key', () => {
    const [a, b] = carried()
    const refused = (row: SealedRow, envelope = carriedOf(row), key = RUN_KEY): string => {
      try {
        openCarried(row, envelope, key)
      } catch (error) {
        if (error instanceof CustodyError && error.code === 'INTEGRITY') return error.message
        throw error
      }

      throw new Error('not refused')
    }

    expect(refused({...b.row, hash: 'ab'.repeat(32)})).toMatch(/^event 1 of the ledger has a body whose event is not the one its hash was written over/)
    expect(refused(b.row, {...carriedOf(b.row), carried: 'ab'.repeat(32)})).toMatch(/does not open under its run's key and its envelope|not the one its envelope's leaf/)
    expect(refused({...b.row, body: a.row.body})).toMatch(/has a body that is not the one its envelope records/)
    const flipped = Buffer.from(b.row.body)
    flipped[20] = flipped[20]! ^ 1
    const bodySha256 = createHash('sha256').update(flipped).digest('hex')
    expect(refused({...b.row, body: flipped}, {...carriedOf(b.row), bodySha256})).toMatch(/does not open under its run's key/)
    expect(refused(b.row, carriedOf(b.row), OTHER_KEY)).toMatch(/does not open under its run's key/)
  })
})
