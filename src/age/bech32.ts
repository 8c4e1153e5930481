/**
 * Bech32 (BIP 173), as age uses it for its keys (age §"Conventions used in this document"):
 * without BIP 173's limit of 90 characters, all upper or all lower case, the checksum always
 * computed over the lower-case string. Data is 8-bit bytes regrouped into 5-bit words.
 */

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3] as const
const CHECKSUM_LENGTH = 6

/** BIP 173's checksum polynomial over 5-bit values. */
function polymod(values: readonly number[]): number {
  let chk = 1
  for (const value of values) {
    const top = chk >>> 25
    chk = ((chk & 0x1ffffff) << 5) ^ value
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i]!
  }

  return chk >>> 0
}

/** BIP 173's "hrp expand": the high bits of each character, a zero, then the low bits. */
function expandHrp(hrp: string): number[] {
  const codes = [...hrp].map((c) => c.charCodeAt(0))
  return [...codes.map((c) => c >>> 5), 0, ...codes.map((c) => c & 31)]
}

/** Regroups bits: `pad` for 8 → 5 (the last group filled with zeros); without, the leftover must be fewer than `from` zero bits. */
function regroup(data: Iterable<number>, from: number, to: number, pad: boolean): number[] | undefined {
  let acc = 0
  let bits = 0
  const out: number[] = []
  const max = (1 << to) - 1
  for (const value of data) {
    acc = ((acc << from) | value) & 0xffffff
    bits += from
    while (bits >= to) {
      bits -= to
      out.push((acc >>> bits) & max)
    }
  }

  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & max)
  } else if (bits >= from || ((acc << (to - bits)) & max) !== 0) {
    return undefined
  }

  return out
}

/** The lower-case Bech32 string of `data` under `hrp` (lower case too). */
export function encodeBech32(hrp: string, data: Uint8Array): string {
  const words = regroup(data, 8, 5, true)!
  const checksum = polymod([...expandHrp(hrp), ...words, 0, 0, 0, 0, 0, 0]) ^ 1
  const check = Array.from({length: CHECKSUM_LENGTH}, (_, i) => (checksum >>> (5 * (5 - i))) & 31)
  return `${hrp}1${[...words, ...check].map((w) => CHARSET[w]).join('')}`
}

export type Bech32Result = {ok: true; hrp: string; data: Uint8Array} | {ok: false; problem: string}

/**
 * The human-readable part (lower case) and data of a Bech32 string, or what is wrong with it.
 * The hrp is returned lower-cased: whether its case was the expected one is the caller's check.
 */
export function decodeBech32(text: string): Bech32Result {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) return {ok: false, problem: 'it mixes upper and lower case'}
  const lower = text.toLowerCase()
  const separator = lower.lastIndexOf('1')
  if (separator < 1 || lower.length - separator - 1 < CHECKSUM_LENGTH) return {ok: false, problem: 'it has no Bech32 separator and checksum'}
  const hrp = lower.slice(0, separator)
  if ([...hrp].some((c) => c.charCodeAt(0) < 33 || c.charCodeAt(0) > 126)) return {ok: false, problem: 'its prefix has characters Bech32 does not allow'}
  const words: number[] = []
  for (const c of lower.slice(separator + 1)) {
    const word = CHARSET.indexOf(c)
    if (word < 0) return {ok: false, problem: `it has ${JSON.stringify(c)}, not a Bech32 character`}
    words.push(word)
  }

  if (polymod([...expandHrp(hrp), ...words]) !== 1) return {ok: false, problem: 'its checksum is wrong (a character mistyped or missing)'}
  const data = regroup(words.slice(0, -CHECKSUM_LENGTH), 5, 8, false)
  if (data === undefined) return {ok: false, problem: 'its data has padding bits that are not zero'}
  return {ok: true, hrp, data: Uint8Array.from(data)}
}
