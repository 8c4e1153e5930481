/**
 * The verdict the report states, from the verifier's report alone: verified only when no check
 * failed and no problem was found (as `custody verify` exits 0), and every failed check named.
 */
import type {ArchiveReport} from '../verify/verify-archive.js'
import {BAG_CHECKS} from '../verify/verify-archive.js'

export type Verdict = 'verified' | 'failed'

export interface ReportVerdict {
  verdict: Verdict
  /** The checks that failed, in the order they ran. */
  failedChecks: string[]
  /** The checks of the checklist that did not run (an earlier one halted it). */
  notRun: string[]
  warnings: number
}

export function verdictOf(report: ArchiveReport): ReportVerdict {
  const failedChecks = [...new Set(report.checks.filter((c) => c.status === 'failed').map((c) => c.name))]
  const ran = new Set(report.checks.map((c) => c.name))
  const notRun = [report.source, ...BAG_CHECKS.map((c) => c.name)].filter((name) => !ran.has(name))
  const verified = report.ok && failedChecks.length === 0
  return {verdict: verified ? 'verified' : 'failed', failedChecks, notRun, warnings: report.warnings.length}
}
