import {Args, Flags} from '@oclif/core'
import {readIdentityFiles} from '../../src/age/key-files.js'
import {CustodyError, said} from '../../src/errors.js'
import {progressLine} from '../../src/render/progress.js'
import {renderAccepted} from '../../src/render/transfers.js'
import {acceptTransfer, ACCEPT, type AcceptReport} from '../../src/transfers/accept.js'
import {readCustodian} from '../../src/transfers/custodian.js'
import {trustedSenders} from '../../src/transfers/trust.js'
import {CustodyCommand, caseFlag, passphraseFileFlag, prose} from '../_base.js'

export default class TransferAccept extends CustodyCommand {
  static override args = {
    package: Args.string({description: 'the transfer package (FILE.zip.age) a sender made with `custody transfer export`', required: true}),
  }

  static override description = prose`Accept a transfer package from a field custodian (at HQ): verify it, keep it, record it, sign a receipt.

The package is checked first, as \`custody verify PACKAGE\` checks a sealed archive, opened with this
case's identity (the passphrase opens it) and never written to disk in clear: every original and
record against both manifests, every event's hash and inclusion proof, the sender's signed
checkpoint, its timestamps, and the signed transfer statement (transfer.json). Then it must be
released to this case, by a sender you name with --from (its identity line, as \`custody key show
--public\` prints it in the sender's case, or a file holding it; repeatable) or one on the case's
trust list (\`custody transfer trust\`), with the key that line gives. --from is needed only when
the list is empty. A sender's key rotation is followed when the package proves it: for each
rotation, the checkpoint the key before signed over it (transfer.json's rotations), from the key
you gave to the one that signed; the output names both. A package signed by a key no such chain
leads to is refused, naming both; then get the sender's new line and compare its fingerprint.

Split views are refused: every tree head of that sender's ledger this case accepted before must be
this package's or proven a prefix of it (the package's earlier seals prove it). A sender whose
ledger was cut back, put back or rewritten after an earlier hand-over is refused, naming both heads.
A package older than one accepted, delivered after it, is accepted when a package accepted before
proves its sender's ledger made it (that seal or transfer, at that head, in those bytes: the
earlier seals of a sealed package, the release events of a field package); the output says which
proved it. Such a package may be signed by a key its sender has since rotated away from. A second package under the transfer ID of one accepted is refused (exit 3).

Any failure ends it with exit 3: nothing is imported and, as a rule, nothing is recorded and no
receipt is written. The exception: a package this case opened, from a sender it accepts, released
to it, whose only problems are items that do not verify (an original or record changed, cut
short or missing) is refused with a receipt for the sender naming each failed item and why
(written as below, the items not imported), and \`transfer-refused\` is recorded; given again, it
is refused again with the same receipt, nothing recorded. Otherwise the
package is kept in the case (.custody/custodians/<sender case ID>/<transfer ID>.zip.age, with
the receipt beside it), the ledger records \`transfer-received\` (the sender, its tree head, the
package's SHA-256, each item with its digests, the receipt's SHA-256), and the receipt is written
beside the package (PACKAGE.receipt and PACKAGE.receipt.sig, or --receipt-out): RFC 8785 JSON
signed by this case's key, cosigning the sender's checkpoint, which openssl checks (README,
"Transfers"). Give both files to the sender. The same package again changes nothing, says so, and
writes its receipt again.

Each exhibit received becomes an exhibit of this case: it gets this case's next ID and keeps the
sender's (\`custody show\` and \`log\` print both, and either finds it), its original read again
out of the verified package into the vault, never in clear on disk. Content this case holds
already is received as the exhibit that holds it. The receipt gives each item's ID here
(receivedAs).

A field package (what a field case made with \`init --field\` exports with no identity: objects and
ledger rows as the laptop stores them) is accepted the same way, with its own checks (every row of
the sender's ledger from the first, every body opened, every object decrypted and held to its
ingest event, as \`custody verify\` does with this case's identity). The digests in the receipt
and in \`transfer-received\` (its sealId null) are the ones this case computed; a key rotation is
followed when the sender's rows prove it, and the split-view check uses the rows' roots. Testimony
it carries stays in the kept package; a seal of the exhibits it brought (\`custody seal\`) carries
the sender's ledger up to its checkpoint.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> to-hq-2024-05-01.zip.age --from petrenko.custodian', description: "Accept a package from the investigator whose identity line is in petrenko.custodian"},
    {command: '<%= config.bin %> <%= command.id %> pkg.zip.age --from a.custodian --from b.custodian --receipt-out receipts/pkg.receipt', description: 'Accept from either of two senders, the receipt written elsewhere'},
    {command: '<%= config.bin %> <%= command.id %> to-hq-2024-05-08.zip.age', description: 'Accept a package from a sender on the trust list (custody transfer trust petrenko.custodian)'},
    {command: '<%= config.bin %> <%= command.id %> pkg.zip.age --from petrenko.custodian --json', description: 'The same, with JSON output'},
    {command: '<%= config.bin %> <%= command.id %> to-hq.zip.age --from field.custodian', description: "Accept a field package (made by a field case with no key): its objects decrypted into this case's vault"},
    {command: '<%= config.bin %> show EX-000002', description: 'Afterwards: the exhibit received from the sender as EX-000002, under this case\'s ID'},
  ]

  static override fieldFlags = {from: 'from', receiptOut: 'receipt-out', identity: 'identity'}

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    from: Flags.string({description: "a sender you accept packages from, beside those on the trust list (`custody transfer trust`): its identity line (`custody key show --public` in its case) or a file holding it; repeatable; required when the list is empty", multiple: true, helpValue: 'IDENTITY'}),
    'receipt-out': Flags.string({description: 'where to write the receipt (its signature goes to FILE.sig); default: PACKAGE.receipt', helpValue: 'FILE'}),
    identity: Flags.string({description: 'an age identity file that opens the package, when this case\'s own identity does not (a field case, or a case in clear); repeatable', helpValue: 'FILE', multiple: true}),
    actor: Flags.string({description: "who receives (default: the case's investigator)", helpValue: 'NAME'}),
  }

  async run(): Promise<AcceptReport> {
    const {args, flags} = await this.parse(TransferAccept)
    const from = (flags.from ?? []).map((line) => readCustodian(line, '--from'))
    const given = (await readIdentityFiles(flags.identity)) ?? []
    using kase = await this.openCaseForWriting(flags.case, flags['passphrase-file'], 'transfer accept', {
      check: (k) => {
        if (from.some((c) => c.case === k.info.caseId)) throw new CustodyError('INVALID_ARGUMENT', said`${ACCEPT.from} names this case itself; give the identity of the custodian who sent the package`)
        if (from.length === 0 && trustedSenders(k).length === 0) {
          throw new CustodyError('USAGE', 'no sender is accepted: give --from IDENTITY (the sender\'s identity line, or a file holding it), or put the sender on the trust list with `custody transfer trust IDENTITY`')
        }
      },
    })
    const identities = [...(kase.vault.keys?.identities ?? []), ...given]
    if (identities.length === 0) {
      throw new CustodyError('INVALID_ARGUMENT', said`this case has no identity of its own that opens a package (a field case, or a case in clear): give ${ACCEPT.identity}, the identity of the recipient the package was encrypted to`)
    }

    const progress = progressLine(process.stderr, Boolean(process.stderr.isTTY) && !this.jsonEnabled())
    const report = await acceptTransfer(kase, args.package, {
      from,
      identities,
      receiptOut: flags['receipt-out'],
      actor: flags.actor,
      onProgress: (done, total) => progress.update(`verifying: ${done}/${total} files`),
    })
    progress.done()
    this.log(renderAccepted(report))
    return report
  }
}
