/** An Ed25519 signer held in memory, for unit tests of what signs (the key file has its own tests). */
import {generateKeyPairSync} from 'node:crypto'
import {signerFrom, type Signer} from '../../src/keys/signing-key.js'

export function memorySigner(): Signer {
  return signerFrom(generateKeyPairSync('ed25519').privateKey)
}
