/**
 * A mistyped command (`custody ingset`): custody names the nearest command and exits 2, as for any
 * other wrong usage. At a terminal, @oclif/plugin-not-found asks "Did you mean ingest?" and runs
 * that command on yes. Anywhere else (a script, a pipe, cron, --json) nothing is asked: the
 * suggestion is in the error message, so that no script ever waits for an answer.
 *
 * The plugin is used from here rather than listed among the oclif plugins: on its own it exits 127,
 * outside custody's exit codes, and without a terminal it names no suggestion.
 */
import {Errors, type Hook, type Interfaces} from '@oclif/core'

const hook: Hook.CommandNotFound = async function (options) {
  const {config, id} = options
  const atTerminal = process.stdin.isTTY && process.stdout.isTTY && !(options.argv ?? []).includes('--json')
  if (atTerminal) {
    const {default: askDidYouMean} = await import('@oclif/plugin-not-found')
    try {
      return await askDidYouMean.call(this, options)
    } catch (error) {
      // Declined, or not answered within its 10 seconds.
      if (error instanceof Errors.CLIError && error.oclif.exit === 127) throw new Errors.CLIError(error.message, {exit: 2})
      throw error
    }
  }

  const bin = config.bin
  // Command IDs as typed: `testimony add`, not oclif's `testimony:add`.
  const typed = (commandId: string): string => commandId.replaceAll(':', config.topicSeparator)
  const nearest = nearestCommand(id, config)
  const suggestion = nearest === undefined ? '' : ` Did you mean \`${bin} ${typed(nearest)}\`?`
  // One unwrapped line, as custody's own errors (commands/_base.ts): scripts grep it.
  process.stderr.write(`Error: \`${bin} ${typed(id)}\` is not a ${bin} command.${suggestion} Run \`${bin} help\` for the list of commands.\n`)
  throw Object.assign(new Errors.CLIError(`unknown command ${id}`, {exit: 2}), {skipOclifErrorHandling: true})
}

export default hook

/**
 * The visible command whose ID is fewest edits from what was typed, if close enough to be a
 * typing slip: at most 2 edits, or a third of the typed ID's length for long IDs.
 */
function nearestCommand(typed: string, config: Interfaces.Config): string | undefined {
  let best: {id: string; distance: number} | undefined
  for (const command of config.commands) {
    if (command.hidden) continue
    for (const id of [command.id, ...command.aliases]) {
      const distance = editDistance(typed, id)
      if (best === undefined || distance < best.distance) best = {id, distance}
    }
  }

  return best !== undefined && best.distance <= Math.max(2, Math.floor(typed.length / 3)) ? best.id : undefined
}

/**
 * Insertions, deletions, substitutions and swaps of two neighbouring characters (the commonest
 * typing slip, `ingset`) needed to turn one string into the other: the optimal string alignment
 * distance, row by row.
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = []
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let distance = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, before[j - 2]! + 1)
      current.push(distance)
    }

    before = previous
    previous = current
  }

  return previous[b.length]!
}
