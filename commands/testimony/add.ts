import {Flags} from '@oclif/core'
import {caseProgress} from '../../src/case/next-steps.js'
import {CustodyError} from '../../src/errors.js'
import type {Finding} from '../../src/testimony/content-check.js'
import {nextAfterTestimony} from '../../src/render/next-steps.js'
import {renderTestimonyTaken} from '../../src/render/testimony.js'
import {confirmIdentifyingContent} from '../../src/testimony/interview.js'
import type {Case} from '../../src/case/case.js'
import {discardDrafts, type DraftInfo} from '../../src/testimony/draft.js'
import {checkGiven, checkTestimony, missingFields, type TestimonyInput, type TestimonyRecord} from '../../src/testimony/record.js'
import {continueInterview, draftsToTell} from '../../src/testimony/resume.js'
import {checkTestimonyFiles, takeTestimony, type TestimonyReport} from '../../src/testimony/take-testimony.js'
import {CONSENT_METHODS, CONSENT_SCOPES} from '../../src/testimony/vocabulary.js'
import {CustodyCommand, caseFlag, flagFor, passphraseFileFlag, prose} from '../_base.js'

/** The terminal's side of the interview, loaded only when there is something to ask (it brings @inquirer/prompts). */
const questions = () => import('./_interview.js')

export default class TestimonyAdd extends CustodyCommand {
  static override description = prose`Record a witness's testimony: the interview, informed consent, the statement and its attachments.

On a terminal it asks, one question at a time, for everything the flags do not give, checking
each answer as it is typed (and asking again, with the reason), then shows every answer: record
it, change any answer, or stop. Scripts give flags and never see a prompt: with no terminal (or
with --no-input) and a required flag missing, it stops, names the missing flags, and writes
nothing. Required: --witness, --interviewed-at, --place, --interviewer, --consent (or --consent
none), --consent-method (unless none) and the statement (--statement-file, or typed in $VISUAL
or $EDITOR; with neither set, in nano where it is installed, else vi, said beforehand). The
editor's file, the one place the statement is in clear, is kept in memory-backed storage
($XDG_RUNTIME_DIR, else /dev/shm) and overwritten and removed when the editor closes; without
either, an encrypted case refuses to type the statement (give --statement-file, or set
XDG_RUNTIME_DIR to a tmpfs folder) and a case in clear uses the temp folder.

At the prompts, a time may be typed as 2024-03-05 10:00 (taken in this computer's zone, and
shown back to confirm), 11:30 (the end, on the day of the start), yesterday 22:15 or now; a
language by name (Crimean Tatar, Ukrainian) or tag; a file as a terminal pastes it (quoted,
with backslashes, ~). Flags take ISO 8601 times with their zone.

Nothing typed is lost. An answer that holds part of the witness's name or contact given later
(the witness code "Lenura" for a witness named Lenura) is said as soon as the name is given, and
either answer can be changed then. Every answer (the statement typed included) is kept, as it is given, in a draft encrypted
to the case's identity key (.custody/drafts/): after Ctrl-C, an error or a crash, the next
\`custody testimony add\` on a terminal says when the draft was started and how many answers it
holds, and, once given the passphrase, offers to resume it. A draft is removed when its testimony
is recorded, or by --discard-draft. Given every required flag, the command takes no draft, and
says on stderr when the case keeps some.

The statement becomes an exhibit (its original is kept and hashed like any exhibit, under a name
such as W-014-statement-v1.txt, never the file's own name); each --attach file is ingested as an
exhibit too and linked to the testimony. All of it is recorded together or not at all: if one
attachment cannot be ingested, nothing is recorded.

The witness's name, contact details, identifying notes, what makes them vulnerable and any
referral are encrypted to the case's identity key (opened only with the case passphrase) and
never stored in clear. The ledger and every sealed archive carry only the witness code and a
salted SHA-256 commitment to that identity record. See \`custody testimony identity\`.

The open record (--witness, --place, --interviewer, --present, --interpreter, --note) is in clear
in the ledger and in every archive: a value that holds the witness's name (any part of it, as a
word, whatever its case or accents) or contact (a phone number, compared by its digits; an e-mail
address or @handle) is refused (exit 2), naming the flag; on a terminal the question is asked
again. The statement's text (when it is UTF-8 or UTF-16 text; a PDF, a scan or another encoding
cannot be searched, and the output says so) and the metadata ExifTool reads from the statement
and every attachment (EXIF Artist, XMP Creator, IPTC By-line, comments, any tag) are searched for
the same: when found, a terminal shows where and asks to confirm; a script stops (exit 2,
nothing written) unless --identifying-content-ok. A testimony recorded so is marked as holding
identifying content, and no advocacy (anonymised) seal takes it.

Consent scopes: ${Object.entries(CONSENT_SCOPES).map(([s, m]) => `${s} (${m})`).join('; ')}.
Consent methods: ${Object.keys(CONSENT_METHODS).join(', ')}.

The text report ends with what to do next (Next:): how to read the testimony and its statement
back, and to seal it for a purpose the witness consented to. --json gives none.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Take a testimony interactively (or resume an unfinished interview kept in a draft)'},
    {command: '<%= config.bin %> <%= command.id %> --discard-draft', description: 'Remove the drafts of unfinished interviews, then take a new testimony interactively'},
    {
      command:
        '<%= config.bin %> <%= command.id %> --witness W-014 --interviewed-at 2024-03-01T10:00+02:00/2024-03-01T11:30+02:00 --place "Kyiv, safe location" --interviewer "A. Investigator" --interpreter "B. Interpreter" --language uk --language en --consent court --consent international --consent-method signed-form --statement-file w014-statement.pdf --attach w014-interview.m4a --witness-name "..." --witness-contact "..."',
      description: 'Record a testimony from flags (for scripts)',
    },
    {
      command: '<%= config.bin %> <%= command.id %> --witness W-015 --interviewed-at 2024-03-02T09:00Z --place Kherson --interviewer "A. Investigator" --consent none --statement-file w015.txt --json',
      description: 'A witness who consented to nothing, with JSON output',
    },
    {
      command:
        '<%= config.bin %> <%= command.id %> --witness W-016 --interviewed-at 2024-03-03T14:00+02:00 --place Bucha --interviewer "A. Investigator" --consent court --consent-method signed-form --statement-file w016-signed.txt --witness-name "..." --identifying-content-ok',
      description: 'The signed statement names the witness: record it anyway, as holding identifying content (never sealed for advocacy)',
    },
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    witness: Flags.string({description: 'the witness code, a pseudonym such as W-014 (never the name)', helpValue: 'CODE'}),
    'interviewed-at': Flags.string({description: 'when the interview started, ISO 8601 with zone; or START/END', helpValue: 'ISO-8601'}),
    'ended-at': Flags.string({description: 'when the interview ended, ISO 8601 with zone', helpValue: 'ISO-8601'}),
    place: Flags.string({description: "where the interview took place (in clear: never the witness's name or contact)", helpValue: 'TEXT'}),
    interviewer: Flags.string({description: 'who interviewed (repeat for each; in clear)', multiple: true, helpValue: 'NAME'}),
    present: Flags.string({description: 'anyone else present, by name or role (repeat for each; in clear: name a person who needs protection by role or code)', multiple: true, helpValue: 'NAME'}),
    interpreter: Flags.string({description: 'the interpreter (in clear)', helpValue: 'NAME'}),
    language: Flags.string({description: 'a language of the interview: a BCP 47 tag (uk, ru, crh, en) or its name (Ukrainian, Crimean Tatar); repeat for each', multiple: true, helpValue: 'TAG'}),
    vulnerable: Flags.boolean({description: 'the witness is vulnerable (a minor, a survivor of sexual violence, at particular risk)', allowNo: true}),
    vulnerability: Flags.string({description: 'in what way the witness is vulnerable (encrypted)', helpValue: 'TEXT'}),
    referral: Flags.string({description: 'a referral made, e.g. to medical or psychosocial support (encrypted)', helpValue: 'TEXT'}),
    consent: Flags.string({description: `a scope the witness consented to: ${Object.keys(CONSENT_SCOPES).join(', ')}; repeat for each, or give none`, multiple: true, helpValue: 'SCOPE'}),
    'consent-method': Flags.string({description: `how consent was given: ${Object.keys(CONSENT_METHODS).join(', ')}`, helpValue: 'METHOD'}),
    'consent-at': Flags.string({description: 'when consent was given (default: when the interview started)', helpValue: 'ISO-8601'}),
    'statement-file': Flags.string({description: 'the statement: text, transcript, or a scan of the signed statement', helpValue: 'FILE'}),
    attach: Flags.string({description: 'a file to ingest and link: a recording of the interview, a photo the witness handed over (repeat for each)', multiple: true, helpValue: 'FILE'}),
    'witness-name': Flags.string({description: "the witness's name (encrypted, never stored in clear)", helpValue: 'TEXT'}),
    'witness-contact': Flags.string({description: "the witness's contact details (encrypted)", helpValue: 'TEXT'}),
    'identity-note': Flags.string({description: 'other identifying notes (encrypted)', helpValue: 'TEXT'}),
    note: Flags.string({description: "a note recorded with the testimony (in clear: refused if it holds the witness's name or contact)", helpValue: 'TEXT'}),
    'identifying-content-ok': Flags.boolean({
      description: "record the testimony even if its statement or an attachment's metadata holds the witness's name or contact: it is marked as holding identifying content and left out of advocacy seals (without this flag and with no terminal, such a testimony is refused)",
      default: false,
    }),
    actor: Flags.string({description: "who records it (default: the case's investigator)", helpValue: 'NAME'}),
    'discard-draft': Flags.boolean({
      description: 'remove the drafts of unfinished interviews this case keeps (encrypted; a terminal offers to resume them), then go on as usual',
      default: false,
    }),
    'no-input': Flags.boolean({description: 'never prompt, even on a terminal: fail if a required flag is missing', default: false}),
  }

  static override fieldFlags = {interviewers: 'interviewer', languages: 'language', attachments: 'attach', identityNotes: 'identity-note'}

  async run(): Promise<TestimonyReport> {
    const {flags} = await this.parse(TestimonyAdd)
    const given: TestimonyInput = {
      witness: flags.witness,
      interviewedAt: flags['interviewed-at'],
      endedAt: flags['ended-at'],
      place: flags.place,
      interviewers: flags.interviewer,
      present: flags.present,
      interpreter: flags.interpreter,
      languages: flags.language,
      vulnerable: flags.vulnerable,
      vulnerability: flags.vulnerability,
      referral: flags.referral,
      consent: flags.consent,
      consentMethod: flags['consent-method'],
      consentAt: flags['consent-at'],
      statementFile: flags['statement-file'],
      attachments: flags.attach,
      witnessName: flags['witness-name'],
      witnessContact: flags['witness-contact'],
      identityNotes: flags['identity-note'],
      note: flags.note,
    }
    checkGiven(given)
    const missing = missingFields(given).map((field) => flagFor(TestimonyAdd, field))
    const canAsk = !flags['no-input'] && Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY)
    if (missing.length > 0 && !canAsk) {
      throw new CustodyError(
        'INVALID_ARGUMENT',
        `a testimony needs ${missing.join(', ')}${canAsk || flags['no-input'] ? '' : ' (there is no terminal to ask on)'}; nothing was recorded. Give them as flags, or run on a terminal to be asked`,
      )
    }

    const interviewing = missing.length > 0
    const record = interviewing ? undefined : checkTestimony(given)
    let drafts: DraftInfo[] = []
    const {kase: opened, passphrase} = await this.unlockCase(flags.case, flags['passphrase-file'], 'testimony add', {
      // With everything given, a statement or attachment that cannot be taken in is refused before the passphrase is asked for.
      check: async (kase) => {
        if (record !== undefined) await checkTestimonyFiles(record)
        const found = await draftsToTell(kase.dataDir)
        drafts = found.drafts
        if (interviewing && !flags['discard-draft']) process.stderr.write(found.told)
      },
    })
    using kase = opened
    if (flags['discard-draft']) drafts = await this.discardDrafts(kase)
    else if (!interviewing && drafts.length > 0) {
      this.notices.push(`this case keeps ${drafts.length} unfinished interview${drafts.length === 1 ? '' : 's'} in encrypted drafts, left as they are: \`custody testimony add\` on a terminal resumes one, --discard-draft removes them`)
    }

    const terminal = interviewing ? await questions() : undefined
    await terminal?.shredEditorLeftovers()
    const continued = terminal === undefined ? undefined : await continueInterview(kase, passphrase, drafts, terminal.terminalAsker(process.stderr, kase.vault.encrypted))
    try {
      const complete = record ?? checkTestimony(await terminal!.interview(given, {investigator: kase.info.investigator, encrypted: kase.vault.encrypted, ...continued}))
      const report = await this.take(kase, complete, {passphrase, actor: flags.actor, identifyingContentOk: flags['identifying-content-ok'], canAsk})
      await continued?.draft.discard()
      return report
    } catch (error) {
      if (continued?.draft.saved) this.notices.push('the answers are kept in an encrypted draft: `custody testimony add` on a terminal resumes it (--discard-draft removes it)')
      throw error
    }
  }

  /** Removes the case's drafts, and says how many; none are left to offer. */
  private async discardDrafts(kase: Case): Promise<DraftInfo[]> {
    const {removed, inUse} = await discardDrafts(kase.dataDir)
    const left = inUse === 0 ? '' : `; ${inUse} that a custody still running is writing ${inUse === 1 ? 'was' : 'were'} left`
    process.stderr.write(`Removed ${removed} draft${removed === 1 ? '' : 's'} of unfinished interviews${left}.\n`)
    return []
  }

  /** Records the testimony, asking on the terminal (when there is one) whether identifying content may be recorded. */
  private async take(kase: Case, complete: TestimonyRecord, options: {passphrase: string; actor: string | undefined; identifyingContentOk: boolean; canAsk: boolean}): Promise<TestimonyReport> {
    const interrupt = this.interruptible('Stopping: nothing of this testimony will be recorded (Ctrl-C again to stop now)...')
    try {
      const identifyingContent = options.identifyingContentOk ? 'accept' : options.canAsk ? async (findings: readonly Finding[]) => confirmIdentifyingContent(findings, (await questions()).terminalAsker()) : 'refuse'
      const report = await takeTestimony(kase, complete, {passphrase: options.passphrase, actor: options.actor, signal: interrupt.signal, identifyingContent})
      this.log([renderTestimonyTaken(report), ...nextAfterTestimony(report, caseProgress(kase))].join('\n'))
      return report
    } finally {
      interrupt.release()
    }
  }
}
