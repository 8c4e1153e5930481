/**
 * A sender's key rotations as a transfer package proves them (src/transfers/rotations.ts): a
 * ledger of real events and real Ed25519 keys, built here, whose rotations are proven by the
 * checkpoints the replaced keys signed; then each forgery of that proof, which must break the chain:
 * a rotation the known key never signed (the forger's own key signs its checkpoint, even naming
 * the known key), the event changed after it was signed, a checkpoint over another event or of
 * another case, a consistency proof that does not lead to the sealed tree, a chain that stops short.
 */
import {generateKeyPairSync, randomBytes} from 'node:crypto'
import {bytesToHex} from '@noble/hashes/utils.js'
import {describe, expect, it} from 'vitest'
import {canonicalize} from '../../src/canonical/jcs.js'
import {signCheckpoint} from '../../src/checkpoints/checkpoint.js'
import type {CustodyEvent} from '../../src/formats/events.js'
import {signerFrom, type Signer} from '../../src/keys/signing-key.js'
import {sealRow} from '../../src/ledger/envelope.js'
import {chainHash, eventLeafHash} from '../../src/ledger/event.js'
import {MerkleTree} from '../../src/merkle/tree.js'
import {checkRotation, followRotations, rotationProofs, type RotationProof} from '../../src/transfers/rotations.js'

const CASE = '7728a5f1-8eda-44d5-bf36-438faefdcb87'
const key = (): Signer => signerFrom(generateKeyPairSync('ed25519').privateKey)
const known = (s: Signer): {fingerprint: string; spki: Uint8Array} => ({fingerprint: s.fingerprint, spki: s.spki})

/** A ledger of `size` events whose events `at` rotate k0 to k1 to k2, and its signed checkpoints. */
function ledger(keys: Signer[], at: number[], size: number, signedBy: (i: number) => Signer = (i) => keys[i]!, sealed = false) {
  const events: Array<{event: CustodyEvent; canonical: string; hash: string; envelope?: string; salt?: string}> = []
  const runKey = randomBytes(32)
  let prev = '0'.repeat(64)
  for (let seq = 0; seq < size; seq++) {
    const r = at.indexOf(seq)
    const event = (r === -1
      ? {v: 1, seq, time: '2026-12-05T01:00:00.000Z', actor: 'I. M.', action: 'config', exhibit: null, payload: {key: 'k', value: String(seq), previous: null}, prev}
      : {
          v: 1,
          seq,
          time: '2026-12-05T01:00:00.000Z',
          actor: 'I. M.',
          action: 'key-rotated',
          exhibit: null,
          payload: {algorithm: 'Ed25519', fingerprint: keys[r + 1]!.fingerprint, publicKey: Buffer.from(keys[r + 1]!.spki).toString('base64'), holder: 'I. M.', replaces: keys[r]!.fingerprint, reason: 'laptop out of hands'},
          prev,
        }) as unknown as CustodyEvent
    const canonical = canonicalize(event)
    if (sealed) {
      // A ledger that keeps its event bodies encrypted: the chain and the tree are over each envelope.
      const {row, salt} = sealRow(event, 0, {}, runKey)
      prev = row.hash
      events.push({event, canonical, hash: prev, envelope: row.envelope, salt: salt.toString('hex')})
    } else {
      prev = chainHash(prev, canonical)
      events.push({event, canonical, hash: prev})
    }
  }

  const tree = new MerkleTree(events.map((e) => eventLeafHash(e.envelope ?? e.canonical)))
  // The checkpoint of each rotation's append, signed by the key it replaces (or by whoever the test says).
  const checkpoints = at.map((seq, i) => signCheckpoint(signedBy(i), CASE, {treeSize: seq + 1, rootHash: bytesToHex(tree.root(seq + 1)), lastEventHash: events[seq]!.hash}))
  const treeHead = {size, root: bytesToHex(tree.root(size))}
  const proofs = rotationProofs({
    rotations: events.filter((e) => e.event.action === 'key-rotated') as never,
    checkpoints,
    treeHead,
    consistencyFrom: (head) => tree.consistencyProof(head.size, size).map((h) => bytesToHex(h)),
  })
  return {events, tree, proofs, sender: {case: CASE, archiveTree: treeHead}}
}

describe('following a sender key rotations', () => {
  const keys = [key(), key(), key()]

  it('follows two genuine rotations from the known key to the signer, naming the events', () => {
    const {proofs, sender} = ledger(keys, [3, 7], 10)
    expect(proofs).toHaveLength(2)
    expect(followRotations(proofs, known(keys[0]!), keys[2]!.fingerprint, sender)).toEqual({from: keys[0]!.fingerprint, to: keys[2]!.fingerprint, events: [3, 7]})
    // From the middle key, only the second rotation is followed.
    expect(followRotations(proofs, known(keys[1]!), keys[2]!.fingerprint, sender)).toEqual({from: keys[1]!.fingerprint, to: keys[2]!.fingerprint, events: [7]})
  })

  it('follows a rotation that is the last event of the sealed tree (an empty proof)', () => {
    const {proofs, sender} = ledger(keys, [4], 5)
    expect(proofs[0]!.proof).toEqual([])
    expect(followRotations(proofs, known(keys[0]!), keys[1]!.fingerprint, sender)).toMatchObject({events: [4]})
  })

  it('gives nothing when no rotation replaces the known key (another case, or an unknown key)', () => {
    const {proofs, sender} = ledger(keys, [3], 6)
    expect(followRotations(proofs, known(key()), keys[1]!.fingerprint, sender)).toBeUndefined()
    expect(followRotations([], known(keys[0]!), keys[1]!.fingerprint, sender)).toBeUndefined()
  })

  it('refuses a rotation the known key never signed: the forger signs the checkpoint with its own key', () => {
    const forger = key()
    // The forger's ledger names the known key as replaced and rotates to the forger's key; the
    // known key signed nothing, so the forger signs the rotation's checkpoint itself.
    const forged = ledger([keys[0]!, forger], [3], 6, () => forger)
    // rotationProofs keeps only checkpoints by the replaced key: the forger must write its own proof.
    expect(forged.proofs).toEqual([])
    const event = forged.events[3]!
    const checkpoint = signCheckpoint(forger, CASE, {treeSize: 4, rootHash: bytesToHex(forged.tree.root(4)), lastEventHash: event.hash})
    const proof: RotationProof = {event: event.canonical, checkpoint: checkpoint.body, signature: checkpoint.signature, proof: forged.tree.consistencyProof(4, 6).map((h) => bytesToHex(h))}
    const result = followRotations([proof], known(keys[0]!), forger.fingerprint, forged.sender)
    expect(result).toEqual({problem: expect.stringMatching(new RegExp(`its checkpoint names the key ${forger.fingerprint}, not ${keys[0]!.fingerprint}`))})
    // Its checkpoint body rewritten to name the known key: the signature is then the forger's, which does not verify.
    const renamed = checkpoint.body.replace(forger.fingerprint, keys[0]!.fingerprint)
    const again = followRotations([{...proof, checkpoint: renamed}], known(keys[0]!), forger.fingerprint, forged.sender)
    expect(again).toEqual({problem: expect.stringMatching(/signature does not verify with SHA256:[0-9a-f]{64}: that key did not vouch for/)})
  })

  it('refuses the event changed after the known key signed it (the new key swapped)', () => {
    const {proofs, sender} = ledger(keys, [3], 6)
    const other = key()
    const swapped = proofs[0]!.event.replace(keys[1]!.fingerprint, other.fingerprint).replace(Buffer.from(keys[1]!.spki).toString('base64'), Buffer.from(other.spki).toString('base64'))
    expect(followRotations([{...proofs[0]!, event: swapped}], known(keys[0]!), other.fingerprint, sender)).toEqual({problem: expect.stringMatching(/its checkpoint is not over event 3/)})
  })

  it("refuses a checkpoint of another case, one not leading to the sealed tree, and a chain that stops short of the signer", () => {
    const {proofs, sender, tree} = ledger(keys, [3, 7], 10)
    expect(checkRotation(proofs[0]!, known(keys[0]!), {...sender, case: 'a0000000-0000-4000-8000-000000000000'})).toEqual({problem: expect.stringMatching(/its checkpoint is of case 7728a5f1/)})
    const otherRoot = {size: sender.archiveTree.size, root: bytesToHex(tree.root(9))}
    expect(checkRotation(proofs[0]!, known(keys[0]!), {...sender, archiveTree: otherRoot})).toEqual({problem: expect.stringMatching(/is not proven a prefix of the sealed tree/)})
    // The second rotation's proof left out: the chain ends at the middle key.
    expect(followRotations([proofs[0]!], known(keys[0]!), keys[2]!.fingerprint, sender)).toEqual({problem: expect.stringMatching(/end at SHA256:[0-9a-f]{64}, not at the key that signed the package/)})
    // A proof whose event is no rotation.
    expect(checkRotation({...proofs[0]!, event: canonicalize({v: 1})}, known(keys[0]!), sender)).toEqual({problem: expect.stringMatching(/^its event does not read/)})
  })
})

describe("following a rotation of a sender whose ledger keeps its event bodies encrypted", () => {
  const keys = [key(), key()]

  it('follows it through the envelope the chain is over, the event held to it by its commitment', () => {
    const {proofs, sender} = ledger(keys, [3], 6, undefined, true)
    expect(proofs[0]).toMatchObject({envelope: expect.stringContaining('"bodyCommitment"') as string, salt: expect.stringMatching(/^[0-9a-f]{64}$/) as string})
    expect(followRotations(proofs, known(keys[0]!), keys[1]!.fingerprint, sender)).toEqual({from: keys[0]!.fingerprint, to: keys[1]!.fingerprint, events: [3]})
  })

  it('refuses the proof without its envelope, the event swapped under it, another salt, another event\'s envelope, and half of the pair', () => {
    const {proofs, sender, events} = ledger(keys, [3], 6, undefined, true)
    const proof = proofs[0]!
    const follow = (changed: RotationProof) => followRotations([changed], known(keys[0]!), keys[1]!.fingerprint, sender)
    const {envelope: _envelope, salt: _salt, ...bare} = proof
    expect(follow(bare)).toEqual({problem: expect.stringMatching(/its checkpoint is not over event 3/)})
    const other = key()
    const swapped = proof.event.replace(keys[1]!.fingerprint, other.fingerprint).replace(Buffer.from(keys[1]!.spki).toString('base64'), Buffer.from(other.spki).toString('base64'))
    expect(followRotations([{...proof, event: swapped}], known(keys[0]!), other.fingerprint, sender)).toEqual({problem: expect.stringMatching(/event 3 has an event that does not match its envelope's commitment/)})
    expect(follow({...proof, salt: bytesToHex(randomBytes(32))})).toEqual({problem: expect.stringMatching(/does not match its envelope's commitment/)})
    expect(follow({...proof, envelope: events[2]!.envelope!, salt: events[2]!.salt!})).toEqual({problem: expect.stringMatching(/event 3 has an event that does not match its envelope.s commitment/)})
    expect(follow({...bare, envelope: proof.envelope!})).toEqual({problem: expect.stringMatching(/an envelope without its salt/)})
  })
})
