/**
 * src/transfers/split-view.ts: a receiver's record of a sender's heads against a new package. The
 * proofs themselves are the archive verifier's (tests/e2e of earlier seals); here, which heads a
 * package must prove and how a rollback and a fork are told apart and named.
 */
import {describe, expect, it} from 'vitest'
import {describeSplitView, earlierToRecord, provenEarlier, splitViews, type SeenHead} from '../../src/transfers/split-view.js'

const root = (c: string): string => c.repeat(64)
const seen: SeenHead[] = [
  {size: 10, root: root('a'), transferId: 'TRANSFER-000000000000000a'},
  {size: 25, root: root('b'), transferId: 'TRANSFER-000000000000000b'},
]

describe('split views of a sender', () => {
  it('finds none when the package proves every head seen, or is one of them', () => {
    expect(splitViews([], {size: 3, root: root('c')}, [])).toEqual([])
    expect(splitViews(seen, {size: 40, root: root('c')}, [{size: 10, root: root('a')}, {size: 25, root: root('b')}, {size: 30, root: root('d')}])).toEqual([])
    expect(splitViews(seen, {size: 25, root: root('b')}, [{size: 10, root: root('a')}])).toEqual([])
  })

  it('names a head the package does not prove as a fork, and one longer than the package as a rollback', () => {
    // The sender cut its ledger back to 20 events and went on: the seal at 25 is gone from it.
    const views = splitViews(seen, {size: 20, root: root('e')}, [{size: 10, root: root('a')}])
    expect(views).toEqual([{seen: seen[1], package: {size: 20, root: root('e')}, why: 'rolled back'}])
    expect(describeSplitView(views[0]!, 'Iryna Melnyk')).toBe(
      `Iryna Melnyk's ledger was rolled back: this package's head (20 events, root ${root('e')}) is shorter than one already accepted from it (25 events, root ${root('b')} (accepted in TRANSFER-000000000000000b)); unless this package is only older than that one (made before it, delivered after) and no package accepted proves it: then ask the sender to send its exhibits again in a new package (transfer export --again)`,
    )
    // Same sizes, another root for the first seal: a fork, both heads named.
    const forked = splitViews(seen, {size: 40, root: root('c')}, [{size: 10, root: root('f')}, {size: 25, root: root('b')}])
    expect(forked.map((v) => [v.seen.transferId, v.why])).toEqual([['TRANSFER-000000000000000a', 'forked']])
    expect(describeSplitView(forked[0]!, 'S')).toMatch(/does not extend one already accepted from it \(10 events, root a{64} .*and the package proves no path from it/)
  })

  it('takes a package an accepted one proved as older, by its ID and its head both', () => {
    const known = [
      {id: 'SEAL-0000000000000001', size: 10, root: root('a'), sha256: root('1')},
      {id: 'TRANSFER-0000000000000002', size: 18, root: root('c'), sha256: root('2')},
    ]
    expect(provenEarlier(known, 'TRANSFER-0000000000000002', {size: 18, root: root('c')})).toBe(known[1])
    // The same head under another ID: a package the sender's ledger never made there (a copy rolled back and sent again).
    expect(provenEarlier(known, 'TRANSFER-0000000000000003', {size: 18, root: root('c')})).toBeUndefined()
    // The ID with another head or root: not the package proved.
    expect(provenEarlier(known, 'SEAL-0000000000000001', {size: 11, root: root('a')})).toBeUndefined()
    expect(provenEarlier(known, 'SEAL-0000000000000001', {size: 10, root: root('b')})).toBeUndefined()
    expect(provenEarlier([], 'SEAL-0000000000000001', {size: 10, root: root('a')})).toBeUndefined()
  })

  it('records only the earlier packages past the longest head seen of the sender, and before its own', () => {
    const proves = [5, 10, 12, 25, 30, 40].map((size, i) => ({id: `SEAL-000000000000000${i}`, size, root: root('f'), sha256: root(`${i}`)}))
    expect(earlierToRecord(proves, [], {size: 40, root: root('g')}).map((p) => p.size)).toEqual([5, 10, 12, 25, 30])
    expect(earlierToRecord(proves, seen, {size: 40, root: root('g')}).map((p) => p.size)).toEqual([30])
    // A package older than a head seen records none.
    expect(earlierToRecord(proves, seen, {size: 12, root: root('g')})).toEqual([])
  })
})
