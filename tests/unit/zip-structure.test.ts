/**
 * The strict reading of a ZIP's structure (src/zip/structure.ts): what mainstream writers
 * make is read as Python reads it; every structure that another reader could read otherwise is
 * refused, naming why; and, as a property, no damaged ZIP that custody accepts reads differently
 * in Python's zipfile.
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {FileAccess, type RandomAccess} from '../../src/io/random-access.js'
import {SafeZip, ZipStructureError, type EntryResult, type ZipEntryInfo} from '../../src/zip/reader.js'
import {ZipWriter} from '../../src/zip/writer.js'
import {tempDir} from '../helpers/cli.js'
import {withSafeZip} from '../helpers/safe-zip.js'

const tmp = tempDir('custody-zip-structure-')
afterAll(() => tmp.remove())
let n = 0

function python(script: string, ...args: string[]): string {
  const result = spawnSync('python3', ['-W', 'ignore', '-c', script, ...args], {encoding: 'utf8', maxBuffer: 256 * 1024 * 1024})
  expect(result.status, result.stderr).toBe(0)
  return result.stdout
}

/** A ZIP written by Python; `script` writes to the open ZipFile `z`. */
function pythonZip(script: string): string {
  const path = join(tmp.path, `py-${n++}.zip`)
  python(`import struct, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'w')\n${script}\nz.close()`, path)
  return path
}

/**
 * A file read as a decrypting reader is (src/age/random-reader.ts): by the block. It records
 * every synchronous read (the structure's), to show that they cover whole blocks.
 */
class BlockAccess implements RandomAccess {
  readonly size: number
  readonly syncReads: Array<[number, number]> = []
  private readonly file: FileAccess

  constructor(
    path: string,
    readonly block: number,
  ) {
    this.file = FileAccess.open(path)
    this.size = this.file.size
  }

  readAt(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return this.file.readAt(buffer, offset, length, position)
  }

  readAtSync(buffer: Uint8Array, offset: number, length: number, position: number): number {
    this.syncReads.push([position, length])
    return this.file.readAtSync(buffer, offset, length, position)
  }

  close(): void {
    this.file.close()
  }
}

/** Custody's reading: each entry's name and the SHA-256 of its bytes; or the error that refused it. Through `source` when given. */
async function readWithCustody(path: string, source?: RandomAccess): Promise<{entries: Array<[string, string]>} | {error: string}> {
  return withSafeZip(path, source, async (zip): Promise<{entries: Array<[string, string]>} | {error: string}> => {
    const infos: ZipEntryInfo[] = []
    await zip.list((info) => infos.push(info))
    const results: EntryResult[] = []
    await zip.digestEach(
      () => infos.filter((i) => !i.isDirectory),
      (info, result) => (results[info.index] = result),
    )
    const entries: Array<[string, string]> = []
    for (const info of infos) {
      if (info.isDirectory) continue
      const result = results[info.index]!
      if ('error' in result) return {error: result.error}
      entries.push([info.name, result.digest.sha256])
    }

    return {entries}
  })
}

/** Python's reading of each file, the same shape; `null` where Python refuses it. */
function readWithPython(paths: string[]): Array<Array<[string, string]> | null> {
  const out = python(
    `
import hashlib, json, sys, zipfile
results = []
for path in sys.argv[1:]:
    try:
        with zipfile.ZipFile(path) as z:
            results.append([[i.filename, hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist() if not i.is_dir()])
    except Exception:
        results.append(None)
print(json.dumps(results))
`,
    ...paths,
  )
  return JSON.parse(out) as Array<Array<[string, string]> | null>
}

async function refusal(path: string): Promise<string> {
  const read = await readWithCustody(path)
  expect(read, `custody accepted ${path}`).toHaveProperty('error')
  return (read as {error: string}).error
}

describe('ZIPs that mainstream writers make are read as Python reads them', () => {
  it('Info-ZIP zip, stored and deflated, with folder entries and extra fields', async () => {
    const root = join(tmp.path, 'tree')
    mkdirSync(join(root, 'bag/data/sub'), {recursive: true})
    writeFileSync(join(root, 'bag/bagit.txt'), 'BagIt-Version: 1.0\n')
    writeFileSync(join(root, 'bag/data/words.txt'), 'words '.repeat(20_000))
    writeFileSync(join(root, 'bag/data/sub/empty.bin'), '')
    for (const level of ['-0', '-9']) {
      const path = join(tmp.path, `info-zip${level}.zip`)
      expect(spawnSync('zip', ['-q', '-r', level, path, 'bag'], {cwd: root}).status).toBe(0)
      expect(await readWithCustody(path)).toEqual({entries: readWithPython([path])[0]})
    }
  })

  it('Python zipfile: deflated, stored, ZIP64 records forced, UTF-8 names, streamed entries with data descriptors', async () => {
    const path = pythonZip(`
z.writestr('bag/a.txt', b'a' * 100000, compress_type=zipfile.ZIP_DEFLATED)
z.writestr('bag/vidéo 📷.bin', bytes(range(256)) * 40)
with z.open('bag/streamed.bin', 'w', force_zip64=True) as f:
    f.write(b'streamed ' * 5000)
with z.open(zipfile.ZipInfo('bag/streamed-deflated.txt'), 'w') as f:
    f.write(b'more ' * 5000)
`)
    const python = readWithPython([path])[0]!
    expect(python.map(([name]) => name)).toEqual(['bag/a.txt', 'bag/vidéo 📷.bin', 'bag/streamed.bin', 'bag/streamed-deflated.txt'])
    expect(await readWithCustody(path)).toEqual({entries: python})
  })

  it("custody's own writer, with and without ZIP64 records", async () => {
    for (const forceZip64 of [false, true]) {
      const path = join(tmp.path, `own-${forceZip64}.zip`)
      const zip = await ZipWriter.create(path, new Date('2024-05-01T09:00:00Z'), {forceZip64})
      await zip.addBytes('bag/bagit.txt', Buffer.from('BagIt-Version: 1.0\n'))
      const entry = await zip.startFile('bag/data/x.bin', 70_000)
      await zip.writeChunk(entry, Buffer.alloc(70_000, 7))
      await zip.endFile(entry)
      await zip.finish()
      expect(await readWithCustody(path)).toEqual({entries: readWithPython([path])[0]})
    }
  })
})

describe('structures another reader could read otherwise are refused', () => {
  it('bytes between two entries that no entry holds', async () => {
    const path = pythonZip(`z.writestr('bag/a.txt', b'a')\nz.fp.write(b'hidden bytes')\nz.start_dir = z.fp.tell()\nz.writestr('bag/b.txt', b'b')`)
    expect(await refusal(path)).toMatch(/belong to no entry/)
  })

  it('a central directory in another order than the entries', async () => {
    const path = pythonZip(`z.writestr('bag/a.txt', b'a')\nz.writestr('bag/b.txt', b'b')\nz.filelist.reverse()`)
    expect(await refusal(path)).toMatch(/belong to no entry|inside the entry before it/)
  })

  it('a local header with other flags or another method than the central directory', async () => {
    const base = readFileSync(pythonZip(`z.writestr('bag/a.txt', b'a' * 1000)`))
    const flags = Buffer.from(base)
    flags.writeUInt16LE(0x0002, 6)
    writeFileSync(join(tmp.path, 'flags.zip'), flags)
    expect(await refusal(join(tmp.path, 'flags.zip'))).toMatch(/local header's flags \(0x2\) differ/)
    const method = Buffer.from(base)
    method.writeUInt16LE(8, 8)
    writeFileSync(join(tmp.path, 'method.zip'), method)
    expect(await refusal(join(tmp.path, 'method.zip'))).toMatch(/another compression method/)
  })

  it('a data descriptor that states another size than the central directory', async () => {
    // custody's writer streams its large entries with a data descriptor after them.
    const path = join(tmp.path, 'descriptor.zip')
    const zip = await ZipWriter.create(path, new Date('2024-05-01T09:00:00Z'))
    const entry = await zip.startFile('bag/streamed.bin', 1000)
    await zip.writeChunk(entry, Buffer.alloc(1000, 1))
    await zip.endFile(entry)
    await zip.finish()
    const bytes = readFileSync(path)
    const descriptor = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]))
    expect(descriptor).toBeGreaterThan(0)
    bytes.writeUInt32LE(999, descriptor + 8)
    writeFileSync(path, bytes)
    expect(await refusal(path)).toMatch(/data descriptor does not state/)
  })

  it('a name that is not ASCII without the UTF-8 flag, from an entry made on MS-DOS: CP437 for some readers, UTF-8 for others (zip-names.test.ts has the rest)', async () => {
    const bytes = readFileSync(pythonZip(`z.writestr('bag/café.txt', b'x')`))
    bytes.writeUInt16LE(bytes.readUInt16LE(6) & ~0x0800, 6)
    const central = bytes.indexOf(Buffer.from('PK\x01\x02', 'latin1'))
    bytes.writeUInt16LE(bytes.readUInt16LE(central + 8) & ~0x0800, central + 8)
    // "Version made by": the system is its upper byte (APPNOTE 4.4.2), 0 for MS-DOS.
    bytes.writeUInt8(0, central + 5)
    const path = join(tmp.path, 'cp437.zip')
    writeFileSync(path, bytes)
    expect(readWithPython([path])[0]![0]![0]).toBe('bag/caf├⌐.txt')
    expect(await refusal(path)).toMatch(/not ASCII, not flagged UTF-8 \(general purpose bit 11\), and the entry was made on system 0, not Unix/)
  })

  it('an Info-ZIP Unicode Path field that names the entry otherwise (Info-ZIP unzip and yauzl honour it; Python does not)', async () => {
    const path = pythonZip(`
import zlib
name = b'bag/a.txt'
other = b'bag/b.txt'
info = zipfile.ZipInfo('bag/a.txt')
info.extra = struct.pack('<HHB', 0x7075, 5 + len(other), 1) + struct.pack('<I', zlib.crc32(name)) + other
z.writestr(info, b'x')
`)
    expect(readWithPython([path])[0]![0]![0]).toBe('bag/a.txt')
    expect(await refusal(path)).toMatch(/Unicode Path extra field \(0x7075\) names it otherwise/)
  })

  it('an encrypted entry, and a compression method custody does not read', async () => {
    const bytes = readFileSync(pythonZip(`z.writestr('bag/a.txt', b'a' * 100)`))
    const central = bytes.indexOf(Buffer.from('PK\x01\x02', 'latin1'))
    for (const at of [6, central + 8]) bytes.writeUInt16LE(bytes.readUInt16LE(at) | 1, at)
    writeFileSync(join(tmp.path, 'encrypted.zip'), bytes)
    // yauzl refuses it first: a stored encrypted entry is 12 bytes longer than its content.
    expect(await refusal(join(tmp.path, 'encrypted.zip'))).toMatch(/encrypted|size mismatch/)
    expect(await refusal(pythonZip(`z.writestr('bag/a.txt', b'a' * 100, compress_type=zipfile.ZIP_BZIP2)`))).toMatch(/compression method 12/)
  })

  it('an end record that counts more entries than the directory holds, and one that names another disk', async () => {
    const bytes = readFileSync(pythonZip(`z.writestr('bag/a.txt', b'a')`))
    const end = bytes.length - 22
    const more = Buffer.from(bytes)
    more.writeUInt16LE(2, end + 8)
    more.writeUInt16LE(2, end + 10)
    writeFileSync(join(tmp.path, 'count.zip'), more)
    expect(await readWithCustody(join(tmp.path, 'count.zip'))).toHaveProperty('error')
    const disk = Buffer.from(bytes)
    disk.writeUInt16LE(1, end + 4)
    writeFileSync(join(tmp.path, 'disk.zip'), disk)
    expect(await readWithCustody(join(tmp.path, 'disk.zip'))).toHaveProperty('error')
  })

  it('names the entry and the reason in a ZipStructureError', async () => {
    const path = pythonZip(`z.writestr('bag/a.txt', b'a')\nz.fp.write(b'x')\nz.start_dir = z.fp.tell()`)
    const zip = await SafeZip.open(path)
    try {
      await expect(zip.list(() => undefined)).rejects.toBeInstanceOf(ZipStructureError)
    } finally {
      zip.close()
    }
  })
})

describe('property: a damaged ZIP that custody accepts reads the same in Python', () => {
  it('holds for 400 random changes to the headers, names and records of a three-entry ZIP', async () => {
    const base = readFileSync(
      pythonZip(`
z.writestr('bag/a.txt', b'alpha ' * 50, compress_type=zipfile.ZIP_DEFLATED)
z.writestr('bag/b.bin', bytes(range(200)))
with z.open('bag/c.txt', 'w') as f:
    f.write(b'streamed ' * 30)
`),
    )
    // The structural bytes: every byte that is not an entry's data (headers, names, descriptors,
    // directory, end record), found with Python's own reading of the offsets.
    const layout = JSON.parse(
      python(
        `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
data = []
for i in z.infolist():
    start = i.header_offset + 30 + len(i.filename.encode()) + len(i.extra)
    data.append([start, start + i.compress_size])
print(json.dumps(data))
`,
        join(tmp.path, `py-${n - 1}.zip`),
      ),
    ) as Array<[number, number]>
    const structural = Array.from({length: base.length}, (_, i) => i).filter((i) => !layout.some(([from, to]) => i >= from && i < to))
    // A fixed seed, so that a failure can be found again.
    let seed = 0x5eed
    const random = (below: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % below
    }

    const paths: string[] = []
    const changed: string[] = []
    for (let i = 0; i < 400; i++) {
      const bytes = Buffer.from(base)
      const what: string[] = []
      for (let changes = 1 + random(2); changes > 0; changes--) {
        const at = structural[random(structural.length)]!
        bytes[at] = random(256)
        what.push(`byte ${at}: 0x${base[at]!.toString(16)} -> 0x${bytes[at]!.toString(16)}`)
      }

      changed.push(what.join(', '))
      const path = join(tmp.path, `mutant-${i}.zip`)
      writeFileSync(path, bytes)
      paths.push(path)
    }

    const pythonReadings = readWithPython(paths)
    let accepted = 0
    for (const [i, path] of paths.entries()) {
      const ours = await readWithCustody(path)
      if ('error' in ours) continue
      accepted++
      expect(pythonReadings[i], `custody accepts ${changed[i]}, Python refuses it`).not.toBeNull()
      expect(ours.entries, `custody and Python read ${changed[i]} differently`).toEqual(pythonReadings[i])
    }

    // Changes to bytes no reader looks at (times, attributes, versions) leave some accepted.
    expect(accepted).toBeGreaterThan(0)
    expect(accepted).toBeLessThan(paths.length)
  })
})

describe('a ZIP read by the block (as inside an age file) reads as one read by windows', () => {
  it('gives the same entries and the same refusals, its structure read in whole blocks', async () => {
    // custody's writer streams its large entries with a data descriptor after them.
    const good = join(tmp.path, 'block-good.zip')
    const zip = await ZipWriter.create(good, new Date('2024-05-01T09:00:00Z'), {forceZip64: true})
    for (let i = 0; i < 40; i++) await zip.addBytes(`bag/small-${i}.txt`, Buffer.alloc(i * 97, 120))
    for (const size of [200_000, 70_001]) {
      const entry = await zip.startFile(`bag/streamed-${size}.bin`, size)
      await zip.writeChunk(entry, Buffer.alloc(size, 7))
      await zip.endFile(entry)
    }

    await zip.finish()
    const between = pythonZip(`z.writestr('bag/a.txt', b'a')\nz.fp.write(b'hidden bytes')\nz.start_dir = z.fp.tell()\nz.writestr('bag/b.txt', b'b')`)
    const descriptor = Buffer.from(readFileSync(good))
    const at = descriptor.indexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]))
    expect(at).toBeGreaterThan(0)
    descriptor[at + 4]! ^= 1
    const badDescriptor = join(tmp.path, 'block-descriptor.zip')
    writeFileSync(badDescriptor, descriptor)
    expect(await readWithCustody(good)).toEqual({entries: readWithPython([good])[0]})
    expect(await refusal(between)).toMatch(/belong to no entry/)
    expect(await refusal(badDescriptor)).toMatch(/data descriptor does not state/)
    for (const block of [16, 4096, 65536]) {
      for (const path of [good, between, badDescriptor]) {
        const source = new BlockAccess(path, block)
        expect(await readWithCustody(path, source)).toEqual(await readWithCustody(path))
        expect(source.syncReads.length).toBeGreaterThan(0)
        for (const [position, length] of source.syncReads) {
          expect(position % block).toBe(0)
          expect(position + length === source.size || length % block === 0).toBe(true)
        }
      }
    }
  })
})
