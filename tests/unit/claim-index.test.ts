import {afterEach, describe, expect, it} from 'vitest'
import {ClaimIndex, type ExhibitClaim} from '../../src/verify/claim-index.js'

const hex = (n: number, length = 64): string => n.toString(16).padStart(length, '0')
const claim = (seq: number, exhibit: string, sha256 = hex(seq)): ExhibitClaim => ({exhibit, seq, sha256, sha512: hex(seq, 128), size: seq * 10, record: hex(seq + 1_000_000)})

describe("verify's index of what the ingest events claim", () => {
  const opened: ClaimIndex[] = []
  const index = (): ClaimIndex => {
    const made = new ClaimIndex()
    opened.push(made)
    return made
  }

  afterEach(() => {
    for (const made of opened.splice(0)) made.close()
  })

  it('gives the claims back in the order of their events, across pages, with what was missing still missing', () => {
    const claims = index()
    const added = Array.from({length: 130}, (_, i) => claim(3 * i + 2, `EX-${String(i + 1).padStart(6, '0')}`))
    added[7] = {...added[7]!, sha512: undefined, size: undefined, record: undefined}
    for (const c of [...added].reverse()) claims.add(c)
    expect(claims.size).toBe(130)
    expect([...claims.all()]).toEqual(added)
  })

  it("answers an exhibit's SHA-256 with its last claim, and knows which objects were named", () => {
    const claims = index()
    claims.add(claim(1, 'EX-000001'))
    claims.add(claim(5, 'EX-000001', hex(99)))
    expect(claims.sha256Of('EX-000001')).toBe(hex(99))
    expect(claims.sha256Of('EX-000002')).toBeUndefined()
    claims.reference(hex(1))
    claims.reference(hex(1))
    expect(claims.isReferenced(hex(1))).toBe(true)
    expect(claims.isReferenced(hex(2))).toBe(false)
  })
})
