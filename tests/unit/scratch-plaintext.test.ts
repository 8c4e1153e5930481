/**
 * No plaintext of the case in custody's scratch files: each user of a scratch database writes
 * enough rows to outgrow SQLite's page cache (lowered here to 64 KiB with scratchCacheKiB()), so
 * that pages reach the file; the file, unlinked from the start, is read through /proc/self/fd (a
 * link whose target is "<scratch folder>/... (deleted)") while the work holds it open, and searched
 * for the names, paths, exhibit IDs and digests written. A database written without sealing is
 * searched the same way first, to show that the search finds what is there.
 */
import {createHash} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import type Database from 'better-sqlite3'
import {ConvertedObjects} from '../../src/case/converted-objects.js'
import {FolderListing} from '../../src/ingest/folder-listing.js'
import {skipped, fileRef} from '../../src/ingest/results.js'
import {Worklist} from '../../src/ingest/worklist.js'
import {openScratchDatabase, scratchCacheKiB} from '../../src/io/scratch-db.js'
import {IN_CLEAR} from '../../src/io/scratch-seal.js'
import {SORT_LIMITS} from '../../src/io/scratch-sort.js'
import {ArchiveData} from '../../src/report/archive-data.js'
import {EVENTS_PATH, STATEMENT_PATH} from '../../src/seal/bag-layout.js'
import {SealChoice} from '../../src/seal/choice.js'
import {BagIndex} from '../../src/verify/archive/bag-index.js'
import {ClaimIndex} from '../../src/verify/claim-index.js'
import type {ArchiveContext} from '../../src/verify/archive/context.js'
import {tempDir} from '../helpers/cli.js'
import {openScratchFiles} from '../helpers/scratch-files.js'

const work = tempDir('custody-scratch-plaintext-')
const ROWS = 3000
let cache: number
const limits = {...SORT_LIMITS}
beforeAll(() => {
  cache = scratchCacheKiB(64)
})
afterAll(() => {
  scratchCacheKiB(cache)
  work.remove()
})
beforeEach(() => Object.assign(SORT_LIMITS, {runItems: 500, fanIn: 4}))
afterEach(() => Object.assign(SORT_LIMITS, limits))

/** The bytes of the scratch files this process holds open: unlinked files in the scratch folder. */
function scratchFiles(): Buffer[] {
  return openScratchFiles().map((path) => readFileSync(path))
}

/** The needles found in the scratch files; and how many bytes those hold (the pages did reach the disk). */
function search(needles: ReadonlyArray<string | Buffer>): {found: string[]; bytes: number} {
  const files = scratchFiles()
  const found = needles.filter((needle) => files.some((file) => file.includes(needle))).map((needle) => (typeof needle === 'string' ? needle : `0x${needle.toString('hex')}`))
  return {found, bytes: files.reduce((sum, file) => sum + file.length, 0)}
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/**
 * What each test writes for row i, and looks for: rows written early (the last ones may still be
 * in the cache, not in the file).
 */
const path = (i: number) => `/home/amira/evidence/witness-Karim-${i}/IMG_${i}.jpg`
const exhibit = (i: number) => `EX-Karim-${i}`
const needles = (label: string): Array<string | Buffer> => [
  'witness-Karim',
  'Karim',
  '/home/amira',
  'IMG_7.jpg',
  sha256(`${label} 1000`).toString('hex'),
  sha256(`${label} 7`).toString('hex'),
  sha256(`${label} 7`),
]

describe('the search itself', () => {
  it('finds plaintext in a scratch database written without sealing', () => {
    const db = openScratchDatabase('CREATE TABLE row (path TEXT NOT NULL, sha256 TEXT NOT NULL, raw BLOB NOT NULL)')
    try {
      const insert = db.prepare('INSERT INTO row VALUES (?, ?, ?)')
      for (let i = 0; i < ROWS; i++) insert.run(path(i), sha256(`raw ${i}`).toString('hex'), sha256(`raw ${i}`))
      const {found, bytes} = search(needles('raw'))
      expect(bytes).toBeGreaterThan(256 * 1024)
      expect(found).toEqual(needles('raw').map((n) => (typeof n === 'string' ? n : `0x${n.toString('hex')}`)))
    } finally {
      db.close()
    }
  })
})

describe('no plaintext in the scratch files of', () => {
  it('an ingest worklist: paths, manifest rows, exhibits, digests, results, system entries', () => {
    using list = new Worklist()
    for (let i = 0; i < ROWS; i++) {
      const digest = sha256(`worklist ${i}`).toString('hex')
      expect(list.claim(path(i), i)).toBeUndefined()
      list.add({path: path(i), relativePath: `witness-Karim-${i}/IMG_${i}.jpg`, symlinkTarget: null, size: i})
      list.know({path: path(i), exhibit: exhibit(i), seq: i})
      list.remember({path: path(i), exhibit: exhibit(i), size: i, modifiedAt: null})
      list.firstWithContent(digest, path(i))
      list.addSystem({path: `${path(i)}/.Trashes`, what: 'a trash folder', trash: true, files: null} as never)
    }

    for (const {i, file} of list.files('all')) list.setResult(i, skipped(fileRef(file.path), `seen ${sha256(`worklist ${i - 1}`).toString('hex')}`))
    const {found, bytes} = search(needles('worklist'))
    expect(bytes).toBeGreaterThan(256 * 1024)
    expect(found).toEqual([])
    // And it all reads back.
    expect(list.claim(path(7))).toBe(7)
    expect(list.tookFrom(path(7), exhibit(7))).toBe(true)
    expect(list.tookFrom(path(7), exhibit(8))).toBe(false)
    expect(list.takenFrom(path(ROWS - 1))).toBe(exhibit(ROWS - 1))
    expect(list.earlier(path(9))).toEqual({path: path(9), exhibit: exhibit(9), size: 9, modifiedAt: null})
    expect(list.firstWithContent(sha256('worklist 3').toString('hex'), 'other')).toBe(path(3))
    expect([...list.results(() => undefined as never)].at(-1)).toMatchObject({path: path(ROWS - 1), status: 'skipped'})
  })

  it("a folder listing: a folder's entries, across sorted runs", async () => {
    const dir = join(work.path, 'witness-Karim-folder')
    mkdirSync(dir)
    for (let i = 0; i < ROWS; i++) writeFileSync(join(dir, `IMG_${i}.jpg-witness-Karim`), '')
    using listing = new FolderListing()
    const names: string[] = []
    let searched: ReturnType<typeof search> | undefined
    for await (const entry of listing.entries(dir)) {
      names.push(entry.name)
      searched ??= search(['witness-Karim', 'Karim', `IMG_${ROWS - 1}.jpg`, 'IMG_7.jpg', 'IMG_1000.jpg'])
    }

    expect(searched!.bytes).toBeGreaterThan(128 * 1024)
    expect(searched!.found).toEqual([])
    expect(names).toEqual(readdirSync(dir).sort())
  })

  it("verify's claim index: exhibits, digests, records", () => {
    using claims = new ClaimIndex()
    for (let i = 0; i < ROWS; i++) {
      const digest = sha256(`claims ${i}`).toString('hex')
      claims.add({exhibit: exhibit(i), seq: i, sha256: digest, sha512: undefined, size: i, record: `record of witness-Karim-${i}`})
      claims.reference(digest)
    }

    const {found, bytes} = search(needles('claims'))
    expect(bytes).toBeGreaterThan(256 * 1024)
    expect(found).toEqual([])
    expect(claims.sha256Of(exhibit(7))).toBe(sha256('claims 7').toString('hex'))
    expect(claims.isReferenced(sha256('claims 8').toString('hex'))).toBe(true)
  })

  it("a conversion's index of the objects converted: plaintext and stored SHA-256s, keyed addresses", () => {
    using converted = new ConvertedObjects()
    const hex = (label: string, i: number): string => sha256(`${label} ${i}`).toString('hex')
    const object = (i: number) => ({sha256: hex('clear', i), stored: {vault: `vault/objects/${hex('address', i).slice(0, 2)}/${hex('address', i)}.age`, sha256: hex('age', i), size: i}})
    for (let start = 0; start < ROWS; start += 1000) converted.add(Array.from({length: 1000}, (_, k) => object(start + k)))
    const {found, bytes} = search([...[7, 8, 9].flatMap((i) => [hex('clear', i), hex('address', i), hex('age', i), sha256(`clear ${i}`)]), 'vault/objects/'])
    expect(bytes).toBeGreaterThan(256 * 1024)
    expect(found).toEqual([])
    expect(converted.size).toBe(ROWS)
    expect(converted.has(hex('clear', 7))).toBe(true)
    expect(converted.has(hex('age', 7))).toBe(false)
    expect(converted.get(hex('clear', 7))).toEqual(object(7).stored)
    // Recorded again (two events naming one object): its last record, counted once, as a map built in ledger order had it.
    converted.add([{sha256: hex('clear', 7), stored: object(8).stored}])
    expect(converted.size).toBe(ROWS)
    expect(converted.get(hex('clear', 7))).toEqual(object(8).stored)
  })

  it("a seal's choice of exhibits", () => {
    using choice = new SealChoice()
    for (let i = 0; i < ROWS; i++) choice.add(exhibit(i))
    const ids = choice.ids()
    expect(ids.next().value).toBe(exhibit(0))
    const {found, bytes} = search(['Karim', exhibit(7), exhibit(ROWS - 1)])
    expect(bytes).toBeGreaterThan(64 * 1024)
    expect(found).toEqual([])
    expect(choice.has(exhibit(5))).toBe(true)
    expect([exhibit(0), ...ids]).toEqual(Array.from({length: ROWS}, (_, i) => exhibit(i)).sort((a, b) => (`${a}/` < `${b}/` ? -1 : 1)))
  })

  it("a report's archive data: the statement's exhibits and the events", async () => {
    using data = new ArchiveData()
    const statement = JSON.stringify({exhibits: Array.from({length: ROWS}, (_, i) => ({exhibit: exhibit(i), path: path(i), sha256: sha256(`report ${i}`).toString('hex')}))})
    const events = Array.from({length: ROWS}, (_, i) => JSON.stringify({seq: i + 1, event: {exhibit: exhibit(i), action: 'ingest', source: path(i), sha256: sha256(`report ${i}`).toString('hex')}}))
    const files = new Map<string, {info: string}>([
      [STATEMENT_PATH, {info: 'statement'}],
      [EVENTS_PATH, {info: 'events'}],
    ])
    // The archive as the verifier hands it over: its files, read as chunks and lines.
    const context = {
      files,
      source: {
        async *chunks() {
          yield Buffer.from(statement)
        },
        async *lines() {
          yield* events
        },
      },
    } as unknown as ArchiveContext
    await data.load(context)
    expect(data.unread).toEqual([])
    const {found, bytes} = search(needles('report'))
    expect(bytes).toBeGreaterThan(256 * 1024)
    expect(found).toEqual([])
    expect(data.states(exhibit(7))).toBe(true)
    expect(data.ingest(exhibit(7))).toMatchObject({source: path(7)})
    expect(data.exhibits().next().value).toMatchObject({stated: {path: path(0)}})
  })
})

describe('no plaintext in the scratch file of an archive verifier', () => {
  it("the bag index: the ZIP's names, paths and digests, the stated exhibits", () => {
    using index = new BagIndex()
    const name = (i: number) => `bag/data/exhibits/${exhibit(i)}/original/IMG_${i}.jpg-witness-Karim`
    for (let i = 0; i < ROWS; i++) {
      index.addEntry({index: i, name: name(i), isDirectory: false, method: 0, encrypted: false, compressedSize: 1, uncompressedSize: 1, offset: i, dataStart: i, crc32: 0, unixMode: 0o100644})
    }

    for (const info of index.fileEntries()) {
      const i = info.index
      index.setDigest(info, info.name.slice(4), {sha256: sha256(`bag ${i}`).toString('hex'), sha512: createHash('sha512').update(`bag ${i}`).digest('hex'), size: 1})
      index.addStatedExhibit(exhibit(i), i, sha256(`bag ${i}`).toString('hex'), 'x')
    }

    const {found, bytes} = search([...needles('bag'), createHash('sha512').update('bag 7').digest('hex')])
    expect(bytes).toBeGreaterThan(256 * 1024)
    expect(found).toEqual([])
    expect(index.layoutProblems(1e9, 200)).toEqual({problems: [], top: 'bag'})
    expect(index.get(name(7).slice(4))?.sha256).toBe(sha256('bag 7').toString('hex'))
    expect(index.statedSha256(exhibit(9))).toBe(sha256('bag 9').toString('hex'))
  })

  it('keeps the names in clear for an archive in clear (IN_CLEAR, which verify gives a ZIP that is not an age file)', () => {
    using index = new BagIndex(IN_CLEAR)
    for (let i = 0; i < ROWS; i++) {
      index.addEntry({index: i, name: `bag/data/${path(i)}`, isDirectory: false, method: 0, encrypted: false, compressedSize: 1, uncompressedSize: 1, offset: i, dataStart: i, crc32: 0, unixMode: 0o100644})
    }

    expect(search(['witness-Karim', 'IMG_7.jpg']).found).toEqual(['witness-Karim', 'IMG_7.jpg'])
  })
})

describe('a scratch value changed on disk while the run holds it', () => {
  it("stops a conversion's lookup with STORAGE_FAILED, never another object's stored form", () => {
    using converted = new ConvertedObjects()
    const object = (i: number) => ({sha256: sha256(`clear ${i}`).toString('hex'), stored: {vault: `vault/objects/${i}.age`, sha256: sha256(`age ${i}`).toString('hex'), size: i}})
    converted.add([object(1), object(2)])
    const db = (converted as unknown as {db: Database.Database}).db
    // The second object's sealed stored form copied over the first's: it would have its age file checked against the wrong one.
    db.prepare('UPDATE converted SET stored = (SELECT stored FROM converted ORDER BY sha256 DESC LIMIT 1)').run()
    expect(() => [converted.get(object(1).sha256), converted.get(object(2).sha256)]).toThrow(/^a row of custody's working index in the temp folder .* \(converted\.stored [0-9a-f]{64}\) was changed while the command ran/)
  })

  it('stops the worklist with STORAGE_FAILED, not another file', () => {
    using list = new Worklist()
    for (let i = 0; i < 3; i++) list.add({path: path(i), relativePath: null, symlinkTarget: null, size: i})
    const db = (list as unknown as {db: Database.Database}).db
    // The second file's sealed row copied over the first's: a well-formed ciphertext, at the wrong place.
    db.prepare('UPDATE file SET input = (SELECT input FROM file WHERE i = 2) WHERE i = 1').run()
    expect(() => [...list.files('all')]).toThrow(/^a row of custody's working index in the temp folder .* \(file\.input 1\) was changed while the command ran/)
  })
})
