/**
 * data/custody/events.jsonl of a bag: the ledger events a seal carries, each with its RFC 9162
 * inclusion proof against the sealed tree head. A case in clear writes v1 lines (the event is the
 * leaf); an encrypted ledger of schema 4 writes v2 lines (the envelope is the leaf, beside the
 * event in clear and its salt: docs/design/encryption-at-rest.md "Ledger").
 */
import {createHash} from 'node:crypto'
import {bytesToHex} from '@noble/hashes/utils.js'
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import type {MerkleTree} from '../merkle/tree.js'
import {EVENTS_PATH} from './bag-layout.js'
import type {SealChoice} from './choice.js'
import {EntryWriter} from './entry-writer.js'
import type {ZipWriter} from '../zip/writer.js'

/**
 * Events of the whole case that every archive carries, beside the first: the keys that sign, and
 * every older copy put back on purpose (accept-restore.ts), which a court must be told of.
 * (A seal of received exhibits adds the `transfer-received` events that brought them.)
 */
const CASE_EVENTS: ReadonlySet<string> = new Set(['key-created', 'key-rotated', 'restore-accepted'])

/**
 * The sealed events as JSON Lines, each with its inclusion proof: event 0, which names the case,
 * the key events, which name the key that signs, the restore-accepted events, and every event of
 * the sealed exhibits. They are made twice, a page of the ledger at a time, rather than kept: once
 * to measure them (size, digests, count), and once more while they are written into the ZIP, so
 * they are never all in memory.
 */
export class SealedEvents {
  readonly path = EVENTS_PATH
  readonly size: number
  readonly count: number
  readonly sha256: string
  readonly sha512: string

  constructor(
    private readonly kase: Case,
    private readonly tree: MerkleTree,
    private readonly chosen: SealChoice,
    /** Events of no one exhibit that go in too: the hand-overs that brought the sealed exhibits (`transfer-received`). */
    private readonly also: ReadonlySet<number> = new Set(),
  ) {
    const h256 = createHash('sha256')
    const h512 = createHash('sha512')
    let size = 0
    let count = 0
    for (const line of this.lines()) {
      h256.update(line)
      h512.update(line)
      size += Buffer.byteLength(line)
      count++
    }

    this.size = size
    this.count = count
    this.sha256 = h256.digest('hex')
    this.sha512 = h512.digest('hex')
  }

  /** What the seal statement says of the file. */
  get stated(): {path: string; count: number; sha256: string} {
    return {path: this.path, count: this.count, sha256: this.sha256}
  }

  /** Each line, newline included. */
  *lines(): Generator<string> {
    for (const row of this.kase.ledger.rowsBelow(this.tree.size)) {
      const sealed = row.seq === 0 || CASE_EVENTS.has(row.action) || (row.exhibit !== null && this.chosen.has(row.exhibit)) || this.also.has(row.seq)
      if (!sealed) continue
      // The canonical JSON (RFC 8785) of {seq, hash, prev, leafHash, inclusionProof, event}, made
      // by hand: its keys in sorted order, and the event as the ledger stores it, which is already
      // its canonical JSON (its hashes are over that text). No event is parsed.
      const proof = this.tree.inclusionProof(row.seq).map((h) => `"${bytesToHex(h)}"`)
      const chained = `"hash":"${row.hash}","inclusionProof":[${proof.join(',')}],"leafHash":"${bytesToHex(this.tree.leaf(row.seq))}","prev":"${row.prev}"`
      // An encrypted ledger's row (schema 4): the envelope as stored, which the chain and the tree
      // are over, and the event in clear with the salt that recomputes the envelope's commitment.
      const line =
        row.envelope === undefined ? `{"event":${row.event},${chained},"seq":${row.seq}}` : `{"envelope":${row.envelope},"event":${row.event},${chained},"salt":"${row.salt}","seq":${row.seq}}`
      yield `${line}\n`
    }
  }

  /** Streams the lines into the ZIP; they must be the lines measured. */
  async writeTo(zip: ZipWriter, name: string): Promise<void> {
    const changed = (): CustodyError => new CustodyError('INTEGRITY', 'the ledger changed while its events were being sealed; nothing was sealed. Run `custody verify`')
    const out = await EntryWriter.start(zip, name, this.size, changed)
    for (const line of this.lines()) await out.write(line)
    if ((await out.end()).sha256 !== this.sha256) throw changed()
  }
}
