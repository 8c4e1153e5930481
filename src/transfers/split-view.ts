/**
 * Split-view detection for a receiver (issue 20, docs/design/transfers.md "Accept" step 3), as a
 * Certificate Transparency monitor does it: every tree head of one sender's ledger that the
 * receiver has accepted must be a prefix of the head of each package that sender sends after.
 * A sender that cut its ledger back, put an older copy back, or forked it after an earlier
 * hand-over can no longer prove that, and is refused, naming both heads.
 *
 * The proofs come from the package itself, already checked by the archive verifier: a transfer
 * package is a sealed archive, and every sealed archive proves that the tree head of each earlier
 * seal its ledger records is a prefix of its own (RFC 9162 consistency proofs, `earlier-seals`).
 * Each earlier package was a seal of the sender's, so a ledger still true to what it sent lists
 * each of them with its proof. A head of the sender's the receiver saw that the package neither
 * has nor proves is the split view: the sender's ledger no longer holds that seal, or holds it at
 * another head.
 *
 * A package can also arrive after a newer one of the same sender (two sticks, two couriers): its
 * head is shorter than one seen, yet nothing was rolled back. The receiver tells the two apart by
 * what it has already verified: each package accepted proves the earlier packages its sender's
 * ledger made (a seal's earlier seals, each with its ID and proven head; a field package's release
 * events in its rows, each at the head of a checkpoint it carries), and the receiver records those
 * (`earlier` of transfer-received). A package that is exactly one of them (its ID and its head) is
 * older, not rolled back: every head the receiver accepted of that sender lies on one chain (each
 * was checked against all seen before it), and a prefix of one head of that chain is comparable to
 * every other. A rolled-back ledger cannot make one: its package would be a new seal or transfer,
 * with an ID no accepted package proves, or, made again at the same release time, the same ID in
 * other bytes than the SHA-256 proven (accept.ts checks the bytes of a package found here).
 */

import type {EarlierPackage} from '../formats/events.js'

/** A tree head: its number of events and hex RFC 6962 root. */
export interface Head {
  size: number
  root: string
}

/** A head of a sender's ledger that the receiver accepted, and the transfer it came in. */
export interface SeenHead extends Head {
  transferId: string
  /** The transfer was refused with a receipt (its items failed): its head was verified and cosigned all the same. */
  refused?: boolean
}

/** What the receiver's check found wrong with one seen head. */
export interface SplitView {
  seen: SeenHead
  /** The package's head. */
  package: Head
  why: 'rolled back' | 'forked'
}

/**
 * Every head in `seen` that `packageHead` does not extend, given the heads the package proves it
 * extends (its earlier seals, each proven by the archive verifier). Empty when the sender's ledger
 * only grew.
 */
export function splitViews(seen: readonly SeenHead[], packageHead: Head, proven: readonly Head[]): SplitView[] {
  const provenHeads = new Set([...proven, packageHead].map((h) => `${h.size} ${h.root}`))
  const found: SplitView[] = []
  for (const head of seen) {
    if (provenHeads.has(`${head.size} ${head.root}`)) continue
    found.push({seen: head, package: packageHead, why: head.size > packageHead.size ? 'rolled back' : 'forked'})
  }

  return found
}

/**
 * The earlier package, among those accepted packages proved (`known`), that the package `id`
 * made at `head` is: undefined when it is none (then its head is checked as any other's).
 */
export function provenEarlier(known: readonly EarlierPackage[], id: string, head: Head): EarlierPackage | undefined {
  return known.find((k) => k.id === id && k.size === head.size && k.root === head.root)
}

/**
 * What an accepted package's `earlier` records of those it proves: the ones made after the longest
 * head seen of its sender before it (those before are proven by the package that brought that head,
 * or were seen themselves), and before its own.
 */
export function earlierToRecord(proves: readonly EarlierPackage[], seen: readonly Head[], head: Head): EarlierPackage[] {
  const longest = seen.reduce((most, h) => Math.max(most, h.size), 0)
  return proves.filter((p) => p.size > longest && p.size < head.size)
}

/** One line for a split view: what was seen, what came, and what it means. */
export function describeSplitView(view: SplitView, sender: string): string {
  const seen = `${view.seen.size} events, root ${view.seen.root} (${view.seen.refused === true ? 'cosigned in' : 'accepted in'} ${view.seen.transferId}${view.seen.refused === true ? ', refused for its items' : ''})`
  const now = `${view.package.size} events, root ${view.package.root}`
  return view.why === 'rolled back'
    ? `${sender}'s ledger was rolled back: this package's head (${now}) is shorter than one already accepted from it (${seen}); unless this package is only older than that one (made before it, delivered after) and no package accepted proves it: then ask the sender to send its exhibits again in a new package (transfer export --again)`
    : `${sender}'s ledger was rewritten after an earlier hand-over: this package's head (${now}) does not extend one already accepted from it (${seen}), and the package proves no path from it`
}
