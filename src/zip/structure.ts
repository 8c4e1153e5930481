/**
 * The structure of a ZIP that may be hostile, checked so strictly that no mainstream reader can
 * read it differently from custody (PKWARE APPNOTE 6.3.10).
 *
 * A ZIP is read from its end: the end of central directory record (§4.3.16) points at the central
 * directory (§4.3.12), whose records point at the local headers (§4.3.7). Readers do not agree on
 * what to do when these disagree. Info-ZIP's unzip and Python's zipfile, for instance, take the
 * central directory to lie right before the end record when it is not where the record says
 * (assuming bytes were prepended), so one file can hold two directories and be two archives;
 * some readers trust the local headers, some the central directory; some decode a name as CP437
 * and some as UTF-8; Info-ZIP honours a second name in an extra field. So here every byte of the
 * file must be accounted for, once:
 *
 *   - the file ends with exactly one end record, whose comment holds no ZIP signature; before it,
 *     the ZIP64 locator and record (§4.3.14-15) when there are any, and before those the central
 *     directory, ending exactly there;
 *   - the central directory's records follow one another with nothing between, as many as the end
 *     record says, and list the entries in the order they lie in the file;
 *   - the entries tile the file from its first byte to the central directory: local header, name,
 *     extra fields, data, data descriptor (§4.3.9), then at once the next entry;
 *   - each local header agrees with its central record: flags, method, name byte for byte, and
 *     the CRC-32 and sizes (in the data descriptor, when there is one);
 *   - names read the same in every mainstream reader (names.ts): ASCII, UTF-8 with general purpose
 *     bit 11, or UTF-8 without it from an entry made on Unix (whose CP437 reading is given too);
 *     an Info-ZIP Unicode Path field (0x7075) must hold the same name; no encryption, only stored
 *     and deflated entries.
 *
 * The CRC-32 of each entry's bytes is the reader's to check as it reads them (reader.ts).
 */
import type {RandomAccess} from '../io/random-access.js'
import {decodeEntryName, type EntryName} from './names.js'

const LOCAL_HEADER = 0x04034b50
const CENTRAL_HEADER = 0x02014b50
const DATA_DESCRIPTOR = 0x08074b50
const ZIP64_END = 0x06064b50
const ZIP64_LOCATOR = 0x07064b50
const END = 0x06054b50
const END_SIZE = 22
const LOCATOR_SIZE = 20
const ZIP64_END_SIZE = 56
const CENTRAL_SIZE = 46
const LOCAL_SIZE = 30
const MAX16 = 0xffff
const MAX32 = 0xffffffff
/** APPNOTE 6.3's own version: an entry that needs a later reader is one some readers refuse. */
const MAX_VERSION_NEEDED = 63
/** Bits 1 and 2 (deflate options), 3 (data descriptor) and 11 (UTF-8 names); any other is refused. */
const KNOWN_FLAGS = 0x080e
const FLAG_ENCRYPTED = 0x0001
const FLAG_DESCRIPTOR = 0x0008
const FLAG_UTF8 = 0x0800
const ZIP64_EXTRA = 0x0001
const UNICODE_PATH_EXTRA = 0x7075
/** Signatures that must not appear in the archive comment, where a reader searching back from the end could take them for records. */
const SIGNATURES = [LOCAL_HEADER, CENTRAL_HEADER, DATA_DESCRIPTOR, ZIP64_END, ZIP64_LOCATOR, END]
/** Bytes read at a time from the file. */
const WINDOW = 1024 * 1024

/** One entry as the central directory describes it, checked against its local header. */
export interface ZipEntryInfo {
  /** Its place in the central directory, from 0. */
  index: number
  name: string
  isDirectory: boolean
  /** 0 stored, 8 deflated. */
  method: number
  encrypted: boolean
  compressedSize: number
  uncompressedSize: number
  /** Where its local header starts. */
  offset: number
  /** Where its data starts, after the local header, name and extra fields. */
  dataStart: number
  /** The CRC-32 the ZIP states for its uncompressed bytes. */
  crc32: number
  unixMode: number
  /**
   * A name not flagged UTF-8 and not ASCII, taken as UTF-8 (names.ts): how Python's zipfile and
   * yauzl read it instead (CP437). The verifier refuses a ZIP where it is another entry's name.
   */
  cp437Name?: string
}

/** An entry as the listing gives it: with its name's raw bytes, which a second reader must find too. */
export type ListedEntry = ZipEntryInfo & {rawName: Buffer}

/** A ZIP that could be read in more than one way, or not at all: `subject` names the entry or the structure. */
export class ZipStructureError extends Error {
  override readonly name = 'ZipStructureError'

  constructor(
    readonly subject: string,
    message: string,
  ) {
    super(message)
  }
}

/** Synchronous reads of a file (or a decrypted view of one) through a window, served from the page cache in microseconds. */
class FileWindow {
  private buffer = Buffer.alloc(0)
  private start = 0
  private length = 0
  readonly size: number

  constructor(private readonly source: RandomAccess) {
    this.size = source.size
  }

  /** `length` bytes at `position`, valid until the next call; an error when the file ends before. */
  bytes(position: number, length: number, what: string, subject = 'ZIP'): Buffer {
    if (position < 0 || position + length > this.size) throw new ZipStructureError(subject, `${what} at ${position} runs past the end of the file (${this.size} bytes)`)
    if (position < this.start || position + length > this.start + this.length) {
      const {from, want} = this.span(position, length)
      if (this.buffer.length < want) this.buffer = Buffer.allocUnsafe(Math.max(want, WINDOW))
      let read = 0
      while (read < want) {
        const n = this.source.readAtSync(this.buffer, read, want - read, from + read)
        if (n === 0) throw new ZipStructureError(subject, `the file ended at ${from + read} while reading ${what}`)
        read += n
      }

      this.start = from
      this.length = want
    }

    return this.buffer.subarray(position - this.start, position - this.start + length)
  }

  /**
   * What to read for `length` bytes at `position`: a window from there, or, from a source read by
   * the block (an age file, each chunk decrypted), the whole blocks around them: a 1 MiB window at
   * every local header and data descriptor decrypted about the whole archive once more.
   */
  private span(position: number, length: number): {from: number; want: number} {
    const {block} = this.source
    if (block === undefined) return {from: position, want: Math.min(Math.max(length, WINDOW), this.size - position)}
    const from = position - (position % block)
    return {from, want: Math.min(Math.ceil((position + length) / block) * block, this.size) - from}
  }
}

interface ExtraField {
  id: number
  data: Buffer
}

/** Extra fields (§4.5.1) must fill their space exactly, each id at most once. */
function parseExtra(bytes: Buffer, subject: string, where: string): ExtraField[] {
  const fields: ExtraField[] = []
  for (let at = 0; at < bytes.length; ) {
    if (at + 4 > bytes.length) throw new ZipStructureError(subject, `its ${where} extra fields end inside a field header`)
    const id = bytes.readUInt16LE(at)
    const size = bytes.readUInt16LE(at + 2)
    if (at + 4 + size > bytes.length) throw new ZipStructureError(subject, `its ${where} extra field 0x${id.toString(16)} runs past the extra fields`)
    if (fields.some((f) => f.id === id)) throw new ZipStructureError(subject, `its ${where} extra fields hold 0x${id.toString(16)} twice`)
    fields.push({id, data: bytes.subarray(at + 4, at + 4 + size)})
    at += 4 + size
  }

  return fields
}

/**
 * The entry's name (names.ts): as every mainstream reader decodes it, or a ZipStructureError. The
 * local header's name and Unicode Path field are checked as the central directory's are.
 */
function decodeName(raw: Buffer, flags: number, host: number, extras: ExtraField[], where: 'central' | 'local'): EntryName {
  const decoded = decodeEntryName(raw, (flags & FLAG_UTF8) !== 0, host, extras.find((f) => f.id === UNICODE_PATH_EXTRA)?.data)
  if ('refused' in decoded) throw new ZipStructureError(decoded.shown, where === 'central' ? decoded.refused : `in its local header, ${decoded.refused}`)
  return decoded
}

/** The 64-bit values of a ZIP64 extended information field (§4.5.3), for the 32-bit fields that are 0xFFFFFFFF, in order. */
function zip64Values(extras: ExtraField[], wanted: boolean[], subject: string, where: string): bigint[] {
  const needed = wanted.filter(Boolean).length
  if (needed === 0) return []
  const field = extras.find((f) => f.id === ZIP64_EXTRA)
  if (field === undefined || field.data.length < 8 * needed) throw new ZipStructureError(subject, `its ${where} header says its sizes are in a ZIP64 field, which is missing or too short`)
  return Array.from({length: needed}, (_, i) => field.data.readBigUInt64LE(8 * i))
}

function safeNumber(value: bigint, subject: string, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipStructureError(subject, `its ${what} (${value}) is past any file custody can read`)
  return Number(value)
}

interface EndRecords {
  entries: number
  cdStart: number
  /** Where the central directory must end: the ZIP64 end record, or the end record. */
  cdEnd: number
}

/** The end record (and ZIP64 records), found and checked (§4.3.14-16). */
function readEnd(file: FileWindow): EndRecords {
  const {size} = file
  if (size < END_SIZE) throw new ZipStructureError('ZIP', `${size} bytes is too short for a ZIP`)
  // The end record is the last 22 bytes, or sits before a comment that runs exactly to the end.
  const tailLength = Math.min(size, END_SIZE + MAX16)
  const tail = Buffer.from(file.bytes(size - tailLength, tailLength, 'the end of the file'))
  let at = -1
  for (let i = tailLength - END_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === END && tail.readUInt16LE(i + 20) === tailLength - i - END_SIZE) {
      at = i
      break
    }
  }

  if (at < 0) throw new ZipStructureError('ZIP', 'no end of central directory record ends the file: it is not a ZIP, or it is truncated or has bytes appended')
  const end = tail.subarray(at, at + END_SIZE)
  const comment = tail.subarray(at + END_SIZE)
  for (let i = 0; i + 4 <= comment.length; i++) {
    if (SIGNATURES.includes(comment.readUInt32LE(i))) {
      throw new ZipStructureError('ZIP', 'the archive comment holds a ZIP record signature: a reader searching from the end could take it for the directory')
    }
  }

  const endAt = size - tailLength + at
  const disk = end.readUInt16LE(4)
  const cdDisk = end.readUInt16LE(6)
  const onDisk = end.readUInt16LE(8)
  let entries = end.readUInt16LE(10)
  let cdSize = end.readUInt32LE(12)
  let cdStart = end.readUInt32LE(16)
  let cdEnd = endAt
  const locatorAt = endAt - LOCATOR_SIZE
  if (locatorAt >= 0 && file.bytes(locatorAt, 4, 'the ZIP64 locator').readUInt32LE(0) === ZIP64_LOCATOR) {
    const locator = Buffer.from(file.bytes(locatorAt, LOCATOR_SIZE, 'the ZIP64 locator'))
    const recordAt = safeNumber(locator.readBigUInt64LE(8), 'ZIP', 'ZIP64 end record offset')
    if (locator.readUInt32LE(4) !== 0 || locator.readUInt32LE(16) !== 1) throw new ZipStructureError('ZIP', 'the ZIP64 locator describes a multi-disk archive')
    const record = Buffer.from(file.bytes(recordAt, ZIP64_END_SIZE, 'the ZIP64 end record'))
    if (record.readUInt32LE(0) !== ZIP64_END) throw new ZipStructureError('ZIP', `no ZIP64 end record where the locator says (${recordAt})`)
    // §4.3.14.1: the size counts what follows its first 12 bytes, extensible data included.
    const recordEnd = safeNumber(BigInt(recordAt) + 12n + record.readBigUInt64LE(4), 'ZIP', 'ZIP64 end record size')
    if (recordEnd !== locatorAt) throw new ZipStructureError('ZIP', `the ZIP64 end record does not end where its locator begins (${recordEnd}, not ${locatorAt}): there are bytes between them`)
    if (record.readUInt32LE(16) !== 0 || record.readUInt32LE(20) !== 0) throw new ZipStructureError('ZIP', 'the ZIP64 end record describes a multi-disk archive')
    const onDisk64 = record.readBigUInt64LE(24)
    const entries64 = record.readBigUInt64LE(32)
    const cdSize64 = record.readBigUInt64LE(40)
    const cdStart64 = record.readBigUInt64LE(48)
    if (onDisk64 !== entries64) throw new ZipStructureError('ZIP', 'the ZIP64 end record gives two different entry counts')
    // A 32-bit field is either the sentinel that sends readers to the ZIP64 record, or the same value.
    const agrees = (small: number, max: number, big: bigint): boolean => small === max || BigInt(small) === big
    if (!agrees(entries, MAX16, entries64) || !agrees(onDisk, MAX16, entries64) || !agrees(cdSize, MAX32, cdSize64) || !agrees(cdStart, MAX32, cdStart64)) {
      throw new ZipStructureError('ZIP', 'the end record and the ZIP64 end record disagree on the central directory')
    }

    entries = safeNumber(entries64, 'ZIP', 'entry count')
    cdSize = safeNumber(cdSize64, 'ZIP', 'central directory size')
    cdStart = safeNumber(cdStart64, 'ZIP', 'central directory offset')
    cdEnd = recordAt
  } else if (disk !== 0 || cdDisk !== 0 || onDisk !== entries) {
    throw new ZipStructureError('ZIP', 'the end record describes a multi-disk archive')
  }

  if (cdStart + cdSize !== cdEnd) {
    throw new ZipStructureError(
      'ZIP',
      `the central directory (${cdSize} bytes at ${cdStart}) does not end where the end records begin (${cdEnd}): other readers would look for a directory elsewhere`,
    )
  }

  return {entries, cdStart, cdEnd}
}

/** The data descriptor after an entry's data (§4.3.9): its length, when it states what the central directory does. */
function descriptorLength(file: FileWindow, at: number, zip64: boolean, expected: {crc: number; csize: number; usize: number}, subject: string): number {
  const sizes = zip64 ? 16 : 8
  const available = Math.min(4 + 4 + sizes, file.size - at)
  const bytes = Buffer.from(file.bytes(at, available, 'its data descriptor', subject))
  const states = (from: number): boolean => {
    if (from + 4 + sizes > bytes.length) return false
    const crc = bytes.readUInt32LE(from)
    const csize = zip64 ? bytes.readBigUInt64LE(from + 4) : BigInt(bytes.readUInt32LE(from + 4))
    const usize = zip64 ? bytes.readBigUInt64LE(from + 4 + sizes / 2) : BigInt(bytes.readUInt32LE(from + 8))
    return crc === expected.crc && csize === BigInt(expected.csize) && usize === BigInt(expected.usize)
  }

  // The signature is optional (§4.3.9.3): with it, or without it.
  if (bytes.length >= 4 && bytes.readUInt32LE(0) === DATA_DESCRIPTOR && states(4)) return 4 + 4 + sizes
  if (states(0)) return 4 + sizes
  throw new ZipStructureError(subject, 'its data descriptor does not state the CRC-32 and sizes of the central directory')
}

/** A central directory record (§4.3.12), checked on its own: what its local header must match. */
interface CentralRecord {
  index: number
  name: string
  /** The name's bytes, which the local header must repeat exactly. */
  raw: Buffer
  /** The system that made the entry (the upper byte of "version made by"). */
  host: number
  cp437: string | undefined
  flags: number
  method: number
  crc: number
  csize: number
  usize: number
  offset: number
  external: number
  /** Where the next record must start. */
  recordEnd: number
}

/** The `index`th central directory record, at `position`: its fields, name, flags, method and ZIP64 sizes checked. */
function readCentralRecord(file: FileWindow, position: number, index: number, entries: number, cdEnd: number): CentralRecord {
  let subject = `entry ${index}`
  if (position + CENTRAL_SIZE > cdEnd) throw new ZipStructureError('ZIP', `the central directory holds fewer records than the ${entries} its end record states`)
  const central = Buffer.from(file.bytes(position, CENTRAL_SIZE, 'a central directory record'))
  if (central.readUInt32LE(0) !== CENTRAL_HEADER) throw new ZipStructureError('ZIP', `no central directory record at ${position}, inside the central directory`)
  const flags = central.readUInt16LE(8)
  const method = central.readUInt16LE(10)
  const crc = central.readUInt32LE(16)
  let csize = central.readUInt32LE(20)
  let usize = central.readUInt32LE(24)
  const nameLength = central.readUInt16LE(28)
  const extraLength = central.readUInt16LE(30)
  const commentLength = central.readUInt16LE(32)
  const diskStart = central.readUInt16LE(34)
  const external = central.readUInt32LE(38)
  let offset = central.readUInt32LE(42)
  const recordEnd = position + CENTRAL_SIZE + nameLength + extraLength + commentLength
  if (recordEnd > cdEnd) throw new ZipStructureError(subject, 'its central directory record runs past the central directory')
  const variable = Buffer.from(file.bytes(position + CENTRAL_SIZE, nameLength + extraLength, 'a central directory record'))
  const raw = variable.subarray(0, nameLength)
  const extras = parseExtra(variable.subarray(nameLength), subject, 'central')
  const host = central.readUInt8(5)
  const {name, cp437} = decodeName(raw, flags, host, extras, 'central')
  subject = name
  if ((flags & ~KNOWN_FLAGS) !== 0) {
    throw new ZipStructureError(subject, (flags & FLAG_ENCRYPTED) !== 0 ? 'the entry is encrypted' : `its general purpose flags 0x${flags.toString(16)} ask for features custody does not read (encryption, patches, masked headers)`)
  }

  if (method !== 0 && method !== 8) throw new ZipStructureError(subject, `compression method ${method} is not supported (only stored and deflated)`)
  if (central.readUInt16LE(6) > MAX_VERSION_NEEDED) throw new ZipStructureError(subject, `it needs a ZIP reader of version ${central.readUInt16LE(6) / 10}, later than the format (6.3) custody reads`)
  if (diskStart !== 0) throw new ZipStructureError(subject, 'it says it starts on another disk')
  const [u64, c64, o64] = (() => {
    const values = zip64Values(extras, [usize === MAX32, csize === MAX32, offset === MAX32], subject, 'central')
    const take = (is: boolean): bigint | undefined => (is ? values.shift() : undefined)
    return [take(usize === MAX32), take(csize === MAX32), take(offset === MAX32)]
  })()
  if (u64 !== undefined) usize = safeNumber(u64, subject, 'size')
  if (c64 !== undefined) csize = safeNumber(c64, subject, 'compressed size')
  if (o64 !== undefined) offset = safeNumber(o64, subject, 'offset')
  if (method === 0 && csize !== usize) throw new ZipStructureError(subject, `a stored entry of ${usize} bytes says it takes ${csize}`)
  return {index, name, raw, host, cp437, flags, method, crc, csize, usize, offset, external, recordEnd}
}

/**
 * The entry's local header (§4.3.7), which must start at `next` (where the entry before it ended)
 * and say what its central record says. Returns where its data starts and where the entry ends
 * (after its data descriptor, if it has one).
 */
function readLocalEntry(locals: FileWindow, central: CentralRecord, next: number, cdStart: number): {dataStart: number; end: number} {
  const {name: subject, raw, host, flags, method, csize, offset} = central
  if (offset !== next) {
    throw new ZipStructureError(
      subject,
      offset > next
        ? `its local header is at ${offset}, but the entry before it ends at ${next}: the ${offset - next} bytes between belong to no entry`
        : `its local header is at ${offset}, inside the entry before it (which ends at ${next}), or the central directory is not in the order of the file`,
    )
  }

  // The local header must say what the central record says.
  const local = Buffer.from(locals.bytes(offset, LOCAL_SIZE, 'its local header', subject))
  if (local.readUInt32LE(0) !== LOCAL_HEADER) throw new ZipStructureError(subject, `no local header at ${offset}`)
  const localFlags = local.readUInt16LE(6)
  const localNameLength = local.readUInt16LE(26)
  const localExtraLength = local.readUInt16LE(28)
  if (localFlags !== flags) throw new ZipStructureError(subject, `its local header's flags (0x${localFlags.toString(16)}) differ from the central directory's (0x${flags.toString(16)})`)
  if (local.readUInt16LE(4) > MAX_VERSION_NEEDED) throw new ZipStructureError(subject, `its local header needs a ZIP reader of version ${local.readUInt16LE(4) / 10}, later than the format (6.3) custody reads`)
  if (local.readUInt16LE(8) !== method) throw new ZipStructureError(subject, 'its local header gives another compression method than the central directory')
  const localVariable = Buffer.from(locals.bytes(offset + LOCAL_SIZE, localNameLength + localExtraLength, 'its local header', subject))
  if (!localVariable.subarray(0, localNameLength).equals(raw)) {
    throw new ZipStructureError(subject, `its local header names it ${JSON.stringify(localVariable.subarray(0, localNameLength).toString('utf8'))}: readers that trust local headers would extract another file`)
  }

  const localExtras = parseExtra(localVariable.subarray(localNameLength), subject, 'local')
  decodeName(raw, flags, host, localExtras, 'local')
  const dataStart = offset + LOCAL_SIZE + localNameLength + localExtraLength
  if (dataStart + csize > cdStart) throw new ZipStructureError(subject, `its data (${csize} bytes at ${dataStart}) runs into the central directory at ${cdStart}`)
  const stated = {crc: local.readUInt32LE(14), csize: local.readUInt32LE(18), usize: local.readUInt32LE(22)}
  const end = dataStart + csize + checkLocalSizes(locals, stated, localExtras, central, dataStart + csize)
  return {dataStart, end}
}

/**
 * The CRC-32 and sizes a local header states (or, with a data descriptor, the descriptor after the
 * data at `dataEnd`) must be the central record's. Returns the descriptor's length, 0 without one.
 */
function checkLocalSizes(locals: FileWindow, stated: {crc: number; csize: number; usize: number}, localExtras: ExtraField[], central: CentralRecord, dataEnd: number): number {
  const {name: subject, flags, crc, csize, usize} = central
  const {crc: localCrc, csize: localCsize, usize: localUsize} = stated
  const localZip64 = localExtras.some((f) => f.id === ZIP64_EXTRA)
  if ((flags & FLAG_DESCRIPTOR) === 0) {
    const values = zip64Values(localExtras, [localUsize === MAX32, localCsize === MAX32], subject, 'local')
    const lu = localUsize === MAX32 ? values.shift()! : BigInt(localUsize)
    const lc = localCsize === MAX32 ? values.shift()! : BigInt(localCsize)
    if (localCrc !== crc || lu !== BigInt(usize) || lc !== BigInt(csize)) {
      throw new ZipStructureError(subject, 'its local header states another CRC-32 or size than the central directory')
    }

    return 0
  }

  // §4.4.4: with a data descriptor the local fields are zero (or, here, must at least not disagree).
  const agrees = (value: number, expected: number): boolean => value === 0 || value === expected || (localZip64 && value === MAX32)
  if (!agrees(localCrc, crc) || !agrees(localCsize, csize) || !agrees(localUsize, usize)) {
    throw new ZipStructureError(subject, 'its local header states another CRC-32 or size than the central directory')
  }

  return descriptorLength(locals, dataEnd, localZip64, {crc, csize, usize}, subject)
}

/**
 * Checks the whole structure and yields each entry, in central-directory order (which must be the
 * order of the file). Throws a ZipStructureError at the first thing another reader could read
 * otherwise. Synchronous, a window of the file at a time: nothing grows with the number of entries.
 */
export function* readZipStructure(source: RandomAccess): Generator<ListedEntry> {
  const file = new FileWindow(source)
  const locals = new FileWindow(source)
  const {entries, cdStart, cdEnd} = readEnd(file)
  let position = cdStart
  /** Where the next entry's local header must start: the entries tile the file from byte 0. */
  let next = 0
  for (let index = 0; index < entries; index++) {
    const central = readCentralRecord(file, position, index, entries, cdEnd)
    const {dataStart, end} = readLocalEntry(locals, central, next, cdStart)
    yield {
      index,
      name: central.name,
      isDirectory: central.name.endsWith('/'),
      method: central.method,
      encrypted: false,
      compressedSize: central.csize,
      uncompressedSize: central.usize,
      offset: central.offset,
      dataStart,
      crc32: central.crc,
      unixMode: (central.external >>> 16) & 0xffff,
      ...(central.cp437 === undefined ? {} : {cp437Name: central.cp437}),
      rawName: central.raw,
    }
    next = end
    position = central.recordEnd
  }

  if (position !== cdEnd) throw new ZipStructureError('ZIP', `the central directory holds more than the ${entries} records its end record states`)
  if (next !== cdStart) throw new ZipStructureError('ZIP', `${cdStart - next} bytes between the last entry (which ends at ${next}) and the central directory belong to no entry`)
}
