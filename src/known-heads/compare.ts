/**
 * Comparing a case with its known head (store.ts): the newest checkpoint custody signed for it on
 * this account. A ledger with fewer events than that checkpoint, or whose first events are not the
 * ones it covers, is an integrity failure: events were cut off its end, an older copy of the case
 * was put back, or another copy went its own way.
 *
 * Two comparisons, by what the command is about to do:
 *
 * - Full, before anything is appended and in `custody verify`: the RFC 6962 root of the ledger's
 *   first N events, recomputed from the events themselves (in the same pass that checks head.json,
 *   Ledger.heads, or from verify's tree), must be the checkpoint's root.
 * - Quick, for commands that only read (log, show, status, key show, testimony list, ...): one
 *   indexed lookup, event N-1's stored hash against the checkpoint's lastEventHash. That is sound
 *   for what this record is for. Cutting events off the end, or putting back an older copy, leaves
 *   fewer than N events: event N-1 is missing. A copy that went its own way and grew past N has
 *   another event N-1, or the same event after other ones, so another chain hash (SHA-256 over the
 *   event and the hash before it, back to the first). What the lookup does not catch is the stored
 *   hash column itself forged to the old value over different events: that is an edit of the
 *   ledger, not a rollback, and the full comparison (which every append and `verify` makes)
 *   recomputes the root from the events and catches it. A conflict the lookup finds is named with
 *   the roots recomputed from the events, in one pass on the way to the error.
 */
import {bytesToHex} from '@noble/hashes/utils.js'
import {parseCheckpoint} from '../checkpoints/checkpoint.js'
import {CustodyError} from '../errors.js'
import type {TreeHeadSource} from '../ledger/head-file.js'
import type {Ledger} from '../ledger/ledger.js'
import type {KnownHead, KnownHeadRead} from './store.js'

/** A tree head: a number of events and the hex root over them. */
export interface Head {
  size: number
  root: string
}

export type KnownHeadComparison =
  | {status: 'none'; path: string}
  | {status: 'unreadable'; path: string; problem: string}
  | {status: 'matches'; head: KnownHead; /** events after it */ behind: number}
  /** The ledger has fewer events than the known head. */
  | {status: 'shorter'; head: KnownHead; ledger: Head}
  /** The ledger's first events are not those the known head covers. */
  | {status: 'diverged'; head: KnownHead; ledger: Head; /** the root of the ledger's first known-head-size events, when computed */ prefixRoot?: string}

export type KnownHeadConflict = Extract<KnownHeadComparison, {status: 'shorter' | 'diverged'}>

/** The full comparison, with the heads of the ledger (or verify's tree) computed from the events. */
export function compareFully(read: KnownHeadRead, tree: TreeHeadSource): KnownHeadComparison {
  if (read.status !== 'found') return read
  const {head} = read
  const size = head.checkpoint.treeSize
  const ledger = {size: tree.size, root: bytesToHex(tree.root())}
  if (size > tree.size) return {status: 'shorter', head, ledger}
  const prefixRoot = bytesToHex(tree.root(size))
  if (prefixRoot !== head.checkpoint.rootHash) return {status: 'diverged', head, ledger, prefixRoot}
  return {status: 'matches', head, behind: tree.size - size}
}

/** The ledger's size and root as its last signed checkpoint states them: what a quick comparison names when the events' roots match. */
function statedHead(ledger: Ledger): Head {
  const size = ledger.nextSeq()
  const latest = ledger.latestCheckpoint()
  const body = latest === undefined ? undefined : parseCheckpoint(latest.body)
  const root = body === undefined || 'problem' in body ? 'unknown' : body.treeSize === size ? body.rootHash : `unknown (its last checkpoint covers ${body.treeSize} events, root ${body.rootHash})`
  return {size, root}
}

/**
 * The quick comparison (see above): one lookup of event N-1's stored hash. A conflict it finds is
 * then named as the full comparison names it, the roots recomputed from the events (once, on the
 * way to an error): the ledger's last checkpoint may not be its events' (events rewritten and
 * the checkpoints left), and a message naming the root it states would give the known root twice.
 */
export function compareQuickly(read: KnownHeadRead, ledger: Ledger): KnownHeadComparison {
  if (read.status !== 'found') return read
  const {head} = read
  const size = head.checkpoint.treeSize
  const hash = ledger.hashAt(size - 1)
  if (hash === undefined) return namedFully(read, ledger, {status: 'shorter', head, ledger: statedHead(ledger)})
  if (hash !== head.checkpoint.lastEventHash) return namedFully(read, ledger, {status: 'diverged', head, ledger: statedHead(ledger)})
  return {status: 'matches', head, behind: ledger.nextSeq() - size}
}

/** The quick comparison's conflict as the full one finds it; the quick one's where the events' roots match (a stored hash edited: verify names it). */
function namedFully(read: KnownHeadRead, ledger: Ledger, quick: KnownHeadConflict): KnownHeadComparison {
  const full = compareFully(read, ledger.heads(quick.head.checkpoint.treeSize))
  return full.status === 'shorter' || full.status === 'diverged' ? full : quick
}

function recordedWhere(head: KnownHead, caseRoot: string): string {
  const where = head.location === null ? '' : head.location === caseRoot ? ` here (${caseRoot})` : ` at ${head.location}`
  const when = head.recordedAt === null ? '' : ` on ${head.recordedAt}`
  return `${where}${when} (recorded in ${head.path})`
}

/** What is wrong, naming both tree heads: the one custody recorded and the ledger's. */
export function conflictMessage(conflict: KnownHeadConflict, caseRoot: string): string {
  const {head, ledger} = conflict
  const known = head.checkpoint
  const signed = `custody signed a checkpoint of ${known.treeSize} events (root ${known.rootHash}) for this case${recordedWhere(head, caseRoot)}`
  if (conflict.status === 'shorter') {
    return `the ledger has ${ledger.size} events (root ${ledger.root}), but ${signed}: events were removed from its end, or an older copy of the case was put back`
  }

  const prefix = conflict.prefixRoot === undefined ? `the ledger's first ${known.treeSize} events are not those` : `the ledger's first ${known.treeSize} events have the root ${conflict.prefixRoot}, not the one`
  return `${prefix} of the checkpoint of ${known.treeSize} events (root ${known.rootHash}) that custody signed for this case${recordedWhere(head, caseRoot)}; the ledger has ${ledger.size} events (root ${ledger.root}): its events were rewritten, or this is another copy of the case that went its own way`
}

/** What the user can do, honestly: what was lost is lost. */
export function recoveryAdvice(conflict: KnownHeadConflict, caseRoot: string): string {
  const elsewhere = conflict.head.location !== null && conflict.head.location !== caseRoot ? ` (custody last wrote it at ${conflict.head.location})` : ''
  return (
    `If the newer copy of the case still exists${elsewhere}, work on it instead. ` +
    'If you put an older copy back on purpose (a backup, after the laptop was lost) and the newer one is gone for good, ' +
    'run `custody accept-restore --reason TEXT`: the ledger then records for good which checkpoint was lost, and what came after it cannot be linked to this copy. ' +
    'Otherwise keep a copy of the case as it is and run `custody verify`'
  )
}

/** The integrity error of a command refused because of a conflict. */
export function knownHeadError(conflict: KnownHeadConflict, caseRoot: string, refused: string): CustodyError {
  return new CustodyError('INTEGRITY', `${conflictMessage(conflict, caseRoot)}; ${refused}. ${recoveryAdvice(conflict, caseRoot)}`, {subject: conflict.head.path})
}
