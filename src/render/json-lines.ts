/**
 * JSON output too long to hold as one string: a value one of whose members is a long list (the
 * results of a batch of 100,000 files, the exhibits of a seal), written line by line. The text is
 * what JSON.stringify(value, null, 2) gives when that member is the list.
 */
import {randomBytes} from 'node:crypto'

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

  // Written around a marker that nothing else holds: the text before the list's first item, and
  // after its last.
  const marker = `\u0000items ${randomBytes(8).toString('hex')}\u0000`
  const whole = JSON.stringify(withMember(value, path, [marker]), null, 2)
  const quoted = JSON.stringify(marker)
  const at = whole.indexOf(quoted)
  if (at < 0 || whole.includes(quoted, at + 1)) throw new Error('the JSON could not be laid out around its list')
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
  yield whole.slice(at + quoted.length + 1)
}

/** A copy of `value` (shallow, along `path`) whose member at `path` is `member`. */
function withMember(value: object, path: readonly string[], member: unknown): unknown {
  const [key, ...rest] = path
  if (key === undefined) return member
  const inner = (value as {[key: string]: unknown})[key]
  return {...value, [key]: withMember(typeof inner === 'object' && inner !== null ? inner : {}, rest, member)}
}
