/**
 * Check 9, `signing key`: the current signing key's file in .custody/keys/ is there and holds the
 * public half and fingerprint that the ledger's last key event records. Its private half needs the
 * passphrase, which verification does not ask for: the next command that signs checks it. Once
 * a `keys-destroyed` event (after the key's) records that `custody key destroy` removed it, its
 * file is meant to be gone.
 */
import {relative} from 'node:path'
import {CASE_FOLDER} from '../../case/case.js'
import {keysDestroyed} from '../../keys/case-keys.js'
import {readKeyFileState} from '../../keys/signing-key.js'
import type {CaseCheck} from './context.js'

export const signingKeyCheck: CaseCheck = {
  name: 'signing key',
  async run({kase, chain}) {
    const key = chain.keys.at(-1)
    // With no sound key event the chain check has already said so.
    if (key === undefined) return {status: 'ok', detail: 'no key recorded in the ledger to check its file against'}
    const state = await readKeyFileState(kase.dataDir, key)
    const subject = `${CASE_FOLDER}/${relative(kase.dataDir, state.path)}`
    const restore = `restore ${subject} from a backup of the case`
    switch (state.status) {
      case 'intact': {
        return {
          status: 'ok',
          detail: `${CASE_FOLDER}/keys/ holds ${key.fingerprint}, the key the ledger records (event ${key.seq}): its public half checked; its private half is encrypted, and only the passphrase can check it (the next command that signs does)`,
        }
      }

      case 'missing': {
        const destroyed = keysDestroyed(kase.ledger)
        if (destroyed !== undefined && destroyed.seq > key.seq) {
          return {status: 'ok', detail: `the key file of ${key.fingerprint} was destroyed on ${destroyed.time.slice(0, 10)}, as event ${destroyed.seq} records (\`custody key destroy\`): nothing more can be added to the case`}
        }

        const message = `the key file of the case's signing key ${key.fingerprint} is missing; ${restore} (until then nothing can be added to the case)`
        return {status: 'failed', detail: 'the key file is missing', problems: [{check: 'key', subject, message, expected: `the key file of ${key.fingerprint}`, actual: 'missing'}]}
      }

      case 'other-key': {
        const message = `the key file holds the key ${state.holds}, not the case's signing key ${key.fingerprint} that the ledger records (event ${key.seq}): it was replaced or edited; ${restore}`
        return {status: 'failed', detail: 'the key file holds another key', problems: [{check: 'key', subject, message, expected: key.fingerprint, actual: state.holds}]}
      }

      default: {
        return {status: 'failed', detail: 'the key file is not a sound key file', problems: [{check: 'key', subject, message: `the key file ${state.problem}; ${restore}`}]}
      }
    }
  },
}
