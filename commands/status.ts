import {caseStatus, type CaseStatus} from '../src/case/status.js'
import {renderStatus} from '../src/render/reports.js'
import {CustodyCommand, caseFlag, prose, readingFlags} from './_base.js'

export default class Status extends CustodyCommand {
  static override args = {}

  static override description = prose`Show where the case stands, and what is not yet timestamped.

Prints the events and exhibits, the latest signed checkpoint and its key, the newest checkpoint
with a trusted timestamp, the events no token covers yet, and the TSA settings.

It also tidies after seals that were killed (as the next seal would): the temporary files a
seal left beside its --out are removed, and the output says so. A seal killed after its event was
recorded but before its archive was put at --out is listed with its seal ID; its complete
archive is kept until \`custody seal --finish SEAL-ID\` puts it in place. Seals under way are left
alone.

Exit 0 whatever the state; use \`custody verify\` to check integrity. With --json, scripts can
read timestamps.pending to decide when to run \`custody timestamp\`, and seals.unpublished
(sealId, seq, archive, partial) to finish seals.

It needs no key. A case whose ledger keeps what its events record encrypted (a field case's laptop
holds no key that opens it) is shown as its envelopes say in clear: the case ID, the counts, the
checkpoints, timestamps and settings, and each transfer released (its ID, time and number of
items, and whether a receipt is recorded for it: releasedInClear in --json); its title, and to
whom and which exhibits were released, are shown too when --passphrase-file FILE or --identity
FILE (a recipient's, which a field case needs) is given.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'The case in the working directory'},
    {command: '<%= config.bin %> <%= command.id %> --json', description: 'The same, as JSON'},
    {command: '<%= config.bin %> <%= command.id %> --identity hq.key', description: "In a field case: HQ's identity shows the title, and to whom each transfer went"},
  ]

  static override flags = {
    case: caseFlag,
    ...readingFlags,
  }

  async run(): Promise<CaseStatus> {
    const {flags} = await this.parse(Status)
    using kase = this.openCase(flags.case)
    // Opened only when a key is given: status is what scripts and a field laptop run without one.
    if (flags.identity !== undefined || flags['passphrase-file'] !== undefined) await this.openLedgerToRead(kase, flags.identity, flags['passphrase-file'], 'status')
    const status = await caseStatus(kase)
    this.log(renderStatus(status))
    return status
  }
}
