/**
 * How the interview puts its questions to a person. An Asker does it: the terminal's is the
 * command's (commands/testimony/_interview.ts, with @inquirer/prompts), so the core knows nothing
 * of terminals or prompt libraries.
 */

/** A check of an answer as it is typed: true, or the reason it is refused (the question is asked again). */
export type Validate = (value: string) => true | string

/** One of the answers a question offers: the value taken, and the line shown for it. */
export interface Choice {
  value: string
  name: string
  /** Ticked to begin with (chooseAny). */
  checked?: boolean
}

/**
 * Puts questions to the person recording a testimony and returns their answers. When they stop
 * at a question (Ctrl-C), a method throws QuestionCancelled.
 */
export interface Asker {
  /**
   * A line of text. `default` is taken for an empty answer; with `editable`, it is on the line to
   * begin with, to be changed (an answer asked again).
   */
  text(question: {message: string; default?: string; editable?: boolean; validate?: Validate}): Promise<string>
  /** Yes or no. */
  confirm(question: {message: string; default: boolean}): Promise<boolean>
  /** One of the choices' values; `default` is where the cursor starts (else the first). */
  choose(question: {message: string; choices: readonly Choice[]; default?: string}): Promise<string>
  /** Any number of the choices' values, none included. */
  chooseAny(question: {message: string; choices: readonly Choice[]}): Promise<string[]>
  /**
   * A longer text typed in an editor, starting from `default`: a witness's statement, so anything
   * written on the way (the editor's file) must be readable by its owner alone, and left behind
   * as little as can be.
   */
  longText(question: {message: string; default?: string; validate: Validate}): Promise<string>
  /** Something to read between questions: a reason, a summary. */
  tell(text: string): void
}

/** What an Asker throws when the person stops at a question. */
export class QuestionCancelled extends Error {
  override name = 'QuestionCancelled'
}
