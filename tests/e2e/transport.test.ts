/**
 * Transport (issue 19): a sealed archive encrypted to age recipients, as FILE.zip.age, and
 * verified without its plaintext ZIP ever being written. Real tools: age and age-keygen make the
 * keys and decrypt (or re-encrypt a tampered ZIP), unzip tests what a court would extract.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custody, custodyJson, custodyMeasured, newCase, SAMPLES, tempDir} from '../helpers/cli.js'

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

beforeAll(async () => {
  kase = await newCase()
  const samples = readdirSync(SAMPLES).filter((n) => n.endsWith('.jpg')).map((n) => join(SAMPLES, n))
  const ingested = await custody(['ingest', ...samples, '--case', kase.dir])
  if (ingested.code !== 0) throw new Error(ingested.stderr)
  hq.a = keygen('hq-a')
  hq.b = keygen('hq-b')
  hq.stranger = keygen('stranger')
  plainZip = join(work.path, 'plain.zip')
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
