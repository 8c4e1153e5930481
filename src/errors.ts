/**
 * One error type for the whole core, with a code per failure kind.
 *
 * Every message says what happened, to which file, exhibit or event, and what to do next.
 * `exitCode` follows the documented contract: 1 some work failed, 2 wrong usage,
 * 3 an integrity check failed.
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

export class CustodyError extends Error {
  override readonly name = 'CustodyError'
  readonly code: CustodyErrorCode
  /** The file, exhibit or event the error is about, when there is one. */
  readonly subject: string | undefined
  /** What is wrong, for --json, when the message can only summarise (a manifest's bad rows): the first of them. */
  readonly problems: ReadonlyArray<{line: number; message: string}> | undefined
  /** How many problems there are in all, when `problems` lists only the first of them. */
  readonly problemCount: number | undefined

  constructor(
    code: CustodyErrorCode,
    message: string,
    options: {cause?: unknown; subject?: string; problems?: ReadonlyArray<{line: number; message: string}>; problemCount?: number} = {},
  ) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.code = code
    this.subject = options.subject
    this.problems = options.problems
    this.problemCount = options.problemCount
  }

  get exitCode(): ExitCode {
    if (this.code === 'INTEGRITY') return EXIT.integrity
    if (USAGE_CODES.has(this.code)) return EXIT.usage
    return EXIT.failed
  }

  toJSON(): {code: CustodyErrorCode; message: string; subject?: string; problems?: ReadonlyArray<{line: number; message: string}>; problemCount?: number} {
    return {
      code: this.code,
      message: this.message,
      ...(this.subject === undefined ? {} : {subject: this.subject}),
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
