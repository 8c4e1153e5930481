import {Args, Flags} from '@oclif/core'
import {checkInit, initCase, type CaseInfo} from '../src/case/case.js'
import {renderInit} from '../src/render/reports.js'
import {CustodyCommand, passphraseFileFlag, prose} from './_base.js'

export default class Init extends CustodyCommand {
  static override args = {
    dir: Args.string({description: 'folder for the case; created if missing', default: '.'}),
  }

  static override description = prose`Make a new case: a vault for evidence and a custody ledger.

Creates DIR/.custody/ holding the ledger (SQLite, append-only, hash-chained) and the vault where
originals are kept under their SHA-256. The first ledger event records the case's title,
investigator, organisation and exhibit prefix. An existing case is refused and left unchanged.

Init also makes the investigator's Ed25519 signing key, which signs a checkpoint of the ledger
after every command that adds to it. The private key is kept in .custody/keys/, encrypted under
the case passphrase (scrypt, then AES-256-GCM). The passphrase comes from --passphrase-file, else
$CUSTODY_PASSPHRASE, else a prompt, which asks for it twice (and again, three times in all, for
one too short or typed differently); it must be at least 8 characters. Keep it safe: without it
nothing more can be added to the case (what is in it can still be verified and sealed copies read).`

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
  ]

  static override flags = {
    title: Flags.string({description: 'title of the case', required: true}),
    investigator: Flags.string({description: 'name of the investigator responsible for the case', required: true}),
    organisation: Flags.string({description: 'organisation conducting the investigation'}),
    prefix: Flags.string({description: 'exhibit ID prefix: capital letters and digits', default: 'EX'}),
    'passphrase-file': passphraseFileFlag,
  }

  async run(): Promise<{root: string; case: CaseInfo; signingKey: string}> {
    const {args, flags} = await this.parse(Init)
    const given = {dir: args.dir, title: flags.title, investigator: flags.investigator, organisation: flags.organisation, prefix: flags.prefix}
    // A folder that cannot hold the case, a prefix it would refuse: said before the passphrase is asked for.
    checkInit(given)
    const result = await initCase({...given, passphrase: await this.newPassphrase(flags['passphrase-file'], 'init (to protect the new signing key)')})
    this.log(renderInit(result))
    this.notices.push(...result.notices)
    return {root: result.root, case: result.info, signingKey: result.signingKey}
  }
}
