import {Args} from '@oclif/core'
import {getExhibit, type ExhibitView} from '../src/exhibits/exhibits.js'
import {renderShow} from '../src/render/reports.js'
import {CustodyCommand, caseFlag} from './_base.js'

export default class Show extends CustodyCommand {
  static override args = {
    exhibit: Args.string({description: 'the exhibit ID (EX-000007, or just 7)', required: true}),
  }

  static override description = `Print one exhibit: its digests, normalised metadata, vault location and events.

The capture time is shown with its time-zone offset when the file records one, and says so when
it does not. Each normalised value names the ExifTool tag it came from; the full metadata record
is kept in the vault at the path shown.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> EX-000001', description: 'Show an exhibit'},
    {command: '<%= config.bin %> <%= command.id %> 1 --json', description: 'The same, as JSON'},
  ]

  static override flags = {
    case: caseFlag,
  }

  async run(): Promise<ExhibitView> {
    const {args, flags} = await this.parse(Show)
    const kase = this.openCase(flags.case)
    try {
      const exhibit = getExhibit(kase, args.exhibit)
      this.log(renderShow(exhibit))
      return exhibit
    } finally {
      kase.close()
    }
  }
}
