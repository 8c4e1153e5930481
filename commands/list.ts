import {Flags} from '@oclif/core'
import {listExhibits} from '../src/exhibits/list.js'
import {renderExhibitList} from '../src/render/exhibit-list.js'
import {CustodyCommand, caseFlag, prose, readingFlags} from './_base.js'

export default class List extends CustodyCommand {
  static override args = {}

  static override description = prose`List the exhibits of the case: ID, original name, type, capture time, who collected it.

One line an exhibit, in the order they were taken in. The type is the MIME type ExifTool read from
the file; the capture time is the one the file records (with its time-zone offset when it has one);
who collected it is what ingest was told (--collected-by, or a manifest's collected_by). The
statements and attachments of testimony are exhibits too, and are marked with the witness code
and their part ([testimony W-014 statement v1]). Long names are cut short in the text; --json
gives everything whole.

The exhibits are read from the ledger a page at a time as they are printed, text or --json, so a
case of any size is listed in the same memory.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Every exhibit of the case'},
    {command: '<%= config.bin %> <%= command.id %> --type image', description: 'Only photos and other images (any image/* type)'},
    {command: "<%= config.bin %> <%= command.id %> --json | jq -r '.exhibits[] | select(.collectedBy == null) | .exhibit'", description: 'Exhibits with no collector recorded, for scripts'},
  ]

  static override flags = {
    case: caseFlag,
    type: Flags.string({description: 'only exhibits of this MIME type (image/jpeg), or of this top-level type (image, video, audio, text, application)', helpValue: 'TYPE'}),
    ...readingFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(List)
    using kase = this.openCase(flags.case)
    await this.openLedgerToRead(kase, flags.identity, flags['passphrase-file'], 'list')
    const exhibits = listExhibits(kase, {type: flags.type})
    // Written here, not returned to oclif: the exhibits are read from the ledger as they are written.
    await this.writeLines(this.jsonEnabled() ? this.jsonLines({type: flags.type ?? null, exhibits: []}, ['exhibits'], exhibits) : renderExhibitList(exhibits, flags.type))
  }
}
