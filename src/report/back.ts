/**
 * Sections 5 to 7 of the report: testimony (by witness code only: neither an archive nor the
 * ledger holds an identity in clear, and the interview's list of people present is left out, as it
 * may name them), how to check it with standard tools (the steps the model gives: an archive's
 * README.txt, or a case's sqlite3 and coreutils commands), and a glossary.
 */
import type {CustodyEvent} from '../formats/events.js'
import {isRecord} from '../formats/guards.js'
import type {ReportMessages} from './messages/catalog.js'
import type {ReportModel} from './model.js'
import type {ReportWriter} from './writer.js'

const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {})
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])
const words = (value: unknown, none: string): string => (list(value).length === 0 ? none : list(value).map(String).join(', '))

/** The consent-changed events of one witness (an archive's as the verifier kept them, bounded: BAG_LIMITS.testimonyEvents). */
async function consentHistory(w: ReportWriter, m: ReportMessages, events: readonly CustodyEvent[], witness: string): Promise<void> {
  const t = m.testimony
  const none = m.exhibits.none2
  await w.heading(4, t.consentHistory)
  await w.tableStart([m.exhibit.seq, m.exhibit.when, t.consentChange, t.consentMethod], 'plain')
  const first = events.find((e) => e.action === 'testimony' && e.payload.witness === witness)
  if (first?.action === 'testimony') await w.row([first.seq, first.payload.consent.givenAt ?? first.time, `+ ${words(first.payload.consent.scopes, t.noConsent)}`, first.payload.consent.method ?? ''])
  for (const e of events) {
    if (e.action === 'consent-changed' && e.payload.witness === witness) await w.row([e.seq, e.payload.at, `+ ${words(e.payload.granted, none)} / − ${words(e.payload.withdrawn, none)}`, e.payload.method ?? ''])
  }

  await w.tableEnd()
}

async function oneTestimony(w: ReportWriter, m: ReportMessages, events: readonly CustodyEvent[], given: Record<string, unknown>): Promise<void> {
  const t = m.testimony
  const witness = String(given.witness)
  const interview = record(given.interview)
  const none = m.exhibits.none2
  await w.sectionStart('testimony')
  await w.heading(3, `${t.witness} ${witness}`, `witness-${witness}`)
  await w.facts([[t.statement, given.exhibit]])
  await w.heading(4, t.interview)
  await w.facts([
    [t.started, interview.startedAt],
    [t.ended, interview.endedAt ?? none],
    [t.place, interview.place],
    [t.interviewers, words(interview.interviewers, none)],
    [t.interpreter, interview.interpreter ?? none],
    [t.languages, words(interview.languages, none)],
  ])
  await w.facts([[t.consent, words(given.consent, t.noConsent)]])
  await consentHistory(w, m, events, witness)
  await w.heading(4, t.versions)
  await w.tableStart([t.version, t.statement, m.exhibits.sha256, t.reason], 'plain')
  for (const v of list(given.versions).map(record)) await w.row([v.version, v.exhibit, v.sha256, v.reason ?? t.firstVersion])
  await w.tableEnd()
  await w.sectionEnd()
}

export async function testimony(w: ReportWriter, m: ReportMessages, model: ReportModel): Promise<void> {
  const t = m.testimony
  const {given, events} = model.testimony
  await w.heading(2, t.heading, 'testimony')
  await w.paragraph(model.words.testimonyIntro)
  if (given.length === 0) return w.paragraph(model.words.noTestimony)
  for (const g of given) await oneTestimony(w, m, events, g)
}

export async function howToCheck(w: ReportWriter, m: ReportMessages, model: ReportModel | undefined): Promise<void> {
  const h = m.howTo
  const steps = model?.howToCheck
  await w.heading(2, h.heading, 'check-yourself')
  if (steps === undefined) return w.paragraph(h.unavailable)
  for (const paragraph of steps.paragraphs) await w.paragraph(paragraph)
  await w.pre(steps.steps)
}

export async function glossary(w: ReportWriter, m: ReportMessages): Promise<void> {
  await w.heading(2, m.glossary.heading, 'glossary')
  await w.definitions(m.glossary.terms.map(([term, meaning]) => [term ?? '', meaning ?? ''] as const))
}
