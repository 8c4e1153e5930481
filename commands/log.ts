import {Args} from '@oclif/core'
import {listEvents} from '../src/exhibits/exhibits.js'
import {renderLog} from '../src/render/reports.js'
import {CustodyCommand, caseFlag, prose} from './_base.js'

export default class Log extends CustodyCommand {
  static override args = {
    exhibit: Args.string({description: 'only the events of this exhibit (EX-000007, or just 7)'}),
  }

  static override description = prose`Print the custody events, oldest first.

Each line is one ledger event: its sequence number, UTC time, action, exhibit, actor and what it
was about. With --json, each event is given whole, with its hash and the previous event's hash.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Every event of the case'},
    {command: '<%= config.bin %> <%= command.id %> EX-000003', description: 'The events of one exhibit'},
    {command: "<%= config.bin %> <%= command.id %> --json | jq '.events[] | select(.action == \"ingest\") | .exhibit'", description: 'Exhibit IDs, for scripts'},
  ]

  static override flags = {
    case: caseFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Log)
    using kase = this.openCase(flags.case)
    const events = listEvents(kase, args.exhibit)
    // Written here, not returned to oclif: the events are read from the ledger as they are written.
    await this.writeLines(this.jsonEnabled() ? this.jsonLines({events: []}, ['events'], events) : renderLog(events))
  }
}
