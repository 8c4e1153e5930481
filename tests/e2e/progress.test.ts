/**
 * The progress line of `custody ingest` on a terminal (issue 18): it moves within a large file, its
 * rates are rounded with units, and it guesses no absurd time left at the start. Run under
 * `script`, which gives the CLI a real terminal and records every redraw.
 */
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {closeSync, openSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, caseEnv, newCase} from '../helpers/cli.js'

const MiB = 1024 * 1024
let kase: {dir: string; remove: () => void}
let big: string

beforeAll(async () => {
  kase = await newCase()
  big = join(kase.dir, '..', 'recording.bin')
  const fd = openSync(big, 'w')
  const block = randomBytes(MiB)
  for (let i = 0; i < 256; i++) {
    block[0] = i
    writeSync(fd, block)
  }
  closeSync(fd)
})
afterAll(() => kase.remove())

/** Each line the progress display drew, in order (it redraws one line with carriage returns). */
function frames(output: string): string[] {
  return output
    .split(/[\r\n]+/)
    .map((frame) => frame.trim())
    .filter((frame) => frame.startsWith('['))
}

describe('the progress line of ingest, on a terminal', () => {
  it('moves while one large file is read, with rounded rates and no absurd time left', () => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ingest ${JSON.stringify(big)} --case ${JSON.stringify(kase.dir)}`
    const run = spawnSync('script', ['-q', '-e', '-c', command, '/dev/null'], {env: {...caseEnv(kase.dir), COLUMNS: '200'}, encoding: 'utf8', timeout: 120_000})
    expect(run.status, run.stdout).toBe(0)
    const drawn = frames(run.stdout)
    // Within the file: drawn while no file was done yet, with the bytes read so far.
    const within = drawn.filter((frame) => frame.includes(' 0/1 files, ') && !frame.includes(' 0 B/'))
    expect(new Set(within).size, drawn.join('\n')).toBeGreaterThanOrEqual(2)
    for (const frame of drawn) {
      // No "1.7985611510791366 B/s": at most two decimals anywhere.
      expect(frame).not.toMatch(/\d\.\d{3,}/)
      const left = /about (\d+) (s|min|h)/.exec(frame)
      // A 256 MiB file on any machine that runs these tests: never hours.
      if (left) expect(left[2], frame).not.toBe('h')
    }
  })
})
