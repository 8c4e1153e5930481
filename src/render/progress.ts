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

/** "12/100 files, 34.5 MB/120 MB, 20.1 MB/s, about 4 s left" */
export function describeRate(done: number, total: number, bytesDone: number, bytesTotal: number, startedAt: number): string {
  const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001)
  const rate = bytesDone / seconds
  const left = rate > 0 ? Math.ceil((bytesTotal - bytesDone) / rate) : undefined
  return `${done}/${total} files, ${formatBytes(bytesDone)}/${formatBytes(bytesTotal)}, ${formatBytes(rate)}/s${left === undefined ? '' : `, about ${left} s left`}`
}
