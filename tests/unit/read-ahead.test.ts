import {randomBytes} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {ReadAhead, type ReadChunk, type ReadSource} from '../../src/io/read-ahead.js'
import {tempDir} from '../helpers/cli.js'

const tmp = tempDir('custody-read-ahead-')
afterAll(() => tmp.remove())

const CHUNK = 1000

function file(name: string, bytes: Buffer): string {
  const path = join(tmp.path, name)
  writeFileSync(path, bytes)
  return path
}

/** Reads everything, releasing each chunk at once; returns each source's bytes and its chunks. */
async function drain(reader: ReadAhead): Promise<{bytes: Buffer[]; chunks: Array<Omit<ReadChunk, 'bytes' | 'release' | 'shared'>>}> {
  const parts: Buffer[][] = []
  const chunks: Array<Omit<ReadChunk, 'bytes' | 'release' | 'shared'>> = []
  try {
    for (let chunk = await reader.next(); chunk; chunk = await reader.next()) {
      ;(parts[chunk.source] ??= []).push(Buffer.from(chunk.bytes))
      chunks.push({source: chunk.source, offset: chunk.offset, size: chunk.size, last: chunk.last})
      chunk.release()
    }
  } finally {
    await reader.close()
  }

  return {bytes: parts.map((p) => Buffer.concat(p)), chunks}
}

const readError = (index: number, error: unknown): Error => new Error(`source ${index}: ${(error as Error).message}`)

describe('ReadAhead', () => {
  const contents = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3.5 * CHUNK].map((n) => randomBytes(n))
  const paths = contents.map((bytes, i) => file(`f${i}`, bytes))

  it.each([false, true])('gives every file, chunk by chunk, in order (shared memory: %s)', async (shared) => {
    const {bytes, chunks} = await drain(new ReadAhead(paths.map((path) => ({path})), {chunkSize: CHUNK, depth: 3, shared, readError}))
    expect(bytes).toEqual(contents)
    // An empty file is one empty last chunk; every other file is ceil(size / CHUNK) chunks.
    expect(chunks.filter((c) => c.source === 0)).toEqual([{source: 0, offset: 0, size: 0, last: true}])
    expect(chunks.filter((c) => c.source === 5)).toEqual([0, 1, 2, 3].map((i) => ({source: 5, offset: i * CHUNK, size: 3500, last: i === 3})))
    expect(chunks.map((c) => c.source)).toEqual([...chunks.map((c) => c.source)].sort((a, b) => a - b))
  })

  it('reads a range of a file when given a start', async () => {
    const whole = contents[5]!
    const sources: ReadSource[] = [
      {path: paths[5]!, start: 10, size: 2000},
      {path: paths[5]!, start: 3499, size: 1},
      {path: paths[5]!, start: 3500, size: 0},
    ]
    const {bytes} = await drain(new ReadAhead(sources, {chunkSize: CHUNK, readError}))
    expect(bytes).toEqual([whole.subarray(10, 2010), whole.subarray(3499), Buffer.alloc(0)])
  })

  it('never has more than `depth` chunks out, and hands the shared memory of each', async () => {
    const reader = new ReadAhead([{path: paths[5]!}], {chunkSize: CHUNK, depth: 2, shared: true, readError})
    try {
      const first = (await reader.next())!
      const second = (await reader.next())!
      expect(second.shared!.memory).toBe(first.shared!.memory)
      expect(Buffer.from(second.shared!.memory, second.shared!.offset, second.bytes.length).equals(contents[5]!.subarray(CHUNK, 2 * CHUNK))).toBe(true)
      // Both buffers are out: the third chunk cannot be read until one comes back.
      const third = reader.next()
      const waited = await Promise.race([third.then(() => 'read'), new Promise((resolve) => setTimeout(() => resolve('waiting'), 200))])
      expect(waited).toBe('waiting')
      first.release()
      expect((await third)!.offset).toBe(2 * CHUNK)
    } finally {
      await reader.close()
    }
  })

  it('fails in its turn on a file of the wrong size, a missing file, or a range past the end', async () => {
    const cases: Array<[ReadSource, RegExp]> = [
      [{path: paths[2]!, size: CHUNK}, /source 1: it holds 999 bytes, not the 1000 expected/],
      [{path: join(tmp.path, 'missing')}, /source 1: ENOENT/],
      [{path: paths[2]!, start: 500, size: 500}, /source 1: it ends at 999 bytes, before 500 \+ 500/],
    ]
    for (const [bad, message] of cases) {
      const reader = new ReadAhead([{path: paths[1]!}, bad, {path: paths[3]!}], {chunkSize: CHUNK, readError})
      try {
        const good = (await reader.next())!
        expect(good.bytes.equals(contents[1]!)).toBe(true)
        good.release()
        await expect(reader.next()).rejects.toThrow(message)
      } finally {
        await reader.close()
      }
    }
  })

  it('takes its sources from an iterable only as reading reaches them', async () => {
    let pulled = 0
    function* sources(): Generator<ReadSource> {
      for (let i = 0; i < 1000; i++) {
        pulled++
        yield {path: paths[1]!}
      }
    }

    const reader = new ReadAhead(sources(), {chunkSize: CHUNK, depth: 2, readError})
    try {
      const first = (await reader.next())!
      await new Promise((resolve) => setTimeout(resolve, 100))
      // Two buffers: at most the two files being read and the one waiting for a buffer.
      expect(pulled).toBeLessThanOrEqual(3)
      first.release()
      expect((await reader.next())!.source).toBe(1)
    } finally {
      await reader.close()
    }
  })

  it('fails in its turn when its sources throw (a lookup that fails), after the sources before', async () => {
    function* sources(): Generator<ReadSource> {
      yield {path: paths[1]!}
      yield {path: paths[2]!}
      throw new Error('EX-000003 is not in the ledger')
    }

    const reader = new ReadAhead(sources(), {chunkSize: CHUNK, readError})
    try {
      for (const source of [0, 1]) {
        const chunk = (await reader.next())!
        expect(chunk.source).toBe(source)
        chunk.release()
      }

      await expect(reader.next()).rejects.toThrow('EX-000003 is not in the ledger')
    } finally {
      await reader.close()
    }
  })

  it('closes cleanly when the consumer stops early', async () => {
    const reader = new ReadAhead(paths.map((path) => ({path})), {chunkSize: CHUNK, depth: 2, readError})
    const chunk = (await reader.next())!
    expect(chunk.source).toBe(0)
    await reader.close()
  })
})
