/**
 * The forgery of someone with write access to a case and no key: every envelope of a sealed
 * ledger (schema 4) edited as `edit` says, every row chained again (its envelope's prev, its
 * prev_hash and hash), and head.json written to the new head. What is left to catch it: the signed
 * checkpoints, and custody's record of the case's newest checkpoint outside the case.
 */
import {createHash, randomBytes} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {bytesToHex} from '@noble/hashes/utils.js'
import {canonicalize} from '../../src/canonical/jcs.js'
import {hashLeafText} from '../../src/merkle/rfc6962.js'
import {MerkleTree} from '../../src/merkle/tree.js'
import {signCheckpoint} from '../../src/checkpoints/checkpoint.js'
import {fingerprintOf, type Signer} from '../../src/keys/signing-key.js'
import {forgerKey} from './forge-archive.js'

/** Rewrites the ledger of the case in `dir`; the new root (hex). */
export function rechainLedger(dir: string, edit: (seq: number, envelope: Record<string, unknown>) => void): string {
  const db = new Database(join(dir, '.custody', 'ledger.sqlite'))
  db.exec('DROP TRIGGER events_no_update')
  let prev: string | undefined
  const leaves: Uint8Array[] = []
  for (const row of db.prepare<[], {seq: number; envelope: string}>('SELECT seq, envelope FROM events ORDER BY seq').all()) {
    const envelope = JSON.parse(row.envelope) as Record<string, unknown> & {prev: string}
    if (prev !== undefined) envelope.prev = prev
    edit(row.seq, envelope)
    const text = canonicalize(envelope as never)
    const hash = createHash('sha256').update(Buffer.from(envelope.prev, 'hex')).update(text).digest('hex')
    db.prepare('UPDATE events SET envelope = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(text, envelope.prev, hash, row.seq)
    leaves.push(hashLeafText(text))
    prev = hash
  }

  db.close()
  const root = bytesToHex(new MerkleTree(leaves).root())
  writeFileSync(join(dir, '.custody', 'head.json'), `${JSON.stringify({size: leaves.length, root, lastHash: prev, writtenAt: new Date().toISOString()}, null, 2)}\n`)
  return root
}

/**
 * The quieter forgery: rows changed in place by an SQL `UPDATE events SET …` (its text given),
 * their stored hashes, the chain and head.json left as they were, the append-only trigger dropped
 * for it and put back. Only the content's root against the signed checkpoint tells.
 */
export function editRowsInPlace(dir: string, update: string): number {
  const db = new Database(join(dir, '.custody', 'ledger.sqlite'))
  const trigger = db.prepare<[], {sql: string}>("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'events_no_update'").get()!.sql
  db.exec('DROP TRIGGER events_no_update')
  const {changes} = db.prepare(update).run()
  db.exec(trigger)
  db.close()
  return changes
}

/**
 * The forgery that leans on a key rotation: the case's first key replaced (its key-created
 * envelope) by the forger's own, every envelope edited as `edit` says, a key-rotated row from the
 * forger's key to the case's real one appended (its body random bytes, its SHA-256 in the
 * envelope: nothing without a key opens it), every row chained again, and the checkpoints made
 * again at the same sizes and one over the whole, each signed by the forger's key. The case's own
 * key file is left: the real passphrase still opens it, and it is the key the rotation names.
 */
export function forgeFirstKey(dir: string, edit: (envelope: Record<string, unknown>) => void): void {
  const db = new Database(join(dir, '.custody', 'ledger.sqlite'))
  const rows = db.prepare<[], Record<string, unknown> & {seq: number; envelope: string; body: Buffer; run: number}>('SELECT * FROM events ORDER BY seq').all()
  const envelopes = rows.map((r) => JSON.parse(r.envelope) as Record<string, unknown> & {public?: Record<string, unknown>; tags: Record<string, unknown>})
  const real = envelopes[1]!.public!
  const forger = forgerKey()
  const fingerprint = fingerprintOf(forger.spki)
  const caseId = String(envelopes[0]!.public!.caseId)
  envelopes[1]!.public = {action: 'key-created', algorithm: 'Ed25519', fingerprint, publicKey: forger.spki.toString('base64')}
  for (const envelope of envelopes) edit(envelope)
  const body = randomBytes(120)
  const last = rows.at(-1)!
  envelopes.push({v: envelopes[1]!.v, seq: rows.length, time: new Date().toISOString(), prev: '', exhibit: null, run: last.run, tags: envelopes[1]!.tags, public: {action: 'key-rotated', algorithm: 'Ed25519', fingerprint: real.fingerprint, publicKey: real.publicKey, replaces: fingerprint}, bodyCommitment: randomBytes(32).toString('hex'), bodySha256: createHash('sha256').update(body).digest('hex')})
  const all = [...rows, {...rows[1]!, seq: rows.length, body, run: last.run}]
  const triggers = db.prepare<[], {name: string; sql: string}>("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
  const sizes = [...new Set([...db.prepare<[], {tree_size: number}>('SELECT tree_size FROM checkpoints ORDER BY seq').all().map((c) => c.tree_size), all.length])]
  db.transaction(() => {
    for (const t of triggers) db.exec(`DROP TRIGGER ${t.name}`)
    db.exec('DELETE FROM events; DELETE FROM checkpoints')
    let prev = '0'.repeat(64)
    const leaves: Uint8Array[] = []
    const hashes: string[] = []
    for (const [seq, envelope] of envelopes.entries()) {
      envelope.seq = seq
      envelope.prev = prev
      const text = canonicalize(envelope as never)
      const hash = createHash('sha256').update(Buffer.from(prev, 'hex')).update(text).digest('hex')
      const row = {...all[seq]!, seq, prev_hash: prev, hash, envelope: text}
      const columns = Object.keys(row)
      db.prepare(`INSERT INTO events (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`).run(row)
      leaves.push(hashLeafText(text))
      hashes.push(hash)
      prev = hash
    }

    const signer = {fingerprint, sign: (message: Uint8Array) => forger.sign(Buffer.from(message))} as unknown as Signer
    for (const [i, size] of sizes.entries()) {
      const signed = signCheckpoint(signer, caseId, {treeSize: size, rootHash: bytesToHex(new MerkleTree(leaves.slice(0, size)).root()), lastEventHash: hashes[size - 1]!})
      db.prepare('INSERT INTO checkpoints (seq, tree_size, body, signature) VALUES (?, ?, ?, ?)').run(i, size, signed.body, signed.signature)
    }

    for (const t of triggers) db.exec(t.sql)
    writeFileSync(join(dir, '.custody', 'head.json'), `${JSON.stringify({size: leaves.length, root: bytesToHex(new MerkleTree(leaves).root()), lastHash: prev, writtenAt: new Date().toISOString()}, null, 2)}\n`)
  })()
  db.close()
}
