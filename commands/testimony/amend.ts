import {Args, Flags} from '@oclif/core'
import {CustodyError} from '../../src/errors.js'
import {renderAmend} from '../../src/render/testimony.js'
import {amendStatement, type AmendReport} from '../../src/testimony/amend.js'
import {askCorrectedStatement} from '../../src/testimony/interview.js'
import {CustodyCommand, caseFlag, passphraseFileFlag, prose} from '../_base.js'

export default class TestimonyAmend extends CustodyCommand {
  static override args = {
    testimony: Args.string({description: 'the witness code (W-014) or the testimony exhibit ID', required: true}),
  }

  static override description = prose`Add a corrected version of a statement; the earlier versions stay as they are.

Statements are never edited in place. The corrected statement (--statement-file, or typed in $EDITOR
on a terminal) becomes a new exhibit, linked to the testimony as its next version with the reason.
\`custody show\` lists every version; a seal of the testimony carries them all.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> W-014 --statement-file w014-statement-v2.txt --reason "the witness corrected the date of the arrest"', description: 'From a file'},
    {command: '<%= config.bin %> <%= command.id %> W-014 --reason "interpreter\'s correction of paragraph 3"', description: 'Typed in $EDITOR'},
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    'statement-file': Flags.string({description: 'the corrected statement (default: type it in $EDITOR on a terminal)', helpValue: 'FILE'}),
    reason: Flags.string({description: 'why the statement is corrected', required: true, helpValue: 'TEXT'}),
    actor: Flags.string({description: "who records it (default: the case's investigator)", helpValue: 'NAME'}),
  }

  async run(): Promise<AmendReport> {
    const {args, flags} = await this.parse(TestimonyAmend)
    const onTerminal = Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY)
    if (flags['statement-file'] === undefined && !onTerminal) {
      throw new CustodyError('INVALID_ARGUMENT', 'give the corrected statement with --statement-file (there is no terminal to open an editor on); nothing was recorded')
    }

    const kase = await this.openCaseForWriting(flags.case, flags['passphrase-file'], 'testimony amend')
    try {
      const statement = flags['statement-file'] === undefined ? {text: await askCorrectedStatement()} : {file: flags['statement-file']}
      const report = await amendStatement(kase, args.testimony, {statement, reason: flags.reason, actor: flags.actor})
      this.log(renderAmend(report))
      return report
    } finally {
      kase.close()
    }
  }
}
