/**
 * An async iterable taken up to `depth` items ahead of its consumer: the next reads (and
 * decryptions) of a source run while the consumer hashes, encrypts and writes the item before.
 * Without it, a copy out of a package waits for each read, then each write, in turn.
 *
 * The source is pulled by one loop that asks for the next item only once it has kept the one
 * before (`keep`), so a source that reads into one reused buffer stays correct when `keep`
 * copies. Errors come to the consumer in their turn, after the items before them. A consumer
 * that stops early stops the loop, and the source is closed (its `return`) before this ends.
 */
export async function* ahead<T>(source: AsyncIterable<T>, depth: number, keep: (item: T) => T = (item) => item): AsyncGenerator<T> {
  const room = Math.max(1, depth)
  const queue: T[] = []
  let done = false
  let failure: {error: unknown} | undefined
  let stopped = false
  // Whoever waits: the consumer for an item, or the loop for room.
  let wake: (() => void) | undefined
  const signal = (): void => {
    wake?.()
    wake = undefined
  }

  const wait = (): Promise<void> => new Promise((resolve) => (wake = resolve))
  const loop = (async () => {
    try {
      for await (const item of source) {
        if (stopped) break
        queue.push(keep(item))
        signal()
        while (queue.length >= room && !stopped) await wait()
        if (stopped) break
      }
    } catch (error) {
      failure = {error}
    } finally {
      done = true
      signal()
    }
  })()

  try {
    for (;;) {
      if (queue.length > 0) {
        const item = queue.shift()!
        signal()
        yield item
        continue
      }

      if (done) {
        if (failure !== undefined) throw failure.error
        return
      }

      await wait()
    }
  } finally {
    stopped = true
    signal()
    await loop
  }
}
