/**
 * --key and --tsa-ca, for the commands that verify a sealed archive before making something of it
 * (`export case-uco`; `report` and `verify` give the same flags): the signer and the TSA roots the
 * person running the command trusts, read into what the archive verifier takes.
 */
import {Flags} from '@oclif/core'
import {readTrustedRoots} from '../src/case/settings.js'
import {parseFingerprint} from '../src/keys/signing-key.js'
import {parsePemCertificates} from '../src/timestamps/token.js'
import type {VerifyArchiveOptions} from '../src/verify/verify-archive.js'

export const ARCHIVE_TRUST_FLAGS = {
  key: Flags.string({description: 'the fingerprint of a signing key you expect (SHA256:<64 hex>), as for `custody verify`; repeatable', multiple: true, helpValue: 'FINGERPRINT'}),
  'tsa-ca': Flags.string({description: 'a PEM file of TSA root certificates you trust, as for `custody verify` (repeatable)', multiple: true, helpValue: 'FILE'}),
}

/** The verifier's options of --key and --tsa-ca: only those given. */
export async function archiveTrust(flags: {key?: string[] | undefined; 'tsa-ca'?: string[] | undefined}): Promise<Pick<VerifyArchiveOptions, 'pinnedKeys' | 'tsaRoots'>> {
  const pinnedKeys = flags.key?.map((k) => parseFingerprint(k))
  const roots = flags['tsa-ca'] === undefined ? undefined : (await readTrustedRoots(flags['tsa-ca'])).flatMap((r) => parsePemCertificates(r.pem))
  return {...(pinnedKeys === undefined ? {} : {pinnedKeys}), ...(roots === undefined ? {} : {tsaRoots: roots})}
}
