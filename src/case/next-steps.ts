/**
 * What the `Next:` hints after ingest, testimony and seal read of the case (src/render/next-steps.ts
 * writes them): whether trusted time is waiting to be asked for.
 */
import {timestampCoverage} from '../timestamps/stamp-case.js'
import type {Case} from './case.js'
import {caseSettings} from './settings.js'

export interface CaseProgress {
  /** The events no trusted timestamp covers yet, when the case has a TSA to ask; null when it has none set. */
  unstamped: number | null
}

export function caseProgress(kase: Case): CaseProgress {
  return {unstamped: caseSettings(kase).tsa.length === 0 ? null : timestampCoverage(kase).pending}
}
