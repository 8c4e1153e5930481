import {Flags} from '@oclif/core'
import {renderTimestamp} from '../src/render/reports.js'
import {chooseTsas, stampCase, type TimestampReport} from '../src/timestamps/stamp-case.js'
import {CustodyCommand, caseFlag, passphraseFileFlag, prose} from './_base.js'

export default class Timestamp extends CustodyCommand {
  static override args = {}

  static override description = prose`Get trusted time for the ledger from RFC 3161 Time-Stamp Authorities.

Asks each TSA for a token over the latest signed checkpoint (the ledger's tree head), checks each
reply (status, imprint, nonce, signature, and the TSA's certificate chain up to a root you trust,
at the token's own time) and records the tokens as a ledger event. One token covers every event
before it: the checkpoint's Merkle root commits to all of them.

Offline is normal in the field. When no TSA answers, the checkpoint is recorded as waiting and
the command exits 1; run it again when there is a connection, and one token covers everything
since. \`custody status\` shows what is not yet timestamped. Several TSAs give redundancy: one that
fails is reported and the others still count. A TSA that does not finish its reply within 20
seconds, or whose reply passes 1 MiB (a genuine one is a few KB), is such a failure: its reply is
cut off as it arrives.

TSAs and their roots can be given each time or saved once for the case:
  custody config set tsa https://tsa.example.org/tsr
  custody config set tsa-ca tsa-root.pem`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: "Stamp with the case's saved TSAs"},
    {
      command: '<%= config.bin %> <%= command.id %> --tsa https://freetsa.org/tsr --tsa-ca freetsa-root.pem',
      description: 'Stamp with a TSA given now, trusting its root',
    },
    {
      command: '<%= config.bin %> <%= command.id %> --tsa https://a.example/tsr --tsa https://b.example/tsr --tsa-ca a-root.pem --tsa-ca b-root.pem --json',
      description: 'Two TSAs at once, for a script',
    },
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    tsa: Flags.string({description: 'URL of a Time-Stamp Authority (repeatable); default: the case setting `tsa`', multiple: true, helpValue: 'URL'}),
    'tsa-ca': Flags.string({description: "PEM file with the TSA's root certificate to trust (repeatable); default: the case setting `tsa-ca`", multiple: true, helpValue: 'FILE'}),
    timeout: Flags.integer({description: 'seconds to wait for each TSA', default: 20, min: 1}),
    actor: Flags.string({description: "who is asking (default: the case's investigator)", helpValue: 'NAME'}),
  }

  static override fieldFlags = {tsaCaFiles: 'tsa-ca'}

  async run(): Promise<TimestampReport> {
    const {flags} = await this.parse(Timestamp)
    const asked = {tsa: flags.tsa ?? [], tsaCaFiles: flags['tsa-ca'] ?? []}
    // No TSA or no root to trust is said before the passphrase is asked for.
    const {kase: opened, checked: chosen} = await this.unlockCase(flags.case, flags['passphrase-file'], 'timestamp', {check: (k) => chooseTsas(k, asked)})
    using kase = opened
    const interrupt = this.interruptible('Stopping: nothing will be recorded (Ctrl-C again to stop now)...')
    try {
      const options = {...asked, timeoutMs: flags.timeout * 1000, signal: interrupt.signal, ...(flags.actor === undefined ? {} : {actor: flags.actor})}
      const report = await stampCase(kase, options, chosen)
      this.log(renderTimestamp(report))
      if (report.status === 'waiting') process.exitCode = 1
      return report
    } finally {
      interrupt.release()
    }
  }
}
