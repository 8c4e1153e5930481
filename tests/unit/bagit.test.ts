import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {manifest} from '../../src/seal/bag-layout.js'
import {SealChoice} from '../../src/seal/choice.js'

describe('the exhibits a seal takes (SealChoice)', () => {
  const folderOrder = (a: string, b: string): number => (`${a}/` < `${b}/` ? -1 : `${a}/` > `${b}/` ? 1 : 0)

  it('gives them back in the order of their folders, once each, and knows exactly which it holds', () => {
    const name = fc.string({unit: fc.constantFrom('E', 'X', '-', '0', '1', '9', '.', ' ', 'é', '\uFF21', '\u{1F4F7}'), minLength: 1, maxLength: 6})
    fc.assert(
      fc.property(fc.array(name, {maxLength: 130}), fc.array(name, {maxLength: 20}), (names, others) => {
        const choice = new SealChoice()
        try {
          for (const n of names) choice.add(n)
          const unique = [...new Set(names)]
          expect(choice.size).toBe(unique.length)
          // More than two pages of the scratch database's reads, for the longer lists.
          expect([...choice.ids()]).toEqual(unique.sort(folderOrder))
          for (const n of [...names, ...others]) expect(choice.has(n), JSON.stringify(n)).toBe(names.includes(n))
        } finally {
          choice.close()
        }
      }),
      {numRuns: 300},
    )
  })

  it('gives the manifest order to exhibit folders, where plain string order would not', () => {
    // "EX-1" sorts before "EX-1-b" as a string, but "EX-1/" after "EX-1-b/" ("-" < "/").
    const choice = new SealChoice()
    for (const id of ['EX-10', 'EX-1', 'EX-1-b']) choice.add(id)
    const sorted = [...choice.ids()]
    choice.close()
    expect(sorted).toEqual(['EX-1-b', 'EX-1', 'EX-10'])
    const lines = manifest(
      sorted.map((id) => ({path: `data/exhibits/${id}/metadata.json`, sha256: '0'.repeat(64), sha512: '0'.repeat(128)})),
      'sha256',
    )
    expect(lines.trimEnd().split('\n').map((l) => l.split('/')[2])).toEqual(sorted)
  })
})
