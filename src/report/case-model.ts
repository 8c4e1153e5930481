/**
 * The report's model (model.ts) of a local case, from the case verifier's report and the case
 * itself: the case as its ledger records it ("local case, not sealed" where an archive has its
 * seal), the checks as `custody verify` gave them, the exhibits (all, or those named) and their
 * events read from the ledger a page at a time, each original read from the vault for its image
 * (decrypted in memory and checked against its SHA-256: nothing is written), the testimonies by
 * witness code, and the commands that check a case without custody.
 *
 * What the ledger says is hostile input as much as an archive's statement: the report states it as
 * recorded, and says only what the verifier found to hold (a signature, a timestamp).
 */
import type {Case} from '../case/case.js'
import {CASE_FOLDER} from '../case/case.js'
import {wasConverted} from '../case/encrypt.js'
import {CustodyError, messageOf, type CustodyErrorCode} from '../errors.js'
import type {CustodyEvent} from '../formats/events.js'
import {sealedExhibit} from '../seal/statement.js'
import {listTestimonies, type TestimonyView} from '../testimony/testimonies.js'
import {timestampHistory} from '../timestamps/stamp-case.js'
import type {VerifyReport} from '../verify/verify-case.js'
import type {ReportMessages} from './messages/catalog.js'
import type {ExhibitEvent, ExhibitSource, OriginalFile, ReportModel, ReportTrust, StatedExhibit} from './model.js'
import {caseVerdictOf} from './verdict.js'

/** The exhibits of the report (all of the case's, or those named) and their events, from the ledger. */
export class CaseData implements ExhibitSource {
  constructor(
    private readonly kase: Case,
    private readonly selection: readonly string[] | undefined,
  ) {}

  /**
   * Each exhibit as its ingest event states it. A row SQLite cannot read as JSON (the chain check
   * has failed on it) is stated as unreadable, with SQLite's reason, in place of its name.
   */
  *exhibits(): Generator<StatedExhibit> {
    let ord = 0
    for (const id of this.selection ?? this.kase.ledger.eachExhibitId()) {
      let stated: Record<string, unknown>
      try {
        stated = {...sealedExhibit(this.kase, id)}
      } catch (error) {
        stated = {exhibit: id, originalName: `(its ingest event cannot be read: ${messageOf(error)})`}
      }

      yield {ord: ord++, stated}
    }
  }

  /** The exhibit's events; none when SQLite cannot read them (the exhibit's name then says why). */
  *events(exhibit: string): Generator<ExhibitEvent> {
    let events: ReturnType<Case['ledger']['events']>
    try {
      events = this.kase.ledger.events(exhibit)
    } catch {
      return
    }

    for (const {event} of events) yield {seq: event.seq, event: {...event}}
  }

  /** The exhibit's ingest event; none when no key given opens it, or its sealed body is not its envelope's (its name then says why). */
  ingest(exhibit: string): Record<string, unknown> | undefined {
    const found = unlessUnopened(() => this.kase.ledger.ingestEvent(exhibit)?.event, undefined)
    return found === undefined ? undefined : {...found}
  }

  /** The original from the vault, whole in memory (the image's size limit is checked before), checked against its SHA-256. */
  original(stated: Record<string, unknown>): OriginalFile | undefined {
    if (typeof stated.sha256 !== 'string' || typeof stated.size !== 'number') return undefined
    const sha256 = stated.sha256
    return {size: stated.size, read: () => this.kase.vault.readObject(sha256)}
  }
}

/**
 * What `read` gives, or `instead` where a sealed body cannot be read: no key given opens it
 * (CONTENT_LOCKED: a recipient added later in a field case), or it does not open as its envelope
 * says (INTEGRITY: the chain check, which the report states, names it). The report states what the
 * ledger holds, as far as it can be read.
 */
function unlessUnopened<T, U>(read: () => T, instead: U, codes: readonly CustodyErrorCode[] = ['CONTENT_LOCKED', 'INTEGRITY']): T | U {
  try {
    return read()
  } catch (error) {
    if (error instanceof CustodyError && codes.includes(error.code)) return instead
    throw error
  }
}

/** The time of the ledger's last event: the report's date (never the clock); undefined when it cannot be read. */
export function lastEventTime(kase: Case): string | undefined {
  const last = kase.ledger.nextSeq() - 1
  return unlessUnopened(() => {
    for (const stored of kase.ledger.eachEvent(last - 1)) return stored.event.time
    return undefined
  }, undefined)
}

/**
 * A fact the case's first event records, or what the cover says instead where no key given opens
 * that event (a sealed ledger read with the identity of a recipient added later in a field case).
 */
const unlessLocked = (m: ReportMessages, read: () => string | null): string | null => unlessUnopened(read, m.case.notOpened, ['CONTENT_LOCKED'])

function coverFacts(m: ReportMessages, kase: Case, report: VerifyReport, selection: readonly string[] | undefined): Array<[string, unknown]> {
  const {info} = kase
  const organisation = unlessLocked(m, () => info.organisation)
  return [
    [m.cover.case, `${unlessLocked(m, () => info.title)} (${info.caseId})${organisation === null ? '' : `, ${organisation}`}`],
    [m.case.sealId, m.case.notSealed],
    [m.case.investigator, unlessLocked(m, () => info.investigator)],
    [m.case.folder, kase.root],
    [m.case.ledger, m.count(m.case.ledgerEvents, report.ledger.events, {time: lastEventTime(kase) ?? m.cover.unknown})],
    [m.case.treeHead, report.ledger.treeHead],
    [m.case.selection, selection === undefined ? `${m.case.allExhibits} (${report.exhibits.total})` : selection.join(', ')],
  ]
}

const passed = (report: VerifyReport, name: string): boolean => report.checks.some((c) => c.name === name && c.ok)

/** The signer and the trusted times, only as far as the checkpoints and timestamps checks found them to hold. */
function trustOf(m: ReportMessages, kase: Case, report: VerifyReport): ReportTrust {
  let signingKey: string | null = null
  try {
    if (passed(report, 'checkpoints')) signingKey = kase.signingKey().fingerprint
  } catch {
    // No key the ledger records can be read: no signer is stated.
  }

  const timestamps = passed(report, 'timestamps') ? timestampHistory(kase).flatMap((r) => r.tokens.map((t) => ({tsa: t.tsa, genTime: t.genTime, treeSize: r.checkpoint.treeSize}))) : []
  return {nameLabel: m.case.signerName, holder: unlessLocked(m, () => kase.info.investigator), signingKey, signerNote: m.case.signerNote, timestamps, rootsNote: m.case.rootsNote}
}

/** What covers an event: every signed checkpoint verified (the last covers every event), and the tokens that hold. */
function coverage(m: ReportMessages, report: VerifyReport, trust: ReportTrust, seq: number): string {
  const x = m.exhibit
  const signed = trust.signingKey !== null && seq < report.ledger.events ? x.signed : x.notSigned
  const stamped = trust.timestamps.filter((t) => seq < t.treeSize)
  return `${signed}; ${stamped.length === 0 ? x.notStamped : stamped.map((t) => m.say(x.stamped, {genTime: t.genTime})).join(', ')}`
}

/** A testimony as a seal statement gives it (witness code, interview, consent in force, versions): never an identity. */
function statedTestimony(view: TestimonyView): Record<string, unknown> {
  return {
    exhibit: view.exhibit,
    witness: view.witness,
    interview: view.interview,
    consent: view.consent.current,
    versions: view.versions.map((v) => ({version: v.version, exhibit: v.exhibit, sha256: v.sha256, reason: v.reason})),
  }
}

function testimonyOf(kase: Case, selection: readonly string[] | undefined): ReportModel['testimony'] {
  const chosen = selection === undefined ? undefined : new Set(selection)
  const views = listTestimonies(kase).filter((t) => chosen === undefined || t.versions.some((v) => chosen.has(v.exhibit)) || chosen.has(t.exhibit))
  const events: CustodyEvent[] = kase.ledger.eventsOfKind('testimony', 'consent-changed').map((e) => e.event)
  return {given: views.map(statedTestimony), events}
}

/** A path as one word for a POSIX shell. */
const quoted = (path: string): string => `'${path.replaceAll("'", "'\\''")}'`

/** The commands of README's "Checking a case without custody", with this case's folder. */
function checkSteps(m: ReportMessages, kase: Case): ReportModel['howToCheck'] {
  const dir = quoted(kase.root)
  const custodyDir = quoted(`${kase.root}/${CASE_FOLDER}`)
  const at = (path: string): string => `json_extract(event,'$.${path}')`
  // A case converted by `custody encrypt`: its objects' stored forms are in its objects-encrypted events.
  const converted = `SELECT json_extract(o.value,'$.stored.sha256') || '  ' || json_extract(o.value,'$.stored.vault') FROM events, json_each(${at('payload.objects')}) AS o WHERE ${at('action')}='objects-encrypted'`
  const query = `SELECT ${at('payload.stored.sha256')} || '  ' || ${at('payload.stored.vault')} FROM events WHERE ${at('action')}='ingest'`
  // A ledger that keeps its event bodies encrypted (schema 4): each row's envelope, in clear, lists
  // the objects as stored, and the chain's hashes are over the envelope.
  const sealed = kase.ledger.sealedBodies() !== undefined
  const env = (path: string): string => `json_extract(envelope,'$.public.${path}')`
  const storedForm = (path: string): string => `SELECT ${env(`${path}.sha256`)} || '  ' || ${env(`${path}.vault`)} FROM events WHERE ${env(path)} IS NOT NULL`
  const sealedQuery = `${storedForm('original')} UNION ALL ${storedForm('record')} UNION ALL SELECT json_extract(o.value,'$.sha256') || '  ' || json_extract(o.value,'$.vault') FROM events, json_each(${env('stored')}) AS o`
  const vault = sealed
    ? [
        "# Each vault object as stored (an age file), against the SHA-256 that the envelope of the event recording it lists (the event bodies are encrypted; the envelopes are in clear and chained):",
        `cd ${custodyDir} && sqlite3 ledger.sqlite "${sealedQuery}" | sha256sum -c --quiet && echo "objects intact as stored"`,
        "# By content, with a recipient's identity: age -d -i hq.key OBJECT | sha256sum gives the digest custody show prints.",
        '# Each event body as stored (encrypted), against the SHA-256 its envelope records (an envelope written by a build of before 2026-12-05 records none: its body is checked with a key only):',
        `B=$(mktemp -d) && cd ${custodyDir} && sqlite3 ledger.sqlite "SELECT writefile('$B/' || seq, body) FROM events" > /dev/null && sqlite3 ledger.sqlite "SELECT json_extract(envelope,'$.bodySha256') || '  $B/' || seq FROM events WHERE json_extract(envelope,'$.bodySha256') IS NOT NULL" | sha256sum -c --quiet && echo "event bodies intact as stored"`,
      ]
    : kase.vault.encrypted
    ? [
        `# Each vault object as stored (an age file), against the SHA-256 its ingest event records${wasConverted(kase) ? ', or, for those it holds from before the case was encrypted (`custody encrypt`), its objects-encrypted event' : ''}:`,
        `cd ${custodyDir} && sqlite3 ledger.sqlite "${wasConverted(kase) ? `${query} AND ${at('payload.stored')} IS NOT NULL UNION ALL ${converted}` : query}" | sha256sum -c --quiet && echo "objects intact as stored"`,
        "# By content, with a recipient's identity: age -d -i hq.key OBJECT | sha256sum gives the event's digests.sha256.",
      ]
    : ['# Every vault object, named by its SHA-256:', `cd ${quoted(`${kase.root}/${CASE_FOLDER}/vault/sha256`)} && for f in */*; do echo "\${f#*/}  $f"; done | sha256sum -c --quiet && echo "vault intact"`]
  const steps = [
    `custody verify --case ${dir}`,
    '',
    ...vault,
    '',
    sealed ? "# An event's hash (N: its ledger position; here the last event), over its envelope, as the ledger records it:" : '# An event\'s hash (N: its ledger position; here the last event), as the ledger records it:',
    `DB=${quoted(`${kase.root}/${CASE_FOLDER}/ledger.sqlite`)}; N=${Math.max(0, kase.ledger.nextSeq() - 1)}`,
    `{ sqlite3 "$DB" "SELECT prev_hash FROM events WHERE seq=$N" | tr -d '\\n' | tr a-f A-F | basenc -d --base16`,
    `  printf '%s' "$(sqlite3 "$DB" "SELECT ${sealed ? 'envelope' : 'event'} FROM events WHERE seq=$N")"; } | sha256sum`,
    'sqlite3 "$DB" "SELECT hash FROM events WHERE seq=$N"     # the same value',
  ]
  return {paragraphs: [m.case.howToIntro], steps: steps.join('\n')}
}

/** The model of a verified case (all its exhibits, or the selection), read while the case is open. */
export function caseModel(m: ReportMessages, kase: Case, report: VerifyReport, selection: readonly string[] | undefined): ReportModel {
  // The ledger is read as it is stored: an event the chain check found unreadable is passed over, not a crash.
  kase.ledger.passOverUnreadable()
  const trust = trustOf(m, kase, report)
  const unread: string[] = []
  let testimony: ReportModel['testimony'] = {given: [], events: []}
  try {
    testimony = testimonyOf(kase, selection)
  } catch (error) {
    unread.push(`testimony: ${messageOf(error)}`)
  }

  return {
    title: m.say(m.case.title, {caseId: kase.info.caseId}),
    cover: coverFacts(m, kase, report, selection),
    verdict: caseVerdictOf(report),
    verification: {
      intro: m.case.verificationIntro,
      checks: report.checks.map((c) => ({name: c.name, status: c.status, detail: c.detail})),
      problems: report.problems,
      problemCount: report.problemCount,
      warnings: report.warnings,
      trust,
      notChecked: report.exhibits.contentUnchecked > 0 ? [m.count(m.case.contentUnchecked, report.exhibits.contentUnchecked), ...m.case.notCheckedItems] : m.case.notCheckedItems,
      handOvers: [],
    },
    unread,
    data: new CaseData(kase, selection),
    coverage: (seq) => coverage(m, report, trust, seq),
    testimony,
    howToCheck: checkSteps(m, kase),
    words: {noExhibits: m.case.noExhibits, testimonyIntro: m.case.testimonyIntro, noTestimony: m.case.noTestimony, imageUnreadable: m.case.imageUnreadable},
  }
}
