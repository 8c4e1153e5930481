/**
 * The report's model (model.ts) of a sealed archive, from the archive verifier's report and the
 * archive still open after its checks: the sealed statement's cover, the checks as the verifier
 * gave them, the exhibits and events read again (archive-data.ts), the testimonies the statement
 * seals, and the steps of the archive's own README.txt.
 */
import {basename} from 'node:path'
import {isRecord} from '../formats/guards.js'
import {bagReadme} from '../seal/readme.js'
import type {DescribedSeal} from '../seal/statement.js'
import type {ArchiveContext} from '../verify/archive/context.js'
import type {ArchiveReport} from '../verify/verify-archive.js'
import type {ArchiveData} from './archive-data.js'
import type {ReportMessages} from './messages/catalog.js'
import type {ExhibitSource, ReportModel, ReportVerification} from './model.js'
import {verdictOf} from './verdict.js'

/** An archive that could not be read as far as its exhibits: a source of none. */
const NO_EXHIBITS: ExhibitSource = {exhibits: () => [], events: () => [], ingest: () => undefined, original: () => undefined}

function coverFacts(m: ReportMessages, report: ArchiveReport, statement: Record<string, unknown>, archiveSha256: string | null): Array<[string, unknown]> {
  const s = statement
  const kase = isRecord(s.case) ? s.case : {}
  const text = (v: unknown): string => (typeof v === 'string' && v !== '' ? v : m.cover.unknown)
  const caseLine = isRecord(s.case) ? `${text(kase.title)} (${text(kase.id)})${typeof kase.organisation === 'string' ? `, ${kase.organisation}` : ''}` : m.cover.unknown
  return [
    [m.cover.case, caseLine],
    [m.cover.sealId, report.sealId ?? m.cover.unknown],
    [m.cover.purpose, typeof s.purpose === 'string' ? s.purpose : isRecord(s.case) ? m.cover.noPurpose : m.cover.unknown],
    [m.cover.sealedBy, text(s.sealer)],
    [m.cover.sealedAt, text(s.sealedAt)],
    [m.cover.note, typeof s.note === 'string' ? s.note : m.cover.noNote],
    [m.cover.archive, report.archive.split(/[\\/]/).filter((p) => p !== '').at(-1) ?? report.archive],
    [m.cover.archiveSha256, archiveSha256 ?? m.cover.folderNoHash],
  ]
}

function verificationOf(m: ReportMessages, report: ArchiveReport): ReportVerification {
  const v = m.verification
  const trust = report.trust
  return {
    intro: v.intro,
    checks: report.checks,
    problems: report.problems,
    problemCount: report.problemCount,
    warnings: report.warnings,
    trust:
      trust === null
        ? null
        : {nameLabel: v.signerName, holder: trust.holder, signingKey: trust.signingKey, signerNote: trust.signerPinned ? v.pinned : v.notPinned, timestamps: trust.timestamps, rootsNote: trust.tsaRootsFrom === 'given' ? v.rootsGiven : v.rootsArchive},
    notChecked: v.notCheckedItems,
    handOvers: report.custodians ?? [],
  }
}

/** What covers an event: the signed checkpoint and the tokens, only as far as the verifier found them to hold. */
function coverage(m: ReportMessages, report: ArchiveReport, seq: number): string {
  const x = m.exhibit
  const signedOk = report.checks.some((c) => c.name === 'signatures' && c.status === 'ok') && report.trust?.signingKey
  const signed = signedOk && report.treeHead !== null && seq < report.treeHead.size ? x.signed : x.notSigned
  const stamped = report.checks.some((c) => c.name === 'timestamps' && c.status !== 'failed') ? (report.trust?.timestamps ?? []).filter((t) => seq < t.treeSize) : []
  return `${signed}; ${stamped.length === 0 ? x.notStamped : stamped.map((t) => m.say(x.stamped, {genTime: t.genTime})).join(', ')}`
}

/** README.txt's steps from "HOW TO CHECK IT" on, as the seal made them, with this archive's file name. */
function checkSteps(m: ReportMessages, context: ArchiveContext): ReportModel['howToCheck'] {
  try {
    if (context.bag === undefined || !isRecord(context.statement.case)) return undefined
    const text = bagReadme({archive: basename(context.path), bag: context.bag, statement: context.statement as unknown as DescribedSeal, exhibits: context.exhibitCount})
    const from = text.indexOf('HOW TO CHECK IT')
    return {paragraphs: [m.howTo.intro, ...(context.kind === 'folder' ? [m.howTo.fromFolder] : [])], steps: from < 0 ? text : text.slice(from)}
  } catch {
    // A statement that does not hold what README.txt is made from: the steps cannot be given.
    return undefined
  }
}

const archiveWords = (m: ReportMessages): ReportModel['words'] => ({noExhibits: m.exhibits.none, testimonyIntro: m.testimony.intro, noTestimony: m.testimony.none, imageUnreadable: m.exhibit.unreadable})

/** The model of an archive read as far as its bag, while it is still open. */
export function archiveModel(m: ReportMessages, report: ArchiveReport, given: {context: ArchiveContext; data: ArchiveData; archiveSha256: string | null}): ReportModel {
  const {context, data} = given
  return {
    title: m.say(m.title, {sealId: report.sealId ?? m.cover.noSealId}),
    cover: coverFacts(m, report, context.statement, given.archiveSha256),
    verdict: verdictOf(report),
    verification: verificationOf(m, report),
    unread: data.unread,
    data,
    coverage: (seq) => coverage(m, report, seq),
    testimony: {given: (Array.isArray(context.statement.testimonies) ? context.statement.testimonies : []).filter(isRecord), events: context.testimonyEvents},
    howToCheck: checkSteps(m, context),
    words: archiveWords(m),
  }
}

/** The model of an archive the verifier could not read as far as its bag: the cover and the verification. */
export function unreadArchiveModel(m: ReportMessages, report: ArchiveReport, archiveSha256: string | null): ReportModel {
  return {
    title: m.say(m.title, {sealId: report.sealId ?? m.cover.noSealId}),
    cover: coverFacts(m, report, {}, archiveSha256),
    verdict: verdictOf(report),
    verification: verificationOf(m, report),
    unread: [],
    data: NO_EXHIBITS,
    coverage: () => '',
    testimony: {given: [], events: []},
    howToCheck: undefined,
    words: archiveWords(m),
  }
}
