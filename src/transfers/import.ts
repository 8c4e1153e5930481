/**
 * The receiving case numbers what it received (docs/design/transfers.md "Accept", step 4): each
 * exhibit of a verified transfer package becomes an exhibit of this case, with this case's ID, and
 * keeps its sender's ID. The sender's ledger is never copied: the kept package holds it. What this
 * case records of each is an `ingest` event, as for a file it took in itself, with `received`
 * naming the sender's case, exhibit and ingest event and the transfer: so that showing, listing,
 * sealing, reporting and verifying a received exhibit are what they are for any other, and its
 * file, collection, note and metadata are the sender's (its ingest event, verified in the package).
 *
 * Only bytes the archive verifier has checked are taken: each original is copied into the vault as
 * the verifier reads and hashes it (StagedAhead), and taken only if the digests of those very bytes
 * are the item's; else it is read again out of the package (its chunks authenticated by the age
 * reader) and must hash to the digests verified, or nothing of it is kept. It is stored as ingest
 * stores a file, encrypted to this case's keys in an encrypted vault, and never written in clear.
 * Content this case already holds as an exhibit is not stored again: the item is received as that
 * exhibit.
 */
import type {Case} from '../case/case.js'
import {CustodyError, messageOf} from '../errors.js'
import type {CustodyEventDraft, EventOfKind, IngestPayload, ReceivedItem, TransferItem} from '../formats/events.js'
import {formatExhibitId} from '../formats/ids.js'
import type {ReadAhead} from '../io/read-ahead.js'
import {sha256Hex} from '../hashing/digests.js'
import {quietly} from '../hashing/pump.js'
import type {LedgerView} from '../ledger/ledger.js'
import {BAG_LIMITS, EVENTS_PATH, STATEMENT_PATH} from '../seal/bag-layout.js'
import type {ChunkStaged} from '../vault/vault.js'
import type {ChunkKeeper, ReadDigest} from '../hashing/read-digests.js'
import {mayBeOriginal, parseSealedExhibit, type SealedExhibit} from '../seal/statement.js'
import type {BagFile} from '../verify/archive/bag-index.js'
import type {ArchiveContext} from '../verify/archive/context.js'
import {parseEventLine} from '../verify/archive/events.js'
import {readStatement} from '../verify/archive/statement-reader.js'

/** The pieces an original is copied out of a package in. */
const COPY_CHUNK = 1024 * 1024
/** Copies read ahead that may still be finishing (sealed, written, made durable) beside the next one. */
const COPIES_BESIDE = 3
/** Originals copied at once as a package is verified (StagedAhead). */
const COPIES_ALONG = 8
/** Metadata records stored at once: each is made durable on its own (its file, then its folder), most of its time a wait for the disk. */
const RECORDS_AT_ONCE = 8

/** An item of the package as its sender recorded it: its digests, its files in the bag (original, metadata record) and the sender's ingest event. */
export interface SenderExhibit {
  item: TransferItem
  files: {original: string; record: string}
  ingest: {seq: number; payload: IngestPayload}
}

/**
 * How the plaintext of a bag's file is read out of a verified package: a seal's files are the
 * plaintext (the age file around the ZIP is opened by the reader); a field package's objects are
 * age files of their own, decrypted as they are read (field-accept.ts).
 */
export interface PackageReader {
  /** The file's plaintext in pieces of about a MiB, each authenticated before it is given. */
  chunks(path: string): AsyncIterable<Buffer>
  /** A small file's plaintext, refused past `limit` bytes. */
  small(path: string, limit: number): Promise<Buffer>
  /**
   * The files at `paths`, read one after the other ahead of their copies, in shared memory; or
   * undefined where they cannot be read so (then each is read with chunks()).
   */
  inOrder?(paths: readonly string[]): ReadAhead | undefined
}

/** A file of a verified package's bag, which must be there. */
export function bagFileOf(context: ArchiveContext, path: string, file: string): BagFile {
  const entry = context.files.get(path)
  if (entry === undefined) throw new CustodyError('INTEGRITY', `${file}: ${path} is not in the package`, {subject: file})
  return entry
}

/** A seal's files, read as they are (`file` names the package in errors). */
export function sealReader(context: ArchiveContext, file: string): PackageReader {
  return {
    // A MiB at a time: each read of a package is a wait (and a decryption) of its own.
    chunks: (path) => context.source.chunks(bagFileOf(context, path, file).info, undefined, COPY_CHUNK),
    small: async (path, limit) => {
      const entry = bagFileOf(context, path, file)
      return context.source.readSmall(entry.info, limit, entry.sha256)
    },
    inOrder: (paths) => {
      const entries = paths.map((path) => bagFileOf(context, path, file))
      return context.source.readAhead(
        entries.map((entry) => entry.info),
        // What the age reader refuses (a chunk that does not authenticate) says so itself.
        (index, error) => (error instanceof CustodyError ? error : new CustodyError('INTEGRITY', `${file}: ${paths[index]!} cannot be read again as it was verified (${messageOf(error)})`, {subject: file})),
      )
    },
  }
}

/**
 * The originals a package's verification staged as it read them (VerifyArchiveOptions.keep: the
 * digest pass gives each file under a seal's originals' folders to a copy in the vault as it
 * hashes it), by their paths in the bag: so that accept reads, decrypts and hashes each original
 * once. stageItems takes the copy of an item whose path and digests are the item's; discardRest()
 * removes every copy not taken (all of them, when the package is refused). Nothing here is
 * committed: a copy is a temp file of the vault until commitStaged(). Nothing is copied until
 * allow(): accept allows it for a package whose statement, read before the digest pass, it would
 * accept (a stranger's package is refused after its verification with nothing copied).
 */
export class StagedAhead {
  private readonly copies = new Map<string, Promise<ChunkStaged | undefined>>()
  private allowed = false
  /** Copies being made (opened, not yet durable or dropped), at most COPIES_ALONG. */
  private making = 0
  /** Copies waiting for one being made to end: each is handed its place. */
  private readonly waiting: Array<() => void> = []

  constructor(
    private readonly vault: Case['vault'],
    private readonly file: string,
  ) {}

  /**
   * The keeper of the bag's file at `path` (of `size` bytes), if it may be an original: its copy,
   * made as it is hashed. A copy waits to be opened while COPIES_ALONG are being made, and its
   * first chunk with it: so the verifier reads no faster than the copies are made, and their
   * memory (each one's file, and its sealer's memory on the worker) stays bounded.
   */
  readonly keep = (path: string, size: number): ChunkKeeper | undefined => {
    if (!this.allowed || !mayBeOriginal(path) || this.copies.has(path)) return undefined
    const opened = this.place().then(() => this.vault.stageAlong(`${this.file}: ${path}`, size))
    let ended!: (result: ReadDigest | {error: string}) => void
    const end = new Promise<ReadDigest | {error: string}>((resolve) => (ended = resolve))
    const copy = opened.then(async (along) => {
      const result = await end
      if ('error' in result) {
        await along.drop()
        return undefined
      }

      // Made durable before it is handed over (so before anything commits it).
      return along.finish(result)
    })
    // A copy that failed is said when it is taken (stageItems), and not at all when the package is refused.
    this.copies.set(path, quietly(copy.finally(() => this.leave())))
    return {
      // Never rejects: a chunk the copy could not take fails the copy's finish().
      take: (bytes) => opened.then((along) => along.take(bytes)).catch(() => undefined),
      end: ended,
    }
  }

  /** From now on, the originals are copied as they are hashed. */
  allow(): void {
    this.allowed = true
  }

  /** A place among the copies being made, once there is one. */
  private async place(): Promise<void> {
    if (this.making < COPIES_ALONG) {
      this.making++
      return
    }

    await new Promise<void>((resolve) => this.waiting.push(resolve))
  }

  /** A copy ended (made durable, dropped, or failed): its place goes to the next waiting, if any. */
  private leave(): void {
    const next = this.waiting.shift()
    if (next === undefined) this.making--
    else next()
  }

  /** The copy of the item whose original is at `path`, if one was made of its bytes (the digests verified). */
  async take(path: string, item: TransferItem): Promise<ChunkStaged | undefined> {
    const copy = this.copies.get(path)
    if (copy === undefined) return undefined
    this.copies.delete(path)
    const staged = await copy
    if (staged === undefined) return undefined
    if (staged.size === item.size && staged.digests.sha256 === item.sha256 && staged.digests.sha512 === item.sha512) return staged
    await this.vault.discard(staged)
    return undefined
  }

  /** Removes every copy not taken, once none is being made. */
  async discardRest(): Promise<void> {
    const rest = [...this.copies.values()]
    this.copies.clear()
    for (const copy of await Promise.allSettled(rest)) if (copy.status === 'fulfilled' && copy.value !== undefined) await this.vault.discard(copy.value)
  }
}

/** An item made ready to record: already an exhibit here (`existing`), or its original and record stored. */
export interface StagedItem {
  sender: SenderExhibit
  existing?: string
  original?: ChunkStaged
  record?: Awaited<ReturnType<Case['vault']['putBytes']>>
}

/** What the package brought: the items this case can number, and those it keeps in the package only (no ingest event of the sender's: testimony). */
export interface PackageExhibits {
  exhibits: SenderExhibit[]
  packageOnly: TransferItem[]
}

/** The items' stated exhibits and the sender's ingest events of them, read out of the verified package. */
export async function readSenderExhibits(context: ArchiveContext, items: readonly TransferItem[]): Promise<PackageExhibits> {
  const wanted = new Map(items.map((i) => [i.exhibit, i]))
  const stated = new Map<string, SealedExhibit>()
  const statement = context.files.get(STATEMENT_PATH)
  const events = context.files.get(EVENTS_PATH)
  if (statement === undefined || events === undefined) throw new CustodyError('INTEGRITY', `${context.path} holds no seal statement or no events`, {subject: context.path})
  await readStatement(
    context.source.chunks(statement.info),
    (value) => {
      const x = parseSealedExhibit(value)
      if (!('problem' in x) && wanted.has(x.exhibit)) stated.set(x.exhibit, x)
    },
    {element: BAG_LIMITS.statementExhibit, rest: BAG_LIMITS.statementRest},
  )
  const ingests = new Map<string, SenderExhibit['ingest']>()
  for await (const line of context.source.lines(events.info, BAG_LIMITS.eventLine)) {
    const read = parseEventLine(line, EVENTS_PATH)
    if (!('parsed' in read) || !('event' in read.parsed)) continue
    const {event} = read.parsed
    if (event.action === 'ingest' && event.exhibit !== null && wanted.has(event.exhibit)) ingests.set(event.exhibit, {seq: event.seq, payload: (event as EventOfKind<'ingest'>).payload})
  }

  const exhibits: SenderExhibit[] = []
  const packageOnly: TransferItem[] = []
  for (const item of items) {
    const x = stated.get(item.exhibit)
    const ingest = ingests.get(item.exhibit)
    if (x === undefined || ingest === undefined) {
      packageOnly.push(item)
      continue
    }

    const d = ingest.payload.digests
    if (d.sha256 !== item.sha256 || d.sha512 !== item.sha512 || ingest.payload.size !== item.size) {
      throw new CustodyError('INTEGRITY', `${context.path}: the sender's ingest event ${ingest.seq} of ${item.exhibit} does not give the digests its transfer statement does`, {subject: context.path})
    }

    exhibits.push({item, files: {original: x.path, record: x.metadataPath}, ingest})
  }

  return {exhibits, packageOnly}
}

/**
 * Stores each item's original and metadata record in the vault (staged originals, for commit()),
 * unless this case holds its content already: an original staged as the package was verified
 * (`early`) is taken, any other read again out of the package.
 */
export async function stageItems(kase: Case, exhibits: readonly SenderExhibit[], file: string, reader: PackageReader, early?: StagedAhead): Promise<StagedItem[]> {
  const staged: StagedItem[] = exhibits.map((sender) => {
    const existing = kase.ledger.exhibitBySha256(sender.item.sha256)
    return existing === undefined ? {sender} : {sender, existing}
  })
  const toStore = staged.filter((item) => item.existing === undefined)
  const copied: StagedItem[] = []
  // Copies read ahead still being sealed, written and made durable, beside the next ones: a copy's
  // last chunks and fsync no longer hold up the next copy (a package of many small files).
  const finishing: Array<Promise<void>> = []
  let ahead: ReadAhead | undefined
  try {
    for (const item of toStore) {
      const original = await early?.take(item.sender.files.original, item.sender.item)
      if (original === undefined) copied.push(item)
      else item.original = original
    }

    // The originals to copy, read ahead of the copies, in the order they are copied.
    ahead = copied.length === 0 ? undefined : reader.inOrder?.(copied.map((item) => item.sender.files.original))
    for (const [index, item] of copied.entries()) {
      const {sender} = item
      const subject = `${file}: ${sender.files.original}`
      // Refused unless the bytes hash to the item's SHA-256, SHA-512 and size (stageChunks).
      if (ahead === undefined) {
        item.original = await kase.vault.stageChunks(reader.chunks(sender.files.original), {...sender.item}, subject)
      } else {
        let taken!: () => void
        const allTaken = new Promise<void>((resolve) => (taken = resolve))
        const staging = kase.vault.stageShared(ahead.chunksOf(index), {...sender.item}, subject, taken).then(async (original) => {
          item.original = original
          await kase.vault.syncStaged(original)
        })
        finishing.push(quietly(staging))
        // The reader is this copy's until every chunk of it is taken (or it failed).
        await Promise.race([allTaken, staging])
        if (finishing.length > COPIES_BESIDE) await finishing.shift()
      }
    }

    await eachAtOnce(toStore, RECORDS_AT_ONCE, async (item) => {
      const {sender} = item
      const bytes = await reader.small(sender.files.record, BAG_LIMITS.statementRest)
      if (sha256Hex(bytes) !== sender.ingest.payload.metadata.record) throw new CustodyError('INTEGRITY', `${file}: ${sender.files.record} is not the metadata record ${sender.item.exhibit}'s ingest event names`, {subject: file})
      item.record = await kase.vault.putBytes(bytes)
    })

    // Every copy is on the disk before anything commits or records it.
    await Promise.all(finishing)
  } catch (error) {
    // Nothing is left writing when the staged copies are discarded (a copy that ended is set on its item).
    await Promise.allSettled(finishing)
    await discardStaged(kase, staged)
    throw error
  } finally {
    await ahead?.close()
  }

  return staged
}

/**
 * Runs `task` on every item, `width` at a time. After a failure no task starts; the first failure
 * is thrown once the tasks running have ended.
 */
async function eachAtOnce<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failed: {error: unknown} | undefined
  const lane = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const item = items[next++]!
      await task(item).catch((error: unknown) => {
        failed ??= {error}
      })
    }
  }

  await Promise.all(Array.from({length: Math.min(width, items.length)}, lane))
  if (failed !== undefined) throw failed.error
}

/** Drops the staged originals not yet committed (a refusal after staging). */
export async function discardStaged(kase: Case, staged: readonly StagedItem[]): Promise<void> {
  for (const item of staged) if (item.original !== undefined) await kase.vault.discard(item.original)
}

/** Moves the staged originals to their addresses (an encrypted object already there stays, and is what the event records). */
export async function commitStaged(kase: Case, staged: readonly StagedItem[]): Promise<void> {
  for (const item of staged) if (item.original !== undefined) await kase.vault.commit(item.original)
}

/**
 * The exhibit IDs the items get in this case, as the ledger (`view`) stands: an existing exhibit's
 * (content this case holds, perhaps taken in since it was staged), else the next numbers, one per
 * content; `fresh` says which are new exhibits, whose ingest events are to be written.
 */
export function planIds(kase: Case, view: LedgerView, staged: readonly StagedItem[]): {ids: string[]; fresh: boolean[]} {
  let n = view.lastExhibitNumber()
  const bySha = new Map<string, string>()
  const fresh: boolean[] = []
  const ids = staged.map((s) => {
    const sha = s.sender.item.sha256
    const known = s.existing ?? bySha.get(sha) ?? view.exhibitBySha256(sha)
    const id = known ?? formatExhibitId(kase.info.prefix, ++n)
    fresh.push(known === undefined)
    bySha.set(sha, id)
    return id
  })
  return {ids, fresh}
}

/** The items as received: each with the ID this case gave it; the items kept in the package only without one. */
export function receivedItems(items: readonly TransferItem[], staged: readonly StagedItem[], ids: readonly string[]): ReceivedItem[] {
  const as = new Map(staged.map((s, i) => [s.sender.item.exhibit, ids[i]!]))
  return items.map((i) => {
    const id = as.get(i.exhibit)
    return id === undefined ? {...i} : {...i, receivedAs: id}
  })
}

/** The ingest events of the items that are new exhibits here (as `plan` numbers them), the sender's facts with this case's storage. */
export function receivedDrafts(kase: Case, staged: readonly StagedItem[], plan: {ids: readonly string[]; fresh: readonly boolean[]}, from: {case: string; transferId: string}, actor: string): CustodyEventDraft[] {
  const drafts: CustodyEventDraft[] = []
  staged.forEach((s, i) => {
    const id = plan.ids[i]!
    if (!plan.fresh[i] || s.original === undefined || s.record === undefined) return
    const p = s.sender.ingest.payload
    const vault = kase.vault.recordedPath(p.digests.sha256)
    const stored = s.original.stored === undefined ? {} : {stored: {vault, ...s.original.stored}}
    // The record as this case stores it: the sender's stored form (an address under its keys) is not this vault's.
    const {stored: _senders, ...summary} = p.metadata
    const metadata = s.record.stored === undefined ? summary : {...summary, stored: s.record.stored}
    const payload: IngestPayload = {
      file: p.file,
      digests: p.digests,
      size: p.size,
      vault,
      ...stored,
      collected: p.collected,
      note: p.note,
      metadata,
      received: {case: from.case, exhibit: s.sender.item.exhibit, seq: s.sender.ingest.seq, transferId: from.transferId},
      ...(p.tags === undefined ? {} : {tags: p.tags}),
    }
    drafts.push({actor, action: 'ingest', exhibit: id, payload})
  })
  return drafts
}
