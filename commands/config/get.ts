import {caseSettings, type CaseSettings} from '../../src/case/settings.js'
import {renderSettings} from '../../src/render/reports.js'
import {CustodyCommand, caseFlag, prose} from '../_base.js'

export default class ConfigGet extends CustodyCommand {
  static override args = {}

  static override description = prose`Print the case's settings (tsa, tsa-ca), as the latest config events give them.`

  static override examples = [{command: '<%= config.bin %> <%= command.id %>', description: 'Show the settings'}]

  static override flags = {
    case: caseFlag,
  }

  async run(): Promise<CaseSettings> {
    const {flags} = await this.parse(ConfigGet)
    using kase = this.openCase(flags.case)
    const settings = caseSettings(kase)
    this.log(renderSettings(settings))
    return settings
  }
}
