/**
 * The encrypted vault end to end (issue 19): a case made by `custody init` keeps every original,
 * metadata record and statement as an age file at a keyed address. Real tools: age-keygen makes
 * HQ's key, the Debian `age` decrypts an object, unzip and sha256sum check the sealed archive,
 * and the tampering is done by hand as an adversary with the disk would do it.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {caseEnv, copyCase, custody, custodyJson, SAMPLES, tempDir} from '../helpers/cli.js'
import {checker} from '../helpers/tools.js'

const work = tempDir('custody-encrypted-vault-')
const caseDir = join(work.path, 'case')
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const sha512 = (b: Uint8Array): string => createHash('sha512').update(b).digest('hex')
const samples = readdirSync(SAMPLES).filter((n) => !n.startsWith('.')).sort()
let hq = {file: '', recipient: ''}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort()
}

interface ShowJson {
  exhibit: string
  digests: {sha256: string; sha512: string}
  vault: {path: string; relativePath: string}
  metadata: {recordPath: string}
}

/** `custody show ID --json`; a field case's needs a recipient's `identity` (its events are sealed to HQ). */
async function show(id: string, dir = caseDir, identity?: string): Promise<ShowJson> {
  const result = await custodyJson<ShowJson>(['show', id, '--json', ...(identity === undefined ? [] : ['--identity', identity])], {cwd: dir, env: caseEnv(dir)})
  expect(result.code, result.stderr).toBe(0)
  return result.json
}

interface VerifyJson {
  ok: boolean
  checks: Array<{name: string; ok: boolean; detail: string}>
  problems: Array<{subject: string; message: string}>
}

async function verify(dir: string): Promise<{code: number | null; json: VerifyJson}> {
  const result = await custodyJson<VerifyJson>(['verify', '--json'], {cwd: dir, env: caseEnv(dir)})
  return {code: result.code, json: result.json}
}

beforeAll(async () => {
  const file = join(work.path, 'hq.key')
  execFileSync('age-keygen', ['-o', file], {stdio: 'ignore'})
  hq = {file, recipient: execFileSync('age-keygen', ['-y', file], {encoding: 'utf8'}).trim()}
  const init = await custody(['init', caseDir, '--title', 'Encrypted case', '--investigator', 'A. Investigator', '--recipient', hq.recipient])
  expect(init.code, init.stderr).toBe(0)
  const ingest = await custody(['ingest', SAMPLES, '--recursive', '--location', 'Simferopol, back room of the clinic'], {cwd: caseDir, env: caseEnv(caseDir)})
  expect(ingest.code, ingest.stderr).toBe(0)
}, 240_000)

afterAll(() => work.remove())

describe('an encrypted vault', () => {
  it('holds only age files at keyed addresses: no plaintext digest as a name, no window of an original in any file', async () => {
    const vault = join(caseDir, '.custody', 'vault')
    const stored = filesUnder(vault)
    expect(stored.length).toBeGreaterThanOrEqual(samples.length * 2)
    for (const file of stored) {
      expect(relative(vault, file)).toMatch(/^objects\/([0-9a-f]{2})\/\1[0-9a-f]{62}\.age$/)
      expect(readFileSync(file).subarray(0, 22).toString()).toBe('age-encryption.org/v1\n')
    }

    const names = stored.join('\n')
    const contents = stored.map((f) => readFileSync(f))
    for (const name of samples) {
      const original = readFileSync(join(SAMPLES, name))
      for (const digest of [sha256(original), sha512(original)]) {
        expect(names).not.toContain(digest)
        for (const content of contents) {
          expect(content.includes(Buffer.from(digest, 'hex'))).toBe(false)
          expect(content.includes(Buffer.from(digest))).toBe(false)
        }
      }

      const window = original.subarray(Math.floor(original.length / 2), Math.floor(original.length / 2) + 64)
      for (const content of contents) expect(content.includes(window), `${name}: a window of its bytes`).toBe(false)
    }
  })

  it('gives HQ every original with the standard age tool and its identity, byte for byte', async () => {
    const age = checker('age')
    if (age === undefined) return
    const x = await show('EX-000001')
    const out = join(work.path, 'decrypted')
    execFileSync(age, ['-d', '-i', hq.file, '-o', out, x.vault.path])
    expect(sha256(readFileSync(out))).toBe(x.digests.sha256)
    const record = join(work.path, 'record.json')
    execFileSync(age, ['-d', '-i', hq.file, '-o', record, x.metadata.recordPath])
    expect(JSON.parse(readFileSync(record, 'utf8'))).toHaveProperty('reader')
  })

  it('verifies without a key as stored, and says what that leaves unchecked', async () => {
    const {code, json} = await verify(caseDir)
    expect(code).toBe(0)
    const vault = json.checks.find((c) => c.name === 'vault')!
    expect(vault.ok).toBe(true)
    expect(vault.detail).toContain('as stored')
    expect(vault.detail).toContain('their content was not checked')
  })

  it('seals with the passphrase: the archive holds the originals in clear, and verifies', async () => {
    const out = join(work.path, 'sealed.zip')
    const seal = await custody(['seal', '--out', out, '--purpose', 'court'], {cwd: caseDir, env: caseEnv(caseDir)})
    expect(seal.code, seal.stderr).toBe(0)
    const archive = await custody(['verify', out])
    expect(archive.code, archive.stdout + archive.stderr).toBe(0)
    const listing = execFileSync('unzip', ['-Z1', out], {encoding: 'utf8'})
    const original = readFileSync(join(SAMPLES, samples[0]!))
    const entry = listing.split('\n').find((l) => l.includes('/data/') && l.endsWith(samples[0]!))
    expect(entry).toBeDefined()
    expect(sha256(execFileSync('unzip', ['-p', out, entry!], {maxBuffer: 1 << 28}))).toBe(sha256(original))
  })

  describe('refuses what an adversary with the disk did', () => {
    const tampered = async (damage: (a: string, b: string) => void): Promise<VerifyJson> => {
      const copy = copyCase(caseDir, join(work.path, `copy-${Math.random().toString(36).slice(2)}`))
      const a = (await show('EX-000001', copy)).vault.path
      const b = (await show('EX-000002', copy)).vault.path
      chmodSync(a, 0o600)
      chmodSync(b, 0o600)
      damage(a, b)
      const {code, json} = await verify(copy)
      expect(code).toBe(3)
      return json
    }

    it('a changed byte', async () => {
      const json = await tampered((a) => {
        const bytes = readFileSync(a)
        bytes[bytes.length - 40]! ^= 1
        writeFileSync(a, bytes)
      })
      expect(json.problems.map((p) => p.subject)).toContain('EX-000001')
    })

    it('an object swapped for another of the case', async () => {
      const json = await tampered((a, b) => renameSync(b, a))
      expect(json.problems.map((p) => p.subject)).toContain('EX-000001')
    })

    it('a truncated object', async () => {
      const json = await tampered((a) => truncateSync(a, Math.floor(statSync(a).size / 2)))
      expect(json.problems.find((p) => p.subject === 'EX-000001')?.message).toContain('truncated')
    })
  })

  it('checks content with a recipient\'s identity; a stranger\'s is refused in one line, exit 2', async () => {
    const withKey = await custodyJson<VerifyJson>(['verify', '--json', '--identity', hq.file], {cwd: caseDir, env: caseEnv(caseDir)})
    expect(withKey.code).toBe(0)
    expect(withKey.json.checks.find((c) => c.name === 'vault')?.detail).toContain('original and metadata record re-hashed')
    const stranger = join(work.path, 'stranger.key')
    execFileSync('age-keygen', ['-o', stranger], {stdio: 'ignore'})
    const refused = await custody(['verify', '--identity', stranger], {cwd: caseDir, env: caseEnv(caseDir)})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('none of the identities given is a recipient of this case')
  })
  it('gives a recipient added after the ingest what was stored before: custody and the age tool open it through the case identity', async () => {
    const copy = copyCase(caseDir, join(work.path, 'later-recipient'))
    const later = join(work.path, 'later.key')
    execFileSync('age-keygen', ['-o', later], {stdio: 'ignore'})
    const recipient = execFileSync('age-keygen', ['-y', later], {encoding: 'utf8'}).trim()
    const x = await show('EX-000001', copy)
    // Stored before: no stanza for the new recipient, so its identity alone does not open the object.
    expect(spawnSync('age', ['-d', '-i', later, '-o', '/dev/null', x.vault.path]).status).not.toBe(0)
    const added = await custody(['key', 'add-recipient', recipient, '--label', 'HQ, later'], {cwd: copy, env: caseEnv(copy)})
    expect(added.code, added.stderr).toBe(0)
    const withKey = await custodyJson<VerifyJson>(['verify', '--json', '--identity', later], {cwd: copy, env: caseEnv(copy)})
    expect(withKey.code).toBe(0)
    expect(withKey.json.checks.find((c) => c.name === 'vault')?.detail).toBe(`${samples.length}/${samples.length} exhibits intact (original and metadata record re-hashed)`)
    // By hand, as README says: the case identity for the recipient, then the object with it.
    const caseKey = join(work.path, 'case-identity-for-later.txt')
    execFileSync('age', ['-d', '-i', later, '-o', caseKey, join(copy, '.custody', 'keys', 'case-identity.recipients.age')])
    expect(sha256(execFileSync('age', ['-d', '-i', caseKey, x.vault.path], {maxBuffer: 1 << 28}))).toBe(x.digests.sha256)

    // Without that file, what the later recipient cannot open is checked as stored, and verify says why.
    rmSync(join(copy, '.custody', 'keys', 'case-identity.recipients.age'))
    const without = await custodyJson<VerifyJson>(['verify', '--json', '--identity', later], {cwd: copy, env: caseEnv(copy)})
    expect(without.code).toBe(0)
    expect(without.json.checks.find((c) => c.name === 'vault')?.detail).toContain('case-identity.recipients.age, through which a recipient added later opens what was stored before it, is missing or does not open')

    // Put back forged: another identity, encrypted to the later recipient with the age tool. It opens, so it is not a wrong key but a replaced file: exit 3, naming it.
    const forgedIdentity = join(work.path, 'forged-case-identity.txt')
    execFileSync('age-keygen', ['-o', forgedIdentity], {stdio: 'ignore'})
    const forged = join(copy, '.custody', 'keys', 'case-identity.recipients.age')
    execFileSync('age', ['-r', recipient, '-o', forged, forgedIdentity])
    const refused = await custody(['verify', '--identity', later], {cwd: copy, env: caseEnv(copy)})
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain(`${forged} does not hold the case identity the ledger records`)
  })
})

describe('a field case', () => {
  const fieldDir = join(work.path, 'field')

  beforeAll(async () => {
    const init = await custody(['init', fieldDir, '--title', 'Field case', '--investigator', 'A. Investigator', '--field', '--recipient', hq.recipient])
    expect(init.code, init.stderr).toBe(0)
    const ingest = await custody(['ingest', join(SAMPLES, 'GPS.jpg'), join(SAMPLES, 'Canon.jpg')], {cwd: fieldDir, env: caseEnv(fieldDir)})
    expect(ingest.code, ingest.stderr).toBe(0)
  }, 120_000)

  it('ingests and verifies with the passphrase, but seals only with a recipient\'s identity, saying so in one line', async () => {
    expect((await verify(fieldDir)).code).toBe(0)
    const out = join(work.path, 'field.zip')
    const refused = await custody(['seal', '--out', out], {cwd: fieldDir, env: caseEnv(fieldDir)})
    expect(refused.code).toBe(2)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr).toContain('--identity FILE')
    const sealed = await custody(['seal', '--out', out, '--identity', hq.file], {cwd: fieldDir, env: caseEnv(fieldDir)})
    expect(sealed.code, sealed.stderr).toBe(0)
    expect((await custody(['verify', out])).code).toBe(0)
    const bagit = checker('bagit.py')
    if (bagit === undefined) return
    const unzipped = join(work.path, 'field-bag')
    execFileSync('unzip', ['-q', out, '-d', unzipped])
    const bag = readdirSync(unzipped)[0]!
    expect(spawnSync('python3', [bagit, '--validate', join(unzipped, bag)]).status).toBe(0)
  })

  it('gives a recipient added later what is stored from then on; what was stored before it verifies as stored, and damage to it is still found', async () => {
    const copy = copyCase(fieldDir, join(work.path, 'field-later'))
    const later = join(work.path, 'field-later.key')
    execFileSync('age-keygen', ['-o', later], {stdio: 'ignore'})
    const recipient = execFileSync('age-keygen', ['-y', later], {encoding: 'utf8'}).trim()
    const added = await custody(['key', 'add-recipient', recipient], {cwd: copy, env: caseEnv(copy)})
    expect(added.code).toBe(0)
    expect(added.stdout).toContain('its identity opens what the case stores from now on')
    expect(readdirSync(join(copy, '.custody', 'keys'))).not.toContain('case-identity.recipients.age')
    const ingest = await custody(['ingest', join(SAMPLES, 'Nikon.jpg')], {cwd: copy, env: caseEnv(copy)})
    expect(ingest.code, ingest.stderr).toBe(0)
    const checked = await custodyJson<VerifyJson>(['verify', '--json', '--identity', later], {cwd: copy, env: caseEnv(copy)})
    expect(checked.code, JSON.stringify(checked.json.problems)).toBe(0)
    const detail = checked.json.checks.find((c) => c.name === 'vault')?.detail
    expect(detail).toMatch(/^3\/3 exhibits intact \(original and metadata record re-hashed, but for 4 objects that none of the identities given opens, checked as stored/)

    const x = await show('EX-000001', copy, hq.file)
    chmodSync(x.vault.path, 0o600)
    const bytes = readFileSync(x.vault.path)
    bytes[bytes.length - 40]! ^= 1
    writeFileSync(x.vault.path, bytes)
    const damaged = await custodyJson<VerifyJson>(['verify', '--json', '--identity', later], {cwd: copy, env: caseEnv(copy)})
    expect(damaged.code).toBe(3)
    expect(damaged.json.problems.map((p) => p.subject)).toContain('EX-000001')
  })

  it('holds nothing the passphrase opens: the objects open with HQ\'s identity alone', async () => {
    const age = checker('age')
    if (age === undefined) return
    const x = await show('EX-000001', fieldDir, hq.file)
    expect(readdirSync(join(fieldDir, '.custody', 'keys'))).not.toContain('case-identity.age')
    const out = join(work.path, 'field-decrypted')
    execFileSync(age, ['-d', '-i', hq.file, '-o', out, x.vault.path])
    expect(sha256(readFileSync(out))).toBe(x.digests.sha256)
    // The only stanzas are X25519 ones, to HQ: no scrypt stanza, nothing a passphrase could open.
    const header = readFileSync(x.vault.path).subarray(0, 400).toString('latin1')
    expect(header.match(/^-> X25519 /gm)).toHaveLength(1)
    expect(header).not.toContain('-> scrypt')
  })
})
