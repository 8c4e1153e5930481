import {spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {CustodyError} from '../../src/errors.js'
import {Vault} from '../../src/vault/vault.js'
import {tempDir} from '../helpers/cli.js'

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const sha512 = (b: Uint8Array): string => createHash('sha512').update(b).digest('hex')

async function objects(vault: Vault): Promise<string[]> {
  const found: string[] = []
  for await (const address of vault.eachObject()) found.push(address)
  return found
}

describe('the vault', () => {
  let tmp: ReturnType<typeof tempDir>
  let vault: Vault

  beforeEach(async () => {
    tmp = tempDir()
    vault = new Vault(join(tmp.path, 'vault'))
    await vault.create()
  })

  afterEach(() => {
    tmp.remove()
  })

  it('copies a file to its SHA-256 address, read-only, with both digests, leaving the original alone', async () => {
    // Larger than two read chunks, so the double-buffered copy is exercised.
    const content = new Uint8Array(2.5 * 1024 * 1024).map((_, i) => (i * 7919) % 251)
    const source = join(tmp.path, 'photo.jpg')
    writeFileSync(source, content)
    const before = statSync(source)
    const staged = await vault.stageFile(source)
    expect(staged.digests).toEqual({sha256: sha256(content), sha512: sha512(content)})
    expect(staged.size).toBe(content.length)
    expect(staged.tempPath.endsWith('.jpg')).toBe(true)
    const {path, existed} = await vault.commit(staged)
    expect(existed).toBe(false)
    expect(path).toBe(join(tmp.path, 'vault', 'sha256', sha256(content).slice(0, 2), sha256(content)))
    expect(sha256(readFileSync(path))).toBe(sha256(content))
    expect(statSync(path).mode & 0o777).toBe(0o400)
    expect(statSync(source).mtimeMs).toBe(before.mtimeMs)
    expect(sha256(readFileSync(source))).toBe(sha256(content))
    expect(readdirSync(join(tmp.path, 'vault', 'tmp'))).toEqual([])
  })

  it('hashes a large file on two threads with the same digests', async () => {
    // 40 MiB and a bit: past the parallel-hashing threshold, and not a whole number of chunks.
    const content = Buffer.alloc(40 * 1024 * 1024 + 12345)
    for (let i = 0; i < content.length; i += 4096) content.writeUInt32LE(i, i)
    const source = join(tmp.path, 'video.mov')
    writeFileSync(source, content)
    const staged = await vault.stageFile(source)
    expect(staged.digests).toEqual({sha256: sha256(content), sha512: sha512(content)})
    expect(sha256(readFileSync(staged.tempPath))).toBe(sha256(content))
    await vault.discard(staged)
  })

  it('keeps one object for the same bytes', async () => {
    writeFileSync(join(tmp.path, 'a'), 'same bytes')
    writeFileSync(join(tmp.path, 'b'), 'same bytes')
    await vault.commit(await vault.stageFile(join(tmp.path, 'a')))
    const second = await vault.commit(await vault.stageFile(join(tmp.path, 'b')))
    expect(second.existed).toBe(true)
    expect(await objects(vault)).toHaveLength(1)
    expect(readdirSync(join(tmp.path, 'vault', 'tmp'))).toEqual([])
  })

  it('lists every object as `prefix/name`, sorted as those strings sort, strays included', async () => {
    const made: string[] = []
    for (let i = 0; i < 40; i++) {
      writeFileSync(join(tmp.path, `f${i}`), `content ${i}`)
      const staged = await vault.stageFile(join(tmp.path, `f${i}`))
      await vault.commit(staged)
      made.push(`${staged.digests.sha256.slice(0, 2)}/${staged.digests.sha256}`)
    }

    // Something that is not a custody object, in a folder whose name is a prefix of another's.
    const short = made[0]!.slice(0, 1)
    mkdirSync(join(tmp.path, 'vault', 'sha256', short))
    writeFileSync(join(tmp.path, 'vault', 'sha256', short, 'stray'), 'x')
    made.push(`${short}/stray`)
    expect(await objects(vault)).toEqual(made.sort())
  })

  it('refuses an empty file, a folder and a FIFO, leaving no temp file', async () => {
    writeFileSync(join(tmp.path, 'empty.jpg'), '')
    mkdirSync(join(tmp.path, 'folder'))
    spawnSync('mkfifo', [join(tmp.path, 'pipe')])
    const codeOf = async (p: string): Promise<string> => {
      try {
        await vault.stageFile(join(tmp.path, p))
        return 'accepted'
      } catch (error) {
        return (error as CustodyError).code
      }
    }

    expect(await codeOf('empty.jpg')).toBe('INPUT_EMPTY')
    expect(await codeOf('folder')).toBe('INPUT_NOT_REGULAR')
    expect(await codeOf('pipe')).toBe('INPUT_NOT_REGULAR')
    expect(await codeOf('missing')).toBe('INPUT_UNREADABLE')
    expect(readdirSync(join(tmp.path, 'vault', 'tmp'))).toEqual([])
  })

  it('refuses a file that changes while it is read', async () => {
    const source = join(tmp.path, 'growing.mov')
    writeFileSync(source, Buffer.alloc(64 * 1024 * 1024, 1))
    // Another process keeps appending to the file while it is being copied.
    const writer = spawn('sh', ['-c', `while true; do printf x >> '${source}'; done`], {stdio: 'ignore'})
    try {
      await new Promise((r) => setTimeout(r, 100))
      await expect(vault.stageFile(source)).rejects.toMatchObject({code: 'INPUT_CHANGED'})
    } finally {
      writer.kill('SIGKILL')
    }

    expect(readdirSync(join(tmp.path, 'vault', 'tmp'))).toEqual([])
  })

  it('stops at an abort signal without leaving a temp file', async () => {
    const source = join(tmp.path, 'big.bin')
    writeFileSync(source, Buffer.alloc(8 * 1024 * 1024, 2))
    const controller = new AbortController()
    controller.abort()
    await expect(vault.stageFile(source, {signal: controller.signal})).rejects.toMatchObject({code: 'INTERRUPTED'})
    expect(readdirSync(join(tmp.path, 'vault', 'tmp'))).toEqual([])
  })

  it('tells intact, modified, truncated and missing objects apart', async () => {
    const content = Buffer.from('evidence bytes, evidence bytes')
    writeFileSync(join(tmp.path, 'x'), content)
    const {path} = await vault.commit(await vault.stageFile(join(tmp.path, 'x')))
    const expected = {sha256: sha256(content), sha512: sha512(content), size: content.length}
    expect((await vault.checkObject(expected)).status).toBe('intact')
    chmodSync(path, 0o644)
    writeFileSync(path, Buffer.from('Evidence bytes, evidence bytes'))
    expect(await vault.checkObject(expected)).toMatchObject({status: 'modified', actual: {size: content.length}})
    writeFileSync(path, content.subarray(0, 10))
    expect(await vault.checkObject(expected)).toMatchObject({status: 'truncated', actual: {size: 10}})
    spawnSync('rm', [path])
    expect((await vault.checkObject(expected)).status).toBe('missing')
  })

  it('removes temp files of processes that no longer run, and only those', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], {encoding: 'utf8'}).stdout.trim()
    writeFileSync(join(tmp.path, 'vault', 'tmp', `${dead}-0123.jpg`), 'partial')
    writeFileSync(join(tmp.path, 'vault', 'tmp', `${process.pid}-4567.jpg`), 'in flight')
    expect(await vault.removeStaleTempFiles()).toEqual([`${dead}-0123.jpg`])
    expect(await vault.listTempFiles()).toEqual([`${process.pid}-4567.jpg`])
  })

  it('names what it refuses as an address', () => {
    expect(() => vault.objectPath('../../etc/passwd')).toThrow(CustodyError)
  })
})
