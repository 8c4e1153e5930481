/**
 * Check 4 of `custody verify ARCHIVE`, oxum: the Payload-Oxum of bag-info.txt is the payload's
 * byte and file count (RFC 8493 §2.2.2). bag-info.txt is kept in the context: the contents check
 * compares all of it with the statement.
 */
import {BAG_INFO_PATH} from '../../seal/bag-layout.js'
import type {Check} from '../checklist.js'
import {concluded, findings, readSmallText, type ArchiveContext} from './context.js'

/** The labels of bag-info.txt, as `label: value` lines (a label repeated: the last counts). */
function labelsOf(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.includes(':'))
      .map((line) => [line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()]),
  )
}

export const oxumCheck: Check<ArchiveContext> = {
  name: 'oxum',
  async run(context) {
    const found = findings()
    context.bagInfo = (await readSmallText(context, BAG_INFO_PATH)) ?? ''
    const stated = labelsOf(context.bagInfo)['Payload-Oxum']
    const oxum = `${context.payload.bytes}.${context.payload.count}`
    if (stated !== oxum) found.push({subject: BAG_INFO_PATH, message: 'Payload-Oxum does not match the payload', expected: oxum, actual: String(stated ?? 'missing')})
    return concluded(context, found, `Payload-Oxum ${oxum}`)
  },
}
