/**
 * Sections 3 and 4 of the report: the table of exhibits, then each exhibit with its chain of
 * custody, its normalised metadata and, for an image, the image itself. Exhibits come a page at a
 * time from the model's source (model.ts: an archive's scratch database, or the case's ledger), and
 * each is written as soon as it is made.
 */
import {isRecord} from '../formats/guards.js'
import {formatBytes} from '../render/text.js'
import type {ReportMessages} from './messages/catalog.js'
import type {ExhibitSource, ReportModel, StatedExhibit} from './model.js'
import {exhibitImage, imageBlock, type Thumbnails} from './thumbnails.js'
import type {ReportWriter} from './writer.js'

const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {})
const present = (value: unknown): boolean => value !== null && value !== undefined && value !== ''

/** The ingest event's normalised metadata, collection details and note of an exhibit. */
function recorded(data: ExhibitSource, id: string): {normalised: Record<string, unknown>; collected: Record<string, unknown>; note: unknown; received: Record<string, unknown> | undefined} {
  const payload = record(data.ingest(id)?.payload)
  return {normalised: record(record(payload.metadata).normalised), collected: record(payload.collected), note: payload.note, received: payload.received === undefined ? undefined : record(payload.received)}
}

function captureTime(m: ReportMessages, normalised: Record<string, unknown>): string {
  const time = record(normalised.captureTime)
  if (!present(time.local)) return m.exhibits.none2
  return present(time.offset) ? `${String(time.local)} (${String(time.offset)})` : `${String(time.local)} (${m.exhibits.noZone})`
}

function gps(m: ReportMessages, normalised: Record<string, unknown>): string {
  const at = record(normalised.gps)
  return typeof at.latitude === 'number' && typeof at.longitude === 'number' ? `${at.latitude}, ${at.longitude}` : m.exhibits.none2
}

function joined(m: ReportMessages, parts: unknown[]): string {
  return parts.some(present) ? parts.map((p) => (present(p) ? String(p) : m.exhibits.none2)).join(' / ') : m.exhibits.none2
}

function tableRow(m: ReportMessages, data: ExhibitSource, x: StatedExhibit): unknown[] {
  const s = x.stated
  const {normalised, collected} = recorded(data, String(s.exhibit))
  const device = record(normalised.device)
  const where = present(collected.location) ? collected.location : typeof collected.latitude === 'number' ? `${String(collected.latitude)}, ${String(collected.longitude)}` : undefined
  return [
    s.exhibit,
    s.originalName,
    normalised.mimeType ?? normalised.fileType ?? m.exhibits.none2,
    typeof s.size === 'number' ? `${formatBytes(s.size)} (${m.count(m.exhibits.bytes, s.size)})` : s.size,
    s.sha256,
    captureTime(m, normalised),
    gps(m, normalised),
    joined(m, [device.make, device.model, device.serialNumber]),
    joined(m, [collected.by, collected.at, where]),
    present(collected.source) ? collected.source : m.exhibits.none2,
  ]
}

export async function exhibitTable(w: ReportWriter, m: ReportMessages, model: ReportModel): Promise<number> {
  const {data} = model
  const e = m.exhibits
  await w.heading(2, e.heading, 'exhibits')
  await w.tableStart([e.id, e.name, e.type, e.size, e.sha256, e.captured, e.gps, e.device, e.collected, e.source], 'exhibits')
  let count = 0
  for (const x of data.exhibits()) {
    await w.row(tableRow(m, data, x))
    count++
  }

  await w.tableEnd()
  if (count === 0) await w.paragraph(model.words.noExhibits)
  return count
}

async function custodyChain(w: ReportWriter, m: ReportMessages, model: ReportModel, id: string): Promise<void> {
  const x = m.exhibit
  await w.heading(4, x.custody)
  await w.tableStart([x.seq, x.action, x.who, x.when, x.coverage], 'custody')
  for (const {seq, event} of model.data.events(id)) await w.row([seq, event.action, event.actor, event.time, model.coverage(seq)])
  await w.tableEnd()
}

/** The normalised metadata as label and value pairs, nested objects flattened with dots, a value not recorded said so. */
function flattened(m: ReportMessages, value: unknown, prefix = ''): Array<[string, unknown]> {
  if (!isRecord(value)) return prefix === '' ? [] : [[prefix, present(value) ? value : m.exhibit.noValue]]
  return Object.keys(value)
    .sort()
    .flatMap((k) => flattened(m, value[k], prefix === '' ? k : `${prefix}.${k}`))
}

/** The exhibit's heading: its ID and original name. */
export const exhibitTitle = (x: StatedExhibit): string => `${String(x.stated.exhibit)}: ${String(x.stated.originalName)}`

export async function exhibitDetails(w: ReportWriter, m: ReportMessages, model: ReportModel, thumbnails: Thumbnails): Promise<void> {
  const {data} = model
  await w.heading(2, m.exhibit.heading, 'each-exhibit')
  for (const x of data.exhibits()) {
    const id = String(x.stated.exhibit)
    const {normalised, note, received} = recorded(data, id)
    await w.sectionStart('exhibit')
    await w.heading(3, exhibitTitle(x), `exhibit-${id}`)
    if (received !== undefined) await w.facts([[m.exhibit.receivedAs, `${String(received.exhibit)} (${m.exhibit.senderCase} ${String(received.case)}, ${String(received.transferId)})`]])
    if (typeof note === 'string') await w.facts([[m.exhibit.ingestNote, note]])
    await custodyChain(w, m, model, id)
    const pairs = flattened(m, normalised)
    await w.heading(4, m.exhibit.metadata)
    if (pairs.length === 0) await w.paragraph(m.exhibit.noMetadata)
    else await w.facts(pairs)
    await imageBlock(w, m, () => exhibitImage(m, data, x.stated, normalised, model.words.imageUnreadable), thumbnails)
    await w.sectionEnd()
  }
}

/** Whether an exhibit is recorded as an image (no appendix, and no warning page, without one). */
function hasImages(data: ExhibitSource): boolean {
  for (const x of data.exhibits()) if (String(recorded(data, String(x.stated.exhibit)).normalised.mimeType).startsWith('image/')) return true
  return false
}

/** The images of a PDF whose --thumbnails is hidden: after a page of content warning, at the end, each under its exhibit's heading. */
export async function imageAppendix(w: ReportWriter, m: ReportMessages, model: ReportModel): Promise<void> {
  const {data} = model
  if (!hasImages(data)) return
  await w.heading(2, m.pdf.appendixHeading, 'images')
  await w.paragraph(m.pdf.appendixWarning)
  await w.pageBreak()
  for (const x of data.exhibits()) {
    const image = await exhibitImage(m, data, x.stated, recorded(data, String(x.stated.exhibit)).normalised, model.words.imageUnreadable)
    if (image?.kind !== 'image') continue
    await w.heading(3, exhibitTitle(x), `image-${String(x.stated.exhibit)}`)
    await w.image(image, 'shown')
  }
}
