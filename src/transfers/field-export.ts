/**
 * `custody transfer export` from a field case with no identity: a field package
 * (docs/design/transfers.md, "The field package: decided"). A field laptop opens no event body and
 * no vault object, so the package carries them as stored and nothing is decrypted here:
 *
 *   1. check   the case keeps its ledger sealed (schema 4) and the receiver's age recipient is one
 *              the case records, before each item was written (objects open with the recipients
 *              of their time)
 *   2. choose  the exhibits named, or every exhibit no field package released yet (up to 1,000),
 *              from the ingest envelopes' public facts: their objects as stored
 *   3. write   an age file to the receiver holding a BagIt bag: the objects byte for byte (their
 *              SHA-256 and size checked as they are copied), every ledger row up to the latest
 *              signed checkpoint, the runs' wrapped keys, the checkpoint, the sender's key,
 *              transfer.json signed, the manifests and README.txt
 *   4. record  `field-transfer-released` (the package's SHA-256), then put the package at --out
 *
 * The receiver checks everything and computes the evidence's digests (field-check.ts, accept).
 */
import {createHash} from 'node:crypto'
import {canonicalize} from '../canonical/jcs.js'
import {readdirSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {parseRecipient} from '../age/x25519.js'
import {encryptionOnWorker} from '../age/payload-worker.js'
import type {Case} from '../case/case.js'
import {parseCheckpoint} from '../checkpoints/checkpoint.js'
import {CustodyError, messageOf, said} from '../errors.js'
import {parseExhibitId} from '../formats/ids.js'
import {MAX_TRANSFER_ITEMS, type StoredObject} from '../formats/events.js'
import {caseKeyMode, recordedRecipients} from '../keys/case-keys.js'
import {publicKeyPem} from '../keys/signing-key.js'
import {isCarried} from '../ledger/envelope.js'
import {BAGIT_TXT} from '../seal/bagit.js'
import {manifestLine} from '../seal/bag-layout.js'
import {publishArchive} from '../seal/publish.js'
import {deliveredPath} from '../seal/transport.js'
import {parseSealedAt, sealDestination} from '../seal/seal.js'
import {ZipWriter} from '../zip/writer.js'
import {ReadAhead} from '../io/read-ahead.js'
import {isProcessRunning} from '../io/process-identity.js'
import {digestFile} from '../hashing/digests.js'
import {custodianLine, custodianOf, describeCustodian, type Custodian} from './custodian.js'
import {checkReceiver, packageOut, TRANSFER, type TransferReport} from './export.js'
import {receiverOf} from './released.js'
import {fieldTransferBytes, fieldTransferIdOf, packagePathOf, type FieldItem, type FieldObject, type FieldTransferStatement} from './field-statement.js'
import {fieldBagInfo, fieldPackageReadme} from './field-readme.js'
import type {TreeHead} from './transfer-statement.js'
import {FIELD_PACKAGE_FILES, fieldBagName} from './field-layout.js'

export interface FieldExportOptions {
  to: Custodian
  /** Exhibits named (IDs or numbers); none: those no field package released yet. */
  exhibits: readonly string[]
  /** With none named: every exhibit, released before or not (no receipt of a field package is read yet). */
  again?: boolean | undefined
  /** The package to write: a .zip.age file (given a .zip, .age is added). */
  out: string
  purpose?: string | undefined
  force?: boolean | undefined
  /** The release time, ISO 8601 with a zone (default: now). */
  releasedAt?: string | undefined
  actor?: string | undefined
  signal?: AbortSignal | undefined
  /** Called once the release is recorded: from then on an interruption must wait for the package to be put in place. */
  hold?: (() => void) | undefined
  onProgress?: ((done: number, total: number) => void) | undefined
}

export interface FieldTransferReport {
  kind: 'field'
  transferId: string
  to: TransferReport['to']
  /** The `field-transfer-released` event's number. */
  seq: number
  package: {file: string; sha256: string; size: number}
  /** The sender's head the package carries every row of, which its checkpoint signs. */
  treeHead: TreeHead
  items: FieldItem[]
  /** With none named, exhibits not yet released that did not fit in this package (MAX_TRANSFER_ITEMS): export again. */
  remaining: number
  /** With none named, exhibits left out because their objects were purged. */
  purged: number
}

/** Nothing new: every exhibit was released in a field package already. Nothing was made or recorded. */
export interface FieldNothingNew {
  nothingNew: true
  kind: 'field'
  to: TransferReport['to']
  /** Exhibits left out because their objects were purged. */
  purged: number
}

/** A package a killed export recorded and never put in place, found beside --out and put there: nothing new was made or recorded. */
export interface FieldFinished {
  finished: true
  kind: 'field'
  transferId: string
  package: {file: string; sha256: string; size: number}
}

/** The temp files of field packages to `delivered`: `.<name>.<transfer ID>.<pid>.part` beside it, and the ZIP writer's scratch file of each (`.part.central`). */
function leftoversOf(delivered: string): Array<{path: string; transferId: string; pid: number; scratch: boolean}> {
  const prefix = `.${basename(delivered)}.`
  let names: string[]
  try {
    names = readdirSync(dirname(delivered))
  } catch {
    return []
  }

  return names.flatMap((name) => {
    const match = name.startsWith(prefix) ? /^(TRANSFER-[0-9a-f]{16})\.(\d+)\.part(\.central)?$/.exec(name.slice(prefix.length)) : null
    return match === null ? [] : [{path: join(dirname(delivered), name), transferId: match[1]!, pid: Number(match[2]), scratch: match[3] !== undefined}]
  })
}

/**
 * What a killed export to the same --out left: a package whose release the ledger records (its
 * SHA-256 in the release's public facts) is put at --out, and returned; one of a process that no
 * longer runs and that no release records is removed (it was never published). Those of a process
 * still running are left alone.
 */
async function tidyLeftovers(kase: Case, delivered: string): Promise<FieldFinished | undefined> {
  const leftovers = leftoversOf(delivered).filter((l) => l.pid !== process.pid && !isProcessRunning(l.pid, null))
  if (leftovers.length === 0) return undefined
  const recorded = new Map<string, string>()
  for (const {facts} of kase.ledger.publicFacts()) if (facts.action === 'field-transfer-released' && typeof facts.transferId === 'string' && typeof facts.package === 'string') recorded.set(facts.transferId, facts.package)
  // The writer's scratch files (sealed, never evidence) go whatever happened.
  for (const leftover of leftovers.filter((l) => l.scratch)) await rm(leftover.path, {force: true})
  for (const leftover of leftovers.filter((l) => !l.scratch)) {
    const {sha256, size} = await digestFile(leftover.path, 'sha256')
    if (recorded.get(leftover.transferId) !== sha256) {
      await rm(leftover.path, {force: true})
      continue
    }

    if (!(await publishArchive(leftover.path, delivered, false))) {
      throw new CustodyError('INVALID_ARGUMENT', said`the package of ${leftover.transferId}, recorded by an export that was interrupted, is kept as ${leftover.path}, and ${delivered} exists: move that file where the package should go, or remove what is at ${TRANSFER.out}`, {subject: delivered})
    }

    return {finished: true, kind: 'field', transferId: leftover.transferId, package: {file: delivered, sha256, size}}
  }

  return undefined
}

/** Whether `custody transfer export` makes a field package in this case: a field case (no identity on the laptop opens anything). */
export function makesFieldPackage(kase: Case): boolean {
  return caseKeyMode(kase) === 'field' && kase.ledger.asStored() !== undefined
}

/** The delivered file (.zip.age) for --out, and refused when it exists (unless `force`). */
export function fieldPackageOut(out: string, force: boolean | undefined, to: Custodian): string {
  const receiver = parseRecipient(to.age!, "the receiver's age recipient")
  return deliveredPath(sealDestination({out: packageOut(out), force: force ?? false, encryptTo: [receiver]}), [receiver])
}

/**
 * Step 1: the receiver can open what is sent. Its age recipient must be one the case records,
 * recorded before every item's ingest row (`items`), as the objects and run keys were encrypted to
 * the recipients of their time. Checked before anything is written.
 */
function checkOpensForReceiver(kase: Case, to: Custodian, items: readonly FieldItem[]): void {
  checkReceiver(kase, to)
  const recorded = recordedRecipients(kase.ledger).find((r) => r.recipient === to.age)
  if (recorded === undefined) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      said`${TRANSFER.to} ${describeCustodian(to)} has an age recipient (${to.age ?? 'none'}) that is not one of this case's recipients, so nothing this case holds opens with its key, and a field package cannot be made for it. Add it with \`custody key add-recipient\` (only what is recorded after that opens with it), send to one of the case's recipients (\`custody key show\` lists them), or make a sealed package with ${TRANSFER.identity}`,
      {subject: to.case},
    )
  }

  const before = items.filter((i) => i.seq < recorded.seq)
  if (before.length > 0) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      said`${before.length} of the exhibits to send (${before.slice(0, 3).map((i) => i.exhibit).join(', ')}${before.length > 3 ? ', …' : ''}) were recorded before ${describeCustodian(to)} became a recipient of this case (event ${recorded.seq}): they do not open with its key. Name the others, or send these with an identity of a recipient of their time`,
      {subject: to.case},
    )
  }
}

/** What the public facts say of earlier field packages and purges: the exhibits released (but in a package the receiver refused), and the objects purged (by vault path). */
function releasedAndPurged(kase: Case): {released: Set<string>; purgedObjects: Set<string>} {
  const releases: Array<{transferId: unknown; exhibits: string[]}> = []
  const refused = new Set<unknown>()
  const purgedObjects = new Set<string>()
  for (const {facts} of kase.ledger.publicFacts()) {
    if (facts.action === 'field-transfer-released' && Array.isArray(facts.exhibits)) releases.push({transferId: facts.transferId, exhibits: facts.exhibits.filter((id): id is string => typeof id === 'string')})
    // A receipt that acknowledged none: the receiver refused the package (it takes one whole or
    // not at all), so its exhibits are still to send, as the refusal tells the sender.
    if (facts.action === 'transfer-acknowledged' && facts.acknowledged === 0) refused.add(facts.transferId)
    if (facts.action === 'purged' && Array.isArray(facts.objects)) for (const vault of facts.objects) if (typeof vault === 'string') purgedObjects.add(vault)
  }

  const released = new Set(releases.flatMap((r) => (refused.has(r.transferId) ? [] : r.exhibits)))
  return {released, purgedObjects}
}

/** An item from its ingest envelope's public facts: its objects as stored, or undefined when the envelope states none (recorded in clear, before `custody encrypt`). */
export function itemOf(exhibit: string, seq: number, facts: Record<string, unknown> | undefined): FieldItem | undefined {
  const original = facts?.original as StoredObject | undefined
  if (original === undefined || facts?.action !== 'ingest') return undefined
  const record = facts.record as StoredObject | undefined
  const objects: FieldObject[] = [{role: 'original', ...original}]
  if (record !== undefined) objects.push({role: 'record', ...record})
  return {exhibit, seq, objects}
}

/** Step 2: the items, from the ingest envelopes (one pass over them), or nothing new. */
function chooseFieldItems(kase: Case, named: readonly string[], again: boolean): {items: FieldItem[]; remaining: number; purged: number} {
  const stored = kase.ledger.asStored()!
  const wanted = new Set<string>()
  for (const given of named) {
    const id = parseExhibitId(kase.info.prefix, given)
    if (id === undefined) throw new CustodyError('EXHIBIT_NOT_FOUND', `${JSON.stringify(given)} is not an exhibit ID of this case; they look like ${kase.info.prefix}-000001 (see \`custody status\`)`, {subject: given})
    wanted.add(id)
  }

  if (wanted.size > MAX_TRANSFER_ITEMS) throw new CustodyError('INVALID_ARGUMENT', said`${wanted.size} ${TRANSFER.exhibits}: a package carries at most ${MAX_TRANSFER_ITEMS}; send the rest in another`)
  const {released, purgedObjects} = releasedAndPurged(kase)
  const items: FieldItem[] = []
  let remaining = 0
  let purged = 0
  for (const {seq, envelope} of stored.ingestEnvelopes()) {
    const exhibit = envelope.exhibit
    if (exhibit === null || (named.length > 0 ? !wanted.has(exhibit) : !again && released.has(exhibit))) continue
    const item = itemOf(exhibit, seq, isCarried(envelope) ? undefined : envelope.public)
    if (item === undefined) {
      throw new CustodyError('INVALID_ARGUMENT', `${exhibit} was recorded before this case was encrypted (custody encrypt): its event does not say how its objects are stored, so a field package cannot carry it. Send it with an identity of one of the case's recipients, or leave it out`, {subject: exhibit})
    }

    if (item.objects.some((o) => purgedObjects.has(o.vault))) {
      if (named.length > 0) throw new CustodyError('INVALID_ARGUMENT', `${exhibit} was purged from this case (custody transfer purge): its objects are no longer here to send`, {subject: exhibit})
      purged++
      continue
    }

    wanted.delete(exhibit)
    if (items.length < MAX_TRANSFER_ITEMS) items.push(item)
    else remaining++
  }

  if (named.length > 0 && wanted.size > 0) {
    const missing = [...wanted][0]!
    throw new CustodyError('EXHIBIT_NOT_FOUND', `there is no exhibit ${missing} in this case; \`custody status\` counts them`, {subject: missing})
  }

  return {items, remaining, purged}
}

/** The package being written: the ZIP (encrypted as it is written) and the payload manifest's lines. */
class FieldPackageWriter {
  private readonly lines: Array<{path: string; sha256: string}> = []
  private payloadBytes = 0

  constructor(
    readonly zip: ZipWriter,
    readonly bag: string,
  ) {}

  /** A small file under data/, held whole. */
  async add(path: string, bytes: Buffer): Promise<void> {
    await this.zip.addBytes(`${this.bag}/${path}`, bytes)
    this.lines.push({path, sha256: createHash('sha256').update(bytes).digest('hex')})
    this.payloadBytes += bytes.length
  }

  /**
   * The objects as stored, copied from the vault byte for byte (read ahead of the writer, so that
   * reading one overlaps sealing the one before) and each checked as it goes against what its
   * envelope states: its size as it is opened, its SHA-256 once read. `onObject` is told each
   * object written.
   */
  async copyObjects(kase: Case, objects: readonly FieldObject[], interrupted: () => Error | undefined, onObject: (index: number) => void): Promise<void> {
    const sourceOf = (object: FieldObject): string => join(dirname(kase.vault.root), object.vault)
    const reader = new ReadAhead(
      objects.map((object) => ({path: sourceOf(object), size: object.size})),
      {
        shared: true,
        readError: (index, error) => {
          const what = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing from the vault' : `cannot be read as its event records it (${messageOf(error)})`
          return changedObject(sourceOf(objects[index]!), what)
        },
      },
    )
    try {
      for (const [index, object] of objects.entries()) {
        const path = packagePathOf(object.vault)
        const entry = await this.zip.startFile(`${this.bag}/${path}`, object.size)
        const hash = createHash('sha256')
        for (;;) {
          const stop = interrupted()
          if (stop !== undefined) throw stop
          const chunk = await reader.next()
          if (chunk?.source !== index) throw new Error(`the package read source ${chunk?.source ?? 'none'} where ${index} was due`)
          hash.update(chunk.bytes)
          await this.zip.writeChunk(entry, chunk.bytes, chunk.release)
          if (chunk.last) break
        }

        if (hash.digest('hex') !== object.sha256) throw changedObject(sourceOf(object), 'is not the file its event records (its SHA-256 differs)')
        await this.zip.endFile(entry)
        this.lines.push({path, sha256: object.sha256})
        this.payloadBytes += object.size
        onObject(index)
      }
    } finally {
      await reader.close()
    }
  }

  /** The payload manifest, bagit.txt, bag-info.txt, README.txt and the tag manifest. */
  async finishTags(statement: FieldTransferStatement, readme: string): Promise<void> {
    const tags: Array<[string, Buffer]> = [
      ['bagit.txt', Buffer.from(BAGIT_TXT)],
      ['bag-info.txt', Buffer.from(fieldBagInfo(statement, {bytes: this.payloadBytes, count: this.lines.length}))],
      ['manifest-sha256.txt', Buffer.from(manifestText(this.lines))],
      ['README.txt', Buffer.from(readme)],
    ]
    const tagLines: Array<{path: string; sha256: string}> = []
    for (const [path, bytes] of tags) {
      await this.zip.addBytes(`${this.bag}/${path}`, bytes)
      tagLines.push({path, sha256: createHash('sha256').update(bytes).digest('hex')})
    }

    await this.zip.addBytes(`${this.bag}/tagmanifest-sha256.txt`, Buffer.from(manifestText(tagLines)))
  }
}

function manifestText(lines: ReadonlyArray<{path: string; sha256: string}>): string {
  return [...lines]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((l) => manifestLine(l.sha256, l.path))
    .join('')
}

function changedObject(path: string, what: string): CustodyError {
  return new CustodyError('INTEGRITY', `the vault object ${path} ${what}: nothing was sent. Run \`custody verify\`, and keep a copy of the case as it is`, {subject: path})
}

/** Every row below the head, one canonical line each (the package's ledger-rows.jsonl), the runs they name, and every checkpoint signed. */
async function writeLedger(kase: Case, out: FieldPackageWriter, size: number): Promise<void> {
  const stored = kase.ledger.asStored()!
  const rows: string[] = []
  const runs = new Set<number>()
  for (const row of stored.storedRows(size)) {
    rows.push(`${canonicalize({seq: row.seq, prev: row.prev_hash, hash: row.hash, envelope: row.envelope, body: row.body.toString('base64'), run: row.run})}\n`)
    runs.add(row.run)
  }

  if (rows.length !== size) throw new CustodyError('INTEGRITY', `the ledger holds ${rows.length} events below its signed head of ${size}: run \`custody verify\``)
  await out.add(FIELD_PACKAGE_FILES.rows, Buffer.from(rows.join('')))
  const wrapped: string[] = []
  for (const run of stored.storedRuns()) if (runs.has(run.id)) wrapped.push(`${canonicalize({id: run.id, wrapped: run.wrapped.toString('base64')})}\n`)
  await out.add(FIELD_PACKAGE_FILES.runs, Buffer.from(wrapped.join('')))
  // Those over the rows sent: another process may have appended since the head was read.
  const covered = kase.ledger.checkpoints().filter((c) => {
    const body = parseCheckpoint(c.body)
    return !('problem' in body) && body.treeSize <= size
  })
  const checkpoints = covered.map((c) => `${canonicalize({body: c.body, signature: c.signature})}\n`)
  await out.add(FIELD_PACKAGE_FILES.checkpoints, Buffer.from(checkpoints.join('')))
}

/**
 * Makes a field package for `options.to`, or says there is nothing new for it. Nothing is opened:
 * the objects, rows and run keys go as stored. The release is recorded before the package is put
 * at its place, so no package exists that the ledger does not record.
 */
export async function exportFieldPackage(kase: Case, options: FieldExportOptions): Promise<FieldTransferReport | FieldNothingNew | FieldFinished> {
  const delivered = fieldPackageOut(options.out, options.force, options.to)
  const finished = await tidyLeftovers(kase, delivered)
  if (finished !== undefined) return finished
  const releasedAt = parseSealedAt(options.releasedAt)
  const {to} = options
  await kase.assertIntactHead()
  const chosen = chooseFieldItems(kase, options.exhibits, options.again === true)
  if (chosen.items.length === 0) return {nothingNew: true, kind: 'field', to: receiverOf(to), purged: chosen.purged}
  checkOpensForReceiver(kase, to, chosen.items)
  // Signed by the key that signs the statement: right after a key rotation, the newest checkpoint is the replaced key's.
  const latest = kase.ledger.headSignedByCurrentKey()
  const checkpoint = parseCheckpoint(latest.body)
  if ('problem' in checkpoint) throw new CustodyError('INTEGRITY', 'the ledger has no readable signed checkpoint: run `custody verify`')
  const tree: TreeHead = {size: checkpoint.treeSize, root: checkpoint.rootHash}
  const from = custodianOf(kase)
  const described: Omit<FieldTransferStatement, 'readme'> = {
    type: 'custody-field-transfer/v1',
    transferId: fieldTransferIdOf(from, tree, to, releasedAt.toISOString()),
    from,
    to,
    releasedAt: releasedAt.toISOString(),
    purpose: options.purpose?.trim() || null,
    tree,
    // The receiver's receipts of field packages are not read yet (docs/design/transfers.md): no consistency proof.
    acknowledged: null,
    items: chosen.items,
  }
  const statement: FieldTransferStatement = {...described, readme: createHash('sha256').update(fieldPackageReadme(described)).digest('hex')}
  const temp = join(dirname(delivered), `.${basename(delivered)}.${statement.transferId}.${process.pid}.part`)
  const interrupted = (): CustodyError | undefined => (options.signal?.aborted ? new CustodyError('INTERRUPTED', `interrupted: nothing was sent and ${delivered} was not written`) : undefined)
  const written = await writeFieldPackage(kase, temp, statement, {checkpoint: latest, interrupted, onProgress: options.onProgress})
  let seq: number
  try {
    const stop = interrupted()
    if (stop !== undefined) throw stop
    seq = recordRelease(kase, statement, {name: basename(delivered), ...written}, options.actor)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }

  // The case's recorded tree head (head.json) and known head follow the release, as after any append.
  await kase.recordHead()
  options.hold?.()
  if (!(await publishArchive(temp, delivered, options.force ?? false))) {
    throw new CustodyError('INVALID_ARGUMENT', `${delivered} appeared while the package was written; the package is recorded (${statement.transferId}) and kept as ${temp}: move it where it should go`, {subject: delivered})
  }

  return {kind: 'field', transferId: statement.transferId, to: receiverOf(to), seq, package: {file: delivered, ...written}, treeHead: tree, items: chosen.items, remaining: chosen.remaining, purged: chosen.purged}
}

/** Step 3: the package at `temp` (removed if anything fails); the SHA-256 and size of the age file written. */
async function writeFieldPackage(
  kase: Case,
  temp: string,
  statement: FieldTransferStatement,
  options: {checkpoint: {body: string; signature: string}; interrupted: () => Error | undefined; onProgress?: ((done: number, total: number) => void) | undefined},
): Promise<{sha256: string; size: number}> {
  const encrypt = encryptionOnWorker([parseRecipient(statement.to.age!, "the receiver's age recipient")])
  const date = new Date(statement.releasedAt)
  // Only the age file's SHA-256 is recorded: the ZIP inside is not hashed whole.
  const zip = await ZipWriter.create(temp, date, {encrypt, hashArchive: false})
  try {
    const out = new FieldPackageWriter(zip, fieldBagName(statement.transferId))
    const total = statement.items.length
    // An object two exhibits share (the same metadata record) is one file of the bag; progress
    // counts an item once its last new object is written.
    const objects: FieldObject[] = []
    const itemDone = new Map<number, number>()
    const written = new Set<string>()
    for (const [i, item] of statement.items.entries()) {
      for (const object of item.objects) if (!written.has(object.vault) && written.add(object.vault)) objects.push(object)
      itemDone.set(objects.length - 1, i + 1)
    }

    await out.copyObjects(kase, objects, options.interrupted, (index) => {
      const done = itemDone.get(index)
      if (done !== undefined) options.onProgress?.(done, total)
    })

    await writeLedger(kase, out, statement.tree.size)
    await out.add(FIELD_PACKAGE_FILES.checkpoint, Buffer.from(options.checkpoint.body, 'utf8'))
    await out.add(FIELD_PACKAGE_FILES.checkpointSignature, Buffer.from(options.checkpoint.signature, 'hex'))
    await out.add(FIELD_PACKAGE_FILES.senderKey, Buffer.from(publicKeyPem(kase.signingKey().spki)))
    const bytes = fieldTransferBytes(statement)
    await out.add(FIELD_PACKAGE_FILES.transfer, bytes)
    await out.add(FIELD_PACKAGE_FILES.transferSignature, kase.signer().sign(bytes))
    await out.finishTags(statement, fieldPackageReadme(statement))
    const result = await zip.finish()
    return result.encrypted!
  } catch (error) {
    await zip.abort()
    await rm(temp, {force: true})
    throw error
  }
}

/** Step 4's event, in one append (its checkpoint signed with it). Returns its number. */
function recordRelease(kase: Case, s: FieldTransferStatement, pkg: {name: string; sha256: string; size: number}, actor: string | undefined): number {
  const {events} = kase.ledger.append(() => ({
    drafts: [
      {
        actor: actor?.trim() || kase.info.investigator,
        action: 'field-transfer-released',
        exhibit: null,
        payload: {transferId: s.transferId, to: custodianLine(s.to), releasedAt: s.releasedAt, package: pkg, purpose: s.purpose, treeHead: s.tree, acknowledged: s.acknowledged, items: s.items},
      },
    ],
    result: undefined,
  }))
  return events[0]!.event.seq
}
