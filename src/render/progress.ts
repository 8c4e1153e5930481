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
  let last = 0
  let shown = false
  return {
    update(text) {
      if (!enabled) return
      const now = Date.now()
      if (now - last < 100) return
      last = now
      shown = true
      const width = stream.columns ?? 80
      stream.write(`\r${text.slice(0, width - 1).padEnd(width - 1)}`)
    },
    done() {
      if (enabled && shown) stream.write(`\r${' '.repeat((stream.columns ?? 80) - 1)}\r`)
    },
  }
}

/** "[#####.....] 12/100 files, 34.5 MB/120 MB, 20.1 MB/s, 3.2 files/s, about 4 s left" */
export function describeProgress(done: number, total: number, bytesDone: number, bytesTotal: number, startedAt: number, now = Date.now()): string {
  const seconds = Math.max((now - startedAt) / 1000, 0.001)
  const rate = bytesDone / seconds
  const share = bytesTotal > 0 ? bytesDone / bytesTotal : total > 0 ? done / total : 1
  const width = 20
  const filled = Math.min(width, Math.round(share * width))
  const left = rate > 0 && bytesDone > 0 ? Math.ceil((bytesTotal - bytesDone) / rate) : undefined
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} files, ${formatBytes(bytesDone)}/${formatBytes(bytesTotal)}, ${formatBytes(rate)}/s, ${(done / seconds).toFixed(1)} files/s${left === undefined ? '' : `, about ${formatDuration(left)} left`}`
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${seconds} s`
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`
  return `${(seconds / 3600).toFixed(1)} h`
}
