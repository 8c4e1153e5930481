/**
 * Witness identities for HQ (issue 19, threat C): the witness identity key is kept encrypted to
 * every recipient of the case (.custody/keys/identities.recipients.age), so HQ opens a witness's
 * identity with its own age identity, a field case's too, and `key destroy` can destroy the
 * passphrase's copy without losing them. Real cases made by the built CLI, real age keys.
 */
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {copyCase, custody, custodyJson, PASSPHRASE, tempDir} from '../helpers/cli.js'

const NAME = 'Mariam Hakobyan'
const CONTACT = '+374 10 555 019'
const work = tempDir('custody-witness-key-')
const keys = (dir: string): string => join(dir, '.custody', 'keys')

function keygen(name: string): {file: string; recipient: string} {
  const file = join(work.path, `${name}.key`)
  execFileSync('age-keygen', ['-o', file], {stdio: 'ignore'})
  return {file, recipient: execFileSync('age-keygen', ['-y', file], {encoding: 'utf8'}).trim()}
}

async function makeCase(name: string, ...init: string[]): Promise<string> {
  const dir = join(work.path, name)
  const made = await custody(['init', dir, '--title', 'Witness keys', '--investigator', 'A. Investigator', ...init])
  expect(made.code, made.stderr).toBe(0)
  const statement = join(work.path, `${name}-statement.txt`)
  writeFileSync(statement, 'I saw the convoy pass the school at dawn.\n')
  const taken = await custody(
    ['testimony', 'add', '--witness', 'W-001', '--interviewed-at', '2024-03-05T10:00+02:00', '--place', 'a safe place', '--interviewer', 'A. Investigator'].concat(
      ['--language', 'en', '--consent', 'court', '--consent-method', 'signed-form', '--statement-file', statement, '--witness-name', NAME, '--witness-contact', CONTACT, '--case', dir],
    ),
  )
  expect(taken.code, taken.stderr).toBe(0)
  return dir
}

interface IdentityJson {
  identity: {name: string; contact: string}
  seq: number
}

function viewIdentity(dir: string, ...more: string[]): Promise<Awaited<ReturnType<typeof custodyJson<IdentityJson>>>> {
  return custodyJson<IdentityJson>(['testimony', 'identity', 'W-001', '--reason', 'protective measures', '--case', dir, ...more])
}

let hq = {file: '', recipient: ''}
let later = {file: '', recipient: ''}
let stranger = {file: '', recipient: ''}

beforeAll(() => {
  hq = keygen('hq')
  later = keygen('later')
  stranger = keygen('stranger')
})

afterAll(() => work.remove())

describe('the witness identity key, kept for the recipients', () => {
  it("opens a field case's witness identity with HQ's identity; the passphrase alone opens nothing of it", async () => {
    const dir = await makeCase('field', '--field', '--recipient', hq.recipient)
    expect(existsSync(join(keys(dir), 'identities.recipients.age'))).toBe(true)
    const refused = await viewIdentity(dir)
    expect(refused.code).toBe(2)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr).not.toContain(NAME)
    const opened = await viewIdentity(dir, '--identity', hq.file)
    expect(opened.code, opened.stderr).toBe(0)
    expect(opened.json.identity).toMatchObject({name: NAME, contact: CONTACT})
    // The look is recorded, in a sealed body that HQ's identity opens.
    const log = await custody(['log', '--case', dir, '--identity', hq.file])
    expect(log.stdout).toContain('identity-viewed')
    // Its copy for the recipients is an age file HQ opens with the standard tool, to a key of 48 bytes (PKCS#8 of X25519).
    expect(execFileSync('age', ['-d', '-i', hq.file, join(keys(dir), 'identities.recipients.age')])).toHaveLength(48)
    const wrong = await viewIdentity(dir, '--identity', stranger.file)
    expect(wrong.code).toBe(2)
    expect(wrong.stdout + wrong.stderr).not.toContain(NAME)
  })

  it('is kept for a recipient added later, who then opens the identity; key destroy destroys the passphrase copy and HQ still opens it', async () => {
    const dir = await makeCase('encrypted', '--recipient', hq.recipient)
    const added = await custody(['key', 'add-recipient', later.recipient, '--case', dir])
    expect(added.code, added.stderr).toBe(0)
    const byLater = await viewIdentity(dir, '--identity', later.file)
    expect(byLater.code, byLater.stderr).toBe(0)
    expect(byLater.json.identity.name).toBe(NAME)

    const copy = copyCase(dir, join(work.path, 'destroyed'))
    const destroyed = await custodyJson<{files: string[]}>(['key', 'destroy', '--yes', '--case', copy])
    expect(destroyed.code, destroyed.stderr).toBe(0)
    expect(destroyed.json.files).toContain('identities.json')
    expect(existsSync(join(keys(copy), 'identities.json'))).toBe(false)
    // What stays opens the witness key for HQ, with the age tool: the witness's identity is not lost.
    expect(execFileSync('age', ['-d', '-i', hq.file, join(keys(copy), 'identities.recipients.age')])).toHaveLength(48)
    expect(execFileSync('age', ['-d', '-i', later.file, join(keys(copy), 'identities.recipients.age')])).toHaveLength(48)
    // Which testimonies hold identities is in their sealed events: verify reads them with HQ's identity.
    const verified = await custodyJson<{checks: Array<{name: string; ok: boolean; detail: string}>}>(['verify', '--case', copy, '--identity', hq.file])
    expect(verified.code, JSON.stringify(verified.json)).toBe(0)
    expect(verified.json.checks.find((c) => c.name === 'testimonies')?.detail).toContain('the witness identity key was destroyed')
    const keyless = await custodyJson<{checks: Array<{name: string; ok: boolean; detail: string}>}>(['verify', '--case', copy])
    expect(keyless.code, JSON.stringify(keyless.json)).toBe(0)
    expect(keyless.json.checks.find((c) => c.name === 'testimonies')?.detail).toMatch(/not checked, which needs a key that opens the event bodies: .*the key each identity is encrypted to/)
    // HQ still opens the identity from the destroyed case's copy for the recipients: custody needs the
    // passphrase to record the look, which is gone, so it refuses; the key itself is not lost (above).
    const after = await viewIdentity(copy, '--identity', hq.file)
    expect(after.code).toBe(2)
    expect(after.stdout).toContain('KEYS_DESTROYED')
  })

  it('is kept for the recipients first by key destroy, in a case whose key was made before custody kept it', async () => {
    const dir = await makeCase('older', '--recipient', hq.recipient)
    const copy = copyCase(dir, join(work.path, 'older-copy'))
    // As a case made by an earlier custody: the witness key without its copy for the recipients.
    const kept = join(keys(copy), 'identities.recipients.age')
    execFileSync('rm', ['-f', kept])
    const refused = await viewIdentity(copy, '--identity', hq.file)
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain('custody key add-recipient')
    const destroyed = await custodyJson<{files: string[]}>(['key', 'destroy', '--yes', '--case', copy])
    expect(destroyed.code, destroyed.stderr).toBe(0)
    expect(destroyed.json.files).toContain('identities.json')
    expect(readFileSync(kept).subarray(0, 21).toString()).toBe('age-encryption.org/v1')
    expect(execFileSync('age', ['-d', '-i', hq.file, kept])).toHaveLength(48)
  })

  it("writes the recipients' copies again before it destroys the keys: a copy damaged or swapped on disk is not all that is left", async () => {
    const dir = await makeCase('damaged', '--recipient', hq.recipient)
    const copy = copyCase(dir, join(work.path, 'damaged-copy'))
    const witnessKey = JSON.parse(readFileSync(join(keys(copy), 'identities.json'), 'utf8')) as {fingerprint: string}
    // One byte flipped in the witness key's copy, and another case's copy of the case identity put in place.
    const kept = join(keys(copy), 'identities.recipients.age')
    const bytes = readFileSync(kept)
    bytes[bytes.length - 5]! ^= 1
    writeFileSync(kept, bytes)
    const other = await makeCase('damaged-other', '--recipient', hq.recipient)
    execFileSync('cp', [join(keys(other), 'case-identity.recipients.age'), join(keys(copy), 'case-identity.recipients.age')])
    const destroyed = await custody(['key', 'destroy', '--yes', '--case', copy])
    expect(destroyed.code, destroyed.stderr).toBe(0)
    // HQ's key opens the witness key, the very one the case had (its public half's fingerprint)...
    const pkcs8 = execFileSync('age', ['-d', '-i', hq.file, kept])
    const spki = execFileSync('openssl', ['pkey', '-inform', 'DER', '-pubout', '-outform', 'DER'], {input: pkcs8})
    expect(`SHA256:${createHash('sha256').update(spki).digest('hex')}`).toBe(witnessKey.fingerprint)
    // ...and the case identity, the one recipients.txt names first.
    const identity = execFileSync('age', ['-d', '-i', hq.file, join(keys(copy), 'case-identity.recipients.age')], {encoding: 'utf8'})
    const caseRecipient = readFileSync(join(copy, '.custody', 'recipients.txt'), 'utf8').split('\n')[2]
    expect(identity).toContain(`# public key: ${caseRecipient}\n`)
  })

  it('refuses a copy for the recipients that holds another key than the case names', async () => {
    const dir = await makeCase('swapped', '--recipient', hq.recipient)
    const copy = copyCase(dir, join(work.path, 'swapped-copy'))
    // An adversary with the disk puts a key of their own there, encrypted to HQ: refused, nothing shown.
    const other = await makeCase('other', '--recipient', hq.recipient)
    execFileSync('cp', [join(keys(other), 'identities.recipients.age'), join(keys(copy), 'identities.recipients.age')])
    const refused = await viewIdentity(copy, '--identity', hq.file)
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain('does not hold the witness identity key')
    expect(refused.stdout + refused.stderr).not.toContain(NAME)
    // The passphrase's copy is untouched and still opens it.
    const opened = await viewIdentity(copy, '--passphrase-file', writePassphrase())
    expect(opened.code, opened.stderr).toBe(0)
  })
})

function writePassphrase(): string {
  const file = join(work.path, 'passphrase.txt')
  writeFileSync(file, `${PASSPHRASE}\n`)
  return file
}
