/** Runs the built CLI (bin/run.js) as a child process, as a user or a script would. */
import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {isAbsolute, join, resolve} from 'node:path'

export const ROOT = new URL('../../', import.meta.url).pathname
export const BIN = join(ROOT, 'bin', 'run.js')
export const SAMPLES = join(ROOT, 'fixtures', 'camera-samples')
export const HOSTILE = join(ROOT, 'fixtures', 'hostile')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  uid?: number
  gid?: number
  /** Runs the CLI under this umask (through sh), as a user's shell would start it. */
  umask?: number
}

/** The passphrase of every test case (vitest.config.ts puts it in the environment). */
export const PASSPHRASE = process.env.CUSTODY_PASSPHRASE ?? ''

/**
 * custody keeps the newest checkpoint of every case it writes in $XDG_STATE_HOME/custody. The test
 * run has its own (vitest.config.ts): a test must never write to the user's ~/.local/state.
 */
const STATE_HOME = process.env.XDG_STATE_HOME ?? ''
if (!isAbsolute(STATE_HOME)) throw new Error('XDG_STATE_HOME is not set to a folder of the test run (vitest.config.ts): the tests would write to ~/.local/state')

/** Case folders that stand for a copy on another machine or account, and their own state folders. */
const ownStates = new Map<string, string>()

/**
 * Gives a case folder a state folder of its own, empty, as on another machine or account: every
 * custody() call naming it with --case uses it. For a copy of a case that a test uses as a case of
 * its own, beside the original: on one account, work on both would be (rightly) refused as a fork.
 */
export function ownStateFolder(caseDir: string): string {
  const folder = `${resolve(caseDir)}.state`
  mkdirSync(folder, {recursive: true, mode: 0o700})
  ownStates.set(resolve(caseDir), folder)
  return folder
}

/** A copy of a case, used as a case of its own: copied, and given its own state folder. */
export function copyCase(from: string, to: string): string {
  cpSync(from, to, {recursive: true})
  ownStateFolder(to)
  return to
}

/** The environment of a custody process a test starts itself (not through custody()) on this case. */
export function caseEnv(caseDir: string): NodeJS.ProcessEnv {
  return childEnv({}, ['--case', caseDir])
}

function childEnv(extra: NodeJS.ProcessEnv = {}, args: readonly string[] = []): NodeJS.ProcessEnv {
  const caseDir = args[args.indexOf('--case') + 1]
  const own = args.includes('--case') && caseDir !== undefined ? ownStates.get(resolve(caseDir)) : undefined
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', XDG_STATE_HOME: own ?? STATE_HOME, ...extra}
  if (!('CUSTODY_CASE' in extra)) delete env.CUSTODY_CASE
  return env
}

/** Starts a process and gathers what it writes, as custody() does for the CLI. */
function collect(command: string, argv: readonly string[], options: CliOptions, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      cwd: options.cwd ?? ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : {uid: options.uid, gid: options.gid ?? options.uid}),
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({code, signal, stdout, stderr}))
  })
}

/** The JSON document a command printed, which must be exactly one. */
function parseJson<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.code}):\n${result.stdout.slice(0, 4000)}\nstderr:\n${result.stderr}`)
  }
}

export function custody(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const [command, argv] =
    options.umask === undefined
      ? [process.execPath, [BIN, ...args]]
      : ['sh', ['-c', `umask ${options.umask.toString(8).padStart(3, '0')}; exec "$0" "$@"`, process.execPath, BIN, ...args]]
  return collect(command, argv, options, childEnv(options.env, args))
}

/** GNU time, which reports a child's peak resident memory from the kernel's own accounting (wait4). */
export const GNU_TIME = '/usr/bin/time'
export const canMeasureMemory = existsSync(GNU_TIME)
// On this team's CI the tool is installed (.ci/run): a missing one must fail the run, not skip.
if (!canMeasureMemory && process.env.CI === 'true') throw new Error(`${GNU_TIME} (Debian package time) is missing: .ci/run installs it`)

/**
 * Runs the CLI under GNU time, with --json: its result, and its peak resident memory in MiB
 * (the process's VmHWM, as the kernel reports it when the process ends).
 */
export async function custodyMeasured<T = Record<string, unknown>>(args: string[], options: CliOptions = {}): Promise<CliResult & {json: T; peakMiB: number}> {
  const dir = tempDir('custody-time-')
  try {
    const report = join(dir.path, 'peak')
    const result = await collect(GNU_TIME, ['-f', '%M', '-o', report, process.execPath, BIN, ...args, '--json'], options, childEnv(options.env, args))
    const kib = Number(readFileSync(report, 'utf8').trim().split('\n').at(-1))
    return {...result, json: parseJson<T>(result), peakMiB: kib / 1024}
  } finally {
    dir.remove()
  }
}

/** Runs the CLI with --json and parses stdout, which must be exactly one JSON document. */
export async function custodyJson<T = Record<string, unknown>>(args: string[], options: CliOptions = {}): Promise<CliResult & {json: T}> {
  const result = await custody([...args, '--json'], options)
  return {...result, json: parseJson<T>(result)}
}

export function tempDir(prefix = 'custody-test-'): {path: string; remove: () => void} {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return {path, remove: () => rmSync(path, {recursive: true, force: true})}
}

/** An event as `custody log --json` prints it. */
export interface LoggedEvent {
  seq: number
  action: string
  exhibit: string | null
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  payload: Record<string, any>
}

/**
 * The events of a case as `custody log --json` prints them, oldest first (only those of `actions`
 * if given), with the tests' passphrase, which opens a ledger whose events are sealed (schema 4):
 * for a test that reads events where the sqlite3 shell sees only envelopes. A field case's needs
 * a recipient's `identity` file.
 */
export function loggedEvents(caseDir: string, actions: readonly string[] = [], options: {identity?: string} = {}): LoggedEvent[] {
  const args = ['log', '--json', '--case', caseDir, ...actions.flatMap((a) => ['--action', a]), ...(options.identity === undefined ? [] : ['--identity', options.identity])]
  const result = spawnSync(process.execPath, [BIN, ...args], {cwd: ROOT, env: childEnv({}, args), encoding: 'utf8', maxBuffer: 1 << 30})
  if (result.status !== 0) throw new Error(`custody ${args.join(' ')} failed (exit ${result.status}): ${result.stdout}${result.stderr}`)
  return (JSON.parse(result.stdout) as {events: LoggedEvent[]}).events
}

/** Whether a case's ledger keeps its events sealed (schema 4): the sqlite3 shell then sees envelopes only. */
export function ledgerIsSealed(caseDir: string): boolean {
  return sqlite(join(caseDir, '.custody', 'ledger.sqlite'), 'PRAGMA user_version;').trim() === '4'
}

/**
 * Where a case's vault keeps the object with this SHA-256 (to check or tamper with it): in clear,
 * at its SHA-256; encrypted, at the keyed address its event records (read with the sqlite3 shell,
 * as someone with the disk would; from `custody log --json` where the ledger keeps its events
 * sealed, which nobody without a key can read).
 */
export function vaultObject(caseDir: string, sha256: string): string {
  const clear = join(caseDir, '.custody', 'vault', 'sha256', sha256.slice(0, 2), sha256)
  if (existsSync(clear) || !existsSync(join(caseDir, '.custody', 'vault', 'objects'))) return clear
  const recorded = ledgerIsSealed(caseDir) ? sealedVaultPath(caseDir, sha256) : vaultPathInClear(caseDir, sha256)
  if (recorded === '') throw new Error(`no event of ${caseDir} records a vault object of SHA-256 ${sha256}`)
  return join(caseDir, '.custody', recorded)
}

function vaultPathInClear(caseDir: string, sha256: string): string {
  const at = (path: string): string => `json_extract(event, '$.payload.${path}')`
  return sqlite(
    join(caseDir, '.custody', 'ledger.sqlite'),
    `SELECT CASE WHEN ${at('digests.sha256')} = '${sha256}' THEN ${at('stored.vault')} WHEN ${at('metadata.record')} = '${sha256}' THEN ${at('metadata.stored.vault')} ELSE ${at('identity.stored.vault')} END FROM events
     WHERE ${at('stored.vault')} IS NOT NULL AND (${at('digests.sha256')} = '${sha256}' OR ${at('metadata.record')} = '${sha256}') OR ${at('identity.sealedRecord')} = '${sha256}' LIMIT 1;`,
  ).trim()
}

function sealedVaultPath(caseDir: string, sha256: string): string {
  for (const {payload: p} of loggedEvents(caseDir, ['ingest', 'testimony'])) {
    const path = p.digests?.sha256 === sha256 ? p.stored?.vault : p.metadata?.record === sha256 ? p.metadata?.stored?.vault : p.identity?.sealedRecord === sha256 ? p.identity?.stored?.vault : undefined
    if (typeof path === 'string') return path
  }

  return ''
}

/** The sqlite3 shell, as someone tampering with a case would use it. */
export function sqlite(db: string, sql: string): string {
  const result = spawnSync('sqlite3', [db], {input: sql, encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`sqlite3 failed: ${result.stderr}`)
  return result.stdout
}

/** Makes a case in a fresh temp folder. */
/**
 * A new case, made by `custody init` (encrypted, its event bodies sealed: schema 4). `plaintext`
 * makes one with `--plaintext`; `bodiesInClear` an encrypted case whose ledger keeps its event
 * bodies in clear (schema 3, what init made before issue 19's switch, still read and written by
 * custody): made by the core, which alone still makes it, for tests that read or edit events with
 * the sqlite3 shell.
 */
export async function newCase(prefix?: string, options: {plaintext?: boolean; bodiesInClear?: boolean} = {}): Promise<{dir: string; remove: () => void}> {
  const tmp = tempDir()
  const dir = join(tmp.path, 'case')
  if (options.bodiesInClear === true) {
    const {initCase} = await import('../../src/case/case.js')
    await initCase({dir, title: 'Test case', investigator: 'A. Investigator', organisation: 'Test NGO', passphrase: PASSPHRASE, ...(prefix === undefined ? {} : {prefix}), sealedBodies: false})
    return {dir, remove: tmp.remove}
  }

  const args = ['init', dir, '--title', 'Test case', '--investigator', 'A. Investigator', '--organisation', 'Test NGO']
  if (prefix) args.push('--prefix', prefix)
  // A vault in clear, for tests of what custody does with one (cases made before, or with --plaintext).
  if (options.plaintext === true) args.push('--plaintext')
  const result = await custody(args)
  if (result.code !== 0) throw new Error(`init failed: ${result.stderr}`)
  return {dir, remove: tmp.remove}
}

/** The modes custody gives a case (git keeps none of them): folders 700, files 600, vault objects 400. */
export function ownModes(path: string): void {
  for (const name of readdirSync(path)) {
    const full = join(path, name)
    if (statSync(full).isDirectory()) {
      chmodSync(full, 0o700)
      ownModes(full)
    } else chmodSync(full, full.includes(`${join('.custody', 'vault')}/`) ? 0o400 : 0o600)
  }
}
