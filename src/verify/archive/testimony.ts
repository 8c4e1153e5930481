/**
 * Check 10 of `custody verify ARCHIVE`, testimony: the testimony an archive carries. The seal statement's
 * account of each testimony (witness code, identity commitment, statement versions, attachments,
 * consent, identifying content) is compared with the testimony's own sealed events, which the
 * events check has tied to the tree head. The consent recomputed from those events, by the rules
 * the case applies (foldTestimonies: changes in the order of their dates), must cover the seal's
 * purpose; and an advocacy seal, which is for anonymised use, must hold no testimony whose events
 * record identifying content.
 */
import type {CustodyEvent} from '../../formats/events.js'
import {foldTestimonies, type TestimonyView} from '../../testimony/testimonies.js'
import {notAnonymous} from '../../testimony/consent-filter.js'
import {isConsentScope} from '../../testimony/vocabulary.js'
import {messageOf} from '../../errors.js'
import type {Check, Finding} from '../checklist.js'
import type {ArchiveContext} from './context.js'
import {isRecord} from '../../formats/guards.js'


const same = (a: readonly unknown[], b: readonly unknown[]): boolean => JSON.stringify([...a].map(String).sort()) === JSON.stringify([...b].map(String).sort())

type Fail = (message: string, expected?: string, actual?: string) => void

/** One testimony as the statement gives it, against its own events' view. */
function compareTestimony(t: Record<string, unknown>, view: TestimonyView, seal: {purpose: string | null; stated: unknown}, sealedSha256: (exhibit: string) => string | undefined, fail: Fail): void {
  const {purpose} = seal
  if (view.witness !== t.witness) fail('the witness code differs from the testimony event', view.witness, String(t.witness))
  const commitment = view.identity?.commitment ?? null
  if (commitment !== (t.identityCommitment ?? null)) fail('the identity commitment differs from the one recorded at the interview', String(commitment), String(t.identityCommitment))
  const versions = Array.isArray(t.versions) ? t.versions.filter(isRecord) : []
  if (!same(versions.map((v) => `${String(v.exhibit)} ${String(v.sha256)}`), view.versions.map((v) => `${v.exhibit} ${v.sha256}`))) {
    fail('the statement versions differ from the testimony events', view.versions.map((v) => v.exhibit).join(', '), versions.map((v) => String(v.exhibit)).join(', '))
  }

  for (const v of view.versions) {
    const sha256 = sealedSha256(v.exhibit)
    if (sha256 === undefined) fail(`its statement version ${v.version} (${v.exhibit}) is not in the archive`)
    else if (sha256 !== v.sha256) fail(`its statement version ${v.version} is not the file the testimony event names`, v.sha256, sha256)
  }

  for (const a of Array.isArray(t.attachments) ? t.attachments : []) {
    const recorded = view.attachments.find((r) => r.exhibit === a)
    if (recorded === undefined) fail(`the seal statement lists ${String(a)} as an attachment, but the testimony event does not`)
    else if (sealedSha256(recorded.exhibit) !== recorded.sha256) fail(`its attachment ${recorded.exhibit} is not in the archive as the testimony event names it`)
  }

  for (const change of view.consent.changes) {
    if (Number.isNaN(Date.parse(change.at))) fail(`its consent change (event ${change.seq}) has no readable date, so the order in which the changes take effect cannot be known`, 'an ISO 8601 time', change.at)
  }

  const statedIdentifying = t.identifyingContent === undefined ? [] : t.identifyingContent
  if (!Array.isArray(statedIdentifying) || !same(statedIdentifying, view.identifyingContent)) {
    fail('the identifying content stated differs from what the testimony\'s events record', view.identifyingContent.join('; ') || 'none', Array.isArray(statedIdentifying) ? statedIdentifying.join('; ') || 'none' : JSON.stringify(statedIdentifying))
  }

  const identifying = purpose === 'advocacy' ? notAnonymous(view) : undefined
  if (identifying !== undefined) fail(`an advocacy seal must leave it out: ${identifying}`)

  const consent = Array.isArray(t.consent) ? t.consent : []
  if (!same(consent, view.consent.current)) fail("the consent stated differs from the consent recomputed from the testimony's events", view.consent.current.join(', ') || 'none', consent.join(', ') || 'none')
  if (purpose === null || !isConsentScope(purpose) || !view.consent.current.includes(purpose)) {
    fail(`the witness's consent (${view.consent.current.join(', ') || 'none'}) does not cover the seal's purpose ${JSON.stringify(seal.stated ?? null)}`)
  }
}

export function checkArchiveTestimony(
  statement: Record<string, unknown>,
  events: readonly CustodyEvent[],
  /** The SHA-256 the seal statement states for a sealed exhibit. */
  sealedSha256: (exhibit: string) => string | undefined,
): {problems: Finding[]; detail: string} {
  const problems: Finding[] = []
  const fail = (subject: string, message: string, expected?: string, actual?: string): void => {
    problems.push({check: 'testimony', subject, message, ...(expected === undefined ? {} : {expected}), ...(actual === undefined ? {} : {actual})})
  }

  let views: Map<string, TestimonyView>
  try {
    views = foldTestimonies(events.map((event) => ({event})))
  } catch (error) {
    fail('data/custody/events.jsonl', `the testimony events cannot be read: ${messageOf(error)}`)
    return {problems, detail: 'testimony events unreadable'}
  }

  const stated = Array.isArray(statement.testimonies) ? statement.testimonies.filter(isRecord) : []
  const purpose = typeof statement.purpose === 'string' ? statement.purpose.toLowerCase() : null
  for (const view of views.values()) {
    if (!stated.some((t) => t.exhibit === view.exhibit)) fail(view.exhibit, `the archive holds the testimony of ${view.witness}, but the seal statement does not account for it`)
  }

  for (const t of stated) {
    const id = String(t.exhibit)
    const subject = `${id} (testimony of ${String(t.witness)})`
    const view = views.get(id)
    if (view === undefined) {
      fail(subject, 'the seal statement names a testimony whose testimony event is not in the archive')
      continue
    }

    compareTestimony(t, view, {purpose, stated: statement.purpose}, sealedSha256, (message, expected, actual) => fail(subject, message, expected, actual))
  }

  return {
    problems,
    detail: stated.length === 0 ? 'no testimony in this archive' : `${stated.length} testimon${stated.length === 1 ? 'y' : 'ies'}: versions, attachments, commitment, identifying content and consent (covering "${String(statement.purpose)}") agree with their events`,
  }
}

/** The events check kept the testimony events (bounded); the index has the stated exhibits' digests. */
export const testimonyCheck: Check<ArchiveContext> = {
  name: 'testimony',
  run(context) {
    const {problems, detail} = checkArchiveTestimony(context.statement, context.testimonyEvents, (id) => context.files.statedSha256(id))
    return {status: problems.length > 0 ? 'failed' : 'ok', detail, problems}
  },
}
