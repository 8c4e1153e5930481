/**
 * A case with sealed event bodies (schema 4, made through initCase's `sealedBodies`, which no
 * command sets yet), worked through custody's core as the commands work it: ingest of the camera
 * fixtures with the passphrase opened write-only, the ledger's files searched for what the events
 * record (none found; the same search finds them in a case in clear), the same files ingested
 * again (duplicates found without opening a body), then a seal with the passphrase, whose archive
 * both custody's verifier and verify-bag.py pass.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {cpSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {Case, CASE_FOLDER, initCase} from '../../src/case/case.js'
import {ingest} from '../../src/ingest/ingest.js'
import {caseSettings, setSetting} from '../../src/case/settings.js'
import {sealArchive} from '../../src/seal/seal.js'
import {verifyArchive} from '../../src/verify/verify-archive.js'
import {verifyCaseAt} from '../../src/verify/verify-case.js'
import {ledgerBytes} from '../helpers/ledger-bytes.js'
import {PASSPHRASE, SAMPLES, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-sealed-flow-')
afterAll(() => work.remove())
const hq = generateIdentity()
const FILES = ['Canon.jpg', 'GPS.jpg', 'Nikon.jpg']
const LOCATION = 'Saltivka district, north-east Kharkiv'
const INVESTIGATOR = 'Ana Quintela'

/** What the events of an ingest of FILES record, which no one holding the disk may read. */
function secrets(): string[] {
  return [...FILES.flatMap((f) => [createHash('sha256').update(readFileSync(join(SAMPLES, f))).digest('hex'), join(SAMPLES, f), f]), LOCATION, INVESTIGATOR]
}

async function ingestAll(root: string): Promise<string[]> {
  // No actor given: a write-only run records the investigator's name, sealed in the first envelope (src/keys/sealed-investigator.ts).
  await using kase = Case.open({root, foundBy: 'flag'})
  await kase.unlock(PASSPHRASE, {writeOnly: true})
  const report = await ingest(kase, {paths: FILES.map((f) => join(SAMPLES, f)), location: LOCATION})
  try {
    return [...report.results].map((r) => r.status)
  } finally {
    report.close()
  }
}

/** What `read` gives of the case opened with HQ's identity. */
async function withKey<T>(root: string, read: (kase: Case) => T): Promise<T> {
  await using kase = Case.open({root, foundBy: 'flag'})
  await kase.openVault({identities: [parseIdentity(hq.identity)]})
  return read(kase)
}

describe('a case with sealed event bodies, worked through', () => {
  it('takes in, keeps every recorded fact off the disk, finds duplicates, seals an archive both verifiers pass', async () => {
    const root = join(work.path, 'sealed')
    await initCase({dir: root, title: 'Operation Sunflower', investigator: INVESTIGATOR, passphrase: PASSPHRASE, recipients: [parseRecipient(hq.recipient)], sealedBodies: true})
    expect(await ingestAll(root)).toEqual(['ingested', 'ingested', 'ingested'])
    const bytes = ledgerBytes(root)
    for (const secret of secrets()) expect(bytes.includes(secret), secret).toBe(false)

    const clear = join(work.path, 'clear')
    await initCase({dir: clear, title: 'Operation Sunflower', investigator: INVESTIGATOR, passphrase: PASSPHRASE, plaintext: true})
    await ingestAll(clear)
    const clearBytes = ledgerBytes(clear)
    for (const secret of secrets()) expect(clearBytes.includes(secret), secret).toBe(true)

    // Again: each found already present, with the address key alone.
    expect(await ingestAll(root)).toEqual(['already-present', 'already-present', 'already-present'])
    expect(await withKey(root, (k) => k.ledger.ingestEvent('EX-000001')!.event.actor)).toBe(INVESTIGATOR)

    await using kase = Case.open({root, foundBy: 'flag'})
    await kase.unlock(PASSPHRASE)
    const out = join(work.path, 'court.zip')
    await sealArchive(kase, {exhibits: [], out, sealedAt: '2026-12-04T12:00:00.000Z'})
    const report = await verifyArchive(out)
    expect(report.problems).toEqual([])
    expect(report.ok).toBe(true)

    const unzipped = join(work.path, 'unzipped')
    execFileSync('unzip', ['-q', out, '-d', unzipped])
    const bag = join(unzipped, readdirSync(unzipped)[0]!)
    const events = readFileSync(join(bag, 'data', 'custody', 'events.jsonl'), 'utf8')
    expect(events.startsWith('{"envelope":{')).toBe(true)
    // The court reads every event in clear.
    expect(events).toContain(LOCATION)
    const run = spawnSync('python3', ['verify-bag.py'], {cwd: bag, encoding: 'utf8'})
    expect(run.stdout).toMatch(/^events +OK/m)
    expect(run.status, run.stdout).toBe(0)

    // A line whose event is not the one its envelope commits to (the location changed): both refuse it.
    const forged = join(work.path, 'forged')
    cpSync(bag, forged, {recursive: true})
    const file = join(forged, 'data', 'custody', 'events.jsonl')
    writeFileSync(file, events.replace(LOCATION, 'Somewhere else entirely'))
    const python = spawnSync('python3', ['verify-bag.py'], {cwd: forged, encoding: 'utf8'})
    expect(python.status).toBe(1)
    expect(python.stdout).toMatch(/^events +FAILED/m)
    expect(python.stdout).toContain("is not the envelope's bodyCommitment")
    const custody = await verifyArchive(forged)
    expect(custody.ok).toBe(false)
    expect(custody.problems).toContainEqual(expect.objectContaining({message: expect.stringContaining("does not match its envelope's commitment")}))
  })

  it('in a field case: ingest twice with the passphrase alone, no body opens on the laptop, verify says what it could not check', async () => {
    const root = join(work.path, 'field')
    await initCase({dir: root, title: 'Operation Sunflower', investigator: INVESTIGATOR, passphrase: PASSPHRASE, recipients: [parseRecipient(hq.recipient)], field: true, sealedBodies: true})
    expect(await ingestAll(root)).toEqual(['ingested', 'ingested', 'ingested'])
    expect(await ingestAll(root)).toEqual(['already-present', 'already-present', 'already-present'])
    for (const secret of secrets()) expect(ledgerBytes(root).includes(secret), secret).toBe(false)
    await using kase = Case.open({root, foundBy: 'flag'})
    await kase.unlock(PASSPHRASE)
    expect(() => kase.ledger.ingestEvent('EX-000001')).toThrow(expect.objectContaining({code: 'CONTENT_LOCKED', message: expect.stringMatching(/identity of one of the case's recipients/)}))
    const report = await verifyCaseAt({root, foundBy: 'flag'})
    expect(report.problems).toEqual([])
    const chain = report.checks.find((c) => c.name === 'event chain')!.detail
    expect(chain).toMatch(/event bodies not opened \(no key given opens them\)/)
    // What `custody timestamp` reads works with the passphrase alone: the TSA setting, the tokens (none yet).
    await setSetting(kase, {setting: 'tsa', value: ['https://tsa.example.org/']})
    expect(caseSettings(kase).tsa).toEqual(['https://tsa.example.org/'])
    // Recorded in the investigator's name, which the passphrase opens (and nothing else of the first event).
    expect(await withKey(root, (k) => k.ledger.eventsOfKind('config').at(-1)!.event.actor)).toBe(INVESTIGATOR)
    expect(await withKey(root, (k) => k.ledger.ingestEvent('EX-000003')!.event.actor)).toBe(INVESTIGATOR)
    const again = await verifyCaseAt({root, foundBy: 'flag'})
    expect(again.checks.find((c) => c.name === 'timestamps')!.detail).toMatch(/^no trusted timestamp yet; \d+ events waiting/)
    // Every object as stored, from the ingest envelopes' public facts; what needs the bodies says it was not checked.
    expect(report.checks.find((c) => c.name === 'vault')!.detail).toMatch(/^3\/3 exhibits intact \(as stored: their age files re-hashed; their content was not checked/)
    expect(report.checks.find((c) => c.name === 'testimonies')!.detail).toMatch(/^no event lists a sealed identity record as stored; not checked, which needs a key that opens the event bodies: /)
    // An object changed on disk: found with no key.
    const {stored} = await withKey(root, (k) => k.ledger.ingestEvent('EX-000002')!.event.payload)
    const object = join(root, CASE_FOLDER, stored!.vault)
    const bytes = readFileSync(object)
    bytes[bytes.length - 1]! ^= 1
    writeFileSync(object, bytes)
    const damaged = await verifyCaseAt({root, foundBy: 'flag'})
    expect(damaged.ok).toBe(false)
    expect(damaged.problems).toContainEqual(expect.objectContaining({subject: 'EX-000002', check: 'vault-object'}))
  })
})
