/**
 * `custody export case-uco ARCHIVE --out FILE.jsonld`: a sealed archive (a ZIP, or its bag folder)
 * as CASE/UCO 1.4 JSON-LD, for the forensic tools and prosecutors' systems that exchange CASE. The
 * steps:
 *
 *   1. the destination is checked before any work (src/io/files.ts checkDestination);
 *   2. the archive is verified by the archive verifier, with every check `custody verify` runs;
 *   3. only when every check passed, and while the verified archive is still open, its statement
 *      and events are read into a scratch database (src/report/archive-data.ts) and the JSON-LD
 *      written from them (write.ts) to a temp file beside --out (src/report/sink.ts);
 *   4. the file is fsynced and put at --out. An archive that did not verify is refused
 *      (INTEGRITY, exit 3) and nothing is written: a machine export carries no verdict a reader
 *      would see, so it is never made of an archive that failed.
 */
import {existsSync} from 'node:fs'
import {CustodyError} from '../errors.js'
import {checkDestination, notReplaced} from '../io/files.js'
import {ArchiveData} from '../report/archive-data.js'
import {ReportSink} from '../report/sink.js'
import {verdictOf} from '../report/verdict.js'
import {verifyArchive, type VerifyArchiveOptions} from '../verify/verify-archive.js'
import {writeCaseUco, type CaseUcoCounts} from './write.js'

export interface CaseUcoOptions {
  out: string
  force: boolean
  /** What the verifier is given (--key, --tsa-ca, progress). */
  verify: Omit<VerifyArchiveOptions, 'afterChecks'>
}

export interface CaseUcoResult extends CaseUcoCounts {
  out: string
  format: 'case-uco-jsonld'
  sealId: string
  /** The number of checks the verifier ran, every one passed. */
  checks: number
}

export async function exportCaseUco(archive: string, options: CaseUcoOptions): Promise<CaseUcoResult> {
  const target = checkDestination(options.out)
  if (!options.force && existsSync(target)) throw notReplaced(options.out)
  let counts: CaseUcoCounts | undefined
  let placed = true
  const verified = await verifyArchive(archive, {
    ...options.verify,
    afterChecks: async (context, report) => {
      if (verdictOf(report).verdict !== 'verified') return
      await using out = await ReportSink.create(target)
      using data = new ArchiveData()
      await data.load(context)
      counts = await writeCaseUco(out, context, data)
      placed = await out.finish(target, options.force)
    },
  })
  const {verdict, failedChecks} = verdictOf(verified)
  if (verdict !== 'verified' || counts === undefined) {
    const failed = failedChecks.length > 0 ? `these checks failed: ${failedChecks.join(', ')}` : 'it could not be read'
    throw new CustodyError('INTEGRITY', `${archive} did not verify (${failed}); nothing was written. Run \`custody verify ${archive}\` to see what it found`, {subject: archive})
  }

  if (!placed) throw notReplaced(options.out)
  return {out: target, format: 'case-uco-jsonld', sealId: String(verified.sealId), ...counts, checks: verified.checks.length}
}
