/**
 * The files and folders an operating system writes onto a card or a disk for its own bookkeeping:
 * a folder walk leaves them out (inputs.ts), says how many, and takes them when asked to
 * (`includeSystemFiles`). A path named on its own is always taken: whoever named it asked for it.
 *
 * Only what is never evidence is on the list: an index, a cache, a marker, the settings of a
 * folder window. A camera writes nothing that qualifies (DCIM and its .THM thumbnails, MISC with
 * its print orders, PRIVATE with Sony's AVCHD videos, a GoPro's MISC/version.txt all say something
 * of the device or are the recordings themselves), so no camera folder is on it. Names are matched
 * without regard to case: FAT and exFAT cards, and macOS and Windows disks, do not tell case apart.
 *
 * A trash folder is on the list because the issue that asked for the list named it, but what it
 * holds are a user's deleted files, which may be evidence: a skipped trash says how many files it
 * holds, and the report names it (see SystemEntry.files). So do Thumbs.db and AppleDouble files
 * (`._*`) keep traces of deleted pictures and of where a file came from: what a forensic examiner
 * wants from a card is a forensic image of it, not an ingest.
 */
import {opendir} from 'node:fs/promises'
import {join} from 'node:path'

/** A system file or folder a walk left out. */
export interface SystemEntry {
  path: string
  /** What it is, in words ("the Spotlight index of macOS"). */
  what: string
  /** A trash folder: what it holds are deleted files, which may be evidence. */
  trash: boolean
  /** For a trash folder, the files it holds (null when it cannot be listed); null for anything else. */
  files: number | null
}

type Kind = 'folder' | 'file'

/** Folders, by their name in lower case. */
const FOLDERS: ReadonlyMap<string, {what: string; trash?: true}> = new Map([
  ['.spotlight-v100', {what: 'the Spotlight index of macOS'}],
  ['.fseventsd', {what: 'the file-system event log of macOS'}],
  ['.temporaryitems', {what: 'the temporary files of macOS'}],
  ['.documentrevisions-v100', {what: 'the document version store of macOS'}],
  ['.trashes', {what: 'the trash of macOS', trash: true}],
  ['.trash', {what: 'the trash of macOS', trash: true}],
  ['$recycle.bin', {what: 'the recycle bin of Windows', trash: true}],
  ['system volume information', {what: "Windows' restore points and search index"}],
])

/** Files, by their name in lower case. */
const FILES: ReadonlyMap<string, string> = new Map([
  ['.ds_store', "the Finder's folder settings (macOS)"],
  ['.apdisk', 'the AirPort disk settings of macOS'],
  ['.volumeicon.icns', 'the volume icon of macOS'],
  ['.com.apple.timemachine.donotpresent', 'a Time Machine marker of macOS'],
  ['.metadata_never_index', 'a Spotlight marker of macOS'],
  ['thumbs.db', "Windows' thumbnail cache"],
  ['ehthumbs.db', "Windows Media Center's thumbnail cache"],
  ['ehthumbs_vista.db', "Windows Media Center's thumbnail cache"],
  ['desktop.ini', "Windows' folder settings"],
  ['.nomedia', "Android's marker that keeps a folder out of the gallery"],
])

/** What the entry is, when it is a system file or folder; undefined when it is not one. */
export function systemEntryOf(name: string, kind: Kind): {what: string; trash: boolean} | undefined {
  const lower = name.toLowerCase()
  if (kind === 'folder') {
    const folder = FOLDERS.get(lower)
    if (folder !== undefined) return {what: folder.what, trash: folder.trash === true}
    // The freedesktop.org trash of a removable disk, one per user: .Trash-1000.
    return /^\.trash-\d+$/.test(lower) ? {what: 'the trash of a Linux desktop', trash: true} : undefined
  }

  const what = FILES.get(lower)
  if (what !== undefined) return {what, trash: false}
  // AppleDouble: the resource fork and extended attributes macOS keeps of `name` without `._`.
  return lower.startsWith('._') && lower.length > 2 ? {what: `macOS's extended attributes of ${name.slice(2)}`, trash: false} : undefined
}

/** The files under a folder, however deep (symlinks counted, not followed); null when some part of it cannot be listed. */
export async function countFiles(dir: string): Promise<number | null> {
  let count = 0
  try {
    for await (const entry of await opendir(dir)) {
      if (!entry.isDirectory()) {
        count++
        continue
      }

      const inner = await countFiles(join(dir, entry.name))
      if (inner === null) return null
      count += inner
    }
  } catch {
    return null
  }

  return count
}
