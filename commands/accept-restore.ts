import {Flags} from '@oclif/core'
import type {Case} from '../src/case/case.js'
import {acceptRestore, checkRestore, type RestoreAccepted, type RestoreCheck} from '../src/known-heads/accept-restore.js'
import {CustodyCommand, caseFlag, passphraseFileFlag, prose} from './_base.js'

export default class AcceptRestore extends CustodyCommand {
  static override args = {}

  static override description = prose`Record that an older copy of the case was put back on purpose, and go on from it.

custody keeps the newest checkpoint it signed for each case outside the case, in
$XDG_STATE_HOME/custody (else ~/.local/state/custody), and refuses a case that is behind it or went
its own way: events cut off the ledger's end, or an older copy of .custody put back, look the same.
If that older copy is a backup you put back on purpose, and the newer copy is gone for good (the
laptop was lost or seized), this command records so in the ledger: a restore-accepted event, signed,
that holds the lost checkpoint (its exact bytes and signature), this ledger's tree head, and your
reason. Every later sealed archive carries that event. The lost record is kept beside the new one
in the state folder.

What was lost stays lost: the events after this copy's last one cannot be recovered, and archives
sealed from them cannot be linked to later ones (custody verify --against says so). The exhibit
numbers they may have given are never given again: the event reserves as many as the lost
checkpoint had events, and the next exhibit is numbered after them. If the newer copy still exists,
work on it instead.

Refused when the case extends custody's record (nothing to accept), and when the case does not
match its own head.json either: that is tampering, not a restore; run custody verify.`

  static override examples = [
    {
      command: '<%= config.bin %> <%= command.id %> --reason "laptop seized at the border on 2 May; restored from the backup of 30 April"',
      description: 'Go on from a backup',
    },
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    reason: Flags.string({description: 'why an older copy was put back (recorded in the ledger and in every later archive)', required: true, helpValue: 'TEXT'}),
    actor: Flags.string({description: "who records it (default: the case's investigator)", helpValue: 'NAME'}),
  }

  async run(): Promise<RestoreAccepted> {
    const {flags} = await this.parse(AcceptRestore)
    // Opened as it is: comparing it with custody's record is this command's own work, done before the passphrase is asked for.
    const check = (k: Case): Promise<RestoreCheck> => checkRestore(k, {reason: flags.reason})
    const {kase: opened, checked} = await this.unlockCase(flags.case, flags['passphrase-file'], 'accept-restore', {compare: false, check})
    using kase = opened
    const result = await acceptRestore(kase, checked, {actor: flags.actor})
    this.log(
      [
        `Recorded as event ${result.seq}: an older copy of the case was put back.`,
        `  lost           the checkpoint of ${result.lost.treeSize} events, root ${result.lost.rootHash}${result.lost.recordedAt === null ? '' : `, recorded ${result.lost.recordedAt}`}`,
        `  kept as        ${result.lost.aside}`,
        `  this ledger    ${result.ledger.size} events, root ${result.ledger.root}, before this event`,
        '',
        `  numbers        exhibit numbers up to ${result.reservedExhibitNumbers} are not given again: the next exhibit is numbered after them`,
        '',
        'Archives sealed from the lost copy cannot be linked to those sealed from now on.',
      ].join('\n'),
    )
    return result
  }
}
