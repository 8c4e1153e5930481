/**
 * A change of consent in a case whose ledger seals its event bodies (schema 4, made through
 * initCase's `sealedBodies`). In a field case the passphrase opens no body, yet a witness who
 * withdraws consent there must have it recorded at once: the testimony is found by its witness
 * code's keyed tag (in the testimony's envelope), the change is recorded unread, and HQ's identity
 * opens it and applies it. In a case with a case identity the passphrase opens the bodies, and the
 * change is checked as in a case in clear. Forged rows (an exhibit column or an action tag moved)
 * are refused, naming the event, before anything is recorded.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {Case, CASE_FOLDER, initCase, LEDGER_FILE} from '../../src/case/case.js'
import {CustodyError} from '../../src/errors.js'
import {changeConsent} from '../../src/testimony/change-consent.js'
import {checkTestimony} from '../../src/testimony/record.js'
import {takeTestimony} from '../../src/testimony/take-testimony.js'
import {listTestimonies} from '../../src/testimony/testimonies.js'
import {verifyCaseAt} from '../../src/verify/verify-case.js'
import {copyCase, PASSPHRASE, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-sealed-consent-')
afterAll(() => work.remove())
const hq = generateIdentity()
const INVESTIGATOR = 'Ana Quintela'
const WITNESS_NAME = 'Olena Kovalenko'
/** W-003 gave two testimonies: a field case cannot tell them apart. */
const CODES = ['W-001', 'W-002', 'W-003', 'W-003']
const cases = {field: join(work.path, 'field'), keyed: join(work.path, 'keyed')}
/** Each case's testimony exhibits, in the order of CODES. */
const exhibits: Record<string, string[]> = {}

beforeAll(async () => {
  for (const [name, root] of Object.entries(cases)) {
    await initCase({dir: root, title: 'Operation Sunflower', investigator: INVESTIGATOR, passphrase: PASSPHRASE, recipients: [parseRecipient(hq.recipient)], field: name === 'field', sealedBodies: true})
    await using kase = Case.open({root, foundBy: 'flag'})
    await kase.unlock(PASSPHRASE)
    exhibits[name] = []
    for (const [i, witness] of CODES.entries()) {
      const statementFile = join(work.path, `${name}-${i}.txt`)
      writeFileSync(statementFile, `Statement ${i} of ${name}: the checkpoint closed at dusk.\n`)
      const input = {witness, interviewedAt: '2024-03-05T10:00+02:00', place: 'Kharkiv', interviewers: ['B. Investigator'], consent: ['court', 'advocacy'], consentMethod: 'signed-form'}
      const taken = await takeTestimony(kase, checkTestimony({...input, statementFile, witnessName: i === 0 ? WITNESS_NAME : undefined}), {passphrase: PASSPHRASE})
      exhibits[name]!.push(taken.exhibit)
    }
  }
}, 120_000)

/** The case opened with the passphrase, as `custody testimony consent` opens it. */
async function unlocked(root: string): Promise<Case> {
  const kase = Case.open({root, foundBy: 'flag'})
  await kase.unlock(PASSPHRASE)
  return kase
}

function eventCount(root: string): number {
  const db = new Database(join(root, CASE_FOLDER, LEDGER_FILE), {readonly: true})
  try {
    return (db.prepare('SELECT count(*) AS n FROM events').get() as {n: number}).n
  } finally {
    db.close()
  }
}

async function refusal(root: string, ref: string, options: Parameters<typeof changeConsent>[2]): Promise<CustodyError> {
  const before = eventCount(root)
  await using kase = await unlocked(root)
  const error = await changeConsent(kase, ref, options).then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(error).toBeInstanceOf(CustodyError)
  expect(eventCount(root)).toBe(before)
  return error as CustodyError
}

describe('a change of consent in a field case, which cannot read its testimonies', () => {
  it('the passphrase opens no body, yet a withdrawal is recorded, found by the witness code (any case)', async () => {
    await using kase = await unlocked(cases.field)
    expect(kase.ledger.bodiesLocked).toBe(true)
    const report = await changeConsent(kase, 'w-002', {withdraw: ['court'], at: '2024-06-01T10:00+03:00'})
    expect(report).toMatchObject({exhibit: exhibits.field![1], witness: 'w-002', withdrawn: ['court'], granted: [], before: null, current: null, overridden: [], unread: true})
  }, 60_000)

  it("HQ's identity opens it and applies the change to that testimony only", async () => {
    await using kase = Case.open({root: cases.field, foundBy: 'flag'})
    await kase.openVault({identities: [parseIdentity(hq.identity)]})
    const views = new Map(listTestimonies(kase).map((v) => [v.exhibit, v]))
    const changed = views.get(exhibits.field![1]!)!
    expect(changed.consent.changes).toHaveLength(1)
    expect(changed.consent.changes[0]).toMatchObject({withdrawn: ['court'], at: '2024-06-01T10:00+03:00', actor: INVESTIGATOR, note: null})
    expect(changed.consent.current).toEqual(['advocacy'])
    for (const i of [0, 2, 3]) expect(views.get(exhibits.field![i]!)!.consent.current).toEqual(['advocacy', 'court'])
  }, 60_000)

  it('the case still verifies, with no key and with HQ’s', async () => {
    const location = {root: cases.field, foundBy: 'flag' as const}
    const keyless = await verifyCaseAt(location)
    expect(keyless.ok, JSON.stringify(keyless.problems)).toBe(true)
    const keyed = await verifyCaseAt(location, {identities: [parseIdentity(hq.identity)]})
    expect(keyed.ok, JSON.stringify(keyed.problems)).toBe(true)
  }, 120_000)

  it('a note or an actor cannot be checked against the witness there: refused, nothing recorded', async () => {
    const note = await refusal(cases.field, 'W-001', {withdraw: ['advocacy'], note: 'asked by phone'})
    expect(note.code).toBe('CONTENT_LOCKED')
    expect(note.message).toMatch(/^the note cannot be checked here against the witness's name/)
    const actor = await refusal(cases.field, 'W-001', {withdraw: ['advocacy'], actor: WITNESS_NAME})
    expect(actor.message).toMatch(/^the actor cannot be checked here/)
  }, 60_000)

  it('an exhibit ID, an unknown code and a code of two testimonies are refused, naming what to give', async () => {
    const byExhibit = await refusal(cases.field, exhibits.field![0]!, {withdraw: ['court']})
    expect(byExhibit.message).toContain(`${exhibits.field![0]} is a testimony, but this field case cannot read its witness code`)
    const unknown = await refusal(cases.field, 'W-099', {withdraw: ['court']})
    expect(unknown).toMatchObject({code: 'EXHIBIT_NOT_FOUND', subject: 'W-099'})
    const twice = await refusal(cases.field, 'W-003', {withdraw: ['court']})
    expect(twice.message).toContain(`witness W-003 gave 2 testimonies (${exhibits.field![2]}, ${exhibits.field![3]})`)
    // An exhibit ID that names no testimony.
    const unknownId = Array.from({length: 12}, (_, i) => `EX-${String(i + 1).padStart(6, '0')}`).find((id) => !exhibits.field!.includes(id))!
    const statement = await refusal(cases.field, unknownId, {withdraw: ['court']})
    expect(statement.code).toBe('EXHIBIT_NOT_FOUND')
  }, 60_000)

  it('a forged row is refused naming the event: an exhibit column moved, an action tag copied onto another row', async () => {
    const testimonySeq = (db: Database.Database, exhibit: string): number => (db.prepare('SELECT min(seq) AS seq FROM events WHERE exhibit = ? AND content_tag IS NULL').get(exhibit) as {seq: number}).seq

    // W-001's testimony row made to point at W-002's exhibit: a change for W-001 would land on W-002.
    const moved = copyCase(cases.field, join(work.path, 'moved'))
    let db = new Database(join(moved, CASE_FOLDER, LEDGER_FILE))
    const first = testimonySeq(db, exhibits.field![0]!)
    for (const {name} of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'").all() as Array<{name: string}>) db.prepare(`DROP TRIGGER ${name}`).run()
    db.prepare('DROP INDEX IF EXISTS exhibits_by_id').run()
    db.prepare('UPDATE events SET exhibit = ? WHERE seq = ?').run(exhibits.field![1], first)
    db.close()
    const movedError = await refusal(moved, 'W-001', {withdraw: ['court']})
    expect(movedError.code).toBe('INTEGRITY')
    expect(movedError.message).toContain(`event ${first}`)

    // An ingest row given the testimony action's tag: it is found among the testimonies, and refused.
    const copied = copyCase(cases.field, join(work.path, 'copied'))
    db = new Database(join(copied, CASE_FOLDER, LEDGER_FILE))
    for (const {name} of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'").all() as Array<{name: string}>) db.prepare(`DROP TRIGGER ${name}`).run()
    const tag = (db.prepare('SELECT action_tag FROM events WHERE seq = ?').get(first) as {action_tag: Buffer}).action_tag
    const ingest = (db.prepare('SELECT min(seq) AS seq FROM events WHERE content_tag IS NOT NULL').get() as {seq: number}).seq
    db.prepare('UPDATE events SET action_tag = ? WHERE seq = ?').run(tag, ingest)
    db.close()
    const copiedError = await refusal(copied, 'W-001', {withdraw: ['court']})
    expect(copiedError.code).toBe('INTEGRITY')
    expect(copiedError.message).toContain(`event ${ingest}`)
  }, 60_000)
})

describe('a change of consent in a sealed case with a case identity', () => {
  it('the passphrase opens the bodies: the change is checked and reported as in a case in clear', async () => {
    await using kase = await unlocked(cases.keyed)
    expect(kase.ledger.bodiesLocked).toBe(false)
    const report = await changeConsent(kase, 'W-001', {withdraw: ['advocacy'], note: 'asked by phone', passphrase: PASSPHRASE})
    expect(report).toMatchObject({exhibit: exhibits.keyed![0], witness: 'W-001', before: ['advocacy', 'court'], current: ['court'], unread: false})
    // The note is checked against the witness's name, which the case identity opens.
    const named = await refusal(cases.keyed, 'W-001', {withdraw: ['court'], note: `${WITNESS_NAME} asked by phone`, passphrase: PASSPHRASE})
    expect(named.code).toBe('IDENTIFYING_CONTENT')
  }, 60_000)
})
