/**
 * The forgery of someone with write access to a case and no key: every envelope of a sealed
 * ledger (schema 4) edited as `edit` says, every row chained again (its envelope's prev, its
 * prev_hash and hash), and head.json written to the new head. What is left to catch it: the signed
 * checkpoints, and custody's record of the case's newest checkpoint outside the case.
 */
import {createHash} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {bytesToHex} from '@noble/hashes/utils.js'
import {canonicalize} from '../../src/canonical/jcs.js'
import {hashLeafText} from '../../src/merkle/rfc6962.js'
import {MerkleTree} from '../../src/merkle/tree.js'

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
