/**
 * The commands that read what the events record (list, log, show, testimony list, key show,
 * report), on cases whose ledger keeps it sealed (schema 4; made through initCase's
 * `sealedBodies`, which `custody init` does not set yet: docs/design/encryption-at-rest.md, step 2,
 * "Left" 4). With the passphrase in a case with a case identity, with a recipient's identity in a
 * field case; without a key that opens them, refused in one line with exit 2, showing nothing.
 */
import {chmodSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generateIdentity, parseRecipient} from '../../src/age/x25519.js'
import {canonicalize} from '../../src/canonical/jcs.js'
import {initCase} from '../../src/case/case.js'
import Database from 'better-sqlite3'
import {copyCase, custody, custodyJson, PASSPHRASE, SAMPLES, tempDir} from '../helpers/cli.js'
import {schemaErrors} from '../helpers/json-schemas.js'
import {howToCheckSteps} from '../helpers/report-steps.js'

const work = tempDir('custody-sealed-read-')
afterAll(() => work.remove())
const hq = generateIdentity()
const hqFile = join(work.path, 'hq-identity.txt')
const outsiderFile = join(work.path, 'outsider-identity.txt')
const FILES = ['Canon.jpg', 'GPS.jpg']
const cases = {keyed: join(work.path, 'keyed'), field: join(work.path, 'field')}

/** The environment of a run given no passphrase (the tests' own is in CUSTODY_PASSPHRASE). */
const NO_PASSPHRASE = {CUSTODY_PASSPHRASE: undefined}

beforeAll(async () => {
  writeFileSync(hqFile, `${hq.identity}\n`, {mode: 0o600})
  writeFileSync(outsiderFile, `${generateIdentity().identity}\n`, {mode: 0o600})
  for (const [name, dir] of Object.entries(cases)) {
    await initCase({dir, title: 'Operation Sunflower', investigator: 'Ana Quintela', organisation: 'IPHR', passphrase: PASSPHRASE, recipients: [parseRecipient(hq.recipient)], field: name === 'field', sealedBodies: true})
    const ingested = await custody(['ingest', ...FILES.map((f) => join(SAMPLES, f)), '--location', 'Saltivka', '--case', dir])
    expect(ingested.code, ingested.stderr).toBe(0)
  }
}, 120_000)

/** Each reading command, and what its output must show once the ledger is open. */
const READERS: Array<{args: string[]; shows: string}> = [
  {args: ['list'], shows: 'GPS.jpg'},
  {args: ['log', 'EX-000001'], shows: join(SAMPLES, 'Canon.jpg')},
  {args: ['show', 'EX-000002'], shows: 'GPS.jpg'},
  {args: ['testimony', 'list'], shows: 'No testimonies'},
  {args: ['key', 'show'], shows: 'HQ recipient'},
]

describe('reading a case whose ledger is sealed', () => {
  it('a case with a case identity: the passphrase opens it, and so does a recipient', async () => {
    for (const {args, shows} of READERS) {
      const withPassphrase = await custody([...args, '--case', cases.keyed])
      expect(withPassphrase.code, `${args.join(' ')}: ${withPassphrase.stderr}`).toBe(0)
      expect(withPassphrase.stdout).toContain(shows)
      const withIdentity = await custody([...args, '--case', cases.keyed, '--identity', hqFile], {env: NO_PASSPHRASE})
      expect(withIdentity.code, `${args.join(' ')}: ${withIdentity.stderr}`).toBe(0)
      expect(withIdentity.stdout).toContain(shows)
    }
  }, 120_000)

  it('a case with a case identity: no passphrase, or a wrong one, shows nothing (exit 2)', async () => {
    for (const {args, shows} of READERS) {
      const none = await custody([...args, '--case', cases.keyed], {env: NO_PASSPHRASE})
      expect(none.code, args.join(' ')).toBe(2)
      expect(none.stdout).not.toContain(shows)
      expect(none.stderr).toMatch(/passphrase/)
    }

    const passphraseFile = join(work.path, 'wrong.txt')
    writeFileSync(passphraseFile, 'not the passphrase of this case\n')
    const wrong = await custody(['list', '--case', cases.keyed, '--passphrase-file', passphraseFile])
    expect(wrong.code).toBe(2)
    expect(wrong.stdout).toBe('')
  }, 120_000)

  it('a field case: the passphrase opens nothing, one line names --identity; a recipient opens it', async () => {
    for (const {args, shows} of READERS.filter((r) => r.args.join(' ') !== 'key show')) {
      const refused = await custody([...args, '--case', cases.field])
      expect(refused.code, args.join(' ')).toBe(2)
      expect(refused.stdout).toBe('')
      expect(refused.stderr.trim().split('\n')).toHaveLength(1)
      expect(refused.stderr).toContain('--identity FILE')
      const opened = await custody([...args, '--case', cases.field, '--identity', hqFile], {env: NO_PASSPHRASE})
      expect(opened.code, `${args.join(' ')}: ${opened.stderr}`).toBe(0)
      expect(opened.stdout).toContain(shows)
    }
  }, 120_000)

  it("a field case: key show needs no key, and shows what the ledger keeps in clear (the signing key, the recipients), the names left to HQ's identity", async () => {
    const shown = await custodyJson<{recordedIn: {holder: string | null}; caseKeys: {mode: string; recipients: Array<{recipient: string; label: string | null}>}}>(['key', 'show', '--json', '--case', cases.field], {env: NO_PASSPHRASE})
    expect(shown.code, shown.stderr).toBe(0)
    expect(schemaErrors('key-show.schema.json', shown.json)).toEqual([])
    expect(shown.json.recordedIn.holder).toBeNull()
    expect(shown.json.caseKeys).toEqual({mode: 'field', recipients: [{recipient: hq.recipient, label: null, seq: expect.any(Number)}]})
    const text = await custody(['key', 'show', '--case', cases.field], {env: NO_PASSPHRASE})
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`recipient      ${hq.recipient}  (its label is recorded encrypted: a recipient's identity shows it)`)
    expect(text.stdout).toContain('held by a name the ledger keeps encrypted')
    expect(text.stdout).not.toContain('Ana Quintela')
    expect(text.stdout).not.toContain('HQ recipient')
    // HQ's identity opens the events: the holder and the labels.
    const opened = await custodyJson<{recordedIn: {holder: string | null}; caseKeys: {recipients: Array<{label: string | null}>}}>(['key', 'show', '--json', '--case', cases.field, '--identity', hqFile], {env: NO_PASSPHRASE})
    expect(opened.json.recordedIn.holder).toBe('Ana Quintela')
    expect(opened.json.caseKeys.recipients.map((r) => r.label)).toEqual(['HQ recipient'])
  }, 60_000)

  it("a field case: an identity that is not a recipient's opens nothing (exit 2)", async () => {
    const outsider = await custody(['list', '--case', cases.field, '--identity', outsiderFile], {env: NO_PASSPHRASE})
    expect(outsider.code).toBe(2)
    expect(outsider.stdout).not.toContain('GPS.jpg')
  }, 60_000)

  it('--json: the same records as a case in clear gives, once opened', async () => {
    const listed = await custodyJson<{exhibits: Array<{exhibit: string; name: string}>}>(['list', '--json', '--case', cases.field, '--identity', hqFile], {env: NO_PASSPHRASE})
    expect(listed.code).toBe(0)
    expect(listed.json.exhibits.map((e) => [e.exhibit, e.name])).toEqual([
      ['EX-000001', 'Canon.jpg'],
      ['EX-000002', 'GPS.jpg'],
    ])
  }, 60_000)

  it('status needs no key: the envelopes\' facts, and the title and releases once a key is given', async () => {
    for (const dir of Object.values(cases)) {
      const keyless = await custodyJson<{case: Record<string, unknown>; exhibits: number; released: unknown; releasedInClear: unknown}>(['status', '--json', '--case', dir], {env: NO_PASSPHRASE})
      expect(keyless.code, keyless.stderr).toBe(0)
      expect(schemaErrors('status.schema.json', keyless.json)).toEqual([])
      expect(keyless.json.case.locked).toBe(true)
      expect(keyless.json.case.title).toBeUndefined()
      expect(keyless.json.exhibits).toBe(2)
      expect(keyless.json.released).toBeNull()
      // Nothing released, as the envelopes say (a release's envelope says so in clear).
      expect(keyless.json.releasedInClear).toEqual([])
      expect(keyless.stdout).not.toContain('Sunflower')
      const text = await custody(['status', '--case', dir], {env: NO_PASSPHRASE})
      expect(text.code).toBe(0)
      expect(text.stdout).toMatch(/^Released +nothing released to another custodian$/m)

      const opened = await custodyJson<{case: Record<string, unknown>; released: unknown}>(['status', '--json', '--case', dir, '--identity', hqFile], {env: NO_PASSPHRASE})
      expect(opened.code, opened.stderr).toBe(0)
      expect(schemaErrors('status.schema.json', opened.json)).toEqual([])
      expect(opened.json.case).toMatchObject({title: 'Operation Sunflower', investigator: 'Ana Quintela'})
      expect(opened.json.released).toEqual([])
      expect(opened.json).toMatchObject({releasedInClear: null})
    }
  }, 120_000)

  it('key export needs no key: the public key is in clear, the holder\'s name is not', async () => {
    const out = join(work.path, 'field-key.pem')
    const exported = await custodyJson<{publicKeyPem: string; recordedIn: {holder: string | null}}>(['key', 'export', '--out', out, '--json', '--case', cases.field], {env: NO_PASSPHRASE})
    expect(exported.code, exported.stderr).toBe(0)
    expect(schemaErrors('key-export.schema.json', exported.json)).toEqual([])
    expect(exported.json.recordedIn.holder).toBeNull()
    const shown = await custodyJson<{publicKeyPem: string; recordedIn: {holder: string | null}}>(['key', 'show', '--json', '--case', cases.field, '--identity', hqFile], {env: NO_PASSPHRASE})
    expect(shown.json.recordedIn.holder).toBe('Ana Quintela')
    expect(readFileSync(out, 'utf8')).toBe(shown.json.publicKeyPem)
    const text = await custody(['key', 'export', '--out', join(work.path, 'again.pem'), '--case', cases.field], {env: NO_PASSPHRASE})
    expect(text.code, text.stderr).toBe(0)
  }, 60_000)

  it('key show --public: the passphrase opens the name and organisation (a field case\'s too), and the line is the one HQ would read', async () => {
    for (const dir of Object.values(cases)) {
      const line = await custodyJson<{line: string; custodian: {name: string; organisation: string | null; age: string | null}}>(['key', 'show', '--public', '--json', '--case', dir])
      expect(line.code, line.stderr).toBe(0)
      expect(line.json.custodian).toMatchObject({name: 'Ana Quintela', organisation: 'IPHR'})
      expect(line.json.custodian.age === null).toBe(dir === cases.field)
      const byIdentity = await custodyJson<{line: string}>(['key', 'show', '--public', '--json', '--case', dir, '--identity', hqFile], {env: NO_PASSPHRASE})
      expect(byIdentity.json.line).toBe(line.json.line)
      const none = await custody(['key', 'show', '--public', '--case', dir], {env: NO_PASSPHRASE})
      expect(none.code).toBe(2)
      expect(none.stdout).toBe('')
    }
  }, 120_000)

  it('report --case: opened with the identity, the report names the exhibits', async () => {
    const out = join(work.path, 'field-report.html')
    const report = await custody(['report', '--case', cases.field, '--identity', hqFile, '--out', out], {env: NO_PASSPHRASE})
    expect(report.code, report.stderr).toBe(0)
    const html = readFileSync(out, 'utf8')
    for (const id of ['EX-000001', 'EX-000002']) expect(html).toContain(id)
    const refused = await custody(['report', '--case', cases.field, '--out', join(work.path, 'refused.html')])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('--identity FILE')
  }, 120_000)

  it("report --case: its commands that check the case without custody read the envelopes; they pass, and fail on a changed vault object", async () => {
    const stepsOf = async (dir: string, name: string): Promise<string[]> => {
      const out = join(work.path, name)
      const made = await custody(['report', '--case', dir, '--out', out])
      expect([0, 3]).toContain(made.code)
      return howToCheckSteps(readFileSync(out, 'utf8'))
    }

    const sh = (script: string): {status: number | null; stdout: string} => spawnSync('sh', ['-c', script], {encoding: 'utf8', cwd: work.path})
    const lines = await stepsOf(cases.keyed, 'steps.html')
    const stored = lines.find((line) => line.includes('objects intact as stored'))!
    expect(stored).toContain('envelope')
    expect(sh(stored)).toMatchObject({status: 0, stdout: 'objects intact as stored\n'})
    const [computed, recorded] = sh(lines.slice(lines.findIndex((line) => line.startsWith('DB='))).join('\n')).stdout.trim().split('\n')
    expect(computed?.split(' ')[0]).toMatch(/^[0-9a-f]{64}$/)
    expect(computed?.split(' ')[0]).toBe(recorded)

    const bodies = lines.find((line) => line.includes('event bodies intact as stored'))!
    expect(sh(bodies)).toMatchObject({status: 0, stdout: 'event bodies intact as stored\n'})

    // Every object is listed: a byte added to any one of them (here the last age file) fails the command.
    const copy = copyCase(cases.keyed, join(work.path, 'steps-case'))
    const objects = join(copy, '.custody', 'vault', 'objects')
    const folder = readdirSync(objects).sort().at(-1)!
    const object = join(objects, folder, readdirSync(join(objects, folder)).sort().at(-1)!)
    chmodSync(object, 0o600)
    writeFileSync(object, Buffer.concat([readFileSync(object), Buffer.from('x')]))
    const tampered = (await stepsOf(copy, 'steps-tampered.html')).find((line) => line.includes('objects intact as stored'))!
    expect(sh(tampered).status).not.toBe(0)

    // Every body is listed: one byte of the last event's body changed fails the bodies' command.
    const db = new Database(join(copy, '.custody', 'ledger.sqlite'))
    const last = db.prepare('SELECT seq, body FROM events ORDER BY seq DESC LIMIT 1').get() as {seq: number; body: Buffer}
    last.body[20]! ^= 1
    db.exec('DROP TRIGGER events_no_update')
    db.prepare('UPDATE events SET body = ? WHERE seq = ?').run(last.body, last.seq)
    db.close()
    const changed = (await stepsOf(copy, 'steps-body.html')).find((line) => line.includes('event bodies intact as stored'))!
    const run = sh(changed)
    expect(run.status).not.toBe(0)
    expect(run.stdout).not.toContain('intact')
  }, 120_000)

  it('an exhibit past the last one the case gave is refused before any key is asked for; one it has still needs the key', async () => {
    for (const dir of Object.values(cases)) {
      for (const args of [['show', 'EX-000009'], ['log', '9']]) {
        const unknown = await custody([...args, '--case', dir], {env: NO_PASSPHRASE})
        expect(unknown.code, args.join(' ')).toBe(2)
        expect(unknown.stderr).toContain('there is no exhibit EX-000009 in this case')
      }

      const known = await custody(['show', 'EX-000002', '--case', dir], {env: NO_PASSPHRASE})
      expect(known.code).toBe(2)
      expect(known.stderr).not.toContain('there is no exhibit')
    }
  }, 60_000)

  describe('verify --passphrase-file', () => {
    interface Verified {ok: boolean; exhibits: {contentUnchecked: number}; checks: Array<{name: string; status: string; detail: string}>; problems: Array<{subject: string; message: string; check?: string; actual?: string}>}
    const passphraseFile = join(work.path, 'passphrase.txt')
    const verify = (dir: string, ...args: string[]) => custodyJson<Verified>(['verify', '--case', dir, ...args], {env: NO_PASSPHRASE})
    const warned = (report: Verified) => report.checks.filter((c) => c.status === 'warning').map((c) => c.name)

    it('with no key, the bodies and the content are not checked, and verify says so; the passphrase opens both in a case with a case identity', async () => {
      writeFileSync(passphraseFile, `${PASSPHRASE}\n`, {mode: 0o600})
      const none = await verify(cases.keyed)
      expect(none.code, none.stderr).toBe(0)
      expect(none.json.exhibits.contentUnchecked).toBeGreaterThanOrEqual(FILES.length)
      expect(none.json.checks.find((c) => c.name === 'event chain')?.detail).toContain('event bodies not opened')
      const opened = await verify(cases.keyed, '--passphrase-file', passphraseFile)
      expect(opened.code, opened.stderr).toBe(0)
      expect(opened.json.exhibits.contentUnchecked).toBe(0)
      expect(opened.json.checks.find((c) => c.name === 'event chain')?.detail).not.toContain('not opened')
      expect(warned(opened.json)).toEqual([])
      expect(schemaErrors('verify.schema.json', opened.json)).toEqual([])
    }, 120_000)

    it("a field case's passphrase opens neither: the report says what needs a recipient's identity", async () => {
      const field = await verify(cases.field, '--passphrase-file', passphraseFile)
      expect(field.code, field.stderr).toBe(0)
      expect(field.json.exhibits.contentUnchecked).toBeGreaterThanOrEqual(FILES.length)
      expect(field.json.checks.find((c) => c.name === 'event chain')?.detail).toContain('event bodies not opened')
    }, 60_000)

    it('a wrong passphrase is refused (exit 2), and so is --passphrase-file with an archive or beside --identity', async () => {
      const wrongFile = join(work.path, 'wrong-for-verify.txt')
      writeFileSync(wrongFile, 'not the passphrase of this case\n')
      const wrong = await custody(['verify', '--case', cases.keyed, '--passphrase-file', wrongFile], {env: NO_PASSPHRASE})
      expect(wrong.code).toBe(2)
      expect(wrong.stdout).toBe('')
      const archive = await custody(['verify', join(work.path, 'any.zip'), '--passphrase-file', passphraseFile], {env: NO_PASSPHRASE})
      expect(archive.code).toBe(2)
      expect(archive.stderr).toContain('--passphrase-file is for verifying a case')
      const both = await custody(['verify', '--case', cases.keyed, '--passphrase-file', passphraseFile, '--identity', hqFile], {env: NO_PASSPHRASE})
      expect(both.code).toBe(2)
    }, 60_000)

    /** A copy of the keyed case whose rows `edit` changes, with the append-only trigger lifted for it. */
    function forged(name: string, edit: (db: Database.Database) => void): string {
      const copy = copyCase(cases.keyed, join(work.path, name))
      const db = new Database(join(copy, '.custody', 'ledger.sqlite'))
      db.exec('DROP TRIGGER events_no_update')
      edit(db)
      db.exec("CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only: UPDATE is refused'); END")
      db.close()
      return copy
    }

    it("a body swapped for another event's: refused with no key (its envelope records the body's SHA-256) and with the passphrase, naming the event (exit 3)", async () => {
      let seq = -1
      let swapped = ''
      const copy = forged('body-swapped', (db) => {
        const [a, b] = db.prepare('SELECT seq, body FROM events WHERE exhibit IS NOT NULL ORDER BY seq LIMIT 2').all() as Array<{seq: number; body: Buffer}>
        db.prepare('UPDATE events SET body = ? WHERE seq = ?').run(b!.body, a!.seq)
        seq = a!.seq
        swapped = createHash('sha256').update(b!.body).digest('hex')
      })
      const none = await verify(copy)
      expect(none.code).toBe(3)
      const problem = none.json.problems.find((p) => p.subject === `event ${seq}`)
      expect(problem?.message).toContain('is not the one its envelope records')
      expect(problem?.actual).toBe(swapped)
      const opened = await verify(copy, '--passphrase-file', passphraseFile)
      expect(opened.code).toBe(3)
      expect(opened.json.problems.map((p) => `${p.subject}: ${p.message}`).join('\n')).toMatch(new RegExp(`event ${seq}\\b`))
    }, 60_000)

    it("a body changed and its envelope's SHA-256 made to agree, or taken out: the chain breaks, with no key (exit 3)", async () => {
      for (const [name, envelopeOf] of [
        ['digest-agrees', (envelope: Record<string, unknown>, body: Buffer) => ({...envelope, bodySha256: createHash('sha256').update(body).digest('hex')})],
        ['digest-removed', (envelope: Record<string, unknown>) => Object.fromEntries(Object.entries(envelope).filter(([k]) => k !== 'bodySha256'))],
      ] as const) {
        let seq = -1
        const copy = forged(name, (db) => {
          const row = db.prepare('SELECT seq, envelope, body FROM events WHERE exhibit IS NOT NULL ORDER BY seq LIMIT 1').get() as {seq: number; envelope: string; body: Buffer}
          const body = Buffer.from(row.body)
          body[body.length - 1]! ^= 1
          const envelope = canonicalize(envelopeOf(JSON.parse(row.envelope) as Record<string, unknown>, body))
          db.prepare('UPDATE events SET body = ?, envelope = ? WHERE seq = ?').run(body, envelope, row.seq)
          seq = row.seq
        })
        const none = await verify(copy)
        expect(none.code, name).toBe(3)
        expect(none.json.problems.some((p) => p.subject === `event ${seq}` && p.check === 'chain'), JSON.stringify(none.json.problems)).toBe(true)
      }
    }, 60_000)
  })
})
