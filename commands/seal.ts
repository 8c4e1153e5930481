import {Args, Flags} from '@oclif/core'
import {caseProgress} from '../src/case/next-steps.js'
import {CustodyError} from '../src/errors.js'
import {renderFinishedSeal, renderSeal} from '../src/render/reports.js'
import {nextAfterSeal} from '../src/render/next-steps.js'
import {progressLine} from '../src/render/progress.js'
import {finishSeal, type FinishReport} from '../src/seal/leftovers.js'
import {checkSeal, sealArchive, sealDestination} from '../src/seal/seal.js'
import {transportRecipients} from '../src/seal/transport.js'
import {readIdentityFiles} from '../src/age/key-files.js'
import {CustodyCommand, caseFlag, fieldIdentityFlag, passphraseFileFlag, prose} from './_base.js'

export default class Seal extends CustodyCommand {
  static override args = {
    exhibit: Args.string({description: 'exhibits to seal (EX-000007, or just 7), or testimonies by witness code (W-014); all exhibits when none are given'}),
  }

  static override description = prose`Seal exhibits into one ZIP archive for a court: a BagIt 1.0 bag.

The ZIP holds one folder, a BagIt bag (RFC 8493): each exhibit's original bytes and its metadata
record under data/exhibits/, the custody events of those exhibits with a Merkle inclusion proof
of each against the ledger's latest signed checkpoint, that checkpoint with the investigator's
signature and public key, the newest RFC 3161 timestamp tokens, a seal statement signed by the
investigator, SHA-256 and SHA-512 manifests, a README.txt telling a court's expert how to check
it all with unzip, sha256sum and openssl alone (on Linux, macOS or Windows, naming this archive),
and verify-bag.py, a checker of the events and proofs in Python 3 alone. Exhibits this case
received from other custodians (\`transfer accept\`) bring, under data/custodians/, each sender's
own signed record of them and this case's receipt, read from the packages this case keeps (so the
passphrase, or --identity, opens those).

Each original is hashed again as it goes in: a vault file that no longer matches the ledger stops
the seal (exit 3). Memory stays flat however many exhibits are sealed. Sealing needs the case
passphrase (to sign) and is itself recorded in the ledger: a \`seal\` event (the archive's name,
SHA-256 and size, purpose, note, how many exhibits), then \`sealed-exhibits\` events listing the
exhibits, 1,000 an event, in the archive's order. The same case, exhibits, --sealed-at and --out
file name give a byte-identical archive.

The archive is written beside --out under a temporary name (.NAME.zip.PID-XXXXXXXX.partial, with
scratch files of that name and a suffix), recorded in the ledger once complete, and only then put
at --out: no archive is ever there without its seal event. An existing --out is never replaced
without --force. The archive and every scratch file are readable by you only (mode 600): the
archive is evidence, and may name witnesses; \`chmod 644 FILE.zip\` lets other accounts on this
computer read it.

Ctrl-C before the seal is recorded removes the temporary files and records nothing (exit 1); once
it is being recorded, the seal is finished. A seal that is killed leaves a note in
.custody/seals/: the next seal, or \`custody status\`, removes what it left. If it was killed
after its event was recorded but before its archive was put at --out, status and verify report
it, and \`custody seal --finish SEAL-ID\` puts it in place, once its SHA-256 is the one the
ledger recorded (no passphrase needed, except where the ledger keeps its event bodies
encrypted: the passphrase, or --identity in a field case, opens the seal's event).

With --encrypt-to age1… (repeatable) or --recipients-file FILE (age's format: one age1… line
each, # comments), the archive is delivered encrypted for transport, as --out with .age added
(--out court.zip gives court.zip.age), an age v1 file that each recipient alone opens: \`age -d
-i KEY.txt court.zip.age > court.zip\` gives the ZIP, byte for byte the one a seal without them
would write, and \`custody verify court.zip.age --identity KEY.txt\` checks it without writing
it out. The ZIP is encrypted as it is written: no plaintext ZIP is ever on disk, not even under
its temporary name (the seal's scratch files, the manifests' lines and the statement, are in
clear beside --out while it runs, and removed however it ends). The ledger records the ZIP (its
name, SHA-256 and size), as for a seal in clear; the report gives the .age file's size and
SHA-256 too. The recipients are checked before the passphrase is asked for. HQ makes the key with
\`age-keygen -o hq-key.txt\` and gives the field team only the age1… line it prints.

The text report ends with what to do next (Next:): how to verify the archive as its recipient
will, and to hand it over with the fingerprint of the key that signed it, sent another way.
--json gives none.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --out crimea-2024-seal.zip --purpose court --note "ICC Article 15 communication"', description: 'Seal every exhibit for a court, with the testimony of every witness who consented to use in court'},
    {command: '<%= config.bin %> <%= command.id %> --out photos-only.zip --note "photos for the forensic lab" --allow-left-out', description: 'Seal without testimony, on purpose (with no consent scope as --purpose, testimony is left out)'},
    {command: '<%= config.bin %> <%= command.id %> EX-000003 EX-000007 --out for-lawyer.zip --note "requested by counsel"', description: 'Seal two exhibits'},
    {command: '<%= config.bin %> <%= command.id %> --out seal.zip --sealed-at 2024-05-01T09:00:00Z --json', description: 'Seal at a fixed time, with JSON output'},
    {
      command: '<%= config.bin %> <%= command.id %> --out court.zip --purpose court --encrypt-to age1kxqjker7a6l3tvp6zd9jckjrhr5n524e6v8gvqejf0454y2t4c4qkh3e3w',
      description: "Seal for a court, delivered as court.zip.age, encrypted to HQ's age key (only the age1… line of `age-keygen`); no plaintext ZIP is written",
    },
    {command: '<%= config.bin %> <%= command.id %> --out court.zip --recipients-file hq-recipients.txt', description: 'The same, to every recipient of an age recipients file'},
    {command: '<%= config.bin %> <%= command.id %> --finish SEAL-0123456789abcdef', description: 'Put in place the archive of a seal that was recorded but never published (custody status names it)'},
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    identity: fieldIdentityFlag('the vault'),
    out: Flags.string({char: 'o', description: 'the ZIP file to write (mode 600)', exactlyOne: ['out', 'finish'], helpValue: 'FILE.zip'}),
    purpose: Flags.string({
      description: "what the archive is for, as a consent scope: court, international, advocacy or contact. Testimony goes in only where the witness consented to it; with no scope here, every testimony is left out, and the seal refuses (exit 1) unless --allow-left-out",
      helpValue: 'SCOPE',
    }),
    'allow-left-out': Flags.boolean({description: 'seal even though --purpose (no consent scope, or none) leaves testimony out', default: false}),
    note: Flags.string({description: 'a note recorded with the seal', helpValue: 'TEXT'}),
    force: Flags.boolean({description: 'replace an existing --out (with --finish: the file where the archive goes)', default: false}),
    'sealed-at': Flags.string({description: 'the seal time, ISO 8601 with a zone (default: now)', helpValue: 'ISO-8601'}),
    actor: Flags.string({description: "who seals (default: the case's investigator)", helpValue: 'NAME'}),
    'encrypt-to': Flags.string({
      description: 'deliver the archive encrypted to this age recipient (age1…; repeatable), as --out with .age added: court.zip gives court.zip.age; no plaintext ZIP is written',
      multiple: true,
      helpValue: 'RECIPIENT',
    }),
    'recipients-file': Flags.string({description: "deliver the archive encrypted to the recipients of this file (age's format: one age1… a line), as --out with .age added", helpValue: 'FILE'}),
    finish: Flags.string({
      description: 'put in place the archive of a seal recorded but never published, from its temporary file, once its SHA-256 is the one recorded',
      exactlyOne: ['out', 'finish'],
      exclusive: ['purpose', 'note', 'sealed-at', 'actor', 'allow-left-out', 'encrypt-to', 'recipients-file'],
      helpValue: 'SEAL-ID',
    }),
  }

  static override strict = false

  async run(): Promise<FinishReport | undefined> {
    const {argv, flags} = await this.parse(Seal)
    if (flags.finish !== undefined) {
      if (argv.length > 0) throw new CustodyError('USAGE', '--finish takes no exhibits: it puts in place an archive already made')
      using kase = this.openCase(flags.case)
      // The seal's event is read to check the archive against it: where the ledger keeps its event
      // bodies encrypted, the passphrase or --identity opens them.
      await this.openLedgerToRead(kase, flags.identity, flags['passphrase-file'], 'seal --finish')
      const report = await finishSeal(kase, flags.finish, {force: flags.force})
      this.log(renderFinishedSeal(report))
      return report
    }

    const encryptTo = await transportRecipients({encryptTo: flags['encrypt-to'], recipientsFile: flags['recipients-file']})
    const given = {exhibits: argv as string[], out: flags.out!, sealedAt: flags['sealed-at'], force: flags.force, encryptTo}
    // An --out that cannot be written: said before the case is opened; an exhibit that is not in the
    // case: before the passphrase is asked for.
    sealDestination(given)
    // The passphrase opens the signing key; in a field case, a recipient's identity opens the vault
    // and the events, before the check runs again (the exhibits named, a witness code).
    const identities = await readIdentityFiles(flags.identity)
    using kase = await this.openCaseForWriting(flags.case, flags['passphrase-file'], 'seal', {
      // A field case's seal needs a recipient's identity whatever it names: said first, since
      // without it a witness code cannot even be looked up.
      needsContent: true,
      check: (k) => checkSeal(k, given),
      ...(identities === undefined ? {} : {identities}),
    })
    const progress = progressLine(process.stderr, Boolean(process.stderr.isTTY) && !this.jsonEnabled())
    const interrupt = this.interruptible('Stopping: the partial archive will be removed (Ctrl-C again to stop now)...')
    try {
      const report = await sealArchive(kase, {
        ...given,
        purpose: flags.purpose,
        note: flags.note,
        allowLeftOut: flags['allow-left-out'],
        actor: flags.actor,
        signal: interrupt.signal,
        hold: () => interrupt.hold('Finishing: the seal is being recorded, and its archive will be put at --out...'),
        onProgress: (done, total) => progress.update(`sealing: ${done}/${total} exhibits`),
      })
      progress.done()
      // Written here, not returned to oclif: the statement's exhibits are made as they are written.
      await this.writeLines(this.jsonEnabled() ? this.jsonLines(report, ['statement', 'exhibits'], report.statement.exhibits) : [renderSeal(report), ...nextAfterSeal(report, caseProgress(kase), flags.out!)])
    } finally {
      interrupt.release()
    }

    return undefined
  }
}
