/**
 * The steps of a seal that can be run on small inputs, each against a real ZIP writer and checked
 * with the tools a court's expert would use (unzip, sha256sum, sha512sum): the manifest line,
 * the streamed entry, the tag files; and the disposal of what a seal holds (scratch files,
 * scratch database, unfinished archive).
 */
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import {SpillFile} from '../../src/io/spill-file.js'
import {manifestEntryOf, manifestLine, parseManifestLine, type BagInfoSource} from '../../src/seal/bag-layout.js'
import {safeFileName} from '../../src/seal/bagit.js'
import {SealChoice} from '../../src/seal/choice.js'
import {EntryWriter} from '../../src/seal/entry-writer.js'
import {Scratch} from '../../src/seal/scratch.js'
import {writeTags} from '../../src/seal/tags.js'
import {ZipWriter} from '../../src/zip/writer.js'
import {tempDir} from '../helpers/cli.js'

const tmp = tempDir('custody-seal-steps-')
afterAll(() => tmp.remove())
const at = new Date('2024-05-01T09:00:00Z')
const sha = (algorithm: string, bytes: string | Buffer): string => createHash(algorithm).update(bytes).digest('hex')
let made = 0
const fresh = (name: string): string => join(tmp.path, `${made++}-${name}`)

/** Unzips `archive` into a new folder; gives the folder. */
function unzipped(archive: string): string {
  const into = fresh('unzipped')
  const result = spawnSync('unzip', ['-q', archive, '-d', into], {encoding: 'utf8'})
  expect(result.status, result.stderr).toBe(0)
  return into
}

describe('the manifest line (bag-layout.ts)', () => {
  it('is read back as written, for any name a bag can hold (RFC 8493 §2.1.3)', () => {
    const hex = fc.uint8Array({minLength: 32, maxLength: 32}).map((b) => Buffer.from(b).toString('hex'))
    fc.assert(
      fc.property(hex, fc.string({minLength: 1, maxLength: 40}), (digest, name) => {
        const path = `data/exhibits/EX-000001/original/${safeFileName(name)}`
        const line = manifestLine(digest, path)
        expect(line.endsWith('\n')).toBe(true)
        expect(parseManifestLine(line.slice(0, -1))).toEqual({hex: digest, path})
      }),
      {numRuns: 500},
    )
  })

  it('gives a file held whole its SHA-256 and SHA-512', () => {
    expect(manifestEntryOf('bagit.txt', Buffer.from('abc'))).toEqual({path: 'bagit.txt', sha256: sha('sha256', 'abc'), sha512: sha('sha512', 'abc')})
  })
})

describe('EntryWriter', () => {
  it('streams text and bytes across its buffers into one entry, with their digests', async () => {
    const archive = fresh('entry.zip')
    // More than two 1 MiB buffers, in pieces that straddle them.
    const pieces = Array.from({length: 50}, (_, i) => (i % 2 === 0 ? 'é'.repeat(30_000 + i) : Buffer.alloc(17_000 + i, i)))
    const whole = Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)))
    {
      await using zip = await ZipWriter.create(archive, at)
      const out = await EntryWriter.start(zip, 'bag/data/events.jsonl', whole.length, () => new Error('changed'), {sha512: true})
      for (const piece of pieces) await out.write(piece)
      expect(await out.end()).toEqual({sha256: sha('sha256', whole), sha512: sha('sha512', whole)})
      await zip.finish()
    }

    const shown = spawnSync('unzip', ['-p', archive, 'bag/data/events.jsonl'], {maxBuffer: 16 * 1024 * 1024})
    expect(sha('sha256', shown.stdout)).toBe(sha('sha256', whole))
  })

  it('is the `changed` error when given more or fewer bytes than announced', async () => {
    await using zip = await ZipWriter.create(fresh('changed.zip'), at)
    const few = await EntryWriter.start(zip, 'few', 10, () => new Error('fewer than announced'))
    await few.write('123456789')
    await expect(few.end()).rejects.toThrow('fewer than announced')
    await using other = await ZipWriter.create(fresh('changed-2.zip'), at)
    const many = await EntryWriter.start(other, 'many', 3, () => new Error('more than announced'))
    await many.write('1234')
    await expect(many.end()).rejects.toThrow('more than announced')
  })
})

describe('writeTags', () => {
  const statement: BagInfoSource = {
    sealId: 'SEAL-1',
    case: {id: 'CASE-1', title: 'A case', organisation: null, investigator: 'A. Investigator'},
    sealer: 'A. Investigator',
    sealedAt: '2024-05-01T09:00:00.000Z',
    purpose: 'court',
    treeHead: {size: 3, root: 'ab'.repeat(32)},
    key: {fingerprint: 'SHA256:cd'},
    timestamp: null,
    custodyVersion: '0.1.0',
  }

  it('writes tag files that sha256sum -c and sha512sum -c find intact, and payload manifests of custody and exhibit lines', async () => {
    const archive = fresh('tags.zip')
    const custody = [manifestEntryOf('data/custody/seal.json', Buffer.from('{}\n'))]
    const exhibit = Buffer.from('photo')
    const manifests = {sha256: await SpillFile.create(fresh('m256')), sha512: await SpillFile.create(fresh('m512'))}
    try {
      await manifests.sha256.append(manifestLine(sha('sha256', exhibit), 'data/exhibits/EX-1/original/a.jpg'))
      await manifests.sha512.append(manifestLine(sha('sha512', exhibit), 'data/exhibits/EX-1/original/a.jpg'))
      await using zip = await ZipWriter.create(archive, at)
      await writeTags(zip, 'bag', {statement, payload: {bytes: 8, count: 2}, custody, manifests, readme: Buffer.from('README\n')})
      await zip.finish()
    } finally {
      await manifests.sha256.remove()
      await manifests.sha512.remove()
    }

    const bag = join(unzipped(archive), 'bag')
    expect(readdirSync(bag).sort()).toEqual(['README.txt', 'bag-info.txt', 'bagit.txt', 'manifest-sha256.txt', 'manifest-sha512.txt', 'tagmanifest-sha256.txt', 'tagmanifest-sha512.txt', 'verify-bag.py'])
    for (const tool of ['sha256sum', 'sha512sum']) {
      const checked = spawnSync(tool, ['-c', `tagmanifest-${tool.slice(0, 6)}.txt`], {cwd: bag, encoding: 'utf8'})
      expect(checked.status, checked.stdout + checked.stderr).toBe(0)
    }

    const lines = ['manifest-sha256.txt', 'bag-info.txt'].map((name) => readFileSync(join(bag, name), 'utf8')).join('').split('\n')
    expect(lines.slice(0, 2)).toEqual([`${custody[0]!.sha256}  data/custody/seal.json`, `${sha('sha256', exhibit)}  data/exhibits/EX-1/original/a.jpg`])
    expect(lines).toContain('Payload-Oxum: 8.2')
  })
})

describe('disposal of what a seal holds', () => {
  it('aborts an unfinished archive, removing its central directory scratch file, and leaves a finished one alone', async () => {
    const unfinished = fresh('unfinished.zip')
    {
      await using zip = await ZipWriter.create(unfinished, at)
      await zip.addBytes('a', Buffer.from('a'))
      expect(existsSync(`${unfinished}.central`)).toBe(true)
    }

    expect(existsSync(`${unfinished}.central`)).toBe(false)
    const finished = fresh('finished.zip')
    {
      await using zip = await ZipWriter.create(finished, at)
      await zip.addBytes('a', Buffer.from('a'))
      await zip.finish()
    }

    const tested = spawnSync('unzip', ['-tq', finished], {encoding: 'utf8'})
    expect(tested.status, tested.stdout).toBe(0)
  })

  it('removes every scratch file of a seal and closes its scratch database', async () => {
    const folder = fresh('scratch')
    mkdirSync(folder)
    let choice: SealChoice
    {
      await using scratch = await Scratch.create(join(folder, 'archive.zip.partial'))
      choice = scratch.choice
      choice.add('EX-1')
      await scratch.manifest256.append('line\n')
      expect(readdirSync(folder)).toHaveLength(4)
    }

    expect(readdirSync(folder)).toEqual([])
    expect(() => choice.has('EX-1')).toThrow()
  })

  it('closes a choice used on its own with `using`', () => {
    let outside: SealChoice
    {
      using choice = new SealChoice()
      choice.add('EX-1')
      outside = choice
    }

    expect(() => outside.has('EX-1')).toThrow()
  })
})
