/**
 * Step 5 of the pipeline (pipeline.ts) for a run of many files: records outcomes in the order of
 * the input, whatever order they finish in, so that exhibit IDs follow the order the files were
 * given. Outcomes ready in order are gathered and recorded together, in one transaction (one fsync
 * of the ledger, one signed checkpoint) for up to GROUP_SIZE files or GROUP_DELAY_MS, whichever
 * comes first: the files behind them go on being copied and read meanwhile.
 */
import type {IngestRun, Outcome, Provenance} from './pipeline.js'
import type {IngestFileResult} from './results.js'

export class Recorder {
  static readonly GROUP_SIZE = 128
  static readonly GROUP_DELAY_MS = 250
  private next = 0
  private readonly waiting = new Map<number, {outcome: Outcome; resolve: (result: IngestFileResult) => void}>()
  private ready: Array<{outcome: Outcome; resolve: (result: IngestFileResult) => void}> = []
  private timer: NodeJS.Timeout | undefined
  private readonly run: IngestRun
  private readonly provenance: Provenance

  constructor(run: IngestRun, provenance: Provenance) {
    this.run = run
    this.provenance = provenance
  }

  /** Resolves once the file's events are recorded (or its batch failed to record). */
  submit(index: number, outcome: Outcome): Promise<IngestFileResult> {
    return new Promise((resolve) => {
      this.waiting.set(index, {outcome, resolve})
      for (let item = this.waiting.get(this.next); item !== undefined; item = this.waiting.get(this.next)) {
        this.ready.push(item)
        this.waiting.delete(this.next++)
      }

      if (this.ready.length >= Recorder.GROUP_SIZE) this.flush()
      else if (this.ready.length > 0) this.timer ??= setTimeout(() => this.flush(), Recorder.GROUP_DELAY_MS)
    })
  }

  /** Records what is ready now. */
  flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.ready
    this.ready = []
    if (batch.length === 0) return
    const results = this.run.record(batch.map((b) => b.outcome), this.provenance)
    batch.forEach((b, i) => b.resolve(results[i]!))
  }
}
