import {describe, expect, it} from 'vitest'
import {INTERRUPTED_REASON, type IngestFileResult, type IngestReport} from '../../src/ingest/ingest.js'
import {fileRef, ingested, skipped} from '../../src/ingest/results.js'
import {renderIngest} from '../../src/render/reports.js'

function report(results: IngestFileResult[]): IngestReport {
  return {caseId: 'CASE-1', batch: null, dryRun: false, results, counts: {ingested: 2, alreadyPresent: 0, failed: 0, skipped: results.length - 2}, bytesIngested: 10, systemFiles: {count: 0, entries: []}, interrupted: true, close: () => undefined}
}

describe('renderIngest after Ctrl-C', () => {
  it('gives one line for the files the run never reached, and a line for each of the others', () => {
    const done: IngestFileResult[] = [
      ingested(fileRef('/in/a.jpg'), {exhibit: 'EX-000001', sha256: 'a'.repeat(64), size: 5, seq: 3, metadataWarnings: [], noMetadata: false, changedFrom: null}),
      ingested(fileRef('/in/b.jpg'), {exhibit: 'EX-000002', sha256: 'b'.repeat(64), size: 5, seq: 4, metadataWarnings: [], noMetadata: false, changedFrom: null}),
      skipped(fileRef('/in/.custody/x'), "it is part of the case's own .custody folder"),
    ]
    const notReached = Array.from({length: 20_000}, (_, i): IngestFileResult => skipped(fileRef(`/in/${i}.jpg`), INTERRUPTED_REASON))
    const lines = [...renderIngest(report([...done, ...notReached]))]
    const text = lines.join('\n')
    expect(lines.slice(0, 3)).toEqual([
      `EX-000001  /in/a.jpg  sha256:${'a'.repeat(16)}…`,
      `EX-000002  /in/b.jpg  sha256:${'b'.repeat(16)}…`,
      expect.stringContaining('/in/.custody/x'),
    ])
    expect(lines[3]).toBe('not in   20000 files: the run was interrupted (--json lists them)')
    expect(text).toContain('Interrupted: the case is consistent.')
    expect(text).not.toContain('/in/19999.jpg')
  })
})
