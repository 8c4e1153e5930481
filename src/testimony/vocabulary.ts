/**
 * The fixed vocabulary of informed consent. A witness consents, or not, to each scope separately;
 * a seal's --purpose names one scope, and only testimony whose current consent covers it goes in.
 * The words are part of the ledger's record: never rename one, only add.
 */
import {CustodyError, said, type Field} from '../errors.js'

export const CONSENT_SCOPES = {
  court: 'use of the statement and its attachments in judicial proceedings',
  international: 'sharing with UN bodies, international courts and international investigative mechanisms',
  advocacy: 'anonymised use in public reports and advocacy',
  contact: 'being contacted again by the organisation',
} as const

export type ConsentScope = keyof typeof CONSENT_SCOPES

export const CONSENT_METHODS = {
  'signed-form': 'a consent form signed by the witness',
  'recorded-orally': 'given orally and recorded (audio or video)',
  'oral-noted': 'given orally and noted by the interviewer, not recorded',
} as const

export type ConsentMethod = keyof typeof CONSENT_METHODS

/** What consent `none` records: the witness was asked and consented to nothing. */
export const NO_CONSENT = 'none'

export function isConsentScope(value: string): value is ConsentScope {
  return Object.hasOwn(CONSENT_SCOPES, value)
}

export function isConsentMethod(value: string): value is ConsentMethod {
  return Object.hasOwn(CONSENT_METHODS, value)
}

/** A scope given for `field`, checked; `orNone` when the field also takes `none`. */
export function checkScope(value: string, field: Field, orNone = false): ConsentScope {
  if (!isConsentScope(value)) {
    throw new CustodyError('INVALID_ARGUMENT', said`${field} must be one of ${Object.keys(CONSENT_SCOPES).join(', ')}${orNone ? ' (or none)' : ''}, got ${JSON.stringify(value)}`)
  }

  return value
}

/** How consent was given, checked; `what` is the consent it is about ("consent", "the new consent"). */
export function checkMethod(value: string | undefined, field: Field, what: string): ConsentMethod {
  const method = value?.trim() ?? ''
  if (!isConsentMethod(method)) {
    throw new CustodyError('INVALID_ARGUMENT', said`${field} must say how ${what} was given: ${Object.keys(CONSENT_METHODS).join(', ')}; got ${JSON.stringify(value ?? '')}`)
  }

  return method
}

export function describeScopes(): string {
  return Object.entries(CONSENT_SCOPES)
    .map(([scope, meaning]) => `${scope} (${meaning})`)
    .join('; ')
}
