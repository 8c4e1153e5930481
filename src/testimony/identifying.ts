/**
 * Whether a text names the witness: the one test behind every check that keeps the name and
 * contact out of what custody writes in clear (the witness code, the interview's open record,
 * notes and reasons, the statement's text, the metadata of the statement and attachments).
 *
 * - Names are compared by name part, as whole words: the name is cut at anything that is not a
 *   letter or digit, parts of fewer than three letters and name particles (van, bin, abu...) are
 *   left out, and a word of the text matches a part when both are equal after case folding (any
 *   script), Unicode canonical decomposition and the removal of accents (combining marks), so
 *   KOVALÉNKO and Kovalenko are the same word. Words, not substrings: "Kovalenkivka" is a village,
 *   and "Ann" must not match "annual". Apostrophes inside a word are tried both ways ("Olena's"
 *   holds "Olena"; "Dar'ya" is one part). Scripts written without spaces between words (Han,
 *   kana, Thai, Lao, Khmer, Myanmar) have no words to compare: a part in one of them is looked
 *   for anywhere in the text, from two characters. A witness code, which has no words either, is
 *   searched for the parts anywhere in it.
 * - Phone numbers are compared by their digits: a run of digits in the text (with spaces, dots,
 *   dashes, slashes or brackets between them) matches when it contains the last nine digits of a
 *   phone number of the contact (what stays the same between +380 44 555 0142 and 044 555 0142),
 *   or when it is itself the end of that number, of at least seven digits (555-0142).
 * - E-mail addresses and @handles of the contact are compared case-insensitively, whole.
 *
 * What else a contact may say (an address, "through her brother") is not searched for: it has no
 * form that can be told from ordinary words.
 *
 * Texts can be large (a statement of many megabytes): scanner() finds the same as find() over a
 * stream of chunks, holding at most about a kilobyte between them.
 */
import {CustodyError, said, type Field, type Said} from '../errors.js'
import {TESTIMONY} from './fields.js'

export type IdentifierKind = 'name' | 'contact'

export interface WitnessIdentifiers {
  name: string | null
  contact: string | null
}

/** Name particles: too common as words to stand for the name on their own. */
const PARTICLES = new Set(['van', 'von', 'der', 'den', 'del', 'della', 'des', 'dos', 'das', 'ter', 'ten', 'bin', 'ibn', 'bint', 'abu', 'umm'])

/** Scripts written without spaces between words (UAX #29 finds no word boundaries in them). */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u
const APOSTROPHES = /['’ʼ]/u
const ALL_APOSTROPHES = /['’ʼ]/gu
const WORD = /[\p{L}\p{N}]+(?:['’ʼ][\p{L}\p{N}]+)*/gu
/** Digits with at most three separators between any two; it must not start inside a word. */
const PHONE = /(?<![\p{L}\p{N}+])\+?\d(?:[ \t()./-]{0,3}\d)*/gu
const PHONE_CHARS = /[\d+ \t()./-]/u
const EMAIL = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu
const HANDLE = /(?<![\p{L}\p{N}._%+@-])@[\p{L}\p{N}_][\p{L}\p{N}_.]*[\p{L}\p{N}_]/gu
/** The shortest run of digits taken for a phone number, and how many of its last digits identify it. */
const MIN_PHONE_DIGITS = 7
const PHONE_KEY_DIGITS = 9
/** What a scanner keeps between chunks at most: a word, address or run of digits longer is searched in pieces. */
const MAX_CARRY = 1024

/** Case folded in any script, decomposed, accents removed: the form in which texts are compared. */
export function foldText(text: string): string {
  // Lower case first: 'İ' lowers to 'i' and a combining dot, which the next step removes.
  return text.toLowerCase().normalize('NFD').replace(/\p{M}+/gu, '').replaceAll('ς', 'σ')
}

function digitsOf(text: string): string {
  return text.replace(/\D+/g, '')
}

/** Every form of a word with apostrophes: each piece, and each run of pieces joined. */
function wordForms(word: string): string[] {
  if (!APOSTROPHES.test(word)) return [word]
  const pieces = word.split(APOSTROPHES).slice(0, 8)
  const forms: string[] = []
  for (let i = 0; i < pieces.length; i++) for (let j = i + 1; j <= pieces.length; j++) forms.push(pieces.slice(i, j).join(''))
  return forms
}

export interface IdentifyingScanner {
  push(chunk: string): void
  /** What was found, the name before the contact; the scanner cannot be used after. */
  end(): IdentifierKind | undefined
  /** Whether the name has been found already (nothing more can change the answer). */
  readonly settled: boolean
}

export class IdentifyingSearch {
  private readonly nameParts: ReadonlySet<string>
  /** The parts in a script without spaces, looked for inside words. */
  private readonly unspacedParts: readonly string[]
  private readonly phones: ReadonlyArray<{digits: string; key: string}>
  private readonly addresses: ReadonlySet<string>

  private constructor(nameParts: Set<string>, phones: Array<{digits: string; key: string}>, addresses: Set<string>) {
    this.nameParts = nameParts
    this.unspacedParts = [...nameParts].filter((part) => UNSPACED.test(part))
    this.phones = phones
    this.addresses = addresses
  }

  static of(who: WitnessIdentifiers): IdentifyingSearch {
    const parts = new Set<string>()
    for (const word of foldText(who.name ?? '').match(WORD) ?? []) {
      const part = word.replace(ALL_APOSTROPHES, '')
      if ([...part].length >= (UNSPACED.test(part) ? 2 : 3) && !PARTICLES.has(part)) parts.add(part)
    }

    const contact = foldText(who.contact ?? '')
    const phones: Array<{digits: string; key: string}> = []
    for (const run of contact.match(PHONE) ?? []) {
      const digits = digitsOf(run)
      if (digits.length >= MIN_PHONE_DIGITS) phones.push({digits, key: digits.slice(-PHONE_KEY_DIGITS)})
    }

    const addresses = new Set<string>([...(contact.match(EMAIL) ?? []), ...(contact.match(HANDLE) ?? [])])
    return new IdentifyingSearch(parts, phones, addresses)
  }

  /** What there is to search for: the name, and the contact when it holds a phone number, e-mail address or handle. */
  get searchedFor(): IdentifierKind[] {
    return [...(this.nameParts.size > 0 ? (['name'] as const) : []), ...(this.phones.length + this.addresses.size > 0 ? (['contact'] as const) : [])]
  }

  get isEmpty(): boolean {
    return this.searchedFor.length === 0
  }

  /** Whether `text` names the witness: 'name' when it holds a name part, else 'contact' when it holds a contact. */
  find(text: string): IdentifierKind | undefined {
    const scanner = this.scanner()
    scanner.push(text)
    return scanner.end()
  }

  /** The same as find(), over a text given in pieces. */
  scanner(): IdentifyingScanner {
    return new Scanner(this)
  }

  /** A witness code has no words: the name parts are looked for anywhere in it, and so are the phone numbers. */
  withinCode(code: string): IdentifierKind | undefined {
    const folded = foldText(code)
    if ([...this.nameParts].some((part) => folded.includes(part))) return 'name'
    return this.matchesPhone(digitsOf(code)) ? 'contact' : undefined
  }

  /**
   * @internal Whether `text` could hold a name part at all: a quick test that spares the word by
   * word search of most chunks (the parts are looked for anywhere, apostrophes left out).
   */
  mayHoldName(text: string): boolean {
    if (this.nameParts.size === 0) return false
    const flat = APOSTROPHES.test(text) ? text.replace(ALL_APOSTROPHES, '') : text
    for (const part of this.nameParts) if (flat.includes(part)) return true
    return false
  }

  /**
   * @internal The scanner's test of one word; of a `fragment` (the end of a word whose start was
   * tested before), only what a part in a script without spaces can find inside it.
   */
  matchesWord(word: string, fragment = false): boolean {
    if (this.unspacedParts.some((part) => word.includes(part))) return true
    return !fragment && this.nameParts.size > 0 && wordForms(word).some((form) => this.nameParts.has(form))
  }

  /** @internal The scanner's test of one run of digits. */
  matchesPhone(digits: string): boolean {
    return this.phones.some((phone) => digits.includes(phone.key) || (digits.length >= MIN_PHONE_DIGITS && phone.digits.endsWith(digits)))
  }

  /** @internal The scanner's test of one e-mail address or handle. */
  matchesAddress(address: string): boolean {
    return this.addresses.has(address.replace(/\.+$/u, ''))
  }

  /** @internal */
  get hasContact(): boolean {
    return this.phones.length + this.addresses.size > 0
  }
}

/**
 * Scans a text given in chunks. Each chunk is folded and appended to what was kept of the one
 * before; everything that cannot grow any more is tested, and the tail that still could (the last
 * word, address or run of digits, which the next chunk may continue) is kept, with the one
 * character before it so that the next pass sees the same boundary as a pass over the whole text.
 */
class Scanner implements IdentifyingScanner {
  private readonly search: IdentifyingSearch
  private kept = ''
  /** How many characters at the start of `kept` are context only (0 or 1). */
  private context = 0
  private name = false
  private contact = false

  constructor(search: IdentifyingSearch) {
    this.search = search
  }

  get settled(): boolean {
    return this.name
  }

  push(chunk: string): void {
    if (chunk === '' || this.settled) return
    const text = this.kept + foldText(chunk)
    const from = this.tailStart(text)
    this.test(text, from)
    if (from - 1 >= this.context) {
      this.kept = text.slice(from - 1)
      this.context = 1
    } else {
      // Nothing of the tail was tested: it stays as it was, context included.
      this.kept = text
    }
  }

  end(): IdentifierKind | undefined {
    if (!this.settled) this.test(this.kept, this.kept.length + 1)
    this.kept = ''
    return this.name ? 'name' : this.contact ? 'contact' : undefined
  }

  /**
   * Where the part of `text` that a later chunk could still extend begins: the last run without
   * white space (a word, an address), or the last run of phone characters, whichever starts first;
   * never more than MAX_CARRY characters before the end. Walked by hand: a regular expression
   * anchored at the end would be quadratic on a long run of spaces.
   */
  private tailStart(text: string): number {
    let word = text.length
    while (word > this.context && !/\s/u.test(text[word - 1]!)) word--
    let phone = text.length
    while (phone > this.context && PHONE_CHARS.test(text[phone - 1]!)) phone--
    return Math.max(Math.min(word, phone), text.length - MAX_CARRY, this.context)
  }

  /** Tests the words, addresses and runs of digits of `text` that start before `before`. */
  private test(text: string, before: number): void {
    const search = this.search
    const starts = (m: RegExpExecArray): boolean => m.index >= this.context && m.index < before
    if (!this.name && search.mayHoldName(text)) {
      for (const m of text.matchAll(WORD)) {
        if (m.index >= before) break
        // A word begun before this pass (index 0, the context) is a fragment of one tested already.
        if (search.matchesWord(m[0], !starts(m))) {
          this.name = true
          return
        }
      }
    }

    if (this.contact || !search.hasContact) return
    if (/\d/u.test(text)) {
      for (const m of text.matchAll(PHONE)) {
        if (m.index >= before) break
        if (starts(m) && search.matchesPhone(digitsOf(m[0]))) return void (this.contact = true)
      }
    }

    if (!text.includes('@')) return
    for (const pattern of [EMAIL, HANDLE]) {
      for (const m of text.matchAll(pattern)) {
        if (m.index >= before) break
        if (starts(m) && search.matchesAddress(m[0])) return void (this.contact = true)
      }
    }
  }
}

/**
 * Why a value of the open record (recorded in clear in the ledger and every archive) cannot be
 * taken: it holds the witness's name or contact. Names the field, never the value.
 */
export function identifyingReason(search: IdentifyingSearch, field: Field, values: string | readonly string[] | null | undefined): Said | undefined {
  for (const value of typeof values === 'string' ? [values] : (values ?? [])) {
    const found = search.find(value)
    if (found === undefined) continue
    return said`${field} contains the witness's ${found === 'name' ? 'name' : 'contact details'}, and it would be recorded in clear in the ledger and in every archive. Write it without the name or contact (name people by role or code: "a relative", "P-3"); what identifies the witness belongs in ${TESTIMONY.identityNotes}, which is encrypted`
  }

  return undefined
}

/** Refuses a value of the open record that holds the witness's name or contact (identifyingReason). */
export function refuseIdentifying(search: IdentifyingSearch, field: Field, values: string | readonly string[] | null | undefined): void {
  const reason = identifyingReason(search, field, values)
  if (reason !== undefined) throw new CustodyError('IDENTIFYING_CONTENT', said`${reason}. Nothing was recorded`)
}
