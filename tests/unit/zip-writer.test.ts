import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {entryProblems, SafeZip, ZipStructureError, type EntryResult, type ZipEntryInfo} from '../../src/zip/reader.js'
import {ZipWriter} from '../../src/zip/writer.js'
import {tempDir} from '../helpers/cli.js'

const tmp = tempDir('custody-zip-')

/** Every entry's result, in the order of the entries (digestEach may give them out of order). */
async function digestAll(zip: SafeZip, infos: readonly ZipEntryInfo[], onEach?: (done: number) => void): Promise<EntryResult[]> {
  const results: EntryResult[] = []
  await zip.digestEach(() => infos, (info, result) => (results[info.index] = result), onEach)
  return results
}

/** Opens a ZIP and lists its entries into an array (verify keeps them in a database instead). */
async function openListed(path: string): Promise<{zip: SafeZip; entries: ZipEntryInfo[]}> {
  const zip = await SafeZip.open(path)
  const entries: ZipEntryInfo[] = []
  expect(await zip.list((info) => entries.push(info))).toBe(entries.length)
  return {zip, entries}
}
afterAll(() => tmp.remove())

async function writeZip(name: string, forceZip64: boolean): Promise<{path: string; sha256: string; size: number; big: Buffer}> {
  const big = Buffer.alloc(20 * 1024 * 1024 + 7)
  for (let i = 0; i < big.length; i += 997) big[i] = i % 251
  const path = join(tmp.path, `${name}.zip`)
  const zip = await ZipWriter.create(path, new Date('2024-05-01T09:00:00Z'), {forceZip64, syncStep: 4 * 1024 * 1024})
  await zip.addBytes('bag/bagit.txt', Buffer.from('BagIt-Version: 1.0\n'))
  // Streamed in uneven chunks, each released only once written.
  const entry = await zip.startFile('bag/data/vidéo \u{1F4F7}.mov', big.length)
  const released: number[] = []
  for (let at = 0, i = 0; at < big.length; at += 3_000_001, i++) {
    const chunk = Buffer.from(big.subarray(at, at + 3_000_001))
    await zip.writeChunk(entry, chunk, () => released.push(i))
  }

  await zip.endFile(entry)
  await zip.addBytes('bag/empty.txt', Buffer.alloc(0))
  const result = await zip.finish()
  expect(released.sort((a, b) => a - b)).toEqual(Array.from({length: Math.ceil(big.length / 3_000_001)}, (_, i) => i))
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

    const {zip, entries} = await openListed(path)
    try {
      expect(entries.map((e) => e.name)).toEqual(['bag/bagit.txt', 'bag/data/vidéo \u{1F4F7}.mov', 'bag/empty.txt'])
      expect(entries.map((e) => e.index)).toEqual([0, 1, 2])
      expect(entries.flatMap(entryProblems)).toEqual([])
      const read = await zip.digest(entries[1]!)
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

describe('the ZIP writer, misused', () => {
  it('refuses more or fewer bytes than an entry announced, and another entry while one is open', async () => {
    const zip = await ZipWriter.create(join(tmp.path, 'misused.zip'), new Date('2024-05-01T09:00:00Z'))
    const entry = await zip.startFile('bag/a.bin', 10)
    await expect(zip.addBytes('bag/b.txt', Buffer.from('b'))).rejects.toThrow(/bag\/a.bin is still being written/)
    let released = false
    await expect(zip.writeChunk(entry, Buffer.alloc(11), () => (released = true))).rejects.toThrow(/more than the 10 bytes expected/)
    expect(released).toBe(true)
    await zip.writeChunk(entry, Buffer.alloc(4))
    await expect(zip.endFile(entry)).rejects.toThrow(/4 bytes written, not the 10 expected/)
    await expect(zip.finish()).rejects.toThrow(/started but never ended/)
    await zip.abort()
  })
})

const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

describe('SafeZip.digestEach', () => {
  it('hashes stored entries from their place in the file and deflated ones through inflation, in order', async () => {
    const path = join(tmp.path, 'mixed.zip')
    // Python writes a ZIP as another tool would: stored and deflated entries mixed.
    const script = [
      'import sys, zipfile, random',
      'r = random.Random(7)',
      'z = zipfile.ZipFile(sys.argv[1], "w")',
      'z.writestr(zipfile.ZipInfo("bag/empty"), b"", compress_type=zipfile.ZIP_STORED)',
      'z.writestr("bag/deflated.txt", b"words " * 100000, compress_type=zipfile.ZIP_DEFLATED)',
      'z.writestr("bag/big.bin", r.randbytes(3 * 1024 * 1024 + 5), compress_type=zipfile.ZIP_STORED)',
      'z.writestr("bag/small.txt", b"hello", compress_type=zipfile.ZIP_STORED)',
      'z.close()',
    ].join('\n')
    const made = spawnSync('python3', ['-c', script, path], {encoding: 'utf8'})
    expect(made.status, made.stderr).toBe(0)
    const {zip, entries} = await openListed(path)
    try {
      const done: number[] = []
      const results = await digestAll(zip, entries, (n) => done.push(n))
      expect(done).toEqual([1, 2, 3, 4])
      const expected = (bytes: Buffer): {sha256: string; sha512: string; size: number} => ({
        sha256: createHash('sha256').update(bytes).digest('hex'),
        sha512: createHash('sha512').update(bytes).digest('hex'),
        size: bytes.length,
      })
      const contents = entries.map((info) => {
        const read = spawnSync('python3', ['-c', 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))', path, info.name], {maxBuffer: 64 * 1024 * 1024})
        return read.stdout
      })
      expect(entries.map((e) => e.method)).toEqual([0, 8, 0, 0])
      expect(results).toEqual(contents.map((bytes) => ({digest: expected(bytes)})))
      // A small file read whole gives its bytes, checked against its digest.
      expect(await zip.readSmall(entries[3]!, 1024, sha256Of(Buffer.from('hello')))).toEqual(Buffer.from('hello'))
      await expect(zip.readSmall(entries[3]!, 4, sha256Of(Buffer.from('hello')))).rejects.toThrow(/5 bytes, more than the 4/)
      await expect(zip.readSmall(entries[3]!, 1024, 'f'.repeat(64))).rejects.toThrow(/changed while it was being checked/)
    } finally {
      zip.close()
    }
  })
})

describe('SafeZip on a damaged local header', () => {
  it('refuses the ZIP when listing it, naming the entry whose local header is not one', async () => {
    const {path} = await writeZip('damaged-header', false)
    const bytes = readFileSync(path)
    const listed = await openListed(path)
    const second = listed.entries[1]!.offset
    listed.zip.close()
    bytes.writeUInt32LE(0x12345678, second)
    const damaged = join(tmp.path, 'damaged-header-2.zip')
    writeFileSync(damaged, bytes)
    const zip = await SafeZip.open(damaged)
    try {
      await expect(zip.list(() => undefined)).rejects.toThrow(new ZipStructureError('bag/data/vidéo \u{1F4F7}.mov', `no local header at ${second}`))
    } finally {
      zip.close()
    }
  })
})

describe('SafeZip.lines', () => {
  it('gives the lines of an entry across read chunks, with characters split between chunks intact', async () => {
    // Lines of varied length with multi-byte characters, ~1.2 MB: many stream chunks, some
    // boundaries inside a character. An empty line is a line; the nothing after the last
    // newline is not.
    const lines = Array.from({length: 20_000}, (_, i) => (i === 7 ? '' : `{"seq":${i},"note":"${'é📷ж'.repeat(i % 23)}${'x'.repeat(i % 7)}"}`))
    const text = `${lines.join('\n')}\n`
    const path = join(tmp.path, 'lines.zip')
    const zip = await ZipWriter.create(path, new Date('2024-05-01T09:00:00Z'))
    await zip.addBytes('bag/events.jsonl', Buffer.from(text))
    await zip.finish()
    const {zip: read, entries} = await openListed(path)
    try {
      const seen: string[] = []
      const hash = createHash('sha256')
      for await (const line of read.lines(entries[0]!, 1024, (chunk) => hash.update(chunk))) seen.push(line)
      expect(seen).toEqual(lines)
      expect(hash.digest('hex')).toBe(sha256Of(Buffer.from(text)))
    } finally {
      read.close()
    }
  })
})

describe('SafeZip.open on a large central directory', () => {
  it('lists every entry of a central directory larger than its read window, as Python does', async () => {
    // 12,000 entries with 120-byte names: a central directory of about 2 MB, read through the
    // 1 MiB window in pieces, with entries that straddle two windows.
    const path = join(tmp.path, 'many.zip')
    const zip = await ZipWriter.create(path, new Date('2024-05-01T09:00:00Z'))
    const names = Array.from({length: 12_000}, (_, i) => `bag/data/${String(i).padStart(6, '0')}-${'n'.repeat(100 + (i % 13))}.txt`)
    for (const [i, name] of names.entries()) await zip.addBytes(name, Buffer.from(`entry ${i}\n`))
    await zip.finish()
    const listed = spawnSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', path], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
    expect(listed.status, listed.stderr).toBe(0)
    const {zip: read, entries} = await openListed(path)
    try {
      expect(entries.map((e) => e.name)).toEqual(listed.stdout.trimEnd().split('\n'))
      expect(entries.map((e) => e.name)).toEqual(names)
      const results = await digestAll(read, entries)
      for (const i of [0, 5_999, 11_999]) {
        expect(results[i]).toEqual({digest: expect.objectContaining({sha256: sha256Of(Buffer.from(`entry ${i}\n`))})})
      }
    } finally {
      read.close()
    }
  })
})

describe('SafeZip on a deflated entry whose stated size lies', () => {
  it('stops at the stated size, and refuses an entry that inflates to less', async () => {
    const path = join(tmp.path, 'lying.zip')
    const made = spawnSync('python3', ['-c', 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], "w")\nz.writestr("bag/words.txt", b"words " * 10000, compress_type=zipfile.ZIP_DEFLATED)\nz.close()', path], {encoding: 'utf8'})
    expect(made.status, made.stderr).toBe(0)
    const bytes = readFileSync(path)
    // The central directory's uncompressed size (offset 24 of its header), where readers look.
    const central = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
    expect(bytes.readUInt32LE(central + 24)).toBe(60_000)
    for (const [stated, error] of [
      [50_000, 'bag/words.txt: it inflates to more than the 50000 bytes it states'],
      [70_000, 'bag/words.txt: it inflates to 60000 bytes, not the 70000 it states'],
    ] as const) {
      // The local header (offset 22) says the same, or the structure alone would refuse it.
      bytes.writeUInt32LE(stated, central + 24)
      bytes.writeUInt32LE(stated, 22)
      const lying = join(tmp.path, `lying-${stated}.zip`)
      writeFileSync(lying, bytes)
      const {zip, entries} = await openListed(lying)
      try {
        expect(entries[0]).toMatchObject({method: 8, uncompressedSize: stated})
        expect(await digestAll(zip, entries)).toEqual([{error}])
      } finally {
        zip.close()
      }
    }
  })
})
