/**
 * `custody report ARCHIVE --out report.html|report.pdf`: a report a court can read, print and file,
 * made from a sealed archive (a ZIP, or its bag folder) as it is verified, as one HTML file or a
 * PDF/A-3 file (the sections are written once, from a model (model.ts), to a ReportWriter:
 * document.ts; a local case's report is case-report.ts). The steps:
 *
 *   1. the wording of --lang is read and checked (messages/catalog.ts), the destination is checked
 *      before any work (src/io/files.ts checkDestination), and the ZIP's own SHA-256 taken;
 *   2. the archive is verified by the archive verifier (src/verify/verify-archive.ts), with every
 *      check `custody verify` runs and none of its own;
 *   3. while the verified archive is still open, the statement's exhibits and their events are
 *      read again into a scratch database (archive-data.ts), the model made (archive-model.ts),
 *      and the report written from it a page at a time (document.ts);
 *   4. an archive that could not be read so far gets a report of the cover and the verification;
 *   5. a PDF gets its attached files (the verification result), and the file is put at --out.
 *
 * The report is the same bytes for the same archive and options: it holds no time but the seal's.
 */
import {writeCaseUco} from '../case-uco/write.js'
import {successDocument} from '../render/json-output.js'
import type {ArchiveContext} from '../verify/archive/context.js'
import type {CheckOutcome} from '../verify/checklist.js'
import {archiveZipSha256, verifyArchive, type ArchiveReport, type VerifyArchiveOptions} from '../verify/verify-archive.js'
import {ArchiveData} from './archive-data.js'
import {FilePacker, packBytes, type PackedFile} from './attachment.js'
import {archiveModel, unreadArchiveModel} from './archive-model.js'
import {finishDocument, startDocument, writeSections, type DocumentIdentity, type DocumentOptions, type Making, type OpenedWriter, type ReportFormat} from './document.js'
import type {ReportMessages} from './messages/catalog.js'
import type {ReportModel} from './model.js'
import type {Thumbnails} from './thumbnails.js'
import {verdictOf, type Verdict} from './verdict.js'

export {FORMAT_CHOICES, type ReportFormat} from './document.js'

export interface ReportOptions extends DocumentOptions {
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

/** What a PDF of an archive carries inside it: the verification result, and its CASE/UCO export when it verified. */
const verificationNote = (m: ReportMessages): Making['attachments'][number] => ({name: 'verification.json', type: 'application/json', description: m.pdf.verificationJson})
const caseUcoNote = (m: ReportMessages): Making['attachments'][number] => ({name: 'case-uco.jsonld', type: 'application/ld+json', description: m.pdf.caseUcoJsonld})

/**
 * A PDF's dates are the seal's (the Unix epoch when the seal's time cannot be read) and its
 * document ID a hash of the seal, the archive and the options: never the clock. The title in its
 * metadata keeps only plain characters of the seal ID.
 */
function identityOf(m: ReportMessages, sealId: string, statement: Record<string, unknown>, archiveSha256: string | null): DocumentIdentity {
  const sealed = typeof statement.sealedAt === 'string' ? Date.parse(statement.sealedAt) : Number.NaN
  return {date: new Date(Number.isNaN(sealed) ? 0 : sealed), idParts: ['custody report', sealId, archiveSha256 ?? ''], plainTitle: m.say(m.title, {sealId: sealId.replaceAll(/[^\w.:-]/g, '_')})}
}

/**
 * Step 3: the whole report, from the archive still open after its checks. A PDF of an archive that
 * verified carries its CASE/UCO export, named in the text and packed once the text is written.
 */
async function writeFull(make: Making, archiveSha256: string | null, context: ArchiveContext, report: ArchiveReport): Promise<{writer: OpenedWriter; exhibits: number; caseUco?: PackedFile}> {
  using data = new ArchiveData()
  await data.load(context)
  const model: ReportModel = archiveModel(make.m, report, {context, data, archiveSha256})
  const withCaseUco = make.format === 'pdf' && model.verdict.verdict === 'verified'
  if (withCaseUco) make.attachments.push(caseUcoNote(make.m))
  const written = await writeSections(make, model, identityOf(make.m, report.sealId ?? make.m.cover.noSealId, context.statement, archiveSha256), true)
  if (!withCaseUco) return written
  const packer = new FilePacker()
  await writeCaseUco(packer, context, data)
  return {...written, caseUco: await packer.finish()}
}

export async function reportArchive(archive: string, options: ReportOptions): Promise<ReportResult> {
  const started = await startDocument(options)
  await using out = started.out
  const make: Making = {...started, out, attachments: [verificationNote(started.m)]}
  const archiveSha256 = await archiveZipSha256(archive, options.verify.identities)
  let full: Awaited<ReturnType<typeof writeFull>> | undefined
  const verified = await verifyArchive(archive, {
    ...options.verify,
    afterChecks: async (context, report) => {
      full = await writeFull(make, archiveSha256, context, report)
    },
  })
  // Step 4: an archive the verifier could not read as far as its bag.
  const writer = full?.writer ?? (await writeSections(make, unreadArchiveModel(make.m, verified, archiveSha256), identityOf(make.m, verified.sealId ?? make.m.cover.noSealId, {}, archiveSha256), false)).writer
  // Step 5: the attachments, made from the verification's final result; then the end of the document, and --out.
  const verification = packBytes(Buffer.from(`${JSON.stringify(successDocument(verified), null, 2)}\n`, 'utf8'))
  const attachments = await finishDocument(make, writer, (name) => (name === 'case-uco.jsonld' ? full!.caseUco! : verification))
  const {verdict, failedChecks} = verdictOf(verified)
  return {
    out: make.target,
    format: options.format,
    lang: make.m.lang,
    verdict,
    failedChecks,
    sealId: verified.sealId,
    archiveSha256,
    exhibits: full?.exhibits ?? 0,
    thumbnails: options.thumbnails,
    attachments,
    checks: verified.checks,
    problemCount: verified.problemCount,
  }
}
