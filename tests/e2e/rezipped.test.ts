/**
 * Issue 18, "The lawyer": a sealed archive whose exhibits have Cyrillic and Armenian names,
 * unzipped and zipped again with the tools someone who received it has (Info-ZIP's zip on Linux,
 * Python's zipfile, 7-Zip, macOS's ditto), still verifies, as `sha256sum -c` says it should; and
 * forgeries that give one entry two names (one for some readers, one for others) are refused.
 */
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {ARMENIAN_NAME, CYRILLIC_NAME, sealedUnderNames, type SealedCase} from '../helpers/bag.js'
import {custodyJson, tempDir} from '../helpers/cli.js'
import {checker} from '../helpers/tools.js'
import {readersSay, rezipWithNames} from '../helpers/zip-names.js'
import {cp437} from '../../src/zip/names.js'
import type {ArchiveReport} from '../../src/verify/verify-archive.js'

/** The report `custody verify ... --json` prints. */
type ArchiveJson = ArchiveReport

const CYRILLIC = CYRILLIC_NAME
const ARMENIAN = ARMENIAN_NAME
const UTF8_LOCALE = {...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8'}

const work = tempDir('custody-rezipped-')
let sealed: SealedCase
let n = 0

beforeAll(async () => {
  sealed = await sealedUnderNames(work.path, {[CYRILLIC]: 'Canon.jpg', [ARMENIAN]: 'GPS.jpg'})
})

afterAll(() => {
  sealed.kase.remove()
  work.remove()
})

const original = (exhibit: number, name: string): string => `${sealed.bag}/data/exhibits/EX-00000${exhibit}/original/${name}`

async function verifies(zip: string): Promise<ArchiveJson> {
  const result = await custodyJson<ArchiveJson>(['verify', zip])
  expect(result.code, JSON.stringify(result.json.problems ?? result.json, null, 1)).toBe(0)
  expect(result.json).toMatchObject({ok: true, exhibits: 2, problems: []})
  return result.json
}

async function refused(zip: string): Promise<ArchiveJson['problems']> {
  const result = await custodyJson<ArchiveJson>(['verify', zip])
  expect(result.code, JSON.stringify(result.json, null, 1)).toBe(3)
  return result.json.problems
}

describe('a bag unzipped and zipped again still verifies', () => {
  it('the sealed archive holds the Cyrillic and Armenian names as the seal gave them, flagged UTF-8', async () => {
    const {archive, bag, pristine} = sealed
    expect(readersSay(archive).python).toEqual(expect.arrayContaining([original(1, CYRILLIC), original(2, ARMENIAN)]))
    expect(readdirSync(join(pristine, bag, 'data/exhibits/EX-000001/original'))).toEqual([CYRILLIC])
    expect((await verifies(archive)).warnings).toEqual([])
  })

  it("zipped again by Info-ZIP's zip 3.0 (zip -qr, LANG=C.UTF-8): names not flagged UTF-8, read as unzip reads them, with a warning for Python's readers", async () => {
    const {bag, pristine} = sealed
    const zip = join(work.path, 'info-zip.zip')
    expect(spawnSync('zip', ['-q', '-r', zip, bag], {cwd: pristine, env: UTF8_LOCALE}).status).toBe(0)
    // What the lawyer saw: sha256sum -c passes on what unzip extracts from it.
    const out = join(work.path, `unzipped-${n++}`)
    expect(spawnSync('unzip', ['-q', zip, '-d', out], {env: UTF8_LOCALE}).status).toBe(0)
    expect(spawnSync('sha256sum', ['-c', '--quiet', 'manifest-sha256.txt'], {cwd: join(out, bag)}).status).toBe(0)
    expect(readersSay(zip).python).toContain(cp437(Buffer.from(original(1, CYRILLIC))))
    const report = await verifies(zip)
    expect(report.warnings).toEqual([expect.stringMatching(/^zip: 2 names \(the first ".*Свій Київ\.jpg"\) are not flagged UTF-8 .*Python's zipfile/)])
  })

  it("zipped again by Python's zipfile, deflated, and by 7-Zip: UTF-8 names flagged, nothing to warn of", async () => {
    const {bag, pristine} = sealed
    const python = join(work.path, 'python.zip')
    const script = 'import os, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:\n  for d, _, fs in os.walk(sys.argv[2]):\n    for f in sorted(fs): z.write(os.path.join(d, f))'
    expect(spawnSync('python3', ['-c', script, python, bag], {cwd: pristine}).status).toBe(0)
    expect((await verifies(python)).warnings).toEqual([])
    if (checker('7z') === undefined) return
    const sevenZip = join(work.path, '7z.zip')
    expect(spawnSync('7z', ['a', '-tzip', '-bd', sevenZip, bag], {cwd: pristine, env: UTF8_LOCALE}).status).toBe(0)
    expect(readersSay(sevenZip).sevenZip).toContain(original(1, CYRILLIC))
    expect((await verifies(sevenZip)).warnings).toEqual([])
  })

  it('zipped again as macOS ditto -c -k --sequesterRsrc --keepParent does: names in NFD, AppleDouble files under __MACOSX/; both said, neither a failure', async () => {
    const {bag, pristine} = sealed
    const zip = join(work.path, 'ditto.zip')
    // ditto flags names UTF-8 in the form the Mac's file system gives them (HFS+: NFD), adds
    // folder entries, deflates, and puts a ._NAME AppleDouble file under __MACOSX/ for each file
    // with extended attributes (a downloaded file's quarantine flag is one).
    const script = `
import os, struct, sys, unicodedata, zipfile
top = sys.argv[2]
apple_double = struct.pack('>II16xH', 0x00051607, 0x00020000, 0)
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for d, ds, fs in os.walk(top):
        ds.sort()
        z.writestr(zipfile.ZipInfo(unicodedata.normalize('NFD', d) + '/'), b'')
        for f in sorted(fs):
            name = unicodedata.normalize('NFD', os.path.join(d, f))
            z.write(os.path.join(d, f), name)
            if f.endswith('.jpg'):
                folder, base = os.path.split(name)
                z.writestr('__MACOSX/' + folder + '/._' + base, apple_double)
`
    expect(spawnSync('python3', ['-c', script, zip, bag], {cwd: pristine}).status).toBe(0)
    expect(readersSay(zip).python).toContain(original(1, CYRILLIC).normalize('NFD'))
    const report = await verifies(zip)
    // Київ decomposes (ї is і and a diaeresis); the Armenian name has no letter that does.
    expect(report.warnings).toEqual([
      `zip: the name ${JSON.stringify(original(1, CYRILLIC).normalize('NFD'))} is stored decomposed (Unicode NFD, as macOS writes names) where the manifests and the seal statement give them composed (NFC): the same names, checked as such, but on Linux and Windows sha256sum -c and verify-bag.py will not find these files once unzipped (on macOS they will)`,
      'zip: 2 AppleDouble files under __MACOSX/ (resource forks and extended attributes, which macOS\'s Finder and ditto add beside what they zip) are not part of the bag: left aside',
    ])
    expect(report.checks[0]).toMatchObject({name: 'zip', status: 'ok', detail: expect.stringContaining('2 AppleDouble files under __MACOSX/ left aside')})
  })
})

describe('forgeries that give an entry two names are refused', () => {
  it("an exhibit's name not flagged UTF-8, beside another file under its CP437 reading: Python and yauzl would extract both to one file", async () => {
    const {archive} = sealed
    const genuine = original(1, CYRILLIC)
    const raw = Buffer.from(genuine)
    const zip = rezipWithNames(archive, join(work.path, `forged-${n++}.zip`), {[genuine]: {raw}}, [{raw: Buffer.from(cp437(raw)), utf8Flag: true, data: Buffer.from('planted')}])
    // Python's zipfile sees one name twice; unzip sees two files.
    const readers = readersSay(zip)
    expect(readers.python!.filter((name) => name === cp437(raw))).toHaveLength(2)
    expect(readers.unzip).toEqual(expect.arrayContaining([genuine, cp437(raw)]))
    expect(await refused(zip)).toContainEqual(
      expect.objectContaining({check: 'zip', subject: genuine, message: expect.stringContaining(`read as CP437 (as Python's zipfile and yauzl read such a name) it is ${JSON.stringify(cp437(raw))}, the name of the entry`)}),
    )
  })

  it("an exhibit whose Unicode Path field names a planted file: unzip and 7-Zip would extract the genuine bytes under the planted name", async () => {
    const {archive} = sealed
    const genuine = original(1, CYRILLIC)
    const zip = rezipWithNames(archive, join(work.path, `forged-${n++}.zip`), {[genuine]: {raw: Buffer.from(genuine), unicodePath: {name: Buffer.from(original(1, 'Canon.jpg'))}}})
    const readers = readersSay(zip)
    expect(readers.unzip).toContain(original(1, 'Canon.jpg'))
    expect(readers.python).toContain(cp437(Buffer.from(genuine)))
    expect(await refused(zip)).toEqual([expect.objectContaining({check: 'zip', message: expect.stringContaining('Unicode Path extra field (0x7075) names it otherwise')})])
  })

  it('a file under __MACOSX/ that is no AppleDouble companion', async () => {
    const {archive, bag} = sealed
    const zip = rezipWithNames(archive, join(work.path, `forged-${n++}.zip`), {}, [{raw: Buffer.from(`__MACOSX/${bag}/data/evidence.jpg`), data: Buffer.from('x')}])
    expect(await refused(zip)).toContainEqual(expect.objectContaining({check: 'zip', subject: `__MACOSX/${bag}/data/evidence.jpg`, message: expect.stringContaining('is not the AppleDouble file')}))
  })
})
