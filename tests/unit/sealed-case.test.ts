/**
 * A case whose ledger seals its event bodies (schema 4, design step 2 in progress: made only
 * through initCase's `sealedBodies`, which no command sets yet). Opened with no key, it says what
 * it is from its envelopes' public facts (ID, prefix, key mode, recipients, signing key) and
 * refuses its content (CONTENT_LOCKED, naming the identity in a field case); opened with the
 * passphrase or an HQ identity, it reads every event. The ledger's files hold neither the title
 * nor the investigator's name; and `verify`'s ledger file check counts the runs table's triggers.
 */
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {Case, CASE_FOLDER, initCase, LEDGER_FILE} from '../../src/case/case.js'
import {caseKeyMode, caseRecipients, keysDestroyed} from '../../src/keys/case-keys.js'
import {verifyCaseAt} from '../../src/verify/verify-case.js'
import Database from 'better-sqlite3'
import {ledgerBytes} from '../helpers/ledger-bytes.js'
import {PASSPHRASE, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-sealed-case-')
afterAll(() => work.remove())
const hq = generateIdentity()
let made = 0

async function sealedCase(field: boolean): Promise<{root: string; fingerprint: string}> {
  const dir = join(work.path, `case-${made++}`)
  const init = await initCase({dir, title: 'Operation Sunflower', investigator: 'Ana Quintela', organisation: 'Test NGO', passphrase: PASSPHRASE, recipients: [parseRecipient(hq.recipient)], field, sealedBodies: true})
  expect(init.info.title).toBe('Operation Sunflower')
  expect(init.keys.recipients.map((r) => r.label)).toEqual(field ? ['HQ recipient'] : ['case identity', 'HQ recipient'])
  return {root: init.root, fingerprint: init.signingKey}
}

describe('a case with sealed event bodies', () => {
  it('says with no key what it is, and refuses its content; the passphrase opens it', async () => {
    const {root, fingerprint} = await sealedCase(false)
    await using kase = Case.open({root, foundBy: 'flag'})
    expect(kase.ledger.schema).toBe(4)
    expect(kase.info.prefix).toBe('EX')
    expect(() => kase.info.title).toThrow(expect.objectContaining({code: 'CONTENT_LOCKED', message: expect.stringContaining("the case's passphrase")}))
    expect(() => kase.info.investigator).toThrow(expect.objectContaining({code: 'CONTENT_LOCKED'}))
    expect(caseKeyMode(kase)).toBe('encrypted')
    expect(caseRecipients(kase).map((r) => r.text).at(-1)).toBe(hq.recipient)
    expect(keysDestroyed(kase.ledger)).toBeUndefined()
    expect(kase.signingKey().fingerprint).toBe(fingerprint)
    expect(() => kase.ledger.eventsOfKind('recipient-added')).toThrow(expect.objectContaining({code: 'CONTENT_LOCKED'}))
    await kase.openVault({passphrase: PASSPHRASE})
    expect(kase.info).toMatchObject({title: 'Operation Sunflower', investigator: 'Ana Quintela', organisation: 'Test NGO'})
    expect(kase.ledger.eventsOfKind('recipient-added').map((e) => e.event.payload.recipient)).toEqual([hq.recipient])
  })

  it('holds neither the title nor the investigator in its ledger files', async () => {
    const {root} = await sealedCase(false)
    const bytes = ledgerBytes(root)
    for (const secret of ['Operation Sunflower', 'Ana Quintela', 'Test NGO']) expect(bytes, secret).not.toContain(secret)
    const clear = join(work.path, `clear-${made++}`)
    await initCase({dir: clear, title: 'Operation Sunflower', investigator: 'Ana Quintela', passphrase: PASSPHRASE, plaintext: true})
    // The same search finds them in a case in clear: the test can fail.
    expect(ledgerBytes(clear)).toContain('Ana Quintela')
  })

  it('in a field case, the passphrase opens no body: one line naming the identity; HQ opens it', async () => {
    const {root} = await sealedCase(true)
    await using kase = Case.open({root, foundBy: 'flag'})
    expect(caseKeyMode(kase)).toBe('field')
    await kase.openVault({passphrase: PASSPHRASE})
    // The investigator's name and organisation are sealed under the address key, which the passphrase opens (the default actor, the custodian line); nothing else of the first event is.
    expect(kase.info.investigator).toBe('Ana Quintela')
    expect(kase.info.organisation).toBe('Test NGO')
    let message = ''
    try {
      void kase.info.title
    } catch (error) {
      message = (error as Error).message
    }

    expect(message).toMatch(/identity of one of the case's recipients \(in a field case, nothing on this computer opens it\)$/)
    expect(message).not.toContain('\n')
    expect(message).not.toMatch(/--\w/)
    await using atHq = Case.open({root, foundBy: 'flag'})
    await atHq.openVault({identities: [parseIdentity(hq.identity)]})
    expect(atHq.info.investigator).toBe('Ana Quintela')
  })

  it('verifies with no key the chain, tree and checkpoints, and says what it could not check; with an identity, every body', async () => {
    const {root} = await sealedCase(true)
    const location = {root, foundBy: 'flag' as const}
    const keyless = await verifyCaseAt(location)
    expect(keyless.problems).toEqual([])
    expect(keyless.ok).toBe(true)
    const detail = (report: typeof keyless, name: string): string => report.checks.find((c) => c.name === name)!.detail
    expect(detail(keyless, 'ledger file')).toContain('9/9 append-only triggers')
    expect(detail(keyless, 'event chain')).toMatch(/^3 events, every hash and link intact; 3 event bodies not opened \(no key given opens them\): events 0\.\.2; each body was checked as stored against the SHA-256 its envelope records; what they record/)
    expect(keyless.checks.find((c) => c.name === 'checkpoints')!.ok).toBe(true)
    const withKey = await verifyCaseAt(location, {identities: [parseIdentity(hq.identity)]})
    expect(withKey.ok).toBe(true)
    expect(detail(withKey, 'event chain')).toBe('3 events, every hash and link intact')

    // A body byte flipped: with no key, its SHA-256 is not its envelope's; an identity names the event too.
    const db = new Database(join(root, CASE_FOLDER, LEDGER_FILE))
    const body = db.prepare<[], {body: Buffer}>('SELECT body FROM events WHERE seq = 2').get()!.body
    body[body.length - 1]! ^= 1
    db.exec('DROP TRIGGER events_no_update')
    db.prepare('UPDATE events SET body = ? WHERE seq = 2').run(body)
    db.close()
    const flipped = {subject: 'event 2', message: expect.stringContaining('has a body that is not the one its envelope records')}
    const unkeyed = await verifyCaseAt(location)
    expect(unkeyed.ok).toBe(false)
    expect(unkeyed.problems).toContainEqual(expect.objectContaining(flipped))
    const forged = await verifyCaseAt(location, {identities: [parseIdentity(hq.identity)]})
    expect(forged.ok).toBe(false)
    expect(forged.problems).toContainEqual(expect.objectContaining(flipped))
    expect(forged.problems.filter((p) => p.subject === 'event 2')).toHaveLength(1)
    expect(forged.problems.some((p) => p.message.includes('events_no_update'))).toBe(true)
  })

  it('verifies with no key and finds an envelope edited', async () => {
    const {root} = await sealedCase(false)
    const db = new Database(join(root, CASE_FOLDER, LEDGER_FILE))
    db.exec('DROP TRIGGER events_no_update')
    db.prepare(`UPDATE events SET envelope = replace(envelope, '"run":0', '"run":7') WHERE seq = 1`).run()
    db.close()
    const report = await verifyCaseAt({root, foundBy: 'flag'})
    expect(report.ok).toBe(false)
    expect(report.problems).toContainEqual(expect.objectContaining({subject: 'event 1', message: expect.stringContaining('its stored hash does not match its content')}))
  })
})
