/**
 * Transport (issue 19): a sealed archive encrypted to age recipients, as FILE.zip.age, and
 * verified without its plaintext ZIP ever being written. Real tools: age and age-keygen make the
 * keys and decrypt (or re-encrypt a tampered ZIP), unzip tests what a court would extract.
 */
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {chmodSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {schemaErrors} from '../helpers/json-schemas.js'
import {BIN, caseEnv, copyCase, custody, custodyJson, custodyMeasured, newCase, SAMPLES, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-transport-')
let kase: {dir: string; remove: () => void}
const SEALED_AT = '2024-05-01T09:00:00Z'

/** An age identity file made by age-keygen, and its recipient (the age1 line HQ gives the field). */
function keygen(name: string): {file: string; recipient: string} {
  const file = join(work.path, `${name}.txt`)
  execFileSync('age-keygen', ['-o', file], {stdio: 'ignore'})
  return {file, recipient: execFileSync('age-keygen', ['-y', file], {encoding: 'utf8'}).trim()}
}

function ageDecrypt(identity: string, file: string, out: string): void {
  execFileSync('age', ['-d', '-i', identity, '-o', out, file])
}

function ageEncrypt(recipient: string, file: string, out: string): void {
  execFileSync('age', ['-r', recipient, '-o', out, file])
}

/** The bytes of a sample photo inside the ZIP, and where one of them is (an exhibit's byte). */
function exhibitByte(zip: Buffer): number {
  const sample = readFileSync(join(SAMPLES, readdirSync(SAMPLES).find((n) => n.endsWith('.jpg'))!))
  const at = zip.indexOf(sample.subarray(2000, 2064))
  if (at < 0) throw new Error('no sample photo found in the archive')
  return at + 10
}

interface VerifyJson {
  ok: boolean
  encrypted: boolean
  checks: Array<{name: string; ok: boolean}>
  problems: Array<{subject: string; message: string}>
  error?: {code: string; message: string}
}

const failing = (report: VerifyJson): string[] => report.checks.filter((c) => !c.ok).map((c) => c.name)
const hq = {a: {file: '', recipient: ''}, b: {file: '', recipient: ''}, stranger: {file: '', recipient: ''}}
let plainZip = ''
/** A copy of the case made before the plain seal: sealed encrypted, it must give the same ZIP. */
let twin = ''
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Every file in `folder`: after a seal, only what it delivered may be there. */
const filesIn = (folder: string): string[] => readdirSync(folder).sort()

function folder(name: string): string {
  const path = join(work.path, name)
  mkdirSync(path)
  return path
}

beforeAll(async () => {
  kase = await newCase()
  const samples = readdirSync(SAMPLES).filter((n) => n.endsWith('.jpg')).map((n) => join(SAMPLES, n))
  const ingested = await custody(['ingest', ...samples, '--case', kase.dir])
  if (ingested.code !== 0) throw new Error(ingested.stderr)
  hq.a = keygen('hq-a')
  hq.b = keygen('hq-b')
  hq.stranger = keygen('stranger')
  twin = copyCase(kase.dir, join(work.path, 'twin'))
  plainZip = join(folder('plain'), 'court.zip')
  const sealed = await custody(['seal', '--out', plainZip, '--sealed-at', SEALED_AT, '--case', kase.dir])
  if (sealed.code !== 0) throw new Error(sealed.stderr)
}, 120_000)

afterAll(() => {
  kase?.remove()
  work.remove()
})

describe('verify FILE.zip.age --identity', () => {
  const encrypted = (): string => {
    const out = join(work.path, 'by-age.zip.age')
    spawnSync('rm', ['-f', out])
    ageEncrypt(hq.a.recipient, plainZip, out)
    return out
  }

  it('verifies an archive the age tool encrypted, as the plain ZIP verifies', async () => {
    const file = encrypted()
    const plain = await custodyJson<VerifyJson>(['verify', plainZip])
    const result = await custodyJson<VerifyJson>(['verify', file, '--identity', hq.b.file, '--identity', hq.a.file])
    expect(result.code, result.stderr).toBe(0)
    expect(result.json.ok).toBe(true)
    expect(result.json.encrypted).toBe(true)
    expect(result.json.checks).toEqual(plain.json.checks)
    expect(schemaErrors('verify.schema.json', result.json)).toEqual([])
    const text = await custody(['verify', file, '--identity', hq.a.file])
    expect(text.stdout).toMatch(/decrypted in memory/)
  })

  it('without --identity is a usage error naming --identity; with the wrong one, WRONG_KEY', async () => {
    const file = encrypted()
    const none = await custodyJson<VerifyJson>(['verify', file])
    expect(none.code).toBe(2)
    expect(none.json.error?.message).toContain('--identity')
    const wrong = await custodyJson<VerifyJson>(['verify', file, '--identity', hq.stranger.file])
    expect(wrong.code).toBe(2)
    expect(wrong.json.error?.code).toBe('WRONG_KEY')
  })

  it('refuses a flipped byte in the middle of the ciphertext, naming the file (exit 3)', async () => {
    const bytes = readFileSync(encrypted())
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01
    const file = join(work.path, 'flipped.zip.age')
    writeFileSync(file, bytes)
    const result = await custodyJson<VerifyJson>(['verify', file, '--identity', hq.a.file])
    expect(result.code).toBe(3)
    expect(result.json.ok).toBe(false)
    expect(JSON.stringify(result.json.problems)).toContain(`${file} is not an intact age file: chunk`)
  })

  it('refuses a file whose last chunk was cut off (exit 3, INTEGRITY)', async () => {
    const bytes = readFileSync(encrypted())
    const file = join(work.path, 'cut.zip.age')
    // The plaintext is larger than one chunk: cut the last chunk off whole, then 100 bytes of it.
    const payloadStart = bytes.indexOf(0x0a, bytes.indexOf('\n---') + 1) + 1 + 16
    const lastSealed = (bytes.length - payloadStart) % (65536 + 16)
    for (const cut of [bytes.subarray(0, bytes.length - lastSealed), bytes.subarray(0, bytes.length - 100)]) {
      writeFileSync(file, cut)
      const result = await custodyJson<VerifyJson>(['verify', file, '--identity', hq.a.file])
      expect(result.code).toBe(3)
      expect(result.json.error?.code).toBe('INTEGRITY')
      expect(result.json.error?.message).toContain(file)
    }
  })

  it('reports a tampered ZIP inside the age file with the same failing check as the plain tampered ZIP', async () => {
    const decrypted = join(work.path, 'inside.zip')
    ageDecrypt(hq.a.file, encrypted(), decrypted)
    const zip = readFileSync(decrypted)
    zip[exhibitByte(zip)]! ^= 0x01
    writeFileSync(decrypted, zip)
    const file = join(work.path, 'tampered.zip.age')
    spawnSync('rm', ['-f', file])
    ageEncrypt(hq.b.recipient, decrypted, file)
    const plain = await custodyJson<VerifyJson>(['verify', decrypted])
    const result = await custodyJson<VerifyJson>(['verify', file, '--identity', hq.b.file])
    expect(plain.code).toBe(3)
    expect(result.code).toBe(3)
    expect(failing(result.json)).toEqual(failing(plain.json))
    expect(result.json.problems).toEqual(plain.json.problems.map((p) => ({...p, subject: p.subject === decrypted ? file : p.subject})))
  })
})

describe('report and export case-uco of FILE.zip.age --identity', () => {
  it('report the ZIP inside, decrypted in memory only: the cover gives its SHA-256, nothing in clear is left anywhere', async () => {
    const out = folder('report-of-age')
    const file = join(out, 'court.zip.age')
    ageEncrypt(hq.a.recipient, plainZip, file)
    const scratch = folder('report-of-age-tmp')
    const refused = await custodyJson<VerifyJson>(['report', file, '--out', join(out, 'r.html')])
    expect(refused.code).toBe(2)
    expect(refused.json.error?.message).toContain('--identity')
    const made = await custodyJson<{verdict: string; archiveSha256: string}>(['report', file, '--identity', hq.a.file, '--out', join(out, 'r.html')], {env: {TMPDIR: scratch}})
    expect(made.code, JSON.stringify(made.json)).toBe(0)
    expect(made.json.verdict).toBe('verified')
    const zipSha256 = execFileSync('sha256sum', [plainZip], {encoding: 'utf8'}).split(' ')[0]!
    expect(made.json.archiveSha256).toBe(zipSha256)
    expect(readFileSync(join(out, 'r.html'), 'utf8')).toContain(zipSha256)
    // Beside it only what was there and the report; the temp folder empty: no plaintext ZIP was written.
    expect(filesIn(out)).toEqual(['court.zip.age', 'r.html'])
    expect(readdirSync(scratch)).toEqual([])
    const wrong = await custodyJson<VerifyJson>(['report', file, '--identity', hq.stranger.file, '--out', join(out, 'w.html')])
    expect(wrong.code).toBe(2)
    expect(wrong.json.error?.code).toBe('WRONG_KEY')
    expect(existsSync(join(out, 'w.html'))).toBe(false)
  })

  it('export the same JSON-LD as of the plain ZIP, and refuse a tampered ZIP inside', async () => {
    const out = folder('export-of-age')
    const file = join(out, 'court.zip.age')
    ageEncrypt(hq.a.recipient, plainZip, file)
    const plain = await custody(['export', 'case-uco', plainZip, '--out', join(out, 'plain.jsonld')])
    expect(plain.code, plain.stderr).toBe(0)
    const exported = await custody(['export', 'case-uco', file, '--identity', hq.a.file, '--out', join(out, 'age.jsonld')])
    expect(exported.code, exported.stderr).toBe(0)
    expect(readFileSync(join(out, 'age.jsonld')).equals(readFileSync(join(out, 'plain.jsonld')))).toBe(true)
    const zip = readFileSync(plainZip)
    zip[exhibitByte(zip)]! ^= 1
    writeFileSync(join(out, 'tampered.zip'), zip)
    ageEncrypt(hq.a.recipient, join(out, 'tampered.zip'), join(out, 'tampered.zip.age'))
    const refused = await custody(['export', 'case-uco', join(out, 'tampered.zip.age'), '--identity', hq.a.file, '--out', join(out, 'tampered.jsonld')])
    expect(refused.code).toBe(3)
    expect(existsSync(join(out, 'tampered.jsonld'))).toBe(false)
  })
})

interface SealJson {
  archive: string
  sha256: string
  size: number
  encrypted: {file: string; size: number; sha256: string; recipients: number} | null
}

describe('seal --encrypt-to', () => {
  it('delivers court.zip.age, which each recipient decrypts to the very ZIP a plain seal writes', async () => {
    const dir = folder('encrypted')
    const out = join(dir, 'court.zip')
    const result = await custodyJson<SealJson>(['seal', '--out', out, '--sealed-at', SEALED_AT, '--encrypt-to', hq.a.recipient, '--encrypt-to', hq.b.recipient, '--case', twin])
    expect(result.code, result.stderr).toBe(0)
    expect(filesIn(dir)).toEqual(['court.zip.age'])
    const plain = readFileSync(plainZip)
    const sealedAge = readFileSync(`${out}.age`)
    expect(result.json.sha256).toBe(execFileSync('sha256sum', [plainZip], {encoding: 'utf8'}).split(' ')[0])
    expect(result.json.size).toBe(plain.length)
    expect(schemaErrors('seal.schema.json', result.json)).toEqual([])
    expect(result.json.encrypted).toEqual({file: `${out}.age`, size: sealedAge.length, sha256: execFileSync('sha256sum', [`${out}.age`], {encoding: 'utf8'}).split(' ')[0], recipients: 2})
    for (const identity of [hq.a, hq.b]) {
      const decrypted = join(work.path, `decrypted-${identity.recipient.slice(-6)}.zip`)
      ageDecrypt(identity.file, `${out}.age`, decrypted)
      expect(readFileSync(decrypted).equals(plain)).toBe(true)
      expect(spawnSync('unzip', ['-tq', decrypted]).status).toBe(0)
      const verified = await custody(['verify', decrypted])
      expect(verified.code, verified.stdout).toBe(0)
    }

    const text = await custody(['verify', `${out}.age`, '--identity', hq.b.file])
    expect(text.code, text.stdout).toBe(0)
  })

  it('takes recipients from an age recipients file, and checks them before the passphrase', async () => {
    const dir = folder('from-file')
    const recipients = join(work.path, 'recipients.txt')
    writeFileSync(recipients, `# HQ\n${hq.a.recipient}\n`)
    const bad = await custodyJson<{error: {code: string; message: string}}>(['seal', '--out', join(dir, 'x.zip'), '--encrypt-to', 'age1notakey', '--case', twin], {env: {CUSTODY_PASSPHRASE: ''}})
    expect(bad.code).toBe(2)
    expect(bad.json.error.code).toBe('INVALID_ARGUMENT')
    expect(bad.json.error.message).toContain('age1notakey')
    const result = await custodyJson<SealJson>(['seal', '--out', join(dir, 'court.zip'), '--recipients-file', recipients, '--case', twin])
    expect(result.code, result.stderr).toBe(0)
    expect(result.json.encrypted?.recipients).toBe(1)
    expect(filesIn(dir)).toEqual(['court.zip.age'])
  })

  it('leaves nothing beside --out when the seal fails', async () => {
    const broken = copyCase(kase.dir, join(work.path, 'broken'))
    const vault = join(broken, '.custody', 'vault')
    const largest = (readdirSync(vault, {recursive: true, encoding: 'utf8'}) as string[])
      .map((name) => join(vault, name))
      .filter((path) => statSync(path).isFile())
      .sort((a, b) => statSync(b).size - statSync(a).size)
    const object = largest[0]!
    chmodSync(object, 0o600)
    const bytes = readFileSync(object)
    bytes[bytes.length >> 1]! ^= 0x01
    writeFileSync(object, bytes)
    const dir = folder('failed')
    const result = await custody(['seal', '--out', join(dir, 'court.zip'), '--encrypt-to', hq.a.recipient, '--case', broken])
    expect(result.code).toBe(3)
    expect(filesIn(dir)).toEqual([])
  })
})

describe('seal --finish of an encrypted seal', () => {
  it('keeps the recorded .age when it cannot be put in place, and --finish puts it at --out + .age', async () => {
    const caseDir = copyCase(kase.dir, join(work.path, 'eio-case'))
    const dir = folder('eio')
    const out = join(dir, 'court.zip')
    // The disk refuses the link that publishes the archive (strace injects EIO).
    const trace = ['-f', '-qq', '-o', '/dev/null', '--seccomp-bpf', '-e', 'trace=link,linkat', '-e', 'inject=link,linkat:error=EIO']
    const strace = spawn('strace', [...trace, process.execPath, BIN, 'seal', '--out', out, '--encrypt-to', hq.a.recipient, '--case', caseDir], {stdio: ['ignore', 'ignore', 'pipe'], env: caseEnv(caseDir)})
    let stderr = ''
    strace.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    expect(await new Promise((resolve) => strace.on('close', resolve))).toBe(1)
    const sealId = /seal (SEAL-[0-9a-f]{16}) is recorded/.exec(stderr)?.[1]
    expect(sealId, stderr).toBeDefined()
    expect(stderr).toContain(`${out}.age`)
    const partials = filesIn(dir)
    expect(partials).toHaveLength(1)
    expect(readFileSync(join(dir, partials[0]!)).subarray(0, 21).toString('latin1')).toBe('age-encryption.org/v1')
    const finished = await custodyJson<{status: string; archive: string}>(['seal', '--finish', sealId!, '--case', caseDir])
    expect(finished.code, finished.stderr).toBe(0)
    expect(finished.json).toMatchObject({status: 'published', archive: `${out}.age`})
    expect(filesIn(dir)).toEqual(['court.zip.age'])
    const verified = await custody(['verify', `${out}.age`, '--identity', hq.a.file])
    expect(verified.code, verified.stdout).toBe(0)
  }, 120_000)
})

describe('a large encrypted archive', () => {
  let big = ''
  beforeAll(async () => {
    const bigCase = await newCase()
    big = bigCase.dir
    const file = join(work.path, 'footage.bin')
    const stream = createWriteStream(file)
    for (let i = 0; i < 200; i++) if (!stream.write(randomBytes(1024 * 1024))) await new Promise<void>((resolve) => stream.once('drain', () => resolve()))
    await new Promise<void>((resolve) => stream.end(() => resolve()))
    const ingested = await custody(['ingest', file, '--case', big])
    if (ingested.code !== 0) throw new Error(ingested.stderr)
  }, 300_000)

  it('a Ctrl-C during the seal leaves nothing beside --out, and what was on disk was only ever age', async () => {
    const dir = folder('interrupted')
    const out = join(dir, 'court.zip')
    const child = spawn(process.execPath, [BIN, 'seal', '--out', out, '--encrypt-to', hq.a.recipient, '--case', big], {stdio: 'ignore', env: caseEnv(big)})
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    let ended = false
    void exited.then(() => (ended = true))
    const partial = (): string | undefined => readdirSync(dir).find((f) => f.endsWith('.partial'))
    while (!ended && (partial() === undefined || readFileSync(join(dir, partial()!)).length < 1024 * 1024)) await sleep(5)
    expect(ended).toBe(false)
    expect(readFileSync(join(dir, partial()!)).subarray(0, 22).toString('latin1')).toBe('age-encryption.org/v1\n')
    child.kill('SIGINT')
    expect(await exited).toBe(1)
    expect(filesIn(dir)).toEqual([])
  }, 120_000)

  it('verify of a 200 MB encrypted archive stays under 200 MB of memory, and writes no plaintext', async () => {
    const dir = folder('big')
    const out = join(dir, 'court.zip')
    const sealed = await custody(['seal', '--out', out, '--encrypt-to', hq.a.recipient, '--case', big])
    expect(sealed.code, sealed.stderr).toBe(0)
    expect(existsSync(out)).toBe(false)
    const result = await custodyMeasured<VerifyJson>(['verify', `${out}.age`, '--identity', hq.a.file])
    expect(result.code, result.stderr).toBe(0)
    expect(result.json.ok).toBe(true)
    expect(result.peakMiB).toBeLessThan(200)
    expect(filesIn(dir)).toEqual(['court.zip.age'])
  }, 300_000)
})
