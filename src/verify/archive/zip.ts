/**
 * Check 1 of `custody verify ARCHIVE`, zip: a structure no other reader can read differently
 * (src/zip/structure.ts: one end record, entries tiling the file, local headers agreeing with the
 * central directory, every CRC-32, names every reader decodes alike), one top folder, no duplicate
 * names (also after Unicode normalisation, and as CP437 readers read a name not flagged UTF-8), no
 * symlinks, no `..`, absolute names or backslashes, no zip bomb. It runs in two parts: the listing
 * and its layout, then every file read and hashed once, which the checks after it use instead of
 * reading the files again.
 *
 * For a bag folder (`custody verify FOLDER`) the same two parts are the folder check: its files
 * listed without following links (src/folder/reader.ts: only files and folders, nothing on
 * another file system, UTF-8 names), the same layout checks, then every file read once.
 */
import {entryProblems, MAX_RATIO, ZipStructureError, type ZipEntryInfo} from '../../zip/reader.js'
import {messageOf} from '../../errors.js'
import type {Check, CheckResult} from '../checklist.js'
import {MACOS_ASIDE, type BagIndex} from './bag-index.js'
import {concluded, findings, type ArchiveContext, type SourceKind} from './context.js'

/**
 * What other readers or tools show otherwise than custody read it, for the report's warnings
 * (none changes what the bag holds): names not flagged UTF-8, names stored in NFD, and macOS's
 * AppleDouble files left aside.
 */
export function nameWarnings(source: SourceKind, notes: ReturnType<BagIndex['nameNotes']>): string[] {
  const names = (n: {count: number; first: string | undefined}): string => (n.count === 1 ? `the name ${JSON.stringify(n.first)} is` : `${n.count} names (the first ${JSON.stringify(n.first)}) are`)
  const {unflagged, decomposed, aside} = notes
  const warnings: string[] = []
  if (unflagged.count > 0) {
    warnings.push(
      `${source}: ${names(unflagged)} not flagged UTF-8 (Info-ZIP's zip never flags them): custody, unzip and 7-Zip read them as UTF-8, but Python's zipfile and Windows' own extractor read such names in a code page and would extract them under other names; extract with unzip or 7-Zip`,
    )
  }

  if (decomposed.count > 0) {
    warnings.push(
      `${source}: ${names(decomposed)} stored decomposed (Unicode NFD, as macOS writes names) where the manifests and the seal statement give them composed (NFC): the same names, checked as such, but on Linux and Windows sha256sum -c and verify-bag.py will not find these files${source === 'zip' ? ' once unzipped' : ''} (on macOS they will)`,
    )
  }

  if (aside.count > 0) {
    warnings.push(`${source}: ${aside.count} AppleDouble files under ${MACOS_ASIDE}/ (resource forks and extended attributes, which macOS's Finder and ditto add beside what they zip) are not part of the bag: left aside`)
  }

  return warnings
}

/** A ZIP that cannot be opened, or whose structure or central directory cannot be trusted. */
export function unreadableZip(path: string, error: unknown): CheckResult {
  const problem =
    error instanceof ZipStructureError
      ? {subject: error.subject, message: error.message}
      : {subject: path, message: `not a readable ZIP: ${messageOf(error)} (truncated, damaged, or holding an unsafe name)`}
  return {status: 'failed', detail: 'unreadable', problems: [problem], halt: true}
}

/**
 * The listing: each entry on its own, then the layout of them all. Halts when the ZIP (or the
 * folder) cannot be trusted. For a folder the source itself finds what is wrong with an entry on
 * its own (a link, a special file, a name that is not UTF-8: src/folder/reader.ts).
 */
function listingCheck(kind: SourceKind): Check<ArchiveContext> {
  return {
    name: kind,
    async run(context) {
      const found = findings()
      const litter: {count: number; first?: string} = {count: 0}
      try {
        context.entryCount = await context.source.list(
          (info) => {
            context.files.addEntry(info)
            for (const message of entryProblems(info)) found.push({subject: info.name, message})
          },
          (subject, message) => found.push({subject, message}),
          (name, what) => {
            litter.count++
            litter.first ??= `${name} (${what})`
          },
        )
      } catch (error) {
        return kind === 'zip' ? unreadableZip(context.path, error) : {status: 'failed', detail: 'unreadable', problems: [{subject: context.path, message: `cannot be read: ${messageOf(error)}`}], halt: true}
      }

      const {problems: layout, top} = context.files.layoutProblems(context.size, MAX_RATIO)
      found.push(...layout)
      const notes = context.files.nameNotes()
      const aside = notes.aside.count > 0 ? `; ${notes.aside.count} AppleDouble files under ${MACOS_ASIDE}/ left aside` : ''
      const result = concluded(context, found, `${context.entryCount} entries${top ? `, one bag folder ${top}/` : ''}${aside}`)
      if (found.length === 0) context.warnings.push(...nameWarnings(kind, notes))
      if (litter.count > 0) {
        context.warnings.push(
          `${kind}: ${litter.count} file${litter.count === 1 ? '' : 's'} that a file manager writes into the folders it shows (the first: ${litter.first}) ${litter.count === 1 ? 'is' : 'are'} no part of the bag, which no manifest lists: left aside (bagit.py and verify-bag.py count ${litter.count === 1 ? 'it' : 'them'} as files added: remove ${litter.count === 1 ? 'it' : 'them'}, or check the ZIP)`,
        )
      }
      // The report names the bag folder even when the ZIP fails, if it has exactly one.
      context.bag = top
      return top === undefined || found.length > 0 ? {...result, status: 'failed', halt: true} : result
    },
  }
}

export const zipCheck = listingCheck('zip')
export const folderCheck = listingCheck('folder')

/**
 * Every file hashed once, straight from the ZIP (its CRC-32 checked) or the folder: what is read
 * again later must be what was hashed now. Listed in the report only when it fails (as a second
 * zip or folder line), since the listing's line already says what a sound ZIP holds.
 */
function entriesCheck(kind: SourceKind): Check<ArchiveContext> {
  return {
    name: kind,
    async run(context) {
      const {files, options} = context
      const top = context.bag ?? ''
      // Inside the bag, names are compared in NFC (the manifests' and the statement's form: macOS
      // writes NFD), which cannot make two files one: names equal after normalisation are refused.
      const inBag = (info: ZipEntryInfo): string | null => (info.name.startsWith(`${top}/`) ? info.name.slice(top.length + 1).normalize('NFC') : null)
      const unreadable: Array<{info: ZipEntryInfo; error: string}> = []
      const fileCount = files.fileCount()
      const {keep} = options
      await options.beforeDigests?.((path, maxBytes) => readUnchecked(context, (info) => inBag(info) === path, maxBytes))
      await context.source.digestEach(
        () => files.fileEntries(),
        (info, result) => {
          if ('digest' in result) files.setDigest(info, inBag(info), result.digest)
          else unreadable.push({info, error: result.error})
        },
        (done) => options.onProgress?.(done, fileCount),
        keep === undefined
          ? undefined
          : (info) => {
              const path = inBag(info)
              return path === null ? undefined : keep(path, info.uncompressedSize)
            },
      )
      const found = findings()
      for (const {info, error} of unreadable.sort((a, b) => a.info.index - b.info.index)) found.push({subject: info.name, message: `cannot be read: ${error}`})
      if (found.length > 0) return {...concluded(context, found, 'entries unreadable'), halt: true}
      context.payload = files.payload()
      return concluded(context, found, `${fileCount} files read and hashed`)
    },
  }
}

/**
 * The first file of the bag that `matches`, read whole before anything is hashed (for
 * `beforeDigests`): undefined when there is none, or when it is larger than `maxBytes` (as listed
 * or as read).
 */
async function readUnchecked(context: ArchiveContext, matches: (info: ZipEntryInfo) => boolean, maxBytes: number): Promise<Buffer | undefined> {
  let found: ZipEntryInfo | undefined
  for (const info of context.files.fileEntries()) {
    if (!matches(info)) continue
    found = info
    break
  }

  if (found === undefined || found.uncompressedSize > maxBytes) return undefined
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of context.source.chunks(found)) {
    size += chunk.length
    if (size > maxBytes) return undefined
    parts.push(Buffer.from(chunk))
  }

  return Buffer.concat(parts)
}

export const zipEntriesCheck = entriesCheck('zip')
export const folderEntriesCheck = entriesCheck('folder')
