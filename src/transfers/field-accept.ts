/**
 * What `custody transfer accept` reads of a field package (docs/design/transfers.md, "The field
 * package: decided", and "Accepting a field package"), once the archive verifier has checked it
 * whole with this case's identity (src/verify/archive/field-package.ts: every row linked and
 * proven, every body opened and held to its envelope, every object decrypted and held to its
 * ingest event). A field laptop names no digest of the evidence; the receiver computes them:
 *
 *   arrival   the transfer as a receiver records it (accept.ts, `transfer-received` with `sealId`
 *             null): each item's SHA-256, SHA-512 and size from the sender's ingest event, which
 *             the verifier opened and held to the decrypted original
 *   exhibits  each item's files in the bag (its objects as the sender stores them: age files)
 *   reader    those files decrypted as they are read, for the vault to store under this case's keys
 *
 * Items that are a testimony's statement or attachment stay in the kept package only (as a
 * seal's testimony items do): a witness's consent governs them, and this case takes in no
 * testimony yet.
 */
import {decryptChunks} from '../age/decrypt.js'
import type {AgeIdentity} from '../age/x25519.js'
import {CustodyError} from '../errors.js'
import type {TransferItem} from '../formats/events.js'
import type {ArchiveContext} from '../verify/archive/context.js'
import {readSmallText} from '../verify/archive/context.js'
import type {FieldPackageState} from '../verify/archive/field-state.js'
import {FIELD_PACKAGE_FILES} from './field-layout.js'
import {packagePathOf, type FieldTransferStatement} from './field-statement.js'
import {bagFileOf, type PackageReader, type SenderExhibit} from './import.js'
import type {Arrival} from './incoming.js'

/** The pieces an object is decrypted in. */
const COPY_CHUNK = 1024 * 1024

/** What a verified field package gives the receiver. */
export interface FieldArrival {
  arrival: Arrival
  statement: FieldTransferStatement
  /** checkpoint.json as the sender signed it: the receipt cosigns these bytes. */
  checkpoint: string
  /** The items this case takes in, with their files in the bag. */
  exhibits: SenderExhibit[]
  /** Testimony items: kept in the package only. */
  packageOnly: TransferItem[]
  state: FieldPackageState
}

/** The field package the verifier checked (its state in `context.field`), as a receiver takes it in; `file` names it in errors. */
export async function fieldArrival(context: ArchiveContext, file: string): Promise<FieldArrival> {
  const state = context.field
  const statement = state?.statement
  const checkpoint = await readSmallText(context, FIELD_PACKAGE_FILES.checkpoint)
  if (state === undefined || statement === undefined || checkpoint === undefined) throw new CustodyError('INTEGRITY', `${file} is not a field package that verified`, {subject: file})
  const exhibits: SenderExhibit[] = []
  const packageOnly: TransferItem[] = []
  const items: TransferItem[] = statement.items.map((item) => {
    const ingest = state.ingests.get(item.seq)
    // The verifier refuses a package whose items' ingest events do not open with the identity given.
    if (ingest === undefined) throw new CustodyError('INTEGRITY', `${file}: ${item.exhibit}'s ingest event (event ${item.seq}) was not opened`, {subject: file})
    const {digests, size} = ingest.payload
    const stated: TransferItem = {exhibit: item.exhibit, sha256: digests.sha256, sha512: digests.sha512, size}
    const [original, record] = item.objects
    if (state.testimony.has(item.exhibit)) {
      packageOnly.push(stated)
    } else if (original === undefined || record === undefined) {
      throw new CustodyError('INTEGRITY', `${file}: ${item.exhibit} comes without its metadata record, which its ingest event names (${ingest.payload.metadata.record}); ask the sender to send it again with a current custody`, {subject: file})
    } else {
      exhibits.push({item: stated, files: {original: packagePathOf(original.vault), record: packagePathOf(record.vault)}, ingest: {seq: ingest.seq, payload: ingest.payload}})
    }

    return stated
  })
  const arrival: Arrival = {transferId: statement.transferId, sealId: null, from: statement.from, releasedAt: statement.releasedAt, purpose: statement.purpose, items}
  return {arrival, statement, checkpoint, exhibits, packageOnly, state}
}

/** A field package's objects, decrypted with the identities that opened it as they are read. */
export function fieldReader(context: ArchiveContext, file: string, identities: readonly AgeIdentity[]): PackageReader {
  const chunks = (path: string): AsyncIterable<Buffer> => decryptChunks(context.source.chunks(bagFileOf(context, path, file).info, undefined, COPY_CHUNK), identities, {object: path})
  return {
    chunks,
    async small(path, limit) {
      const pieces: Buffer[] = []
      let size = 0
      for await (const piece of chunks(path)) {
        size += piece.length
        if (size > limit) throw new CustodyError('INTEGRITY', `${file}: ${path} is larger than any metadata record custody writes`, {subject: file})
        pieces.push(piece)
      }

      return Buffer.concat(pieces)
    },
  }
}
