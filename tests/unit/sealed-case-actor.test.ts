/**
 * The default actor of a run that opens no body, in a case whose ledger seals its event bodies
 * (schema 4, made through initCase's `sealedBodies`): the create-case event carries the
 * investigator's name sealed under a key derived from the address key (src/keys/sealed-investigator.ts),
 * so that an ingest opened write-only, and every run of a field case, records its events in that
 * name, while the title and organisation stay locked and the name is nowhere in clear on disk.
 * A sealed name forged in the first envelope (another case's, a byte changed, with the case ID
 * edited to agree, or sealed again with the case's own key) is refused as INTEGRITY naming the
 * event, or by the head check and the body, never used unseen.
 */
import {rmSync} from 'node:fs'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {afterAll, describe, expect, it} from 'vitest'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {canonicalize} from '../../src/canonical/jcs.js'
import {Case, CASE_FOLDER, initCase, LEDGER_FILE} from '../../src/case/case.js'
import type {CustodyEventDraft} from '../../src/formats/events.js'
import {ingest} from '../../src/ingest/ingest.js'
import {openCaseKeys} from '../../src/keys/case-keys.js'
import {sealInvestigator, settingsKey} from '../../src/keys/sealed-investigator.js'
import {openSigningKey} from '../../src/keys/signing-key.js'
import {chainHash} from '../../src/ledger/event.js'
import {Ledger} from '../../src/ledger/ledger.js'
import {TagKey} from '../../src/ledger/tags.js'
import {ledgerBytes} from '../helpers/ledger-bytes.js'
import {PASSPHRASE, SAMPLES, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-sealed-actor-')
afterAll(() => work.remove())
const hq = generateIdentity()
const TITLE = 'Operation Sunflower'
const INVESTIGATOR = 'Ana Quintela'
const ORGANISATION = 'Test NGO'
let made = 0

async function sealedCase(field: boolean, investigator = INVESTIGATOR): Promise<string> {
  const dir = join(work.path, `case-${made++}`)
  await initCase({dir, title: TITLE, investigator, organisation: ORGANISATION, passphrase: PASSPHRASE, recipients: [parseRecipient(hq.recipient)], field, sealedBodies: true})
  return dir
}

function ledgerPath(root: string): string {
  return join(root, CASE_FOLDER, LEDGER_FILE)
}

/** The first envelope, parsed. */
function firstEnvelope(root: string): {public: Record<string, string>} & Record<string, unknown> {
  const db = new Database(ledgerPath(root), {readonly: true})
  try {
    return JSON.parse(db.prepare<[], {envelope: string}>('SELECT envelope FROM events WHERE seq = 0').get()!.envelope) as {public: Record<string, string>}
  } finally {
    db.close()
  }
}

/** The first envelope rewritten as the sqlite3 shell would, in canonical form; its row's hash recomputed when `rehash`. */
function forgeFirstEnvelope(root: string, edit: (facts: Record<string, string>) => void, rehash = false): void {
  const envelope = firstEnvelope(root)
  edit(envelope.public)
  const text = canonicalize(envelope)
  const db = new Database(ledgerPath(root))
  db.exec('DROP TRIGGER events_no_update')
  db.prepare('UPDATE events SET envelope = ? WHERE seq = 0').run(text)
  if (rehash) db.prepare('UPDATE events SET hash = ? WHERE seq = 0').run(chainHash(String(envelope.prev), text))
  db.close()
}

/** What reading the investigator's name with the passphrase, write-only, throws (or gives). */
async function writeOnlyInvestigator(root: string): Promise<unknown> {
  await using kase = Case.open({root, foundBy: 'flag'})
  await kase.openVault({passphrase: PASSPHRASE, writeOnly: true})
  try {
    return kase.info.investigator
  } catch (error) {
    return error
  }
}

const forged = expect.objectContaining({code: 'INTEGRITY', subject: 'event 0', message: expect.stringMatching(/^event 0 of the ledger \(create-case\) has an investigator's name or organisation sealed under another key or for another case, or changed/)})

describe('the default actor of a run that opens no body', () => {
  it.each([
    ['a case with a case identity', false],
    ['a field case', true],
  ])('%s: a write-only ingest records the investigator, whose name is nowhere in clear; the title stays locked', async (_name, field) => {
    const root = await sealedCase(field)
    {
      await using kase = Case.open({root, foundBy: 'flag'})
      // No key yet: the name is locked as the title is.
      expect(() => kase.info.investigator).toThrow(expect.objectContaining({code: 'CONTENT_LOCKED', subject: 'event 0'}))
      // As `custody ingest` does: the keys open while the ingest begins, which takes its default actor once they are open.
      kase.beginUnlock(PASSPHRASE, {writeOnly: true})
      const report = await ingest(kase, {paths: [join(SAMPLES, 'Canon.jpg')]})
      expect([...report.results].map((r) => r.status)).toEqual(['ingested'])
      report.close()
      // The name and organisation (the custodian line) open with the address key; the title does not.
      expect(kase.info.investigator).toBe(INVESTIGATOR)
      expect(kase.info.organisation).toBe(ORGANISATION)
      expect(() => kase.info.title).toThrow(expect.objectContaining({code: 'CONTENT_LOCKED', subject: 'event 0'}))
    }

    const bytes = ledgerBytes(root)
    for (const secret of [INVESTIGATOR, TITLE, ORGANISATION]) expect(bytes.includes(secret), secret).toBe(false)
    expect(firstEnvelope(root).public.sealedInvestigator).toMatch(/^[A-Za-z0-9+/]{40,}={0,2}$/)
    expect(firstEnvelope(root).public.sealedOrganisation).toMatch(/^[A-Za-z0-9+/]{40,}={0,2}$/)
    await using atHq = Case.open({root, foundBy: 'flag'})
    await atHq.openVault({identities: [parseIdentity(hq.identity)]})
    expect(atHq.ledger.ingestEvent('EX-000001')!.event.actor).toBe(INVESTIGATOR)
    expect(atHq.info).toMatchObject({title: TITLE, investigator: INVESTIGATOR, organisation: ORGANISATION})
  })

  it("refuses another case's sealed name, a byte changed, and the case ID edited to agree: INTEGRITY naming the event", async () => {
    const other = firstEnvelope(await sealedCase(false, 'Someone Else')).public
    const swapped = await sealedCase(false)
    forgeFirstEnvelope(swapped, (facts) => (facts.sealedInvestigator = other.sealedInvestigator!))
    expect(await writeOnlyInvestigator(swapped)).toEqual(forged)

    const flipped = await sealedCase(true)
    forgeFirstEnvelope(flipped, (facts) => {
      const sealed = Buffer.from(facts.sealedInvestigator!, 'base64')
      sealed[14]! ^= 1
      facts.sealedInvestigator = sealed.toString('base64')
    })
    expect(await writeOnlyInvestigator(flipped)).toEqual(forged)

    // The other case's ID too, so that the sealed value's associated data agrees, and the row's hash recomputed: the key still differs.
    const agreeing = await sealedCase(false)
    forgeFirstEnvelope(agreeing, (facts) => Object.assign(facts, {caseId: other.caseId, sealedInvestigator: other.sealedInvestigator}), true)
    expect(await writeOnlyInvestigator(agreeing)).toEqual(forged)

    // The sealed name put in the organisation's place (and the organisation in the name's): each is bound to what it is.
    const crossed = await sealedCase(true)
    forgeFirstEnvelope(crossed, (facts) => Object.assign(facts, {sealedInvestigator: facts.sealedOrganisation, sealedOrganisation: facts.sealedInvestigator}))
    expect(await writeOnlyInvestigator(crossed)).toEqual(forged)
    const organisationOnly = await sealedCase(false)
    forgeFirstEnvelope(organisationOnly, (facts) => (facts.sealedOrganisation = facts.sealedInvestigator!))
    expect(await writeOnlyInvestigator(organisationOnly)).toEqual(forged)

    // Removed: the name is locked again, never made up.
    const removed = await sealedCase(true)
    forgeFirstEnvelope(removed, (facts) => delete facts.sealedInvestigator)
    expect(await writeOnlyInvestigator(removed)).toEqual(expect.objectContaining({code: 'CONTENT_LOCKED'}))
  })

  it("a name sealed again with the case's own key: the write-only ingest's head check refuses the ledger, and the body's key refuses the envelope", async () => {
    const root = await sealedCase(true)
    const {caseId} = firstEnvelope(root).public
    let addressKey: Buffer
    {
      await using kase = Case.open({root, foundBy: 'flag'})
      addressKey = Buffer.from((await openCaseKeys(kase, {passphrase: PASSPHRASE})).addressKey)
    }

    forgeFirstEnvelope(root, (facts) => (facts.sealedInvestigator = sealInvestigator(settingsKey(addressKey), caseId!, 'Someone Else')), true)
    // What only the passphrase opens cannot tell a name sealed with the case's own key (README, threat B) ...
    expect(await writeOnlyInvestigator(root)).toBe('Someone Else')
    // ... but nothing is recorded in it: the ledger's first events are no longer those custody signed.
    await using kase = Case.open({root, foundBy: 'flag'})
    await kase.unlock(PASSPHRASE, {writeOnly: true})
    await expect(ingest(kase, {paths: [join(SAMPLES, 'Canon.jpg')]})).rejects.toMatchObject({code: 'INTEGRITY', message: expect.stringMatching(/^the ledger's first 3 events .*nothing was added/)})
    await using atHq = Case.open({root, foundBy: 'flag'})
    await expect(atHq.openVault({identities: [parseIdentity(hq.identity)]})).rejects.toMatchObject({code: 'INTEGRITY', subject: 'event 0'})
  })

  it("with a key that opens the first body, refuses a sealed name that is not the body's investigator", async () => {
    // A ledger written whole with a sealed name other than its investigator's: its envelopes and bodies agree, only the name does not.
    const root = await sealedCase(false)
    let drafts: CustodyEventDraft[]
    {
      await using kase = Case.open({root, foundBy: 'flag'})
      const keys = await openCaseKeys(kase, {passphrase: PASSPHRASE})
      kase.useKeys(keys)
      const signer = await openSigningKey(kase.dataDir, kase.signingKey().fingerprint, PASSPHRASE)
      const events = [kase.ledger.firstEvent().event, ...kase.ledger.eventsOfKind('key-created', 'recipient-added').map((e) => e.event)]
      drafts = events.map(({actor, action, exhibit, payload}) => ({actor, action, exhibit, payload}) as CustodyEventDraft)
      const first = drafts[0]!
      if (first.action !== 'create-case') throw new Error('the first event is not create-case')
      first.payload.sealedInvestigator = sealInvestigator(settingsKey(keys.addressKey), kase.info.caseId, 'Someone Else')
      kase.close()
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${ledgerPath(root)}${suffix}`, {force: true})
      const {ledger} = Ledger.create(ledgerPath(root), drafts, {caseId: kase.info.caseId, signer}, {tagKey: new TagKey(keys.addressKey), bodyKeys: {recipients: keys.recipients, identities: keys.identities}})
      ledger.close()
    }

    await using kase = Case.open({root, foundBy: 'flag'})
    await kase.openVault({passphrase: PASSPHRASE})
    expect(kase.info.title).toBe(TITLE)
    expect(() => kase.info.investigator).toThrow(
      expect.objectContaining({code: 'INTEGRITY', subject: 'event 0', message: expect.stringContaining("(create-case) has an investigator's name sealed that is not its body's")}),
    )
  })
})
