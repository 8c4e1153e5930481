/**
 * The questions of the testimony interview (interview.ts runs them), in the order they are asked.
 * Each says which answers it gives, whether it is still to be asked or applies at all given the
 * other answers, how its answer reads in the summary, and how it is asked: the first time, or
 * again to change it (starting from the answer given). Every answer is checked as it is typed, by
 * the checks the flags go through (record.ts), and read as people type it: times
 * (typed-time.ts: a zone assumed is shown back to confirm), languages by name (languages.ts),
 * paths as terminals paste them (src/io/typed-path.ts).
 */
import {statSync} from 'node:fs'
import {CustodyError, messageOf, sayWith, type Field, type Said} from '../errors.js'
import {pathReadings} from '../io/typed-path.js'
import type {Asker, Choice, Validate} from './asker.js'
import {TESTIMONY} from './fields.js'
import {identifyingReason} from './identifying.js'
import {checkLanguages, languageName} from './languages.js'
import {checkNotFuture, checkWitnessCode, searchFor, type OpenTextField, type TestimonyInput} from './record.js'
import {localTime, readTime} from './typed-time.js'
import {CONSENT_METHODS, CONSENT_SCOPES, NO_CONSENT} from './vocabulary.js'

/** What an interview holds so far: the answers, and the attachments of a list not yet ended. */
export interface InterviewState {
  answers: TestimonyInput
  attachmentsSoFar?: string[] | undefined
}

export interface Question {
  /** The answers it gives; the first names it. */
  readonly keys: ReadonlyArray<keyof TestimonyInput>
  /** How the summary and the list of answers to change name it. */
  readonly label: string
  /** Whether it is to be asked now: it has no answer yet, and follows from the answers so far. */
  needed(answers: TestimonyInput): boolean
  /** Whether it applies, given the other answers (and so is shown, and can be changed). */
  applies(answers: TestimonyInput): boolean
  /** Its answer as the summary shows it; what identifies the witness is not shown. */
  shown(answers: TestimonyInput): string
  /** Asks it and puts the answer in the state; `again`: it was answered, and is asked to be changed. */
  ask(state: InterviewState, again: boolean): Promise<void>
}

export interface QuestionContext {
  ask: Asker
  cwd: string
  /** Default interviewer: the case's investigator. */
  investigator: string | undefined
  clock: () => Date
  /** Keeps the state (the draft), for a question of many answers after each. */
  keep: () => Promise<void>
}

/**
 * Why an answer is refused, under the question that asked for it: a message that opens with the
 * field goes on from after it, as the question names the field already.
 */
export function refusedAnswer(message: Said): string {
  const opening = message.findIndex((part) => part !== '')
  return sayWith(typeof message[opening] === 'string' ? message : message.slice(opening + 1)).trimStart()
}

function reasonOf(error: unknown): string {
  return error instanceof CustodyError ? refusedAnswer(error.said) : messageOf(error)
}

/** A prompt validator from a check that throws. */
function checked(check: (value: string) => unknown, optional = false): Validate {
  return (value) => {
    if (optional && value.trim() === '') return true
    try {
      check(value)
      return true
    } catch (error) {
      return reasonOf(error)
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

export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
}

/** The file a typed or pasted path names (pathReadings), or why there is none. */
function fileAt(value: string, cwd: string): {path: string} | {reason: string} {
  const readings = pathReadings(value, cwd)
  for (const path of readings) {
    try {
      if (statSync(path).isFile()) return {path}
    } catch {
      // Not this reading.
    }
  }

  const first = readings[0]
  if (first === undefined) return {reason: 'no file given'}
  try {
    statSync(first)
    return {reason: `${first} is not a file`}
  } catch {
    return {reason: `no such file: ${first}`}
  }
}

function isFile(cwd: string): Validate {
  return (value) => {
    const found = fileAt(value, cwd)
    return 'path' in found || found.reason
  }
}

/** The file's absolute path, for an answer isFile() took. */
function filePath(value: string, cwd: string): string {
  const found = fileAt(value, cwd)
  if ('reason' in found) throw new CustodyError('INPUT_MISSING', found.reason)
  return found.path
}

/** A line of text; asked again, it starts from the answer given. */
function textAnswer(ask: Asker, again: boolean, given: string | undefined, question: {message: string; default?: string | undefined; validate?: Validate}): Promise<string> {
  const start = again && given !== undefined && given !== '' ? {default: given, editable: true} : question.default === undefined ? {} : {default: question.default}
  return ask.text({message: question.message, ...start, ...(question.validate === undefined ? {} : {validate: question.validate})})
}

/** A question for one answer, asked when it has none and `when` holds. */
function question(key: keyof TestimonyInput, label: string, shown: (answers: TestimonyInput) => string, ask: Question['ask'], when: (answers: TestimonyInput) => boolean = () => true): Question {
  return {keys: [key], label, needed: (answers) => answers[key] === undefined && when(answers), applies: when, shown, ask}
}

function orNone(value: string | undefined, none = 'none'): string {
  return value?.trim() ? value.trim() : none
}

/** What the summary shows for what identifies the witness: whether it was given, never what. */
function hidden(value: string | undefined): string {
  return value?.trim() ? 'given (to be encrypted; not shown)' : 'none'
}

type ProtectedKey = 'vulnerability' | 'referral' | 'witnessName' | 'witnessContact' | 'identityNotes'

/** A question for a detail that is encrypted with the identity: free text, never shown in the summary. */
function hiddenText(context: QuestionContext, key: ProtectedKey, label: string, message: string, when?: (answers: TestimonyInput) => boolean): Question {
  const ask: Question['ask'] = async ({answers}, again) => {
    answers[key] = await textAnswer(context.ask, again, answers[key], {message})
  }
  return question(key, label, (a) => hidden(a[key]), ask, when)
}

/**
 * A time, read as typed (typed-time.ts); a zone assumed (a time typed without one, `now`) is shown
 * back to be confirmed, and the question asked again when it is not right.
 */
async function askTime(
  context: QuestionContext,
  again: boolean,
  q: {message: string; field: Field; given?: string | undefined; default?: string | undefined; day?: string | undefined; optional?: boolean; check?: (iso: string) => true | string},
): Promise<string> {
  const read = (value: string) => readTime(value, q.field, {now: context.clock(), day: q.day})
  const validate: Validate = (value) => {
    if (q.optional && value.trim() === '') return true
    try {
      // Read first: `q.check?.(read(…))` would skip the reading when there is no check.
      const {iso} = read(value)
      return q.check === undefined ? true : q.check(iso)
    } catch (error) {
      return reasonOf(error)
    }
  }

  for (;;) {
    const answer = await textAnswer(context.ask, again, q.given, {message: q.message, default: q.default, validate})
    if (q.optional && answer.trim() === '') return ''
    const typed = read(answer)
    if (typed.assumed === undefined || (await context.ask.confirm({message: `Taken as ${typed.iso} (${typed.assumed}). Is that right?`, default: true}))) return typed.iso
  }
}

/** When the interview started. */
function startOf(answers: TestimonyInput): string {
  return answers.interviewedAt ?? ''
}

/** Step 1: the witness code, and when the interview started and ended. */
function whenQuestions(context: QuestionContext): Question[] {
  const {ask} = context
  return [
    question('witness', 'witness code', (a) => a.witness ?? '', async ({answers}, again) => {
      const validate = checked((v) => checkWitnessCode(v, answers.witnessName, answers.witnessContact))
      answers.witness = (await textAnswer(ask, again, answers.witness, {message: 'Witness code (a pseudonym such as W-014, never the name):', validate})).trim()
    }),
    question('interviewedAt', 'interview started', startOf, async ({answers}, again) => {
      const message = 'Interview started (such as 2024-03-05 10:00, or with its zone: 2024-03-05T10:00+02:00; now):'
      answers.interviewedAt = await askTime(context, again, {message, field: TESTIMONY.interviewedAt, given: answers.interviewedAt, default: localTime(context.clock())})
    }),
    question(
      'endedAt',
      'interview ended',
      (a) => orNone(a.endedAt, 'not noted'),
      async ({answers}, again) => {
        const start = new Date(startOf(answers)).getTime()
        const check = (iso: string) => new Date(iso).getTime() >= start || `the interview cannot end before it started (${startOf(answers)})`
        const message = 'Interview ended (such as 11:30 on the day it started, 2024-03-05 11:30, now; empty if not noted):'
        answers.endedAt = await askTime(context, again, {message, field: TESTIMONY.endedAt, given: answers.endedAt, day: startOf(answers), optional: true, check})
      },
    ),
  ]
}

/** The free-text answers of the open record, refused when they hold the witness's name or contact, once known. */
function openAnswer(context: QuestionContext, answers: TestimonyInput, field: OpenTextField, q: {message: string; default?: string | undefined; required?: string}): (again: boolean, given: string | undefined) => Promise<string> {
  const open: Validate = (value) => {
    const reason = identifyingReason(searchFor(answers), field, field === TESTIMONY.interviewers || field === TESTIMONY.present ? commaList(value) : value)
    return reason === undefined || refusedAnswer(reason)
  }
  const validate = q.required === undefined ? open : all(required(q.required), open)
  return (again, given) => textAnswer(context.ask, again, given, {message: q.message, default: q.default, validate})
}

/** Step 2: the open record's free text, and the languages. */
function openRecordQuestions(context: QuestionContext): Question[] {
  const list = (values: readonly string[] | undefined, none: string) => (values?.length ? values.join(', ') : none)
  return [
    question('place', 'place', (a) => a.place ?? '', async ({answers}, again) => {
      answers.place = (await openAnswer(context, answers, TESTIMONY.place, {message: 'Where the interview took place:', required: 'the place'})(again, answers.place)).trim()
    }),
    question('interviewers', 'interviewers', (a) => list(a.interviewers, ''), async ({answers}, again) => {
      const message = 'Interviewer(s), separated by commas:'
      answers.interviewers = commaList(await openAnswer(context, answers, TESTIMONY.interviewers, {message, default: context.investigator, required: 'at least one interviewer'})(again, answers.interviewers?.join(', ')))
    }),
    question('present', 'others present', (a) => list(a.present, 'nobody'), async ({answers}, again) => {
      const message = 'Anyone else present (names or roles, separated by commas; empty if nobody):'
      answers.present = commaList(await openAnswer(context, answers, TESTIMONY.present, {message})(again, answers.present?.join(', ')))
    }),
    question('interpreter', 'interpreter', (a) => orNone(a.interpreter), async ({answers}, again) => {
      answers.interpreter = (await openAnswer(context, answers, TESTIMONY.interpreter, {message: 'Interpreter (empty if none):'})(again, answers.interpreter)).trim()
    }),
    question('languages', 'languages', (a) => (a.languages?.length ? a.languages.map(describeLanguage).join(', ') : 'none given'), async ({answers}, again) => {
      const message = 'Languages of the interview (names or BCP 47 tags, such as Ukrainian, Crimean Tatar, uk, crh; separated by commas):'
      const typed = commaList(await textAnswer(context.ask, again, answers.languages?.join(', '), {message, validate: checked((v) => checkLanguages(commaList(v)), true)}))
      answers.languages = checkLanguages(typed)
      if (typed.some((given, i) => given !== answers.languages![i])) context.ask.tell(`Taken as ${answers.languages.map(describeLanguage).join(', ')}.\n`)
    }),
  ]
}

/** A language tag with its English name: crh (Crimean Tatar). */
function describeLanguage(tag: string): string {
  const name = languageName(tag)
  return name === undefined ? tag : `${tag} (${name})`
}

/** Step 2, on: whether the witness is vulnerable, and how (kept encrypted). */
function vulnerableQuestions(context: QuestionContext): Question[] {
  const {ask} = context
  const vulnerable = (answers: TestimonyInput): boolean => answers.vulnerable === true
  return [
    question('vulnerable', 'vulnerable', (a) => (a.vulnerable ? 'yes' : 'no'), async ({answers}, again) => {
      answers.vulnerable = await ask.confirm({message: 'Is the witness vulnerable (a minor, a survivor of sexual violence, at particular risk)?', default: again ? answers.vulnerable === true : false})
      // What no longer applies is not kept: it would make the witness vulnerable again (record.ts).
      if (!answers.vulnerable) answers.vulnerability = answers.referral = undefined
    }),
    hiddenText(context, 'vulnerability', 'vulnerability', 'In what way (kept encrypted with the identity):', vulnerable),
    hiddenText(context, 'referral', 'referral', 'Referral made, if any (kept encrypted with the identity):', vulnerable),
  ]
}

function choicesOf(meanings: {[value: string]: string}, checked: readonly string[] = []): Choice[] {
  return Object.entries(meanings).map(([value, meaning]) => ({value, name: `${value}: ${meaning}`, ...(checked.includes(value) ? {checked: true} : {})}))
}

/** Step 3: what the witness consented to (consenting to no scope must be confirmed), then how and when. */
function consentQuestions(context: QuestionContext): Question[] {
  const {ask} = context
  const consented = (answers: TestimonyInput): boolean => answers.consent !== undefined && !answers.consent.includes(NO_CONSENT)
  return [
    question('consent', 'consent', (a) => (a.consent?.includes(NO_CONSENT) ? 'none: the witness consented to nothing' : (a.consent ?? []).join(', ')), async ({answers}) => {
      for (;;) {
        const scopes = await ask.chooseAny({message: 'Informed consent: what did the witness agree to?', choices: choicesOf(CONSENT_SCOPES, answers.consent ?? [])})
        if (scopes.length > 0) return void (answers.consent = scopes)
        if (await ask.confirm({message: 'Record that the witness consented to none of these?', default: false})) return void (answers.consent = [NO_CONSENT])
      }
    }),
    question(
      'consentMethod',
      'consent method',
      (a) => a.consentMethod ?? '',
      async ({answers}) => {
        answers.consentMethod = await ask.choose({message: 'How was consent given?', choices: choicesOf(CONSENT_METHODS), ...(answers.consentMethod === undefined ? {} : {default: answers.consentMethod})})
      },
      consented,
    ),
    question(
      'consentAt',
      'consent given at',
      (a) => orNone(a.consentAt, 'when the interview started'),
      async ({answers}, again) => {
        const check = (iso: string) => checked(() => checkNotFuture(iso, TESTIMONY.consentAt))(iso)
        answers.consentAt = await askTime(context, again, {message: 'When was consent given?', field: TESTIMONY.consentAt, given: answers.consentAt, default: startOf(answers), day: startOf(answers), check})
      },
      consented,
    ),
  ]
}

/** A statement typed in an editor, starting from `text`; an empty one is refused at the question. */
export function typeStatement(message: string, ask: Asker, text?: string): Promise<string> {
  return ask.longText({message, validate: (v) => v.trim() !== '' || 'the statement is empty', ...(text === undefined ? {} : {default: text})})
}

/** Step 4: the statement, from a file or typed in an editor, and the attachments one at a time. */
function fileQuestions(context: QuestionContext): Question[] {
  const {ask, cwd} = context
  const statement: Question = {
    keys: ['statementFile', 'statementText'],
    label: 'statement',
    needed: (answers) => answers.statementFile === undefined && answers.statementText === undefined,
    applies: () => true,
    shown: (a) => (a.statementFile === undefined ? `typed in the editor, ${[...(a.statementText ?? '')].length} characters` : a.statementFile),
    ask: async ({answers}) => {
      const how = await ask.choose({
        message: 'The statement:',
        choices: [
          {value: 'editor', name: 'type it in the editor'},
          {value: 'file', name: 'a file (text, transcript, or a scan of the signed statement)'},
        ],
        ...(answers.statementFile === undefined ? {} : {default: 'file'}),
      })
      if (how === 'file') {
        const typed = await textAnswer(ask, answers.statementFile !== undefined, answers.statementFile, {message: 'Statement file:', validate: isFile(cwd)})
        ;[answers.statementFile, answers.statementText] = [filePath(typed, cwd), undefined]
      } else {
        ;[answers.statementText, answers.statementFile] = [await typeStatement('Type the statement in the editor; save and close it to go on.', ask, answers.statementText), undefined]
      }
    },
  }
  return [statement, attachmentsQuestion(context)]
}

/** The attachments, one at a time, each kept as it is given; asked again, a list to add to or take from. */
function attachmentsQuestion(context: QuestionContext): Question {
  const {ask, cwd} = context
  return question(
    'attachments',
    'attachments',
    (a) => (a.attachments?.length ? a.attachments.join(', ') : 'none'),
    async (state, again) => {
      if (again) return changeAttachments(context, state)
      const paths = [...(state.attachmentsSoFar ?? [])]
      if (paths.length > 0) ask.tell(`Attachments given so far: ${paths.join(', ')}\n`)
      for (;;) {
        const path = await ask.text({message: `Attachment ${paths.length + 1} (recording, photo handed over; empty when done):`, validate: (v) => v.trim() === '' || isFile(cwd)(v)})
        if (path.trim() === '') break
        paths.push(filePath(path, cwd))
        state.attachmentsSoFar = paths
        await context.keep()
      }

      state.answers.attachments = paths
      state.attachmentsSoFar = undefined
    },
  )
}

/** The attachments given, changed one at a time: add one, take one out, until done. */
async function changeAttachments(context: QuestionContext, state: InterviewState): Promise<void> {
  const {ask, cwd} = context
  const paths = [...(state.answers.attachments ?? [])]
  for (;;) {
    const removals = paths.map((path, i) => ({value: String(i), name: `take out ${path}`}))
    const choice = await ask.choose({message: `The attachments (${paths.length}):`, choices: [{value: 'done', name: 'done: keep these'}, {value: 'add', name: 'add one'}, ...removals]})
    if (choice === 'done') return
    if (choice === 'add') paths.push(filePath(await ask.text({message: `Attachment ${paths.length + 1}:`, validate: isFile(cwd)}), cwd))
    else paths.splice(Number(choice), 1)
    state.answers.attachments = [...paths]
    await context.keep()
  }
}

/**
 * Step 5: the witness's identity and the note. What the name or contact makes of earlier answers
 * (a witness code or a place that holds them) is the interview's to settle: it offers to change
 * either answer (interview.ts).
 */
function identityQuestions(context: QuestionContext): Question[] {
  return [
    hiddenText(context, 'witnessName', "witness's name", "Witness's name (encrypted; never stored in clear; empty to leave out):"),
    hiddenText(context, 'witnessContact', 'contact details', 'Contact details (encrypted; empty to leave out):'),
    hiddenText(context, 'identityNotes', 'identity notes', 'Other identifying notes (encrypted; empty to leave out):'),
    {
      // Asked only to change it (or when it holds the name): a flag gives it.
      ...question('note', 'note', (a) => orNone(a.note), async ({answers}, again) => {
        const message = 'Note recorded with the testimony (in clear: nothing identifying; empty for none):'
        answers.note = (await openAnswer(context, answers, TESTIMONY.note, {message})(again, answers.note)).trim()
      }),
      needed: () => false,
    },
  ]
}

/** Every question of the interview, in the order they are asked. */
export function interviewQuestions(context: QuestionContext): Question[] {
  return [...whenQuestions(context), ...openRecordQuestions(context), ...vulnerableQuestions(context), ...consentQuestions(context), ...fileQuestions(context), ...identityQuestions(context)]
}
