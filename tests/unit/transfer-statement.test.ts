/**
 * src/transfers/transfer-statement.ts: a transfer package's transfer.json and
 * transfer-consistency.json, written and read back as hostile input. The reader is strict: each
 * forgery or slip below is refused with what was wrong; what custody writes reads back as it was.
 * The package end to end is tests/e2e/transfer-export.test.ts.
 */
import {generateKeyPairSync} from 'node:crypto'
import {bytesToHex} from '@noble/hashes/utils.js'
import {describe, expect, it} from 'vitest'
import {generateIdentity} from '../../src/age/x25519.js'
import {verifyConsistency} from '../../src/merkle/verify.js'
import {MerkleTree} from '../../src/merkle/tree.js'
import {CUSTODIAN_TYPE, type Custodian} from '../../src/transfers/custodian.js'
import {consistencyBytes, readTransferConsistency, readTransferStatement, transferBytes, transferIdOf, type TransferStatement} from '../../src/transfers/transfer-statement.js'

function custodian(name: string, caseId: string, age: string | null): Custodian {
  const spki = generateKeyPairSync('ed25519').publicKey.export({type: 'spki', format: 'der'})
  return {type: CUSTODIAN_TYPE, case: caseId, name, organisation: null, signingKey: spki.toString('base64'), age}
}

const from = custodian('Iryna Melnyk', '0f8e4c1a-5b2d-4e6f-9a7b-3c1d2e4f5a6b', null)
const to = custodian('Olena Kovalenko', '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', generateIdentity().recipient)
const statement: TransferStatement = {
  type: 'custody-transfer/v1',
  transferId: transferIdOf('SEAL-0123456789abcdef', to),
  from,
  to,
  releasedAt: '2024-05-01T09:00:00.000Z',
  purpose: 'weekly hand-over',
  sealId: 'SEAL-0123456789abcdef',
  archiveTree: {size: 12, root: 'a'.repeat(64)},
  acknowledged: null,
  items: [{exhibit: 'EX-000001', sha256: 'b'.repeat(64), sha512: 'c'.repeat(128), size: 2048}],
}

const problemOf = (value: unknown): string => {
  const read = readTransferStatement(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)))
  return 'problem' in read ? read.problem : 'read'
}

describe('transfer.json', () => {
  it('reads back as written, canonical, and its ID follows the seal and the receiver', () => {
    expect(readTransferStatement(transferBytes(statement))).toEqual(statement)
    expect(transferIdOf('SEAL-0123456789abcdef', to)).toMatch(/^TRANSFER-[0-9a-f]{16}$/)
    expect(transferIdOf('SEAL-0123456789abcdee', to)).not.toBe(statement.transferId)
    expect(transferIdOf('SEAL-0123456789abcdef', {...to, case: from.case})).not.toBe(statement.transferId)
  })

  it('refuses what custody does not write', () => {
    const canonical = transferBytes(statement).toString('utf8')
    expect(problemOf(`${canonical}\n`)).toMatch(/not in canonical form/)
    expect(problemOf(JSON.stringify(statement, null, 2))).toMatch(/not in canonical form/)
    expect(problemOf('{"type":')).toBe('it is not JSON')
    expect(problemOf({...statement, type: 'custody-transfer/v2'})).toMatch(/^transfer\.type: expected "custody-transfer\/v1"/)
    expect(problemOf({...statement, extra: 1})).toMatch(/^transfer\.extra: .*a field custody does not write/)
    expect(problemOf({...statement, items: []})).toMatch(/^transfer\.items: expected an array of 1 to 1,000 items/)
    expect(problemOf({...statement, items: [{...statement.items[0], sha512: 'c'.repeat(127)}]})).toMatch(/^transfer\.items\[0\]\.sha512: expected 128 lower-case hex/)
    expect(problemOf({...statement, to: {...to, signingKey: 'not a key'}})).toMatch(/^transfer\.to\.signingKey: expected the base64 DER of an Ed25519 public key/)
    expect(problemOf({...statement, from: {...from, role: 'hq'}})).toMatch(/^transfer\.from\.role: /)
    expect(problemOf({...statement, acknowledged: {size: 0, root: 'a'.repeat(64)}})).toMatch(/^transfer\.acknowledged\.size: /)
    expect(problemOf({...statement, releasedAt: '2024-05-01T09:00:00Z'})).toMatch(/^transfer\.releasedAt: expected a UTC time/)
  })
})

describe('transfer-consistency.json', () => {
  it('reads back as written, a proof that holds from the acknowledged head to the sealed one', () => {
    const tree = new MerkleTree(Array.from({length: 12}, (_, i) => new Uint8Array(32).fill(i + 1)))
    const proof = {
      from: {treeSize: 5, rootHash: bytesToHex(tree.root(5))},
      to: {treeSize: 12, rootHash: bytesToHex(tree.root())},
      proof: tree.consistencyProof(5, 12).map((h) => bytesToHex(h)),
    }
    const read = readTransferConsistency(consistencyBytes(proof))
    expect(read).toEqual(proof)
    expect(() => verifyConsistency(5, 12, tree.root(5), tree.root(), proof.proof.map((h) => Buffer.from(h, 'hex')))).not.toThrow()
    expect(readTransferConsistency(Buffer.from(JSON.stringify(proof)))).toEqual({problem: 'it is not in canonical form (RFC 8785), as custody writes it'})
    expect(readTransferConsistency(consistencyBytes({...proof, proof: ['zz']}))).toHaveProperty('problem')
  })
})
