import {Args, Flags} from '@oclif/core'
import {readIdentityFiles} from '../../src/age/key-files.js'
import {renderAcknowledged} from '../../src/render/transfers.js'
import {acknowledgeReceipt, receiptNeedsKey, type AcknowledgeReport} from '../../src/transfers/acknowledge.js'
import {CustodyCommand, caseFlag, fieldIdentityFlag, passphraseFileFlag, prose, refuseFieldContent} from '../_base.js'

export default class TransferReceipt extends CustodyCommand {
  static override args = {
    receipt: Args.string({description: 'the receipt (FILE.receipt) the receiver wrote, its signature FILE.receipt.sig beside it', required: true}),
  }

  static override description = prose`Record a receiver's receipt for a transfer this case released (on the sender's side).

The receipt is checked against this case's own record, and refused with exit 3 (nothing
recorded) unless all of it holds: it is signed, with its cosignature, by the key of the identity
the transfer was released to (so a receipt signed by anyone else is refused); it names a transfer
this case released (\`transfer-released\`), the package's SHA-256 as released (unless the receipt
refuses the package, which may be another than the one released), and exactly the
exhibits released with their digests; and the checkpoint it cosigns is this case's, at the tree
head the transfer's seal was made at, which this ledger has.

Then the receipt and its signature are kept in the case (.custody/custodians/<receiver case
ID>/; in an encrypted case the receipt as an age file to the case's recipients, which \`age -d
-i\` opens), and the ledger records \`transfer-acknowledged\`: the receiver, the receipt's SHA-256, the
exhibits acknowledged (all, when the receipt says the package arrived intact) and the tree head it
cosigned. \`custody transfer export\` then no longer sends them, \`custody status\` no longer lists
them as waiting, and the next package to that receiver proves its tree head consistent with the
cosigned one. The same receipt again changes nothing and says so.

A receipt refusing the package (its condition names failed items: the receiver took in nothing)
acknowledges nothing: it is recorded with the condition "refused", the failed items and why are
printed, \`transfer purge\` removes nothing on it, and the next \`transfer export\` to that receiver
sends the exhibits again.

In a field case (\`init --field\`), a receipt for a field package (what \`transfer export\` made
there with no identity) is checked with no key: the transfer ID is made again from this case, the
head the receipt cosigns (this ledger's, its root recomputed), the receiver that signed it and the
release's time, so only the receiver released to can have signed it; the package is compared by
its SHA-256 and the items by their exhibit IDs (their digests are in bodies the laptop cannot
open, which HQ computed). For a sealed package, what was released is recorded in event bodies
that no key on the laptop opens: give --identity FILE, an identity of one of the case's
recipients (HQ's), as for \`transfer export\`. The field passphrase signs either way.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> to-hq-2024-05-01.zip.age.receipt', description: "Record HQ's receipt (to-hq-2024-05-01.zip.age.receipt.sig beside it)"},
    {command: '<%= config.bin %> <%= command.id %> receipts/pkg.receipt --json', description: 'The same, with JSON output'},
    {command: '<%= config.bin %> <%= command.id %> to-hq.zip.age.receipt', description: "In a field case: HQ's receipt for a field package, checked with no key"},
    {command: '<%= config.bin %> <%= command.id %> to-hq.zip.age.receipt --identity hq.key', description: "In a field case, for a sealed package sent with --identity: HQ's identity opens what was released"},
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    identity: fieldIdentityFlag('the events'),
    actor: Flags.string({description: "who records it (default: the case's investigator)", helpValue: 'NAME'}),
  }

  async run(): Promise<AcknowledgeReport> {
    const {args, flags} = await this.parse(TransferReceipt)
    // Identity files are read before the case and the passphrase (one missing or garbled is said
    // first), and open it once the passphrase has (one that is no recipient's is refused).
    const identities = await readIdentityFiles(flags.identity)
    using kase = await this.openCaseForWriting(flags.case, flags['passphrase-file'], 'transfer receipt', {
      writeOnly: true,
      readsEvents: true,
      // Before the passphrase: a field case's releases are in bodies only a recipient's identity
      // opens, except a field package's, whose receipt is checked with no key.
      check: async (kase) => {
        if (identities === undefined && (await receiptNeedsKey(kase, args.receipt))) refuseFieldContent(kase, 'transfer receipt')
      },
      ...(identities === undefined ? {} : {identities}),
    })
    const report = await acknowledgeReceipt(kase, args.receipt, flags.actor)
    this.log(renderAcknowledged(report))
    return report
  }
}
