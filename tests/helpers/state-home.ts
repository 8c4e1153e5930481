/**
 * vitest's global setup: the state folder the whole test run uses as $XDG_STATE_HOME (where custody
 * keeps the newest checkpoint of every case it writes), made before the tests and removed after.
 * vitest.config.ts names it after this process, which loads both.
 */
import {mkdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const folder = join(tmpdir(), `custody-test-state-${process.pid}`)

export function setup(): () => void {
  mkdirSync(folder, {recursive: true, mode: 0o700})
  return () => rmSync(folder, {recursive: true, force: true})
}
