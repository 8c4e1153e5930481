/**
 * `custody report ARCHIVE --out report.html`: a report a court can read, print and file, made from
 * a sealed archive (a ZIP, or its bag folder) as it is verified. The steps:
 *
 *   1. the wording of --lang is read and checked (messages/catalog.ts), the destination is checked
 *      before any work (src/io/files.ts checkDestination), and the ZIP's own SHA-256 taken;
 *   2. the archive is verified by the archive verifier (src/verify/verify-archive.ts), with every
 *      check `custody verify` runs and none of its own;
 *   3. while the verified archive is still open, the statement's exhibits and their events are
 *      read again into a scratch database (archive-data.ts), and the report written from them a
 *      page at a time: cover, verification, exhibits, each exhibit, testimony, how to check,
 *      glossary;
 *   4. an archive that could not be read so far gets a report of the cover and the verification;
 *   5. the file is put at --out.
 *
 * The report is the same bytes for the same archive and options: it holds no time but the seal's.
 */
import {createHash} from 'node:crypto'
import {createReadStream, existsSync} from 'node:fs'
import {stat} from 'node:fs/promises'
import {checkDestination, notReplaced} from '../io/files.js'
import type {ArchiveContext} from '../verify/archive/context.js'
import type {CheckOutcome} from '../verify/checklist.js'
import {verifyArchive, type ArchiveReport, type VerifyArchiveOptions} from '../verify/verify-archive.js'
import {ArchiveData} from './archive-data.js'
import {glossary, howToCheck, testimony} from './back.js'
import {exhibitDetails, exhibitTable} from './exhibits.js'
import {cover, documentHead, verification} from './front.js'
import {escapeHtml} from './html.js'
import {loadReportMessages, type ReportMessages} from './messages/catalog.js'
import {ReportSink} from './sink.js'
import type {Thumbnails} from './thumbnails.js'
import {verdictOf, type Verdict} from './verdict.js'

export interface ReportOptions {
  out: string
  force: boolean
  thumbnails: Thumbnails
  /** The language of the report's fixed wording: a message file's tag (messages/catalog.ts). */
  lang: string
  /** What the verifier is given (--key, --tsa-ca, progress). */
  verify: Omit<VerifyArchiveOptions, 'afterChecks'>
}

export interface ReportResult {
  out: string
  format: 'html'
  lang: string
  verdict: Verdict
  failedChecks: string[]
  sealId: string | null
  archiveSha256: string | null
  exhibits: number
  thumbnails: Thumbnails
  /** Every check the verifier ran, with its result, as `custody verify --json` gives them. */
  checks: CheckOutcome[]
  problemCount: number
}

async function sha256Of(path: string): Promise<string | null> {
  if (!(await stat(path).catch(() => undefined))?.isFile()) return null
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Step 3: the whole report, from the archive still open after its checks. */
async function writeFull(out: ReportSink, m: ReportMessages, context: ArchiveContext, report: ArchiveReport, archiveSha256: string | null, thumbnails: Thumbnails): Promise<number> {
  const verdict = verdictOf(report)
  using data = new ArchiveData()
  await data.load(context)
  await out.write(documentHead(m, report.sealId ?? m.cover.noSealId))
  await out.write(cover(m, report, verdict, {statement: context.statement, archiveSha256}))
  await out.write(verification(m, report, verdict))
  if (data.unread.length > 0) await out.write(`<ul>${data.unread.map((u) => `<li>${escapeHtml(u)}</li>`).join('')}</ul>\n`)
  const exhibits = await exhibitTable(out, m, data)
  await exhibitDetails(out, m, data, context, report, thumbnails)
  await out.write(testimony(m, context))
  await out.write(howToCheck(m, context))
  await out.write(`${glossary(m)}</body>\n</html>\n`)
  return exhibits
}

/** Step 4: an archive the verifier could not read as far as its bag. */
async function writeShort(out: ReportSink, m: ReportMessages, report: ArchiveReport, archiveSha256: string | null): Promise<void> {
  const verdict = verdictOf(report)
  await out.write(documentHead(m, report.sealId ?? m.cover.noSealId))
  await out.write(cover(m, report, verdict, {statement: {}, archiveSha256}))
  await out.write(verification(m, report, verdict))
  await out.write(`${howToCheck(m, undefined)}${glossary(m)}</body>\n</html>\n`)
}

export async function reportArchive(archive: string, options: ReportOptions): Promise<ReportResult> {
  const m = loadReportMessages(options.lang)
  const target = checkDestination(options.out)
  if (!options.force && existsSync(target)) throw notReplaced(options.out)
  const archiveSha256 = await sha256Of(archive)
  await using out = await ReportSink.create(target)
  let exhibits: number | undefined
  const verified = await verifyArchive(archive, {
    ...options.verify,
    afterChecks: async (context, report) => {
      exhibits = await writeFull(out, m, context, report, archiveSha256, options.thumbnails)
    },
  })
  if (exhibits === undefined) await writeShort(out, m, verified, archiveSha256)
  if (!(await out.finish(target, options.force))) throw notReplaced(options.out)
  const {verdict, failedChecks} = verdictOf(verified)
  return {out: target, format: 'html', lang: m.lang, verdict, failedChecks, sealId: verified.sealId, archiveSha256, exhibits: exhibits ?? 0, thumbnails: options.thumbnails, checks: verified.checks, problemCount: verified.problemCount}
}
