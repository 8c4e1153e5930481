/**
 * A custody event's hash and its place in the chain. The event itself, its envelope and every
 * action's payload, is defined in src/formats/events.ts.
 *
 * An event is stored as its RFC 8785 canonical JSON. Its hash chains it to the one before:
 *
 *     hash(n) = SHA-256( bytes of hash(n-1) (32) || UTF-8 canonical JSON of event n )
 *
 * with 32 zero bytes before the first event. The canonical JSON also carries `prev` (the hex of
 * hash(n-1)) and `seq`, so an event read on its own says where it belongs. The same canonical
 * bytes are the leaf entries of the ledger's RFC 6962 Merkle tree.
 */
import {createHash} from 'node:crypto'
import {hexToBytes} from '@noble/hashes/utils.js'
import {canonicalize} from '../canonical/jcs.js'
import type {CustodyEvent} from '../formats/events.js'
import {hashLeafText} from '../merkle/rfc6962.js'

export const GENESIS_HASH = '0'.repeat(64)

/** An event as the ledger stores it: its canonical JSON, and its hash in the chain. */
export interface StoredEvent<E extends CustodyEvent = CustodyEvent> {
  event: E
  canonical: string
  hash: string
}

export function chainHash(prevHex: string, canonical: string): string {
  return createHash('sha256').update(hexToBytes(prevHex)).update(canonical, 'utf8').digest('hex')
}

export function sealEvent(event: CustodyEvent): StoredEvent {
  const canonical = canonicalize(event)
  return {event, canonical, hash: chainHash(event.prev, canonical)}
}

/** RFC 6962 leaf hash of an event: its canonical JSON is the leaf entry. */
export function eventLeafHash(canonical: string): Uint8Array {
  return hashLeafText(canonical)
}
