/**
 * The terminal the testimony commands ask on: the core's questions (src/testimony/interview.ts)
 * put with @inquirer/prompts. Prompts go to stderr, so `--json` output stays clean. Not a command:
 * files starting with `_` are left out of oclif's command patterns (package.json).
 */
import {checkbox, confirm, editor, input, select} from '@inquirer/prompts'
import {askForTestimony, QuestionCancelled, type Asker, type InterviewContext} from '../../src/testimony/interview.js'
import type {TestimonyInput} from '../../src/testimony/record.js'

export {localTime} from '../../src/testimony/interview.js'

/** An Asker on the terminal, drawing its prompts on `output` (default stderr). */
export function terminalAsker(output: NodeJS.WritableStream = process.stderr): Asker {
  const ctx = {output}
  return {
    text: (question) => prompted(input(question, ctx)),
    confirm: (question) => prompted(confirm(question, ctx)),
    choose: (question) => prompted(select({message: question.message, choices: [...question.choices]}, ctx)),
    chooseAny: (question) => prompted(checkbox({message: question.message, choices: [...question.choices]}, ctx)),
    // The editor's temp file holds the statement: its owner's alone, whatever the umask.
    longText: (question) => prompted(editor({...question, file: {mode: 0o600}}, ctx)),
    tell: (text) => {
      output.write(text)
    },
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
export function interview(given: TestimonyInput, context: InterviewContext & {output?: NodeJS.WritableStream} = {}): Promise<TestimonyInput> {
  const {output, ...rest} = context
  return askForTestimony(given, terminalAsker(output), rest)
}
