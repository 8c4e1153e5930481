import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import type {EventDraft} from '../../src/ledger/event.js'
import {Ledger} from '../../src/ledger/ledger.js'
import {parseCheckpoint} from '../../src/checkpoints/checkpoint.js'
import {SEALED_EXHIBITS_PER_EVENT, exhibitLists, recordedExhibits} from '../../src/seal/seal-record.js'
import {tempDir} from '../helpers/cli.js'
import {memorySigner} from '../helpers/keys.js'

const ids = (n: number, from = 1): string[] => Array.from({length: n}, (_, i) => `EX-${String(from + i).padStart(6, '0')}`)
const sealDraft = (sealId: string, count: number): EventDraft => ({actor: 'tester', action: 'seal', exhibit: null, payload: {sealId, exhibitCount: count}})

describe("the ledger's record of a seal", () => {
  let tmp: ReturnType<typeof tempDir>
  let ledger: Ledger

  beforeEach(() => {
    tmp = tempDir()
    ledger = Ledger.create(join(tmp.path, 'ledger.sqlite'), [{actor: 'tester', action: 'create-case', exhibit: null, payload: {caseId: 'c', prefix: 'EX', title: 't'}}], {caseId: 'c', signer: memorySigner()}).ledger
  })

  afterEach(() => {
    ledger.close()
    tmp.remove()
  })

  it('lists the exhibits 1,000 an event, numbered from 1, in the order given', () => {
    const drafts = [...exhibitLists('tester', 'SEAL-1', ids(2345))]
    expect(SEALED_EXHIBITS_PER_EVENT).toBe(1000)
    expect(drafts.map((d) => [d.action, d.exhibit, d.payload['sealId'], d.payload['first'], (d.payload['exhibits'] as string[]).length])).toEqual([
      ['sealed-exhibits', null, 'SEAL-1', 1, 1000],
      ['sealed-exhibits', null, 'SEAL-1', 1001, 1000],
      ['sealed-exhibits', null, 'SEAL-1', 2001, 345],
    ])
    expect(drafts.flatMap((d) => d.payload['exhibits'] as string[])).toEqual(ids(2345))
    expect([...exhibitLists('tester', 'SEAL-2', ids(1000))]).toHaveLength(1)
  })

  it('appends the lists after the seal event in one transaction, with one checkpoint over all of them, and reads them back', () => {
    let made = 0
    const lists = function* (): Generator<EventDraft> {
      for (const draft of exhibitLists('tester', 'SEAL-A', ids(2345))) {
        made++
        yield draft
      }
    }

    const checkpointsBefore = ledger.checkpoints().length
    const {events} = ledger.append(() => ({drafts: [sealDraft('SEAL-A', 2345)], more: lists(), result: undefined}))
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
    const second = ledger.append(() => ({drafts: [sealDraft('SEAL-B', 2)], more: exhibitLists('tester', 'SEAL-B', ['EX-000007', 'EX-009999']), result: undefined}))
    expect([...recordedExhibits(ledger, events[0]!)]).toEqual(ids(2345))
    expect([...recordedExhibits(ledger, second.events[0]!)]).toEqual(['EX-000007', 'EX-009999'])

    // An exhibit's events include the seals that took it (not their lists).
    expect(ledger.events('EX-002001').map((e) => e.event.payload['sealId'])).toEqual(['SEAL-A'])
    expect(ledger.events('EX-000007').map((e) => [e.event.action, e.event.payload['sealId']])).toEqual([
      ['seal', 'SEAL-A'],
      ['seal', 'SEAL-B'],
    ])
    expect(ledger.events('EX-009999').map((e) => e.event.payload['sealId'])).toEqual(['SEAL-B'])
    expect(ledger.events('EX-003000')).toEqual([])
  })

  it('appends nothing, and no checkpoint, when a list cannot be made', () => {
    const before = ledger.checkpoints().length
    const failing = function* (): Generator<EventDraft> {
      yield* exhibitLists('tester', 'SEAL-X', ids(1500))
      throw new Error('the scratch database went away')
    }

    expect(() => ledger.append(() => ({drafts: [sealDraft('SEAL-X', 1500)], more: failing(), result: undefined}))).toThrow('the scratch database went away')
    expect([...ledger.eachEvent()].map((e) => e.event.action)).toEqual(['create-case'])
    expect(ledger.checkpoints()).toHaveLength(before)
    // And the next append still chains and checkpoints correctly.
    ledger.append(() => ({drafts: [sealDraft('SEAL-Y', 1)], more: exhibitLists('tester', 'SEAL-Y', ['EX-000001']), result: undefined}))
    expect(parseCheckpoint(ledger.latestCheckpoint()!.body)).toMatchObject({treeSize: 3, rootHash: Buffer.from(ledger.tree().root()).toString('hex')})
  })
})
