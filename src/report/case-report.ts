/**
 * `custody report --case DIR [EXHIBIT...] --out report.html|report.pdf`: the report of a local
 * case, not sealed, or of some of its exhibits. The steps:
 *
 *   1. the exhibits named are looked up (selectExhibits, before anything else: one not in the case
 *      is a usage error naming every one missing);
 *   2. the wording and the destination are checked (document.ts startDocument), before any work;
 *   3. the case is verified by the case verifier (src/verify/verify-case.ts), every check
 *      `custody verify` runs, with the vault's keys the command opened (the passphrase, or a
 *      recipient's identity): its objects are then checked by content;
 *   4. the report is written from the ledger and the vault (case-model.ts), a page at a time, to a
 *      temp file beside --out; images are decrypted in memory, and nothing else is written;
 *   5. a PDF gets the verification result attached, and the file is put at --out.
 *
 * A report changes no state: nothing is appended to the ledger. Its only time is the ledger's
 * last event's, so the same case and options give the same bytes.
 */
import {realpathSync} from 'node:fs'
import {basename, dirname, isAbsolute, join, relative, resolve} from 'node:path'
import type {Case} from '../case/case.js'
import {CustodyError, said} from '../errors.js'
import {OUTPUT} from '../io/files.js'
import {parseExhibitId} from '../formats/ids.js'
import {successDocument} from '../render/json-output.js'
import {verifyCase, type VerifyCaseOptions, type VerifyCheck} from '../verify/verify-case.js'
import {packBytes} from './attachment.js'
import {lastEventTime, caseModel} from './case-model.js'
import {finishDocument, startDocument, writeSections, type DocumentOptions, type Making, type ReportFormat} from './document.js'
import type {Thumbnails} from './thumbnails.js'
import type {Verdict} from './verdict.js'

export interface CaseReportOptions extends DocumentOptions {
  /** What the verifier is given (progress). */
  verify: Pick<VerifyCaseOptions, 'onProgress'>
}

export interface CaseReportResult {
  out: string
  format: ReportFormat
  lang: string
  verdict: Verdict
  failedChecks: string[]
  caseId: string
  /** The exhibits reported: those named, or null for every exhibit of the case. */
  selection: string[] | null
  exhibits: number
  thumbnails: Thumbnails
  attachments: string[]
  /** Every check the verifier ran, as `custody verify --json` gives them. */
  checks: VerifyCheck[]
  problemCount: number
}

/**
 * A report of a case holds its content decrypted: it is never written into the case's own folder
 * (.custody/), where it would sit beside the encrypted vault as if it were part of the case.
 */
export function refuseInsideCase(target: string, dataDir: string): void {
  const real = (path: string): string => {
    try {
      return realpathSync(path)
    } catch {
      return resolve(path)
    }
  }

  const within = relative(real(dataDir), join(real(dirname(target)), basename(target)))
  if (!within.startsWith('..') && !isAbsolute(within)) {
    throw new CustodyError('USAGE', said`${OUTPUT.out} ${target} is inside the case's own folder (${dataDir}): a report holds the case's content decrypted; write it outside .custody/`, {subject: target})
  }
}

/**
 * Step 1: the exhibits named, as IDs of the case (EX-000007, or 7), each once, in the order given;
 * every one that is not in the case is named in one error.
 */
export function selectExhibits(kase: Case, given: readonly string[]): string[] {
  const ids: string[] = []
  const missing: string[] = []
  for (const name of given) {
    const id = parseExhibitId(kase.info.prefix, name)
    if (id === undefined || kase.ledger.exhibitFile(id) === undefined) missing.push(name)
    else if (!ids.includes(id)) ids.push(id)
  }

  if (missing.length > 0) {
    throw new CustodyError('EXHIBIT_NOT_FOUND', `${missing.length === 1 ? 'there is no exhibit' : 'there are no exhibits'} ${missing.map((n) => JSON.stringify(n)).join(', ')} in this case; \`custody log\` lists them (no report was written)`, {subject: missing.join(', ')})
  }

  return ids
}

export async function reportCase(kase: Case, selection: readonly string[] | undefined, options: CaseReportOptions): Promise<CaseReportResult> {
  const started = await startDocument(options)
  await using out = started.out
  const make: Making = {...started, out, attachments: [{name: 'verification.json', type: 'application/json', description: started.m.pdf.verificationJson}]}
  const verified = await verifyCase(kase, options.verify)
  const model = caseModel(make.m, kase, verified, selection)
  const time = Date.parse(lastEventTime(kase) ?? '')
  const identity = {date: new Date(Number.isNaN(time) ? 0 : time), idParts: ['custody report --case', kase.info.caseId, verified.ledger.treeHead, ...(selection ?? [])], plainTitle: make.m.say(make.m.case.title, {caseId: kase.info.caseId.replaceAll(/[^\w.:-]/g, '_')})}
  const {writer, exhibits} = await writeSections(make, model, identity, true)
  const verification = packBytes(Buffer.from(`${JSON.stringify(successDocument(verified), null, 2)}\n`, 'utf8'))
  const attachments = await finishDocument(make, writer, () => verification)
  return {
    out: make.target,
    format: options.format,
    lang: make.m.lang,
    verdict: model.verdict.verdict,
    failedChecks: model.verdict.failedChecks,
    caseId: kase.info.caseId,
    selection: selection === undefined ? null : [...selection],
    exhibits,
    thumbnails: options.thumbnails,
    attachments,
    checks: verified.checks,
    problemCount: verified.problemCount,
  }
}
