/**
 * A private temporary SQLite database, for work whose size grows with the input (the entries of
 * an archive being verified, the files of a batch being ingested) so that it stays out of the
 * heap. The empty file name makes SQLite create the file in the system's temp folder ($TMPDIR,
 * else /var/tmp or /tmp), unlinked from the start, so that nothing is left behind even after a
 * crash. Nobody reads it after the work: no journal, no fsync, and all of it one transaction that
 * is never committed (a commit for each write would write its pages out every time, where one open
 * transaction keeps them in SQLite's cache).
 *
 * A temp folder that is full, or cannot be written, is no fault of the input: every statement of a
 * scratch database turns SQLite's storage errors into a CustodyError (DISK_FULL, exit 1) that
 * names the folder and what to do. Verification turns whatever goes wrong while reading its input
 * into a problem of that input; scratchWork() makes sure that a scratch database that could not
 * be written ends the work with that error instead, however the work handled it.
 *
 * What the users write in it that belongs to the case (paths, names, digests, metadata, events) is
 * sealed first with this run's key (src/io/scratch-seal.ts), so that the pages that reach the disk
 * hold no plaintext.
 */
import {AsyncLocalStorage} from 'node:async_hooks'
import {accessSync, constants, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {resolve} from 'node:path'
import Database from 'better-sqlite3'
import {CustodyError, errnoOf} from '../errors.js'

/**
 * SQLite's page cache for a scratch database, in KiB: past it, pages go to the file. Tests lower
 * it (scratchCacheKiB()) to make a few rows reach the disk, where they check that none is in clear.
 */
let cacheKiB = 4 * 1024

/** Sets the page cache of the scratch databases opened from now on; returns the one it replaces. */
export function scratchCacheKiB(kib: number): number {
  const before = cacheKiB
  cacheKiB = kib
  return before
}

/**
 * Rows a page when many rows are read. Small: a page lives while its rows are worked on, long
 * enough for V8 to move it to the old generation, which only a major collection empties; small
 * pages keep that generation small, and reading them costs no more (README, "Speed").
 */
export const PAGE = 50

/**
 * The folder SQLite puts a temporary database in. On Unix, unixTempFileDir() in SQLite's
 * os_unix.c takes the first of $SQLITE_TMPDIR, $TMPDIR, /var/tmp, /usr/tmp, /tmp and "." that is a
 * folder it may write to and enter; on Windows, the system's temp path.
 */
export function scratchFolder(): string {
  if (process.platform === 'win32') return tmpdir()
  for (const folder of [process.env.SQLITE_TMPDIR, process.env.TMPDIR, '/var/tmp', '/usr/tmp', '/tmp', '.']) {
    if (folder === undefined || folder === '') continue
    try {
      if (!statSync(folder).isDirectory()) continue
      accessSync(folder, constants.W_OK | constants.X_OK)
      return resolve(folder)
    } catch {
      // not this one
    }
  }

  return resolve('.')
}

/** SQLite's result codes (extended ones included, such as SQLITE_IOERR_WRITE) that say the temp folder failed it. */
const STORAGE_FAILURE = /^SQLITE_(FULL|IOERR|CANTOPEN)/

function storageFailure(error: unknown): CustodyError | undefined {
  const code = errnoOf(error)
  if (code === undefined || !STORAGE_FAILURE.test(code)) return undefined
  const folder = scratchFolder()
  const what = code.startsWith('SQLITE_FULL')
    ? `the temp folder ${folder} is full`
    : `the temp folder ${folder} cannot be written (${code})`
  return new CustodyError(
    'DISK_FULL',
    `${what}: custody keeps its working index of large work there ($TMPDIR, else /var/tmp or /tmp). Free some space there, or point TMPDIR at a folder with room (TMPDIR=/path/with/room custody ...), and run the same command again`,
    {subject: folder, cause: error},
  )
}

/** The work scratchWork() runs, and the first storage failure of a scratch database it opened. */
interface Scope {
  failure: CustodyError | undefined
}

const scopes = new AsyncLocalStorage<Scope>()

/**
 * Notes `failure` (a scratch value that does not open: src/io/scratch-seal.ts) as the scratch's
 * failure in the work that runs, as a storage failure is, and returns it to be thrown.
 */
export function scratchFailed(failure: CustodyError): CustodyError {
  const scope = scopes.getStore()
  if (scope !== undefined) scope.failure ??= failure
  return failure
}

/** Runs `run`, turning a storage failure into its CustodyError, noted in the scope. */
function guarded<T>(scope: Scope | undefined, run: () => T): T {
  try {
    return run()
  } catch (error) {
    const failure = storageFailure(error)
    if (failure === undefined) throw error
    if (scope !== undefined) scope.failure ??= failure
    throw failure
  }
}

/**
 * The object with every method guarded: a method that returns the object itself (a statement's
 * pluck(), raw(), bind()) returns the guarded one, and an iterator (iterate()) is guarded too.
 * The methods run on the real object, as better-sqlite3's native methods require.
 */
function guard<T extends object>(target: T, scope: Scope | undefined): T {
  // One guarded function per method, made on first use: statements are run many times.
  const methods = new Map<PropertyKey, (...args: unknown[]) => unknown>()
  const proxy: T = new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object)
      if (typeof value !== 'function') return value
      let method = methods.get(property)
      if (method === undefined) {
        method = (...args: unknown[]): unknown => {
          const result = guarded(scope, () => (value as (...a: unknown[]) => unknown).apply(object, args))
          if (result === object) return proxy
          if (property === 'prepare' && typeof result === 'object' && result !== null) return guard(result, scope)
          if (property === 'iterate') return guardIterator(result as IterableIterator<unknown>, scope)
          return result
        }
        methods.set(property, method)
      }

      return method
    },
  })
  return proxy
}

function guardIterator<T>(iterator: IterableIterator<T>, scope: Scope | undefined): IterableIterator<T> {
  return {
    next: () => guarded(scope, () => iterator.next()),
    return: (value?: T) => iterator.return?.(value) ?? {done: true, value: value as T},
    [Symbol.iterator]() {
      return this
    },
  }
}

/** Opens a scratch database, creates its tables with `schema`, and begins its transaction. */
export function openScratchDatabase(schema: string): Database.Database {
  const scope = scopes.getStore()
  const db = guard(new Database(''), scope)
  db.pragma(`cache_size = -${cacheKiB}`)
  db.pragma('journal_mode = OFF')
  db.pragma('synchronous = OFF')
  db.pragma('temp_store = FILE')
  db.exec(schema)
  db.exec('BEGIN')
  return db
}

/**
 * Runs work whose conclusions rest on the scratch databases it opens (a verification). When one
 * of them could not be written, the work found nothing either way: its storage failure is thrown,
 * led by `stopped` (what could not finish), whatever the work returned or threw.
 */
export async function scratchWork<T>(stopped: string, work: () => Promise<T>): Promise<T> {
  const scope: Scope = {failure: undefined}
  let outcome: {value: T} | {error: unknown}
  try {
    outcome = {value: await scopes.run(scope, work)}
  } catch (error) {
    outcome = {error}
  }

  const {failure} = scope
  if (failure !== undefined) {
    throw new CustodyError(failure.code, `${stopped}: ${failure.message}`, {...(failure.subject === undefined ? {} : {subject: failure.subject}), cause: failure.cause})
  }

  if ('error' in outcome) throw outcome.error
  return outcome.value
}
