/** `custody seal`: a BagIt bag in a ZIP that standard tools check, deterministic and recorded. */
import {spawn, spawnSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {verifyInclusion} from '../../src/merkle/verify.js'
import {canonicalize} from '../../src/canonical/jcs.js'
import {BIN, custody, custodyJson, newCase, ownStateFolder, SAMPLES, tempDir, vaultObject} from '../helpers/cli.js'

const sha = (alg: 'sha256' | 'sha512', data: Buffer | string): string => createHash(alg).update(data).digest('hex')
const SAMPLE_FILES = readdirSync(SAMPLES).filter((f) => f !== 'expected-tags.json').sort()

interface SealJson {
  archive: string
  sha256: string
  bag: string
  seq: number
  statement: {sealId: string; treeHead: {size: number; root: string}; exhibits: Array<{exhibit: string; originalName: string; path: string; sha256: string}>}
}

let kase: {dir: string; remove: () => void}
const work = tempDir('custody-seal-')

beforeAll(async () => {
  kase = await newCase()
  const odd = join(work.path, 'odd')
  mkdirSync(odd)
  // Not the same bytes as Sony.jpg, or it would be the same exhibit.
  writeFileSync(join(odd, 'evil\u202Egpj.exe'), Buffer.concat([readFileSync(join(SAMPLES, 'Sony.jpg')), Buffer.from('x')]))
  writeFileSync(join(odd, 'line\nbreak %41.txt'), 'a statement typed in the field\n')
  const ingest = await custody(['ingest', ...SAMPLE_FILES.map((f) => join(SAMPLES, f)), join(odd, 'evil\u202Egpj.exe'), join(odd, 'line\nbreak %41.txt'), '--case', kase.dir])
  expect(ingest.code, ingest.stderr).toBe(0)
})

afterAll(() => {
  kase.remove()
  work.remove()
})

/**
 * A copy of the sealed case under `name`, to damage or seal without touching the others' case: a
 * case of its own, with its own state folder (on one account, sealing both would be a fork).
 */
function copyCase(name: string): string {
  const copy = join(work.path, name)
  cpSync(kase.dir, copy, {recursive: true})
  ownStateFolder(copy)
  return copy
}

function unzip(archive: string): string {
  const into = join(work.path, `unzipped-${Math.random().toString(16).slice(2)}`)
  mkdirSync(into)
  const result = spawnSync('unzip', ['-q', archive, '-d', into], {encoding: 'utf8'})
  expect(result.status, result.stderr).toBe(0)
  return into
}

describe('custody seal', () => {
  let sealed: SealJson
  let bagDir: string

  beforeAll(async () => {
    const result = await custodyJson<SealJson>(['seal', '--out', join(work.path, 'all.zip'), '--purpose', 'ICC communication', '--note', 'all exhibits', '--case', kase.dir])
    expect(result.code, result.stderr).toBe(0)
    sealed = result.json
    // No temporary archive or scratch file (manifest lines, statement, central directory) is left.
    expect(readdirSync(work.path).filter((f) => f.includes('.partial'))).toEqual([])
    const into = unzip(sealed.archive)
    expect(readdirSync(into)).toEqual([sealed.bag])
    bagDir = join(into, sealed.bag)
  })

  it('gives a bag that sha256sum -c and sha512sum -c accept, tag manifests included', () => {
    for (const [tool, file] of [
      ['sha256sum', 'manifest-sha256.txt'],
      ['sha512sum', 'manifest-sha512.txt'],
      ['sha256sum', 'tagmanifest-sha256.txt'],
      ['sha512sum', 'tagmanifest-sha512.txt'],
    ]) {
      const check = spawnSync(tool!, ['-c', file!], {cwd: bagDir, encoding: 'utf8'})
      expect(check.status, `${tool} -c ${file}: ${check.stdout}${check.stderr}`).toBe(0)
      expect(check.stdout).not.toMatch(/FAILED/)
    }

    // Every payload file is in the manifest, and nothing else is.
    const listed = readFileSync(join(bagDir, 'manifest-sha256.txt'), 'utf8').trim().split('\n').map((l) => l.slice(66)).sort()
    const found = spawnSync('find', ['data', '-type', 'f'], {cwd: bagDir, encoding: 'utf8'}).stdout.trim().split('\n').sort()
    expect(listed).toEqual(found)
    // events, checkpoint and its signature, the public key, the statement and its signature
    expect(listed).toHaveLength((SAMPLE_FILES.length + 2) * 2 + 6)
  })

  it('declares BagIt 1.0 and carries the bag metadata, with a true Payload-Oxum', () => {
    expect(readFileSync(join(bagDir, 'bagit.txt'), 'utf8')).toBe('BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n')
    const info = Object.fromEntries(
      readFileSync(join(bagDir, 'bag-info.txt'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
    )
    expect(info).toMatchObject({'Source-Organization': 'Test NGO', 'Contact-Name': 'A. Investigator', 'Custody-Seal-Identifier': sealed.statement.sealId})
    expect(info['External-Identifier']).toMatch(/^[0-9a-f-]{36}$/)
    expect(info['Bagging-Date']).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    const files = spawnSync('find', ['data', '-type', 'f'], {cwd: bagDir, encoding: 'utf8'}).stdout.trim().split('\n')
    const bytes = files.reduce((sum, f) => sum + statSync(join(bagDir, f)).size, 0)
    expect(info['Payload-Oxum']).toBe(`${bytes}.${files.length}`)
    expect(readFileSync(join(bagDir, 'README.txt'), 'utf8')).toContain('sha256sum -c manifest-sha256.txt')
  })

  it('carries each original byte for byte, under a safe name recorded beside the original one', () => {
    for (const x of sealed.statement.exhibits) {
      expect(sha('sha256', readFileSync(join(bagDir, x.path)))).toBe(x.sha256)
    }

    const evil = sealed.statement.exhibits.find((x) => x.originalName === 'evil\u202Egpj.exe')!
    expect(evil.path).toMatch(/\/original\/evil_gpj\.exe$/)
    const odd = sealed.statement.exhibits.find((x) => x.originalName === 'line\nbreak %41.txt')!
    expect(odd.path).toMatch(/\/original\/line_break _41\.txt$/)
    const stored = JSON.parse(readFileSync(join(bagDir, 'data', 'custody', 'seal.json'), 'utf8')) as SealJson['statement']
    expect(stored).toEqual(sealed.statement)
  })

  it('ties every event to the tree head: hash, leaf hash and inclusion proof, checked independently', () => {
    const checkpoint = JSON.parse(readFileSync(join(bagDir, 'data', 'custody', 'checkpoint.json'), 'utf8')) as {treeSize: number; rootHash: string}
    const head = {size: checkpoint.treeSize, root: checkpoint.rootHash}
    expect(head).toEqual(sealed.statement.treeHead)
    const lines = readFileSync(join(bagDir, 'data', 'custody', 'events.jsonl'), 'utf8').trim().split('\n')
    // A line of a sealed ledger (schema 4) also holds the envelope, which the chain and the tree are over, and the salt of its commitment.
    type Line = {seq: number; hash: string; prev: string; leafHash: string; inclusionProof: string[]; event: Record<string, unknown>; envelope?: {bodyCommitment: string}; salt?: string}
    const events = lines.map((l) => JSON.parse(l) as Line)
    expect(events[0]!.event.action).toBe('create-case')
    expect(events.filter((e) => e.event.action === 'ingest')).toHaveLength(SAMPLE_FILES.length + 2)
    // Every line is itself canonical JSON (RFC 8785): custody writes them by hand.
    expect(lines).toEqual(events.map((e) => canonicalize(e)))
    for (const e of events) {
      const canonical = e.envelope === undefined ? canonicalize(e.event) : canonicalize(e.envelope)
      if (e.envelope !== undefined) expect(e.envelope.bodyCommitment).toBe(sha('sha256', Buffer.concat([Buffer.from(e.salt!, 'hex'), Buffer.from(canonicalize(e.event))])))
      expect(e.hash).toBe(sha('sha256', Buffer.concat([Buffer.from(e.prev, 'hex'), Buffer.from(canonical)])))
      expect(e.leafHash).toBe(sha('sha256', Buffer.concat([Buffer.of(0), Buffer.from(canonical)])))
      verifyInclusion(e.seq, head.size, Buffer.from(e.leafHash, 'hex'), e.inclusionProof.map((p) => Buffer.from(p, 'hex')), Buffer.from(head.root, 'hex'))
    }
  })

  it('is a custody event naming the archive, its SHA-256 and the exhibits, and the case still verifies', async () => {
    type Logged = {seq: number; action: string; payload: {sealId: string; archive: {sha256: string}; exhibitCount: number; purpose: string; first: number; exhibits: string[]}}
    const log = await custodyJson<{events: Logged[]}>(['log', '--case', kase.dir])
    const seal = log.json.events.find((e) => e.seq === sealed.seq)!
    expect(seal.action).toBe('seal')
    expect(seal.payload.archive.sha256).toBe(sha('sha256', readFileSync(sealed.archive)))
    expect(seal.payload.exhibitCount).toBe(sealed.statement.exhibits.length)
    expect(seal.payload.purpose).toBe('ICC communication')
    // The exhibits are listed by the event after it, in the archive's order.
    const list = log.json.events.find((e) => e.seq === sealed.seq + 1)!
    expect(list.action).toBe('sealed-exhibits')
    expect(list.payload).toMatchObject({sealId: seal.payload.sealId, first: 1})
    expect(list.payload.exhibits).toEqual(sealed.statement.exhibits.map((x) => x.exhibit))
    const text = await custody(['log', '--case', kase.dir])
    expect(text.stdout).toContain(`${seal.payload.sealId}: ${sealed.statement.exhibits.length} exhibits sealed into all.zip`)
    expect(text.stdout).toContain(`${seal.payload.sealId}: exhibits 1–${sealed.statement.exhibits.length}: EX-000001, EX-000002, EX-000003, …`)
    const forOne = await custodyJson<{events: Array<{action: string}>}>(['log', 'EX-000001', '--case', kase.dir])
    expect(forOne.json.events.map((e) => e.action)).toEqual(['ingest', 'seal'])
    expect((await custody(['verify', '--case', kase.dir])).code).toBe(0)
  })
})

describe('custody seal, more', () => {
  it('gives byte-identical archives for the same case state, exhibits and --sealed-at', async () => {
    const a = copyCase('copy-a')
    const b = copyCase('copy-b')
    const args = ['EX-000002', '3', '--sealed-at', '2024-05-01T09:00:00Z']
    // The same file name, in two folders: README.txt names the archive by its name.
    for (const dir of ['a', 'b']) mkdirSync(join(work.path, dir))
    expect((await custody(['seal', ...args, '--out', join(work.path, 'a', 'same.zip'), '--case', a])).code).toBe(0)
    expect((await custody(['seal', ...args, '--out', join(work.path, 'b', 'same.zip'), '--case', b], {env: {TZ: 'Pacific/Kiritimati'}})).code).toBe(0)
    expect(sha('sha256', readFileSync(join(work.path, 'a', 'same.zip')))).toBe(sha('sha256', readFileSync(join(work.path, 'b', 'same.zip'))))
    expect((await custody(['seal', ...args, '--out', join(work.path, 'a.zip'), '--case', a])).code).toBe(0)
    const later = await custodyJson<SealJson>(['seal', ...args.slice(0, 2), '--sealed-at', '2024-05-01T09:00:02Z', '--out', join(work.path, 'c.zip'), '--case', a])
    expect(later.code).toBe(0)
    expect(later.json.sha256).not.toBe(sha('sha256', readFileSync(join(work.path, 'a.zip'))))
    expect(later.json.statement.exhibits.map((x) => x.exhibit)).toEqual(['EX-000002', 'EX-000003'])
  })

  it('seals exhibits named out of order in the order of their folders, with sorted manifests that sha256sum accepts', async () => {
    const out = join(work.path, 'reversed.zip')
    const result = await custodyJson<SealJson>(['seal', 'EX-000007', '3', 'EX-000001', '--out', out, '--case', copyCase('reversed')])
    expect(result.code, result.stderr).toBe(0)
    expect(result.json.statement.exhibits.map((x) => x.exhibit)).toEqual(['EX-000001', 'EX-000003', 'EX-000007'])
    const bagDir = join(unzip(out), result.json.bag)
    for (const [tool, file] of [['sha256sum', 'manifest-sha256.txt'], ['sha512sum', 'manifest-sha512.txt']] as const) {
      const paths = readFileSync(join(bagDir, file), 'utf8').trimEnd().split('\n').map((line) => line.slice(line.indexOf('  ') + 2))
      expect(paths).toEqual([...paths].sort())
      expect(paths.filter((p) => p.startsWith('data/exhibits/'))).toHaveLength(6)
      const check = spawnSync(tool, ['-c', '--quiet', file], {cwd: bagDir, encoding: 'utf8'})
      expect(check.status, check.stdout + check.stderr).toBe(0)
    }

    const verified = await custody(['verify', out])
    expect(verified.code, verified.stdout).toBe(0)
  })

  it('never replaces an existing --out without --force', async () => {
    const out = join(work.path, 'exists.zip')
    writeFileSync(out, 'not an archive')
    const refused = await custodyJson<{error: {message: string}}>(['seal', '--out', out, '--case', kase.dir])
    expect(refused.code).toBe(2)
    expect(refused.json.error.message).toContain('add --force')
    expect(readFileSync(out, 'utf8')).toBe('not an archive')
    const forced = await custody(['seal', '--out', out, '--force', '--case', kase.dir])
    expect(forced.code).toBe(0)
    expect(readFileSync(out).subarray(0, 2).toString()).toBe('PK')
  })

  it('refuses to seal a vault file that no longer matches the ledger, leaving no archive', async () => {
    const damaged = copyCase('damaged')
    const object = vaultObject(damaged, sha('sha256', readFileSync(join(SAMPLES, 'Canon.jpg'))))
    chmodSync(object, 0o644)
    const bytes = readFileSync(object)
    bytes[50]! ^= 0xff
    writeFileSync(object, bytes)
    const out = join(work.path, 'damaged.zip')
    const result = await custodyJson<{error: {code: string; message: string}}>(['seal', '--out', out, '--case', damaged])
    expect(result.code).toBe(3)
    // The case's vault is encrypted: the edited byte is in the object's age header, refused as it is read.
    expect(result.json.error.message).toMatch(/EX-000001: its vault file cannot be read \(.*\.age is not an intact age file: .*\); nothing was sealed/)
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(work.path).filter((f) => f.includes('.partial'))).toEqual([])
  })

  it('refuses to seal when an exhibit is missing from the vault', async () => {
    const missing = copyCase('missing')
    rmSync(vaultObject(missing, sha('sha256', readFileSync(join(SAMPLES, 'Nikon.jpg')))))
    const result = await custodyJson<{error: {message: string}}>(['seal', '--out', join(work.path, 'missing.zip'), '--case', missing])
    expect(result.code).toBe(3)
    expect(result.json.error.message).toMatch(/EX-000007: its vault file cannot be read \(ENOENT.*nothing was sealed/)
    expect(existsSync(join(work.path, 'missing.zip'))).toBe(false)
  })

  it('refuses a vault file that grew, and a metadata record gone from the vault', async () => {
    const grown = copyCase('grown')
    const object = vaultObject(grown, sha('sha256', readFileSync(join(SAMPLES, 'Sony.jpg'))))
    chmodSync(object, 0o644)
    const size = readFileSync(object).length
    appendFileSync(object, 'x')
    const grew = await custodyJson<{error: {message: string}}>(['seal', '--out', join(work.path, 'grown.zip'), '--case', grown])
    expect(grew.code).toBe(3)
    // A byte added to an encrypted object: its last chunk no longer authenticates (${size} bytes as stored).
    expect(size).toBeGreaterThan(0)
    expect(grew.json.error.message).toMatch(/EX-\d+: its vault file cannot be read \(.*\.age is not an intact age file: its last chunk, .* does not authenticate.*\); nothing was sealed/)

    const noRecord = copyCase('no-record')
    const shown = await custodyJson<{metadata: {record: string}}>(['show', 'EX-000002', '--case', noRecord])
    rmSync(vaultObject(noRecord, shown.json.metadata.record))
    const lost = await custodyJson<{error: {message: string}}>(['seal', '--out', join(work.path, 'no-record.zip'), '--case', noRecord])
    expect(lost.code).toBe(3)
    expect(lost.json.error.message).toMatch(/EX-000002: its metadata record cannot be read \(ENOENT.*nothing was sealed/)
    expect(existsSync(join(work.path, 'grown.zip')) || existsSync(join(work.path, 'no-record.zip'))).toBe(false)
    expect(readdirSync(work.path).filter((f) => f.includes('.partial'))).toEqual([])
  })

  it('Ctrl-C while sealing leaves no partial archive and records nothing', async () => {
    const big = copyCase('big-case')
    const clips = join(work.path, 'clips')
    mkdirSync(clips)
    for (let i = 0; i < 40; i++) writeFileSync(join(clips, `clip-${i}.mp4`), randomBytes(2 * 1024 * 1024))
    expect((await custody(['ingest', clips, '-r', '--case', big])).code).toBe(0)
    const eventsBefore = (await custodyJson<{events: unknown[]}>(['log', '--case', big])).json.events.length
    const out = join(work.path, 'interrupted.zip')
    const child = spawn(process.execPath, [BIN, 'seal', '--out', out, '--case', big], {stdio: 'ignore', env: {...process.env, XDG_STATE_HOME: ownStateFolder(big)}})
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    for (let i = 0; i < 500 && !readdirSync(work.path).some((f) => f.endsWith('.partial')); i++) await new Promise((r) => setTimeout(r, 5))
    child.kill('SIGINT')
    expect(await exited).toBe(1)
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(work.path).filter((f) => f.includes('.partial'))).toEqual([])
    expect((await custodyJson<{events: unknown[]}>(['log', '--case', big])).json.events).toHaveLength(eventsBefore)
  })

  it('names an unknown exhibit and a bad --out or --sealed-at with exit 2', async () => {
    expect((await custody(['seal', 'EX-000999', '--out', join(work.path, 'x.zip'), '--case', kase.dir])).code).toBe(2)
    const tar = await custody(['seal', '--out', join(work.path, 'x.tar'), '--case', kase.dir])
    expect(tar.code).toBe(2)
    expect(tar.stderr).toContain(`Error: --out must name a .zip file, got "${join(work.path, 'x.tar')}"`)
    const yesterday = await custodyJson<{error: {code: string; message: string; field?: string}}>(['seal', '--out', join(work.path, 'x.zip'), '--sealed-at', 'yesterday', '--case', kase.dir, '--json'])
    expect(yesterday.code).toBe(2)
    expect(yesterday.json.error).toEqual({code: 'INVALID_ARGUMENT', subject: null, field: 'sealedAt', message: '--sealed-at must be an ISO 8601 time with a zone, such as 2024-05-01T09:00:00Z, got "yesterday"'})
    expect(existsSync(join(work.path, 'x.zip'))).toBe(false)
  })
})
