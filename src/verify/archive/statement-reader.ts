/**
 * Reads a seal statement (data/custody/seal.json) as a stream of bytes. Its `exhibits` array,
 * which grows with the case, is handed over one element at a time, each parsed on its own; the
 * rest of the statement is parsed as JSON with that array left empty. So a statement of a million
 * exhibits is never whole in memory, and what it says is what JSON.parse would say of it.
 *
 * The scanner follows only what it must: strings (with their escapes), the nesting depth, the
 * keys of the top-level object and the commas of the exhibits array. Anything that is not JSON is
 * found by the parses, which throw. A statement that names its exhibits twice is refused: which of
 * the two JSON.parse would keep is not a question a court should have to ask.
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const COMMA = 0x2c
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
/** Keys longer than this are not "exhibits", however escaped. */
const MAX_KEY_BYTES = 64

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
}

/**
 * Reads the statement from `chunks`, handing each element of its exhibits array to `onExhibit`.
 * An element longer than `limits.element` bytes, or the rest of the statement longer than
 * `limits.rest`, is an error as soon as it passes the bound: a genuine statement's are far
 * smaller, and a hostile one must not fill the memory.
 */
export async function readStatement(
  chunks: AsyncIterable<Uint8Array>,
  onExhibit: (value: unknown, index: number) => void,
  limits: {element: number; rest: number} = {element: Number.POSITIVE_INFINITY, rest: Number.POSITIVE_INFINITY},
): Promise<unknown> {
  const rest: Buffer[] = []
  let restBytes = 0
  let element: Buffer[] = []
  let elementBytes = 0
  let elements = 0
  let depth = 0
  let inString = false
  let escaped = false
  /** The top-level object's current string, while it may be a key (its raw bytes, quotes included). */
  let key: number[] | undefined
  let lastString: string | undefined
  /** After a top-level key and its colon, that key, until its value starts. */
  let valueOf: string | undefined
  let inExhibits = false
  let seenExhibits = false
  let topIsObject = false

  const endElement = (closing: boolean): void => {
    const text = Buffer.concat(element).toString('utf8').trim()
    element = []
    elementBytes = 0
    if (text === '') {
      // Only `[]` (or `[ ]`) has no element; `[1,]` and `[,1]` are not JSON.
      if (closing && elements === 0) return
      throw new SyntaxError(`the exhibits array has an empty element after element ${elements}`)
    }

    onExhibit(JSON.parse(text), elements++)
  }

  for await (const chunk of chunks) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
    // Bytes from `from` on go to the rest (outside the exhibits) or to the element being read.
    let from = 0
    const cut = (at: number, into: Buffer[]): void => {
      if (at > from) {
        into.push(Buffer.from(bytes.subarray(from, at)))
        if (into === rest) restBytes += at - from
        else elementBytes += at - from
        if (restBytes > limits.rest) throw new RangeError(`the statement outside its exhibits is longer than ${limits.rest} bytes, more than any genuine one`)
        if (elementBytes > limits.element) throw new RangeError(`exhibit ${elements + 1} of the statement is longer than ${limits.element} bytes, more than any genuine one`)
      }

      from = at
    }

    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!
      if (inString) {
        if (key !== undefined && key.length <= MAX_KEY_BYTES) key.push(byte)
        if (escaped) escaped = false
        else if (byte === BACKSLASH) escaped = true
        else if (byte === QUOTE) {
          inString = false
          if (key !== undefined) lastString = key.length <= MAX_KEY_BYTES ? (JSON.parse(Buffer.from(key).toString('utf8')) as string) : undefined
          key = undefined
        }

        continue
      }

      if (isSpace(byte)) continue
      if (depth === 1 && topIsObject && valueOf !== undefined) {
        // The first byte of a top-level value.
        if (valueOf === 'exhibits' && byte === OPEN_ARRAY) {
          if (seenExhibits) throw new SyntaxError('the statement names its exhibits twice')
          seenExhibits = true
          inExhibits = true
          cut(i + 1, rest)
          rest.push(Buffer.from(']'))
          valueOf = undefined
          depth++
          continue
        }

        if (valueOf === 'exhibits') {
          if (seenExhibits) throw new SyntaxError('the statement names its exhibits twice')
          seenExhibits = true
        }

        valueOf = undefined
      }

      if (byte === QUOTE) {
        inString = true
        key = depth === 1 && topIsObject ? [byte] : undefined
      } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
        if (depth === 0) topIsObject = byte === OPEN_OBJECT
        depth++
      } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        depth--
        if (inExhibits && depth === 1) {
          cut(i, element)
          from = i + 1
          endElement(true)
          inExhibits = false
        }
      } else if (byte === COLON && depth === 1 && topIsObject) {
        valueOf = lastString
      } else if (byte === COMMA && inExhibits && depth === 2) {
        cut(i, element)
        from = i + 1
        endElement(false)
      }

      // Only a string directly before a colon is a key.
      if (depth === 1 && byte !== QUOTE && byte !== COLON) lastString = undefined
    }

    cut(bytes.length, inExhibits ? element : rest)
  }

  if (inString || depth !== 0) throw new SyntaxError('the statement ends before its JSON does')
  return JSON.parse(Buffer.concat(rest).toString('utf8'))
}
