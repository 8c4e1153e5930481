/**
 * Items sorted by a text key, in JavaScript's order of strings (by UTF-16 code unit), in the same
 * memory however many there are, with nothing of them in clear on disk: an external merge sort
 * whose runs are kept sealed in a scratch database (src/io/scratch-db.ts, src/io/scratch-seal.ts).
 *
 * Why not let SQLite sort: it could only sort a key it can read (stringOrderKey() in clear, which
 * is the name itself), and an encrypted key, or a keyed hash of it, has no order. So the order is
 * made in JavaScript, where the keys are in clear:
 *
 *   1. Items are buffered in memory, up to RUN_ITEMS of them. As long as all of them fit there,
 *      they are sorted there and nothing is written at all (most folders, most seals).
 *   2. A full buffer is sorted and written as a run: one row per item (the sort, the run, the
 *      item's place in it, and the item sealed, its associated data naming all three, so that a
 *      row moved to another place does not open).
 *   3. Reading back merges the runs lazily: a page of PAGE rows of each run is held at a time, and
 *      the smallest head goes out next. More than FAN_IN runs are first merged FAN_IN at a time
 *      into longer runs, so that memory stays at RUN_ITEMS items plus FAN_IN pages, whatever the
 *      number of items.
 *
 * A run is read back whole or not at all: rows are numbered without gaps and their count is held
 * in memory, so that a row removed from the file fails the read (STORAGE_FAILED) as a changed one
 * does, instead of leaving an item out.
 */
import type Database from 'better-sqlite3'
import {CustodyError} from '../errors.js'
import {PAGE} from './scratch-db.js'
import {openScratchText, scratchTampered, sealScratch} from './scratch-seal.js'

/** The table a database must hold for its sorts. */
export const SORT_SCHEMA = 'CREATE TABLE sorted_run (sort INTEGER NOT NULL, run INTEGER NOT NULL, pos INTEGER NOT NULL, item BLOB NOT NULL, PRIMARY KEY (sort, run, pos)) WITHOUT ROWID;'

/** How many items a run holds and how many runs are merged at once; tests lower them. */
export const SORT_LIMITS = {runItems: 4096, fanIn: 64}

export interface SortItem {
  key: string
  value: string
}

/** JavaScript's order of strings: by UTF-16 code unit, as stringOrderKey() makes SQLite sort. */
export function byKey(a: SortItem, b: SortItem): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0
}

interface Run {
  id: number
  length: number
}

export class ExternalSort {
  private buffer: SortItem[] = []
  private runs: Run[] = []
  private nextRun = 0

  /**
   * @param db the scratch database (holding SORT_SCHEMA), opened only when a run is written
   * @param sort this sort's number among those of the database
   * @param context what the items are, for the associated data and the error of one that does not open
   */
  constructor(
    private readonly db: () => Database.Database,
    private readonly sort: number,
    private readonly context: string,
  ) {}

  add(item: SortItem): void {
    this.buffer.push(item)
    if (this.buffer.length >= SORT_LIMITS.runItems) this.flush()
  }

  /** The items in order of their keys (items of equal keys in the order added); may be read again. */
  *sorted(): Generator<SortItem> {
    if (this.runs.length === 0) {
      this.buffer.sort(byKey)
      yield* this.buffer
      return
    }

    this.flush()
    while (this.runs.length > SORT_LIMITS.fanIn) this.mergePass()
    yield* this.merge(this.runs)
  }

  /** Removes the sort's rows; the sort is empty again. */
  drop(): void {
    this.buffer = []
    if (this.runs.length > 0) this.db().prepare('DELETE FROM sorted_run WHERE sort = ?').run(this.sort)
    this.runs = []
  }

  private flush(): void {
    if (this.buffer.length === 0) return
    this.buffer.sort(byKey)
    this.runs.push(this.write(this.buffer))
    this.buffer = []
  }

  /** Writes the items, sorted already, as a new run. */
  private write(items: Iterable<SortItem>): Run {
    const id = this.nextRun++
    const insert = this.db().prepare<[number, number, number, Buffer]>('INSERT INTO sorted_run (sort, run, pos, item) VALUES (?, ?, ?, ?)')
    let length = 0
    for (const item of items) {
      insert.run(this.sort, id, length, sealScratch(JSON.stringify([item.key, item.value]), this.placeOf(id, length)))
      length++
    }

    return {id, length}
  }

  /** Merges the first FAN_IN runs into one. */
  private mergePass(): void {
    const merged = this.runs.slice(0, SORT_LIMITS.fanIn)
    const run = this.write(this.merge(merged))
    const remove = this.db().prepare<[number, number]>('DELETE FROM sorted_run WHERE sort = ? AND run = ?')
    for (const old of merged) remove.run(this.sort, old.id)
    this.runs = [...this.runs.slice(SORT_LIMITS.fanIn), run]
  }

  /** The items of `runs`, merged: the first run's first on equal keys. */
  private *merge(runs: readonly Run[]): Generator<SortItem> {
    const cursors = runs.map((run) => new RunCursor(this, run))
    for (;;) {
      let least: RunCursor | undefined
      for (const cursor of cursors) {
        const head = cursor.head()
        if (head !== undefined && (least === undefined || byKey(head, least.head()!) < 0)) least = cursor
      }

      if (least === undefined) return
      yield least.take()
    }
  }

  /** The rows of a run from `after` on, a page of them, opened. */
  page(run: Run, after: number): SortItem[] {
    const rows = this.db()
      .prepare<[number, number, number], {pos: number; item: Buffer}>(`SELECT pos, item FROM sorted_run WHERE sort = ? AND run = ? AND pos > ? ORDER BY pos LIMIT ${PAGE}`)
      .all(this.sort, run.id, after)
    return rows.map((row, i) => {
      if (row.pos !== after + 1 + i) throw this.missing(run, after + 1 + i)
      const [key, value] = JSON.parse(openScratchText(row.item, this.placeOf(run.id, row.pos))) as [string, string]
      return {key, value}
    })
  }

  /** The error of a run whose row at `pos` is not there. */
  missing(run: Run, pos: number): CustodyError {
    return scratchTampered(this.placeOf(run.id, pos))
  }

  private placeOf(run: number, pos: number): string {
    return `${this.context} ${this.sort}/${run}/${pos}`
  }
}

/** A page of a run at a time. */
class RunCursor {
  private rows: SortItem[] = []
  private at = 0
  private read = 0

  constructor(
    private readonly sort: ExternalSort,
    private readonly run: Run,
  ) {}

  head(): SortItem | undefined {
    if (this.at === this.rows.length && this.read < this.run.length) {
      this.rows = this.sort.page(this.run, this.read - 1)
      this.at = 0
      if (this.rows.length === 0) throw this.sort.missing(this.run, this.read)
      this.read += this.rows.length
    }

    return this.rows[this.at]
  }

  take(): SortItem {
    return this.rows[this.at++]!
  }
}
