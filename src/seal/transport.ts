/**
 * A sealed archive encrypted for transport (`custody seal --encrypt-to`): the same ZIP, byte for
 * byte, delivered as an age v1 file (FILE.zip.age) to one or more recipients, so that only they
 * can open it (`age -d -i KEY FILE.zip.age > FILE.zip`). The ZIP writer encrypts as it writes
 * (src/zip/writer.ts): no plaintext ZIP is ever on disk. The ledger records the ZIP (its name and
 * SHA-256), as for a seal in clear; the report adds the encrypted file's size and SHA-256.
 */
import {readRecipientsFile} from '../age/key-files.js'
import {parseRecipient, type AgeRecipient} from '../age/x25519.js'

/** What the recipients are given as: age1… strings, and an age recipients file. */
export interface TransportKeys {
  encryptTo?: readonly string[] | undefined
  recipientsFile?: string | undefined
}

/** The recipients to encrypt to, each checked (none: the seal is in clear). */
export async function transportRecipients(keys: TransportKeys): Promise<AgeRecipient[]> {
  const given = (keys.encryptTo ?? []).map((text, i) => parseRecipient(text.trim(), `recipient ${i + 1} to encrypt to`))
  const fromFile = keys.recipientsFile === undefined ? [] : await readRecipientsFile(keys.recipientsFile)
  const seen = new Set<string>()
  return [...given, ...fromFile].filter((recipient) => !seen.has(recipient.text) && seen.add(recipient.text))
}

/** The file a seal delivers: the ZIP at `out`, or, encrypted, `out` with `.age` added. */
export function deliveredPath(out: string, recipients: readonly AgeRecipient[] | undefined): string {
  return recipients !== undefined && recipients.length > 0 ? `${out}.age` : out
}
