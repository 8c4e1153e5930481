/**
 * The verdict the report states, from the verifier's report alone: verified only when no check
 * failed and no problem was found (as `custody verify` exits 0), and every failed check named.
 */
import type {VerifyReport} from '../verify/verify-case.js'
import {CASE_CHECKS} from '../verify/verify-case.js'
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
  /**
   * Objects of an encrypted vault checked only as stored (no key given opens them): the verdict
   * still holds, but does not cover their content, and the cover says so. Always 0 for an archive.
   */
  contentUnchecked: number
}

function verdictFrom(ok: boolean, checks: ReadonlyArray<{name: string; failed: boolean}>, all: readonly string[], warnings: number, contentUnchecked = 0): ReportVerdict {
  const failedChecks = [...new Set(checks.filter((c) => c.failed).map((c) => c.name))]
  const ran = new Set(checks.map((c) => c.name))
  const notRun = all.filter((name) => !ran.has(name))
  return {verdict: ok && failedChecks.length === 0 ? 'verified' : 'failed', failedChecks, notRun, warnings, contentUnchecked}
}

export function verdictOf(report: ArchiveReport): ReportVerdict {
  const checks = report.checks.map((c) => ({name: c.name, failed: c.status === 'failed'}))
  return verdictFrom(report.ok, checks, [report.source, ...BAG_CHECKS.map((c) => c.name)], report.warnings.length)
}

/** A local case's verdict: its warnings (what an interrupted command left) fail nothing, as in `custody verify`. */
export function caseVerdictOf(report: VerifyReport): ReportVerdict {
  const checks = report.checks.map((c) => ({name: c.name, failed: c.status === 'failed'}))
  return verdictFrom(report.ok, checks, CASE_CHECKS.map((c) => c.name), report.warnings.length, report.exhibits.contentUnchecked)
}
