/**
 * Who else on the computer can read the case. custody makes `.custody` and every folder in it
 * 0700 and every file 0600 (vault objects 0400), whatever the umask (io/files.ts); cases made by
 * earlier versions under umask 022 have 0755 and 0644, and anyone can chmod a file. `custody
 * verify` warns, without failing, when any folder or file in `.custody` grants the group or
 * others anything (a mode bit of 077): the ledger and vault name witnesses and hold their
 * statements.
 */
import {lstatSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {messageOf} from '../errors.js'
import {plural} from '../render/text.js'

/** How many paths a warning names; the rest are counted. */
const NAMED = 10

/**
 * Every folder and file in `dataDir` (itself included) that the group or others may use, folder by
 * folder from the top, so the first named are the ones nearest it. Synchronous calls: a case of
 * 200,000 exhibits has 400,000 vault objects, and each lstat(2) takes microseconds where a trip
 * through libuv's thread pool would cost far more.
 */
export function widePermissions(dataDir: string): {count: number; named: Array<{path: string; mode: number}>; problems: string[]} {
  const found = {count: 0, named: [] as Array<{path: string; mode: number}>, problems: [] as string[]}
  const look = (path: string): boolean => {
    const stat = lstatSync(path)
    if (stat.isSymbolicLink()) return false
    const mode = stat.mode & 0o7777
    if ((mode & 0o077) !== 0) {
      found.count++
      if (found.named.length < NAMED) found.named.push({path, mode})
    }

    return stat.isDirectory()
  }

  const folders = [dataDir]
  try {
    if (!look(dataDir)) return found
  } catch (error) {
    found.problems.push(`the modes of ${dataDir} could not be checked: ${messageOf(error)}`)
    return found
  }

  for (let folder = folders.shift(); folder !== undefined; folder = folders.shift()) {
    try {
      for (const name of readdirSync(folder).sort()) {
        const path = join(folder, name)
        if (look(path)) folders.push(path)
      }
    } catch (error) {
      found.problems.push(`the modes of the files in ${folder} could not be checked: ${messageOf(error)}`)
    }
  }

  return found
}

/** `custody verify`'s warning about them, naming paths, modes, and what to run. */
export function permissionWarnings(dataDir: string): string[] {
  const {count, named, problems} = widePermissions(dataDir)
  if (count === 0) return problems
  const listed = named.map((n) => `${n.path} (${n.mode.toString(8).padStart(4, '0')})`).join(', ')
  const more = count > named.length ? `, and ${count - named.length} more` : ''
  return [
    `${plural(count, 'file or folder', 'files or folders')} in ${dataDir} are open to other users of this computer (their modes give the group or others access): ${listed}${more}. The case names witnesses: run \`chmod -R go-rwx ${dataDir}\``,
    ...problems,
  ]
}
