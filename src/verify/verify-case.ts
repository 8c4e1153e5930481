/**
 * `custody verify` of a local case: an fsck of the ledger and the vault. Every stored row is
 * hostile input. The checks, in the report's order, each in its own file under case/ and each
 * reporting what was expected and what was found:
 *   1. ledger file (case/ledger-file.ts): the SQLite file is sound and its append-only triggers
 *      are there;
 *   2. event chain (case/chain.ts): sequence numbers, canonical events, the hash chain, exhibit
 *      numbers, seals' exhibit lists and key events;
 *   3. tree head (case/tree-head.ts): the RFC 6962 root over all events against the last recorded
 *      head (head.json);
 *   4. known head (case/known-head.ts): the newest checkpoint custody signed for the case on this
 *      account (src/known-heads/, outside the case) is a prefix of the ledger;
 *   5. checkpoints (case/checkpoints.ts): each signed by a key the ledger records, each root the
 *      root over the events it covers, the last covering every event;
 *   6. timestamps (case/timestamps.ts): every RFC 3161 token over the checkpoint it stamps;
 *   7. vault (case/vault.ts): every exhibit's original and metadata record re-hashed;
 *   8. testimonies (case/testimonies.ts): statement versions, attachments and sealed identities;
 *   9. signing key (case/signing-key.ts): the current key's file holds the key the ledger records;
 *  10. transfers (case/transfers.ts): each package accepted from another custodian is kept, with
 *      its receipt, as its transfer-received event records them;
 *  11. with --against, one check a file (case/against.ts): the ledger extends it.
 * Then the warnings (case/leftovers.ts): what an interrupted command left, and files of .custody
 * open to other users. They change nothing the ledger claims.
 */
import {bytesToHex} from '@noble/hashes/utils.js'
import {Case as CaseClass, CASE_FOLDER, type Case} from '../case/case.js'
import {CustodyError, messageOf} from '../errors.js'
import {scratchWork} from '../io/scratch-db.js'
import {runChecklist, type CheckStatus, type Problem} from './checklist.js'
import {ClaimIndex} from './claim-index.js'
import {ProblemList} from './problem-list.js'
import {againstCheck} from './case/against.js'
import {chainCheck} from './case/chain.js'
import {checkpointsCheck} from './case/checkpoints.js'
import {CaseContext, type CaseCheck, type CaseCheckResult, type ProblemKind, type VerifyCaseOptions} from './case/context.js'
import {knownHeadCheck} from './case/known-head.js'
import {ledgerFileCheck} from './case/ledger-file.js'
import {leftoverWarnings} from './case/leftovers.js'
import {signingKeyCheck} from './case/signing-key.js'
import {testimoniesCheck} from './case/testimonies.js'
import {timestampsCheck} from './case/timestamps.js'
import {purgesCheck} from './case/purges.js'
import {transfersCheck} from './case/transfers.js'
import {treeHeadCheck} from './case/tree-head.js'
import {vaultCheck} from './case/vault.js'

export type {ProblemKind, VerifyCaseOptions, VerifyProgress} from './case/context.js'

/** A problem as the report gives it (and `--json` prints it). */
export interface VerifyProblem extends Problem {
  check: ProblemKind
  /** @deprecated The same as `check`, kept for scripts written before it: read `check`. */
  kind: ProblemKind
}

export interface VerifyCheck {
  name: string
  /** Whether it holds as proof: a warning (what it could not check, and why) is not ok, and fails nothing. */
  ok: boolean
  status: CheckStatus
  detail: string
}

export interface VerifyReport {
  ok: boolean
  caseId: string
  root: string
  ledger: {events: number; treeHead: string; lastHash: string | null}
  /**
   * `contentUnchecked`: the objects (originals and metadata records) of an encrypted vault checked
   * only as stored, their age files re-hashed, because no key given opens them: their content was not checked.
   */
  exhibits: {total: number; intact: number; contentUnchecked: number; purged: number}
  checks: VerifyCheck[]
  /** The first problems found (at most 1,000); `problemCount` counts them all. */
  problems: VerifyProblem[]
  problemCount: number
  warnings: string[]
}

/** The checks of every case, in the report's order (see above). */
export const CASE_CHECKS: readonly CaseCheck[] = [
  ledgerFileCheck,
  chainCheck,
  treeHeadCheck,
  knownHeadCheck,
  checkpointsCheck,
  timestampsCheck,
  vaultCheck,
  testimoniesCheck,
  signingKeyCheck,
  transfersCheck,
  purgesCheck,
]

export async function verifyCase(kase: Case, options: VerifyCaseOptions = {}): Promise<VerifyReport> {
  return scratchWork('verify could not finish, which says nothing about the case', async () => {
    using claims = new ClaimIndex()
    return await verifyWith(new CaseContext(kase, claims, options))
  })
}

/**
 * A check that reads what a sealed ledger's bodies record (schema 4) cannot run without a key
 * that opens them: it says so, as not checked, instead of failing the verification.
 */
function unlessLocked(check: CaseCheck): CaseCheck {
  const unchecked = {status: 'warning' as const, detail: 'not checked: what it reads is in encrypted event bodies that no key given opens (the event chain line names them)'}
  return {
    name: check.name,
    async run(context): Promise<CaseCheckResult> {
      if (check.readsBodies === true && context.unopenedBodies > 0) return (await check.withoutBodies?.(context)) ?? unchecked
      try {
        return await check.run(context)
      } catch (error) {
        if (!(error instanceof CustodyError) || error.code !== 'CONTENT_LOCKED') throw error
        return unchecked
      }
    },
  }
}

async function verifyWith(context: CaseContext): Promise<VerifyReport> {
  const {kase, claims, options} = context
  const checks = [...CASE_CHECKS, ...(options.against ?? []).map((file) => againstCheck(file))].map(unlessLocked)
  // The first 1,000 are kept, as the archive's report keeps them: a case missing 200,000 vault
  // objects is reported in the memory of a small one, its count exact.
  const problems = new ProblemList<Problem & {check: ProblemKind}>()
  const outcomes = await runChecklist(checks, context, problems)
  const warnings = [...context.warnings, ...(await leftoverWarnings(context))]
  return {
    ok: problems.length === 0,
    caseId: kase.info.caseId,
    root: kase.root,
    ledger: {events: context.tree.size, treeHead: bytesToHex(context.tree.root()), lastHash: context.chain.lastHash},
    exhibits: {total: claims.size + (context.chainRead ? context.chain.carriedExhibits : 0), intact: context.intactExhibits, contentUnchecked: context.contentUnchecked, purged: context.purgedExhibits},
    checks: outcomes.map(({name, ok, status, detail}) => ({name, ok, status, detail})),
    problems: problems.kept.map((problem) => ({...problem, kind: problem.check})),
    problemCount: problems.length,
    warnings,
  }
}

/**
 * Opens the case and verifies it. A ledger too damaged to open is itself an integrity failure
 * (exit 3), not a usage error: the report says so.
 */
export async function verifyCaseAt(
  location: {root: string; foundBy: 'flag' | 'environment' | 'working directory'},
  options: VerifyCaseOptions = {},
): Promise<VerifyReport> {
  let kase: Case
  try {
    kase = CaseClass.open(location)
  } catch (error) {
    return {
      ok: false,
      caseId: 'unknown',
      root: location.root,
      ledger: {events: 0, treeHead: '', lastHash: null},
      exhibits: {total: 0, intact: 0, contentUnchecked: 0, purged: 0},
      checks: [{name: 'ledger file', ok: false, status: 'failed', detail: 'cannot be opened'}],
      problems: [{check: 'ledger-file', kind: 'ledger-file', subject: `${CASE_FOLDER}/ledger.sqlite`, message: `the ledger cannot be opened: ${messageOf(error)}`}],
      problemCount: 1,
      warnings: [],
    }
  }

  using opened = kase
  // A recipient's identity opens an encrypted vault: its objects are then checked by content. So
  // does the passphrase of a case with a case identity (and its sealed event bodies with it).
  if (options.identities !== undefined) await opened.openVault({identities: [...options.identities]})
  else if (options.passphrase !== undefined && opened.vault.encrypted) await opened.openVault({passphrase: options.passphrase})
  return await verifyCase(opened, options)
}
