/**
 * A report document from its model (model.ts), whatever was verified: the sections in their order
 * (cover, verification, exhibits, each exhibit, testimony, how to check, glossary; in a PDF with
 * images hidden, an appendix of the images after a content warning), written to the writer of the
 * format a block at a time, to a temp file beside --out (sink.ts), then, with a PDF's attached
 * files, put in place. Both `custody report ARCHIVE` (report.ts) and `custody report --case`
 * (case-report.ts) write through here, so that a section is written in one place.
 */
import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {checkDestination, notReplaced} from '../io/files.js'
import {CUSTODY_VERSION} from '../version.js'
import type {PackedFile} from './attachment.js'
import {glossary, howToCheck, testimony} from './back.js'
import {exhibitDetails, exhibitTable, imageAppendix} from './exhibits.js'
import {cover, verification} from './front.js'
import {HtmlWriter} from './html-writer.js'
import {loadReportMessages, type ReportMessages} from './messages/catalog.js'
import type {ReportModel} from './model.js'
import {PdfWriter} from './pdf-writer.js'
import {ReportSink} from './sink.js'
import type {Thumbnails} from './thumbnails.js'
import type {ReportWriter} from './writer.js'

export type ReportFormat = 'html' | 'pdf'
export const FORMAT_CHOICES: readonly ReportFormat[] = ['html', 'pdf']

/** What the user asked of the document, for an archive and a case alike. */
export interface DocumentOptions {
  out: string
  format: ReportFormat
  force: boolean
  thumbnails: Thumbnails
  /** The language of the report's fixed wording: a message file's tag (messages/catalog.ts). */
  lang: string
}

/** A file a PDF carries inside it: named in its text before its bytes are known, attached at the end. */
export interface AttachmentNote {
  name: string
  type: string
  description: string
}

/**
 * What stays the same for one report: the words, the format, the image choice, where it is
 * written, and what a PDF will carry inside it.
 */
export interface Making {
  m: ReportMessages
  format: ReportFormat
  thumbnails: Thumbnails
  out: ReportSink
  target: string
  force: boolean
  attachments: AttachmentNote[]
}

/** The PDF's own metadata: a date and a document ID from what was verified, never the clock. */
export interface DocumentIdentity {
  date: Date
  /** What the document ID is a hash of (with the options): the seal and the archive, or the case and its tree head. */
  idParts: readonly string[]
  /** The title in its metadata, what it names of the data kept to plain characters (PDFKit writes it into the XMP packet unescaped). */
  plainTitle: string
}

export type OpenedWriter = ReportWriter & {pdf?: PdfWriter}

/**
 * The words of --lang and the destination, checked: for a command to call before it asks for a
 * passphrase, so that a mistake on the command line is said before anything is asked or done.
 */
export function checkDocument(options: Pick<DocumentOptions, 'out' | 'force' | 'lang'>): {m: ReportMessages; target: string} {
  const m = loadReportMessages(options.lang)
  const target = checkDestination(options.out)
  if (!options.force && existsSync(target)) throw notReplaced(options.out)
  return {m, target}
}

/**
 * Checks the words and the destination before any work (an --out that cannot be written is said
 * at once), and opens the temp file the report is written to. Dispose of `out` when done.
 */
export async function startDocument(options: DocumentOptions): Promise<Omit<Making, 'attachments'>> {
  const {m, target} = checkDocument(options)
  const out = await ReportSink.create(target)
  return {m, format: options.format, thumbnails: options.thumbnails, out, target, force: options.force}
}

function openWriter(make: Making, identity: DocumentIdentity): OpenedWriter {
  if (make.format === 'html') return new HtmlWriter(make.out, make.m)
  const id = createHash('sha256')
    .update([...identity.idParts, make.format, make.thumbnails, make.m.lang].join('\0'))
    .digest()
    .subarray(0, 16)
  const pdf = new PdfWriter(make.out, make.m, {title: identity.plainTitle, lang: make.m.lang, date: identity.date, id, creator: `custody ${CUSTODY_VERSION}`})
  return Object.assign(pdf, {pdf})
}

/** The list of what a PDF carries inside it, said in its text. */
async function attachmentNote(w: ReportWriter, make: Making): Promise<void> {
  if (make.format !== 'pdf') return
  await w.heading(3, make.m.pdf.attachmentsHeading)
  await w.paragraph(make.m.pdf.attachments)
  await w.list(make.attachments.map((a) => `${a.name}: ${a.description}`))
}

/**
 * The sections, in order, from the model. `full` is false for an archive that could not be read
 * as far as its exhibits: then only the cover, the verification, how to check (unavailable) and the
 * glossary. Returns the writer, still open (its attachments and end are the caller's), and the
 * number of exhibits listed.
 */
export async function writeSections(make: Making, model: ReportModel, identity: DocumentIdentity, full: boolean): Promise<{writer: OpenedWriter; exhibits: number}> {
  const {m} = make
  const w = openWriter(make, identity)
  await w.begin(model.title)
  await cover(w, m, model)
  await verification(w, m, model)
  if (model.unread.length > 0) await w.list(model.unread)
  let exhibits = 0
  if (full) {
    exhibits = await exhibitTable(w, m, model)
    await exhibitDetails(w, m, model, make.thumbnails)
    await testimony(w, m, model)
  }

  await howToCheck(w, m, full ? model : undefined)
  await glossary(w, m)
  await attachmentNote(w, make)
  if (full && make.format === 'pdf' && make.thumbnails === 'hidden') await imageAppendix(w, m, model)
  return {writer: w, exhibits}
}

/** Attaches to a PDF the files named in it (packed, by name), ends the document and puts it at --out; returns the names attached. */
export async function finishDocument(make: Making, writer: OpenedWriter, body: (name: string) => PackedFile): Promise<string[]> {
  const attached = writer.pdf === undefined ? [] : make.attachments
  for (const a of attached) writer.pdf?.attach({...a, body: body(a.name)})
  await writer.end()
  if (!(await make.out.finish(make.target, make.force))) throw notReplaced(make.target)
  return attached.map((a) => a.name)
}
