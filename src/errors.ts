/**
 * One error type for the whole core, with a code per failure kind.
 *
 * Every message says what happened, to which file, exhibit or event, and what to do next.
 * `exitCode` follows the documented contract: 1 some work failed, 2 wrong usage,
 * 3 an integrity check failed.
 *
 * The core is used by the command line and by the interview, so it never names a flag: a message
 * about an input names the field in words ("the witness code must be…"), written with `said`, and
 * commands/ name the flag that gives the field instead (`--witness must be…`).
 */

export type UsageErrorCode =
  | 'USAGE'
  | 'CASE_NOT_FOUND'
  | 'CASE_EXISTS'
  | 'EXHIBIT_NOT_FOUND'
  | 'INVALID_ARGUMENT'
  | 'PASSPHRASE_MISSING'
  | 'WRONG_PASSPHRASE'
  | 'CONSENT_REFUSED'
  | 'IDENTIFYING_CONTENT'
  | 'MANIFEST_INVALID'

export type InputErrorCode =
  | 'INPUT_MISSING'
  | 'INPUT_IS_FOLDER'
  | 'INPUT_NOT_REGULAR'
  | 'INPUT_UNREADABLE'
  | 'INPUT_EMPTY'
  | 'INPUT_CHANGED'
  | 'INPUT_BROKEN_SYMLINK'

export type StorageErrorCode = 'DISK_FULL' | 'COPY_MISMATCH' | 'STORAGE_FAILED' | 'INTERRUPTED'

export type LedgerErrorCode = 'LEDGER_UNREADABLE' | 'LEDGER_BUSY' | 'LEDGER_APPEND_REFUSED' | 'CANONICAL_JSON'

export type KeyErrorCode = 'KEY_UNREADABLE'

export type TimestampErrorCode = 'TSA_UNAVAILABLE' | 'TIMESTAMP_INVALID'

/** Work refused so that nothing is lost unseen: exit 1, as a failure, until it is asked for explicitly. */
export type ChoiceErrorCode = 'TESTIMONY_LEFT_OUT'

export type IntegrityErrorCode = 'INTEGRITY'

export type CustodyErrorCode = UsageErrorCode | InputErrorCode | StorageErrorCode | LedgerErrorCode | KeyErrorCode | TimestampErrorCode | ChoiceErrorCode | IntegrityErrorCode

const USAGE_CODES: ReadonlySet<CustodyErrorCode> = new Set<UsageErrorCode>([
  'USAGE',
  'CASE_NOT_FOUND',
  'CASE_EXISTS',
  'EXHIBIT_NOT_FOUND',
  'INVALID_ARGUMENT',
  'PASSPHRASE_MISSING',
  'WRONG_PASSPHRASE',
  'CONSENT_REFUSED',
  'IDENTIFYING_CONTENT',
  'MANIFEST_INVALID',
])

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  integrity: 3,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/**
 * An input field, as a message names it: `name` is the field of the core's input (`witness`,
 * `interviewedAt`, `out`), `words` how the core says it ("the witness code"). `given` marks a
 * mention that asks for the field to be given (`give --tsa URL`): a command adds what its flag takes.
 */
export interface Field<Name extends string = string> {
  readonly name: Name
  readonly words: string
  readonly given?: true
}

/** The fields of an input, each with its words: `fields({out: 'the output file'}).out`. */
export function fields<const Words extends {readonly [name: string]: string}>(words: Words): {readonly [Name in keyof Words & string]: Field<Name>} {
  return Object.fromEntries(Object.entries(words).map(([name, said]) => [name, {name, words: said}])) as {readonly [Name in keyof Words & string]: Field<Name>}
}

/** The field, as a message that asks for it to be given names it: `give ${given(TSA)}`. */
export function given<Name extends string>(field: Field<Name>): Field<Name> {
  return {...field, given: true}
}

/** A message as its text and the fields it names, in order. */
export type Said = ReadonlyArray<string | Field>

/** A message that names fields: said`${OUT} must name a .zip file`; a Said put in it is spliced in. */
export function said(strings: TemplateStringsArray, ...values: ReadonlyArray<string | number | Field | Said>): Said {
  return strings.flatMap((text, i) => {
    const value = values[i]
    if (i === strings.length - 1 || value === undefined) return [text]
    if (typeof value !== 'object') return [text, String(value)]
    return 'words' in value ? [text, value] : [text, ...value]
  })
}

/** The message with each field named by `name`: in the core's words, unless a command names its flags. */
export function sayWith(message: Said, name: (field: Field) => string = (field) => field.words): string {
  return message.map((part) => (typeof part === 'string' ? part : name(part))).join('')
}

export class CustodyError extends Error {
  override readonly name = 'CustodyError'
  readonly code: CustodyErrorCode
  /** The file, exhibit or event the error is about, when there is one. */
  readonly subject: string | undefined
  /** What is wrong, for --json, when the message can only summarise (a manifest's bad rows): the first of them. */
  readonly problems: ReadonlyArray<{line: number; message: string}> | undefined
  /** How many problems there are in all, when `problems` lists only the first of them. */
  readonly problemCount: number | undefined
  /** The message with the fields it names; `message` says them in words. */
  readonly said: Said
  /** The input field the error is about: `options.field`, or the first its message names (null: none of them). */
  readonly field: string | undefined

  constructor(
    code: CustodyErrorCode,
    message: string | Said,
    options: {cause?: unknown; subject?: string; field?: string | null; problems?: ReadonlyArray<{line: number; message: string}>; problemCount?: number} = {},
  ) {
    super(typeof message === 'string' ? message : sayWith(message), options.cause === undefined ? undefined : {cause: options.cause})
    this.code = code
    this.subject = options.subject
    this.problems = options.problems
    this.problemCount = options.problemCount
    this.said = typeof message === 'string' ? [message] : message
    this.field = options.field === undefined ? this.said.find((part) => typeof part !== 'string')?.name : (options.field ?? undefined)
  }

  get exitCode(): ExitCode {
    if (this.code === 'INTEGRITY') return EXIT.integrity
    if (USAGE_CODES.has(this.code)) return EXIT.usage
    return EXIT.failed
  }

  toJSON(): {code: CustodyErrorCode; message: string; subject?: string; field?: string; problems?: ReadonlyArray<{line: number; message: string}>; problemCount?: number} {
    return {
      code: this.code,
      message: this.message,
      ...(this.subject === undefined ? {} : {subject: this.subject}),
      ...(this.field === undefined ? {} : {field: this.field}),
      ...(this.problems === undefined ? {} : {problems: this.problems}),
      ...(this.problemCount === undefined ? {} : {problemCount: this.problemCount}),
    }
  }
}

/** The errno code of a Node system error, if it is one. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const {code} = err as {code: unknown}
    if (typeof code === 'string') return code
  }

  return undefined
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
