import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {open} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {SafeZip} from '../../src/archive/zip-reader.js'
import {ZipWriter} from '../../src/seal/zip-writer.js'
import {tempDir} from '../helpers/cli.js'

const tmp = tempDir('custody-zip-')
afterAll(() => tmp.remove())

async function writeZip(name: string, forceZip64: boolean): Promise<{path: string; sha256: string; size: number; big: Buffer}> {
  const big = Buffer.alloc(20 * 1024 * 1024 + 7)
  for (let i = 0; i < big.length; i += 997) big[i] = i % 251
  const source = join(tmp.path, `${name}.bin`)
  writeFileSync(source, big)
  const path = join(tmp.path, `${name}.zip`)
  const zip = await ZipWriter.create(path, new Date('2024-05-01T09:00:00Z'), {forceZip64})
  await zip.addBytes('bag/bagit.txt', Buffer.from('BagIt-Version: 1.0\n'))
  const handle = await open(source, 'r')
  const digests = await zip.writeFile(zip.reserve('bag/data/vidéo \u{1F4F7}.mov', big.length, true), handle, (e) => e as Error)
  await handle.close()
  expect(digests).toEqual({size: big.length, sha256: createHash('sha256').update(big).digest('hex')})
  await zip.addBytes('bag/empty.txt', Buffer.alloc(0))
  const result = await zip.finish()
  return {path, ...result, big}
}

describe.each([false, true])('the ZIP writer (ZIP64 forced: %s)', (forceZip64) => {
  it('writes what unzip, Python and custody read back exactly, with the SHA-256 of the bytes written', async () => {
    const {path, sha256, size, big} = await writeZip(`z${forceZip64}`, forceZip64)
    const bytes = readFileSync(path)
    expect(size).toBe(bytes.length)
    expect(sha256).toBe(createHash('sha256').update(bytes).digest('hex'))

    const tested = spawnSync('unzip', ['-t', path], {encoding: 'utf8'})
    expect(tested.status, tested.stdout + tested.stderr).toBe(0)
    const py = spawnSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.testzip()); print(len(z.read(z.namelist()[1])))', path], {encoding: 'utf8'})
    expect(py.stdout.trim().split('\n')).toEqual(['None', String(big.length)])

    const zip = await SafeZip.open(path)
    try {
      expect(zip.entries.map((e) => e.name)).toEqual(['bag/bagit.txt', 'bag/data/vidéo \u{1F4F7}.mov', 'bag/empty.txt'])
      expect(zip.structuralProblems().problems).toEqual([])
      const read = await zip.digest(zip.entries[1]!, false)
      expect(read.sha256).toBe(createHash('sha256').update(big).digest('hex'))
    } finally {
      zip.close()
    }
  })
})

describe('the ZIP writer', () => {
  it('gives the same bytes for the same entries and date', async () => {
    const a = await writeZip('same-a', false)
    const b = await writeZip('same-b', false)
    expect(readFileSync(a.path).equals(readFileSync(b.path))).toBe(true)
  })
})
