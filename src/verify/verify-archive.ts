/**
 * `custody verify ARCHIVE.zip`: checks a sealed archive on any machine, with no case, no key and no
 * network, straight from the ZIP (nothing is unpacked). What counts is the bag, not the ZIP's bytes:
 * a bag unzipped and zipped again by another tool still verifies. The checks:
 *
 *   1. zip        a structure no other reader can read differently (zip-structure.ts: one end
 *                 record, entries tiling the file, local headers agreeing with the central
 *                 directory, every CRC-32), one top folder, no duplicate names (also after Unicode
 *                 normalisation), no symlinks, no `..`, absolute names or backslashes, no zip bomb
 *   2. bagit      bagit.txt declares BagIt 1.0 (RFC 8493 §2.1.1)
 *   3. manifests  every line of both payload manifests matches its file (§3), every payload file is
 *                 in both, and every tag manifest line matches its file
 *   4. oxum       Payload-Oxum in bag-info.txt is the payload's byte and file count (§2.2.2)
 *   5. statement  the seal statement's exhibits are in the payload with the digests it states
 *   6. contents   every file of the bag is one the signed statement accounts for: the exhibits'
 *                 files and the custody files it names under data/, the tag files, README.txt
 *                 with the SHA-256 it states, and bag-info.txt exactly as the statement implies
 *   7. events     each event's hash is SHA-256(prev || canonical event), consecutive events chain,
 *                 each exhibit's ingest event states the exhibit's digests, the key events are
 *                 sound (key-events.ts), and every inclusion proof (RFC 9162 §2.1.3.2) leads to
 *                 the tree head the seal records
 *   8, 9.        the signatures and the trusted timestamps (archive-trust.ts)
 *  10. testimony  each testimony as the statement gives it agrees with its own sealed events, and
 *                 its consent covers the seal's purpose (archive-testimony.ts)
 *  11. earlier seals  each seal the ledger had recorded is proven a prefix of the sealed tree
 *                 (earlier-seals.ts), for `--against`
 *
 * The archive is hostile input, and its size is the only thing verify's cost may grow with: small
 * files are read whole only up to the bound any genuine one stays under (bag-layout.ts), large ones
 * (the events, the payload manifests, the statement) are read as streams with a bound on each line
 * or element, deflated entries may not expand more than MAX_RATIO times, and only the first
 * problems are kept (problem-list.ts).
 */
import {bytesToHex, hexToBytes} from '@noble/hashes/utils.js'
import {createHash} from 'node:crypto'
import {stat} from 'node:fs/promises'
import {entryProblems, MAX_RATIO, SafeZip, ZipStructureError, type ZipEntryInfo} from '../archive/zip-reader.js'
import {BagIndex} from './bag-index.js'
import {scratchWork} from '../io/scratch-db.js'
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
import {
  BAG_INFO_PATH,
  BAG_LIMITS,
  BAGIT_PATH,
  bagInfoSourceOf,
  EVENTS_PATH,
  PAYLOAD_MANIFESTS,
  parseManifestLine,
  README_PATH,
  sealBagInfo,
  smallFileLimit,
  STATEMENT_PATH,
  statedCustodyFiles,
  TAG_FILES,
  TAG_MANIFESTS,
} from '../seal/bag-layout.js'
import {isKeyEvent, readKeyEvent} from '../keys/key-events.js'
import {keyHistory, type RecordedKey} from '../checkpoints/verify-checkpoints.js'
import {checkArchiveTrust, type ArchiveTrust} from './archive-trust.js'
import {ProblemList} from './problem-list.js'
import {checkEarlierSeals} from './earlier-seals.js'
import {EARLIER_SEALS_PATH, type EarlierSeal} from '../seal/earlier-seals.js'
import {HEX64, isRecord} from '../formats/guards.js'

export interface ArchiveProblem {
  check: string
  subject: string
  message: string
  expected?: string
  actual?: string
}

export interface ArchiveCheck {
  name: string
  /** True only when the check holds as proof for the user; a warning is not ok. */
  ok: boolean
  status: 'ok' | 'warning' | 'failed'
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
  /** The first problems found (at most 1,000); `problemCount` counts them all. */
  problems: ArchiveProblem[]
  problemCount: number
  /** What holds, but not as proof for you (timestamps checked only against the archive's own roots). */
  warnings: string[]
}

export interface VerifyArchiveOptions {
  onProgress?: (done: number, total: number) => void
  /** TSA roots the user trusts (--tsa-ca). */
  tsaRoots?: Certificate[]
  /** Fingerprints of the signing keys the user expects (--key). */
  pinnedKeys?: readonly string[]
  /** Each event whose hash holds, as it is read (for `--against`). */
  onEvent?: (seq: number, hash: string) => void
}


/** No events file: no lines. */
async function* noLines(): AsyncGenerator<string> {}


/** The first line where two texts differ, for a problem's expected and actual. */
function firstDifference(expected: string, actual: string): {expected: string; actual: string} {
  const a = expected.split('\n')
  const b = actual.split('\n')
  const i = a.findIndex((line, n) => line !== b[n])
  const at = i < 0 ? a.length : i
  return {expected: a[at] ?? '(end of file)', actual: b[at] ?? '(end of file)'}
}

export async function verifyArchive(path: string, options: VerifyArchiveOptions = {}): Promise<ArchiveReport> {
  return scratchWork('verify could not finish, which says nothing about the archive', () => checkArchive(path, options))
}

async function checkArchive(path: string, options: VerifyArchiveOptions): Promise<ArchiveReport> {
  const problems = new ProblemList<ArchiveProblem>()
  const checks: ArchiveCheck[] = []
  const warnings: string[] = []
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
    problems: problems.kept,
    problemCount: problems.length,
    warnings,
  })
  const check = (name: string, before: number, detail: string, warning?: string): void => {
    const status = problems.length !== before ? 'failed' : warning === undefined ? 'ok' : 'warning'
    checks.push({name, ok: status === 'ok', status, detail})
    if (status === 'warning') warnings.push(`${name}: ${warning}`)
  }

  /** A ZIP that cannot be opened, or whose structure or central directory cannot be trusted. */
  const notAZip = (error: unknown): ArchiveReport => {
    if (error instanceof ZipStructureError) problems.push({check: 'zip', subject: error.subject, message: error.message})
    else problems.push({check: 'zip', subject: path, message: `not a readable ZIP: ${messageOf(error)} (truncated, damaged, or holding an unsafe name)`})
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

    const {problems: layout, top} = files.layoutProblems(found.size, MAX_RATIO)
    for (const p of layout) problems.push({check: 'zip', ...p})
    check('zip', before, `${entryCount} entries${top ? `, one bag folder ${top}/` : ''}`)
    if (top === undefined || problems.length > before) return report(top ?? null, null, 0, 0)

    // Hash every file once, straight from the ZIP, checking its CRC-32; what is read again later
    // must be what was hashed now.
    const inBag = (info: ZipEntryInfo): string => info.name.slice(top.length + 1)
    const unreadable: Array<{info: ZipEntryInfo; error: string}> = []
    const fileCount = files.fileCount()
    await zip.digestEach(
      () => files.fileEntries(),
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

    /**
     * A small file of the bag, read whole: undefined when it is not there, or when it is larger
     * than any genuine file of its kind (the contents check reports that).
     */
    const small = async (name: string): Promise<Buffer | undefined> => {
      const file = files.get(name)
      const limit = smallFileLimit(name)
      if (file === undefined || limit === undefined || file.size > limit) return undefined
      return zip.readSmall(file.info, limit, file.sha256)
    }

    const text = async (name: string): Promise<string | undefined> => (await small(name))?.toString('utf8')

    // 2. bagit
    before = problems.length
    const declaration = await text(BAGIT_PATH)
    if (declaration !== BAGIT_TXT) {
      problems.push({check: 'bagit', subject: BAGIT_PATH, message: declaration === undefined ? 'missing' : 'does not declare BagIt 1.0 in UTF-8', expected: BAGIT_TXT, ...(declaration === undefined ? {} : {actual: declaration})})
    }

    check('bagit', before, 'BagIt-Version 1.0, UTF-8')

    // 3. manifests
    before = problems.length
    const payload = files.payload()
    for (const [index, algorithm] of (['sha256', 'sha512'] as const).entries()) {
      const naming = algorithm === 'sha256' ? 'listed256' : 'listed512'
      for (const name of [PAYLOAD_MANIFESTS[index]!, TAG_MANIFESTS[index]!]) {
        const payloadManifest = name === PAYLOAD_MANIFESTS[index]
        const manifestFile = files.get(name)
        if (manifestFile === undefined) {
          problems.push({check: 'manifests', subject: name, message: 'missing'})
          continue
        }

        // The index counts the lines of a payload manifest that name each file; a tag manifest
        // is small, and its listed paths are kept aside.
        const tagListed = new Set<string>()
        const listed = (listedPath: string): {twice: boolean; digest: string | undefined} => {
          if (payloadManifest) {
            const file = files.listed(listedPath, algorithm)
            return {twice: (file?.times ?? 0) > 1, digest: file?.digest}
          }

          const twice = tagListed.has(listedPath)
          tagListed.add(listedPath)
          return {twice, digest: files.get(listedPath)?.[algorithm]}
        }

        let malformed = false
        try {
          let line = 0
          const lines = payloadManifest ? zip.lines(manifestFile.info, BAG_LIMITS.manifestLine) : ((await text(name)) ?? '').split('\n')
          if (!payloadManifest && manifestFile.size > (smallFileLimit(name) ?? 0)) throw new Error(`${manifestFile.size} bytes, more than any genuine tag manifest`)
          for await (const entry of lines) {
            line++
            if (entry === '') continue
            const parsed = parseManifestLine(entry)
            if (parsed === undefined) {
              problems.push({check: 'manifests', subject: name, message: `line ${line} is not "<digest>  <path>"`})
              malformed = true
              break
            }

            const {hex, path: listedPath} = parsed
            const {twice, digest} = listed(listedPath)
            if (twice) problems.push({check: 'manifests', subject: `${name} line ${line}`, message: `${listedPath} is listed twice`})
            if (payloadManifest && !listedPath.startsWith('data/')) {
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

        if (payloadManifest && !malformed) {
          for (const payloadFile of files.unnamed('data/', naming)) problems.push({check: 'manifests', subject: payloadFile, message: `is in the bag but not in ${name}`})
        }
      }
    }

    check('manifests', before, `${payload.count} payload files against SHA-256 and SHA-512 manifests; tag manifests`)

    // 4. oxum
    before = problems.length
    const bagInfoText = (await text(BAG_INFO_PATH)) ?? ''
    const info = Object.fromEntries(
      bagInfoText
        .split('\n')
        .filter((line) => line.includes(':'))
        .map((line) => [line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()]),
    )
    const oxum = `${payload.bytes}.${payload.count}`
    if (info['Payload-Oxum'] !== oxum) {
      problems.push({check: 'oxum', subject: BAG_INFO_PATH, message: 'Payload-Oxum does not match the payload', expected: oxum, actual: String(info['Payload-Oxum'] ?? 'missing')})
    }

    check('oxum', before, `Payload-Oxum ${oxum}`)

    // 5. statement
    // Read as a stream: each exhibit it states is checked against the payload as it comes, and
    // its stated digests go to the index (for the events check).
    before = problems.length
    const checkStated = (x: Record<string, unknown>, order: number): void => {
      const id = String(x.exhibit)
      files.addStatedExhibit(id, order, x.sha256, x.sha512)
      // An exhibit's files are in its own folder: a statement cannot make a custody file an exhibit.
      const folder = `data/exhibits/${id}/`
      const original = String(x.path)
      if (!original.startsWith(`${folder}original/`) || original.slice(folder.length + 9).includes('/') || x.metadataPath !== `${folder}metadata.json`) {
        problems.push({check: 'statement', subject: id, message: `its files are not in its own folder ${folder}`, actual: `${original}, ${String(x.metadataPath)}`})
        return
      }

      const file = files.statedFile(original)
      if (file === undefined) {
        problems.push({check: 'statement', subject: id, message: `its original ${original} is not in the bag`})
      } else {
        if (file.times > 1) problems.push({check: 'statement', subject: id, message: `its original ${original} is named by another exhibit of the statement too`})
        for (const field of ['sha256', 'sha512'] as const) {
          if (file[field] !== x[field]) {
            problems.push({check: 'statement', subject: id, message: `the seal statement's ${field === 'sha256' ? 'SHA-256' : 'SHA-512'} does not match ${original}`, expected: String(x[field]), actual: file[field]})
          }
        }

        if (file.size !== x.size) problems.push({check: 'statement', subject: id, message: 'the stated size does not match', expected: String(x.size), actual: String(file.size)})
      }

      const record = files.statedFile(String(x.metadataPath))
      if (record === undefined) problems.push({check: 'statement', subject: id, message: `its metadata record ${String(x.metadataPath)} is not in the bag`})
      else if (record.times > 1) problems.push({check: 'statement', subject: id, message: `its metadata record ${String(x.metadataPath)} is named by another exhibit of the statement too`})
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
        {element: BAG_LIMITS.statementExhibit, rest: BAG_LIMITS.statementRest},
      )
      if (!isRecord(parsed)) throw new Error('missing or not an object')
      statement = parsed
      if (read.digest('hex') !== statementFile.sha256) throw new Error('it changed while it was being checked: read again, it is not the file hashed first')
    } catch (error) {
      problems.push({check: 'statement', subject: STATEMENT_PATH, message: `cannot be read: ${messageOf(error)}`})
      statement = {}
    }

    const sealId = typeof statement.sealId === 'string' ? statement.sealId : null
    check('statement', before, `${exhibitCount} exhibits as the seal ${sealId ?? '?'} states them`)

    // 6. contents
    before = problems.length
    const custodyFiles = statedCustodyFiles(statement)
    for (const message of custodyFiles.problems) problems.push({check: 'contents', subject: STATEMENT_PATH, message})
    for (const name of custodyFiles.files) files.statedFile(name)
    for (const name of files.unnamed('', 'stated')) {
      if (TAG_FILES.includes(name)) continue
      problems.push({
        check: 'contents',
        subject: name,
        message: name.startsWith('data/') ? 'is in the payload, but the seal statement does not name it: nothing vouches for it' : 'is not a file of a sealed bag: nothing vouches for it',
      })
    }

    for (const name of [...TAG_FILES, ...custodyFiles.files]) {
      const file = files.get(name)
      const limit = smallFileLimit(name)
      if (file !== undefined && limit !== undefined && file.size > limit) {
        problems.push({check: 'contents', subject: name, message: `${file.size} bytes, more than any genuine file of its kind can have (${limit}): it was not read`})
      }
    }

    const statedReadme = isRecord(statement.readme) ? statement.readme.sha256 : undefined
    const readme = files.get(README_PATH)
    if (readme === undefined) problems.push({check: 'contents', subject: README_PATH, message: 'missing'})
    else if (readme.sha256 !== statedReadme) {
      problems.push({check: 'contents', subject: README_PATH, message: 'is not the README the seal statement states: its instructions were changed', expected: String(statedReadme), actual: readme.sha256})
    }

    const source = bagInfoSourceOf(statement)
    if (typeof source === 'string') {
      problems.push({check: 'contents', subject: BAG_INFO_PATH, message: `cannot be compared with the seal statement: ${source}`})
    } else {
      const expected = sealBagInfo(source, payload)
      if (bagInfoText !== expected) problems.push({check: 'contents', subject: BAG_INFO_PATH, message: 'says other than the seal statement it must repeat', ...firstDifference(expected, bagInfoText)})
    }

    check('contents', before, `every file is one the seal statement accounts for; README.txt and bag-info.txt as it states`)

    // 7. events
    before = problems.length
    const treeHead = isRecord(statement.treeHead) ? statement.treeHead : {}
    const size = Number(treeHead.size)
    const root = String(treeHead.root)
    // Only what later checks need is kept of each event: whether each stated exhibit's ingest
    // event states its digests, the key events and the testimony events (bounded). An archive's
    // events are read as a stream, hashed again on the way.
    const eventsFile = files.get(EVENTS_PATH)
    const read256 = createHash('sha256')
    const lines = eventsFile ? zip.lines(eventsFile.info, BAG_LIMITS.eventLine, (chunk) => read256.update(chunk)) : noLines()
    const testimonyEvents: LedgerEvent[] = []
    let testimonyBytes = 0
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

        if ((TESTIMONY_ACTIONS as readonly unknown[]).includes(event.action)) {
          testimonyBytes += canonical.length
          if (testimonyBytes > BAG_LIMITS.testimonyEvents) {
            if (testimonyBytes - canonical.length <= BAG_LIMITS.testimonyEvents) problems.push({check: 'events', subject, message: `the testimony events hold more than ${BAG_LIMITS.testimonyEvents} bytes, more than any genuine archive's`})
          } else {
            testimonyEvents.push(event as unknown as LedgerEvent)
          }
        }

        if (isKeyEvent(event)) {
          const read = keys.length >= BAG_LIMITS.keyEvents ? {problem: `more than ${BAG_LIMITS.keyEvents} key events`} : readKeyEvent(event, seq, keys.at(-1))
          if ('problem' in read) problems.push({check: 'events', subject, message: `key event is refused: ${read.problem}`})
          else keys.push(read.key)
        }

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

    if (first === undefined || !first.includes('"seq":0')) problems.push({check: 'events', subject: EVENTS_PATH, message: "the case's first event is missing"})
    const statedEvents = isRecord(statement.events) ? statement.events : {}
    const eventsSha256 = eventsFile?.sha256
    if (statedEvents.count !== count || statedEvents.sha256 !== eventsSha256) {
      problems.push({
        check: 'events',
        subject: EVENTS_PATH,
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

    // 8, 9. signatures and timestamps
    const checked = await checkArchiveTrust({
      file: async (name) => small(name).catch(() => undefined),
      statementSignature: statementFile === undefined ? undefined : (spki, signature) => verifySignatureStreamed(spki, () => zip.chunks(statementFile.info), signature),
      statement,
      caseId: isRecord(statement.case) ? String(statement.case.id) : '',
      keys: keyHistory(keys),
      treeHead: {size, root},
      ...(options.tsaRoots === undefined ? {} : {tsaRoots: options.tsaRoots}),
      ...(options.pinnedKeys === undefined ? {} : {pinnedKeys: options.pinnedKeys}),
    })
    for (const name of ['signatures', 'timestamps'] as const) {
      before = problems.length
      problems.push(...checked.problems.filter((p) => p.check === name))
      check(name, before, checked.details[name], checked.warnings.find((w) => w.check === name)?.message)
    }

    trust = checked.trust

    // 10. testimony
    before = problems.length
    const testimony = checkArchiveTestimony(statement, testimonyEvents, (id) => files.statedSha256(id))
    problems.push(...testimony.problems)
    check('testimony', before, testimony.detail)

    // 11. earlier seals
    before = problems.length
    const earlierFile = files.get(EARLIER_SEALS_PATH)
    const earlier = await checkEarlierSeals({
      file: earlierFile === undefined ? undefined : {sha256: earlierFile.sha256, lines: (onBytes) => zip.lines(earlierFile.info, BAG_LIMITS.earlierSealLine, onBytes)},
      statement,
      treeHead: {size, root},
    })
    problems.push(...earlier.problems)
    check('earlier seals', before, earlier.detail)
    links = {caseId: isRecord(statement.case) ? String(statement.case.id) : null, treeHead: {size, root}, earlierSeals: earlier.seals}
    return report(top, sealId, exhibitCount, count)
  } finally {
    files.close()
    zip.close()
  }
}
