import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {byFolder, manifest, sortedMembership} from '../../src/seal/bagit.js'

describe('ordering exhibits by their folders', () => {
  it('orders names as `${name}/` strings compare, which is the order of their manifest lines', () => {
    const name = fc.string({unit: fc.constantFrom('E', 'X', '-', '0', '1', '9', '.', '/', ' ', 'é', '\u{1F4F7}')})
    fc.assert(
      fc.property(name, name, (a, b) => {
        const x = `${a}/`
        const y = `${b}/`
        expect(Math.sign(byFolder(a, b))).toBe(x < y ? -1 : x > y ? 1 : 0)
      }),
      {numRuns: 5000},
    )
  })

  it('finds a name in a list sorted that way exactly when the list holds it', () => {
    const name = fc.string({unit: fc.constantFrom('E', 'X', '-', '0', '1', '/', 'é', '\u{1F4F7}'), maxLength: 6})
    fc.assert(
      fc.property(fc.uniqueArray(name, {maxLength: 60}), fc.array(name, {maxLength: 20}), (names, others) => {
        const members = sortedMembership([...names].sort(byFolder))
        for (const n of [...names, ...others]) expect(members.has(n), JSON.stringify(n)).toBe(names.includes(n))
      }),
      {numRuns: 2000},
    )
    expect(sortedMembership([]).has('EX-1')).toBe(false)
  })

  it('gives the manifest order to exhibit folders, where plain string order would not', () => {
    // "EX-1" sorts before "EX-1-b" as a string, but "EX-1/" after "EX-1-b/" ("-" < "/").
    const ids = ['EX-1', 'EX-1-b', 'EX-10']
    const sorted = [...ids].sort(byFolder)
    expect(sorted).toEqual(['EX-1-b', 'EX-1', 'EX-10'])
    const lines = manifest(
      sorted.map((id) => ({path: `data/exhibits/${id}/metadata.json`, sha256: '0'.repeat(64), sha512: '0'.repeat(128)})),
      'sha256',
    )
    expect(lines.trimEnd().split('\n').map((l) => l.split('/')[2])).toEqual(sorted)
  })
})
