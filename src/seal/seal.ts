/**
 * Sealing: exhibits, their metadata records and their custody events packed into one ZIP that holds
 * one BagIt 1.0 bag (RFC 8493), for a court. The steps:
 *
 *   1. choose   the exhibits (all when none are named; a named testimony brings its statement
 *               versions and attachments), leave out testimony whose witness has not consented
 *               to the --purpose (consent-filter.ts), and check that the ledger still holds its
 *               recorded tree head
 *   2. prove    take the latest signed checkpoint of the ledger, and an RFC 9162 inclusion proof
 *               against it of each event that goes in (event 0, which names the case, the key
 *               and restore-accepted events, and every event of the exhibits); gather the
 *               checkpoint, its signature, the investigator's public key and the newest timestamp
 *               tokens (trust-files.ts), and a consistency proof from each earlier seal's tree
 *               head (earlier-seals.ts)
 *   3. payload  stream each original from the vault into the ZIP while hashing it again (a vault
 *               file that no longer matches its ledger SHA-256 stops the seal), then its metadata
 *               record, the events (JSON Lines), the checkpoint and timestamp files, and the seal
 *               statement with its signature
 *   4. tags     bagit.txt, bag-info.txt, both payload manifests, README.txt, both tag manifests
 *   5. record   fsync the ZIP (written beside --out under a temp name), then append a `seal` event
 *               (the archive, its SHA-256, purpose, note, how many exhibits), followed by
 *               `sealed-exhibits` events that list the exhibits, 1,000 an event
 *   6. publish  link (or with --force rename) the ZIP into place at --out
 *
 * Record first, then publish: no archive is ever at --out without the event that records it. A
 * note in `.custody/seals/` (seal-intent.ts), written before the first file beside --out, lets the
 * next seal or `custody status` remove what a killed seal left, and know a seal recorded but not
 * published, which `custody seal --finish` publishes (leftovers.ts).
 *
 * The archive depends only on the case state, the exhibits and the seal time: the same three give
 * the same bytes.
 *
 * Memory does not grow with the number of exhibits: their IDs are kept in a scratch database
 * (choice.ts), they are looked up in the ledger one at a time, in the order of their folders (the
 * manifests' order), and what grows with them (the manifests' lines, the statement, the ZIP's
 * central directory, the large levels of the Merkle tree) goes to scratch files beside the
 * archive. The seal ID's hash and the ledger's record of the seal are made from the IDs as they
 * are read back.
 */
import {createHash} from 'node:crypto'
import {closeSync, existsSync, openSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {basename, dirname, resolve} from 'node:path'
import {bytesToHex} from '@noble/hashes/utils.js'
import type {Case} from '../case/case.js'
import {canonicalWithList, jsonWithList} from '../render/json-lines.js'
import {CustodyError, messageOf} from '../errors.js'
import {getExhibit} from '../exhibits/exhibits.js'
import {MerkleTree, type TreeFile} from '../merkle/tree.js'
import {parseCheckpoint, type SignedCheckpoint} from '../checkpoints/checkpoint.js'
import {trustFiles, type SealTrust} from './trust-files.js'
import {EARLIER_SEALS_PATH, earlierSeals, earlierSealsText, type EarlierSealsStatement} from './earlier-seals.js'
import {selectByConsent, type ConsentSelection, type LeftOut} from '../testimony/consent-filter.js'
import {SealChoice} from './choice.js'
import {resolveExhibitOrWitness} from '../testimony/testimonies.js'
import type {Interview} from '../testimony/record.js'
import {CUSTODY_VERSION} from '../version.js'
import {BAGIT_TXT, manifest, safeFileName, type ManifestEntry} from './bagit.js'
import {BAGIT_PATH, BAG_INFO_PATH, README_PATH, STATEMENT_PATH, sealBagInfo} from './bag-layout.js'
import {bagReadme} from './readme.js'
import {ZipWriter, type ZipEntry} from './zip-writer.js'
import {SpillFile} from '../io/spill-file.js'
import {fsyncFolder} from '../io/files.js'
import {tidySeals, type SealLeftovers} from './leftovers.js'
import {publishArchive} from './publish.js'
import {SealIntent} from './seal-intent.js'
import {ReadAhead, type ReadChunk, type ReadSource} from '../io/read-ahead.js'
import {HashWorker, WORKER_HASH_BYTES} from '../hashing/hash-worker.js'
import {CHUNK_SIZE} from '../hashing/digests.js'
import type {EventDraft, StoredEvent} from '../ledger/event.js'
import type {Ledger} from '../ledger/ledger.js'

/**
 * Events of the whole case that every archive carries, beside the first: the keys that sign, and
 * every older copy put back on purpose (accept-restore.ts), which a court must be told of.
 */
const CASE_EVENTS: ReadonlySet<string> = new Set(['key-created', 'key-rotated', 'restore-accepted'])

/** Exhibit IDs a `sealed-exhibits` event lists. */
export const SEALED_EXHIBITS_PER_EVENT = 1000

export interface SealOptions {
  exhibits: readonly string[]
  out: string
  purpose?: string | undefined
  note?: string | undefined
  force?: boolean
  /** ISO 8601; default now. The same case, exhibits and time give a byte-identical archive. */
  sealedAt?: string | undefined
  actor?: string | undefined
  cwd?: string
  /** Ctrl-C: stop, remove the partial archive, record nothing; once the seal is being recorded it is finished instead. */
  signal?: AbortSignal
  /**
   * Called as the seal starts to be recorded, its release once the archive is published: a
   * second Ctrl-C in between must not end the process (see interruptible() in commands/_base.ts).
   */
  hold?: () => () => void
  onProgress?: (done: number, total: number) => void
}

export interface SealedExhibit {
  exhibit: string
  originalName: string
  path: string
  metadataPath: string
  sha256: string
  sha512: string
  size: number
  metadataRecord: string
}

export interface SealStatement {
  type: 'custody-seal'
  version: 1
  sealId: string
  case: {id: string; title: string; organisation: string | null; investigator: string}
  sealer: string
  sealedAt: string
  purpose: string | null
  note: string | null
  treeHead: {size: number; root: string}
  /** The signed checkpoint the tree head comes from, the key, and the trusted time (trust-files.ts). */
  checkpoint: SealTrust['checkpoint']
  key: SealTrust['key']
  timestamp: SealTrust['timestamp']
  /** The events file: how many events, and its SHA-256, so that none can be left out unseen. */
  events: {path: string; count: number; sha256: string}
  /** README.txt's SHA-256: a tag file, which the manifests alone would let anyone rewrite. */
  readme: {path: string; sha256: string}
  /** The seals the ledger had recorded, each proven a prefix of this one (earlier-seals.ts); null when there were none. */
  earlierSeals: EarlierSealsStatement | null
  exhibits: SealedExhibit[]
  /** The testimonies sealed: the open record only, with the commitment to the protected identity. */
  testimonies: SealedTestimony[]
  custodyVersion: string
}

export interface SealedTestimony {
  exhibit: string
  witness: string
  interview: Interview
  vulnerable: boolean
  /** The witness's consent when sealed; it covers the seal's purpose. */
  consent: string[]
  identityCommitment: string | null
  /** Where the witness's name or contact was found (never what): never in an advocacy seal. */
  identifyingContent: string[]
  versions: Array<{version: number; exhibit: string; sha256: string; reason: string | null}>
  attachments: string[]
}

/** The statement without its list of exhibits, which can be long; it is streamed, never held. */
export type SealStatementHead = Omit<SealStatement, 'exhibits'>

export interface SealReport {
  archive: string
  sha256: string
  size: number
  bag: string
  /** How many exhibits were sealed. */
  exhibitCount: number
  /**
   * The statement as sealed. Its exhibits are made from the ledger one at a time as they are
   * iterated, as they were for the statement (so --json never holds them all): iterate them while
   * the case is open.
   */
  statement: SealStatementHead & {exhibits: Iterable<SealedExhibit>}
  /** Exhibits of testimony left out because consent does not cover the purpose. */
  leftOut: LeftOut[]
  seq: number
  /** What earlier seals, killed, had left; removed before this one began (leftovers.ts). */
  leftovers: SealLeftovers
}

function parseSealedAt(value: string | undefined): Date {
  if (value === undefined) return new Date(Math.floor(Date.now() / 1000) * 1000)
  const date = new Date(value)
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(date.getTime())) {
    throw new CustodyError('INVALID_ARGUMENT', `--sealed-at must be an ISO 8601 time with a zone, such as 2024-05-01T09:00:00Z, got ${JSON.stringify(value)}`)
  }

  return date
}

function digestsOf(bytes: Uint8Array): {sha256: string; sha512: string} {
  return {sha256: createHash('sha256').update(bytes).digest('hex'), sha512: createHash('sha512').update(bytes).digest('hex')}
}

/**
 * The sealed events as JSON Lines (data/custody/events.jsonl), each with its inclusion proof:
 * event 0, which names the case, the key events, which name the key that signs, the
 * restore-accepted events, and every event of the sealed exhibits. They are made twice, a page of the ledger at a time, rather than kept:
 * once to measure them (size, digests, count), and once more while they are written into the ZIP,
 * so they are never all in memory.
 */
class SealedEvents {
  readonly path = 'data/custody/events.jsonl'
  readonly size: number
  readonly count: number
  readonly sha256: string
  readonly sha512: string

  constructor(
    private readonly kase: Case,
    private readonly tree: MerkleTree,
    private readonly chosen: SealChoice,
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

  /** Each line, newline included. */
  *lines(): Generator<string> {
    for (const row of this.kase.ledger.rowsBelow(this.tree.size)) {
      const sealed = row.seq === 0 || CASE_EVENTS.has(row.action) || (row.exhibit !== null && this.chosen.has(row.exhibit))
      if (!sealed) continue
      // The canonical JSON (RFC 8785) of {seq, hash, prev, leafHash, inclusionProof, event}, made
      // by hand: its keys in sorted order, and the event as the ledger stores it, which is already
      // its canonical JSON (its hashes are over that text). No event is parsed.
      const proof = this.tree.inclusionProof(row.seq).map((h) => `"${bytesToHex(h)}"`)
      const line = `{"event":${row.event},"hash":"${row.hash}","inclusionProof":[${proof.join(',')}],"leafHash":"${bytesToHex(this.tree.leaf(row.seq))}","prev":"${row.prev}","seq":${row.seq}}`
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

/**
 * A streamed ZIP entry of known size, made of text and byte pieces packed into two 1 MiB buffers,
 * each reused once its write is done; its SHA-256 (and SHA-512 when asked) as written. More or
 * fewer bytes than announced is the `changed` error.
 */
class EntryWriter {
  private readonly buffers = [Buffer.allocUnsafe(CHUNK_SIZE), Buffer.allocUnsafe(CHUNK_SIZE)]
  private readonly free: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()]
  private current = 0
  private filled = 0
  private written = 0
  private readonly h256 = createHash('sha256')
  private readonly h512

  private constructor(
    private readonly zip: ZipWriter,
    private readonly entry: ZipEntry,
    private readonly size: number,
    private readonly changed: () => Error,
    sha512: boolean,
  ) {
    this.h512 = sha512 ? createHash('sha512') : undefined
  }

  static async start(zip: ZipWriter, name: string, size: number, changed: () => Error, options: {sha512?: boolean} = {}): Promise<EntryWriter> {
    return new EntryWriter(zip, await zip.startFile(name, size), size, changed, options.sha512 ?? false)
  }

  async write(data: string | Uint8Array): Promise<void> {
    if (typeof data === 'string' && Buffer.byteLength(data) <= CHUNK_SIZE - this.filled) {
      this.filled += this.buffers[this.current]!.write(data, this.filled)
      return
    }

    const bytes = typeof data === 'string' ? Buffer.from(data) : data
    for (let at = 0; at < bytes.length; ) {
      const n = Math.min(CHUNK_SIZE - this.filled, bytes.length - at)
      this.buffers[this.current]!.set(bytes.subarray(at, at + n), this.filled)
      this.filled += n
      at += n
      if (this.filled === CHUNK_SIZE) await this.flush()
    }
  }

  private async flush(): Promise<void> {
    if (this.filled === 0) return
    const bytes = this.buffers[this.current]!.subarray(0, this.filled)
    if (this.written + bytes.length > this.size) throw this.changed()
    this.written += bytes.length
    this.h256.update(bytes)
    this.h512?.update(bytes)
    let release!: () => void
    this.free[this.current] = new Promise<void>((resolve) => (release = resolve))
    await this.zip.writeChunk(this.entry, bytes, release)
    this.current = 1 - this.current
    this.filled = 0
    await this.free[this.current]
  }

  async end(): Promise<{sha256: string; sha512: string}> {
    await this.flush()
    await Promise.all(this.free)
    if (this.written !== this.size) throw this.changed()
    await this.zip.endFile(this.entry)
    return {sha256: this.h256.digest('hex'), sha512: this.h512?.digest('hex') ?? ''}
  }
}

/**
 * Step 2: the latest signed checkpoint, the Merkle tree of the ledger up to it (which must have the
 * root the checkpoint signed), and the sealed events with their inclusion proofs against it.
 */
function proveEvents(kase: Case, choice: SealChoice, file: TreeFile): {treeHead: {size: number; root: string}; events: SealedEvents; tree: MerkleTree; base: SignedCheckpoint & {treeSize: number}} {
  const latest = kase.ledger.latestCheckpoint()
  const body = latest === undefined ? undefined : parseCheckpoint(latest.body)
  if (latest === undefined || body === undefined || 'problem' in body) {
    throw new CustodyError('INTEGRITY', 'the ledger has no readable signed checkpoint to seal against; nothing was sealed. Run `custody verify`')
  }

  const size = body.treeSize
  const tree = kase.ledger.tree(size, file)
  if (tree.size !== size || bytesToHex(tree.root()) !== body.rootHash) {
    throw new CustodyError('INTEGRITY', `the ledger no longer has the root its checkpoint ${latest.seq} signed; nothing was sealed. Run \`custody verify\``)
  }

  return {treeHead: {size: tree.size, root: bytesToHex(tree.root())}, events: new SealedEvents(kase, tree, choice), tree, base: {...latest, treeSize: size}}
}

/** A release to be called when the chunk is written; the memory goes back once it is hashed too. */
function releaseWhenSettled(hashed: Promise<unknown>, release: () => void): () => void {
  let waiting = 2
  const settled = (): void => {
    if (--waiting === 0) release()
  }

  hashed.then(settled, settled)
  return settled
}

/** What the archive holds of an exhibit, from the ledger; asked for again whenever it is needed. */
function sealedExhibit(kase: Case, id: string): SealedExhibit {
  const x = kase.ledger.exhibitFile(id)
  if (x === undefined) throw new CustodyError('EXHIBIT_NOT_FOUND', `there is no exhibit ${id} in this case; \`custody log\` lists them`, {subject: id})
  const originalName = String(x.name ?? 'file')
  return {
    exhibit: id,
    originalName,
    path: `data/exhibits/${id}/original/${safeFileName(originalName)}`,
    metadataPath: `data/exhibits/${id}/metadata.json`,
    sha256: x.sha256,
    sha512: x.sha512,
    size: x.size,
    metadataRecord: x.record,
  }
}

/**
 * The scratch files of one seal, beside its temporary archive: the two payload manifests' exhibit
 * lines, the statement, and the large levels of the ledger's Merkle tree; and the exhibits chosen.
 * All are removed however the seal ends.
 */
class Scratch {
  private constructor(
    readonly manifest256: SpillFile,
    readonly manifest512: SpillFile,
    readonly statement: SpillFile,
    /** The large levels of the ledger's Merkle tree (MerkleTree.inFile). */
    readonly tree: TreeFile & {path: string},
    /** The exhibits sealed (a scratch database in the system's temp folder). */
    readonly choice: SealChoice,
  ) {}

  static async create(temp: string): Promise<Scratch> {
    const made: SpillFile[] = []
    try {
      for (const suffix of ['manifest-sha256', 'manifest-sha512', 'statement']) made.push(await SpillFile.create(`${temp}.${suffix}`))
      const tree = `${temp}.tree`
      return new Scratch(made[0]!, made[1]!, made[2]!, {fd: openSync(tree, 'wx+', 0o600), path: tree}, new SealChoice())
    } catch (error) {
      await Promise.all(made.map((file) => file.remove()))
      throw error
    }
  }

  async remove(): Promise<void> {
    await Promise.all([this.manifest256.remove(), this.manifest512.remove(), this.statement.remove()])
    this.choice.close()
    try {
      closeSync(this.tree.fd)
    } catch {
      // Closed already: removing twice is harmless, as with the spill files.
    }

    await rm(this.tree.path, {force: true})
  }
}

/**
 * Step 3a: the exhibits, written in archive order: each original, checked against the ledger's
 * SHA-256 as it goes in, then its metadata record. The vault files are read ahead of the writer
 * (ReadAhead), so reading, hashing and writing of different files overlap. The manifest lines of
 * both go to the scratch files.
 */
async function writeExhibits(
  zip: ZipWriter,
  kase: Case,
  bag: string,
  choice: SealChoice,
  scratch: Scratch,
  options: Pick<SealOptions, 'onProgress'> & {interrupted: () => Error | undefined},
): Promise<{bytes: number}> {
  let payloadBytes = 0
  // Two sources an exhibit: its original (which must have the ledger's size), then its record.
  // The reader asks for sources ahead of the loop below, which takes their exhibits in turn.
  const ahead: SealedExhibit[] = []
  /** The exhibit of each source read ahead, until its exhibit is written: for read errors. */
  const exhibitOf = new Map<number, string>()
  function* sources(): Generator<ReadSource> {
    let source = 0
    for (const id of choice.ids()) {
      const x = sealedExhibit(kase, id)
      ahead.push(x)
      exhibitOf.set(source++, id)
      yield {path: kase.vault.objectPath(x.sha256), size: x.size}
      exhibitOf.set(source++, id)
      yield {path: kase.vault.objectPath(x.metadataRecord)}
    }
  }

  const reader = new ReadAhead(
    sources(),
    {
      shared: true,
      readError: (index, error) => {
        const id = exhibitOf.get(index) ?? `source ${index}`
        const what = index % 2 === 0 ? 'its vault file' : 'its metadata record'
        return new CustodyError('INTEGRITY', `${id}: ${what} cannot be read (${messageOf(error)}); nothing was sealed. Run \`custody verify\``, {subject: id})
      },
    },
  )
  /** The next chunk, which must be of `source`. */
  const nextOf = async (source: number): Promise<ReadChunk> => {
    const stop = options.interrupted()
    if (stop !== undefined) throw stop
    const chunk = await reader.next()
    if (chunk?.source !== source) throw new Error(`sealing read source ${chunk?.source ?? 'none'} where ${source} was due`)
    return chunk
  }

  /** Passes each chunk of a source to `take`, in order, from its first. */
  const eachChunk = async (first: ReadChunk, take: (chunk: ReadChunk) => Promise<void>): Promise<void> => {
    for (let chunk = first; ; chunk = await nextOf(first.source)) {
      await take(chunk)
      if (chunk.last) return
    }
  }

  // Each original's SHA-256 is computed on the hash worker, from the shared read buffers, while
  // this thread computes the CRC-32 and the archive's SHA-256; it is compared once it is ready.
  // A small file is hashed here: a message to the worker and back would cost more.
  const checking = new Set<Promise<void>>()
  let mismatch: unknown
  const check = (x: SealedExhibit, found: string): void => {
    if (found !== x.sha256) {
      mismatch ??= new CustodyError(
        'INTEGRITY',
        `${x.exhibit}: its vault file no longer matches the ledger (sha256 ${found}, expected ${x.sha256}); nothing was sealed. Run \`custody verify\``,
        {subject: x.exhibit},
      )
    }
  }

  try {
    for (let i = 0; i < choice.size; i++) {
      // Once the reader has given this exhibit's first chunk, it has taken its sources, and the
      // exhibit is the first of those waiting.
      const first = await nextOf(2 * i)
      const x = ahead.shift()!
      const entry = await zip.startFile(`${bag}/${x.path}`, x.size)
      if (x.size < WORKER_HASH_BYTES) {
        const sha256 = createHash('sha256')
        await eachChunk(first, (chunk) => {
          sha256.update(chunk.bytes)
          return zip.writeChunk(entry, chunk.bytes, chunk.release)
        })
        check(x, sha256.digest('hex'))
      } else {
        const sha256 = HashWorker.shared().job('sha256')
        try {
          await eachChunk(first, (chunk) => {
            const hashed = sha256.update(chunk.shared!.memory, chunk.shared!.offset, chunk.bytes.length)
            return zip.writeChunk(entry, chunk.bytes, releaseWhenSettled(hashed, chunk.release))
          })
        } catch (error) {
          sha256.drop()
          throw error
        }

        const digest: Promise<void> = sha256.digest().then(
          (found) => check(x, found),
          (error: unknown) => void (mismatch ??= error),
        )
        checking.add(digest)
        void digest.then(() => checking.delete(digest))
      }

      await zip.endFile(entry)
      if (mismatch !== undefined) throw mismatch

      const parts: Buffer[] = []
      await eachChunk(await nextOf(2 * i + 1), async (chunk) => {
        parts.push(Buffer.from(chunk.bytes))
        chunk.release()
      })
      const record = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
      const digests = digestsOf(record)
      if (digests.sha256 !== x.metadataRecord) {
        throw new CustodyError('INTEGRITY', `${x.exhibit}: its metadata record no longer matches the ledger; nothing was sealed. Run \`custody verify\``, {subject: x.exhibit})
      }

      await zip.addBytes(`${bag}/${x.metadataPath}`, record)
      // In manifest order: metadata.json sorts before original/.
      await scratch.manifest256.append(`${digests.sha256}  ${x.metadataPath}\n${x.sha256}  ${x.path}\n`)
      // The SHA-256 proves the bytes are the ones ingested; the SHA-512 recorded then goes in the manifest.
      await scratch.manifest512.append(`${digests.sha512}  ${x.metadataPath}\n${x.sha512}  ${x.path}\n`)
      payloadBytes += x.size + record.length
      exhibitOf.delete(2 * i)
      exhibitOf.delete(2 * i + 1)
      options.onProgress?.(i + 1, choice.size)
    }
  } finally {
    await reader.close()
    await Promise.all(checking)
  }

  if (mismatch !== undefined) throw mismatch
  return {bytes: payloadBytes}
}

/**
 * Step 3b: the seal statement, written to its scratch file as JSON.stringify(statement, null, 2)
 * would write it, with its exhibits made one at a time from the ledger; its digests are taken on
 * the way.
 */
async function writeStatement(kase: Case, head: SealStatementHead, ids: Iterable<string>, file: SpillFile, interrupted: () => Error | undefined): Promise<{sha256: string; sha512: string}> {
  const h256 = createHash('sha256')
  const h512 = createHash('sha512')
  for (const piece of jsonWithList(withExhibits(head, []), ['exhibits'], statementExhibits(kase, ids, interrupted))) {
    const line = `${piece}\n`
    h256.update(line)
    h512.update(line)
    await file.append(line)
  }

  return {sha256: h256.digest('hex'), sha512: h512.digest('hex')}
}

/** The statement with its exhibits in their place, before its testimonies. */
function withExhibits<T>(head: SealStatementHead, exhibits: T): SealStatementHead & {exhibits: T} {
  const {testimonies, custodyVersion, ...before} = head
  return {...before, exhibits, testimonies, custodyVersion}
}

/** The statement's exhibits, made from the ledger one at a time; `interrupted` is asked every 1,000. */
function* statementExhibits(kase: Case, ids: Iterable<string>, interrupted: () => Error | undefined = () => undefined): Generator<SealedExhibit> {
  let i = 0
  for (const id of ids) {
    const stop = i++ % 1000 === 0 ? interrupted() : undefined
    if (stop !== undefined) throw stop
    yield sealedExhibit(kase, id)
  }
}

/**
 * Step 3c: the custody files after the exhibits: the events, the checkpoint, key and timestamp
 * files, the statement and its signature. Returns their manifest entries and bytes.
 */
async function writeCustodyFiles(
  zip: ZipWriter,
  kase: Case,
  bag: string,
  events: SealedEvents,
  trust: ReadonlyArray<[string, Buffer]>,
  statement: {file: SpillFile; sha256: string; sha512: string},
): Promise<{entries: ManifestEntry[]; bytes: number}> {
  await events.writeTo(zip, `${bag}/${events.path}`)
  const entries: ManifestEntry[] = [{path: events.path, sha256: events.sha256, sha512: events.sha512}]
  let bytes = events.size
  for (const [path, content] of trust) {
    await zip.addBytes(`${bag}/${path}`, content)
    entries.push({path, ...digestsOf(content)})
    bytes += content.length
  }

  const changed = (): CustodyError => new CustodyError('INTEGRITY', `the seal statement's scratch file ${statement.file.path} changed while sealing; nothing was sealed`)
  const signature = await kase.signer().signStreamed(() => statement.file.chunks(), statement.sha256)
  const out = await EntryWriter.start(zip, `${bag}/${STATEMENT_PATH}`, statement.file.size, changed)
  for await (const chunk of statement.file.chunks()) await out.write(chunk)
  if ((await out.end()).sha256 !== statement.sha256) throw changed()
  entries.push({path: STATEMENT_PATH, sha256: statement.sha256, sha512: statement.sha512})
  await zip.addBytes(`${bag}/${STATEMENT_PATH}.sig`, signature)
  entries.push({path: `${STATEMENT_PATH}.sig`, ...digestsOf(signature)})
  bytes += statement.file.size + signature.length
  return {entries, bytes}
}

/**
 * A payload manifest: the custody files' lines, then the exhibits' lines from their scratch file
 * (all of data/custody/ sorts before data/exhibits/). Returns its digests, for the tag manifests.
 */
async function writeManifest(zip: ZipWriter, bag: string, algorithm: 'sha256' | 'sha512', custody: readonly ManifestEntry[], exhibits: SpillFile): Promise<ManifestEntry> {
  const name = `manifest-${algorithm}.txt`
  const head = manifest(custody, algorithm)
  const changed = (): CustodyError => new CustodyError('INTEGRITY', `the scratch file ${exhibits.path} changed while sealing; nothing was sealed`)
  const out = await EntryWriter.start(zip, `${bag}/${name}`, Buffer.byteLength(head) + exhibits.size, changed, {sha512: true})
  await out.write(head)
  for await (const chunk of exhibits.chunks()) await out.write(chunk)
  return {path: name, ...(await out.end())}
}

/**
 * Step 1: the exhibits to seal (those named, or all), less those a witness's consent keeps out,
 * into `choice`, which gives them back in the order of their folders' paths: the payload is
 * written, and its manifests made, in that order, so the manifest lines come out sorted without
 * being held.
 */
function chooseExhibits(kase: Case, options: SealOptions, choice: SealChoice): ConsentSelection {
  const asked = options.exhibits.length > 0 ? [...new Set(options.exhibits.map((e) => resolveExhibitOrWitness(kase, e)))] : 'all'
  if (asked !== 'all') for (const id of asked) getExhibit(kase, id, {withEvents: false})
  const selection = selectByConsent(kase, asked, options.purpose ?? null, choice)
  if (choice.size === 0 && selection.leftOut.length === 0) throw new CustodyError('INVALID_ARGUMENT', 'the case has no exhibits to seal; ingest some first')
  if (choice.size === 0) {
    throw new CustodyError('CONSENT_REFUSED', `nothing can be sealed: ${selection.leftOut.map((l) => `${l.exhibit}: ${l.reason}`).join('; ')}`)
  }

  return selection
}

/**
 * The seal's identifier: from the RFC 8785 canonical JSON of what identifies it, its exhibits
 * among them, hashed as it is made.
 */
function sealIdOf(identity: {caseId: string; treeHead: {size: number; root: string}; sealedAt: string; purpose: string | null}, exhibits: Iterable<string>): string {
  const hash = createHash('sha256')
  for (const piece of canonicalWithList(identity, ['exhibits'], exhibits)) hash.update(piece)
  return `SEAL-${hash.digest('hex').slice(0, 16)}`
}

/** The `sealed-exhibits` events of a seal: its exhibits in archive order, 1,000 an event. */
export function* exhibitLists(actor: string, sealId: string, exhibits: Iterable<string>): Generator<EventDraft> {
  let list: string[] = []
  let first = 1
  const draft = (): EventDraft => ({actor, action: 'sealed-exhibits', exhibit: null, payload: {sealId, first, exhibits: list}})
  for (const id of exhibits) {
    list.push(id)
    if (list.length === SEALED_EXHIBITS_PER_EVENT) {
      yield draft()
      first += list.length
      list = []
    }
  }

  if (list.length > 0) yield draft()
}

/** The exhibits a seal event's `sealed-exhibits` events list (they follow it), read back from the ledger. */
export function* recordedExhibits(ledger: Ledger, seal: StoredEvent): Generator<string> {
  for (const stored of ledger.eachEvent(seal.event.seq)) {
    if (stored.event.action !== 'sealed-exhibits' || stored.event.payload['sealId'] !== seal.event.payload['sealId']) return
    yield* stored.event.payload['exhibits'] as string[]
  }
}

export async function sealArchive(kase: Case, options: SealOptions): Promise<SealReport> {
  const out = resolve(options.cwd ?? process.cwd(), options.out)
  if (!out.toLowerCase().endsWith('.zip')) {
    throw new CustodyError('INVALID_ARGUMENT', `--out must name a .zip file, got ${JSON.stringify(options.out)}`)
  }

  if (existsSync(out) && !options.force) {
    throw new CustodyError('INVALID_ARGUMENT', `${out} already exists; choose another --out, or add --force to replace it`)
  }

  const sealedAt = parseSealedAt(options.sealedAt)
  const sealer = options.actor?.trim() || kase.info.investigator

  const leftovers = await tidySeals(kase)
  const intent = await SealIntent.begin(kase.dataDir, out)
  const temp = intent.partial
  const scratch = await Scratch.create(temp).catch(async (error: unknown) => {
    await intent.remove()
    throw error
  })
  const {choice} = scratch
  let zip: ZipWriter | undefined
  /** Set once the seal event is committed: from then on the archive is published, or kept for --finish. */
  let recorded: {sealId: string; seq: number} | undefined
  let published = false
  let release: (() => void) | undefined
  try {
    // 1. choose
    const selection = chooseExhibits(kase, options, choice)
    await kase.assertIntactHead()

    // 2. prove
    const {treeHead, events, tree, base} = proveEvents(kase, choice, scratch.tree)
    const {files: trustFileList, trust} = trustFiles(kase, base, tree)
    const earlier = earlierSeals(kase, tree)
    const earlierText = Buffer.from(earlierSealsText(earlier))
    if (earlier.length > 0) trustFileList.push([EARLIER_SEALS_PATH, earlierText])
    const sealId = sealIdOf({caseId: kase.info.caseId, treeHead, sealedAt: sealedAt.toISOString(), purpose: options.purpose ?? null}, choice.ids())
    const bag = `custody-${sealId}`
    const described: Omit<SealStatementHead, 'readme'> = {
      type: 'custody-seal',
      version: 1,
      sealId,
      case: {id: kase.info.caseId, title: kase.info.title, organisation: kase.info.organisation, investigator: kase.info.investigator},
      sealer,
      sealedAt: sealedAt.toISOString(),
      purpose: options.purpose?.trim() || null,
      note: options.note?.trim() || null,
      treeHead,
      ...trust,
      events: {path: events.path, count: events.count, sha256: events.sha256},
      earlierSeals: earlier.length === 0 ? null : {path: EARLIER_SEALS_PATH, count: earlier.length, sha256: createHash('sha256').update(earlierText).digest('hex')},
      testimonies: selection.testimonies.map((t) => ({
        exhibit: t.exhibit,
        witness: t.witness,
        interview: t.interview,
        vulnerable: t.vulnerable,
        consent: t.consent.current,
        identityCommitment: t.identity?.commitment ?? null,
        identifyingContent: t.identifyingContent,
        versions: t.versions.map((v) => ({version: v.version, exhibit: v.exhibit, sha256: v.sha256, reason: v.reason})),
        attachments: t.attachments.map((a) => a.exhibit).filter((x) => choice.has(x)),
      })),
      custodyVersion: CUSTODY_VERSION,
    }

    // README.txt is made from the statement's other fields, then its digest goes into the statement.
    const readme = Buffer.from(bagReadme({bag, statement: described, exhibits: choice.size}))
    const {testimonies, custodyVersion, ...before} = described
    const statement: SealStatementHead = {...before, readme: {path: README_PATH, sha256: digestsOf(readme).sha256}, testimonies, custodyVersion}

    // 3. payload
    zip = await ZipWriter.create(temp, sealedAt)
    const interrupted = (): CustodyError | undefined =>
      options.signal?.aborted ? new CustodyError('INTERRUPTED', `interrupted: nothing was sealed and ${out} was not written`) : undefined
    const exhibits = await writeExhibits(zip, kase, bag, choice, scratch, {...options, interrupted})
    const statementDigests = await writeStatement(kase, statement, choice.ids(), scratch.statement, interrupted)
    const custody = await writeCustodyFiles(zip, kase, bag, events, trustFileList, {file: scratch.statement, ...statementDigests})
    const payloadBytes = exhibits.bytes + custody.bytes
    const payloadCount = 2 * choice.size + custody.entries.length

    // 4. tags
    const tagEntries: ManifestEntry[] = []
    const addTag = async (path: string, bytes: Buffer): Promise<void> => {
      await zip!.addBytes(`${bag}/${path}`, bytes)
      tagEntries.push({path, ...digestsOf(bytes)})
    }

    await addTag(BAGIT_PATH, Buffer.from(BAGIT_TXT))
    await addTag(BAG_INFO_PATH, Buffer.from(sealBagInfo(statement, {bytes: payloadBytes, count: payloadCount})))
    tagEntries.push(await writeManifest(zip, bag, 'sha256', custody.entries, scratch.manifest256))
    tagEntries.push(await writeManifest(zip, bag, 'sha512', custody.entries, scratch.manifest512))
    await addTag(README_PATH, readme)
    await zip.addBytes(`${bag}/tagmanifest-sha256.txt`, Buffer.from(manifest(tagEntries, 'sha256')))
    await zip.addBytes(`${bag}/tagmanifest-sha512.txt`, Buffer.from(manifest(tagEntries, 'sha512')))

    // 5. record
    const written = await zip.finish()
    // The archive's name too must survive a power cut once the ledger records it.
    await fsyncFolder(dirname(temp))
    if (existsSync(out) && !options.force) throw appeared(out)
    await intent.recording({id: sealId, sha256: written.sha256, size: written.size, fromSeq: kase.ledger.size()})
    // From the hold to the append nothing awaits: a Ctrl-C is either seen here (nothing is
    // recorded) or comes while the seal is recorded and published, and does not stop it.
    release = options.hold?.()
    const stop = interrupted()
    if (stop !== undefined) throw stop
    const {events: appended} = kase.ledger.append(() => ({
      drafts: [
        {
          actor: sealer,
          action: 'seal',
          exhibit: null,
          payload: {
            sealId,
            archive: {name: basename(out), sha256: written.sha256, size: written.size},
            exhibitCount: choice.size,
            treeHead,
            sealedAt: statement.sealedAt,
            purpose: statement.purpose,
            note: statement.note,
            leftOut: selection.leftOut.map((l) => ({exhibit: l.exhibit, testimony: l.testimony, reason: l.reason})),
          },
        },
      ],
      more: exhibitLists(sealer, sealId, choice.ids()),
      result: undefined,
    }))
    const sealEvent = appended[0]!
    recorded = {sealId, seq: sealEvent.event.seq}

    // 6. publish
    if (!(await publishArchive(temp, out, options.force ?? false))) throw appeared(out)
    published = true
    await intent.remove()
    release?.()
    await kase.recordHead()
    return {
      archive: out,
      sha256: written.sha256,
      size: written.size,
      bag,
      exhibitCount: choice.size,
      statement: withExhibits(statement, {[Symbol.iterator]: () => statementExhibits(kase, recordedExhibits(kase.ledger, sealEvent))}),
      leftOut: selection.leftOut,
      seq: sealEvent.event.seq,
      leftovers,
    }
  } catch (error) {
    if (published) throw error
    if (recorded === undefined) {
      await zip?.abort()
      await rm(temp, {force: true})
      await intent.remove()
      throw error
    }

    // Recorded but not published: the complete archive stays under its temporary name, and the
    // note stays beside it, so that status and verify report it and --finish can publish it.
    throw new CustodyError(
      'STORAGE_FAILED',
      `seal ${recorded.sealId} is recorded (event ${recorded.seq}), but its archive could not be put at ${out}: ${messageOf(error)}. The complete archive is kept at ${temp}; run \`custody seal --finish ${recorded.sealId}\` to put it in place`,
      {subject: recorded.sealId, cause: error},
    )
  } finally {
    release?.()
    await scratch.remove()
  }
}

function appeared(out: string): CustodyError {
  return new CustodyError('INVALID_ARGUMENT', `${out} appeared while sealing; nothing was replaced. Choose another --out, or add --force`)
}
