import {Args, Flags} from '@oclif/core'
import {CustodyError} from '../../src/errors.js'
import {renderAmend} from '../../src/render/testimony.js'
import type {Case} from '../../src/case/case.js'
import {amendStatement, checkAmend, type AmendReport} from '../../src/testimony/amend.js'
import type {Finding} from '../../src/testimony/content-check.js'
import {CustodyCommand, caseFlag, identityFlag, passphraseFileFlag, prose} from '../_base.js'
import {readIdentityFiles} from '../../src/age/key-files.js'
import {askCorrectedStatement, confirmIdentifyingContent} from '../../src/testimony/interview.js'

/** The terminal's side of the questions, loaded only when there is something to ask (it brings @inquirer/prompts). */
const terminalSide = () => import('./_interview.js')
const terminal = async () => (await terminalSide()).terminalAsker()

export default class TestimonyAmend extends CustodyCommand {
  static override args = {
    testimony: Args.string({description: 'the witness code (W-014) or the testimony exhibit ID', required: true}),
  }

  static override description = prose`Add a corrected version of a statement; the earlier versions stay as they are.

Statements are never edited in place. The corrected statement (--statement-file, or typed in $EDITOR
on a terminal) becomes a new exhibit, linked to the testimony as its next version with the reason.
\`custody show\` lists every version; a seal of the testimony carries them all.

It needs the case passphrase: the witness's identity is opened (in memory, for the comparison
only) to check that --reason, which is recorded in clear, holds neither the name nor the contact
(refused, exit 2), and to search the new statement and its metadata for them as \`testimony add\`
does. A statement that names the witness is recorded only when confirmed on a terminal or with
--identifying-content-ok; from that version on the testimony holds identifying content, and no
advocacy (anonymised) seal takes it.

--identity FILE (an age identity file of one of the case's recipients, HQ's) opens the testimony
and the witness's identity instead, for the same check. A field case needs it: its passphrase
opens neither (it still opens the signing key, which records the version).`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> W-014 --statement-file w014-statement-v2.txt --reason "the witness corrected the date of the arrest"', description: 'From a file'},
    {command: '<%= config.bin %> <%= command.id %> W-014 --reason "interpreter\'s correction of paragraph 3"', description: 'Typed in $EDITOR'},
    {
      command: '<%= config.bin %> <%= command.id %> W-014 --statement-file w014-signed-v2.txt --reason "the signed version" --identifying-content-ok',
      description: 'The new version names the witness: record it, as holding identifying content',
    },
    {command: '<%= config.bin %> <%= command.id %> W-014 --statement-file w014-statement-v2.txt --reason "the date corrected" --identity hq.key', description: "In a field case: HQ's age identity opens the testimony"},
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    identity: identityFlag,
    'statement-file': Flags.string({description: 'the corrected statement (default: type it in $EDITOR on a terminal)', helpValue: 'FILE'}),
    reason: Flags.string({description: "why the statement is corrected (in clear: refused if it holds the witness's name or contact)", required: true, helpValue: 'TEXT'}),
    'identifying-content-ok': Flags.boolean({
      description: "record the new version even if it, or its metadata, holds the witness's name or contact: the testimony is then marked as holding identifying content and left out of advocacy seals",
      default: false,
    }),
    actor: Flags.string({description: "who records it (default: the case's investigator)", helpValue: 'NAME'}),
  }

  async run(): Promise<AmendReport> {
    const {args, flags} = await this.parse(TestimonyAmend)
    const onTerminal = Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY)
    if (flags['statement-file'] === undefined && !onTerminal) {
      throw new CustodyError('INVALID_ARGUMENT', 'give the corrected statement with --statement-file (there is no terminal to open an editor on); nothing was recorded')
    }

    const file = flags['statement-file'] === undefined ? undefined : {file: flags['statement-file']}
    // An empty reason, a statement file that cannot be read, a testimony that does not exist: refused before the passphrase is asked for.
    const check = (k: Case): Promise<unknown> => checkAmend(k, args.testimony, {reason: flags.reason, statement: file})
    const identities = await readIdentityFiles(flags.identity)
    // HQ's identity, given, opens the case before the check runs again: in a field case the
    // passphrase opens no testimony.
    const {kase: opened, passphrase} = await this.unlockCase(flags.case, flags['passphrase-file'], 'testimony amend', {check, ...(identities === undefined ? {} : {identities})})
    using kase = opened
    if (file === undefined) await (await terminalSide()).shredEditorLeftovers()
    const statement = file ?? {text: await askCorrectedStatement((await terminalSide()).terminalAsker(process.stderr, kase.vault.encrypted))}
    const identifyingContent = flags['identifying-content-ok'] ? 'accept' : onTerminal ? async (findings: readonly Finding[]) => confirmIdentifyingContent(findings, await terminal()) : 'refuse'
    const report = await amendStatement(kase, args.testimony, {statement, reason: flags.reason, actor: flags.actor, passphrase, identities, identifyingContent})
    this.log(renderAmend(report))
    return report
  }
}
