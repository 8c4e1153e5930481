/**
 * What a seal may carry of the testimony in a case. A seal's --purpose names one consent scope;
 * a testimony goes in only when the witness's current consent covers it, and so do its statement
 * versions and attachments. An advocacy seal is for anonymised use: a testimony that holds
 * identifying content (the witness's name or contact found in a statement version or in an
 * attachment's metadata, testimonies.ts) never goes into one, whatever the consent. Anything left
 * out is listed with the reason. Naming a left-out exhibit explicitly is refused: the seal fails
 * rather than quietly leave out what was asked for.
 */
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import {linkedExhibits, listTestimonies, testimoniesByExhibit, type TestimonyView} from './testimonies.js'
import {CONSENT_SCOPES, isConsentScope, type ConsentScope} from './vocabulary.js'

export interface LeftOut {
  exhibit: string
  testimony: string
  witness: string
  reason: string
}

export interface ConsentSelection {
  /** The testimonies that go in whole. */
  testimonies: TestimonyView[]
  leftOut: LeftOut[]
  scope: ConsentScope | null
}

/** Where the exhibits that may go in are put, and asked about again. */
export interface ChosenExhibits {
  add(exhibit: string): void
  has(exhibit: string): boolean
}

function refusal(view: TestimonyView, purpose: string | null, scope: ConsentScope | null): string | undefined {
  if (scope === null) {
    return purpose === null
      ? `no --purpose says what the archive is for, so no consent can cover it; seal with --purpose ${Object.keys(CONSENT_SCOPES).join(', --purpose ')}`
      : `the purpose ${JSON.stringify(purpose)} is not a consent scope (${Object.keys(CONSENT_SCOPES).join(', ')}), so no consent can cover it`
  }

  if (view.consent.current.includes(scope)) return scope === 'advocacy' ? notAnonymous(view) : undefined
  const withdrawn = view.consent.changes.findLast((c) => c.withdrawn.includes(scope))
  if (withdrawn !== undefined) return `witness ${view.witness} withdrew consent to ${scope} on ${withdrawn.at}`
  const current = view.consent.current.length === 0 ? 'nothing' : view.consent.current.join(', ')
  return `witness ${view.witness} has not consented to ${scope} (consented to ${current})`
}

/** Why a testimony cannot go into an advocacy (anonymised) seal, if it cannot. */
export function notAnonymous(view: Pick<TestimonyView, 'witness' | 'identifyingContent'>): string | undefined {
  if (view.identifyingContent.length === 0) return undefined
  return `the testimony of witness ${view.witness} holds identifying content (${view.identifyingContent.join('; ')}), so it cannot go into an anonymised (advocacy) archive`
}

/** The exhibits listed, and the statement versions and attachments of the testimonies among them. */
function withLinked(asked: readonly string[], views: readonly TestimonyView[]): Set<string> {
  const named = new Set(asked)
  for (const view of views) if (named.has(view.exhibit)) for (const linked of linkedExhibits(view)) named.add(linked)
  return named
}

/**
 * `asked` is the exhibits the user listed (already resolved; a listed testimony brings its
 * versions and attachments along), or 'all': every exhibit of the case, read from the ledger a
 * page at a time, so that sealing a large case never holds the list. Each exhibit that may go in
 * is added to `chosen` (empty to begin with), in the order asked, or of ingest for 'all'.
 */
export function selectByConsent(kase: Case, asked: readonly string[] | 'all', purpose: string | null, chosen: ChosenExhibits): ConsentSelection {
  const views = listTestimonies(kase)
  const byExhibit = testimoniesByExhibit(views)
  const given = purpose?.trim() || null
  const scope = given !== null && isConsentScope(given.toLowerCase()) ? (given.toLowerCase() as ConsentScope) : null
  const wanted = asked === 'all' ? kase.ledger.eachExhibitId() : withLinked(asked, views)
  const leftOut: LeftOut[] = []
  for (const exhibit of wanted) {
    let out: LeftOut | undefined
    for (const view of byExhibit.get(exhibit) ?? []) {
      const reason = refusal(view, given, scope)
      if (reason !== undefined) {
        out = {exhibit, testimony: view.exhibit, witness: view.witness, reason}
        break
      }
    }

    if (out === undefined) chosen.add(exhibit)
    else leftOut.push(out)
  }

  const refused = asked === 'all' ? [] : leftOut.filter((l) => asked.includes(l.exhibit))
  if (refused.length > 0) {
    throw new CustodyError(
      'CONSENT_REFUSED',
      `cannot seal ${refused.map((l) => `${l.exhibit} (testimony ${l.testimony}): ${l.reason}`).join('; ')}. Nothing was sealed; leave it out, or record the witness's consent with \`custody testimony consent\``,
    )
  }

  return {testimonies: views.filter((v) => chosen.has(v.exhibit)), leftOut, scope}
}
