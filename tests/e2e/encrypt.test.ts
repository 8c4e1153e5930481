/**
 * `custody encrypt` end to end (issue 19): a case made with --plaintext, holding the camera
 * samples and a testimony with a sealed identity, converted in place. Real tools: age-keygen makes
 * HQ's key and the Debian `age` opens a converted object with it; unzip reads the archives sealed
 * before and after; strace kills the conversion (SIGKILL, as it enters a system call) at each of
 * its steps; the tampering is done by hand.
 */
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, caseEnv, copyCase, custody, custodyJson, SAMPLES, sqlite, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-encrypt-')
const template = join(work.path, 'template')
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const samples = readdirSync(SAMPLES).filter((n) => !n.startsWith('.')).sort()
const STATEMENT = 'I saw the detention from the kitchen window of the flat on the second floor, at about nine in the evening.\n'
let hq = {file: '', recipient: ''}
let before: Map<string, string>
let copies = 0

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort()
}

/** A fresh copy of the case in clear, a case of its own. */
function freshCase(): string {
  return copyCase(template, join(work.path, `case-${++copies}`))
}

async function run(dir: string, args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
  return custody([...args, '--case', dir])
}

async function verifies(dir: string): Promise<void> {
  const result = await run(dir, ['verify'])
  expect(result.code, result.stdout + result.stderr).toBe(0)
}

/** The payload of an archive (everything but data/custody/): path under data/ → SHA-256, from its manifest. */
function payload(archive: string): Map<string, string> {
  const manifest = execFileSync('unzip', ['-p', archive, '*/manifest-sha256.txt'], {encoding: 'utf8'})
  const lines = manifest.split('\n').filter((l) => l.includes('  data/') && !l.includes('  data/custody/'))
  return new Map(lines.map((l) => [l.slice(66), l.slice(0, 64)]))
}

async function seal(dir: string, name: string): Promise<string> {
  const out = join(work.path, name)
  const sealed = await run(dir, ['seal', '--out', out, '--purpose', 'court'])
  expect(sealed.code, sealed.stderr).toBe(0)
  const verified = await custody(['verify', out])
  expect(verified.code, verified.stdout + verified.stderr).toBe(0)
  return out
}

function actions(dir: string): string[] {
  return sqlite(join(dir, '.custody', 'ledger.sqlite'), "SELECT json_extract(event, '$.action') FROM events ORDER BY seq;").trim().split('\n')
}

/** A 64-byte window of a file that could not turn up by chance (not a run of zeros: one of many different bytes). */
function telling(bytes: Buffer): Buffer {
  for (let at = Math.floor(bytes.length / 2); at + 64 <= bytes.length; at += 16) {
    const window = bytes.subarray(at, at + 64)
    if (new Set(window).size >= 32) return window
  }

  return bytes.subarray(0, 64)
}

/** Each event's stored hash, then each checkpoint as stored: what a ledger converted keeps as it was written. */
function written(dir: string): {hashes: string[]; checkpoints: string[]} {
  const ledger = join(dir, '.custody', 'ledger.sqlite')
  const lines = (sql: string): string[] => sqlite(ledger, sql).trim().split('\n')
  return {hashes: lines('SELECT hash FROM events ORDER BY seq;'), checkpoints: lines("SELECT tree_size || ' ' || body || ' ' || signature FROM checkpoints ORDER BY seq;")}
}

beforeAll(async () => {
  const file = join(work.path, 'hq.key')
  execFileSync('age-keygen', ['-o', file], {stdio: 'ignore'})
  hq = {file, recipient: execFileSync('age-keygen', ['-y', file], {encoding: 'utf8'}).trim()}
  const init = await custody(['init', template, '--title', 'Made in clear', '--investigator', 'A. Investigator', '--plaintext'])
  expect(init.code, init.stderr).toBe(0)
  expect((await run(template, ['ingest', SAMPLES, '--recursive'])).code).toBe(0)
  const statement = join(work.path, 'statement.txt')
  writeFileSync(statement, STATEMENT)
  const testimony = await run(template, [
    ...['testimony', 'add', '--witness', 'W-001', '--interviewed-at', '2024-03-05T10:00+02:00', '--place', 'Kyiv', '--interviewer', 'A. Investigator'],
    ...['--consent', 'court', '--consent-method', 'signed-form', '--statement-file', statement, '--witness-name', 'Jane Roe'],
  ])
  expect(testimony.code, testimony.stderr).toBe(0)
  before = payload(await seal(copyCase(template, join(work.path, 'sealed-before')), 'before.zip'))
}, 240_000)

afterAll(() => work.remove())

describe('custody encrypt', () => {
  const kase = join(work.path, 'converted')

  beforeAll(async () => {
    copyCase(template, kase)
    const result = await custodyJson<{status: string; objects: number; carried: number; mode: string; recipients: Array<{recipient: string}>}>(['encrypt', '--recipient', hq.recipient, '--case', kase])
    expect(result.code, result.stderr).toBe(0)
    expect(result.json.status).toBe('encrypted')
    // Every event of the ledger in clear, and the conversion's own: objects-encrypted, case-encrypted, recipient-added.
    expect(result.json.carried).toBe(actions(template).length + 3)
    expect(result.json.mode).toBe('encrypted')
    expect(result.json.recipients.map((r) => r.recipient)).toContain(hq.recipient)
    expect(result.json.objects).toBe(filesUnder(join(template, '.custody', 'vault', 'sha256')).length)
  }, 120_000)

  it('leaves a case that verifies, and records the conversion after the events it keeps, each with the hash and checkpoints it was written with', async () => {
    await verifies(kase)
    const withKey = await run(kase, ['verify', '--identity', hq.file])
    expect(withKey.code, withKey.stdout).toBe(0)
    expect(withKey.stdout).toMatch(/exhibits intact \(original and metadata record re-hashed\)/)
    expect(withKey.stdout).toMatch(/every hash and link intact; the first \d+ events carried from the case in clear \(custody encrypt\), their envelopes bound by the ledger-converted event, each opened and its hash and leaf recomputed/)
    const kept = actions(template)
    const log = await custodyJson<{events: Array<{action: string}>}>(['log', '--case', kase])
    expect(log.code, log.stderr).toBe(0)
    const now = log.json.events.map((e) => e.action)
    expect(now.slice(0, kept.length)).toEqual(kept)
    expect(now.slice(kept.length)).toEqual(['objects-encrypted', 'case-encrypted', 'recipient-added', 'ledger-converted'])
    // Every event as written: its hash; every checkpoint signed before, as it was (the conversion's own events follow, with theirs).
    const before = written(template)
    const after = written(kase)
    expect(after.hashes.slice(0, before.hashes.length)).toEqual(before.hashes)
    expect(after.checkpoints.slice(0, before.checkpoints.length)).toEqual(before.checkpoints)
    expect(sqlite(join(kase, '.custody', 'ledger.sqlite'), 'PRAGMA user_version;').trim()).toBe('4')
    // The carried envelopes against the SHA-256 the ledger-converted event records, as README says to check it with sqlite3 and sha256sum.
    const converted = "(SELECT envelope FROM events WHERE json_extract(envelope,'$.public.action')='ledger-converted')"
    const byHand = spawnSync('sh', ['-c', `C="${converted}"; sqlite3 ledger.sqlite "SELECT envelope FROM events WHERE seq < json_extract($C,'$.public.carried') ORDER BY seq" | sha256sum`], {cwd: join(kase, '.custody'), encoding: 'utf8'})
    expect(byHand.stdout.split(' ')[0]).toBe(sqlite(join(kase, '.custody', 'ledger.sqlite'), `SELECT json_extract(${converted}, '$.public.envelopes');`).trim())
    expect(existsSync(join(kase, '.custody', 'encrypting.json'))).toBe(false)
    expect(existsSync(join(kase, '.custody', 'ledger.sqlite.converting'))).toBe(false)
    // With no key: every link and the tree, the envelopes bound, the exhibits of before counted by their objects as stored.
    const keyless = await custody(['verify', '--case', kase], {env: {CUSTODY_PASSPHRASE: ''}})
    expect(keyless.code, keyless.stdout).toBe(0)
    expect(keyless.stdout).toMatch(/every link intact, every hash but the \d+ carried events'/)
    expect(keyless.stdout).toMatch(/exhibits recorded before the case was encrypted \(custody encrypt\), whose ingest events no key given opens: the \d+ objects the case's objects-encrypted events list, as stored/)
  })

  it('keeps nothing of the case in clear in any file of the case: no name, place, statement, file name or SHA-256 of an original', () => {
    const originals = samples.map((name) => readFileSync(join(SAMPLES, name)))
    const needles: Array<[string, Buffer]> = [
      ...['A. Investigator', 'Made in clear', 'Kyiv', 'Jane Roe', 'kitchen window', 'W-001', 'Canon EOS DIGITAL REBEL', '560018150', ...samples].map((t): [string, Buffer] => [t, Buffer.from(t)]),
      ...originals.flatMap((bytes, i): Array<[string, Buffer]> => {
        const digest = createHash('sha256').update(bytes).digest()
        const sha512 = createHash('sha512').update(bytes).digest('hex')
        return [
          [`SHA-256 of ${samples[i]}`, Buffer.from(digest.toString('hex'))],
          [`SHA-256 of ${samples[i]}, raw`, digest],
          [`SHA-512 of ${samples[i]}`, Buffer.from(sha512)],
          [`64 bytes of ${samples[i]}`, telling(bytes)],
        ]
      }),
    ]
    const files = filesUnder(join(kase, '.custody'))
    expect(files.some((f) => f.endsWith('ledger.sqlite'))).toBe(true)
    for (const file of files) {
      const bytes = readFileSync(file)
      for (const [what, needle] of needles) expect(bytes.includes(needle), `${what} in ${relative(kase, file)}`).toBe(false)
    }

    // The same needles are found in the case as it was in clear: the search can find them.
    const clear = Buffer.concat(filesUnder(join(template, '.custody')).map((f) => readFileSync(f)))
    for (const what of ['A. Investigator', 'Made in clear', 'Kyiv', 'kitchen window', 'Canon EOS DIGITAL REBEL', '560018150', samples[0]!]) expect(clear.includes(Buffer.from(what)), what).toBe(true)
  })

  it('holds no original, statement or record in clear, and no plaintext SHA-256 as a name', () => {
    const vault = join(kase, '.custody', 'vault')
    const stored = filesUnder(vault)
    const clear = filesUnder(join(template, '.custody', 'vault', 'sha256'))
    expect(stored).toHaveLength(clear.length)
    for (const file of stored) expect(relative(vault, file)).toMatch(/^objects\/([0-9a-f]{2})\/\1[0-9a-f]{62}\.age$/)
    const names = stored.join('\n')
    const contents = stored.map((f) => readFileSync(f))
    const plain = [...clear.map((f) => readFileSync(f)), Buffer.from(STATEMENT)]
    for (const original of plain) {
      expect(names).not.toContain(sha256(original))
      const windows = [0, Math.floor(original.length / 2)].map((at) => original.subarray(at, Math.min(at + 64, original.length)))
      for (const content of contents) for (const window of windows) expect(content.includes(window)).toBe(false)
    }
  })

  it("gives HQ an original with the standard age tool and HQ's identity, byte for byte", async () => {
    const shown = await custodyJson<{digests: {sha256: string}; vault: {path: string}}>(['show', 'EX-000001', '--case', kase])
    expect(shown.code).toBe(0)
    expect(shown.json.vault.path).toMatch(/\/vault\/objects\/.+\.age$/)
    const out = join(work.path, 'decrypted')
    execFileSync('age', ['-d', '-i', hq.file, '-o', out, shown.json.vault.path])
    expect(readFileSync(out)).toEqual(readFileSync(join(SAMPLES, samples[0]!)))
    // The witness identity key is HQ's too, as in a case made encrypted: its PKCS#8, opened by age.
    const witnessKey = execFileSync('age', ['-d', '-i', hq.file, join(kase, '.custody', 'keys', 'identities.recipients.age')])
    expect(witnessKey.subarray(0, 2)).toEqual(Buffer.from([0x30, 0x2e]))
  })

  it('shows the statement with the passphrase, and seals an archive of the same content as before', async () => {
    const statement = await run(kase, ['show', 'W-001', '--statement'])
    expect(statement.code, statement.stderr).toBe(0)
    expect(statement.stdout).toContain('kitchen window')
    const after = payload(await seal(copyCase(kase, join(work.path, 'sealed-after')), 'after.zip'))
    expect(after).toEqual(before)
    expect([...after.keys()].some((p) => p.endsWith(samples[0]!))).toBe(true)
  })

  it("gives, in its report, a command that checks every object as stored without custody, and fails on a changed one", async () => {
    const out = join(work.path, 'report.html')
    expect((await run(kase, ['report', '--out', out])).code).toBe(0)
    const html = readFileSync(out, 'utf8')
    const pre = /<pre>([\s\S]*?)<\/pre>/.exec(html.slice(html.indexOf('6. How to check this yourself')))?.[1] ?? ''
    const line = pre.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&').split('\n').find((l) => l.includes('objects intact as stored'))!
    expect(spawnSync('sh', ['-c', line], {encoding: 'utf8'})).toMatchObject({status: 0, stdout: 'objects intact as stored\n'})
    const copy = copyCase(kase, join(work.path, 'changed'))
    const victim = filesUnder(join(copy, '.custody', 'vault', 'objects'))[0]!
    chmodSync(victim, 0o600)
    writeFileSync(victim, Buffer.concat([readFileSync(victim), Buffer.from('x')]))
    expect(spawnSync('sh', ['-c', line.replaceAll(kase, copy)]).status).not.toBe(0)
  })

  it('takes new evidence encrypted, and says a second run has nothing to do', async () => {
    expect((await run(kase, ['ingest', join(work.path, 'statement.txt')])).code).toBe(0)
    await verifies(kase)
    const again = await custodyJson<{status: string}>(['encrypt', '--case', kase], {env: {CUSTODY_PASSPHRASE: ''}})
    expect(again.code, again.stderr).toBe(0)
    expect(again.json.status).toBe('already')
    // Other recipients given to an encrypted case are refused, not ignored: key add-recipient adds one.
    const other = execFileSync('age-keygen', {encoding: 'utf8'}).match(/age1[0-9a-z]+/)![0]
    const refused = await run(kase, ['encrypt', '--recipient', other])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/key add-recipient/)
    expect((await run(kase, ['encrypt', '--recipient', hq.recipient])).code).toBe(0)
  })
})

describe('custody encrypt refuses, and a field case', () => {
  it('a wrong passphrase (exit 2), writing nothing', async () => {
    const dir = freshCase()
    const listing = filesUnder(join(dir, '.custody'))
    const result = await custody(['encrypt', '--case', dir], {env: {CUSTODY_PASSPHRASE: 'not the passphrase at all'}})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/passphrase/)
    expect(filesUnder(join(dir, '.custody'))).toEqual(listing)
  })

  it('a vault object whose bytes are not its SHA-256 (exit 3), naming it, encrypting and removing nothing', async () => {
    const dir = freshCase()
    const clear = filesUnder(join(dir, '.custody', 'vault', 'sha256'))
    const victim = clear[3]!
    chmodSync(victim, 0o600)
    const bytes = readFileSync(victim)
    bytes[10] = bytes[10]! ^ 0xff
    writeFileSync(victim, bytes)
    const result = await run(dir, ['encrypt'])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain(relative(join(dir, '.custody'), victim))
    expect(filesUnder(join(dir, '.custody', 'vault', 'sha256'))).toEqual(clear)
    expect(existsSync(join(dir, '.custody', 'vault', 'objects'))).toBe(false)
    expect(existsSync(join(dir, '.custody', 'keys', 'address-key.age'))).toBe(false)
  })

  it('nothing of a field case to the laptop: with --field and a recipient, no case identity, and HQ opens it all', async () => {
    const dir = freshCase()
    const result = await custodyJson<{mode: string; recipients: Array<{recipient: string}>}>(['encrypt', '--field', '--recipient', hq.recipient, '--case', dir])
    expect(result.code, result.stderr).toBe(0)
    expect(result.json.mode).toBe('field')
    expect(result.json.recipients.map((r) => r.recipient)).toEqual([hq.recipient])
    expect(existsSync(join(dir, '.custody', 'keys', 'case-identity.age'))).toBe(false)
    const sealed = await run(dir, ['seal', '--out', join(work.path, 'field.zip')])
    expect(sealed.code).toBe(2)
    const verified = await run(dir, ['verify', '--identity', hq.file])
    expect(verified.code, verified.stdout).toBe(0)
    expect(verified.stdout).toMatch(/exhibits intact \(original and metadata record re-hashed\)/)
  })

  it("a ledger whose chain does not hold (an event's hash edited, and the next one's link with it): refused before anything is written (exit 3)", async () => {
    const dir = freshCase()
    const forged = 'ab'.repeat(32)
    sqlite(
      join(dir, '.custody', 'ledger.sqlite'),
      `DROP TRIGGER events_no_update; UPDATE events SET hash = '${forged}' WHERE seq = 2; UPDATE events SET prev_hash = '${forged}' WHERE seq = 3;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only: UPDATE is refused'); END;`,
    )
    const listing = filesUnder(join(dir, '.custody'))
    const result = await run(dir, ['encrypt', '--recipient', hq.recipient])
    expect(result.code, result.stderr).toBe(3)
    expect(result.stderr).toMatch(/event 2 of the ledger does not hash to its stored hash; nothing was converted/)
    expect(filesUnder(join(dir, '.custody'))).toEqual(listing)
  })

  it('--field without a recipient, as init does (exit 2)', async () => {
    const result = await run(freshCase(), ['encrypt', '--field'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/--field needs at least one recipient \(--recipient or --recipients-file\)/)
  })
})

/**
 * A conversion killed by strace (SIGKILL as its main thread enters the `when`th call of `syscall`:
 * strace counts calls a thread): the steps' calls made on the main thread are the renames of the
 * case keys into place, the links of objects to their keyed addresses (after 38 objects, the
 * unlinks of their temp files) and the unlinks of the objects in clear.
 */
async function killedAt(dir: string, syscall: string, when: number, path?: string): Promise<void> {
  const trace = ['-f', '-qq', '-o', '/dev/null', ...(path === undefined ? [] : ['-P', join(dir, path)]), '-e', `trace=${syscall}`, '-e', `inject=${syscall}:signal=SIGKILL:when=${when}`]
  const child = spawn('strace', [...trace, process.execPath, BIN, 'encrypt', '--recipient', hq.recipient, '--case', dir], {stdio: 'ignore', env: caseEnv(dir)})
  const code = await new Promise((resolve) => child.on('close', resolve))
  expect(code).not.toBe(0)
}

describe.runIf(spawnSync('strace', ['-V']).status === 0)('custody encrypt killed (SIGKILL) at each step', () => {
  /** The vault converted, the ledger still in clear (schema 2). */
  const ledgerLeft = (dir: string): void => {
    expect(actions(dir)).toContain('case-encrypted')
    expect(existsSync(join(dir, '.custody', 'vault', 'sha256'))).toBe(false)
  }

  const steps: Array<[string, string, number, (dir: string) => void, string?]> = [
    ['moving the case keys into place', 'rename', 3, (dir) => expect(existsSync(join(dir, '.custody', 'vault', 'objects'))).toBe(false)],
    // strace -P: only the calls on the sealed ledger being built beside the one in clear.
    ['building the sealed ledger beside the one in clear', 'pwrite64', 4, ledgerLeft, '.custody/ledger.sqlite.converting'],
    ['renaming the sealed ledger over the one in clear', 'rename', 1, ledgerLeft, '.custody/ledger.sqlite.converting'],
    ['encrypting the objects', 'link', 20, (dir) => expect(actions(dir)).not.toContain('objects-encrypted')],
    [
      'removing the objects in clear',
      'unlink',
      55,
      (dir) => {
        expect(actions(dir)).toContain('case-encrypted')
        expect(filesUnder(join(dir, '.custody', 'vault', 'sha256')).length).toBeGreaterThan(0)
      },
    ],
  ]

  for (const [step, syscall, when, state, path] of steps) {
    it(`while ${step}: the case verifies, refuses additions, and a second run completes it`, async () => {
      const dir = freshCase()
      await killedAt(dir, syscall, when, path)
      expect(existsSync(join(dir, '.custody', 'encrypting.json'))).toBe(true)
      state(dir)
      const interrupted = await run(dir, ['verify'])
      expect(interrupted.code, interrupted.stdout).toBe(0)
      expect(interrupted.stdout).toContain(`a conversion by \`custody encrypt\` is unfinished (encrypting.json: step `)
      expect(interrupted.stdout).toContain(hq.recipient)
      const ingest = await run(dir, ['ingest', join(SAMPLES, samples[0]!), '--note', 'again'])
      expect(ingest.code).not.toBe(0)
      expect(ingest.stderr).toMatch(/`custody encrypt` of this case was interrupted/)
      // Resumed with other recipients than begun with: refused before the passphrase, nothing done.
      const other = execFileSync('age-keygen', {encoding: 'utf8'}).match(/age1[0-9a-z]+/)![0]
      const refused = await run(dir, ['encrypt', '--recipient', other])
      expect(refused.code).toBe(2)
      expect(refused.stderr).toMatch(/with other recipients/)
      const again = await custodyJson<{status: string; resumed: boolean}>(['encrypt', '--case', dir])
      expect(again.code, again.stderr).toBe(0)
      expect(again.json).toMatchObject({status: 'encrypted', resumed: true})
      expect(existsSync(join(dir, '.custody', 'vault', 'sha256'))).toBe(false)
      expect(readdirSync(join(dir, '.custody', 'vault', 'tmp'))).toEqual([])
      expect(readdirSync(join(dir, '.custody')).filter((f) => f.startsWith('ledger.sqlite.converting'))).toEqual([])
      expect(sqlite(join(dir, '.custody', 'ledger.sqlite'), 'PRAGMA user_version;').trim()).toBe('4')
      const verified = await run(dir, ['verify', '--identity', hq.file])
      expect(verified.code, verified.stdout).toBe(0)
      expect(verified.stdout).not.toMatch(/warning/i)
    }, 120_000)
  }
})

describe('an intent file custody did not write (someone who can write to the case, without the passphrase)', () => {
  const attacker = (): string => execFileSync('age-keygen', {encoding: 'utf8'}).match(/age1[0-9a-z]+/)![0]

  it('put into a case in clear, naming their key as a field case\'s only recipient: refused before anything is written (exit 3)', async () => {
    const dir = freshCase()
    const intent = join(dir, '.custody', 'encrypting.json')
    writeFileSync(intent, `${JSON.stringify({v: 1, step: 'keys', field: true, recipients: [{recipient: attacker()}]})}\n`)
    const listing = filesUnder(join(dir, '.custody'))
    const result = await run(dir, ['encrypt'])
    expect(result.code, result.stderr).toBe(3)
    expect(result.stderr).toMatch(/encrypting\.json, which says whom `custody encrypt` encrypts this case to, is not signed by the case's signing key/)
    expect(filesUnder(join(dir, '.custody'))).toEqual(listing)
    // verify says so too (the case itself holds: exit 0), and what it stops.
    const verified = await run(dir, ['verify'])
    expect(verified.code).toBe(0)
    expect(verified.stdout).toMatch(/is not signed by the case's signing key: custody did not write it .*Until it is removed, nothing can be added to the case/)
    const status = await run(dir, ['status'])
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toMatch(/^Encrypting +.*encrypting\.json, which says whom `custody encrypt` encrypts this case to, is not signed/m)
  })

  it.runIf(spawnSync('strace', ['-V']).status === 0)("edited after a killed run to name their key instead of HQ's: refused, with HQ's given and without (exit 3)", async () => {
    const dir = freshCase()
    await killedAt(dir, 'rename', 3)
    const file = join(dir, '.custody', 'encrypting.json')
    const written = JSON.parse(readFileSync(file, 'utf8')) as {recipients: Array<{recipient: string}>}
    expect(written.recipients.map((r) => r.recipient)).toEqual([hq.recipient])
    writeFileSync(file, JSON.stringify({...written, recipients: [{recipient: attacker()}]}))
    for (const args of [[], ['--recipient', hq.recipient]]) {
      const result = await run(dir, ['encrypt', ...args])
      expect(result.code, result.stderr).toBe(3)
      expect(result.stderr).toMatch(/is not signed by the case's signing key/)
    }

    expect(existsSync(join(dir, '.custody', 'vault', 'objects'))).toBe(false)
  }, 60_000)
})

describe.runIf(spawnSync('strace', ['-V']).status === 0)('a case converted before custody encrypted the ledger', () => {
  it('is added to as before, and `custody encrypt` run again converts its ledger, the events it had kept as written', async () => {
    // What a custody of before this step left: the vault converted, the ledger in clear, no intent file.
    const dir = freshCase()
    await killedAt(dir, 'pwrite64', 4, '.custody/ledger.sqlite.converting')
    execFileSync('rm', ['-f', join(dir, '.custody', 'encrypting.json'), ...readdirSync(join(dir, '.custody')).filter((f) => f.startsWith('ledger.sqlite.converting')).map((f) => join(dir, '.custody', f))])
    expect((await run(dir, ['ingest', join(work.path, 'statement.txt')])).code).toBe(0)
    const before = written(dir)
    const converted = await custodyJson<{status: string; resumed: boolean; objects: number; carried: number}>(['encrypt', '--case', dir])
    expect(converted.code, converted.stderr).toBe(0)
    expect(converted.json.carried).toBe(before.hashes.length)
    expect(converted.json).toMatchObject({status: 'encrypted', resumed: true, objects: filesUnder(join(template, '.custody', 'vault', 'sha256')).length})
    expect(written(dir).hashes.slice(0, before.hashes.length)).toEqual(before.hashes)
    const verified = await run(dir, ['verify', '--identity', hq.file])
    expect(verified.code, verified.stdout).toBe(0)
    expect(verified.stdout).toMatch(/3\/3 exhibits intact|exhibits intact \(original and metadata record re-hashed\)/)
    const again = await custodyJson<{status: string; carried: number}>(['encrypt', '--case', dir])
    expect(again.json).toMatchObject({status: 'already', carried: 0})
  }, 120_000)
})

describe('the progress line of encrypt', () => {
  /** Runs `encrypt` under `script`, a real terminal that records every redraw (tests/e2e/progress.test.ts). */
  function onTerminal(dir: string, extra: string[] = []): string {
    const command = [process.execPath, BIN, 'encrypt', '--case', dir, ...extra].map((a) => JSON.stringify(a)).join(' ')
    const run = spawnSync('script', ['-q', '-e', '-c', command, '/dev/null'], {env: {...caseEnv(dir), COLUMNS: '200'}, encoding: 'utf8', timeout: 120_000})
    expect(run.status, run.stdout).toBe(0)
    return run.stdout
  }

  const frames = (output: string): string[] =>
    output
      .split(/[\r\n]+/)
      .map((frame) => frame.trim())
      .filter((frame) => frame.startsWith('encrypting'))

  it('counts the vault objects on a terminal, from the first checked to no more than there are, then clears itself', () => {
    const total = filesUnder(join(template, '.custody', 'vault', 'sha256')).length
    const output = onTerminal(freshCase())
    const drawn = frames(output)
    // The first call is always drawn (later ones at most every 100 ms): nothing checked yet, of every object.
    expect(drawn[0], output).toBe(`encrypting: checked 0/${total} vault objects`)
    for (const frame of drawn) {
      const [, , done, of] = /^encrypting: (checked|encrypted|removed in clear) (\d+)\/(\d+) vault objects$/.exec(frame) ?? []
      expect(Number(of), frame).toBe(total)
      expect(Number(done), frame).toBeLessThanOrEqual(total)
    }

    // Cleared before the report: the report's line starts a line of its own.
    expect(output).toMatch(/\r\s*\rEncrypted the case: /)
  })

  it('draws nothing with --json on a terminal, nor on stderr when it is not one', async () => {
    const output = onTerminal(freshCase(), ['--json'])
    expect(frames(output)).toEqual([])
    expect(JSON.parse(output.trim()) as {status: string}).toMatchObject({status: 'encrypted'})
    const piped = await run(freshCase(), ['encrypt'])
    expect(piped.code, piped.stderr).toBe(0)
    expect(piped.stderr).toBe('')
    expect(piped.stdout).toMatch(/^Encrypted the case: /)
  })
})
