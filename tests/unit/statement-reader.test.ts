import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {readStatement} from '../../src/verify/archive/statement-reader.js'

/** The text in pieces cut at the given byte offsets (some inside characters, strings, escapes). */
async function* pieces(text: string, cuts: number[]): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text)
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  let from = 0
  for (const to of [...at, bytes.length]) {
    yield bytes.subarray(from, to)
    from = to
  }
}

async function read(text: string, cuts: number[] = []): Promise<{rest: unknown; exhibits: unknown[]}> {
  const exhibits: unknown[] = []
  const rest = await readStatement(pieces(text, cuts), (value, index) => {
    expect(index).toBe(exhibits.length)
    exhibits.push(value)
  })
  return {rest, exhibits}
}

describe('reading a seal statement as a stream', () => {
  it('gives the exhibits one by one and the rest as JSON.parse does, however the text is laid out and cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({unit: 'binary'}), fc.jsonValue({maxDepth: 3, stringUnit: 'binary'})),
        fc.array(fc.jsonValue({maxDepth: 3, stringUnit: 'binary'}), {maxLength: 8}),
        fc.constantFrom(undefined, 0, 1, 2, '\t'),
        fc.array(fc.nat(), {maxLength: 12}),
        fc.nat(),
        async (others, exhibits, indent, cuts, place) => {
          // The exhibits go somewhere among the other keys.
          const entries = Object.entries(others).filter(([k]) => k !== 'exhibits' && k !== '__proto__')
          entries.splice(place % (entries.length + 1), 0, ['exhibits', exhibits])
          const statement = Object.fromEntries(entries)
          const text = JSON.stringify(statement, null, indent)
          const got = await read(text, cuts)
          expect(got.exhibits).toEqual(JSON.parse(JSON.stringify(exhibits)))
          expect(got.rest).toEqual({...JSON.parse(text), exhibits: []})
        },
      ),
      {numRuns: 300},
    )
  })

  it('reads a key written with escapes, and nested "exhibits" keys as ordinary values', async () => {
    const got = await read('{"exhib\\u0069ts": [{"exhibits": [1, 2]}, "x"], "note": {"exhibits": [3]}}', [3, 9, 17])
    expect(got.exhibits).toEqual([{exhibits: [1, 2]}, 'x'])
    expect(got.rest).toEqual({exhibits: [], note: {exhibits: [3]}})
  })

  it('leaves exhibits that are not an array to the rest, and reads a statement that is not an object', async () => {
    expect(await read('{"exhibits": "none", "a": 1}')).toEqual({rest: {exhibits: 'none', a: 1}, exhibits: []})
    expect(await read('[{"exhibits": [1]}]')).toEqual({rest: [{exhibits: [1]}], exhibits: []})
    expect(await read('{"exhibits": [ ]}')).toEqual({rest: {exhibits: []}, exhibits: []})
  })

  it('refuses what is not JSON, and exhibits named twice', async () => {
    await expect(read('{"exhibits": [1,]}')).rejects.toThrow(/empty element/)
    await expect(read('{"exhibits": [,1]}')).rejects.toThrow(/empty element/)
    await expect(read('{"exhibits": [{"a": }]}')).rejects.toThrow(SyntaxError)
    await expect(read('{"exhibits": [1], "b": ')).rejects.toThrow(/ends before its JSON does/)
    await expect(read('{"exhibits": [1], "exhibits": [2]}')).rejects.toThrow(/exhibits twice/)
    await expect(read('{"exhibits": 1, "exhib\\u0069ts": [2]}')).rejects.toThrow(/exhibits twice/)
    await expect(read('{"exhibits": [1]} trailing')).rejects.toThrow(SyntaxError)
  })
})
