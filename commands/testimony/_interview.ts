/**
 * The terminal the testimony commands ask on: the core's questions (src/testimony/interview.ts)
 * put with @inquirer/prompts. Prompts go to stderr, so `--json` output stays clean. A statement is
 * typed in the investigator's editor (src/testimony/statement-editor.ts: the one file it leaves in
 * clear, shredded when it closes), said beforehand when custody chose it. Not a command: files
 * starting with `_` are left out of oclif's command patterns (package.json).
 */
import {checkbox, confirm, input, select} from '@inquirer/prompts'
import {askForTestimony, QuestionCancelled, type Asker, type InterviewContext} from '../../src/testimony/interview.js'
import type {TestimonyInput} from '../../src/testimony/record.js'
import {chooseEditor, editorKeys, shredLeftovers, statementBase, typeInEditor, type StatementPlace} from '../../src/testimony/statement-editor.js'
import {messageOf} from '../../src/errors.js'

export {localTime} from '../../src/testimony/interview.js'

/**
 * An Asker on the terminal, drawing its prompts on `output` (default stderr). `encrypted`: whether
 * the case is, which decides whether the editor's file may go to a temp folder on disk (where
 * there is no memory-backed storage); unsaid, it is taken to be.
 */
export function terminalAsker(output: NodeJS.WritableStream = process.stderr, encrypted = true): Asker {
  const ctx = {output}
  const tell = (text: string): void => void output.write(text)
  return {
    text: ({editable, ...question}) => (editable ? editableText(question, ctx) : prompted(input(question, ctx))),
    confirm: (question) => prompted(confirm(question, ctx)),
    choose: (question) => prompted(select({message: question.message, choices: [...question.choices], ...(question.default === undefined ? {} : {default: question.default})}, ctx)),
    chooseAny: (question) => prompted(checkbox({message: question.message, choices: question.choices.map((c) => ({value: c.value, name: c.name, checked: c.checked === true}))}, ctx)),
    longText: (question) => typeLongText(question, tell, ctx, {encrypted}),
    tell,
  }
}

/**
 * A line that starts with the answer given, to be edited. Emptied, it is the empty answer, checked
 * as such: inquirer would give the answer back (its default). The line as it was when Enter was
 * pressed is the last the transformer saw before the check.
 */
async function editableText(question: Omit<Parameters<Asker['text']>[0], 'editable'>, ctx: {output: NodeJS.WritableStream}): Promise<string> {
  let line: string | undefined
  let emptied = false
  const transformer = (value: string, {isFinal}: {isFinal: boolean}): string => {
    if (!isFinal) line = value
    return value
  }
  const validate = (value: string): true | string => {
    emptied = line === ''
    return question.validate?.(emptied ? '' : value) ?? true
  }
  const answer = await prompted(input({...question, prefill: 'editable', transformer, validate}, ctx))
  return emptied ? '' : answer
}

/**
 * A text typed in the editor: said which editor (and its keys, when custody chose it), opened on
 * Enter, and opened again, starting from what was typed, while the text is refused.
 */
async function typeLongText(question: Parameters<Asker['longText']>[0], tell: (text: string) => void, ctx: {output: NodeJS.WritableStream}, place: StatementPlace): Promise<string> {
  // Where the editor's file cannot go (an encrypted case with no memory-backed storage), asking again would not help.
  statementBase(place.encrypted, place.env, place.shm)
  const editor = chooseEditor()
  const keys = editorKeys(editor)
  if (keys !== undefined) tell(`No $VISUAL or $EDITOR is set: the statement is typed in ${editor.name} (${keys}).\n`)
  let text = question.default ?? ''
  for (;;) {
    await prompted(input({message: `${question.message} Press Enter to launch your preferred editor (${editor.name}).`, validate: (v) => v === '' || 'press Enter alone'}, ctx))
    try {
      text = await typeInEditor(text, editor, place)
    } catch (error) {
      tell(`${messageOf(error)}.\n`)
      continue
    }

    const ok = question.validate(text)
    if (ok === true) return text
    tell(`${ok}.\n`)
  }
}

/** A prompt's answer; Ctrl-C at the prompt (inquirer's ExitPromptError) is the core's QuestionCancelled. */
async function prompted<T>(answer: Promise<T>): Promise<T> {
  try {
    return await answer
  } catch (error) {
    if (error instanceof Error && error.name === 'ExitPromptError') throw new QuestionCancelled('cancelled at a prompt', {cause: error})
    throw error
  }
}

/** The testimony interview on the terminal: asks for every field of `given` that is undefined. */
export function interview(given: TestimonyInput, context: InterviewContext & {output?: NodeJS.WritableStream; encrypted?: boolean} = {}): Promise<TestimonyInput> {
  const {output, encrypted, ...rest} = context
  return askForTestimony(given, terminalAsker(output, encrypted), rest)
}

/** Shreds the statement files that editors of custody processes since killed left (statement-editor.ts), and says so. */
export async function shredEditorLeftovers(output: NodeJS.WritableStream = process.stderr): Promise<void> {
  const shredded = await shredLeftovers()
  if (shredded > 0) output.write(`Shredded ${shredded} statement file${shredded === 1 ? '' : 's'} that an editor left open when custody was stopped.\n`)
}
