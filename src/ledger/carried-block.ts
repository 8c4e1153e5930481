/**
 * The rule that binds a converted case's carried rows (envelope.ts, "carried envelope"), in one
 * place for the two that walk a schema-4 ledger: the store, which refuses to believe a carried
 * envelope until its block was checked (sealed-store.ts, `carriedCount`), and `custody verify`,
 * which reports what breaks it (src/verify/case/chain.ts).
 *
 * The rule: carried rows are the first rows, from event 0, with no gap; the first row that is not
 * carried is the `ledger-converted` event, whose public facts record how many there are and the
 * SHA-256 of their envelopes as stored, each followed by a line feed (CarriedDigest); no carried
 * row comes after it, and no ledger-converted event comes without carried rows before it. A carried
 * envelope is not chained: this block's digest in a chained envelope is what holds it.
 *
 * CarriedBlock takes the rows in order and says, of each one, what it breaks; it reads nothing
 * itself and throws nothing, so each caller words the finding as its output needs.
 */
import {createHash} from 'node:crypto'
import {isCarried, type StoredEnvelope} from './envelope.js'

/**
 * The SHA-256 a `ledger-converted` event records of the carried envelopes: each as stored,
 * followed by a line feed, in order (`sha256sum` of the file `sqlite3` gives of them).
 */
export class CarriedDigest {
  private readonly hash = createHash('sha256')
  count = 0

  add(envelope: string): void {
    this.hash.update(envelope, 'utf8').update('\n')
    this.count++
  }

  digest(): string {
    return this.hash.digest('hex')
  }
}

/** What a row breaks of the rule: the seq it names, the words, and (when two values disagree) both. */
export interface CarriedFinding {
  seq: number
  message: string
  expected?: string
  actual?: string
}

export class CarriedBlock {
  private readonly digest = new CarriedDigest()
  private ended = false

  /** How many carried rows were taken so far (the block's length, once it ended). */
  get count(): number {
    return this.digest.count
  }

  /** Whether a row that is not carried was taken: the block, if any, ended there. */
  get closed(): boolean {
    return this.ended
  }

  /**
   * Takes the next row (`text` its envelope as stored): undefined when it keeps the rule. The row
   * that ends a block is checked against it (its count and digest), so the caller may believe the
   * block's envelopes once this returned undefined for that row.
   */
  row(seq: number, envelope: StoredEnvelope, text: string): CarriedFinding | undefined {
    if (isCarried(envelope)) {
      if (this.ended || seq !== this.digest.count) {
        return {seq, message: 'is stored as a carried event (one a converted case kept as written), but it is not among the first events that a ledger-converted event records: a row was forged to escape the check of its hash'}
      }

      this.digest.add(text)
      return undefined
    }

    const first = !this.ended
    this.ended = true
    const facts = envelope.public
    const converted = facts?.action === 'ledger-converted'
    if (!first || this.digest.count === 0) {
      return converted ? {seq, message: 'is a ledger-converted event, but no carried events come before it'} : undefined
    }

    const count = this.digest.count
    const digest = this.digest.digest()
    if (converted && facts.carried === count && facts.envelopes === digest) return undefined
    return {
      seq,
      message: converted
        ? `is the ledger-converted event, and records other carried events than the ${count} before it (the count, or the SHA-256 of their envelopes): a carried event's envelope was changed, or carried events were added or removed`
        : `follows ${count} carried events, but is not the ledger-converted event that must record their envelopes: carried events were added, or that event removed`,
      expected: `ledger-converted of ${count} envelopes, SHA-256 ${digest}`,
      actual: converted ? `${String(facts.carried)} envelopes, SHA-256 ${String(facts.envelopes)}` : String(facts?.action ?? 'no public facts'),
    }
  }

  /** After the last row: a finding when the ledger ends inside a block (no ledger-converted event after it). */
  end(): CarriedFinding | undefined {
    if (this.ended || this.digest.count === 0) return undefined
    return {
      seq: this.digest.count - 1,
      message: "is carried (one a converted case kept as written), but no ledger-converted event follows the carried events to record their envelopes: the ledger's tail was cut, or the rows were forged",
    }
  }
}
