import {createHash, randomBytes} from 'node:crypto'
import {existsSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {CustodyError} from '../../src/errors.js'
import {SpillFile} from '../../src/io/spill-file.js'
import {tempDir} from '../helpers/cli.js'

const tmp = tempDir('custody-spill-')
afterAll(() => tmp.remove())

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

async function readBack(file: SpillFile, into?: Buffer): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of file.chunks(into)) parts.push(Buffer.from(chunk))
  return Buffer.concat(parts)
}

describe('a spill file', () => {
  it('gives back, in order and as often as asked, text and bytes appended across its 1 MiB buffer', async () => {
    const path = join(tmp.path, 'mixed')
    const file = await SpillFile.create(path)
    const expected: Buffer[] = []
    // Small lines with multi-byte characters, a piece larger than the buffer, more lines after.
    for (let i = 0; i < 20_000; i++) {
      const line = `${i}  données/é📷/${'x'.repeat(i % 50)}\n`
      await file.append(line)
      expected.push(Buffer.from(line))
    }

    const big = randomBytes(3 * 1024 * 1024 + 11)
    await file.append(big)
    expected.push(big)
    await file.append(Buffer.alloc(0))
    for (let i = 0; i < 100; i++) {
      const bytes = randomBytes(i * 37)
      await file.append(bytes)
      expected.push(bytes)
    }

    const whole = Buffer.concat(expected)
    expect(file.size).toBe(whole.length)
    expect(sha(await readBack(file))).toBe(sha(whole))
    // Again, through a small buffer of the caller's: many chunks.
    expect(sha(await readBack(file, Buffer.alloc(64 * 1024 + 3)))).toBe(sha(whole))
    expect(statSync(path).mode & 0o777).toBe(0o600)
    await file.remove()
    await file.remove()
    expect(existsSync(path)).toBe(false)
  })

  it('never takes over an existing file', async () => {
    const path = join(tmp.path, 'taken')
    writeFileSync(path, 'someone else')
    await expect(SpillFile.create(path)).rejects.toMatchObject({code: 'EEXIST'})
    expect(readFileSync(path, 'utf8')).toBe('someone else')
  })

  it('holds none of what it was given in clear on disk, and gives it back whole', async () => {
    const path = join(tmp.path, 'secret')
    const file = await SpillFile.create(path)
    const lines: string[] = []
    // Past the 1 MiB buffer several times over: the records on disk are what is searched.
    for (let i = 0, length = 0; length < 3 * 1024 * 1024; i++) {
      lines.push(`${i.toString().padStart(6, '0')}  data/exhibits/EX-${i}/Suspect Öztürk's phone 📱 backup.tar\n`)
      length += lines[i]!.length
    }

    for (const line of lines) await file.append(line)
    const whole = Buffer.from(lines.join(''))
    expect(sha(await readBack(file))).toBe(sha(whole))
    const disk = readFileSync(path)
    expect(disk.length).toBeGreaterThan(whole.length)
    for (const needle of ["Suspect Öztürk's phone", 'data/exhibits/EX-', '000042', 'backup.tar', '📱']) {
      expect(disk.includes(Buffer.from(needle)), needle).toBe(false)
      expect(whole.includes(Buffer.from(needle)), needle).toBe(true)
    }

    await file.remove()
  })

  it('refuses a record changed, two records swapped, a record repeated, or the file cut short, naming the file', async () => {
    /** A spill file of four full records (3 MiB and a bit), and where each record starts on disk. */
    async function fourRecords(name: string): Promise<{file: SpillFile; path: string; starts: number[]; disk: Buffer}> {
      const path = join(tmp.path, name)
      const file = await SpillFile.create(path)
      await file.append(randomBytes(3 * 1024 * 1024 + 5))
      await readBack(file)
      const disk = readFileSync(path)
      const starts: number[] = []
      for (let at = 0; at < disk.length; at += 4 + disk.readUInt32LE(at)) starts.push(at)
      expect(starts).toHaveLength(4)
      return {file, path, starts, disk}
    }

    const refused = async (file: SpillFile, path: string, why: RegExp): Promise<void> => {
      const error = await readBack(file).catch((error_: unknown) => error_)
      expect(error).toBeInstanceOf(CustodyError)
      expect(error).toMatchObject({code: 'INTEGRITY', subject: path})
      expect((error as Error).message).toContain(`the scratch file ${path} changed while custody used it`)
      expect((error as Error).message).toMatch(why)
      await file.remove()
    }

    const changed = await fourRecords('changed')
    changed.disk[changed.starts[2]! + 100]! ^= 1
    writeFileSync(changed.path, changed.disk)
    await refused(changed.file, changed.path, /record 3 of 4 does not open/)

    const swapped = await fourRecords('swapped')
    const [a, b, c] = [swapped.starts[0]!, swapped.starts[1]!, swapped.starts[2]!]
    writeFileSync(swapped.path, Buffer.concat([swapped.disk.subarray(b, c), swapped.disk.subarray(a, b), swapped.disk.subarray(c)]))
    await refused(swapped.file, swapped.path, /record 1 of 4 does not open/)

    const repeated = await fourRecords('repeated')
    const [r1, r2] = [repeated.starts[1]!, repeated.starts[2]!]
    writeFileSync(repeated.path, Buffer.concat([repeated.disk.subarray(0, r2), repeated.disk.subarray(r1, r2), repeated.disk.subarray(r2)]))
    await refused(repeated.file, repeated.path, /record 3 of 4 does not open/)

    // The last record dropped whole: every record left opens, but the file has three of four.
    const cut = await fourRecords('cut')
    writeFileSync(cut.path, cut.disk.subarray(0, cut.starts[3]!))
    await refused(cut.file, cut.path, new RegExp(`record 4 of 4 is cut short \\(the file ends at ${cut.starts[3]!} bytes of ${cut.disk.length}\\)`))

    // A length that no record written has.
    const framed = await fourRecords('framed')
    framed.disk.writeUInt32LE(0xffff_ffff, framed.starts[1]!)
    writeFileSync(framed.path, framed.disk)
    await refused(framed.file, framed.path, /record 2 of 4 is longer than any record written/)
  })

  it('refuses the records of another spill file', async () => {
    const [first, second] = [join(tmp.path, 'first'), join(tmp.path, 'second')]
    const files = [await SpillFile.create(first), await SpillFile.create(second)]
    for (const file of files) await file.append('the same text in both\n')
    await readBack(files[0]!)
    await readBack(files[1]!)
    writeFileSync(second, readFileSync(first))
    await expect(readBack(files[1]!)).rejects.toThrow(`the scratch file ${second} changed while custody used it: its record 1 of 1 does not open`)
    expect((await readBack(files[0]!)).toString()).toBe('the same text in both\n')
    await Promise.all(files.map((file) => file.remove()))
  })
})
