/**
 * Part of the chain check: what the ledger says each seal took. A `seal` event says how many
 * exhibits went into its archive; the `sealed-exhibits` events right after it list them, numbered
 * from 1 without a gap, and each must be an exhibit ingested before it.
 */
import type {CustodyEvent} from '../../formats/events.js'
import {plural} from '../../render/text.js'
import type {ClaimIndex} from '../claim-index.js'
import type {CaseFinding} from './context.js'

export class SealLists {
  private open: {seq: number; sealId: string; count: number; next: number} | undefined

  constructor(
    private readonly problems: CaseFinding[],
    private readonly claims: ClaimIndex,
  ) {}

  /** The next event of the chain. */
  event(seq: number, event: CustodyEvent): void {
    if (event.action !== 'sealed-exhibits') {
      this.end()
      if (event.action === 'seal') this.open = {seq, sealId: event.payload.sealId, count: event.payload.exhibitCount, next: 1}
      return
    }

    const at = `event ${seq}`
    const {sealId, first, exhibits} = event.payload
    const seal = this.open
    if (seal === undefined || sealId !== seal.sealId) {
      this.problems.push({check: 'event', subject: at, message: `it lists exhibits of seal ${sealId}, but does not follow that seal's event`})
      return
    }

    if (first !== seal.next) {
      this.problems.push({
        check: 'event',
        subject: at,
        message: `the list of seal ${seal.sealId}'s exhibits is broken: this event should list them from number ${seal.next}`,
        expected: String(seal.next),
        actual: `${first} (${exhibits.length} listed)`,
      })
    }

    const unknown = exhibits.filter((id) => this.claims.sha256Of(id) === undefined)
    if (unknown.length > 0) {
      this.problems.push({check: 'event', subject: at, message: `seal ${seal.sealId} lists ${plural(unknown.length, 'exhibit')} the case did not have: ${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', …' : ''}`})
    }

    seal.next += exhibits.length
  }

  /**
   * The next event of the chain, which does not parse (the chain check says so): it ends a seal's
   * lists, unless it is one of them (whose exhibits cannot be counted).
   */
  unreadable(event: {action?: unknown}): void {
    if (event.action !== 'sealed-exhibits') this.end()
  }

  /** The end of a seal's lists: they must hold as many exhibits as it says. */
  end(): void {
    const seal = this.open
    this.open = undefined
    if (seal === undefined || seal.next - 1 === seal.count) return
    this.problems.push({
      check: 'event',
      subject: `event ${seal.seq}`,
      message: `seal ${seal.sealId} says it took ${plural(seal.count, 'exhibit')}, but the events after it list ${seal.next - 1}`,
      expected: String(seal.count),
      actual: String(seal.next - 1),
    })
  }
}
