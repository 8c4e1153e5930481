/**
 * A seal's note in .custody/seals/ is read as hostile input: anyone with write access to the case
 * can write one, and custody removes the files a note names. Only a seal's own temporary names
 * beside a .zip may be named. And a pid alone does not say that a process still runs.
 */
import {spawnSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {isProcessRunning, processStart} from '../../src/io/process-identity.js'
import {parseSealIntent, partialPathFor} from '../../src/seal/seal-intent.js'

const PID = 4242
const TOKEN = '0badc0de'
const OUT = '/cases/exports/for-court.zip'
const note = (fields: Record<string, unknown> = {}): string =>
  JSON.stringify({
    type: 'custody-seal-intent',
    version: 1,
    pid: PID,
    processStart: null,
    out: OUT,
    partial: partialPathFor(OUT, PID, TOKEN),
    startedAt: '2026-12-01T10:00:00.000Z',
    state: 'writing',
    ...fields,
  })
const recording = {id: 'SEAL-0123456789abcdef', sha256: 'ab'.repeat(32), size: 1000, fromSeq: 12}

describe('a seal note', () => {
  it('names the temporary archive beside --out, from the pid and token of its own file name', () => {
    expect(partialPathFor(OUT, PID, TOKEN)).toBe('/cases/exports/.for-court.zip.4242-0badc0de.partial')
    expect(parseSealIntent(note(), PID, TOKEN)).toMatchObject({state: 'writing', out: OUT, partial: '/cases/exports/.for-court.zip.4242-0badc0de.partial'})
    expect(parseSealIntent(note({state: 'recording', seal: recording}), PID, TOKEN)).toMatchObject({state: 'recording', seal: recording})
  })

  const hostile: Array<[string, string, RegExp]> = [
    ['not JSON', '{"type":', /is not JSON/],
    ['another kind of file', JSON.stringify({type: 'custody-checkpoint/v1'}), /not a version 1 seal note/],
    ['a temporary file that is some other file', note({partial: '/home/investigator/notes.txt'}), /names a temporary file other than/],
    ['a temporary file in another folder', note({partial: '/tmp/.for-court.zip.4242-0badc0de.partial'}), /names a temporary file other than/],
    ['another seal’s temporary file', note({partial: partialPathFor(OUT, PID, 'ffffffff')}), /names a temporary file other than/],
    ['a relative archive', note({out: 'exports/for-court.zip', partial: partialPathFor('exports/for-court.zip', PID, TOKEN)}), /not an absolute path/],
    ['an archive path with ..', note({out: '/cases/exports/../../etc/x.zip', partial: partialPathFor('/cases/exports/../../etc/x.zip', PID, TOKEN)}), /not an absolute path/],
    ['an archive that is not a .zip', note({out: '/etc/passwd', partial: partialPathFor('/etc/passwd', PID, TOKEN)}), /not an absolute path to a \.zip/],
    ['another pid than its name', note({pid: 1}), /names pid 1, not the 4242/],
    ['an unknown state', note({state: 'published'}), /unknown state/],
    ['recording without the archive', note({state: 'recording'}), /does not say which/],
    ['recording a bad digest', note({state: 'recording', seal: {...recording, sha256: 'xyz'}}), /does not say which/],
    ['a processStart that is not one', note({processStart: 42}), /unreadable processStart/],
  ]
  it.each(hostile)('refuses %s', (_what, text, problem) => {
    expect(parseSealIntent(text, PID, TOKEN)).toMatch(problem)
  })

  it('refuses pid 0 and negative pids, which kill(2) reads as process groups', () => {
    for (const pid of [0, -1]) expect(parseSealIntent(note({pid, partial: partialPathFor(OUT, pid, TOKEN)}), pid, TOKEN)).toMatch(/names pid/)
  })
})

describe('whether a process still runs', () => {
  it('knows this process, by pid and start, and not a process that reused its pid', () => {
    const start = processStart(process.pid)
    expect(start).toMatch(/^[0-9a-f-]+ \d+$/)
    expect(isProcessRunning(process.pid, start)).toBe(true)
    expect(isProcessRunning(process.pid, null)).toBe(true)
    expect(isProcessRunning(process.pid, `${start!.split(' ')[0]} 1`)).toBe(false)
  })

  it('knows a process that has ended, and never asks about pid 0 or a group', () => {
    const ended = spawnSync('sh', ['-c', 'echo $$'], {encoding: 'utf8'})
    const pid = Number(ended.stdout.trim())
    expect(isProcessRunning(pid, null)).toBe(false)
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(isProcessRunning(pid, null)).toBe(false)
  })
})
