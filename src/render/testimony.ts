/** Human-readable renderings of testimony results. Only what is recorded in clear; never an identity unless asked for. */
import type {AmendReport} from '../testimony/amend.js'
import type {ConsentChangeReport} from '../testimony/change-consent.js'
import type {ContentCheck} from '../testimony/content-check.js'
import type {TestimonyReport} from '../testimony/take-testimony.js'
import type {TestimonyView} from '../testimony/testimonies.js'
import type {IdentityViewReport} from '../testimony/view-identity.js'
import {formatBytes, plural, safeText} from './text.js'

function consentText(scopes: readonly string[]): string {
  return scopes.length === 0 ? 'none' : scopes.join(', ')
}

const LEFT_OUT = "holds the witness's name or contact; left out of advocacy seals"

/** What the search for the witness's name and contact found, as lines of `label  text` with `indent`. */
function contentLines(check: ContentCheck | null, indent: string, width: number, what = 'the statement'): string[] {
  const line = (label: string, text: string): string => `${indent}${label.padEnd(width)} ${text}`
  if (check === null) return [line('name search', `not done: no name or contact that can be searched for was recorded, so ${what} could not be checked`)]
  return [
    ...(check.identifying.length > 0 ? [line('identifying', `${check.identifying.map((s) => safeText(s)).join('; ')}: ${LEFT_OUT}`)] : []),
    ...(check.statementText.searched ? [] : [line('statement text', `not searched: ${safeText(check.statementText.reason ?? 'not plain text')}`)]),
    ...(check.identifying.length === 0 ? [line('name search', `nothing found (searched for the ${check.searchedFor.join(' and ')})`)] : []),
  ]
}

export function renderTestimonyTaken(report: TestimonyReport): string {
  return [
    `Recorded the testimony of ${report.witness} as ${report.exhibit} (ledger event #${report.seq})`,
    `  statement      ${report.statement.exhibit}  sha256 ${report.statement.sha256}  ${formatBytes(report.statement.size)}`,
    ...report.attachments.map((a) => `  attachment     ${a.exhibit}  ${safeText(a.path)}${a.status === 'already-present' ? '  (already in the case)' : ''}`),
    `  consent        ${consentText(report.consent.scopes)}${report.consent.method ? ` (${report.consent.method}, ${report.consent.givenAt})` : ''}`,
    report.identity === null
      ? '  identity       none recorded'
      : `  identity       ${report.identity.fields.join(', ')}: encrypted; commitment sha256 ${report.identity.commitment}`,
    ...contentLines(report.contentCheck, '  ', 14, 'the statement and attachments'),
    ...(report.identity?.fields.includes('contact') && report.contentCheck !== null && !report.contentCheck.searchedFor.includes('contact')
      ? ['                 (the contact holds no phone number, e-mail address or @handle, so it could not be searched for)']
      : []),
  ].join('\n')
}

export function renderTestimonyList(views: readonly TestimonyView[]): string {
  if (views.length === 0) return 'No testimonies. Record one with `custody testimony add`.'
  return views
    .map(
      (t) =>
        `${t.exhibit}  ${safeText(t.witness).padEnd(10)} ${t.interview.startedAt}  ${safeText(t.interview.place)}  consent: ${consentText(t.consent.current)}  ${plural(t.versions.length, 'version')}, ${plural(t.attachments.length, 'attachment')}${t.vulnerable ? '  [vulnerable]' : ''}${t.identifyingContent.length > 0 ? '  [identifying content: never sealed for advocacy]' : ''}`,
    )
    .join('\n')
}

/** The testimony part of `custody show`. */
export function renderTestimonySection(t: TestimonyView): string[] {
  const i = t.interview
  return [
    '  testimony',
    `    witness        ${safeText(t.witness)}${t.vulnerable ? '  (vulnerable: special care)' : ''}`,
    `    interviewed    ${i.startedAt}${i.endedAt ? ` to ${i.endedAt}` : ''} at ${safeText(i.place)}`,
    `    interviewers   ${safeText(i.interviewers.join(', '))}`,
    ...(i.present.length ? [`    also present   ${safeText(i.present.join(', '))}`] : []),
    ...(i.interpreter ? [`    interpreter    ${safeText(i.interpreter)}`] : []),
    ...(i.languages.length ? [`    languages      ${i.languages.join(', ')}`] : []),
    `    consent now    ${consentText(t.consent.current)}`,
    `    given          ${consentText(t.consent.given.scopes)}${t.consent.given.method ? ` (${t.consent.given.method}, ${t.consent.given.givenAt})` : ''} at the interview`,
    // In the order they take effect (by date); a change entered after one it precedes says so.
    ...t.consent.changes.map((c, i) => {
      const later = t.consent.changes.slice(i + 1).filter((d) => d.seq < c.seq)
      return `    changed        #${c.seq} ${c.at}: ${[...c.granted.map((s) => `+${s}`), ...c.withdrawn.map((s) => `-${s}`)].join(' ')}${c.method ? ` (${c.method})` : ''}${c.note ? ` "${safeText(c.note)}"` : ''}${later.length > 0 ? `  (recorded after #${later.map((d) => d.seq).join(', #')}, which ${later.length === 1 ? 'is' : 'are'} dated later)` : ''}`
    }),
    t.identity === null
      ? '    identity       none recorded'
      : `    identity       encrypted (${t.identity.fields.join(', ')}); commitment sha256 ${t.identity.commitment}`,
    ...t.identityViews.map((v) => `    looked at      #${v.seq} ${v.time} by ${safeText(v.actor)}${v.reason ? `: ${safeText(v.reason)}` : ''}`),
    ...t.versions.map((v) => `    version ${String(v.version).padEnd(6)} ${v.exhibit}  sha256 ${v.sha256.slice(0, 16)}…  ${v.time}${v.reason ? `  reason: ${safeText(v.reason)}` : ''}`),
    ...t.attachments.map((a) => `    attachment     ${a.exhibit}  sha256 ${a.sha256.slice(0, 16)}…`),
    ...(t.identifyingContent.length > 0 ? [`    identifying    ${t.identifyingContent.map((s) => safeText(s)).join('; ')}: ${LEFT_OUT}`] : []),
    ...t.contentChecks.flatMap((c) => {
      const label = `version ${c.version}`
      // No check with a name or contact on record: the version was recorded before custody searched.
      if (c.check === null) return t.identity?.fields.some((f) => f === 'name' || f === 'contact') ? [`    name search    ${label}: not searched (recorded by an older custody)`] : []
      return c.check.statementText.searched ? [] : [`    statement text ${label} not searched: ${safeText(c.check.statementText.reason ?? 'not plain text')}`]
    }),
  ]
}

export function renderConsentChange(r: ConsentChangeReport): string {
  return [
    `Recorded a change of consent for ${r.witness} (${r.exhibit}, ledger event #${r.seq})`,
    ...(r.granted.length ? [`  granted        ${r.granted.join(', ')}`] : []),
    ...(r.withdrawn.length ? [`  withdrawn      ${r.withdrawn.join(', ')}`] : []),
    r.current === null || r.before === null
      ? '  consent now    not known here: this field case cannot read the testimony; HQ\'s identity opens it, and `custody show` then gives the consent with this change applied'
      : `  consent now    ${consentText(r.current)} (was ${consentText(r.before)})`,
    ...r.overridden.map((o) => `  note           ${o.scope} stays as the change dated ${o.at} (#${o.seq}) has it: consent follows the dates given, and that one is later`),
  ].join('\n')
}

export function renderAmend(r: AmendReport): string {
  return [
    `Recorded version ${r.statement.version} of the statement of ${r.witness} (${r.exhibit}, ledger event #${r.seq})`,
    `  new version    ${r.statement.exhibit}  sha256 ${r.statement.sha256}  ${formatBytes(r.statement.size)}`,
    `  follows        version ${r.previous.version}, ${r.previous.exhibit}  sha256 ${r.previous.sha256}`,
    `  reason         ${safeText(r.reason)}`,
    ...contentLines(r.contentCheck, '  ', 14, 'the new version'),
  ].join('\n')
}

export function renderIdentity(r: IdentityViewReport): string {
  const id = r.identity
  const field = (label: string, value: string | null): string[] => (value === null ? [] : [`  ${label.padEnd(14)} ${safeText(value)}`])
  return [
    `Identity of witness ${r.witness} (${r.exhibit}); this access is ledger event #${r.seq}`,
    ...field('name', id.name),
    ...field('contact', id.contact),
    ...field('notes', id.notes),
    ...field('vulnerability', id.vulnerability),
    ...field('referral', id.referral),
    `  commitment     sha256 ${r.commitment} (matches the testimony)`,
    ...(r.disclosedTo ? [`  disclosed to   ${safeText(r.disclosedTo)} (sha256sum of that file gives the commitment)`] : []),
  ].join('\n')
}
