/**
 * The fields of a testimony as its errors and the interview name them, in words: commands/ name
 * the flag that gives each instead (commands/_base.ts). One table, used by the checks (record.ts,
 * vocabulary.ts, identifying.ts) and by the interview that asks for them.
 */
import {fields} from '../errors.js'

export const TESTIMONY = fields({
  witness: 'the witness code',
  interviewedAt: 'the start of the interview',
  endedAt: 'the end of the interview',
  place: 'the place',
  interviewers: 'the interviewers',
  present: 'the people present',
  interpreter: 'the interpreter',
  languages: 'the language',
  consent: 'consent',
  consentMethod: 'the consent method',
  consentAt: 'the time of consent',
  statementFile: 'the statement',
  identityNotes: 'the identity note',
  note: 'the note',
})

/** The fields of what follows a testimony: a change of consent, a correction, a look at the identity. */
export const FOLLOW_UP = fields({
  grant: 'a scope to grant',
  withdraw: 'a scope to withdraw',
  method: 'the consent method',
  at: 'the time of the change',
  note: 'the note',
  reason: 'the reason',
  disclose: 'disclosure',
  actor: 'the actor',
})
