/**
 * Check 5 of `custody verify ARCHIVE`, statement: the seal statement (data/custody/seal.json) is
 * read, and each exhibit it states is in the payload, in its own folder, with the digests and size
 * it states. The statement grows with the case, so it is read as a stream (statement-reader.ts):
 * each exhibit is checked as it comes, and its stated digests go to the index for the events
 * check. The rest of the statement is kept in the context for every check after this one.
 */
import {createHash} from 'node:crypto'
import {messageOf} from '../../errors.js'
import {isRecord} from '../../formats/guards.js'
import {BAG_LIMITS, STATEMENT_PATH} from '../../seal/bag-layout.js'
import type {Check, Finding} from '../checklist.js'
import type {ProblemList} from '../problem-list.js'
import type {BagIndex} from './bag-index.js'
import {concluded, findings, type ArchiveContext} from './context.js'
import {readStatement} from './statement-reader.js'

/** An exhibit's original against the file of the bag it names. */
function checkOriginal(files: BagIndex, x: Record<string, unknown>, id: string, original: string, found: ProblemList<Finding>): void {
  const file = files.statedFile(original)
  if (file === undefined) {
    found.push({subject: id, message: `its original ${original} is not in the bag`})
    return
  }

  if (file.times > 1) found.push({subject: id, message: `its original ${original} is named by another exhibit of the statement too`})
  for (const field of ['sha256', 'sha512'] as const) {
    if (file[field] !== x[field]) {
      found.push({subject: id, message: `the seal statement's ${field === 'sha256' ? 'SHA-256' : 'SHA-512'} does not match ${original}`, expected: String(x[field]), actual: file[field]})
    }
  }

  if (file.size !== x.size) found.push({subject: id, message: 'the stated size does not match', expected: String(x.size), actual: String(file.size)})
}

/** One exhibit as the statement states it. */
export function checkStatedExhibit(files: BagIndex, x: Record<string, unknown>, order: number, found: ProblemList<Finding>): void {
  const id = String(x.exhibit)
  files.addStatedExhibit(id, order, x.sha256, x.sha512, x.size)
  // An exhibit's files are in its own folder: a statement cannot make a custody file an exhibit.
  const folder = `data/exhibits/${id}/`
  const original = String(x.path)
  if (!original.startsWith(`${folder}original/`) || original.slice(folder.length + 9).includes('/') || x.metadataPath !== `${folder}metadata.json`) {
    found.push({subject: id, message: `its files are not in its own folder ${folder}`, actual: `${original}, ${String(x.metadataPath)}`})
    return
  }

  checkOriginal(files, x, id, original, found)
  const record = files.statedFile(String(x.metadataPath))
  if (record === undefined) found.push({subject: id, message: `its metadata record ${String(x.metadataPath)} is not in the bag`})
  else if (record.times > 1) found.push({subject: id, message: `its metadata record ${String(x.metadataPath)} is named by another exhibit of the statement too`})
  else if (record.sha256 !== x.metadataRecord) {
    found.push({subject: id, message: 'its metadata record is not the one the seal states', expected: String(x.metadataRecord), actual: record.sha256})
  }
}

/** The statement without its exhibits, each exhibit checked on the way; throws when it cannot be read. */
async function readCheckedStatement(context: ArchiveContext, found: ProblemList<Finding>): Promise<Record<string, unknown>> {
  const file = context.files.get(STATEMENT_PATH)
  if (file === undefined) throw new Error('missing or not an object')
  const read = createHash('sha256')
  const parsed = await readStatement(
    context.source.chunks(file.info, (chunk) => read.update(chunk)),
    (x) => {
      if (!isRecord(x)) return
      checkStatedExhibit(context.files, x, context.exhibitCount++, found)
    },
    {element: BAG_LIMITS.statementExhibit, rest: BAG_LIMITS.statementRest},
  )
  if (!isRecord(parsed)) throw new Error('missing or not an object')
  if (read.digest('hex') !== file.sha256) throw new Error('it changed while it was being checked: read again, it is not the file hashed first')
  return parsed
}

export const statementCheck: Check<ArchiveContext> = {
  name: 'statement',
  async run(context) {
    const found = findings()
    try {
      context.statement = await readCheckedStatement(context, found)
    } catch (error) {
      found.push({subject: STATEMENT_PATH, message: `cannot be read: ${messageOf(error)}`})
      context.statement = {}
    }

    const {sealId} = context.statement
    context.sealId = typeof sealId === 'string' ? sealId : null
    return concluded(context, found, `${context.exhibitCount} exhibit${context.exhibitCount === 1 ? '' : 's'} as the seal ${context.sealId ?? '?'} states them`)
  },
}
