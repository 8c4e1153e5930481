/**
 * --key, --tsa-ca and --identity, for the commands that verify a sealed archive before making
 * something of it (`export case-uco`, `report`; `verify` gives the same flags): the signer and the
 * TSA roots the person running the command trusts, and the age identities that open an archive
 * encrypted for transport, read into what the archive verifier takes.
 */
import {Flags} from '@oclif/core'
import {readIdentityFiles} from '../src/age/key-files.js'
import {readTrustedRoots} from '../src/case/settings.js'
import {parseFingerprint} from '../src/keys/signing-key.js'
import {parsePemCertificates} from '../src/timestamps/token.js'
import type {VerifyArchiveOptions} from '../src/verify/verify-archive.js'

export const ARCHIVE_TRUST_FLAGS = {
  key: Flags.string({description: 'the fingerprint of a signing key you expect (SHA256:<64 hex>), as for `custody verify`; repeatable', multiple: true, helpValue: 'FINGERPRINT'}),
  'tsa-ca': Flags.string({description: 'a PEM file of TSA root certificates you trust, as for `custody verify` (repeatable)', multiple: true, helpValue: 'FILE'}),
}

/** --identity of these commands: what opens an archive encrypted for transport (FILE.zip.age). */
export const ARCHIVE_IDENTITY_DESCRIPTION = "an age identity file (age-keygen's output) that opens an encrypted ARCHIVE (FILE.zip.age, as `custody seal --encrypt-to` writes it), decrypted in memory only; repeatable"

/** The verifier's options of --key, --tsa-ca and --identity: only those given. */
export async function archiveTrust(flags: {
  key?: string[] | undefined
  'tsa-ca'?: string[] | undefined
  identity?: string[] | undefined
}): Promise<Pick<VerifyArchiveOptions, 'pinnedKeys' | 'tsaRoots' | 'identities'>> {
  const pinnedKeys = flags.key?.map((k) => parseFingerprint(k))
  const roots = flags['tsa-ca'] === undefined ? undefined : (await readTrustedRoots(flags['tsa-ca'])).flatMap((r) => parsePemCertificates(r.pem))
  const identities = await readIdentityFiles(flags.identity)
  return {...(pinnedKeys === undefined ? {} : {pinnedKeys}), ...(roots === undefined ? {} : {tsaRoots: roots}), ...(identities === undefined ? {} : {identities})}
}
