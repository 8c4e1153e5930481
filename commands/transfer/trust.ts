import {Args, Flags} from '@oclif/core'
import {CustodyError} from '../../src/errors.js'
import {renderTrust} from '../../src/render/transfers.js'
import {readCustodian} from '../../src/transfers/custodian.js'
import {listTrusted, refuseOwnCase, revokeSender, trustSender, type TrustReport} from '../../src/transfers/trust.js'
import {readIdentityFiles} from '../../src/age/key-files.js'
import {CustodyCommand, caseFlag, identityFlag, passphraseFileFlag, prose} from '../_base.js'

export default class TransferTrust extends CustodyCommand {
  static override args = {
    identity: Args.string({description: 'a sender\'s identity line (`custody key show --public` in its case) or a file holding it', required: false}),
  }

  static override description = prose`Keep the standing list of senders whose transfer packages this case accepts (at HQ).

\`custody transfer accept\` takes a package from a sender on this list without --from. The list
is kept in the ledger itself: trusting records \`custodian-trusted\` (the identity line and its
key fingerprint), --revoke records \`custodian-distrusted\`, and \`custody log\` shows both, with
who did it and when. Trusting a line already on the list records nothing and says so; this
case's own identity is refused.

One line per sender's case: a line for a case already on the list, with another key (the
sender rotated its key), replaces the old line, and the event names the key it replaces. A
package signed with the old key is then refused unless --from gives the old line. (Until then,
\`transfer accept\` follows a rotation that a package proves, signed for by the old key, and says
so.) Compare the new fingerprint with the sender by voice or in person before trusting it, as
the first.

--revoke takes the sender's case off the list, whichever of its keys is listed. --list (or no
IDENTITY) shows the list.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> kherson-team.custodian', description: 'Accept packages from the team whose identity line is in kherson-team.custodian'},
    {command: '<%= config.bin %> <%= command.id %> --list', description: 'Show the senders this case accepts packages from'},
    {command: '<%= config.bin %> <%= command.id %> --revoke kherson-team.custodian', description: 'Stop accepting packages from that team (its case, whichever key)'},
    {command: '<%= config.bin %> <%= command.id %> --list --json', description: 'The list, as JSON'},
  ]

  // The core's field `identity` is the IDENTITY argument (a sender's line), not --identity (an age
  // identity file): said in the core's words, as no flag gives it.
  static override fieldFlags = {identity: 'identity argument'}

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    identity: Flags.string({description: `${identityFlag.description}: it opens the trust list of a case whose ledger keeps its event bodies encrypted, which the passphrase otherwise opens (a field case's only an identity opens)`, helpValue: 'FILE', multiple: true}),
    list: Flags.boolean({description: 'show the senders on the list (also when no IDENTITY is given)', default: false, exclusive: ['revoke']}),
    revoke: Flags.boolean({description: "take IDENTITY's case off the list", default: false}),
    actor: Flags.string({description: "who changes the list (default: the case's investigator)", helpValue: 'NAME'}),
  }

  async run(): Promise<TrustReport> {
    const {args, flags} = await this.parse(TransferTrust)
    if (flags.list || args.identity === undefined) {
      if (flags.revoke) throw new CustodyError('USAGE', '--revoke needs IDENTITY: the identity line, or a file holding it, of the sender to take off the list')
      if (args.identity !== undefined) throw new CustodyError('USAGE', '--list takes no IDENTITY: give one to trust it, or --list alone to show the list')
      using kase = this.openCase(flags.case)
      // The list is in the events: where the ledger keeps their bodies encrypted, a key opens them.
      await this.openLedgerToRead(kase, flags.identity, flags['passphrase-file'], 'transfer trust --list')
      const listed = listTrusted(kase)
      this.log(renderTrust(listed))
      return listed
    }

    const custodian = readCustodian(args.identity, 'IDENTITY')
    const identities = await readIdentityFiles(flags.identity)
    using kase = await this.openCaseForWriting(flags.case, flags['passphrase-file'], 'transfer trust', {
      writeOnly: true,
      readsEvents: true,
      ...(identities === undefined ? {} : {identities}),
      check: (k) => refuseOwnCase(k, custodian),
    })
    const changed = flags.revoke ? await revokeSender(kase, custodian, flags.actor) : await trustSender(kase, custodian, flags.actor)
    this.log(renderTrust(changed))
    return changed
  }
}
