import {Args, Flags} from '@oclif/core'
import {readIdentityFiles} from '../src/age/key-files.js'
import {CustodyError} from '../src/errors.js'
import {listEvents, refuseExhibitPastTheLast} from '../src/exhibits/exhibits.js'
import {EVENT_ACTIONS, isEventAction} from '../src/formats/events.js'
import {renderChain, renderLog} from '../src/render/reports.js'
import {custodyChain, custodyNeedsKey, type CustodianPart} from '../src/transfers/chain.js'
import {CustodyCommand, caseFlag, prose, readingFlags} from './_base.js'

export default class Log extends CustodyCommand {
  static override args = {
    exhibit: Args.string({description: 'only the events of this exhibit (EX-000007, or just 7)'}),
  }

  static override description = prose`Print the custody events, oldest first.

Each line is one ledger event: its sequence number, UTC time, action, exhibit, actor and what it
was about. With --json, each event is given whole, with its hash and the previous event's hash.

--since, --action and --limit choose among them, together and with EXHIBIT: a script that keeps
the last sequence number it read asks for the events after it with --since (that number plus one).

--custodians tells an exhibit's story across custodians: for an exhibit this case received from
another (\`custody transfer accept\`), first the sender's events of it (collected, sealed, released),
read out of the package this case keeps, verified again as \`custody verify\` verifies it, and
held to the sender's key and tree head this case recorded; then this case's own (received, sealed).
Each part names whose ledger it is, the exhibit's ID there, and the signed head its events are
proven under. The kept package is encrypted to this case: the passphrase (or --identity) opens it.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Every event of the case'},
    {command: '<%= config.bin %> <%= command.id %> EX-000003', description: 'The events of one exhibit'},
    {command: '<%= config.bin %> <%= command.id %> --action seal --action sealed-exhibits', description: 'The seals, and the exhibits each took'},
    {command: '<%= config.bin %> <%= command.id %> --since 120 --limit 50', description: 'Fifty events, from event 120 on'},
    {command: "<%= config.bin %> <%= command.id %> --action ingest --json | jq -r '.events[].exhibit'", description: 'Exhibit IDs, for scripts'},
    {command: '<%= config.bin %> <%= command.id %> HQ-000004 --custodians', description: 'At HQ: a received exhibit, from its collection by the field team to its seal at HQ'},
  ]

  static override flags = {
    case: caseFlag,
    since: Flags.integer({description: 'only the events from this sequence number on (it included)', min: 0, helpValue: 'SEQ'}),
    action: Flags.string({description: `only the events of this action (repeat for more): ${EVENT_ACTIONS.join(', ')}`, multiple: true, multipleNonGreedy: true, options: EVENT_ACTIONS, helpValue: 'NAME'}),
    limit: Flags.integer({description: 'at most N events, the oldest first', min: 1, helpValue: 'N'}),
    custodians: Flags.boolean({description: "with EXHIBIT: its events in every custodian's ledger, the sender's (from the package this case keeps, verified) before this case's"}),
    ...readingFlags,
    identity: Flags.string({description: `${String(readingFlags.identity.description)}; with --custodians, it opens the packages this case keeps too`, helpValue: 'FILE', multiple: true}),
  }

  async run(): Promise<{exhibit: string; custodians: CustodianPart[]} | undefined> {
    const {args, flags} = await this.parse(Log)
    using kase = this.openCase(flags.case)
    if (args.exhibit !== undefined) refuseExhibitPastTheLast(kase, args.exhibit)
    await this.openLedgerToRead(kase, flags.identity, flags['passphrase-file'], 'log')
    if (flags.custodians) {
      if (args.exhibit === undefined) throw new CustodyError('USAGE', '--custodians tells the story of one exhibit: give its ID (custody log EXHIBIT --custodians)')
      if (flags.since !== undefined || flags.action !== undefined || flags.limit !== undefined) throw new CustodyError('USAGE', '--custodians gives every event of the exhibit: --since, --action and --limit do not go with it')
      const given = (await readIdentityFiles(flags.identity)) ?? []
      if (given.length === 0 && custodyNeedsKey(kase, args.exhibit)) await this.openVaultToRead(kase, undefined, flags['passphrase-file'], `log --custodians (opening the package ${args.exhibit} came in)`)
      const parts = await custodyChain(kase, args.exhibit, [...(kase.vault.keys?.identities ?? []), ...given])
      if (this.jsonEnabled()) return {exhibit: parts.at(-1)!.exhibit, custodians: parts}
      await this.writeLines(renderChain(parts))
      return undefined
    }

    const events = listEvents(kase, args.exhibit, {since: flags.since, actions: flags.action?.filter(isEventAction), limit: flags.limit})
    // Written here, not returned to oclif: the events are read from the ledger as they are written.
    await this.writeLines(this.jsonEnabled() ? this.jsonLines({events: []}, ['events'], events) : renderLog(events))
    return undefined
  }
}
