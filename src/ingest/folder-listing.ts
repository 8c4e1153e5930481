/**
 * The entries of the folders a walk goes through, in name order, without holding a folder's
 * entries in memory (a phone dump can hold 100,000 files in one folder, and a list of them all,
 * sorted, grows with it). Each folder is read as a stream (opendir) into a scratch database
 * (src/io/scratch-db.ts), then read back sorted, page by page, so that the walk can go down into a
 * subfolder between two pages. The order is JavaScript's (UTF-16 code units, what the walk always
 * used): the rows are sorted on the name's stringOrderKey.
 */
import {opendir} from 'node:fs/promises'
import type Database from 'better-sqlite3'
import {keysetPages} from '../io/keyset-pages.js'
import {PAGE, openScratchDatabase, stringOrderKey} from '../io/scratch-db.js'

export type EntryKind = 'folder' | 'symlink' | 'other'

interface Row {
  key: Buffer
  name: string
  kind: EntryKind
}

export class FolderListing implements Disposable {
  private db: Database.Database | undefined
  private folders = 0

  /** The entries of `dir`, sorted by name; throws what opening or reading the folder throws. */
  async *entries(dir: string): AsyncGenerator<{name: string; kind: EntryKind}> {
    const db = (this.db ??= openScratchDatabase('CREATE TABLE entry (folder INTEGER NOT NULL, key BLOB NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (folder, key)) WITHOUT ROWID'))
    const folder = this.folders++
    const add = db.prepare('INSERT INTO entry (folder, key, name, kind) VALUES (?, ?, ?, ?)')
    try {
      for await (const entry of await opendir(dir)) {
        add.run(folder, stringOrderKey(entry.name), entry.name, entry.isDirectory() ? 'folder' : entry.isSymbolicLink() ? 'symlink' : 'other')
      }

      const page = db.prepare(`SELECT key, name, kind FROM entry WHERE folder = ? AND key > ? ORDER BY key LIMIT ${PAGE}`)
      for (const row of keysetPages((after: Buffer) => page.all(folder, after) as Row[], (r) => r.key, Buffer.alloc(0))) yield {name: row.name, kind: row.kind}
    } finally {
      db.prepare('DELETE FROM entry WHERE folder = ?').run(folder)
    }
  }

  /** Closes the database (SQLite removes its file); closing it again does nothing. */
  close(): void {
    this.db?.close()
  }

  /** For `using`: closes it, as close() does (again, harmlessly, after close()). */
  [Symbol.dispose](): void {
    this.close()
  }
}
