/**
 * The field package (docs/design/transfers.md, "The field package: decided"): a field case
 * (`init --field`, encrypted to HQ's case recipient) sends its evidence with no key on the laptop
 * that opens it. The built CLI on real cases; the package checked as an outsider would (age,
 * unzip, sha256sum, openssl, bagit.py, and the Python of its README.txt), by `custody verify` with
 * and without HQ's identity, and against the forgeries of someone who holds a genuine package and
 * no key of the sender's: every one refused.
 */
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, caseEnv, custody, custodyJson, SAMPLES, tempDir} from '../helpers/cli.js'
import {forgerKey, pemOf} from '../helpers/forge-archive.js'
import {canonicalize} from '../../src/canonical/jcs.js'
import {parseRecipient} from '../../src/age/x25519.js'
import {sealRow, storedLeafHash} from '../../src/ledger/envelope.js'
import {newRunKey} from '../../src/ledger/run-keys.js'
import {CompactRange} from '../../src/merkle/compact-range.js'
import {fieldBagInfo, fieldPackageReadme} from '../../src/transfers/field-readme.js'
import {fieldTransferIdOf, type FieldTransferStatement} from '../../src/transfers/field-statement.js'
import type {CustodyEvent} from '../../src/formats/events.js'
import {schemaErrors} from '../helpers/json-schemas.js'
import {checker} from '../helpers/tools.js'
import {eventCount, ingestSamples, initCase, writeIdentityLine} from '../helpers/transfers.js'
import {ageWithPassphrase, forgePackage, listFiles, rewriteManifests} from '../helpers/field-forge.js'

const AGE = checker('age')
const BAGIT = checker('bagit.py')
const work = tempDir('custody-field-package-')
afterAll(() => work.remove())

const at = (name: string): string => join(work.path, name)
const [field, hq, other] = [at('field'), at('hq'), at('other')]
const pkg = at('to-hq.zip.age')
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex')
const leftovers = (name: string): string[] => readdirSync(work.path).filter((f) => f.startsWith(`.${name}.`) && (f.endsWith('.part') || f.endsWith('.part.central')))
let hqRecipient = ''
/** HQ's case identity, taken out of its case with the passphrase as `age -d` would (the test's outsider key). */
const hqKey = at('hq.key')
/** The genuine package, decrypted and unzipped: what a forger starts from. */
const pristine = at('pristine')
let bag = ''

interface ExportJson {
  kind: string
  transferId: string
  seq: number
  package: {file: string; sha256: string; size: number}
  treeHead: {size: number; root: string}
  items: Array<{exhibit: string; seq: number; objects: Array<{role: string; vault: string; sha256: string; size: number}>}>
  nothingNew?: boolean
}

interface VerifyJson {
  ok: boolean
  kind: string
  exhibits: number
  events: number
  checks: Array<{name: string; ok: boolean; detail: string}>
  problems: Array<{check: string; subject: string; message: string}>
  transfer: {transferId: string; from: {name: string}; items: number} | null
}

/** A forged package: the pristine bag copied, changed, its manifests rewritten, zipped and encrypted to HQ again. */
function forged(name: string, change: (bagDir: string) => void): string {
  return forgePackage({age: AGE!, pristine, bag, recipient: hqRecipient}, at(`forged-${name}`), change)
}

/** `custody verify` of a forged package with HQ's identity: exit 3, and a problem matching. */
async function refused(file: string, problem: RegExp): Promise<void> {
  const result = await custodyJson<VerifyJson>(['verify', file, '--identity', hqKey])
  expect(result.code, result.stdout).toBe(3)
  expect(result.json.ok).toBe(false)
  expect(result.json.problems.map((p) => `${p.subject}: ${p.message}`).join('\n')).toMatch(problem)
}

/** The rows of the bag's ledger-rows.jsonl, each edited by `edit` (which returns the new lines). */
function editRows(bagDir: string, edit: (rows: string[]) => string[]): void {
  const file = join(bagDir, 'data', 'custody', 'ledger-rows.jsonl')
  const rows = readFileSync(file, 'utf8').trimEnd().split('\n')
  writeFileSync(file, `${edit(rows).join('\n')}\n`)
}

beforeAll(async () => {
  if (AGE === undefined) return
  await initCase(hq, 'Crimea (HQ)', 'Olena Kovalenko', '--organisation', 'IPHR', '--role', 'hq')
  const line = readFileSync(await writeIdentityLine(hq, at('hq.line')), 'utf8').trim()
  hqRecipient = (JSON.parse(Buffer.from(line.split(' ')[1]!, 'base64url').toString('utf8')) as {age: string}).age
  ageWithPassphrase(AGE!, join(hq, '.custody', 'keys', 'case-identity.age'), hqKey)
  await initCase(field, 'Crimea (field)', 'Mykola', '--field', '--recipient', hqRecipient)
  await ingestSamples(field, 'Canon.jpg', 'Casio.jpg')
  await initCase(other, 'Another HQ', 'Petro', '--role', 'hq')
  await writeIdentityLine(other, at('other.line'))
}, 120_000)

describe.skipIf(AGE === undefined)('a field package', () => {
  it('is made with no identity: the objects and rows as stored, nothing opened; the release recorded', async () => {
    const before = await eventCount(field)
    const made = await custodyJson<ExportJson>(['transfer', 'export', '--to', at('hq.line'), '--out', pkg, '--purpose', 'weekly hand-over', '--case', field])
    expect(made.code, made.stderr).toBe(0)
    expect(made.json.kind).toBe('field')
    expect(schemaErrors('transfer-export.schema.json', made.json)).toEqual([])
    expect(made.json.items.map((i) => i.exhibit)).toEqual(['EX-000001', 'EX-000002'])
    expect(made.json.treeHead.size).toBe(before)
    expect(await eventCount(field)).toBe(before + 1)
    expect(made.json.package.sha256).toBe(sha256(readFileSync(pkg)))
    expect(readFileSync(pkg).subarray(0, 21).toString()).toBe('age-encryption.org/v1')
    // Each object went byte for byte as the vault stores it.
    for (const item of made.json.items) for (const o of item.objects) expect(sha256(readFileSync(join(field, '.custody', o.vault)))).toBe(o.sha256)
    const log = await custody(['log', '--identity', hqKey, '--case', field])
    expect(log.stdout, log.stderr).toMatch(/TRANSFER-[0-9a-f]{16}: 2 exhibits released to Olena Kovalenko .* as stored \(a field package, \d+ events\)/)
    const status = await custodyJson<{transfers?: unknown}>(['status', '--case', field])
    expect(JSON.stringify(status.json)).toContain(made.json.transferId)
  })

  it('opens with HQ\'s key alone and checks with standard tools: sha256sum, openssl, bagit.py, the README\'s Python; each original as ingested', () => {
    execFileSync(AGE!, ['-d', '-i', hqKey, '-o', at('pkg.zip'), pkg])
    mkdirSync(pristine)
    execFileSync('unzip', ['-q', at('pkg.zip'), '-d', pristine])
    bag = readdirSync(pristine)[0]!
    expect(bag).toMatch(/^custody-field-TRANSFER-[0-9a-f]{16}$/)
    const dir = join(pristine, bag)
    expect(execFileSync('sha256sum', ['-c', 'manifest-sha256.txt'], {cwd: dir, encoding: 'utf8'})).not.toMatch(/FAILED/)
    expect(execFileSync('sha256sum', ['-c', 'tagmanifest-sha256.txt'], {cwd: dir, encoding: 'utf8'})).not.toMatch(/FAILED/)
    for (const file of ['transfer', 'checkpoint']) {
      const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', 'data/custody/sender.pem', '-rawin', '-in', `data/custody/${file}.json`, '-sigfile', `data/custody/${file}.json.sig`], {cwd: dir, encoding: 'utf8'})
      expect(out).toContain('Signature Verified Successfully')
    }

    const readme = readFileSync(join(dir, 'README.txt'), 'utf8')
    const python = /^python3 - <<'EOF'\n[\s\S]*?\nEOF$/m.exec(readme)![0]
    expect(execFileSync('sh', ['-c', python], {cwd: dir, encoding: 'utf8'})).toMatch(/^\d+ rows: OK$/m)
    if (BAGIT !== undefined) expect(spawnSync('python3', [BAGIT, '--validate', dir], {encoding: 'utf8'}).status).toBe(0)
    // HQ's key opens each original, which is the file ingested.
    const statement = JSON.parse(readFileSync(join(dir, 'data', 'custody', 'transfer.json'), 'utf8')) as {items: Array<{objects: Array<{role: string; vault: string}>}>}
    const originals = statement.items.map((i) => execFileSync(AGE!, ['-d', '-i', hqKey, join(dir, i.objects[0]!.vault.replace(/^vault\//, 'data/'))]))
    expect(originals.map((o) => sha256(o))).toEqual(['Canon.jpg', 'Casio.jpg'].map((n) => sha256(readFileSync(join(SAMPLES, n)))))
    // The sender's key is the one `key show` prints for the field case.
    const der = execFileSync('openssl', ['pkey', '-pubin', '-in', 'data/custody/sender.pem', '-outform', 'DER'], {cwd: dir})
    expect(readme).toContain('sha256sum')
    expect(readFileSync(join(dir, 'data', 'custody', 'transfer.json'), 'utf8')).toContain(der.toString('base64'))
  })

  it('verifies with custody: with HQ\'s identity every body and object is opened; unzipped, with no key, what is in clear', async () => {
    const whole = await custodyJson<VerifyJson>(['verify', pkg, '--identity', hqKey])
    expect(whole.code, whole.stdout).toBe(0)
    expect(whole.json.kind).toBe('field-package')
    expect(schemaErrors('verify.schema.json', whole.json)).toEqual([])
    expect(whole.json.checks.map((c) => c.name)).toEqual(['zip', 'bagit', 'manifests', 'transfer', 'ledger', 'objects'])
    expect(whole.json.checks.find((c) => c.name === 'ledger')?.detail).toMatch(/every body opened and held to its envelope/)
    expect(whole.json.checks.find((c) => c.name === 'objects')?.detail).toMatch(/^4 object\(s\) decrypted/)
    expect(whole.json.transfer).toMatchObject({from: {name: 'Mykola'}, items: 2})
    const text = await custody(['verify', pkg, '--identity', hqKey])
    expect(text.stdout).toMatch(/Field package intact: TRANSFER-[0-9a-f]{16}, 2 exhibits as stored and \d+ events of the sender's ledger, signed by Mykola .*the evidence decrypted and held to the ledger/)
    const keyless = await custodyJson<VerifyJson>(['verify', at('pkg.zip')])
    expect(keyless.code, keyless.stdout).toBe(0)
    expect(keyless.json.checks.find((c) => c.name === 'ledger')?.detail).toMatch(/0 bodies opened .* not \(no identity given\)/)
    const folder = await custodyJson<VerifyJson>(['verify', join(pristine, bag), '--identity', hqKey])
    expect(folder.code, folder.stdout).toBe(0)
    // Encrypted again by someone else for another key: it verifies, with a warning that the identity is not the receiver's.
    const otherKey = at('other-reader.key')
    execFileSync(`${AGE!}-keygen`, ['-o', otherKey], {stdio: 'ignore'})
    const otherRecipient = execFileSync(`${AGE!}-keygen`, ['-y', otherKey], {encoding: 'utf8'}).trim()
    execFileSync(AGE!, ['-r', otherRecipient, '-o', at('re-encrypted.zip.age'), at('pkg.zip')])
    const re = await custodyJson<VerifyJson & {warnings: string[]}>(['verify', at('re-encrypted.zip.age'), '--identity', otherKey])
    expect(re.json.warnings.join('\n')).toMatch(/none of the identities given is that receiver's: it was encrypted again for you by someone else/)
    // Without the identity the age file is not opened at all; a key not the sender's is refused.
    expect((await custody(['verify', pkg])).code).toBe(2)
    const other = await custody(['verify', pkg, '--identity', hqKey, '--key', `SHA256:${'0'.repeat(64)}`])
    expect(other.code).toBe(3)
    expect(other.stdout).toMatch(/neither a key you gave with --key nor one the sender's key events rotate from it/)
  })

  it('with nothing new, says so and records nothing; after an ingest, carries only the new exhibit', async () => {
    const before = await eventCount(field)
    const again = await custodyJson<ExportJson>(['transfer', 'export', '--to', at('hq.line'), '--out', at('again.zip.age'), '--case', field])
    expect(again.code, again.stderr).toBe(0)
    expect(again.json.nothingNew).toBe(true)
    expect(schemaErrors('transfer-export.schema.json', again.json)).toEqual([])
    expect(existsSync(at('again.zip.age'))).toBe(false)
    expect(await eventCount(field)).toBe(before)
    await ingestSamples(field, 'Nikon.jpg')
    const next = await custodyJson<ExportJson>(['transfer', 'export', '--to', at('hq.line'), '--out', at('next.zip.age'), '--case', field])
    expect(next.code, next.stderr).toBe(0)
    expect(next.json.items.map((i) => i.exhibit)).toEqual(['EX-000003'])
    expect((await custody(['verify', at('next.zip.age'), '--identity', hqKey])).code).toBe(0)
    const named = await custodyJson<ExportJson>(['transfer', 'export', 'EX-000001', '--to', at('hq.line'), '--out', at('named.zip.age'), '--case', field])
    expect(named.json.items.map((i) => i.exhibit)).toEqual(['EX-000001'])
  })

  it('is refused, with nothing recorded, to a custodian that is none of the case\'s recipients, to the case itself, and for an exhibit it does not have', async () => {
    const before = await eventCount(field)
    const stranger = await custody(['transfer', 'export', '--to', at('other.line'), '--out', at('stranger.zip.age'), '--again', '--case', field])
    expect(stranger.code).toBe(2)
    expect(stranger.stderr).toMatch(/is not one of this case's recipients.*custody key add-recipient/)
    await writeIdentityLine(field, at('field.line'))
    expect((await custody(['transfer', 'export', '--to', at('field.line'), '--out', at('self.zip.age'), '--case', field])).code).toBe(2)
    const missing = await custody(['transfer', 'export', 'EX-000042', '--to', at('hq.line'), '--out', at('missing.zip.age'), '--case', field])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toMatch(/EX-000042/)
    expect(await eventCount(field)).toBe(before)
    for (const name of ['stranger', 'self', 'missing']) expect(existsSync(at(`${name}.zip.age`))).toBe(false)
  })

  it('is accepted by HQ, which it names the receiver (tests/e2e/field-accept.test.ts takes it further)', async () => {
    const before = await eventCount(hq)
    const accepted = await custodyJson<{kind: string; sealId: null; items: Array<{receivedAs: string}>}>(['transfer', 'accept', pkg, '--from', at('field.line'), '--case', hq])
    expect(accepted.code, accepted.stderr).toBe(0)
    expect(accepted.json).toMatchObject({kind: 'field-package', sealId: null})
    expect(accepted.json.items.map((i) => i.receivedAs)).toEqual(['HQ-000001', 'HQ-000002'])
    expect(await eventCount(hq)).toBe(before + 3)
  })
})

describe.skipIf(AGE === undefined)('a field package, further', () => {
  it('is refused, before anything is written, at an --out that is a symbolic link leading nowhere', async () => {
    const before = await eventCount(field)
    symlinkSync('nowhere.zip.age', at('dangling.zip.age'))
    const result = await custody(['transfer', 'export', '--to', at('hq.line'), '--out', at('dangling.zip.age'), '--again', '--case', field])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/dangling.zip.age already exists/)
    expect(await eventCount(field)).toBe(before)
    expect(leftovers('dangling.zip.age')).toEqual([])
    rmSync(at('dangling.zip.age'))
  })

  it('is refused, with nothing recorded or written, when a vault object is not as its event records it: a byte changed, cut short, missing', async () => {
    const copy = at('field-changed-vault')
    cpSync(field, copy, {recursive: true})
    const objects = listFiles(join(copy, '.custody', 'vault', 'objects')).map((f) => join(copy, '.custody', 'vault', 'objects', f))
    const original = objects.sort((a, b) => statSync(b).size - statSync(a).size)[0]!
    const genuine = readFileSync(original)
    const changed = Buffer.from(genuine)
    changed[changed.length >> 1] = changed[changed.length >> 1]! ^ 1
    const cases: Array<[string, () => void, RegExp]> = [
      ['changed', () => writeFileSync(original, changed), /is not the file its event records \(its SHA-256 differs\)/],
      ['cut', () => writeFileSync(original, genuine.subarray(0, genuine.length - 100)), new RegExp(`cannot be read as its event records it \\(it holds ${genuine.length - 100} bytes, not the ${genuine.length} expected\\)`)],
      ['missing', () => rmSync(original), /is missing from the vault/],
    ]
    const before = await eventCount(copy)
    for (const [name, change, message] of cases) {
      change()
      const out = at(`changed-${name}.zip.age`)
      const result = await custody(['transfer', 'export', '--to', at('hq.line'), '--out', out, '--again', '--case', copy])
      expect(result.code, `${name}: ${result.stderr}`).toBe(3)
      expect(result.stderr).toContain(`the vault object ${original} `)
      expect(result.stderr).toMatch(message)
      expect(result.stderr).toMatch(/nothing was sent/)
      expect(existsSync(out)).toBe(false)
      expect(leftovers(`changed-${name}.zip.age`)).toEqual([])
      expect(await eventCount(copy)).toBe(before)
      writeFileSync(original, genuine)
    }

    // The copy records nothing (it shares the case's ID, and so its known head): gone before the next test.
    rmSync(copy, {recursive: true})
  })

  it("README.txt's Python finds a body swapped between two rows (each row's body against its envelope)", () => {
    const dir = at('hand-swap')
    cpSync(pristine, dir, {recursive: true})
    editRows(join(dir, bag), (rows) => {
      const [a, b] = [JSON.parse(rows[1]!) as {body: string}, JSON.parse(rows[2]!) as {body: string}]
      return rows.map((row, i) => (i === 1 ? row.replace(a.body, b.body) : i === 2 ? row.replace(b.body, a.body) : row))
    })
    const python = /^python3 - <<'EOF'\n[\s\S]*?\nEOF$/m.exec(readFileSync(join(dir, bag, 'README.txt'), 'utf8'))![0]
    expect(execFileSync('sh', ['-c', python], {cwd: join(dir, bag), encoding: 'utf8'})).toMatch(/^\d+ rows: FAILED$/m)
    expect(execFileSync('sh', ['-c', python], {cwd: join(pristine, bag), encoding: 'utf8'})).toMatch(/^\d+ rows: OK$/m)
  })

  it("after the sender rotates its key, a package verifies (the old key's checkpoint vouches for the rotation), also with --key naming the old key", async () => {
    const statement = JSON.parse(readFileSync(join(pristine, bag, 'data', 'custody', 'transfer.json'), 'utf8')) as {from: {signingKey: string}}
    const oldKey = `SHA256:${sha256(Buffer.from(statement.from.signingKey, 'base64'))}`
    const rotated = await custody(['key', 'rotate', '--reason', 'laptop replaced', '--case', field])
    expect(rotated.code, rotated.stderr).toBe(0)
    await ingestSamples(field, 'Sony.jpg')
    const made = await custodyJson<ExportJson>(['transfer', 'export', '--to', at('hq.line'), '--out', at('rotated.zip.age'), '--case', field])
    expect(made.code, made.stderr).toBe(0)
    const verified = await custodyJson<VerifyJson & {trust: {signingKey: string; signerPinned: boolean}}>(['verify', at('rotated.zip.age'), '--identity', hqKey, '--key', oldKey])
    expect(verified.code, verified.stdout).toBe(0)
    expect(verified.json.trust.signingKey).not.toBe(oldKey)
    expect(verified.json.trust.signerPinned).toBe(true)
    // By hand: README.txt's Python finds the old key's checkpoint over the rotation, and openssl checks it.
    const dir = at('rotated')
    mkdirSync(dir)
    execFileSync(AGE!, ['-d', '-i', hqKey, '-o', join(dir, 'p.zip'), at('rotated.zip.age')])
    execFileSync('unzip', ['-q', join(dir, 'p.zip'), '-d', dir])
    const bagDir = join(dir, readdirSync(dir).find((f) => f.startsWith('custody-field-'))!)
    const python = /^python3 - <<'EOF'\n[\s\S]*?\nEOF$/m.exec(readFileSync(join(bagDir, 'README.txt'), 'utf8'))![0]
    const printed = execFileSync('sh', ['-c', python], {cwd: bagDir, encoding: 'utf8'})
    const n = /key rotated at event (\d+) from SHA256:[0-9a-f]{64}: check rotation-\d+.json/.exec(printed)![1]!
    expect(printed).toMatch(/^\d+ rows: OK$/m)
    const checked = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-keyform', 'DER', '-inkey', `rotation-${n}.der`, '-rawin', '-in', `rotation-${n}.json`, '-sigfile', `rotation-${n}.sig`], {cwd: bagDir, encoding: 'utf8'})
    expect(checked).toContain('Signature Verified Successfully')
  })
})

describe.skipIf(AGE === undefined)('a forged field package is refused by verify', () => {
  it('one byte of an object changed, the manifests made to match', async () => {
    await refused(
      forged('object-byte', (dir) => {
        const objects = listFiles(join(dir, 'data', 'objects'))
        const file = join(dir, 'data', 'objects', objects[0]!)
        const bytes = readFileSync(file)
        bytes.writeUInt8(bytes.readUInt8(bytes.length - 20) ^ 1, bytes.length - 20)
        writeFileSync(file, bytes)
      }),
      /EX-00000\d: its (original|record) .* is not the file transfer.json states/,
    )
  })

  it("two exhibits' originals swapped", async () => {
    await refused(
      forged('swapped', (dir) => {
        const t = JSON.parse(readFileSync(join(dir, 'data', 'custody', 'transfer.json'), 'utf8')) as {items: Array<{objects: Array<{vault: string}>}>}
        const [a, b] = t.items.map((i) => join(dir, i.objects[0]!.vault.replace(/^vault\//, 'data/')))
        const [x, y] = [readFileSync(a!), readFileSync(b!)]
        writeFileSync(a!, y)
        writeFileSync(b!, x)
      }),
      /EX-000001: its original .* is not the file transfer.json states/,
    )
  })

  it('the statement edited (a purpose changed), its signature left', async () => {
    await refused(
      forged('statement', (dir) => {
        const file = join(dir, 'data', 'custody', 'transfer.json')
        writeFileSync(file, readFileSync(file, 'utf8').replace('weekly hand-over', 'weekly hand-ovex'))
      }),
      /transfer.json.sig: does not verify with the sender's key/,
    )
  })

  it("everything re-signed with the forger's own key (statement, checkpoint, sender.pem): the ledger's key events do not end with it", async () => {
    const key = forgerKey()
    await refused(
      forged('resigned', (dir) => {
        const custodyDir = join(dir, 'data', 'custody')
        const statement = JSON.parse(readFileSync(join(custodyDir, 'transfer.json'), 'utf8')) as {from: {signingKey: string}}
        statement.from.signingKey = key.spki.toString('base64')
        const checkpoint = JSON.parse(readFileSync(join(custodyDir, 'checkpoint.json'), 'utf8')) as {keyFingerprint: string}
        checkpoint.keyFingerprint = `SHA256:${sha256(key.spki)}`
        const canonical = (value: unknown): Buffer => Buffer.from(JSON.stringify(sortKeys(value)), 'utf8')
        writeFileSync(join(custodyDir, 'transfer.json'), canonical(statement))
        writeFileSync(join(custodyDir, 'transfer.json.sig'), key.sign(canonical(statement)))
        writeFileSync(join(custodyDir, 'checkpoint.json'), canonical(checkpoint))
        writeFileSync(join(custodyDir, 'checkpoint.json.sig'), key.sign(canonical(checkpoint)))
        writeFileSync(join(custodyDir, 'sender.pem'), pemOf(key.spki))
      }),
      /checkpoint.json: its key is not the one the sender's key events end with/,
    )
  })

  it("a row's envelope edited (its time), the rows' file and manifests made to match", async () => {
    await refused(
      forged('envelope', (dir) =>
        editRows(dir, (rows) =>
          rows.map((row, i) => {
            if (i !== 3) return row
            const parsed = JSON.parse(row) as {envelope: string}
            parsed.envelope = parsed.envelope.replace(/"time":"\d{4}/, '"time":"1999')
            return JSON.stringify(sortKeys(parsed))
          }),
        ),
      ),
      /event 3: (its hash is not SHA-256 of the previous hash and its envelope|it has a body)/,
    )
  })

  it('the last row cut off, and a row of another package put in', async () => {
    await refused(
      forged('cut', (dir) => editRows(dir, (rows) => rows.slice(0, -1))),
      /its rows are not the tree the checkpoint signs/,
    )
    await refused(
      forged('moved', (dir) => editRows(dir, (rows) => [rows[0]!, rows[2]!, rows[1]!, ...rows.slice(3)])),
      /holds event 2 where event 1 should be/,
    )
  })

  it("two rows' bodies swapped", async () => {
    await refused(
      forged('bodies', (dir) =>
        editRows(dir, (rows) => {
          const [a, b] = [JSON.parse(rows[1]!) as {body: string}, JSON.parse(rows[2]!) as {body: string}]
          return rows.map((row, i) => (i === 1 ? row.replace(a.body, b.body) : i === 2 ? row.replace(b.body, a.body) : row))
        }),
      ),
      /event 1: it has a body that is not the one its envelope records/,
    )
  })

  it('a file added to the bag, listed in the manifests', async () => {
    await refused(
      forged('added', (dir) => writeFileSync(join(dir, 'data', 'custody', 'note.txt'), 'trust this\n')),
      /data\/custody\/note.txt: is in the bag, but no part of a field package/,
    )
  })

  it("README.txt's instructions rewritten, or bag-info.txt, the manifests made to match", async () => {
    await refused(
      forged('readme', (dir) => writeFileSync(join(dir, 'README.txt'), 'Checked by HQ already: nothing to do.\n')),
      /README.txt: is not the one transfer.json states/,
    )
    await refused(
      forged('bag-info', (dir) => writeFileSync(join(dir, 'bag-info.txt'), `${readFileSync(join(dir, 'bag-info.txt'), 'utf8')}Custody-Note: HQ verified this\n`)),
      /bag-info.txt: says other than transfer.json and the payload/,
    )
  })

  it("a run's key replaced by one wrapped to another recipient: the rows after the receiver was added no longer open, and that is refused", async () => {
    const stranger = execFileSync('sh', ['-c', `${AGE!}-keygen 2>/dev/null | grep -o 'age1[a-z0-9]*'`], {encoding: 'utf8'}).trim()
    await refused(
      forged('run-key', (dir) => {
        const file = join(dir, 'data', 'custody', 'ledger-runs.jsonl')
        const runs = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as {id: number; wrapped: string})
        const last = runs.at(-1)!
        last.wrapped = newRunKey([parseRecipient(stranger, 'stranger')]).wrapped.toString('base64')
        writeFileSync(file, runs.map((r) => `${canonicalize(r)}\n`).join(''))
      }),
      /its key does not open with the identities given: the run's key in data\/custody\/ledger-runs.jsonl was replaced|does not open with the identities given: its run's key is wrapped to other recipients/,
    )
  })

  it("the first run's key (the case's making, when the receiver was named) replaced, or a run no row names added", async () => {
    const stranger = execFileSync('sh', ['-c', `${AGE!}-keygen 2>/dev/null | grep -o 'age1[a-z0-9]*'`], {encoding: 'utf8'}).trim()
    const runsOf = (dir: string): {file: string; runs: Array<{id: number; wrapped: string}>} => {
      const file = join(dir, 'data', 'custody', 'ledger-runs.jsonl')
      return {file, runs: readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as {id: number; wrapped: string})}
    }

    await refused(
      forged('run-zero', (dir) => {
        const {file, runs} = runsOf(dir)
        runs[0]!.wrapped = newRunKey([parseRecipient(stranger, 'stranger')]).wrapped.toString('base64')
        writeFileSync(file, runs.map((r) => `${canonicalize(r)}\n`).join(''))
      }),
      /run 0: it is wrapped to the receiver \(a recipient since event \d+\), yet its key does not open with the identities given/,
    )
    await refused(
      forged('run-extra', (dir) => {
        const {file, runs} = runsOf(dir)
        runs.push({id: runs.length, wrapped: newRunKey([parseRecipient(hqRecipient, 'HQ')]).wrapped.toString('base64')})
        writeFileSync(file, runs.map((r) => `${canonicalize(r)}\n`).join(''))
      }),
      /run \d+: it is in data\/custody\/ledger-runs.jsonl, but no row names it/,
    )
  })

  it('ledger-runs.jsonl holding more runs than the ledger has rows: refused, not read to its end', async () => {
    await refused(
      forged('runs-flood', (dir) => {
        const file = join(dir, 'data', 'custody', 'ledger-runs.jsonl')
        const {wrapped} = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as {wrapped: string}
        writeFileSync(file, Array.from({length: 5000}, (_, id) => `${canonicalize({id, wrapped})}\n`).join(''))
      }),
      /ledger-runs.jsonl: cannot be read: more than \d+ lines, more runs than a ledger of \d+ events names/,
    )
  })

  it('a line of ledger-runs.jsonl longer than any genuine one: refused (exit 3), not a crash', async () => {
    await refused(
      forged('long-run', (dir) => writeFileSync(join(dir, 'data', 'custody', 'ledger-runs.jsonl'), `${randomBytes(150 * 1024).toString('base64')}\n`)),
      /ledger-runs.jsonl: cannot be read: .*longer than/,
    )
  })

  it('ledger-checkpoints.jsonl flooded with copies of a genuine line: refused after twice the tree size in lines, not read to its end', async () => {
    await refused(
      forged('checkpoints-flood', (dir) => {
        const file = join(dir, 'data', 'custody', 'ledger-checkpoints.jsonl')
        const lines = readFileSync(file, 'utf8')
        writeFileSync(file, lines.split('\n')[0]!.concat('\n').repeat(5000) + lines)
      }),
      /ledger-checkpoints.jsonl: cannot be read: more than \d+ lines, more checkpoints than a ledger of \d+ events signs/,
    )
  })

  it("a key rotation to the forger's key appended (sealed for HQ, so that it opens) and everything re-signed by that key: no checkpoint of the sender's key signs the rotation", async () => {
    const key = forgerKey()
    await refused(
      forged('rotation', (dir) => forgeRotation(dir, key)),
      /event \d+: it rotates the sender's key to SHA256:[0-9a-f]{64}, and no checkpoint of the key it replaces/,
    )
    // The hand checks find it too: README.txt's Python finds no checkpoint of the old key over the rotation.
    const dir = join(at('forged-rotation'), bag)
    const python = /^python3 - <<'EOF'\n[\s\S]*?\nEOF$/m.exec(readFileSync(join(dir, 'README.txt'), 'utf8'))![0]
    expect(execFileSync('sh', ['-c', python], {cwd: dir, encoding: 'utf8'})).toMatch(/key rotated at event \d+ from SHA256:[0-9a-f]{64}: NO CHECKPOINT OF THE OLD KEY: FAILED/)
  })

  it('the age file cut short, or one byte of it changed: refused before any check', async () => {
    const bytes = readFileSync(pkg)
    writeFileSync(at('cut.zip.age'), bytes.subarray(0, bytes.length - 100))
    const cut = await custody(['verify', at('cut.zip.age'), '--identity', hqKey])
    expect(cut.code).toBe(3)
    const flipped = Buffer.from(bytes)
    flipped.writeUInt8(flipped.readUInt8(Math.floor(bytes.length / 2)) ^ 1, Math.floor(bytes.length / 2))
    writeFileSync(at('flipped.zip.age'), flipped)
    const changed = await custody(['verify', at('flipped.zip.age'), '--identity', hqKey])
    expect(changed.code).toBe(3)
    rmSync(at('cut.zip.age'))
  })
})

/** `custody transfer export` run under strace, which sends SIGKILL to it as it enters the first of the system calls `syscall`. */
async function exportKilledAt(syscall: string, out: string): Promise<{signal: NodeJS.Signals | null; code: number | null}> {
  const args = ['-f', '-qq', '-o', '/dev/null', '--seccomp-bpf', '-e', `trace=${syscall}`, '-e', `inject=${syscall}:signal=SIGKILL`]
  const strace = spawn('strace', [...args, process.execPath, BIN, 'transfer', 'export', '--to', at('hq.line'), '--out', out, '--again', '--case', field], {stdio: 'ignore', env: caseEnv(field)})
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => strace.on('close', (c, sig) => resolve([c, sig])))
  return {code, signal}
}

describe.skipIf(AGE === undefined || spawnSync('sh', ['-c', 'command -v strace']).status !== 0)('a field export killed (SIGKILL)', () => {
  it('after it recorded the release, before the package was put in place: the next export to the same place finishes it', async () => {
    const out = at('killed.zip.age')
    const before = await eventCount(field)
    const run = await exportKilledAt('link,linkat', out)
    expect(run.code, 'strace reports the kill of the process it traced').not.toBe(0)
    expect(existsSync(out)).toBe(false)
    expect(await eventCount(field)).toBe(before + 1)
    expect(leftovers('killed.zip.age')).toHaveLength(1)
    expect((await custody(['verify', '--case', field])).code).toBe(0)
    const finished = await custodyJson<{finished: boolean; transferId: string; package: {sha256: string}}>(['transfer', 'export', '--to', at('hq.line'), '--out', out, '--case', field])
    expect(finished.code, finished.stderr).toBe(0)
    expect(finished.json.finished).toBe(true)
    expect(schemaErrors('transfer-export.schema.json', finished.json)).toEqual([])
    expect(sha256(readFileSync(out))).toBe(finished.json.package.sha256)
    expect(leftovers('killed.zip.age')).toEqual([])
    expect(await eventCount(field)).toBe(before + 1)
    const verified = await custodyJson<VerifyJson>(['verify', out, '--identity', hqKey])
    expect(verified.code, verified.stdout).toBe(0)
    expect(verified.json.transfer?.transferId).toBe(finished.json.transferId)
  })

  it('before it recorded anything: no package, nothing recorded, and the next export removes what it left', async () => {
    const out = at('early.zip.age')
    const before = await eventCount(field)
    await exportKilledAt('fsync,fdatasync', out)
    expect(existsSync(out)).toBe(false)
    // Killed as the package's own fsync began: its temp file is there, unrecorded, with the ZIP writer's scratch file.
    expect(leftovers('early.zip.age').filter((f) => f.endsWith('.part'))).toHaveLength(1)
    expect(await eventCount(field)).toBe(before)
    expect((await custody(['verify', '--case', field])).code).toBe(0)
    const again = await custody(['transfer', 'export', '--to', at('hq.line'), '--out', out, '--again', '--case', field])
    expect(again.code, again.stderr).toBe(0)
    expect(leftovers('early.zip.age')).toEqual([])
    expect(await eventCount(field)).toBe(before + 1)
    expect((await custody(['verify', out, '--identity', hqKey])).code).toBe(0)
  })
})

/**
 * The forgery of a key rotation (the attack a helper found): rows appended to a genuine package's
 * ledger, a key-rotated event to the forger's key and a copy of an ingest, each sealed under a new
 * run key wrapped to HQ (so that HQ's identity opens them), a checkpoint over them signed by the
 * forger's key, and transfer.json, README.txt, bag-info.txt and sender.pem made again to match.
 * Everything but a checkpoint of the sender's own key over the rotation.
 */
function forgeRotation(dir: string, key: ReturnType<typeof forgerKey>): void {
  const custodyDir = join(dir, 'data', 'custody')
  const rowsFile = join(custodyDir, 'ledger-rows.jsonl')
  const rows = readFileSync(rowsFile, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as {seq: number; prev: string; hash: string; envelope: string; body: string; run: number})
  const runsFile = join(custodyDir, 'ledger-runs.jsonl')
  const runs = readFileSync(runsFile, 'utf8').trimEnd().split('\n')
  const run = runs.length
  const runKey = newRunKey([parseRecipient(hqRecipient, 'HQ')])
  writeFileSync(runsFile, `${runs.join('\n')}\n${canonicalize({id: run, wrapped: runKey.wrapped.toString('base64')})}\n`)
  const statement = JSON.parse(readFileSync(join(custodyDir, 'transfer.json'), 'utf8')) as FieldTransferStatement
  const old = JSON.parse(readFileSync(join(custodyDir, 'checkpoint.json'), 'utf8')) as {keyFingerprint: string; case: string}
  const fingerprint = `SHA256:${sha256(key.spki)}`
  const event = {
    v: 1,
    seq: rows.length,
    time: new Date().toISOString(),
    actor: 'Mykola',
    action: 'key-rotated',
    exhibit: null,
    payload: {algorithm: 'Ed25519', fingerprint, publicKey: key.spki.toString('base64'), holder: 'Mykola', replaces: old.keyFingerprint, reason: 'laptop replaced'},
    prev: rows.at(-1)!.hash,
  } as unknown as CustodyEvent
  const sealed = sealRow(event, run, {}, runKey.key).row
  rows.push({seq: sealed.seq, prev: sealed.prev_hash, hash: sealed.hash, envelope: sealed.envelope, body: sealed.body.toString('base64'), run})
  writeFileSync(rowsFile, rows.map((r) => `${canonicalize(r)}\n`).join(''))
  const range = new CompactRange()
  for (const r of rows) range.push(storedLeafHash(r.envelope))
  const root = Buffer.from(range.root()).toString('hex')
  const checkpoint = canonicalize({type: 'custody-checkpoint/v1', case: old.case, treeSize: rows.length, rootHash: root, lastEventHash: rows.at(-1)!.hash, time: new Date().toISOString(), keyFingerprint: fingerprint})
  writeFileSync(join(custodyDir, 'checkpoint.json'), checkpoint)
  writeFileSync(join(custodyDir, 'checkpoint.json.sig'), key.sign(Buffer.from(checkpoint)))
  const checkpoints = join(custodyDir, 'ledger-checkpoints.jsonl')
  writeFileSync(checkpoints, `${readFileSync(checkpoints, 'utf8')}${canonicalize({body: checkpoint, signature: key.sign(Buffer.from(checkpoint)).toString('hex')})}\n`)
  writeFileSync(join(custodyDir, 'sender.pem'), pemOf(key.spki))
  const from = {...statement.from, signingKey: key.spki.toString('base64')}
  const tree = {size: rows.length, root}
  const {readme: _readme, ...rest} = {...statement, from, tree, transferId: fieldTransferIdOf(from, tree, statement.to, statement.releasedAt)}
  const readme = fieldPackageReadme(rest)
  const forged: FieldTransferStatement = {...rest, readme: sha256(readme)}
  const bytes = Buffer.from(canonicalize(forged))
  writeFileSync(join(custodyDir, 'transfer.json'), bytes)
  writeFileSync(join(custodyDir, 'transfer.json.sig'), key.sign(bytes))
  writeFileSync(join(dir, 'README.txt'), readme)
  rewriteManifests(dir)
  const payload = listFiles(join(dir, 'data'))
  const bytesOf = payload.reduce((n, f) => n + statSync(join(dir, 'data', f)).size, 0)
  writeFileSync(join(dir, 'bag-info.txt'), fieldBagInfo(forged, {bytes: bytesOf, count: payload.length}))
  rewriteManifests(dir)
}

/** JSON with its keys sorted at every level: RFC 8785 for the strings and integers a statement holds. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]))
}
