/**
 * `custody status`: where the case stands, what is not yet covered by trusted time, and what
 * killed seals left (which it removes, as the next seal would: seal/leftovers.ts).
 */
import {parseCheckpoint} from '../checkpoints/checkpoint.js'
import {tidySeals, type SealLeftovers} from '../seal/leftovers.js'
import {timestampCoverage} from '../timestamps/stamp-case.js'
import {releasedNotAcknowledged, type ReleasedTo} from '../transfers/export.js'
import type {Case, CaseInfo} from './case.js'
import {caseSettings, type CaseSettings} from './settings.js'

export interface CaseStatus {
  root: string
  case: CaseInfo
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
  /** Per receiver, what was released to it (`custody transfer export`) and not acknowledged. */
  released: ReleasedTo[]
}

export async function caseStatus(kase: Case): Promise<CaseStatus> {
  const seals = await tidySeals(kase)
  const latest = kase.ledger.latestCheckpoint()
  const body = latest === undefined ? undefined : parseCheckpoint(latest.body)
  const coverage = timestampCoverage(kase)
  const settings: CaseSettings = caseSettings(kase)
  return {
    root: kase.root,
    case: kase.info,
    events: kase.ledger.size(),
    exhibits: kase.ledger.exhibitCount(),
    purged: kase.ledger.eventsOfKind('purged').length,
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
    released: releasedNotAcknowledged(kase),
  }
}
