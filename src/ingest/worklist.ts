/**
 * The files of one ingest run, from the moment they are found until their results are printed,
 * kept in a scratch database (src/io/scratch-db.ts) rather than in the heap, so that a folder or a
 * manifest of any number of files is ingested in the same memory. It holds:
 *
 *   file      each file to take in, in the order given, with what its manifest row said; and,
 *             once it is done, its result
 *   early     the results known before any file is read (a path that does not exist, a folder
 *             that is not followed), which the report gives first
 *   claimed   the real path of every file found so far, so that a file named twice goes in once
 *   earlier   what earlier runs of the same batch took in, by source path
 *   known     for a batch, what the case took in before from each path of the run: each exhibit
 *             taken in from there (an exhibit is one content), and the last event that recorded it
 *   content   for --dry-run, the first file with each SHA-256
 *   system    the system files and folders a walk left out (system-files.ts), in the order found
 *
 * Rows are read page by page (src/io/keyset-pages.ts), so that results can be written between
 * pages.
 *
 * Nothing of the case is in clear in it (src/io/scratch-seal.ts): what is read back (the files,
 * their results, exhibits, system entries) is sealed with this run's key, bound to its row (its
 * number, or the path and digest it is kept under); paths and digests that are only looked up are
 * kept as their keyed hashes. Row numbers, sizes and statuses stay in clear.
 */
import type Database from 'better-sqlite3'
import {keysetPages} from '../io/keyset-pages.js'
import {PAGE, openScratchDatabase} from '../io/scratch-db.js'
import {openScratchText, scratchLookup, sealScratch} from '../io/scratch-seal.js'
import type {EarlierFile} from './batch.js'
import type {InputFile} from './inputs.js'
import type {IngestCounts, IngestFileResult} from './results.js'
import type {SystemEntry} from './system-files.js'

/** A file of the worklist: its place in the order given, and the file. */
export interface WorkItem {
  i: number
  file: InputFile
}

export class Worklist implements Disposable {
  private readonly db: Database.Database
  private readonly statements: ReturnType<Worklist['prepare']>
  /** The rows numbered so far, of file, early and system: each sealed value is bound to its number. */
  private added = 0
  private early = 0
  private system = 0

  constructor() {
    this.db = openScratchDatabase(`
      CREATE TABLE file (
        i INTEGER PRIMARY KEY,  -- the order given
        input BLOB NOT NULL,    -- the file, with its manifest row (JSON, sealed)
        path BLOB NOT NULL,     -- its path, as given (keyed hash)
        size INTEGER NOT NULL,  -- its size when it was found
        status TEXT,            -- once it is done: its result's status,
        bytes INTEGER,          -- the size the result gives,
        result BLOB             -- and the whole result (JSON, sealed)
      );
      CREATE INDEX file_by_path ON file (path);
      CREATE TABLE early (i INTEGER PRIMARY KEY, status TEXT NOT NULL, result BLOB NOT NULL);
      CREATE TABLE claimed (key BLOB PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;
      -- path: keyed hash; record: the EarlierFile (JSON, sealed)
      CREATE TABLE earlier (path BLOB PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;
      CREATE TABLE content (sha256 BLOB PRIMARY KEY, path BLOB NOT NULL) WITHOUT ROWID;
      CREATE TABLE system (i INTEGER PRIMARY KEY, entry BLOB NOT NULL);
      -- path, exhibit: keyed hashes; sealed: the exhibit (sealed, for takenFrom)
      CREATE TABLE known (path BLOB NOT NULL, exhibit BLOB NOT NULL, sealed BLOB NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (path, exhibit)) WITHOUT ROWID;
    `)
    this.statements = this.prepare()
  }

  private prepare() {
    const db = this.db
    return {
      claimedLine: db.prepare('SELECT line FROM claimed WHERE key = ?').pluck(),
      claim: db.prepare('INSERT INTO claimed (key, line) VALUES (?, ?)'),
      add: db.prepare('INSERT INTO file (i, input, path, size) VALUES (?, ?, ?, ?)'),
      holds: db.prepare('SELECT 1 FROM file WHERE path = ? LIMIT 1').pluck(),
      know: db.prepare('INSERT OR REPLACE INTO known (path, exhibit, sealed, seq) VALUES (?, ?, ?, ?)'),
      takenFrom: db.prepare('SELECT exhibit, sealed FROM known WHERE path = ? ORDER BY seq DESC LIMIT 1'),
      tookFrom: db.prepare('SELECT 1 FROM known WHERE path = ? AND exhibit = ?').pluck(),
      addResult: db.prepare('INSERT INTO early (i, status, result) VALUES (?, ?, ?)'),
      filesAfter: db.prepare(`SELECT i, input FROM file WHERE i > ? ORDER BY i LIMIT ${PAGE}`),
      pendingAfter: db.prepare(`SELECT i, input FROM file WHERE i > ? AND status IS NULL ORDER BY i LIMIT ${PAGE}`),
      earlyAfter: db.prepare(`SELECT i, result FROM early WHERE i > ? ORDER BY i LIMIT ${PAGE}`),
      resultsAfter: db.prepare(`SELECT i, input, result FROM file WHERE i > ? ORDER BY i LIMIT ${PAGE}`),
      setResult: db.prepare('UPDATE file SET status = ?, bytes = ?, result = ? WHERE i = ?'),
      totals: db.prepare('SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes FROM file'),
      pendingTotals: db.prepare('SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes FROM file WHERE status IS NULL'),
      remember: db.prepare('INSERT OR REPLACE INTO earlier (path, record) VALUES (?, ?)'),
      earlier: db.prepare('SELECT record FROM earlier WHERE path = ?').pluck(),
      anyEarlier: db.prepare('SELECT 1 FROM earlier LIMIT 1'),
      content: db.prepare('SELECT path FROM content WHERE sha256 = ?').pluck(),
      addContent: db.prepare('INSERT INTO content (sha256, path) VALUES (?, ?)'),
      addSystem: db.prepare('INSERT INTO system (i, entry) VALUES (?, ?)'),
      systemCount: db.prepare('SELECT count(*) FROM system').pluck(),
      systemFirst: db.prepare('SELECT i, entry FROM system ORDER BY i LIMIT ?'),
      statuses: db.prepare(
        'SELECT status, count(*) AS n, coalesce(sum(bytes), 0) AS bytes FROM (SELECT status, NULL AS bytes FROM early UNION ALL SELECT status, bytes FROM file) GROUP BY status',
      ),
    }
  }

  /**
   * Claims a file by its real path: undefined the first time; after that, the line given by the
   * first claim (a manifest's line; 0 for a file found in a folder), and the file is left out.
   */
  claim(key: string, line = 0): number | undefined {
    const hashed = scratchLookup(key, 'claimed')
    const earlier = this.statements.claimedLine.get(hashed) as number | undefined
    if (earlier === undefined) this.statements.claim.run(hashed, line)
    return earlier
  }

  /** A file to take in, after those added before it. */
  add(file: InputFile): void {
    const i = ++this.added
    this.statements.add.run(i, sealScratch(JSON.stringify(file), `file.input ${i}`), scratchLookup(file.path, 'file.path'), file.size)
  }

  /** True when a file of the run has this path. */
  holds(path: string): boolean {
    return this.statements.holds.get(scratchLookup(path, 'file.path')) !== undefined
  }

  /** An exhibit the case took in from a path of the run (later events replace earlier ones of the same exhibit). */
  know(file: {path: string; exhibit: string; seq: number}): void {
    const exhibit = scratchLookup(file.exhibit, 'known.exhibit')
    this.statements.know.run(scratchLookup(file.path, 'known.path'), exhibit, sealScratch(file.exhibit, knownPlace(file.path, exhibit)), file.seq)
  }

  /** The exhibit last taken in from this path, if the case took in any from it. */
  takenFrom(path: string): string | undefined {
    const row = this.statements.takenFrom.get(scratchLookup(path, 'known.path')) as {exhibit: Buffer; sealed: Buffer} | undefined
    return row === undefined ? undefined : openScratchText(row.sealed, knownPlace(path, row.exhibit))
  }

  /**
   * Whether the case took this exhibit in from this path. An exhibit is one content (the case
   * holds each SHA-256 once), so "this path, this content" is "this path, the exhibit of this
   * content": no record of an event's SHA-256 is needed, which a sealed ledger's tags do not give.
   */
  tookFrom(path: string, exhibit: string): boolean {
    return this.statements.tookFrom.get(scratchLookup(path, 'known.path'), scratchLookup(exhibit, 'known.exhibit')) !== undefined
  }

  /** A result known before any file is read; the report gives these first. */
  addResult(result: IngestFileResult): void {
    const i = ++this.early
    this.statements.addResult.run(i, result.status, sealScratch(JSON.stringify(result), `early.result ${i}`))
  }

  /** The files in the order given: all of them, or those without a result yet. */
  *files(which: 'all' | 'pending'): Generator<WorkItem> {
    const page = which === 'all' ? this.statements.filesAfter : this.statements.pendingAfter
    for (const row of keysetPages((after) => page.all(after) as Array<{i: number; input: Buffer}>, (r) => r.i, 0)) {
      yield {i: row.i, file: JSON.parse(openScratchText(row.input, `file.input ${row.i}`)) as InputFile}
    }
  }

  /** How many files, and their bytes: all of them, or those without a result yet. */
  totals(which: 'all' | 'pending'): {files: number; bytes: number} {
    return (which === 'all' ? this.statements.totals : this.statements.pendingTotals).get() as {files: number; bytes: number}
  }

  setResult(i: number, result: IngestFileResult): void {
    this.statements.setResult.run(result.status, 'size' in result ? result.size : null, sealScratch(JSON.stringify(result), `file.result ${i}`), i)
  }

  /** A file an earlier run of the batch took in; a later one of the same path replaces it. */
  remember(file: EarlierFile): void {
    this.statements.remember.run(scratchLookup(file.path, 'earlier.path'), sealScratch(JSON.stringify(file), `earlier ${file.path}`))
  }

  /** True when an earlier run took in any file. */
  hasEarlier(): boolean {
    return this.statements.anyEarlier.get() !== undefined
  }

  earlier(path: string): EarlierFile | undefined {
    const record = this.statements.earlier.get(scratchLookup(path, 'earlier.path')) as Buffer | undefined
    return record === undefined ? undefined : (JSON.parse(openScratchText(record, `earlier ${path}`)) as EarlierFile)
  }

  /** The path of the first file seen with this content; undefined (and this one is the first) if none. */
  firstWithContent(sha256: string, path: string): string | undefined {
    const hashed = scratchLookup(sha256, 'content.sha256')
    const first = this.statements.content.get(hashed) as Buffer | undefined
    if (first === undefined) this.statements.addContent.run(hashed, sealScratch(path, `content ${sha256}`))
    return first === undefined ? undefined : openScratchText(first, `content ${sha256}`)
  }

  /** A system file or folder a walk left out. */
  addSystem(entry: SystemEntry): void {
    const i = ++this.system
    this.statements.addSystem.run(i, sealScratch(JSON.stringify(entry), `system ${i}`))
  }

  /** How many system files and folders the walks left out, and the first `limit` of them in the order found. */
  systemFiles(limit: number): {count: number; entries: SystemEntry[]} {
    const rows = this.statements.systemFirst.all(limit) as Array<{i: number; entry: Buffer}>
    const entries = rows.map((row) => JSON.parse(openScratchText(row.entry, `system ${row.i}`)) as SystemEntry)
    return {count: this.statements.systemCount.get() as number, entries}
  }

  /**
   * Every result, in the report's order: those known up front, then each file's in the order
   * given; a file without a result (the run stopped before it) gets `unfinished(file)`.
   */
  *results(unfinished: (file: InputFile) => IngestFileResult): Generator<IngestFileResult> {
    for (const row of keysetPages((after) => this.statements.earlyAfter.all(after) as Array<{i: number; result: Buffer}>, (r) => r.i, 0)) {
      yield JSON.parse(openScratchText(row.result, `early.result ${row.i}`)) as IngestFileResult
    }

    type Row = {i: number; input: Buffer; result: Buffer | null}
    for (const row of keysetPages((after) => this.statements.resultsAfter.all(after) as Row[], (r) => r.i, 0)) {
      yield row.result === null
        ? unfinished(JSON.parse(openScratchText(row.input, `file.input ${row.i}`)) as InputFile)
        : (JSON.parse(openScratchText(row.result, `file.result ${row.i}`)) as IngestFileResult)
    }
  }

  /** The counts of the report, and the bytes of the files ingested (or that would be); a file without a result counts as skipped. */
  counts(): {counts: IngestCounts; bytesIngested: number} {
    const counts: IngestCounts = {ingested: 0, alreadyPresent: 0, failed: 0, skipped: 0}
    let bytesIngested = 0
    for (const {status, n, bytes} of this.statements.statuses.all() as Array<{status: string | null; n: number; bytes: number}>) {
      if (status === 'ingested' || status === 'would-ingest') {
        counts.ingested += n
        bytesIngested += bytes
      } else if (status === 'already-present') counts.alreadyPresent += n
      else if (status === 'failed') counts.failed += n
      else counts.skipped += n
    }

    return {counts, bytesIngested}
  }

  /** Closes the database (SQLite removes its file); closing it again does nothing. */
  close(): void {
    this.db.close()
  }

  /** For `using`: closes it, as close() does (again, harmlessly, after close()). */
  [Symbol.dispose](): void {
    this.close()
  }
}

/** The place a `known` exhibit is sealed for: its path and (the keyed hash of) the exhibit. */
function knownPlace(path: string, exhibit: Buffer): string {
  return `known ${path} ${exhibit.toString('hex')}`
}
