/**
 * The built CLI end to end: init, ingest, log, show, verify, case discovery, --json and exit codes;
 * help from the manifest made at build, a mistyped command, and shell completion.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {pathToFileURL} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custody, custodyJson, newCase, PASSPHRASE, ROOT, SAMPLES, tempDir, vaultObject} from '../helpers/cli.js'
import {checker} from '../helpers/tools.js'
import {Terminal} from '../helpers/terminal.js'

const sha256File = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')
const SAMPLE_FILES = readdirSync(SAMPLES)
  .filter((f) => f !== 'expected-tags.json')
  .sort()

interface IngestJson {
  results: Array<{path: string; status: string; exhibit?: string; sha256?: string; error?: {code: string; message: string}}>
  counts: {ingested: number; alreadyPresent: number; failed: number; skipped: number}
}

describe('custody init', () => {
  it('makes a case and refuses to make it twice, changing nothing', async () => {
    const tmp = tempDir()
    try {
      const dir = join(tmp.path, 'crimea')
      const made = await custodyJson<{root: string; case: {prefix: string; title: string; caseId: string}}>([
        'init',
        dir,
        '--title',
        'Crimea 2024',
        '--investigator',
        'A. Petrenko',
        '--prefix',
        'CR24',
      ])
      expect(made.code).toBe(0)
      expect(made.json.case).toMatchObject({prefix: 'CR24', title: 'Crimea 2024'})
      expect(readdirSync(join(dir, '.custody')).sort()).toEqual(['head.json', 'keys', 'ledger.sqlite', 'recipients.txt', 'vault'])
      const ledgerBefore = sha256File(join(dir, '.custody', 'ledger.sqlite'))

      const again = await custody(['init', dir, '--title', 'Other', '--investigator', 'B'])
      expect(again.code).toBe(2)
      expect(again.stderr).toContain('already holds a custody case')
      expect(sha256File(join(dir, '.custody', 'ledger.sqlite'))).toBe(ledgerBefore)
      expect(readdirSync(dir)).toEqual(['.custody'])

      const againJson = await custodyJson<{error: {code: string}}>(['init', dir, '--title', 'Other', '--investigator', 'B'])
      expect(againJson.code).toBe(2)
      expect(againJson.json.error.code).toBe('CASE_EXISTS')
    } finally {
      tmp.remove()
    }
  })

  it('exits 2 on wrong usage, in both output modes', async () => {
    const tmp = tempDir()
    try {
      const noTitle = await custody(['init', tmp.path, '--investigator', 'A'])
      expect(noTitle.code).toBe(2)
      expect(noTitle.stderr).toMatch(/title/)
      const badPrefix = await custodyJson<{error: {message: string}}>(['init', tmp.path, '--title', 'T', '--investigator', 'A', '--prefix', 'ex-1'])
      expect(badPrefix.code).toBe(2)
      expect(badPrefix.json.error.message).toMatch(/--prefix/)
      const unknownFlag = await custodyJson(['init', tmp.path, '--title', 'T', '--investigator', 'A', '--colour', 'red'])
      expect(unknownFlag.code).toBe(2)
      expect(readdirSync(tmp.path)).toEqual([])
    } finally {
      tmp.remove()
    }
  })
})

describe('a case with the camera samples', () => {
  let kase: {dir: string; remove: () => void}
  let first: IngestJson

  beforeAll(async () => {
    kase = await newCase()
    const result = await custodyJson<IngestJson>(
      ['ingest', ...SAMPLE_FILES.map((f) => join(SAMPLES, f)), '--collected-at', '2024-03-01T14:05:00+02:00', '--location', 'Simferopol'],
      {cwd: kase.dir},
    )
    expect(result.code, result.stderr).toBe(0)
    first = result.json
  })

  afterAll(() => kase.remove())

  it('gives every file an exhibit, numbered in the order given', () => {
    expect(first.counts).toEqual({ingested: SAMPLE_FILES.length, alreadyPresent: 0, failed: 0, skipped: 0})
    expect(first.results.map((r) => r.exhibit)).toEqual(SAMPLE_FILES.map((_, i) => `EX-${String(i + 1).padStart(6, '0')}`))
    for (const [i, f] of SAMPLE_FILES.entries()) expect(first.results[i]!.sha256).toBe(sha256File(join(SAMPLES, f)))
  })

  it('keeps each original, byte for byte, read-only, encrypted to the case (its age file opens with the case identity)', () => {
    const identity = join(kase.dir, 'case-identity.txt')
    // The case identity, opened with the passphrase as the age tool would (custody's own reader here: age asks at a terminal).
    writeFileSync(identity, spawnSync(process.execPath, ['--input-type=module', '-e', `import {decryptWithPassphrase} from ${JSON.stringify(join(ROOT, 'dist', 'src', 'age', 'decrypt.js'))}; import {readFileSync} from 'node:fs'; process.stdout.write(await decryptWithPassphrase(readFileSync(${JSON.stringify(join(kase.dir, '.custody', 'keys', 'case-identity.age'))}), ${JSON.stringify(PASSPHRASE)}, {object: 'case-identity.age'}))`], {encoding: 'utf8'}).stdout, {mode: 0o600})
    for (const f of SAMPLE_FILES) {
      const digest = sha256File(join(SAMPLES, f))
      const stored = vaultObject(kase.dir, digest)
      expect(statSync(stored).mode & 0o777).toBe(0o400)
      const age = checker('age')
      if (age === undefined) continue
      expect(createHash('sha256').update(execFileSync(age, ['-d', '-i', identity, stored], {maxBuffer: 1 << 28})).digest('hex')).toBe(digest)
    }
  })

  it('shows an exhibit with its digests, normalised metadata, vault path and events', async () => {
    const gps = first.results.find((r) => r.path.endsWith('Ricoh2.jpg'))!
    const shown = await custodyJson<{
      digests: {sha256: string; sha512: string}
      metadata: {normalised: {gps: {latitude: number; longitude: number; altitude: number}; device: {make: string; model: string}; captureTime: {local: string; offset: null}}}
      vault: {path: string}
      collected: Record<string, unknown>
      events: Array<{action: string}>
    }>(['show', gps.exhibit!], {cwd: kase.dir})
    expect(shown.code).toBe(0)
    const m = shown.json.metadata.normalised
    expect(m.gps.latitude).toBeCloseTo(42.034575, 6)
    expect(m.gps.longitude).toBeCloseTo(-0.507502777777778, 9)
    expect(m.gps.altitude).toBe(117)
    expect(m.device).toMatchObject({make: 'RICOH', model: 'Caplio Pro G3'})
    expect(m.captureTime).toMatchObject({local: '2006-05-26T11:48:48', offset: null})
    expect(shown.json.digests.sha512).toBe(createHash('sha512').update(readFileSync(join(SAMPLES, 'Ricoh2.jpg'))).digest('hex'))
    expect(shown.json.collected).toMatchObject({at: '2024-03-01T14:05:00+02:00', offset: '+02:00', location: 'Simferopol'})
    expect(shown.json.events.map((e) => e.action)).toEqual(['ingest'])

    const text = await custody(['show', gps.exhibit!.replace(/^EX-0+/, '')], {cwd: kase.dir})
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('42.034575, -0.507502777777778, altitude 117 m')
    expect(text.stdout).toContain('(no time-zone offset in the file)')
    const flir = await custody(['show', first.results.find((r) => r.path.endsWith('FLIR.jpg'))!.exhibit!], {cwd: kase.dir})
    expect(flir.stdout).toContain('2012-02-11T14:17:08.253+01:00  = 2012-02-11T13:17:08.253Z')
  })

  it('records a file presented again without a second exhibit', async () => {
    const again = await custodyJson<IngestJson>(['ingest', join(SAMPLES, 'GPS.jpg')], {cwd: kase.dir})
    expect(again.code).toBe(0)
    const gpsExhibit = first.results.find((r) => r.path.endsWith('GPS.jpg'))!.exhibit
    expect(again.json.results[0]).toMatchObject({status: 'already-present', exhibit: gpsExhibit})
    const log = await custodyJson<{events: Array<{action: string; exhibit: string}>}>(['log', gpsExhibit!], {cwd: kase.dir})
    expect(log.json.events.map((e) => e.action)).toEqual(['ingest', 'presented-again'])
    const text = await custody(['ingest', join(SAMPLES, 'GPS.jpg')], {cwd: kase.dir})
    expect(text.stdout).toContain(`already in the case as ${gpsExhibit}`)
  })

  it('prints the log oldest first, and every event whole with --json', async () => {
    const log = await custodyJson<{events: Array<{seq: number; action: string; hash: string; prev: string}>}>(['log'], {cwd: kase.dir})
    expect(log.code).toBe(0)
    expect(log.json.events[0]!.action).toBe('create-case')
    expect(log.json.events.map((e) => e.seq)).toEqual(log.json.events.map((_, i) => i))
    for (let i = 1; i < log.json.events.length; i++) expect(log.json.events[i]!.prev).toBe(log.json.events[i - 1]!.hash)
    const text = await custody(['log'], {cwd: kase.dir})
    expect(text.stdout.split('\n')[0]).toMatch(/^#0 .* create-case .*A\. Investigator/)
  })

  it('verifies the intact case with exit 0', async () => {
    const verified = await custodyJson<{ok: boolean; exhibits: {total: number; intact: number; contentUnchecked: number; purged: number}; ledger: {treeHead: string}}>(['verify'], {cwd: kase.dir})
    expect(verified.code).toBe(0)
    expect(verified.json.ok).toBe(true)
    // Without a key, an encrypted vault's originals and metadata records are checked as stored: their content is not.
    expect(verified.json.exhibits).toEqual({total: SAMPLE_FILES.length, intact: SAMPLE_FILES.length, contentUnchecked: 2 * SAMPLE_FILES.length, purged: 0})
    expect(verified.json.ledger.treeHead).toMatch(/^[0-9a-f]{64}$/)
    const text = await custody(['verify'], {cwd: kase.dir})
    expect(text.stdout).toContain('Case intact')
  })

  it('names an unknown exhibit with exit 2', async () => {
    const missing = await custodyJson<{error: {code: string; message: string}}>(['show', 'EX-999999'], {cwd: kase.dir})
    expect(missing.code).toBe(2)
    expect(missing.json.error.code).toBe('EXHIBIT_NOT_FOUND')
    const wrongPrefix = await custody(['log', 'ZZ-000001'], {cwd: kase.dir})
    expect(wrongPrefix.code).toBe(2)
    expect(wrongPrefix.stderr).toContain('not an exhibit ID of this case')
  })
})

describe('finding the case', () => {
  it('uses --case, then CUSTODY_CASE, then the folders above the working directory', async () => {
    const kase = await newCase('FIND')
    const elsewhere = tempDir()
    try {
      const deep = join(kase.dir, 'photos', 'day1')
      mkdirSync(deep, {recursive: true})
      const byWalk = await custodyJson<{events: unknown[]}>(['log'], {cwd: deep})
      expect(byWalk.code).toBe(0)
      const byFlag = await custodyJson<{events: unknown[]}>(['log', '--case', kase.dir], {cwd: elsewhere.path})
      expect(byFlag.code).toBe(0)
      const byEnv = await custodyJson<{events: unknown[]}>(['log'], {cwd: elsewhere.path, env: {CUSTODY_CASE: kase.dir}})
      expect(byEnv.code).toBe(0)

      const none = await custody(['log'], {cwd: elsewhere.path})
      expect(none.code).toBe(2)
      expect(none.stderr).toMatch(/no custody case in .* run `custody init`/)
      const badEnv = await custodyJson<{error: {code: string; message: string}}>(['verify'], {cwd: elsewhere.path, env: {CUSTODY_CASE: elsewhere.path}})
      expect(badEnv.code).toBe(2)
      expect(badEnv.json.error.message).toContain('CUSTODY_CASE')
    } finally {
      kase.remove()
      elsewhere.remove()
    }
  })
  it('tells someone holding an archive and no case that `custody verify ARCHIVE` is the command for it', async () => {
    const kase = await newCase('ARCH')
    const lawyer = tempDir()
    try {
      expect((await custody(['ingest', join(SAMPLES, 'Canon.jpg'), '--case', kase.dir])).code).toBe(0)
      const sealed = await custody(['seal', '--out', join(lawyer.path, 'received.zip'), '--case', kase.dir])
      expect(sealed.code, sealed.stderr).toBe(0)
      // Nothing names an archive: the plain message, with no guess.
      const status = await custody(['status'], {cwd: lawyer.path})
      expect(status.code).toBe(2)
      expect(status.stderr).not.toContain('custody verify')
      for (const command of [['log'], ['show']]) {
        const text = await custody([...command, 'received.zip'], {cwd: lawyer.path})
        expect(text.code).toBe(2)
        expect(text.stderr).toContain(`\`custody ${command[0]}\` works on a case, and there is none here`)
        expect(text.stderr).toContain('`custody verify received.zip` checks it')
        const json = await custodyJson<{error: {code: string; subject: string}}>([...command, 'received.zip', '--json'], {cwd: lawyer.path})
        expect(json.code).toBe(2)
        expect(json.json.error).toMatchObject({code: 'CASE_NOT_FOUND', subject: 'received.zip'})
      }

      // The command it names works there, on that archive.
      expect((await custody(['verify', 'received.zip'], {cwd: lawyer.path})).code).toBe(0)

      // The same for the bag folder unzipped from it (a folder holding bagit.txt).
      expect(spawnSync('unzip', ['-q', 'received.zip', '-d', 'unzipped'], {cwd: lawyer.path}).status).toBe(0)
      const folder = join('unzipped', readdirSync(join(lawyer.path, 'unzipped'))[0]!)
      const text = await custody(['show', folder], {cwd: lawyer.path})
      expect(text.code).toBe(2)
      expect(text.stderr).toContain(`${folder} is a bag folder (a sealed archive unzipped): \`custody verify ${folder}\` checks it`)
      expect((await custody(['verify', folder], {cwd: lawyer.path})).code).toBe(0)
    } finally {
      kase.remove()
      lawyer.remove()
    }
  })
})

describe('help', () => {
  it('documents every command with examples', async () => {
    for (const command of ['init', 'ingest', 'log', 'show', 'verify']) {
      const help = await custody([command, '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout).toContain('EXAMPLES')
      expect(help.stdout).toContain('--json')
    }
  })

  it('takes -h for help and -v or `version` for the version, as --help and --version', async () => {
    const [long, short, commandLong, commandShort] = await Promise.all([custody(['--help']), custody(['-h']), custody(['ingest', '--help']), custody(['ingest', '-h'])])
    expect(short.code).toBe(0)
    expect(short.stdout).toBe(long.stdout)
    expect(commandShort.code).toBe(0)
    expect(commandShort.stdout).toBe(commandLong.stdout)
    const {version} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}
    const line = `custody/${version} ${process.platform}-${process.arch} node-${process.version}`
    for (const args of [['--version'], ['-v'], ['version']]) {
      const result = await custody(args)
      expect(result.code, args.join(' ')).toBe(0)
      expect(result.stdout.trim(), args.join(' ')).toBe(line)
    }

    const json = await custodyJson<{version: string; node: string; platform: string; arch: string}>(['version', '--json'])
    expect(json.json).toEqual({version: 1, custody: version, node: process.version, platform: process.platform, arch: process.arch})
  })
})

/** custody's own command IDs as typed (`testimony add`), from the files of commands/. */
function ownCommandIds(): string[] {
  const ids: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      if (entry.isDirectory()) walk(join(dir, entry.name))
      else if (entry.name.endsWith('.ts') && !entry.name.startsWith('_')) ids.push(relative(join(ROOT, 'commands'), join(dir, entry.name)).replace(/\.ts$/, '').replaceAll('/', ' '))
    }
  }

  walk(join(ROOT, 'commands'))
  return ids.sort()
}

/** The names a help text lists in its TOPICS or COMMANDS section. */
function listedIn(help: string, section: 'TOPICS' | 'COMMANDS'): string[] {
  const body = help.split(`\n${section}\n`)[1]?.split(/\n\n|\n[A-Z]+\n/)[0] ?? ''
  return body.split('\n').flatMap((line) => /^ {2}([a-z][a-z-]*(?: [a-z][a-z-]*)*)(?: {2,}|$)/.exec(line)?.[1] ?? [])
}

/** Runs fn over items, a few at a time. */
async function inTurns<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, width = 4): Promise<R[]> {
  const results: R[] = []
  for (let i = 0; i < items.length; i += width) results.push(...(await Promise.all(items.slice(i, i + width).map(fn))))
  return results
}

interface CommandClass {
  description?: string
  examples?: Array<string | {command: string; description?: string}>
  flags?: Record<string, {hidden?: boolean}>
}

describe('help, from the manifest made at build', () => {
  // Wide enough that nothing is wrapped: the examples are compared whole.
  const wide = {env: {OCLIF_COLUMNS: '1000'}}

  it('is made by the build and lists every command of commands/', async () => {
    expect(existsSync(join(ROOT, 'oclif.manifest.json'))).toBe(true)
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
    expect(Object.keys(manifest.commands).map((id) => id.replaceAll(':', ' ')).sort()).toEqual(ownCommandIds())

    const root = await custody(['--help'], wide)
    expect(root.code).toBe(0)
    const topics = listedIn(root.stdout, 'TOPICS')
    expect(topics.sort()).toEqual(['checkpoint', 'config', 'export', 'key', 'testimony', 'transfer'])
    const listed = [...listedIn(root.stdout, 'COMMANDS')]
    for (const help of await inTurns(topics, (topic) => custody([topic, '--help'], wide))) {
      expect(help.code).toBe(0)
      listed.push(...listedIn(help.stdout, 'COMMANDS'))
    }

    // custody's own, and the two of oclif's plugins.
    expect(listed.sort()).toEqual([...ownCommandIds(), 'autocomplete', 'help'].sort())
  })

  it("shows each command's description, flags and examples, as its class has them", async () => {
    const ids = ownCommandIds()
    const helps = await inTurns(ids, (id) => custody([...id.split(' '), '--help'], wide))
    for (const [i, id] of ids.entries()) {
      const help = helps[i]!
      expect(help.code, `${id}: ${help.stderr}`).toBe(0)
      const {default: command} = (await import(pathToFileURL(join(ROOT, 'dist', 'commands', `${id.replaceAll(' ', '/')}.js`)).href)) as {default: CommandClass}
      expect(help.stdout).toContain(command.description!.split('\n')[0])
      for (const [name, flag] of Object.entries(command.flags ?? {})) if (!flag.hidden) expect(help.stdout, `${id} --${name}`).toContain(`--${name}`)
      expect(help.stdout).toContain('--json')
      expect(command.examples?.length, id).toBeGreaterThan(0)
      expect(help.stdout).toContain('EXAMPLES')
      for (const example of command.examples!) {
        const line = (typeof example === 'string' ? example : example.command).replaceAll('<%= config.bin %>', 'custody').replaceAll('<%= command.id %>', id)
        expect(help.stdout, id).toContain(`$ ${line}`)
      }
    }
  })
})

/** The exit code a command at a Terminal wrote to its file when it ended. */
async function exitCodeIn(file: string): Promise<number> {
  for (;;) {
    if (existsSync(file) && readFileSync(file, 'utf8').trim() !== '') return Number(readFileSync(file, 'utf8').trim())
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('a mistyped flag', () => {
  it('names the flag the command takes that it is a slip of, and exits 2', async () => {
    const since = await custody(['log', '--sinse', '3'])
    expect(since.code).toBe(2)
    expect(since.stderr).toBe('Error: `custody log` has no flag --sinse (did you mean --since SEQ?); run `custody log --help` for the flags it takes\n')
    // Two slips in a longer name; one letter swapped in a short one.
    expect((await custody(['seal', '--purpsoe', 'court'])).stderr).toContain('has no flag --purpsoe (did you mean --purpose')
    expect((await custody(['ingest', '--dry-rn'])).stderr).toContain('(did you mean --dry-run?)')
    expect((await custody(['status', '--jsno'])).stderr).toContain('(did you mean --json?)')
    const json = await custody(['log', '--limt', '2', '--json'])
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout)).toMatchObject({version: 1, error: {code: 'UNKNOWN_FLAG', subject: '--limt', message: expect.stringContaining('(did you mean --limit N?)') as string}})
    // Nothing near enough: no guess.
    const far = await custody(['log', '--colour'])
    expect(far.code).toBe(2)
    expect(far.stderr).toBe('Error: `custody log` has no flag --colour; run `custody log --help` for the flags it takes\n')
  })
})

describe('a mistyped command', () => {
  it('names the nearest command and exits 2 without a terminal, asking nothing', async () => {
    const typo = await custody(['ingset', 'photo.jpg'])
    expect(typo.code).toBe(2)
    expect(typo.stdout).toBe('')
    expect(typo.stderr).toBe('Error: `custody ingset` is not a custody command. Did you mean `custody ingest`? Run `custody help` for the list of commands.\n')

    const inTopic = await custody(['testimony', 'ad'])
    expect(inTopic.code).toBe(2)
    expect(inTopic.stderr).toContain('Did you mean `custody testimony add`?')
    // oclif takes every word before the first flag for the command: the slip is found among them.
    const withArguments = await custody(['sael', 'EX-000001', 'EX-000002', '--out', 'a.zip'])
    expect(withArguments.code).toBe(2)
    expect(withArguments.stderr).toContain('`custody sael` is not a custody command. Did you mean `custody seal`?')

    // With --json, the error document on stdout, as for any other error (tests/e2e/json-contract.test.ts).
    const json = await custody(['verfy', '--json'])
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout)).toEqual({
      version: 1,
      error: {code: 'COMMAND_NOT_FOUND', subject: 'verfy', message: '`custody verfy` is not a custody command. Did you mean `custody verify`? Run `custody help` for the list of commands.'},
    })
    expect(json.stderr).toBe('')

    // Nothing near enough: no guess.
    const far = await custody(['frobnicate', 'photo.jpg'])
    expect(far.code).toBe(2)
    expect(far.stderr).toBe('Error: `custody frobnicate` is not a custody command. Run `custody help` for the list of commands.\n')
    const notInTopic = await custody(['testimony', 'foo'])
    expect(notInTopic.code).toBe(2)
    expect(notInTopic.stderr).toBe('Error: `custody testimony foo` is not a custody command. Run `custody help` for the list of commands.\n')
  })

  it('asks at a terminal, runs the command with its arguments on yes, and exits 2 on no', async () => {
    const kase = await newCase()
    const work = tempDir('custody-typo-')
    try {
      const env = {XDG_STATE_HOME: process.env.XDG_STATE_HOME!}
      const yes = join(work.path, 'yes.exit')
      using accepted = new Terminal(['sttus', '--case', kase.dir], {cwd: work.path, env, exitFile: yes})
      await accepted.answer('Did you mean status?', 'y')
      expect(await exitCodeIn(yes)).toBe(0)
      expect(accepted.screen()).toContain('Ledger        2 events, 0 exhibits')

      // The arguments typed after the slip go to the command (here, an exhibit the case does not have).
      const withArgument = join(work.path, 'argument.exit')
      using shown = new Terminal(['shwo', 'EX-000009', '--case', kase.dir], {cwd: work.path, env, exitFile: withArgument})
      await shown.answer('Did you mean show?', 'y')
      expect(await exitCodeIn(withArgument)).toBe(2)
      expect(shown.screen()).toContain('there is no exhibit EX-000009 in this case')

      const no = join(work.path, 'no.exit')
      using declined = new Terminal(['ingset', '--case', kase.dir], {cwd: work.path, env, exitFile: no})
      await declined.answer('Did you mean ingest?', 'n')
      expect(await exitCodeIn(no)).toBe(2)
      expect(declined.screen()).toContain('Run custody help for a list of available commands.')
    } finally {
      kase.remove()
      work.remove()
    }
  })
})

describe('shell completion', () => {
  it('sets up bash completion of commands, topics and flags', async () => {
    // oclif keeps the completion functions in $XDG_CACHE_HOME/custody: the test's own.
    const cache = tempDir('custody-completion-')
    try {
      const env = {XDG_CACHE_HOME: cache.path}
      const instructions = await custody(['autocomplete', 'bash'], {env})
      expect(instructions.code).toBe(0)
      expect(instructions.stdout).toContain('custody autocomplete script bash')
      const script = await custody(['autocomplete', 'script', 'bash'], {env})
      expect(script.code).toBe(0)
      expect(script.stdout).toContain(join(cache.path, 'custody', 'autocomplete', 'bash_setup'))

      // What bash offers on <TAB> once the script is in ~/.bashrc.
      const complete = (line: string): string[] => {
        const words = line.split(' ')
        const result = spawnSync('bash', ['-c', `${script.stdout}\nCOMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _custody_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', ...words], {encoding: 'utf8'})
        expect(result.status, result.stderr).toBe(0)
        return result.stdout.split('\n').filter((w) => w !== '')
      }

      expect(complete('custody ing')).toEqual(['ingest'])
      expect(complete('custody testimony a')).toEqual(['add', 'amend'])
      expect(complete('custody status --')).toEqual(['--json', '--case', '--identity', '--passphrase-file'])
      expect(complete('custody testimony add --witness-')).toEqual(['--witness-name', '--witness-contact'])

      const zsh = await custody(['autocomplete', 'zsh'], {env})
      expect(zsh.code).toBe(0)
      const zshFunctions = readFileSync(join(cache.path, 'custody', 'autocomplete', 'functions', 'zsh', '_custody'), 'utf8')
      expect(zshFunctions).toContain('--passphrase-file')
      expect(zshFunctions).toContain('testimony')
    } finally {
      cache.remove()
    }
  })
})
