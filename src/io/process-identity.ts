/**
 * Whether a process that left a note of its work is still running. A pid alone is not enough: once
 * the process is gone, the system gives its number to another. On Linux a process is also known
 * by the boot it runs in and the clock tick it started at (proc(5): /proc/sys/kernel/random/boot_id,
 * and field 22, starttime, of /proc/PID/stat), which no later process shares.
 */
import {readFileSync} from 'node:fs'
import {errnoOf} from '../errors.js'

/** "<boot id> <start tick>" of a running process, or null where /proc cannot tell (not Linux). */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = fields[22 - 3]
    if (ticks === undefined || !/^\d+$/.test(ticks)) return null
    return `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${ticks}`
  } catch {
    return null
  }
}

/**
 * Is the process `pid`, which started at `start` (from processStart), still running? When in
 * doubt (its start cannot be read, or was not known), a live pid counts as running.
 */
export function isProcessRunning(pid: number, start: string | null): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    // Signal 0 checks only that the process exists (kill(2)); EPERM: it exists, as another user's.
    process.kill(pid, 0)
  } catch (error) {
    if (errnoOf(error) !== 'EPERM') return false
  }

  if (start === null) return true
  const now = processStart(pid)
  return now === null || now === start
}
