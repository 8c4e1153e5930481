/**
 * Entry names (src/zip/names.ts): custody takes the name every mainstream reader extracts to, and
 * refuses a name they could read differently. Each case is checked against the readers
 * themselves: Info-ZIP's unzip, Python's zipfile and 7-Zip (p7zip-full), on ZIPs made by
 * Info-ZIP's zip, 7-Zip and Python, and on forgeries whose raw name, flag, system and Unicode
 * Path field (0x7075) say different things.
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {cp437} from '../../src/zip/names.js'
import type {ZipEntryInfo} from '../../src/zip/reader.js'
import {tempDir} from '../helpers/cli.js'
import {withSafeZip} from '../helpers/safe-zip.js'
import {checker} from '../helpers/tools.js'
import {pythonNames, rawNameZip, readersSay, type RawEntry} from '../helpers/zip-names.js'

const tmp = tempDir('custody-zip-names-')
afterAll(() => tmp.remove())
let n = 0
const sevenZip = checker('7z')

const CYRILLIC = 'Свій Київ'
const ARMENIAN = 'Բարեւ'
/** The Cyrillic name in CP866, the DOS code page a Russian or Ukrainian Windows zips names in. */
const CP866 = Buffer.from([0x91, 0xa2, 0xa5, 0xa9])

/** custody's reading of the names: each file's name and CP437 reading, or the error that refused the ZIP. */
async function custodyNames(path: string): Promise<{names: Array<Pick<ZipEntryInfo, 'name' | 'cp437Name'>>} | {error: string}> {
  return withSafeZip(path, undefined, async (zip) => {
    const names: Array<Pick<ZipEntryInfo, 'name' | 'cp437Name'>> = []
    await zip.list((info) => {
      if (!info.isDirectory) names.push(info.cp437Name === undefined ? {name: info.name} : {name: info.name, cp437Name: info.cp437Name})
    })
    return {names}
  })
}

async function refused(path: string): Promise<string> {
  const read = await custodyNames(path)
  expect(read, `custody accepted ${path}`).toHaveProperty('error')
  return (read as {error: string}).error
}

const forged = (entries: RawEntry[]): string => rawNameZip(join(tmp.path, `forged-${n++}.zip`), entries)
const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8')

/** A tree holding the Cyrillic and Armenian names, for the real writers. */
function tree(): string {
  const root = join(tmp.path, `tree-${n++}`)
  mkdirSync(join(root, 'bag/data'), {recursive: true})
  writeFileSync(join(root, `bag/data/${CYRILLIC}.txt`), 'cyrillic')
  writeFileSync(join(root, `bag/data/${ARMENIAN}.txt`), 'armenian')
  writeFileSync(join(root, 'bag/data/plain.txt'), 'plain')
  return root
}

const sorted = (names: readonly string[] | null): string[] | null => (names === null ? null : [...names].sort())

describe('names the readers agree on are read as they read them', () => {
  it("Info-ZIP's zip 3.0 on Linux (UTF-8 names, never flagged, made on Unix): UTF-8 as unzip and 7-Zip read them; Python's CP437 reading beside", async () => {
    const root = tree()
    const path = join(tmp.path, 'info-zip.zip')
    expect(spawnSync('zip', ['-q', '-r', path, 'bag'], {cwd: root, env: {...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8'}}).status).toBe(0)
    const read = await custodyNames(path)
    expect(read).toHaveProperty('names')
    const names = (read as {names: Array<{name: string; cp437Name?: string}>}).names
    const readers = readersSay(path)
    expect(sorted(names.map((e) => e.name))).toEqual(sorted(readers.unzip))
    if (sevenZip) expect(sorted(names.map((e) => e.name))).toEqual(sorted(readers.sevenZip))
    // Python's zipfile (3.11 and later alike) reads a name not flagged UTF-8 as CP437.
    expect(sorted(names.map((e) => e.cp437Name ?? e.name))).toEqual(sorted(readers.python))
    expect(names).toContainEqual({name: `bag/data/${CYRILLIC}.txt`, cp437Name: cp437(utf8(`bag/data/${CYRILLIC}.txt`))})
    expect(names).toContainEqual({name: 'bag/data/plain.txt'})
  })

  it("7-Zip's and Python's names (flagged UTF-8) are read as every reader reads them", async () => {
    const root = tree()
    const made = [join(tmp.path, 'python.zip')]
    const python = spawnSync('python3', ['-c', 'import os, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w") as z:\n  for d, _, fs in os.walk("bag"):\n    for f in fs: z.write(os.path.join(d, f))', made[0]!], {cwd: root})
    expect(python.status).toBe(0)
    if (sevenZip) {
      made.push(join(tmp.path, '7z.zip'))
      expect(spawnSync('7z', ['a', '-tzip', '-bd', made[1]!, 'bag'], {cwd: root}).status).toBe(0)
    }

    for (const path of made) {
      const read = await custodyNames(path)
      const names = sorted((read as {names: Array<{name: string}>}).names.map((e) => e.name))
      const readers = readersSay(path)
      expect(names).toEqual(sorted(readers.unzip))
      expect(names).toEqual(sorted(readers.python))
      if (sevenZip) expect(names).toEqual(sorted(readers.sevenZip))
      expect(names).toContain(`bag/data/${ARMENIAN}.txt`)
    }
  })

  it('a Unicode Path field that holds the raw name itself, with its CRC-32: one name whether a reader honours the field or not', async () => {
    const name = utf8(`bag/${CYRILLIC}.txt`)
    const path = forged([{raw: name, unicodePath: {name}}])
    expect(await custodyNames(path)).toEqual({names: [{name: `bag/${CYRILLIC}.txt`, cp437Name: cp437(name)}]})
    const readers = readersSay(path)
    expect(readers.unzip).toEqual([`bag/${CYRILLIC}.txt`])
    if (sevenZip) expect(readers.sevenZip).toEqual([`bag/${CYRILLIC}.txt`])
  })
})

describe('names the readers could read otherwise are refused', () => {
  it('a name neither ASCII nor UTF-8, not flagged (CP866 from a Windows zip): every reader guesses its own code page', async () => {
    const path = forged([{raw: Buffer.concat([utf8('bag/'), CP866, utf8('.txt')])}])
    expect(await refused(path)).toMatch(/neither ASCII nor UTF-8, and the entry does not say in which code page/)
    expect(readersSay(path).python).toEqual([`bag/${cp437(CP866)}.txt`])
  })

  it('a UTF-8 name not flagged, of an entry made on MS-DOS: unzip converts it from the DOS code page, 7-Zip takes it as UTF-8', async () => {
    const path = forged([{raw: utf8(`bag/${CYRILLIC}.txt`), host: 0}])
    expect(await refused(path)).toMatch(/not flagged UTF-8 \(general purpose bit 11\), and the entry was made on system 0, not Unix/)
    const readers = readersSay(path)
    expect(readers.unzip).not.toEqual([`bag/${CYRILLIC}.txt`])
    if (sevenZip) expect(readers.sevenZip).toEqual([`bag/${CYRILLIC}.txt`])
  })

  it('a name flagged UTF-8 that is not', async () => {
    expect(await refused(forged([{raw: Buffer.concat([utf8('bag/'), CP866]), utf8Flag: true}]))).toMatch(/flagged UTF-8 \(general purpose bit 11\) but is not UTF-8/)
  })

  it('a Unicode Path field naming another file, with the CRC-32 right: unzip and 7-Zip extract one name, Python (3.11) another', async () => {
    const path = forged([{raw: utf8('bag/a.txt'), unicodePath: {name: utf8('bag/b.txt')}}])
    expect(await refused(path)).toMatch(/Unicode Path extra field \(0x7075\) names it otherwise, "bag\/b\.txt": unzip, 7-Zip and yauzl would extract it under that name, Python's zipfile before 3\.12 as "bag\/a\.txt"/)
    const readers = readersSay(path)
    expect(readers.unzip).toEqual(['bag/b.txt'])
    expect(readers.python).toEqual(['bag/a.txt'])
    if (sevenZip) expect(readers.sevenZip).toEqual(['bag/b.txt'])
  })

  it('a Unicode Path field naming another file with a wrong CRC-32, or of another version: a reader that does not check would take it', async () => {
    const wrongCrc = forged([{raw: utf8('bag/a.txt'), unicodePath: {name: utf8('bag/b.txt'), crc: 0x12345678}}])
    expect(await refused(wrongCrc)).toMatch(/does not carry the CRC-32 of the name it stands for/)
    const version = forged([{raw: utf8('bag/a.txt'), unicodePath: {name: utf8('bag/a.txt'), version: 2}}])
    expect(await refused(version)).toMatch(/Unicode Path extra field \(0x7075\) is not of version 1/)
  })

  it('a CP866 name with a Unicode Path field in UTF-8 (Info-ZIP zip on Windows): Python before 3.12 reads the raw name as CP437', async () => {
    const raw = Buffer.concat([utf8('bag/'), CP866, utf8('.txt')])
    const path = forged([{raw, unicodePath: {name: utf8('bag/Свій.txt')}}])
    expect(await refused(path)).toMatch(/neither ASCII nor UTF-8/)
    const readers = readersSay(path)
    expect(readers.unzip).toEqual(['bag/Свій.txt'])
    expect(readers.python).not.toEqual(['bag/Свій.txt'])
  })
})

describe('property: a name custody accepts is the one unzip and 7-Zip extract to, and Python reads it or its CP437 reading', () => {
  it('holds for 150 random changes to the names, flags and systems of a ZIP written as Info-ZIP writes one', async () => {
    const base = readFileSync(
      forged([
        {raw: utf8(`bag/${CYRILLIC}.txt`)},
        {raw: utf8(`bag/${ARMENIAN}.txt`), unicodePath: {name: utf8(`bag/${ARMENIAN}.txt`)}},
        {raw: utf8('bag/café.txt'), utf8Flag: true},
      ]),
    )
    // The bytes that decide a name, changed alike in the local header and the central record (else
    // they would disagree, which is refused before names matter): each entry's flags, its name's
    // bytes, and (central only) the system that made it.
    const locals: number[] = []
    const centrals: number[] = []
    for (let at = base.indexOf('PK\x03\x04'); at >= 0; at = base.indexOf('PK\x03\x04', at + 4)) locals.push(at)
    for (let at = base.indexOf('PK\x01\x02'); at >= 0; at = base.indexOf('PK\x01\x02', at + 4)) centrals.push(at)
    const targets: number[][] = centrals.flatMap((central, k) => {
      const local = locals[k]!
      const name = Array.from({length: base.readUInt16LE(central + 28)}, (_, i) => [local + 30 + i, central + 46 + i])
      return [[central + 5], [local + 6, central + 8], [local + 7, central + 9], ...name]
    })
    let seed = 0x7075
    const random = (below: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % below
    }

    const mutants: Array<{path: string; what: string; names: Array<{name: string; cp437Name?: string}>}> = []
    for (let i = 0; i < 150; i++) {
      const bytes = Buffer.from(base)
      const places = targets[random(targets.length)]!
      const at = places[0]!
      // A bit flipped, or a byte replaced: a flag or a system changed, a name's byte made another.
      const value = random(2) === 0 ? bytes[at]! ^ (1 << random(8)) : random(256)
      for (const place of places) bytes[place] = value
      const path = join(tmp.path, `mutant-${i}.zip`)
      writeFileSync(path, bytes)
      const read = await custodyNames(path)
      if (!('error' in read)) mutants.push({path, what: `bytes ${places.join(', ')}: 0x${base[at]!.toString(16)} -> 0x${value.toString(16)}`, names: read.names})
    }

    const python = pythonNames(mutants.map((m) => m.path))
    for (const [i, {path, what, names}] of mutants.entries()) {
      const readers = readersSay(path, {python: false, sevenZip: sevenZip !== undefined && i % 4 === 0})
      expect(readers.unzip, `custody accepts ${what}; unzip reads it otherwise`).toEqual(names.map((e) => e.name))
      expect(python[i], `custody accepts ${what}; Python reads it otherwise`).toEqual(names.map((e) => e.cp437Name ?? e.name))
      if (readers.sevenZip !== null) expect(readers.sevenZip, `custody accepts ${what}; 7-Zip reads it otherwise`).toEqual(names.map((e) => e.name))
    }

    // Changes that leave a valid name (another letter, a flag or system that does not matter) are accepted.
    expect(mutants.length).toBeGreaterThan(20)
    expect(mutants.length).toBeLessThan(150)
  })
})
