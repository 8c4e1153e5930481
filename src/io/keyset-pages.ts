/**
 * Reading many rows of a SQLite table page by page (keyset paging: each page is the rows after the
 * key of the last row of the one before), never through an open cursor: better-sqlite3 refuses
 * any other statement on the database while one is open, and the rows are often updated or other
 * work done between pages.
 */

/** The rows that `page(after)` returns, page after page, starting after `first`, until a page is empty. */
export function* keysetPages<Row, Key>(page: (after: Key) => Row[], keyOf: (row: Row) => Key, first: Key): Generator<Row> {
  for (let after = first; ; ) {
    const rows = page(after)
    if (rows.length === 0) return
    yield* rows
    after = keyOf(rows.at(-1)!)
  }
}
