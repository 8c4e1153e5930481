import {Flags} from '@oclif/core'
import {readIdentityFiles} from '../../src/age/key-files.js'
import {CustodyError} from '../../src/errors.js'
import {renderPurged, renderPurgePlan} from '../../src/render/purge.js'
import {readCustodian} from '../../src/transfers/custodian.js'
import {planFieldPurge, purgeNeedsKey} from '../../src/transfers/field-purge.js'
import {executePurge, planPurge, type PurgeReport} from '../../src/transfers/purge.js'
import {CustodyCommand, caseFlag, fieldIdentityFlag, passphraseFileFlag, prose, refuseFieldContent} from '../_base.js'

export default class TransferPurge extends CustodyCommand {
  static override description = prose`Remove from this case's vault the exhibits a receiver has acknowledged (on the sender's side).

Once HQ has acknowledged exhibits with a signed receipt (\`custody transfer receipt\`), their
copies can leave the laptop. --acknowledged-by takes the receiver's identity: the line \`custody
key show --public\` prints in its case, or a file holding it. Every exhibit that receiver
acknowledged is purged: its original and its metadata record are removed from the vault, after
the ledger records a \`purged\` event naming the exhibit, the receipt (its transfer ID and SHA-256)
and the objects removed. An object another exhibit still needs stays (the report says which).
Nothing is purged without a receipt: there is no way to name an exhibit, and each receipt is
checked again first (kept, as recorded, signed by that receiver); a receipt changed or gone since
stops the purge (exit 3), nothing recorded.

The ledger keeps every digest and event: \`custody verify\` reports purged exhibits as purged (and
checks each \`purged\` event against a kept receipt), \`custody show\` says when and by whose
receipt, and \`custody seal\` and \`transfer export\` leave them out. An object missing with no
\`purged\` event is still a problem of \`custody verify\`.

It asks for confirmation on a terminal; a script gives --yes (without a terminal, --yes is
required). --dry-run lists what would go and changes nothing. A purge killed after it recorded
its events is finished by running it again. With nothing acknowledged, it says so (exit 0).

In a field case (\`init --field\`) the field passphrase is enough, and no key of HQ's need be on
the laptop: what a purge needs is read from what the ledger says in clear (which field packages
released which exhibits, which receipts were recorded for them and how many items each
acknowledged, each exhibit's files as stored), and each kept receipt is checked as stored (its
age file, byte for byte the one recorded). A testimony's statement and attachments that HQ
acknowledged leave too (HQ keeps them in the package); witnesses' sealed identity records stay.
The \`purged\` events then name no plaintext digest (the ingest events, which HQ opens, do). A
receipt for a sealed package needs --identity FILE, an identity of one of the case's recipients
(HQ's), which also checks each receipt's signatures again.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --acknowledged-by hq.custodian --dry-run', description: "List what HQ's receipts allow to remove (hq.custodian holds HQ's `key show --public` line)"},
    {command: '<%= config.bin %> <%= command.id %> --acknowledged-by hq.custodian', description: 'Purge them, after confirming on the terminal'},
    {command: '<%= config.bin %> <%= command.id %> --acknowledged-by "custody-custodian1 eyJhZ2Ui…" --yes --json', description: 'From a script, with JSON output'},
    {command: '<%= config.bin %> <%= command.id %> --acknowledged-by hq.custodian --yes --case ~/field-case', description: 'In a field case, with the field passphrase alone: what HQ acknowledged leaves the laptop'},
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    identity: fieldIdentityFlag('the receipts for sealed packages (not needed for field packages)'),
    'acknowledged-by': Flags.string({description: "the receiver whose receipts allow it: the line `custody key show --public` prints in its case, or a file holding it", required: true, helpValue: 'IDENTITY'}),
    yes: Flags.boolean({description: 'purge without asking for confirmation (for scripts)', default: false}),
    'dry-run': Flags.boolean({description: 'list what would be purged; change nothing', default: false}),
    actor: Flags.string({description: "who purges (default: the case's investigator)", helpValue: 'NAME'}),
  }

  async run(): Promise<PurgeReport> {
    const {flags} = await this.parse(TransferPurge)
    const by = readCustodian(flags['acknowledged-by'], '--acknowledged-by')
    const onTerminal = Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY)
    if (!flags.yes && !flags['dry-run'] && !onTerminal) {
      throw new CustodyError('USAGE', '`custody transfer purge` asks for confirmation on a terminal, and there is none: give --yes to purge from a script (or --dry-run to list what would go). Nothing was done')
    }

    // Not write-only: the case identity opens the kept receipts, which an encrypted case keeps as age files.
    // Identity files are read before the case and the passphrase (one missing or garbled is said
    // first), and open it once the passphrase has (one that is no recipient's is refused).
    const identities = await readIdentityFiles(flags.identity)
    using kase = await this.openCaseForWriting(flags.case, flags['passphrase-file'], 'transfer purge', {
      // Before the passphrase: in a field case, a receipt for a seal is checked against what only a recipient's identity opens.
      check: (kase) => {
        if (identities === undefined && purgeNeedsKey(kase, by)) refuseFieldContent(kase, 'transfer purge')
      },
      ...(identities === undefined ? {} : {identities}),
    })
    // A field case opened with its passphrase alone reads no event body: the plan is made from the public facts.
    const plan = kase.ledger.bodiesLocked ? await planFieldPurge(kase, by) : await planPurge(kase, by)
    if (flags['dry-run'] || plan.purged.length + plan.finished.length === 0) {
      this.log(renderPurgePlan(plan))
      return plan
    }

    if (!flags.yes) await this.confirmPurge(plan)
    const report = await executePurge(kase, plan, by, flags.actor)
    this.log(renderPurged(report))
    return report
  }

  /** Shows the plan and asks; a no (or Ctrl-C) stops before anything is recorded. */
  private async confirmPurge(plan: PurgeReport): Promise<void> {
    process.stderr.write(`${renderPurgePlan(plan)}\n`)
    const {confirm} = await import('@inquirer/prompts')
    const yes = await confirm({message: 'Remove these objects from the vault? The ledger keeps their digests; the receiver holds the evidence.', default: false}, {output: process.stderr}).catch(() => false)
    if (!yes) throw new CustodyError('INTERRUPTED', 'nothing was purged: not confirmed. Nothing was recorded')
  }
}
