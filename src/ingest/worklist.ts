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
 *   known     for a batch, what the case took in before from each path of the run: its content,
 *             as the exhibit it is, and the last event that recorded it
 *   content   for --dry-run, the first file with each SHA-256
 *   system    the system files and folders a walk left out (system-files.ts), in the order found
 *
 * Rows are read page by page (src/io/keyset-pages.ts), so that results can be written between
 * pages.
 */
import type Database from 'better-sqlite3'
import {keysetPages} from '../io/keyset-pages.js'
import {PAGE, openScratchDatabase} from '../io/scratch-db.js'
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

  constructor() {
    this.db = openScratchDatabase(`
      CREATE TABLE file (
        i INTEGER PRIMARY KEY,  -- the order given
        input TEXT NOT NULL,    -- the file, with its manifest row (JSON)
        path TEXT NOT NULL,     -- its path, as given
        size INTEGER NOT NULL,  -- its size when it was found
        status TEXT,            -- once it is done: its result's status,
        bytes INTEGER,          -- the size the result gives,
        result TEXT             -- and the whole result (JSON)
      );
      CREATE INDEX file_by_path ON file (path);
      CREATE TABLE early (i INTEGER PRIMARY KEY, status TEXT NOT NULL, result TEXT NOT NULL);
      CREATE TABLE claimed (key TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE earlier (path TEXT PRIMARY KEY, exhibit TEXT NOT NULL, size INTEGER NOT NULL, modified TEXT) WITHOUT ROWID;
      CREATE TABLE content (sha256 TEXT PRIMARY KEY, path TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE system (i INTEGER PRIMARY KEY, entry TEXT NOT NULL);
      CREATE TABLE known (path TEXT NOT NULL, sha256 TEXT NOT NULL, exhibit TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (path, sha256)) WITHOUT ROWID;
    `)
    this.statements = this.prepare()
  }

  private prepare() {
    const db = this.db
    return {
      claimedLine: db.prepare('SELECT line FROM claimed WHERE key = ?').pluck(),
      claim: db.prepare('INSERT INTO claimed (key, line) VALUES (?, ?)'),
      add: db.prepare('INSERT INTO file (input, path, size) VALUES (?, ?, ?)'),
      holds: db.prepare('SELECT 1 FROM file WHERE path = ? LIMIT 1').pluck(),
      know: db.prepare('INSERT OR REPLACE INTO known (path, sha256, exhibit, seq) VALUES (@path, @sha256, @exhibit, @seq)'),
      takenFrom: db.prepare('SELECT exhibit FROM known WHERE path = ? ORDER BY seq DESC LIMIT 1').pluck(),
      takenAs: db.prepare('SELECT exhibit FROM known WHERE path = ? AND sha256 = ?').pluck(),
      addResult: db.prepare('INSERT INTO early (status, result) VALUES (?, ?)'),
      filesAfter: db.prepare(`SELECT i, input FROM file WHERE i > ? ORDER BY i LIMIT ${PAGE}`),
      pendingAfter: db.prepare(`SELECT i, input FROM file WHERE i > ? AND status IS NULL ORDER BY i LIMIT ${PAGE}`),
      earlyAfter: db.prepare(`SELECT i, result FROM early WHERE i > ? ORDER BY i LIMIT ${PAGE}`),
      resultsAfter: db.prepare(`SELECT i, input, result FROM file WHERE i > ? ORDER BY i LIMIT ${PAGE}`),
      setResult: db.prepare('UPDATE file SET status = ?, bytes = ?, result = ? WHERE i = ?'),
      totals: db.prepare('SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes FROM file'),
      pendingTotals: db.prepare('SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes FROM file WHERE status IS NULL'),
      remember: db.prepare('INSERT OR REPLACE INTO earlier (path, exhibit, size, modified) VALUES (@path, @exhibit, @size, @modifiedAt)'),
      earlier: db.prepare('SELECT path, exhibit, size, modified AS modifiedAt FROM earlier WHERE path = ?'),
      anyEarlier: db.prepare('SELECT 1 FROM earlier LIMIT 1'),
      content: db.prepare('SELECT path FROM content WHERE sha256 = ?').pluck(),
      addContent: db.prepare('INSERT INTO content (sha256, path) VALUES (?, ?)'),
      addSystem: db.prepare('INSERT INTO system (entry) VALUES (?)'),
      systemCount: db.prepare('SELECT count(*) FROM system').pluck(),
      systemFirst: db.prepare('SELECT entry FROM system ORDER BY i LIMIT ?').pluck(),
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
    const earlier = this.statements.claimedLine.get(key) as number | undefined
    if (earlier === undefined) this.statements.claim.run(key, line)
    return earlier
  }

  /** A file to take in, after those added before it. */
  add(file: InputFile): void {
    this.statements.add.run(JSON.stringify(file), file.path, file.size)
  }

  /** True when a file of the run has this path. */
  holds(path: string): boolean {
    return this.statements.holds.get(path) !== undefined
  }

  /** What the case took in from a path of the run (later events replace earlier ones of the same content). */
  know(file: {path: string; sha256: string; exhibit: string; seq: number}): void {
    this.statements.know.run({path: file.path, sha256: file.sha256, exhibit: file.exhibit, seq: file.seq})
  }

  /** The exhibit last taken in from this path, if the case took in any from it. */
  takenFrom(path: string): string | undefined {
    return this.statements.takenFrom.get(path) as string | undefined
  }

  /** The exhibit the case took in from this path with this content, if it did. */
  takenAs(path: string, sha256: string): string | undefined {
    return this.statements.takenAs.get(path, sha256) as string | undefined
  }

  /** A result known before any file is read; the report gives these first. */
  addResult(result: IngestFileResult): void {
    this.statements.addResult.run(result.status, JSON.stringify(result))
  }

  /** The files in the order given: all of them, or those without a result yet. */
  *files(which: 'all' | 'pending'): Generator<WorkItem> {
    const page = which === 'all' ? this.statements.filesAfter : this.statements.pendingAfter
    for (const row of keysetPages((after) => page.all(after) as Array<{i: number; input: string}>, (r) => r.i, 0)) {
      yield {i: row.i, file: JSON.parse(row.input) as InputFile}
    }
  }

  /** How many files, and their bytes: all of them, or those without a result yet. */
  totals(which: 'all' | 'pending'): {files: number; bytes: number} {
    return (which === 'all' ? this.statements.totals : this.statements.pendingTotals).get() as {files: number; bytes: number}
  }

  setResult(i: number, result: IngestFileResult): void {
    this.statements.setResult.run(result.status, 'size' in result ? result.size : null, JSON.stringify(result), i)
  }

  /** A file an earlier run of the batch took in; a later one of the same path replaces it. */
  remember(file: EarlierFile): void {
    this.statements.remember.run(file)
  }

  /** True when an earlier run took in any file. */
  hasEarlier(): boolean {
    return this.statements.anyEarlier.get() !== undefined
  }

  earlier(path: string): EarlierFile | undefined {
    return this.statements.earlier.get(path) as EarlierFile | undefined
  }

  /** The path of the first file seen with this content; undefined (and this one is the first) if none. */
  firstWithContent(sha256: string, path: string): string | undefined {
    const first = this.statements.content.get(sha256) as string | undefined
    if (first === undefined) this.statements.addContent.run(sha256, path)
    return first
  }

  /** A system file or folder a walk left out. */
  addSystem(entry: SystemEntry): void {
    this.statements.addSystem.run(JSON.stringify(entry))
  }

  /** How many system files and folders the walks left out, and the first `limit` of them in the order found. */
  systemFiles(limit: number): {count: number; entries: SystemEntry[]} {
    const entries = (this.statements.systemFirst.all(limit) as string[]).map((entry) => JSON.parse(entry) as SystemEntry)
    return {count: this.statements.systemCount.get() as number, entries}
  }

  /**
   * Every result, in the report's order: those known up front, then each file's in the order
   * given; a file without a result (the run stopped before it) gets `unfinished(file)`.
   */
  *results(unfinished: (file: InputFile) => IngestFileResult): Generator<IngestFileResult> {
    for (const row of keysetPages((after) => this.statements.earlyAfter.all(after) as Array<{i: number; result: string}>, (r) => r.i, 0)) {
      yield JSON.parse(row.result) as IngestFileResult
    }

    type Row = {i: number; input: string; result: string | null}
    for (const row of keysetPages((after) => this.statements.resultsAfter.all(after) as Row[], (r) => r.i, 0)) {
      yield row.result === null ? unfinished(JSON.parse(row.input) as InputFile) : (JSON.parse(row.result) as IngestFileResult)
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
