/**
 * A seal killed at any moment (issue 16, item 9): the case still verifies, no archive is ever at
 * --out without its `seal` event in the ledger, and the next seal or `custody status` removes
 * what the killed one left beside --out. A seal killed after its event was recorded but before its
 * archive was put in place is reported by status, verify and the next seal, and
 * `custody seal --finish` puts it in place.
 *
 * The exact moment between recording and publishing is reached with strace, which kills the real
 * process as it enters link(2), the call that publishes the archive, before the call is made: no
 * switch in custody's code is needed to get there.
 */
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {initCase} from '../../src/case/case.js'
import {BIN, caseEnv, copyCase, custody, custodyJson, loggedEvents, newCase, PASSPHRASE, SAMPLES, tempDir} from '../helpers/cli.js'
import {schemaErrors} from '../helpers/json-schemas.js'

const work = tempDir('custody-seal-crash-')
let kase: {dir: string; remove: () => void}

interface UnpublishedSeal {
  sealId: string
  seq: number
  archive: string
  partial: string | null
}

interface SealsStatus {
  seals: {interrupted: Array<{pid: number; archive: string; files: string[]; reason: string}>; unpublished: UnpublishedSeal[]; unchecked: Array<{sealId: string; archive: string; partial: string | null}>; running: unknown[]; unreadable: Array<{file: string; problem: string}>; tempFiles: string[]}
}

const sha256Of = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The SHA-256 of every archive the ledger records a seal of (custody log --json: whatever the ledger's schema). */
function recordedArchives(caseDir: string): string[] {
  return loggedEvents(caseDir, ['seal']).map((e) => String(e.payload.archive.sha256))
}

/** The scratch and temporary files of seals to `name` left in `folder`. */
function partials(folder: string, name: string): string[] {
  return readdirSync(folder).filter((f) => f.startsWith(`.${name}.`) && f.includes('partial'))
}

/**
 * Runs `custody seal` under strace, which sends `signal` to it as it enters the system call
 * `syscall` (on `path` only, when given): SIGKILL there kills it before the call is made. `error`
 * makes the call fail with that errno instead.
 */
async function sealUnderStrace(
  caseDir: string,
  out: string,
  inject: {syscall: string; signal?: string; error?: string; path?: string},
): Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string}> {
  const action = [inject.signal === undefined ? '' : `:signal=${inject.signal}`, inject.error === undefined ? '' : `:error=${inject.error}`].join('')
  const trace = [...(inject.path === undefined ? ['--seccomp-bpf'] : ['-P', inject.path]), '-e', `trace=${inject.syscall}`, '-e', `inject=${inject.syscall}${action}`]
  const strace = spawn('strace', ['-f', '-qq', '-o', '/dev/null', ...trace, process.execPath, BIN, 'seal', '--out', out, '--case', caseDir], {stdio: ['ignore', 'ignore', 'pipe'], env: caseEnv(caseDir)})
  let stderr = ''
  strace.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => strace.on('close', (c, s) => resolve([c, s])))
  return {code, signal, stderr}
}

/** `custody seal` started as a child process, and its exit code once it ends. */
function spawnSeal(caseDir: string, out: string): {child: ChildProcess; exited: Promise<number | null>} {
  const child = spawn(process.execPath, [BIN, 'seal', '--out', out, '--case', caseDir], {stdio: 'ignore', env: caseEnv(caseDir)})
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return {child, exited}
}

/** Waits until a seal to `name` has a scratch file in `folder` (or has ended); gives the ms taken. */
async function untilWriting(folder: string, name: string, exited: Promise<unknown>): Promise<number> {
  const started = Date.now()
  let ended = false
  void exited.then(() => (ended = true))
  while (!ended && partials(folder, name).length === 0) await sleep(5)
  return Date.now() - started
}

beforeAll(async () => {
  kase = await newCase()
  // Enough bytes that a seal takes a second or two, so that kills land all over it.
  const clips = join(work.path, 'clips')
  mkdirSync(clips)
  for (let i = 0; i < 60; i++) writeFileSync(join(clips, `clip-${i}.mp4`), randomBytes(2 * 1024 * 1024))
  const ingest = await custody(['ingest', clips, '-r', '--case', kase.dir])
  expect(ingest.code, ingest.stderr).toBe(0)
})

afterAll(() => {
  kase.remove()
  work.remove()
})

describe('custody seal killed at any moment', () => {
  it('never leaves an unrecorded archive, always verifies, and leaves nothing once the next seal or status has run (24+ SIGKILLs)', async () => {
    const caseDir = join(work.path, 'trials-case')
    copyCase(kase.dir, caseDir)
    const outDir = join(work.path, 'trials')
    mkdirSync(outDir)
    // The seal event is in a sealed body: a note a kill left in `recording` is sorted out by status
    // with the passphrase (with none it cannot tell whether the seal was recorded, and keeps the
    // archive: tested below). The next seal has the passphrase anyway.
    const passphraseFile = join(work.path, 'trials-passphrase.txt')
    writeFileSync(passphraseFile, `${PASSPHRASE}\n`, {mode: 0o600})
    // How long a seal takes here to write its first scratch file, and to end: the kills are spread
    // over both phases, each timed from its own start (a kill timed from the spawn alone lands
    // mostly in Node's start and the key's scrypt on one machine, mostly after the end on another).
    const reference = spawnSeal(caseDir, join(outDir, 'reference.zip'))
    const firstFile = await untilWriting(outDir, 'reference.zip', reference.exited)
    const started = Date.now()
    expect(await reference.exited).toBe(0)
    const writing = Date.now() - started
    rmSync(join(outDir, 'reference.zip'))

    /**
     * One seal killed `delay` ms after it started (phase 'starting') or after its first scratch
     * file appeared ('writing'), the checks, and where in the seal the kill landed.
     */
    const trial = async (i: number, phase: 'starting' | 'writing', delay: number): Promise<string> => {
      const name = `trial-${i}.zip`
      const out = join(outDir, name)
      const seal = spawnSeal(caseDir, out)
      if (phase === 'writing') await untilWriting(outDir, name, seal.exited)
      await sleep(delay)
      seal.child.kill('SIGKILL')
      await seal.exited

      // Never an archive at --out that the ledger does not record.
      const published = existsSync(out)
      if (published) expect(recordedArchives(caseDir), `trial ${i}: ${out} is not recorded`).toContain(sha256Of(out))
      const leftBehind = partials(outDir, name).length
      const verify = await custodyJson<{ok: boolean; problems: unknown[]}>(['verify', '--case', caseDir])
      expect(verify.code, `trial ${i}: ${JSON.stringify(verify.json.problems)}`).toBe(0)

      // The next command that tidies: status, or another seal.
      let unpublished: UnpublishedSeal[]
      if (i % 2 === 0) {
        const status = await custodyJson<Partial<SealsStatus>>(['status', '--case', caseDir, '--passphrase-file', passphraseFile])
        expect(status.code).toBe(0)
        // (Read loosely, so that against a custody without seal notes the test fails on what is left.)
        unpublished = status.json.seals?.unpublished ?? []
      } else {
        const next = join(outDir, `next-${i}.zip`)
        const sealed = await custodyJson<{leftovers?: SealsStatus['seals']}>(['seal', '--out', next, '--case', caseDir])
        expect(sealed.code, sealed.stderr).toBe(0)
        unpublished = sealed.json.leftovers?.unpublished ?? []
        rmSync(next)
      }

      // A seal recorded but not yet published keeps its complete archive until --finish.
      for (const seal of unpublished) {
        expect(seal.archive).toBe(out)
        const finished = await custody(['seal', '--finish', seal.sealId, '--case', caseDir])
        expect(finished.code, finished.stderr).toBe(0)
        expect(recordedArchives(caseDir)).toContain(sha256Of(out))
      }

      expect(partials(outDir, name), `trial ${i}`).toEqual([])
      expect(readdirSync(outDir).filter((f) => f.startsWith('.')), `trial ${i}`).toEqual([])
      rmSync(out, {force: true})
      if (unpublished.length > 0) return 'recorded, not published'
      if (published) return 'published'
      return leftBehind > 0 ? 'writing' : 'starting'
    }

    // Eight kills spread over the start (to the first scratch file), sixteen over the writing and a
    // little after it (a loaded machine is slower than the reference run), each at a random point
    // in its slice.
    const outcomes: string[] = []
    for (let i = 0; i < 8; i++) outcomes.push(await trial(i, 'starting', (firstFile * (i + Math.random())) / 8))
    const window = 1.3 * writing
    for (let i = 0; i < 16; i++) outcomes.push(await trial(8 + i, 'writing', (window * (i + Math.random())) / 16))
    // Until one seal is killed only after it has ended, later and later: the whole seal is covered.
    for (let extra = 1; extra <= 8 && !outcomes.includes('published'); extra++) outcomes.push(await trial(24 + extra, 'writing', window * (1 + extra / 4)))

    // Kills after the first scratch file land while the seal writes, or after it has ended.
    expect(outcomes.filter((o) => o === 'writing').length, outcomes.join(', ')).toBeGreaterThanOrEqual(3)
    expect(outcomes, outcomes.join(', ')).toContain('published')
    expect(readdirSync(join(caseDir, '.custody', 'seals'))).toEqual([])
  }, 1_500_000)
})

describe('a seal killed after its event is recorded, before its archive is published', () => {
  let caseDir: string
  let outDir: string
  let out: string
  let sealId: string
  // The seal event is in a sealed body: status and verify sort the note out with the passphrase
  // (with no key they call it unchecked: the last describe below).
  const passphraseFile = join(work.path, 'unpublished-passphrase.txt')
  const withKey = ['--passphrase-file', passphraseFile]

  beforeAll(async () => {
    writeFileSync(passphraseFile, `${PASSPHRASE}\n`, {mode: 0o600})
    caseDir = join(work.path, 'unpublished-case')
    copyCase(kase.dir, caseDir)
    outDir = join(work.path, 'unpublished')
    mkdirSync(outDir)
    out = join(outDir, 'for-court.zip')
    const before = recordedArchives(caseDir).length
    // Killed as it enters link(2), the call that would put the archive at --out.
    const run = await sealUnderStrace(caseDir, out, {syscall: 'link,linkat', signal: 'SIGKILL'})
    // strace ends as the process it ran did: killed.
    expect(run.signal).toBe('SIGKILL')
    // The seal event is in the ledger already, the archive not at --out.
    expect(recordedArchives(caseDir)).toHaveLength(before + 1)
    expect(existsSync(out)).toBe(false)
    sealId = String(loggedEvents(caseDir, ['seal']).at(-1)?.payload.sealId)
    expect(sealId).toMatch(/^SEAL-[0-9a-f]{16}$/)
  })

  it('is reported by verify as a warning naming the seal, its event and --out, with what to run', async () => {
    const verify = await custodyJson<{ok: boolean; warnings: string[]}>(['verify', '--case', caseDir, ...withKey])
    expect(verify.code).toBe(0)
    const warning = verify.json.warnings.find((w) => w.includes(sealId))
    expect(warning, verify.json.warnings.join('\n')).toBeDefined()
    expect(warning).toContain(out)
    expect(warning).toContain(`custody seal --finish ${sealId}`)
  })

  it('is reported by status and by the next seal, which keep its complete archive and remove the other scratch files', async () => {
    const status = await custodyJson<SealsStatus>(['status', '--case', caseDir, ...withKey])
    expect(status.code).toBe(0)
    expect(status.json.seals.unpublished).toHaveLength(1)
    const [seal] = status.json.seals.unpublished
    expect(seal).toMatchObject({sealId, archive: out})
    expect(seal!.partial).toMatch(/\/\.for-court\.zip\.\d+-[0-9a-f]{8}\.partial$/)
    // Only the complete archive is kept: the manifests, statement, tree and directory are gone.
    expect(partials(outDir, 'for-court.zip')).toEqual([seal!.partial!.split('/').at(-1)])
    const text = await custody(['status', '--case', caseDir, ...withKey])
    expect(text.stdout).toContain(sealId)
    expect(text.stdout).toContain(`custody seal --finish ${sealId}`)

    const next = await custodyJson<{leftovers: SealsStatus['seals']}>(['seal', '--out', join(outDir, 'other.zip'), '--case', caseDir])
    expect(next.code, next.stderr).toBe(0)
    expect(next.json.leftovers.unpublished.map((s) => s.sealId)).toEqual([sealId])
    expect(partials(outDir, 'for-court.zip')).toHaveLength(1)
  })

  it('refuses to publish a partial archive that no longer has the recorded SHA-256', async () => {
    const copy = join(work.path, 'tampered-case')
    copyCase(caseDir, copy)
    const status = await custodyJson<SealsStatus>(['status', '--case', copy, ...withKey])
    const partial = status.json.seals.unpublished[0]!.partial!
    // The copy's seal record names the same partial file: work on a copy of that file too.
    const saved = readFileSync(partial)
    try {
      const bytes = Buffer.from(saved)
      bytes[100]! ^= 0x01
      writeFileSync(partial, bytes)
      const finish = await custodyJson<{error: {message: string}}>(['seal', '--finish', sealId, '--case', copy])
      expect(finish.code).toBe(1)
      expect(finish.json.error.message).toContain('does not have the SHA-256 the ledger recorded')
      expect(existsSync(out)).toBe(false)
      expect((await custodyJson<SealsStatus>(['status', '--case', copy, ...withKey])).json.seals.unpublished).toEqual([])
    } finally {
      writeFileSync(partial, saved, {mode: 0o600})
    }
  })

  it('is published by custody seal --finish: the archive the ledger recorded, nothing left beside it', async () => {
    const recorded = recordedArchives(caseDir)
    const finish = await custodyJson<{sealId: string; archive: string; sha256: string; status: string}>(['seal', '--finish', sealId, '--case', caseDir])
    expect(finish.code, finish.stderr).toBe(0)
    expect(finish.json).toMatchObject({sealId, archive: out, status: 'published'})
    expect(recorded).toContain(sha256Of(out))
    expect(finish.json.sha256).toBe(sha256Of(out))
    expect((statSync(out).mode & 0o777).toString(8)).toBe('600')
    expect(partials(outDir, 'for-court.zip')).toEqual([])
    expect((await custodyJson<SealsStatus>(['status', '--case', caseDir, ...withKey])).json.seals.unpublished).toEqual([])
    const verify = await custodyJson<{warnings: string[]}>(['verify', '--case', caseDir, ...withKey])
    expect(verify.json.warnings.filter((w) => w.includes(sealId))).toEqual([])
    const archive = await custodyJson<{ok: boolean}>(['verify', out])
    expect(archive.json.ok).toBe(true)
    const again = await custodyJson<{error: {message: string}}>(['seal', '--finish', sealId, '--case', caseDir])
    expect(again.code).toBe(2)
    expect(again.json.error.message).toContain('no unpublished seal')
  })
})

describe('Ctrl-C, a failing disk, and seal notes', () => {
  it('Ctrl-C, again and again, while the seal event is being recorded finishes the seal', async () => {
    const caseDir = join(work.path, 'ctrl-c-case')
    copyCase(kase.dir, caseDir)
    const out = join(work.path, 'ctrl-c.zip')
    // A SIGINT at every write of the ledger's WAL: all while the seal is appended.
    const run = await sealUnderStrace(caseDir, out, {syscall: 'pwrite64', signal: 'SIGINT', path: join(caseDir, '.custody', 'ledger.sqlite-wal')})
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr.match(/Finishing: the seal is being recorded/g)).toHaveLength(1)
    expect(recordedArchives(caseDir)).toContain(sha256Of(out))
    expect(readdirSync(join(caseDir, '.custody', 'seals'))).toEqual([])
    expect(readdirSync(work.path).filter((f) => f.startsWith('.ctrl-c.zip'))).toEqual([])
  })

  it('keeps a recorded archive that cannot be put at --out, says how to finish it, and --finish does', async () => {
    const caseDir = join(work.path, 'eio-case')
    copyCase(kase.dir, caseDir)
    const out = join(work.path, 'eio.zip')
    // The disk refuses the link that publishes the archive.
    const run = await sealUnderStrace(caseDir, out, {syscall: 'link,linkat', error: 'EIO'})
    expect(run.code).toBe(1)
    const sealId = /seal (SEAL-[0-9a-f]{16}) is recorded/.exec(run.stderr)?.[1]
    expect(sealId, run.stderr).toBeDefined()
    expect(run.stderr).toContain(`run \`custody seal --finish ${sealId}\``)
    expect(existsSync(out)).toBe(false)
    expect(partials(work.path, 'eio.zip')).toHaveLength(1)
    const finished = await custodyJson<{status: string; sha256: string}>(['seal', '--finish', sealId!, '--case', caseDir])
    expect(finished.code, finished.stderr).toBe(0)
    expect(recordedArchives(caseDir)).toContain(sha256Of(out))
    expect(partials(work.path, 'eio.zip')).toEqual([])
  })

  it('removes only the files a seal record may name, and leaves the files of a running seal', async () => {
    const caseDir = join(work.path, 'hostile-case')
    copyCase(kase.dir, caseDir)
    const seals = join(caseDir, '.custody', 'seals')
    mkdirSync(seals, {recursive: true, mode: 0o700})
    const victims = join(work.path, 'victims')
    mkdirSync(victims)
    const precious = join(victims, 'precious.txt')
    writeFileSync(precious, 'not a scratch file\n')
    // A record naming a file that is no seal's scratch file, for a process that does not run.
    const record = (pid: number, token: string, fields: Record<string, unknown>): void =>
      writeFileSync(
        join(seals, `${pid}-${token}.json`),
        JSON.stringify({type: 'custody-seal-intent', version: 1, pid, processStart: null, out: join(victims, 'x.zip'), partial: join(victims, `.x.zip.${pid}-${token}.partial`), startedAt: new Date().toISOString(), state: 'writing', ...fields}),
      )
    record(999_999, 'deadbeef', {partial: precious})
    // A running seal (this test's own process) and the same pid with another start time (reused).
    const ownStart = readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]!
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    const running = join(victims, `.x.zip.${process.pid}-0000aaaa.partial`)
    const reused = join(victims, `.x.zip.${process.pid}-0000bbbb.partial`)
    writeFileSync(running, 'partial of a live seal')
    writeFileSync(reused, 'partial of a dead seal whose pid was given to another process')
    record(process.pid, '0000aaaa', {processStart: `${bootId} ${ownStart}`})
    record(process.pid, '0000bbbb', {processStart: `${bootId} 1`})
    // head.json's temp files: one of a process that has ended, one of a running one.
    const ended = Number(spawnSync('sh', ['-c', 'echo $$'], {encoding: 'utf8'}).stdout.trim())
    const deadTemp = join(caseDir, '.custody', `.head.json.${ended}.0a0a0a0a.tmp`)
    const liveTemp = join(caseDir, '.custody', `.head.json.${process.pid}.0b0b0b0b.tmp`)
    writeFileSync(deadTemp, '{')
    writeFileSync(liveTemp, '{')

    const verify = await custodyJson<{warnings: string[]}>(['verify', '--case', caseDir])
    expect(verify.code).toBe(0)
    expect(verify.json.warnings).toContain(`the temp file ${deadTemp} was left by a command that was killed; \`custody status\` removes it`)
    expect(verify.json.warnings.filter((w) => w.includes('999999-deadbeef.json names a temporary file other than')), verify.json.warnings.join('\n')).toHaveLength(1)

    const status = await custodyJson<SealsStatus>(['status', '--case', caseDir])
    expect(status.code).toBe(0)
    expect(existsSync(precious)).toBe(true)
    expect(status.json.seals.unreadable.map((u) => u.file)).toEqual([join(seals, '999999-deadbeef.json')])
    expect(existsSync(running)).toBe(true)
    expect(status.json.seals.running).toHaveLength(1)
    expect(existsSync(reused)).toBe(false)
    expect(status.json.seals.interrupted.map((c) => c.files)).toEqual([[reused]])
    expect(readdirSync(seals).sort()).toEqual([`${process.pid}-0000aaaa.json`, '999999-deadbeef.json'])
    expect(status.json.seals.tempFiles).toEqual([deadTemp])
    expect([existsSync(deadTemp), existsSync(liveTemp)]).toEqual([false, true])
  })
})

describe('a seal killed between recording and publishing, in a case whose ledger keeps its event bodies encrypted', () => {
  /** The environment of a run given no passphrase (the tests' own is in CUSTODY_PASSPHRASE). */
  const NO_PASSPHRASE = {CUSTODY_PASSPHRASE: undefined}
  const caseDir = join(work.path, 'sealed-ledger-case')
  const outDir = join(work.path, 'sealed-ledger-out')
  const out = join(outDir, 'for-court.zip')
  const passphraseFile = join(work.path, 'sealed-ledger-passphrase.txt')
  let sealId: string

  beforeAll(async () => {
    await initCase({dir: caseDir, title: 'Operation Sunflower', investigator: 'A. Investigator', passphrase: PASSPHRASE, sealedBodies: true})
    const ingested = await custody(['ingest', join(SAMPLES, 'Canon.jpg'), join(SAMPLES, 'GPS.jpg'), '--case', caseDir])
    expect(ingested.code, ingested.stderr).toBe(0)
    writeFileSync(passphraseFile, `${PASSPHRASE}\n`, {mode: 0o600})
    mkdirSync(outDir)
    const run = await sealUnderStrace(caseDir, out, {syscall: 'link,linkat', signal: 'SIGKILL'})
    expect(run.signal).toBe('SIGKILL')
    expect(existsSync(out)).toBe(false)
    sealId = String(loggedEvents(caseDir, ['seal']).at(-1)?.payload.sealId)
    expect(sealId).toMatch(/^SEAL-[0-9a-f]{16}$/)
  }, 120_000)

  it('with no key, verify and status say it cannot be told whether it was recorded, and keep its archive', async () => {
    const verify = await custodyJson<{warnings: string[]}>(['verify', '--case', caseDir], {env: NO_PASSPHRASE})
    expect(verify.code).toBe(0)
    const warning = verify.json.warnings.find((w) => w.includes(sealId))
    expect(warning, verify.json.warnings.join('\n')).toContain("the ledger's encrypted event bodies")
    expect(warning).toContain('custody status')

    const status = await custodyJson<SealsStatus>(['status', '--case', caseDir], {env: NO_PASSPHRASE})
    expect(status.code, status.stderr).toBe(0)
    expect(schemaErrors('status.schema.json', status.json)).toEqual([])
    expect(status.json.seals.unpublished).toEqual([])
    expect(status.json.seals.unchecked).toEqual([{sealId, archive: out, partial: expect.stringMatching(/\/\.for-court\.zip\.\d+-[0-9a-f]{8}\.partial$/) as string}])
    // Nothing of it was removed: the complete archive, its scratch files and its note are all there.
    expect(existsSync(status.json.seals.unchecked[0]!.partial!)).toBe(true)
    expect(partials(outDir, 'for-court.zip').length).toBeGreaterThan(1)
    expect(readdirSync(join(caseDir, '.custody', 'seals'))).toHaveLength(1)
  }, 60_000)

  it('status with the passphrase sorts it out: recorded, unpublished; seal --finish needs the passphrase too, and publishes the archive the ledger recorded', async () => {
    const status = await custodyJson<SealsStatus>(['status', '--case', caseDir, '--passphrase-file', passphraseFile], {env: NO_PASSPHRASE})
    expect(status.code, status.stderr).toBe(0)
    expect(status.json.seals.unchecked).toEqual([])
    expect(status.json.seals.unpublished.map((s) => s.sealId)).toEqual([sealId])
    expect(partials(outDir, 'for-court.zip')).toHaveLength(1)

    const locked = await custody(['seal', '--finish', sealId, '--case', caseDir], {env: NO_PASSPHRASE})
    expect(locked.code).toBe(2)
    expect(existsSync(out)).toBe(false)
    const finish = await custodyJson<{status: string; sha256: string}>(['seal', '--finish', sealId, '--case', caseDir, '--passphrase-file', passphraseFile], {env: NO_PASSPHRASE})
    expect(finish.code, finish.stderr).toBe(0)
    expect(finish.json.status).toBe('published')
    expect(finish.json.sha256).toBe(sha256Of(out))
    expect(recordedArchives(caseDir)).toContain(sha256Of(out))
    const verify = await custodyJson<{warnings: string[]}>(['verify', '--case', caseDir], {env: NO_PASSPHRASE})
    expect(verify.json.warnings.filter((w) => w.includes(sealId))).toEqual([])
  }, 60_000)
})
