/**
 * The age v1 header (age §"Header"): the version line, one or more recipient stanzas, and the
 * header MAC. One module writes and parses it, and the parser takes only what the ABNF of
 * §"ABNF definition of file header" allows: LF line ends, canonical base64, bodies wrapped at 64
 * columns and ended by a shorter line. Stanzas of types custody does not know are kept (their
 * bytes are under the MAC) and left to the identities to ignore (§"Recipient stanza").
 */
import {createHmac, timingSafeEqual} from 'node:crypto'
import {CustodyError} from '../errors.js'
import {decodeBase64, encodeBase64} from './base64.js'
import {hkdf} from './key-wrap.js'
import {damaged} from './refusals.js'

/** A recipient stanza: `args[0]` is its type (`X25519`, `scrypt`); `body` the decoded body. */
export interface Stanza {
  readonly args: readonly string[]
  readonly body: Uint8Array
}

export interface Header {
  readonly stanzas: readonly Stanza[]
  readonly mac: Buffer
  /** What the MAC covers: the header up to and including `---` (§"Header MAC"). */
  readonly macInput: Buffer
  /** Its length in bytes, with the MAC line's LF: where the payload starts. */
  readonly length: number
}

const VERSION_PREFIX = 'age-encryption.org/'
const VERSION_LINE = `${VERSION_PREFIX}v1`
const MAC_MARK = '---'
const ARMOR_START = '-----BEGIN AGE ENCRYPTED FILE-----'
const COLUMNS = 64
/** A header is read whole before anything is decrypted: this bounds what a hostile file makes custody hold. */
const MAX_HEADER_SIZE = 1024 * 1024
/** §"ABNF definition of file header": argument = 1*VCHAR (%x21-7E). */
const ARGUMENT = /^[\x21-\x7e]+$/
const BASE64_LINE = /^[A-Za-z0-9+/]*$/

/** The HMAC-SHA-256 of §"Header MAC", keyed by HKDF-SHA-256(file key, no salt, "header"). */
function headerMac(fileKey: Uint8Array, macInput: Uint8Array): Buffer {
  return createHmac('sha256', hkdf(fileKey, new Uint8Array(0), 'header')).update(macInput).digest()
}

/** A stanza as text: its argument line, then the body in base64 lines of 64 columns, the last one shorter (maybe empty). */
function stanzaText(stanza: Stanza): string {
  if (stanza.args.length === 0 || !stanza.args.every((arg) => ARGUMENT.test(arg))) {
    throw new CustodyError('INTERNAL', `a stanza's arguments must be one or more printable words, got ${JSON.stringify(stanza.args)}`)
  }

  const body = encodeBase64(stanza.body)
  const lines = [`-> ${stanza.args.join(' ')}`]
  for (let at = 0; at <= body.length; at += COLUMNS) lines.push(body.slice(at, at + COLUMNS))
  return `${lines.join('\n')}\n`
}

/** The header carrying `stanzas`, with its MAC under `fileKey`. */
export function encodeHeader(stanzas: readonly Stanza[], fileKey: Uint8Array): Buffer {
  const macInput = Buffer.from(`${VERSION_LINE}\n${stanzas.map(stanzaText).join('')}${MAC_MARK}`, 'latin1')
  return Buffer.concat([macInput, Buffer.from(` ${encodeBase64(headerMac(fileKey, macInput))}\n`, 'latin1')])
}

/**
 * Where the header that `bytes` begin with ends (after the MAC line's LF), or undefined while
 * more bytes are needed. Refuses early what cannot begin an age v1 header, and a header that
 * runs past MAX_HEADER_SIZE.
 */
export function findHeaderEnd(bytes: Buffer, object: string): number | undefined {
  const start = bytes.subarray(0, VERSION_PREFIX.length).toString('latin1')
  if (!VERSION_PREFIX.startsWith(start)) {
    // §"ASCII armor": a PEM-wrapped age file, which custody neither writes nor reads.
    const armored = start.startsWith(ARMOR_START.slice(0, start.length)) && start.length >= 10
    throw damaged(object, armored ? 'it is ASCII-armored (PEM), and custody reads only binary age files' : `it does not begin with ${JSON.stringify(VERSION_PREFIX)}, so it is not an age file at all`)
  }

  // A stanza line starts with "->" or a base64 character: the first "\n---" begins the MAC line.
  const mark = bytes.indexOf(`\n${MAC_MARK}`)
  const end = mark < 0 ? -1 : bytes.indexOf(0x0a, mark + 1)
  if (end >= 0 && end < MAX_HEADER_SIZE) return end + 1
  if (bytes.length >= MAX_HEADER_SIZE) throw damaged(object, `its header does not end within ${MAX_HEADER_SIZE} bytes`)
  return undefined
}

/** One stanza from `lines[at]` on (§"Recipient stanza"); returns it and the index of the line after it. */
function parseStanza(lines: readonly string[], at: number, object: string): {stanza: Stanza; next: number} {
  const args = lines[at]!.slice(3).split(' ')
  if (!args.every((arg) => ARGUMENT.test(arg))) throw damaged(object, `header line ${at + 1} is a stanza whose arguments are not printable words separated by single spaces`)
  const body: string[] = []
  for (let i = at + 1; i < lines.length - 1; i++) {
    const line = lines[i]!
    if (line.length > COLUMNS || !BASE64_LINE.test(line)) break
    body.push(line)
    if (line.length < COLUMNS) {
      const decoded = decodeBase64(body.join(''))
      if (decoded === undefined) throw damaged(object, `the body of the stanza on header line ${at + 1} is not canonical base64`)
      return {stanza: {args, body: decoded}, next: i + 1}
    }
  }

  throw damaged(object, `the stanza on header line ${at + 1} has no body ending in a line shorter than ${COLUMNS} characters`)
}

/** The MAC line (§"ABNF definition of file header": end = "--- " 43base64char LF). */
function parseMac(line: string, lineNumber: number, object: string): Buffer {
  const mac = line.startsWith(`${MAC_MARK} `) ? decodeBase64(line.slice(MAC_MARK.length + 1)) : undefined
  if (mac?.length !== 32) throw damaged(object, `header line ${lineNumber} is not the MAC line ("--- " and 43 base64 characters)`)
  return mac
}

/** Parses exactly the header `bytes` (as findHeaderEnd delimits it). */
export function parseHeader(bytes: Buffer, object: string): Header {
  const lines = bytes.toString('latin1').split('\n')
  // The last element is what follows the final LF: empty, as the header ends with its MAC line's LF.
  lines.pop()
  const version = lines[0] ?? ''
  if (version !== VERSION_LINE) {
    throw damaged(object, version.startsWith(VERSION_PREFIX) ? `it is age version ${JSON.stringify(version.slice(VERSION_PREFIX.length))}, and custody reads only v1` : 'its version line is not "age-encryption.org/v1"')
  }

  const stanzas: Stanza[] = []
  let at = 1
  while (at < lines.length - 1) {
    if (!lines[at]!.startsWith('-> ')) throw damaged(object, `header line ${at + 1} is neither a stanza ("-> ") nor the MAC line`)
    const {stanza, next} = parseStanza(lines, at, object)
    stanzas.push(stanza)
    at = next
  }

  if (stanzas.length === 0) throw damaged(object, 'its header has no recipient stanza')
  const mac = parseMac(lines[at] ?? '', at + 1, object)
  return {stanzas, mac, macInput: bytes.subarray(0, bytes.length - (lines[at]!.length + 1) + MAC_MARK.length), length: bytes.length}
}

/** §"Header MAC": refuses a header whose MAC, under the file key a stanza gave, is not the one it carries. */
export function checkHeaderMac(header: Header, fileKey: Uint8Array, object: string): void {
  if (!timingSafeEqual(headerMac(fileKey, header.macInput), header.mac)) {
    throw damaged(object, 'its header MAC does not match: the header (a recipient stanza, or the MAC itself) was changed')
  }
}
