/**
 * What every custody command shares: `--json`, the documented exit codes, finding the case, and
 * the flags that errors name.
 *
 * Exit codes: 0 success, 1 some work failed, 2 wrong usage, 3 an integrity check failed.
 * oclif's own catch drops `this.error(msg, {exit})` under --json and exits 1, and prints its
 * errors whole (a parse error holds its whole config); this one gives every error as a
 * CustodyError, with its code's exit code, in both modes. Every --json document carries the
 * output format's `version` (src/render/json-output.ts).
 *
 * The core's errors name input fields, not flags (src/errors.ts): a command names, for each field,
 * the flag that gives it: the field's name in kebab case (`interviewedAt`, `--interviewed-at`),
 * unless its `fieldFlags` say otherwise; a field it has no flag for keeps the core's words.
 */
import {once} from 'node:events'
import {statSync} from 'node:fs'
import {join} from 'node:path'
import {Command, Errors, Flags, toConfiguredId} from '@oclif/core'
import {Case, locateCase} from '../src/case/case.js'
import {CustodyError, errnoOf, sayWith, unforeseenError, type Field} from '../src/errors.js'
import {askNewPassphrase, missingPassphrase, passphraseFromFileOrEnv, tryPassphrases} from '../src/keys/passphrase.js'
import {caseKeyMode} from '../src/keys/case-keys.js'
import {readIdentityFiles} from '../src/age/key-files.js'
import type {AgeIdentity} from '../src/age/x25519.js'
import {jsonWithList} from '../src/render/json-lines.js'
import {errorDocument, successDocument, type JsonResult} from '../src/render/json-output.js'
import {safeLines} from '../src/render/text.js'
import {parseError} from './_parse-errors.js'

export const caseFlag = Flags.string({
  description: 'the case folder (the one holding .custody/); default: $CUSTODY_CASE, else the nearest case above the working directory',
  helpValue: 'DIR',
})

export const passphraseFileFlag = Flags.string({
  description: 'read the case passphrase from this file (its first line); default: $CUSTODY_PASSPHRASE, else a prompt on a terminal (three tries)',
  helpValue: 'FILE',
})

export const identityFlag = Flags.string({
  description: "an age identity file (age-keygen's output) of one of the case's recipients; repeatable",
  helpValue: 'FILE',
  multiple: true,
})

/**
 * --identity of a command that writes and, in a field case, needs what only a recipient opens
 * (`opens`: the vault, the events, the receipts): with the unlock option `needsContent`.
 */
export function fieldIdentityFlag(opens: string) {
  return Flags.string({description: `${identityFlag.description}: it opens ${opens} of a field case, which the passphrase does not (the passphrase still signs)`, helpValue: 'FILE', multiple: true})
}

/**
 * The flags of a command that reads what the events record: an encrypted case's are opened with
 * the passphrase, a field case's with a recipient's identity only (openLedgerToRead).
 */
export const readingFlags = {
  identity: Flags.string({
    description: `${String(identityFlag.description)}: it opens what an encrypted case's ledger records, which the passphrase otherwise opens (a field case's only an identity opens)`,
    helpValue: 'FILE',
    multiple: true,
  }),
  'passphrase-file': passphraseFileFlag,
}

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

/** A sealed archive as a user would name one: a ZIP file, or a bag folder (unzipped from one: it holds bagit.txt). */
function looksLikeArchive(arg: string): boolean {
  if (arg.startsWith('-')) return false
  try {
    const found = statSync(arg)
    if (found.isDirectory()) return statSync(join(arg, 'bagit.txt')).isFile()
    return /\.zip$/i.test(arg) && found.isFile()
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

/** Lines joined in pieces of about 64 KiB: one write each. */
function* inPieces(lines: Iterable<string>): Generator<string> {
  let piece = ''
  for (const line of lines) {
    piece += `${line}\n`
    if (piece.length >= 64 * 1024) {
      yield piece
      piece = ''
    }
  }

  if (piece !== '') yield piece
}

/**
 * In a field case no key on the laptop opens content: work that needs it (`what`) is refused
 * before any passphrase is asked for, naming --identity.
 */
export function refuseFieldContent(kase: Case, what: string): void {
  if (caseKeyMode(kase) === 'field') {
    throw new CustodyError('WRONG_KEY', `${what} needs the content of this field case, which only its recipients' identities open (no key on this laptop does): run it again with --identity FILE, the age identity file of one of them (HQ's)`)
  }
}

/** Says on the terminal why the passphrase is asked again (the prompt is on stderr too). */
function tellRetry(why: string, triesLeft: number): void {
  process.stderr.write(`${why.charAt(0).toUpperCase()}${why.slice(1)}. Try again (${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left).\n`)
}

/** What an early check gives when it must wait for the keys (checkBeforeKeys). */
const NEEDS_KEYS: unique symbol = Symbol('needs keys')

/** How a command opens its case for writing (see unlockCase()). */
interface UnlockOptions<T> {
  background?: boolean
  /** The work only adds content (ingest): the case identity, which decrypts, stays closed (Case.unlock). */
  writeOnly?: boolean
  /**
   * With writeOnly: the work reads what events record (transfer receipt, purge, trust), so where
   * the ledger keeps its event bodies encrypted the case identity is opened after all (a field
   * case has none: its bodies stay closed, and the reading says what opens them).
   */
  readsEvents?: boolean
  /** `custody encrypt`: the signing key alone, in a case it may have begun to convert (Case.unlock). */
  converting?: boolean
  compare?: boolean
  /** What can be refused once the case is open, before the passphrase is asked for; its result is returned as `checked`. */
  check?: (kase: Case) => T | Promise<T>
  /**
   * Recipients' identities (--identity FILE) that open the case once the passphrase has: before
   * `check` runs again, which in a field case reads what only they open.
   */
  identities?: AgeIdentity[]
  /** The work needs content: in a field case with no `identities`, refused before `check` and the passphrase (refuseFieldContent). */
  needsContent?: boolean
}

export abstract class CustodyCommand extends Command {
  static override enableJsonFlag = true
  /** The flags of this command not named like the field they give (in kebab case): field → flag. */
  static fieldFlags: {readonly [field: string]: string} = {}
  /** Cases this command opened: their notices are printed when it ends. */
  private readonly opened: Case[] = []
  /** Notices of the command itself. */
  protected readonly notices: string[] = []

  /**
   * The work, and its result for --json (undefined: the command wrote its document itself, with
   * jsonLines()). A result has no `version` of its own: that member of the document is the output
   * format's (successDocument), and the compiler refuses a result that would hide it.
   */
  abstract override run(): Promise<JsonResult | undefined | void>

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
        `\`custody ${this.id ?? ''}\` works on a case, and there is none here (${error.message}). ${archive} is ${statSync(archive).isDirectory() ? 'a bag folder (a sealed archive unzipped)' : 'a sealed archive'}: \`custody verify ${archive}\` checks it and says what it holds (its README.txt says how to check it without custody)`,
        {subject: archive},
      )
    }
  }

  /**
   * The prompt for a passphrase, on the terminal; without one, it throws before the command has
   * done anything.
   */
  private async passphrasePrompt(what: string): Promise<(question: string) => Promise<string>> {
    if (!process.stdin.isTTY || !process.stderr.isTTY) throw missingPassphrase(what)
    // Loaded only to ask: most runs read the passphrase from a file or the environment, or need none.
    const {password} = await import('@inquirer/prompts')
    return (question) =>
      password({message: question, mask: '*'}, {output: process.stderr}).catch((error: unknown) => {
        if (error instanceof Error && error.name === 'ExitPromptError') {
          throw new CustodyError('INTERRUPTED', `${what} was cancelled at the passphrase prompt; nothing was done`)
        }

        throw error
      })
  }

  /**
   * The case passphrase from --passphrase-file, CUSTODY_PASSPHRASE or a prompt on the terminal,
   * given to `use` (which opens a key with it; `prompted` says where it came from). A passphrase
   * typed at the prompt that `use` refuses as wrong is asked again, three times in all.
   */
  private async withPassphrase<T>(file: string | undefined, what: string, use: (passphrase: string, prompted: boolean) => Promise<T>): Promise<T> {
    const given = await passphraseFromFileOrEnv(file)
    if (given !== undefined) return use(given, false)
    const ask = await this.passphrasePrompt(what)
    return tryPassphrases(() => ask('Case passphrase:'), (passphrase) => use(passphrase, true), tellRetry)
  }

  /**
   * Gives an encrypted case's vault the keys to read content with, for work that reads it
   * (`what`): the identities of --identity FILE, else the case passphrase. A field case's
   * passphrase opens no content: refused in one line naming --identity. A case in clear needs none.
   */
  protected async openVaultToRead(kase: Case, identityFiles: string[] | undefined, passphraseFile: string | undefined, what: string): Promise<void> {
    if (!kase.vault.encrypted) return
    // Identities given are always tried, even where the passphrase has opened the vault already (a
    // command that adds, in a case with a case identity): one that is no recipient's is refused,
    // never passed over in silence.
    if (identityFiles !== undefined) {
      await kase.openVault({identities: (await readIdentityFiles(identityFiles)) ?? []})
      return
    }

    // Opened already (a command that read the ledger first, openLedgerToRead): the same keys open the vault.
    if ((kase.vault.keys?.identities.length ?? 0) > 0) return

    refuseFieldContent(kase, what)
    await this.withPassphrase(passphraseFile, what, (passphrase) => kase.openVault({passphrase}))
  }

  /**
   * For a command that reads what the events record (list, log, show, report, key show): a case
   * whose ledger keeps them sealed (Ledger.bodiesLocked) is opened with the identities of
   * --identity FILE, else the case passphrase, as its vault is (openVaultToRead: a field case's
   * passphrase opens nothing, refused in one line naming --identity). Other cases need nothing.
   */
  protected async openLedgerToRead(kase: Case, identityFiles: string[] | undefined, passphraseFile: string | undefined, what: string): Promise<void> {
    if (!kase.ledger.bodiesLocked) return
    await this.openVaultToRead(kase, identityFiles, passphraseFile, what)
  }

  /**
   * The address key of a sealed ledger, for what needs it and no body: the investigator's name and
   * organisation sealed in the first event (`key show --public`), and the keyed tags that find
   * duplicates and earlier batch runs (`ingest --dry-run`). The passphrase opens it in every
   * encrypted case, a field case's too, and so does --identity FILE. Other cases need nothing.
   */
  protected async openAddressKeyToRead(kase: Case, identityFiles: string[] | undefined, passphraseFile: string | undefined, what: string): Promise<void> {
    if (!kase.ledger.bodiesLocked) return
    if (identityFiles !== undefined) {
      await kase.openVault({identities: (await readIdentityFiles(identityFiles)) ?? []})
      return
    }

    await this.withPassphrase(passphraseFile, what, (passphrase) => kase.openVault({passphrase, writeOnly: true}))
  }

  /**
   * A new passphrase (for a new key) from --passphrase-file, CUSTODY_PASSPHRASE (unless `env`
   * says otherwise) or a prompt on the terminal, which asks for it twice, and asks again, three
   * times in all, for one too short or typed differently.
   */
  protected async newPassphrase(file: string | undefined, what: string, options: {env?: NodeJS.ProcessEnv} = {}): Promise<string> {
    const given = await passphraseFromFileOrEnv(file, options.env)
    if (given !== undefined) return given
    return askNewPassphrase(await this.passphrasePrompt(what), tellRetry)
  }

  /**
   * Opens the case and its signing key, for a command that appends to the ledger. With
   * `background`, the key is still being opened when this returns, and the domain function
   * awaits kase.ready() before anything it could not undo (not when the passphrase was typed at
   * the prompt: then the key is opened first, so that a wrong passphrase can be asked again).
   * `check` runs once the case is open and before the passphrase is asked for: what can be
   * refused without the key is refused first.
   */
  protected async openCaseForWriting(caseDir: string | undefined, passphraseFile: string | undefined, what: string, options: UnlockOptions<unknown> = {}): Promise<Case> {
    return (await this.unlockCase(caseDir, passphraseFile, what, options)).kase
  }

  /**
   * A command's early check, before the passphrase: NEEDS_KEYS when it read an event that a sealed
   * ledger keeps sealed until a key is open (CONTENT_LOCKED), so that it is run again after.
   */
  private async checkBeforeKeys<T>(kase: Case, check: ((kase: Case) => T | Promise<T>) | undefined): Promise<T | typeof NEEDS_KEYS | undefined> {
    if (check === undefined) return undefined
    try {
      return await check(kase)
    } catch (error) {
      if (error instanceof CustodyError && error.code === 'CONTENT_LOCKED' && kase.ledger.bodiesLocked) return NEEDS_KEYS
      throw error
    }
  }

  /**
   * openCaseForWriting(), also returning the passphrase, for work that opens another key with it,
   * and what `check` returned. The order is every command's: usage (checked before this is called),
   * then the case, then the passphrase.
   */
  protected async unlockCase<T = undefined>(caseDir: string | undefined, passphraseFile: string | undefined, what: string, options: UnlockOptions<T> = {}): Promise<{kase: Case; passphrase: string; checked: T}> {
    const kase = this.openCase(caseDir, {...options, refused: 'nothing was added'})
    try {
      if (options.needsContent === true && options.identities === undefined) refuseFieldContent(kase, what)
      // A check that reads what a sealed ledger's events record cannot run before a key opens them:
      // it runs again once the passphrase has (and, in a field case, fails then, saying so).
      let checked = (await this.checkBeforeKeys(kase, options.check)) as T | typeof NEEDS_KEYS
      // Before the prompt: no passphrase opens a case whose keys were destroyed.
      kase.refuseIfKeysDestroyed()
      const passphrase = await this.withPassphrase(passphraseFile, what, async (passphrase, prompted) => {
        // A passphrase typed at the prompt opens the key before the work starts, so that a wrong
        // one can be asked again; one from a file or the environment can only be refused.
        // An encrypted vault needs its keys before the first file is staged: opened first.
        const keys = {writeOnly: options.writeOnly === true && !(options.readsEvents === true && kase.ledger.bodiesLocked), converting: options.converting === true}
        if (options.background && !prompted && !kase.vault.encrypted) kase.beginUnlock(passphrase, keys)
        else await kase.unlock(passphrase, keys)
        return passphrase
      })
      // A field case's passphrase opens no event's body: a check that needed one runs again once
      // the identities given have opened them.
      if (options.identities !== undefined) await kase.openVault({identities: options.identities})
      if (checked === NEEDS_KEYS) {
        // A field case's check that still cannot read: where the command takes --identity, say so.
        if (options.identities === undefined && 'identity' in ((this.constructor as typeof CustodyCommand).flags ?? {})) refuseFieldContent(kase, what)
        checked = (await options.check!(kase)) as T
      }
      return {kase, passphrase, checked}
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
    await this.writeOut(inPieces(lines))
  }

  /**
   * Writes to stdout as the pieces come, waiting whenever it asks to. A reader that stops early
   * (`custody list | head`) closes the pipe: the rest is not wanted, and that is no failure.
   */
  protected async writeOut(pieces: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>): Promise<void> {
    let gone = false
    const closed = (error: unknown): void => {
      if (errnoOf(error) !== 'EPIPE') throw error
      gone = true
    }

    // Kept to the end: a piece already written may still find the pipe closed.
    process.stdout.on('error', closed)
    for await (const piece of pieces) {
      if (gone || process.stdout.destroyed) return
      if (!process.stdout.write(piece)) await once(process.stdout, 'drain').catch(closed)
    }
  }

  /** Notices on stderr, after the work (and outside --json's one document on stdout). */
  protected override async finally(err: Error | undefined): Promise<unknown> {
    for (const notice of [...this.notices, ...this.opened.flatMap((kase) => kase.notices)]) process.stderr.write(`Warning: ${safeLines(notice)}\n`)
    return super.finally(err)
  }

  /** `value` as its --json document (successDocument), in lines, with `items` as its list at `path` (jsonWithList). */
  protected jsonLines<T extends JsonResult>(value: T, path: readonly [string, ...string[]], items: Iterable<unknown>): Iterable<string> {
    return jsonWithList(successDocument(value), path, items)
  }

  /** A command's result as oclif prints it under --json: with the output format's version. */
  protected override toSuccessJson(result: unknown): unknown {
    return typeof result === 'object' && result !== null ? successDocument(result as JsonResult) : result
  }

  /**
   * Every error is given the same way, as a CustodyError: the core's own (naming the command's
   * flags), oclif's errors of the command line (commands/_parse-errors.ts: exit 2, naming the flag
   * or argument) and whatever else was thrown (unforeseenError: a system error in words, never its
   * errno, syscall and path as fields). With --json, as one document on stdout; else on stderr.
   */
  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // this.exit(): not an error, and what oclif gives its code to.
    if (err instanceof Errors.ExitError) return super.catch(err)
    const ctor = this.ctor as typeof CustodyCommand
    const typed = `${this.config.bin} ${toConfiguredId(this.id ?? ctor.id, this.config)}`
    const usage = err instanceof CustodyError ? undefined : parseError({typed, flags: {...ctor.baseFlags, ...ctor.flags, ...(ctor.enableJsonFlag ? {json: {}} : {})}, args: ctor.args}, err)
    // Parsed, and refused: oclif would warn (outside production) that the command never parsed.
    if (usage !== undefined) this.parsed = true
    const error = err instanceof CustodyError ? err : (usage ?? unforeseenError(err))
    process.exitCode = error.exitCode
    const message = commandMessage(ctor, error)
    // One unwrapped line: scripts grep it, and terminals wrap by themselves.
    if (this.jsonEnabled()) this.logJson(errorDocument(error, message))
    else process.stderr.write(`Error: ${safeLines(message)}\n`)
    return undefined
  }
}
