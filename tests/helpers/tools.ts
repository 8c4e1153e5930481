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

/** The checkers the shared tools folder holds, and where in it. */
const SHARED_COPIES: Partial<Record<string, string>> = {'bagit.py': join('bagit', 'bagit.py'), 'case-validate': join('case-validate', 'case-validate')}

/**
 * The path of a checker (`bagit.py`; `case-validate`, CASE/UCO's SHACL shapes and terms; `7z`,
 * Debian package p7zip-full; `age` and `age-keygen`, Debian package age; both packages .ci/run
 * installs), or undefined; throws under CI=true when it is missing.
 */
export function checker(name: 'bagit.py' | 'case-validate' | '7z' | 'age' | 'age-keygen'): string | undefined {
  const onPath = spawnSync('sh', ['-c', `command -v ${name}`], {encoding: 'utf8'}).stdout.trim()
  const sharedPath = SHARED_COPIES[name]
  const found = onPath || (sharedPath === undefined ? undefined : SHARED.map((dir) => join(dir, sharedPath)).find((path) => existsSync(path)))
  if (found) return found
  if (process.env.CI === 'true') throw new Error(`${name} is missing (not on PATH, nor in ../shared/tools): CI needs it`)
  console.warn(`${name} is not installed (not on PATH, nor in ../shared/tools): the steps that need it are skipped`)
  return undefined
}
