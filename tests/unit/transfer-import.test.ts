/**
 * The numbering of received exhibits (src/transfers/import.ts): which ID each item of a package
 * gets in the receiving case, as the ledger stands when it is recorded. Content the case holds is
 * received as that exhibit; two items of one content get one exhibit; new exhibits take the next
 * numbers in the package's order; only new exhibits get an ingest event, with the sender's facts
 * and the receiver's storage.
 */
import {describe, expect, it} from 'vitest'
import type {Case} from '../../src/case/case.js'
import type {IngestPayload, TransferItem} from '../../src/formats/events.js'
import type {LedgerView} from '../../src/ledger/ledger.js'
import {planIds, receivedDrafts, receivedItems, type StagedItem} from '../../src/transfers/import.js'

const hex = (c: string, n: number): string => c.repeat(n)

function item(exhibit: string, c: string): TransferItem {
  return {exhibit, sha256: hex(c, 64), sha512: hex(c, 128), size: 10}
}

/** A staged item as stageItems leaves it: its original and record stored, unless the case held it (`existing`). */
function staged(x: TransferItem, existing?: string): StagedItem {
  const payload = {
    file: {name: `${x.exhibit}.jpg`, path: `/media/card/${x.exhibit}.jpg`, modifiedAt: null},
    digests: {sha256: x.sha256, sha512: x.sha512},
    size: x.size,
    vault: `vault/sha256/${x.sha256.slice(0, 2)}/${x.sha256}`,
    collected: {location: 'Kherson'},
    note: 'by the river',
    metadata: {record: hex('f', 64), reader: 'ExifTool 13.59', normalised: {}, warnings: [], errors: []},
  } as unknown as IngestPayload
  const sender = {item: x, files: {original: 'data/exhibits/x/original', record: 'data/exhibits/x/record'}, ingest: {seq: 7, payload}}
  if (existing !== undefined) return {sender, existing}
  return {sender, original: {tempPath: '/nowhere', digests: {sha256: x.sha256, sha512: x.sha512}, size: x.size}, record: {sha256: hex('f', 64), path: '/nowhere'}}
}

const kase = {info: {prefix: 'HQ'}, vault: {recordedPath: (sha: string) => `vault/sha256/${sha.slice(0, 2)}/${sha}`}} as unknown as Case

function view(last: number, held: Record<string, string> = {}): LedgerView {
  return {lastExhibitNumber: () => last, exhibitBySha256: (sha) => held[sha]}
}

describe('received exhibits: their IDs here', () => {
  it('numbers new content after the last exhibit, in the package order', () => {
    const items = [item('EX-000001', 'a'), item('EX-000002', 'b')]
    const plan = planIds(kase, view(4), items.map((i) => staged(i)))
    expect(plan).toEqual({ids: ['HQ-000005', 'HQ-000006'], fresh: [true, true]})
    expect(receivedItems(items, items.map((i) => staged(i)), plan.ids).map((i) => i.receivedAs)).toEqual(['HQ-000005', 'HQ-000006'])
  })

  it('receives content the case holds as that exhibit, whether it held it when staged or took it in since', () => {
    const items = [item('EX-000001', 'a'), item('EX-000002', 'b'), item('EX-000003', 'c')]
    const s = [staged(items[0]!, 'HQ-000002'), staged(items[1]!), staged(items[2]!)]
    // b became HQ-000009 after staging (another ingest): no new number, no second event.
    const plan = planIds(kase, view(9, {[hex('b', 64)]: 'HQ-000009'}), s)
    expect(plan).toEqual({ids: ['HQ-000002', 'HQ-000009', 'HQ-000010'], fresh: [false, false, true]})
    const drafts = receivedDrafts(kase, s, plan, {case: '11111111-2222-3333-4444-555555555555', transferId: 'TRANSFER-0123456789abcdef'}, 'Olena')
    expect(drafts.map((d) => d.exhibit)).toEqual(['HQ-000010'])
  })

  it("writes a new exhibit's ingest event with the sender's facts, this case's storage and where it came from", () => {
    const x = item('EX-000003', 'c')
    const s = [staged(x)]
    const drafts = receivedDrafts(kase, s, planIds(kase, view(0), s), {case: '11111111-2222-3333-4444-555555555555', transferId: 'TRANSFER-0123456789abcdef'}, 'Olena')
    expect(drafts).toHaveLength(1)
    expect(drafts[0]).toMatchObject({
      actor: 'Olena',
      action: 'ingest',
      exhibit: 'HQ-000001',
      payload: {
        file: {name: 'EX-000003.jpg', path: '/media/card/EX-000003.jpg'},
        collected: {location: 'Kherson'},
        note: 'by the river',
        received: {case: '11111111-2222-3333-4444-555555555555', exhibit: 'EX-000003', seq: 7, transferId: 'TRANSFER-0123456789abcdef'},
      },
    })
  })

  it('gives no ID to an item kept in the package only', () => {
    const items = [item('EX-000001', 'a'), item('EX-000002', 'b')]
    const s = [staged(items[1]!)]
    const plan = planIds(kase, view(0), s)
    expect(receivedItems(items, s, plan.ids)).toEqual([{...items[0]}, {...items[1], receivedAs: 'HQ-000001'}])
  })
})
