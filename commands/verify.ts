import {locateCase} from '../src/case/case.js'
import {progressLine} from '../src/render/progress.js'
import {renderVerify} from '../src/render/reports.js'
import {verifyCaseAt, type VerifyReport} from '../src/verify/verify-case.js'
import {CustodyCommand, caseFlag} from './_base.js'

export default class Verify extends CustodyCommand {
  static override args = {}

  static override description = `Check that the case is intact: every vault file and every ledger event.

Re-hashes every exhibit's original (SHA-256 and SHA-512) and metadata record in the vault,
recomputes the ledger's hash chain and its RFC 6962 Merkle tree head, and compares that with the
last recorded tree head. Exit 0 when all is intact; exit 3 when anything does not match, naming
each exhibit or event with what was expected and what was found: a vault file modified, truncated
or missing; a ledger event edited, deleted, inserted or reordered, even past the ledger's triggers.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Verify the case around the working directory'},
    {command: '<%= config.bin %> <%= command.id %> --case ~/cases/crimea --json', description: 'Verify a named case, as JSON'},
  ]

  static override flags = {
    case: caseFlag,
  }

  async run(): Promise<VerifyReport> {
    const {flags} = await this.parse(Verify)
    const location = locateCase({caseDir: flags.case})
    const progress = progressLine(process.stderr, Boolean(process.stderr.isTTY) && !this.jsonEnabled())
    const report = await verifyCaseAt(location, {
      onProgress: (p) => progress.update(`verifying: ${p.objectsDone}/${p.objectsTotal} vault objects re-hashed`),
    })
    progress.done()
    this.log(renderVerify(report))
    if (!report.ok) process.exitCode = 3
    return report
  }
}
