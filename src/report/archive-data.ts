/**
 * What the report reads of a verified archive, kept in a scratch database (src/io/scratch-db.ts) as
 * the archive verifier keeps its index, so that memory does not grow with the number of exhibits
 * or events: the exhibits as the seal statement states them, in its order, and each exhibit's
 * events from events.jsonl. Both are read again from the archive (nothing here checks them: the
 * verifier has, and the report says what it found); they are hostile input, held as text and
 * escaped when written. None of it is in clear in the scratch file (src/io/scratch-seal.ts): the
 * statement's exhibits and the events are sealed with this run's key, bound to their row, and the
 * exhibit IDs they are looked up by are keyed hashes.
 */
import type Database from 'better-sqlite3'
import {messageOf} from '../errors.js'
import {isRecord} from '../formats/guards.js'
import {keysetPages} from '../io/keyset-pages.js'
import {PAGE, openScratchDatabase} from '../io/scratch-db.js'
import {openScratchText, scratchLookup, sealScratch} from '../io/scratch-seal.js'
import {BAG_LIMITS, EVENTS_PATH, STATEMENT_PATH} from '../seal/bag-layout.js'
import type {ArchiveContext} from '../verify/archive/context.js'
import {readStatement} from '../verify/archive/statement-reader.js'
import type {ExhibitEvent, ExhibitSource, OriginalFile, StatedExhibit} from './model.js'

export type {ExhibitEvent, StatedExhibit} from './model.js'

export class ArchiveData implements ExhibitSource, Disposable {
  /** What could not be read again (the report says so). */
  readonly unread: string[] = []
  private readonly db: Database.Database
  private context: ArchiveContext | undefined

  constructor() {
    this.db = openScratchDatabase(`
      CREATE TABLE exhibit (ord INTEGER PRIMARY KEY, id BLOB NOT NULL, stated BLOB NOT NULL);
      CREATE TABLE event (exhibit BLOB NOT NULL, seq INTEGER NOT NULL, ingest INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (exhibit, seq));
    `)
  }

  /** Reads the statement's exhibits and the events of every exhibit from the archive the context holds. */
  async load(context: ArchiveContext): Promise<void> {
    this.context = context
    await this.loadExhibits(context)
    await this.loadEvents(context)
  }

  /** The stated exhibits, in the statement's order, a page at a time. */
  exhibits(): Generator<StatedExhibit> {
    const page = this.db.prepare<[number, number], {ord: number; stated: Buffer}>('SELECT ord, stated FROM exhibit WHERE ord > ? ORDER BY ord LIMIT ?')
    const rows = keysetPages((after: number) => page.all(after, PAGE), (r) => r.ord, -1)
    return (function* () {
      for (const r of rows) yield {ord: r.ord, stated: JSON.parse(openScratchText(r.stated, `exhibit ${r.ord}`)) as Record<string, unknown>}
    })()
  }

  /** An exhibit's events in ledger order, a page at a time. */
  events(exhibit: string): Generator<ExhibitEvent> {
    const page = this.db.prepare<[Buffer, number, number], {seq: number; body: Buffer}>('SELECT seq, body FROM event WHERE exhibit = ? AND seq > ? ORDER BY seq LIMIT ?')
    const id = scratchLookup(exhibit, 'exhibit')
    const rows = keysetPages((after: number) => page.all(id, after, PAGE), (r) => r.seq, -1)
    return (function* () {
      for (const r of rows) yield {seq: r.seq, event: JSON.parse(openScratchText(r.body, eventPlace(exhibit, r.seq))) as Record<string, unknown>}
    })()
  }

  /** Whether the statement states this exhibit. */
  states(exhibit: string): boolean {
    return this.db.prepare<[Buffer], {ord: number}>('SELECT ord FROM exhibit WHERE id = ? LIMIT 1').get(scratchLookup(exhibit, 'exhibit')) !== undefined
  }

  /** The exhibit's first ingest event: what was recorded when it was taken in. */
  ingest(exhibit: string): Record<string, unknown> | undefined {
    const found = this.db.prepare<[Buffer], {seq: number; body: Buffer}>('SELECT seq, body FROM event WHERE exhibit = ? AND ingest = 1 ORDER BY seq LIMIT 1').get(scratchLookup(exhibit, 'exhibit'))
    return found === undefined ? undefined : (JSON.parse(openScratchText(found.body, eventPlace(exhibit, found.seq))) as Record<string, unknown>)
  }

  /** An exhibit's original as the statement names it in the archive (at its stated path), read against the manifest's SHA-256. */
  original(stated: Record<string, unknown>): OriginalFile | undefined {
    const context = this.context
    const file = context?.files.get(String(stated.path))
    if (context === undefined || file === undefined) return undefined
    return {size: file.size, read: (limit) => context.source.readSmall(file.info, limit, file.sha256)}
  }

  [Symbol.dispose](): void {
    this.db.close()
  }

  private async loadExhibits(context: ArchiveContext): Promise<void> {
    const file = context.files.get(STATEMENT_PATH)
    if (file === undefined) return
    const insert = this.db.prepare<[number, Buffer, Buffer]>('INSERT INTO exhibit (ord, id, stated) VALUES (?, ?, ?)')
    try {
      await readStatement(
        context.source.chunks(file.info),
        (x, index) => {
          if (isRecord(x)) insert.run(index, scratchLookup(String(x.exhibit), 'exhibit'), sealScratch(JSON.stringify(x), `exhibit ${index}`))
        },
        {element: BAG_LIMITS.statementExhibit, rest: BAG_LIMITS.statementRest},
      )
    } catch (error) {
      this.unread.push(`${STATEMENT_PATH}: ${messageOf(error)}`)
    }
  }

  private async loadEvents(context: ArchiveContext): Promise<void> {
    const file = context.files.get(EVENTS_PATH)
    if (file === undefined) return
    const insert = this.db.prepare<[Buffer, number, number, Buffer]>('INSERT OR IGNORE INTO event (exhibit, seq, ingest, body) VALUES (?, ?, ?, ?)')
    try {
      for await (const line of context.source.lines(file.info, BAG_LIMITS.eventLine)) {
        const entry = parsed(line)
        const event = isRecord(entry) ? entry.event : undefined
        if (!isRecord(entry) || !isRecord(event) || typeof event.exhibit !== 'string' || !Number.isSafeInteger(entry.seq)) continue
        const seq = entry.seq as number
        insert.run(scratchLookup(event.exhibit, 'exhibit'), seq, event.action === 'ingest' ? 1 : 0, sealScratch(JSON.stringify(event), eventPlace(event.exhibit, seq)))
      }
    } catch (error) {
      this.unread.push(`${EVENTS_PATH}: ${messageOf(error)}`)
    }
  }
}

function parsed(line: string): unknown {
  try {
    return JSON.parse(line)
  } catch {
    return undefined
  }
}

/** The place an event is sealed for: its exhibit and its number. */
function eventPlace(exhibit: string, seq: number): string {
  return `event ${exhibit} ${seq}`
}
