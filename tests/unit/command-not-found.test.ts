/** The edit distance behind the suggestion for a mistyped command (hooks/command-not-found.ts). */
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {editDistance} from '../../src/render/nearest.js'

/** Straight from the definition: the cheapest last step, recursively (optimal string alignment). */
function naive(a: string, b: string): number {
  if (a === '') return b.length
  if (b === '') return a.length
  const options = [naive(a.slice(0, -1), b) + 1, naive(a, b.slice(0, -1)) + 1, naive(a.slice(0, -1), b.slice(0, -1)) + (a.at(-1) === b.at(-1) ? 0 : 1)]
  if (a.length > 1 && b.length > 1 && a.at(-1) === b.at(-2) && a.at(-2) === b.at(-1)) options.push(naive(a.slice(0, -2), b.slice(0, -2)) + 1)
  return Math.min(...options)
}

describe('editDistance', () => {
  it('counts the slips of typing', () => {
    expect(editDistance('ingset', 'ingest')).toBe(1) // two neighbours swapped
    expect(editDistance('sttus', 'status')).toBe(1) // one left out
    expect(editDistance('seall', 'seal')).toBe(1) // one too many
    expect(editDistance('lof', 'log')).toBe(1) // one wrong
    expect(editDistance('testimony:foo', 'testimony:add')).toBe(3)
    expect(editDistance('', 'init')).toBe(4)
    expect(editDistance('verify', 'verify')).toBe(0)
  })

  it('agrees with the definition, and is symmetric', () => {
    const word = fc.string({unit: fc.constantFrom('a', 'b', 'c', ':'), maxLength: 7})
    fc.assert(
      fc.property(word, word, (a, b) => {
        expect(editDistance(a, b)).toBe(naive(a, b))
        expect(editDistance(a, b)).toBe(editDistance(b, a))
      }),
    )
  })
})
