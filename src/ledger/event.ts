/**
 * A custody event and its hash.
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
import {canonicalize, type JsonValue} from '../canonical/jcs.js'
import {hashLeafText} from '../merkle/rfc6962.js'

export const EVENT_VERSION = 1
export const GENESIS_HASH = '0'.repeat(64)
/**
 * The largest canonical event the ledger takes. Events are small (the largest custody writes, a
 * list of 1,000 sealed exhibits, is about 12 KB); the bound lets a verifier refuse a hostile line
 * of an archive's events long before it could fill the memory.
 */
export const MAX_EVENT_BYTES = 1024 * 1024

export type EventAction =
  | 'create-case'
  | 'key-created'
  | 'key-rotated'
  | 'config'
  | 'ingest'
  | 'presented-again'
  | 'ingest-failed'
  | 'seal'
  | 'sealed-exhibits'
  | 'timestamp'
  | 'testimony'
  | 'testimony-amended'
  | 'consent-changed'
  | 'identity-viewed'
  | 'batch-started'
  | 'batch-ended'
  | 'restore-accepted'

export interface LedgerEvent {
  v: typeof EVENT_VERSION
  seq: number
  /** UTC, ISO 8601 with milliseconds. */
  time: string
  actor: string
  action: EventAction
  exhibit: string | null
  payload: {[key: string]: JsonValue}
  /** Hex SHA-256 of the previous event, GENESIS_HASH for the first. */
  prev: string
}

/** What a caller supplies; the ledger fills in seq, time and prev inside its transaction. */
export interface EventDraft {
  actor: string
  action: EventAction
  exhibit: string | null
  payload: {[key: string]: JsonValue}
}

export interface StoredEvent {
  event: LedgerEvent
  canonical: string
  hash: string
}

export function chainHash(prevHex: string, canonical: string): string {
  return createHash('sha256').update(hexToBytes(prevHex)).update(canonical, 'utf8').digest('hex')
}

export function sealEvent(event: LedgerEvent): StoredEvent {
  const canonical = canonicalize(event)
  return {event, canonical, hash: chainHash(event.prev, canonical)}
}

/** RFC 6962 leaf hash of an event: its canonical JSON is the leaf entry. */
export function eventLeafHash(canonical: string): Uint8Array {
  return hashLeafText(canonical)
}
