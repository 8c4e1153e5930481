/**
 * The purges check and the vault check on forged `purged` events: a `purged` event written into
 * the ledger (the hash chain made right, as someone with the ledger file would), not by `custody
 * transfer purge`, which records one only on a kept, checked receipt. The vault check takes the
 * objects it names as purged, for that exhibit alone; the purges check finds that no receipt
 * stands behind it. The real purge, with real receipts: tests/e2e/transfer-purge.test.ts.
 */
import {rmSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {purgesCheck} from '../../../src/verify/case/purges.js'
import {vaultCheck} from '../../../src/verify/case/vault.js'
import {custody, tempDir} from '../../helpers/cli.js'
import {appendEvent, copyOf, makeSmallCase, rows, runCheck, type SmallCase} from './small-case.js'

let original: SmallCase & {remove: () => void}
let line = ''
const work = tempDir('custody-purges-')

beforeAll(async () => {
  original = await makeSmallCase({plaintext: true})
  line = (await custody(['key', 'show', '--public', '--case', original.dir])).stdout.trim()
})

afterAll(() => {
  original.remove()
  work.remove()
})

/** The ingest event's objects, as a purge names them. */
function objectsOf(kase: SmallCase): Array<{role: string; sha256: string; vault: string}> {
  const ingest = JSON.parse(rows(kase.db)[2]!.event) as {payload: {digests: {sha256: string}; vault: string; metadata: {record: string}}}
  const record = ingest.payload.metadata.record
  return [
    {role: 'original', sha256: ingest.payload.digests.sha256, vault: ingest.payload.vault},
    {role: 'metadata-record', sha256: record, vault: `vault/sha256/${record.slice(0, 2)}/${record}`},
  ]
}

function forgePurge(kase: SmallCase, exhibit: string, objects: Array<{role: string; sha256: string; vault: string}>): number {
  const payload = {transferId: 'TRANSFER-0123456789abcdef', by: line, receipt: {sha256: 'ab'.repeat(32), seq: 2}, objects}
  return appendEvent(kase.db, {action: 'purged', exhibit, payload})
}

describe('a purged event no receipt stands behind', () => {
  it('has its objects counted as purged by the vault check, and is a problem of the purges check', async () => {
    const c = copyOf(original, work)
    const objects = objectsOf(c)
    const seq = forgePurge(c, 'EX-000001', objects)
    for (const o of objects) rmSync(join(c.dir, '.custody', o.vault))
    const vault = await runCheck(c, vaultCheck)
    expect(vault).toMatchObject({status: 'ok', detail: expect.stringMatching(/^0\/0 exhibits intact .*; 1 purged/)})
    const purges = await runCheck(c, purgesCheck)
    expect(purges.status).toBe('failed')
    expect(purges.problems).toEqual([{check: 'purge', subject: 'EX-000001', message: `purged (event ${seq}), but it names event 2 as the receipt that acknowledged it, and that event records no receipt`}])
  })

  it("excuses nothing of another exhibit's objects: a purge naming them for another exhibit leaves them missing", async () => {
    const c = copyOf(original, work)
    const objects = objectsOf(c)
    forgePurge(c, 'EX-000002', objects)
    rmSync(join(c.dir, '.custody', objects[0]!.vault))
    const vault = await runCheck(c, vaultCheck)
    expect(vault.status).toBe('failed')
    expect(vault.problems).toEqual([expect.objectContaining({check: 'vault-object', subject: 'EX-000001', message: expect.stringMatching(/is missing$/)})])
    expect((await runCheck(c, purgesCheck)).problems?.[0]?.message).toMatch(/that event records no receipt/)
  })

  it('passes a case with no purge', async () => {
    expect(await runCheck(original, purgesCheck)).toMatchObject({status: 'ok', detail: 'no exhibit purged'})
  })
})
