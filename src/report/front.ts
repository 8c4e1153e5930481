/**
 * The report's first two sections: the cover (what was sealed, by whom, and the verdict in one
 * sentence) and the verification (every check with its result, the signer, the trusted time, what
 * was not checked). Everything stated comes from the verifier's report or the sealed statement;
 * nothing here checks anything.
 */
import {isRecord} from '../formats/guards.js'
import {CUSTODY_VERSION} from '../version.js'
import type {ArchiveReport} from '../verify/verify-archive.js'
import type {ReportMessages} from './messages/catalog.js'
import type {ReportVerdict} from './verdict.js'
import type {ReportWriter} from './writer.js'

/** The sealed statement's fields the cover shows ({} when it could not be read). */
export interface CoverFacts {
  statement: Record<string, unknown>
  archiveSha256: string | null
}

export function verdictSentence(m: ReportMessages, verdict: ReportVerdict): string {
  if (verdict.verdict === 'failed') return verdict.failedChecks.length === 0 ? m.cover.failedNoCheck : m.count(m.cover.failed, verdict.failedChecks.length, {checks: verdict.failedChecks.join(', ')})
  return verdict.warnings > 0 ? m.count(m.cover.verifiedWithWarnings, verdict.warnings) : m.cover.verified
}

export async function cover(w: ReportWriter, m: ReportMessages, report: ArchiveReport, verdict: ReportVerdict, given: CoverFacts): Promise<void> {
  const s = given.statement
  const kase = isRecord(s.case) ? s.case : {}
  const text = (v: unknown): string => (typeof v === 'string' && v !== '' ? v : m.cover.unknown)
  const caseLine = isRecord(s.case) ? `${text(kase.title)} (${text(kase.id)})${typeof kase.organisation === 'string' ? `, ${kase.organisation}` : ''}` : m.cover.unknown
  await w.heading(2, m.cover.heading, 'cover', true)
  await w.verdict(`${m.cover.verdict}: ${verdictSentence(m, verdict)}`, verdict.verdict === 'failed')
  await w.facts([
    [m.cover.case, caseLine],
    [m.cover.sealId, report.sealId ?? m.cover.unknown],
    [m.cover.purpose, typeof s.purpose === 'string' ? s.purpose : isRecord(s.case) ? m.cover.noPurpose : m.cover.unknown],
    [m.cover.sealedBy, text(s.sealer)],
    [m.cover.sealedAt, text(s.sealedAt)],
    [m.cover.note, typeof s.note === 'string' ? s.note : m.cover.noNote],
    [m.cover.archive, report.archive.split(/[\\/]/).filter((p) => p !== '').at(-1) ?? report.archive],
    [m.cover.archiveSha256, given.archiveSha256 ?? m.cover.folderNoHash],
  ])
  await w.paragraph(m.say(m.cover.madeBy, {version: CUSTODY_VERSION}))
}

function statusWord(m: ReportMessages, status: string): string {
  return status === 'ok' ? m.verification.ok : status === 'warning' ? m.verification.warning : m.verification.failed
}

async function checkTable(w: ReportWriter, m: ReportMessages, report: ArchiveReport, verdict: ReportVerdict): Promise<void> {
  const v = m.verification
  await w.tableStart([v.check, v.result, v.detail], 'checks')
  for (const c of report.checks) await w.row([c.name, statusWord(m, c.status), c.detail])
  for (const name of verdict.notRun) await w.row([name, v.notRun, v.notRunDetail])
  await w.tableEnd()
}

async function problemTable(w: ReportWriter, m: ReportMessages, report: ArchiveReport): Promise<void> {
  const v = m.verification
  if (report.problemCount === 0) return
  await w.heading(3, v.problems)
  await w.tableStart([v.check, v.subject, v.message, v.expected, v.actual], 'problems')
  for (const p of report.problems) await w.row([p.check, p.subject, p.message, p.expected ?? '', p.actual ?? ''])
  await w.tableEnd()
  const more = report.problemCount - report.problems.length
  if (more > 0) await w.paragraph(m.count(v.problemsMore, more))
}

async function trustFacts(w: ReportWriter, m: ReportMessages, report: ArchiveReport): Promise<void> {
  const v = m.verification
  const trust = report.trust
  await w.heading(3, v.signer)
  if (trust?.signingKey) {
    await w.facts([
      [v.signerName, trust.holder ?? m.cover.unknown],
      [v.fingerprint, trust.signingKey],
    ])
    await w.paragraph(trust.signerPinned ? v.pinned : v.notPinned)
  } else await w.paragraph(v.noSigner)
  await w.heading(3, v.time)
  const stamps = trust?.timestamps ?? []
  if (stamps.length === 0) return w.paragraph(v.noTime)
  await w.tableStart([v.tsa, v.genTime, v.covers], 'plain')
  for (const t of stamps) await w.row([t.tsa, t.genTime, m.count(v.coversEvents, t.treeSize, {last: t.treeSize - 1})])
  await w.tableEnd()
  await w.paragraph(trust?.tsaRootsFrom === 'given' ? v.rootsGiven : v.rootsArchive)
}

export async function verification(w: ReportWriter, m: ReportMessages, report: ArchiveReport, verdict: ReportVerdict): Promise<void> {
  const v = m.verification
  await w.heading(2, v.heading, 'verification')
  await w.paragraph(v.intro)
  await checkTable(w, m, report, verdict)
  await problemTable(w, m, report)
  if (report.warnings.length > 0) {
    await w.heading(3, v.warnings)
    await w.list(report.warnings)
  }

  await trustFacts(w, m, report)
  await w.heading(3, v.notChecked)
  await w.list(v.notCheckedItems)
}
