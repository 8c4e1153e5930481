/**
 * `custody verify ARCHIVE.zip`: checks a sealed archive on any machine, with no case, no key and no
 * network, straight from the ZIP (nothing is unpacked). What counts is the bag, not the ZIP's bytes:
 * a bag unzipped and zipped again by another tool still verifies. The checks:
 *
 *   1. zip        one top folder; no duplicate names (also after Unicode normalisation), no
 *                 symlinks, no `..`, absolute names or backslashes, no entry that lies about its
 *                 size or overlaps another
 *   2. bagit      bagit.txt declares BagIt 1.0 (RFC 8493 §2.1.1)
 *   3. manifests  every line of both payload manifests matches its file (§3), every payload file is
 *                 in both, and every tag manifest line matches its file
 *   4. oxum       Payload-Oxum in bag-info.txt is the payload's byte and file count (§2.2.2)
 *   5. statement  the seal statement's exhibits are in the payload with the digests it states, and
 *                 the payload holds no exhibit it does not state
 *   6. events     each event's hash is SHA-256(prev || canonical event), consecutive events chain,
 *                 each exhibit's ingest event states the exhibit's digests, and every inclusion
 *                 proof (RFC 9162 §2.1.3.2) leads to the tree head the seal records
 *   7, 8.        the signatures and the trusted timestamps (archive-trust.ts)
 *   9. testimony  each testimony as the statement gives it agrees with its own sealed events, and
 *                 its consent covers the seal's purpose (archive-testimony.ts)
 *  10. earlier seals  each seal the ledger had recorded is proven a prefix of the sealed tree
 *                 (earlier-seals.ts), for `--against`
 */
import {bytesToHex, hexToBytes} from '@noble/hashes/utils.js'
import {createHash} from 'node:crypto'
import {stat} from 'node:fs/promises'
import {entryProblems, SafeZip, type ZipEntryInfo} from '../archive/zip-reader.js'
import {BagIndex} from './bag-index.js'
import {readStatement} from './statement-reader.js'
import {verifySignatureStreamed} from '../keys/signing-key.js'
import {canonicalize} from '../canonical/jcs.js'
import {CustodyError, messageOf} from '../errors.js'
import {chainHash, eventLeafHash, type LedgerEvent} from '../ledger/event.js'
import {checkArchiveTestimony} from './archive-testimony.js'
import {TESTIMONY_ACTIONS} from '../testimony/testimonies.js'
import {verifyInclusion} from '../merkle/verify.js'
import type {Certificate} from 'pkijs'
import {BAGIT_TXT} from '../seal/bagit.js'
import {keyFromEvent} from '../case/case.js'
import {keyHistory, type RecordedKey} from '../checkpoints/verify-checkpoints.js'
import {checkArchiveTrust, type ArchiveTrust} from './archive-trust.js'
import {checkEarlierSeals} from './earlier-seals.js'
import type {EarlierSeal} from '../seal/earlier-seals.js'

export interface ArchiveProblem {
  check: string
  subject: string
  message: string
  expected?: string
  actual?: string
}

export interface ArchiveCheck {
  name: string
  ok: boolean
  detail: string
}

export interface ArchiveReport {
  ok: boolean
  archive: string
  bag: string | null
  sealId: string | null
  exhibits: number
  events: number
  /** Who signed, with which key, and the trusted times (null when the archive could not be read that far). */
  trust: ArchiveTrust | null
  /** What `--against` needs (against.ts): the case, the sealed tree head, the earlier seals proven a prefix of it. */
  caseId: string | null
  treeHead: {size: number; root: string} | null
  earlierSeals: EarlierSeal[] | null
  checks: ArchiveCheck[]
  problems: ArchiveProblem[]
}

const HEX64 = /^[0-9a-f]{64}$/
const KEEP_LIMIT = 64 * 1024 * 1024
const EVENTS_PATH = 'data/custody/events.jsonl'
const STATEMENT_PATH = 'data/custody/seal.json'
/** Files read again as a stream when they are checked, never kept whole. */
const STREAMED = new Set([EVENTS_PATH, STATEMENT_PATH, 'manifest-sha256.txt', 'manifest-sha512.txt'])

/** No events file: no lines. */
async function* noLines(): AsyncGenerator<string> {}

/** One manifest line: "<digest>  <path>" (RFC 8493 §2.1.3); undefined when it is not one. */
function parseManifestLine(line: string): {hex: string; path: string} | undefined {
  const match = /^([0-9a-fA-F]+)[ \t]+\*?(.+)$/.exec(line)
  return match ? {hex: match[1]!.toLowerCase(), path: match[2]!} : undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export async function verifyArchive(
  path: string,
  options: {onProgress?: (done: number, total: number) => void; tsaRoots?: Certificate[]; /** each event whose hash holds */ onEvent?: (seq: number, hash: string) => void} = {},
): Promise<ArchiveReport> {
  const problems: ArchiveProblem[] = []
  const checks: ArchiveCheck[] = []
  let trust: ArchiveTrust | null = null
  let links: Pick<ArchiveReport, 'caseId' | 'treeHead' | 'earlierSeals'> = {caseId: null, treeHead: null, earlierSeals: null}
  const report = (bag: string | null, sealId: string | null, exhibits: number, events: number): ArchiveReport => ({
    ok: problems.length === 0,
    archive: path,
    bag,
    sealId,
    exhibits,
    events,
    trust,
    ...links,
    checks,
    problems,
  })
  const check = (name: string, before: number, detail: string): void => {
    checks.push({name, ok: problems.length === before, detail})
  }

  /** A ZIP that cannot be opened, or whose central directory cannot be listed. */
  const notAZip = (error: unknown): ArchiveReport => {
    problems.push({check: 'zip', subject: path, message: `not a readable ZIP: ${messageOf(error)} (truncated, damaged, or holding an unsafe name)`})
    check('zip', -1, 'unreadable')
    return report(null, null, 0, 0)
  }

  const found = await stat(path).catch(() => undefined)
  if (!found?.isFile()) throw new CustodyError('INVALID_ARGUMENT', `${path} is not a file; give the path of a sealed archive (.zip)`)

  // 1. zip
  let zip: SafeZip
  try {
    zip = await SafeZip.open(path)
  } catch (error) {
    return notAZip(error)
  }

  // Every entry, its digests and what names it, and the stated exhibits are kept in a temporary
  // database, not in memory (bag-index.ts).
  const files = new BagIndex()
  try {
    let before = problems.length
    let entryCount: number
    try {
      entryCount = await zip.list((info) => {
        files.addEntry(info)
        for (const message of entryProblems(info)) problems.push({check: 'zip', subject: info.name, message})
      })
    } catch (error) {
      return notAZip(error)
    }

    const {problems: layout, top} = files.layoutProblems()
    for (const p of layout) problems.push({check: 'zip', ...p})
    check('zip', before, `${entryCount} entries${top ? `, one bag folder ${top}/` : ''}`)
    if (top === undefined || problems.length > before) return report(top ?? null, null, 0, 0)

    // Hash every file once, straight from the ZIP. Tag and custody files are kept to be read; the
    // payload manifests and the events are read again line by line when they are checked.
    const inBag = (info: ZipEntryInfo): string => info.name.slice(top.length + 1)
    const keep = (info: ZipEntryInfo): boolean => {
      const name = inBag(info)
      return (!name.startsWith('data/') || name.startsWith('data/custody/')) && !STREAMED.has(name) && info.uncompressedSize <= KEEP_LIMIT
    }
    const unreadable: Array<{info: ZipEntryInfo; error: string}> = []
    const fileCount = files.fileCount()
    await zip.digestEach(
      () => files.fileEntries(),
      keep,
      (info, result) => {
        if ('digest' in result) files.setDigest(info, inBag(info), result.digest)
        else unreadable.push({info, error: result.error})
      },
      (done) => options.onProgress?.(done, fileCount),
    )
    for (const {info, error} of unreadable.sort((a, b) => a.info.index - b.info.index)) problems.push({check: 'zip', subject: info.name, message: `cannot be read: ${error}`})
    if (problems.length > 0) {
      check('zip', before, 'entries unreadable')
      return report(top, null, 0, 0)
    }

    const text = (name: string): string | undefined => files.get(name)?.bytes?.toString('utf8')

    // 2. bagit
    before = problems.length
    const declaration = text('bagit.txt')
    if (declaration !== BAGIT_TXT) {
      problems.push({check: 'bagit', subject: 'bagit.txt', message: declaration === undefined ? 'missing' : 'does not declare BagIt 1.0 in UTF-8', expected: BAGIT_TXT, ...(declaration === undefined ? {} : {actual: declaration})})
    }

    check('bagit', before, 'BagIt-Version 1.0, UTF-8')

    // 3. manifests
    before = problems.length
    const payload = files.payload()
    for (const [naming, algorithm] of [['listed256', 'sha256'], ['listed512', 'sha512']] as const) {
      for (const kind of ['manifest', 'tagmanifest'] as const) {
        const name = `${kind}-${algorithm}.txt`
        const manifestFile = files.get(name)
        if (manifestFile === undefined) {
          problems.push({check: 'manifests', subject: name, message: 'missing'})
          continue
        }

        // The index counts the lines of a payload manifest that name each file; a tag manifest
        // is small, and its listed paths are kept aside.
        const tagListed = new Set<string>()
        const listed = (path: string): {twice: boolean; digest: string | undefined} => {
          if (kind === 'manifest') {
            const file = files.listed(path, algorithm)
            return {twice: (file?.times ?? 0) > 1, digest: file?.digest}
          }

          const twice = tagListed.has(path)
          tagListed.add(path)
          return {twice, digest: files.get(path)?.[algorithm]}
        }

        let unreadable = false
        try {
          let line = 0
          for await (const text of manifestFile.bytes ? manifestFile.bytes.toString('utf8').split('\n') : zip.lines(manifestFile.info)) {
            line++
            if (text === '') continue
            const parsed = parseManifestLine(text)
            if (parsed === undefined) {
              problems.push({check: 'manifests', subject: name, message: `line ${line} is not "<digest>  <path>"`})
              unreadable = true
              break
            }

            const {hex, path: listedPath} = parsed
            const {twice, digest} = listed(listedPath)
            if (twice) problems.push({check: 'manifests', subject: `${name} line ${line}`, message: `${listedPath} is listed twice`})
            if (kind === 'manifest' && !listedPath.startsWith('data/')) {
              problems.push({check: 'manifests', subject: `${name} line ${line}`, message: `${listedPath} is not a payload file`})
            } else if (digest === undefined) {
              problems.push({check: 'manifests', subject: listedPath, message: `listed in ${name} (line ${line}) but not in the bag`})
            } else if (digest !== hex) {
              problems.push({check: 'manifests', subject: listedPath, message: `its ${algorithm === 'sha256' ? 'SHA-256' : 'SHA-512'} does not match ${name} line ${line}`, expected: hex, actual: digest})
            }
          }
        } catch (error) {
          problems.push({check: 'manifests', subject: name, message: `cannot be read: ${messageOf(error)}`})
          continue
        }

        if (kind === 'manifest' && !unreadable) {
          for (const payloadFile of files.unnamed('data/', naming)) problems.push({check: 'manifests', subject: payloadFile, message: `is in the bag but not in ${name}`})
        }
      }
    }

    check('manifests', before, `${payload.count} payload files against SHA-256 and SHA-512 manifests; tag manifests`)

    // 4. oxum
    before = problems.length
    const info = Object.fromEntries(
      (text('bag-info.txt') ?? '')
        .split('\n')
        .filter((line) => line.includes(':'))
        .map((line) => [line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()]),
    )
    const oxum = `${payload.bytes}.${payload.count}`
    if (info['Payload-Oxum'] !== oxum) {
      problems.push({check: 'oxum', subject: 'bag-info.txt', message: 'Payload-Oxum does not match the payload', expected: oxum, actual: String(info['Payload-Oxum'] ?? 'missing')})
    }

    check('oxum', before, `Payload-Oxum ${oxum}`)

    // 5. statement
    // Read as a stream: each exhibit it states is checked against the payload as it comes, and
    // its stated digests go to the index (for the events check).
    before = problems.length
    const checkStated = (x: Record<string, unknown>, order: number): void => {
      const id = String(x.exhibit)
      files.addStatedExhibit(id, order, x.sha256, x.sha512)
      const original = files.statedFile(String(x.path))
      if (original === undefined) {
        problems.push({check: 'statement', subject: id, message: `its original ${String(x.path)} is not in the bag`})
      } else {
        for (const field of ['sha256', 'sha512'] as const) {
          if (original[field] !== x[field]) {
            problems.push({check: 'statement', subject: id, message: `the seal statement's ${field === 'sha256' ? 'SHA-256' : 'SHA-512'} does not match ${String(x.path)}`, expected: String(x[field]), actual: original[field]})
          }
        }

        if (original.size !== x.size) problems.push({check: 'statement', subject: id, message: 'the stated size does not match', expected: String(x.size), actual: String(original.size)})
      }

      const record = files.statedFile(String(x.metadataPath))
      if (record === undefined) problems.push({check: 'statement', subject: id, message: `its metadata record ${String(x.metadataPath)} is not in the bag`})
      else if (record.sha256 !== x.metadataRecord) {
        problems.push({check: 'statement', subject: id, message: 'its metadata record is not the one the seal states', expected: String(x.metadataRecord), actual: record.sha256})
      }
    }

    let statement: Record<string, unknown> = {}
    let exhibitCount = 0
    const statementFile = files.get(STATEMENT_PATH)
    try {
      if (statementFile === undefined) throw new Error('missing or not an object')
      const read = createHash('sha256')
      const parsed = await readStatement(
        zip.chunks(statementFile.info, (chunk) => read.update(chunk)),
        (x) => {
          if (!isRecord(x)) return
          checkStated(x, exhibitCount++)
        },
      )
      if (!isRecord(parsed)) throw new Error('missing or not an object')
      statement = parsed
      if (read.digest('hex') !== statementFile.sha256) throw new Error('it changed while it was being checked: read again, it is not the file hashed first')
    } catch (error) {
      problems.push({check: 'statement', subject: STATEMENT_PATH, message: `cannot be read: ${messageOf(error)}`})
      statement = {}
    }

    const sealId = typeof statement.sealId === 'string' ? statement.sealId : null
    for (const name of files.unnamed('data/exhibits/', 'stated')) {
      problems.push({check: 'statement', subject: name, message: 'is in the payload but the seal statement does not name it'})
    }

    check('statement', before, `${exhibitCount} exhibits as the seal ${sealId ?? '?'} states them`)

    // 6. events
    before = problems.length
    const treeHead = isRecord(statement.treeHead) ? statement.treeHead : {}
    const size = Number(treeHead.size)
    const root = String(treeHead.root)
    if (info['Custody-Tree-Head'] !== undefined && info['Custody-Tree-Head'] !== `${String(treeHead.size)} ${root}`) {
      problems.push({check: 'events', subject: 'bag-info.txt', message: 'Custody-Tree-Head differs from the seal statement', expected: `${String(treeHead.size)} ${root}`, actual: String(info['Custody-Tree-Head'])})
    }

    // Only what later checks need is kept of each event: whether each stated exhibit's ingest
    // event states its digests, and the testimony events. An archive's events are read as a
    // stream, hashed again on the way.
    const eventsFile = files.get(EVENTS_PATH)
    const read256 = createHash('sha256')
    const lines = eventsFile ? zip.lines(eventsFile.info, (chunk) => read256.update(chunk)) : noLines()
    const testimonyEvents: LedgerEvent[] = []
    let count = 0
    let first: string | undefined
    let readFailed = false
    const keys: Array<RecordedKey & {holder: string}> = []
    let previous: {seq: number; hash: string} | undefined
    try {
      for await (const line of lines) {
        if (line === '') continue
        const at = `event line ${++count}`
        first ??= line
        let entry: Record<string, unknown>
        try {
          entry = JSON.parse(line) as Record<string, unknown>
          if (!isRecord(entry) || !isRecord(entry.event)) throw new Error('not an event record')
        } catch (error) {
          problems.push({check: 'events', subject: at, message: `cannot be read: ${messageOf(error)}`})
          continue
        }

        const event = entry.event as Record<string, unknown>
        const seq = Number(entry.seq)
        const subject = `event ${seq}`
        let canonical: string
        try {
          canonical = canonicalize(event)
        } catch (error) {
          problems.push({check: 'events', subject, message: messageOf(error)})
          continue
        }

        if (event.seq !== seq || event.prev !== entry.prev) problems.push({check: 'events', subject, message: 'the event does not state the sequence number and previous hash beside it'})
        const prev = String(entry.prev)
        const hash = HEX64.test(prev) ? chainHash(prev, canonical) : ''
        if (hash !== entry.hash) problems.push({check: 'events', subject, message: 'its hash does not match its content: the event was changed', expected: hash, actual: String(entry.hash)})
        else options.onEvent?.(seq, hash)
        if (previous && previous.seq + 1 === seq && prev !== previous.hash) {
          problems.push({check: 'events', subject, message: `it does not chain to event ${previous.seq}`, expected: previous.hash, actual: prev})
        }

        if (previous && seq <= previous.seq) problems.push({check: 'events', subject, message: 'events are not in ledger order'})
        const leaf = eventLeafHash(canonical)
        if (bytesToHex(leaf) !== entry.leafHash) problems.push({check: 'events', subject, message: 'its leaf hash does not match its content', expected: bytesToHex(leaf), actual: String(entry.leafHash)})
        try {
          const proof = Array.isArray(entry.inclusionProof) ? entry.inclusionProof.map((h) => hexToBytes(String(h))) : []
          verifyInclusion(seq, size, leaf, proof, hexToBytes(HEX64.test(root) ? root : '00'.repeat(32)))
        } catch (error) {
          const e = error as {expected?: string; calculated?: string}
          problems.push({check: 'events', subject, message: `its inclusion proof does not lead to the sealed tree head: ${messageOf(error)}`, ...(e.expected ? {expected: e.expected} : {}), ...(e.calculated ? {actual: e.calculated} : {})})
        }

        if (event.action === 'ingest' && typeof event.exhibit === 'string' && isRecord(event.payload) && isRecord(event.payload.digests)) {
          files.ingested(event.exhibit, event.payload.digests)
        }

        if ((TESTIMONY_ACTIONS as readonly unknown[]).includes(event.action)) testimonyEvents.push(event as unknown as LedgerEvent)
        const isKeyEvent = event.action === 'key-created' || event.action === 'key-rotated'
        const key = isKeyEvent && isRecord(event.payload) ? keyFromEvent({payload: event.payload}) : undefined
        if (key !== undefined) keys.push({...key, seq, holder: String((event.payload as Record<string, unknown>).holder)})
        if (seq === 0 && isRecord(event.payload) && isRecord(statement.case) && event.payload.caseId !== statement.case.id) {
          problems.push({check: 'events', subject, message: 'the case of the first event is not the case of the seal', expected: String(statement.case.id), actual: String(event.payload.caseId)})
        }

        previous = {seq, hash: String(entry.hash)}
      }
    } catch (error) {
      readFailed = true
      problems.push({check: 'events', subject: EVENTS_PATH, message: `cannot be read: ${messageOf(error)}`})
    }

    if (eventsFile !== undefined && !readFailed && read256.digest('hex') !== eventsFile.sha256) {
      problems.push({check: 'events', subject: EVENTS_PATH, message: 'changed while it was being checked: read again, it is not the file hashed first'})
    }

    if (first === undefined || !first.includes('"seq":0')) problems.push({check: 'events', subject: 'data/custody/events.jsonl', message: "the case's first event is missing"})
    const statedEvents = isRecord(statement.events) ? statement.events : {}
    const eventsSha256 = eventsFile?.sha256
    if (statedEvents.count !== count || statedEvents.sha256 !== eventsSha256) {
      problems.push({
        check: 'events',
        subject: 'data/custody/events.jsonl',
        message: 'is not the events file the seal statement names (an event was added, removed or changed)',
        expected: `${String(statedEvents.count)} events, sha256 ${String(statedEvents.sha256)}`,
        actual: `${count} events, sha256 ${eventsSha256 ?? 'missing'}`,
      })
    }

    for (const {id, stated: sha256, ingest} of files.ingestResults()) {
      if (ingest === 'missing') problems.push({check: 'events', subject: id, message: 'its ingest event is not in the archive'})
      else if (ingest !== 'same') problems.push({check: 'events', subject: id, message: 'its ingest event states other digests than the seal', expected: ingest.sha256, actual: sha256})
    }

    check('events', before, `${count} events, each tied to the tree head ${root.slice(0, 16)}… of ${size} events`)

    // 7, 8. signatures and timestamps
    const checked = await checkArchiveTrust({
      file: (name) => files.get(name)?.bytes,
      statementSignature: statementFile === undefined ? undefined : (spki, signature) => verifySignatureStreamed(spki, () => zip.chunks(statementFile.info), signature),
      statement,
      caseId: isRecord(statement.case) ? String(statement.case.id) : '',
      keys: keyHistory(keys),
      treeHead: {size, root},
      ...(options.tsaRoots === undefined ? {} : {tsaRoots: options.tsaRoots}),
    })
    for (const name of ['signatures', 'timestamps'] as const) {
      before = problems.length
      problems.push(...checked.problems.filter((p) => p.check === name))
      check(name, before, checked.details[name])
    }

    trust = checked.trust

    // 9. testimony
    before = problems.length
    const testimony = checkArchiveTestimony(statement, testimonyEvents, (id) => files.statedSha256(id))
    problems.push(...testimony.problems)
    check('testimony', before, testimony.detail)

    // 10. earlier seals
    before = problems.length
    const earlier = checkEarlierSeals({file: (name) => files.get(name), statement, treeHead: {size, root}})
    problems.push(...earlier.problems)
    check('earlier seals', before, earlier.detail)
    links = {caseId: isRecord(statement.case) ? String(statement.case.id) : null, treeHead: {size, root}, earlierSeals: earlier.seals}
    return report(top, sealId, exhibitCount, count)
  } finally {
    files.close()
    zip.close()
  }
}
