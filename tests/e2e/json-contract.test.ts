/**
 * The JSON contract holds for every error (issue 18): whatever goes wrong, `--json` prints exactly
 * one document on stdout, `{"version": 1, "error": {"code", "message", "subject"}}` (and the
 * documented extras), and the command exits with its code's exit code: parse errors of every
 * command, unknown commands, missing arguments and flag values, values outside a flag's choices,
 * and files to write that cannot be written, refused before any work.
 */
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custody, newCase, ROOT, SAMPLES, sqlite, tempDir, type CliOptions, type CliResult} from '../helpers/cli.js'
import {schemaErrors} from '../helpers/json-schemas.js'

interface ErrorDocument {
  version: number
  error: {code: string; message: string; subject: string | null; field?: string}
}

/** custody's commands as typed (`testimony add`), from the manifest made at build. */
function commands(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
  return Object.keys(manifest.commands)
    .map((id) => id.replaceAll(':', ' '))
    .sort()
}

/**
 * The one error document a failed run printed: stdout must be exactly one JSON document (and
 * stderr empty), valid by the command's schema (or by the error schema alone, for no command).
 */
function errorOf(result: CliResult, schema = 'error.schema.json'): ErrorDocument['error'] {
  let document: ErrorDocument
  try {
    document = JSON.parse(result.stdout) as ErrorDocument
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.code}):\n${result.stdout.slice(0, 2000)}\nstderr:\n${result.stderr}`)
  }

  expect(result.stderr).toBe('')
  expect(schemaErrors(schema, document), result.stdout).toEqual([])
  expect(Object.keys(document)).toEqual(['version', 'error'])
  expect(document.version).toBe(1)
  return document.error
}

/** Runs `args` with --json: the error, once checked by the schema of `command`. */
async function refused(args: string[], command: string | undefined, options: CliOptions = {}): Promise<ErrorDocument['error'] & {exit: number | null}> {
  const result = await custody([...args, '--json'], options)
  return {...errorOf(result, command === undefined ? undefined : `${command.replaceAll(' ', '-')}.schema.json`), exit: result.code}
}

/** Runs fn over items, a few at a time (the machine is shared). */
async function inTurns<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, width = 3): Promise<R[]> {
  const results: R[] = []
  for (let i = 0; i < items.length; i += width) results.push(...(await Promise.all(items.slice(i, i + width).map(fn))))
  return results
}

const work = tempDir('custody-contract-')
let kase: {dir: string; remove: () => void}
const eventCount = (): number => Number(sqlite(join(kase.dir, '.custody', 'ledger.sqlite'), 'SELECT count(*) FROM events;').trim())

beforeAll(async () => {
  kase = await newCase()
  expect((await custody(['ingest', join(SAMPLES, 'Canon.jpg'), '--case', kase.dir])).code).toBe(0)
})

afterAll(() => {
  kase.remove()
  work.remove()
})

describe('every command, with a flag it does not take', () => {
  it('prints the error document, UNKNOWN_FLAG naming the flag, and exits 2', async () => {
    const all = commands()
    expect(all.length).toBeGreaterThan(20)
    const errors = await inTurns(all, (command) => refused([...command.split(' '), '--bogus'], command))
    for (const [i, command] of all.entries()) {
      expect(errors[i], command).toEqual({code: 'UNKNOWN_FLAG', subject: '--bogus', message: `\`custody ${command}\` has no flag --bogus; run \`custody ${command} --help\` for the flags it takes`, exit: 2})
    }
  })

  it('says the same on stderr without --json, in one line', async () => {
    const result = await custody(['log', '--bogus'])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe('Error: `custody log` has no flag --bogus; run `custody log --help` for the flags it takes\n')
  })
})

describe('every other mistake on the command line', () => {
  it('an unknown command: COMMAND_NOT_FOUND, naming the nearest command when there is one', async () => {
    expect(await refused(['ingset', 'x'], undefined)).toEqual({
      code: 'COMMAND_NOT_FOUND',
      subject: 'ingset',
      message: '`custody ingset` is not a custody command. Did you mean `custody ingest`? Run `custody help` for the list of commands.',
      exit: 2,
    })
    expect(await refused(['testimony', 'ad'], undefined)).toMatchObject({code: 'COMMAND_NOT_FOUND', subject: 'testimony ad', message: expect.stringContaining('Did you mean `custody testimony add`?') as string})
    expect(await refused(['frobnicate'], undefined)).toEqual({code: 'COMMAND_NOT_FOUND', subject: 'frobnicate', message: '`custody frobnicate` is not a custody command. Run `custody help` for the list of commands.', exit: 2})
  })

  it('a missing argument or required flag, a flag without its value: MISSING_ARGUMENT', async () => {
    expect(await refused(['show'], 'show')).toEqual({code: 'MISSING_ARGUMENT', subject: 'EXHIBIT', message: '`custody show` needs EXHIBIT; run `custody show --help` for what it takes', exit: 2})
    expect(await refused(['checkpoint', 'export'], 'checkpoint export')).toMatchObject({code: 'MISSING_ARGUMENT', subject: '--out', message: expect.stringContaining('needs --out FILE') as string, exit: 2})
    expect(await refused(['log', '--case'], 'log')).toEqual({code: 'MISSING_ARGUMENT', subject: '--case', message: '--case DIR needs a value', exit: 2})
  })

  it('a value outside the choices, or not of the flag\'s kind: INVALID_ARGUMENT', async () => {
    expect(await refused(['config', 'set', 'nonsense', '1'], 'config set')).toEqual({code: 'INVALID_ARGUMENT', subject: 'SETTING', message: 'SETTING must be one of: tsa, tsa-ca; got "nonsense"', exit: 2})
    expect(await refused(['log', '--action', 'nonsense'], 'log')).toMatchObject({code: 'INVALID_ARGUMENT', subject: '--action', exit: 2})
    expect(await refused(['timestamp', '--timeout', 'soon'], 'timestamp')).toEqual({code: 'INVALID_ARGUMENT', subject: '--timeout', message: '--timeout: expected an integer but received: soon', exit: 2})
  })

  it('an argument too many: UNEXPECTED_ARGUMENT; flags that exclude each other: USAGE', async () => {
    expect(await refused(['status', 'extra'], 'status')).toMatchObject({code: 'UNEXPECTED_ARGUMENT', subject: 'extra', exit: 2})
    expect(await refused(['seal', '--out', 'a.zip', '--finish', 'SEAL-0123456789abcdef'], 'seal')).toEqual({
      code: 'USAGE',
      subject: '--finish',
      message: '--finish and --out cannot be given together; run `custody seal --help` for its flags',
      exit: 2,
    })
  })

  it("the core's own errors too, with subject null when they are about nothing in particular", async () => {
    expect(await refused(['log', '--case', join(work.path, 'nowhere')], 'log')).toMatchObject({code: 'CASE_NOT_FOUND', subject: null, field: 'caseDir', exit: 2})
    expect(await refused(['show', 'EX-000099', '--case', kase.dir], 'show')).toMatchObject({code: 'EXHIBIT_NOT_FOUND', subject: 'EX-000099', exit: 2})
  })
})

describe('a file to write that cannot be written', () => {
  const unwritable = (flag: string, path: string): Partial<ErrorDocument['error']> & {exit: number} => ({
    code: 'OUTPUT_UNWRITABLE',
    message: expect.stringMatching(new RegExp(`^${flag} ${path.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be written: .*; nothing was done`)) as unknown as string,
    exit: 2,
  })

  it('is refused before any work, naming the flag: a missing folder, a folder given, a file in the way of the folder', async () => {
    const before = eventCount()
    const missing = join(work.path, 'no such folder')
    const aFile = join(work.path, 'a file')
    writeFileSync(aFile, 'x')
    // No passphrase: the destination is refused before one is asked for.
    const noPassphrase = {env: {CUSTODY_PASSPHRASE: ''}}
    const cases: Array<[string, string[], string, string]> = [
      ['seal', ['seal', '--out', join(missing, 'x.zip')], '--out', join(missing, 'x.zip')],
      ['seal', ['seal', '--out', join(aFile, 'x.zip')], '--out', join(aFile, 'x.zip')],
      ['checkpoint export', ['checkpoint', 'export', '--out', join(missing, 'c.json')], '--out', join(missing, 'c.json')],
      ['checkpoint export', ['checkpoint', 'export', '--out', work.path, '--force'], '--out', work.path],
      ['key export', ['key', 'export', '--out', join(missing, 'k.pem')], '--out', join(missing, 'k.pem')],
      ['key export', ['key', 'export', '--out', `${work.path}/`, '--force'], '--out', `${work.path}/`],
      ['testimony identity', ['testimony', 'identity', 'W-001', '--disclose', join(missing, 'i.json')], '--disclose', join(missing, 'i.json')],
      ['testimony identity', ['testimony', 'identity', 'W-001', '--disclose', work.path], '--disclose', work.path],
    ]
    for (const [command, args, flag, path] of cases) {
      const error = await refused([...args, '--case', kase.dir], command, noPassphrase)
      expect(error, args.join(' ')).toMatchObject(unwritable(flag, path))
      expect(error.subject, args.join(' ')).toBe(path.replace(/\/$/, ''))
    }

    const init = await refused(['init', join(aFile, 'case'), '--title', 'T', '--investigator', 'I'], 'init', noPassphrase)
    expect(init).toMatchObject({code: 'OUTPUT_UNWRITABLE', message: expect.stringContaining(`the case folder ${join(aFile, 'case')} cannot be written: ${aFile} is not a folder`) as string, exit: 2})
    expect(eventCount()).toBe(before)
    expect(existsSync(missing)).toBe(false)
  })

  it('init where a folder exists but refuses new folders (/proc): refused at once, not retried for ever', async () => {
    // Node's recursive mkdir loops on ENOENT under /proc; the command would never end.
    const error = await refused(['init', '/proc/custody-test/case', '--title', 'T', '--investigator', 'I'], 'init', {env: {CUSTODY_PASSPHRASE: 'a long enough passphrase'}})
    expect(error).toMatchObject({code: 'OUTPUT_UNWRITABLE', subject: '/proc/custody-test/case', message: expect.stringContaining('the folder /proc/custody-test cannot be made (ENOENT)') as string, exit: 2})
  })

  it('is refused when this account may not write in its folder', async () => {
    const locked = join(work.path, 'locked')
    mkdirSync(locked)
    chmodSync(locked, 0o555)
    // Root writes everywhere: run as an unprivileged user then.
    // (with a home of its own: oclif looks for plugins there, and would warn that it cannot read root's).
    const asUser = process.getuid?.() === 0 ? {uid: 65534, gid: 65534, env: {HOME: work.path}} : {}
    chmodSync(work.path, 0o755)
    const seal = await refused(['seal', '--out', join(locked, 'x.zip'), '--case', kase.dir], 'seal', asUser)
    expect(seal).toMatchObject({...unwritable('--out', join(locked, 'x.zip')), message: expect.stringContaining(`you may not write in ${locked}`) as string})
    const init = await refused(['init', join(locked, 'case'), '--title', 'T', '--investigator', 'I'], 'init', asUser)
    expect(init).toMatchObject({code: 'OUTPUT_UNWRITABLE', message: expect.stringContaining(`you may not write in ${locked}`) as string, exit: 2})
  })

  it('an existing disclosure file is refused before the identity is opened, and nothing recorded', async () => {
    const statement = join(work.path, 'statement.txt')
    writeFileSync(statement, 'I saw it.\n')
    const taken = await custody([
      ...['testimony', 'add', '--witness', 'W-001', '--interviewed-at', '2024-03-05T10:00+02:00', '--place', 'Kyiv', '--interviewer', 'A. Investigator'],
      ...['--consent', 'court', '--consent-method', 'signed-form', '--statement-file', statement, '--witness-name', 'Jane Roe', '--case', kase.dir],
    ])
    expect(taken.code, taken.stderr).toBe(0)
    const before = eventCount()
    const existing = join(work.path, 'identity.json')
    writeFileSync(existing, 'already here')
    const error = await refused(['testimony', 'identity', 'W-001', '--disclose', existing, '--case', kase.dir], 'testimony identity', {env: {CUSTODY_PASSPHRASE: ''}})
    expect(error).toMatchObject({code: 'INVALID_ARGUMENT', subject: existing, message: `${existing} already exists; choose another --disclose file. Nothing was recorded`, exit: 2})
    expect(readFileSync(existing, 'utf8')).toBe('already here')
    expect(eventCount()).toBe(before)
  })
})
