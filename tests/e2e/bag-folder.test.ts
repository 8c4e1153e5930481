/**
 * Issue 18, "The lawyer": `custody verify FOLDER` verifies a bag folder (a sealed archive unzipped)
 * as it verifies the ZIP: the folder unzip made or the bag folder itself, the same checks and
 * report, --json and --against alike; and the folder tampered with as someone holding it would:
 * a byte changed, a file added, a symbolic link planted pointing outside, a FIFO, a file larger
 * than any genuine one of its kind, a name that is not UTF-8.
 */
import {spawnSync} from 'node:child_process'
import {cpSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {ArchiveReport} from '../../src/verify/verify-archive.js'
import {CYRILLIC_NAME, sealedUnderNames, type SealedCase} from '../helpers/bag.js'
import {custody, custodyJson, SAMPLES, tempDir} from '../helpers/cli.js'

/** The report `custody verify ... --json` prints. */
type ArchiveJson = ArchiveReport

const CYRILLIC = CYRILLIC_NAME
const work = tempDir('custody-bag-folder-')
let sealed: SealedCase
let n = 0

beforeAll(async () => {
  sealed = await sealedUnderNames(work.path, {[CYRILLIC]: 'Canon.jpg', 'GPS.jpg': 'GPS.jpg'})
})

afterAll(() => {
  sealed.kase.remove()
  work.remove()
})

/** A copy of the folder unzip made, changed by `change` (given the bag folder). */
function tampered(change: (bagDir: string) => void): string {
  const dir = join(work.path, `tampered-${n++}`)
  cpSync(sealed.pristine, dir, {recursive: true, verbatimSymlinks: true})
  change(join(dir, sealed.bag))
  return dir
}

async function fails(folder: string): Promise<ArchiveJson> {
  const result = await custodyJson<ArchiveJson>(['verify', folder])
  expect(result.code, JSON.stringify(result.json, null, 1)).toBe(3)
  expect(result.json.ok).toBe(false)
  return result.json
}

describe('custody verify FOLDER', () => {
  it('verifies the folder unzip made, and the bag folder itself, as it verifies the ZIP: the same checks, the folder check for the zip check', async () => {
    const {archive, bag, pristine} = sealed
    const zip = await custodyJson<ArchiveJson>(['verify', archive])
    expect(zip.code).toBe(0)
    for (const folder of [pristine, join(pristine, bag)]) {
      const result = await custodyJson<ArchiveJson>(['verify', folder])
      expect(result.code, JSON.stringify(result.json.problems)).toBe(0)
      expect(result.json).toMatchObject({ok: true, source: 'folder', bag, sealId: zip.json.sealId, exhibits: 2, events: zip.json.events, problems: [], warnings: []})
      expect(result.json.checks.map((c) => c.name)).toEqual(['folder', ...zip.json.checks.slice(1).map((c) => c.name)])
      expect(result.json.checks.slice(1)).toEqual(zip.json.checks.slice(1))
      expect(result.json.checks[0]).toMatchObject({status: 'ok', detail: expect.stringContaining(`one bag folder ${bag}/`)})
    }

    const text = await custody(['verify', pristine])
    expect(text.stdout).toMatch(/^ok {4}folder /m)
    expect(text.stdout).toContain(`Bag folder intact: seal ${zip.json.sealId}, 2 exhibits`)
  })

  it('--against works the same: a folder against its ZIP, the ZIP against the folder, the case against the folder', async () => {
    const {kase, archive, bag, pristine} = sealed
    const folderAgainstZip = await custodyJson<{ok: boolean}>(['verify', pristine, '--against', archive])
    expect(folderAgainstZip.code, JSON.stringify(folderAgainstZip.json)).toBe(0)
    const zipAgainstFolder = await custodyJson<{ok: boolean}>(['verify', archive, '--against', join(pristine, bag)])
    expect(zipAgainstFolder.code, JSON.stringify(zipAgainstFolder.json)).toBe(0)
    const caseAgainstFolder = await custody(['verify', '--case', kase.dir, '--against', pristine])
    expect(caseAgainstFolder.code, caseAgainstFolder.stdout).toBe(0)
  })

  it('says plainly what a folder that is no bag is (exit 2): a case folder, a folder of other things', async () => {
    const {kase} = sealed
    const kaseFolder = await custodyJson<{error: {message: string}}>(['verify', kase.dir])
    expect(kaseFolder.code).toBe(2)
    expect(kaseFolder.json.error.message).toContain(`\`custody verify --case ${kase.dir}\` checks a case`)
    const other = await custodyJson<{error: {message: string}}>(['verify', work.path])
    expect(other.code).toBe(2)
    expect(other.json.error.message).toContain('is neither a bag folder (it holds no bagit.txt) nor a folder holding one bag folder and nothing else')
  })

  it('leaves aside the __MACOSX folder unzip makes beside the bag folder, and matches names stored in NFD to the manifests', async () => {
    const {bag} = sealed
    const folder = tampered((bagDir) => {
      const original = join(bagDir, 'data/exhibits/EX-000001/original')
      renameSync(join(original, CYRILLIC), join(original, CYRILLIC.normalize('NFD')))
      mkdirSync(join(bagDir, '..', '__MACOSX', bag), {recursive: true})
      writeFileSync(join(bagDir, '..', '__MACOSX', bag, '._README.txt'), 'AppleDouble')
    })
    expect(readdirSync(join(folder, bag, 'data/exhibits/EX-000001/original'))).toEqual([CYRILLIC.normalize('NFD')])
    const result = await custodyJson<ArchiveJson>(['verify', folder])
    expect(result.code, JSON.stringify(result.json.problems)).toBe(0)
    expect(result.json.warnings).toEqual([
      `folder: ${join(folder, '__MACOSX')}, beside the bag folder, holds macOS's AppleDouble files (resource forks and extended attributes; unzip makes it of a ZIP made on a Mac): not part of the bag, left aside`,
      expect.stringMatching(/^folder: the name ".*" is stored decomposed \(Unicode NFD, as macOS writes names\) .* on Linux and Windows sha256sum -c and verify-bag\.py will not find these files \(on macOS they will\)$/),
    ])
  })
})

describe('a bag folder opened in a file manager', () => {
  it("leaves aside Finder's .DS_Store, AppleDouble ._NAME beside NAME, Thumbs.db and desktop.ini, with a warning; a ._NAME with no NAME is a file added", async () => {
    const folder = tampered((bagDir) => {
      writeFileSync(join(bagDir, '.DS_Store'), 'Bud1 view settings')
      writeFileSync(join(bagDir, 'data/exhibits/EX-000002/original/.DS_Store'), 'Bud1')
      writeFileSync(join(bagDir, 'data/exhibits/EX-000002/original/._GPS.jpg'), 'AppleDouble')
      writeFileSync(join(bagDir, 'data/exhibits/Thumbs.db'), 'thumbnails')
      writeFileSync(join(bagDir, 'data/desktop.ini'), '[.ShellClassInfo]')
    })
    const result = await custodyJson<ArchiveJson>(['verify', folder])
    expect(result.code, JSON.stringify(result.json.problems)).toBe(0)
    expect(result.json.warnings).toContainEqual(
      `folder: 5 files that a file manager writes into the folders it shows (the first: ${sealed.bag}/.DS_Store (macOS Finder's view settings)) are no part of the bag, which no manifest lists: left aside (bagit.py and verify-bag.py count them as files added: remove them, or check the ZIP)`,
    )
    // Named like litter, but beside nothing it could be the AppleDouble file of: the bag's, and not listed.
    const planted = await fails(tampered((bagDir) => writeFileSync(join(bagDir, 'data/exhibits/EX-000002/original/._other.jpg'), 'planted')))
    expect(planted.problems).toContainEqual(expect.objectContaining({subject: 'data/exhibits/EX-000002/original/._other.jpg', message: 'is in the bag but not in manifest-sha256.txt'}))
  })
})

describe('a bag folder tampered with', () => {
  it('one byte of an exhibit changed', async () => {
    const folder = tampered((bagDir) => {
      const file = join(bagDir, 'data/exhibits/EX-000001/original', CYRILLIC)
      const bytes = readFileSync(file)
      bytes[300]! ^= 0x01
      writeFileSync(file, bytes)
    })
    const report = await fails(folder)
    expect(report.problems).toContainEqual(expect.objectContaining({check: 'manifests', subject: `data/exhibits/EX-000001/original/${CYRILLIC}`, message: expect.stringContaining('SHA-256 does not match manifest-sha256.txt')}))
    expect(report.problems).toContainEqual(expect.objectContaining({check: 'statement', subject: 'EX-000001'}))
    expect((await custody(['verify', folder])).stdout).toContain('BAG FOLDER CHECK FAILED')
  })

  it('a file added', async () => {
    const report = await fails(tampered((bagDir) => writeFileSync(join(bagDir, 'data/exhibits/EX-000002/original/planted.jpg'), 'planted')))
    expect(report.problems).toContainEqual(expect.objectContaining({subject: 'data/exhibits/EX-000002/original/planted.jpg', message: 'is in the bag but not in manifest-sha256.txt'}))
  })

  it('a symbolic link planted pointing outside, in place of an exhibit and beside it: refused, never followed, nothing else read', async () => {
    const {bag} = sealed
    const outside = join(work.path, 'outside.jpg')
    cpSync(join(SAMPLES, 'Canon.jpg'), outside)
    const report = await fails(
      tampered((bagDir) => {
        // The link leads to a file with the very bytes the manifests state: only the folder check can refuse it.
        const exhibit = join(bagDir, 'data/exhibits/EX-000001/original', CYRILLIC)
        cpSync(exhibit, outside)
        renameSync(exhibit, `${exhibit}.moved`)
        symlinkSync(outside, exhibit)
        symlinkSync('/etc/passwd', join(bagDir, 'data/passwd'))
      }),
    )
    expect(report.checks).toEqual([expect.objectContaining({name: 'folder', status: 'failed'})])
    expect(report.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({check: 'folder', subject: `${bag}/data/exhibits/EX-000001/original/${CYRILLIC}`, message: expect.stringContaining(`it is a symbolic link (to ${JSON.stringify(outside)})`)}),
        expect.objectContaining({check: 'folder', subject: `${bag}/data/passwd`, message: expect.stringContaining('it is a symbolic link (to "/etc/passwd")')}),
      ]),
    )
  })

  it('a symbolic link to a folder outside, a FIFO (never opened: verify does not wait on it), a name that is not UTF-8', async () => {
    const {bag} = sealed
    const report = await fails(
      tampered((bagDir) => {
        symlinkSync('/etc', join(bagDir, 'data/etc'))
        expect(spawnSync('mkfifo', [join(bagDir, 'data/fifo')]).status).toBe(0)
        writeFileSync(Buffer.concat([Buffer.from(`${bagDir}/data/`), Buffer.from([0x91, 0xa2, 0xa5, 0xa9])]), 'cp866')
      }),
    )
    expect(report.problems).toEqual([
      expect.objectContaining({subject: `${bag}/data/etc`, message: expect.stringContaining('symbolic link (to "/etc")')}),
      expect.objectContaining({subject: `${bag}/data/fifo`, message: 'it is a FIFO, socket or device, not a file: a bag holds only files and folders'}),
      expect.objectContaining({subject: expect.stringMatching(new RegExp(`^${bag}/data/`)), message: expect.stringContaining('its name is not UTF-8')}),
    ])
  })

  it('a checkpoint of 1 GiB (a sparse file) is refused by its size, not read', async () => {
    const {bag} = sealed
    const folder = tampered((bagDir) => truncateSync(join(bagDir, 'data/custody/checkpoint.json'), 1024 ** 3))
    const report = await fails(folder)
    // Refused by the size its folder entry gives, before any byte of it is read.
    expect(report.problems).toEqual([expect.objectContaining({check: 'folder', subject: `${bag}/data/custody/checkpoint.json`, message: expect.stringContaining(`it holds ${1024 ** 3} bytes, more than the 4096`)})])
  })
})
