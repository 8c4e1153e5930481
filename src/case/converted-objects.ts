/**
 * The objects a conversion (`custody encrypt`, src/case/encrypt.ts) has recorded, by the SHA-256
 * of their plaintext: what its `objects-encrypted` events say, and the batches this run records.
 * Kept in a scratch database (src/io/scratch-db.ts), not in a Map: a case of 200,000 objects
 * would hold some 50 MB of them in the heap, and a conversion's memory is to stay flat however
 * large the case. The digests are looked up by their scratchLookup() form, and the stored forms
 * sealed (src/io/scratch-seal.ts): a plaintext's SHA-256 names what the case holds.
 */
import type Database from 'better-sqlite3'
import type {EncryptedObject, StoredObject} from '../formats/events.js'
import {openScratchDatabase} from '../io/scratch-db.js'
import {openScratchText, scratchLookup, sealScratch} from '../io/scratch-seal.js'
import type {Ledger} from '../ledger/ledger.js'
import type {ConvertedForms} from '../vault/vault.js'

const SCHEMA = 'CREATE TABLE converted (sha256 BLOB PRIMARY KEY, stored BLOB NOT NULL) WITHOUT ROWID'

const lookup = (sha256: string): Buffer => scratchLookup(sha256, 'converted.sha256')
const storedContext = (sha256: string): string => `converted.stored ${sha256}`

export class ConvertedObjects implements Disposable {
  private readonly db: Database.Database
  private readonly insert: Database.Statement<[Buffer, Buffer]>
  private readonly select: Database.Statement<[Buffer], {stored: Buffer}>

  /** An empty index: fromLedger() fills one with what the ledger records. */
  constructor() {
    this.db = openScratchDatabase(SCHEMA)
    // OR REPLACE: an object recorded twice is known by its last record, as a Map built in ledger order would have it.
    this.insert = this.db.prepare('INSERT OR REPLACE INTO converted (sha256, stored) VALUES (?, ?)')
    this.select = this.db.prepare('SELECT stored FROM converted WHERE sha256 = ?')
  }

  /** What the ledger's objects-encrypted events record, read an event at a time. */
  static fromLedger(ledger: Ledger): ConvertedObjects {
    const converted = new ConvertedObjects()
    try {
      for (const {event} of ledger.eachEventOfKind('objects-encrypted')) converted.add(event.payload.objects)
    } catch (error) {
      converted.close()
      throw error
    }

    return converted
  }

  /** Objects just recorded (an objects-encrypted event this run appended). */
  add(objects: readonly EncryptedObject[]): void {
    for (const {sha256, stored} of objects) this.insert.run(lookup(sha256), sealScratch(JSON.stringify(stored), storedContext(sha256)))
  }

  has(sha256: string): boolean {
    return this.select.get(lookup(sha256)) !== undefined
  }

  /** The stored form recorded for the object whose plaintext has this SHA-256. */
  get(sha256: string): StoredObject | undefined {
    const row = this.select.get(lookup(sha256))
    return row === undefined ? undefined : (JSON.parse(openScratchText(row.stored, storedContext(sha256))) as StoredObject)
  }

  /** How many objects are recorded (each once). */
  get size(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM converted').get() as {n: number}).n
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  [Symbol.dispose](): void {
    this.close()
  }
}

/**
 * A converted case's stored forms, for its vault's lookups (ConvertedForms): the index is filled
 * from the ledger when first asked for (only a vault whose events record no stored form asks: a
 * converted case's), then answers every lookup from its scratch database, so that a `verify` or
 * `show` of a case of any size holds none of them in the heap. Filled once, as the Map it replaces
 * was: objects stored after the conversion have their stored form in their own events. Closed
 * with the case (Case.close), which releases its scratch file.
 */
export class ConvertedLookup implements Disposable {
  private index: ConvertedObjects | undefined

  constructor(private readonly ledger: Ledger) {}

  /** The lookup the vault is given. */
  readonly forms: ConvertedForms = (sha256) => {
    this.index ??= ConvertedObjects.fromLedger(this.ledger)
    return this.index.get(sha256)
  }

  close(): void {
    this.index?.close()
    this.index = undefined
  }

  [Symbol.dispose](): void {
    this.close()
  }
}
