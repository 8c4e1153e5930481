/**
 * The testimony interview: one question at a time for everything the flags did not give, each
 * answer checked as it is typed (by the same checks as the flags, record.ts), then a summary to
 * confirm. This module decides what is asked, in what order, and what answer is taken; an Asker
 * puts the questions to a person (the terminal one is the command's:
 * commands/testimony/_interview.ts), so the core knows nothing of terminals or prompt libraries.
 * Stopping at any question (Ctrl-C) records nothing.
 *
 * The open record's free text (place, people, note) must not hold the witness's name or contact.
 * The name and contact are asked last, so once they are known every such answer (or flag) is
 * checked again, and one that holds them is asked again, with the reason.
 */
import {statSync} from 'node:fs'
import {resolve} from 'node:path'
import {CustodyError, messageOf, sayWith, type Said} from '../errors.js'
import {describeFindings, type Finding} from './content-check.js'
import {TESTIMONY} from './fields.js'
import {identifyingReason} from './identifying.js'
import {checkLanguages} from './languages.js'
import {checkConsentTime, checkTime, checkWitnessCode, identifyingFields, searchFor, type OpenTextField, type TestimonyInput} from './record.js'
import {localTime} from './typed-time.js'
import {CONSENT_METHODS, CONSENT_SCOPES, NO_CONSENT} from './vocabulary.js'

export {localTime} from './typed-time.js'

/** A check of an answer as it is typed: true, or the reason it is refused (the question is asked again). */
export type Validate = (value: string) => true | string

/** One of the answers a question offers: the value taken, and the line shown for it. */
export interface Choice {
  value: string
  name: string
}

/**
 * Puts questions to the person recording a testimony and returns their answers. When they stop
 * at a question (Ctrl-C), a method throws QuestionCancelled, and nothing is recorded.
 */
export interface Asker {
  /** A line of text; `default` is taken for an empty answer. */
  text(question: {message: string; default?: string; validate?: Validate}): Promise<string>
  /** Yes or no. */
  confirm(question: {message: string; default: boolean}): Promise<boolean>
  /** One of the choices' values. */
  choose(question: {message: string; choices: readonly Choice[]}): Promise<string>
  /** Any number of the choices' values, none included. */
  chooseAny(question: {message: string; choices: readonly Choice[]}): Promise<string[]>
  /**
   * A longer text typed in an editor: a witness's statement, so anything written on the way (an
   * editor's temp file) must be readable by its owner alone.
   */
  longText(question: {message: string; validate: Validate}): Promise<string>
  /** Something to read between questions: a reason, a summary. */
  tell(text: string): void
}

/** What an Asker throws when the person stops at a question. */
export class QuestionCancelled extends Error {
  override name = 'QuestionCancelled'
}

export interface InterviewContext {
  cwd?: string
  /** Default interviewer: the case's investigator. */
  investigator?: string
  now?: Date
}

/**
 * Why an answer is refused, under the question that asked for it: a message that opens with the
 * field goes on from after it, as the question names the field already.
 */
function refusedAnswer(message: Said): string {
  const opening = message.findIndex((part) => part !== '')
  return sayWith(typeof message[opening] === 'string' ? message : message.slice(opening + 1)).trimStart()
}

/** A prompt validator from a check that throws. */
function checked(check: (value: string) => unknown, optional = false): Validate {
  return (value) => {
    if (optional && value.trim() === '') return true
    try {
      check(value)
      return true
    } catch (error) {
      return error instanceof CustodyError ? refusedAnswer(error.said) : messageOf(error)
    }
  }
}

function required(what: string): Validate {
  return (value) => value.trim() !== '' || `${what} is required`
}

/** Both checks, the first failure reported. */
function all(...checks: Validate[]): Validate {
  return (value) => {
    for (const check of checks) {
      const ok = check(value)
      if (ok !== true) return ok
    }

    return true
  }
}

function commaList(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
}

function isFile(cwd: string): Validate {
  return (value) => {
    try {
      return statSync(resolve(cwd, value.trim())).isFile() || 'that is not a file'
    } catch {
      return 'no such file'
    }
  }
}

/** What is about to be recorded, for the investigator to check before confirming. Identities are not echoed. */
function summary(a: TestimonyInput): string {
  const scopes = a.consent ?? []
  const identity = [a.witnessName, a.witnessContact, a.identityNotes, a.vulnerability, a.referral].filter((v) => v?.trim()).length
  const rows: Array<[string, string]> = [
    ['witness', `${a.witness ?? ''}${a.vulnerable ? ' (vulnerable)' : ''}`],
    ['interview', `${a.interviewedAt ?? ''}${a.endedAt?.trim() ? ` to ${a.endedAt.trim()}` : ''} at ${a.place ?? ''}`],
    ['interviewers', (a.interviewers ?? []).join(', ')],
    ['interpreter', a.interpreter?.trim() || 'none'],
    ['consent', scopes.includes(NO_CONSENT) ? 'none' : `${scopes.join(', ')} (${a.consentMethod ?? ''}, ${a.consentAt ?? ''})`],
    ['statement', a.statementFile === undefined ? `typed, ${a.statementText?.length ?? 0} characters` : a.statementFile],
    ['attachments', String((a.attachments ?? []).length)],
    ['identity', identity === 0 ? 'none given' : `${identity} protected detail(s), to be encrypted`],
  ]
  return ['', ...rows.map(([k, v]) => `  ${k.padEnd(13)} ${v}`), ''].join('\n')
}

/** A statement typed in an editor; an empty one is refused at the question. */
function typeStatement(message: string, ask: Asker): Promise<string> {
  return ask.longText({message, validate: (v) => v.trim() !== '' || 'the statement is empty'})
}

/** Runs `questions`; a person stopping at one of them is INTERRUPTED, with `cancelled` as the message. */
async function unlessCancelled<T>(cancelled: string, questions: () => Promise<T>): Promise<T> {
  try {
    return await questions()
  } catch (error) {
    if (error instanceof QuestionCancelled) throw new CustodyError('INTERRUPTED', cancelled)
    throw error
  }
}

/**
 * Shows where the witness's name or contact was found (which file, which field; never the value)
 * and asks whether to record the testimony as holding identifying content. Ctrl-C records nothing.
 */
export async function confirmIdentifyingContent(findings: readonly Finding[], ask: Asker): Promise<boolean> {
  ask.tell(
    [
      '',
      "The witness's name or contact is in what would be recorded:",
      ...describeFindings(findings).map((line) => `  ${line}`),
      'Recorded anyway, the testimony is marked as holding identifying content, and no advocacy (anonymised) seal will take it.',
      '',
    ].join('\n'),
  )
  return unlessCancelled('cancelled at a prompt; nothing was recorded', () => ask.confirm({message: 'Record it as holding identifying content?', default: false}))
}

/** The corrected statement for `testimony amend`, typed in an editor; Ctrl-C records nothing. */
export function askCorrectedStatement(ask: Asker): Promise<string> {
  return unlessCancelled('the correction was cancelled; nothing was recorded', () => typeStatement('Type the corrected statement; save and close the editor to go on:', ask))
}

/** A question for each free-text field of the open record, answering in the field's own type. */
type OpenQuestions = {[F in OpenTextField as F['name']]: () => Promise<NonNullable<TestimonyInput[F['name']]>>}

async function reask(field: OpenTextField, answers: TestimonyInput, ask: OpenQuestions): Promise<void> {
  // One branch per type of answer: TypeScript cannot pair a key with its question through a union.
  if (field.name === 'interviewers' || field.name === 'present') answers[field.name] = await ask[field.name]()
  else answers[field.name] = await ask[field.name]()
}

/**
 * One question of the interview: whether it is still to be asked, given the answers so far (a
 * flag gives an answer, and some questions only follow from others), and how it is asked.
 */
interface Question {
  needed: (answers: TestimonyInput) => boolean
  ask: (answers: TestimonyInput) => Promise<void>
}

/** A question for a field that neither a flag nor an earlier answer gave (and, with `when`, only then). */
function field<K extends keyof TestimonyInput>(
  key: K,
  ask: (answers: TestimonyInput) => Promise<NonNullable<TestimonyInput[K]>>,
  when: (answers: TestimonyInput) => boolean = () => true,
): Question {
  return {
    needed: (answers) => answers[key] === undefined && when(answers),
    ask: async (answers) => {
      answers[key] = await ask(answers)
    },
  }
}

/**
 * Asks for every field of `given` that is undefined, and returns the whole input. Throws
 * INTERRUPTED when the investigator stops at a question or does not confirm. The steps:
 *
 *   1. when      the witness code, when the interview started and ended
 *   2. open      the open record's free text: place, interviewers, others present, interpreter;
 *                the languages; whether the witness is vulnerable, and how
 *   3. consent   what the witness consented to, how and when
 *   4. files     the statement (a file, or typed in an editor) and the attachments
 *   5. identity  the witness's name, contact and identifying notes (to be encrypted), asked last
 *                so that every open answer can be checked against them
 *   6. recheck   ask again for any open answer (or flag) that holds the name or contact
 *   7. confirm   a summary, and whether to record it
 *
 * Steps 1 to 5 are the list of questions below; a question a flag answered is not asked, and
 * costs no turn of the event loop, so the first question is on the screen as soon as this is called.
 */
export async function askForTestimony(given: TestimonyInput, ask: Asker, context: InterviewContext = {}): Promise<TestimonyInput> {
  const answers: TestimonyInput = {...given}
  const open = openQuestions(answers, ask, context.investigator)
  const questions = [
    ...whenQuestions(ask, context.now ?? new Date()),
    ...openRecordQuestions(ask, open),
    ...consentQuestions(ask),
    ...fileQuestions(ask, context.cwd ?? process.cwd()),
    ...identityQuestions(ask),
  ]
  return unlessCancelled('the testimony was cancelled at a prompt; nothing was recorded', async () => {
    for (const question of questions) if (question.needed(answers)) await question.ask(answers)
    // 6. recheck: what was answered (or given by flags) before the name and contact were known.
    for (let found = identifyingFields(answers)[0]; found !== undefined; found = identifyingFields(answers)[0]) {
      ask.tell(`\n${sayWith(identifyingReason(searchFor(answers), found, answers[found.name]) ?? [])}.\nPlease give ${found.words} again:\n`)
      await reask(found, answers, open)
    }

    // 7. confirm
    ask.tell(`${summary(answers)}\n`)
    if (!(await ask.confirm({message: `Record the testimony of ${answers.witness}?`, default: true}))) {
      throw new CustodyError('INTERRUPTED', 'the testimony was not recorded (not confirmed); nothing was written')
    }

    return answers
  })
}

/** When the interview started: its start alone, also when given as START/END. Asked in step 1, before anything that needs it. */
function startOf(answers: TestimonyInput): string {
  return (answers.interviewedAt ?? '').split('/')[0]!
}

/**
 * The questions of the open record's free text. Each refuses an answer that holds the witness's
 * name or contact, once they are known (given by flags, or answered).
 */
function openQuestions(answers: TestimonyInput, ask: Asker, investigator: string | undefined): OpenQuestions {
  const open =
    (field: OpenTextField, split = false): Validate =>
    (value) => {
      const reason = identifyingReason(searchFor(answers), field, split ? commaList(value) : value)
      return reason === undefined || refusedAnswer(reason)
    }
  return {
    place: () => ask.text({message: 'Where the interview took place:', validate: all(required('the place'), open(TESTIMONY.place))}),
    interviewers: async () =>
      commaList(
        await ask.text({
          message: 'Interviewer(s), separated by commas:',
          ...(investigator ? {default: investigator} : {}),
          validate: all(required('at least one interviewer'), open(TESTIMONY.interviewers, true)),
        }),
      ),
    present: async () => commaList(await ask.text({message: 'Anyone else present (names or roles, separated by commas; empty if nobody):', validate: open(TESTIMONY.present, true)})),
    interpreter: () => ask.text({message: 'Interpreter (empty if none):', validate: open(TESTIMONY.interpreter)}),
    note: () => ask.text({message: 'Note recorded with the testimony (in clear: nothing identifying; empty for none):', validate: open(TESTIMONY.note)}),
  }
}

/** Step 1: the witness code, and when the interview started and ended (no end for a START/END). */
function whenQuestions(ask: Asker, now: Date): Question[] {
  return [
    field('witness', () => ask.text({message: 'Witness code (a pseudonym such as W-014, never the name):', validate: checked((v) => checkWitnessCode(v))})),
    field('interviewedAt', () => ask.text({message: 'Interview started (ISO 8601 with zone):', default: localTime(now), validate: checked((v) => checkTime(v, TESTIMONY.interviewedAt))})),
    field(
      'endedAt',
      (answers) => {
        const start = new Date(startOf(answers)).getTime()
        return ask.text({
          message: 'Interview ended (ISO 8601 with zone; empty if not noted):',
          validate: (value) => {
            const ok = checked((v) => checkTime(v, TESTIMONY.endedAt), true)(value)
            return ok !== true || value.trim() === '' || new Date(value.trim()).getTime() >= start || 'the interview cannot end before it started'
          },
        })
      },
      (answers) => !answers.interviewedAt?.includes('/'),
    ),
  ]
}

/** Step 2: the open record's free text, the languages, and whether the witness is vulnerable. */
function openRecordQuestions(ask: Asker, open: OpenQuestions): Question[] {
  const vulnerable = (answers: TestimonyInput): boolean => answers.vulnerable === true
  return [
    field('place', open.place),
    field('interviewers', open.interviewers),
    field('present', open.present),
    field('interpreter', open.interpreter),
    field('languages', async () =>
      commaList(await ask.text({message: 'Languages of the interview (BCP 47 tags such as uk, ru, crh, en; separated by commas):', validate: checked((v) => checkLanguages(commaList(v)), true)})),
    ),
    field('vulnerable', () => ask.confirm({message: 'Is the witness vulnerable (a minor, a survivor of sexual violence, at particular risk)?', default: false})),
    field('vulnerability', () => ask.text({message: 'In what way (kept encrypted with the identity):'}), vulnerable),
    field('referral', () => ask.text({message: 'Referral made, if any (kept encrypted with the identity):'}), vulnerable),
  ]
}

/** Step 3: what the witness consented to (consenting to no scope must be confirmed), then how and when. */
function consentQuestions(ask: Asker): Question[] {
  const consented = (answers: TestimonyInput): boolean => !answers.consent?.includes(NO_CONSENT)
  return [
    field('consent', async () => {
      for (;;) {
        const scopes = await ask.chooseAny({message: 'Informed consent: what did the witness agree to?', choices: choicesOf(CONSENT_SCOPES)})
        if (scopes.length > 0) return scopes
        if (await ask.confirm({message: 'Record that the witness consented to none of these?', default: false})) return [NO_CONSENT]
      }
    }),
    field('consentMethod', () => ask.choose({message: 'How was consent given?', choices: choicesOf(CONSENT_METHODS)}), consented),
    field(
      'consentAt',
      (answers) => ask.text({message: 'When was consent given (ISO 8601 with zone)?', default: startOf(answers), validate: checked(checkConsentTime)}),
      consented,
    ),
  ]
}

function choicesOf(meanings: {[value: string]: string}): Choice[] {
  return Object.entries(meanings).map(([value, meaning]) => ({value, name: `${value}: ${meaning}`}))
}

/** Step 4: the statement, from a file or typed in an editor, and the attachments one at a time. */
function fileQuestions(ask: Asker, cwd: string): Question[] {
  const statement: Question = {
    needed: (answers) => answers.statementFile === undefined && answers.statementText === undefined,
    ask: async (answers) => {
      const how = await ask.choose({
        message: 'The statement:',
        choices: [
          {value: 'editor', name: 'type it in the editor ($EDITOR)'},
          {value: 'file', name: 'a file (text, transcript, or a scan of the signed statement)'},
        ],
      })
      if (how === 'file') answers.statementFile = await ask.text({message: 'Statement file:', validate: isFile(cwd)})
      else answers.statementText = await typeStatement('Type the statement in your editor; save and close it to go on:', ask)
    },
  }
  const attachments = field('attachments', async () => {
    const paths: string[] = []
    for (;;) {
      const path = await ask.text({message: `Attachment ${paths.length + 1} (recording, photo handed over; empty when done):`, validate: (v) => v.trim() === '' || isFile(cwd)(v)})
      if (path.trim() === '') return paths
      paths.push(path.trim())
    }
  })
  return [statement, attachments]
}

/** Step 5: the witness's identity; a name or contact the witness code already holds is refused. */
function identityQuestions(ask: Asker): Question[] {
  return [
    field('witnessName', (answers) =>
      ask.text({message: "Witness's name (encrypted; never stored in clear; empty to leave out):", validate: checked((name) => checkWitnessCode(answers.witness ?? '', name), true)}),
    ),
    field('witnessContact', (answers) =>
      ask.text({message: 'Contact details (encrypted; empty to leave out):', validate: checked((contact) => checkWitnessCode(answers.witness ?? '', answers.witnessName, contact), true)}),
    ),
    field('identityNotes', () => ask.text({message: 'Other identifying notes (encrypted; empty to leave out):'})),
  ]
}
