import {Flags} from '@oclif/core'
import {exportPublicKey, type KeyView} from '../../src/keys/case-key.js'
import {CustodyCommand, caseFlag, prose} from '../_base.js'

export default class KeyExport extends CustodyCommand {
  static override args = {}

  static override description = prose`Write the case's public signing key as a PEM file (SPKI).

Give it to whoever must check signatures made by this case (a sealed archive carries it too):
  openssl pkeyutl -verify -pubin -inkey KEY.pem -rawin -in FILE -sigfile FILE.sig
An existing file is replaced only with --force.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --out investigator.pem', description: 'Export the public key'},
  ]

  static override flags = {
    case: caseFlag,
    out: Flags.string({char: 'o', description: 'the PEM file to write', required: true, helpValue: 'FILE'}),
    force: Flags.boolean({description: 'replace --out if it exists', default: false}),
  }

  async run(): Promise<KeyView & {path: string}> {
    const {flags} = await this.parse(KeyExport)
    using kase = this.openCase(flags.case)
    const result = await exportPublicKey(kase, flags.out, flags.force)
    this.log(`Wrote the public key ${result.fingerprint} to ${result.path}`)
    return result
  }
}
