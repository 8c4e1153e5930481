/**
 * Testimonies read back from the ledger. A testimony is an exhibit whose original is the first
 * version of the statement; its events are:
 *
 *   testimony          the interview, the consent given, the identity commitment, the attachments
 *   testimony-amended  a new version of the statement (its own exhibit), linked to the one before
 *   consent-changed    scopes granted or withdrawn later; history is never rewritten
 *   identity-viewed    someone opened the protected identity (who, when, why)
 *
 * Current consent is the consent given at the interview with every later change applied in order.
 */
import type {JsonValue} from '../canonical/jcs.js'
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import {resolveExhibitId} from '../exhibits/exhibits.js'
import type {StoredEvent} from '../ledger/event.js'
import type {ConsentRecord, Interview} from './record.js'
import {isConsentScope, type ConsentScope} from './vocabulary.js'

export const TESTIMONY_ACTIONS = ['testimony', 'testimony-amended', 'consent-changed', 'identity-viewed'] as const

export interface IdentityReference {
  /** SHA-256 of the canonical identity record: what a later disclosure must hash to. */
  commitment: string
  /** The vault object holding the encrypted record. */
  sealedRecord: string
  encryptedTo: string
  /** Which protected details were given (never their values). */
  fields: string[]
}

export interface StatementVersion {
  version: number
  exhibit: string
  sha256: string
  seq: number
  time: string
  actor: string
  reason: string | null
}

export interface ConsentChange {
  seq: number
  time: string
  actor: string
  granted: ConsentScope[]
  withdrawn: ConsentScope[]
  method: string | null
  at: string
  note: string | null
}

export interface TestimonyView {
  exhibit: string
  witness: string
  takenAt: string
  takenBy: string
  interview: Interview
  vulnerable: boolean
  consent: {given: ConsentRecord; changes: ConsentChange[]; current: ConsentScope[]}
  identity: IdentityReference | null
  versions: StatementVersion[]
  attachments: Array<{exhibit: string; sha256: string}>
  identityViews: Array<{seq: number; time: string; actor: string; reason: string | null}>
  note: string | null
}

function strings(value: JsonValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

function scopes(value: JsonValue | undefined): ConsentScope[] {
  return strings(value).filter(isConsentScope)
}

function nullableText(value: JsonValue | undefined): string | null {
  return typeof value === 'string' ? value : null
}

/** Folds the testimony events of a ledger (or of an archive), oldest first, into one view per testimony. */
export function foldTestimonies(events: ReadonlyArray<Pick<StoredEvent, 'event'>>): Map<string, TestimonyView> {
  const views = new Map<string, TestimonyView>()
  for (const {event} of events) {
    const p = event.payload
    if (event.exhibit === null) continue
    if (event.action === 'testimony') {
      const statement = (p.statement ?? {}) as {[key: string]: JsonValue}
      const consent = (p.consent ?? {}) as {[key: string]: JsonValue}
      const given: ConsentRecord = {scopes: scopes(consent.scopes), method: nullableText(consent.method) as ConsentRecord['method'], givenAt: nullableText(consent.givenAt)}
      views.set(event.exhibit, {
        exhibit: event.exhibit,
        witness: String(p.witness),
        takenAt: event.time,
        takenBy: event.actor,
        interview: p.interview as unknown as Interview,
        vulnerable: p.vulnerable === true,
        consent: {given, changes: [], current: [...given.scopes]},
        identity: (p.identity ?? null) as unknown as IdentityReference | null,
        versions: [{version: 1, exhibit: String(statement.exhibit), sha256: String(statement.sha256), seq: event.seq, time: event.time, actor: event.actor, reason: null}],
        attachments: ((p.attachments ?? []) as Array<{[key: string]: JsonValue}>).map((a) => ({exhibit: String(a.exhibit), sha256: String(a.sha256)})),
        identityViews: [],
        note: nullableText(p.note),
      })
      continue
    }

    const view = views.get(event.exhibit)
    if (view === undefined) continue
    if (event.action === 'testimony-amended') {
      const statement = (p.statement ?? {}) as {[key: string]: JsonValue}
      view.versions.push({version: Number(p.version), exhibit: String(statement.exhibit), sha256: String(statement.sha256), seq: event.seq, time: event.time, actor: event.actor, reason: nullableText(p.reason)})
    } else if (event.action === 'consent-changed') {
      const change: ConsentChange = {
        seq: event.seq,
        time: event.time,
        actor: event.actor,
        granted: scopes(p.granted),
        withdrawn: scopes(p.withdrawn),
        method: nullableText(p.method),
        at: String(p.at),
        note: nullableText(p.note),
      }
      view.consent.changes.push(change)
      const current = new Set(view.consent.current)
      for (const scope of change.granted) current.add(scope)
      for (const scope of change.withdrawn) current.delete(scope)
      view.consent.current = [...current].sort()
    } else if (event.action === 'identity-viewed') {
      view.identityViews.push({seq: event.seq, time: event.time, actor: event.actor, reason: nullableText(p.reason)})
    }
  }

  return views
}

export function listTestimonies(kase: Case): TestimonyView[] {
  return [...foldTestimonies(kase.ledger.eventsOfKind(...TESTIMONY_ACTIONS)).values()]
}

/** Every exhibit that belongs to a testimony: its statement versions and attachments. */
export function linkedExhibits(view: TestimonyView): string[] {
  return [...new Set([view.exhibit, ...view.versions.map((v) => v.exhibit), ...view.attachments.map((a) => a.exhibit)])]
}

/** The testimonies that each exhibit belongs to (as statement, later version or attachment). */
export function testimoniesByExhibit(views: readonly TestimonyView[]): Map<string, TestimonyView[]> {
  const byExhibit = new Map<string, TestimonyView[]>()
  for (const view of views) {
    for (const exhibit of linkedExhibits(view)) byExhibit.set(exhibit, [...(byExhibit.get(exhibit) ?? []), view])
  }

  return byExhibit
}

/**
 * An exhibit ID (EX-000012, or 12), or a witness code (W-014) standing for that witness's
 * testimony. When neither fits, the exhibit ID's error is the one reported.
 */
export function resolveExhibitOrWitness(kase: Case, ref: string): string {
  try {
    return resolveExhibitId(kase, ref)
  } catch (error) {
    try {
      return findTestimony(kase, ref).exhibit
    } catch {
      throw error
    }
  }
}

/** Finds a testimony by its witness code (W-014) or its exhibit ID (EX-000012, or 12). */
export function findTestimony(kase: Case, ref: string): TestimonyView {
  const all = listTestimonies(kase)
  const given = ref.trim()
  const byCode = all.filter((t) => t.witness.toLowerCase() === given.toLowerCase())
  if (byCode.length === 1) return byCode[0]!
  if (byCode.length > 1) {
    throw new CustodyError('INVALID_ARGUMENT', `witness ${given} gave ${byCode.length} testimonies (${byCode.map((t) => t.exhibit).join(', ')}); name one by its exhibit ID`)
  }

  let id: string | undefined
  try {
    id = resolveExhibitId(kase, given)
  } catch {
    id = undefined
  }

  const byId = all.find((t) => t.exhibit === id)
  if (byId !== undefined) return byId
  throw new CustodyError(
    'EXHIBIT_NOT_FOUND',
    id !== undefined && kase.ledger.ingestEvent(id) !== undefined
      ? `${id} is an exhibit but not a testimony; \`custody testimony list\` lists the testimonies`
      : `there is no testimony of witness ${JSON.stringify(given)} in this case; \`custody testimony list\` lists them`,
    {subject: given},
  )
}
