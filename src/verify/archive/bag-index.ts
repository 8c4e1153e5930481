/**
 * What `custody verify ARCHIVE` keeps of a bag while it checks it: every entry of the ZIP, with its
 * digests and what names it, and every exhibit the seal statement states. All of it lives in a
 * scratch database (src/io/scratch-db.ts), not in the heap, so that verifying an archive of any
 * number of exhibits needs the same memory: SQLite's page cache, a few MiB. Reads of many rows go
 * page by page, never through an open cursor, so that rows can be updated between pages.
 */
import type Database from 'better-sqlite3'
import type {ZipEntryInfo} from '../../zip/structure.js'
import {keysetPages} from '../../io/keyset-pages.js'
import {PAGE, openScratchDatabase} from '../../io/scratch-db.js'

/** The folder beside the bag where macOS (Finder's Compress, `ditto -c -k --sequesterRsrc`) puts its AppleDouble files. */
export const MACOS_ASIDE = '__MACOSX'
/** At most this many problems of one kind are taken from a query: the report lists no more. */
const LISTED = 1000

/**
 * The entry an AppleDouble file under __MACOSX/ stands beside (`__MACOSX/a/b/._c` for `a/b/c`), or
 * undefined when the name is not one.
 */
export function appleDoubleOf(name: string): string | undefined {
  const inside = name.slice(MACOS_ASIDE.length + 1)
  const slash = inside.lastIndexOf('/')
  const base = inside.slice(slash + 1)
  if (!name.startsWith(`${MACOS_ASIDE}/`) || !base.startsWith('._') || base.length === 2) return undefined
  return `${inside.slice(0, slash + 1)}${base.slice(2)}`
}

/** A file of the bag: where it is in the ZIP, its size and its digests. */
export interface BagFile {
  info: ZipEntryInfo
  size: number
  sha256: string
  sha512: string
}

/** How often the payload manifests and the seal statement name a file: counted in these columns. */
export type Naming = 'listed256' | 'listed512' | 'stated'

export interface LayoutProblem {
  subject: string
  message: string
}

interface EntryRow {
  i: number
  name: string
  dir: number
  method: number
  encrypted: number
  csize: number
  usize: number
  offset: number
  data: number
  crc: number
  mode: number
}

interface FileRow extends EntryRow {
  size: number
  sha256: string
  sha512: string
}

function infoOf(row: EntryRow): ZipEntryInfo {
  return {
    index: row.i,
    name: row.name,
    isDirectory: row.dir === 1,
    method: row.method,
    encrypted: row.encrypted === 1,
    compressedSize: row.csize,
    uncompressedSize: row.usize,
    offset: row.offset,
    dataStart: row.data,
    crc32: row.crc,
    unixMode: row.mode,
  }
}

export class BagIndex implements Disposable {
  private readonly db: Database.Database
  private readonly statements: ReturnType<BagIndex['prepare']>

  constructor() {
    this.db = openScratchDatabase(`
      CREATE TABLE entry (
        i INTEGER PRIMARY KEY,       -- its place in the central directory
        name TEXT NOT NULL,
        nfc TEXT NOT NULL,           -- the name after Unicode normalisation (NFC)
        cp437 TEXT,                  -- a name taken as UTF-8 without the flag: its CP437 reading, NFC
        top TEXT NOT NULL,           -- the name's first component
        dir INTEGER NOT NULL,
        method INTEGER NOT NULL,
        encrypted INTEGER NOT NULL,
        csize INTEGER NOT NULL,
        usize INTEGER NOT NULL,
        offset INTEGER NOT NULL,
        data INTEGER NOT NULL,       -- where its data starts
        crc INTEGER NOT NULL,        -- the CRC-32 the ZIP states
        mode INTEGER NOT NULL,
        path TEXT,                   -- inside the bag, once read
        size INTEGER,
        sha256 TEXT,
        sha512 TEXT,
        listed256 INTEGER NOT NULL DEFAULT 0, -- lines of manifest-sha256.txt naming it
        listed512 INTEGER NOT NULL DEFAULT 0, -- lines of manifest-sha512.txt naming it
        stated INTEGER NOT NULL DEFAULT 0     -- times the seal statement names it
      );
      CREATE TABLE stated (
        id TEXT PRIMARY KEY,
        ord INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        sha512 TEXT NOT NULL,
        ingest INTEGER NOT NULL DEFAULT 0, -- 1 once an ingest event of the exhibit was seen
        differing TEXT                     -- that event's SHA-256, when its digests are not the stated ones
      );
      CREATE INDEX stated_order ON stated (ord);
    `)
    this.statements = this.prepare()
  }

  private prepare() {
    const db = this.db
    return {
      addEntry: db.prepare('INSERT INTO entry (i, name, nfc, cp437, top, dir, method, encrypted, csize, usize, offset, data, crc, mode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      filesAfter: db.prepare(`SELECT i, name, dir, method, encrypted, csize, usize, offset, data, crc, mode FROM entry WHERE dir = 0 AND i > ? ORDER BY i LIMIT ${PAGE}`),
      setDigest: db.prepare('UPDATE entry SET path = ?, size = ?, sha256 = ?, sha512 = ? WHERE i = ?'),
      file: db.prepare('SELECT i, name, dir, method, encrypted, csize, usize, offset, data, crc, mode, size, sha256, sha512 FROM entry WHERE path = ? AND dir = 0'),
      // One statement a line: counted, and the digest to compare, in one go.
      listed256: db.prepare('UPDATE entry SET listed256 = listed256 + 1 WHERE path = ? AND dir = 0 RETURNING listed256 AS times, sha256 AS digest'),
      listed512: db.prepare('UPDATE entry SET listed512 = listed512 + 1 WHERE path = ? AND dir = 0 RETURNING listed512 AS times, sha512 AS digest'),
      stated: db.prepare('UPDATE entry SET stated = stated + 1 WHERE path = ? AND dir = 0 RETURNING stated AS times, size, sha256, sha512'),
      unnamedAfter: Object.fromEntries(
        (['listed256', 'listed512', 'stated'] as const).map((column) => [
          column,
          db.prepare(`SELECT i, path FROM entry WHERE dir = 0 AND substr(path, 1, length(@prefix)) = @prefix AND ${column} = 0 AND i > @after ORDER BY i LIMIT ${PAGE}`),
        ]),
      ) as Record<Naming, Database.Statement>,
      payload: db.prepare("SELECT count(*) AS count, coalesce(sum(size), 0) AS bytes FROM entry WHERE dir = 0 AND substr(path, 1, 5) = 'data/'"),
      state: db.prepare('INSERT INTO stated (id, ord, sha256, sha512) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET sha256 = excluded.sha256, sha512 = excluded.sha512'),
      statedExhibit: db.prepare('SELECT sha256 FROM stated WHERE id = ?'),
      ingested: db.prepare('UPDATE stated SET ingest = 1, differing = CASE WHEN sha256 = @sha256 AND sha512 = @sha512 THEN NULL ELSE @shown END WHERE id = @id'),
      statedAfter: db.prepare(`SELECT id, ord, sha256, ingest, differing FROM stated WHERE ord > ? ORDER BY ord LIMIT ${PAGE}`),
    }
  }

  /** An entry of the ZIP, as it is listed. */
  addEntry(e: ZipEntryInfo): void {
    const cp437 = e.cp437Name?.normalize('NFC') ?? null
    this.statements.addEntry.run(e.index, e.name, e.name.normalize('NFC'), cp437, e.name.split('/')[0]!, e.isDirectory ? 1 : 0, e.method, e.encrypted ? 1 : 0, e.compressedSize, e.uncompressedSize, e.offset, e.dataStart, e.crc32, e.unixMode)
  }

  /**
   * The checks of the layout that need all entries: duplicate names (also after Unicode
   * normalisation, and as CP437 readers read a name not flagged UTF-8), exactly one top folder
   * holding every file (beside it, only macOS's AppleDouble files under __MACOSX/), and deflated
   * entries that together expand more than `maxRatio` times the archive's size (src/zip/structure.ts
   * has already refused entries that overlap or leave gaps). Call once, after the listing: it
   * indexes the entries.
   */
  layoutProblems(archiveSize: number, maxRatio: number): {problems: LayoutProblem[]; top: string | undefined} {
    const db = this.db
    db.exec('CREATE INDEX entry_nfc ON entry (nfc, i); CREATE INDEX entry_path ON entry (path)')
    const problems: LayoutProblem[] = [...this.duplicateNames(), ...this.otherReadings(), ...this.strayAsideEntries()]
    const tops = db.prepare('SELECT top FROM entry WHERE top != ? GROUP BY top ORDER BY min(i) LIMIT 5').pluck().all(MACOS_ASIDE) as string[]
    const topCount = db.prepare('SELECT count(DISTINCT top) FROM entry WHERE top != ?').pluck().get(MACOS_ASIDE) as number
    if (topCount !== 1) problems.push({subject: 'ZIP', message: `expected exactly one top-level folder (the bag), found ${topCount}: ${tops.join(', ')}`})
    else if (db.prepare("SELECT 1 FROM entry WHERE dir = 0 AND instr(name, '/') = 0 LIMIT 1").get() !== undefined) problems.push({subject: 'ZIP', message: 'a file lies outside the bag folder'})

    // Each deflated entry's stated size is checked on its own; together they must not make a
    // small file inflate to gigabytes either.
    const {inflated} = db.prepare('SELECT coalesce(sum(usize), 0) AS inflated FROM entry WHERE method != 0').get() as {inflated: number}
    if (inflated > archiveSize * maxRatio + 1024 * 1024) {
      problems.push({subject: 'ZIP', message: `its deflated entries state ${inflated} bytes in all, more than ${maxRatio} times the archive's ${archiveSize} (a zip bomb?)`})
    }

    return {problems, top: topCount === 1 ? tops[0] : undefined}
  }

  /** Each name against the entry with the same normal form just before it. */
  private duplicateNames(): LayoutProblem[] {
    const duplicates = this.db
      .prepare('SELECT a.name AS name, (SELECT b.name FROM entry b WHERE b.nfc = a.nfc AND b.i < a.i ORDER BY b.i DESC LIMIT 1) AS earlier FROM entry a WHERE earlier IS NOT NULL ORDER BY a.i')
      .all() as Array<{name: string; earlier: string}>
    return duplicates.map(({name, earlier}) => ({
      subject: name,
      message: earlier === name ? 'two entries have this same name' : `this name and ${JSON.stringify(earlier)} are the same after Unicode normalisation`,
    }))
  }

  /**
   * A name taken as UTF-8 without the flag whose CP437 reading is another entry's name: Python's
   * zipfile and yauzl would extract the two entries to one file, custody and unzip to two.
   */
  private otherReadings(): LayoutProblem[] {
    const rows = this.db
      .prepare(
        `SELECT a.name AS name, a.cp437 AS reading, (SELECT b.name FROM entry b WHERE b.nfc = a.cp437 AND b.i != a.i ORDER BY b.i LIMIT 1) AS other
         FROM entry a WHERE a.cp437 IS NOT NULL AND other IS NOT NULL ORDER BY a.i LIMIT ${LISTED}`,
      )
      .all() as Array<{name: string; reading: string; other: string}>
    return rows.map(({name, reading, other}) => ({
      subject: name,
      message: `its name is not flagged UTF-8, and read as CP437 (as Python's zipfile and yauzl read such a name) it is ${JSON.stringify(reading)}, the name of the entry ${JSON.stringify(other)}: those readers would extract the two to one file`,
    }))
  }

  /**
   * Entries under __MACOSX/ are left aside only as the AppleDouble companions macOS writes
   * (`__MACOSX/<folder>/._<name>` beside the file or folder `<folder>/<name>` of the ZIP): anything
   * else there could be taken for part of the bag by whoever opens the folder.
   */
  private strayAsideEntries(): LayoutProblem[] {
    this.db.function('apple_double_of', {deterministic: true}, (name: unknown) => appleDoubleOf(String(name)) ?? null)
    const stray = this.db
      .prepare(
        `SELECT name FROM (SELECT i, name, apple_double_of(nfc) AS t FROM entry WHERE top = @aside AND dir = 0)
         WHERE t IS NULL OR NOT EXISTS (SELECT 1 FROM entry b WHERE b.top != @aside AND (b.nfc = t OR (b.nfc >= t || '/' AND b.nfc < t || '0')))
         ORDER BY i LIMIT ${LISTED}`,
      )
      .pluck()
      .all({aside: MACOS_ASIDE}) as string[]
    return stray.map((name) => ({subject: name, message: `it is under ${MACOS_ASIDE}/ but is not the AppleDouble file (._NAME) of an entry of the ZIP, which is all macOS puts there`}))
  }

  /**
   * What other readers or tools may show otherwise, for the report's warnings: names taken as
   * UTF-8 without the flag, names not in Unicode NFC (macOS writes NFD), and AppleDouble files
   * under __MACOSX/ left aside. Each with how many and the first.
   */
  nameNotes(): Record<'unflagged' | 'decomposed' | 'aside', {count: number; first: string | undefined}> {
    const note = (where: string): {count: number; first: string | undefined} => {
      const row = this.db.prepare(`SELECT count(*) AS count, (SELECT name FROM entry WHERE ${where} ORDER BY i LIMIT 1) AS first FROM entry WHERE ${where}`).get({aside: MACOS_ASIDE}) as {
        count: number
        first: string | null
      }
      return {count: row.count, first: row.first ?? undefined}
    }
    return {
      unflagged: note('cp437 IS NOT NULL AND top != @aside'),
      decomposed: note('nfc != name AND top != @aside'),
      aside: note('top = @aside AND dir = 0'),
    }
  }

  /** The file entries (not folders), in the order of the central directory, page by page. */
  *fileEntries(): Generator<ZipEntryInfo> {
    for (const row of keysetPages((after) => this.statements.filesAfter.all(after) as EntryRow[], (r) => r.i, -1)) yield infoOf(row)
  }

  fileCount(): number {
    return this.db.prepare('SELECT count(*) FROM entry WHERE dir = 0').pluck().get() as number
  }

  /** A file's digests, and its path inside the bag (null for one left aside, outside the bag). */
  setDigest(info: ZipEntryInfo, path: string | null, digest: {sha256: string; sha512: string; size: number}): void {
    this.statements.setDigest.run(path, digest.size, digest.sha256, digest.sha512, info.index)
  }

  get(path: string): BagFile | undefined {
    const row = this.statements.file.get(path) as FileRow | undefined
    if (row === undefined) return undefined
    return {info: infoOf(row), size: row.size, sha256: row.sha256, sha512: row.sha512}
  }

  /**
   * A line of a payload manifest names this file: how many lines of that manifest have named it
   * so far, this one included, and its digest to compare; undefined when the bag has no such file.
   */
  listed(path: string, algorithm: 'sha256' | 'sha512'): {times: number; digest: string} | undefined {
    return (algorithm === 'sha256' ? this.statements.listed256 : this.statements.listed512).get(path) as {times: number; digest: string} | undefined
  }

  /**
   * The seal statement names this file (an exhibit's original or metadata record, or a custody
   * file): how many times it has now, its size and digests; undefined when the bag has no such file.
   */
  statedFile(path: string): {times: number; size: number; sha256: string; sha512: string} | undefined {
    return this.statements.stated.get(path) as {times: number; size: number; sha256: string; sha512: string} | undefined
  }

  /** The paths of the files under `prefix` that `naming` never named, in order. */
  *unnamed(prefix: string, naming: Naming): Generator<string> {
    const rows = keysetPages((after) => this.statements.unnamedAfter[naming].all({prefix, after}) as Array<{i: number; path: string}>, (r) => r.i, -1)
    for (const row of rows) yield row.path
  }

  /** The payload (files under data/): how many, and their bytes. */
  payload(): {count: number; bytes: number} {
    return this.statements.payload.get() as {count: number; bytes: number}
  }

  /** An exhibit of the seal statement, with the digests it states (a repeated one: the last counts). */
  addStatedExhibit(id: string, order: number, sha256: unknown, sha512: unknown): void {
    this.statements.state.run(id, order, String(sha256), String(sha512))
  }

  /** The SHA-256 the statement states for an exhibit, if it states the exhibit. */
  statedSha256(id: string): string | undefined {
    return (this.statements.statedExhibit.get(id) as {sha256: string} | undefined)?.sha256
  }

  /**
   * An ingest event of `id` with these digests (ignored when the statement does not state it);
   * the last one counts, as the ledger's fold has it.
   */
  ingested(id: string, digests: {sha256?: unknown; sha512?: unknown}): void {
    // Digests that are not strings can equal no stated digest.
    const text = (value: unknown): string | null => (typeof value === 'string' ? value : null)
    this.statements.ingested.run({sha256: text(digests.sha256), sha512: text(digests.sha512), shown: String(digests.sha256), id})
  }

  /** Each stated exhibit, in the statement's order, with what its ingest event said: none, the same, or other digests. */
  *ingestResults(): Generator<{id: string; stated: string; ingest: 'missing' | 'same' | {sha256: string}}> {
    type Row = {id: string; ord: number; sha256: string; ingest: number; differing: string | null}
    for (const row of keysetPages((after) => this.statements.statedAfter.all(after) as Row[], (r) => r.ord, -1)) {
      yield {id: row.id, stated: row.sha256, ingest: row.ingest === 0 ? 'missing' : row.differing === null ? 'same' : {sha256: row.differing}}
    }
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
