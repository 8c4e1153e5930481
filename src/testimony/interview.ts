/**
 * Taking a testimony on a terminal: one question at a time for everything the flags did not
 * give, each answer checked as it is typed (by the same checks as the flags, record.ts), then a
 * summary to confirm. Prompts go to stderr, so `--json` output stays clean. Ctrl-C at any prompt
 * records nothing.
 *
 * The open record's free text (place, people, note) must not hold the witness's name or contact.
 * The name and contact are asked last, so once they are known every such answer (or flag) is
 * checked again, and one that holds them is asked again, with the reason.
 */
import {statSync} from 'node:fs'
import {resolve} from 'node:path'
import {checkbox, confirm, editor, input, select} from '@inquirer/prompts'
import {CustodyError, messageOf} from '../errors.js'
import {describeFindings, type Finding} from './content-check.js'
import {identifyingReason} from './identifying.js'
import {checkLanguages, checkNotFuture, checkTime, checkWitnessCode, identifyingFields, searchFor, type OpenTextField, type TestimonyInput} from './record.js'
import {CONSENT_METHODS, CONSENT_SCOPES, NO_CONSENT} from './vocabulary.js'

export interface InterviewContext {
  /** Where prompts are drawn; default stderr. */
  output?: NodeJS.WritableStream
  cwd?: string
  /** Default interviewer: the case's investigator. */
  investigator?: string
  now?: Date
}

/** The current time as the investigator's clock shows it, with its offset: 2024-03-01T14:05+02:00. */
export function localTime(date: Date): string {
  const offset = -date.getTimezoneOffset()
  const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 16)
  const sign = offset < 0 ? '-' : '+'
  const abs = Math.abs(offset)
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

/** A prompt validator from a check that throws. */
function checked(check: (value: string) => unknown, optional = false): (value: string) => true | string {
  return (value) => {
    if (optional && value.trim() === '') return true
    try {
      check(value)
      return true
    } catch (error) {
      return messageOf(error).replace(/^--[a-z-]+ /, '')
    }
  }
}

function required(what: string): (value: string) => true | string {
  return (value) => value.trim() !== '' || `${what} is required`
}

/** Both checks, the first failure reported. */
function all(...checks: Array<(value: string) => true | string>): (value: string) => true | string {
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

function isFile(cwd: string): (value: string) => true | string {
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

/** A statement typed in $EDITOR; an empty one is refused at the prompt. */
function typeStatement(message: string, ctx: {output: NodeJS.WritableStream}): Promise<string> {
  // The editor's temp file holds the statement: its owner's alone, whatever the umask.
  return editor({message, file: {mode: 0o600}, validate: (v) => v.trim() !== '' || 'the statement is empty'}, ctx)
}

/**
 * Shows where the witness's name or contact was found (which file, which field; never the value)
 * and asks whether to record the testimony as holding identifying content. Ctrl-C records nothing.
 */
export async function confirmIdentifyingContent(findings: readonly Finding[], context: Pick<InterviewContext, 'output'> = {}): Promise<boolean> {
  const output = context.output ?? process.stderr
  output.write(
    [
      '',
      "The witness's name or contact is in what would be recorded:",
      ...describeFindings(findings).map((line) => `  ${line}`),
      'Recorded anyway, the testimony is marked as holding identifying content, and no advocacy (anonymised) seal will take it.',
      '',
    ].join('\n'),
  )
  try {
    return await confirm({message: 'Record it as holding identifying content?', default: false}, {output})
  } catch (error) {
    if (error instanceof Error && error.name === 'ExitPromptError') throw new CustodyError('INTERRUPTED', 'cancelled at a prompt; nothing was recorded')
    throw error
  }
}

/** The corrected statement for `testimony amend`, typed in $EDITOR; Ctrl-C records nothing. */
export async function askCorrectedStatement(context: Pick<InterviewContext, 'output'> = {}): Promise<string> {
  try {
    return await typeStatement('Type the corrected statement; save and close the editor to go on:', {output: context.output ?? process.stderr})
  } catch (error) {
    if (error instanceof Error && error.name === 'ExitPromptError') throw new CustodyError('INTERRUPTED', 'the correction was cancelled; nothing was recorded')
    throw error
  }
}

/** A prompt for each free-text field of the open record, answering in the field's own type. */
type OpenPrompts = {[F in OpenTextField as F['key']]: () => Promise<NonNullable<TestimonyInput[F['key']]>>}

async function reask(field: OpenTextField, answers: TestimonyInput, ask: OpenPrompts): Promise<void> {
  // One branch per type of answer: TypeScript cannot pair a key with its prompt through a union.
  if (field.key === 'interviewers' || field.key === 'present') answers[field.key] = await ask[field.key]()
  else answers[field.key] = await ask[field.key]()
}

/**
 * Asks for every field of `given` that is undefined, and returns the whole input. Throws
 * INTERRUPTED when the investigator stops at a prompt or does not confirm.
 */
export async function interview(given: TestimonyInput, context: InterviewContext = {}): Promise<TestimonyInput> {
  const ctx = {output: context.output ?? process.stderr}
  const cwd = context.cwd ?? process.cwd()
  const answers: TestimonyInput = {...given}
  // Refuses an answer that holds the name or contact, once they are known (given by flags, or answered).
  const open =
    (flag: string, split = false) =>
    (value: string): true | string =>
      identifyingReason(searchFor(answers), flag, split ? commaList(value) : value)?.replace(/^--[a-z-]+ /, '') ?? true
  const askOpen: OpenPrompts = {
    place: () => input({message: 'Where the interview took place:', validate: all(required('the place'), open('--place'))}, ctx),
    interviewers: async () =>
      commaList(
        await input(
          {
            message: 'Interviewer(s), separated by commas:',
            ...(context.investigator ? {default: context.investigator} : {}),
            validate: all(required('at least one interviewer'), open('--interviewer', true)),
          },
          ctx,
        ),
      ),
    present: async () => commaList(await input({message: 'Anyone else present (names or roles, separated by commas; empty if nobody):', validate: open('--present', true)}, ctx)),
    interpreter: () => input({message: 'Interpreter (empty if none):', validate: open('--interpreter')}, ctx),
    note: () => input({message: 'Note recorded with the testimony (in clear: nothing identifying; empty for none):', validate: open('--note')}, ctx),
  }
  try {
    answers.witness ??= await input({message: "Witness code (a pseudonym such as W-014, never the name):", validate: checked((v) => checkWitnessCode(v))}, ctx)
    answers.interviewedAt ??= await input(
      {message: 'Interview started (ISO 8601 with zone):', default: localTime(context.now ?? new Date()), validate: checked((v) => checkTime(v, '--interviewed-at'))},
      ctx,
    )
    if (!answers.interviewedAt.includes('/')) {
      const start = new Date(answers.interviewedAt).getTime()
      answers.endedAt ??= await input(
        {
          message: 'Interview ended (ISO 8601 with zone; empty if not noted):',
          validate: (value) => {
            const ok = checked((v) => checkTime(v, '--ended-at'), true)(value)
            return ok !== true || value.trim() === '' || new Date(value.trim()).getTime() >= start || 'the interview cannot end before it started'
          },
        },
        ctx,
      )
    }

    answers.place ??= await askOpen.place()
    answers.interviewers ??= await askOpen.interviewers()
    answers.present ??= await askOpen.present()
    answers.interpreter ??= await askOpen.interpreter()
    answers.languages ??= commaList(
      await input({message: 'Languages of the interview (BCP 47 tags such as uk, ru, crh, en; separated by commas):', validate: checked((v) => checkLanguages(commaList(v)), true)}, ctx),
    )
    answers.vulnerable ??= await confirm({message: 'Is the witness vulnerable (a minor, a survivor of sexual violence, at particular risk)?', default: false}, ctx)
    if (answers.vulnerable) {
      answers.vulnerability ??= await input({message: 'In what way (kept encrypted with the identity):'}, ctx)
      answers.referral ??= await input({message: 'Referral made, if any (kept encrypted with the identity):'}, ctx)
    }

    if (answers.consent === undefined) {
      for (;;) {
        const scopes = await checkbox(
          {message: 'Informed consent: what did the witness agree to?', choices: Object.entries(CONSENT_SCOPES).map(([value, meaning]) => ({value, name: `${value}: ${meaning}`}))},
          ctx,
        )
        if (scopes.length > 0) {
          answers.consent = scopes
          break
        }

        if (await confirm({message: 'Record that the witness consented to none of these?', default: false}, ctx)) {
          answers.consent = [NO_CONSENT]
          break
        }
      }
    }

    if (!answers.consent.includes(NO_CONSENT)) {
      answers.consentMethod ??= await select({message: 'How was consent given?', choices: Object.entries(CONSENT_METHODS).map(([value, meaning]) => ({value, name: `${value}: ${meaning}`}))}, ctx)
      answers.consentAt ??= await input(
        {message: 'When was consent given (ISO 8601 with zone)?', default: answers.interviewedAt.split('/')[0]!, validate: checked((v) => checkNotFuture(checkTime(v, '--consent-at'), '--consent-at'))},
        ctx,
      )
    }

    if (answers.statementFile === undefined && answers.statementText === undefined) {
      const how = await select(
        {message: 'The statement:', choices: [{value: 'editor', name: 'type it in the editor ($EDITOR)'}, {value: 'file', name: 'a file (text, transcript, or a scan of the signed statement)'}]},
        ctx,
      )
      if (how === 'file') answers.statementFile = await input({message: 'Statement file:', validate: isFile(cwd)}, ctx)
      else answers.statementText = await typeStatement('Type the statement in your editor; save and close it to go on:', ctx)
    }

    if (answers.attachments === undefined) {
      const attachments: string[] = []
      for (;;) {
        const path = await input({message: `Attachment ${attachments.length + 1} (recording, photo handed over; empty when done):`, validate: (v) => v.trim() === '' || isFile(cwd)(v)}, ctx)
        if (path.trim() === '') break
        attachments.push(path.trim())
      }

      answers.attachments = attachments
    }

    const code = answers.witness
    answers.witnessName ??= await input(
      {message: "Witness's name (encrypted; never stored in clear; empty to leave out):", validate: checked((name) => checkWitnessCode(code, name), true)},
      ctx,
    )
    answers.witnessContact ??= await input(
      {message: 'Contact details (encrypted; empty to leave out):', validate: checked((contact) => checkWitnessCode(code, answers.witnessName, contact), true)},
      ctx,
    )
    answers.identityNotes ??= await input({message: 'Other identifying notes (encrypted; empty to leave out):'}, ctx)

    // What was answered (or given by flags) before the name and contact were known.
    for (let field = identifyingFields(answers)[0]; field !== undefined; field = identifyingFields(answers)[0]) {
      ctx.output.write(`\n${identifyingReason(searchFor(answers), field.flag, answers[field.key])}.\nPlease give ${field.flag} again:\n`)
      await reask(field, answers, askOpen)
    }

    ctx.output.write(`${summary(answers)}\n`)
    if (!(await confirm({message: `Record the testimony of ${answers.witness}?`, default: true}, ctx))) {
      throw new CustodyError('INTERRUPTED', 'the testimony was not recorded (not confirmed); nothing was written')
    }
  } catch (error) {
    if (error instanceof Error && error.name === 'ExitPromptError') {
      throw new CustodyError('INTERRUPTED', 'the testimony was cancelled at a prompt; nothing was recorded')
    }

    throw error
  }

  return answers
}
