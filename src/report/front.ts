/**
 * The report's head and its first two sections: the cover (what was sealed, by whom, and the
 * verdict in one sentence) and the verification (every check with its result, the signer, the
 * trusted time, what was not checked). Everything stated comes from the verifier's report or the
 * sealed statement; nothing here checks anything.
 */
import {isRecord} from '../formats/guards.js'
import {CUSTODY_VERSION} from '../version.js'
import type {ArchiveReport} from '../verify/verify-archive.js'
import {escapeHtml, facts, heading, row, STYLE} from './html.js'
import type {ReportMessages} from './messages/catalog.js'
import type {ReportVerdict} from './verdict.js'

/** The sealed statement's fields the cover shows ({} when it could not be read). */
export interface CoverFacts {
  statement: Record<string, unknown>
  archiveSha256: string | null
}

/**
 * Nothing may be loaded: the Content-Security-Policy says so to a browser that honours it, and the
 * page names no resource to load in the first place.
 */
export function documentHead(m: ReportMessages, sealId: string): string {
  return [
    '<!DOCTYPE html>',
    `<html lang="${m.lang}">`,
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(m.say(m.title, {sealId}))}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(m.say(m.title, {sealId}))}</h1>\n`,
  ].join('\n')
}

export function verdictSentence(m: ReportMessages, verdict: ReportVerdict): string {
  if (verdict.verdict === 'failed') return verdict.failedChecks.length === 0 ? m.cover.failedNoCheck : m.count(m.cover.failed, verdict.failedChecks.length, {checks: verdict.failedChecks.join(', ')})
  return verdict.warnings > 0 ? m.count(m.cover.verifiedWithWarnings, verdict.warnings) : m.cover.verified
}

export function cover(m: ReportMessages, report: ArchiveReport, verdict: ReportVerdict, given: CoverFacts): string {
  const s = given.statement
  const kase = isRecord(s.case) ? s.case : {}
  const text = (v: unknown): string => (typeof v === 'string' && v !== '' ? v : m.cover.unknown)
  const caseLine = isRecord(s.case) ? `${text(kase.title)} (${text(kase.id)})${typeof kase.organisation === 'string' ? `, ${kase.organisation}` : ''}` : m.cover.unknown
  return [
    heading(2, m.cover.heading, 'cover').replace('<h2', '<h2 class="first"'),
    `<p class="verdict${verdict.verdict === 'failed' ? ' failed' : ''}">${escapeHtml(m.cover.verdict)}: ${escapeHtml(verdictSentence(m, verdict))}</p>\n`,
    facts([
      [m.cover.case, caseLine],
      [m.cover.sealId, report.sealId ?? m.cover.unknown],
      [m.cover.purpose, typeof s.purpose === 'string' ? s.purpose : isRecord(s.case) ? m.cover.noPurpose : m.cover.unknown],
      [m.cover.sealedBy, text(s.sealer)],
      [m.cover.sealedAt, text(s.sealedAt)],
      [m.cover.note, typeof s.note === 'string' ? s.note : m.cover.noNote],
      [m.cover.archive, report.archive.split(/[\\/]/).filter((p) => p !== '').at(-1) ?? report.archive],
      [m.cover.archiveSha256, given.archiveSha256 ?? m.cover.folderNoHash],
    ]),
    `<p>${escapeHtml(m.say(m.cover.madeBy, {version: CUSTODY_VERSION}))}</p>\n`,
  ].join('')
}

function statusWord(m: ReportMessages, status: string): string {
  return status === 'ok' ? m.verification.ok : status === 'warning' ? m.verification.warning : m.verification.failed
}

function checkTable(m: ReportMessages, report: ArchiveReport, verdict: ReportVerdict): string {
  const v = m.verification
  const rows = [
    row([v.check, v.result, v.detail], true),
    ...report.checks.map((c) => row([c.name, statusWord(m, c.status), c.detail])),
    ...verdict.notRun.map((name) => row([name, v.notRun, v.notRunDetail])),
  ]
  return `<table class="checks">\n${rows.join('')}</table>\n`
}

function problemTable(m: ReportMessages, report: ArchiveReport): string {
  const v = m.verification
  if (report.problemCount === 0) return ''
  const rows = report.problems.map((p) => row([p.check, p.subject, p.message, p.expected ?? '', p.actual ?? '']))
  const more = report.problemCount - report.problems.length
  return [
    `<h3>${escapeHtml(v.problems)}</h3>\n<table class="problems">\n`,
    row([v.check, v.subject, v.message, v.expected, v.actual], true),
    ...rows,
    '</table>\n',
    more > 0 ? `<p>${escapeHtml(m.count(v.problemsMore, more))}</p>\n` : '',
  ].join('')
}

function trustFacts(m: ReportMessages, report: ArchiveReport): string {
  const v = m.verification
  const trust = report.trust
  const signer = trust?.signingKey
    ? `${facts([[v.signerName, trust.holder ?? m.cover.unknown], [v.fingerprint, trust.signingKey]])}<p>${escapeHtml(trust.signerPinned ? v.pinned : v.notPinned)}</p>\n`
    : `<p>${escapeHtml(v.noSigner)}</p>\n`
  const stamps = trust?.timestamps ?? []
  const time =
    stamps.length === 0
      ? `<p>${escapeHtml(v.noTime)}</p>\n`
      : `<table>\n${row([v.tsa, v.genTime, v.covers], true)}${stamps.map((t) => row([t.tsa, t.genTime, m.count(v.coversEvents, t.treeSize, {last: t.treeSize - 1})])).join('')}</table>\n<p>${escapeHtml(trust?.tsaRootsFrom === 'given' ? v.rootsGiven : v.rootsArchive)}</p>\n`
  return `<h3>${escapeHtml(v.signer)}</h3>\n${signer}<h3>${escapeHtml(v.time)}</h3>\n${time}`
}

export function verification(m: ReportMessages, report: ArchiveReport, verdict: ReportVerdict): string {
  const v = m.verification
  const warnings = report.warnings.length === 0 ? '' : `<h3>${escapeHtml(v.warnings)}</h3>\n<ul>\n${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>\n`).join('')}</ul>\n`
  return [
    heading(2, v.heading, 'verification'),
    `<p>${escapeHtml(v.intro)}</p>\n`,
    checkTable(m, report, verdict),
    problemTable(m, report),
    warnings,
    trustFacts(m, report),
    `<h3>${escapeHtml(v.notChecked)}</h3>\n<ul>\n${v.notCheckedItems.map((i) => `<li>${escapeHtml(i)}</li>\n`).join('')}</ul>\n`,
  ].join('')
}
