import {Args, Flags} from '@oclif/core'
import {renderConsentChange} from '../../src/render/testimony.js'
import {changeConsent, checkConsentChange, type ConsentChangeReport} from '../../src/testimony/change-consent.js'
import {CONSENT_METHODS, CONSENT_SCOPES} from '../../src/testimony/vocabulary.js'
import type {Case} from '../../src/case/case.js'
import {readIdentityFiles} from '../../src/age/key-files.js'
import {CustodyCommand, caseFlag, identityFlag, passphraseFileFlag, prose} from '../_base.js'

export default class TestimonyConsent extends CustodyCommand {
  static override args = {
    testimony: Args.string({description: 'the witness code (W-014) or the testimony exhibit ID', required: true}),
  }

  static override description = prose`Record a change of the witness's consent: scopes granted or withdrawn.

The change is a new custody event; what was recorded before is never rewritten, and \`custody show\`
lists the whole history. From then on \`custody seal --purpose SCOPE\` leaves the testimony (and its
attachments) out of archives whose purpose its consent no longer covers.

Changes take effect in the order of their --at, the time the witness gave or withdrew consent,
not in the order they are entered: a grant entered today but dated before a withdrawal does not
undo it (changes dated alike apply in the order they were recorded). An --at more than 5 minutes
ahead of this computer's clock, or before the interview started, is refused (exit 2).
\`custody show\` lists the changes in date order, each with its ledger event number (its
recording order).

The note is recorded in clear: one that holds the witness's name or contact is refused (exit 2);
checking it opens the witness's identity in memory, with the case passphrase.

In a field case (\`custody init --field\`), whose laptop cannot read what it recorded, a change
is still recorded at once with the field passphrase: name the testimony by its witness code. The
change is found by that code alone, so --note and --actor are refused there (they cannot be
checked against the witness's name), and the consent before and after is not known on the laptop:
HQ's identity opens the testimony and applies the change in its history like any other. Given
there (--identity FILE, an age identity file of one of the case's recipients), it opens the
testimony and the witness's identity at once: the change is recorded as in any case, with
--note and --actor checked.

Scopes: ${Object.entries(CONSENT_SCOPES).map(([s, m]) => `${s} (${m})`).join('; ')}.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> W-014 --withdraw advocacy --at 2024-06-01T10:00+03:00 --note "asked by phone"', description: 'The witness withdraws consent to advocacy use'},
    {command: '<%= config.bin %> <%= command.id %> W-014 --grant international --method signed-form', description: 'The witness now also consents to sharing with UN bodies'},
    {
      command: '<%= config.bin %> <%= command.id %> W-014 --grant advocacy --method oral-noted --at 2024-05-01T09:00+03:00 --note "entered late, from the field notes"',
      description: 'A change entered late takes its place by its date: a withdrawal dated later still decides',
    },
    {command: '<%= config.bin %> <%= command.id %> W-014 --withdraw court --at 2024-06-01T10:00+03:00', description: 'In a field case: the witness withdraws consent to court use; recorded with the field passphrase'},
    {command: '<%= config.bin %> <%= command.id %> W-014 --withdraw court --note "asked by phone" --identity hq.key', description: "In a field case, with HQ's age identity: the note checked and recorded"},
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    identity: identityFlag,
    grant: Flags.string({description: 'a scope the witness now consents to (repeat for each)', multiple: true, helpValue: 'SCOPE'}),
    withdraw: Flags.string({description: 'a scope the witness withdraws (repeat for each)', multiple: true, helpValue: 'SCOPE'}),
    method: Flags.string({description: `how the witness said so: ${Object.keys(CONSENT_METHODS).join(', ')} (required with --grant)`, helpValue: 'METHOD'}),
    at: Flags.string({description: 'when the witness said so, ISO 8601 with zone (default: now); decides the order in which changes take effect; not in the future, not before the interview', helpValue: 'ISO-8601'}),
    note: Flags.string({description: "a note recorded with the change (in clear: refused if it holds the witness's name or contact)", helpValue: 'TEXT'}),
    actor: Flags.string({description: "who records it (default: the case's investigator)", helpValue: 'NAME'}),
  }

  async run(): Promise<ConsentChangeReport> {
    const {args, flags} = await this.parse(TestimonyConsent)
    const change = {grant: flags.grant ?? [], withdraw: flags.withdraw ?? [], method: flags.method, at: flags.at, note: flags.note, actor: flags.actor}
    // A change that cannot be recorded (a scope, a method, a time, a testimony) is refused before the passphrase is asked for.
    const identities = await readIdentityFiles(flags.identity)
    // HQ's identity, given, opens the case's events before the check runs again (a field case's
    // passphrase opens none of them).
    const check = (k: Case): unknown => checkConsentChange(k, args.testimony, change)
    const {kase: opened, passphrase} = await this.unlockCase(flags.case, flags['passphrase-file'], 'testimony consent', {check, ...(identities === undefined ? {} : {identities})})
    using kase = opened
    const report = await changeConsent(kase, args.testimony, {...change, passphrase, identities})
    this.log(renderConsentChange(report))
    return report
  }
}
