/**
 * The problems a verifier finds, of which it keeps the first `limit` and counts the rest: a hostile
 * input can hold millions of faults, and a report that held them all would be the hostile input's
 * way to exhaust the memory. `length` is the count, so that "did this check add a problem?" is
 * asked the same way as of an array.
 */
export class ProblemList<P> {
  /** The problems kept, in the order found. */
  readonly kept: P[] = []
  private total = 0

  constructor(readonly limit = 1000) {}

  push(...problems: P[]): void {
    for (const problem of problems) {
      if (this.kept.length < this.limit) this.kept.push(problem)
      this.total++
    }
  }

  /** Every problem found, kept or not. */
  get length(): number {
    return this.total
  }

  /** How many were found but not kept. */
  get dropped(): number {
    return this.total - this.kept.length
  }
}
