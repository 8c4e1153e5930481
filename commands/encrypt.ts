import {Flags} from '@oclif/core'
import {checkResumedRecipients, conversionState, encryptCase, encryptedAlready, type EncryptProgress, type EncryptResult} from '../src/case/encrypt.js'
import {checkFieldRecipients, readGivenRecipients} from '../src/keys/recipients.js'
import {progressLine} from '../src/render/progress.js'
import {renderCaseKeys} from '../src/render/reports.js'
import {plural} from '../src/render/text.js'
import {CustodyCommand, caseFlag, passphraseFileFlag, prose} from './_base.js'

/** What the progress line says each step does to the objects in clear. */
const STEP_WORDS: Record<EncryptProgress['step'], string> = {check: 'checked', encrypt: 'encrypted', remove: 'removed in clear'}

export default class Encrypt extends CustodyCommand {
  static override args = {}

  static override description = prose`Encrypt a case whose vault is in clear, in place.

For a case made with \`init --plaintext\`, or before custody encrypted cases. It gets the case keys
\`custody init\` makes (a case identity under the passphrase, an address key; --recipient and
--recipients-file add HQ's recipients, --field makes a field case, as for init), and every object
of its vault (originals, metadata records, statements, sealed identities) becomes an age file at a
keyed address, encrypted as it is read, never copied in clear. The ledger records each object's
new stored form (objects-encrypted events), then the case keys (case-encrypted, and recipient-added
for each HQ recipient); only then are the objects in clear removed, each once its age file is
checked. The passphrase is the case's: it opens the signing key that signs the new checkpoints.

Crash-safe: .custody/encrypting.json names the step reached (it holds no secret). A run killed at
any point leaves a case that \`custody verify\` passes, and that refuses to be added to until
\`custody encrypt\` is run again, which completes the conversion. A case already encrypted is said
so (exit 0), and nothing is done. An object in clear whose bytes are not its SHA-256 is refused
(exit 3, naming it) before anything is written.

On a terminal, a progress line on stderr counts the vault objects checked, encrypted, then removed
in clear (never with --json, nor when stderr is not a terminal). Memory stays flat however large the
case: what the ledger records as converted is looked up in a temporary database ($TMPDIR), not held.

Then the ledger: it is rebuilt beside itself as an encrypted one and renamed over it. Each event
is kept as it was written (its sequence number, hash and Merkle leaf: a ledger is never
rewritten) and sealed, so that the checkpoints, and the tree heads that earlier seals stated, stay
true; a ledger-converted event records the conversion. A case converted before this step existed
(its ledger in clear), or made encrypted by a custody that kept event bodies in clear, has its
ledger carried so by running \`custody encrypt\` on it. Each kept hash stays on disk (README,
"The ledger of a converted case": what it can confirm), and the old ledger's pages stay in the
disk's freed blocks until overwritten: full-disk encryption covers them.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --recipients-file hq-recipients.txt', description: "Encrypt the case in the working directory; HQ's identities open it too"},
    {command: '<%= config.bin %> <%= command.id %> --case old-case --passphrase-file ~/.custody-pass', description: 'Encrypt a case without a prompt, for a script'},
    {
      command: '<%= config.bin %> <%= command.id %> --field --recipient age1kxqjker7a6l3tvp6zd9jckjrhr5n524e6v8gvqejf0454y2t4c4qkh3e3w',
      description: 'Make it a field case: only the HQ recipient decrypts its content',
    },
    {command: '<%= config.bin %> <%= command.id %>', description: 'Complete a conversion that was interrupted, or carry into a sealed ledger the one an earlier custody left in clear'},
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    recipient: Flags.string({description: "an HQ age recipient (age1…, age-keygen's public key) whose identity opens the whole case; repeatable", multiple: true, helpValue: 'AGE1…'}),
    'recipients-file': Flags.string({description: 'an age recipients file (one age1… a line; a comment above a line labels it): each opens the whole case', helpValue: 'FILE'}),
    field: Flags.boolean({description: 'a field case: no key on this laptop decrypts its content, only the recipients (needs one)', default: false}),
  }

  async run(): Promise<EncryptResult> {
    const {flags} = await this.parse(Encrypt)
    const {recipients, labels} = await readGivenRecipients({recipient: flags.recipient, recipientsFile: flags['recipients-file']})
    checkFieldRecipients(flags.field, recipients)
    // What can be said without the passphrase is said first: a case encrypted already, other recipients than a conversion begun.
    const peek = this.openCase(flags.case)
    const state = conversionState(peek)
    checkResumedRecipients(peek, state, {recipients, field: flags.field})
    if (state.step === 'done') {
      const result = encryptedAlready(peek)
      this.log(['This case is encrypted already; nothing was done.', ...renderCaseKeys(result)].join('\n'))
      return result
    }

    peek.close()
    const {kase: opened, passphrase} = await this.unlockCase(flags.case, flags['passphrase-file'], 'encrypt', {converting: true})
    using kase = opened
    const progress = progressLine(process.stderr, Boolean(process.stderr.isTTY) && !this.jsonEnabled())
    const onProgress = ({step, done, total}: EncryptProgress): void => progress.update(`encrypting: ${STEP_WORDS[step]} ${done}/${total} vault objects`)
    let result: EncryptResult
    try {
      result = await encryptCase(kase, {passphrase, recipients, labels, field: flags.field, onProgress})
    } finally {
      progress.done()
    }

    this.log(
      [
        `Encrypted the case${result.resumed ? ' (completing a conversion begun before)' : ''}: ${plural(result.objects, 'vault object')} now age files at keyed addresses, none left in clear.`,
        ...(result.carried === 0
          ? []
          : [`The ledger's ${plural(result.carried, 'event')} sealed, each keeping the hash it was written with: the checkpoints and the tree heads stated before (in earlier seals) stay true.`]),
        ...renderCaseKeys(result),
      ].join('\n'),
    )
    return result
  }
}
