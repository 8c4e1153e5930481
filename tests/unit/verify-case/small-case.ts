/**
 * A small real case for the unit tests of the checks of `custody verify` (src/verify/case/): made
 * once a test file by the built CLI (init, then one exhibit ingested), copied for each test to be
 * tampered with directly, and opened in-process so that one check can run on it alone.
 */
import {cpSync, mkdtempSync} from 'node:fs'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {bytesToHex} from '@noble/hashes/utils.js'
import {canonicalize} from '../../../src/canonical/jcs.js'
import {Case} from '../../../src/case/case.js'
import {EVENT_VERSION} from '../../../src/formats/events.js'
import {chainHash} from '../../../src/ledger/event.js'
import {TAGGED_SCHEMA_VERSION, TRIGGERS} from '../../../src/ledger/schema.js'
import {knownHeadsFolder} from '../../../src/known-heads/store.js'
import {ClaimIndex} from '../../../src/verify/claim-index.js'
import {chainCheck} from '../../../src/verify/case/chain.js'
import {CaseContext, type CaseCheck, type CaseCheckResult, type VerifyCaseOptions} from '../../../src/verify/case/context.js'
import {custody, newCase, SAMPLES, tempDir} from '../../helpers/cli.js'

/** The exhibit the small case holds. */
export const SAMPLE = 'PNG.png'

export interface SmallCase {
  dir: string
  /** The ledger file, to tamper with. */
  db: string
  /** Where the known heads of this case are recorded: the test run's state folder for the original. */
  knownHeads: string
}

/**
 * Makes the small case: create-case and key-created (init), then the ingest of EX-000001. An
 * encrypted case whose ledger keeps its event bodies in clear (schema 3), so that the tests can
 * edit events as the sqlite3 shell sees them; `plaintext` for a vault in clear (the encrypted
 * vault's checks: tests/e2e/encrypted-vault.test.ts; a sealed ledger's: tests/unit/sealed-ledger.test.ts).
 */
export async function makeSmallCase(options: {plaintext?: boolean} = {}): Promise<SmallCase & {remove: () => void}> {
  const made = await newCase(undefined, options.plaintext === true ? {plaintext: true} : {bodiesInClear: true})
  const ingest = await custody(['ingest', join(SAMPLES, SAMPLE), '--case', made.dir])
  if (ingest.code !== 0) throw new Error(`ingest failed: ${ingest.stderr}`)
  return {dir: made.dir, db: ledgerOf(made.dir), knownHeads: knownHeadsFolder(), remove: made.remove}
}

const ledgerOf = (dir: string): string => join(dir, '.custody', 'ledger.sqlite')

/** A copy of the case, as on another machine: with a known-heads folder of its own, empty. */
export function copyOf(original: SmallCase, work: ReturnType<typeof tempDir>): SmallCase {
  const dir = mkdtempSync(join(work.path, 'case-'))
  cpSync(original.dir, dir, {recursive: true})
  return {dir, db: ledgerOf(dir), knownHeads: mkdtempSync(join(work.path, 'state-'))}
}

/** The case opened as `custody verify` opens it, with the context its checks share. */
export function openContext(kase: SmallCase, options: VerifyCaseOptions = {}): CaseContext & Disposable {
  const opened = Case.open({root: kase.dir, foundBy: 'flag'}, {knownHeads: kase.knownHeads})
  const context = new CaseContext(opened, new ClaimIndex(), options)
  return Object.assign(context, {
    [Symbol.dispose]: () => {
      context.claims.close()
      opened.close()
    },
  })
}

/**
 * Runs `check` on the case, after the chain check (which gathers what the others read) and the
 * checks `before`; returns its result and the warnings.
 */
export async function runCheck(kase: SmallCase, check: CaseCheck, options: VerifyCaseOptions & {before?: CaseCheck[]} = {}): Promise<CaseCheckResult & {warnings: string[]}> {
  using context = openContext(kase, options)
  const before = check === chainCheck ? [] : [chainCheck, ...(options.before ?? [])]
  for (const earlier of before) await earlier.run(context)
  const result = await check.run(context)
  return {...result, warnings: context.warnings}
}

/** Runs `sql` on the ledger with its append-only triggers dropped, then puts them back, as a careful attacker would. */
/** The root over the case's events, as the chain check computes it in-process. */
export async function rootOf(kase: SmallCase): Promise<string> {
  using context = openContext(kase)
  await chainCheck.run(context)
  return bytesToHex(context.tree.root())
}

export function tamper(db: string, sql: string): void {
  const ledger = new Database(db)
  try {
    const triggers = ledger.prepare<[], {sql: string}>(`SELECT sql FROM sqlite_master WHERE type = 'trigger'`).all()
    for (const name of TRIGGERS) ledger.exec(`DROP TRIGGER IF EXISTS ${name}`)
    ledger.exec(sql)
    for (const trigger of triggers) ledger.exec(trigger.sql)
  } finally {
    ledger.close()
  }
}

/** The rows of the ledger, as stored. */
export function rows(db: string): Array<{seq: number; prev_hash: string; hash: string; event: string}> {
  const ledger = new Database(db, {readonly: true})
  try {
    return ledger.prepare<[], {seq: number; prev_hash: string; hash: string; event: string}>('SELECT seq, prev_hash, hash, event FROM events ORDER BY seq').all()
  } finally {
    ledger.close()
  }
}

/**
 * Appends an event by hand, chained as custody chains it (the triggers let it in) but with no
 * checkpoint over it: what someone with the sqlite3 shell and no key can add. Returns its number.
 * The event is whatever the draft says: one custody writes (tests/helpers/drafts.ts), or not. In
 * a schema-3 ledger (an encrypted case), without the address key, its action tag can only be
 * made up: 32 random bytes, and its exhibit column what the event names.
 */
export function appendEvent(db: string, draft: {action: string; exhibit: string | null; payload: unknown}): number {
  const last = rows(db).at(-1)!
  const seq = last.seq + 1
  const event = {v: EVENT_VERSION, seq, time: '2026-01-01T00:00:00.000Z', actor: 'someone', ...draft, prev: last.hash}
  const canonical = canonicalize(event)
  const ledger = new Database(db)
  try {
    const row = [seq, last.hash, chainHash(last.hash, canonical), canonical]
    if (ledger.pragma('user_version', {simple: true}) === TAGGED_SCHEMA_VERSION) {
      ledger.prepare('INSERT INTO events (seq, prev_hash, hash, event, exhibit, action_tag) VALUES (?, ?, ?, ?, ?, randomblob(32))').run(...row, draft.exhibit)
    } else {
      ledger.prepare('INSERT INTO events (seq, prev_hash, hash, event) VALUES (?, ?, ?, ?)').run(...row)
    }
  } finally {
    ledger.close()
  }

  return seq
}
