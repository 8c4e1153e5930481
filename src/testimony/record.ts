/**
 * A testimony as it is taken: what the investigator gives (from flags or prompts), checked field by
 * field into the record that custody keeps.
 *
 * What can identify the witness (name, contact, identifying notes, what makes them vulnerable, the
 * referral made) is split off into the protected part, which is encrypted (identity.ts) and never
 * written in clear; the rest is the open record that the ledger and sealed archives carry.
 */
import {CustodyError, said, type Field} from '../errors.js'
import {TESTIMONY} from './fields.js'
import {IdentifyingSearch, refuseIdentifying} from './identifying.js'
import {checkLanguages} from './languages.js'
import {NO_CONSENT, checkMethod, checkScope, type ConsentMethod, type ConsentScope} from './vocabulary.js'

/** Everything as given, unchecked; errors name these fields (fields.ts), and a command each one's flag. */
export interface TestimonyInput {
  witness?: string | undefined
  /** The start, or an ISO 8601 interval START/END. */
  interviewedAt?: string | undefined
  endedAt?: string | undefined
  place?: string | undefined
  interviewers?: readonly string[] | undefined
  present?: readonly string[] | undefined
  interpreter?: string | undefined
  languages?: readonly string[] | undefined
  vulnerable?: boolean | undefined
  vulnerability?: string | undefined
  referral?: string | undefined
  /** Scopes, or exactly ['none']. */
  consent?: readonly string[] | undefined
  consentMethod?: string | undefined
  consentAt?: string | undefined
  statementFile?: string | undefined
  /** A statement typed in the editor, instead of a file. */
  statementText?: string | undefined
  attachments?: readonly string[] | undefined
  witnessName?: string | undefined
  witnessContact?: string | undefined
  identityNotes?: string | undefined
  note?: string | undefined
}

export interface Interview {
  startedAt: string
  endedAt: string | null
  place: string
  interviewers: string[]
  present: string[]
  interpreter: string | null
  languages: string[]
}

export interface ConsentRecord {
  /** Empty when the witness consented to nothing (consent `none`). */
  scopes: ConsentScope[]
  method: ConsentMethod | null
  givenAt: string | null
}

/** What is encrypted and never stored in clear. */
export interface ProtectedDetails {
  name: string | null
  contact: string | null
  notes: string | null
  vulnerability: string | null
  referral: string | null
}

export interface TestimonyRecord {
  witness: string
  interview: Interview
  vulnerable: boolean
  consent: ConsentRecord
  protectedDetails: ProtectedDetails
  statement: {file: string} | {text: string}
  attachments: string[]
  note: string | null
}

const WITNESS_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/

function text(value: string | undefined): string | null {
  const trimmed = value?.trim() ?? ''
  return trimmed === '' ? null : trimmed
}

function list(values: readonly string[] | undefined): string[] {
  return [...new Set((values ?? []).map((v) => v.trim()).filter((v) => v !== ''))]
}

/** The required fields still missing from `input` before a testimony can be recorded, in the order the interview asks. */
export function missingFields(input: TestimonyInput): Field[] {
  const consent = list(input.consent)
  const missing: Array<[Field, boolean]> = [
    [TESTIMONY.witness, text(input.witness) === null],
    [TESTIMONY.interviewedAt, text(input.interviewedAt) === null],
    [TESTIMONY.place, text(input.place) === null],
    [TESTIMONY.interviewers, list(input.interviewers).length === 0],
    [TESTIMONY.consent, consent.length === 0],
    [TESTIMONY.consentMethod, consent.length > 0 && !consent.includes(NO_CONSENT) && text(input.consentMethod) === null],
    [TESTIMONY.statementFile, text(input.statementFile) === null && text(input.statementText) === null],
  ]
  return missing.filter(([, isMissing]) => isMissing).map(([field]) => field)
}

export function checkWitnessCode(value: string, name?: string | null, contact?: string | null): string {
  const code = value.trim()
  if (!WITNESS_CODE.test(code)) {
    throw new CustodyError('INVALID_ARGUMENT', said`${TESTIMONY.witness} must be a code such as W-014 (letters, digits, '.', '_' or '-', at most 32), never a name; got ${JSON.stringify(value)}`)
  }

  // The code travels in clear into the ledger and every archive: it must not carry the name.
  const found = IdentifyingSearch.of({name: name ?? null, contact: contact ?? null}).withinCode(code)
  if (found !== undefined) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      `the witness code ${JSON.stringify(code)} contains ${found === 'name' ? "part of the witness's name" : "the witness's phone number"}; choose a code that does not identify them (such as W-014)`,
    )
  }

  return code
}

/**
 * The fields of the open record that are free text: recorded in clear in the ledger and in every
 * archive, so they must not hold the witness's name or contact (identifying.ts).
 */
export const OPEN_TEXT_FIELDS = [TESTIMONY.place, TESTIMONY.interviewers, TESTIMONY.present, TESTIMONY.interpreter, TESTIMONY.note] as const satisfies ReadonlyArray<Field<keyof TestimonyInput>>

export type OpenTextField = (typeof OPEN_TEXT_FIELDS)[number]

/** The search for this witness's name and contact, as given. */
export function searchFor(input: Pick<TestimonyInput, 'witnessName' | 'witnessContact'>): IdentifyingSearch {
  return IdentifyingSearch.of({name: text(input.witnessName), contact: text(input.witnessContact)})
}

/** The open-text fields of `input` that hold the witness's name or contact, in the order of OPEN_TEXT_FIELDS. */
export function identifyingFields(input: TestimonyInput, search: IdentifyingSearch = searchFor(input)): OpenTextField[] {
  if (search.isEmpty) return []
  return OPEN_TEXT_FIELDS.filter((field) => {
    const value = input[field.name]
    return (typeof value === 'string' ? [value] : (value ?? [])).some((v) => search.find(v) !== undefined)
  })
}

/** Refuses the first open-text field that holds the witness's name or contact, naming the field. */
export function checkOpenRecord(input: TestimonyInput): void {
  const search = searchFor(input)
  if (search.isEmpty) return
  for (const field of OPEN_TEXT_FIELDS) refuseIdentifying(search, field, input[field.name])
}

/** An ISO 8601 date and time with its zone, as recorded: the offset of the place matters in court. */
export function checkTime(value: string, field: Field): string {
  const trimmed = value.trim()
  const match = ISO_TIME.exec(trimmed)
  // Date.parse rolls 30 February over into March; the calendar day must exist as written.
  const day = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined
  if (!match || Number.isNaN(new Date(trimmed).getTime()) || day?.getUTCDate() !== Number(match[3]) || day.getUTCMonth() !== Number(match[2]) - 1 || Number(match[4]) > 23 || Number(match[5]) > 59) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      said`${field} must be an ISO 8601 date and time with its zone, such as 2024-03-01T14:05+02:00 or 2024-03-01T12:05:00Z, got ${JSON.stringify(value)}`,
    )
  }

  return trimmed
}

/** How far ahead of this computer's clock a consent may be dated: clocks differ by a few minutes. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000

/**
 * Refuses a consent dated in the future: consent takes effect by its date (testimonies.ts), so a
 * date typed a year ahead would decide it until then.
 */
export function checkNotFuture(at: string, field: Field, now: Date = new Date()): string {
  if (Date.parse(at) > now.getTime() + CLOCK_SKEW_MS) {
    throw new CustodyError('INVALID_ARGUMENT', said`${field} ${at} is in the future (this computer's clock says ${now.toISOString()}); give the time the witness gave or withdrew consent. Nothing was recorded`)
  }

  return at
}

export function checkConsent(scopes: readonly string[], method: string | undefined, givenAt: string | undefined, startedAt: string): ConsentRecord {
  const given = list(scopes)
  if (given.includes(NO_CONSENT)) {
    if (given.length > 1) throw new CustodyError('INVALID_ARGUMENT', said`${TESTIMONY.consent} none cannot be given together with scopes (${given.filter((s) => s !== NO_CONSENT).join(', ')})`)
    return {scopes: [], method: null, givenAt: null}
  }

  const checked = given.map((scope) => checkScope(scope, TESTIMONY.consent, true)).sort()
  const how = checkMethod(method, TESTIMONY.consentMethod, 'consent')
  return {scopes: checked, method: how, givenAt: givenAt === undefined || givenAt.trim() === '' ? startedAt : checkConsentTime(givenAt)}
}

/** When consent was given: a time with its zone, not in the future. */
export function checkConsentTime(value: string): string {
  return checkNotFuture(checkTime(value, TESTIMONY.consentAt), TESTIMONY.consentAt)
}

/**
 * Checks the fields that were given, before asking for the rest: a bad value is reported at once,
 * not after a whole interview.
 */
export function checkGiven(input: TestimonyInput): void {
  if (text(input.witness) !== null) checkWitnessCode(input.witness!, text(input.witnessName), text(input.witnessContact))
  checkOpenRecord(input)
  for (const [value, field] of [
    [input.interviewedAt?.split('/')[0], TESTIMONY.interviewedAt],
    [input.interviewedAt?.split('/')[1] ?? input.endedAt, TESTIMONY.endedAt],
    [input.consentAt, TESTIMONY.consentAt],
  ] as const) {
    if (text(value) !== null) checkTime(value!, field)
  }

  if (text(input.consentAt) !== null) checkConsentTime(input.consentAt!)

  checkLanguages(list(input.languages))
  const consent = list(input.consent)
  if (consent.includes(NO_CONSENT)) checkConsent(consent, undefined, undefined, '')
  else for (const scope of consent) checkScope(scope, TESTIMONY.consent, true)
  if (text(input.consentMethod) !== null) checkMethod(input.consentMethod, TESTIMONY.consentMethod, 'consent')
}

/** Checks everything given; the first problem is thrown, naming its field. */
export function checkTestimony(input: TestimonyInput): TestimonyRecord {
  const missing = missingFields(input)
  if (missing.length > 0) {
    throw new CustodyError('INVALID_ARGUMENT', said`a testimony needs ${missing.flatMap((field, i) => (i === 0 ? [field] : [', ', field]))}; nothing was recorded`)
  }

  const name = text(input.witnessName)
  const witness = checkWitnessCode(input.witness!, name, text(input.witnessContact))
  checkOpenRecord(input)
  const [start, givenEnd] = input.interviewedAt!.includes('/') ? input.interviewedAt!.split('/', 2) : [input.interviewedAt!, input.endedAt]
  const startedAt = checkTime(start!, TESTIMONY.interviewedAt)
  const end = text(givenEnd)
  const endedAt = end === null ? null : checkTime(end, TESTIMONY.endedAt)
  if (endedAt !== null && new Date(endedAt).getTime() < new Date(startedAt).getTime()) {
    throw new CustodyError('INVALID_ARGUMENT', `the interview cannot end (${endedAt}) before it started (${startedAt})`, {field: TESTIMONY.endedAt.name})
  }

  const statementFile = text(input.statementFile)
  const statementText = input.statementText ?? ''
  if (statementFile === null && statementText.trim() === '') {
    throw new CustodyError('INVALID_ARGUMENT', 'the statement is empty; nothing was recorded', {field: TESTIMONY.statementFile.name})
  }

  const vulnerability = text(input.vulnerability)
  return {
    witness,
    interview: {
      startedAt,
      endedAt,
      place: text(input.place)!,
      interviewers: list(input.interviewers),
      present: list(input.present),
      interpreter: text(input.interpreter),
      languages: checkLanguages(list(input.languages)),
    },
    vulnerable: (input.vulnerable ?? false) || vulnerability !== null,
    consent: checkConsent(input.consent ?? [], input.consentMethod, input.consentAt, startedAt),
    protectedDetails: {name, contact: text(input.witnessContact), notes: text(input.identityNotes), vulnerability, referral: text(input.referral)},
    statement: statementFile === null ? {text: statementText} : {file: statementFile},
    attachments: list(input.attachments),
    note: text(input.note),
  }
}

export function hasProtectedDetails(details: ProtectedDetails): boolean {
  return Object.values(details).some((value) => value !== null)
}
