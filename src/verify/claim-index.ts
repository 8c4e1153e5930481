/**
 * What `custody verify` of a case must remember of every exhibit between its passes (what each
 * ingest event claims of the vault, and which vault objects the events name), kept in a scratch
 * database (src/io/scratch-db.ts) rather than in the heap, so that the memory verify takes does not
 * grow with the number of exhibits (README, "Speed"). Nothing of the case is in clear in it
 * (src/io/scratch-seal.ts): each claim is sealed with this run's key, bound to its event's number,
 * and the exhibit IDs and addresses it is looked up by are keyed hashes.
 */
import type Database from 'better-sqlite3'
import type {StoredObject} from '../formats/events.js'
import {keysetPages} from '../io/keyset-pages.js'
import {PAGE, openScratchDatabase} from '../io/scratch-db.js'
import {openScratchText, scratchLookup, sealScratch} from '../io/scratch-seal.js'

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
  /**
   * The ingest's body was not opened (a sealed ledger, no key given opening its run): the claim is
   * its envelope's public facts, the objects as stored, and its digests are unknown ('').
   */
  unopened?: true
}

/** A claim's row: its event's number, its exhibit's keyed hash, and the claim (JSON, sealed for the event). */
const SCHEMA = `
CREATE TABLE claim (seq INTEGER PRIMARY KEY, exhibit BLOB NOT NULL, claim BLOB NOT NULL);
CREATE INDEX claim_by_exhibit ON claim (exhibit, seq);
CREATE TABLE referenced (sha256 BLOB PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE purged (object BLOB PRIMARY KEY) WITHOUT ROWID;
`

export class ClaimIndex implements Disposable {
  private readonly db: Database.Database
  private readonly insert: Database.Statement<[number, Buffer, Buffer]>
  private readonly mark: Database.Statement<[Buffer]>
  private readonly marked: Database.Statement<[Buffer], number>
  private readonly latest: Database.Statement<[Buffer], {seq: number; claim: Buffer}>
  private readonly purge: Database.Statement<[Buffer]>
  private readonly purgedObject: Database.Statement<[Buffer], number>
  private claims = 0

  constructor() {
    this.db = openScratchDatabase(SCHEMA)
    this.insert = this.db.prepare('INSERT INTO claim (seq, exhibit, claim) VALUES (?, ?, ?)')
    this.mark = this.db.prepare('INSERT OR IGNORE INTO referenced (sha256) VALUES (?)')
    this.marked = this.db.prepare<[Buffer], number>('SELECT 1 FROM referenced WHERE sha256 = ?').pluck()
    this.latest = this.db.prepare<[Buffer], {seq: number; claim: Buffer}>('SELECT seq, claim FROM claim WHERE exhibit = ? ORDER BY seq DESC LIMIT 1')
    this.purge = this.db.prepare('INSERT OR IGNORE INTO purged (object) VALUES (?)')
    this.purgedObject = this.db.prepare<[Buffer], number>('SELECT 1 FROM purged WHERE object = ?').pluck()
  }

  add(claim: ExhibitClaim): void {
    this.insert.run(claim.seq, scratchLookup(claim.exhibit, 'claim.exhibit'), sealScratch(JSON.stringify(claim), `claim ${claim.seq}`))
    this.claims++
  }

  /** How many claims there are. */
  get size(): number {
    return this.claims
  }

  /** The claims in the order of their events, read a page at a time. */
  *all(): Generator<ExhibitClaim> {
    const page = this.db.prepare<[number], {seq: number; claim: Buffer}>(`SELECT seq, claim FROM claim WHERE seq > ? ORDER BY seq LIMIT ${PAGE}`)
    for (const row of keysetPages((after: number) => page.all(after), (r) => r.seq, -1)) yield claimOf(row)
  }

  /** The SHA-256 the last ingest event of this exhibit claims, if any claims it. */
  sha256Of(exhibit: string): string | undefined {
    const row = this.latest.get(scratchLookup(exhibit, 'claim.exhibit'))
    return row === undefined ? undefined : claimOf(row).sha256
  }

  /** Notes that an event names this vault object (by its address: its SHA-256 in clear, its keyed name when encrypted). */
  reference(sha256: string): void {
    this.mark.run(scratchLookup(sha256, 'referenced'))
  }

  /** Notes that a `purged` event of `exhibit` names its object at `vault` (its file from the case's data folder) as removed. */
  markPurged(exhibit: string, vault: string): void {
    this.purge.run(scratchLookup(`${exhibit} ${vault}`, 'purged'))
  }

  /** Whether a `purged` event of that very exhibit names the object: another exhibit's purge excuses nothing. */
  isPurged(exhibit: string, vault: string): boolean {
    return this.purgedObject.get(scratchLookup(`${exhibit} ${vault}`, 'purged')) !== undefined
  }

  isReferenced(sha256: string): boolean {
    return this.marked.get(scratchLookup(sha256, 'referenced')) !== undefined
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

/**
 * The claim add() sealed in a row: JSON of what the ingest event said, parsed by the event reader
 * already (the JSON drops the fields that were undefined, as the claim has them).
 */
function claimOf(row: {seq: number; claim: Buffer}): ExhibitClaim {
  return JSON.parse(openScratchText(row.claim, `claim ${row.seq}`)) as ExhibitClaim
}
