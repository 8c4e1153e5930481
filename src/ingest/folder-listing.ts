/**
 * The entries of the folders a walk goes through, in name order, without holding a folder's
 * entries in memory (a phone dump can hold 100,000 files in one folder, and a list of them all,
 * sorted, grows with it), and without writing their names in clear anywhere. Each folder is read
 * as a stream (opendir) into an external merge sort (src/io/scratch-sort.ts): sorted runs of a few
 * thousand entries, sealed with the run's key in a scratch database, merged page by page when read
 * back, so that the walk can go down into a subfolder between two pages. The order is
 * JavaScript's (UTF-16 code units, what the walk always used, and what exhibit numbering follows).
 * A folder small enough for one run is sorted in memory and writes nothing.
 */
import {opendir} from 'node:fs/promises'
import type Database from 'better-sqlite3'
import {CustodyError} from '../errors.js'
import {openScratchDatabase} from '../io/scratch-db.js'
import {ExternalSort, SORT_SCHEMA} from '../io/scratch-sort.js'

export type EntryKind = 'folder' | 'symlink' | 'other'

export class FolderListing implements Disposable {
  private db: Database.Database | undefined
  private folders = 0
  private closed = false

  /** The entries of `dir`, sorted by name; throws what opening or reading the folder throws. */
  async *entries(dir: string): AsyncGenerator<{name: string; kind: EntryKind}> {
    // A small folder writes nothing, so the closed database would not say it.
    if (this.closed) throw new CustodyError('INTERNAL', 'the folder listing is not open: it was closed')
    const sort = new ExternalSort(() => (this.db ??= openScratchDatabase(SORT_SCHEMA)), this.folders++, 'folder entry')
    try {
      for await (const entry of await opendir(dir)) {
        sort.add({key: entry.name, value: entry.isDirectory() ? 'folder' : entry.isSymbolicLink() ? 'symlink' : 'other'})
      }

      for (const {key, value} of sort.sorted()) yield {name: key, kind: value as EntryKind}
    } finally {
      sort.drop()
    }
  }

  /** Closes the database (SQLite removes its file); closing it again does nothing. */
  close(): void {
    this.closed = true
    this.db?.close()
  }

  /** For `using`: closes it, as close() does (again, harmlessly, after close()). */
  [Symbol.dispose](): void {
    this.close()
  }
}
