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
import {getSystemErrorMap} from 'node:util'

/**
 * Wrong usage, exit 2. The first four are the command line's own (commands/_parse-errors.ts, the
 * command-not-found hook): a command that is not custody's, a flag the command does not take, an
 * argument too many, a required argument, flag or flag value left out. USAGE is any other wrong
 * use (flags given together that exclude each other), INVALID_ARGUMENT a value the command cannot
 * take (from oclif's parser: not one of a flag's choices; or from the core), OUTPUT_UNWRITABLE a
 * file to write where none can be written (checkDestination() in src/io/files.ts). WRONG_KEY is
 * an age file that none of the identities given opens (src/age/unwrap.ts): a key to give, not
 * a file to distrust. KEYS_DESTROYED: a passphrase given to a case whose local keys were
 * destroyed (`custody key destroy`): a recipient's identity is what opens it now. CONTENT_LOCKED:
 * content asked for (an encrypted ledger's event bodies) that no key given opens: a key to give.
 */
export type UsageErrorCode =
  | 'COMMAND_NOT_FOUND'
  | 'UNKNOWN_FLAG'
  | 'UNEXPECTED_ARGUMENT'
  | 'MISSING_ARGUMENT'
  | 'USAGE'
  | 'CASE_NOT_FOUND'
  | 'CASE_EXISTS'
  | 'EXHIBIT_NOT_FOUND'
  | 'EXHIBIT_PURGED'
  | 'INVALID_ARGUMENT'
  | 'PASSPHRASE_MISSING'
  | 'WRONG_PASSPHRASE'
  | 'WRONG_KEY'
  | 'CONTENT_LOCKED'
  | 'KEYS_DESTROYED'
  | 'CONSENT_REFUSED'
  | 'IDENTIFYING_CONTENT'
  | 'MANIFEST_INVALID'
  | 'OUTPUT_UNWRITABLE'

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

/**
 * What custody did not foresee, exit 1: a call to the system that failed otherwise than the
 * work's own errors say (SYSTEM_ERROR, from unforeseenError()), or an error in custody itself
 * (INTERNAL). Both are given as any other error, never as the raw Node error.
 */
export type UnforeseenErrorCode = 'SYSTEM_ERROR' | 'INTERNAL'

export type CustodyErrorCode =
  | UsageErrorCode
  | InputErrorCode
  | StorageErrorCode
  | LedgerErrorCode
  | KeyErrorCode
  | TimestampErrorCode
  | ChoiceErrorCode
  | IntegrityErrorCode
  | UnforeseenErrorCode

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  integrity: 3,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/**
 * Every error code with its exit code: the one place that maps them. README ("Error codes") and
 * docs/json/error.schema.json list the same codes (tests/unit/error-codes.test.ts).
 */
export const ERROR_CODES = {
  COMMAND_NOT_FOUND: EXIT.usage,
  UNKNOWN_FLAG: EXIT.usage,
  UNEXPECTED_ARGUMENT: EXIT.usage,
  MISSING_ARGUMENT: EXIT.usage,
  USAGE: EXIT.usage,
  CASE_NOT_FOUND: EXIT.usage,
  CASE_EXISTS: EXIT.usage,
  EXHIBIT_NOT_FOUND: EXIT.usage,
  EXHIBIT_PURGED: EXIT.usage,
  INVALID_ARGUMENT: EXIT.usage,
  PASSPHRASE_MISSING: EXIT.usage,
  WRONG_PASSPHRASE: EXIT.usage,
  WRONG_KEY: EXIT.usage,
  CONTENT_LOCKED: EXIT.usage,
  KEYS_DESTROYED: EXIT.usage,
  CONSENT_REFUSED: EXIT.usage,
  IDENTIFYING_CONTENT: EXIT.usage,
  MANIFEST_INVALID: EXIT.usage,
  OUTPUT_UNWRITABLE: EXIT.usage,
  INPUT_MISSING: EXIT.failed,
  INPUT_IS_FOLDER: EXIT.failed,
  INPUT_NOT_REGULAR: EXIT.failed,
  INPUT_UNREADABLE: EXIT.failed,
  INPUT_EMPTY: EXIT.failed,
  INPUT_CHANGED: EXIT.failed,
  INPUT_BROKEN_SYMLINK: EXIT.failed,
  DISK_FULL: EXIT.failed,
  COPY_MISMATCH: EXIT.failed,
  STORAGE_FAILED: EXIT.failed,
  INTERRUPTED: EXIT.failed,
  LEDGER_UNREADABLE: EXIT.failed,
  LEDGER_BUSY: EXIT.failed,
  LEDGER_APPEND_REFUSED: EXIT.failed,
  CANONICAL_JSON: EXIT.failed,
  KEY_UNREADABLE: EXIT.failed,
  TSA_UNAVAILABLE: EXIT.failed,
  TIMESTAMP_INVALID: EXIT.failed,
  TESTIMONY_LEFT_OUT: EXIT.failed,
  SYSTEM_ERROR: EXIT.failed,
  INTERNAL: EXIT.failed,
  INTEGRITY: EXIT.integrity,
} as const satisfies {readonly [Code in CustodyErrorCode]: ExitCode} & {readonly [Code in UsageErrorCode]: typeof EXIT.usage}

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

/** The receipt `transfer accept` signs for a package it refuses because items failed (src/transfers/refused.ts). */
export interface RefusalReceipt {
  transferId: string
  /** The receipt and its signature, as written beside the package (or at --receipt-out). */
  file: string
  signature: string
  /** The `transfer-refused` event that records it. */
  seq: number
  /** The items that failed, as the receipt names them. */
  failed: string[]
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
  /** A receipt signed although the work was refused (`transfer accept` of a package whose items failed), for --json. */
  readonly receipt: RefusalReceipt | undefined

  constructor(
    code: CustodyErrorCode,
    message: string | Said,
    options: {cause?: unknown; subject?: string; field?: string | null; problems?: ReadonlyArray<{line: number; message: string}>; problemCount?: number; receipt?: RefusalReceipt} = {},
  ) {
    super(typeof message === 'string' ? message : sayWith(message), options.cause === undefined ? undefined : {cause: options.cause})
    this.code = code
    this.subject = options.subject
    this.problems = options.problems
    this.problemCount = options.problemCount
    this.receipt = options.receipt
    this.said = typeof message === 'string' ? [message] : message
    this.field = options.field === undefined ? this.said.find((part) => typeof part !== 'string')?.name : (options.field ?? undefined)
  }

  get exitCode(): ExitCode {
    return ERROR_CODES[this.code]
  }

  toJSON(): {code: CustodyErrorCode; message: string; subject?: string; field?: string; problems?: ReadonlyArray<{line: number; message: string}>; problemCount?: number; receipt?: RefusalReceipt} {
    return {
      code: this.code,
      message: this.message,
      ...(this.subject === undefined ? {} : {subject: this.subject}),
      ...(this.field === undefined ? {} : {field: this.field}),
      ...(this.problems === undefined ? {} : {problems: this.problems}),
      ...(this.problemCount === undefined ? {} : {problemCount: this.problemCount}),
      ...(this.receipt === undefined ? {} : {receipt: this.receipt}),
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

/** A Node system error's parts (errno, syscall and path), if it is one; SQLite's errors count as one of the disk. */
function systemErrorParts(err: unknown): {code: string; description: string; path: string | undefined} | undefined {
  const code = errnoOf(err)
  if (code === undefined || typeof err !== 'object' || err === null) return undefined
  const {errno, syscall, path} = err as {errno?: unknown; syscall?: unknown; path?: unknown}
  const where = typeof path === 'string' ? path : undefined
  if (code.startsWith('SQLITE_')) return {code, description: `SQLite failed: ${messageOf(err)}`, path: where}
  if (typeof errno !== 'number' || typeof syscall !== 'string') return undefined
  // Node's message is `ENOENT: no such file or directory, open '/the/path'`: the words alone.
  const description = getSystemErrorMap().get(errno)?.[1] ?? messageOf(err).replace(/^[A-Z]+: /, '').replace(/, \w+ '.*$/s, '')
  return {code, description, path: where}
}

/**
 * Whatever error no part of custody turned into its own, as a CustodyError: never the raw Node
 * error (errno, syscall and path as fields, or a stack). A system error is SYSTEM_ERROR (a full
 * disk DISK_FULL), in words, with the file it was about as its subject; anything else is a fault
 * in custody (INTERNAL). Both exit 1; the original is kept as `cause`.
 */
export function unforeseenError(err: unknown): CustodyError {
  if (err instanceof CustodyError) return err
  const system = systemErrorParts(err)
  if (system === undefined) {
    return new CustodyError('INTERNAL', `custody failed unexpectedly: ${messageOf(err)}. This is a fault in custody: please report it, with the command that was run`, {cause: err})
  }

  const on = system.path === undefined ? '' : ` (${system.path})`
  const full = system.code === 'ENOSPC' || system.code === 'EDQUOT' || system.code.startsWith('SQLITE_FULL')
  return new CustodyError(
    full ? 'DISK_FULL' : 'SYSTEM_ERROR',
    full
      ? `the disk is full${on}; free some space and run the same command again`
      : `the system refused what custody asked of it: ${system.description} (${system.code})${on}. Check that file or its folder (that it exists, its permissions, the disk), then run the same command again`,
    {cause: err, ...(system.path === undefined ? {} : {subject: system.path})},
  )
}
