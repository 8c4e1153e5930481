/**
 * Part of the chain check: exhibits are numbered one after the other, each ingest giving the next
 * number after those given or reserved (a restore-accepted event reserves the numbers a lost copy
 * of the case may have given: accept-restore.ts); and what each ingest event claims of its
 * exhibit's vault objects goes to the claim index, for the vault check, with the objects each
 * `purged` event names as removed (src/transfers/purge.ts).
 */
import type {CustodyEvent, EventOf, StoredObject} from '../../formats/events.js'
import type {PublicFacts} from '../../ledger/envelope.js'
import {formatExhibitId} from '../../formats/ids.js'
import type {ClaimIndex, ExhibitClaim} from '../claim-index.js'
import type {CaseFinding} from './context.js'

/** What an ingest event claims of its exhibit. */
export function claimOf(seq: number, event: EventOf<'ingest'>): ExhibitClaim {
  const {digests, size, metadata, stored} = event.payload
  const claim = {exhibit: event.exhibit ?? `event ${seq}`, seq, sha256: digests.sha256, sha512: digests.sha512, size, record: metadata.record}
  return stored === undefined ? claim : {...claim, stored: {original: stored, record: metadata.stored}}
}

export class ExhibitNumbers {
  /** The number of the last exhibit given or reserved: each ingest must give the next. */
  private last = 0

  constructor(
    private readonly prefix: string,
    private readonly problems: CaseFinding[],
    private readonly claims: ClaimIndex,
  ) {}

  /** The next event of the chain. */
  event(seq: number, event: CustodyEvent): void {
    if (event.action === 'restore-accepted') this.last = Math.max(this.last, event.payload.reservedExhibitNumbers)
    if (event.action === 'purged') for (const object of event.payload.objects) this.claims.markPurged(event.exhibit ?? '', object.vault)
    if (event.action !== 'ingest') return
    this.next(seq, event.exhibit)
    this.claims.add(claimOf(seq, event))
  }

  /**
   * The next event of a sealed ledger whose body was not opened (no key given opens it): its envelope's public
   * facts, which give the reserved numbers, and an ingest's exhibit (the clear column) and its
   * objects as stored, checked as stored by the vault check. `ingest`: the envelope says it is one
   * (a content tag, which only ingest events have). What the original's digests are
   * needs the body: the claim has none.
   */
  /** Ingests whose bodies were not opened and whose envelopes list no object (written in clear, carried into a converted case's sealed ledger). */
  carriedIngests = 0

  sealed(seq: number, exhibit: string | null, facts: PublicFacts | undefined, ingest: boolean): void {
    if (facts?.action === 'restore-accepted' && typeof facts.reservedExhibitNumbers === 'number') this.last = Math.max(this.last, facts.reservedExhibitNumbers)
    if (facts?.action === 'purged' && Array.isArray(facts.objects)) {
      for (const vault of facts.objects) {
        if (typeof vault !== 'string') continue
        this.claims.markPurged(exhibit ?? '', vault)
        // A converted case's objects are checked from their objects-encrypted list, which names no exhibit (vault.ts).
        this.claims.markPurged(CONVERTED_OBJECT, vault)
      }
    }

    if (!ingest) return
    this.next(seq, exhibit)
    // An ingest written in clear and carried sealed (a converted case): no facts; its objects are
    // checked as stored from the objects-encrypted events' list, which its body pairs them with.
    if (facts?.original === undefined) {
      this.carriedIngests++
      return
    }

    const original = facts.original as StoredObject
    const record = facts.record as StoredObject | undefined
    this.claims.add({exhibit: exhibit ?? `event ${seq}`, seq, sha256: '', sha512: undefined, size: undefined, record: record === undefined ? undefined : '', stored: {original, record}, unopened: true})
  }

  /**
   * The next event of the chain, which does not parse (the chain check says so): an ingest still
   * takes its number, so that each exhibit after it is checked against its own.
   */
  unreadable(seq: number, event: {action?: unknown; exhibit?: unknown}): void {
    if (event.action === 'ingest') this.next(seq, event.exhibit)
  }

  /** An ingest at `seq`, which should give the next exhibit number. */
  private next(seq: number, exhibit: unknown): void {
    this.last++
    const expectedId = formatExhibitId(this.prefix, this.last)
    if (exhibit !== expectedId) {
      this.problems.push({check: 'event', subject: `event ${seq}`, message: `exhibit IDs are not sequential: this ingest should have created ${expectedId}`, expected: expectedId, actual: String(exhibit)})
    }
  }
}

/** What a purge of an object is also marked under, for the objects a converted case lists by no exhibit (ClaimIndex.isPurged). */
export const CONVERTED_OBJECT = '(converted object)'
