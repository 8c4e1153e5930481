/**
 * What `custody verify` of a case must remember of every exhibit between its passes (what each
 * ingest event claims of the vault, and which vault objects the events name), kept in a scratch
 * database (src/io/scratch-db.ts) rather than in the heap, so that the memory verify takes does not
 * grow with the number of exhibits (README, "Speed").
 */
import type Database from 'better-sqlite3'
import type {StoredObject} from '../formats/events.js'
import {keysetPages} from '../io/keyset-pages.js'
import {PAGE, openScratchDatabase} from '../io/scratch-db.js'

/** What an ingest event says of its exhibit's vault objects. */
export interface ExhibitClaim {
  exhibit: string
  seq: number
  sha256: string
  sha512: string | undefined
  size: number | undefined
  record: string | undefined
  /** In an encrypted vault: the original and the metadata record as stored (checked without a key). */
  stored?: {original: StoredObject; record: StoredObject | undefined}
}

interface ClaimRow {
  seq: number
  exhibit: string
  sha256: string
  sha512: string | null
  size: number | null
  record: string | null
  stored: string | null
}

const SCHEMA = `
CREATE TABLE claim (seq INTEGER PRIMARY KEY, exhibit TEXT NOT NULL, sha256 TEXT NOT NULL, sha512 TEXT, size REAL, record TEXT, stored TEXT);
CREATE INDEX claim_by_exhibit ON claim (exhibit, seq);
CREATE TABLE referenced (sha256 TEXT PRIMARY KEY) WITHOUT ROWID;
`

export class ClaimIndex implements Disposable {
  private readonly db: Database.Database
  private readonly insert: Database.Statement<[number, string, string, string | null, number | null, string | null, string | null]>
  private readonly mark: Database.Statement<[string]>
  private readonly marked: Database.Statement<[string], number>
  private readonly latest: Database.Statement<[string], string>
  private claims = 0

  constructor() {
    this.db = openScratchDatabase(SCHEMA)
    this.insert = this.db.prepare('INSERT INTO claim (seq, exhibit, sha256, sha512, size, record, stored) VALUES (?, ?, ?, ?, ?, ?, ?)')
    this.mark = this.db.prepare('INSERT OR IGNORE INTO referenced (sha256) VALUES (?)')
    this.marked = this.db.prepare<[string], number>('SELECT 1 FROM referenced WHERE sha256 = ?').pluck()
    this.latest = this.db.prepare<[string], string>('SELECT sha256 FROM claim WHERE exhibit = ? ORDER BY seq DESC LIMIT 1').pluck()
  }

  add(claim: ExhibitClaim): void {
    this.insert.run(claim.seq, claim.exhibit, claim.sha256, claim.sha512 ?? null, claim.size ?? null, claim.record ?? null, claim.stored === undefined ? null : JSON.stringify(claim.stored))
    this.claims++
  }

  /** How many claims there are. */
  get size(): number {
    return this.claims
  }

  /** The claims in the order of their events, read a page at a time. */
  *all(): Generator<ExhibitClaim> {
    const page = this.db.prepare<[number], ClaimRow>(`SELECT seq, exhibit, sha256, sha512, size, record, stored FROM claim WHERE seq > ? ORDER BY seq LIMIT ${PAGE}`)
    for (const row of keysetPages((after: number) => page.all(after), (r) => r.seq, -1)) {
      const claim: ExhibitClaim = {exhibit: row.exhibit, seq: row.seq, sha256: row.sha256, sha512: row.sha512 ?? undefined, size: row.size ?? undefined, record: row.record ?? undefined}
      // What the ingest event said, written here by add(): parsed by the event reader already.
      yield row.stored === null ? claim : {...claim, stored: JSON.parse(row.stored) as NonNullable<ExhibitClaim['stored']>}
    }
  }

  /** The SHA-256 the last ingest event of this exhibit claims, if any claims it. */
  sha256Of(exhibit: string): string | undefined {
    return this.latest.get(exhibit)
  }

  /** Notes that an event names this vault object (by its address: its SHA-256 in clear, its keyed name when encrypted). */
  reference(sha256: string): void {
    this.mark.run(sha256)
  }

  isReferenced(sha256: string): boolean {
    return this.marked.get(sha256) !== undefined
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
