/**
 * A genuine sealed bag for the unit tests of the archive checks (src/verify/archive/): the
 * reference case (fixtures/reference-case) sealed at its reference time, once per test run (the
 * archive is the same byte for byte every time; tests/e2e/reference-seal.test.ts holds it to
 * that), and read into memory entry by entry. A test changes entries as a forger would, writes
 * them with custody's own ZIP writer, and gets the context as the checks before the one it tests
 * leave it. Needs the built CLI (`npm run build`).
 */
import {chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, afterEach} from 'vitest'
import {SafeZip} from '../../../src/zip/reader.js'
import {ZipWriter} from '../../../src/zip/writer.js'
import {runChecklist, type Check, type CheckResult, type Problem} from '../../../src/verify/checklist.js'
import {ProblemList} from '../../../src/verify/problem-list.js'
import {createArchiveContext, type ArchiveContext, type VerifyArchiveOptions} from '../../../src/verify/archive/context.js'
import {zipCheck, zipEntriesCheck} from '../../../src/verify/archive/zip.js'
import {BAG_CHECKS} from '../../../src/verify/verify-archive.js'
import {copyCase, custody, ROOT, tempDir} from '../../helpers/cli.js'

const reference = join(ROOT, 'fixtures', 'reference-case')
/** The TSA root that stamped the reference case, as a user would give it with --tsa-ca. */
export const REFERENCE_TSA_ROOT = join(reference, 'tsa-root.pem')
const cache = join(process.env.XDG_STATE_HOME ?? '', 'verify-archive-unit')
const work = tempDir('custody-archive-checks-')
afterAll(() => work.remove())

/** Git keeps no modes: the ones custody gives a case (folders 700, files 600, vault objects 400). */
function ownModes(path: string, vault = false): void {
  chmodSync(path, 0o700)
  for (const entry of readdirSync(path, {withFileTypes: true})) {
    const full = join(path, entry.name)
    if (entry.isDirectory()) ownModes(full, vault || entry.name === 'vault')
    else chmodSync(full, vault ? 0o400 : 0o600)
  }
}

/** The sealed reference archive, made by the first test file that asks for it. */
async function referenceArchive(): Promise<string> {
  const archive = join(cache, 'reference.zip')
  if (existsSync(archive)) return archive
  mkdirSync(cache, {recursive: true})
  const caseDir = copyCase(join(reference, 'case'), join(work.path, 'case'))
  ownModes(caseDir)
  const passphrase = join(work.path, 'passphrase.txt')
  cpSync(join(reference, 'passphrase.txt'), passphrase)
  chmodSync(passphrase, 0o600)
  const out = join(work.path, 'sealed.zip')
  const sealed = await custody(['seal', '--out', out, '--sealed-at', '2024-06-01T12:00:00Z', '--purpose', 'court', '--note', 'reference', '--case', caseDir, '--passphrase-file', passphrase])
  if (sealed.code !== 0) throw new Error(`the reference case could not be sealed: ${sealed.stderr}`)
  // Test files run in parallel: each that seals puts the same archive in place at once.
  renameSync(out, archive)
  return archive
}

/** A bag: its folder's name and its files by their path inside it, in the order they are zipped. */
export interface Bag {
  folder: string
  files: Map<string, Buffer>
}

/** The reference archive's bag, read into memory. */
export async function referenceBag(): Promise<Bag> {
  const zip = await SafeZip.open(await referenceArchive())
  try {
    const infos: Parameters<Parameters<SafeZip['list']>[0]>[0][] = []
    await zip.list((info) => infos.push(info))
    const files = new Map<string, Buffer>()
    for (const info of infos) {
      if (info.isDirectory) continue
      const chunks: Buffer[] = []
      for await (const chunk of zip.chunks(info)) chunks.push(chunk)
      files.set(info.name.slice(info.name.indexOf('/') + 1), Buffer.concat(chunks))
    }

    return {folder: infos[0]!.name.split('/')[0]!, files}
  } finally {
    zip.close()
  }
}

let written = 0

/** Writes a bag with custody's ZIP writer; `extra` are entries outside it, by their full name. */
export async function zipBag(bag: Bag, extra: Array<[string, Buffer]> = []): Promise<string> {
  const path = join(work.path, `bag-${written++}.zip`)
  const zip = await ZipWriter.create(path, new Date('2024-06-01T12:00:00Z'))
  for (const [name, bytes] of bag.files) await zip.addBytes(`${bag.folder}/${name}`, bytes)
  for (const [name, bytes] of extra) await zip.addBytes(name, bytes)
  await zip.finish()
  return path
}

const open: ArchiveContext[] = []
afterEach(() => {
  for (const context of open.splice(0)) {
    context.files.close()
    context.source.close()
  }
})

/** The context of a written archive, before any check has run (closed after the test). */
export async function contextOf(path: string, options: VerifyArchiveOptions = {}): Promise<ArchiveContext> {
  const zip = await SafeZip.open(path)
  const context = createArchiveContext(path, readFileSync(path).length, zip, options)
  open.push(context)
  return context
}

/** Every check in the report's order. */
const ALL: ReadonlyArray<Check<ArchiveContext>> = [zipCheck, zipEntriesCheck, ...BAG_CHECKS]

/**
 * Runs `check` on the bag (changed by `edit` first) after the checks before it, whose own
 * problems are set aside: the result is what this check alone finds.
 */
export async function runAfterEarlier(check: Check<ArchiveContext>, edit: (bag: Bag) => void = () => {}, options: VerifyArchiveOptions = {}): Promise<{result: CheckResult; context: ArchiveContext}> {
  const bag = await referenceBag()
  edit(bag)
  const context = await contextOf(await zipBag(bag), options)
  await runChecklist(ALL.slice(0, ALL.indexOf(check)), context, new ProblemList<Problem>())
  return {result: await check.run(context), context}
}

/** A text file of the bag, changed. */
export function editText(bag: Bag, name: string, change: (text: string) => string): void {
  const bytes = bag.files.get(name)
  if (bytes === undefined) throw new Error(`the reference bag has no ${name}`)
  bag.files.set(name, Buffer.from(change(bytes.toString('utf8'))))
}

/** The seal statement, changed as JSON (written again as custody writes it). */
export function editStatement(bag: Bag, change: (statement: Record<string, unknown>) => void): void {
  editText(bag, 'data/custody/seal.json', (text) => {
    const statement = JSON.parse(text) as Record<string, unknown>
    change(statement)
    return JSON.stringify(statement, null, 2)
  })
}
