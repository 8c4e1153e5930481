/** Which names a folder walk leaves out as the operating system's own, and the files a trash holds. */
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {countFiles, systemEntryOf} from '../../src/ingest/system-files.js'
import {tempDir} from '../helpers/cli.js'

const work = tempDir('custody-system-files-')
afterAll(() => work.remove())

describe('systemEntryOf', () => {
  it('knows the folders of macOS, Windows and Linux, in any case, and which are trash', () => {
    for (const name of ['.Spotlight-V100', '.fseventsd', '.TemporaryItems', '.DocumentRevisions-V100', 'System Volume Information', 'system volume information']) {
      expect(systemEntryOf(name, 'folder'), name).toMatchObject({trash: false})
    }

    for (const name of ['.Trashes', '.Trash', '$RECYCLE.BIN', '$Recycle.Bin', '.Trash-1000', '.Trash-0']) {
      expect(systemEntryOf(name, 'folder'), name).toMatchObject({trash: true})
    }
  })

  it('knows their files, and AppleDouble files by their prefix', () => {
    for (const name of ['.DS_Store', '.ds_store', 'Thumbs.db', 'THUMBS.DB', 'ehthumbs.db', 'ehthumbs_vista.db', 'desktop.ini', 'Desktop.ini', '.apdisk', '.VolumeIcon.icns', '.nomedia']) {
      expect(systemEntryOf(name, 'file'), name).toMatchObject({trash: false})
    }

    expect(systemEntryOf('._IMG_0001.JPG', 'file')).toEqual({what: "macOS's extended attributes of IMG_0001.JPG", trash: false})
  })

  it('leaves everything else, and every camera folder, to be taken', () => {
    for (const name of ['DCIM', 'MISC', 'PRIVATE', 'AVF_INFO', 'LOST.DIR', 'Trash', '.Trash-me', '100CANON']) expect(systemEntryOf(name, 'folder'), name).toBeUndefined()
    for (const name of ['IMG_0001.THM', 'AUTPRINT.MRK', '._', 'Thumbs.db.jpg', 'my.DS_Store', '.Trashes']) expect(systemEntryOf(name, 'file'), name).toBeUndefined()
    // A folder with a file's name, or the reverse, is not the system's.
    expect(systemEntryOf('.DS_Store', 'folder')).toBeUndefined()
    expect(systemEntryOf('.Spotlight-V100', 'file')).toBeUndefined()
  })
})

describe('countFiles', () => {
  it('counts the files of a folder at any depth, symlinks as files; null when a part cannot be listed', async () => {
    const trash = join(work.path, '.Trashes')
    mkdirSync(join(trash, '501', 'deep'), {recursive: true})
    writeFileSync(join(trash, '501', 'a.jpg'), 'a')
    writeFileSync(join(trash, '501', 'deep', 'b.jpg'), 'b')
    symlinkSync(work.path, join(trash, 'loop'))
    expect(await countFiles(trash)).toBe(3)
    expect(await countFiles(join(work.path, 'missing'))).toBeNull()
    mkdirSync(join(work.path, 'empty'))
    expect(await countFiles(join(work.path, 'empty'))).toBe(0)
  })
})
