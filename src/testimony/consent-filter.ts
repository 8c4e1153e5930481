/**
 * What a seal may carry of the testimony in a case. A seal's --purpose names one consent scope;
 * a testimony goes in only when the witness's current consent covers it, and so do its statement
 * versions and attachments. Anything left out is listed with the reason. Naming a left-out exhibit
 * explicitly is refused: the seal fails rather than quietly leave out what was asked for.
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
  exhibits: string[]
  /** The testimonies that go in whole. */
  testimonies: TestimonyView[]
  leftOut: LeftOut[]
  scope: ConsentScope | null
}

function refusal(view: TestimonyView, purpose: string | null, scope: ConsentScope | null): string | undefined {
  if (scope === null) {
    return purpose === null
      ? `no --purpose says what the archive is for, so no consent can cover it; seal with --purpose ${Object.keys(CONSENT_SCOPES).join(', --purpose ')}`
      : `the purpose ${JSON.stringify(purpose)} is not a consent scope (${Object.keys(CONSENT_SCOPES).join(', ')}), so no consent can cover it`
  }

  if (view.consent.current.includes(scope)) return undefined
  const withdrawn = view.consent.changes.findLast((c) => c.withdrawn.includes(scope))
  if (withdrawn !== undefined) return `witness ${view.witness} withdrew consent to ${scope} on ${withdrawn.at}`
  const current = view.consent.current.length === 0 ? 'nothing' : view.consent.current.join(', ')
  return `witness ${view.witness} has not consented to ${scope} (consented to ${current})`
}

/**
 * `ids` are the exhibits asked for (already resolved); `named` says whether the user listed them
 * (a named testimony brings its versions and attachments along).
 */
export function selectByConsent(kase: Case, ids: readonly string[], named: boolean, purpose: string | null): ConsentSelection {
  const views = listTestimonies(kase)
  const byExhibit = testimoniesByExhibit(views)
  const given = purpose?.trim() || null
  const scope = given !== null && isConsentScope(given.toLowerCase()) ? (given.toLowerCase() as ConsentScope) : null
  const wanted = new Set(ids)
  if (named) {
    for (const view of views) if (wanted.has(view.exhibit)) for (const linked of linkedExhibits(view)) wanted.add(linked)
  }

  const leftOut: LeftOut[] = []
  for (const exhibit of wanted) {
    for (const view of byExhibit.get(exhibit) ?? []) {
      const reason = refusal(view, given, scope)
      if (reason !== undefined) {
        leftOut.push({exhibit, testimony: view.exhibit, witness: view.witness, reason})
        break
      }
    }
  }

  const refused = named ? leftOut.filter((l) => ids.includes(l.exhibit)) : []
  if (refused.length > 0) {
    throw new CustodyError(
      'CONSENT_REFUSED',
      `cannot seal ${refused.map((l) => `${l.exhibit} (testimony ${l.testimony}): ${l.reason}`).join('; ')}. Nothing was sealed; leave it out, or record the witness's consent with \`custody testimony consent\``,
    )
  }

  const out = new Set(leftOut.map((l) => l.exhibit))
  const exhibits = [...wanted].filter((x) => !out.has(x)).sort()
  return {exhibits, testimonies: views.filter((v) => wanted.has(v.exhibit) && !out.has(v.exhibit)), leftOut, scope}
}
