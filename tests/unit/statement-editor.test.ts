/**
 * The editor a statement is typed in (src/testimony/statement-editor.ts): which one is run, and
 * that the file it is given is shredded (overwritten before it is removed), also when a custody
 * killed with its editor open left it.
 */
import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {CustodyError} from '../../src/errors.js'
import {chooseEditor, editorKeys, shredFolder, shredLeftovers, statementBase, typeInEditor} from '../../src/testimony/statement-editor.js'
import {withStatementFile} from '../../src/testimony/take-testimony.js'
import {tempDir} from '../helpers/cli.js'

const work = tempDir('custody-editor-unit-')
afterAll(() => work.remove())

function script(name: string, body: string): string {
  const path = join(work.path, name)
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return path
}

describe('chooseEditor', () => {
  it('runs $VISUAL, else $EDITOR, else nano where installed (its keys said), else vi', () => {
    const bin = join(work.path, 'bin')
    mkdirSync(bin, {recursive: true})
    script('bin/nano', 'exit 0')
    expect(chooseEditor({VISUAL: 'code --wait', EDITOR: 'vim', PATH: bin})).toEqual({command: 'code --wait', name: 'code --wait', from: 'VISUAL'})
    expect(chooseEditor({EDITOR: 'emacs -nw', PATH: bin})).toMatchObject({command: 'emacs -nw', from: 'EDITOR'})
    const nano = chooseEditor({EDITOR: ' ', PATH: bin})
    expect(nano).toEqual({command: `'${join(bin, 'nano')}'`, name: 'nano', from: 'default'})
    expect(editorKeys(nano)).toBe('Ctrl-O then Enter saves, Ctrl-X closes')
    expect(chooseEditor({PATH: join(work.path, 'nowhere')})).toMatchObject({name: 'vi', from: 'default'})
    expect(editorKeys({command: 'vim', name: 'vim', from: 'EDITOR'})).toBeUndefined()
  })
})

describe('typeInEditor', () => {
  it('gives the editor a file of its own, owner-only, starting from the text, and shreds its folder after', async () => {
    const runtime = join(work.path, 'runtime')
    mkdirSync(runtime, {mode: 0o700})
    const record = join(work.path, 'saw.txt')
    const editor = script('append.sh', `stat -c '%a' "$1" "$(dirname "$1")" > '${record}'; echo "$1" >> '${record}'; printf 'and then they left.\\n' >> "$1"; echo swap > "$1.swp"`)
    const text = await typeInEditor('We waited.\n', {command: editor, name: 'append', from: 'EDITOR'}, {encrypted: true, env: {XDG_RUNTIME_DIR: runtime}})
    expect(text).toBe('We waited.\nand then they left.\n')
    const [fileMode, folderMode, file] = readFileSync(record, 'utf8').trim().split('\n')
    expect([fileMode, folderMode]).toEqual(['600', '700'])
    expect(file!.startsWith(join(runtime, `custody-statement-${process.pid}-`))).toBe(true)
    expect(readdirSync(runtime)).toEqual([])
  })

  it('says so when the editor fails, and shreds the file all the same', async () => {
    const runtime = join(work.path, 'runtime-failed')
    mkdirSync(runtime, {mode: 0o700})
    const editor = script('fails.sh', 'printf secret > "$1"; exit 3')
    await expect(typeInEditor('', {command: editor, name: 'fails', from: 'EDITOR'}, {encrypted: true, env: {XDG_RUNTIME_DIR: runtime}})).rejects.toThrow('the editor fails did not give the statement back (it ended with status 3)')
    expect(readdirSync(runtime)).toEqual([])
  })
})

describe('shredFolder and shredLeftovers', () => {
  it('overwrite each file with zeros before removing it (a second link to it sees the zeros)', async () => {
    const folder = join(work.path, 'custody-statement-1-abc')
    mkdirSync(join(folder, 'nested'), {recursive: true})
    writeFileSync(join(folder, 'statement.txt'), 'They held us in the basement.')
    writeFileSync(join(folder, 'nested', 'backup~'), 'a backup')
    linkSync(join(folder, 'statement.txt'), join(work.path, 'other-link'))
    await shredFolder(folder)
    expect(existsSync(folder)).toBe(false)
    expect(readFileSync(join(work.path, 'other-link'))).toEqual(Buffer.alloc('They held us in the basement.'.length))
  })

  it('shred the folders of custody processes that ended, and leave those of running ones', async () => {
    const runtime = join(work.path, 'runtime-left')
    mkdirSync(runtime, {mode: 0o700})
    const ended = spawnSync('true').pid!
    mkdirSync(join(runtime, `custody-statement-${ended}-x1`))
    writeFileSync(join(runtime, `custody-statement-${ended}-x1`, 'statement.txt'), 'left behind')
    mkdirSync(join(runtime, `custody-statement-${process.pid}-x2`))
    mkdirSync(join(runtime, 'something-else'))
    expect(await shredLeftovers({XDG_RUNTIME_DIR: runtime})).toBeGreaterThanOrEqual(1)
    expect(readdirSync(runtime).sort()).toEqual([`custody-statement-${process.pid}-x2`, 'something-else'])
  })
})

describe('where a statement in clear may be written, with no memory-backed storage', () => {
  // No $XDG_RUNTIME_DIR, and a /dev/shm that is not there: the temp folder is all that is left, on disk.
  const noMemory = (): {env: NodeJS.ProcessEnv; shm: string} => ({env: {}, shm: join(work.path, 'no-shm')})
  const refusal = /^this case is encrypted, and a statement typed here would be written in clear to the temp folder .*, on disk, .*give the statement as a file of your own, or run custody on a system with \/dev\/shm or \$XDG_RUNTIME_DIR, or set XDG_RUNTIME_DIR to a folder of yours on a tmpfs; nothing was recorded$/

  it('is memory-backed storage where there is some, for any case', () => {
    const runtime = join(work.path, 'runtime-base')
    mkdirSync(runtime, {mode: 0o700})
    const shm = join(work.path, 'shm-base')
    mkdirSync(shm, {mode: 0o700})
    expect(statementBase(true, {XDG_RUNTIME_DIR: runtime}, shm)).toBe(runtime)
    expect(statementBase(true, {}, shm)).toBe(shm)
    // A /dev/shm that is not a folder, or is not there, is none (root writes to any folder, so unwritable is not tried).
    const notFolder = join(work.path, 'shm-file')
    writeFileSync(notFolder, '')
    expect(() => statementBase(true, {XDG_RUNTIME_DIR: ''}, notFolder)).toThrow(refusal)
    expect(() => statementBase(true, {XDG_RUNTIME_DIR: join(work.path, 'gone')}, join(work.path, 'gone'))).toThrow(refusal)
  })

  it('refuses the temp folder for an encrypted case, before the editor is run; a case in clear keeps it', async () => {
    const ran = join(work.path, 'editor-ran')
    const editor = {command: script('marks.sh', `touch '${ran}'; printf 'typed\\n' >> "$1"`), name: 'marks', from: 'EDITOR'} as const
    const error = await typeInEditor('', editor, {encrypted: true, ...noMemory()}).catch((error_: unknown) => error_)
    expect(error).toBeInstanceOf(CustodyError)
    expect(error).toMatchObject({code: 'STORAGE_FAILED', subject: tmpdir()})
    expect((error as Error).message).toMatch(refusal)
    expect((error as Error).message).not.toContain('\n')
    expect(existsSync(ran)).toBe(false)

    expect(await typeInEditor('', editor, {encrypted: false, ...noMemory()})).toBe('typed\n')
    expect(existsSync(ran)).toBe(true)
  })

  it('takes a typed statement in through a file in the temp folder for a case in clear only', async () => {
    let seen: string | undefined
    const work_ = async (path: string): Promise<string> => {
      seen = path
      return readFileSync(path, 'utf8')
    }

    await expect(withStatementFile({text: 'We waited.'}, {encrypted: true, ...noMemory()}, work_)).rejects.toThrow(refusal)
    expect(seen).toBeUndefined()
    expect(await withStatementFile({text: 'We waited.'}, {encrypted: false, ...noMemory()}, work_)).toBe('We waited.\n')
    expect(dirname(dirname(seen!))).toBe(tmpdir())
    expect(existsSync(dirname(seen!))).toBe(false)
    // A statement given as a file is the file, for any case.
    expect(await withStatementFile({file: '/the/witness/statement.txt'}, {encrypted: true, ...noMemory()}, async (path) => path)).toBe('/the/witness/statement.txt')
  })
})
