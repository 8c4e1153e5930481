/**
 * Putting a finished archive at --out: the last step of a seal, after its `seal` event is
 * recorded, and the whole of `custody seal --finish`.
 */
import {link, rename, rm} from 'node:fs/promises'
import {dirname} from 'node:path'
import {errnoOf} from '../errors.js'
import {fsyncFolder} from '../io/files.js'

/**
 * Puts the archive `temp` at `out`, durably. With `force` a rename replaces what is there; without
 * it a hard link, which fails on an existing name, so nothing is ever replaced: then it returns
 * false and leaves `temp` where it is (the archive may already be recorded: it must not be lost).
 */
export async function publishArchive(temp: string, out: string, force: boolean): Promise<boolean> {
  if (force) {
    await rename(temp, out)
  } else {
    try {
      await link(temp, out)
    } catch (error) {
      if (errnoOf(error) === 'EEXIST') return false
      throw error
    }

    await rm(temp, {force: true})
  }

  await fsyncFolder(dirname(out))
  return true
}
