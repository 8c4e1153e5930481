import {Args, Flags} from '@oclif/core'
import {checkInit, initCase, type CaseInfo, type InitKeys} from '../src/case/case.js'
import {checkFieldRecipients, readGivenRecipients} from '../src/keys/recipients.js'
import {renderInit} from '../src/render/reports.js'
import {CustodyError} from '../src/errors.js'
import {CustodyCommand, passphraseFileFlag, prose} from './_base.js'

export default class Init extends CustodyCommand {
  static override args = {
    dir: Args.string({description: 'folder for the case; created if missing', default: '.'}),
  }

  static override description = prose`Make a new case: a vault for evidence and a custody ledger.

Creates DIR/.custody/ holding the ledger (SQLite, append-only, hash-chained) and the vault where
originals, metadata records and statements are kept, encrypted: each an age file encrypted to
the case identity and every recipient, named by a keyed address (no file's SHA-256 is a name on
disk). --plaintext keeps them in clear under their SHA-256 instead, as custody did before: only
when the disk itself is protected, and said so (\`custody encrypt\` converts such a case later).
The first ledger event records the case's title, investigator, organisation and exhibit prefix.
An existing case is refused and left unchanged.

Init also makes the investigator's Ed25519 signing key, which signs a checkpoint of the ledger
after every command that adds to it. The private key is kept in .custody/keys/, encrypted under
the case passphrase (scrypt, then AES-256-GCM). The passphrase comes from --passphrase-file, else
$CUSTODY_PASSPHRASE, else a prompt, which asks for it twice (and again, three times in all, for
one too short or typed differently); it must be at least 8 characters. Keep it safe: without it
nothing more can be added to the case (what is in it can still be verified and sealed copies read).

Every case gets case keys (.custody/keys/, docs/design/encryption-at-rest.md): a case identity (an
age X25519 key, kept as an age file under the passphrase: \`age -d case-identity.age\` opens it
with the passphrase as typed) and an address key. --recipient age1… (repeatable) and
--recipients-file FILE (age's format; a comment just above a line labels it) add HQ's recipients:
each of their identities opens the whole case, without the passphrase. They are recorded in the
ledger and listed in .custody/recipients.txt (\`custody key show\`).

--field makes a field case: no case identity, so that no key on the laptop decrypts what it
collects; only the recipients' identities do. It needs at least one recipient: HQ runs age-keygen
and gives the field team only the public age1… line.

--role hq makes HQ's case, which receives field teams' transfer packages (\`custody transfer
accept\`): a case like any other, with its own signing key and case identity; only its defaults
and wording change. Its exhibit IDs are HQ-000001, ... unless --prefix says otherwise, and it
cannot be a field case (it opens what is sent to it with its own case identity). Its next step is
to give each field team its identity line (\`custody key show --public\`).

Not yet encrypted (issue 19 goes on): the ledger itself (what each event says, in clear SQLite).
The scratch files a command writes while it runs are sealed under a key of that run only.`

  static override examples = [
    {
      command: '<%= config.bin %> <%= command.id %> crimea-2024 --title "Crimea detentions 2024" --investigator "A. Petrenko" --organisation IPHR',
      description: 'Make a case in a new folder',
    },
    {
      command: '<%= config.bin %> <%= command.id %> --title "Protest, 12 May" --investigator "M. Sokolova" --prefix PR12',
      description: 'Make a case in the working directory with exhibit IDs PR12-000001, ...',
    },
    {
      command: '<%= config.bin %> <%= command.id %> case-17 --title "Trial of K." --investigator "A. Petrenko" --passphrase-file ~/.custody-pass',
      description: 'Make a case without a prompt, for a script',
    },
    {
      command: '<%= config.bin %> <%= command.id %> case-17 --title "Trial of K." --investigator "A. Petrenko" --recipients-file hq-recipients.txt',
      description: "Make a case that HQ's identities open too",
    },
    {
      command:
        '<%= config.bin %> <%= command.id %> checkpoint-run --title "Border interviews" --investigator "A. Petrenko" --field --recipient age1kxqjker7a6l3tvp6zd9jckjrhr5n524e6v8gvqejf0454y2t4c4qkh3e3w',
      description: 'Make a field case: only the HQ recipient decrypts what it collects',
    },
    {
      command: '<%= config.bin %> <%= command.id %> hq-2024 --title "Crimea 2024 (HQ)" --investigator "O. Kovalenko" --organisation IPHR --role hq',
      description: "Make HQ's case, which accepts the field teams' transfer packages",
    },
    {
      command: '<%= config.bin %> <%= command.id %> archive-copy --title "Published videos" --investigator "A. Petrenko" --plaintext',
      description: 'Make a case whose vault is in clear (material already public, on an encrypted disk)',
    },
  ]

  static override flags = {
    title: Flags.string({description: 'title of the case', required: true}),
    investigator: Flags.string({description: 'name of the investigator responsible for the case', required: true}),
    organisation: Flags.string({description: 'organisation conducting the investigation'}),
    prefix: Flags.string({description: 'exhibit ID prefix: capital letters and digits (default: EX, or HQ with --role hq)'}),
    role: Flags.string({description: "what the case is for: an investigator's (collects evidence), or HQ's (receives field teams' transfer packages); hq changes only defaults and wording", options: ['investigator', 'hq'], default: 'investigator'}),
    'passphrase-file': passphraseFileFlag,
    recipient: Flags.string({description: "an HQ age recipient (age1…, age-keygen's public key) whose identity opens the whole case; repeatable", multiple: true, helpValue: 'AGE1…'}),
    'recipients-file': Flags.string({description: "an age recipients file (one age1… a line; a comment above a line labels it): each opens the whole case", helpValue: 'FILE'}),
    field: Flags.boolean({description: 'a field case: no key on this laptop decrypts its content, only the recipients (needs one)', default: false}),
    plaintext: Flags.boolean({description: 'keep the vault in clear, without case keys (not advised: a seized disk gives up every original)', default: false, exclusive: ['recipient', 'recipients-file', 'field']}),
  }

  async run(): Promise<{root: string; case: CaseInfo; signingKey: string; keys: InitKeys}> {
    const {args, flags} = await this.parse(Init)
    const hq = flags.role === 'hq'
    // HQ opens what field teams send it with its own case identity: a field case has none.
    if (hq && flags.field) throw new CustodyError('USAGE', '--field and --role hq cannot be given together: HQ opens the packages field teams send it with its own case identity, which a field case does not have', {subject: '--field', field: 'field'})
    const given = {dir: args.dir, title: flags.title, investigator: flags.investigator, organisation: flags.organisation, prefix: flags.prefix ?? (hq ? 'HQ' : undefined)}
    // A folder that cannot hold the case, a prefix or a recipient it would refuse: said before the passphrase is asked for.
    checkInit(given)
    const {recipients, labels} = await readGivenRecipients({recipient: flags.recipient, recipientsFile: flags['recipients-file']})
    checkFieldRecipients(flags.field, recipients)
    const passphrase = await this.newPassphrase(flags['passphrase-file'], 'init (to protect the new signing key)')
    const result = await initCase({...given, passphrase, recipients, labels, field: flags.field, plaintext: flags.plaintext})
    this.log(renderInit(result, hq ? 'hq' : 'investigator'))
    this.notices.push(...result.notices)
    return {root: result.root, case: result.info, signingKey: result.signingKey, keys: result.keys}
  }
}
