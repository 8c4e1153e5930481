/**
 * `custody list`: every exhibit of a case, one entry each (ID, original name, type, capture time,
 * who collected it), with the testimony an exhibit belongs to, since statements and attachments
 * are exhibits too.
 *
 * The exhibits are read from the ledger's ingest events a page at a time as the list is iterated
 * (Ledger.eachIngestEvent): a case of 200,000 exhibits is listed in the same memory as one of ten.
 * Only the testimonies are held, to mark their exhibits: a case has few.
 */
import type {Case} from '../case/case.js'
import {CustodyError, fields, said} from '../errors.js'
import type {EventOf} from '../formats/events.js'
import {purgedExhibits} from './exhibits.js'
import {listTestimonies, testimoniesByExhibit, type TestimonyView} from '../testimony/testimonies.js'

export interface ListedExhibit {
  exhibit: string
  /** The original's file name (for a testimony's files, the name recorded in its place: W-014-statement-v1.txt). */
  name: string
  /** Its MIME type as ExifTool read it; null when ExifTool did not recognise the file. */
  type: string | null
  /** The capture time the file records: its local time, with its offset when it records one. */
  captured: string | null
  /** The same instant in UTC, when the file gives a zone. */
  capturedUtc: string | null
  /** Who collected it, as the ingest was told (a flag or the manifest). */
  collectedBy: string | null
  /** Its vault objects were purged after its receiver acknowledged it (`custody transfer purge`). */
  purged: boolean
  /** The testimonies it belongs to: as their statement (a version) or an attachment. */
  testimonies: Array<{witness: string; role: 'statement'; version: number} | {witness: string; role: 'attachment'}>
}

export interface ListOptions {
  /** Only exhibits of this MIME type (`image/jpeg`), or of this top-level type (`image`). */
  type?: string | undefined
}

/** What `custody list` is given, as its errors name it. */
const LIST = fields({type: 'the type'})

const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*(\/[a-z0-9][a-z0-9!#$&^_.+-]*)?$/

/** Whether a MIME type is of the type asked for: the same, or of that top-level type. */
function typeMatcher(type: string | undefined): (mimeType: string | null) => boolean {
  if (type === undefined) return () => true
  const wanted = type.trim().toLowerCase()
  if (!MIME_TYPE.test(wanted)) {
    throw new CustodyError('INVALID_ARGUMENT', said`${LIST.type} must be a MIME type (image/jpeg) or a top-level type (image, video, audio, text, application), got ${JSON.stringify(type)}`)
  }

  return wanted.includes('/') ? (mimeType) => mimeType?.toLowerCase() === wanted : (mimeType) => mimeType?.toLowerCase().startsWith(`${wanted}/`) === true
}

/** The part each exhibit plays in the testimonies it belongs to. */
function rolesOf(views: readonly TestimonyView[]): (exhibit: string) => ListedExhibit['testimonies'] {
  const byExhibit = testimoniesByExhibit(views)
  return (exhibit) =>
    (byExhibit.get(exhibit) ?? []).map((t) => {
      const version = t.versions.find((v) => v.exhibit === exhibit)
      return version === undefined ? {witness: t.witness, role: 'attachment'} : {witness: t.witness, role: 'statement', version: version.version}
    })
}

function listed(event: EventOf<'ingest'>, testimonies: ListedExhibit['testimonies'], purged: boolean): ListedExhibit {
  const p = event.payload
  const capture = p.metadata.normalised.captureTime
  return {
    exhibit: event.exhibit ?? '',
    name: p.file.name,
    type: p.metadata.normalised.mimeType,
    captured: capture === null ? null : `${capture.local}${capture.offset ?? ''}`,
    capturedUtc: capture?.utc ?? null,
    collectedBy: p.collected.by ?? null,
    purged,
    testimonies,
  }
}

/**
 * The exhibits of the case in the order they were ingested, read from the ledger as they are
 * iterated (while the case is open). A type that is not one is refused at once.
 */
export function listExhibits(kase: Case, options: ListOptions = {}): Iterable<ListedExhibit> {
  const matches = typeMatcher(options.type)
  const roles = rolesOf(listTestimonies(kase))
  // Held as the testimonies are: a case purges what it has handed over, and says so once an exhibit.
  const purged = purgedExhibits(kase)
  return {
    *[Symbol.iterator]() {
      for (const {event} of kase.ledger.eachIngestEvent()) {
        if (matches(event.payload.metadata.normalised.mimeType)) yield listed(event, roles(event.exhibit ?? ''), purged.has(event.exhibit ?? ''))
      }
    },
  }
}
