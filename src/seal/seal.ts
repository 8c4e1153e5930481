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
 *               events, and every event of the exhibits); gather the checkpoint, its signature,
 *               the investigator's public key and the newest timestamp tokens (trust-files.ts)
 *   3. payload  stream each original from the vault into the ZIP while hashing it again (a vault
 *               file that no longer matches its ledger SHA-256 stops the seal), then its metadata
 *               record, the events (JSON Lines), the checkpoint and timestamp files, and the seal
 *               statement with its signature
 *   4. tags     bagit.txt, bag-info.txt, both payload manifests, README.txt, both tag manifests
 *   5. publish  fsync the ZIP (written beside --out under a temp name) and rename it into place
 *   6. record   a `seal` event: which exhibits went into which archive, its SHA-256, purpose, note
 *
 * The archive depends only on the case state, the exhibits and the seal time: the same three give
 * the same bytes.
 */
import {createHash, randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'
import {bytesToHex} from '@noble/hashes/utils.js'
import {canonicalize} from '../canonical/jcs.js'
import type {Case} from '../case/case.js'
import {CustodyError, messageOf} from '../errors.js'
import {getExhibit} from '../exhibits/exhibits.js'
import {MerkleTree} from '../merkle/tree.js'
import {parseCheckpoint, type SignedCheckpoint} from '../checkpoints/checkpoint.js'
import {trustFiles, type SealTrust} from './trust-files.js'
import {selectByConsent, type LeftOut} from '../testimony/consent-filter.js'
import {resolveExhibitOrWitness} from '../testimony/testimonies.js'
import type {Interview} from '../testimony/record.js'
import {CUSTODY_VERSION} from '../version.js'
import {moveIntoPlace} from '../io/files.js'
import {formatBytes} from '../render/text.js'
import {BAGIT_TXT, bagInfo, manifest, safeFileName, type ManifestEntry} from './bagit.js'
import {bagReadme} from './readme.js'
import {ZipWriter} from './zip-writer.js'
import {ReadAhead, type ReadChunk, type ReadSource} from '../io/read-ahead.js'
import {HashWorker, WORKER_HASH_BYTES} from '../hashing/hash-worker.js'
import {CHUNK_SIZE} from '../hashing/digests.js'

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
  /** Ctrl-C: stop, remove the partial archive, record nothing. */
  signal?: AbortSignal
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
  versions: Array<{version: number; exhibit: string; sha256: string; reason: string | null}>
  attachments: string[]
}

export interface SealReport {
  archive: string
  sha256: string
  size: number
  bag: string
  statement: SealStatement
  /** Exhibits of testimony left out because consent does not cover the purpose. */
  leftOut: LeftOut[]
  seq: number
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
 * event 0, which names the case, the key events, which name the key that signs, and every event
 * of the sealed exhibits. They are made twice, a page of the ledger at a time, rather than kept:
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
    private readonly chosen: ReadonlySet<string>,
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
      const sealed = row.seq === 0 || row.action === 'key-created' || row.action === 'key-rotated' || (row.exhibit !== null && this.chosen.has(row.exhibit))
      if (!sealed) continue
      // The canonical JSON (RFC 8785) of {seq, hash, prev, leafHash, inclusionProof, event}, made
      // by hand: its keys in sorted order, and the event as the ledger stores it, which is already
      // its canonical JSON (its hashes are over that text). No event is parsed.
      const proof = this.tree.inclusionProof(row.seq).map((h) => `"${bytesToHex(h)}"`)
      const line = `{"event":${row.event},"hash":"${row.hash}","inclusionProof":[${proof.join(',')}],"leafHash":"${bytesToHex(this.tree.leaf(row.seq))}","prev":"${row.prev}","seq":${row.seq}}`
      yield `${line}\n`
    }
  }

  /**
   * Streams the lines into the ZIP through two 1 MiB buffers, each reused once its write is done;
   * they must be the lines measured.
   */
  async writeTo(zip: ZipWriter, name: string): Promise<void> {
    const entry = await zip.startFile(name, this.size)
    const h256 = createHash('sha256')
    const changed = (): CustodyError => new CustodyError('INTEGRITY', 'the ledger changed while its events were being sealed; nothing was sealed. Run `custody verify`')
    const buffers = [Buffer.allocUnsafe(CHUNK_SIZE), Buffer.allocUnsafe(CHUNK_SIZE)]
    const free: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()]
    let current = 0
    let filled = 0
    let written = 0
    /** Hands bytes to the ZIP; `released` settles once their memory may be reused. */
    const send = async (bytes: Buffer): Promise<{released: Promise<void>}> => {
      if (written + bytes.length > this.size) throw changed()
      written += bytes.length
      h256.update(bytes)
      let release!: () => void
      const released = new Promise<void>((resolve) => (release = resolve))
      await zip.writeChunk(entry, bytes, release)
      return {released}
    }

    const flush = async (): Promise<void> => {
      if (filled === 0) return
      free[current] = (await send(buffers[current]!.subarray(0, filled))).released
      current = 1 - current
      filled = 0
      await free[current]
    }

    for (const line of this.lines()) {
      const length = Buffer.byteLength(line)
      if (filled + length > CHUNK_SIZE) await flush()
      if (length > CHUNK_SIZE) await send(Buffer.from(line))
      else filled += buffers[current]!.write(line, filled)
    }

    await flush()
    await Promise.all(free)
    if (written !== this.size || h256.digest('hex') !== this.sha256) throw changed()
    await zip.endFile(entry)
  }
}

/**
 * Step 2: the latest signed checkpoint, the Merkle tree of the ledger up to it (which must have the
 * root the checkpoint signed), and the sealed events with their inclusion proofs against it.
 */
function proveEvents(kase: Case, ids: readonly string[]): {treeHead: {size: number; root: string}; events: SealedEvents; tree: MerkleTree; base: SignedCheckpoint & {treeSize: number}} {
  const latest = kase.ledger.latestCheckpoint()
  const body = latest === undefined ? undefined : parseCheckpoint(latest.body)
  if (latest === undefined || body === undefined || 'problem' in body) {
    throw new CustodyError('INTEGRITY', 'the ledger has no readable signed checkpoint to seal against; nothing was sealed. Run `custody verify`')
  }

  const size = body.treeSize
  const tree = kase.ledger.tree(size)
  if (tree.size !== size || bytesToHex(tree.root()) !== body.rootHash) {
    throw new CustodyError('INTEGRITY', `the ledger no longer has the root its checkpoint ${latest.seq} signed; nothing was sealed. Run \`custody verify\``)
  }

  return {treeHead: {size: tree.size, root: bytesToHex(tree.root())}, events: new SealedEvents(kase, tree, new Set(ids)), tree, base: {...latest, treeSize: size}}
}

/**
 * The custody files of the payload; the statement is signed by the case's key (seal.json.sig).
 * The key is opened before sealing starts rather than beside it: its 64 MiB of scrypt on top of
 * what sealing holds would take the seal near its memory budget (measured with 1,000 exhibits:
 * 190 MB against 157 MB), to save a third of a second.
 */
function custodyFiles(kase: Case, trust: Array<[string, Buffer]>, statement: SealStatement): Array<[string, Buffer]> {
  const statementBytes = Buffer.from(`${JSON.stringify(statement, null, 2)}\n`)
  return [
    ...trust,
    ['data/custody/seal.json', statementBytes],
    ['data/custody/seal.json.sig', kase.signer().sign(statementBytes)],
  ]
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

/**
 * Step 3: the payload, written in archive order: each original, checked against the ledger's
 * SHA-256 as it goes in, then its metadata record, then the custody files. The vault files are
 * read ahead of the writer (ReadAhead), so reading, hashing and writing of different files overlap.
 */
async function writePayload(
  zip: ZipWriter,
  kase: Case,
  bag: string,
  sealedExhibits: readonly SealedExhibit[],
  events: SealedEvents,
  custody: ReadonlyArray<[string, Buffer]>,
  options: Pick<SealOptions, 'signal' | 'onProgress'> & {out?: string},
): Promise<{payload: ManifestEntry[]; bytes: number}> {
  const payload: ManifestEntry[] = []
  let payloadBytes = 0
  const interrupted = (): CustodyError => new CustodyError('INTERRUPTED', `interrupted: nothing was sealed and ${options.out ?? 'the archive'} was not written`)
  // Two sources an exhibit: its original (which must have the ledger's size), then its record.
  function* sources(): Generator<ReadSource> {
    for (const x of sealedExhibits) {
      yield {path: kase.vault.objectPath(x.sha256), size: x.size}
      yield {path: kase.vault.objectPath(x.metadataRecord)}
    }
  }

  const reader = new ReadAhead(
    sources(),
    {
      shared: true,
      readError: (index, error) => {
        const x = sealedExhibits[index >> 1]!
        const what = index % 2 === 0 ? 'its vault file' : 'its metadata record'
        return new CustodyError('INTEGRITY', `${x.exhibit}: ${what} cannot be read (${messageOf(error)}); nothing was sealed. Run \`custody verify\``, {subject: x.exhibit})
      },
    },
  )
  /** Passes each chunk of the next source to `take`, in order. */
  const eachChunk = async (source: number, take: (chunk: ReadChunk) => Promise<void>): Promise<void> => {
    for (;;) {
      if (options.signal?.aborted) throw interrupted()
      const chunk = await reader.next()
      if (chunk?.source !== source) throw new Error(`sealing read source ${chunk?.source ?? 'none'} where ${source} was due`)
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
    for (const [i, x] of sealedExhibits.entries()) {
      const entry = await zip.startFile(`${bag}/${x.path}`, x.size)
      if (x.size < WORKER_HASH_BYTES) {
        const sha256 = createHash('sha256')
        await eachChunk(2 * i, (chunk) => {
          sha256.update(chunk.bytes)
          return zip.writeChunk(entry, chunk.bytes, chunk.release)
        })
        check(x, sha256.digest('hex'))
      } else {
        const sha256 = HashWorker.shared().job('sha256')
        try {
          await eachChunk(2 * i, (chunk) => {
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
      await eachChunk(2 * i + 1, async (chunk) => {
        parts.push(Buffer.from(chunk.bytes))
        chunk.release()
      })
      const record = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
      const digests = digestsOf(record)
      if (digests.sha256 !== x.metadataRecord) {
        throw new CustodyError('INTEGRITY', `${x.exhibit}: its metadata record no longer matches the ledger; nothing was sealed. Run \`custody verify\``, {subject: x.exhibit})
      }

      await zip.addBytes(`${bag}/${x.metadataPath}`, record)
      payload.push({path: x.path, sha256: x.sha256, sha512: x.sha512}, {path: x.metadataPath, ...digests})
      payloadBytes += x.size + record.length
      options.onProgress?.(i + 1, sealedExhibits.length)
    }
  } finally {
    await reader.close()
    await Promise.all(checking)
  }

  // The SHA-256 proves the bytes are the ones ingested; the SHA-512 recorded then goes in the manifest.
  if (mismatch !== undefined) throw mismatch

  await events.writeTo(zip, `${bag}/${events.path}`)
  payload.push({path: events.path, sha256: events.sha256, sha512: events.sha512})
  payloadBytes += events.size
  for (const [path, bytes] of custody) {
    await zip.addBytes(`${bag}/${path}`, bytes)
    payload.push({path, ...digestsOf(bytes)})
    payloadBytes += bytes.length
  }

  return {payload, bytes: payloadBytes}
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

  // 1. choose
  const named = options.exhibits.length > 0
  const asked = named ? [...new Set(options.exhibits.map((e) => resolveExhibitOrWitness(kase, e)))] : kase.ledger.exhibitIds()
  if (asked.length === 0) throw new CustodyError('INVALID_ARGUMENT', 'the case has no exhibits to seal; ingest some first')
  if (named) for (const id of asked) getExhibit(kase, id, {withEvents: false})
  const selection = selectByConsent(kase, asked, named, options.purpose ?? null)
  const ids = selection.exhibits
  if (ids.length === 0) {
    throw new CustodyError('CONSENT_REFUSED', `nothing can be sealed: ${selection.leftOut.map((l) => `${l.exhibit}: ${l.reason}`).join('; ')}`)
  }

  // Only what the archive needs is kept of each exhibit, so memory grows slowly with their number.
  const sealedExhibits: SealedExhibit[] = ids.map((id) => {
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
  })
  await kase.assertIntactHead()

  // 2. prove
  const {treeHead, events, tree, base} = proveEvents(kase, ids)
  const {files: trustFileList, trust} = trustFiles(kase, base, tree)
  const identity = {caseId: kase.info.caseId, treeHead, exhibits: ids, sealedAt: sealedAt.toISOString(), purpose: options.purpose ?? null}
  const sealId = `SEAL-${createHash('sha256').update(canonicalize(identity)).digest('hex').slice(0, 16)}`
  const bag = `custody-${sealId}`
  const statement: SealStatement = {
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
    exhibits: sealedExhibits,
    testimonies: selection.testimonies.map((t) => ({
      exhibit: t.exhibit,
      witness: t.witness,
      interview: t.interview,
      vulnerable: t.vulnerable,
      consent: t.consent.current,
      identityCommitment: t.identity?.commitment ?? null,
      versions: t.versions.map((v) => ({version: v.version, exhibit: v.exhibit, sha256: v.sha256, reason: v.reason})),
      attachments: t.attachments.map((a) => a.exhibit).filter((x) => ids.includes(x)),
    })),
    custodyVersion: CUSTODY_VERSION,
  }

  // 3. payload
  const temp = join(dirname(out), `.${basename(out)}.${process.pid}-${randomBytes(4).toString('hex')}.partial`)
  const zip = await ZipWriter.create(temp, sealedAt)
  try {
    const {payload, bytes: payloadBytes} = await writePayload(zip, kase, bag, sealedExhibits, events, custodyFiles(kase, trustFileList, statement), {...options, out})

    // 4. tags
    const tags: Array<[string, Buffer]> = [
      ['bagit.txt', Buffer.from(BAGIT_TXT)],
      [
        'bag-info.txt',
        Buffer.from(
          bagInfo([
            ['Source-Organization', kase.info.organisation ?? 'not recorded'],
            ['Contact-Name', kase.info.investigator],
            ['External-Identifier', kase.info.caseId],
            ['External-Description', `${kase.info.title}${statement.purpose ? ` (sealed for: ${statement.purpose})` : ''}`],
            ['Bagging-Date', statement.sealedAt.slice(0, 10)],
            ['Payload-Oxum', `${payloadBytes}.${payload.length}`],
            // RFC 8493 §2.2.2: a human-readable size.
            ['Bag-Size', formatBytes(payloadBytes)],
            ['Bag-Software-Agent', `custody ${CUSTODY_VERSION}`],
            ['Custody-Seal-Identifier', sealId],
            ['Custody-Sealed-At', statement.sealedAt],
            ['Custody-Sealed-By', sealer],
            ['Custody-Tree-Head', `${treeHead.size} ${treeHead.root}`],
            ['Custody-Signing-Key', trust.key.fingerprint],
            ...(trust.timestamp ? ([['Custody-Timestamped', `${trust.timestamp.treeSize} events by ${trust.timestamp.tokens.map((t) => t.genTime).join(', ')}`]] as Array<[string, string]>) : []),
          ]),
        ),
      ],
      ['manifest-sha256.txt', Buffer.from(manifest(payload, 'sha256'))],
      ['manifest-sha512.txt', Buffer.from(manifest(payload, 'sha512'))],
      ['README.txt', Buffer.from(bagReadme({bag, statement}))],
    ]
    const tagEntries: ManifestEntry[] = []
    for (const [path, bytes] of tags) {
      await zip.addBytes(`${bag}/${path}`, bytes)
      tagEntries.push({path, ...digestsOf(bytes)})
    }

    await zip.addBytes(`${bag}/tagmanifest-sha256.txt`, Buffer.from(manifest(tagEntries, 'sha256')))
    await zip.addBytes(`${bag}/tagmanifest-sha512.txt`, Buffer.from(manifest(tagEntries, 'sha512')))

    // 5. publish
    const written = await zip.finish()
    await publish(temp, out, options.force ?? false)

    // 6. record
    const {events: recorded} = kase.ledger.append(() => ({
      drafts: [
        {
          actor: sealer,
          action: 'seal',
          exhibit: null,
          payload: {
            sealId,
            archive: {name: basename(out), sha256: written.sha256, size: written.size},
            exhibits: ids,
            treeHead,
            sealedAt: statement.sealedAt,
            purpose: statement.purpose,
            note: statement.note,
            leftOut: selection.leftOut.map((l) => ({exhibit: l.exhibit, testimony: l.testimony, reason: l.reason})),
          },
        },
      ],
      result: undefined,
    }))
    await kase.recordHead()
    return {archive: out, sha256: written.sha256, size: written.size, bag, statement, leftOut: selection.leftOut, seq: recorded[0]!.event.seq}
  } catch (error) {
    await zip.abort()
    await rm(temp, {force: true})
    throw error
  }
}

/** Renames into place; without --force, a link that fails on an existing name never overwrites. */
async function publish(temp: string, out: string, force: boolean): Promise<void> {
  if (!(await moveIntoPlace(temp, out, force))) {
    throw new CustodyError('INVALID_ARGUMENT', `${out} appeared while sealing; nothing was replaced. Choose another --out, or add --force`)
  }
}
