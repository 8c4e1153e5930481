/**
 * src/io/ahead.ts: a source read a few items ahead of its consumer. The items come in order, each
 * kept (copied) before the source is asked for the next, so a source that reuses one buffer gives
 * its bytes intact; the source runs at most `depth` items ahead; its failure comes after the items
 * before it; a consumer that stops early has the source closed before it goes on.
 */
import {setTimeout as sleep} from 'node:timers/promises'
import {describe, expect, it} from 'vitest'
import {ahead} from '../../src/io/ahead.js'

/** Ten chunks, each read into the same buffer (as a ZIP entry's reader does); `state` follows the source. */
function reusing(state: {pulled: number; closed: boolean}, failAt?: number): AsyncGenerator<Buffer> {
  const buffer = Buffer.alloc(4)
  return (async function* () {
    try {
      for (let i = 0; i < 10; i++) {
        await sleep(1)
        if (i === failAt) throw new Error(`read ${i} failed`)
        buffer.writeUInt32BE(i)
        state.pulled = i + 1
        yield buffer
      }
    } finally {
      state.closed = true
    }
  })()
}

describe('ahead', () => {
  it('gives every item in order, each kept before the source reads the next', async () => {
    const state = {pulled: 0, closed: false}
    const seen: number[] = []
    for await (const chunk of ahead(reusing(state), 3, (b) => Buffer.from(b))) seen.push(chunk.readUInt32BE())
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(state.closed).toBe(true)
  })

  it('reads ahead while the consumer works, never more than depth items', async () => {
    const state = {pulled: 0, closed: false}
    const lead: number[] = []
    let taken = 0
    for await (const _ of ahead(reusing(state), 3, (b) => Buffer.from(b))) {
      taken++
      await sleep(15)
      lead.push(state.pulled - taken)
    }

    // Items read but not yet given: read ahead while the consumer slept, never past the queue's 3.
    expect(Math.max(...lead)).toBeGreaterThan(0)
    expect(Math.max(...lead)).toBeLessThanOrEqual(3)
  })

  it('gives the items before a failure, then the failure', async () => {
    const state = {pulled: 0, closed: false}
    const seen: number[] = []
    await expect(
      (async () => {
        for await (const chunk of ahead(reusing(state, 4), 2, (b) => Buffer.from(b))) seen.push(chunk.readUInt32BE())
      })(),
    ).rejects.toThrow('read 4 failed')
    expect(seen).toEqual([0, 1, 2, 3])
  })

  it('closes the source before a consumer that stops early goes on', async () => {
    const state = {pulled: 0, closed: false}
    for await (const chunk of ahead(reusing(state), 4, (b) => Buffer.from(b))) if (chunk.readUInt32BE() === 1) break
    expect(state.closed).toBe(true)
    expect(state.pulled).toBeLessThan(10)
  })
})
