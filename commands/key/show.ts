import {describeSigningKey, type KeyView} from '../../src/keys/case-key.js'
import {CustodyError} from '../../src/errors.js'
import {caseKeyMode, keysDestroyed, recipientsOnRecord} from '../../src/keys/case-keys.js'
import {renderCaseKeys, renderKey, type ShownKeys} from '../../src/render/reports.js'
import {Flags} from '@oclif/core'
import {custodianFingerprint, custodianLine, custodianOf, type Custodian} from '../../src/transfers/custodian.js'
import {CustodyCommand, caseFlag, prose, readingFlags} from '../_base.js'

/** `key show --public`: the identity line, its key fingerprint, and what the line holds. */
interface PublicIdentity {
  line: string
  fingerprint: string
  custodian: Custodian
}

export default class KeyShow extends CustodyCommand {
  static override args = {}

  static override description = prose`Print the case's public signing key and its fingerprint.

The investigator's Ed25519 key signs a checkpoint of the ledger after every command that adds to
it, and every seal statement. The fingerprint is SHA256: and the hex SHA-256 of the key's DER
(SubjectPublicKeyInfo), which anyone can recompute from the PEM:
  openssl pkey -pubin -in KEY.pem -outform DER | sha256sum
No passphrase is needed in a case whose ledger is in clear: only the public half is shown. A case
whose ledger keeps what its events record encrypted asks for it (or --identity FILE): the
holder's name and the recipients' labels are in the encrypted events, and the investigator's name
and organisation, which --public gives, are sealed under a key the passphrase opens (a field
case's too). In a field case, whose passphrase opens no event, it needs no key: it shows the
signing key and every recipient the case is encrypted to, so that the investigator can check
them, and leaves the holder's name and the recipients' labels to --identity (HQ's).

It also lists the case keys: their mode (encrypted; field, where only the recipients decrypt
content; or none, for a case made before case keys) and every age recipient the ledger records,
the case identity's first, then HQ's (\`custody key add-recipient\`).

--public prints only the case's custodian identity, one line that another custodian (HQ, or a
field team) names this case by in a hand-over of evidence:
  custody-custodian1 eyJhZ2UiOi…
It is base64url of a small JSON document: the case ID, the investigator and organisation, the
public signing key, and the age recipient that opens what is sent to the case (none in a field
case). It holds nothing secret; give it over a channel the other side trusts to be yours, and
compare the key fingerprint (--json gives it) by voice or in person.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Show the key of the case in the working directory'},
    {command: '<%= config.bin %> <%= command.id %> --public > kherson-team.custodian', description: "The case's custodian identity, one line, to give to HQ"},
    {command: '<%= config.bin %> <%= command.id %> --json', description: 'The same, as JSON'},
  ]

  static override flags = {
    case: caseFlag,
    ...readingFlags,
    public: Flags.boolean({description: "print only the case's custodian identity: one line, for another custodian to name this case by (transfers)", default: false}),
  }

  async run(): Promise<(KeyView & {caseKeys: ShownKeys}) | PublicIdentity> {
    const {flags} = await this.parse(KeyShow)
    using kase = this.openCase(flags.case)
    if (flags.public) {
      const destroyed = keysDestroyed(kase.ledger)
      if (destroyed !== undefined) {
        throw new CustodyError(
          'KEYS_DESTROYED',
          `the keys of this case were destroyed on ${destroyed.time.slice(0, 10)} (event #${destroyed.seq}): it has no custodian identity to give, since nobody holds its signing key or its case identity any more`,
        )
      }

      // The investigator's name and organisation, which a sealed ledger keeps sealed under the address key.
      await this.openAddressKeyToRead(kase, flags.identity, flags['passphrase-file'], 'key show --public')
      const custodian = custodianOf(kase)
      const identity = {line: custodianLine(custodian), fingerprint: custodianFingerprint(custodian), custodian}
      this.log(identity.line)
      return identity
    }

    // The holder's name and the recipients' labels are what the events record. A field case's
    // passphrase opens none of them: with no identity it shows what the ledger keeps in clear (the
    // keys' public halves, the recipients), so that the investigator can check whom the case is
    // encrypted to; the names are left to HQ's identity.
    const mode = caseKeyMode(kase)
    if (mode !== 'field' || flags.identity !== undefined) await this.openLedgerToRead(kase, flags.identity, flags['passphrase-file'], 'key show')
    const view = describeSigningKey(kase)
    // With the labels where a key given opens every event that records one, else none (recipientsOnRecord).
    const caseKeys = {mode, recipients: recipientsOnRecord(kase)}
    this.log([renderKey(view), '', 'Case keys', ...renderCaseKeys(caseKeys)].join('\n'))
    return {...view, caseKeys}
  }
}
