/**
 * The keyed tags of a schema-3 ledger (schema.ts; docs/design/encryption-at-rest.md "Ledger"):
 * what the ledger looks events up by, as HMAC-SHA-256 (RFC 2104) under the case's address key
 * (src/keys/case-keys.ts), so that the file says nothing of it to whoever holds the disk:
 *
 *     action_tag  = HMAC(addressKey, "action:" || action)               every event
 *     content_tag = HMAC(addressKey, "sha256:" || hex SHA-256)          an ingest event
 *     source_tag  = HMAC(addressKey, "source:" || source path)          an ingest or presented-again
 *                                                                       event with a source path
 *
 * The same key makes the vault's keyed addresses (src/vault/sealed-objects.ts), over a digest's 32
 * raw bytes: every tag is over a text that begins with its kind's name, so that a tag could equal
 * an address only if a SHA-256 digest equalled such a text, which nobody can make happen.
 */
import {createHmac} from 'node:crypto'
import {CustodyError} from '../errors.js'
import type {CustodyEvent, EventAction} from '../formats/events.js'
import {TAG_SIZE} from './schema.js'

/** The tags of one event, as its row stores them. */
export interface EventTags {
  action: Buffer
  content: Buffer | null
  source: Buffer | null
}

/** A copy of the address key, that makes the ledger's tags. */
export class TagKey {
  private readonly key: Buffer

  constructor(addressKey: Uint8Array) {
    if (addressKey.length !== TAG_SIZE) throw new CustodyError('KEY_UNREADABLE', `expected an address key of ${TAG_SIZE} bytes, got ${addressKey.length}`)
    // Its own copy: the callers wipe theirs once they are done with them.
    this.key = Buffer.from(addressKey)
  }

  private tag(text: string): Buffer {
    return createHmac('sha256', this.key).update(text, 'utf8').digest()
  }

  action(action: EventAction): Buffer {
    return this.tag(`action:${action}`)
  }

  content(sha256: string): Buffer {
    return this.tag(`sha256:${sha256}`)
  }

  source(path: string): Buffer {
    return this.tag(`source:${path}`)
  }

  /** The tags an event's row is written with. */
  of(event: CustodyEvent): EventTags {
    const content = event.action === 'ingest' ? this.content(event.payload.digests.sha256) : null
    const path = event.action === 'ingest' || event.action === 'presented-again' ? event.payload.file.path : null
    return {action: this.action(event.action), content, source: path === null ? null : this.source(path)}
  }

  /** Overwrites the copy: nothing can be tagged with it afterwards. */
  wipe(): void {
    this.key.fill(0)
  }
}
