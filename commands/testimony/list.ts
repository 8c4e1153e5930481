import {renderTestimonyList} from '../../src/render/testimony.js'
import {listTestimonies, type TestimonyView} from '../../src/testimony/testimonies.js'
import {CustodyCommand, caseFlag, prose, readingFlags} from '../_base.js'

export default class TestimonyList extends CustodyCommand {
  static override description = prose`List the testimonies of the case: witness code, exhibit, interview, current consent, versions.

Only what is recorded in clear is shown; the witness's identity stays encrypted (see
\`custody testimony identity\`).`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Every testimony'},
    {command: "<%= config.bin %> <%= command.id %> --json | jq -r '.testimonies[] | select(.consent.current | index(\"court\")) | .witness'", description: 'Witnesses who consented to use in court'},
  ]

  static override flags = {
    case: caseFlag,
    ...readingFlags,
  }

  async run(): Promise<{testimonies: TestimonyView[]}> {
    const {flags} = await this.parse(TestimonyList)
    using kase = this.openCase(flags.case)
    await this.openLedgerToRead(kase, flags.identity, flags['passphrase-file'], 'testimony list')
    const testimonies = listTestimonies(kase)
    this.log(renderTestimonyList(testimonies))
    return {testimonies}
  }
}
