import {afterEach, describe, expect, it} from 'vitest'
import {BagIndex} from '../../src/verify/archive/bag-index.js'

let open: BagIndex[] = []
afterEach(() => {
  for (const index of open) index.close()
  open = []
})

/** Entries laid one after the other, each 100 bytes of data after its header, unless sized or deflated. */
function indexOf(entries: Array<string | {name: string; size?: number; deflated?: number; cp437Name?: string}>): BagIndex {
  const index = new BagIndex()
  open.push(index)
  let offset = 0
  for (const [i, entry] of entries.entries()) {
    const {name, size = 100, deflated, cp437Name} = typeof entry === 'string' ? {name: entry, cp437Name: undefined} : entry
    const stored = deflated ?? size
    index.addEntry({
      index: i,
      name,
      isDirectory: name.endsWith('/'),
      method: deflated === undefined ? 0 : 8,
      encrypted: false,
      compressedSize: stored,
      uncompressedSize: size,
      offset,
      dataStart: offset + 30 + name.length,
      crc32: 0,
      unixMode: 0o100644,
      ...(cp437Name === undefined ? {} : {cp437Name}),
    })
    offset += 30 + name.length + stored
  }

  return index
}

/** The layout problems of entries in an archive of `size` bytes, the expansion allowed 200 times. */
const layout = (index: BagIndex, size = 1_000_000): ReturnType<BagIndex['layoutProblems']> => index.layoutProblems(size, 200)

const digest = (c: string, n: number): string => c.repeat(n)

/** Every file given its digests as though read, with its path in the bag. */
function read(index: BagIndex, sizes: Record<string, number> = {}): void {
  for (const info of index.fileEntries()) {
    const path = info.name.slice(info.name.indexOf('/') + 1)
    index.setDigest(info, path, {sha256: digest(path.length % 2 ? 'a' : 'b', 64), sha512: digest('c', 128), size: sizes[path] ?? info.uncompressedSize})
  }
}

describe('BagIndex.layoutProblems', () => {
  it('finds nothing wrong with one bag folder of distinct, separate entries', () => {
    const index = indexOf(['bag/', 'bag/bagit.txt', 'bag/data/', 'bag/data/a.jpg', 'bag/data/b.jpg'])
    expect(layout(index)).toEqual({problems: [], top: 'bag'})
  })

  it('names each repeated name against the one before it, exact or after Unicode normalisation', () => {
    const index = indexOf(['bag/a.txt', 'bag/Cafe\u0301.txt', 'bag/a.txt', 'bag/Caf\u00e9.txt', 'bag/a.txt'])
    expect(layout(index).problems).toEqual([
      {subject: 'bag/a.txt', message: 'two entries have this same name'},
      {subject: 'bag/Caf\u00e9.txt', message: 'this name and "bag/Cafe\u0301.txt" are the same after Unicode normalisation'},
      {subject: 'bag/a.txt', message: 'two entries have this same name'},
    ])
  })

  it('wants exactly one top folder, holding every file', () => {
    expect(layout(indexOf(['bag/a.txt', 'other/b.txt', 'third/c.txt']))).toEqual({
      problems: [{subject: 'ZIP', message: 'expected exactly one top-level folder (the bag), found 3: bag, other, third'}],
      top: undefined,
    })
    expect(layout(indexOf(['bag/a.txt', 'bag'])).problems).toEqual([{subject: 'ZIP', message: 'a file lies outside the bag folder'}])
  })

  it("refuses a name taken as UTF-8 without the flag whose CP437 reading (Python's, yauzl's) is another entry's name", () => {
    const index = indexOf([
      {name: 'bag/data/Сім.jpg', cp437Name: 'bag/data/╨í╤û╨╝.jpg'},
      'bag/data/╨í╤û╨╝.jpg',
      {name: 'bag/data/Б.jpg', cp437Name: 'bag/data/╨æ.jpg'},
    ])
    expect(layout(index).problems).toEqual([
      {
        subject: 'bag/data/Сім.jpg',
        message:
          'its name is not flagged UTF-8, and read as CP437 (as Python\'s zipfile and yauzl read such a name) it is "bag/data/╨í╤û╨╝.jpg", the name of the entry "bag/data/╨í╤û╨╝.jpg": those readers would extract the two to one file',
      },
    ])
    expect(index.nameNotes().unflagged).toEqual({count: 2, first: 'bag/data/Сім.jpg'})
  })

  it("leaves aside macOS's AppleDouble files under __MACOSX/, beside a file or folder of the ZIP, and refuses anything else there", () => {
    const index = indexOf([
      'bag/',
      'bag/data/a.jpg',
      '__MACOSX/',
      '__MACOSX/._bag',
      '__MACOSX/bag/data/._a.jpg',
      '__MACOSX/bag/data/._b.jpg',
      '__MACOSX/bag/data/c.jpg',
      '__MACOSX/bag/data/._',
    ])
    const {problems, top} = layout(index)
    expect(top).toBe('bag')
    const stray = "it is under __MACOSX/ but is not the AppleDouble file (._NAME) of an entry of the ZIP, which is all macOS puts there"
    expect(problems).toEqual(['__MACOSX/bag/data/._b.jpg', '__MACOSX/bag/data/c.jpg', '__MACOSX/bag/data/._'].map((subject) => ({subject, message: stray})))
    expect(index.nameNotes().aside).toEqual({count: 5, first: '__MACOSX/._bag'})
    // They are not files of the bag: neither payload nor unnamed.
    for (const info of index.fileEntries()) index.setDigest(info, info.name.startsWith('bag/') ? info.name.slice(4) : null, {sha256: 'a', sha512: 'b', size: 1})
    expect(index.payload()).toEqual({count: 1, bytes: 1})
    expect([...index.unnamed('', 'listed256')]).toEqual(['data/a.jpg'])
  })

  it('notes names stored decomposed (NFD, as macOS writes them)', () => {
    const index = indexOf(['bag/data/Свій.jpg', 'bag/data/plain.jpg'])
    expect(layout(index).problems).toEqual([])
    expect(index.nameNotes()).toEqual({
      unflagged: {count: 0, first: undefined},
      decomposed: {count: 1, first: 'bag/data/Свій.jpg'},
      aside: {count: 0, first: undefined},
    })
  })

  it("refuses deflated entries that together state more than 200 times the archive's size (and a MiB)", () => {
    // 100 entries of 60 KiB, each deflated to 100 bytes: 6,144,000 bytes stated, each under the
    // size from which a single entry's ratio is judged.
    const entries = Array.from({length: 100}, (_, i) => ({name: `bag/data/x${i}.json`, size: 60 * 1024, deflated: 100}))
    expect(layout(indexOf(entries), 25_478).problems).toEqual([])
    expect(layout(indexOf(entries), 25_477).problems).toEqual([
      {subject: 'ZIP', message: "its deflated entries state 6144000 bytes in all, more than 200 times the archive's 25477 (a zip bomb?)"},
    ])
    // Stored entries do not count: they cannot expand.
    expect(layout(indexOf(entries.map(({name}) => ({name, size: 60 * 1024}))), 100).problems).toEqual([])
  })
})

describe('BagIndex, naming and stating files', () => {
  it('counts the manifest lines that name each file, and gives the files no line names', () => {
    const index = indexOf(['bag/bagit.txt', 'bag/data/a.jpg', 'bag/data/bb.jpg', 'bag/data/custody/seal.json'])
    expect(layout(index).problems).toEqual([])
    read(index)
    expect(index.listed('data/a.jpg', 'sha256')).toEqual({times: 1, digest: 'b'.repeat(64)})
    expect(index.listed('data/a.jpg', 'sha256')).toEqual({times: 2, digest: 'b'.repeat(64)})
    expect(index.listed('data/bb.jpg', 'sha512')).toEqual({times: 1, digest: 'c'.repeat(128)})
    expect(index.listed('data/missing.jpg', 'sha256')).toBeUndefined()
    expect([...index.unnamed('data/', 'listed256')]).toEqual(['data/bb.jpg', 'data/custody/seal.json'])
    expect([...index.unnamed('data/', 'listed512')]).toEqual(['data/a.jpg', 'data/custody/seal.json'])
    // A prefix is matched as it is spelled: DATA/ is not data/.
    expect([...index.unnamed('DATA/', 'listed256')]).toEqual([])
    expect(index.statedFile('data/a.jpg')).toEqual({times: 1, size: 100, sha256: 'b'.repeat(64), sha512: 'c'.repeat(128)})
    expect(index.statedFile('data/a.jpg')).toEqual({times: 2, size: 100, sha256: 'b'.repeat(64), sha512: 'c'.repeat(128)})
    expect([...index.unnamed('data/', 'stated')]).toEqual(['data/bb.jpg', 'data/custody/seal.json'])
    expect(index.payload()).toEqual({count: 3, bytes: 300})
  })

  it('pages through more files than a page holds, with files named as it goes', () => {
    const names = Array.from({length: 2_500}, (_, i) => `bag/data/${String(i).padStart(5, '0')}.txt`)
    const index = indexOf(names)
    layout(index)
    read(index)
    const unnamed: string[] = []
    for (const path of index.unnamed('data/', 'listed256')) {
      unnamed.push(path)
      // Writes between pages: the listing reads page by page, never through an open cursor.
      index.listed(path, 'sha256')
    }

    expect(unnamed).toEqual(names.map((name) => name.slice(4)))
    expect([...index.unnamed('data/', 'listed256')]).toEqual([])
    expect([...index.fileEntries()].map((e) => e.index)).toEqual(names.map((_, i) => i))
  })
})

describe('BagIndex, stated exhibits and their ingest events', () => {
  it('gives each stated exhibit, in the order stated, with what its last ingest event said', () => {
    const index = new BagIndex()
    open.push(index)
    const [a, b] = [digest('a', 64), digest('b', 128)]
    index.addStatedExhibit('EX-3', 0, a, b)
    index.addStatedExhibit('EX-1', 1, a, b)
    index.addStatedExhibit('EX-2', 2, a, b)
    index.addStatedExhibit('EX-4', 3, 42, null)
    index.ingested('EX-1', {sha256: a, sha512: b})
    index.ingested('EX-2', {sha256: a, sha512: b})
    index.ingested('EX-2', {sha256: digest('f', 64), sha512: b})
    index.ingested('EX-3', {sha256: digest('f', 64), sha512: b})
    index.ingested('EX-3', {sha256: a, sha512: b})
    // A digest that is not a string is never the stated one, even when it prints the same.
    index.ingested('EX-4', {sha256: 42, sha512: 'null'})
    index.ingested('EX-9', {sha256: a, sha512: b})
    expect([...index.ingestResults()]).toEqual([
      {id: 'EX-3', stated: a, ingest: 'same'},
      {id: 'EX-1', stated: a, ingest: 'same'},
      {id: 'EX-2', stated: a, ingest: {sha256: digest('f', 64)}},
      {id: 'EX-4', stated: '42', ingest: {sha256: '42'}},
    ])
    expect(index.statedSha256('EX-1')).toBe(a)
    expect(index.statedSha256('EX-9')).toBeUndefined()
  })

  it('keeps a repeated exhibit at its first place, with the digests stated last', () => {
    const index = new BagIndex()
    open.push(index)
    index.addStatedExhibit('EX-1', 0, digest('a', 64), digest('b', 128))
    index.addStatedExhibit('EX-2', 1, digest('a', 64), digest('b', 128))
    index.addStatedExhibit('EX-1', 2, digest('d', 64), digest('b', 128))
    expect([...index.ingestResults()]).toEqual([
      {id: 'EX-1', stated: digest('d', 64), ingest: 'missing'},
      {id: 'EX-2', stated: digest('a', 64), ingest: 'missing'},
    ])
  })
})
