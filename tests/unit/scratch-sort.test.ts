/**
 * The external merge sort of sealed runs (src/io/scratch-sort.ts): checked against JavaScript's own
 * sort (the naive reference), across many runs and merge passes, with names outside the BMP; and a
 * run changed, moved or cut short in the scratch file is refused, never read as other items.
 */
import fc from 'fast-check'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {CustodyError} from '../../src/errors.js'
import {openScratchDatabase, scratchFolder, scratchWork} from '../../src/io/scratch-db.js'
import {ExternalSort, SORT_LIMITS, SORT_SCHEMA, type SortItem} from '../../src/io/scratch-sort.js'

const limits = {...SORT_LIMITS}
beforeEach(() => Object.assign(SORT_LIMITS, {runItems: 7, fanIn: 3}))
afterEach(() => Object.assign(SORT_LIMITS, limits))

/** The reference: JavaScript's sort of the keys (by UTF-16 code unit), stable. */
function reference(items: readonly SortItem[]): SortItem[] {
  return [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}

function sortOf(items: readonly SortItem[]): {sort: ExternalSort; db: ReturnType<typeof openScratchDatabase>} {
  const db = openScratchDatabase(SORT_SCHEMA)
  const sort = new ExternalSort(() => db, 5, 'test item')
  for (const item of items) sort.add(item)
  return {sort, db}
}

const many = Array.from({length: 100}, (_, i) => ({key: `name ${(i * 37) % 100}`, value: String(i)}))

describe('ExternalSort', () => {
  it('gives the items in JavaScript order, equal keys in the order added, however many runs and merge passes', () => {
    fc.assert(
      fc.property(fc.array(fc.record({key: fc.string({unit: 'binary', maxLength: 6}), value: fc.string({maxLength: 3})}), {maxLength: 120}), (items) => {
        const {sort, db} = sortOf(items)
        try {
          expect([...sort.sorted()]).toEqual(reference(items))
          // Read again: the same.
          expect([...sort.sorted()]).toEqual(reference(items))
        } finally {
          db.close()
        }
      }),
      {numRuns: 60},
    )
  })

  it('sorts by UTF-16 code unit: a name outside the BMP (a surrogate pair) before U+FF21, as the walk always did', () => {
    const names = ['\uFF21', '\u{1F600}', 'a', 'é', 'e\u0301', 'Z', '\u{10000}', '\uE000', ...Array.from({length: 30}, (_, i) => `\u{1F600}${i}`)]
    const {sort, db} = sortOf(names.map((key) => ({key, value: ''})))
    try {
      const sorted = [...sort.sorted()].map((item) => item.key)
      expect(sorted).toEqual([...names].sort())
      expect(sorted.indexOf('\u{1F600}')).toBeLessThan(sorted.indexOf('\uFF21'))
      expect(sorted.indexOf('\u{10000}')).toBeLessThan(sorted.indexOf('\uE000'))
    } finally {
      db.close()
    }
  })

  it('writes nothing while the items fit in one run', () => {
    let opened = false
    const sort = new ExternalSort(
      () => {
        opened = true
        return openScratchDatabase(SORT_SCHEMA)
      },
      0,
      'test item',
    )
    for (const key of ['c', 'a', 'b']) sort.add({key, value: ''})
    expect([...sort.sorted()].map((item) => item.key)).toEqual(['a', 'b', 'c'])
    sort.drop()
    expect(opened).toBe(false)
  })

  it('keeps what it reads of the runs to a page each, merging more than FAN_IN runs first', () => {
    const {sort, db} = sortOf(many)
    try {
      const iterator = sort.sorted()
      expect(iterator.next().value).toEqual({key: 'name 0', value: '0'})
      // 100 items in runs of 7: 15 runs, merged 3 at a time until 3 are left.
      expect(db.prepare('SELECT count(DISTINCT run) FROM sorted_run').pluck().get()).toBeLessThanOrEqual(3)
      expect(db.prepare('SELECT count(*) FROM sorted_run').pluck().get()).toBe(100)
    } finally {
      db.close()
    }
  })
})

describe('a sorted run changed in the scratch file', () => {
  /** What reading the sort throws after `tamper` ran on its database, within scratchWork as verify reads it. */
  async function refusal(tamper: (db: ReturnType<typeof openScratchDatabase>) => void): Promise<unknown> {
    return scratchWork('the work could not finish', async () => {
      const {sort, db} = sortOf(many)
      try {
        expect(sort.sorted().next().done).toBe(false)
        tamper(db)
        try {
          return [...sort.sorted()]
        } catch {
          // The work caught it and carried on: scratchWork still ends it with the failure.
          return []
        }
      } finally {
        db.close()
      }
    }).then(
      () => undefined,
      (error: unknown) => error,
    )
  }

  const expected = (message: RegExp) => ({code: 'STORAGE_FAILED', subject: scratchFolder(), message: expect.stringMatching(message) as unknown})

  it('refuses a ciphertext with a byte flipped', async () => {
    const error = await refusal((db) => {
      const row = db.prepare<[], {run: number; pos: number; item: Buffer}>('SELECT run, pos, item FROM sorted_run LIMIT 1').get()!
      row.item[20]! ^= 1
      db.prepare('UPDATE sorted_run SET item = ? WHERE run = ? AND pos = ?').run(row.item, row.run, row.pos)
    })
    expect(error).toBeInstanceOf(CustodyError)
    expect(error).toMatchObject(expected(/^the work could not finish: a row of custody's working index in the temp folder .* \(test item 5\/\d+\/\d+\) was changed while the command ran/))
  })

  it('refuses two rows swapped (each opens only at its own place)', async () => {
    const error = await refusal((db) => {
      const rows = db.prepare<[], {run: number; pos: number; item: Buffer}>('SELECT run, pos, item FROM sorted_run ORDER BY run, pos LIMIT 2').all()
      const update = db.prepare('UPDATE sorted_run SET item = ? WHERE run = ? AND pos = ?')
      update.run(rows[1]!.item, rows[0]!.run, rows[0]!.pos)
      update.run(rows[0]!.item, rows[1]!.run, rows[1]!.pos)
    })
    expect(error).toMatchObject(expected(/was changed while the command ran/))
  })

  it('refuses a run with a row removed, in its middle or at its end', async () => {
    for (const which of ['pos = 3', 'pos = (SELECT max(pos) FROM sorted_run r WHERE r.run = sorted_run.run)']) {
      const error = await refusal((db) => {
        const run = db.prepare('SELECT max(run) FROM sorted_run').pluck().get()
        db.prepare(`DELETE FROM sorted_run WHERE run = ? AND ${which}`).run(run)
      })
      expect(error).toMatchObject(expected(/was changed while the command ran/))
    }
  })

  it('reads the same rows without a complaint when nothing was changed (the refusals above are not of every read)', async () => {
    expect(await refusal(() => undefined)).toBeUndefined()
  })
})
