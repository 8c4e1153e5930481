import {Args, Flags} from '@oclif/core'
import {initCase, type CaseInfo} from '../src/case/case.js'
import {renderInit} from '../src/render/reports.js'
import {CustodyCommand} from './_base.js'

export default class Init extends CustodyCommand {
  static override args = {
    dir: Args.string({description: 'folder for the case; created if missing', default: '.'}),
  }

  static override description = `Make a new case: a vault for evidence and a custody ledger.

Creates DIR/.custody/ holding the ledger (SQLite, append-only, hash-chained) and the vault where
originals are kept under their SHA-256. The first ledger event records the case's title,
investigator, organisation and exhibit prefix. An existing case is refused and left unchanged.`

  static override examples = [
    {
      command: '<%= config.bin %> <%= command.id %> crimea-2024 --title "Crimea detentions 2024" --investigator "A. Petrenko" --organisation IPHR',
      description: 'Make a case in a new folder',
    },
    {
      command: '<%= config.bin %> <%= command.id %> --title "Protest, 12 May" --investigator "M. Sokolova" --prefix PR12',
      description: 'Make a case in the working directory with exhibit IDs PR12-000001, ...',
    },
  ]

  static override flags = {
    title: Flags.string({description: 'title of the case', required: true}),
    investigator: Flags.string({description: 'name of the investigator responsible for the case', required: true}),
    organisation: Flags.string({description: 'organisation conducting the investigation'}),
    prefix: Flags.string({description: 'exhibit ID prefix: capital letters and digits', default: 'EX'}),
  }

  async run(): Promise<{root: string; case: CaseInfo}> {
    const {args, flags} = await this.parse(Init)
    const result = await initCase({
      dir: args.dir,
      title: flags.title,
      investigator: flags.investigator,
      organisation: flags.organisation,
      prefix: flags.prefix,
    })
    this.log(renderInit(result))
    return {root: result.root, case: result.info}
  }
}
