/**
 * The independent checkers a court's expert would run (../shared/tools/README.md): found on PATH,
 * or in the team's shared tools folder beside the project. Outside this team's machines they may
 * be absent: a test then skips with a message, but under CI=true a missing checker fails the run.
 */
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {ROOT} from './cli.js'

const SHARED = [join(ROOT, '..', 'shared', 'tools'), '/work/shared/tools']

/**
 * The path of a checker (`bagit.py`; `7z`, Debian package p7zip-full; `age` and `age-keygen`,
 * Debian package age; both packages .ci/run installs), or undefined; throws under CI=true when it
 * is missing.
 */
export function checker(name: 'bagit.py' | '7z' | 'age' | 'age-keygen', sharedPath = join('bagit', 'bagit.py')): string | undefined {
  const onPath = spawnSync('sh', ['-c', `command -v ${name}`], {encoding: 'utf8'}).stdout.trim()
  const found = onPath || (name !== 'bagit.py' ? undefined : SHARED.map((dir) => join(dir, sharedPath)).find((path) => existsSync(path)))
  if (found) return found
  if (process.env.CI === 'true') throw new Error(`${name} is missing (not on PATH, nor in ../shared/tools): CI needs it`)
  console.warn(`${name} is not installed (not on PATH, nor in ../shared/tools): the steps that need it are skipped`)
  return undefined
}
