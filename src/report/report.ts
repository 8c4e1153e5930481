/**
 * `custody report ARCHIVE --out report.html|report.pdf`: a report a court can read, print and file,
 * made from a sealed archive (a ZIP, or its bag folder) as it is verified, as one HTML file or a
 * PDF/A-3 file (the sections are written once, to a ReportWriter: writer.ts). The steps:
 *
 *   1. the wording of --lang is read and checked (messages/catalog.ts), the destination is checked
 *      before any work (src/io/files.ts checkDestination), and the ZIP's own SHA-256 taken;
 *   2. the archive is verified by the archive verifier (src/verify/verify-archive.ts), with every
 *      check `custody verify` runs and none of its own;
 *   3. while the verified archive is still open, the statement's exhibits and their events are
 *      read again into a scratch database (archive-data.ts), and the report written from them a
 *      page at a time: cover, verification, exhibits, each exhibit, testimony, how to check,
 *      glossary (and, in a PDF with images hidden, an appendix of the images after a content warning);
 *   4. an archive that could not be read so far gets a report of the cover and the verification;
 *   5. a PDF gets its attached files (the verification result), and the file is put at --out.
 *
 * The report is the same bytes for the same archive and options: it holds no time but the seal's.
 */
import {createHash} from 'node:crypto'
import {createReadStream, existsSync} from 'node:fs'
import {stat} from 'node:fs/promises'
import {checkDestination, notReplaced} from '../io/files.js'
import {successDocument} from '../render/json-output.js'
import {CUSTODY_VERSION} from '../version.js'
import type {ArchiveContext} from '../verify/archive/context.js'
import type {CheckOutcome} from '../verify/checklist.js'
import {verifyArchive, type ArchiveReport, type VerifyArchiveOptions} from '../verify/verify-archive.js'
import {ArchiveData} from './archive-data.js'
import {glossary, howToCheck, testimony} from './back.js'
import {exhibitDetails, exhibitTable, imageAppendix} from './exhibits.js'
import {cover, verification} from './front.js'
import {HtmlWriter} from './html-writer.js'
import {caseUcoBytes} from '../case-uco/write.js'
import {loadReportMessages, type ReportMessages} from './messages/catalog.js'
import {PdfWriter, type PdfAttachment} from './pdf-writer.js'
import {ReportSink} from './sink.js'
import type {Thumbnails} from './thumbnails.js'
import {verdictOf, type Verdict} from './verdict.js'
import type {ReportWriter} from './writer.js'

export type ReportFormat = 'html' | 'pdf'
export const FORMAT_CHOICES: readonly ReportFormat[] = ['html', 'pdf']

export interface ReportOptions {
  out: string
  format: ReportFormat
  force: boolean
  thumbnails: Thumbnails
  /** The language of the report's fixed wording: a message file's tag (messages/catalog.ts). */
  lang: string
  /** What the verifier is given (--key, --tsa-ca, progress). */
  verify: Omit<VerifyArchiveOptions, 'afterChecks'>
}

export interface ReportResult {
  out: string
  format: ReportFormat
  lang: string
  verdict: Verdict
  failedChecks: string[]
  sealId: string | null
  archiveSha256: string | null
  exhibits: number
  thumbnails: Thumbnails
  /** The files attached inside the report (a PDF's associated files; none for HTML). */
  attachments: string[]
  /** Every check the verifier ran, with its result, as `custody verify --json` gives them. */
  checks: CheckOutcome[]
  problemCount: number
}

/**
 * The files a PDF report carries inside it (PDF/A-3 associated files), each made from the final
 * verification result. Another file is one more line here.
 */
/** What a PDF carries inside it; one whose bytes are undefined (the CASE/UCO export of an archive that did not verify) is left out, and not listed. */
const PDF_ATTACHMENTS: ReadonlyArray<{name: string; type: string; describe: (m: ReportMessages) => string; bytes: (verified: ArchiveReport, make: Making) => Buffer | undefined}> = [
  {name: 'verification.json', type: 'application/json', describe: (m) => m.pdf.verificationJson, bytes: (verified) => Buffer.from(`${JSON.stringify(successDocument(verified), null, 2)}\n`, 'utf8')},
  {name: 'case-uco.jsonld', type: 'application/ld+json', describe: (m) => m.pdf.caseUcoJsonld, bytes: (_, make) => make.caseUco},
]

/** The attachments this report has: every one whose bytes are known before the archive closes (verification.json's always are). */
const attachable = (make: Making): typeof PDF_ATTACHMENTS => PDF_ATTACHMENTS.filter((a) => a.name !== 'case-uco.jsonld' || make.caseUco !== undefined)

async function sha256Of(path: string): Promise<string | null> {
  if (!(await stat(path).catch(() => undefined))?.isFile()) return null
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** What stays the same for one archive and one set of options: the words, the format, the image choice. */
interface Making {
  m: ReportMessages
  format: ReportFormat
  thumbnails: Thumbnails
  archiveSha256: string | null
  out: ReportSink
  /** A PDF's CASE/UCO export (as `custody export case-uco` writes it), made while the archive is open, when it verified. */
  caseUco?: Buffer
}

/**
 * The writer of the report's format. A PDF's dates are the seal's (the Unix epoch when the seal's
 * time cannot be read) and its document ID a hash of the seal, the archive and the options: never
 * the clock. The title in its metadata keeps only plain characters of the seal ID (PDFKit writes
 * it into the XMP packet unescaped).
 */
function openWriter(make: Making, sealId: string, statement: Record<string, unknown>): ReportWriter & {pdf?: PdfWriter} {
  if (make.format === 'html') return new HtmlWriter(make.out, make.m)
  const sealed = typeof statement.sealedAt === 'string' ? Date.parse(statement.sealedAt) : Number.NaN
  const id = createHash('sha256').update(['custody report', sealId, make.archiveSha256 ?? '', make.format, make.thumbnails, make.m.lang].join('\0')).digest().subarray(0, 16)
  const pdf = new PdfWriter(make.out, make.m, {title: make.m.say(make.m.title, {sealId: sealId.replaceAll(/[^\w.:-]/g, '_')}), lang: make.m.lang, date: new Date(Number.isNaN(sealed) ? 0 : sealed), id, creator: `custody ${CUSTODY_VERSION}`})
  return Object.assign(pdf, {pdf})
}

/** The list of what a PDF carries inside it, said in its text. */
async function attachmentNote(w: ReportWriter, make: Making): Promise<void> {
  if (make.format !== 'pdf') return
  await w.heading(3, make.m.pdf.attachmentsHeading)
  await w.paragraph(make.m.pdf.attachments)
  await w.list(attachable(make).map((a) => `${a.name}: ${a.describe(make.m)}`))
}

/** Step 3: the whole report, from the archive still open after its checks. */
async function writeFull(make: Making, context: ArchiveContext, report: ArchiveReport): Promise<{writer: ReportWriter & {pdf?: PdfWriter}; exhibits: number}> {
  const {m} = make
  const verdict = verdictOf(report)
  using data = new ArchiveData()
  await data.load(context)
  if (make.format === 'pdf' && verdict.verdict === 'verified') make.caseUco = (await caseUcoBytes(context, data)).bytes
  const w = openWriter(make, report.sealId ?? m.cover.noSealId, context.statement)
  await w.begin(m.say(m.title, {sealId: report.sealId ?? m.cover.noSealId}))
  await cover(w, m, report, verdict, {statement: context.statement, archiveSha256: make.archiveSha256})
  await verification(w, m, report, verdict)
  if (data.unread.length > 0) await w.list(data.unread)
  const exhibits = await exhibitTable(w, m, data)
  await exhibitDetails(w, m, data, context, report, make.thumbnails)
  await testimony(w, m, context)
  await howToCheck(w, m, context)
  await glossary(w, m)
  await attachmentNote(w, make)
  if (make.format === 'pdf' && make.thumbnails === 'hidden') await imageAppendix(w, m, data, context)
  return {writer: w, exhibits}
}

/** Step 4: an archive the verifier could not read as far as its bag. */
async function writeShort(make: Making, report: ArchiveReport): Promise<ReportWriter & {pdf?: PdfWriter}> {
  const {m} = make
  const verdict = verdictOf(report)
  const w = openWriter(make, report.sealId ?? m.cover.noSealId, {})
  await w.begin(m.say(m.title, {sealId: report.sealId ?? m.cover.noSealId}))
  await cover(w, m, report, verdict, {statement: {}, archiveSha256: make.archiveSha256})
  await verification(w, m, report, verdict)
  await howToCheck(w, m, undefined)
  await glossary(w, m)
  await attachmentNote(w, make)
  return w
}

export async function reportArchive(archive: string, options: ReportOptions): Promise<ReportResult> {
  const m = loadReportMessages(options.lang)
  const target = checkDestination(options.out)
  if (!options.force && existsSync(target)) throw notReplaced(options.out)
  await using out = await ReportSink.create(target)
  const make: Making = {m, format: options.format, thumbnails: options.thumbnails, archiveSha256: await sha256Of(archive), out}
  let full: Awaited<ReturnType<typeof writeFull>> | undefined
  const verified = await verifyArchive(archive, {
    ...options.verify,
    afterChecks: async (context, report) => {
      full = await writeFull(make, context, report)
    },
  })
  const writer = full?.writer ?? (await writeShort(make, verified))
  // Step 5: the attachments, made from the verification's final result; then the end of the document, and --out.
  const attached = writer.pdf === undefined ? [] : attachable(make)
  for (const a of attached) writer.pdf?.attach({name: a.name, type: a.type, description: a.describe(make.m), bytes: a.bytes(verified, make)!} satisfies PdfAttachment)
  await writer.end()
  if (!(await out.finish(target, options.force))) throw notReplaced(options.out)
  const {verdict, failedChecks} = verdictOf(verified)
  return {
    out: target,
    format: options.format,
    lang: m.lang,
    verdict,
    failedChecks,
    sealId: verified.sealId,
    archiveSha256: make.archiveSha256,
    exhibits: full?.exhibits ?? 0,
    thumbnails: options.thumbnails,
    attachments: attached.map((a) => a.name),
    checks: verified.checks,
    problemCount: verified.problemCount,
  }
}
