/**
 * Turns the paths given to `custody ingest` into the list of files to take in.
 *
 * Rules, each said in the output: a missing path fails; a folder needs --recursive; a symlink to
 * a file is followed and both its path and its target are recorded; inside a folder walk a symlink
 * to a folder is not followed (it could loop or leave the folder), and is reported as skipped; a
 * case's own `.custody` folder is never walked into; inside a folder walk the files and folders an
 * operating system keeps for itself (system-files.ts) are left out and reported apart, unless
 * `includeSystemFiles`.
 */
import {lstat, realpath, stat} from 'node:fs/promises'
import {join, relative, resolve, sep} from 'node:path'
import {CustodyError, errnoOf, messageOf, said} from '../errors.js'
import {INGEST} from './fields.js'
import {FolderListing, type EntryKind} from './folder-listing.js'
import {countFiles, systemEntryOf, type SystemEntry} from './system-files.js'

export interface InputFile {
  /** Absolute path, as given (not resolved through symlinks). */
  path: string
  /** Path relative to the folder that was walked, for files found with --recursive. */
  relativePath: string | null
  /** Where a symlink led, when the path is one. */
  symlinkTarget: string | null
  size: number
}

export interface InputProblem {
  path: string
  error: CustodyError
}

export interface SkippedInput {
  path: string
  reason: string
}

export interface CollectedInputs {
  files: InputFile[]
  problems: InputProblem[]
  skipped: SkippedInput[]
}

/** Where walkInputs() puts what it finds, as it finds it. */
export interface InputSink {
  /** Claims a file (by its real path): false when it was claimed before, and is left out. */
  claim(key: string): boolean
  file(file: InputFile): void
  problem(problem: InputProblem): void
  skipped(skipped: SkippedInput): void
  /** A system file or folder a walk left out (not walked into). */
  system(entry: SystemEntry): void
}

export interface WalkOptions {
  recursive: boolean
  cwd?: string
  /** Take, inside folder walks, the files and folders an operating system keeps for itself (system-files.ts). */
  includeSystemFiles?: boolean
}

/** What a folder walk carries down into each folder. */
interface Walk {
  sink: InputSink
  listing: FolderListing
  includeSystemFiles: boolean
}

const CASE_FOLDER = '.custody'

/** The inputs of a few paths, in memory (a testimony's files). */
export async function collectInputs(paths: readonly string[], options: WalkOptions): Promise<CollectedInputs> {
  const out: CollectedInputs = {files: [], problems: [], skipped: []}
  const seen = new Set<string>()
  await walkInputs(paths, options, {
    claim(key) {
      if (seen.has(key)) return false
      seen.add(key)
      return true
    },
    file: (file) => out.files.push(file),
    problem: (problem) => out.problems.push(problem),
    skipped: (skipped) => out.skipped.push(skipped),
    system: ({path, what}) => out.skipped.push({path, reason: `it is ${what}, not evidence`}),
  })
  return out
}

/** Walks the paths given, in order (each folder sorted by name), and hands each file found to the sink. */
export async function walkInputs(paths: readonly string[], options: WalkOptions, sink: InputSink): Promise<void> {
  const cwd = options.cwd ?? process.cwd()
  using listing = new FolderListing()
  const walk: Walk = {sink, listing, includeSystemFiles: options.includeSystemFiles ?? false}
  for (const given of paths) await walkGiven(resolve(cwd, given), options.recursive, walk)
}

/** One path given: a file, a symlink to a file, or (with --recursive) a folder or a symlink to one. */
async function walkGiven(path: string, recursive: boolean, walk: Walk): Promise<void> {
  const {sink} = walk
  let info
  try {
    info = await lstat(path)
  } catch (error) {
    const missing = errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR'
    sink.problem({
      path,
      error: missing
        ? new CustodyError('INPUT_MISSING', `${path} does not exist; check the path`, {subject: path})
        : new CustodyError('INPUT_UNREADABLE', `cannot look at ${path}: ${messageOf(error)}`, {subject: path}),
    })
    return
  }

  let symlinkTarget: string | null = null
  if (info.isSymbolicLink()) {
    const target = await stat(path).catch(() => undefined)
    if (target === undefined) {
      sink.problem({path, error: brokenLink(path)})
      return
    }

    symlinkTarget = await realpath(path)
    info = target
  }

  if (info.isDirectory()) {
    if (!recursive) {
      sink.problem({
        path,
        error: new CustodyError('INPUT_IS_FOLDER', said`${path} is a folder; add ${INGEST.recursive} to ingest every file in it`, {subject: path}),
      })
      return
    }

    await walkFolder(symlinkTarget ?? path, symlinkTarget ?? path, walk)
    return
  }

  await addFile(sink, path, null, symlinkTarget)
}

/** The files under `dir`, sorted by name, folders walked where they sort; `top` is the folder given. */
async function walkFolder(top: string, dir: string, walk: Walk): Promise<void> {
  const {sink} = walk
  const unreadable = (error: unknown): void =>
    sink.problem({
      path: dir,
      error: new CustodyError('INPUT_UNREADABLE', `cannot list the folder ${dir}: ${messageOf(error)}; check its permissions`, {subject: dir}),
    })
  // Sorted, so that the same folder gives the same exhibit numbers in the same order.
  const entries = walk.listing.entries(dir)
  for (;;) {
    let next
    try {
      next = await entries.next()
    } catch (error) {
      unreadable(error)
      return
    }

    if (next.done === true) return
    const entry = next.value
    const path = join(dir, entry.name)
    const rel = relative(top, path).split(sep).join('/')
    if (entry.kind === 'folder' && entry.name === CASE_FOLDER) {
      sink.skipped({path, reason: "a custody case's own data folder is never ingested"})
    } else if (!(await leftOutAsSystem(walk, path, entry))) {
      await walkEntry(top, path, rel, entry.kind, walk)
    }
  }
}

/**
 * Leaves out a system file or folder (system-files.ts), unless the walk takes them: true when it
 * did. It is not walked into, and so cannot fail the walk (macOS makes .Trashes unlistable).
 */
async function leftOutAsSystem(walk: Walk, path: string, entry: {name: string; kind: EntryKind}): Promise<boolean> {
  if (walk.includeSystemFiles) return false
  const system = systemEntryOf(entry.name, entry.kind === 'folder' ? 'folder' : 'file')
  if (system === undefined) return false
  walk.sink.system({path, what: system.what, trash: system.trash, files: system.trash ? await countFiles(path) : null})
  return true
}

/** One entry of a folder walk: a folder to walk, a symlink, or a file. */
async function walkEntry(top: string, path: string, rel: string, kind: EntryKind, walk: Walk): Promise<void> {
  const {sink} = walk
  if (kind === 'folder') {
    await walkFolder(top, path, walk)
  } else if (kind === 'symlink') {
    const target = await stat(path).catch(() => undefined)
    if (target === undefined) {
      sink.problem({path, error: brokenLink(path)})
    } else if (target.isDirectory()) {
      sink.skipped({path, reason: 'a symlink to a folder is not followed inside a folder walk; give its target as a path to ingest it'})
    } else {
      await addFile(sink, path, rel, await realpath(path))
    }
  } else {
    await addFile(sink, path, rel, null)
  }
}

/** Hands a file to the sink unless it (its target, for a symlink) was claimed before. */
async function addFile(sink: InputSink, path: string, relativePath: string | null, symlinkTarget: string | null): Promise<void> {
  if (!sink.claim(symlinkTarget ?? path)) return
  const size = (await stat(path).catch(() => undefined))?.size ?? 0
  sink.file({path, relativePath, symlinkTarget, size})
}

function brokenLink(path: string): CustodyError {
  return new CustodyError('INPUT_BROKEN_SYMLINK', `${path} is a symlink to something that does not exist; ingest the file it should point to`, {
    subject: path,
  })
}
