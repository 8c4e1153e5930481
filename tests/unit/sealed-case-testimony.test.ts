/**
 * Testimony in a case whose ledger seals its event bodies (schema 4, made through initCase's
 * `sealedBodies`, which no command sets yet). A testimony's statement versions and attachments
 * are exhibits, whose ingest envelopes list them as stored; its sealed identity record is listed
 * by the testimony's own envelope (`public.stored`, no action). So `verify` with no key finds a
 * statement or an identity record flipped, swapped for another testimony's, cut or deleted,
 * naming the object and its exhibit or event, as `verify` with a key does; an envelope edited to
 * list a swapped object breaks the chain (and, re-chained, the signed checkpoints; with a key,
 * the body no longer opens). Nothing else of the testimony is in clear: the ledger and its -wal
 * are searched for the witness's name and contact, the statement's words, the place, the
 * interviewer and every plaintext SHA-256 (none found; a case in clear shows the search can find).
 * An archive sealed from it passes custody's verifier, which checks each envelope's public facts
 * against the event in clear.
 */
import {createHash} from 'node:crypto'
import {cpSync, readFileSync, rmSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {Case, CASE_FOLDER, initCase, LEDGER_FILE} from '../../src/case/case.js'
import type {StoredObject} from '../../src/formats/events.js'
import {sealArchive} from '../../src/seal/seal.js'
import {amendStatement} from '../../src/testimony/amend.js'
import {checkTestimony} from '../../src/testimony/record.js'
import {takeTestimony} from '../../src/testimony/take-testimony.js'
import {listTestimonies} from '../../src/testimony/testimonies.js'
import {verifyArchive} from '../../src/verify/verify-archive.js'
import {verifyCaseAt, type VerifyReport} from '../../src/verify/verify-case.js'
import {ledgerBytes} from '../helpers/ledger-bytes.js'
import {PASSPHRASE, SAMPLES, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-sealed-testimony-')
afterAll(() => work.remove())
const hq = generateIdentity()
const INVESTIGATOR = 'Ana Quintela'
const INTERVIEWER = 'Bohdan Investigator'
const PLACE = 'Izium community centre'
const WITNESSES = [
  {witness: 'W-001', name: 'Olena Kovalenko', contact: '+380 44 555 0142', statement: 'The shelling began near the Balakliia tractor plant at dawn.\n'},
  {witness: 'W-002', name: 'Taras Melnyk', contact: 'taras@example.org', statement: 'I saw two lorries leave the Kupiansk grain silo before noon.\n'},
]
const AMENDED = 'The shelling began near the Balakliia tractor plant at sunrise, not dawn.\n'
const REASON = 'the witness corrected the time'

/** What the ledger records of a testimony that must be found with a key, and never in the ledger's files. */
interface Made {
  root: string
  /** Each witness's statement (v1) exhibit and its stored form, and its sealed identity record as stored and the event listing it. */
  testimonies: Array<{exhibit: string; statement: StoredObject; identity: StoredObject; seq: number}>
  /** The plaintext SHA-256 of every statement version, attachment and identity record (hex). */
  digests: string[]
}

/** A case (sealed bodies or in clear) with two testimonies, each with a witness's name and an attachment; the first amended once. */
async function testimonyCase(name: string, how: {field?: boolean; plaintext?: boolean}): Promise<Made> {
  const root = join(work.path, name)
  const keys = how.plaintext === true ? {plaintext: true} : {recipients: [parseRecipient(hq.recipient)], field: how.field === true, sealedBodies: true}
  await initCase({dir: root, title: 'Operation Sunflower', investigator: INVESTIGATOR, passphrase: PASSPHRASE, ...keys})
  await using kase = Case.open({root, foundBy: 'flag'})
  await kase.unlock(PASSPHRASE)
  for (const [i, w] of WITNESSES.entries()) {
    const statementFile = join(work.path, `${name}-${w.witness}.txt`)
    writeFileSync(statementFile, w.statement)
    const input = {witness: w.witness, interviewedAt: '2024-03-05T10:00+02:00', place: PLACE, interviewers: [INTERVIEWER], consent: ['court'], consentMethod: 'signed-form'}
    const record = checkTestimony({...input, statementFile, witnessName: w.name, witnessContact: w.contact, attachments: [join(SAMPLES, ['Canon.jpg', 'GPS.jpg'][i]!)]})
    await takeTestimony(kase, record, {passphrase: PASSPHRASE, actor: INVESTIGATOR})
  }

  // In a field case the passphrase opens no body, so nothing reads the testimony to amend it.
  if (how.field !== true) {
    const amended = join(work.path, `${name}-amended.txt`)
    writeFileSync(amended, AMENDED)
    await amendStatement(kase, 'W-001', {statement: {file: amended}, reason: REASON, actor: INVESTIGATOR, passphrase: PASSPHRASE})
  }

  return {root, ...(await recorded(root, how.plaintext === true))}
}

/** What the case records of its testimonies, read with HQ's identity (or in clear). */
async function recorded(root: string, plaintext: boolean): Promise<Omit<Made, 'root'>> {
  await using kase = Case.open({root, foundBy: 'flag'})
  await (plaintext ? kase.unlock(PASSPHRASE) : kase.openVault({identities: [parseIdentity(hq.identity)]}))
  const views = listTestimonies(kase)
  const testimonies = views.map((view) => {
    const identity = view.identity!
    const seq = kase.ledger.eventsOfKind('testimony').find((e) => e.event.exhibit === view.exhibit)!.event.seq
    return {exhibit: view.exhibit, statement: kase.ledger.ingestEvent(view.exhibit)!.event.payload.stored!, identity: identity.stored!, seq}
  })
  const digests = views.flatMap((v) => [...v.versions.map((s) => s.sha256), ...v.attachments.map((a) => a.sha256), v.identity!.sealedRecord, v.identity!.commitment])
  return {testimonies, digests}
}

/** What no one holding the disk may read of the testimonies: names, contacts, words, place, interviewer, digests (hex and raw). */
function secrets(digests: readonly string[]): string[] {
  const words = [...WITNESSES.flatMap((w) => [w.name, w.contact, ...w.name.split(' '), w.statement.trim()]), 'Balakliia tractor plant', 'Kupiansk grain silo', 'sunrise, not dawn', REASON]
  return [...words, PLACE, INTERVIEWER, INVESTIGATOR, ...digests, ...digests.map((d) => Buffer.from(d, 'hex').toString('latin1'))]
}

/** The problems of a verify with no key, and of one with HQ's identity. */
async function bothVerifies(root: string): Promise<{keyless: VerifyReport; keyed: VerifyReport}> {
  const location = {root, foundBy: 'flag' as const}
  return {keyless: await verifyCaseAt(location), keyed: await verifyCaseAt(location, {identities: [parseIdentity(hq.identity)]})}
}

/** Runs `check` on the case with `file` (a vault object as recorded, `vault/…`) forged by `forge`, then puts it back. */
async function withForged(root: string, file: string, forge: (path: string) => void, check: (reports: Awaited<ReturnType<typeof bothVerifies>>) => void): Promise<void> {
  const path = join(root, CASE_FOLDER, file)
  const original = readFileSync(path)
  forge(path)
  try {
    check(await bothVerifies(root))
  } finally {
    writeFileSync(path, original)
  }
}

/** The forgeries of an object: a byte flipped, swapped for another testimony's object of the same kind, cut, deleted. */
function forgeries(other: StoredObject, root: string): Array<[string, (path: string) => void]> {
  return [
    ['a byte flipped', (path) => {
      const bytes = readFileSync(path)
      bytes[bytes.length >> 1]! ^= 1
      writeFileSync(path, bytes)
    }],
    ["replaced by another testimony's object", (path) => writeFileSync(path, readFileSync(join(root, CASE_FOLDER, other.vault)))],
    ['truncated', (path) => truncateSync(path, 100)],
    ['deleted', (path) => rmSync(path)],
  ]
}

/**
 * The forger's edit of the ledger: the testimony envelope at `seq` made to list `listed` as its
 * identity record; with `rechain`, every hash from there on recomputed (SHA-256(prev || envelope),
 * each later envelope's prev with it), so that only the signed checkpoints and the bodies' AAD stand.
 */
function editEnvelope(root: string, seq: number, from: StoredObject, listed: StoredObject, rechain: boolean): void {
  const db = new Database(join(root, CASE_FOLDER, LEDGER_FILE))
  db.exec('DROP TRIGGER events_no_update')
  const rows = db.prepare<[number, number], {seq: number; prev_hash: string; envelope: string}>('SELECT seq, prev_hash, envelope FROM events WHERE seq >= ? AND seq <= ? ORDER BY seq').all(seq, rechain ? Number.MAX_SAFE_INTEGER : seq)
  const update = db.prepare('UPDATE events SET prev_hash = ?, hash = ?, envelope = ? WHERE seq = ?')
  let prev = rows[0]!.prev_hash
  for (const row of rows) {
    const listing = (o: StoredObject): string => JSON.stringify({sha256: o.sha256, size: o.size, vault: o.vault})
    const envelope = row.seq === seq ? row.envelope.replace(listing(from), listing(listed)) : row.envelope.replace(`"prev":"${row.prev_hash}"`, `"prev":"${prev}"`)
    expect(envelope).not.toBe(row.envelope)
    const hash = rechain ? createHash('sha256').update(Buffer.from(prev, 'hex')).update(envelope, 'utf8').digest('hex') : db.prepare<[number], {hash: string}>('SELECT hash FROM events WHERE seq = ?').get(row.seq)!.hash
    update.run(prev, hash, envelope, row.seq)
    prev = hash
  }

  db.close()
}

const detail = (report: VerifyReport, name: string): string => report.checks.find((c) => c.name === name)!.detail

describe('testimony in a case with sealed event bodies', () => {
  let sealed: Made
  let field: Made
  beforeAll(async () => {
    sealed = await testimonyCase('sealed', {})
    field = await testimonyCase('field', {field: true})
  }, 60_000)

  it('lists each sealed identity record as stored in its testimony envelope, and nothing else of the testimony is in the ledger files', async () => {
    await using kase = Case.open({root: sealed.root, foundBy: 'flag'})
    const listed = [...kase.ledger.publicFacts()].filter(({facts}) => facts.stored !== undefined)
    expect(listed).toEqual(sealed.testimonies.map(({seq, identity}) => ({seq, time: expect.any(String), exhibit: expect.any(String), facts: {stored: [identity]}})))
    for (const made of [sealed, field]) {
      const bytes = ledgerBytes(made.root)
      for (const secret of secrets(made.digests)) expect(bytes.includes(secret), secret).toBe(false)
    }

    // The same search finds what the ledger of a case in clear records: it can fail.
    const clear = await testimonyCase('clear', {plaintext: true})
    const clearBytes = ledgerBytes(clear.root)
    for (const secret of [PLACE, INTERVIEWER, REASON, ...clear.digests]) expect(clearBytes.includes(secret), secret).toBe(true)
  })

  it("seals an archive whose verifier finds each testimony envelope's listing the event's own", async () => {
    await using kase = Case.open({root: sealed.root, foundBy: 'flag'})
    await kase.unlock(PASSPHRASE)
    const out = join(work.path, 'testimony.zip')
    await sealArchive(kase, {exhibits: [], out, purpose: 'court', sealedAt: '2026-12-05T12:00:00.000Z'})
    const report = await verifyArchive(out)
    expect(report.problems).toEqual([])
    expect(report.ok).toBe(true)
  })

  it('verifies with no key every testimony object as stored, and says what needs a key; with one, everything', async () => {
    for (const made of [sealed, field]) {
      const {keyless, keyed} = await bothVerifies(made.root)
      expect(keyless.problems).toEqual([])
      expect(keyless.warnings.filter((w) => w.includes('not named by any event'))).toEqual([])
      expect(detail(keyless, 'testimonies')).toMatch(/^2 sealed identity records the testimony events list, as stored: their age files re-hashed; not checked, which needs a key that opens the event bodies: /)
      expect(detail(keyless, 'vault')).toMatch(new RegExp(`^${made === field ? 4 : 5}/${made === field ? 4 : 5} exhibits intact \\(as stored`))
      expect(keyed.problems).toEqual([])
      expect(detail(keyed, 'testimonies')).toBe('2 testimonies: statement versions and attachments are the exhibits they name; 2 sealed identities intact')
    }
  })

  it('finds a statement flipped, swapped, cut or deleted, with no key and with one, naming its exhibit', async () => {
    for (const made of [sealed, field]) {
      const [first, second] = made.testimonies
      for (const [how, forge] of forgeries(second!.statement, made.root)) {
        await withForged(made.root, first!.statement.vault, forge, ({keyless, keyed}) => {
          for (const report of [keyless, keyed]) {
            expect(report.ok, how).toBe(false)
            expect(report.problems, how).toContainEqual(expect.objectContaining({check: 'vault-object', subject: first!.exhibit, message: expect.stringContaining(first!.statement.vault)}))
          }
        })
      }
    }
  })

  it('finds a sealed identity record flipped, swapped, cut or deleted, with no key naming the event, with one the testimony', async () => {
    for (const made of [sealed, field]) {
      const [first, second] = made.testimonies
      for (const [how, forge] of forgeries(second!.identity, made.root)) {
        await withForged(made.root, first!.identity.vault, forge, ({keyless, keyed}) => {
          expect(keyless.ok, how).toBe(false)
          expect(keyless.problems, how).toEqual([expect.objectContaining({check: 'testimony', subject: `event ${first!.seq}`, message: expect.stringContaining(first!.identity.vault)})])
          expect(keyed.ok, how).toBe(false)
          expect(keyed.problems, how).toContainEqual(expect.objectContaining({check: 'testimony', subject: `${first!.exhibit} (testimony of W-001)`, message: expect.stringContaining('its sealed identity record')}))
        })
      }
    }
  })

  it("refuses an envelope edited to list a swapped identity record: the chain breaks; re-chained, the checkpoints and the bodies' AAD", async () => {
    for (const rechain of [false, true]) {
      const copy = join(work.path, `edited-${rechain}`)
      cpSync(sealed.root, copy, {recursive: true})
      const [first, second] = sealed.testimonies
      // The swapped object, and its SHA-256 and size listed in the first testimony's envelope: checked as stored, it would pass.
      writeFileSync(join(copy, CASE_FOLDER, first!.identity.vault), readFileSync(join(copy, CASE_FOLDER, second!.identity.vault)))
      editEnvelope(copy, first!.seq, first!.identity, {...second!.identity, vault: first!.identity.vault}, rechain)
      const {keyless, keyed} = await bothVerifies(copy)
      for (const report of [keyless, keyed]) expect(report.ok).toBe(false)
      expect(keyless.problems.some((p) => p.check === 'testimony')).toBe(false)
      if (rechain) {
        expect(keyless.problems).toContainEqual(expect.objectContaining({check: 'checkpoint'}))
      } else {
        expect(keyless.problems).toContainEqual(expect.objectContaining({check: 'chain', subject: `event ${first!.seq}`, message: expect.stringContaining('its stored hash does not match its content')}))
      }

      expect(keyed.problems).toContainEqual(expect.objectContaining({subject: `event ${first!.seq}`, message: expect.stringContaining('has a body that does not open')}))
    }
  })
})
