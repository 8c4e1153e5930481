/**
 * What every custody command shares: `--json`, the documented exit codes, finding the case, and
 * the flags that errors name.
 *
 * Exit codes: 0 success, 1 some work failed, 2 wrong usage, 3 an integrity check failed.
 * oclif's own catch drops `this.error(msg, {exit})` under --json and exits 1; this one keeps the
 * code in both modes.
 *
 * The core's errors name input fields, not flags (src/errors.ts): a command names, for each field,
 * the flag that gives it: the field's name in kebab case (`interviewedAt`, `--interviewed-at`),
 * unless its `fieldFlags` say otherwise; a field it has no flag for keeps the core's words.
 */
import {once} from 'node:events'
import {statSync} from 'node:fs'
import {Command, Flags} from '@oclif/core'
import {Case, locateCase} from '../src/case/case.js'
import {CustodyError, sayWith, type Field} from '../src/errors.js'
import {checkNewPassphrase, missingPassphrase, passphraseFromFileOrEnv} from '../src/keys/passphrase.js'

export const caseFlag = Flags.string({
  description: 'the case folder (the one holding .custody/); default: $CUSTODY_CASE, else the nearest case above the working directory',
  helpValue: 'DIR',
})

export const passphraseFileFlag = Flags.string({
  description: 'read the case passphrase from this file (its first line); default: $CUSTODY_PASSPHRASE, else a prompt on a terminal',
  helpValue: 'FILE',
})

/**
 * A command description as prose: the lines of a paragraph are joined, so that oclif wraps them to
 * the terminal's width instead of breaking them twice; indented lines (commands to type) are kept
 * as they are, and blank lines still separate paragraphs.
 */
export function prose(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((all, part, i) => all + part + (i < values.length ? String(values[i]) : ''), '')
  return text
    .split('\n\n')
    .map((paragraph) =>
      paragraph
        .split('\n')
        .reduce<string[]>((lines, line) => {
          const last = lines.at(-1)
          if (last === undefined || /^\s/.test(line) || /^\s/.test(last)) lines.push(line)
          else lines[lines.length - 1] = `${last} ${line}`
          return lines
        }, [])
        .join('\n'),
    )
    .join('\n\n')
}

/** A sealed archive as a user would name one: a ZIP file. */
function looksLikeArchive(arg: string): boolean {
  if (arg.startsWith('-') || !/\.zip$/i.test(arg)) return false
  try {
    return statSync(arg).isFile()
  } catch {
    return false
  }
}

/** Fields named by another flag than their own name in every command that has that flag. */
const SHARED_FIELD_FLAGS: {readonly [field: string]: string} = {caseDir: 'case', identifyingContent: 'identifying-content-ok'}

/**
 * How `command` names an input field that a message of the core names: the flag that gives it
 * (with what the flag takes, where the message asks for the field: `--tsa URL`), or, when it has
 * no such flag, the core's words.
 */
export function flagFor(command: typeof CustodyCommand, field: Field): string {
  const name = command.fieldFlags[field.name] ?? SHARED_FIELD_FLAGS[field.name] ?? field.name.replaceAll(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
  if (name === 'json' && command.enableJsonFlag) return '--json'
  const flag = command.flags?.[name] ?? command.baseFlags?.[name]
  if (flag === undefined) return field.words
  const takes = 'helpValue' in flag ? flag.helpValue : undefined
  return field.given && typeof takes === 'string' ? `--${name} ${takes}` : `--${name}`
}

/** A core error's message as `command` says it: each field it names as the flag that gives it. */
export function commandMessage(command: typeof CustodyCommand, error: CustodyError): string {
  return sayWith(error.said, (field) => flagFor(command, field))
}

export abstract class CustodyCommand extends Command {
  static override enableJsonFlag = true
  /** The flags of this command not named like the field they give (in kebab case): field → flag. */
  static fieldFlags: {readonly [field: string]: string} = {}
  /** Cases this command opened: their notices are printed when it ends. */
  private readonly opened: Case[] = []
  /** Notices of the command itself. */
  protected readonly notices: string[] = []

  protected override async init(): Promise<void> {
    // Behind the explicit modes of everything custody writes (src/io/files.ts), a second line of
    // defence: whatever it or a library makes without one is its owner's alone too.
    process.umask(0o077)
    await super.init()
  }

  /**
   * Opens the case, and compares it with the newest checkpoint custody signed for it on this
   * account (quickly: the full comparison is made before anything is appended). Commands that must
   * open a case in conflict with it (accept-restore) pass `compare: false`.
   */
  protected openCase(caseDir: string | undefined, options: {compare?: boolean; refused?: string} = {}): Case {
    const kase = Case.open(this.locate(caseDir))
    this.opened.push(kase)
    if (options.compare === false) return kase
    try {
      kase.checkKnownHeadQuickly(options.refused)
    } catch (error) {
      kase.close()
      throw error
    }

    return kase
  }

  /**
   * Where the case is. When there is none, and what was typed names a sealed archive (`custody log
   * ARCHIVE.zip`, run by someone who holds an archive and no case), the error says which command
   * reads an archive.
   */
  private locate(caseDir: string | undefined): ReturnType<typeof locateCase> {
    try {
      return locateCase({caseDir})
    } catch (error) {
      const archive = this.argv.find(looksLikeArchive)
      if (!(error instanceof CustodyError) || error.code !== 'CASE_NOT_FOUND' || archive === undefined) throw error
      throw new CustodyError(
        'CASE_NOT_FOUND',
        `\`custody ${this.id ?? ''}\` works on a case, and there is none here (${error.message}). ${archive} is a sealed archive: \`custody verify ${archive}\` checks it and says what it holds (its README.txt says how to check it without custody)`,
        {subject: archive},
      )
    }
  }

  /**
   * The case passphrase from --passphrase-file, CUSTODY_PASSPHRASE or a prompt on the terminal.
   * Without any of them it throws before the command has done anything.
   */
  protected async passphrase(file: string | undefined, what: string, options: {confirm?: boolean; env?: NodeJS.ProcessEnv} = {}): Promise<string> {
    const given = await passphraseFromFileOrEnv(file, options.env)
    if (given !== undefined) return given
    if (!process.stdin.isTTY || !process.stderr.isTTY) throw missingPassphrase(what)
    // Loaded only to ask: most runs read the passphrase from a file or the environment, or need none.
    const {password} = await import('@inquirer/prompts')
    const ask = (message: string): Promise<string> =>
      password({message, mask: '*'}, {output: process.stderr}).catch((error: unknown) => {
        if (error instanceof Error && error.name === 'ExitPromptError') {
          throw new CustodyError('INTERRUPTED', `${what} was cancelled at the passphrase prompt; nothing was done`)
        }

        throw error
      })
    const first = await ask(options.confirm ? 'New case passphrase (protects the signing key):' : 'Case passphrase:')
    if (!options.confirm) return first
    checkNewPassphrase(first)
    if ((await ask('The same passphrase again:')) !== first) {
      throw new CustodyError('INVALID_ARGUMENT', 'the two passphrases differ; nothing was done. Run the command again')
    }

    return first
  }

  /**
   * Opens the case and its signing key, for a command that appends to the ledger. With
   * `background`, the key is still being opened when this returns, and the domain function
   * awaits kase.ready() before anything it could not undo.
   */
  protected async openCaseForWriting(caseDir: string | undefined, passphraseFile: string | undefined, what: string, options: {background?: boolean; compare?: boolean} = {}): Promise<Case> {
    return (await this.unlockCase(caseDir, passphraseFile, what, options)).kase
  }

  /**
   * openCaseForWriting(), also returning the passphrase, for work that opens another key with it.
   * `beforePassphrase` runs once the case is found, before the passphrase is asked for.
   */
  protected async unlockCase(
    caseDir: string | undefined,
    passphraseFile: string | undefined,
    what: string,
    options: {background?: boolean; compare?: boolean; beforePassphrase?: (kase: Case) => Promise<void>} = {},
  ): Promise<{kase: Case; passphrase: string}> {
    const kase = this.openCase(caseDir, {...options, refused: 'nothing was added'})
    try {
      await options.beforePassphrase?.(kase)
      const passphrase = await this.passphrase(passphraseFile, what)
      if (options.background) kase.beginUnlock(passphrase)
      else await kase.unlock(passphrase)
      return {kase, passphrase}
    } catch (error) {
      kase.close()
      throw error
    }
  }

  /**
   * The first Ctrl-C (or SIGTERM) asks the work to stop cleanly through the signal; a second one
   * exits at once, except while the work holds it off: from hold(message) until its release is
   * called, for a step that must finish once begun, Ctrl-C prints `message` once and nothing
   * more. Call release() when the work is over.
   */
  protected interruptible(message?: string): {signal: AbortSignal; hold: (message: string) => () => void; release: () => void} {
    const controller = new AbortController()
    const holds: string[] = []
    let told = false
    const onInterrupt = (): void => {
      const held = holds.at(-1)
      if (held !== undefined) {
        if (!told) process.stderr.write(`\n${held}\n`)
        told = true
      } else {
        if (controller.signal.aborted) process.exit(1)
        if (message) process.stderr.write(`\n${message}\n`)
      }

      controller.abort()
    }

    process.on('SIGINT', onInterrupt)
    process.on('SIGTERM', onInterrupt)
    return {
      signal: controller.signal,
      hold: (holdMessage) => {
        holds.push(holdMessage)
        let released = false
        return () => {
          if (!released) holds.splice(holds.lastIndexOf(holdMessage), 1)
          released = true
        }
      },
      release: () => {
        process.off('SIGINT', onInterrupt)
        process.off('SIGTERM', onInterrupt)
      },
    }
  }

  /**
   * Writes output too long to hold as one string (a batch's results), line by line, in pieces of
   * about 64 KiB, waiting whenever stdout asks to.
   */
  protected async writeLines(lines: Iterable<string>): Promise<void> {
    const write = async (text: string): Promise<void> => {
      if (!process.stdout.write(text)) await once(process.stdout, 'drain')
    }

    let piece = ''
    for (const line of lines) {
      piece += `${line}\n`
      if (piece.length >= 64 * 1024) {
        await write(piece)
        piece = ''
      }
    }

    if (piece !== '') await write(piece)
  }

  /** Notices on stderr, after the work (and outside --json's one document on stdout). */
  protected override async finally(err: Error | undefined): Promise<unknown> {
    for (const notice of [...this.notices, ...this.opened.flatMap((kase) => kase.notices)]) process.stderr.write(`Warning: ${notice}\n`)
    return super.finally(err)
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (err instanceof CustodyError) {
      process.exitCode = err.exitCode
      const message = commandMessage(this.ctor as typeof CustodyCommand, err)
      // One unwrapped line: scripts grep it, and terminals wrap by themselves.
      if (this.jsonEnabled()) this.logJson({error: {...err.toJSON(), message}})
      else process.stderr.write(`Error: ${message}\n`)
      return undefined
    }

    if (err.oclif?.exit !== undefined) err.exitCode = err.oclif.exit
    return super.catch(err)
  }
}
