/** The zip check (src/verify/archive/zip.ts): the listing and its layout, then every file read once. */
import {readFileSync, writeFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {ZipStructureError} from '../../../src/zip/reader.js'
import {zipCheck, zipEntriesCheck, unreadableZip} from '../../../src/verify/archive/zip.js'
import {contextOf, referenceBag, runAfterEarlier, zipBag} from './reference-bag.js'

describe('the zip check', () => {
  it('passes one bag folder of distinct entries, and names the folder', async () => {
    const bag = await referenceBag()
    const {result, context} = await runAfterEarlier(zipCheck)
    expect(result).toMatchObject({status: 'ok', detail: `${bag.files.size} entries, one bag folder ${bag.folder}/`, problems: []})
    expect(result.halt).toBeUndefined()
    expect(context.bag).toBe(bag.folder)
  })

  it('refuses a name given twice and a file outside the bag folder, and halts', async () => {
    const bag = await referenceBag()
    const context = await contextOf(await zipBag(bag, [[`${bag.folder}/bagit.txt`, Buffer.from('again')], ['stray.txt', Buffer.from('x')]]))
    const result = await zipCheck.run(context)
    expect(result).toMatchObject({status: 'failed', halt: true})
    expect(result.problems).toEqual([
      {subject: `${bag.folder}/bagit.txt`, message: 'two entries have this same name'},
      {subject: 'ZIP', message: `expected exactly one top-level folder (the bag), found 2: ${bag.folder}, stray.txt`},
    ])
    expect(context.bag).toBeUndefined()
  })

  it('names the ZIP that cannot be opened, or the structure error it holds', () => {
    expect(unreadableZip('a.zip', new Error('end of central directory record not found'))).toEqual({
      status: 'failed',
      detail: 'unreadable',
      halt: true,
      problems: [{subject: 'a.zip', message: 'not a readable ZIP: end of central directory record not found (truncated, damaged, or holding an unsafe name)'}],
    })
    expect(unreadableZip('a.zip', new ZipStructureError('ZIP', 'two end records')).problems).toEqual([{subject: 'ZIP', message: 'two end records'}])
  })
})

describe('the zip check, every file read', () => {
  it('hashes every file and the payload, without a problem', async () => {
    const {result, context} = await runAfterEarlier(zipEntriesCheck)
    expect(result.status).toBe('ok')
    const canon = context.files.get('data/exhibits/EX-000001/original/Canon.jpg')
    expect(canon?.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(context.payload.count).toBeGreaterThan(30)
  })

  it('names a file whose bytes are not the ones its CRC-32 was computed over, and halts', async () => {
    const bag = await referenceBag()
    const path = await zipBag(bag)
    const bytes = readFileSync(path)
    const at = bytes.indexOf('BagIt-Version')
    bytes[at] = 'b'.charCodeAt(0)
    writeFileSync(path, bytes)
    const context = await contextOf(path)
    expect((await zipCheck.run(context)).status).toBe('ok')
    const result = await zipEntriesCheck.run(context)
    expect(result).toMatchObject({status: 'failed', detail: 'entries unreadable', halt: true})
    expect(result.problems).toEqual([{subject: `${bag.folder}/bagit.txt`, message: expect.stringMatching(/^cannot be read: .*CRC/)}])
  })
})
