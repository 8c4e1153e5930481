import {describe, expect, it} from 'vitest'
import {describeProgress, formatDuration, progressLine} from '../../src/render/progress.js'
import {formatBytes} from '../../src/render/text.js'

const counts = (filesDone: number, filesTotal: number, bytesDone: number, bytesTotal: number) => ({filesDone, filesTotal, bytesDone, bytesTotal})

describe('describeProgress', () => {
  it('shows a bar, files and bytes done, the rate and the time left', () => {
    const line = describeProgress(counts(25, 100, 250e6, 1000e6), 0, 10_000)
    expect(line).toBe('[#####...............] 25/100 files, 250.0 MB/1.00 GB, 25.0 MB/s, 2.5 files/s, about 30 s left')
  })

  it('shows no rate in the first second, and rounds a rate of a few bytes a second to whole bytes', () => {
    expect(describeProgress(counts(0, 3, 5, 300e6), 0, 500)).toBe('[....................] 0/3 files, 5 B/300.0 MB')
    // The report that filed the defect: "1.7985611510791366 B/s ... about 46333.3 h left".
    const slow = describeProgress(counts(0, 3, 5, 300e6), 0, 2780)
    expect(slow).toBe('[....................] 0/3 files, 5 B/300.0 MB, 2 B/s, 0.0 files/s')
    expect(slow).not.toMatch(/\d\.\d{3,}/)
  })

  it('guesses no time left until 3 s have passed and 2% of the bytes are done', () => {
    expect(describeProgress(counts(0, 1, 150e6, 300e6), 0, 2000)).not.toContain('left')
    expect(describeProgress(counts(0, 1, 3e6, 300e6), 0, 10_000)).not.toContain('left')
    expect(describeProgress(counts(0, 1, 6e6, 300e6), 0, 10_000)).toContain('about 8 min left')
    expect(describeProgress(counts(1, 1, 300e6, 300e6), 0, 10_000)).not.toContain('left')
  })

  it('moves within one large file: the bar follows the bytes read, not the files recorded', () => {
    expect(describeProgress(counts(0, 1, 150e6, 300e6), 0, 4000)).toBe('[##########..........] 0/1 files, 150.0 MB/300.0 MB, 37.5 MB/s, 0.0 files/s, about 4 s left')
  })

  it('never overfills the bar when a file grew after it was listed', () => {
    expect(describeProgress(counts(1, 1, 400, 300), 0, 4000)).toMatch(/^\[#{20}\] /)
  })
})

describe('formatDuration', () => {
  it('says durations as a person would', () => {
    expect(formatDuration(0.2)).toBe('1 s')
    expect(formatDuration(59.6)).toBe('60 s')
    expect(formatDuration(600)).toBe('10 min')
    expect(formatDuration(3 * 3600 + 20 * 60)).toBe('3 h 20 min')
    expect(formatDuration(2 * 3600)).toBe('2 h')
  })
})

describe('formatBytes', () => {
  it('rounds bytes to whole numbers and larger units to two or one decimals', () => {
    expect(formatBytes(1.7985611510791366)).toBe('2 B')
    expect(formatBytes(999)).toBe('999 B')
    expect(formatBytes(1500)).toBe('1.50 KB')
    expect(formatBytes(34.5e6)).toBe('34.5 MB')
  })
})

describe('progressLine', () => {
  it('writes nothing when disabled (not a terminal, or --json)', () => {
    const written: string[] = []
    const stream = {write: (s: string) => written.push(s), columns: 40} as unknown as NodeJS.WriteStream
    const line = progressLine(stream, false)
    line.update('x')
    line.done()
    expect(written).toEqual([])
  })

  it('redraws one line, at most every 100 ms, cut to the terminal width, and clears it when done', () => {
    const written: string[] = []
    const stream = {write: (s: string) => written.push(s), columns: 12} as unknown as NodeJS.WriteStream
    const line = progressLine(stream, true)
    line.update('a very long progress line')
    line.update('dropped: too soon')
    line.done()
    expect(written).toEqual(['\ra very long', `\r${' '.repeat(11)}\r`])
  })
})

describe('progressLine on a terminal that reports no size', () => {
  it('draws 80 columns wide when the terminal says 0 (script without a size), and clears without failing', () => {
    const written: string[] = []
    const stream = {write: (s: string) => written.push(s), columns: 0} as unknown as NodeJS.WriteStream
    const line = progressLine(stream, true)
    line.update('x'.repeat(100))
    line.done()
    expect(written).toEqual([`\r${'x'.repeat(79)}`, `\r${' '.repeat(79)}\r`])
  })
})
