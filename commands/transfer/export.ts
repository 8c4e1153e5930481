import {Args, Flags} from '@oclif/core'
import {readIdentityFiles} from '../../src/age/key-files.js'
import {parseRecipient} from '../../src/age/x25519.js'
import {progressLine} from '../../src/render/progress.js'
import {renderFieldFinished, renderFieldNothingNew, renderFieldTransfer, renderNothingNew, renderTransfer} from '../../src/render/transfers.js'
import type {Case} from '../../src/case/case.js'
import {exportFieldPackage, fieldPackageOut, makesFieldPackage, type FieldFinished, type FieldNothingNew, type FieldTransferReport} from '../../src/transfers/field-export.js'
import {checkSeal, sealDestination} from '../../src/seal/seal.js'
import {readCustodian} from '../../src/transfers/custodian.js'
import {checkReceiver, exportTransfer, packageOut, refuseFieldReceiver, type NothingNew, type TransferReport} from '../../src/transfers/export.js'
import {CustodyCommand, caseFlag, identityFlag, passphraseFileFlag, prose} from '../_base.js'

/** What --json gives: the transfer (the seal's report reduced to what names it), or nothing new. */
type ExportJson = (Omit<TransferReport, 'seal'> & {seal: {archive: string; sha256: string; size: number; bag: string; seq: number}}) | NothingNew | FieldTransferReport | FieldNothingNew | FieldFinished

export default class TransferExport extends CustodyCommand {
  static override args = {
    exhibit: Args.string({description: 'exhibits to send (EX-000007, or just 7, or a witness code); by default every exhibit never sent to that receiver'}),
  }

  static override description = prose`Make a transfer package of exhibits for another custodian (HQ): one file, safe to carry.

The package is a sealed archive, as \`custody seal\` makes it, encrypted with age to the receiver's
age recipient alone (from its identity line), so that a lost USB stick gives up nothing. Inside,
beside what every seal holds (the originals, their metadata records, their custody events with
inclusion proofs, the signed checkpoint, the README and verify-bag.py), it carries
data/custody/transfer.json, a transfer statement signed by this case's key
(transfer.json.sig): who released it, to whom, when, why, the seal it is, and each exhibit with
its SHA-256, SHA-512 and size. The seal's purpose is "transfer to <receiver's name>", and --purpose
is the statement's purpose and the seal's note.

--to takes the receiver's identity: the one line \`custody key show --public\` prints in its case
(custody-custodian1 …), or a file holding it. Compare its key fingerprint with the receiver by
voice or in person (--json and \`custody status\` print it). A field case's line has no age
recipient, and is refused: nothing can be encrypted to it.

Which exhibits: those named; with none named, every exhibit never released to that receiver, so
that running it again after new ingests sends only the new ones, and with nothing new it says so
and records nothing (exit 0). --again sends every exhibit the receiver has not acknowledged,
released before or not. A package carries at most 1,000 exhibits: with more waiting, it takes the
first 1,000 and says how many remain (run it again).

The ledger records the seal (\`seal\`, \`sealed-exhibits\`) and, in the same append,
\`transfer-released\`: the receiver's identity, the transfer ID, the seal ID, the package's SHA-256
(of the .age file) and the items. \`custody status\` lists, per receiver, what was released and not
acknowledged. The receiver checks the package with \`custody verify PACKAGE.zip.age --identity
KEY\`, or decrypts it (\`age -d -i KEY PACKAGE.zip.age > PACKAGE.zip\`) and checks the ZIP as any
sealed archive, transfer.json.sig with openssl (README.txt inside says how). HQ takes it in with \`custody transfer
accept\`, which writes a signed receipt that \`custody transfer receipt\` records here.

As for \`custody seal\`: the package is written under a temporary name, recorded, then put at
--out; a package recorded but never put in place is finished with \`custody seal --finish
SEAL-ID\` (custody status names it). A transfer carries no testimony yet: a witness consents to
uses (court, advocacy...), and a hand-over is none of them. By default testimony exhibits are
not chosen (the report counts them); named, they are refused.

In a field case (init --field), with the passphrase and no --identity, it makes a field package
instead: no key on a field laptop opens the evidence, so each exhibit's objects go as the vault
stores them (age files to the case's recipients) with every row of the ledger as stored, the
latest signed checkpoint and a signed transfer.json (custody-field-transfer/v1), the whole
encrypted to the receiver: nothing is decrypted. The receiver's age recipient must be one of the
case's (the field case made with --recipient set to HQ's case recipient), recorded before the
exhibits sent; else it is refused, nothing written. By default it carries every exhibit no field
package carried yet, testimony included (its objects stay encrypted to the same recipients);
--again carries them all. The ledger records field-transfer-released. HQ checks the package with
\`custody verify PACKAGE --identity KEY\` (every row and object opened) or by hand (its
README.txt); \`custody transfer accept\` does not take a field package yet. With --identity (an
identity of one of the case's recipients), a field case makes a seal as above instead.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --to hq.custodian --out to-hq-2024-05-01.zip.age --purpose "weekly hand-over"', description: "Send HQ every exhibit not sent to it before (hq.custodian holds HQ's `key show --public` line)"},
    {command: '<%= config.bin %> <%= command.id %> EX-000003 EX-000007 --to "custody-custodian1 eyJhZ2Ui…" --out two.zip.age', description: 'Send two exhibits, the identity given as the line itself'},
    {command: '<%= config.bin %> <%= command.id %> --to hq.custodian --out again.zip.age --again', description: 'Send again everything HQ has not acknowledged (a package that was lost)'},
    {command: '<%= config.bin %> <%= command.id %> --to hq.custodian --out to-hq.zip.age --json', description: 'The same, with JSON output'},
    {command: '<%= config.bin %> <%= command.id %> --to hq.custodian --out to-hq.zip.age --case field-case', description: 'In a field case, with no --identity: a field package of the objects and ledger rows as stored'},
  ]

  static override fieldFlags = {purpose: 'seal-purpose', note: 'purpose'}

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    identity: Flags.string({description: `${identityFlag.description}: in a field case it opens the vault, for a seal; without it a field case sends a field package of what it stores, nothing opened`, helpValue: 'FILE', multiple: true}),
    to: Flags.string({description: "the receiver's custodian identity: the line `custody key show --public` prints in its case, or a file holding it", required: true, helpValue: 'IDENTITY'}),
    out: Flags.string({char: 'o', description: 'the package to write (mode 600): a .zip.age file (given a .zip, .age is added)', required: true, helpValue: 'FILE.zip.age'}),
    purpose: Flags.string({description: "why the exhibits are sent, in the transfer statement (and the seal's note)", helpValue: 'TEXT'}),
    again: Flags.boolean({description: 'with no exhibits named: send every exhibit the receiver has not acknowledged, also those sent before', default: false}),
    force: Flags.boolean({description: 'replace an existing --out', default: false}),
    'sealed-at': Flags.string({description: 'the release time, ISO 8601 with a zone (default: now)', helpValue: 'ISO-8601'}),
    actor: Flags.string({description: "who releases (default: the case's investigator)", helpValue: 'NAME'}),
  }

  static override strict = false

  async run(): Promise<ExportJson> {
    const {argv, flags} = await this.parse(TransferExport)
    const to = readCustodian(flags.to, '--to')
    // Said before the case is opened: what cannot be sent to, and an --out that cannot be written.
    refuseFieldReceiver(to)
    const given = {exhibits: argv as string[], out: packageOut(flags.out), sealedAt: flags['sealed-at'], force: flags.force, encryptTo: [parseRecipient(to.age!, "the receiver's age recipient")]}
    sealDestination(given)
    // Read before the case and the passphrase: a key file missing or garbled is said first. Once
    // the passphrase has opened the signing key, they open the vault (one that is no recipient's
    // is refused, in any encrypted case) and the check runs again if it needed them.
    const identities = await readIdentityFiles(flags.identity)
    // A field case with no identity given sends a field package: its objects and rows as stored.
    const field = (k: Case): boolean => identities === undefined && makesFieldPackage(k)
    using kase = await this.openCaseForWriting(flags.case, flags['passphrase-file'], 'transfer export', {
      needsContent: identities !== undefined,
      check: (k) => {
        checkReceiver(k, to)
        if (field(k)) fieldPackageOut(flags.out, flags.force, to)
        else checkSeal(k, given)
      },
      ...(identities === undefined ? {} : {identities}),
    })
    const progress = progressLine(process.stderr, Boolean(process.stderr.isTTY) && !this.jsonEnabled())
    const interrupt = this.interruptible('Stopping: the partial package will be removed (Ctrl-C again to stop now)...')
    try {
      if (field(kase)) return await this.exportField(kase, argv as string[], flags, interrupt, progress)
      const report = await exportTransfer(kase, {
        to,
        exhibits: argv as string[],
        again: flags.again,
        out: flags.out,
        purpose: flags.purpose,
        force: flags.force,
        sealedAt: flags['sealed-at'],
        actor: flags.actor,
        signal: interrupt.signal,
        hold: () => interrupt.hold('Finishing: the transfer is being recorded, and its package will be put at --out...'),
        onProgress: (done, total) => progress.update(`packing: ${done}/${total} exhibits`),
      })
      progress.done()
      if ('nothingNew' in report) {
        this.log(renderNothingNew(report))
        return report
      }

      this.log(renderTransfer(report))
      const {seal, ...rest} = report
      return {...rest, seal: {archive: seal.archive, sha256: seal.sha256, size: seal.size, bag: seal.bag, seq: seal.seq}}
    } finally {
      interrupt.release()
    }
  }

  /** A field case with no identity: a field package of the objects and rows as stored (nothing opened). */
  private async exportField(
    kase: Case,
    exhibits: string[],
    flags: {to: string; out: string; purpose?: string | undefined; force: boolean; again: boolean; 'sealed-at'?: string | undefined; actor?: string | undefined},
    interrupt: ReturnType<CustodyCommand['interruptible']>,
    progress: ReturnType<typeof progressLine>,
  ): Promise<ExportJson> {
    const report = await exportFieldPackage(kase, {
      to: readCustodian(flags.to, '--to'),
      exhibits,
      again: flags.again,
      out: flags.out,
      purpose: flags.purpose,
      force: flags.force,
      releasedAt: flags['sealed-at'],
      actor: flags.actor,
      signal: interrupt.signal,
      hold: () => interrupt.hold('Finishing: the transfer is recorded, and its package is being put at --out...'),
      onProgress: (done, total) => progress.update(`packing: ${done}/${total} exhibits, as stored`),
    })
    progress.done()
    this.log('nothingNew' in report ? renderFieldNothingNew(report) : 'finished' in report ? renderFieldFinished(report) : renderFieldTransfer(report))
    return report
  }
}
