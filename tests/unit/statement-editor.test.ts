/**
 * The editor a statement is typed in (src/testimony/statement-editor.ts): which one is run, and
 * that the file it is given is shredded (overwritten before it is removed), also when a custody
 * killed with its editor open left it.
 */
import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {chooseEditor, editorKeys, shredFolder, shredLeftovers, typeInEditor} from '../../src/testimony/statement-editor.js'
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
    const text = await typeInEditor('We waited.\n', {command: editor, name: 'append', from: 'EDITOR'}, {XDG_RUNTIME_DIR: runtime})
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
    await expect(typeInEditor('', {command: editor, name: 'fails', from: 'EDITOR'}, {XDG_RUNTIME_DIR: runtime})).rejects.toThrow('the editor fails did not give the statement back (it ended with status 3)')
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
