import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import type {CustodyEvent, CustodyEventDraft} from '../../src/formats/events.js'
import {Ledger} from '../../src/ledger/ledger.js'
import {parseCheckpoint} from '../../src/checkpoints/checkpoint.js'
import {SEALED_EXHIBITS_PER_EVENT, exhibitLists, recordedExhibits} from '../../src/seal/seal-record.js'
import {tempDir} from '../helpers/cli.js'
import {createCaseDraft, sealDraft, sealIdOf} from '../helpers/drafts.js'
import {memorySigner} from '../helpers/keys.js'

const ids = (n: number, from = 1): string[] => Array.from({length: n}, (_, i) => `EX-${String(from + i).padStart(6, '0')}`)
const [SEAL_1, SEAL_2, SEAL_A, SEAL_B, SEAL_X, SEAL_Y] = ['1', '2', 'a', 'b', 'e', 'f'].map(sealIdOf) as [string, string, string, string, string, string]

/** The payload of a sealed-exhibits draft. */
function listOf(draft: CustodyEventDraft): {sealId: string; first: number; exhibits: string[]} {
  if (draft.action !== 'sealed-exhibits') throw new Error(`expected a sealed-exhibits draft, got ${draft.action}`)
  return draft.payload
}

/** The seal ID of a seal event. */
function sealOf(event: CustodyEvent): string {
  if (event.action !== 'seal') throw new Error(`expected a seal event, got ${event.action}`)
  return event.payload.sealId
}

describe("the ledger's record of a seal", () => {
  let tmp: ReturnType<typeof tempDir>
  let ledger: Ledger

  beforeEach(() => {
    tmp = tempDir()
    ledger = Ledger.create(join(tmp.path, 'ledger.sqlite'), [createCaseDraft()], {caseId: 'c', signer: memorySigner()}).ledger
  })

  afterEach(() => {
    ledger.close()
    tmp.remove()
  })

  it('lists the exhibits 1,000 an event, numbered from 1, in the order given', () => {
    const drafts = [...exhibitLists('tester', SEAL_1, ids(2345))]
    expect(SEALED_EXHIBITS_PER_EVENT).toBe(1000)
    expect(drafts.map((d) => [d.action, d.exhibit, listOf(d).sealId, listOf(d).first, listOf(d).exhibits.length])).toEqual([
      ['sealed-exhibits', null, SEAL_1, 1, 1000],
      ['sealed-exhibits', null, SEAL_1, 1001, 1000],
      ['sealed-exhibits', null, SEAL_1, 2001, 345],
    ])
    expect(drafts.flatMap((d) => listOf(d).exhibits)).toEqual(ids(2345))
    expect([...exhibitLists('tester', SEAL_2, ids(1000))]).toHaveLength(1)
  })

  it('appends the lists after the seal event in one transaction, with one checkpoint over all of them, and reads them back', () => {
    let made = 0
    const lists = function* (): Generator<CustodyEventDraft> {
      for (const draft of exhibitLists('tester', SEAL_A, ids(2345))) {
        made++
        yield draft
      }
    }

    const checkpointsBefore = ledger.checkpoints().length
    const {events} = ledger.append(() => ({drafts: [sealDraft(SEAL_A, 2345)], more: lists(), result: undefined}))
    // Only the drafts come back; the lists were made, and appended after them.
    expect(events.map((e) => e.event.action)).toEqual(['seal'])
    expect(made).toBe(3)
    expect([...ledger.eachEvent()].map((e) => e.event.action)).toEqual(['create-case', 'seal', 'sealed-exhibits', 'sealed-exhibits', 'sealed-exhibits'])
    expect(ledger.checkpoints()).toHaveLength(checkpointsBefore + 1)
    const body = parseCheckpoint(ledger.latestCheckpoint()!.body)
    expect(body).toMatchObject({treeSize: 5})
    expect(ledger.tree().size).toBe(5)
    expect(body).toMatchObject({rootHash: Buffer.from(ledger.tree().root()).toString('hex')})

    // A second seal right after: each seal reads back its own exhibits only.
    const second = ledger.append(() => ({drafts: [sealDraft(SEAL_B, 2)], more: exhibitLists('tester', SEAL_B, ['EX-000007', 'EX-009999']), result: undefined}))
    expect([...recordedExhibits(ledger, {seq: events[0]!.event.seq, sealId: SEAL_A})]).toEqual(ids(2345))
    expect([...recordedExhibits(ledger, {seq: second.events[0]!.event.seq, sealId: SEAL_B})]).toEqual(['EX-000007', 'EX-009999'])

    // An exhibit's events include the seals that took it (not their lists).
    expect(ledger.events('EX-002001').map((e) => sealOf(e.event))).toEqual([SEAL_A])
    expect(ledger.events('EX-000007').map((e) => [e.event.action, sealOf(e.event)])).toEqual([
      ['seal', SEAL_A],
      ['seal', SEAL_B],
    ])
    expect(ledger.events('EX-009999').map((e) => sealOf(e.event))).toEqual([SEAL_B])
    expect(ledger.events('EX-003000')).toEqual([])
  })

  it('appends nothing, and no checkpoint, when a list cannot be made', () => {
    const before = ledger.checkpoints().length
    const failing = function* (): Generator<CustodyEventDraft> {
      yield* exhibitLists('tester', SEAL_X, ids(1500))
      throw new Error('the scratch database went away')
    }

    expect(() => ledger.append(() => ({drafts: [sealDraft(SEAL_X, 1500)], more: failing(), result: undefined}))).toThrow('the scratch database went away')
    expect([...ledger.eachEvent()].map((e) => e.event.action)).toEqual(['create-case'])
    expect(ledger.checkpoints()).toHaveLength(before)
    // And the next append still chains and checkpoints correctly.
    ledger.append(() => ({drafts: [sealDraft(SEAL_Y, 1)], more: exhibitLists('tester', SEAL_Y, ['EX-000001']), result: undefined}))
    expect(parseCheckpoint(ledger.latestCheckpoint()!.body)).toMatchObject({treeSize: 3, rootHash: Buffer.from(ledger.tree().root()).toString('hex')})
  })
})
