/**
 * The testimony interview: one question at a time for everything the flags did not give, each
 * answer checked as it is typed, then a summary of every answer, from which any answer can be
 * changed before the testimony is recorded. This module decides what is asked, in what order, and
 * what answer is taken (the questions: interview-questions.ts); an Asker puts the questions to a
 * person (asker.ts; the terminal's is commands/testimony/_interview.ts).
 *
 * Nothing typed is lost to a late mistake: an answer that does not go with an earlier one (a
 * witness code or a place that holds the name given later) is said as soon as the later answer is
 * given, and the investigator chooses which of them to change; and with a draft (draft.ts) every
 * answer is kept as it is given, so that Ctrl-C, an error or a crash leaves the interview to be
 * resumed.
 */
import {statSync} from 'node:fs'
import {CustodyError, sayWith} from '../errors.js'
import type {Asker} from './asker.js'
import {QuestionCancelled} from './asker.js'
import {describeFindings, type Finding} from './content-check.js'
import {identifyingReason} from './identifying.js'
import {interviewQuestions, typeStatement, type InterviewState, type Question} from './interview-questions.js'
import {checkTestimony, checkWitnessCode, identifyingFields, searchFor, type TestimonyInput} from './record.js'

export {QuestionCancelled, type Asker, type Choice, type Validate} from './asker.js'
export type {InterviewState} from './interview-questions.js'
export {localTime} from './typed-time.js'

/** Where the answers are kept while the interview goes on (draft.ts): after each of them. */
export interface InterviewDraft {
  keep(state: InterviewState): Promise<void>
  /** The investigator stopped, and chose not to keep the answers. */
  discard(): Promise<void>
}

export interface InterviewContext {
  cwd?: string
  /** Default interviewer: the case's investigator. */
  investigator?: string
  /** This computer's clock, fixed (tests); default: the time each answer is read. */
  now?: Date
  draft?: InterviewDraft
  /** Where an earlier interview stopped (a draft resumed): its answers, under those of `given`. */
  resumed?: InterviewState
}

const CANCELLED = 'the testimony was cancelled at a prompt; nothing was recorded'

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
  return unlessCancelled('the correction was cancelled; nothing was recorded', () => typeStatement('Type the corrected statement in the editor; save and close it to go on.', ask))
}

/** The answers to begin with: a draft's, under what was given now; an interval START/END given as its start and end. */
function startingState(given: TestimonyInput, resumed: InterviewState | undefined): InterviewState {
  const givenNow = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) as TestimonyInput
  const answers: TestimonyInput = {...resumed?.answers, ...givenNow}
  const [start, end] = answers.interviewedAt?.split('/') ?? []
  if (end !== undefined) {
    answers.interviewedAt = start
    if (!answers.endedAt?.trim()) answers.endedAt = end
  }

  return {answers, ...(resumed?.attachmentsSoFar === undefined ? {} : {attachmentsSoFar: resumed.attachmentsSoFar})}
}

/** One interview: its questions, what has been answered, and where it is kept. */
class Interview {
  readonly questions: Question[]

  constructor(
    readonly state: InterviewState,
    private readonly ask: Asker,
    private readonly context: InterviewContext,
  ) {
    this.questions = interviewQuestions({
      ask,
      cwd: context.cwd ?? process.cwd(),
      investigator: context.investigator,
      clock: () => context.now ?? new Date(),
      keep: () => this.keep(),
    })
  }

  get answers(): TestimonyInput {
    return this.state.answers
  }

  async keep(): Promise<void> {
    await this.context.draft?.keep(this.state)
  }

  /** Asks `question` (again, to change it) and keeps the answer. */
  private async put(question: Question, again: boolean): Promise<void> {
    await question.ask(this.state, again)
    await this.keep()
  }

  /**
   * Asks every question still to be asked, in order; undefined when there is none. The first is on
   * the screen as soon as this is called: a question already answered costs no turn of the event
   * loop (nor does this, with nothing to ask).
   */
  askNeeded(): Promise<void> | undefined {
    return this.questions.some((question) => question.needed(this.answers)) ? this.askEach() : undefined
  }

  private async askEach(): Promise<void> {
    for (const question of this.questions) {
      if (!question.needed(this.answers)) continue
      await this.put(question, false)
      if (question.keys.some((key) => key === 'witnessName' || key === 'witnessContact')) await this.settleConflicts()
    }
  }

  private questionOf(key: string): Question | undefined {
    return this.questions.find((question) => (question.keys as readonly string[]).includes(key))
  }

  /**
   * The answers that hold the witness's name or contact (the witness code, the open record), each
   * with the reason, once the name or contact is known.
   */
  private conflicts(): Array<{question: Question; reason: string}> {
    const answers = this.answers
    const found: Array<{question: Question; reason: string}> = []
    try {
      if (answers.witness !== undefined) checkWitnessCode(answers.witness, answers.witnessName, answers.witnessContact)
    } catch (error) {
      if (error instanceof CustodyError) found.push({question: this.questionOf('witness')!, reason: error.message})
    }

    const search = searchFor(answers)
    for (const field of identifyingFields(answers, search)) found.push({question: this.questionOf(field.name)!, reason: sayWith(identifyingReason(search, field, answers[field.name]) ?? [])})
    return found
  }

  /**
   * Says each answer that holds the name or contact given later, and has the investigator change
   * either it or the name or contact, until none does.
   */
  async settleConflicts(): Promise<void> {
    for (let found = this.conflicts(); found.length > 0; found = this.conflicts()) {
      this.ask.tell(['', ...found.map(({reason}) => `${reason}.`), ''].join('\n'))
      const identity = (['witnessName', 'witnessContact'] as const).filter((key) => this.answers[key]?.trim()).map((key) => this.questionOf(key)!)
      const choices = [...new Set([...found.map(({question}) => question), ...identity])].map((question) => ({value: question.keys[0]!, name: `the ${question.label}${question.keys[0] === 'witness' ? ` (${this.answers.witness})` : ''}`}))
      await this.put(this.questionOf(await this.ask.choose({message: 'Which answer do you want to change?', choices}))!, true)
    }
  }

  /** What would stop the testimony being recorded as answered, naming the answer to change; undefined when nothing would. */
  private problem(): {key: string | undefined; message: string} | undefined {
    const {statementFile, attachments} = this.answers
    for (const [key, path] of [['statementFile', statementFile], ...(attachments ?? []).map((a) => ['attachments', a] as const)] as const) {
      if (path !== undefined && !isFileNow(path)) return {key, message: `${path} is no longer a file`}
    }

    try {
      checkTestimony(this.answers)
      return undefined
    } catch (error) {
      if (!(error instanceof CustodyError)) throw error
      return {key: error.field, message: error.message.replace(/; nothing was recorded$/u, '')}
    }
  }

  /**
   * Before the summary: settles conflicts, asks what has become needed (a change of consent may
   * need its method), and asks again for any answer that would stop the testimony being recorded;
   * undefined, at once, when there is nothing to settle.
   */
  settle(): Promise<void> | undefined {
    const settled = this.conflicts().length === 0 && !this.questions.some((question) => question.needed(this.answers)) && this.problem() === undefined
    return settled ? undefined : this.settleEach()
  }

  private async settleEach(): Promise<void> {
    for (;;) {
      await this.settleConflicts()
      await this.askNeeded()
      const problem = this.problem()
      if (problem === undefined) return
      const question = problem.key === undefined ? undefined : this.questionOf(problem.key)
      if (question === undefined) throw new CustodyError('INVALID_ARGUMENT', `${problem.message}; nothing was recorded`)
      this.ask.tell(`\n${problem.message}. Please give the ${question.label} again:\n`)
      await this.put(question, true)
    }
  }

  /** Every answer, for the investigator to check before recording; what identifies the witness is not shown. */
  summary(): string {
    const rows = this.questions.filter((question) => question.applies(this.answers)).map((question) => `  ${question.label.padEnd(18)} ${question.shown(this.answers)}`)
    return ['', 'The testimony, as it would be recorded (the identity is encrypted, and not shown here):', ...rows, ''].join('\n')
  }

  /** Has the investigator choose an answer, and asks for it again. */
  async change(): Promise<void> {
    const choices = this.questions
      .filter((question) => question.applies(this.answers))
      .map((question) => ({value: question.keys[0]!, name: `${question.label}: ${question.shown(this.answers)}`}))
    const key = await this.ask.choose({message: 'Which answer do you want to change?', choices: [...choices, {value: '', name: 'none: back to the summary'}]})
    if (key !== '') await this.put(this.questionOf(key)!, true)
  }
}

function isFileNow(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The choices after the summary: record, change an answer, or stop (keeping the draft, or not). */
function endChoices(drafted: boolean): Array<{value: string; name: string}> {
  return [
    {value: 'record', name: 'Yes, record it'},
    {value: 'change', name: 'Change an answer'},
    {value: 'stop', name: drafted ? 'No: stop here, keeping the answers in an encrypted draft to resume' : 'No: stop here; nothing is recorded'},
    ...(drafted ? [{value: 'discard', name: 'No: stop here, and discard the answers'}] : []),
  ]
}

/**
 * Asks for every field of `given` that is undefined (after those of a draft resumed), and returns
 * the whole input, once the investigator has seen every answer and chosen to record it. Throws
 * INTERRUPTED when they stop at a question or at the summary. The steps:
 *
 *   1. when      the witness code, when the interview started and ended
 *   2. open      the open record's free text: place, interviewers, others present, interpreter;
 *                the languages; whether the witness is vulnerable, and how
 *   3. consent   what the witness consented to, how and when
 *   4. files     the statement (a file, or typed in an editor) and the attachments
 *   5. identity  the witness's name, contact and identifying notes (to be encrypted), asked last
 *                so that every earlier answer can be checked against them; an answer that holds
 *                them is said at once, and the investigator changes it or the name or contact
 *   6. settle    anything that would stop the testimony being recorded is asked again now
 *   7. confirm   a summary of every answer: record, change any answer (back to 6), or stop
 */
export async function askForTestimony(given: TestimonyInput, ask: Asker, context: InterviewContext = {}): Promise<TestimonyInput> {
  const interview = new Interview(startingState(given, context.resumed), ask, context)
  return unlessCancelled(CANCELLED, async () => {
    // Awaited only when something is asked, so that a prompt is drawn as soon as this is called.
    const asking = interview.askNeeded()
    if (asking !== undefined) await asking
    for (;;) {
      const settling = interview.settle()
      if (settling !== undefined) await settling
      ask.tell(`${interview.summary()}\n`)
      const next = await ask.choose({message: `Record the testimony of ${interview.answers.witness}?`, choices: endChoices(context.draft !== undefined)})
      if (next === 'record') return interview.answers
      if (next === 'change') {
        await interview.change()
        continue
      }

      if (next === 'discard') await context.draft?.discard()
      throw new CustodyError('INTERRUPTED', 'the testimony was not recorded (not confirmed); nothing was written')
    }
  })
}
