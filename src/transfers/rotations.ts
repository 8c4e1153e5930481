/**
 * A sender's key rotations, as a transfer package proves them (docs/design/transfers.md,
 * "Following a rotation"). A receiver that knows a sender by key K0 takes a package signed by K1
 * only if K0 itself vouched for K1. The package's own key events do not prove that: they are
 * proven into a tree head that K1 signs, and anyone can write a ledger whose `key-rotated` names
 * K0 as the key it replaces. What does is the checkpoint K0 signed over the rotation (a rotation's
 * append ends with a checkpoint signed by the key it replaces, src/keys/rotate.ts). So the
 * statement (transfer.json, `rotations`) carries, for each rotation of the sender's ledger:
 *
 *   event       the `key-rotated` event, its canonical JSON (src/ledger/event.ts chains it)
 *   checkpoint  the exact bytes of the checkpoint over it, signed by the key it replaces
 *   signature   that checkpoint's Ed25519 signature (hex)
 *   proof       RFC 9162 §2.1.4 consistency proof from that checkpoint's tree to the sealed one
 *
 * and the receiver checks each step: the checkpoint is signed by the key it knows, over a tree
 * whose last event (its chain hash, so its every byte) is that rotation, of the sender's case, and
 * a prefix of the tree the package was sealed at. A rotation the known key did not sign breaks the
 * chain, and the package is refused.
 */
import {hexToBytes} from '@noble/hashes/utils.js'
import {canonicalize} from '../canonical/jcs.js'
import {parseCheckpoint} from '../checkpoints/checkpoint.js'
import {messageOf} from '../errors.js'
import {MAX_EVENT_BYTES, parseEventText, type CustodyEvent} from '../formats/events.js'
import {list, object, optional, text, type Reader} from '../formats/event-readers.js'
import {HEX64} from '../formats/guards.js'
import {recordedKey} from '../keys/key-events.js'
import {verifySignature} from '../keys/signing-key.js'
import {bodyProblem, readEnvelope} from '../ledger/envelope.js'
import {chainHash} from '../ledger/event.js'
import {verifyConsistency} from '../merkle/verify.js'

/** At most as many rotations as a sealed archive may hold key events (BAG_LIMITS.keyEvents). */
export const MAX_ROTATIONS = 1000

export interface RotationProof {
  event: string
  /**
   * Where the sender's ledger keeps its event bodies encrypted: the event's envelope as stored,
   * which the chain is over, and the salt that recomputes its commitment from the event (hex).
   */
  envelope?: string
  salt?: string
  checkpoint: string
  signature: string
  proof: string[]
}

const hex64 = text({pattern: HEX64, expected: '64 lower-case hex'})

export const ROTATION_PROOF: Reader<RotationProof> = object<RotationProof>({
  event: text({nonEmpty: true, max: MAX_EVENT_BYTES}),
  envelope: optional(text({nonEmpty: true, max: MAX_EVENT_BYTES})),
  salt: optional(hex64),
  checkpoint: text({nonEmpty: true, max: 4096}),
  signature: text({pattern: /^[0-9a-f]{128}$/, expected: '128 lower-case hex'}),
  proof: list(hex64, {max: 128}),
})

/** What the export side reads: the ledger's rotations and checkpoints, and the sealed tree. */
export interface RotationSource {
  rotations: ReadonlyArray<{event: {seq: number; payload: {replaces: string}}; canonical: string; envelope?: string | undefined; salt?: string | undefined}>
  checkpoints: ReadonlyArray<{body: string; signature: string}>
  treeHead: {size: number; root: string}
  consistencyFrom: (head: {size: number; root: string}) => string[]
}

/**
 * The proofs of the ledger's rotations up to the sealed tree, in ledger order. A rotation whose
 * checkpoint by the replaced key the ledger does not have is left out: a receiver cannot follow it.
 */
export function rotationProofs(source: RotationSource): RotationProof[] {
  const rotations = source.rotations.slice(0, MAX_ROTATIONS).filter(({event}) => event.seq + 1 <= source.treeHead.size)
  // Each checkpoint read once: those at a rotation's tree size, by the key it replaces.
  const wanted = new Map(rotations.map(({event}) => [`${event.seq + 1} ${event.payload.replaces}`, event.seq]))
  const found = new Map<number, {body: string; signature: string; root: string}>()
  for (const c of source.checkpoints) {
    const body = parseCheckpoint(c.body)
    const seq = 'problem' in body ? undefined : wanted.get(`${body.treeSize} ${body.keyFingerprint}`)
    if (seq !== undefined && !('problem' in body)) found.set(seq, {body: c.body, signature: c.signature, root: body.rootHash})
  }

  const proofs: RotationProof[] = []
  for (const {event, canonical, envelope, salt} of rotations) {
    const signed = found.get(event.seq)
    if (signed === undefined) continue
    const size = event.seq + 1
    const proof = size === source.treeHead.size ? [] : source.consistencyFrom({size, root: signed.root})
    const sealed = envelope === undefined || salt === undefined ? {} : {envelope, salt}
    proofs.push({event: canonical, ...sealed, checkpoint: signed.body, signature: signed.signature, proof})
  }

  return proofs
}

/**
 * The text the sender's chain is over for a rotation's event: the event itself, or, from a ledger
 * that keeps its event bodies encrypted, its envelope, once the envelope is custody's and holds
 * this event (its commitment from the salt, its seq, prev and public facts: bodyProblem).
 */
function chainedText(proof: RotationProof, event: CustodyEvent): {text: string} | {problem: string} {
  if (proof.envelope === undefined && proof.salt === undefined) return {text: proof.event}
  if (proof.envelope === undefined || proof.salt === undefined) return {problem: 'it gives an envelope without its salt, or a salt without its envelope'}
  const read = readEnvelope(proof.envelope)
  if (!('envelope' in read)) return {problem: `its envelope does not read: ${read.problem}`}
  const problem = bodyProblem(read.envelope, event, proof.event, hexToBytes(proof.salt))
  return problem === undefined ? {text: proof.envelope} : {problem: `event ${event.seq} ${problem.replace(/^has a body/, 'has an event')}`}
}

/** A key as a step of the chain knows it. */
interface ChainKey {
  fingerprint: string
  spki: Uint8Array
}

/** One step: the key `proof` rotates `known` to, or why it does not. */
export function checkRotation(proof: RotationProof, known: ChainKey, sender: {case: string; archiveTree: {size: number; root: string}}): {key: ChainKey; seq: number} | {problem: string} {
  const parsed = parseEventText(proof.event)
  if ('problem' in parsed) return {problem: `its event does not read: ${parsed.problem}`}
  const {event} = parsed
  if (event.action !== 'key-rotated') return {problem: `its event is a ${event.action} event, not key-rotated`}
  if (canonicalize(event) !== proof.event) return {problem: 'its event is not in canonical form, as the ledger chains it'}
  if (event.payload.replaces !== known.fingerprint) return {problem: `event ${event.seq} replaces ${event.payload.replaces}, not ${known.fingerprint}`}
  const next = recordedKey(event)
  if ('problem' in next) return {problem: `the key of event ${event.seq} is refused: ${next.problem}`}
  const checkpoint = parseCheckpoint(proof.checkpoint)
  if ('problem' in checkpoint) return {problem: `its checkpoint is not valid: ${checkpoint.problem}`}
  if (checkpoint.case !== sender.case) return {problem: `its checkpoint is of case ${checkpoint.case}, not the sender's`}
  if (checkpoint.keyFingerprint !== known.fingerprint) return {problem: `its checkpoint names the key ${checkpoint.keyFingerprint}, not ${known.fingerprint}, which the rotation replaces`}
  const chained = chainedText(proof, event)
  if ('problem' in chained) return chained
  if (checkpoint.treeSize !== event.seq + 1 || checkpoint.lastEventHash !== chainHash(event.prev, chained.text)) {
    return {problem: `its checkpoint is not over event ${event.seq} (its last event is another)`}
  }

  if (!verifySignature(known.spki, Buffer.from(proof.checkpoint, 'utf8'), hexToBytes(proof.signature))) {
    return {problem: `its checkpoint's signature does not verify with ${known.fingerprint}: that key did not vouch for ${next.key.fingerprint}`}
  }

  try {
    const {archiveTree} = sender
    verifyConsistency(checkpoint.treeSize, archiveTree.size, hexToBytes(checkpoint.rootHash), hexToBytes(archiveTree.root), proof.proof.map((h) => hexToBytes(h)))
  } catch (error) {
    return {problem: `its checkpoint is not proven a prefix of the sealed tree: ${messageOf(error)}`}
  }

  return {key: {fingerprint: next.key.fingerprint, spki: next.key.spki}, seq: event.seq}
}

/** A chain followed: from the key the receiver knew, through the rotation events, to the package's signer. */
export interface FollowedRotation {
  from: string
  to: string
  /** The `key-rotated` events of the sender's ledger followed, in order. */
  events: number[]
}

/**
 * Follows the rotations from `known` to the key `signer`: the chain, or why it breaks (undefined
 * when the proofs name no rotation of `known` at all).
 */
export function followRotations(
  proofs: readonly RotationProof[],
  known: ChainKey,
  signer: string,
  sender: {case: string; archiveTree: {size: number; root: string}},
): FollowedRotation | {problem: string} | undefined {
  const start = proofs.findIndex((p) => {
    const parsed = parseEventText(p.event)
    return 'event' in parsed && parsed.event.action === 'key-rotated' && parsed.event.payload.replaces === known.fingerprint
  })
  if (start === -1) return undefined
  let current = known
  const events: number[] = []
  for (const proof of proofs.slice(start)) {
    if (current.fingerprint === signer) break
    const step = checkRotation(proof, current, sender)
    if ('problem' in step) return {problem: `the rotation from ${current.fingerprint}: ${step.problem}`}
    current = step.key
    events.push(step.seq)
  }

  if (current.fingerprint !== signer) return {problem: `the rotations from ${known.fingerprint} end at ${current.fingerprint}, not at the key that signed the package (${signer})`}
  return {from: known.fingerprint, to: signer, events}
}
