/**
 * Witness testimony through the built CLI, as a script takes it (flags, no terminal): the
 * identity never in clear anywhere, consent enforced at seal time, corrections as versions,
 * identity access as events, and nothing half-recorded.
 */
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {forgeBag} from '../helpers/bag.js'
import {custody, custodyJson, newCase, ownStateFolder, PASSPHRASE, SAMPLES, sqlite, tempDir, vaultObject} from '../helpers/cli.js'

const NAME = 'Olena Kovalenko'
const CONTACT = '+380 44 555 0142'
const work = tempDir('custody-testimony-')
let kase: {dir: string; remove: () => void}
let statement: string

interface TakenJson {
  exhibit: string
  witness: string
  statement: {exhibit: string; sha256: string}
  attachments: Array<{exhibit: string; status: string}>
  identity: {commitment: string; fields: string[]} | null
}

interface SealJson {
  statement: {exhibits: Array<{exhibit: string}>; testimonies: Array<{exhibit: string; witness: string; identityCommitment: string | null; versions: Array<{exhibit: string}>; consent: string[]}>}
  leftOut: Array<{exhibit: string; testimony: string; reason: string}>
}

function ledgerSize(dir: string): number {
  return Number(sqlite(join(dir, '.custody', 'ledger.sqlite'), 'SELECT count(*) FROM events;').trim())
}

function files(dir: string): string[] {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
}

/** Every file under `dir` whose bytes contain `needle` (UTF-8), as grep -r would find. */
function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle, 'utf8')
  return files(dir).filter((file) => readFileSync(file).includes(bytes))
}

function flagsFor(witness: string, extra: string[] = []): string[] {
  return [
    'testimony',
    'add',
    '--witness',
    witness,
    '--interviewed-at',
    '2024-03-05T10:00+02:00/2024-03-05T11:30+02:00',
    '--place',
    'Kyiv, safe location',
    '--interviewer',
    'A. Investigator',
    '--interviewer',
    'C. Colleague',
    '--interpreter',
    'B. Interpreter',
    '--language',
    'uk',
    '--language',
    'en',
    ...extra,
    '--case',
    kase.dir,
  ]
}

function writeStatement(name: string, text: string): string {
  const path = join(work.path, name)
  writeFileSync(path, text)
  return path
}

beforeAll(async () => {
  kase = await newCase()
  // A file named after the witness, as happens in the field: the name must not reach the ledger.
  statement = writeStatement(`${NAME} statement.txt`, 'On 3 March I saw soldiers detain my neighbour at the checkpoint near the school.\n')
  const taken = await custodyJson<TakenJson>(
    flagsFor('W-014', [
      '--consent',
      'court',
      '--consent',
      'advocacy',
      '--consent-method',
      'signed-form',
      '--statement-file',
      statement,
      '--attach',
      join(SAMPLES, 'Canon.jpg'),
      '--witness-name',
      NAME,
      '--witness-contact',
      CONTACT,
      '--vulnerable',
      '--referral',
      'psychosocial support in Kyiv',
    ]),
  )
  expect(taken.code, taken.stderr).toBe(0)
})

afterAll(() => {
  kase.remove()
  work.remove()
})

describe('custody testimony add (flags)', () => {
  it('records the statement and the attachment as exhibits, linked by one testimony event', async () => {
    const {json} = await custodyJson<{testimonies: Array<{exhibit: string; witness: string; consent: {current: string[]}; attachments: Array<{exhibit: string}>; versions: unknown[]; vulnerable: boolean}>}>([
      'testimony',
      'list',
      '--case',
      kase.dir,
    ])
    expect(json.testimonies).toHaveLength(1)
    const [t] = json.testimonies
    expect(t).toMatchObject({exhibit: 'EX-000001', witness: 'W-014', vulnerable: true, consent: {current: ['advocacy', 'court']}, attachments: [{exhibit: 'EX-000002'}]})
    const show = await custodyJson<{file: {name: string; path: string | null}; digests: {sha256: string}; testimony: {interview: {interviewers: string[]; languages: string[]}}}>(['show', 'EX-000001', '--case', kase.dir])
    expect(show.json.digests.sha256).toBe(createHash('sha256').update(readFileSync(statement)).digest('hex'))
    expect(show.json.file).toMatchObject({name: 'W-014-statement-v1.txt', path: null})
    expect(show.json.testimony.interview.interviewers).toEqual(['A. Investigator', 'C. Colleague'])
    const attachment = await custody(['show', 'EX-000002', '--case', kase.dir])
    expect(attachment.stdout).toContain('part of          testimony EX-000001 of W-014, as its attachment')
    expect(attachment.stdout).toMatch(/testimony\s+EX-000001 .*testimony of W-014/)
    expect((await custody(['verify', '--case', kase.dir])).code).toBe(0)
  })

  it('never writes the name or contact in clear: not in the SQLite file, the vault, the log, nor a sealed archive', async () => {
    const archive = join(work.path, 'grep.zip')
    const sealed = await custody(['seal', '--out', archive, '--purpose', 'court', '--case', kase.dir])
    expect(sealed.code, sealed.stderr).toBe(0)
    const unzipped = join(work.path, 'grep-unzipped')
    expect(spawnSync('unzip', ['-q', archive, '-d', unzipped]).status).toBe(0)
    const log = await custody(['log', '--json', '--case', kase.dir])
    for (const secret of [NAME, 'Kovalenko', CONTACT, 'psychosocial']) {
      // The whole .custody folder: ledger.sqlite with its -wal and -shm, the vault, head.json, keys.
      expect(filesContaining(join(kase.dir, '.custody'), secret), secret).toEqual([])
      expect(readFileSync(archive).includes(Buffer.from(secret)), secret).toBe(false)
      expect(filesContaining(unzipped, secret), secret).toEqual([])
      expect(log.stdout).not.toContain(secret)
    }

    // What the grep looked through was the real thing: the statement's words are in the sealed
    // archive (in clear, for the court), and not in the vault, which holds them encrypted.
    expect(filesContaining(unzipped, 'checkpoint near the school')).toHaveLength(1)
    expect(filesContaining(join(kase.dir, '.custody', 'vault'), 'checkpoint near the school')).toEqual([])
    expect(existsSync(join(kase.dir, '.custody', 'ledger.sqlite'))).toBe(true)
  })

  it('with no terminal and required flags missing, names them and writes nothing', async () => {
    const before = ledgerSize(kase.dir)
    const objects = files(join(kase.dir, '.custody', 'vault')).length
    const result = await custody(['testimony', 'add', '--witness', 'W-020', '--place', 'Kherson', '--case', kase.dir])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('a testimony needs --interviewed-at, --interviewer, --consent, --statement-file')
    expect(result.stderr).toContain('no terminal')
    expect(ledgerSize(kase.dir)).toBe(before)
    expect(files(join(kase.dir, '.custody', 'vault'))).toHaveLength(objects)

    const noMethod = await custody(flagsFor('W-020', ['--consent', 'court', '--statement-file', statement]))
    expect(noMethod.code).toBe(2)
    expect(noMethod.stderr).toContain('--consent-method')
  })

  it('refuses bad values with the flag named: a code that carries the name, a time without zone, an unknown scope', async () => {
    const before = ledgerSize(kase.dir)
    const other = writeStatement('other.txt', 'Another statement.\n')
    const cases: Array<[string[], string]> = [
      [flagsFor('Olena-K', ['--consent', 'none', '--statement-file', other, '--witness-name', NAME]), "contains part of the witness's name"],
      [flagsFor('Olena Kovalenko', ['--consent', 'none', '--statement-file', other]), '--witness must be a code'],
      [[...flagsFor('W-021', ['--consent', 'none', '--statement-file', other]), '--consent-at', '2024-03-05 10:00'], '--consent-at must be an ISO 8601'],
      [flagsFor('W-021', ['--consent', 'press', '--consent-method', 'signed-form', '--statement-file', other]), '--consent must be one of court, international, advocacy, contact'],
      [flagsFor('W-021', ['--consent', 'none', '--consent', 'court', '--statement-file', other]), '--consent none cannot be given together with scopes'],
      [flagsFor('W-021', ['--consent', 'none', '--statement-file', other, '--language', 'not a tag!']), '--language must be a BCP 47'],
      [flagsFor('W-021', ['--consent', 'none', '--statement-file', other, '--witness-name', NAME, '--interviewer', NAME]), "--interviewer contains the witness's name"],
    ]
    for (const [args, message] of cases) {
      const result = await custody(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr).toContain(message)
    }

    const noZoneFlags = flagsFor('W-021', ['--consent', 'none', '--statement-file', other]).map((a) => (a.startsWith('2024-03-05T10:00+02:00/') ? '2024-03-05T10:00' : a))
    const noZone = await custody(noZoneFlags)
    expect(noZone.code).toBe(2)
    expect(noZone.stderr).toContain('--interviewed-at must be an ISO 8601 date and time with its zone')
    // The core names the field; the command its flag, in --json too, where the field is given.
    const named = await custodyJson<{error: {code: string; message: string; field?: string}}>([...noZoneFlags, '--json'])
    expect(named.code).toBe(2)
    expect(named.json.error).toEqual({code: 'INVALID_ARGUMENT', subject: null, field: 'interviewedAt', message: expect.stringMatching(/^--interviewed-at must be an ISO 8601 date and time with its zone, .* got "2024-03-05T10:00"$/) as string})
    const inClear = await custodyJson<{error: {code: string; message: string; field?: string}}>([...flagsFor('W-021', ['--consent', 'none', '--statement-file', other]), '--witness-name', NAME, '--note', NAME, '--json'])
    expect(inClear.json.error).toMatchObject({code: 'IDENTIFYING_CONTENT', field: 'note', message: expect.stringMatching(/^--note contains the witness's name, .*belongs in --identity-note, which is encrypted\. Nothing was recorded$/) as string})
    expect(ledgerSize(kase.dir)).toBe(before)
  })

  it('records nothing when an attachment cannot be ingested: no event, no new vault object', async () => {
    const before = ledgerSize(kase.dir)
    const objects = files(join(kase.dir, '.custody', 'vault')).sort()
    const other = writeStatement('w030.txt', 'Statement of W-030.\n')
    const empty = join(work.path, 'empty-recording.m4a')
    writeFileSync(empty, '')
    const failedAtCopy = await custody(flagsFor('W-030', ['--consent', 'court', '--consent-method', 'recorded-orally', '--statement-file', other, '--attach', join(SAMPLES, 'GPS.jpg'), '--attach', empty]))
    expect(failedAtCopy.code).not.toBe(0)
    expect(failedAtCopy.stderr).toContain(empty)
    expect(failedAtCopy.stderr).toContain('Nothing was recorded')
    const missing = await custody(flagsFor('W-030', ['--consent', 'court', '--consent-method', 'recorded-orally', '--statement-file', other, '--attach', join(work.path, 'no-such.mp4')]))
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain('no-such.mp4')
    expect(ledgerSize(kase.dir)).toBe(before)
    expect(files(join(kase.dir, '.custody', 'vault')).sort()).toEqual(objects)
    expect((await custody(['verify', '--case', kase.dir])).code).toBe(0)
    // The same testimony with the attachment fixed goes in whole.
    const fixed = await custodyJson<TakenJson>(flagsFor('W-030', ['--consent', 'court', '--consent-method', 'recorded-orally', '--statement-file', other, '--attach', join(SAMPLES, 'GPS.jpg')]))
    expect(fixed.code, fixed.stderr).toBe(0)
    expect(fixed.json.identity).toBeNull()
    expect(fixed.json.attachments).toHaveLength(1)
  })

  it('refuses a statement that is already an exhibit', async () => {
    const result = await custody(flagsFor('W-031', ['--consent', 'none', '--statement-file', statement]))
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('is already exhibit EX-000001')
  })
})

describe('consent at seal time', () => {
  let quiet: TakenJson
  beforeAll(async () => {
    const text = writeStatement('w040.txt', 'Statement of W-040, who consented to nothing.\n')
    quiet = (await custodyJson<TakenJson>(flagsFor('W-040', ['--consent', 'none', '--statement-file', text, '--attach', join(SAMPLES, 'Nikon.jpg')]))).json
    // A photo that belongs to no testimony.
    expect((await custody(['ingest', join(SAMPLES, 'Casio.jpg'), '--case', kase.dir])).code).toBe(0)
  })

  it('leaves out testimony without consent to the purpose, with its attachments, and says why', async () => {
    const out = join(work.path, 'court.zip')
    const sealed = await custodyJson<SealJson>(['seal', '--out', out, '--purpose', 'court', '--case', kase.dir])
    expect(sealed.code, sealed.stderr).toBe(0)
    const left = sealed.json.leftOut.filter((l) => l.testimony === quiet.exhibit)
    expect(left.map((l) => l.exhibit).sort()).toEqual([quiet.exhibit, quiet.attachments[0]!.exhibit].sort())
    expect(left[0]!.reason).toContain('witness W-040 has not consented to court (consented to nothing)')
    const sealedIds = sealed.json.statement.exhibits.map((x) => x.exhibit)
    expect(sealedIds).not.toContain(quiet.exhibit)
    expect(sealedIds).toContain('EX-000001')
    const text = await custody(['seal', '--out', join(work.path, 'court-text.zip'), '--purpose', 'court', '--case', kase.dir])
    expect(text.stdout).toContain(`left out       ${quiet.exhibit} (testimony ${quiet.exhibit}): witness W-040 has not consented to court`)
  })

  it('fails, sealing nothing, when a testimony without consent is named', async () => {
    const out = join(work.path, 'named.zip')
    const before = ledgerSize(kase.dir)
    for (const named of [quiet.exhibit, quiet.attachments[0]!.exhibit]) {
      const result = await custody(['seal', 'EX-000001', named, '--out', out, '--purpose', 'court', '--case', kase.dir])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(`cannot seal ${named} (testimony ${quiet.exhibit}): witness W-040 has not consented to court`)
      expect(existsSync(out)).toBe(false)
    }

    expect(ledgerSize(kase.dir)).toBe(before)
  })

  it('refuses (exit 1, nothing sealed) when the purpose is not a consent scope, or not given, and testimony would be left out', async () => {
    const before = (await custodyJson<{events: unknown[]}>(['log', '--case', kase.dir])).json.events.length
    for (const purpose of [['--purpose', 'ICC Article 15 communication'], []]) {
      const out = join(work.path, `refused${purpose.length}.zip`)
      const refused = await custodyJson<{error: {code: string; message: string; subject: string}}>(['seal', '--out', out, ...purpose, '--case', kase.dir])
      expect(refused.code).toBe(1)
      expect(refused.json.error).toMatchObject({code: 'TESTIMONY_LEFT_OUT', subject: 'W-014'})
      expect(refused.json.error.message).toMatch(/^the testimony of (?:witness|\d+ witnesses) W-014(?:, W-\d+)* \(\d+ exhibits?\) would be left out/)
      expect(refused.json.error.message).toContain(purpose.length ? 'the --purpose "ICC Article 15 communication" is not a consent scope' : 'no --purpose was given')
      expect(refused.json.error.message).toContain('--allow-left-out')
      const text = await custody(['seal', '--out', out, ...purpose, '--case', kase.dir])
      expect(text.code).toBe(1)
      expect(text.stderr).toContain('Nothing was sealed')
      expect(existsSync(out)).toBe(false)
    }

    expect((await custodyJson<{events: unknown[]}>(['log', '--case', kase.dir])).json.events).toHaveLength(before)
  })

  it('leaves out all testimony when the purpose is not a consent scope, or not given, with --allow-left-out', async () => {
    for (const purpose of [['--purpose', 'ICC Article 15 communication'], []]) {
      const sealed = await custodyJson<SealJson>(['seal', '--out', join(work.path, `p${purpose.length}.zip`), ...purpose, '--allow-left-out', '--case', kase.dir])
      expect(sealed.code, sealed.stderr).toBe(0)
      expect(sealed.json.statement.testimonies).toEqual([])
      expect(sealed.json.leftOut.map((l) => l.exhibit)).toContain('EX-000001')
      expect(sealed.json.leftOut[0]!.reason).toMatch(purpose.length ? /is not a consent scope/ : /no --purpose says what the archive is for/)
      // Exhibits outside any testimony still go in.
      expect(sealed.json.statement.exhibits).toHaveLength(1)
    }
  })

  it('follows withdrawal and a new grant, keeping the whole history', async () => {
    const withdraw = await custodyJson<{before: string[]; current: string[]}>(['testimony', 'consent', 'W-014', '--withdraw', 'court', '--at', '2024-06-01T10:00+03:00', '--note', 'asked by phone', '--case', kase.dir])
    expect(withdraw.code, withdraw.stderr).toBe(0)
    expect(withdraw.json).toMatchObject({before: ['advocacy', 'court'], current: ['advocacy']})
    // A testimony can be named by its witness code.
    const refused = await custody(['seal', 'W-014', '--out', join(work.path, 'w.zip'), '--purpose', 'court', '--case', kase.dir])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('cannot seal EX-000001 (testimony EX-000001): witness W-014 withdrew consent to court on 2024-06-01T10:00+03:00')

    const grantWithoutMethod = await custody(['testimony', 'consent', 'W-014', '--grant', 'court', '--case', kase.dir])
    expect(grantWithoutMethod.code).toBe(2)
    expect(grantWithoutMethod.stderr).toContain('--method must say how the new consent was given')
    const grant = await custodyJson<{current: string[]}>(['testimony', 'consent', 'W-014', '--grant', 'court', '--grant', 'international', '--method', 'recorded-orally', '--case', kase.dir])
    expect(grant.json.current).toEqual(['advocacy', 'court', 'international'])
    const sealed = await custodyJson<SealJson>(['seal', 'EX-000001', '--out', join(work.path, 'again.zip'), '--purpose', 'international', '--case', kase.dir])
    expect(sealed.code, sealed.stderr).toBe(0)
    // Naming the testimony brings its attachment.
    expect(sealed.json.statement.exhibits.map((x) => x.exhibit)).toEqual(['EX-000001', 'EX-000002'])
    const show = await custody(['show', '1', '--case', kase.dir])
    expect(show.stdout).toContain('given          advocacy, court (signed-form, 2024-03-05T10:00+02:00) at the interview')
    expect(show.stdout).toMatch(/changed {8}#\d+ 2024-06-01T10:00\+03:00: -court "asked by phone"/)
    expect(show.stdout).toMatch(/changed {8}#\d+ .*: \+court \+international \(recorded-orally\)/)
  })
})

describe('corrections', () => {
  it('adds a version linked to the one before; show lists both; a seal carries both', async () => {
    const v2 = writeStatement('w014-v2.txt', 'On 4 March (not 3 March) I saw soldiers detain my neighbour at the checkpoint near the school.\n')
    const noReason = await custody(['testimony', 'amend', 'W-014', '--statement-file', v2, '--reason', ' ', '--case', kase.dir])
    expect(noReason.code).toBe(2)
    const amended = await custodyJson<{statement: {version: number; exhibit: string; sha256: string}; previous: {exhibit: string; version: number}}>([
      'testimony',
      'amend',
      'W-014',
      '--statement-file',
      v2,
      '--reason',
      'the witness corrected the date',
      '--case',
      kase.dir,
    ])
    expect(amended.code, amended.stderr).toBe(0)
    expect(amended.json).toMatchObject({version: 1, statement: {version: 2}, previous: {exhibit: 'EX-000001', version: 1}})
    const show = await custody(['show', 'EX-000001', '--case', kase.dir])
    expect(show.stdout).toMatch(/version 1 +EX-000001/)
    expect(show.stdout).toMatch(new RegExp(`version 2 +${amended.json.statement.exhibit} .*reason: the witness corrected the date`))
    const versionShow = await custody(['show', amended.json.statement.exhibit, '--case', kase.dir])
    expect(versionShow.stdout).toContain('as its statement version 2')
    expect(versionShow.stdout).toContain('W-014-statement-v2.txt')

    const out = join(work.path, 'versions.zip')
    const sealed = await custodyJson<SealJson>(['seal', 'W-014', '--out', out, '--purpose', 'court', '--case', kase.dir])
    expect(sealed.code, sealed.stderr).toBe(0)
    expect(sealed.json.statement.testimonies[0]!.versions.map((v) => v.exhibit)).toEqual(['EX-000001', amended.json.statement.exhibit])
    const listing = spawnSync('unzip', ['-Z1', out], {encoding: 'utf8'}).stdout
    expect(listing).toContain(`data/exhibits/${amended.json.statement.exhibit}/original/W-014-statement-v2.txt`)
    expect(listing).toContain('data/exhibits/EX-000001/original/W-014-statement-v1.txt')
    expect((await custody(['verify', out])).code).toBe(0)
    const same = await custody(['testimony', 'amend', 'W-014', '--statement-file', v2, '--reason', 'again', '--case', kase.dir])
    expect(same.code).toBe(2)
    expect(same.stderr).toContain('nothing changed')
  })
})

describe('custody testimony identity', () => {
  it('needs the passphrase; a wrong one shows nothing and records nothing', async () => {
    const before = ledgerSize(kase.dir)
    const wrong = await custody(['testimony', 'identity', 'W-014', '--case', kase.dir], {env: {CUSTODY_PASSPHRASE: 'not the passphrase'}})
    expect(wrong.code).toBe(2)
    expect(wrong.stdout).not.toContain(NAME)
    const none = await custody(['testimony', 'identity', 'W-014', '--case', kase.dir], {env: {CUSTODY_PASSPHRASE: ''}})
    expect(none.code).toBe(2)
    expect(ledgerSize(kase.dir)).toBe(before)
  })

  it('shows the identity, records who looked and why, and discloses bytes whose SHA-256 is the sealed commitment', async () => {
    const disclosed = join(work.path, 'w014-identity.json')
    const viewed = await custodyJson<{identity: {name: string; contact: string}; commitment: string; seq: number}>([
      'testimony',
      'identity',
      'W-014',
      '--reason',
      'order of the Pre-Trial Chamber',
      '--disclose',
      disclosed,
      '--actor',
      'Legal officer',
      '--case',
      kase.dir,
    ])
    expect(viewed.code, viewed.stderr).toBe(0)
    expect(viewed.json.identity).toMatchObject({name: NAME, contact: CONTACT})
    const log = await custodyJson<{events: Array<{seq: number; action: string; actor: string; payload: {reason: string}}>}>(['log', 'EX-000001', '--case', kase.dir])
    const access = log.json.events.find((e) => e.seq === viewed.json.seq)
    expect(access).toMatchObject({action: 'identity-viewed', actor: 'Legal officer', payload: {reason: 'order of the Pre-Trial Chamber'}})

    // A court checks a disclosure against an archive with sha256sum alone.
    const out = join(work.path, 'disclosure.zip')
    expect((await custody(['seal', 'EX-000001', '--out', out, '--purpose', 'court', '--case', kase.dir])).code).toBe(0)
    const statement = JSON.parse(spawnSync('unzip', ['-p', out, '*/data/custody/seal.json'], {encoding: 'utf8'}).stdout) as SealJson['statement']
    const sum = spawnSync('sha256sum', [disclosed], {encoding: 'utf8'}).stdout.split(' ')[0]
    expect(statement.testimonies[0]!.identityCommitment).toBe(sum)
    expect(sum).toBe(viewed.json.commitment)
    expect(statSync(disclosed).mode & 0o777).toBe(0o600)
    // Never over an existing file.
    const again = await custody(['testimony', 'identity', 'W-014', '--disclose', disclosed, '--case', kase.dir])
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('already exists')
  })

  it('after a key rotation to a new passphrase, the new passphrase opens the identities and the old one does not', async () => {
    const copy = join(work.path, 'rotated-case')
    mkdirSync(copy)
    expect(spawnSync('cp', ['-a', join(kase.dir, '.custody'), copy]).status).toBe(0)
    // A case of its own beside the original (on one account, work on both would be a fork).
    ownStateFolder(copy)
    const next = join(work.path, 'new-passphrase.txt')
    writeFileSync(next, 'a brand new passphrase\n')
    const rotated = await custody(['key', 'rotate', '--reason', 'laptop was out of our hands', '--new-passphrase-file', next, '--case', copy])
    expect(rotated.code, rotated.stderr).toBe(0)
    const opened = await custodyJson<{identity: {name: string}}>(['testimony', 'identity', 'W-014', '--passphrase-file', next, '--case', copy])
    expect(opened.code, opened.stderr).toBe(0)
    expect(opened.json.identity.name).toBe(NAME)
    const old = await custody(['testimony', 'identity', 'W-014', '--case', copy])
    expect(old.code).toBe(2)
    expect(old.stdout).not.toContain(NAME)
  })

  it("refuses the witness's name as --actor, which is recorded in clear and sealed into archives: identity, consent and amend alike", async () => {
    const before = ledgerSize(kase.dir)
    const v2 = writeStatement('actor-v2.txt', 'A correction that names no one.\n')
    for (const args of [
      ['testimony', 'identity', 'W-014', '--reason', 'court order', '--actor', NAME],
      ['testimony', 'consent', 'W-014', '--grant', 'advocacy', '--method', 'signed-form', '--actor', `Mrs ${NAME.split(' ')[1]!}`],
      ['testimony', 'amend', 'W-014', '--statement-file', v2, '--reason', 'a typo', '--actor', CONTACT],
    ]) {
      const refused = await custodyJson<{error: {code: string; message: string}}>([...args, '--case', kase.dir])
      expect(refused.code, args[1]).toBe(2)
      expect(refused.json.error.code).toBe('IDENTIFYING_CONTENT')
      expect(refused.json.error.message).toContain('--actor')
      expect(refused.stdout).not.toContain(NAME)
    }

    expect(ledgerSize(kase.dir)).toBe(before)
  })

  it('says so when no identity was recorded', async () => {
    const result = await custody(['testimony', 'identity', 'W-030', '--case', kase.dir])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('no identity was recorded for witness W-030')
  })
})

describe('tampering with testimony', () => {
  it('a sealed identity removed from the vault, or an identity key swapped, fails verify', async () => {
    const copy = join(work.path, 'tampered-case')
    mkdirSync(copy)
    expect(spawnSync('cp', ['-a', join(kase.dir, '.custody'), copy]).status).toBe(0)
    // A case of its own beside the original (on one account, work on both would be a fork).
    ownStateFolder(copy)
    const {json} = await custodyJson<{testimonies: Array<{witness: string; identity: {sealedRecord: string} | null}>}>(['testimony', 'list', '--case', copy])
    const sealed = json.testimonies.find((t) => t.witness === 'W-014')!.identity!.sealedRecord
    const object = vaultObject(copy, sealed)
    renameSync(object, `${object}.gone`)
    // With no key, the record is missing as stored (the event names its file); with the passphrase,
    // which opens the sealed testimony event, verify names the testimony too.
    const keyless = await custodyJson<{problems: Array<{kind: string; subject: string; message: string}>}>(['verify', '--case', copy])
    expect(keyless.code).toBe(3)
    expect(keyless.json.problems).toContainEqual(expect.objectContaining({kind: 'testimony', message: `its vault file ${object} is missing`}))
    const passphraseFile = join(work.path, 'tampered-passphrase.txt')
    writeFileSync(passphraseFile, `${PASSPHRASE}\n`, {mode: 0o600})
    const withKey = ['--passphrase-file', passphraseFile]
    const missing = await custodyJson<{problems: Array<{kind: string; subject: string; message: string}>}>(['verify', '--case', copy, ...withKey])
    expect(missing.code).toBe(3)
    expect(missing.json.problems).toContainEqual(expect.objectContaining({kind: 'testimony', subject: 'EX-000001 (testimony of W-014)', message: expect.stringContaining('its sealed identity record') as string}))
    renameSync(`${object}.gone`, object)

    const keyFile = join(copy, '.custody', 'keys', 'identities.json')
    const key = JSON.parse(readFileSync(keyFile, 'utf8')) as {fingerprint: string}
    writeFileSync(keyFile, JSON.stringify({...key, fingerprint: `SHA256:${'0'.repeat(64)}`}))
    const swapped = await custodyJson<{problems: Array<{kind: string; message: string}>}>(['verify', '--case', copy, ...withKey])
    expect(swapped.code).toBe(3)
    expect(swapped.json.problems.some((p) => p.kind === 'testimony' && p.message.includes('identity key'))).toBe(true)
  })
})

describe('testimony in a sealed archive', () => {
  interface ArchiveJson {
    ok: boolean
    checks: Array<{name: string; ok: boolean; detail: string}>
    problems: Array<{check: string; subject: string; message: string}>
  }

  let pristine: string
  let bag: string
  beforeAll(async () => {
    const archive = join(work.path, 'testimony-archive.zip')
    const sealed = await custody(['seal', 'W-014', '--out', archive, '--purpose', 'court', '--sealed-at', '2026-01-01T00:00:00Z', '--case', kase.dir])
    expect(sealed.code, sealed.stderr).toBe(0)
    pristine = join(work.path, 'testimony-pristine')
    expect(spawnSync('unzip', ['-q', archive, '-d', pristine]).status).toBe(0)
    bag = readdirSync(pristine)[0]!
    const ok = await custodyJson<ArchiveJson>(['verify', archive])
    expect(ok.code).toBe(0)
    expect(ok.json.checks.find((c) => c.name === 'testimony')?.detail).toContain('1 testimony: versions, attachments, commitment, identifying content and consent (covering "court") agree with their events')
    const readme = readFileSync(join(pristine, bag, 'README.txt'), 'utf8')
    expect(readme).toContain('6. Witness testimony: W-014 (EX-000001).')
    expect(readme).toContain("which must print that witness's identityCommitment")
  })

  function editStatement(change: (statement: {purpose: string; testimonies: Array<Record<string, unknown>>}) => void): (bagDir: string) => void {
    return (bagDir) => {
      const path = join(bagDir, 'data', 'custody', 'seal.json')
      const statement = JSON.parse(readFileSync(path, 'utf8')) as {purpose: string; testimonies: Array<Record<string, unknown>>}
      change(statement)
      writeFileSync(path, `${JSON.stringify(statement, null, 2)}\n`)
    }
  }

  it.each([
    ['a wider consent claimed than the events show', editStatement((s) => (s.testimonies[0]!.consent = ['advocacy', 'contact', 'court', 'international'])), "differs from the consent recomputed from the testimony's events"],
    ['another identity commitment', editStatement((s) => (s.testimonies[0]!.identityCommitment = 'ab'.repeat(32))), 'the identity commitment differs'],
    ['the purpose changed to one the witness did not consent to', editStatement((s) => (s.purpose = 'contact')), 'does not cover the seal\'s purpose "contact"'],
    ['a statement version dropped from the account', editStatement((s) => (s.testimonies[0]!.versions = (s.testimonies[0]!.versions as unknown[]).slice(0, 1))), 'the statement versions differ'],
    ['the testimony removed from the account', editStatement((s) => (s.testimonies = [])), 'the seal statement does not account for it'],
  ])('is caught when the seal statement is forged: %s', async (_name, change, message) => {
    // The manifests are rewritten too, as a forger would: the signature check fails as well, but
    // the testimony check names what was changed.
    const forged = forgeBag(pristine, bag, join(work.path, `forged-${createHash('sha256').update(message).digest('hex').slice(0, 8)}`), change, {rewriteManifests: true})
    const result = await custodyJson<ArchiveJson>(['verify', forged])
    expect(result.code).toBe(3)
    expect(result.json.problems).toContainEqual(expect.objectContaining({check: 'testimony', message: expect.stringContaining(message) as string}))
  })
})
