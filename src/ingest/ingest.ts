/**
 * `custody ingest`: many files through the per-file pipeline (pipeline.ts). The files are
 * gathered from the paths given, or from a manifest whose every row is checked before anything
 * else happens (src/manifest/manifest.ts). They go into the run's worklist (worklist.ts), a
 * scratch database that also takes each file's result, so that a batch of any number of files is
 * ingested in the same memory. A manifest or a folder is a recorded batch (batch.ts): it starts
 * with a `batch-started` event, files that an earlier run of the same batch took in are left out,
 * and it ends with `batch-ended`. The steps of a run are listed at ingest(), below.
 *
 * Several files are in flight at once, but their events are recorded in the order the files were
 * given (recorder.ts), so exhibit IDs follow that order. A file that fails leaves no exhibit, only
 * an `ingest-failed` event saying why; the other files go on. A stop request (Ctrl-C) stops copies
 * in progress and starts no new file; files already copied are recorded, so the case stays
 * consistent.
 */
import {relative, resolve} from 'node:path'
import {stat} from 'node:fs/promises'
import {CASE_FOLDER, type Case} from '../case/case.js'
import {CustodyError, given, said, sayWith, type Field} from '../errors.js'
import {digestFile} from '../hashing/digests.js'
import {checkManifestFile, readManifest, type Manifest} from '../manifest/manifest.js'
import {MetadataReader} from '../metadata/exiftool.js'
import type {BatchTags} from '../ledger/ledger.js'
import {batchIdentity, earlierRuns, endBatch, startBatch, type BatchIdentity, type BatchInfo} from './batch.js'
import {INGEST} from './fields.js'
import {walkInputs, type InputFile} from './inputs.js'
import type {SystemEntry} from './system-files.js'
import {IngestRun, asCustodyError, checkCollectedAt, provenanceOf, refOf, type Provenance, type ProvenanceOptions} from './pipeline.js'
import {Recorder} from './recorder.js'
import {EARLIER_RUN_REASON, INTERRUPTED_REASON, UNCHANGED_REASON, alreadyPresent, failed, fileRef, skipped, wouldIngest, type DryRunCounts, type IngestCounts, type IngestFileResult} from './results.js'
import {Worklist} from './worklist.js'

export {INTERRUPTED_REASON, type DryRunCounts, type IngestCounts, type IngestFileResult, type IngestStatus} from './results.js'

export interface IngestOptions extends ProvenanceOptions {
  paths: readonly string[]
  /** A CSV or JSON Lines manifest, one row per file (src/manifest/manifest.ts), instead of paths. */
  manifest?: string | undefined
  /** Check everything and say what would happen; write nothing (no passphrase needed). */
  dryRun?: boolean
  recursive?: boolean
  /** Take, in folder walks, the files and folders an operating system keeps for itself; they are left out by default (system-files.ts). */
  includeSystemFiles?: boolean
  cwd?: string
  signal?: AbortSignal
  /** Files in flight at once: hashing, copying and ExifTool overlap across them. */
  concurrency?: number
  onProgress?: (progress: IngestProgress) => void
  /** How a file's failure names an input field (a command: the flag that gives it); default: in words. */
  nameField?: (field: Field) => string
  /** What checkIngest() said of these options, when the command asked it before the passphrase; else ingest() asks. */
  checked?: IngestCheck
}

/** What checkIngest() finds before the case's key is opened. */
export interface IngestCheck {
  /**
   * No path named can be taken in: each is missing, or a folder without the recursive option. Such
   * a run reports each path failed and writes nothing, so it needs no key.
   */
  takesNothing: boolean
}

/** Told as each file is recorded, and as each chunk of a file is read, so that a large file shows progress too. */
export interface IngestProgress {
  /** Files whose result is recorded. */
  filesDone: number
  filesTotal: number
  /** Bytes read so far, of the recorded files and of those in flight. */
  bytesDone: number
  bytesTotal: number
}

/** What a run and a dry run both report. */
interface ReportOf {
  caseId: string
  /** A manifest or folder ingest is a recorded batch (batch.ts); null for files named one by one. */
  batch: BatchInfo | null
  /** Each file's result, in order, read from the run's worklist (src/ingest/worklist.ts) as it is iterated, until close(). */
  results: Iterable<IngestFileResult>
  /** The system files and folders the walks left out: how many, and the first MAX_LISTED_SYSTEM_FILES of them. */
  systemFiles: {count: number; entries: SystemEntry[]}
  interrupted: boolean
  /** Frees what the run kept of its files: the results can no longer be read. */
  close: () => void
}

/** A run's report, or a dry run's: a dry run says what would be ingested, and never "ingested". */
export type IngestReport =
  | (ReportOf & {dryRun: false; counts: IngestCounts; bytesIngested: number})
  | (ReportOf & {dryRun: true; counts: DryRunCounts; bytesWouldIngest: number})

/** Files in flight at once: copying, hashing and ExifTool overlap across them. */
const DEFAULT_CONCURRENCY = 8
/** The system files and folders a report lists (it counts them all). */
export const MAX_LISTED_SYSTEM_FILES = 1000
/** Files copied and read but not yet recorded; past this many, a worker waits for the recorder. */
const MAX_UNRECORDED = 512

/**
 * Step 0, which a command runs before it asks for the passphrase: refuses what is wrong with the
 * options themselves (no paths and no manifest, or both; a collection time that does not parse; a
 * manifest that cannot be read), and says whether any path named can be taken in. Cheap: it looks
 * at each path named, and walks no folder and reads no row.
 */
export async function checkIngest(options: IngestOptions): Promise<IngestCheck> {
  if (options.collectedAt !== undefined) checkCollectedAt(options.collectedAt)
  const cwd = options.cwd ?? process.cwd()
  if (options.manifest !== undefined) {
    if (options.paths.length > 0) throw new CustodyError('INVALID_ARGUMENT', said`give either ${INGEST.manifest} or paths to ingest, not both`)
    await checkManifestFile(options.manifest, cwd)
    return {takesNothing: false}
  }

  if (options.paths.length === 0) throw new CustodyError('INVALID_ARGUMENT', said`name the files or folders to ingest, or give ${given(INGEST.manifest)}`)
  for (const path of options.paths) {
    const info = await stat(resolve(cwd, path)).catch(() => undefined)
    if (info !== undefined && (options.recursive === true || !info.isDirectory())) return {takesNothing: false}
  }

  return {takesNothing: true}
}

/**
 * Ingests the files the options name, in these steps:
 *
 *   0. check     the options, and whether any path named can be taken in: checkIngest()
 *   1. open      check the ledger against its recorded head, and open the signing key (not for a
 *                dry run, nor for a run that can take nothing in: both write nothing)
 *   2. gather    the files, from the paths given or a manifest, into the worklist: gather()
 *   3. resume    for a batch, note what the case took in before from each path of the run, and leave
 *                out what an earlier run of it took in: resumeBatch()
 *   4. plan      a dry run only: hash each file and say what would happen, then stop: plan()
 *   5. start     remove stale temp files; for a batch, its `batch-started` event: startBatch()
 *   6. take in   each file through the pipeline (recheck, stage, dedupe, read, commit, record:
 *                pipeline.ts), several at once, recorded in the order given: takeIn(). A batch's
 *                file at a path the case took in before is hashed first, and when its content is
 *                what the case took in from there it is present and recorded no more
 *   7. end       for a batch, its `batch-ended` event: endBatch(); then the ledger's new head
 *
 * The report's results are read from the run's worklist as they are iterated: call its close()
 * when done with them.
 */
export async function ingest(kase: Case, options: IngestOptions): Promise<IngestReport> {
  // 0. check
  const {takesNothing} = options.checked ?? (await checkIngest(options))
  const dryRun = options.dryRun ?? false
  // 1. open
  if (!dryRun && !takesNothing) await openCase(kase)
  const work = new Worklist()
  try {
    // 2. gather
    const batch = await gather(kase, options, work)
    if (takesNothing && !dryRun) return refusedOnly(kase, work)
    // 3. resume
    if (batch !== null) await resumeBatch(kase, batch, work)
    const batchInfo: BatchInfo | null = batch === null ? null : {...batch, earlierRuns: earlierRuns(kase, batch.id), startedSeq: null, endedSeq: null}
    const interrupted = (): boolean => options.signal?.aborted ?? false
    // 4. plan
    if (dryRun) {
      await plan(kase, work, options.signal)
      return planReportOf(kase, work, batchInfo, interrupted())
    }

    // 5. start
    // Once the keys are open: a sealed ledger's investigator (the default actor) needs the address key.
    const provenance = provenanceOf(options, kase)
    await kase.vault.removeStaleTempFiles()
    if (batchInfo !== null) {
      const all = work.totals('all')
      batchInfo.startedSeq = startBatch(kase, batchInfo, {files: all.files, bytes: all.bytes, earlier: batchInfo.earlierRuns}, provenance.actor)
    }

    // 6. take in
    await takeIn(kase, options, provenance, batch?.id ?? null, work)
    const report = reportOf(kase, work, batchInfo, interrupted())
    // 7. end
    if (batchInfo !== null) batchInfo.endedSeq = endBatch(kase, batchInfo, report, provenance.actor)
    await kase.recordHead()
    return report
  } catch (error) {
    work.close()
    throw error
  }
}

/** Step 1: refuses a ledger that does not match its recorded head, and opens the key. */
async function openCase(kase: Case): Promise<void> {
  await kase.assertIntactHead()
  // The key has been opening beside the check above. It is open before the files are gathered:
  // its 64 MiB of scrypt and the entries of a large folder being walked, at the same moment,
  // were the run's peak memory.
  await kase.ready()
}

/**
 * Step 2: the files to ingest, from the paths given or a manifest, into the worklist in the order
 * given, with what is said of them up front. Returns the batch they are, if they are one.
 */
async function gather(kase: Case, options: IngestOptions, work: Worklist): Promise<BatchIdentity | null> {
  const cwd = options.cwd ?? process.cwd()
  // A file inside the case's own data folder is never evidence.
  const add = (file: InputFile): void => {
    const inside = !relative(kase.dataDir, file.symlinkTarget ?? file.path).startsWith('..')
    if (inside) work.addResult(skipped(refOf(file), `it is part of the case's own ${CASE_FOLDER} folder`))
    else work.add(file)
  }

  if (options.manifest !== undefined) {
    const manifest = await readManifest(options.manifest, {claim: (key, line) => work.claim(key, line), add}, {cwd})
    if (manifest.problemCount > 0) throw manifestInvalid(manifest)
    return batchIdentity({manifest: {path: manifest.path, sha256: manifest.sha256, rows: manifest.rows}})
  }

  const includeSystemFiles = options.includeSystemFiles ?? false
  await walkInputs(options.paths, {recursive: options.recursive ?? false, cwd, includeSystemFiles}, {
    claim: (key) => work.claim(key) === undefined,
    file: add,
    problem: ({path, error}) => work.addResult(failed(fileRef(path), {code: error.code, message: sayWith(error.said, options.nameField)})),
    skipped: ({path, reason}) => work.addResult(skipped(fileRef(path), reason)),
    system: (entry) => work.addSystem(entry),
  })
  if (options.recursive !== true) return null
  return batchIdentity({paths: options.paths.map((p) => resolve(cwd, p)), recursive: true, systemFiles: includeSystemFiles ? 'included' : 'skipped'})
}

/**
 * The report of a run that could take nothing in (checkIngest()): each path named, refused as it
 * was gathered. Nothing is written, and no batch recorded.
 */
function refusedOnly(kase: Case, work: Worklist): IngestReport {
  // A path that was missing when checked, and there when gathered, would need the key this run did not open.
  if (work.totals('pending').files > 0) throw new CustodyError('INPUT_CHANGED', 'a path named appeared while it was being checked; nothing was ingested. Run the command again')

  return reportOf(kase, work, null, false)
}

/** A manifest with problems: the first 50, and how to see the rest. */
function manifestInvalid(manifest: Manifest): CustodyError {
  const shown = manifest.problems.slice(0, 50).map((p) => `  line ${p.line}: ${p.message}`)
  const rest = manifest.problemCount - shown.length
  const listed = manifest.problems.length < manifest.problemCount ? `the first ${manifest.problems.length.toLocaleString('en-US')}` : 'them all'
  const more = rest > 0 ? said`\n  and ${rest.toLocaleString('en-US')} more (${INGEST.json} lists ${listed})` : []
  const found = [`${manifest.path} has ${manifest.problemCount.toLocaleString('en-US')} ${manifest.problemCount === 1 ? 'problem' : 'problems'}, so nothing was ingested:`, ...shown].join('\n')
  // The error is about the manifest's rows, not about where the rest of them are listed.
  return new CustodyError('MANIFEST_INVALID', said`${found}${more}\nCorrect the manifest and run the command again.`, {
    subject: manifest.path,
    field: null,
    problems: manifest.problems,
    problemCount: manifest.problemCount,
  })
}

/**
 * Step 3: what the case took in before from each path of the run, for step 6 and the plan; and
 * what an earlier run of the same batch took in. A file such a run took in, unchanged since (same
 * size and modification time), is already present and is not read again. Read in one pass over
 * the ledger (sourceFiles()), or, where the run cannot open the events' bodies (a sealed ledger),
 * path by path through the keyed tags: resumeByTags().
 */
async function resumeBatch(kase: Case, batch: BatchIdentity, work: Worklist): Promise<void> {
  const byTag = kase.ledger.batchTags()
  if (byTag !== undefined) return resumeByTags(byTag, batch, work)
  for (const file of kase.ledger.sourceFiles()) {
    if (!work.holds(file.path)) continue
    work.know(file)
    if (file.batch === batch.id) work.remember({path: file.path, exhibit: file.exhibit, size: file.size, modifiedAt: file.modifiedAt})
  }

  if (!work.hasEarlier()) return
  for (const {i, file} of work.files('pending')) {
    const before = work.earlier(file.path)
    if (before === undefined) continue
    const now = await stat(file.path).catch(() => undefined)
    if (now === undefined || now.size !== before.size || now.mtime.toISOString() !== before.modifiedAt) continue
    const sha256 = kase.ledger.exhibitFile(before.exhibit)?.sha256
    if (sha256 === undefined) continue
    work.setResult(i, alreadyPresent(refOf(file), {exhibit: before.exhibit, sha256, size: before.size, seq: null, reason: EARLIER_RUN_REASON}))
  }
}

/**
 * Step 3 where bodies are sealed: for each path of the run, the exhibits taken in from it (by its
 * source tag), and whether an earlier run of this batch took it in at its present size and
 * modification time (by its file and batch tags). No body is read, so the SHA-256 of a file
 * such a run took in is not known to this run: its result gives none (null).
 */
async function resumeByTags(byTag: BatchTags, batch: BatchIdentity, work: Worklist): Promise<void> {
  const resumes = byTag.batchStarts(batch.id).length > 0
  for (const {i, file} of work.files('all')) {
    const taken = byTag.takenFrom(file.path)
    for (const {seq, exhibit} of taken) work.know({path: file.path, exhibit, seq})
    if (!resumes || taken.length === 0) continue
    const now = await stat(file.path).catch(() => undefined)
    if (now === undefined) continue
    const exhibit = byTag.takenByBatch(batch.id, {path: file.path, size: now.size, modifiedAt: now.mtime.toISOString()})
    if (exhibit !== undefined) work.setResult(i, alreadyPresent(refOf(file), {exhibit, sha256: null, size: now.size, seq: null, reason: EARLIER_RUN_REASON}))
  }
}

/** Whether the case took in this content from this path: its exhibit, if so (Worklist.tookFrom). */
function takenAs(kase: Case, work: Worklist, path: string, sha256: string, exhibit = kase.ledger.exhibitBySha256(sha256)): string | undefined {
  return exhibit !== undefined && work.tookFrom(path, exhibit) ? exhibit : undefined
}

/** Step 4, --dry-run: what each file would be, read (SHA-256 only) but nothing written. */
async function plan(kase: Case, work: Worklist, signal: AbortSignal | undefined): Promise<void> {
  for (const {i, file} of work.files('pending')) {
    if (signal?.aborted) break
    const ref = refOf(file)
    try {
      const {sha256, size} = await digestFile(file.path, 'sha256')
      if (size === 0) throw new CustodyError('INPUT_EMPTY', `${file.path} is empty (0 bytes): it would be refused`)
      const exhibit = kase.ledger.exhibitBySha256(sha256)
      const earlier = work.firstWithContent(sha256, file.path)
      const unchanged = takenAs(kase, work, file.path, sha256, exhibit)
      if (unchanged !== undefined) work.setResult(i, alreadyPresent(ref, {exhibit: unchanged, sha256, size, seq: null, reason: UNCHANGED_REASON}))
      else if (exhibit !== undefined) work.setResult(i, alreadyPresent(ref, {exhibit, sha256, size, seq: null, reason: `already in the case as ${exhibit} (would be recorded as presented again)`}))
      else if (earlier !== undefined) work.setResult(i, alreadyPresent(ref, {exhibit: null, sha256, size, seq: null, reason: `the same content as ${earlier}, earlier in this batch`}))
      else work.setResult(i, wouldIngest(ref, {sha256, size}))
    } catch (error) {
      work.setResult(i, failed(ref, asCustodyError(error, file.path)))
    }
  }
}

/** Step 6: the pipeline's steps for every file of the worklist without a result, several at once. */
async function takeIn(kase: Case, options: IngestOptions, provenance: Provenance, batch: string | null, work: Worklist): Promise<void> {
  const {files: filesTotal, bytes: bytesTotal} = work.totals('pending')
  if (filesTotal === 0) return
  await using reader = await MetadataReader.start()
  const run = new IngestRun(kase, reader, options.signal, batch)
  const recorder = new Recorder(run, provenance)
  const pending = work.files('pending')
  let taken = 0
  let bytesDone = 0
  let filesDone = 0
  const progress = (): void => options.onProgress?.({filesDone, filesTotal, bytesDone, bytesTotal})
  const recording = new Set<Promise<void>>()
  const worker = async (): Promise<void> => {
    for (;;) {
      if (options.signal?.aborted) return
      while (recording.size >= MAX_UNRECORDED) await Promise.race(recording)
      const next = pending.next()
      if (next.done === true) return
      const {i, file} = next.value
      const index = taken++
      // Every index taken is submitted, or the files after it would wait for it forever.
      let read = 0
      const onBytes = (bytes: number): void => {
        read += bytes
        bytesDone += bytes
        progress()
      }
      const latest = batch === null ? undefined : work.takenFrom(file.path)
      const takenBefore = latest === undefined ? {} : {takenBefore: {latest, takenAs: (sha256: string) => takenAs(kase, work, file.path, sha256)}}
      const outcome = await run.prepare(file, {onBytes, ...takenBefore})
      const recorded = recorder.submit(index, outcome).then((result) => {
        work.setResult(i, result)
        filesDone++
        // A file that failed or changed size while read counts as its listed size, read or not.
        bytesDone += file.size - read
        progress()
        recording.delete(recorded)
      })
      recording.add(recorded)
    }
  }

  const concurrency = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, filesTotal))
  await Promise.all(Array.from({length: concurrency}, () => worker()))
  recorder.flush()
  await Promise.all(recording)
}

/** The run's report; a file the run did not reach (it was stopped) is reported as skipped. */
function reportOf(kase: Case, work: Worklist, batch: BatchInfo | null, interrupted: boolean): Extract<IngestReport, {dryRun: false}> {
  const results = {[Symbol.iterator]: () => work.results((file) => skipped(refOf(file), INTERRUPTED_REASON))}
  const {counts, bytesIngested} = work.counts()
  const systemFiles = work.systemFiles(MAX_LISTED_SYSTEM_FILES)
  return {caseId: kase.info.caseId, batch, dryRun: false, results, counts, bytesIngested, systemFiles, interrupted, close: () => work.close()}
}

/** A dry run's report: what would be ingested (the worklist counts those files with the ingested ones). */
function planReportOf(kase: Case, work: Worklist, batch: BatchInfo | null, interrupted: boolean): Extract<IngestReport, {dryRun: true}> {
  const {caseId, results, counts, bytesIngested, systemFiles, close} = reportOf(kase, work, batch, interrupted)
  const {ingested: wouldIngest, ...rest} = counts
  return {caseId, batch, dryRun: true, results, counts: {wouldIngest, ...rest}, bytesWouldIngest: bytesIngested, systemFiles, interrupted, close}
}
