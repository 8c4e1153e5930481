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

type Limits = {element: number; rest: number}

/**
 * The scanner's state across chunks. Bytes of a chunk from `from` on go to the rest (outside the
 * exhibits) or to the element being read, cut off where the scanner decides which.
 */
class StatementScanner {
  private readonly rest: Buffer[] = []
  private restBytes = 0
  private element: Buffer[] = []
  private elementBytes = 0
  private elements = 0
  private depth = 0
  private inString = false
  private escaped = false
  /** The top-level object's current string, while it may be a key (its raw bytes, quotes included). */
  private key: number[] | undefined
  private lastString: string | undefined
  /** After a top-level key and its colon, that key, until its value starts. */
  private valueOf: string | undefined
  private inExhibits = false
  private seenExhibits = false
  private topIsObject = false
  private bytes: Buffer = Buffer.alloc(0)
  private from = 0

  constructor(
    private readonly onExhibit: (value: unknown, index: number) => void,
    private readonly limits: Limits,
  ) {}

  scan(chunk: Uint8Array): void {
    this.bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
    this.from = 0
    for (let i = 0; i < this.bytes.length; i++) this.scanByte(this.bytes[i]!, i)
    this.cut(this.bytes.length, this.inExhibits ? 'element' : 'rest')
  }

  /** The statement without its exhibits, as JSON.parse reads it. */
  finish(): unknown {
    if (this.inString || this.depth !== 0) throw new SyntaxError('the statement ends before its JSON does')
    return JSON.parse(Buffer.concat(this.rest).toString('utf8'))
  }

  private cut(at: number, into: 'rest' | 'element'): void {
    if (at > this.from) {
      const piece = Buffer.from(this.bytes.subarray(this.from, at))
      if (into === 'rest') {
        this.rest.push(piece)
        this.restBytes += at - this.from
      } else {
        this.element.push(piece)
        this.elementBytes += at - this.from
      }

      if (this.restBytes > this.limits.rest) throw new RangeError(`the statement outside its exhibits is longer than ${this.limits.rest} bytes, more than any genuine one`)
      if (this.elementBytes > this.limits.element) throw new RangeError(`exhibit ${this.elements + 1} of the statement is longer than ${this.limits.element} bytes, more than any genuine one`)
    }

    this.from = at
  }

  private endElement(closing: boolean): void {
    const text = Buffer.concat(this.element).toString('utf8').trim()
    this.element = []
    this.elementBytes = 0
    if (text === '') {
      // Only `[]` (or `[ ]`) has no element; `[1,]` and `[,1]` are not JSON.
      if (closing && this.elements === 0) return
      throw new SyntaxError(`the exhibits array has an empty element after element ${this.elements}`)
    }

    this.onExhibit(JSON.parse(text), this.elements++)
  }

  private scanStringByte(byte: number): void {
    const {key} = this
    if (key !== undefined && key.length <= MAX_KEY_BYTES) key.push(byte)
    if (this.escaped) this.escaped = false
    else if (byte === BACKSLASH) this.escaped = true
    else if (byte === QUOTE) {
      this.inString = false
      if (key !== undefined) this.lastString = key.length <= MAX_KEY_BYTES ? (JSON.parse(Buffer.from(key).toString('utf8')) as string) : undefined
      this.key = undefined
    }
  }

  /** The first byte of a top-level value: true when it opens the exhibits array (the byte is then used up). */
  private startValue(byte: number, i: number): boolean {
    const exhibits = this.valueOf === 'exhibits'
    this.valueOf = undefined
    if (!exhibits) return false
    if (this.seenExhibits) throw new SyntaxError('the statement names its exhibits twice')
    this.seenExhibits = true
    if (byte !== OPEN_ARRAY) return false
    this.inExhibits = true
    this.cut(i + 1, 'rest')
    this.rest.push(Buffer.from(']'))
    this.depth++
    return true
  }

  private scanByte(byte: number, i: number): void {
    if (this.inString) return this.scanStringByte(byte)
    if (isSpace(byte)) return
    if (this.depth === 1 && this.topIsObject && this.valueOf !== undefined && this.startValue(byte, i)) return
    if (byte === QUOTE) {
      this.inString = true
      this.key = this.depth === 1 && this.topIsObject ? [byte] : undefined
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (this.depth === 0) this.topIsObject = byte === OPEN_OBJECT
      this.depth++
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      this.depth--
      if (this.inExhibits && this.depth === 1) {
        this.cut(i, 'element')
        this.from = i + 1
        this.endElement(true)
        this.inExhibits = false
      }
    } else if (byte === COLON && this.depth === 1 && this.topIsObject) {
      this.valueOf = this.lastString
    } else if (byte === COMMA && this.inExhibits && this.depth === 2) {
      this.cut(i, 'element')
      this.from = i + 1
      this.endElement(false)
    }

    // Only a string directly before a colon is a key.
    if (this.depth === 1 && byte !== QUOTE && byte !== COLON) this.lastString = undefined
  }
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
  limits: Limits = {element: Number.POSITIVE_INFINITY, rest: Number.POSITIVE_INFINITY},
): Promise<unknown> {
  const scanner = new StatementScanner(onExhibit, limits)
  for await (const chunk of chunks) scanner.scan(chunk)
  return scanner.finish()
}
