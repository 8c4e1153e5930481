/**
 * An entry's name as every mainstream reader decodes it (PKWARE APPNOTE 6.3.10 §4.4.4 bit 11 and
 * appendix D; the Info-ZIP Unicode Path extra field 0x7075, §4.6.9), or why they could disagree.
 *
 * How the readers decode a name:
 *   - general purpose bit 11 set: UTF-8, all of them;
 *   - bit 11 not set, with an Info-ZIP Unicode Path field of version 1 whose CRC-32 is the raw
 *     name's: Info-ZIP's unzip, 7-Zip, yauzl and Python's zipfile from 3.12 take the field's name;
 *     Python's zipfile before 3.12 ignores the field and decodes the raw name as CP437;
 *   - bit 11 not set and no such field: unzip keeps the bytes as they are for an entry made on
 *     Unix (a UTF-8 name stays UTF-8 on a UTF-8 system) and converts them from the DOS code page
 *     for one made on MS-DOS, OS/2 or Windows; 7-Zip tries UTF-8 for an entry made on Unix, else
 *     uses the OEM code page; Python's zipfile and yauzl decode CP437 whatever the entry says.
 *
 * So a flagged name must be UTF-8, and an unflagged ASCII name reads the same everywhere. An
 * unflagged name that is valid UTF-8, of an entry made on Unix (what Info-ZIP's zip 3.0 writes on
 * Linux and macOS: it never sets the flag), is taken as UTF-8, as unzip and 7-Zip take it; its
 * CP437 reading (Python's, yauzl's) is given beside it, so that the verifier can refuse a ZIP in
 * which that reading is another entry's name (one reader would extract the two to one file). A
 * Unicode Path field must be of version 1, carry the raw name's CRC-32 and hold exactly the raw
 * name: then readers read one name whether they honour the field or not. Anything else is refused.
 */
import {crc32} from 'node:zlib'

/** APPNOTE §4.4.2.2: the upper byte of "version made by" names the system; 3 is UNIX. */
const HOST_UNIX = 3
/** CP437's bytes 0x80 to 0xFF (its first half is ASCII, as Python's codec has it). */
const CP437_HIGH =
  '\u00c7\u00fc\u00e9\u00e2\u00e4\u00e0\u00e5\u00e7\u00ea\u00eb\u00e8\u00ef\u00ee\u00ec\u00c4\u00c5\u00c9\u00e6\u00c6\u00f4\u00f6\u00f2\u00fb\u00f9\u00ff\u00d6\u00dc\u00a2\u00a3\u00a5\u20a7\u0192' +
  '\u00e1\u00ed\u00f3\u00fa\u00f1\u00d1\u00aa\u00ba\u00bf\u2310\u00ac\u00bd\u00bc\u00a1\u00ab\u00bb\u2591\u2592\u2593\u2502\u2524\u2561\u2562\u2556\u2555\u2563\u2551\u2557\u255d\u255c\u255b\u2510' +
  '\u2514\u2534\u252c\u251c\u2500\u253c\u255e\u255f\u255a\u2554\u2569\u2566\u2560\u2550\u256c\u2567\u2568\u2564\u2565\u2559\u2558\u2552\u2553\u256b\u256a\u2518\u250c\u2588\u2584\u258c\u2590\u2580' +
  '\u03b1\u00df\u0393\u03c0\u03a3\u03c3\u00b5\u03c4\u03a6\u0398\u03a9\u03b4\u221e\u03c6\u03b5\u2229\u2261\u00b1\u2265\u2264\u2320\u2321\u00f7\u2248\u00b0\u2219\u00b7\u221a\u207f\u00b2\u25a0\u00a0'
/** What to do about a name readers could decode otherwise. */
const REZIP = 'zip the bag again with a tool that writes UTF-8 names (Info-ZIP zip on Linux or macOS, 7-Zip, Python zipfile)'

/** A name as custody reads it, and, when it is not flagged UTF-8 and not ASCII, as CP437 readers read it. */
export interface EntryName {
  name: string
  /** The CP437 reading of Python's zipfile (before 3.12, or with no Unicode Path field) and yauzl. */
  cp437?: string
}

/** The bytes as CP437, as Python's codec decodes them. */
export function cp437(raw: Uint8Array): string {
  let text = ''
  for (const byte of raw) text += byte < 0x80 ? String.fromCharCode(byte) : CP437_HIGH[byte - 0x80]!
  return text
}

function utf8(raw: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(raw)
  } catch {
    return undefined
  }
}

/** Why a Unicode Path field (its data) could make readers disagree, or undefined when it names the entry as its name field does. */
function unicodePathProblem(field: Buffer, raw: Buffer, rawReading: string): string | undefined {
  if (field.length < 5 || field[0] !== 1) return 'its Unicode Path extra field (0x7075) is not of version 1: readers would disagree on whether to use it'
  if (field.readUInt32LE(1) !== crc32(raw)) {
    return "its Unicode Path extra field (0x7075) does not carry the CRC-32 of the name it stands for (the entry was renamed without it?): readers would disagree on whether to use it"
  }

  if (field.subarray(5).equals(raw)) return undefined
  const fieldName = utf8(field.subarray(5))
  return `its Unicode Path extra field (0x7075) names it otherwise, ${JSON.stringify(fieldName ?? cp437(field.subarray(5)))}: unzip, 7-Zip and yauzl would extract it under that name, Python's zipfile before 3.12 as ${JSON.stringify(rawReading)}`
}

/**
 * The entry's name from its raw bytes, its general purpose flags, the system that made it (the
 * upper byte of "version made by") and its Unicode Path field's data, if any; or the reason
 * readers could read it otherwise (`refused`, to be named with `shown`, the name as best read).
 */
export function decodeEntryName(raw: Buffer, utf8Flag: boolean, host: number, unicodePath: Buffer | undefined): EntryName | {refused: string; shown: string} {
  const decoded = utf8(raw)
  const shown = decoded ?? cp437(raw)
  if (decoded === undefined) {
    return {
      shown,
      refused: utf8Flag
        ? 'its name is flagged UTF-8 (general purpose bit 11) but is not UTF-8'
        : `its name is neither ASCII nor UTF-8, and the entry does not say in which code page it is (readers would decode it as CP437, the system's code page or otherwise): ${REZIP}`,
    }
  }

  if (unicodePath !== undefined) {
    const problem = unicodePathProblem(unicodePath, raw, decoded)
    if (problem !== undefined) return {shown, refused: problem}
  }

  // eslint-disable-next-line no-control-regex -- any character outside ASCII
  if (utf8Flag || !/[^\u0000-\u007F]/.test(decoded)) return {name: decoded}
  if (unicodePath === undefined && host !== HOST_UNIX) {
    return {
      shown,
      refused: `its name is not ASCII, not flagged UTF-8 (general purpose bit 11), and the entry was made on system ${host}, not Unix: unzip would convert it from the DOS code page, others read it as UTF-8: ${REZIP}`,
    }
  }

  return {name: decoded, cp437: cp437(raw)}
}
