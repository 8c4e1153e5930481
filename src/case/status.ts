/**
 * `custody status`: where the case stands, what is not yet covered by trusted time, and what
 * killed seals left (which it removes, as the next seal would: seal/leftovers.ts).
 */
import {unfinishedConversion} from './encrypt.js'
import {parseCheckpoint} from '../checkpoints/checkpoint.js'
import {tidySeals, type SealLeftovers} from '../seal/leftovers.js'
import {timestampCoverage} from '../timestamps/stamp-case.js'
import {releasedNotAcknowledged, type ReleasedTo} from '../transfers/released.js'
import type {Case, CaseInfo} from './case.js'
import {caseSettings, type CaseSettings} from './settings.js'

/**
 * What a case whose ledger keeps its events sealed says of itself with no key (its first
 * envelope's facts): the title, investigator and organisation are in the sealed body.
 */
export type LockedCaseInfo = Pick<CaseInfo, 'caseId' | 'prefix' | 'createdAt' | 'custodyVersion'> & {locked: true}

export interface CaseStatus {
  root: string
  case: CaseInfo | LockedCaseInfo
  events: number
  exhibits: number
  /** Exhibits whose vault objects were purged after their receiver acknowledged them (`custody transfer purge`). */
  purged: number
  signingKey: string
  latestCheckpoint: {seq: number; treeSize: number; time: string} | null
  timestamps: {
    /** The newest checkpoint with a token, and the tokens' times. */
    lastStamped: {checkpointSeq: number; treeSize: number; tokens: {tsa: string; genTime: string}[]} | null
    /** Events that no token covers yet (timestamp events themselves aside). */
    pending: number
    /** When the first unsuccessful attempt since the last token was recorded. */
    waitingSince: string | null
  }
  settings: {tsa: string[]; tsaCa: string[]}
  /** Seals under way, killed (their files now removed), or recorded but never published. */
  seals: SealLeftovers
  /**
   * Per receiver, what was released to it (`custody transfer export`) and not acknowledged; null
   * when the ledger is sealed and no key was given (what was released is in its bodies).
   */
  released: ReleasedTo[] | null
  /**
   * When `released` is null: the transfers released as their envelopes say in clear (ID, time,
   * how many items, and whether a receipt was recorded, with how many items it acknowledged),
   * not to whom nor which exhibits; null otherwise.
   */
  releasedInClear: ReleasedInClear[] | null
  /** A conversion by `custody encrypt` left unfinished (its step and recipients), or an intent file custody did not sign; null when there is none. */
  conversion: string | null
}

/** A transfer released, as its envelope and its receipt's say with no key (publicOf, src/ledger/envelope.ts). */
export interface ReleasedInClear {
  transferId: string
  seq: number
  releasedAt: string
  items: number
  /** The receipt recorded for it (`transfer receipt`): its event, and how many items it acknowledged (null: recorded by a development build, which did not say); null when none yet. */
  receipt: {seq: number; acknowledged: number | null} | null
}

export async function caseStatus(kase: Case): Promise<CaseStatus> {
  // A sealed ledger opened with no key (always so in a field case, whose laptop holds none) gives
  // what its envelopes say: counts, keys, checkpoints, timestamps and settings, not the bodies.
  const locked = kase.ledger.bodiesLocked
  const seals = await tidySeals(kase)
  const latest = kase.ledger.latestCheckpoint()
  const body = latest === undefined ? undefined : parseCheckpoint(latest.body)
  const coverage = timestampCoverage(kase)
  const settings: CaseSettings = caseSettings(kase)
  const inClear = locked ? factsInClear(kase) : undefined
  return {
    root: kase.root,
    case: locked ? lockedInfo(kase.info) : kase.info,
    events: kase.ledger.size(),
    exhibits: kase.ledger.exhibitCount(),
    purged: inClear?.purged ?? kase.ledger.eventsOfKind('purged').length,
    signingKey: kase.signingKey().fingerprint,
    latestCheckpoint: latest !== undefined && body !== undefined && !('problem' in body) ? {seq: latest.seq, treeSize: body.treeSize, time: body.time} : null,
    timestamps: {
      lastStamped: coverage.lastStamped
        ? {
            checkpointSeq: coverage.lastStamped.checkpoint.seq,
            treeSize: coverage.lastStamped.checkpoint.treeSize,
            tokens: coverage.lastStamped.tokens.map((t) => ({tsa: t.tsa, genTime: t.genTime})),
          }
        : null,
      pending: coverage.pending,
      waitingSince: coverage.waitingSince ?? null,
    },
    settings: {tsa: settings.tsa, tsaCa: settings['tsa-ca'].map((r) => r.subject)},
    seals,
    released: locked ? null : releasedNotAcknowledged(kase),
    releasedInClear: inClear?.released ?? null,
    conversion: unfinishedConversion(kase) ?? null,
  }
}

/** The facts of the case that its first envelope gives in clear (its other getters throw CONTENT_LOCKED). */
function lockedInfo(info: CaseInfo): LockedCaseInfo {
  return {caseId: info.caseId, prefix: info.prefix, createdAt: info.createdAt, custodyVersion: info.custodyVersion, locked: true}
}

/**
 * What the envelopes' public facts say, in one pass: the purged events (which list the objects
 * removed), counted; and the transfers released (`transfer-released`), each with the receipt
 * recorded for it (`transfer-acknowledged`, matched by transfer ID), oldest first. Releases
 * recorded by development builds, whose envelopes said nothing of them, are not found.
 */
function factsInClear(kase: Case): {purged: number; released: ReleasedInClear[]} {
  let purged = 0
  const released = new Map<string, ReleasedInClear>()
  for (const {seq, time, facts} of kase.ledger.publicFacts()) {
    const {action, transferId, items, acknowledged} = facts
    if (action === 'purged') purged++
    if (typeof transferId !== 'string') continue
    if ((action === 'transfer-released' || action === 'field-transfer-released') && typeof items === 'number') released.set(transferId, {transferId, seq, releasedAt: time, items, receipt: null})
    const transfer = released.get(transferId)
    if (action === 'transfer-acknowledged' && transfer !== undefined) transfer.receipt = {seq, acknowledged: typeof acknowledged === 'number' ? acknowledged : null}
  }

  return {purged, released: [...released.values()]}
}
