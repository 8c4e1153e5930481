/**
 * The exhibits one seal takes, kept in a scratch database (src/io/scratch-db.ts) rather than in
 * the heap: a seal of a whole case of 200,000 exhibits held their IDs several times over (the
 * list, a set beside it, the seal event listing them, its canonical JSON) and peaked at 236 MiB.
 * They come back, page by page, in the order of their folders in the bag (`data/exhibits/<ID>/`,
 * as `<ID>/` strings compare), which is the order the payload is written in and its manifests are
 * sorted by: "EX-1" comes after "EX-1-b", since "-" sorts before "/".
 */
import type Database from 'better-sqlite3'
import {keysetPages} from '../io/keyset-pages.js'
import {PAGE, openScratchDatabase, stringOrderKey} from '../io/scratch-db.js'

/** Sorts as the exhibit's folder, `<ID>/`, sorts among strings. */
function folderKey(id: string): Buffer {
  return stringOrderKey(`${id}/`)
}

export class SealChoice {
  private readonly db: Database.Database
  private readonly insert: Database.Statement<[Buffer, string]>
  private readonly lookup: Database.Statement<[Buffer], number>
  private added = 0

  constructor() {
    this.db = openScratchDatabase('CREATE TABLE chosen (key BLOB PRIMARY KEY, id TEXT NOT NULL) WITHOUT ROWID')
    this.insert = this.db.prepare('INSERT OR IGNORE INTO chosen (key, id) VALUES (?, ?)')
    this.lookup = this.db.prepare<[Buffer], number>('SELECT 1 FROM chosen WHERE key = ?').pluck()
  }

  /** Adds an exhibit; adding one twice keeps one. */
  add(id: string): void {
    this.added += this.insert.run(folderKey(id), id).changes
  }

  has(id: string): boolean {
    return this.lookup.get(folderKey(id)) !== undefined
  }

  /** How many exhibits there are. */
  get size(): number {
    return this.added
  }

  /** The exhibits in the order of their folders, read a page at a time. */
  *ids(): Generator<string> {
    const page = this.db.prepare<[Buffer], {key: Buffer; id: string}>(`SELECT key, id FROM chosen WHERE key > ? ORDER BY key LIMIT ${PAGE}`)
    for (const row of keysetPages((after: Buffer) => page.all(after), (r) => r.key, Buffer.alloc(0))) yield row.id
  }

  close(): void {
    this.db.close()
  }
}
