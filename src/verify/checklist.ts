/**
 * What both verifiers (of a case, of a sealed archive) are made of: a list of checks, each a
 * function of the verifier's context that returns its result and the problems it found, and a
 * runner that runs them in order and gathers what they return. A check reads what earlier checks
 * left in the context; it never reaches into another check.
 */
import {ProblemList} from './problem-list.js'

/** One thing found wrong, in the same shape from every check of both verifiers. */
export interface Problem {
  /** The check that found it (its name in the report's list of checks). */
  check: string
  /** What it is about: `event 12`, `EX-000003`, a file in the archive. */
  subject: string
  message: string
  expected?: string
  actual?: string
}

/** A problem as a check returns it: the runner fills in which check found it. */
export type Finding = Omit<Problem, 'check'> & {check?: string}

export type CheckStatus = 'ok' | 'warning' | 'failed'

export interface CheckResult {
  status: CheckStatus
  /** One line for the report: what was checked and how it came out. */
  detail: string
  problems?: readonly Finding[]
  /** The checks after this one cannot run (the input could not be read far enough): stop here. */
  halt?: boolean
}

export interface Check<Context> {
  readonly name: string
  run(context: Context): CheckResult | Promise<CheckResult>
}

/** A check as the report lists it. `ok` is true only when it holds as proof: a warning is not ok. */
export interface CheckOutcome {
  name: string
  ok: boolean
  status: CheckStatus
  detail: string
}

/**
 * Runs `checks` in order on `context`, adding what each finds to `problems` (named by the check
 * unless the finding names one), until the end or a check that halts.
 */
export async function runChecklist<Context>(checks: ReadonlyArray<Check<Context>>, context: Context, problems: ProblemList<Problem>): Promise<CheckOutcome[]> {
  const outcomes: CheckOutcome[] = []
  for (const check of checks) {
    const result = await check.run(context)
    for (const finding of result.problems ?? []) problems.push({...finding, check: finding.check ?? check.name})
    outcomes.push({name: check.name, ok: result.status === 'ok', status: result.status, detail: result.detail})
    if (result.halt === true) break
  }

  return outcomes
}
