/** Check 2 of `custody verify ARCHIVE`, bagit: bagit.txt declares BagIt 1.0 in UTF-8 (RFC 8493 §2.1.1). */
import {BAGIT_TXT} from '../../seal/bagit.js'
import {BAGIT_PATH} from '../../seal/bag-layout.js'
import type {Check} from '../checklist.js'
import {concluded, findings, readSmallText, type ArchiveContext} from './context.js'

export const bagitCheck: Check<ArchiveContext> = {
  name: 'bagit',
  async run(context) {
    const found = findings()
    const declaration = await readSmallText(context, BAGIT_PATH)
    if (declaration !== BAGIT_TXT) {
      found.push({subject: BAGIT_PATH, message: declaration === undefined ? 'missing' : 'does not declare BagIt 1.0 in UTF-8', expected: BAGIT_TXT, ...(declaration === undefined ? {} : {actual: declaration})})
    }

    return concluded(context, found, 'BagIt-Version 1.0, UTF-8')
  },
}
