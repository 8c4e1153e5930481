import {Args} from '@oclif/core'
import {checkSetting, setSetting, SETTINGS, type CaseSettings} from '../../src/case/settings.js'
import {renderSettings} from '../../src/render/reports.js'
import {CustodyCommand, caseFlag, passphraseFileFlag, prose} from '../_base.js'

export default class ConfigSet extends CustodyCommand {
  static override args = {
    setting: Args.string({description: 'the setting to change', required: true, options: [...SETTINGS]}),
  }

  static override description = prose`Change a setting of the case, recorded as a ledger event.

Settings:
  tsa URL...      the Time-Stamp Authorities \`custody timestamp\` asks
  tsa-ca FILE...  PEM root certificates the TSAs' tokens must chain to (kept in the event)

The values given replace the current ones; give none to clear the setting.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> tsa https://freetsa.org/tsr https://tsa.example.org/tsr', description: 'Ask two TSAs'},
    {command: '<%= config.bin %> <%= command.id %> tsa-ca freetsa-root.pem', description: 'Trust a TSA root'},
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
  }

  static override strict = false

  async run(): Promise<CaseSettings> {
    const {args, argv, flags} = await this.parse(ConfigSet)
    const values = (argv as string[]).slice(1)
    const payload = await checkSetting(args.setting, values)
    using kase = await this.openCaseForWriting(flags.case, flags['passphrase-file'], 'config set')
    const settings = await setSetting(kase, payload)
    this.log(renderSettings(settings))
    return settings
  }
}
