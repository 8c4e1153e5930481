/**
 * The statement check (src/verify/archive/statement.ts) and the contents check (contents.ts): the
 * exhibits the seal statement states against the payload, and every file of the bag against what
 * the statement accounts for.
 */
import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {contentsCheck, firstDifference} from '../../../src/verify/archive/contents.js'
import {statementCheck} from '../../../src/verify/archive/statement.js'
import {editStatement, editText, runAfterEarlier} from './reference-bag.js'

const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex')
type Exhibit = Record<string, unknown>
const exhibits = (statement: Record<string, unknown>): Exhibit[] => statement.exhibits as Exhibit[]

describe('the statement check', () => {
  it('passes the statement of a genuine bag, and keeps it and the seal ID for the checks after it', async () => {
    const {result, context} = await runAfterEarlier(statementCheck)
    expect(result).toEqual({status: 'ok', detail: `19 exhibits as the seal ${String(context.sealId)} states them`, problems: []})
    expect(context.sealId).toMatch(/^SEAL-[0-9a-f]{16}$/)
    expect(context.exhibitCount).toBe(19)
    expect(context.statement.exhibits).toEqual([])
    expect(context.files.statedSha256('EX-000001')).toMatch(/^[0-9a-f]{64}$/)
  })

  it('names an exhibit whose stated digest and size are not its file, with both values', async () => {
    let actual = ''
    const {result} = await runAfterEarlier(statementCheck, (bag) =>
      editStatement(bag, (s) => {
        const first = exhibits(s)[0]!
        actual = String(first.sha256)
        first.sha256 = 'f'.repeat(64)
        first.size = 1
      }),
    )
    expect(result.status).toBe('failed')
    expect(result.problems).toEqual([
      {subject: 'EX-000001', message: "the seal statement's SHA-256 does not match data/exhibits/EX-000001/original/Canon.jpg", expected: 'f'.repeat(64), actual},
      {subject: 'EX-000001', message: 'the stated size does not match', expected: '1', actual: expect.stringMatching(/^\d+$/)},
    ])
  })

  it('refuses an exhibit whose files are outside its own folder, and one named twice', async () => {
    const {result} = await runAfterEarlier(statementCheck, (bag) =>
      editStatement(bag, (s) => {
        const [first, second] = exhibits(s)
        first!.path = 'data/custody/events.jsonl'
        second!.path = String(exhibits(s)[2]!.path).replace('EX-000003', 'EX-000002')
        exhibits(s)[2]!.exhibit = 'EX-000002'
      }),
    )
    expect(result.problems).toContainEqual({subject: 'EX-000001', message: 'its files are not in its own folder data/exhibits/EX-000001/', actual: 'data/custody/events.jsonl, data/exhibits/EX-000001/metadata.json'})
    expect(result.problems).toContainEqual(expect.objectContaining({subject: 'EX-000002', message: expect.stringContaining('is not in the bag')}))
  })

  it('names a statement that is not JSON, and keeps an empty one for the checks after it', async () => {
    const {result, context} = await runAfterEarlier(statementCheck, (bag) => editText(bag, 'data/custody/seal.json', (text) => text.slice(0, -10)))
    expect(result.problems).toEqual([{subject: 'data/custody/seal.json', message: expect.stringMatching(/^cannot be read: /)}])
    expect(context.statement).toEqual({})
    expect(result.detail).toMatch(/ exhibits as the seal \? states them$/)
  })
})

describe('the contents check', () => {
  it('passes a bag of only the files its statement accounts for', async () => {
    expect((await runAfterEarlier(contentsCheck)).result).toMatchObject({status: 'ok', problems: []})
  })

  it('names a payload file and a tag file the statement does not account for', async () => {
    const {result} = await runAfterEarlier(contentsCheck, (bag) => {
      bag.files.set('data/custody/notes.txt', Buffer.from('unsealed'))
      bag.files.set('fetch.txt', Buffer.from('http://example.org/x 1 data/x\n'))
    })
    expect(result.problems).toEqual([
      {subject: 'data/custody/notes.txt', message: 'is in the payload, but the seal statement does not name it: nothing vouches for it'},
      {subject: 'fetch.txt', message: 'is not a file of a sealed bag: nothing vouches for it'},
      // The payload grew by the unnamed file: bag-info.txt, as the statement implies it, counts it.
      {subject: 'bag-info.txt', message: 'says other than the seal statement it must repeat', expected: expect.stringMatching(/^Payload-Oxum: \d+\.\d+$/), actual: expect.stringMatching(/^Payload-Oxum: /)},
    ])
  })

  it('names a README.txt the statement does not state, with both digests, and bag-info.txt changed, at its first differing line', async () => {
    let stated = ''
    const {result} = await runAfterEarlier(contentsCheck, (bag) => {
      stated = sha256(bag.files.get('README.txt')!)
      editText(bag, 'README.txt', (text) => `${text}Trust this archive.\n`)
      editText(bag, 'bag-info.txt', (text) => text.replace(/^Contact-Name: .*$/m, 'Contact-Name: Someone Else'))
    })
    expect(result.problems).toEqual([
      {subject: 'README.txt', message: 'is not the README the seal statement states: its instructions were changed', expected: stated, actual: expect.stringMatching(/^[0-9a-f]{64}$/)},
      {subject: 'bag-info.txt', message: 'says other than the seal statement it must repeat', expected: 'Contact-Name: Reference Investigator', actual: 'Contact-Name: Someone Else'},
    ])
  })

  it('gives the first line where two texts differ, or the end of the shorter', () => {
    expect(firstDifference('a\nb\nc', 'a\nx\nc')).toEqual({expected: 'b', actual: 'x'})
    expect(firstDifference('a\nb', 'a')).toEqual({expected: 'b', actual: '(end of file)'})
    expect(firstDifference('a', 'a\nb')).toEqual({expected: '(end of file)', actual: 'b'})
  })
})
