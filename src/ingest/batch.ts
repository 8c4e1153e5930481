/**
 * A batch: an ingest of a manifest or of a folder, recorded as a unit. A `batch-started` event
 * names it (and the manifest's SHA-256) before any file goes in; each file's event carries the
 * batch ID; a `batch-ended` event gives the counts. The ID is derived from what was asked (the
 * manifest's bytes, or the folders and files given), so running the same command again after a
 * crash, a power cut or Ctrl-C is the same batch: files an earlier run already took in, at the
 * same path with the same size and modification time, are reported as already present without
 * being read again, and only the rest go in (in a case whose event bodies are sealed, found by
 * keyed tags without opening a body: src/ledger/tags.ts). The case is consistent at every moment in between:
 * an unfinished batch is simply a `batch-started` with no `batch-ended`.
 */
import {createHash} from 'node:crypto'
import {canonicalize} from '../canonical/jcs.js'
import type {Case} from '../case/case.js'
import type {IngestCounts} from './results.js'

export interface BatchIdentity {
  id: string
  manifest: {path: string; sha256: string; rows: number} | null
  inputs: {paths: string[]; recursive: boolean; systemFiles: 'skipped' | 'included'} | null
}

export interface BatchInfo extends BatchIdentity {
  /** The earlier runs of the same batch, by the sequence numbers of their batch-started events. */
  earlierRuns: number[]
  startedSeq: number | null
  endedSeq: number | null
}

/** What an earlier run of the batch recorded of one source path (the ledger's sourceFiles(), of this batch). */
export interface EarlierFile {
  path: string
  exhibit: string
  size: number
  modifiedAt: string | null
}

/**
 * The batch a run is. Whether system files are taken is not part of the ID: a walk run again with
 * them taken continues the batch, and only they go in.
 */
export function batchIdentity(what: {manifest: {path: string; sha256: string; rows: number}} | NonNullable<BatchIdentity['inputs']>): BatchIdentity {
  const key = 'manifest' in what ? {manifest: what.manifest.sha256} : {paths: [...what.paths].sort(), recursive: what.recursive}
  const id = `BATCH-${createHash('sha256').update(canonicalize(key)).digest('hex').slice(0, 16)}`
  return 'manifest' in what ? {id, manifest: what.manifest, inputs: null} : {id, manifest: null, inputs: {paths: what.paths, recursive: what.recursive, systemFiles: what.systemFiles}}
}

/** The sequence numbers of earlier batch-started events of this batch (by its keyed tag where bodies are sealed). */
export function earlierRuns(kase: Case, id: string): number[] {
  const byTag = kase.ledger.batchTags()
  if (byTag !== undefined) return byTag.batchStarts(id)
  return kase.ledger
    .eventsOfKind('batch-started')
    .filter((e) => e.event.payload.batch === id)
    .map((e) => e.event.seq)
}

/** The batches whose last run has no `batch-ended` (interrupted, or running now), oldest first. */
export function unfinishedBatches(kase: Case): Array<{id: string; startedSeq: number}> {
  const open = new Map<string, number>()
  for (const {event} of kase.ledger.eventsOfKind('batch-started', 'batch-ended')) {
    const id = event.payload.batch
    if (event.action === 'batch-started') open.set(id, event.seq)
    else open.delete(id)
  }

  return [...open].map(([id, startedSeq]) => ({id, startedSeq}))
}

export function startBatch(kase: Case, batch: BatchIdentity, planned: {files: number; bytes: number; earlier: number[]}, actor: string): number {
  const {events} = kase.ledger.append(() => ({
    drafts: [
      {
        actor,
        action: 'batch-started',
        exhibit: null,
        payload: {
          batch: batch.id,
          manifest: batch.manifest,
          inputs: batch.inputs,
          files: planned.files,
          bytes: planned.bytes,
          resumes: planned.earlier.at(-1) ?? null,
        },
      },
    ],
    result: undefined,
  }))
  return events[0]!.event.seq
}

export function endBatch(kase: Case, batch: BatchIdentity, report: {counts: IngestCounts; bytesIngested: number; interrupted: boolean}, actor: string): number {
  const {events} = kase.ledger.append(() => ({
    drafts: [
      {
        actor,
        action: 'batch-ended',
        exhibit: null,
        payload: {batch: batch.id, counts: report.counts, bytesIngested: report.bytesIngested, interrupted: report.interrupted},
      },
    ],
    result: undefined,
  }))
  return events[0]!.event.seq
}
