/**
 * What a run says of each file it was given: one result per file, the counts they add up to, and
 * the reason given for a file a stopped run did not reach. Written by the per-file pipeline
 * (pipeline.ts), kept in the run's worklist (worklist.ts), summed for a batch's end (batch.ts)
 * and returned by `ingest` (ingest.ts).
 */

export type IngestStatus = 'ingested' | 'already-present' | 'failed' | 'skipped' | 'would-ingest'

export interface IngestFileResult {
  path: string
  /** The manifest line of the file, for a manifest batch. */
  line?: number
  status: IngestStatus
  exhibit?: string
  sha256?: string
  size?: number
  seq?: number
  symlinkTarget?: string
  /** ExifTool's warnings and errors about the file (a corrupt JPEG is ingested with them). */
  metadataWarnings?: string[]
  noMetadata?: boolean
  error?: {code: string; message: string}
  reason?: string
}

/**
 * How many files of a run had each status ('would-ingest' counts as ingested). A type, not an
 * interface, so that it is JSON as it stands (the `batch-ended` event records it).
 */
export type IngestCounts = {ingested: number; alreadyPresent: number; failed: number; skipped: number}

export const INTERRUPTED_REASON = 'the run was interrupted before this file went in; run the same command again to ingest it'
