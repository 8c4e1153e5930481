/**
 * No ExifTool left behind (issue 18): a custody killed mid-ingest by SIGKILL, which gives it no
 * chance to end its ExifTool processes, must not leave them running (they would poll their closed
 * stdin for ever, using CPU). Each must be gone a few seconds later.
 */
import {spawn, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, caseEnv, newCase} from '../helpers/cli.js'

let kase: {dir: string; remove: () => void}
let photos: string

beforeAll(async () => {
  kase = await newCase()
  photos = join(kase.dir, '..', 'card')
  mkdirSync(photos)
  // Enough files that ExifTool is busy for several seconds.
  for (let i = 0; i < 2000; i++) writeFileSync(join(photos, `f${String(i).padStart(4, '0')}.bin`), randomBytes(4096))
})
afterAll(() => kase.remove())

/** The processes whose parent is `pid`, with their command lines. */
function childrenOf(pid: number): Array<{pid: number; args: string}> {
  const ps = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], {encoding: 'utf8'})
  return ps.stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .flatMap((m) => (m ? [{pid: Number(m[1]), args: m[2]!}] : []))
}

/** Running: it exists and is not a zombie (an ended process its new parent has not reaped). */
function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`
  if (!existsSync(stat)) return false
  try {
    return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z'
  } catch {
    return false
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('ExifTool, when custody is killed', () => {
  it.runIf(process.platform === 'linux')('ends within seconds of a SIGKILL of custody mid-ingest', async () => {
    const child = spawn(process.execPath, [BIN, 'ingest', photos, '--recursive', '--case', kase.dir], {stdio: 'ignore', env: caseEnv(kase.dir)})
    let exiftools: number[] = []
    for (let waited = 0; exiftools.length === 0; waited += 100) {
      if (waited > 60_000) throw new Error('custody never started ExifTool')
      await sleep(100)
      exiftools = childrenOf(child.pid!).filter((c) => c.args.includes('exiftool')).map((c) => c.pid)
    }

    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    let left = exiftools
    for (let waited = 0; left.length > 0 && waited < 10_000; waited += 250) {
      await sleep(250)
      left = left.filter(running)
    }

    // On failure, end them here: a failing test must not leave them running either.
    for (const pid of left) process.kill(pid, 'SIGKILL')
    expect(left, `ExifTool processes ${exiftools.join(', ')} still running 10 s after custody was killed`).toEqual([])
  })
})
