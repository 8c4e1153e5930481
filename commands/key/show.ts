import type {InitKeys} from '../../src/case/case.js'
import {describeSigningKey, type KeyView} from '../../src/keys/case-key.js'
import {caseKeyMode, namedRecipients} from '../../src/keys/case-keys.js'
import {renderCaseKeys, renderKey} from '../../src/render/reports.js'
import {CustodyCommand, caseFlag, prose} from '../_base.js'

export default class KeyShow extends CustodyCommand {
  static override args = {}

  static override description = prose`Print the case's public signing key and its fingerprint.

The investigator's Ed25519 key signs a checkpoint of the ledger after every command that adds to
it, and every seal statement. The fingerprint is SHA256: and the hex SHA-256 of the key's DER
(SubjectPublicKeyInfo), which anyone can recompute from the PEM:
  openssl pkey -pubin -in KEY.pem -outform DER | sha256sum
No passphrase is needed: only the public half is shown.

It also lists the case keys: their mode (encrypted; field, where only the recipients decrypt
content; or none, for a case made before case keys) and every age recipient the ledger records,
the case identity's first, then HQ's (\`custody key add-recipient\`).`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Show the key of the case in the working directory'},
    {command: '<%= config.bin %> <%= command.id %> --json', description: 'The same, as JSON'},
  ]

  static override flags = {
    case: caseFlag,
  }

  async run(): Promise<KeyView & {caseKeys: InitKeys}> {
    const {flags} = await this.parse(KeyShow)
    using kase = this.openCase(flags.case)
    const view = describeSigningKey(kase)
    const caseKeys = {mode: caseKeyMode(kase), recipients: namedRecipients(kase)}
    this.log([renderKey(view), '', 'Case keys', ...renderCaseKeys(caseKeys)].join('\n'))
    return {...view, caseKeys}
  }
}
