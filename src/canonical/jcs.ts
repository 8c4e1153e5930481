/**
 * JSON Canonicalization Scheme (RFC 8785).
 *
 * Ledger events are hashed over their canonical form, so two programs that agree on the data
 * agree on the bytes. RFC 8785 defines that form by ECMAScript's own JSON serialisation of
 * primitives (§3.2.2) and object members sorted by their names' UTF-16 code units (§3.2.3),
 * which is what this module does, after refusing what I-JSON (RFC 7493) does not allow.
 */
import {CustodyError} from '../errors.js'

export type JsonPrimitive = null | boolean | number | string
export type JsonValue = JsonPrimitive | JsonValue[] | {[key: string]: JsonValue}

// With the `u` flag a surrogate half only matches when it is not part of a pair.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

function fail(path: string, what: string): never {
  throw new CustodyError('CANONICAL_JSON', `cannot canonicalise ${path}: ${what}`)
}

function serialise(value: unknown, path: string, out: string[]): void {
  if (value === null) {
    out.push('null')
    return
  }

  switch (typeof value) {
    case 'boolean': {
      out.push(value ? 'true' : 'false')
      return
    }

    case 'number': {
      // RFC 8785 §3.2.2.3: finite IEEE 754 doubles, written as ECMAScript writes them.
      if (!Number.isFinite(value)) fail(path, `expected a finite number, got ${value}`)
      out.push(JSON.stringify(value))
      return
    }

    case 'string': {
      // RFC 8785 §3.2.2.2 with I-JSON's rule that strings are valid Unicode.
      if (LONE_SURROGATE.test(value)) fail(path, 'expected valid Unicode, got a lone surrogate')
      out.push(JSON.stringify(value))
      return
    }

    case 'object': {
      if (Array.isArray(value)) {
        out.push('[')
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(',')
          serialise(value[i], `${path}[${i}]`, out)
        }

        out.push(']')
        return
      }

      const proto: unknown = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) fail(path, 'expected a plain object')
      const record = value as Record<string, unknown>
      // RFC 8785 §3.2.3: sort by UTF-16 code units, which is what the default sort compares.
      const keys = Object.keys(record).sort()
      out.push('{')
      let first = true
      for (const key of keys) {
        const member = record[key]
        if (member === undefined) fail(`${path}.${key}`, 'expected a JSON value, got undefined')
        if (LONE_SURROGATE.test(key)) fail(path, 'expected valid Unicode member names, got a lone surrogate')
        if (!first) out.push(',')
        first = false
        out.push(JSON.stringify(key), ':')
        serialise(member, `${path}.${key}`, out)
      }

      out.push('}')
      return
    }

    default: {
      fail(path, `expected a JSON value, got ${typeof value}`)
    }
  }
}

/** The RFC 8785 canonical form of `value`. Throws CANONICAL_JSON on anything JSON cannot carry. */
export function canonicalize(value: unknown): string {
  const out: string[] = []
  serialise(value, '$', out)
  return out.join('')
}

/** True when `text` is exactly the canonical form of the JSON it holds. */
export function isCanonical(text: string): boolean {
  try {
    return canonicalize(JSON.parse(text)) === text
  } catch {
    return false
  }
}
