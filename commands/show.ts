import {Args} from '@oclif/core'
import {describeExhibit, type DescribedExhibit} from '../src/exhibits/describe.js'
import {renderShow} from '../src/render/reports.js'
import {CustodyCommand, caseFlag, prose} from './_base.js'

export default class Show extends CustodyCommand {
  static override args = {
    exhibit: Args.string({description: 'the exhibit ID (EX-000007, or just 7), or a witness code (W-014) for that testimony', required: true}),
  }

  static override description = prose`Print one exhibit: its digests, normalised metadata, vault location and events.

The capture time is shown with its time-zone offset when the file records one, and says so when
it does not. Each normalised value names the ExifTool tag it came from; the full metadata record
is kept in the vault at the path shown.

For a testimony it also shows the interview, the consent given and every change of it, the
statement's versions, the attachments, and each time the protected identity was looked at (never
the identity itself). For a later statement version or an attachment, it names the testimony.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> EX-000001', description: 'Show an exhibit'},
    {command: '<%= config.bin %> <%= command.id %> 1 --json', description: 'The same, as JSON'},
    {command: '<%= config.bin %> <%= command.id %> W-014', description: 'A testimony, by witness code: interview, consent history, statement versions'},
  ]

  static override flags = {
    case: caseFlag,
  }

  async run(): Promise<DescribedExhibit> {
    const {args, flags} = await this.parse(Show)
    using kase = this.openCase(flags.case)
    const exhibit = describeExhibit(kase, args.exhibit)
    this.log(renderShow(exhibit))
    return exhibit
  }
}
