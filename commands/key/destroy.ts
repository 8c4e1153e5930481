import {Flags} from '@oclif/core'
import {CustodyError} from '../../src/errors.js'
import type {Case} from '../../src/case/case.js'
import {caseKeyMode} from '../../src/keys/case-keys.js'
import {destroyLocalKeys, refuseUnrecoverable, type DestroyResult} from '../../src/keys/destroy.js'
import {CustodyCommand, caseFlag, passphraseFileFlag, prose} from '../_base.js'

export default class KeyDestroy extends CustodyCommand {
  static override args = {}

  static override description = prose`Destroy every local key of the case, in under a second.

For a laptop about to be taken. First a keys-destroyed event is recorded (and its checkpoint
signed, as after any command); then the signing key files, the case identity, the address key
and the witness identity key (.custody/keys/) are overwritten with random bytes and removed. From
then on no passphrase opens the case and nothing more can be added to it; each recipient's
identity still opens its content and its witnesses' identities (the files encrypted to the
recipients, *.recipients.age, and recipients.txt are kept), and \`custody verify\` still checks it.

An encrypted case with no recipient but its own case identity is refused (exit 2, before
anything is asked): nobody could open it afterwards. Add HQ's recipient first (\`custody key
add-recipient\`), or give --unrecoverable when that is what is wanted.

On a terminal it asks for confirmation; a script gives --yes. Overwriting is best-effort: on an
SSD, copies of the old bytes may survive in flash (wear levelling). Full-disk encryption is what
protects against that (README "Destroying the keys").`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Destroy the keys, after confirming on the terminal'},
    {command: '<%= config.bin %> <%= command.id %> --yes --reason "checkpoint ahead"', description: 'Destroy the keys from a script'},
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    yes: Flags.boolean({description: 'destroy without asking for confirmation (for scripts)', default: false}),
    reason: Flags.string({description: 'why the keys were destroyed (recorded in the ledger)', helpValue: 'TEXT'}),
    unrecoverable: Flags.boolean({description: 'destroy the keys of a case that has no HQ recipient, so that nobody can open its content again', default: false}),
  }

  async run(): Promise<DestroyResult> {
    const {flags} = await this.parse(KeyDestroy)
    const onTerminal = Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY)
    if (!flags.yes && !onTerminal) {
      throw new CustodyError('USAGE', '`custody key destroy` asks for confirmation on a terminal, and there is none: give --yes to destroy the keys from a script. Nothing was done')
    }

    const check = async (k: Case): Promise<true> => {
      refuseUnrecoverable(k, flags.unrecoverable)
      return flags.yes || this.confirmDestroy()
    }

    const {kase: opened, passphrase} = await this.unlockCase(flags.case, flags['passphrase-file'], 'key destroy', {check})
    using kase = opened
    const result = await destroyLocalKeys(kase, {reason: flags.reason, passphrase, unrecoverable: flags.unrecoverable})
    this.log(
      [
        `Destroyed the case's local keys (ledger event #${result.seq}): ${result.files.join(', ')}.`,
        caseKeyMode(kase) === 'none'
          ? 'No passphrase opens the case now, and nothing can be added to it; its vault is in clear (a case made with --plaintext, or before case keys).'
          : "No passphrase opens the case now; a recipient's identity opens its content (`custody key show` lists them).",
        'On an SSD, copies of the old bytes may survive in flash: full-disk encryption is what protects against that.',
      ].join('\n'),
    )
    return result
  }

  /** Asks on the terminal; a no (or Ctrl-C) stops the command before the passphrase is asked for. */
  private async confirmDestroy(): Promise<true> {
    const {confirm} = await import('@inquirer/prompts')
    const yes = await confirm(
      {message: "Destroy this case's signing key, case identity, address key and witness identity key? No passphrase will open the case again; only its recipients' identities will.", default: false},
      {output: process.stderr},
    ).catch(() => false)
    if (!yes) throw new CustodyError('INTERRUPTED', 'the keys were not destroyed: not confirmed. Nothing was done')
    return true
  }
}
