/**
 * Step 1 of a seal: the exhibits it takes. They are kept in a scratch database
 * (src/io/scratch-db.ts) rather than in the heap, where a whole case's IDs would be held several
 * times over (the list, a set beside it, the seal event listing them, its canonical JSON).
 * They come back, page by page, in the order of their folders in the bag (`data/exhibits/<ID>/`,
 * as `<ID>/` strings compare), which is the order the payload is written in and its manifests are
 * sorted by: "EX-1" comes after "EX-1-b", since "-" sorts before "/". Nothing of them is in clear
 * in the scratch file: they are sorted by an external merge sort of sealed runs
 * (src/io/scratch-sort.ts), and told apart by their keyed hashes (src/io/scratch-seal.ts).
 */
import type Database from 'better-sqlite3'
import type {Case} from '../case/case.js'
import {CustodyError, fields, said} from '../errors.js'
import {getExhibit, purgedExhibits, refusePurged} from '../exhibits/exhibits.js'
import {openScratchDatabase} from '../io/scratch-db.js'
import {scratchLookup} from '../io/scratch-seal.js'
import {ExternalSort, SORT_SCHEMA} from '../io/scratch-sort.js'
import {selectByConsent, type ConsentSelection, type LeftOut} from '../testimony/consent-filter.js'
import {CONSENT_SCOPES} from '../testimony/vocabulary.js'
import {resolveExhibitOrWitness} from '../testimony/testimonies.js'

/** The seal's inputs that choose what goes in. */
const CHOICE = fields({purpose: 'purpose', note: 'note', allowLeftOut: 'choice to leave testimony out'})

/** Sorts as the exhibit's folder, `<ID>/`, sorts among strings. */
function folderKey(id: string): string {
  return `${id}/`
}

/** The exhibits chosen; a scratch database, closed (and so gone) when disposed of. */
export class SealChoice implements Disposable {
  private readonly db: Database.Database
  private readonly insert: Database.Statement<[Buffer]>
  private readonly lookup: Database.Statement<[Buffer], number>
  private readonly order: ExternalSort
  private added = 0

  constructor() {
    // Opened now, not when a run is first written: a temp folder that fails it fails the seal before it starts.
    this.db = openScratchDatabase(`CREATE TABLE chosen (id BLOB PRIMARY KEY) WITHOUT ROWID; ${SORT_SCHEMA}`)
    this.insert = this.db.prepare('INSERT OR IGNORE INTO chosen (id) VALUES (?)')
    this.lookup = this.db.prepare<[Buffer], number>('SELECT 1 FROM chosen WHERE id = ?').pluck()
    this.order = new ExternalSort(() => this.db, 0, 'chosen exhibit')
  }

  /** Adds an exhibit; adding one twice keeps one. */
  add(id: string): void {
    if (this.insert.run(scratchLookup(id, 'chosen')).changes === 0) return
    this.order.add({key: folderKey(id), value: id})
    this.added++
  }

  has(id: string): boolean {
    return this.lookup.get(scratchLookup(id, 'chosen')) !== undefined
  }

  /** How many exhibits there are. */
  get size(): number {
    return this.added
  }

  /** The exhibits in the order of their folders, read a page at a time. */
  *ids(): Generator<string> {
    for (const item of this.order.sorted()) yield item.value
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
export function chooseExhibits(kase: Case, named: readonly string[], purpose: string | null, choice: SealChoice, options: {allowLeftOut?: boolean | undefined} = {}): ConsentSelection & {purged: number} {
  const asked = named.length > 0 ? [...new Set(named.map((e) => resolveExhibitOrWitness(kase, e)))] : 'all'
  if (asked !== 'all') for (const id of asked) getExhibit(kase, id, {withEvents: false})
  if (asked !== 'all') for (const id of asked) refusePurged(kase, id, 'sealed or sent')
  // With none named, an exhibit purged after its receiver acknowledged it stays out: its objects are gone.
  const purgedSet = purgedExhibits(kase)
  let purged = 0
  const chosen = {add: (id: string): void => (purgedSet.has(id) ? void purged++ : choice.add(id)), has: (id: string): boolean => choice.has(id)}
  const selection = {...selectByConsent(kase, asked, purpose, chosen), purged}
  if (choice.size === 0 && selection.leftOut.length === 0 && purged > 0) throw new CustodyError('EXHIBIT_PURGED', `every exhibit of the case was purged (${purged}), after its receiver acknowledged it: there is nothing here to seal`)
  if (choice.size === 0 && selection.leftOut.length === 0) throw nothingToSeal()
  if (selection.scope === null && selection.leftOut.length > 0 && options.allowLeftOut !== true) throw leftOutUnasked(selection.leftOut, purpose)
  if (choice.size === 0) {
    throw new CustodyError('CONSENT_REFUSED', `nothing can be sealed: ${selection.leftOut.map((l) => `${l.exhibit}: ${l.reason}`).join('; ')}`)
  }

  return selection
}

/** The error of a case that holds no exhibit. */
export function nothingToSeal(): CustodyError {
  return new CustodyError('INVALID_ARGUMENT', 'the case has no exhibits to seal; ingest some first')
}

/**
 * A purpose that is no consent scope (or none) leaves every testimony out. Said before anything
 * is written, as a failure: an archive meant for a court that silently lacks its witnesses'
 * statements is found out too late. Leaving them out is then a choice made explicitly.
 */
function leftOutUnasked(leftOut: readonly LeftOut[], purpose: string | null): CustodyError {
  const witnesses = [...new Set(leftOut.map((l) => l.witness))]
  const why = purpose?.trim() ? said`the ${CHOICE.purpose} ${JSON.stringify(purpose.trim())} is not a consent scope` : said`no ${CHOICE.purpose} was given`
  return new CustodyError(
    'TESTIMONY_LEFT_OUT',
    said`the testimony of ${witnesses.length === 1 ? 'witness' : `${witnesses.length} witnesses`} ${witnesses.join(', ')} (${leftOut.length} ${leftOut.length === 1 ? 'exhibit' : 'exhibits'}) would be left out: ${why} (${Object.keys(CONSENT_SCOPES).join(', ')}), so no witness's consent can cover it. Nothing was sealed. Set the ${CHOICE.purpose} to the scope the archive is for (e.g. court, with its description in the ${CHOICE.note}), or leave the testimony out on purpose with ${CHOICE.allowLeftOut}`,
    {subject: leftOut[0]!.witness, field: 'purpose'},
  )
}
