/**
 * The vault of a converted case finds each object's stored form in what `custody encrypt` recorded
 * (its objects-encrypted events) through a scratch index (ConvertedLookup), not a Map of every
 * object: filled on the first lookup, released when the case is closed. A real conversion of a
 * case in clear (ingest, then encryptCase), given another object afterwards; then objects-encrypted
 * events of 1,000 objects each appended, as a conversion of more than 1,000 objects records them
 * (an event a batch), so that the index answers across several events and outgrows SQLite's page
 * cache (lowered to 64 KiB): its file is seen, unlinked, in /proc/self/fd while the case is open.
 */
import {createHash} from 'node:crypto'
import {statSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Case, initCase} from '../../src/case/case.js'
import {encryptCase} from '../../src/case/encrypt.js'
import type {EncryptedObject, StoredObject} from '../../src/formats/events.js'
import {ingest} from '../../src/ingest/ingest.js'
import {scratchCacheKiB} from '../../src/io/scratch-db.js'
import {PASSPHRASE, SAMPLES, tempDir} from '../helpers/cli.js'
import {openScratchFiles} from '../helpers/scratch-files.js'

const work = tempDir('custody-converted-lookup-')
const root = join(work.path, 'case')
const INVESTIGATOR = 'Ana Quintela'
let cache: number
beforeAll(() => {
  cache = scratchCacheKiB(64)
})
afterAll(() => {
  scratchCacheKiB(cache)
  work.remove()
})

/** The sizes of the scratch files this process holds open: unlinked files in the scratch folder. */
function scratchFiles(): number[] {
  return openScratchFiles().map((path) => statSync(path).size)
}

async function ingestFiles(files: string[]): Promise<Map<string, StoredObject | undefined>> {
  await using kase = Case.open({root, foundBy: 'flag'})
  await kase.unlock(PASSPHRASE)
  const report = await ingest(kase, {paths: files.map((f) => join(SAMPLES, f)), actor: INVESTIGATOR})
  report.close()
  return new Map(kase.ledger.eventsOfKind('ingest').map(({event}) => [event.payload.digests.sha256, event.payload.stored]))
}

const hex = (label: string, i: number): string => createHash('sha256').update(`${label} ${i}`).digest('hex')
/** An object as objects-encrypted records it (no file behind it: only the lookup is tested here). */
const recorded = (i: number, label = 'address'): EncryptedObject => ({sha256: hex('clear', i), stored: {vault: `vault/objects/${hex(label, i).slice(0, 2)}/${hex(label, i)}.age`, sha256: hex('age', i), size: 1 + i}})

describe("a converted case's stored forms", () => {
  it('are found in every objects-encrypted event, from a scratch file released when the case is closed', async () => {
    await initCase({dir: root, title: 'Operation Sunflower', investigator: INVESTIGATOR, passphrase: PASSPHRASE, plaintext: true})
    const inClear = await ingestFiles(['Canon.jpg', 'GPS.jpg'])
    expect([...inClear.values()]).toEqual([undefined, undefined])
    {
      await using kase = Case.open({root, foundBy: 'flag'})
      await kase.unlock(PASSPHRASE, {converting: true})
      expect(await encryptCase(kase, {passphrase: PASSPHRASE, recipients: [], field: false})).toMatchObject({status: 'encrypted'})
    }

    // Given another object since: its ingest event records its stored form.
    const ingested = await ingestFiles(['Nikon.jpg'])
    const later = [...ingested].find(([sha256]) => !inClear.has(sha256))!
    expect(later[1]?.vault).toMatch(/^vault\/objects\//)
    {
      await using kase = Case.open({root, foundBy: 'flag'})
      await kase.unlock(PASSPHRASE)
      for (const start of [0, 1000, 2000]) {
        const objects = Array.from({length: 1000}, (_, k) => recorded(start + k))
        kase.ledger.append(() => ({drafts: [{actor: INVESTIGATOR, action: 'objects-encrypted', exhibit: null, payload: {objects}}], result: undefined}))
      }

      // Object 7 recorded again: the last record is its stored form, as in the Map this index replaces.
      kase.ledger.append(() => ({drafts: [{actor: INVESTIGATOR, action: 'objects-encrypted', exhibit: null, payload: {objects: [recorded(7, 'again')]}}], result: undefined}))
    }

    // Opened as verify and show open it with the passphrase: only what the ledger records finds an
    // object (its events carried sealed since the conversion: a key opens them).
    const before = scratchFiles().length
    const kase = Case.open({root, foundBy: 'flag'})
    await kase.openVault({passphrase: PASSPHRASE})
    const converted = kase.ledger.eventsOfKind('objects-encrypted')
    expect(converted).toHaveLength(5)
    const first = converted[0]!.event.payload.objects
    // The originals ingested in clear, and their metadata records.
    expect(first.map((o) => o.sha256)).toEqual(expect.arrayContaining([...inClear.keys()]))
    expect(scratchFiles()).toHaveLength(before)
    for (const {sha256, stored} of first) {
      expect(kase.vault.storedForm(sha256, undefined)).toEqual(stored)
      expect(kase.vault.recordedPath(sha256)).toBe(stored.vault)
    }

    expect(kase.vault.storedForm(hex('clear', 0), undefined)).toEqual(recorded(0).stored)
    expect(kase.vault.storedForm(hex('clear', 1999), undefined)).toEqual(recorded(1999).stored)
    expect(kase.vault.storedForm(hex('clear', 2999), undefined)).toEqual(recorded(2999).stored)
    expect(kase.vault.storedForm(hex('clear', 7), undefined)).toEqual(recorded(7, 'again').stored)
    // Not converted: an object stored since (its own event says its form), one never recorded, a stored SHA-256.
    expect(kase.vault.storedForm(later[0], undefined)).toBeUndefined()
    expect(kase.vault.storedForm(later[0], later[1])).toEqual(later[1])
    expect(kase.vault.storedForm(hex('clear', 3000), undefined)).toBeUndefined()
    expect(kase.vault.storedForm(hex('age', 0), undefined)).toBeUndefined()
    {
      // With no key, no object is found by its SHA-256 in clear: what pairs them is sealed.
      using locked = Case.open({root, foundBy: 'flag'})
      expect(() => locked.vault.relativePath(hex('clear', 0))).toThrow(/passphrase or an identity/)
    }

    // The index is a scratch file (the pages outgrew the cache), not the heap; closing the case releases it.
    const open = scratchFiles()
    expect(open).toHaveLength(before + 1)
    expect(Math.max(...open)).toBeGreaterThan(256 * 1024)
    kase.close()
    expect(scratchFiles()).toHaveLength(before)
    expect(() => kase.vault.storedForm(hex('clear', 0), undefined)).toThrow(/not open/)
    kase.close()
  })
})
