/**
 * The scratch files this process holds open (src/io/scratch-db.ts): each is unlinked from the
 * start, so it is found only through /proc/self/fd, as a link whose target is "<scratch folder>/...
 * (deleted)". Linux only, as the tests that search those files for plaintext are.
 */
import {readdirSync, readlinkSync} from 'node:fs'
import {scratchFolder} from '../../src/io/scratch-db.js'

/** A /proc/self/fd path for each open scratch file: read or stat it while the work still holds it. */
export function openScratchFiles(): string[] {
  const paths: string[] = []
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      continue // the fd readdir itself held
    }

    if (target.startsWith(`${scratchFolder()}/`) && target.endsWith(' (deleted)')) paths.push(`/proc/self/fd/${fd}`)
  }

  return paths
}
