/**
 * The checks of the bag's own files: bagit (bagit.ts), manifests (manifests.ts) and oxum (oxum.ts),
 * each on the genuine reference bag and on one changed as a careless forger would change it.
 */
import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {bagitCheck} from '../../../src/verify/archive/bagit.js'
import {manifestsCheck} from '../../../src/verify/archive/manifests.js'
import {oxumCheck} from '../../../src/verify/archive/oxum.js'
import {editText, runAfterEarlier} from './reference-bag.js'

const CANON = 'data/exhibits/EX-000001/original/Canon.jpg'
const BAGIT = 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n'
const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex')

describe('the bagit check', () => {
  it('passes a bag that declares BagIt 1.0 in UTF-8', async () => {
    expect((await runAfterEarlier(bagitCheck)).result).toEqual({status: 'ok', detail: 'BagIt-Version 1.0, UTF-8', problems: []})
  })

  it('names another declaration with what it expected and found, and a missing one', async () => {
    const other = await runAfterEarlier(bagitCheck, (bag) => editText(bag, 'bagit.txt', () => 'BagIt-Version: 0.97\n'))
    expect(other.result.status).toBe('failed')
    expect(other.result.problems).toEqual([{subject: 'bagit.txt', message: 'does not declare BagIt 1.0 in UTF-8', expected: BAGIT, actual: 'BagIt-Version: 0.97\n'}])
    const missing = await runAfterEarlier(bagitCheck, (bag) => bag.files.delete('bagit.txt'))
    expect(missing.result.problems).toEqual([{subject: 'bagit.txt', message: 'missing', expected: BAGIT}])
  })
})

describe('the manifests check', () => {
  it('passes a bag whose four manifests match its files', async () => {
    const {result, context} = await runAfterEarlier(manifestsCheck)
    expect(result).toEqual({status: 'ok', detail: `${context.payload.count} payload files against SHA-256 and SHA-512 manifests; tag manifests`, problems: []})
  })

  it('names a payload file changed after sealing, with the digest listed and the one found', async () => {
    let listed = ''
    const {result} = await runAfterEarlier(manifestsCheck, (bag) => {
      listed = sha256(bag.files.get(CANON)!)
      bag.files.set(CANON, Buffer.from('not the photograph'))
    })
    expect(result.status).toBe('failed')
    expect(result.problems).toContainEqual({subject: CANON, message: expect.stringMatching(/^its SHA-256 does not match manifest-sha256.txt line \d+$/), expected: listed, actual: sha256('not the photograph')})
    expect(result.problems).toContainEqual(expect.objectContaining({subject: CANON, message: expect.stringMatching(/^its SHA-512 does not match manifest-sha512.txt/)}))
  })

  it('names a payload file no manifest lists, a line that is not a manifest line, and a tag manifest line that does not match', async () => {
    const {result} = await runAfterEarlier(manifestsCheck, (bag) => {
      bag.files.set('data/added.txt', Buffer.from('added'))
      editText(bag, 'manifest-sha512.txt', (text) => `${text}not a line\n`)
      editText(bag, 'README.txt', (text) => `${text}\nchanged\n`)
    })
    expect(result.problems).toContainEqual({subject: 'data/added.txt', message: 'is in the bag but not in manifest-sha256.txt'})
    expect(result.problems).toContainEqual({subject: 'manifest-sha512.txt', message: expect.stringMatching(/^line \d+ is not "<digest> {2}<path>"$/)})
    // After a malformed line the manifest is not read on, so nothing is said to be missing from it.
    expect(result.problems).not.toContainEqual(expect.objectContaining({message: 'is in the bag but not in manifest-sha512.txt'}))
    expect(result.problems).toContainEqual(expect.objectContaining({subject: 'README.txt', message: expect.stringMatching(/^its SHA-256 does not match tagmanifest-sha256.txt line \d+$/)}))
  })
})

describe('the oxum check', () => {
  it("passes bag-info.txt's Payload-Oxum, and keeps bag-info.txt for the contents check", async () => {
    const {result, context} = await runAfterEarlier(oxumCheck)
    const oxum = `${context.payload.bytes}.${context.payload.count}`
    expect(result).toEqual({status: 'ok', detail: `Payload-Oxum ${oxum}`, problems: []})
    expect(context.bagInfo).toContain(`Payload-Oxum: ${oxum}\n`)
  })

  it('names a Payload-Oxum that is not the payload, and a missing one', async () => {
    const wrong = await runAfterEarlier(oxumCheck, (bag) => editText(bag, 'bag-info.txt', (text) => text.replace(/^Payload-Oxum: .*$/m, 'Payload-Oxum: 1.1')))
    const oxum = `${wrong.context.payload.bytes}.${wrong.context.payload.count}`
    expect(wrong.result.problems).toEqual([{subject: 'bag-info.txt', message: 'Payload-Oxum does not match the payload', expected: oxum, actual: '1.1'}])
    const missing = await runAfterEarlier(oxumCheck, (bag) => bag.files.delete('bag-info.txt'))
    expect(missing.result.problems).toEqual([{subject: 'bag-info.txt', message: 'Payload-Oxum does not match the payload', expected: oxum, actual: 'missing'}])
  })
})
