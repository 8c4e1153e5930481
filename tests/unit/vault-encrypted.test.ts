/**
 * The encrypted vault (issue 19): objects as age files at keyed addresses, written as the source
 * is read, never a plaintext copy; read back decrypted and checked against the ledger's digests.
 * The standard `age` tool decrypts what the vault writes; every tampering is refused, naming the object.
 */
import {execFileSync} from 'node:child_process'
import {createHash, createHmac, randomBytes} from 'node:crypto'
import {chmodSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {CustodyError} from '../../src/errors.js'
import {ReadAhead} from '../../src/io/read-ahead.js'
import type {VaultKeys} from '../../src/vault/sealed-objects.js'
import {StagedAhead} from '../../src/transfers/import.js'
import {Vault} from '../../src/vault/vault.js'
import {tempDir} from '../helpers/cli.js'
import {checker} from '../helpers/tools.js'

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const sha512 = (b: Uint8Array): string => createHash('sha512').update(b).digest('hex')

/** Every file under `dir`, recursively, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort()
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of chunks) parts.push(chunk)
  return Buffer.concat(parts)
}

describe('the encrypted vault', () => {
  let tmp: ReturnType<typeof tempDir>
  let keys: VaultKeys
  let hq: {identity: string; recipient: string}
  let vault: Vault
  // Larger than two read chunks and not a whole number of age chunks.
  const content = new Uint8Array(2.5 * 1024 * 1024 + 77).map((_, i) => (i * 7919) % 251)

  beforeEach(async () => {
    tmp = tempDir()
    const caseKey = generateIdentity()
    hq = generateIdentity()
    keys = {addressKey: randomBytes(32), recipients: [parseRecipient(caseKey.recipient), parseRecipient(hq.recipient)], identities: [parseIdentity(caseKey.identity)]}
    vault = new Vault(join(tmp.path, 'vault')).withKeys(keys)
    await vault.create()
  })

  afterEach(() => {
    tmp.remove()
  })

  async function store(bytes: Uint8Array, name = 'photo.jpg'): Promise<{path: string; source: string}> {
    const source = join(tmp.path, name)
    writeFileSync(source, bytes)
    const staged = await vault.stageFile(source)
    return {path: (await vault.commit(staged)).path, source}
  }

  it('stores an age file at the keyed address, no plaintext written, that the age tool opens with a recipient identity', async () => {
    const source = join(tmp.path, 'photo.jpg')
    writeFileSync(source, content)
    const staged = await vault.stageFile(source)
    expect(staged.digests).toEqual({sha256: sha256(content), sha512: sha512(content)})
    expect(staged.size).toBe(content.length)
    // ExifTool reads the source: the temp file is the age file already.
    expect(staged.readablePath).toBe(source)
    const tempBytes = readFileSync(staged.tempPath)
    expect(tempBytes.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n')
    expect(staged.stored).toEqual({sha256: sha256(tempBytes), size: tempBytes.length})
    const {path} = await vault.commit(staged)

    const address = createHmac('sha256', keys.addressKey).update(Buffer.from(sha256(content), 'hex')).digest('hex')
    expect(filesUnder(vault.root)).toEqual([`objects/${address.slice(0, 2)}/${address}.age`])
    expect(path).toBe(join(vault.root, `objects/${address.slice(0, 2)}/${address}.age`))
    expect(statSync(path).mode & 0o777).toBe(0o400)
    // Neither digest nor any window of the plaintext is in the stored bytes or a file name.
    const stored = readFileSync(path)
    for (const digest of [sha256(content), sha512(content)]) {
      expect(stored.includes(Buffer.from(digest))).toBe(false)
      expect(stored.includes(Buffer.from(digest, 'hex'))).toBe(false)
      expect(filesUnder(vault.root).join('\n')).not.toContain(digest)
    }

    for (const at of [0, 65_536, content.length - 64]) expect(stored.includes(Buffer.from(content.subarray(at, at + 64)))).toBe(false)

    const age = checker('age')
    if (age === undefined) return
    const hqFile = join(tmp.path, 'hq.key')
    writeFileSync(hqFile, `${hq.identity}\n`, {mode: 0o600})
    const out = join(tmp.path, 'decrypted')
    execFileSync(age, ['-d', '-i', hqFile, '-o', out, path])
    expect(readFileSync(out).equals(Buffer.from(content))).toBe(true)
  })

  it('reads an object back decrypted, and checks it intact against both digests', async () => {
    await store(content)
    expect((await collect(vault.openObject(sha256(content)))).equals(Buffer.from(content))).toBe(true)
    const check = await vault.checkObject({sha256: sha256(content), sha512: sha512(content), size: content.length})
    expect(check.status).toBe('intact')
  })

  it('gives the seal its objects in plaintext through the read-ahead, each decrypted as it is read', async () => {
    await store(content)
    const record = await vault.putBytes(Buffer.from('{"Make":"Canon"}'))
    const reader = new ReadAhead([vault.readSource(sha256(content), content.length), vault.readSource(record.sha256)], {readError: (_, error) => error as Error, depth: 3})
    const got: Buffer[][] = [[], []]
    for (let chunk = await reader.next(); chunk !== undefined; chunk = await reader.next()) {
      got[chunk.source]!.push(Buffer.from(chunk.bytes))
      chunk.release()
    }

    await reader.close()
    expect(Buffer.concat(got[0]!).equals(Buffer.from(content))).toBe(true)
    expect(Buffer.concat(got[1]!).toString()).toBe('{"Make":"Canon"}')
    // A changed chunk fails the read that reaches it.
    const {path} = await store(Buffer.alloc(300_000, 7), 'other.jpg')
    chmodSync(path, 0o600)
    const bytes = readFileSync(path)
    bytes[bytes.length - 500]! ^= 1
    writeFileSync(path, bytes)
    const bad = new ReadAhead([vault.readSource(sha256(Buffer.alloc(300_000, 7)), 300_000)], {readError: (_, error) => error as Error})
    await expect((async () => {
      for (let chunk = await bad.next(); chunk !== undefined; chunk = await bad.next()) chunk.release()
    })()).rejects.toMatchObject({code: 'INTEGRITY'})
    await bad.close()
  })

  it('stores small content whole and reads it back; the same content twice is one object', async () => {
    const record = Buffer.from('{"GPSLatitude":"44 deg 57\' 7.20\\" N"}\n')
    const first = await vault.putBytes(record)
    const again = await vault.putBytes(record)
    expect(first.sha256).toBe(sha256(record))
    expect(again).toEqual(first)
    expect(first.stored).toEqual({vault: `vault/${relative(vault.root, first.path)}`, sha256: sha256(readFileSync(first.path)), size: statSync(first.path).size})
    expect((await vault.checkStored(first.stored!)).status).toBe('intact')
    expect(readFileSync(first.path).includes(Buffer.from('GPSLatitude'))).toBe(false)
    expect(await vault.readObject(sha256(record))).toEqual(record)
    expect(filesUnder(vault.root).filter((f) => f.startsWith('objects/'))).toHaveLength(1)
  })

  it('refuses a changed byte, a cut file and an edited header, naming the object', async () => {
    const {path} = await store(content)
    const expected = {sha256: sha256(content), size: content.length}
    const original = readFileSync(path)
    chmodSync(path, 0o600)
    for (const [what, damage] of [
      ['a byte inside a chunk', (b: Buffer) => Buffer.concat([b.subarray(0, 100_000), Buffer.from([b[100_000]! ^ 1]), b.subarray(100_001)])],
      ['the last chunk cut off', (b: Buffer) => b.subarray(0, b.length - 1000)],
      ['a header line edited', (b: Buffer) => Buffer.from(b.toString('latin1').replace('-> X25519 ', '-> X25519 A'), 'latin1')],
    ] as const) {
      writeFileSync(path, damage(original))
      const check = await vault.checkObject(expected)
      expect(check.status, what).toBe('modified')
      expect(check.detail, what).toContain(path)
      await expect(collect(vault.openObject(expected.sha256)), what).rejects.toMatchObject({code: 'INTEGRITY'})
    }

    writeFileSync(path, original)
    truncateSync(path, 0)
    expect((await vault.checkObject(expected)).status).toBe('modified')
    // Deleted: missing, and the reader fails with the file's error (it once waited on an error no one heard).
    rmSync(path)
    expect((await vault.checkObject(expected)).status).toBe('missing')
    await expect(collect(vault.openObject(expected.sha256))).rejects.toMatchObject({code: 'ENOENT'})
    writeFileSync(path, original)
  })

  it('checks an object as stored without any key: present, of the recorded size and SHA-256', async () => {
    const {path} = await store(content)
    const stored = {vault: `vault/${relative(vault.root, path)}`, sha256: sha256(readFileSync(path)), size: statSync(path).size}
    const keyless = new Vault(vault.root)
    expect((await keyless.checkStored(stored)).status).toBe('intact')
    chmodSync(path, 0o600)
    const bytes = readFileSync(path)
    bytes[bytes.length - 10]! ^= 1
    writeFileSync(path, bytes)
    expect(await keyless.checkStored(stored)).toMatchObject({status: 'modified', path, actual: {sha256: sha256(bytes)}})
    truncateSync(path, 1000)
    expect((await keyless.checkStored(stored)).status).toBe('truncated')
    renameSync(path, `${path}.gone`)
    expect((await keyless.checkStored(stored)).status).toBe('missing')
  })

  it('refuses an object swapped for another of the same case, though it decrypts', async () => {
    const a = await store(content, 'a.jpg')
    const other = Buffer.from('another photo of the same case')
    const b = await store(other, 'b.jpg')
    chmodSync(a.path, 0o600)
    renameSync(b.path, a.path)
    const check = await vault.checkObject({sha256: sha256(content), size: content.length})
    // The other photo is shorter: what the ledger expects is not all there.
    expect(check.status).toBe('truncated')
    expect(check.actual).toEqual({size: other.length, sha256: sha256(other)})
    const r1 = await vault.putBytes(Buffer.from('{"Make":"Canon"}'))
    const r2 = await vault.putBytes(Buffer.from('{"Make":"Nikon"}'))
    chmodSync(r1.path, 0o600)
    renameSync(r2.path, r1.path)
    await expect(vault.readObject(r1.sha256)).rejects.toMatchObject({code: 'INTEGRITY', subject: r1.path})
  })

  it('says what key it needs when the case holds none that opens objects (field mode), and a stranger\'s opens nothing', async () => {
    await store(content)
    const record = await vault.putBytes(Buffer.from('{"Make":"Canon"}'))
    const field = new Vault(vault.root).withKeys({...keys, identities: []})
    expect(() => field.openObject(sha256(content))).toThrowError(/no key given opens it: give the age identity file of one of them/)
    await expect(field.readObject(record.sha256)).rejects.toMatchObject({code: 'WRONG_KEY'})
    const stranger = new Vault(vault.root).withKeys({...keys, identities: [parseIdentity(generateIdentity().identity)]})
    await expect(collect(stranger.openObject(sha256(content)))).rejects.toBeInstanceOf(CustodyError)
    await expect(collect(stranger.openObject(sha256(content)))).rejects.toMatchObject({code: 'WRONG_KEY'})
    // A recipient's identity opens what the field laptop wrote.
    const atHq = new Vault(vault.root).withKeys({...keys, identities: [parseIdentity(hq.identity)]})
    expect((await collect(atHq.openObject(sha256(content)))).equals(Buffer.from(content))).toBe(true)
  })

  it('never replaces an object already at its address: what each run records is what is stored', async () => {
    // The same content encrypted twice gives different bytes (each has its own file key).
    const record = Buffer.from('{"Make":"Canon","Model":"EOS"}')
    const [a, b] = await Promise.all([vault.putBytes(record), vault.putBytes(record)])
    expect(a.stored).toEqual(b.stored)
    expect(a.stored!.sha256).toBe(sha256(readFileSync(a.path)))
    const one = join(tmp.path, 'one.jpg')
    const two = join(tmp.path, 'two.jpg')
    writeFileSync(one, content)
    writeFileSync(two, content)
    const [first, second] = await Promise.all([vault.stageFile(one), vault.stageFile(two)])
    expect(first.stored!.sha256).not.toBe(second.stored!.sha256)
    const placed = await vault.commit(first)
    const again = await vault.commit(second)
    expect([placed.existed, again.existed]).toEqual([false, true])
    expect(second.stored).toEqual(first.stored)
    expect(sha256(readFileSync(placed.path))).toBe(first.stored!.sha256)
    expect(readdirSync(join(vault.root, 'tmp'))).toEqual([])
  })

  it('never writes into an encrypted vault opened without its keys', async () => {
    await store(content)
    const keyless = new Vault(vault.root)
    expect(keyless.encrypted).toBe(true)
    const source = join(tmp.path, 'next.jpg')
    writeFileSync(source, 'a photo')
    await expect(keyless.stageFile(source)).rejects.toMatchObject({code: 'INTERNAL'})
    await expect(keyless.putBytes(Buffer.from('{}'))).rejects.toMatchObject({code: 'INTERNAL'})
    expect(readdirSync(join(vault.root, 'tmp'))).toEqual([])
    expect(existsSync(join(vault.root, 'sha256'))).toBe(false)
  })

  it('refuses a source that changes after it was read (ExifTool reads the source itself)', async () => {
    const source = join(tmp.path, 'photo.jpg')
    writeFileSync(source, content)
    const staged = await vault.stageFile(source)
    expect(await vault.sourceUnchanged(source, staged.sourceState)).toBe(true)
    writeFileSync(source, Buffer.concat([Buffer.from(content), Buffer.from('x')]))
    expect(await vault.sourceUnchanged(source, staged.sourceState)).toBe(false)
    await vault.discard(staged)
    expect(readdirSync(join(vault.root, 'tmp'))).toEqual([])
  })

  it('stores content given as chunks (a received exhibit) encrypted, only when it is the content verified; a different byte keeps nothing', async () => {
    async function* pieces(bytes: Uint8Array): AsyncGenerator<Buffer> {
      // Read in pieces through one reused buffer, as an archive's reader gives them.
      const buffer = Buffer.alloc(64 * 1024)
      for (let at = 0; at < bytes.length; at += buffer.length) {
        const n = Math.min(buffer.length, bytes.length - at)
        buffer.set(bytes.subarray(at, at + n))
        yield buffer.subarray(0, n)
      }
    }

    const expected = {sha256: sha256(content), sha512: sha512(content), size: content.length}
    const staged = await vault.stageChunks(pieces(content), expected, 'package.zip.age: data/exhibits/EX-000001/original/photo.jpg')
    expect(staged.digests).toEqual({sha256: expected.sha256, sha512: expected.sha512})
    expect(readFileSync(staged.tempPath).subarray(0, 21).toString()).toBe('age-encryption.org/v1')
    await vault.commit(staged)
    expect((await collect(vault.openObject(expected.sha256))).equals(Buffer.from(content))).toBe(true)

    const changed = Uint8Array.from(content)
    changed[1000] = changed[1000]! ^ 1
    const other = new Vault(join(tmp.path, 'other')).withKeys(keys)
    await other.create()
    await expect(other.stageChunks(pieces(changed), expected, 'package.zip.age: data/exhibits/EX-000002/original/photo.jpg')).rejects.toThrow(
      /^package\.zip\.age: data\/exhibits\/EX-000002\/original\/photo\.jpg read \d+ bytes of SHA-256 [0-9a-f]{64}, not the \d+ bytes of SHA-256 [0-9a-f]{64} verified; nothing of it was kept$/,
    )
    await expect(other.stageChunks(pieces(content.subarray(0, content.length - 1)), expected, 'cut')).rejects.toThrow(/^cut read/)
    expect(filesUnder(join(tmp.path, 'other'))).toEqual([])
  })

  /**
   * Two files read ahead into shared memory (as accept reads a package's originals), each chunk
   * scribbled over (0xEE) the moment it is released: were one released before the worker had
   * sealed and written it, the stored object would not decrypt to the content.
   */
  function sharedChunks(paths: string[]): {reader: ReadAhead; chunksOf: (index: number) => AsyncGenerator<{bytes: Buffer; release: () => void}>} {
    const reader = new ReadAhead(
      paths.map((path) => ({path})),
      {shared: true, depth: 3, readError: (_, error) => error as Error},
    )
    async function* chunksOf(index: number): AsyncGenerator<{bytes: Buffer; release: () => void}> {
      for await (const chunk of reader.chunksOf(index)) {
        yield {
          bytes: chunk.bytes,
          release: () => {
            chunk.bytes.fill(0xee)
            chunk.release()
          },
        }
      }
    }

    return {reader, chunksOf}
  }

  it('stores chunks read ahead in shared memory, sealed on the worker, each released only once written; two files in turn', async () => {
    const second = Uint8Array.from(content.subarray(0, 1024 * 1024 + 5)).reverse()
    writeFileSync(join(tmp.path, 'a'), content)
    writeFileSync(join(tmp.path, 'b'), second)
    const {reader, chunksOf} = sharedChunks([join(tmp.path, 'a'), join(tmp.path, 'b')])
    try {
      for (const [index, bytes] of [content, second].entries()) {
        const expected = {sha256: sha256(bytes), sha512: sha512(bytes), size: bytes.length}
        const staged = await vault.stageShared(chunksOf(index), expected, `item ${index}`)
        expect(staged.digests).toEqual({sha256: expected.sha256, sha512: expected.sha512})
        expect(staged.stored).toEqual({sha256: sha256(readFileSync(staged.tempPath)), size: statSync(staged.tempPath).size})
        await vault.syncStaged(staged)
        await vault.commit(staged)
        expect((await collect(vault.openObject(expected.sha256))).equals(Buffer.from(bytes))).toBe(true)
      }
    } finally {
      await reader.close()
    }
  })

  it('keeps nothing of shared chunks that are not the content verified, and gives every chunk back; in a vault in clear too', async () => {
    writeFileSync(join(tmp.path, 'a'), content)
    const plain = new Vault(join(tmp.path, 'plain'))
    await plain.create()
    for (const target of [vault, plain]) {
      const {reader, chunksOf} = sharedChunks([join(tmp.path, 'a'), join(tmp.path, 'a')])
      try {
        const wrong = {sha256: sha256(content.subarray(1)), sha512: sha512(content), size: content.length}
        await expect(target.stageShared(chunksOf(0), wrong, 'package.zip.age: data/x')).rejects.toThrow(/^package\.zip\.age: data\/x read \d+ bytes of SHA-256 [0-9a-f]{64}, not the \d+ bytes of SHA-256 [0-9a-f]{64} verified; nothing of it was kept$/)
        expect(filesUnder(join(target.root, 'tmp'))).toEqual([])
        // The reader goes on with the next file: every buffer of the refused one came back (its depth is 3 MiB, the file 2.5).
        const right = {sha256: sha256(content), sha512: sha512(content), size: content.length}
        const staged = await target.stageShared(chunksOf(1), right, 'again')
        await target.syncStaged(staged)
        await target.commit(staged)
        // A copy that is no longer there cannot be made durable: said, naming it.
        await expect(target.syncStaged(staged)).rejects.toThrow(staged.tempPath)
        expect((await collect(target.openObject(right.sha256))).equals(Buffer.from(content))).toBe(true)
      } finally {
        await reader.close()
      }
    }
  })

  it('refuses a chunk of another file than the one due, and gives it back', async () => {
    writeFileSync(join(tmp.path, 'a'), content)
    const reader = new ReadAhead([{path: join(tmp.path, 'a')}, {path: join(tmp.path, 'a')}], {shared: true, depth: 3, readError: (_, error) => error as Error})
    try {
      await expect(vault.stageShared(reader.chunksOf(1), {sha256: sha256(content), sha512: sha512(content), size: content.length}, 'x')).rejects.toThrow(/read source 0 where 1 was due/)
      expect(filesUnder(join(vault.root, 'tmp'))).toEqual([])
    } finally {
      await reader.close()
    }
  })

  /** Gives `bytes` to a copy as the verifier's digest pass does: in chunks of a MiB, each a fresh buffer scribbled over once taken. */
  async function takeAll(copy: {take: (chunk: Buffer) => Promise<unknown>}, bytes: Uint8Array): Promise<void> {
    const taking: Array<Promise<unknown>> = []
    for (let at = 0; at === 0 || at < bytes.length; at += 1024 * 1024) {
      const chunk = Buffer.from(bytes.subarray(at, at + 1024 * 1024))
      taking.push(copy.take(chunk).finally(() => chunk.fill(0xee)))
    }

    await Promise.all(taking)
  }

  it('stages a copy along another pass, finished with the digests that pass computed; refuses another size and leaves nothing; in a vault in clear too', async () => {
    const plain = new Vault(join(tmp.path, 'plain'))
    await plain.create()
    const right = {sha256: sha256(content), sha512: sha512(content), size: content.length}
    for (const target of [vault, plain]) {
      // Sealed on the payload worker, and a small file on this thread.
      for (const bytes of [content, content.subarray(0, 3000)]) {
        const digests = {sha256: sha256(bytes), sha512: sha512(bytes), size: bytes.length}
        const copy = await target.stageAlong('package.zip.age: data/exhibits/EX-000001/original/a.jpg', bytes.length)
        await takeAll(copy, bytes)
        const staged = await copy.finish(digests)
        expect(staged.digests).toEqual({sha256: digests.sha256, sha512: digests.sha512})
        expect(staged.size).toBe(bytes.length)
        await target.syncStaged(staged)
        await target.commit(staged)
        expect((await collect(target.openObject(digests.sha256))).equals(Buffer.from(bytes))).toBe(true)
      }

      const short = await target.stageAlong('package.zip.age: data/exhibits/EX-000002/original/b.jpg', content.length)
      await takeAll(short, content.subarray(0, 1000))
      await expect(short.finish(right)).rejects.toThrow(/^package\.zip\.age: data\/exhibits\/EX-000002\/original\/b\.jpg: 1000 bytes were copied, not the \d+ hashed; nothing of it was kept$/)
      const dropped = await target.stageAlong('x', content.length)
      await takeAll(dropped, content)
      await dropped.drop()
      expect(filesUnder(join(target.root, 'tmp'))).toEqual([])
    }
  })

  it('takes a copy staged along verification only for the item whose path and digests it has, and removes every other', async () => {
    const other = Uint8Array.from(content.subarray(0, 5000)).reverse()
    const early = new StagedAhead(vault, 'package.zip.age')
    const digestsOf = (bytes: Uint8Array): {sha256: string; sha512: string; size: number; crc: number} => ({sha256: sha256(bytes), sha512: sha512(bytes), size: bytes.length, crc: 0})
    // Nothing is copied until accept allows it (it would take the package, by its statement).
    expect(early.keep('data/exhibits/EX-000001/original/a.jpg', content.length)).toBeUndefined()
    expect(filesUnder(join(vault.root, 'tmp'))).toHaveLength(0)
    early.allow()
    // Only what may be an original is kept.
    expect(early.keep('data/exhibits/EX-000001/metadata.json', 100)).toBeUndefined()
    expect(early.keep('manifest-sha256.txt', 100)).toBeUndefined()
    const paths = ['data/exhibits/EX-000001/original/a.jpg', 'data/exhibits/EX-000002/original/b.jpg', 'data/exhibits/EX-000003/original/c.jpg', 'data/exhibits/EX-000004/original/d.jpg']
    for (const [i, path] of paths.entries()) {
      const bytes = i === 1 ? other : content
      const keeper = early.keep(path, bytes.length)!
      expect(keeper).toBeDefined()
      // The same path twice (never in a sound bag) is kept once.
      expect(early.keep(path, bytes.length)).toBeUndefined()
      await takeAll(keeper, bytes)
      // The third could not be read to its end (a chunk that did not authenticate): nothing is kept of it.
      keeper.end(i === 2 ? {error: 'chunk 3 does not authenticate'} : digestsOf(bytes))
    }

    const item = (exhibit: string, bytes: Uint8Array): {exhibit: string; sha256: string; sha512: string; size: number} => ({exhibit, sha256: sha256(bytes), sha512: sha512(bytes), size: bytes.length})
    const first = await early.take(paths[0]!, item('EX-000001', content))
    expect(first?.digests.sha256).toBe(sha256(content))
    // Not the item's content (the statement names other digests for it): removed, and read again by the caller.
    expect(await early.take(paths[1]!, item('EX-000002', content))).toBeUndefined()
    expect(await early.take(paths[2]!, item('EX-000003', content))).toBeUndefined()
    expect(await early.take('data/exhibits/EX-000009/original/z.jpg', item('EX-000009', content))).toBeUndefined()
    expect(filesUnder(join(vault.root, 'tmp'))).toHaveLength(2)
    await early.discardRest()
    expect(filesUnder(join(vault.root, 'tmp')).map((f) => join(vault.root, 'tmp', f))).toEqual([first!.tempPath])
    await vault.syncStaged(first!)
    await vault.commit(first!)
    expect((await collect(vault.openObject(sha256(content)))).equals(Buffer.from(content))).toBe(true)
  })

  it('makes at most eight copies along verification at once: the next is opened, and its chunk taken, only once one has ended', async () => {
    const early = new StagedAhead(vault, 'package.zip.age')
    early.allow()
    const files = Array.from({length: 10}, (_, i) => Buffer.from(content.subarray(i * 100, i * 100 + 200 * 1024)))
    const keepers = files.map((bytes, i) => early.keep(`data/exhibits/EX-${i}/original/x.bin`, bytes.length)!)
    let taken = 0
    const takes = keepers.map((keeper, i) => keeper.take(files[i]!).then(() => taken++))
    await Promise.all(takes.slice(0, 8))
    // The two last wait: nothing of them is open, and their chunks are still held.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(taken).toBe(8)
    expect(filesUnder(join(vault.root, 'tmp'))).toHaveLength(8)
    for (const [i, keeper] of keepers.entries()) keeper.end({sha256: sha256(files[i]!), sha512: sha512(files[i]!), size: files[i]!.length, crc: 0})
    await Promise.all(takes)
    for (const [i, bytes] of files.entries()) {
      const staged = await early.take(`data/exhibits/EX-${i}/original/x.bin`, {exhibit: `EX-${i}`, sha256: sha256(bytes), sha512: sha512(bytes), size: bytes.length})
      expect(staged?.size, `copy ${i}`).toBe(bytes.length)
    }

    expect(filesUnder(join(vault.root, 'tmp'))).toHaveLength(10)
  })
})
