/**
 * Small typed readers for hostile JSON, the pieces the event payload formats (events.ts) are built
 * from. A reader checks one value and either returns it, typed, or throws a FieldProblem that names
 * the field by its path from the event ("payload.archive.sha256") and says what was expected and
 * what was found, in the form "expected X, got Y". The throw stays inside this module and
 * events.ts: parseEvent() turns it into a {problem} and never lets an exception out.
 *
 * Each reader also says what it reads as JSON Schema (draft 2020-12), for the schema of events
 * that custody publishes (eventJsonSchema() in events.ts, docs/json/event.schema.json). The schema
 * holds everything but the checks across fields (refine()) and calendar checks, which only the
 * reader makes: a value the reader takes always validates; one it refuses may still validate.
 */
import {isRecord} from './guards.js'

/** What a value must be and how it went wrong, with the path of the field. */
export class FieldProblem extends Error {
  readonly at: string
  readonly expected: string
  readonly got: string

  constructor(at: string, expected: string, got: string) {
    super(`${at}: expected ${expected}, got ${got}`)
    this.name = 'FieldProblem'
    this.at = at
    this.expected = expected
    this.got = got
  }
}

/** A JSON Schema (draft 2020-12), as plain JSON. */
export type JsonSchema = {readonly [keyword: string]: unknown}

export interface Reader<T> {
  /** What the value must be, as it appears in a problem after "expected". */
  readonly expected: string
  /** The same, as JSON Schema. */
  readonly schema: JsonSchema
  /** Returns the value, typed, or throws a FieldProblem. `at` is the field's path. */
  read(value: unknown, at: string): T
}

/** A field that may be absent (never undefined: JSON has no undefined). */
export interface Optional<T> {
  readonly optional: Reader<T>
}

/**
 * The readers for each field of an object type: an optional property takes an Optional reader, a
 * required one a Reader of exactly its type. The compiler so checks each payload format against
 * its interface, field by field.
 */
export type Shape<T> = {[K in keyof T]-?: object extends Pick<T, K> ? Optional<Exclude<T[K], undefined>> : Reader<T[K]>}

/** Longest piece of a hostile value quoted back in a problem. */
const QUOTED_CHARS = 60

/** A short description of what was found, bounded however large the value. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)'
  if (value === null) return 'null'
  if (typeof value === 'string') {
    const quoted = JSON.stringify(value.length > QUOTED_CHARS ? value.slice(0, QUOTED_CHARS) : value)
    return value.length > QUOTED_CHARS ? `${quoted.slice(0, -1)}…" (${value.length} characters)` : quoted
  }

  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return `an array of ${value.length}`
  if (isRecord(value)) return 'an object'
  return typeof value
}

function fail(at: string, expected: string, value: unknown): never {
  throw new FieldProblem(at, expected, describeValue(value))
}

export function optional<T>(reader: Reader<T>): Optional<T> {
  return {optional: reader}
}

export function text(options: {max?: number; nonEmpty?: boolean; pattern?: RegExp; expected?: string} = {}): Reader<string> {
  const expected =
    options.expected ?? `a ${options.nonEmpty ? 'non-empty ' : ''}string${options.max === undefined ? '' : ` of at most ${options.max.toLocaleString('en-US')} characters`}`
  return {
    expected,
    schema: {
      type: 'string',
      ...(options.nonEmpty ? {minLength: 1} : {}),
      ...(options.max === undefined ? {} : {maxLength: options.max}),
      ...(options.pattern === undefined ? {} : {pattern: options.pattern.source}),
      ...(options.expected === undefined ? {} : {description: options.expected}),
    },
    read(value, at) {
      if (typeof value !== 'string') fail(at, expected, value)
      if (options.nonEmpty && value === '') fail(at, expected, value)
      if (options.max !== undefined && value.length > options.max) fail(at, expected, value)
      if (options.pattern !== undefined && !options.pattern.test(value)) fail(at, expected, value)
      return value
    },
  }
}

/** One of a fixed set of strings. */
export function oneOf<const T extends string>(values: readonly T[]): Reader<T> {
  const expected = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`
  return {
    expected,
    schema: {enum: values},
    read(value, at) {
      if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) fail(at, expected, value)
      return value as T
    },
  }
}

export function literal<const T extends string | number | boolean>(wanted: T): Reader<T> {
  const expected = JSON.stringify(wanted)
  return {
    expected,
    schema: {const: wanted},
    read(value, at) {
      if (value !== wanted) fail(at, expected, value)
      return wanted
    },
  }
}

/** A safe integer in [min, max]. */
export function integer(min = 0, max = Number.MAX_SAFE_INTEGER): Reader<number> {
  const expected =
    max === Number.MAX_SAFE_INTEGER ? (min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer of at least ${min}`) : `an integer from ${min} to ${max}`
  return {
    expected,
    schema: {type: 'integer', minimum: min, maximum: max},
    read(value, at) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) fail(at, expected, value)
      return value
    },
  }
}

/** A finite number, within ±limit when given. */
export function finite(limit?: number): Reader<number> {
  const expected = limit === undefined ? 'a finite number' : `a number from -${limit} to ${limit}`
  return {
    expected,
    schema: limit === undefined ? {type: 'number'} : {type: 'number', minimum: -limit, maximum: limit},
    read(value, at) {
      if (typeof value !== 'number' || !Number.isFinite(value) || (limit !== undefined && Math.abs(value) > limit)) fail(at, expected, value)
      return value
    },
  }
}

export const boolean: Reader<boolean> = {
  expected: 'true or false',
  schema: {type: 'boolean'},
  read(value, at) {
    if (typeof value !== 'boolean') fail(at, 'true or false', value)
    return value
  },
}

export function nullable<T>(reader: Reader<T>): Reader<T | null> {
  return {
    expected: `${reader.expected} or null`,
    schema: {anyOf: [reader.schema, {type: 'null'}]},
    read(value, at) {
      if (value === null) return null
      try {
        return reader.read(value, at)
      } catch (error) {
        // A value of neither form is reported against both; a finer problem (a field inside it, a
        // date that does not exist) is reported as it is.
        if (error instanceof FieldProblem && error.at === at && error.expected === reader.expected) throw new FieldProblem(at, `${reader.expected} or null`, error.got)
        throw error
      }
    },
  }
}

/** An array of at most `max` items (at least `min`), each read by `item`; `unique` refuses repeats. */
export function list<T>(item: Reader<T>, options: {max?: number; min?: number; unique?: boolean} = {}): Reader<T[]> {
  const {min = 0, max} = options
  const count = max === undefined ? (min === 0 ? '' : `at least ${min} `) : min === 0 ? `at most ${max.toLocaleString('en-US')} ` : `${min} to ${max.toLocaleString('en-US')} `
  const expected = `an array of ${count}items`
  return {
    expected,
    schema: {
      type: 'array',
      items: item.schema,
      ...(min === 0 ? {} : {minItems: min}),
      ...(max === undefined ? {} : {maxItems: max}),
      ...(options.unique ? {uniqueItems: true} : {}),
    },
    read(value, at) {
      if (!Array.isArray(value) || value.length < min || (max !== undefined && value.length > max)) fail(at, expected, value)
      const items = value.map((v, i) => item.read(v, `${at}[${i}]`))
      if (options.unique) {
        const seen = new Set<T>()
        items.forEach((v, i) => {
          if (seen.has(v)) fail(`${at}[${i}]`, 'no item twice', v)
          seen.add(v)
        })
      }

      return items
    },
  }
}

/** An object whose every value is read by `item` (names free, such as a manifest's extra columns). */
export function dictionary<T>(item: Reader<T>): Reader<{[key: string]: T}> {
  return {
    expected: 'an object',
    schema: {type: 'object', additionalProperties: item.schema},
    read(value, at) {
      if (!isRecord(value)) fail(at, 'an object', value)
      for (const [key, v] of Object.entries(value)) item.read(v, `${at}.${key}`)
      return value as {[key: string]: T}
    },
  }
}

/**
 * An object with exactly the fields of `shape`: a required field that is missing, and a field the
 * shape does not name, are both refused (see events.ts for why extra fields are refused).
 */
export function object<T>(shape: Shape<T>): Reader<T> {
  const fields = Object.entries(shape) as Array<[string, Reader<unknown> | Optional<unknown>]>
  const known = new Set(fields.map(([key]) => key))
  return {
    expected: 'an object',
    schema: {
      type: 'object',
      properties: Object.fromEntries(fields.map(([key, reader]) => [key, 'optional' in reader ? reader.optional.schema : reader.schema])),
      required: fields.filter(([, reader]) => !('optional' in reader)).map(([key]) => key),
      additionalProperties: false,
    },
    read(value, at) {
      if (!isRecord(value)) fail(at, 'an object', value)
      for (const key of Object.keys(value)) {
        if (!known.has(key)) throw new FieldProblem(`${at}.${key}`, `only the fields ${[...known].join(', ')}`, `a field custody does not write`)
      }

      for (const [key, reader] of fields) {
        const v = Object.hasOwn(value, key) ? value[key] : undefined
        if ('optional' in reader) {
          if (v !== undefined) reader.optional.read(v, `${at}.${key}`)
        } else reader.read(v, `${at}.${key}`)
      }

      return value as T
    },
  }
}

/** A reader with a further check across its fields; `check` returns [path, expected] when it fails. */
export function refine<T>(reader: Reader<T>, check: (value: T, at: string) => [at: string, expected: string, got: unknown] | undefined): Reader<T> {
  return {
    expected: reader.expected,
    schema: reader.schema,
    read(value, at) {
      const typed = reader.read(value, at)
      const wrong = check(typed, at)
      if (wrong !== undefined) fail(...wrong)
      return typed
    },
  }
}
