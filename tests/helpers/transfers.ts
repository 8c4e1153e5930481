/**
 * The steps of a hand-over between real cases, as the end-to-end tests of transfers take them: the
 * built CLI (cli.ts) on case folders, each step failing the test where custody refuses it, so that
 * a test's own lines are what it checks.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'vitest'
import {custody, custodyJson, SAMPLES} from './cli.js'

/** `custody init` of a case, with any more flags (`--organisation ORG`, `--role hq`). */
export async function initCase(dir: string, title: string, investigator: string, ...more: string[]): Promise<void> {
  const made = await custody(['init', dir, '--title', title, '--investigator', investigator, ...more])
  expect(made.code, made.stderr).toBe(0)
}

/** The case's identity line (`custody key show --public`), written to `file`: what a custodian gives another; the file's path. */
export async function writeIdentityLine(dir: string, file: string): Promise<string> {
  const shown = await custody(['key', 'show', '--public', '--case', dir])
  expect(shown.code, shown.stderr).toBe(0)
  writeFileSync(file, shown.stdout)
  return file
}

/** The camera samples named (fixtures/camera-samples), ingested in one run. */
export async function ingestSamples(dir: string, ...names: string[]): Promise<void> {
  const done = await custody(['ingest', ...names.map((n) => join(SAMPLES, n)), '--case', dir])
  expect(done.code, done.stderr).toBe(0)
}

/** `custody transfer export` of what the case has not released yet, to the identity line in `to`, as the package `out`; its path. */
export async function exportPackage(dir: string, to: string, out: string): Promise<string> {
  const made = await custody(['transfer', 'export', '--to', to, '--out', out, '--case', dir])
  expect(made.code, made.stderr).toBe(0)
  return out
}

/** How many events the case's ledger holds (`custody status`). */
export async function eventCount(dir: string): Promise<number> {
  return (await custodyJson<{events: number}>(['status', '--case', dir])).json.events
}

const fromFlags = (from: readonly string[]): string[] => from.flatMap((f) => ['--from', f])

/** `custody transfer accept` of `pkg` at `hq`, from the senders given (identity lines) beside its trust list: its JSON report. */
export async function acceptPackage<T>(hq: string, pkg: string, from: readonly string[]): Promise<T> {
  const result = await custodyJson<T>(['transfer', 'accept', pkg, ...fromFlags(from), '--case', hq])
  expect(result.code, result.stderr).toBe(0)
  return result.json
}

/** A refusal of `custody transfer accept` at `hq`: exit 3, the message matching, its ledger unchanged and no receipt written. */
export async function refusedAccept(hq: string, pkg: string, from: readonly string[], message: RegExp): Promise<void> {
  const before = await eventCount(hq)
  const result = await custody(['transfer', 'accept', pkg, ...fromFlags(from), '--case', hq])
  expect(result.code, result.stdout + result.stderr).toBe(3)
  expect(result.stderr).toMatch(message)
  expect(await eventCount(hq)).toBe(before)
  expect(existsSync(`${pkg}.receipt`)).toBe(false)
  expect(existsSync(`${pkg}.receipt.sig`)).toBe(false)
  expect(vaultTempFiles(hq), 'copies staged as the package was verified are removed').toEqual([])
}

/** What the case's vault holds staged and not committed (none once a command has ended). */
export function vaultTempFiles(dir: string): string[] {
  const tmp = join(dir, '.custody', 'vault', 'tmp')
  return existsSync(tmp) ? readdirSync(tmp) : []
}

/** `custody transfer purge --json`, as the purge tests read it. */
export interface PurgeJson {
  nothingAcknowledged: boolean
  dryRun: boolean
  removed: number
  alreadyPurged: number
  purged: Array<{exhibit: string; transferId: string; receipt: {sha256: string; seq: number}; objects: Array<{role: string; sha256: string | null; vault: string}>; kept: unknown[]; seq?: number}>
  finished: Array<{exhibit: string; objects: Array<{vault: string}>}>
}

/** `custody verify --json` of a case, as the purge tests read it. */
export interface CaseVerifyJson {
  ok: boolean
  checks: Array<{name: string; ok: boolean; detail: string}>
  problems: Array<{kind: string; subject: string; message: string}>
  warnings: string[]
}

/**
 * A sealed archive `zip` of one hand-over, as a court's expert opens it: unzipped into `out`, the
 * bag's verify-bag.py run (it must pass), and the lines of the one sender's record's events.jsonl.
 */
export function recordOfSeal<T>(zip: string, out: string): {script: string; rows: T[]} {
  mkdirSync(out)
  execFileSync('unzip', ['-q', zip, '-d', out])
  const bag = join(out, readdirSync(out)[0]!)
  const script = spawnSync('python3', ['verify-bag.py'], {cwd: bag, encoding: 'utf8'})
  expect(script.status, script.stdout).toBe(0)
  const senders = join(bag, 'data', 'custodians')
  const folder = join(senders, readdirSync(senders)[0]!)
  const events = readFileSync(join(folder, readdirSync(folder)[0]!, 'events.jsonl'), 'utf8')
  return {script: script.stdout, rows: events.trimEnd().split('\n').map((l) => JSON.parse(l) as T)}
}
