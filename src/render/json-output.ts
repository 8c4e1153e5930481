/**
 * The frame of every document custody prints with --json: one JSON object on stdout whose
 * `version` is the version of this output format (not custody's), and which is either the
 * command's result or `{"version": 1, "error": {...}}`. Each command's document is described by
 * a JSON Schema (draft 2020-12) in docs/json/, which tests/e2e/json-schemas.test.ts checks
 * against real output.
 *
 * The version changes when a field is removed or changes its meaning; fields may be added to a
 * version (the schemas then gain them in the same commit).
 */
import type {CustodyError, RefusalReceipt} from '../errors.js'

export const JSON_OUTPUT_VERSION = 1

/** A result that can be a --json document: it has no `version` of its own, which would hide the format's. */
export type JsonResult = object & {readonly version?: never}

/** A command's result as its --json document: the format's version first, then the result. */
export function successDocument<T extends JsonResult>(result: T): {version: typeof JSON_OUTPUT_VERSION} & T {
  return {version: JSON_OUTPUT_VERSION, ...result}
}

/** What every error document holds: its code, its message and what it is about (null: nothing in particular). */
export interface ErrorObject {
  code: CustodyError['code']
  message: string
  subject: string | null
  field?: string
  problems?: ReadonlyArray<{line: number; message: string}>
  problemCount?: number
  receipt?: RefusalReceipt
}

/**
 * The document of a command that failed: `message` is the error's message as the command says it
 * (naming its flags); `field`, `problems`, `problemCount` and `receipt` come only with the errors that have them.
 */
export function errorDocument(error: CustodyError, message = error.message): {version: typeof JSON_OUTPUT_VERSION; error: ErrorObject} {
  const {field, problems, problemCount, receipt} = error.toJSON()
  return {
    version: JSON_OUTPUT_VERSION,
    error: {
      code: error.code,
      message,
      subject: error.subject ?? null,
      ...(field === undefined ? {} : {field}),
      ...(problems === undefined ? {} : {problems}),
      ...(problemCount === undefined ? {} : {problemCount}),
      ...(receipt === undefined ? {} : {receipt}),
    },
  }
}
