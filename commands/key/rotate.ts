import {Flags} from '@oclif/core'
import {checkNewPassphrase, passphraseFromFileOrEnv} from '../../src/keys/passphrase.js'
import {rotateSigningKey, type RotationResult} from '../../src/keys/rotate.js'
import {CustodyCommand, caseFlag, passphraseFileFlag, prose} from '../_base.js'

export default class KeyRotate extends CustodyCommand {
  static override args = {}

  static override description = prose`Replace the case's signing key with a new one.

Records a key-rotated event naming the key it replaces and why. The checkpoint over that event is
signed by the old key, which so vouches for the new one; every later checkpoint and seal is signed
by the new key, and \`custody verify\` refuses a later checkpoint signed by the old one. Rotate when
the investigator changes, when the passphrase may have been seen, or when the laptop was out of
your hands.

The current passphrase opens the old key (at a prompt, a wrong one is asked again, three times in
all). The new key is protected by --new-passphrase-file, or a prompt on a terminal (asked twice,
and again for one shorter than 8 characters or typed differently), or, when neither is given and
there is no terminal, the same passphrase.
A new passphrase also takes over the witness identity key, so one passphrase opens the case.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --reason "laptop held at the border for two hours"', description: 'Rotate after the laptop was out of your hands'},
    {
      command: '<%= config.bin %> <%= command.id %> --reason "case handed over" --holder "M. Sokolova" --new-passphrase-file new-pass.txt',
      description: 'Hand the case to another investigator',
    },
  ]

  static override flags = {
    case: caseFlag,
    'passphrase-file': passphraseFileFlag,
    'new-passphrase-file': Flags.string({description: 'read the passphrase for the new key from this file', helpValue: 'FILE'}),
    reason: Flags.string({description: 'why the key is replaced (recorded in the ledger)', required: true, helpValue: 'TEXT'}),
    holder: Flags.string({description: "who holds the new key (default: the case's investigator)", helpValue: 'NAME'}),
  }

  async run(): Promise<RotationResult> {
    const {flags} = await this.parse(KeyRotate)
    // Usage, then the case, then the passphrase: a new passphrase from a file is read and checked first.
    const fromFile = await passphraseFromFileOrEnv(flags['new-passphrase-file'], {})
    if (fromFile !== undefined) checkNewPassphrase(fromFile)
    // The current passphrase opens the old key first: at a prompt, a wrong one is asked again.
    const {kase: opened, passphrase: current} = await this.unlockCase(flags.case, flags['passphrase-file'], 'key rotate')
    using kase = opened
    const next = fromFile ?? (process.stdin.isTTY && process.stderr.isTTY ? await this.newPassphrase(undefined, 'key rotate (the new key)', {env: {}}) : current)
    const result = await rotateSigningKey(kase, {passphrase: next, currentPassphrase: current, reason: flags.reason, ...(flags.holder === undefined ? {} : {holder: flags.holder})})
    this.log(`Rotated the signing key (ledger event #${result.seq}):\n  replaced   ${result.previous}\n  now        ${result.current}\n  reason     ${result.reason}`)
    return result
  }
}
