/**
 * What a run says of each file it was given: one result per file, the counts they add up to, and
 * the reason given for a file a stopped run did not reach. Written by the per-file pipeline
 * (pipeline.ts) and by the run's own steps (ingest.ts), kept in the run's worklist (worklist.ts),
 * summed for a batch's end (batch.ts) and returned by `ingest` (ingest.ts).
 *
 * Each status has one shape: the same keys, in the same order, whoever writes it (a key that does
 * not apply to a file is null, never left out), so that a script reads every result of a status
 * alike. The functions below are the only makers of results.
 */

export type IngestStatus = 'ingested' | 'already-present' | 'failed' | 'skipped' | 'would-ingest'

/** The file a result is about, as it was given. */
export interface FileRef {
  /** Absolute path, as given (not resolved through symlinks). */
  path: string
  /** The manifest line of the file, for a manifest batch; null otherwise. */
  line: number | null
  /** Where a symlink led, when the path is one that was followed; null otherwise. */
  symlinkTarget: string | null
}

/** A new exhibit. */
export interface IngestedResult extends FileRef {
  status: 'ingested'
  exhibit: string
  sha256: string
  size: number
  /** The `ingest` event (null only while its transaction is being composed). */
  seq: number | null
  /** ExifTool's warnings and errors about the file (a corrupt JPEG is ingested with them). */
  metadataWarnings: string[]
  noMetadata: boolean
  /** For a batch's file at a path the case took in before with other content: the exhibit last taken in from it. */
  changedFrom: string | null
}

/** --dry-run: a file that would become a new exhibit. */
export interface WouldIngestResult extends FileRef {
  status: 'would-ingest'
  sha256: string
  size: number
}

/** A file whose content the case (or, in a dry run, an earlier file of the run) already holds. */
export interface AlreadyPresentResult extends FileRef {
  status: 'already-present'
  /** The exhibit it is; null for a dry run's file whose content an earlier file of the run has. */
  exhibit: string | null
  /**
   * Null only for a file an earlier run of the batch took in, in a case whose event bodies are
   * sealed: the run read neither the file nor the event that records its digest.
   */
  sha256: string | null
  size: number
  /** The `presented-again` event that records it; null when it is recorded no more. */
  seq: number | null
  /** Why it is present, and whether it was recorded: a sentence. */
  reason: string
}

export interface FailedResult extends FileRef {
  status: 'failed'
  /** The digest and size, when the file was read before it failed; else null. */
  sha256: string | null
  size: number | null
  /** The `ingest-failed` event that records the failure; null for a failure that is not recorded. */
  seq: number | null
  error: {code: string; message: string}
}

/** A file not taken in and not failed: part of the case's own folder, a symlink to a folder in a walk, a stopped run's rest. */
export interface SkippedResult extends FileRef {
  status: 'skipped'
  reason: string
}

export type IngestFileResult = IngestedResult | WouldIngestResult | AlreadyPresentResult | FailedResult | SkippedResult

/** A file given by its path alone (not from a manifest, not a followed symlink). */
export function fileRef(path: string, more: {line?: number | null; symlinkTarget?: string | null} = {}): FileRef {
  return {path, line: more.line ?? null, symlinkTarget: more.symlinkTarget ?? null}
}

export function ingested(
  file: FileRef,
  what: {exhibit: string; sha256: string; size: number; seq: number | null; metadataWarnings: string[]; noMetadata: boolean; changedFrom: string | null},
): IngestedResult {
  const {exhibit, sha256, size, seq, metadataWarnings, noMetadata, changedFrom} = what
  return {path: file.path, line: file.line, status: 'ingested', exhibit, sha256, size, seq, symlinkTarget: file.symlinkTarget, metadataWarnings, noMetadata, changedFrom}
}

export function wouldIngest(file: FileRef, what: {sha256: string; size: number}): WouldIngestResult {
  return {path: file.path, line: file.line, status: 'would-ingest', sha256: what.sha256, size: what.size, symlinkTarget: file.symlinkTarget}
}

export function alreadyPresent(file: FileRef, what: {exhibit: string | null; sha256: string | null; size: number; seq: number | null; reason: string}): AlreadyPresentResult {
  const {exhibit, sha256, size, seq, reason} = what
  return {path: file.path, line: file.line, status: 'already-present', exhibit, sha256, size, seq, symlinkTarget: file.symlinkTarget, reason}
}

/** `read`: the digest and size of a file that failed after it was read. */
export function failed(file: FileRef, error: {code: string; message: string}, read: {sha256: string; size: number} | null = null): FailedResult {
  return {
    path: file.path,
    line: file.line,
    status: 'failed',
    sha256: read?.sha256 ?? null,
    size: read?.size ?? null,
    seq: null,
    symlinkTarget: file.symlinkTarget,
    error: {code: error.code, message: error.message},
  }
}

export function skipped(file: FileRef, reason: string): SkippedResult {
  return {path: file.path, line: file.line, status: 'skipped', symlinkTarget: file.symlinkTarget, reason}
}

/** The result with the sequence number of the event that records it, once appended. */
export function withSeq(result: IngestFileResult, seq: number): IngestFileResult {
  return 'seq' in result ? {...result, seq} : result
}

/**
 * How many files of a run had each status. A type, not an interface, so that it is JSON as it
 * stands (the `batch-ended` event records it).
 */
export type IngestCounts = {ingested: number; alreadyPresent: number; failed: number; skipped: number}

/** The counts of a dry run: files that would be ingested, never "ingested". */
export type DryRunCounts = {wouldIngest: number; alreadyPresent: number; failed: number; skipped: number}

/** Why a batch's file at a path the case took it in from, unchanged, is present and recorded no more. */
export const UNCHANGED_REASON = 'taken in before from this path, unchanged (not recorded again)'

/** Why a batch's file that an earlier run of the batch took in, unchanged (same size and modification time), is present without being read. */
export const EARLIER_RUN_REASON = 'taken in by an earlier run of this batch'

export const INTERRUPTED_REASON = 'the run was interrupted before this file went in; run the same command again to ingest it'
