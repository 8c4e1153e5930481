/**
 * Part of the chain check: what the ledger says each seal took. A `seal` event says how many
 * exhibits went into its archive; the `sealed-exhibits` events right after it list them, numbered
 * from 1 without a gap, and each must be an exhibit ingested before it.
 */
import {isRecord} from '../../formats/guards.js'
import {plural} from '../../render/text.js'
import type {ClaimIndex} from '../claim-index.js'
import type {CaseFinding} from './context.js'

export class SealLists {
  private open: {seq: number; sealId: unknown; count: unknown; next: number} | undefined

  constructor(
    private readonly problems: CaseFinding[],
    private readonly claims: ClaimIndex,
  ) {}

  /** The next event of the chain. */
  event(seq: number, event: Record<string, unknown>): void {
    const payload = isRecord(event.payload) ? event.payload : {}
    if (event.action !== 'sealed-exhibits') {
      this.end()
      if (event.action === 'seal') this.open = {seq, sealId: payload.sealId, count: payload.exhibitCount, next: 1}
      return
    }

    const at = `event ${seq}`
    const list = Array.isArray(payload.exhibits) ? (payload.exhibits as unknown[]) : []
    const seal = this.open
    if (seal === undefined || payload.sealId !== seal.sealId) {
      this.problems.push({check: 'event', subject: at, message: `it lists exhibits of seal ${String(payload.sealId)}, but does not follow that seal's event`})
      return
    }

    if (payload.first !== seal.next || list.length === 0) {
      this.problems.push({
        check: 'event',
        subject: at,
        message: `the list of seal ${String(seal.sealId)}'s exhibits is broken: this event should list them from number ${seal.next}`,
        expected: String(seal.next),
        actual: `${String(payload.first)} (${list.length} listed)`,
      })
    }

    const unknown = list.filter((id) => typeof id !== 'string' || this.claims.sha256Of(id) === undefined)
    if (unknown.length > 0) {
      this.problems.push({check: 'event', subject: at, message: `seal ${String(seal.sealId)} lists ${plural(unknown.length, 'exhibit')} the case did not have: ${unknown.slice(0, 3).map(String).join(', ')}${unknown.length > 3 ? ', …' : ''}`})
    }

    seal.next += list.length
  }

  /** The end of a seal's lists: they must hold as many exhibits as it says. */
  end(): void {
    const seal = this.open
    this.open = undefined
    if (seal === undefined || seal.next - 1 === seal.count) return
    if (typeof seal.count !== 'number') {
      this.problems.push({check: 'event', subject: `event ${seal.seq}`, message: `seal ${String(seal.sealId)} records no count of its exhibits (exhibitCount)`})
      return
    }

    this.problems.push({
      check: 'event',
      subject: `event ${seal.seq}`,
      message: `seal ${String(seal.sealId)} says it took ${plural(seal.count, 'exhibit')}, but the events after it list ${seal.next - 1}`,
      expected: String(seal.count),
      actual: String(seal.next - 1),
    })
  }
}
