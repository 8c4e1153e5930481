/**
 * A mistyped command (`custody ingset`): custody names the nearest command and exits 2, as for any
 * other wrong usage. At a terminal, @oclif/plugin-not-found asks "Did you mean ingest?" and runs
 * that command on yes. Anywhere else (a script, a pipe, cron, --json) nothing is asked: the
 * suggestion is in the error message, so that no script ever waits for an answer.
 *
 * The plugin is used from here rather than listed among the oclif plugins: on its own it exits 127,
 * outside custody's exit codes, and without a terminal it names no suggestion. It is also given the
 * command apart from its arguments: oclif joins every word before the first flag into the ID it
 * could not find (`custody sael EX-1 --out a.zip` is `sael:EX-1`), and the plugin would run `seal`
 * without EX-1, that is, of every exhibit.
 */
import {Errors, type Hook, type Interfaces} from '@oclif/core'
import {CustodyError} from '../src/errors.js'
import {errorDocument} from '../src/render/json-output.js'
import {unexpectedArguments} from '../commands/_parse-errors.js'
import {nearest} from '../src/render/nearest.js'

const hook: Hook.CommandNotFound = async function (options) {
  const {config} = options
  const argv = options.argv ?? []
  const words = options.id.split(':')
  // The longest run of first words that is near a command is the command; the rest are arguments.
  let typed: string[] = []
  let nearest: string | undefined
  for (let n = words.length; n > 0 && nearest === undefined; n--) {
    typed = words.slice(0, n)
    nearest = nearestCommand(typed.join(':'), config)
  }

  // A command given arguments it does not take (`custody status extra`): oclif took them for part of its ID.
  if (nearest === typed.join(':')) fail(unexpectedArguments(shown(config, typed), words.slice(typed.length)), [...words, ...argv], config)
  const atTerminal = process.stdin.isTTY && process.stdout.isTTY && !jsonWanted(argv, config)
  if (nearest !== undefined && atTerminal) {
    const {default: askDidYouMean} = await import('@oclif/plugin-not-found')
    try {
      return await askDidYouMean.call(this, {...options, id: typed.join(':'), argv: [...words.slice(typed.length), ...argv]})
    } catch (error) {
      // Declined, or not answered within its 10 seconds.
      if (error instanceof Errors.CLIError && error.oclif.exit === 127) throw new Errors.CLIError(error.message, {exit: 2})
      throw error
    }
  }

  // Without a suggestion, what was typed up to its first word that is not a topic.
  if (nearest === undefined) typed = words.slice(0, words.findIndex((_, i) => config.findTopic(words.slice(0, i + 1).join(':')) === undefined) + 1 || words.length)
  const bin = config.bin
  const suggestion = nearest === undefined ? '' : ` Did you mean \`${shown(config, nearest.split(':'))}\`?`
  const error = new CustodyError('COMMAND_NOT_FOUND', `\`${shown(config, typed)}\` is not a ${bin} command.${suggestion} Run \`${bin} help\` for the list of commands.`, {
    subject: typed.join(config.topicSeparator),
  })
  fail(error, [...words, ...argv], config)
}

export default hook

/** A command as typed: `custody testimony add`, not oclif's `testimony:add`. */
function shown(config: Interfaces.Config, commandWords: readonly string[]): string {
  return `${config.bin} ${commandWords.join(config.topicSeparator)}`
}

/**
 * Says `error` as custody's own errors are said (commands/_base.ts): with --json one document on
 * stdout, else one unwrapped line on stderr (scripts grep it); and ends the run with its exit code.
 */
function fail(error: CustodyError, typed: readonly string[], config: Interfaces.Config): never {
  if (jsonWanted(typed, config)) process.stdout.write(`${JSON.stringify(errorDocument(error), null, 2)}\n`)
  else process.stderr.write(`Error: ${error.message}\n`)
  throw Object.assign(new Errors.CLIError(error.message, {exit: error.exitCode}), {skipOclifErrorHandling: true})
}

/** Whether --json was asked for, as a command would tell (oclif's Command.jsonEnabled): before any `--`, or by $CUSTODY_CONTENT_TYPE. */
function jsonWanted(argv: readonly string[], config: Interfaces.Config): boolean {
  if (config.scopedEnvVar('CONTENT_TYPE')?.toLowerCase() === 'json') return true
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json')
}

/**
 * The visible command whose ID is fewest edits from what was typed, if close enough to be a typing
 * slip: one edit when the last word typed has up to 5 letters, two in a longer one (`testimony foo`
 * is not a slip of `testimony add`).
 */
function nearestCommand(typed: string, config: Interfaces.Config): string | undefined {
  const ids = config.commands.filter((command) => !command.hidden).flatMap((command) => [command.id, ...command.aliases])
  return nearest(typed, ids, typed.split(':').at(-1)!.length <= 5 ? 1 : 2)
}
