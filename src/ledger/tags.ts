/**
 * The keyed tags of a schema-3 ledger (schema.ts; docs/design/encryption-at-rest.md "Ledger"):
 * what the ledger looks events up by, as HMAC-SHA-256 (RFC 2104) under the case's address key
 * (src/keys/case-keys.ts), so that the file says nothing of it to whoever holds the disk:
 *
 *     action_tag  = HMAC(addressKey, "action:" || action)               every event
 *     content_tag = HMAC(addressKey, "sha256:" || hex SHA-256)          an ingest event
 *     source_tag  = HMAC(addressKey, "source:" || source path)          an ingest or presented-again
 *                                                                       event with a source path
 *     file_tag    = HMAC(addressKey, "file:" || JCS [path, size,        such an event of a batch
 *                                    modification time])                (schema 4 only)
 *     batch_tag   = HMAC(addressKey, "batch:" || batch ID)              every event of a batch
 *                                                                       (schema 4 only)
 *     witness     = HMAC(addressKey, "witness:" || the witness code,    a testimony event (schema 4
 *                                    lower case)                        only; in the envelope, no column)
 *
 * The last two let a batch run again in a case whose bodies it cannot open (a field case, or any
 * write-only run of schema 4) find its earlier runs and the files they took in, unchanged, without
 * reading a body (src/ingest/ingest.ts, resumeByTags). Schema 3 has no column for them. The
 * witness tag lets a field case find a testimony by its witness code, to record a withdrawal of
 * consent where the testimony itself cannot be read (src/testimony/change-consent.ts); testimonies
 * are few, found by their action tag, so it needs no column of its own.
 *
 * The same key makes the vault's keyed addresses (src/vault/sealed-objects.ts), over a digest's 32
 * raw bytes: every tag is over a text that begins with its kind's name, so that a tag could equal
 * an address only if a SHA-256 digest equalled such a text, which nobody can make happen.
 */
import {createHmac} from 'node:crypto'
import {canonicalize} from '../canonical/jcs.js'
import {CustodyError} from '../errors.js'
import type {CustodyEvent, EventAction} from '../formats/events.js'
import {TAG_SIZE} from './schema.js'

/** The tags of one event, as its row stores them. */
export interface EventTags {
  action: Buffer
  content: Buffer | null
  source: Buffer | null
  file: Buffer | null
  batch: Buffer | null
  /** Held by the envelope only: no column. */
  witness: Buffer | null
}

/** The names of the tags, as an envelope's `tags` and the columns (`<name>_tag`) hold them. */
export type TagName = keyof EventTags

/** The batch an event is part of, if any: the batch events, and the events of a batch's files. */
function batchOf(event: CustodyEvent): string | null {
  const batch: unknown = 'batch' in event.payload ? event.payload.batch : undefined
  return typeof batch === 'string' ? batch : null
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

  /**
   * A file as a batch took it in: its source path, size and modification time, which a run of the
   * same batch finds unchanged without reading it (canonical JSON, so that no path can be made to
   * read as another path, size and time).
   */
  file(path: string, size: number, modifiedAt: string | null): Buffer {
    return this.tag(`file:${canonicalize([path, size, modifiedAt])}`)
  }

  batch(id: string): Buffer {
    return this.tag(`batch:${id}`)
  }

  /** A witness code, in lower case: codes are found whatever their case (W-014 and w-014 are one witness). */
  witness(code: string): Buffer {
    return this.tag(`witness:${code.toLowerCase()}`)
  }

  /**
   * The tags an event's row is written with: all of them, or only those named (a schema-3 store has
   * columns for three, and computes no HMAC it has nowhere to keep).
   */
  of(event: CustodyEvent, only?: readonly TagName[]): EventTags {
    const wanted = (name: TagName): boolean => only === undefined || only.includes(name)
    const content = wanted('content') && event.action === 'ingest' ? this.content(event.payload.digests.sha256) : null
    const taken = event.action === 'ingest' || event.action === 'presented-again' ? event.payload : null
    const path = taken === null ? null : taken.file.path
    const batch = wanted('batch') || wanted('file') ? batchOf(event) : null
    const file = !wanted('file') || taken === null || path === null || batch === null ? null : this.file(path, taken.size, taken.file.modifiedAt)
    const witness = wanted('witness') && event.action === 'testimony' ? this.witness(event.payload.witness) : null
    return {
      action: this.action(event.action),
      content,
      source: wanted('source') && path !== null ? this.source(path) : null,
      file,
      batch: wanted('batch') && batch !== null ? this.batch(batch) : null,
      witness,
    }
  }

  /** Overwrites the copy: nothing can be tagged with it afterwards. */
  wipe(): void {
    this.key.fill(0)
  }
}
