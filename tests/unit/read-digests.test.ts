/**
 * The one pass that reads and hashes a bag's files (src/hashing/read-digests.ts), with a keeper
 * beside the hashes: what `transfer accept` stages a package's originals with as they are
 * verified. The keeper must get exactly the bytes hashed, in order, and each chunk's memory must
 * stay untouched until the keeper is done with it (the reader reuses it for the next reads).
 */
import {createHash, randomBytes} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {digestReadAhead, type ChunkKeeper, type ReadDigest} from '../../src/hashing/read-digests.js'
import type {ReadSource} from '../../src/io/read-ahead.js'
import type {RandomAccess} from '../../src/io/random-access.js'
import {tempDir} from '../helpers/cli.js'

const tmp = tempDir('custody-read-digests-')
afterAll(() => tmp.remove())

const MiB = 1024 * 1024
const hex = (algorithm: string, bytes: Uint8Array): string => createHash(algorithm).update(bytes).digest('hex')

/** A keeper that takes its time over each chunk and copies the bytes only when it is done: memory given back early would show. */
function slowKeeper(): {keeper: ChunkKeeper; bytes: () => Promise<Buffer>; ended: () => ReadDigest | {error: string} | undefined} {
  const parts: Buffer[] = []
  const taking: Array<Promise<unknown>> = []
  let end: ReadDigest | {error: string} | undefined
  return {
    keeper: {
      take: (bytes) => {
        const at = parts.length
        parts.push(Buffer.alloc(0))
        const taken = new Promise((resolve) =>
          setTimeout(() => {
            parts[at] = Buffer.from(bytes)
            resolve(undefined)
          }, 3),
        )
        taking.push(taken)
        return taken
      },
      end: (result) => {
        end = result
      },
    },
    // What was kept, once every take has settled (the reader does not wait for them).
    bytes: async () => {
      await Promise.all(taking)
      return Buffer.concat(parts)
    },
    ended: () => end,
  }
}

describe('digestReadAhead with a keeper', () => {
  it('gives the keeper every byte of the files it wants, in order, each chunk untouched until taken, and ends each with the digests', async () => {
    // More than the reader's eight buffers in flight, files of one and of several chunks, an empty one.
    const contents = [2.5 * MiB + 77, 0, 100, 3 * MiB, 64 * 1024 + 1, 1.5 * MiB].map((n) => randomBytes(n))
    const paths = contents.map((bytes, i) => {
      const path = join(tmp.path, `f${i}`)
      writeFileSync(path, bytes)
      return path
    })
    const keepers = new Map<number, ReturnType<typeof slowKeeper>>()
    const results = new Map<number, ReadDigest | {error: string}>()
    await digestReadAhead(
      contents.keys(),
      (i): ReadSource => ({path: paths[i]!}),
      (i, result) => results.set(i, result),
      {
        crc: false,
        // Every file but the fifth is kept.
        keep: (i) => {
          if (i === 4) return undefined
          const kept = slowKeeper()
          keepers.set(i, kept)
          return kept.keeper
        },
      },
    )

    expect([...keepers.keys()].sort()).toEqual([0, 1, 2, 3, 5])
    for (const [i, bytes] of contents.entries()) {
      const result = results.get(i)
      expect(result).toMatchObject({sha256: hex('sha256', bytes), sha512: hex('sha512', bytes), size: bytes.length})
      const kept = keepers.get(i)
      if (kept === undefined) continue
      expect((await kept.bytes()).equals(bytes), `file ${i} kept as read`).toBe(true)
      expect(kept.ended()).toEqual(result)
    }
  })

  it('ends the keeper with the error when its file cannot be read to the end, after the chunks read before', async () => {
    const bytes = randomBytes(3 * MiB)
    // A source that fails past its first MiB (a package whose chunk does not authenticate).
    const failing: RandomAccess = {
      size: bytes.length,
      readAt: async (buffer, offset, length, position) => {
        if (position >= MiB) throw new Error('chunk 17 does not authenticate')
        const n = Math.min(length, MiB - position)
        buffer.set(bytes.subarray(position, position + n), offset)
        return n
      },
      readAtSync: () => {
        throw new Error('not read synchronously')
      },
      close: () => {},
    }
    const kept = slowKeeper()
    const results: Array<ReadDigest | {error: string}> = []
    await digestReadAhead([0], () => ({path: 'package.zip.age', start: 0, size: bytes.length, from: failing}), (_, result) => results.push(result), {crc: true, keep: () => kept.keeper})
    expect(results).toEqual([{error: expect.stringContaining('chunk 17 does not authenticate')}])
    expect(kept.ended()).toEqual(results[0])
    expect((await kept.bytes()).equals(bytes.subarray(0, MiB))).toBe(true)
  })

  it('asks for no keeper for a file that cannot be opened, and reads on without one', async () => {
    const path = join(tmp.path, 'short')
    writeFileSync(path, randomBytes(10))
    const asked: number[] = []
    const results = new Map<number, ReadDigest | {error: string}>()
    await digestReadAhead([0], () => ({path, size: 11}), (i, result) => results.set(i, result), {
      crc: false,
      keep: (i) => {
        asked.push(i)
        return slowKeeper().keeper
      },
    })
    expect(asked).toEqual([])
    expect(results.get(0)).toEqual({error: expect.stringContaining('not the 11 expected')})
  })
})
