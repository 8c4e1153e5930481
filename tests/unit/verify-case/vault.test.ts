import {createHash} from 'node:crypto'
import {chmodSync, readFileSync, rmSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {vaultCheck} from '../../../src/verify/case/vault.js'
import type {VerifyProgress} from '../../../src/verify/case/context.js'
import {SAMPLES, tempDir, vaultObject} from '../../helpers/cli.js'
import {copyOf, makeSmallCase, rows, runCheck, SAMPLE, type SmallCase} from './small-case.js'

let original: SmallCase & {remove: () => void}
const work = tempDir('custody-vault-')
const sample = readFileSync(join(SAMPLES, SAMPLE))
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

beforeAll(async () => {
  original = await makeSmallCase({plaintext: true})
})

afterAll(() => {
  original.remove()
  work.remove()
})

/** The metadata record the ingest event names. */
function recordOf(kase: SmallCase): string {
  const ingest = JSON.parse(rows(kase.db)[2]!.event) as {payload: {metadata: {record: string}}}
  return ingest.payload.metadata.record
}

describe('the vault check', () => {
  it('passes an intact original and metadata record, counting both in the progress', async () => {
    const progress: VerifyProgress[] = []
    const result = await runCheck(original, vaultCheck, {onProgress: (p) => progress.push(p)})
    expect(result).toMatchObject({status: 'ok', detail: '1/1 exhibits intact (original and metadata record re-hashed)', problems: []})
    expect(progress).toEqual([{objectsDone: 2, objectsTotal: 2}])
  })

  it('names a modified original with the digest recorded and the digest found', async () => {
    const c = copyOf(original, work)
    const path = vaultObject(c.dir, sha256(sample))
    const changed = Buffer.from(sample)
    changed[changed.length - 1] = changed.at(-1)! ^ 1
    chmodSync(path, 0o600)
    writeFileSync(path, changed)
    const result = await runCheck(c, vaultCheck)
    expect(result.status).toBe('failed')
    expect(result.detail).toBe('0/1 exhibits intact (original and metadata record re-hashed)')
    expect(result.problems).toEqual([{check: 'vault-object', subject: 'EX-000001', message: expect.stringMatching(/^its vault file .* was modified$/), expected: `sha256 ${sha256(sample)}`, actual: `sha256 ${sha256(changed)}`}])
  })

  it('names a truncated original with the sizes', async () => {
    const c = copyOf(original, work)
    const path = vaultObject(c.dir, sha256(sample))
    chmodSync(path, 0o600)
    truncateSync(path, 10)
    const result = await runCheck(c, vaultCheck)
    expect(result.problems).toEqual([{check: 'vault-object', subject: 'EX-000001', message: expect.stringMatching(/^its vault file .* was truncated$/), expected: `${sample.length} bytes`, actual: '10 bytes'}])
  })

  it('names a missing metadata record', async () => {
    const c = copyOf(original, work)
    rmSync(vaultObject(c.dir, recordOf(c)))
    const result = await runCheck(c, vaultCheck)
    expect(result.problems).toEqual([{check: 'metadata-record', subject: 'EX-000001', message: expect.stringMatching(/^its metadata record .* is missing$/)}])
  })
})
