import {Args, Flags} from '@oclif/core'
import {readIdentityFiles} from '../../src/age/key-files.js'
import {addRecipients, type AddRecipientResult} from '../../src/keys/add-recipient.js'
import {caseKeyMode} from '../../src/keys/case-keys.js'
import {readGivenRecipients} from '../../src/keys/recipients.js'
import {CustodyError} from '../../src/errors.js'
import {safeText} from '../../src/render/text.js'
import {CustodyCommand, caseFlag, identityFlag, passphraseFileFlag, prose} from '../_base.js'

export default class KeyAddRecipient extends CustodyCommand {
  static override args = {
    recipient: Args.string({description: "the recipient to add: age1…, as age-keygen prints the public key (or give --recipients-file)", required: false}),
  }

  static override description = prose`Add an age recipient (HQ's) whose identity opens the whole case.

The case's address key is encrypted again to every recipient (.custody/keys/address-key.recipients.age),
the case identity to every HQ recipient (.custody/keys/case-identity.recipients.age: through it the
new recipient opens what the vault stored before it was added, and custody uses it when the new
recipient's --identity is given; no stored object is rewritten), and .custody/recipients.txt is
rewritten, each by a temporary file and a rename; then a recipient-added event records it (\`custody log\` shows it, \`custody key show\` lists it).
A recipient the case has already is said so, and nothing is recorded.

A field case has no case identity: there, a recipient added later opens what is stored from then
on, and what was stored before opens with the identity of a recipient of its time.

The address key is opened with the case passphrase, or with --identity FILE, the identity file of
one of the case's recipients. The passphrase is needed either way: it opens the signing key that
signs the new checkpoint.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> age1kxqjker7a6l3tvp6zd9jckjrhr5n524e6v8gvqejf0454y2t4c4qkh3e3w --label "HQ legal team"', description: 'Add HQ\'s recipient'},
    {command: '<%= config.bin %> <%= command.id %> --recipients-file hq-recipients.txt', description: 'Add every recipient of an age recipients file'},
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    identity: identityFlag,
    'recipients-file': Flags.string({description: "an age recipients file (one age1… a line; a comment above a line labels it)", helpValue: 'FILE'}),
    label: Flags.string({description: 'whose recipient it is (recorded in the ledger and recipients.txt)', helpValue: 'TEXT'}),
  }

  async run(): Promise<AddRecipientResult> {
    const {args, flags} = await this.parse(KeyAddRecipient)
    if (args.recipient === undefined && flags['recipients-file'] === undefined) {
      throw new CustodyError('MISSING_ARGUMENT', 'give the recipient to add (age1…), or --recipients-file FILE', {subject: 'RECIPIENT'})
    }

    const given = await readGivenRecipients({recipient: args.recipient === undefined ? [] : [args.recipient], recipientsFile: flags['recipients-file'], label: flags.label})
    const identities = await readIdentityFiles(flags.identity)
    const {kase: opened, passphrase} = await this.unlockCase(flags.case, flags['passphrase-file'], 'key add-recipient')
    using kase = opened
    const field = caseKeyMode(kase) === 'field'
    const result = await addRecipients(kase, {unlock: identities === undefined ? {passphrase} : {identities}, passphrase, recipients: given.recipients, labels: given.labels})
    const lines = [
      ...result.added.map(
        (r) =>
          `Added the recipient ${r.recipient} (${safeText(r.label)}), ledger event #${r.seq}: ${field ? 'its identity opens what the case stores from now on (a field case: what it stored before opens with the recipients of its time)' : 'its identity opens the case'}`,
      ),
      ...result.already.map((r) => `${r} is a recipient of this case already; nothing was recorded`),
    ]
    this.log(lines.join('\n'))
    return result
  }
}
