/**
 * The bag folder reader (src/folder/reader.ts): which folder is the bag, entries listed as a ZIP
 * names them (depth first, in byte order), what cannot be part of a bag refused unopened, and
 * files read again only as they were listed.
 */
import {createHash} from 'node:crypto'
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {findBagFolder, SafeFolder} from '../../src/folder/reader.js'
import type {ZipEntryInfo} from '../../src/zip/structure.js'
import {tempDir} from '../helpers/cli.js'

const tmp = tempDir('custody-folder-reader-')
afterAll(() => tmp.remove())
let n = 0

/** A folder holding `bag/` with these files (name: content). */
function folderWith(files: Record<string, string>): string {
  const root = join(tmp.path, `f-${n++}`)
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, 'bag', name, '..'), {recursive: true})
    writeFileSync(join(root, 'bag', name), content)
  }

  return root
}

async function listing(bag: string, limit?: number): Promise<{entries: ZipEntryInfo[]; problems: string[]}> {
  const entries: ZipEntryInfo[] = []
  const problems: string[] = []
  const folder = SafeFolder.open(bag, () => limit)
  await folder.list(
    (info) => entries.push(info),
    (subject, message) => problems.push(`${subject}: ${message}`),
  )
  return {entries, problems}
}

describe('findBagFolder', () => {
  it('takes the bag folder itself, or the one folder unzip made around it (a __MACOSX folder beside it left aside)', () => {
    const root = folderWith({'bagit.txt': 'BagIt', 'data/a.txt': 'a'})
    expect(findBagFolder(join(root, 'bag'))).toEqual({bag: join(root, 'bag'), aside: undefined})
    expect(findBagFolder(root)).toEqual({bag: join(root, 'bag'), aside: undefined})
    mkdirSync(join(root, '__MACOSX'))
    expect(findBagFolder(root)).toEqual({bag: join(root, 'bag'), aside: join(root, '__MACOSX')})
  })

  it('refuses a case folder and a folder of other things, saying what to give', () => {
    const root = folderWith({'bagit.txt': 'BagIt'})
    mkdirSync(join(root, '.custody'))
    expect(() => findBagFolder(root)).toThrow(`\`custody verify --case ${root}\` checks a case`)
    writeFileSync(join(root, 'other.txt'), 'x')
    const other = join(tmp.path, 'other')
    mkdirSync(join(other, 'a'), {recursive: true})
    mkdirSync(join(other, 'b'))
    expect(() => findBagFolder(other)).toThrow('it holds 2 entries (a, b); give the bag folder itself')
  })
})

describe('SafeFolder', () => {
  it('lists folders and files as a ZIP names them, depth first in byte order, with their sizes', async () => {
    const root = folderWith({'bagit.txt': 'BagIt', 'data/b.txt': 'bb', 'data/a/z.txt': 'zzz', 'Z.txt': ''})
    const {entries, problems} = await listing(join(root, 'bag'))
    expect(problems).toEqual([])
    expect(entries.map((e) => [e.name, e.uncompressedSize])).toEqual([
      ['bag/', 0],
      ['bag/Z.txt', 0],
      ['bag/bagit.txt', 5],
      ['bag/data/', 0],
      ['bag/data/a/', 0],
      ['bag/data/a/z.txt', 3],
      ['bag/data/b.txt', 2],
    ])
    expect(entries.map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5, 6])
  })

  it('refuses links, FIFOs, names that are not UTF-8 and files over their bound, and goes into none of them', async () => {
    const root = folderWith({'bagit.txt': 'BagIt', 'data/big.txt': 'x'.repeat(100)})
    symlinkSync(tmp.path, join(root, 'bag/data/up'))
    writeFileSync(Buffer.from(`${root}/bag/data/\xff.txt`, 'latin1'), 'latin1')
    const {entries, problems} = await listing(join(root, 'bag'), 10)
    expect(entries.map((e) => e.name)).toEqual(['bag/', 'bag/bagit.txt', 'bag/data/'])
    expect(problems).toEqual([
      'bag/data/big.txt: it holds 100 bytes, more than the 10 any genuine file of its kind can have: not read',
      `bag/data/up: it is a symbolic link (to ${JSON.stringify(tmp.path)}): a bag holds only files and folders, and a link can lead anywhere outside it`,
      'bag/data/\u00ff.txt: its name is not UTF-8: readers and tools would show and name it each their own way',
    ])
  })

  it('reads a file again only as it was listed: one that changed since is an error, not other bytes', async () => {
    const root = folderWith({'data/a.txt': 'listed'})
    const folder = SafeFolder.open(join(root, 'bag'))
    const entries: ZipEntryInfo[] = []
    await folder.list((info) => entries.push(info), () => undefined)
    const file = entries.find((e) => e.name === 'bag/data/a.txt')!
    const sha256 = createHash('sha256').update('listed').digest('hex')
    expect((await folder.readSmall(file, 100, sha256)).toString()).toBe('listed')
    writeFileSync(join(root, 'bag/data/a.txt'), 'changed since')
    await expect(folder.readSmall(file, 100, sha256)).rejects.toThrow('bag/data/a.txt: it changed while it was being checked (6 bytes when listed, now 13 bytes)')
    writeFileSync(join(root, 'bag/data/a.txt'), 'LISTED')
    await expect(folder.readSmall(file, 100, sha256)).rejects.toThrow('it changed while it was being checked: read again, it is not the file hashed first')
    // Hashed at the size listed.
    const results: string[] = []
    await folder.digestEach(() => [file], (_, result) => results.push('error' in result ? result.error : result.digest.sha256))
    expect(results).toEqual([createHash('sha256').update('LISTED').digest('hex')])
  })
})
