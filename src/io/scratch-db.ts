/**
 * A private temporary SQLite database, for work whose size grows with the input (the entries of
 * an archive being verified, the files of a batch being ingested) so that it stays out of the
 * heap. The empty file name makes SQLite create the file in the system's temp folder ($TMPDIR,
 * else /var/tmp or /tmp), unlinked from the start, so that nothing is left behind even after a
 * crash. Nobody reads it after the work: no journal, no fsync, and all of it one transaction that
 * is never committed (with a commit for each write, marking 100,000 files took 15 s).
 */
import Database from 'better-sqlite3'

/** SQLite's page cache for a scratch database (negative: KiB). */
const CACHE_KIB = 4 * 1024

/**
 * Rows a page when many rows are read. Small: a page lives while its rows are worked on, long
 * enough for V8 to move it to the old generation. Verifying 50,000 exhibits, V8's old generation
 * peaked at 25 to 29 MB with pages of 1,000 rows, and at 11 to 12 MB with pages of 50, at the same
 * speed.
 */
export const PAGE = 50

/**
 * A key that SQLite sorts as JavaScript sorts strings: the text in UTF-16BE, which SQLite compares
 * byte by byte, so by UTF-16 code unit (UTF-8, SQLite's own order for text, differs outside the BMP).
 */
export function stringOrderKey(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16()
}

/** Opens a scratch database, creates its tables with `schema`, and begins its transaction. */
export function openScratchDatabase(schema: string): Database.Database {
  const db = new Database('')
  db.pragma(`cache_size = -${CACHE_KIB}`)
  db.pragma('journal_mode = OFF')
  db.pragma('synchronous = OFF')
  db.pragma('temp_store = FILE')
  db.exec(schema)
  db.exec('BEGIN')
  return db
}
