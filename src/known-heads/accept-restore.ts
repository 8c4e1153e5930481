/**
 * `custody accept-restore`: the honest way on when an older copy of a case was put back on
 * purpose (the laptop was lost, and the backup is all there is) and the newer copy is gone.
 *
 * What was lost stays lost, and is said to be. The command appends a `restore-accepted` event
 * that carries the checkpoint custody had recorded for the lost copy (its exact signed bytes and
 * signature, with where and when it was recorded), the ledger's own tree head, and the user's
 * reason; it is signed like every append, and goes into every later sealed archive. Only then is
 * the record outside the case replaced by this ledger's newest checkpoint; the lost record is
 * kept beside it in the state folder (`<case>.lost-<time>.json`).
 *
 * It is refused when there is nothing to accept (the case extends the record), and when the case
 * does not agree with its own head.json either: that is tampering inside the case, not a restore,
 * and `custody verify` must explain it first. Archives sealed from the lost copy cannot be linked
 * to later ones (`custody verify --against` fails, truthfully). Exhibit numbers that the lost
 * events may have given are reserved (`reservedExhibitNumbers`, the lost checkpoint's size, which no
 * count of its exhibits can pass): the next exhibit is numbered after them, so that no number ever
 * names two files.
 */
import type {Case} from '../case/case.js'
import {CustodyError, fields, said} from '../errors.js'
import {compareWithHead, type TreeHeadSource} from '../ledger/head-file.js'
import {compareFully} from './compare.js'

export interface RestoreAccepted {
  seq: number
  reason: string
  /** Exhibit numbers up to this one are not given again; the next exhibit is numbered after it. */
  reservedExhibitNumbers: number
  /** The checkpoint of the lost copy, as it was recorded. */
  lost: {treeSize: number; rootHash: string; location: string | null; recordedAt: string | null; aside: string}
  /** This ledger's tree head when the loss was accepted. */
  ledger: {size: number; root: string}
}

/** Why the older copy was put back, as errors name it. */
const REASON = fields({reason: 'the reason'}).reason

/** What acceptRestore() goes on from, as checkRestore() found it. */
export interface RestoreCheck {
  reason: string
  /** custody's record of the lost copy, and this ledger's head, which is behind it or went its own way. */
  conflict: Extract<ReturnType<typeof compareFully>, {status: 'shorter' | 'diverged'}>
}

/**
 * Refuses a restore there is nothing to accept for (the case extends custody's record), or that
 * is no restore (the case does not match its own head.json), and an empty reason. Needs no key: the
 * command runs it before it asks for the passphrase.
 */
export async function checkRestore(kase: Case, options: {reason: string}): Promise<RestoreCheck> {
  const reason = options.reason.trim()
  if (reason === '') throw new CustodyError('INVALID_ARGUMENT', said`${REASON} must say why an older copy of the case was put back (it is recorded in the ledger)`)
  const known = kase.knownHead()
  let tree: TreeHeadSource | undefined
  const head = await compareWithHead(kase.dataDir, (recorded) => (tree = kase.ledger.heads(recorded, known.status === 'found' ? known.head.checkpoint.treeSize : undefined)))
  const conflict = compareFully(known, tree!)
  if (conflict.status !== 'shorter' && conflict.status !== 'diverged') {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      conflict.status === 'matches'
        ? `there is nothing to accept: this case extends the newest checkpoint custody recorded for it (${conflict.head.checkpoint.treeSize} events, in ${conflict.head.path})`
        : `there is nothing to accept: custody has no usable record of this case on this account (${conflict.path})`,
    )
  }

  if (head.status !== 'matches') {
    throw new CustodyError(
      'INTEGRITY',
      `the ledger does not match the tree head recorded inside the case either (head.json: ${head.status === 'unreadable' ? head.problem : head.status === 'shorter' ? 'events were removed from its end' : 'its recorded events were rewritten'}): that is not only an older copy put back. Nothing was recorded; run \`custody verify\``,
    )
  }

  return {reason, conflict}
}

/** Records that the older copy checkRestore() found was put back on purpose. */
export async function acceptRestore(kase: Case, checked: RestoreCheck, options: {actor?: string | undefined}): Promise<RestoreAccepted> {
  const {reason, conflict} = checked
  await kase.ready()
  const lost = conflict.head
  const ledger = {size: conflict.ledger.size, root: conflict.ledger.root}
  const {events} = kase.ledger.append(() => ({
    drafts: [
      {
        actor: options.actor?.trim() || kase.info.investigator,
        action: 'restore-accepted',
        exhibit: null,
        payload: {
          reason,
          // Not the folder it was recorded in: a path may name a person, and every later archive carries this event.
          lost: {checkpoint: lost.body, signature: lost.signature, recordedAt: lost.recordedAt},
          ledger,
          // The lost copy had at most as many exhibits as events: none of their numbers is given again.
          reservedExhibitNumbers: lost.checkpoint.treeSize,
        },
      },
    ],
    result: undefined,
  }))
  const recorded = await kase.recordKnownHead({replacing: conflict})
  await kase.recordHead()
  const aside = recorded?.status === 'written' && recorded.aside !== undefined ? recorded.aside : lost.path
  return {
    seq: events[0]!.event.seq,
    reason,
    reservedExhibitNumbers: lost.checkpoint.treeSize,
    lost: {treeSize: lost.checkpoint.treeSize, rootHash: lost.checkpoint.rootHash, location: lost.location, recordedAt: lost.recordedAt, aside},
    ledger: {size: ledger.size, root: ledger.root},
  }
}

