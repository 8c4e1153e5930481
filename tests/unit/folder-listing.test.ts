/** A folder walk's listings: streamed into a scratch database and read back in JavaScript's name order. */
import {mkdirSync, readdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {FolderListing} from '../../src/ingest/folder-listing.js'
import {walkInputs} from '../../src/ingest/inputs.js'
import {tempDir} from '../helpers/cli.js'

const work = tempDir('custody-listing-')
afterAll(() => work.remove())

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

describe('FolderListing', () => {
  // UTF-16 and code-point order differ here: an emoji (a surrogate pair, 0xD83D...) sorts before
  // U+FF21 in JavaScript, after it in UTF-8.
  const names = ['b.jpg', 'a.jpg', 'Z.jpg', '\uFF21.jpg', '\u{1F600}.jpg', 'é.jpg', 'e\u0301.jpg', '10.jpg', '9.jpg', ...Array.from({length: 120}, (_, i) => `n${i}.bin`)]
  const dir = join(work.path, 'many')
  mkdirSync(join(dir, 'sub'), {recursive: true})
  for (const name of names) writeFileSync(join(dir, name), name)
  symlinkSync(join(dir, 'a.jpg'), join(dir, 'link.jpg'))
  writeFileSync(join(dir, 'sub', 'inner.txt'), 'x')

  it('gives every entry in the order a JavaScript sort of the names gives, with its kind, across pages', async () => {
    const listing = new FolderListing()
    try {
      const listed = await all(listing.entries(dir))
      const expected = readdirSync(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      expect(listed.map((e) => e.name)).toEqual(expected)
      expect(listed.map((e) => e.name).indexOf('\u{1F600}.jpg')).toBeLessThan(listed.map((e) => e.name).indexOf('\uFF21.jpg'))
      expect(listed.find((e) => e.name === 'sub')!.kind).toBe('folder')
      expect(listed.find((e) => e.name === 'link.jpg')!.kind).toBe('symlink')
      expect(listed.find((e) => e.name === 'a.jpg')!.kind).toBe('other')
    } finally {
      listing.close()
    }
  })

  it('lists a subfolder between two pages of its parent, and refuses a folder it cannot read', async () => {
    const listing = new FolderListing()
    try {
      const seen: string[] = []
      for await (const entry of listing.entries(dir)) {
        seen.push(entry.name)
        if (entry.kind === 'folder') for await (const inner of listing.entries(join(dir, entry.name))) seen.push(`${entry.name}/${inner.name}`)
      }

      expect(seen).toContain('sub/inner.txt')
      expect(seen).toHaveLength(readdirSync(dir).length + 1)
      await expect(all(listing.entries(join(work.path, 'missing')))).rejects.toThrow(/ENOENT/)
    } finally {
      listing.close()
    }
  })

  it('keeps walkInputs in the same order as before: sorted names, folders walked where they sort', async () => {
    const found: string[] = []
    const root = join(work.path, 'walk')
    mkdirSync(join(root, 'b-dir'), {recursive: true})
    for (const name of ['b', 'a', 'c', 'b-dir/x']) writeFileSync(join(root, name), name)
    await walkInputs([root], {recursive: true}, {
      claim: () => true,
      file: (f) => found.push(f.relativePath ?? f.path),
      problem: (p) => found.push(`problem ${p.path}`),
      skipped: () => undefined,
      system: () => undefined,
    })
    expect(found).toEqual(['a', 'b', 'b-dir/x', 'c'])
  })
})
