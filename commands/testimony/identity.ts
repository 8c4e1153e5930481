import {Args, Flags} from '@oclif/core'
import type {Case} from '../../src/case/case.js'
import {renderIdentity} from '../../src/render/testimony.js'
import {checkIdentityView, disclosureDestination, viewIdentity, type IdentityViewReport} from '../../src/testimony/view-identity.js'
import {readIdentityFiles} from '../../src/age/key-files.js'
import {CustodyCommand, caseFlag, identityFlag, passphraseFileFlag, prose} from '../_base.js'

export default class TestimonyIdentity extends CustodyCommand {
  static override args = {
    testimony: Args.string({description: 'the witness code (W-014) or the testimony exhibit ID', required: true}),
  }

  static override description = prose`Show a witness's protected identity: name, contact, notes, vulnerability, referral.

It needs the case passphrase, and every look is recorded first as a custody event (who looked,
when, and --reason). The decrypted record is checked against the commitment recorded at the
interview, which sealed archives carry.

--identity FILE (an age identity file of one of the case's recipients, HQ's) opens the record
instead of the passphrase: the witness identity key is kept encrypted to every recipient. A field
case needs it (no key on the laptop opens the record). The passphrase is still needed, to sign
the event that records the look.

For a lawful disclosure, --disclose FILE writes the exact bytes committed to; anyone can then
check them against an archive with standard tools:
    sha256sum FILE     (equals identityCommitment in the archive's data/custody/seal.json)`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> W-014 --reason "arrange protective measures"', description: 'Look up the identity'},
    {command: '<%= config.bin %> <%= command.id %> W-014 --reason "order of the Pre-Trial Chamber" --disclose w014-identity.json', description: 'Write the record for a lawful disclosure'},
    {command: '<%= config.bin %> <%= command.id %> W-014 --reason "protective measures" --identity hq.key', description: "At HQ, or in a field case: opened with HQ's age identity"},
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    identity: identityFlag,
    reason: Flags.string({description: "why the identity is looked at (recorded in clear: refused if it holds the witness's name or contact)", helpValue: 'TEXT'}),
    disclose: Flags.string({description: 'also write the committed identity record to this new file', helpValue: 'FILE'}),
    actor: Flags.string({description: "who looks (default: the case's investigator)", helpValue: 'NAME'}),
  }

  async run(): Promise<IdentityViewReport> {
    const {args, flags} = await this.parse(TestimonyIdentity)
    // A --disclose file that cannot be written or is there: refused before the case is opened; a
    // testimony without an identity: before the passphrase is asked for.
    disclosureDestination({disclose: flags.disclose})
    const check = (k: Case): unknown => checkIdentityView(k, args.testimony, {disclose: flags.disclose})
    const identities = await readIdentityFiles(flags.identity)
    // HQ's identity, given, opens the case before the check runs again: in a field case the
    // passphrase opens no testimony.
    const {kase: opened, passphrase} = await this.unlockCase(flags.case, flags['passphrase-file'], 'testimony identity', {check, ...(identities === undefined ? {} : {identities})})
    using kase = opened
    const report = await viewIdentity(kase, args.testimony, {passphrase, identities, reason: flags.reason, actor: flags.actor, disclose: flags.disclose})
    this.log(renderIdentity(report))
    return report
  }
}
