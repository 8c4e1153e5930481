/**
 * Testimonies read back from the ledger. A testimony is an exhibit whose original is the first
 * version of the statement; its events are:
 *
 *   testimony          the interview, the consent given, the identity commitment, the attachments
 *   testimony-amended  a new version of the statement (its own exhibit), linked to the one before
 *   consent-changed    scopes granted or withdrawn later; history is never rewritten
 *   identity-viewed    someone opened the protected identity (who, when, why)
 *
 * Current consent is the consent given at the interview with every later change applied in the
 * order of the time the witness gave or withdrew it (its `at`), not of recording: a grant entered
 * late, dated before a withdrawal, does not undo the withdrawal. Changes dated alike apply in the
 * order they were recorded. Every place that needs the current consent (the case, seals, the
 * archive verifier, show, list) takes it from this fold.
 *
 * A testimony holds identifying content when the check of any of its statement versions or
 * attachments found the witness's name or contact (content-check.ts); from that version on, it
 * never goes into an advocacy (anonymised) seal.
 */
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import {resolveExhibitId} from '../exhibits/exhibits.js'
import type {ContentCheckFormat, CustodyEvent, EventOf, TestimonyPayload} from '../formats/events.js'
import type {ContentCheck} from './content-check.js'
import type {ConsentRecord, Interview} from './record.js'
import type {ConsentMethod, ConsentScope} from './vocabulary.js'

export const TESTIMONY_ACTIONS = ['testimony', 'testimony-amended', 'consent-changed', 'identity-viewed'] as const

/**
 * The witness's encrypted identity as the testimony event names it: `commitment` is the SHA-256
 * of the canonical identity record (what a later disclosure must hash to), `sealedRecord` the
 * vault object holding it encrypted, `fields` which protected details were given (never their
 * values).
 */
export type IdentityReference = NonNullable<TestimonyPayload['identity']>

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
  method: ConsentMethod | null
  at: string
  note: string | null
}

/** What the search for the witness's name and contact found when a statement version was recorded; null when nothing was searched for. */
export interface VersionContentCheck {
  version: number
  seq: number
  check: ContentCheck | null
}

export interface TestimonyView {
  exhibit: string
  witness: string
  takenAt: string
  takenBy: string
  interview: Interview
  vulnerable: boolean
  /** `changes` in the order they take effect (by `at`, then by recording); `seq` is the recording order. */
  consent: {given: ConsentRecord; changes: ConsentChange[]; current: ConsentScope[]}
  identity: IdentityReference | null
  /** Per statement version; the first also covers the attachments. */
  contentChecks: VersionContentCheck[]
  /** Where the witness's name or contact was found, over every version: empty when nowhere. */
  identifyingContent: string[]
  versions: StatementVersion[]
  attachments: Array<{exhibit: string; sha256: string}>
  identityViews: Array<{seq: number; time: string; actor: string; reason: string | null}>
  note: string | null
}

/** The instant a change took effect; one that cannot be read takes effect after every other. */
function instantOf(at: string): number {
  const t = Date.parse(at)
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t
}

/** Consent changes in the order they take effect: by the time given (`at`), then by recording. */
export function byEffect(a: Pick<ConsentChange, 'at' | 'seq'>, b: Pick<ConsentChange, 'at' | 'seq'>): number {
  return instantOf(a.at) - instantOf(b.at) || a.seq - b.seq
}

/** The consent given at the interview with `changes` applied in the order they take effect. */
export function currentConsent(given: readonly ConsentScope[], changes: readonly ConsentChange[]): ConsentScope[] {
  const current = new Set(given)
  for (const change of [...changes].sort(byEffect)) {
    for (const scope of change.granted) current.add(scope)
    for (const scope of change.withdrawn) current.delete(scope)
  }

  return [...current].sort()
}

/** A content check as the event records it, as a view gives it. */
function contentCheckOf(check: ContentCheckFormat | null): ContentCheck | null {
  if (check === null) return null
  return {searchedFor: [...check.searchedFor], statementText: {searched: check.statementText.searched, reason: check.statementText.reason}, identifying: [...check.identifying]}
}

/** A testimony as its `testimony` event records it, before any later event. */
function testimonyView(event: EventOf<'testimony'>, exhibit: string): TestimonyView {
  const p = event.payload
  const given: ConsentRecord = {scopes: [...p.consent.scopes], method: p.consent.method, givenAt: p.consent.givenAt}
  return {
    exhibit,
    witness: p.witness,
    takenAt: event.time,
    takenBy: event.actor,
    interview: p.interview,
    vulnerable: p.vulnerable,
    consent: {given, changes: [], current: [...given.scopes]},
    identity: p.identity,
    contentChecks: [{version: 1, seq: event.seq, check: contentCheckOf(p.contentCheck)}],
    identifyingContent: [],
    versions: [{version: 1, exhibit: p.statement.exhibit, sha256: p.statement.sha256, seq: event.seq, time: event.time, actor: event.actor, reason: null}],
    attachments: p.attachments.map((a) => ({exhibit: a.exhibit, sha256: a.sha256})),
    identityViews: [],
    note: p.note,
  }
}

/** What a later event of a testimony adds to its view: a statement version, a consent change, a look at the identity. */
function applyLater(view: TestimonyView, event: CustodyEvent): void {
  const {seq, time, actor} = event
  if (event.action === 'testimony-amended') {
    const p = event.payload
    view.versions.push({version: p.version, exhibit: p.statement.exhibit, sha256: p.statement.sha256, seq, time, actor, reason: p.reason})
    view.contentChecks.push({version: p.version, seq, check: contentCheckOf(p.contentCheck)})
  } else if (event.action === 'consent-changed') {
    const p = event.payload
    view.consent.changes.push({seq, time, actor, granted: [...p.granted], withdrawn: [...p.withdrawn], method: p.method, at: p.at, note: p.note})
  } else if (event.action === 'identity-viewed') {
    view.identityViews.push({seq, time, actor, reason: event.payload.reason})
  }
}

/** Folds the testimony events of a ledger (or of an archive), oldest first, into one view per testimony. */
export function foldTestimonies(events: ReadonlyArray<{event: CustodyEvent}>): Map<string, TestimonyView> {
  const views = new Map<string, TestimonyView>()
  for (const {event} of events) {
    if (event.exhibit === null) continue
    if (event.action === 'testimony') {
      views.set(event.exhibit, testimonyView(event, event.exhibit))
      continue
    }

    const view = views.get(event.exhibit)
    if (view !== undefined) applyLater(view, event)
  }

  for (const view of views.values()) {
    view.consent.changes.sort(byEffect)
    view.consent.current = currentConsent(view.consent.given.scopes, view.consent.changes)
    view.identifyingContent = [...new Set(view.contentChecks.flatMap((c) => c.check?.identifying ?? []))]
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
