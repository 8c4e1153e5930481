import {Args, Flags} from '@oclif/core'
import {listEvents} from '../src/exhibits/exhibits.js'
import {EVENT_ACTIONS, isEventAction} from '../src/formats/events.js'
import {renderLog} from '../src/render/reports.js'
import {CustodyCommand, caseFlag, prose} from './_base.js'

export default class Log extends CustodyCommand {
  static override args = {
    exhibit: Args.string({description: 'only the events of this exhibit (EX-000007, or just 7)'}),
  }

  static override description = prose`Print the custody events, oldest first.

Each line is one ledger event: its sequence number, UTC time, action, exhibit, actor and what it
was about. With --json, each event is given whole, with its hash and the previous event's hash.

--since, --action and --limit choose among them, together and with EXHIBIT: a script that keeps
the last sequence number it read asks for the events after it with --since (that number plus one).`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Every event of the case'},
    {command: '<%= config.bin %> <%= command.id %> EX-000003', description: 'The events of one exhibit'},
    {command: '<%= config.bin %> <%= command.id %> --action seal --action sealed-exhibits', description: 'The seals, and the exhibits each took'},
    {command: '<%= config.bin %> <%= command.id %> --since 120 --limit 50', description: 'Fifty events, from event 120 on'},
    {command: "<%= config.bin %> <%= command.id %> --action ingest --json | jq -r '.events[].exhibit'", description: 'Exhibit IDs, for scripts'},
  ]

  static override flags = {
    case: caseFlag,
    since: Flags.integer({description: 'only the events from this sequence number on (it included)', min: 0, helpValue: 'SEQ'}),
    action: Flags.string({description: `only the events of this action (repeat for more): ${EVENT_ACTIONS.join(', ')}`, multiple: true, multipleNonGreedy: true, options: EVENT_ACTIONS, helpValue: 'NAME'}),
    limit: Flags.integer({description: 'at most N events, the oldest first', min: 1, helpValue: 'N'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Log)
    using kase = this.openCase(flags.case)
    const events = listEvents(kase, args.exhibit, {since: flags.since, actions: flags.action?.filter(isEventAction), limit: flags.limit})
    // Written here, not returned to oclif: the events are read from the ledger as they are written.
    await this.writeLines(this.jsonEnabled() ? this.jsonLines({events: []}, ['events'], events) : renderLog(events))
  }
}
