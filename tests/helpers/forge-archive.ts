/**
 * Rebuilding a sealed bag as a forger holding only a genuine archive would: the events changed at
 * will, their hashes, leaf hashes and inclusion proofs recomputed, a new checkpoint and seal
 * statement signed with a key of the forger's, and the manifests made to match. Standard
 * algorithms (RFC 8785, RFC 6962, Ed25519) from whatever library is at hand: here custody's own
 * canonical JSON and Merkle tree, as a forger could use them too.
 *
 * Works on bags whose events.jsonl holds the whole ledger (a small case, sealed whole), so that
 * the forger can recompute every hash.
 */
import {createHash, createPublicKey, generateKeyPairSync, randomBytes, sign} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {ed25519} from '@noble/curves/ed25519.js'
import {bytesToNumberLE, numberToBytesLE} from '@noble/curves/utils.js'
import {bytesToHex} from '@noble/hashes/utils.js'
import {canonicalize, type JsonValue} from '../../src/canonical/jcs.js'
import {chainHash, eventLeafHash} from '../../src/ledger/event.js'
import {MerkleTree} from '../../src/merkle/tree.js'
import {rewriteManifests} from './bag.js'

export interface ForgerKey {
  /** SubjectPublicKeyInfo DER of the key the forger puts in the events. */
  spki: Buffer
  sign(message: Buffer): Buffer
}

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex')
export const fingerprint = (spki: Buffer): string => `SHA256:${sha256(spki)}`
export const pemOf = (spki: Buffer): string => createPublicKey({key: spki, format: 'der', type: 'spki'}).export({type: 'spki', format: 'pem'}).toString()

/** An ordinary Ed25519 key of the forger's. */
export function forgerKey(): ForgerKey {
  const {privateKey} = generateKeyPairSync('ed25519')
  const spki = createPublicKey(privateKey).export({type: 'spki', format: 'der'})
  return {spki, sign: (message) => sign(null, message, privateKey)}
}

/**
 * The identity point as a public key (RFC 8032 encoding of (0, 1)): with A the identity,
 * [S]B = R + [k]A holds for R = [S]B whatever the message, so anyone "signs" anything by it.
 */
export function identityPointKey(): ForgerKey {
  const raw = Buffer.alloc(32)
  raw[0] = 1
  return {
    spki: Buffer.concat([SPKI_PREFIX, raw]),
    sign: () => {
      const s = ed25519.Point.Fn.create(bytesToNumberLE(randomBytes(32)))
      return Buffer.concat([ed25519.Point.BASE.multiply(s).toBytes(), numberToBytesLE(s, 32)])
    },
  }
}

type Json = {[key: string]: JsonValue}

export interface Reseal {
  /** Changes the events (objects, in ledger order) before everything is recomputed. */
  events?: (events: Json[]) => void
  /** Changes the statement before it is signed (its tree head, checkpoint and events are set already). */
  statement?: (statement: Json) => void
  /** The fingerprint the checkpoint and statement claim; the key's own by default. */
  claimedFingerprint?: string
  /** investigator.pem: the forger key's by default; or these bytes (a genuine key, to pass it off). */
  pem?: string
}

/** Rebuilds the bag in `bagDir` (unzipped, changed by the caller as wanted) with the forger's key. */
export function resealBag(bagDir: string, key: ForgerKey, edit: Reseal = {}): void {
  const custody = join(bagDir, 'data/custody')
  const lines = readFileSync(join(custody, 'events.jsonl'), 'utf8').trimEnd().split('\n')
  const events = lines.map((line) => (JSON.parse(line) as {event: Json}).event)
  edit.events?.(events)
  // The chain, from the first event.
  let prev = '0'.repeat(64)
  const hashes: string[] = []
  const leaves: Uint8Array[] = []
  for (const [seq, event] of events.entries()) {
    event.seq = seq
    event.prev = prev
    const canonical = canonicalize(event)
    prev = chainHash(prev, canonical)
    hashes.push(prev)
    leaves.push(eventLeafHash(canonical))
  }

  const tree = new MerkleTree(leaves)
  const root = bytesToHex(tree.root())
  const out = events.map((event, seq) =>
    JSON.stringify({
      event,
      hash: hashes[seq],
      inclusionProof: tree.inclusionProof(seq).map((h) => bytesToHex(h)),
      leafHash: bytesToHex(leaves[seq]!),
      prev: seq === 0 ? '0'.repeat(64) : hashes[seq - 1],
      seq,
    }),
  )
  const eventsText = `${out.join('\n')}\n`
  writeFileSync(join(custody, 'events.jsonl'), eventsText)

  const claimed = edit.claimedFingerprint ?? fingerprint(key.spki)
  const caseId = String((events[0]!.payload as Json).caseId)
  const checkpoint = canonicalize({
    case: caseId,
    keyFingerprint: claimed,
    lastEventHash: hashes.at(-1)!,
    rootHash: root,
    time: new Date().toISOString(),
    treeSize: events.length,
    type: 'custody-checkpoint/v1',
  })
  writeFileSync(join(custody, 'checkpoint.json'), checkpoint)
  writeFileSync(join(custody, 'checkpoint.json.sig'), key.sign(Buffer.from(checkpoint)))
  writeFileSync(join(custody, 'investigator.pem'), edit.pem ?? pemOf(key.spki))

  const statement = JSON.parse(readFileSync(join(custody, 'seal.json'), 'utf8')) as Json
  statement.treeHead = {size: events.length, root}
  statement.checkpoint = {...(statement.checkpoint as Json), treeSize: events.length, keyFingerprint: claimed}
  statement.key = {...(statement.key as Json), fingerprint: claimed}
  statement.events = {...(statement.events as Json), count: events.length, sha256: sha256(eventsText)}
  edit.statement?.(statement)
  const statementText = JSON.stringify(statement, null, 2)
  writeFileSync(join(custody, 'seal.json'), statementText)
  writeFileSync(join(custody, 'seal.json.sig'), key.sign(Buffer.from(statementText)))
  // bag-info.txt names the signing key: a careful forger keeps it in line with the statement.
  const info = join(bagDir, 'bag-info.txt')
  writeFileSync(
    info,
    readFileSync(info, 'utf8')
      .replace(/^Custody-Signing-Key: .*$/m, `Custody-Signing-Key: ${claimed}`)
      .replace(/^Custody-Tree-Head: .*$/m, `Custody-Tree-Head: ${events.length} ${root}`),
  )
  rewriteManifests(bagDir)
}

/** SHA-256 and SHA-512 and size of a file, as a statement states them. */
export function digestsOfFile(path: string): {sha256: string; sha512: string; size: number} {
  const bytes = readFileSync(path)
  return {sha256: sha256(bytes), sha512: createHash('sha512').update(bytes).digest('hex'), size: bytes.length}
}
