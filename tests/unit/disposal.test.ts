/**
 * What holds a database, a process or a thread is disposable: `using` (or `await using`) closes it
 * when its block ends, and disposing of it again, or after close(), does no harm.
 */
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {Case, initCase} from '../../src/case/case.js'
import {HashWorker} from '../../src/hashing/hash-worker.js'
import {FolderListing} from '../../src/ingest/folder-listing.js'
import {Worklist} from '../../src/ingest/worklist.js'
import {Ledger} from '../../src/ledger/ledger.js'
import {MetadataReader} from '../../src/metadata/exiftool.js'
import {BagIndex} from '../../src/verify/archive/bag-index.js'
import {ClaimIndex} from '../../src/verify/claim-index.js'
import {createCaseDraft} from '../helpers/drafts.js'
import {SAMPLES, tempDir} from '../helpers/cli.js'
import {memorySigner} from '../helpers/keys.js'

const SHA256_OF_NOTHING = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

describe('disposal', () => {
  let tmp: ReturnType<typeof tempDir>

  beforeEach(() => {
    tmp = tempDir()
  })

  afterEach(() => {
    tmp.remove()
  })

  it('closes a ledger at the end of its block; disposing again, or closing, is harmless', () => {
    let outside: Ledger
    {
      using ledger = Ledger.create(join(tmp.path, 'ledger.sqlite'), [createCaseDraft()], {caseId: createCaseDraft().payload.caseId, signer: memorySigner()}).ledger
      expect(ledger.size()).toBe(1)
      outside = ledger
    }

    expect(() => outside.size()).toThrow(/not open/)
    outside[Symbol.dispose]()
    outside.close()
  })

  it('closes a case, and its ledger, with `using` and with `await using`', async () => {
    const {root} = await initCase({dir: join(tmp.path, 'case'), title: 't', investigator: 'i', passphrase: 'correct horse battery staple'})
    let outside: Case
    {
      using kase = Case.open({root, foundBy: 'flag'})
      expect(kase.ledger.size()).toBe(2)
      outside = kase
    }

    expect(() => outside.ledger.size()).toThrow(/not open/)
    {
      await using kase = Case.open({root, foundBy: 'flag'})
      outside = kase
    }

    expect(() => outside.ledger.size()).toThrow(/not open/)
    outside[Symbol.dispose]()
    await outside[Symbol.asyncDispose]()
    outside.close()
  })

  /** Each scratch database, with a call that reads it (and throws once it is closed). */
  const scratchDatabases: Array<[string, () => {db: Disposable & {close(): void}; read: () => unknown}]> = [
    ['Worklist', () => {
      const db = new Worklist()
      return {db, read: () => db.counts()}
    }],
    ['ClaimIndex', () => {
      const db = new ClaimIndex()
      return {db, read: () => db.isReferenced(SHA256_OF_NOTHING)}
    }],
    ['BagIndex', () => {
      const db = new BagIndex()
      return {db, read: () => db.fileCount()}
    }],
  ]
  for (const [name, open] of scratchDatabases) {
    it(`closes a scratch database (${name}) at the end of its block; disposing again, or closing, is harmless`, () => {
      const opened = open()
      {
        using db = opened.db
        expect(db).toBe(opened.db)
        opened.read()
      }

      expect(() => opened.read()).toThrow(/not open/)
      opened.db[Symbol.dispose]()
      opened.db.close()
    })
  }

  it('closes the scratch database of a folder listing at the end of its block', async () => {
    let outside: FolderListing
    {
      using listing = new FolderListing()
      for await (const entry of listing.entries(SAMPLES)) expect(entry.name).not.toBe('')
      outside = listing
    }

    await expect(outside.entries(SAMPLES).next()).rejects.toThrow(/not open/)
    outside[Symbol.dispose]()
    outside.close()
  })

  it('ends the ExifTool processes of a metadata reader; ending again is harmless', async () => {
    let outside: MetadataReader
    {
      await using reader = await MetadataReader.start({maxProcs: 1})
      expect((await reader.read(join(SAMPLES, 'PNG.png'))).reader.name).toBe('ExifTool')
      outside = reader
    }

    // A reader never throws for a file: what went wrong is in the record.
    expect((await outside.read(join(SAMPLES, 'PNG.png'))).errors.join('\n')).toMatch(/ExifTool could not read the file: BatchCluster has ended/)
    await outside[Symbol.asyncDispose]()
    await outside.end()
  })

  it('ends the hash worker thread: what it was asked fails, and the next shared() starts another', async () => {
    const first = HashWorker.shared()
    {
      await using worker = first
      const job = worker.job('sha256')
      expect(await job.digest()).toBe(SHA256_OF_NOTHING)
    }

    await first[Symbol.asyncDispose]()
    await expect(first.job('sha256').digest()).rejects.toThrow(/ended/)
    const second = HashWorker.shared()
    expect(second).not.toBe(first)
    expect(await second.job('sha256').digest()).toBe(SHA256_OF_NOTHING)
  })
})
