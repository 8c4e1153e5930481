/**
 * JSON too long to hold as one string: a value one of whose members is a long list (the results of
 * a batch of 100,000 files, the exhibits of a seal), made piece by piece. jsonWithList gives the
 * lines of what JSON.stringify(value, null, 2) gives when that member is the list; canonicalWithList
 * the pieces of its RFC 8785 canonical JSON, for hashing.
 */
import {randomBytes} from 'node:crypto'
import {canonicalize, type JsonValue} from '../canonical/jcs.js'

/**
 * The lines of `value` as indented JSON, with `items` as the member at `path` (an object at each
 * step but the last; the member keeps its place if it is there, else it comes last).
 */
export function* jsonWithList(value: object, path: readonly [string, ...string[]], items: Iterable<unknown>): Generator<string> {
  const iterator = items[Symbol.iterator]()
  let next = iterator.next()
  if (next.done === true) {
    yield JSON.stringify(withMember(value, path, []), null, 2)
    return
  }

  const {whole, at, end} = aroundMarker((v) => JSON.stringify(v, null, 2), value, path)
  const lineStart = whole.lastIndexOf('\n', at) + 1
  const indent = whole.slice(lineStart, at)
  yield whole.slice(0, lineStart - 1)
  const render = (item: unknown): string => indent + JSON.stringify(item, null, 2).replaceAll('\n', `\n${indent}`)
  let item = render(next.value)
  for (next = iterator.next(); next.done !== true; next = iterator.next()) {
    yield `${item},`
    item = render(next.value)
  }

  yield item
  yield whole.slice(end + 1)
}

/**
 * The RFC 8785 canonical JSON of `value` with `items` as the member at `path`, in pieces: for
 * hashing a value whose list is too long to hold (the exhibits a seal is identified by).
 */
export function* canonicalWithList(value: object, path: readonly [string, ...string[]], items: Iterable<JsonValue>): Generator<string> {
  const iterator = items[Symbol.iterator]()
  let next = iterator.next()
  if (next.done === true) {
    yield canonicalize(withMember(value, path, []) as JsonValue)
    return
  }

  const {whole, at, end} = aroundMarker((v) => canonicalize(v as JsonValue), value, path)
  yield whole.slice(0, at)
  yield canonicalize(next.value)
  for (next = iterator.next(); next.done !== true; next = iterator.next()) yield `,${canonicalize(next.value)}`
  yield whole.slice(end)
}

/**
 * `value` written by `write` with a one-item list at `path` whose item is a marker that nothing
 * else holds, and where the marker (quoted, as `write` writes it) starts and ends in that text.
 */
function aroundMarker(write: (value: unknown) => string, value: object, path: readonly string[]): {whole: string; at: number; end: number} {
  const marker = `\u0000items ${randomBytes(8).toString('hex')}\u0000`
  const whole = write(withMember(value, path, [marker]))
  const quoted = write(marker)
  const at = whole.indexOf(quoted)
  if (at < 0 || whole.includes(quoted, at + 1)) throw new Error('the JSON could not be laid out around its list')
  return {whole, at, end: at + quoted.length}
}

/** A copy of `value` (shallow, along `path`) whose member at `path` is `member`. */
function withMember(value: object, path: readonly string[], member: unknown): unknown {
  const [key, ...rest] = path
  if (key === undefined) return member
  const inner = (value as {[key: string]: unknown})[key]
  return {...value, [key]: withMember(typeof inner === 'object' && inner !== null ? inner : {}, rest, member)}
}
