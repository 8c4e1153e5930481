/**
 * Check 6 of `custody verify ARCHIVE`, contents: every file of the bag is one the signed statement
 * accounts for (bag-layout.ts says which): the exhibits' files (the statement check named them),
 * the custody files it names under data/, the tag files, README.txt with the SHA-256 it states,
 * and bag-info.txt exactly as the statement implies. A file nobody vouches for would pass a
 * validator of the manifests alone.
 */
import {isRecord} from '../../formats/guards.js'
import {BAG_INFO_PATH, bagInfoSourceOf, CHECKER_PATH, README_PATH, sealBagInfo, smallFileLimit, STATEMENT_PATH, statedCustodyFiles, TAG_FILES} from '../../seal/bag-layout.js'
import type {Check, Finding} from '../checklist.js'
import type {ProblemList} from '../problem-list.js'
import {concluded, findings, type ArchiveContext} from './context.js'

/** The first line where two texts differ, for a problem's expected and actual. */
export function firstDifference(expected: string, actual: string): {expected: string; actual: string} {
  const a = expected.split('\n')
  const b = actual.split('\n')
  const i = a.findIndex((line, n) => line !== b[n])
  const at = i < 0 ? a.length : i
  return {expected: a[at] ?? '(end of file)', actual: b[at] ?? '(end of file)'}
}

/** Files the statement does not name, and named files larger than any genuine one (which were not read). */
function checkAccounted(context: ArchiveContext, found: ProblemList<Finding>): void {
  const {files, statement} = context
  const custodyFiles = statedCustodyFiles(statement)
  for (const message of custodyFiles.problems) found.push({subject: STATEMENT_PATH, message})
  for (const name of custodyFiles.files) files.statedFile(name)
  for (const name of files.unnamed('', 'stated')) {
    if (TAG_FILES.includes(name)) continue
    found.push({
      subject: name,
      message: name.startsWith('data/') ? 'is in the payload, but the seal statement does not name it: nothing vouches for it' : 'is not a file of a sealed bag: nothing vouches for it',
    })
  }

  for (const name of [...TAG_FILES, ...custodyFiles.files]) {
    const file = files.get(name)
    const limit = smallFileLimit(name)
    if (file !== undefined && limit !== undefined && file.size > limit) {
      found.push({subject: name, message: `${file.size} bytes, more than any genuine file of its kind can have (${limit}): it was not read`})
    }
  }
}

/** README.txt, verify-bag.py and bag-info.txt, against what the statement states of them. */
function checkStatedTagFiles(context: ArchiveContext, found: ProblemList<Finding>): void {
  const {files, statement} = context
  const stated = [
    {path: README_PATH, as: statement.readme, changed: 'is not the README the seal statement states: its instructions were changed'},
    {path: CHECKER_PATH, as: statement.checker, changed: 'is not the checker the seal statement states: the program a reader would run was changed'},
  ]
  for (const {path, as, changed} of stated) {
    const sha256 = isRecord(as) ? as.sha256 : undefined
    const file = files.get(path)
    if (file === undefined) found.push({subject: path, message: 'missing'})
    else if (file.sha256 !== sha256) found.push({subject: path, message: changed, expected: String(sha256), actual: file.sha256})
  }

  const source = bagInfoSourceOf(statement)
  if (typeof source === 'string') {
    found.push({subject: BAG_INFO_PATH, message: `cannot be compared with the seal statement: ${source}`})
  } else {
    const expected = sealBagInfo(source, context.payload)
    if (context.bagInfo !== expected) found.push({subject: BAG_INFO_PATH, message: 'says other than the seal statement it must repeat', ...firstDifference(expected, context.bagInfo)})
  }
}

export const contentsCheck: Check<ArchiveContext> = {
  name: 'contents',
  run(context) {
    const found = findings()
    checkAccounted(context, found)
    checkStatedTagFiles(context, found)
    return concluded(context, found, 'every file is one the seal statement accounts for; README.txt, verify-bag.py and bag-info.txt as it states')
  },
}
