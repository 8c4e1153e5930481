import {createHash, randomBytes} from 'node:crypto'
import {existsSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {SpillFile} from '../../src/io/spill-file.js'
import {tempDir} from '../helpers/cli.js'

const tmp = tempDir('custody-spill-')
afterAll(() => tmp.remove())

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
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
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

  it('says so when the file is cut short under it', async () => {
    const path = join(tmp.path, 'cut')
    const file = await SpillFile.create(path)
    await file.append(randomBytes(3 * 1024 * 1024))
    await readBack(file)
    writeFileSync(path, 'short')
    await expect(readBack(file)).rejects.toThrow(/ended at 5 bytes of 3145728/)
    await file.remove()
  })
})
