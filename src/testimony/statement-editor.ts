/**
 * The editor a statement is typed in, and the one file custody writes in clear for it.
 *
 * An editor edits a file, so while it is open the statement is in clear on the computer. That
 * file is made to leave as little as it can: in a folder of its own (0700; the file 0600), in
 * memory-backed storage where the system has it ($XDG_RUNTIME_DIR, else /dev/shm; else the temp
 * folder for a case in clear only, and for an encrypted case an error: statementBase); when the
 * editor closes, every file in that folder (the statement, and whatever the editor put beside it:
 * swap, lock and backup files) is overwritten with zeros, flushed and removed. A folder left by a
 * custody that was killed while its editor was open is shredded the same way by the next
 * `testimony add` or `amend` (shredLeftovers).
 *
 * What remains is the editor's own: copies it keeps elsewhere (vim's undo files and viminfo when
 * configured so, an editor's recovery folder), and, on a disk rather than in memory, blocks
 * that a journalling or copy-on-write file system or an SSD keeps after they are overwritten.
 * README ("Witness testimony") says so.
 *
 * The editor is $VISUAL, else $EDITOR, run as git runs it (`sh -c '$EDITOR "$@"'`, so it may
 * carry arguments: `code --wait`); with neither, nano where it is installed (simple, and it says
 * its keys on screen), else vi.
 */
import {spawn} from 'node:child_process'
import {accessSync, constants, statSync} from 'node:fs'
import {lstat, mkdtemp, open, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'
import {CustodyError, messageOf} from '../errors.js'
import {isProcessRunning} from '../io/process-identity.js'

export interface Editor {
  /** What sh runs, the file's path after it. */
  command: string
  /** How it is named to the investigator: nano, vi, or the variable's value. */
  name: string
  /** Where it comes from: $VISUAL or $EDITOR, or custody's choice when neither is set. */
  from: 'VISUAL' | 'EDITOR' | 'default'
}

const FOLDER_PREFIX = 'custody-statement-'
const LEFTOVER = /^custody-statement-(\d+)-/u

/** The first of `names` that is an executable file on $PATH. */
function onPath(names: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (const name of names) {
    for (const folder of (env.PATH ?? '').split(delimiter).filter((f) => f !== '')) {
      try {
        accessSync(join(folder, name), constants.X_OK)
        return join(folder, name)
      } catch {
        // Not in this folder.
      }
    }
  }

  return undefined
}

function shellQuoted(path: string): string {
  return `'${path.replaceAll("'", `'\\''`)}'`
}

/** The editor to run: $VISUAL, $EDITOR, else nano where installed, else vi. */
export function chooseEditor(env: NodeJS.ProcessEnv = process.env): Editor {
  for (const variable of ['VISUAL', 'EDITOR'] as const) {
    const command = env[variable]?.trim()
    if (command) return {command, name: command, from: variable}
  }

  const nano = onPath(['nano'], env)
  if (nano !== undefined) return {command: shellQuoted(nano), name: 'nano', from: 'default'}
  return {command: shellQuoted(onPath(['vi'], env) ?? 'vi'), name: 'vi', from: 'default'}
}

/** How to type, save and close in the editor custody chose; undefined for the investigator's own. */
export function editorKeys(editor: Editor): string | undefined {
  if (editor.from !== 'default') return undefined
  return editor.name === 'nano' ? 'Ctrl-O then Enter saves, Ctrl-X closes' : 'press i to type, then Esc and :wq then Enter to save and close'
}

/** The usable folder of each of `folders` (writable, searchable, a folder). */
function usable(folders: ReadonlyArray<string | undefined>): string[] {
  return folders.filter((folder): folder is string => {
    if (folder === undefined || folder === '') return false
    try {
      accessSync(folder, constants.W_OK | constants.X_OK)
      return statSync(folder).isDirectory()
    } catch {
      return false
    }
  })
}

/**
 * Where the statement's file may go: memory-backed storage of this account ($XDG_RUNTIME_DIR, else
 * `shm`, /dev/shm but for tests), then the temp folder, which is on disk on macOS and on many
 * systems. Leftovers are looked for in all of them.
 */
export function scratchBases(env: NodeJS.ProcessEnv = process.env, shm = '/dev/shm'): string[] {
  return usable([env.XDG_RUNTIME_DIR, shm, tmpdir()])
}

/**
 * The folder a statement in clear is written to for another program to read (the editor's file,
 * a typed statement taken in as a file): memory-backed storage where there is some. Without any,
 * the temp folder for a case in clear, as the statement goes on disk in its vault anyway; for an
 * encrypted case, an error, as the statement would reach the disk in clear (issue 19: "no plaintext
 * ever lands on disk, not even in a temporary file that is deleted afterwards"; zeroing does not
 * reach an SSD's or a copy-on-write file system's old blocks).
 */
export function statementBase(encrypted: boolean, env: NodeJS.ProcessEnv = process.env, shm = '/dev/shm'): string {
  const memory = usable([env.XDG_RUNTIME_DIR, shm])[0]
  if (memory !== undefined) return memory
  if (!encrypted) return tmpdir()
  throw new CustodyError(
    'STORAGE_FAILED',
    `this case is encrypted, and a statement typed here would be written in clear to the temp folder ${tmpdir()}, on disk, for the editor to read (there is no usable $XDG_RUNTIME_DIR or ${shm} in memory): give the statement as a file of your own, or run custody on a system with /dev/shm or $XDG_RUNTIME_DIR, or set XDG_RUNTIME_DIR to a folder of yours on a tmpfs; nothing was recorded`,
    {subject: tmpdir()},
  )
}

/** Overwrites every file in `folder` with zeros, flushes it, and removes the folder. */
export async function shredFolder(folder: string): Promise<void> {
  const zeros = Buffer.alloc(64 * 1024)
  for (const name of await readdir(folder).catch(() => [])) {
    const path = join(folder, name)
    const info = await lstat(path).catch(() => undefined)
    if (info?.isDirectory()) {
      await shredFolder(path)
      continue
    }

    if (!info?.isFile()) continue
    const handle = await open(path, 'r+').catch(() => undefined)
    if (handle === undefined) continue
    try {
      for (let at = 0; at < info.size; at += zeros.length) await handle.write(zeros, 0, Math.min(zeros.length, info.size - at), at)
      await handle.sync()
    } finally {
      await handle.close()
    }
  }

  await rm(folder, {recursive: true, force: true})
}

/** Shreds the statement folders of custody processes that ended without removing theirs; how many. */
export async function shredLeftovers(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let shredded = 0
  for (const base of scratchBases(env)) {
    for (const name of await readdir(base).catch(() => [])) {
      const pid = LEFTOVER.exec(name)?.[1]
      if (pid === undefined || isProcessRunning(Number(pid), null)) continue
      const info = await lstat(join(base, name)).catch(() => undefined)
      if (!info?.isDirectory() || info.uid !== process.getuid?.()) continue
      await shredFolder(join(base, name))
      shredded++
    }
  }

  return shredded
}

/** Runs the editor on `file` on this terminal; Ctrl-C is the editor's while it is open. */
function runEditor(editor: Editor, file: string): Promise<void> {
  const ignore = (): void => {}
  process.on('SIGINT', ignore)
  return new Promise<void>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `${editor.command} "$@"`, editor.name, file], {stdio: 'inherit'})
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      if (code === 0) resolve()
      else reject(new Error(signal === null ? `it ended with status ${code}` : `it was stopped by ${signal}`))
    })
  }).finally(() => process.off('SIGINT', ignore))
}

/** Where a statement in clear may be written: whether the case is encrypted, and the environment (tests). */
export interface StatementPlace {
  encrypted: boolean
  env?: NodeJS.ProcessEnv
  /** /dev/shm, but for tests. */
  shm?: string
}

/**
 * The text as the investigator leaves it in the editor, starting from `text`. The file is shredded
 * whatever happens (and not made, for an encrypted case, where it would be on disk: statementBase);
 * an editor that cannot be run, or ends in failure, is an error that says so.
 */
export async function typeInEditor(text: string, editor: Editor, place: StatementPlace): Promise<string> {
  const folder = await mkdtemp(join(statementBase(place.encrypted, place.env, place.shm), `${FOLDER_PREFIX}${process.pid}-`))
  try {
    const file = join(folder, 'statement.txt')
    await writeFile(file, text, {mode: 0o600, flag: 'wx'})
    try {
      await runEditor(editor, file)
    } catch (error) {
      throw new CustodyError('INPUT_UNREADABLE', `the editor ${editor.name} did not give the statement back (${messageOf(error)}); set $EDITOR to an editor that works here, or give the statement as a file`)
    }

    return await readFile(file, 'utf8')
  } finally {
    await shredFolder(folder)
  }
}
