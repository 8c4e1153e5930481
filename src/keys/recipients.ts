/**
 * HQ recipients as a command is given them: age1… strings, and an age recipients file (age's
 * format, src/age/key-files.ts). A comment line just above a recipient in the file is its label
 * (as recipients.txt writes one). Anything refused is wrong usage (exit 2), naming the file and
 * its line: a recipient is typed or pasted by a person, not found damaged on disk.
 */
import {readFile} from 'node:fs/promises'
import {parseRecipientsFile} from '../age/key-files.js'
import {parseRecipient, type AgeRecipient} from '../age/x25519.js'
import {CustodyError, fields, messageOf, said} from '../errors.js'

/** The recipients a command is given, as its errors name them. */
export const RECIPIENTS = fields({recipient: 'the recipient', recipientsFile: 'the recipients file', field: 'field mode'})

export interface GivenRecipients {
  recipients: AgeRecipient[]
  /** Labels by age1… text: the label given, or the comment above the recipient in its file. */
  labels: Map<string, string>
}

/** Each recipient line's label: the comment line just above it, if there is one. */
function labelsOf(text: string): Map<string, string> {
  const labels = new Map<string, string>()
  const lines = text.split('\n').map((line) => line.trim())
  lines.forEach((line, i) => {
    const above = lines[i - 1]
    if (line.startsWith('age1') && above?.startsWith('#') === true && above.slice(1).trim() !== '') labels.set(line, above.slice(1).trim())
  })
  return labels
}

async function readRecipientsGiven(path: string): Promise<GivenRecipients> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new CustodyError('INVALID_ARGUMENT', said`${RECIPIENTS.recipientsFile} ${path} cannot be read: ${messageOf(error)}`, {subject: path, cause: error})
  }

  try {
    return {recipients: parseRecipientsFile(text, path), labels: labelsOf(text)}
  } catch (error) {
    if (!(error instanceof CustodyError)) throw error
    throw new CustodyError('INVALID_ARGUMENT', error.message, {subject: path, cause: error})
  }
}

/** The recipients given, each checked, without repeats; `label` names those given as strings. */
export async function readGivenRecipients(given: {recipient?: readonly string[] | undefined; recipientsFile?: string | undefined; label?: string | undefined}): Promise<GivenRecipients> {
  const typed = (given.recipient ?? []).map((text, i) => parseRecipient(text.trim(), `recipient ${i + 1} given`))
  const labels = new Map<string, string>()
  const label = given.label?.trim()
  if (label !== undefined && label !== '') for (const r of typed) labels.set(r.text, label)
  const fromFile = given.recipientsFile === undefined ? {recipients: [], labels: new Map<string, string>()} : await readRecipientsGiven(given.recipientsFile)
  for (const [text, fileLabel] of fromFile.labels) if (!labels.has(text)) labels.set(text, fileLabel)
  const seen = new Set<string>()
  return {recipients: [...typed, ...fromFile.recipients].filter((r) => !seen.has(r.text) && seen.add(r.text)), labels}
}

/** A field case needs a recipient: without one, nothing could ever open what it collects. */
export function checkFieldRecipients(field: boolean, recipients: readonly AgeRecipient[]): void {
  if (field && recipients.length === 0) {
    throw new CustodyError(
      'USAGE',
      said`${RECIPIENTS.field} needs at least one recipient (${RECIPIENTS.recipient} or ${RECIPIENTS.recipientsFile}): no key on the laptop opens a field case's content, so without one nothing could. Nothing was done`,
    )
  }
}
