/**
 * Sections 5 to 7 of the report: testimony (by witness code only: the archive holds no identity,
 * and the interview's list of people present is left out, as it may name them), how to check the
 * archive with standard tools (the steps README.txt gives, made by src/seal/readme.ts with this
 * archive's names), and a glossary.
 */
import {basename} from 'node:path'
import {isRecord} from '../formats/guards.js'
import {bagReadme} from '../seal/readme.js'
import type {DescribedSeal} from '../seal/statement.js'
import type {ArchiveContext} from '../verify/archive/context.js'
import {escapeHtml, escapeLines, facts, heading, row} from './html.js'
import type {ReportMessages} from './messages/catalog.js'

const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {})
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])
const words = (value: unknown, none: string): string => (list(value).length === 0 ? none : list(value).map(String).join(', '))

/** The consent-changed events of one witness, as the verifier kept them (bounded: BAG_LIMITS.testimonyEvents). */
function consentHistory(m: ReportMessages, context: ArchiveContext, witness: string): string {
  const t = m.testimony
  const none = m.exhibits.none2
  const changes = context.testimonyEvents.filter((e) => e.action === 'consent-changed' && e.payload.witness === witness)
  const first = context.testimonyEvents.find((e) => e.action === 'testimony' && e.payload.witness === witness)
  const rows = [
    ...(first?.action === 'testimony' ? [row([first.seq, first.payload.consent.givenAt ?? first.time, `+ ${words(first.payload.consent.scopes, t.noConsent)}`, first.payload.consent.method ?? ''])] : []),
    ...changes.map((e) => (e.action === 'consent-changed' ? row([e.seq, e.payload.at, `+ ${words(e.payload.granted, none)} / − ${words(e.payload.withdrawn, none)}`, e.payload.method ?? '']) : '')),
  ]
  return `<h4>${escapeHtml(t.consentHistory)}</h4>\n<table>\n${row([m.exhibit.seq, m.exhibit.when, t.consentChange, t.consentMethod], true)}${rows.join('')}</table>\n`
}

function oneTestimony(m: ReportMessages, context: ArchiveContext, given: Record<string, unknown>): string {
  const t = m.testimony
  const witness = String(given.witness)
  const interview = record(given.interview)
  const versions = list(given.versions).map(record)
  const none = m.exhibits.none2
  return [
    `<section class="testimony">\n${heading(3, `${t.witness} ${witness}`, `witness-${witness}`)}`,
    facts([[t.statement, given.exhibit]]),
    `<h4>${escapeHtml(t.interview)}</h4>\n`,
    facts([
      [t.started, interview.startedAt],
      [t.ended, interview.endedAt ?? none],
      [t.place, interview.place],
      [t.interviewers, words(interview.interviewers, none)],
      [t.interpreter, interview.interpreter ?? none],
      [t.languages, words(interview.languages, none)],
    ]),
    facts([[t.consent, words(given.consent, t.noConsent)]]),
    consentHistory(m, context, witness),
    `<h4>${escapeHtml(t.versions)}</h4>\n<table>\n${row([t.version, t.statement, m.exhibits.sha256, t.reason], true)}`,
    ...versions.map((v) => row([v.version, v.exhibit, v.sha256, v.reason ?? t.firstVersion])),
    '</table>\n</section>\n',
  ].join('')
}

export function testimony(m: ReportMessages, context: ArchiveContext | undefined): string {
  const t = m.testimony
  const given = list(context?.statement.testimonies).filter(isRecord)
  const body = given.length === 0 ? `<p>${escapeHtml(t.none)}</p>\n` : given.map((g) => oneTestimony(m, context!, g)).join('')
  return `${heading(2, t.heading, 'testimony')}<p>${escapeHtml(t.intro)}</p>\n${body}`
}

/** README.txt's steps from "HOW TO CHECK IT" on, as the seal made them, with this archive's file name. */
export function howToCheck(m: ReportMessages, context: ArchiveContext | undefined): string {
  const h = m.howTo
  let steps: string | undefined
  try {
    if (context?.bag !== undefined && isRecord(context.statement.case)) {
      const text = bagReadme({archive: basename(context.path), bag: context.bag, statement: context.statement as unknown as DescribedSeal, exhibits: context.exhibitCount})
      const from = text.indexOf('HOW TO CHECK IT')
      steps = from < 0 ? text : text.slice(from)
    }
  } catch {
    // A statement that does not hold what README.txt is made from: the steps cannot be given.
    steps = undefined
  }

  const folder = context?.kind === 'folder' ? `<p>${escapeHtml(h.fromFolder)}</p>\n` : ''
  const body = steps === undefined ? `<p>${escapeHtml(h.unavailable)}</p>\n` : `<p>${escapeHtml(h.intro)}</p>\n${folder}<pre>${escapeLines(steps)}</pre>\n`
  return `${heading(2, h.heading, 'check-yourself')}${body}`
}

export function glossary(m: ReportMessages): string {
  const g = m.glossary
  return `${heading(2, g.heading, 'glossary')}<dl>\n${g.terms.map(([term, meaning]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(meaning)}</dd>\n`).join('')}</dl>\n`
}
