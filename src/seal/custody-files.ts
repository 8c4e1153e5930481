/**
 * Step 5 of a seal: the custody files under data/custody/, after the exhibits. The events (with
 * their inclusion proofs), the checkpoint, key, timestamp and earlier-seals files, then the seal
 * statement, written to its scratch file and signed there before it goes into the archive with
 * its signature.
 */
import type {Case} from '../case/case.js'
import {CustodyError} from '../errors.js'
import type {SpillFile} from '../io/spill-file.js'
import {STATEMENT_PATH, STATEMENT_SIGNATURE_PATH, manifestEntryOf, type ManifestEntry} from './bag-layout.js'
import {EntryWriter} from './entry-writer.js'
import type {SealedEvents} from './events-file.js'
import {writeStatement, type SealStatementHead} from './statement.js'
import type {ZipWriter} from '../zip/writer.js'

export interface CustodyFiles {
  events: SealedEvents
  /** The files held whole (proof.ts), in the order they go in. */
  files: ReadonlyArray<[string, Buffer]>
  statement: SealStatementHead
  /** The exhibits, in archive order, for the statement's list. */
  exhibits: () => Iterable<string>
  /** The statement's scratch file. */
  scratch: SpillFile
}

/** Writes the custody files into the bag `bag`; returns their manifest entries and bytes. */
export async function writeCustodyFiles(zip: ZipWriter, kase: Case, bag: string, custody: CustodyFiles, interrupted: () => Error | undefined): Promise<{entries: ManifestEntry[]; bytes: number}> {
  const {events, scratch} = custody
  const statement = await writeStatement(kase, custody.statement, custody.exhibits(), scratch, interrupted)
  await events.writeTo(zip, `${bag}/${events.path}`)
  const entries: ManifestEntry[] = [{path: events.path, sha256: events.sha256, sha512: events.sha512}]
  let bytes = events.size
  for (const [path, content] of custody.files) {
    await zip.addBytes(`${bag}/${path}`, content)
    entries.push(manifestEntryOf(path, content))
    bytes += content.length
  }

  const changed = (): CustodyError => new CustodyError('INTEGRITY', `the seal statement's scratch file ${scratch.path} changed while sealing; nothing was sealed`)
  const signature = await kase.signer().signStreamed(() => scratch.chunks(), statement.sha256)
  const out = await EntryWriter.start(zip, `${bag}/${STATEMENT_PATH}`, scratch.size, changed)
  for await (const chunk of scratch.chunks()) await out.write(chunk)
  if ((await out.end()).sha256 !== statement.sha256) throw changed()
  entries.push({path: STATEMENT_PATH, ...statement})
  await zip.addBytes(`${bag}/${STATEMENT_SIGNATURE_PATH}`, signature)
  entries.push(manifestEntryOf(STATEMENT_SIGNATURE_PATH, signature))
  bytes += scratch.size + signature.length
  return {entries, bytes}
}
