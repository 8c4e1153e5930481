/**
 * oclif's errors of the command line, as custody's usage errors (exit 2, src/errors.ts): each with
 * its code, a message in custody's words (one line, naming the flag or argument and where its help
 * is) and the flag, argument or value concerned as its subject, so that --json gives them as it
 * gives every other error.
 *
 * oclif does not export its parser's error classes (@oclif/core lib/parser/errors.js, and
 * lib/parser/validate.js for the reasons of FailedFlagValidationError): they are told apart by
 * class name, and what they do not keep as fields is read from their messages.
 * tests/unit/parse-errors.test.ts runs oclif's own parser to keep this true of the oclif installed.
 */
import {CustodyError, type CustodyErrorCode} from '../src/errors.js'
import {nearest} from '../src/render/nearest.js'

/** A command as its errors name it: `custody log`, and its flags and arguments. */
export interface CommandShape {
  /** The command as typed: `custody checkpoint export`. */
  readonly typed: string
  readonly flags?: {readonly [name: string]: {readonly helpValue?: unknown; readonly description?: string | undefined}} | undefined
  readonly args?: {readonly [name: string]: {readonly options?: readonly string[] | undefined}} | undefined
}

type ParseError = Error & {flags?: unknown; args?: unknown; oclif?: {exit?: number}}

// eslint-disable-next-line no-control-regex -- oclif colours some reasons; the message keeps none
const COLOURS = /\u001B\[[0-9;]*m/g

/** The text of an oclif parse error, without its colours and the "See more help" line it ends with. */
function textOf(error: Error): string {
  return error.message.replaceAll(COLOURS, '').replace(/\s*See more help with --help\s*$/, '')
}

/** How help shows an argument: `SETTING`. */
function argName(name: string): string {
  return name.toUpperCase()
}

/** A flag as a message shows it, with what it takes: `--out FILE`. */
function flagWithValue(command: CommandShape, name: string): string {
  const takes = command.flags?.[name]?.helpValue
  return typeof takes === 'string' ? `--${name} ${takes}` : `--${name}`
}

function usage(code: CustodyErrorCode, message: string, subject: string): CustodyError {
  return new CustodyError(code, message, {subject, field: null})
}

/** One reason of oclif's flag validation (lib/parser/validate.js) in custody's words, with the flag it is about. */
function reason(text: string): {said: string; flag: string | undefined} {
  const flag = /--[a-z][\w-]*/.exec(text)?.[0]
  let match = /^(--[\w-]+)(?:=.*)? cannot also be provided when using (--[\w-]+)$/s.exec(text)
  if (match !== null) return {said: `${[match[1]!, match[2]!].sort().join(' and ')} cannot be given together`, flag}
  match = /^(Exactly|At least) one of the following must be provided: (.*)$/s.exec(text)
  if (match !== null) return {said: `give ${match[1]!.toLowerCase()} one of ${match[2]!}`, flag}
  match = /^(All|One) of the following must be provided when using (--[\w-]+): (.*)$/s.exec(text)
  if (match !== null) return {said: `${match[2]!} needs ${match[1] === 'All' ? '' : 'one of '}${match[3]!} too`, flag: match[2]}
  return {said: text, flag}
}

/** The reasons of a FailedFlagValidationError or ViolatedFlagConstraintError, one a line after its first. */
function flagValidation(command: CommandShape, error: Error): CustodyError {
  const reasons = textOf(error)
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line !== '')
  const missing = reasons.map((text) => /^Missing required flag (\S+)$/.exec(text)?.[1])
  const help = `run \`${command.typed} --help\` for its flags`
  if (missing.every((name) => name !== undefined) && missing.length > 0) {
    const flags = missing.map((name) => flagWithValue(command, name))
    return usage('MISSING_ARGUMENT', `\`${command.typed}\` needs ${flags.join(' and ')}; ${help}`, `--${missing[0]}`)
  }

  const said = reasons.map(reason)
  return usage('USAGE', `${[...new Set(said.map((r) => r.said))].join('; ')}; ${help}`, said[0]?.flag ?? command.typed)
}

/** An argument's value outside its choices: which argument, told by its choices (oclif names only the value). */
function argOption(command: CommandShape, value: string, choices: string): CustodyError {
  const arg = Object.entries(command.args ?? {}).find(([, spec]) => spec.options?.join(', ') === choices)?.[0]
  const name = arg === undefined ? 'the argument' : argName(arg)
  return usage('INVALID_ARGUMENT', `${name} must be one of: ${choices}; got ${JSON.stringify(value)}`, arg === undefined ? value : argName(arg))
}

/** What a plain CLIError of the parser says (lib/parser/parse.js), if it is one. */
function parserMessage(command: CommandShape, text: string): CustodyError | undefined {
  let match = /^Flag --([\w-]+) expects (?:a value|one of these values: (.*))$/.exec(text)
  if (match !== null) {
    const choices = match[2] === undefined ? '' : ` (one of: ${match[2]})`
    return usage('MISSING_ARGUMENT', `${flagWithValue(command, match[1]!)} needs a value${choices}`, `--${match[1]!}`)
  }

  match = /^Flag --([\w-]+) can only be specified once$/.exec(text)
  if (match !== null) return usage('USAGE', `--${match[1]!} can be given only once`, `--${match[1]!}`)
  match = /^Expected --([\w-]+)=(.*) to be one of: (.*)$/s.exec(text)
  if (match !== null) return usage('INVALID_ARGUMENT', `--${match[1]!} must be one of: ${match[3]!}; got ${JSON.stringify(match[2]!)}`, `--${match[1]!}`)
  match = /^Expected (.*) to be one of: (.*)$/s.exec(text)
  if (match !== null) return argOption(command, match[1]!, match[2]!)
  // A flag's own parse function refused the value (Flags.integer: "Expected an integer…").
  match = /^Parsing --([\w-]+)\s*\n\t(.*)$/s.exec(text)
  if (match !== null) return usage('INVALID_ARGUMENT', `--${match[1]!}: ${match[2]!.charAt(0).toLowerCase()}${match[2]!.slice(1)}`, `--${match[1]!}`)
  return undefined
}

/**
 * ` (did you mean --since?)` when the first unknown flag is a typing slip of one the command takes:
 * one edit in a name of up to 5 letters, two in a longer one.
 */
function meant(command: CommandShape, flags: readonly string[]): string {
  const typed = flags[0]
  if (typed === undefined || !typed.startsWith('--')) return ''
  const name = typed.slice(2)
  const suggestion = nearest(name, Object.keys(command.flags ?? {}), name.length <= 5 ? 1 : 2)
  return suggestion === undefined ? '' : ` (did you mean ${flagWithValue(command, suggestion)}?)`
}

/** Arguments given to a command beyond those it takes (`typed` is the command as typed: `custody status`). */
export function unexpectedArguments(typed: string, extra: readonly string[]): CustodyError {
  const quoted = extra.map((a) => JSON.stringify(a)).join(', ')
  return usage('UNEXPECTED_ARGUMENT', `\`${typed}\` takes fewer arguments: ${quoted} ${extra.length === 1 ? 'is' : 'are'} one too many; run \`${typed} --help\` for what it takes`, extra[0] ?? typed)
}

/**
 * The usage error that an error of oclif's command line stands for, or undefined when `error` is
 * not one (it is then the command's own).
 */
export function parseError(command: CommandShape, error: unknown): CustodyError | undefined {
  if (!(error instanceof Error)) return undefined
  const parse = error as ParseError
  const help = `run \`${command.typed} --help\``
  switch (error.constructor.name) {
    case 'NonExistentFlagsError': {
      const flags = (Array.isArray(parse.flags) ? parse.flags : []).map((flag) => String(flag).replace(/=.*$/s, ''))
      return usage('UNKNOWN_FLAG', `\`${command.typed}\` has no flag ${flags.join(', ')}${meant(command, flags)}; ${help} for the flags it takes`, flags[0] ?? command.typed)
    }

    case 'UnexpectedArgsError':
      return unexpectedArguments(command.typed, (Array.isArray(parse.args) ? parse.args : []).map(String))

    case 'RequiredArgsError': {
      const names = (Array.isArray(parse.args) ? (parse.args as Array<{name?: unknown}>) : []).map((arg) => argName(String(arg.name)))
      return usage('MISSING_ARGUMENT', `\`${command.typed}\` needs ${names.join(' and ')}; ${help} for what it takes`, names[0] ?? command.typed)
    }

    case 'FailedFlagValidationError':
    case 'ViolatedFlagConstraintError':
      return flagValidation(command, error)
    default:
      // A CLIError of the parser, or the error of a flag's own parse function (oclif prefixes its message).
      return parse.oclif === undefined && !error.message.startsWith('Parsing --') ? undefined : parserMessage(command, textOf(error))
  }
}
