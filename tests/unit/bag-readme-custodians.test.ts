/**
 * README.txt (src/seal/readme.ts) of a seal of received exhibits: the folders of data/custodians/
 * and the openssl commands for each hand-over's record. One record gets its own `cd`; more get the
 * commands once, with CASE/TRANSFER, and the folders listed (at most 50; seal.json names the rest),
 * so that a README never repeats the commands per record. A seal with no record says nothing of them.
 * (tests/e2e/verify-bag-custodians.test.ts runs the commands with the real openssl.)
 */
import {describe, expect, it} from 'vitest'
import {CUSTODIAN_FILES, custodianFolder, type CustodianFileRole, type SealedCustodian} from '../../src/seal/bag-layout.js'
import {bagReadme, CUSTODIAN_COMMANDS} from '../../src/seal/readme.js'
import type {DescribedSeal} from '../../src/seal/statement.js'

const HEX = 'ab'.repeat(32)

function custodian(i: number): SealedCustodian {
  const kase = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
  const transferId = `TRANSFER-${i.toString(16).padStart(16, '0')}`
  const folder = custodianFolder(kase, transferId)
  const files = Object.fromEntries(Object.entries(CUSTODIAN_FILES).map(([role, name]) => [role, {path: `${folder}/${name}`, sha256: HEX}])) as Record<CustodianFileRole, {path: string; sha256: string}>
  return {
    transferId,
    from: {case: kase, name: `Sender ${i}`, organisation: null, fingerprint: `SHA256:${i.toString(16).padStart(64, '0')}`},
    releasedAt: '2024-05-01T09:00:00.000Z',
    receivedAt: '2024-05-02T09:00:00.000Z',
    items: [{exhibit: 'EX-000001', receivedAs: `HQ-${String(i).padStart(6, '0')}`}],
    folder,
    files,
    eventCount: 4,
  }
}

function readme(records: number): string {
  const statement: DescribedSeal = {
    type: 'custody-seal',
    version: 1,
    sealId: 'SEAL-0123456789abcdef',
    case: {id: 'CASE-1', title: 'HQ', organisation: null, investigator: 'A. Investigator'},
    sealer: 'A. Investigator',
    sealedAt: '2024-05-03T09:00:00.000Z',
    purpose: null,
    note: null,
    treeHead: {size: 12, root: HEX},
    checkpoint: {path: 'data/custody/checkpoint.json', signature: 'data/custody/checkpoint.json.sig', treeSize: 12, keyFingerprint: `SHA256:${HEX}`},
    key: {path: 'data/custody/investigator.pem', fingerprint: `SHA256:${HEX}`, algorithm: 'Ed25519'},
    timestamp: null,
    events: {path: 'data/custody/events.jsonl', count: 9, sha256: HEX},
    earlierSeals: null,
    ...(records === 0 ? {} : {custodians: Array.from({length: records}, (_, i) => custodian(i + 1))}),
    testimonies: [],
    custodyVersion: '0.1.0',
  }
  return bagReadme({archive: 'hq.zip', bag: 'hq', statement, exhibits: records})
}

const count = (text: string, part: string): number => text.split(part).length - 1

describe('README.txt of a seal of received exhibits', () => {
  it('says nothing of data/custodians/ when no exhibit was received', () => {
    expect(readme(0)).not.toContain('custodians')
  })

  it('gives one record its own folder to go into, the commands, and the sender with its fingerprint', () => {
    const text = readme(1)
    const folder = custodian(1).folder
    expect(text).toContain(`  data/custodians/CASE/TRANSFER/\n                             for the hand-over that brought exhibits`)
    expect(text).toContain(`     cd ${folder}\n${CUSTODIAN_COMMANDS.map((c) => `     ${c}\n`).join('')}     cd ../../../..\n`)
    expect(text).toContain(`     ${custodian(1).from.case}/${custodian(1).transferId}  from Sender 1, fingerprint ${'0'.repeat(63)}1\n`)
    expect(text).not.toContain('CASE/TRANSFER:')
  })

  it('gives the commands once for three records, with CASE/TRANSFER, and lists each folder', () => {
    const text = readme(3)
    expect(text).toContain('for each of the 3 hand-overs that brought exhibits')
    expect(text).toContain('     cd data/custodians/CASE/TRANSFER\n')
    for (const command of CUSTODIAN_COMMANDS) expect(count(text, `     ${command}\n`)).toBe(1)
    for (const i of [1, 2, 3]) expect(text).toContain(`     ${custodian(i).from.case}/${custodian(i).transferId}  from Sender ${i}, fingerprint`)
  })

  it('lists at most 50 folders and points to seal.json for the rest, its lines of prose at most 100 characters', () => {
    const text = readme(60)
    expect(count(text, '  from Sender ')).toBe(50)
    expect(text).toContain(`     ... and 10 more, each named in seal.json's "custodians" (its "folder" and "from")\n`)
    const prose = text.split('\n').filter((l) => !/^ {5}(openssl|grep|cd|[0-9a-f]{8}-)/.test(l) && !/[0-9a-f]{64}/.test(l) && !l.includes('Get-Content'))
    for (const line of prose) expect(line.length, line).toBeLessThanOrEqual(100)
  })
})
