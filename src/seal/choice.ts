/**
 * Step 1 of a seal: the exhibits it takes. They are kept in a scratch database
 * (src/io/scratch-db.ts) rather than in the heap, where a whole case's IDs would be held several
 * times over (the list, a set beside it, the seal event listing them, its canonical JSON).
 * They come back, page by page, in the order of their folders in the bag (`data/exhibits/<ID>/`,
 * as `<ID>/` strings compare), which is the order the payload is written in and its manifests are
 * sorted by: "EX-1" comes after "EX-1-b", since "-" sorts before "/".
 */
import type Database from 'better-sqlite3'
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import {getExhibit} from '../exhibits/exhibits.js'
import {keysetPages} from '../io/keyset-pages.js'
import {PAGE, openScratchDatabase, stringOrderKey} from '../io/scratch-db.js'
import {selectByConsent, type ConsentSelection} from '../testimony/consent-filter.js'
import {resolveExhibitOrWitness} from '../testimony/testimonies.js'

/** Sorts as the exhibit's folder, `<ID>/`, sorts among strings. */
function folderKey(id: string): Buffer {
  return stringOrderKey(`${id}/`)
}

/** The exhibits chosen; a scratch database, closed (and so gone) when disposed of. */
export class SealChoice implements Disposable {
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
    if (this.db.open) this.db.close()
  }

  [Symbol.dispose](): void {
    this.close()
  }
}

/**
 * The exhibits to seal (those named, exhibit IDs or witness codes, or all), less those a
 * witness's consent to `purpose` keeps out (consent-filter.ts), into `choice`. A named testimony
 * brings its statement versions and attachments.
 */
export function chooseExhibits(kase: Case, named: readonly string[], purpose: string | null, choice: SealChoice): ConsentSelection {
  const asked = named.length > 0 ? [...new Set(named.map((e) => resolveExhibitOrWitness(kase, e)))] : 'all'
  if (asked !== 'all') for (const id of asked) getExhibit(kase, id, {withEvents: false})
  const selection = selectByConsent(kase, asked, purpose, choice)
  if (choice.size === 0 && selection.leftOut.length === 0) throw new CustodyError('INVALID_ARGUMENT', 'the case has no exhibits to seal; ingest some first')
  if (choice.size === 0) {
    throw new CustodyError('CONSENT_REFUSED', `nothing can be sealed: ${selection.leftOut.map((l) => `${l.exhibit}: ${l.reason}`).join('; ')}`)
  }

  return selection
}
