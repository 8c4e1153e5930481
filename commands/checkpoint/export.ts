import {Flags} from '@oclif/core'
import {exportCheckpoint, type CheckpointFile} from '../../src/checkpoints/checkpoint-file.js'
import type {CheckpointBody} from '../../src/checkpoints/checkpoint.js'
import {CustodyCommand, caseFlag, prose} from '../_base.js'

export default class CheckpointExport extends CustodyCommand {
  static override args = {}

  static override description = prose`Write the case's latest signed checkpoint to a file, to give out.

The file is JSON: {"checkpoint": "<the checkpoint's exact signed bytes>", "signature": "<hex
Ed25519 signature>"}. Whoever holds it (a colleague, a lawyer, your own backup) can later check
that the case still extends it, that no event it covers was cut off or changed and that the case
was not put back to an older copy:
  custody verify --against FILE
A later case that is shorter, or whose first events are not those it covers, fails (exit 3).
The checkpoint's signature is checked with a key the case's ledger records. An existing file is
replaced only with --force.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --out crimea-2024-checkpoint.json', description: 'Export the latest checkpoint'},
    {command: '<%= config.bin %> verify --against crimea-2024-checkpoint.json', description: 'Later: check that the case extends it'},
  ]

  static override flags = {
    case: caseFlag,
    out: Flags.string({char: 'o', description: 'the checkpoint file to write', required: true, helpValue: 'FILE'}),
    force: Flags.boolean({description: 'replace --out if it exists', default: false}),
  }

  async run(): Promise<{path: string; file: CheckpointFile; checkpoint: CheckpointBody}> {
    const {flags} = await this.parse(CheckpointExport)
    using kase = this.openCase(flags.case)
    const result = await exportCheckpoint(kase, flags.out, flags.force)
    this.log(`Wrote the checkpoint of ${result.checkpoint.treeSize} events (root ${result.checkpoint.rootHash}) to ${result.path}`)
    return result
  }
}
