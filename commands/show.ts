import {Args, Flags} from '@oclif/core'
import {describeExhibit, type DescribedExhibit} from '../src/exhibits/describe.js'
import {refuseExhibitPastTheLast} from '../src/exhibits/exhibits.js'
import {renderShow} from '../src/render/reports.js'
import {findStatement, statementBytes, statementText} from '../src/testimony/read-statement.js'
import {CustodyCommand, caseFlag, identityFlag, passphraseFileFlag, prose} from './_base.js'

/** A statement as `show --statement --json` gives it (under `statement`). */
interface StatementJson {
  witness: string
  version: number
  versions: number
  exhibit: string
  sha256: string
  mimeType: string | null
  /** The text, when the statement is text (UTF-8, or UTF-16 with a byte-order mark); null for a PDF or a scan. */
  text: string | null
}

export default class Show extends CustodyCommand {
  static override args = {
    exhibit: Args.string({description: 'the exhibit ID (EX-000007, or just 7), or a witness code (W-014) for that testimony', required: true}),
  }

  static override description = prose`Print one exhibit: its digests, normalised metadata, vault location and events.

The capture time is shown with its time-zone offset when the file records one, and says so when
it does not. Each normalised value names the ExifTool tag it came from; the full metadata record
is kept in the vault at the path shown.

For a testimony it also shows the interview, the consent given and every change of it, the
statement's versions, the attachments, and each time the protected identity was looked at (never
the identity itself). For a later statement version or an attachment, it names the testimony.

With --statement, it prints the statement of a testimony instead: the current version, or
--version N, exactly as recorded (its bytes, checked first against the SHA-256 in the ledger), so
that it can be piped or saved; in an encrypted case it is decrypted with the passphrase (asked for
then) or --identity FILE, a recipient's, which a field case needs; --json gives it as text under
"statement", with the witness code, version and exhibit. An exhibit that is not a testimony's
statement is refused.

A case whose ledger keeps what it records encrypted is opened the same way before anything is
shown: with the passphrase, or a recipient's --identity FILE in a field case.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> EX-000001', description: 'Show an exhibit'},
    {command: '<%= config.bin %> <%= command.id %> 1 --json', description: 'The same, as JSON'},
    {command: '<%= config.bin %> <%= command.id %> W-014', description: 'A testimony, by witness code: interview, consent history, statement versions'},
    {command: '<%= config.bin %> <%= command.id %> W-014 --statement | less', description: 'Read the current version of the statement of W-014'},
    {command: '<%= config.bin %> <%= command.id %> W-014 --statement --version 1 > W-014-v1.txt', description: 'Save its first version, as it was recorded'},
  ]

  static override flags = {
    case: caseFlag,
    // No default: --version depends on it, and oclif takes a default for a flag given.
    statement: Flags.boolean({description: "print the testimony's statement (its text as recorded) instead of describing the exhibit"}),
    version: Flags.integer({description: 'with --statement: this version of the statement (default: the current one)', min: 1, dependsOn: ['statement'], helpValue: 'N'}),
    identity: Flags.string({
      description: `${identityFlag.description}: it opens an encrypted case's statement (--statement) and what its ledger records, which the passphrase otherwise opens (a field case's only an identity opens)`,
      helpValue: 'FILE',
      multiple: true,
    }),
    'passphrase-file': passphraseFileFlag,
  }

  async run(): Promise<DescribedExhibit | {statement: StatementJson} | undefined> {
    const {args, flags} = await this.parse(Show)
    using kase = this.openCase(flags.case)
    refuseExhibitPastTheLast(kase, args.exhibit)
    await this.openLedgerToRead(kase, flags.identity, flags['passphrase-file'], `show ${args.exhibit}`)
    if (flags.statement) {
      const statement = findStatement(kase, args.exhibit, flags.version)
      await this.openVaultToRead(kase, flags.identity, flags['passphrase-file'], `show --statement (reading the statement of ${statement.witness})`)
      if (this.jsonEnabled()) {
        const {witness, version, versions, exhibit, sha256, mimeType} = statement
        return {statement: {witness, version, versions, exhibit, sha256, mimeType, text: await statementText(kase, statement)}}
      }

      // Its bytes as they are, not a rendering: a statement can be piped or saved whole.
      await this.writeOut(statementBytes(kase, statement))
      return undefined
    }

    const exhibit = describeExhibit(kase, args.exhibit)
    this.log(renderShow(exhibit))
    return exhibit
  }
}
