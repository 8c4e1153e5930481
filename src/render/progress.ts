/**
 * A one-line progress display for long work, on stderr and only when stderr is a terminal, so
 * that scripts and `--json` output never see it.
 */
import {formatBytes} from './text.js'

export interface ProgressLine {
  update(text: string): void
  done(): void
}

export function progressLine(stream: NodeJS.WriteStream = process.stderr, enabled = Boolean(stream.isTTY)): ProgressLine {
  // A terminal that does not say its size (`script` without one) reports 0 columns.
  const columns = (): number => (stream.columns !== undefined && stream.columns > 1 ? stream.columns : 80)
  let last = 0
  let shown = false
  return {
    update(text) {
      if (!enabled) return
      const now = Date.now()
      if (now - last < 100) return
      last = now
      shown = true
      const width = columns()
      stream.write(`\r${text.slice(0, width - 1).padEnd(width - 1)}`)
    },
    done() {
      if (enabled && shown) stream.write(`\r${' '.repeat(columns() - 1)}\r`)
    },
  }
}

export interface ProgressCounts {
  filesDone: number
  filesTotal: number
  bytesDone: number
  bytesTotal: number
}

/** Seconds of work before a rate is shown: the first moments (start-up, a first small file) say little. */
const RATE_AFTER_SECONDS = 1
/** Seconds of work, and the share of the bytes done, before the time left is guessed. */
const ETA_AFTER_SECONDS = 3
const ETA_AFTER_SHARE = 0.02

/** "[#####.....] 12/100 files, 34.5 MB/120 MB, 20.1 MB/s, 3.2 files/s, about 4 s left" */
export function describeProgress(counts: ProgressCounts, startedAt: number, now = Date.now()): string {
  const {filesDone, filesTotal, bytesDone, bytesTotal} = counts
  const seconds = Math.max((now - startedAt) / 1000, 0.001)
  const share = bytesTotal > 0 ? Math.min(1, bytesDone / bytesTotal) : filesTotal > 0 ? filesDone / filesTotal : 1
  const width = 20
  const filled = Math.min(width, Math.floor(share * width))
  const parts = [`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${filesDone}/${filesTotal} files`, `${formatBytes(bytesDone)}/${formatBytes(bytesTotal)}`]
  if (seconds >= RATE_AFTER_SECONDS) parts.push(`${formatBytes(bytesDone / seconds)}/s`, `${(filesDone / seconds).toFixed(1)} files/s`)
  if (seconds >= ETA_AFTER_SECONDS && share >= ETA_AFTER_SHARE && share < 1) parts.push(`about ${formatDuration((seconds * (1 - share)) / share)} left`)
  return parts.join(', ')
}

/** A duration rounded as a person would say it: "4 s", "12 min", "3 h 20 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(1, Math.round(seconds))
  if (s < 90) return `${s} s`
  const minutes = Math.round(s / 60)
  if (minutes < 90) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  const rest = minutes % 60
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`
}
