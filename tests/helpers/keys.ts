/** An Ed25519 signer held in memory, for unit tests of what signs (the key file has its own tests). */
import {createPublicKey, generateKeyPairSync, sign} from 'node:crypto'
import {fingerprintOf, type Signer} from '../../src/keys/signing-key.js'

export function memorySigner(): Signer {
  const {privateKey} = generateKeyPairSync('ed25519')
  const spki = createPublicKey(privateKey).export({type: 'spki', format: 'der'})
  return {algorithm: 'Ed25519', fingerprint: fingerprintOf(spki), spki, sign: (message) => sign(null, message, privateKey)}
}
