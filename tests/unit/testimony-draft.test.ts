/**
 * Drafts of unfinished interviews (src/testimony/draft.ts): sealed to the case's identity key as
 * identities are, readable only with its private half, bound to the case and the draft, and
 * telling nothing but when, how many answers and whether the statement was typed in clear.
 */
import {spawnSync} from 'node:child_process'
import {readdirSync, readFileSync, renameSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {discardDrafts, DRAFTS_FOLDER, listDrafts, TestimonyDraft} from '../../src/testimony/draft.js'
import {ensureIdentityKey, openIdentityKey, type IdentityPublicKey} from '../../src/testimony/identity.js'
import type {InterviewState} from '../../src/testimony/interview.js'
import {PASSPHRASE, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-draft-unit-')
const dataDir = work.path
const CASE = '00000000-0000-4000-8000-000000000001'
let publicKey: IdentityPublicKey
let privateKey: Awaited<ReturnType<typeof openIdentityKey>>

const STATE: InterviewState = {
  answers: {witness: 'W-014', place: 'Kyiv', witnessName: 'Lenura Ablaieva', statementText: 'They held us in the basement of the school.\n', present: []},
  attachmentsSoFar: ['/evidence/photo.jpg'],
}

beforeAll(async () => {
  publicKey = await ensureIdentityKey(dataDir, PASSPHRASE)
  privateKey = await openIdentityKey(dataDir, PASSPHRASE)
})
afterAll(() => work.remove())

async function only() {
  const {drafts} = await listDrafts(dataDir)
  expect(drafts).toHaveLength(1)
  return drafts[0]!
}

describe('a testimony draft', () => {
  it('is written only once it has an answer, owner-only, and says in clear only when, how many answers and whether the statement was typed', async () => {
    const draft = TestimonyDraft.begin(dataDir, CASE, publicKey)
    expect((await listDrafts(dataDir)).drafts).toEqual([])
    await draft.keep(STATE)
    expect(draft.saved).toBe(true)
    const info = await only()
    expect(info).toMatchObject({id: draft.id, answers: 6, statementTyped: true, inUse: false})
    expect(statSync(info.path).mode & 0o777).toBe(0o600)
    expect(statSync(join(dataDir, DRAFTS_FOLDER)).mode & 0o777).toBe(0o700)
    const text = readFileSync(info.path, 'utf8')
    for (const clear of ['W-014', 'Kyiv', 'Lenura', 'Ablaieva', 'basement', 'photo.jpg']) expect(text).not.toContain(clear)
    // Written again after every answer, by rename: no temp file is left beside it.
    await draft.keep({answers: {...STATE.answers, interpreter: 'B. Interpreter'}})
    expect(readdirSync(join(dataDir, DRAFTS_FOLDER))).toEqual([`testimony-${draft.id}.json`])
    expect(TestimonyDraft.read(await only(), CASE, privateKey)).toEqual({answers: {...STATE.answers, interpreter: 'B. Interpreter'}})
    await draft.discard()
    expect((await listDrafts(dataDir)).drafts).toEqual([])
  })

  it('gives back any answers as they were kept (property)', async () => {
    const draft = TestimonyDraft.begin(dataDir, CASE, publicKey)
    await fc.assert(
      fc.asyncProperty(fc.record({witness: fc.string(), place: fc.string({unit: 'binary'}), statementText: fc.string({unit: 'binary'}), interviewers: fc.array(fc.string())}, {requiredKeys: []}), async (answers) => {
        await draft.keep({answers})
        expect(TestimonyDraft.read(await only(), CASE, privateKey)).toEqual({answers})
      }),
      {numRuns: 25},
    )
    await draft.discard()
  })

  it('is refused when altered, moved to another case, or renamed to stand for another draft', async () => {
    const draft = TestimonyDraft.begin(dataDir, CASE, publicKey)
    await draft.keep(STATE)
    const info = await only()
    expect(() => TestimonyDraft.read(info, '00000000-0000-4000-8000-000000000002', privateKey)).toThrow(/cannot be opened .*it was altered, or belongs to another case/u)
    const file = JSON.parse(readFileSync(info.path, 'utf8')) as {ciphertext: string}
    const flipped = Buffer.from(file.ciphertext, 'base64')
    flipped[0]! ^= 1
    writeFileSync(info.path, JSON.stringify({...file, ciphertext: flipped.toString('base64')}))
    expect(() => TestimonyDraft.read(info, CASE, privateKey)).toThrow('cannot be opened')
    renameSync(info.path, join(dataDir, DRAFTS_FOLDER, 'testimony-0123456789abcdef.json'))
    const listed = await listDrafts(dataDir)
    expect(listed.drafts).toEqual([])
    expect(listed.unreadable).toEqual([join(dataDir, DRAFTS_FOLDER, 'testimony-0123456789abcdef.json')])
    expect(await discardDrafts(dataDir)).toEqual({removed: 1, inUse: 0})
  })

  it('is not offered, nor discarded, while another custody still running writes it', async () => {
    const draft = TestimonyDraft.begin(dataDir, CASE, publicKey)
    await draft.keep(STATE)
    const info = await only()
    const file = JSON.parse(readFileSync(info.path, 'utf8')) as Record<string, unknown>
    // pid 1 runs as long as the system does; a process that has ended does not.
    writeFileSync(info.path, JSON.stringify({...file, heldBy: {pid: 1, start: null}}))
    expect((await only()).inUse).toBe(true)
    expect(await discardDrafts(dataDir)).toEqual({removed: 0, inUse: 1})
    const ended = spawnSync('true').pid!
    writeFileSync(info.path, JSON.stringify({...file, heldBy: {pid: ended, start: null}}))
    expect((await only()).inUse).toBe(false)
    expect(await discardDrafts(dataDir)).toEqual({removed: 1, inUse: 0})
  })
})
