/**
 * What `custody verify ARCHIVE` keeps of a bag while it checks it: every entry of the ZIP, with its
 * digests and what names it, and every exhibit the seal statement states. All of it lives in a
 * scratch database (src/io/scratch-db.ts), not in the heap, so that verifying an archive of any
 * number of exhibits needs the same memory: SQLite's page cache, a few MiB. Reads of many rows go
 * page by page, never through an open cursor, so that rows can be updated between pages.
 *
 * For an archive verified from its `.age` file, nothing of it is in clear in the scratch file (the
 * SEALED codec of src/io/scratch-seal.ts): names, paths, CP437 readings and digests read back are
 * sealed with this run's key, bound to their entry (or stated exhibit); names compared for equality
 * (after normalisation, as CP437 reads them, top folders, the folders entries lie in) and paths
 * looked up are keyed hashes. For a ZIP or bag folder in clear the same columns hold the text
 * itself (IN_CLEAR): the archive shows it to whoever holds it, and sealing some twenty values an
 * entry would more than double the time of verifying an archive of many small exhibits (CHANGELOG).
 * What the checks ask of a name's shape is kept beside it as a flag (aside: under __MACOSX/; bare:
 * no folder; decomposed: not NFC; payload: under data/).
 */
import type Database from 'better-sqlite3'
import type {ZipEntryInfo} from '../../zip/structure.js'
import {keysetPages} from '../../io/keyset-pages.js'
import {PAGE, openScratchDatabase} from '../../io/scratch-db.js'
import {SEALED, type ScratchCodec} from '../../io/scratch-seal.js'

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
  name: Buffer
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
  sha256: Buffer
  sha512: Buffer
}

const SCHEMA = `
  CREATE TABLE entry (
    i INTEGER PRIMARY KEY,       -- its place in the central directory
    name BLOB NOT NULL,          -- sealed
    nfc BLOB NOT NULL,           -- the name after Unicode normalisation (NFC): keyed hash
    cp437 BLOB,                  -- a name taken as UTF-8 without the flag: its CP437 reading, NFC, keyed as nfc is
    reading BLOB,                -- and that reading, sealed
    top BLOB NOT NULL,           -- the name's first component: keyed hash
    aside INTEGER NOT NULL,      -- 1 when that is __MACOSX
    bare INTEGER NOT NULL,       -- 1 when the name has no folder
    decomposed INTEGER NOT NULL, -- 1 when the name is not in NFC
    dir INTEGER NOT NULL,
    method INTEGER NOT NULL,
    encrypted INTEGER NOT NULL,
    csize INTEGER NOT NULL,
    usize INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    data INTEGER NOT NULL,       -- where its data starts
    crc INTEGER NOT NULL,        -- the CRC-32 the ZIP states
    mode INTEGER NOT NULL,
    path BLOB,                   -- inside the bag, once read: keyed hash
    bagpath BLOB,                -- and sealed
    payload INTEGER,             -- 1 when that path is under data/
    size INTEGER,
    sha256 BLOB,                 -- sealed
    sha512 BLOB,                 -- sealed
    listed256 INTEGER NOT NULL DEFAULT 0, -- lines of manifest-sha256.txt naming it
    listed512 INTEGER NOT NULL DEFAULT 0, -- lines of manifest-sha512.txt naming it
    stated INTEGER NOT NULL DEFAULT 0     -- times the seal statement names it
  );
  -- Every folder (NFC, keyed as nfc is) that an entry outside __MACOSX/ lies in.
  CREATE TABLE folder (nfc BLOB PRIMARY KEY) WITHOUT ROWID;
  CREATE TABLE stated (
    id BLOB PRIMARY KEY,               -- keyed hash
    name BLOB NOT NULL,                -- the ID, sealed
    ord INTEGER NOT NULL,
    sha256 BLOB NOT NULL,              -- sealed
    sha512 BLOB NOT NULL,              -- sealed
    size INTEGER,                      -- the stated size, when a whole number (a transfer's items are compared with it)
    ingest INTEGER NOT NULL DEFAULT 0, -- 1 once an ingest event of the exhibit was seen
    differing BLOB                     -- that event's SHA-256, when its digests are not the stated ones (sealed)
  );
  CREATE INDEX stated_order ON stated (ord);
`


export class BagIndex implements Disposable {
  private readonly db: Database.Database
  private readonly statements: ReturnType<BagIndex['prepare']>
  /** The folders noted for the entry before (entries of one folder come together): not hashed again. */
  private lastFolders = new Set<string>()

  /** @param codec how values are kept: SEALED unless what is read is in clear anyway */
  constructor(private readonly codec: ScratchCodec = SEALED) {
    this.db = openScratchDatabase(SCHEMA)
    this.statements = this.prepare()
  }

  /** A name as the layout checks compare names (NFC). */
  private nameKey(nfc: string): Buffer {
    return this.codec.lookup(nfc, 'entry.nfc')
  }

  private pathKey(path: string): Buffer {
    return this.codec.lookup(path, 'entry.path')
  }

  private idKey(id: string): Buffer {
    return this.codec.lookup(id, 'stated.id')
  }

  private sealed(value: string | null | undefined, context: string): Buffer | null {
    return value === null || value === undefined ? null : this.codec.seal(value, context)
  }

  private opened(stored: Buffer, context: string): string {
    return this.codec.open(stored, context)
  }

  private prepare() {
    const db = this.db
    return {
      addEntry: db.prepare(
        'INSERT INTO entry (i, name, nfc, cp437, reading, top, aside, bare, decomposed, dir, method, encrypted, csize, usize, offset, data, crc, mode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      addFolder: db.prepare('INSERT OR IGNORE INTO folder (nfc) VALUES (?)'),
      name: db.prepare('SELECT name FROM entry WHERE i = ?').pluck(),
      filesAfter: db.prepare(`SELECT i, name, dir, method, encrypted, csize, usize, offset, data, crc, mode FROM entry WHERE dir = 0 AND i > ? ORDER BY i LIMIT ${PAGE}`),
      setDigest: db.prepare('UPDATE entry SET path = ?, bagpath = ?, payload = ?, size = ?, sha256 = ?, sha512 = ? WHERE i = ?'),
      file: db.prepare('SELECT i, name, dir, method, encrypted, csize, usize, offset, data, crc, mode, size, sha256, sha512 FROM entry WHERE path = ? AND dir = 0'),
      // One statement a line: counted, and the digest to compare, in one go.
      listed256: db.prepare('UPDATE entry SET listed256 = listed256 + 1 WHERE path = ? AND dir = 0 RETURNING i, listed256 AS times, sha256 AS digest'),
      listed512: db.prepare('UPDATE entry SET listed512 = listed512 + 1 WHERE path = ? AND dir = 0 RETURNING i, listed512 AS times, sha512 AS digest'),
      stated: db.prepare('UPDATE entry SET stated = stated + 1 WHERE path = ? AND dir = 0 RETURNING i, stated AS times, size, sha256, sha512'),
      unnamedAfter: Object.fromEntries(
        (['listed256', 'listed512', 'stated'] as const).map((column) => [
          column,
          db.prepare(`SELECT i, bagpath FROM entry WHERE dir = 0 AND bagpath IS NOT NULL AND payload >= @payload AND ${column} = 0 AND i > @after ORDER BY i LIMIT ${PAGE}`),
        ]),
      ) as Record<Naming, Database.Statement>,
      payload: db.prepare('SELECT count(*) AS count, coalesce(sum(size), 0) AS bytes FROM entry WHERE dir = 0 AND payload = 1'),
      state: db.prepare('INSERT INTO stated (id, name, ord, sha256, sha512, size) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET sha256 = excluded.sha256, sha512 = excluded.sha512, size = excluded.size'),
      statedExhibit: db.prepare('SELECT sha256, sha512, size FROM stated WHERE id = ?'),
      ingested: db.prepare('UPDATE stated SET ingest = 1, differing = ? WHERE id = ?'),
      statedAfter: db.prepare(`SELECT name, ord, sha256, ingest, differing FROM stated WHERE ord > ? ORDER BY ord LIMIT ${PAGE}`),
    }
  }

  /** An entry of the ZIP, as it is listed. */
  addEntry(e: ZipEntryInfo): void {
    const nfc = e.name.normalize('NFC')
    const cp437 = e.cp437Name?.normalize('NFC')
    const top = e.name.split('/')[0]!
    const aside = top === MACOS_ASIDE
    this.statements.addEntry.run(
      e.index,
      this.codec.seal(e.name, `entry.name ${e.index}`),
      this.nameKey(nfc),
      cp437 === undefined ? null : this.nameKey(cp437),
      this.sealed(cp437, `entry.reading ${e.index}`),
      this.codec.lookup(top, 'entry.top'),
      aside ? 1 : 0,
      e.name.includes('/') ? 0 : 1,
      nfc === e.name ? 0 : 1,
      e.isDirectory ? 1 : 0,
      e.method,
      e.encrypted ? 1 : 0,
      e.compressedSize,
      e.uncompressedSize,
      e.offset,
      e.dataStart,
      e.crc32,
      e.unixMode,
    )
    if (!aside) this.addFolders(nfc)
  }

  /** Notes the folders `nfc` lies in: each part of it before a slash. */
  private addFolders(nfc: string): void {
    const folders = new Set<string>()
    for (let slash = nfc.indexOf('/'); slash !== -1; slash = nfc.indexOf('/', slash + 1)) {
      const folder = nfc.slice(0, slash)
      folders.add(folder)
      if (!this.lastFolders.has(folder)) this.statements.addFolder.run(this.nameKey(folder))
    }

    this.lastFolders = folders
  }

  /** The name of the entry at `i`. */
  private nameAt(i: number): string {
    return this.opened(this.statements.name.get(i) as Buffer, `entry.name ${i}`)
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
    const firsts = db.prepare('SELECT min(i) FROM entry WHERE aside = 0 GROUP BY top ORDER BY min(i) LIMIT 5').pluck().all() as number[]
    const tops = firsts.map((i) => this.nameAt(i).split('/')[0]!)
    const topCount = db.prepare('SELECT count(DISTINCT top) FROM entry WHERE aside = 0').pluck().get() as number
    if (topCount !== 1) problems.push({subject: 'ZIP', message: `expected exactly one top-level folder (the bag), found ${topCount}: ${tops.join(', ')}`})
    else if (db.prepare('SELECT 1 FROM entry WHERE dir = 0 AND bare = 1 LIMIT 1').get() !== undefined) problems.push({subject: 'ZIP', message: 'a file lies outside the bag folder'})

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
      .prepare('SELECT a.i AS i, (SELECT b.i FROM entry b WHERE b.nfc = a.nfc AND b.i < a.i ORDER BY b.i DESC LIMIT 1) AS earlier FROM entry a WHERE earlier IS NOT NULL ORDER BY a.i')
      .all() as Array<{i: number; earlier: number}>
    return duplicates.map((row) => {
      const [name, earlier] = [this.nameAt(row.i), this.nameAt(row.earlier)]
      return {
        subject: name,
        message: earlier === name ? 'two entries have this same name' : `this name and ${JSON.stringify(earlier)} are the same after Unicode normalisation`,
      }
    })
  }

  /**
   * A name taken as UTF-8 without the flag whose CP437 reading is another entry's name: Python's
   * zipfile and yauzl would extract the two entries to one file, custody and unzip to two.
   */
  private otherReadings(): LayoutProblem[] {
    const rows = this.db
      .prepare(
        `SELECT a.i AS i, a.reading AS reading, (SELECT b.i FROM entry b WHERE b.nfc = a.cp437 AND b.i != a.i ORDER BY b.i LIMIT 1) AS other
         FROM entry a WHERE a.cp437 IS NOT NULL AND other IS NOT NULL ORDER BY a.i LIMIT ${LISTED}`,
      )
      .all() as Array<{i: number; reading: Buffer; other: number}>
    return rows.map((row) => ({
      subject: this.nameAt(row.i),
      message: `its name is not flagged UTF-8, and read as CP437 (as Python's zipfile and yauzl read such a name) it is ${JSON.stringify(this.opened(row.reading, `entry.reading ${row.i}`))}, the name of the entry ${JSON.stringify(this.nameAt(row.other))}: those readers would extract the two to one file`,
    }))
  }

  /**
   * Entries under __MACOSX/ are left aside only as the AppleDouble companions macOS writes
   * (`__MACOSX/<folder>/._<name>` beside the file or folder `<folder>/<name>` of the ZIP): anything
   * else there could be taken for part of the bag by whoever opens the folder.
   */
  private strayAsideEntries(): LayoutProblem[] {
    const page = this.db.prepare<[number], {i: number; name: Buffer}>(`SELECT i, name FROM entry WHERE aside = 1 AND dir = 0 AND i > ? ORDER BY i LIMIT ${PAGE}`)
    const entry = this.db.prepare<[Buffer], number>('SELECT 1 FROM entry WHERE nfc = ? AND aside = 0 LIMIT 1').pluck()
    const folder = this.db.prepare<[Buffer], number>('SELECT 1 FROM folder WHERE nfc = ?').pluck()
    const stray: LayoutProblem[] = []
    for (const row of keysetPages((after: number) => page.all(after), (r) => r.i, -1)) {
      const name = this.opened(row.name, `entry.name ${row.i}`)
      const beside = appleDoubleOf(name.normalize('NFC'))
      if (beside !== undefined && (entry.get(this.nameKey(beside)) !== undefined || folder.get(this.nameKey(beside)) !== undefined)) continue
      stray.push({subject: name, message: `it is under ${MACOS_ASIDE}/ but is not the AppleDouble file (._NAME) of an entry of the ZIP, which is all macOS puts there`})
      if (stray.length === LISTED) break
    }

    return stray
  }

  /**
   * What other readers or tools may show otherwise, for the report's warnings: names taken as
   * UTF-8 without the flag, names not in Unicode NFC (macOS writes NFD), and AppleDouble files
   * under __MACOSX/ left aside. Each with how many and the first.
   */
  nameNotes(): Record<'unflagged' | 'decomposed' | 'aside', {count: number; first: string | undefined}> {
    const note = (where: string): {count: number; first: string | undefined} => {
      const row = this.db.prepare(`SELECT count(*) AS count, (SELECT i FROM entry WHERE ${where} ORDER BY i LIMIT 1) AS first FROM entry WHERE ${where}`).get() as {
        count: number
        first: number | null
      }
      return {count: row.count, first: row.first === null ? undefined : this.nameAt(row.first)}
    }
    return {
      unflagged: note('cp437 IS NOT NULL AND aside = 0'),
      decomposed: note('decomposed = 1 AND aside = 0'),
      aside: note('aside = 1 AND dir = 0'),
    }
  }

  /** The file entries (not folders), in the order of the central directory, page by page. */
  *fileEntries(): Generator<ZipEntryInfo> {
    for (const row of keysetPages((after) => this.statements.filesAfter.all(after) as EntryRow[], (r) => r.i, -1)) yield this.infoOf(row)
  }

  fileCount(): number {
    return this.db.prepare('SELECT count(*) FROM entry WHERE dir = 0').pluck().get() as number
  }

  /** A file's digests, and its path inside the bag (null for one left aside, outside the bag). */
  setDigest(info: ZipEntryInfo, path: string | null, digest: {sha256: string; sha512: string; size: number}): void {
    const i = info.index
    this.statements.setDigest.run(
      path === null ? null : this.pathKey(path),
      this.sealed(path, `entry.path ${i}`),
      path?.startsWith('data/') ? 1 : 0,
      digest.size,
      this.codec.seal(digest.sha256, `entry.sha256 ${i}`),
      this.codec.seal(digest.sha512, `entry.sha512 ${i}`),
      i,
    )
  }

  get(path: string): BagFile | undefined {
    const row = this.statements.file.get(this.pathKey(path)) as FileRow | undefined
    if (row === undefined) return undefined
    return {info: this.infoOf(row), size: row.size, sha256: this.opened(row.sha256, `entry.sha256 ${row.i}`), sha512: this.opened(row.sha512, `entry.sha512 ${row.i}`)}
  }

  /**
   * A line of a payload manifest names this file: how many lines of that manifest have named it
   * so far, this one included, and its digest to compare; undefined when the bag has no such file.
   */
  listed(path: string, algorithm: 'sha256' | 'sha512'): {times: number; digest: string} | undefined {
    const row = (algorithm === 'sha256' ? this.statements.listed256 : this.statements.listed512).get(this.pathKey(path)) as {i: number; times: number; digest: Buffer} | undefined
    return row === undefined ? undefined : {times: row.times, digest: this.opened(row.digest, `entry.${algorithm} ${row.i}`)}
  }

  /**
   * The seal statement names this file (an exhibit's original or metadata record, or a custody
   * file): how many times it has now, its size and digests; undefined when the bag has no such file.
   */
  statedFile(path: string): {times: number; size: number; sha256: string; sha512: string} | undefined {
    const row = this.statements.stated.get(this.pathKey(path)) as {i: number; times: number; size: number; sha256: Buffer; sha512: Buffer} | undefined
    if (row === undefined) return undefined
    return {times: row.times, size: row.size, sha256: this.opened(row.sha256, `entry.sha256 ${row.i}`), sha512: this.opened(row.sha512, `entry.sha512 ${row.i}`)}
  }

  /** The paths of the files under `prefix` that `naming` never named, in order. */
  *unnamed(prefix: string, naming: Naming): Generator<string> {
    // The paths are sealed: SQLite narrows to the payload when the prefix is in it, the rest is compared here.
    const payload = prefix.startsWith('data/') ? 1 : 0
    const rows = keysetPages((after) => this.statements.unnamedAfter[naming].all({payload, after}) as Array<{i: number; bagpath: Buffer}>, (r) => r.i, -1)
    for (const row of rows) {
      const path = this.opened(row.bagpath, `entry.path ${row.i}`)
      if (path.startsWith(prefix)) yield path
    }
  }

  /** The payload (files under data/): how many, and their bytes. */
  payload(): {count: number; bytes: number} {
    return this.statements.payload.get() as {count: number; bytes: number}
  }

  /** An exhibit of the seal statement, with the digests it states (a repeated one: the last counts). */
  addStatedExhibit(id: string, order: number, sha256: unknown, sha512: unknown, size?: unknown): void {
    const whole = typeof size === 'number' && Number.isSafeInteger(size) ? size : null
    this.statements.state.run(this.idKey(id), this.codec.seal(id, `stated.name ${order}`), order, this.codec.seal(String(sha256), `stated.sha256 ${id}`), this.codec.seal(String(sha512), `stated.sha512 ${id}`), whole)
  }

  /** The digests and size the statement states for an exhibit, if it states the exhibit. */
  statedDigests(id: string): {sha256: string; sha512: string; size: number | null} | undefined {
    const row = this.statements.statedExhibit.get(this.idKey(id)) as {sha256: Buffer; sha512: Buffer; size: number | null} | undefined
    return row === undefined ? undefined : {sha256: this.opened(row.sha256, `stated.sha256 ${id}`), sha512: this.opened(row.sha512, `stated.sha512 ${id}`), size: row.size}
  }

  /** The SHA-256 the statement states for an exhibit, if it states the exhibit. */
  statedSha256(id: string): string | undefined {
    return this.statedDigests(id)?.sha256
  }

  /**
   * An ingest event of `id` with these digests (ignored when the statement does not state it);
   * the last one counts, as the ledger's fold has it.
   */
  ingested(id: string, digests: {sha256?: unknown; sha512?: unknown}): void {
    const stated = this.statedDigests(id)
    if (stated === undefined) return
    // Digests that are not strings can equal no stated digest.
    const same = typeof digests.sha256 === 'string' && typeof digests.sha512 === 'string' && digests.sha256 === stated.sha256 && digests.sha512 === stated.sha512
    this.statements.ingested.run(same ? null : this.codec.seal(String(digests.sha256), `stated.differing ${id}`), this.idKey(id))
  }

  /** Each stated exhibit, in the statement's order, with what its ingest event said: none, the same, or other digests. */
  *ingestResults(): Generator<{id: string; stated: string; ingest: 'missing' | 'same' | {sha256: string}}> {
    type Row = {name: Buffer; ord: number; sha256: Buffer; ingest: number; differing: Buffer | null}
    for (const row of keysetPages((after) => this.statements.statedAfter.all(after) as Row[], (r) => r.ord, -1)) {
      const id = this.opened(row.name, `stated.name ${row.ord}`)
      const differing = row.differing === null ? undefined : this.opened(row.differing, `stated.differing ${id}`)
      yield {id, stated: this.opened(row.sha256, `stated.sha256 ${id}`), ingest: row.ingest === 0 ? 'missing' : differing === undefined ? 'same' : {sha256: differing}}
    }
  }

  private infoOf(row: EntryRow): ZipEntryInfo {
    return {
      index: row.i,
      name: this.opened(row.name, `entry.name ${row.i}`),
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

  /** Closes the database (SQLite removes its file); closing it again does nothing. */
  close(): void {
    this.db.close()
  }

  /** For `using`: closes it, as close() does (again, harmlessly, after close()). */
  [Symbol.dispose](): void {
    this.close()
  }
}
