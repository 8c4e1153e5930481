/**
 * The report's first two sections: the cover (what was verified, and the verdict in one
 * sentence) and the verification (every check with its result, the signer, the trusted time, what
 * was not checked). Everything stated comes from the model (model.ts), made from the verifier's
 * report; nothing here checks anything.
 */
import {describeParty} from '../transfers/custodian.js'
import {CUSTODY_VERSION} from '../version.js'
import type {ReportMessages} from './messages/catalog.js'
import type {ReportModel, ReportTrust, ReportVerification} from './model.js'
import type {ReportVerdict} from './verdict.js'
import type {ReportWriter} from './writer.js'

export function verdictSentence(m: ReportMessages, verdict: ReportVerdict): string {
  if (verdict.verdict === 'failed') return verdict.failedChecks.length === 0 ? m.cover.failedNoCheck : m.count(m.cover.failed, verdict.failedChecks.length, {checks: verdict.failedChecks.join(', ')})
  const verified = verdict.warnings > 0 ? m.count(m.cover.verifiedWithWarnings, verdict.warnings) : m.cover.verified
  // Never a verdict wider than what was checked: content no key opened is named on the cover.
  return verdict.contentUnchecked > 0 ? `${verified} ${m.count(m.case.contentUnchecked, verdict.contentUnchecked)}` : verified
}

export async function cover(w: ReportWriter, m: ReportMessages, model: ReportModel): Promise<void> {
  await w.heading(2, m.cover.heading, 'cover', true)
  await w.verdict(`${m.cover.verdict}: ${verdictSentence(m, model.verdict)}`, model.verdict.verdict === 'failed')
  await w.facts(model.cover)
  await w.paragraph(m.say(m.cover.madeBy, {version: CUSTODY_VERSION}))
}

function statusWord(m: ReportMessages, status: string): string {
  return status === 'ok' ? m.verification.ok : status === 'warning' ? m.verification.warning : m.verification.failed
}

async function checkTable(w: ReportWriter, m: ReportMessages, verified: ReportVerification, verdict: ReportVerdict): Promise<void> {
  const v = m.verification
  await w.tableStart([v.check, v.result, v.detail], 'checks')
  for (const c of verified.checks) await w.row([c.name, statusWord(m, c.status), c.detail])
  for (const name of verdict.notRun) await w.row([name, v.notRun, v.notRunDetail])
  await w.tableEnd()
}

async function problemTable(w: ReportWriter, m: ReportMessages, verified: ReportVerification): Promise<void> {
  const v = m.verification
  if (verified.problemCount === 0) return
  await w.heading(3, v.problems)
  await w.tableStart([v.check, v.subject, v.message, v.expected, v.actual], 'problems')
  for (const p of verified.problems) await w.row([p.check, p.subject, p.message, p.expected ?? '', p.actual ?? ''])
  await w.tableEnd()
  const more = verified.problemCount - verified.problems.length
  if (more > 0) await w.paragraph(m.count(v.problemsMore, more))
}

async function trustFacts(w: ReportWriter, m: ReportMessages, trust: ReportTrust | null): Promise<void> {
  const v = m.verification
  await w.heading(3, v.signer)
  if (trust?.signingKey) {
    await w.facts([
      [trust.nameLabel, trust.holder ?? m.cover.unknown],
      [v.fingerprint, trust.signingKey],
    ])
    await w.paragraph(trust.signerNote)
  } else await w.paragraph(v.noSigner)
  await w.heading(3, v.time)
  const stamps = trust?.timestamps ?? []
  if (stamps.length === 0) return w.paragraph(v.noTime)
  await w.tableStart([v.tsa, v.genTime, v.covers], 'plain')
  for (const t of stamps) await w.row([t.tsa, t.genTime, m.count(v.coversEvents, t.treeSize, {last: t.treeSize - 1})])
  await w.tableEnd()
  await w.paragraph(trust!.rootsNote)
}

/** The hand-overs before the seal: who released, who received, when, and how many of the exhibits each brought. */
async function handOverTable(w: ReportWriter, m: ReportMessages, verified: ReportVerification): Promise<void> {
  const v = m.verification
  if (verified.handOvers.length === 0) return
  await w.heading(3, v.handOvers)
  await w.paragraph(v.handOversIntro)
  const who = (c: ReportVerification['handOvers'][number]['from']): string => describeParty(c, ', ')
  await w.tableStart([v.transfer, v.releasedBy, v.releasedAt, v.receivedBy, v.receivedAt, v.handOverExhibits], 'plain')
  for (const h of verified.handOvers) await w.row([h.transferId, who(h.from), h.releasedAt, who(h.to), h.receivedAt, String(h.items)])
  await w.tableEnd()
}

export async function verification(w: ReportWriter, m: ReportMessages, model: ReportModel): Promise<void> {
  const v = m.verification
  const verified = model.verification
  await w.heading(2, v.heading, 'verification')
  await w.paragraph(verified.intro)
  await checkTable(w, m, verified, model.verdict)
  await problemTable(w, m, verified)
  if (verified.warnings.length > 0) {
    await w.heading(3, v.warnings)
    await w.list(verified.warnings)
  }

  await trustFacts(w, m, verified.trust)
  await handOverTable(w, m, verified)
  await w.heading(3, v.notChecked)
  await w.list(verified.notChecked)
}
