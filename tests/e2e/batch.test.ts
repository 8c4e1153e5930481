/**
 * Batch imports through the built CLI: manifests with good and bad rows, --dry-run, duplicates
 * within and across batches, relative paths from another working directory, and a batch killed
 * mid-run and run again.
 */
import {spawn} from 'node:child_process'
import {createHash, randomFillSync} from 'node:crypto'
import {closeSync, copyFileSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, canMeasureMemory, custody, custodyJson, custodyMeasured, loggedEvents, newCase, PASSPHRASE, SAMPLES, sqlite, tempDir, type LoggedEvent} from '../helpers/cli.js'
import {Terminal} from '../helpers/terminal.js'

interface FileJson {
  path: string
  line?: number
  status: string
  exhibit?: string
  reason?: string
  error?: {code: string; message: string}
}

interface IngestJson {
  batch: {id: string; manifest: {sha256: string; rows: number} | null; earlierRuns: number[]; startedSeq: number; endedSeq: number} | null
  dryRun: boolean
  results: FileJson[]
  counts: {ingested: number; alreadyPresent: number; failed: number; skipped: number}
}

const work = tempDir('custody-batch-')
const dump = join(work.path, 'phone-dump')

function vaultFiles(dir: string): string[] {
  return readdirSync(join(dir, '.custody', 'vault'), {recursive: true, withFileTypes: true})
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .sort()
}

/**
 * How many events the case has (the rows, as the sqlite3 shell counts them), or how many of these
 * actions (that `match`, if given) `custody log --json` gives: read so whatever the ledger's schema.
 */
function events(dir: string, actions?: string[], match: (event: LoggedEvent) => boolean = () => true): number {
  if (actions === undefined) return Number(sqlite(join(dir, '.custody', 'ledger.sqlite'), 'SELECT count(*) FROM events;').trim())
  return loggedEvents(dir, actions).filter(match).length
}

beforeAll(() => {
  mkdirSync(join(dump, 'DCIM', 'Camera'), {recursive: true})
  for (const name of ['Canon.jpg', 'GPS.jpg', 'Nikon.jpg', 'Sony.jpg', 'PDF.pdf']) copyFileSync(join(SAMPLES, name), join(dump, 'DCIM', 'Camera', name))
  // The same photo twice in one dump, under another name.
  copyFileSync(join(SAMPLES, 'Canon.jpg'), join(dump, 'DCIM', 'Camera', 'IMG_0001 (copy).jpg'))
  writeFileSync(
    join(dump, 'manifest.csv'),
    [
      'path,collected_at,collected_by,location,latitude,longitude,source,note,device_owner',
      'DCIM/Camera/Canon.jpg,2024-03-01T14:05:00+02:00,A. Petrenko,Simferopol,44.952,34.102,phone of W-014,"taken from the window, ""north"" side",W-014',
      'DCIM/Camera/GPS.jpg,2024-03-01,A. Petrenko,,,,phone of W-014,,W-014',
      '"DCIM/Camera/IMG_0001 (copy).jpg",,,,,,phone of W-014,,W-014',
      'DCIM/Camera/PDF.pdf,,,,,,phone of W-014,a document,',
    ].join('\r\n'),
  )
})

afterAll(() => work.remove())

describe('custody ingest --manifest', () => {
  it('with any bad row ingests nothing, and names each bad row by its line', async () => {
    const kase = await newCase()
    writeFileSync(
      join(dump, 'bad.csv'),
      'path,collected_at,latitude,longitude\nDCIM/Camera/Canon.jpg,2024-03-01,44.9,34.1\nDCIM/Camera/nope.jpg,,,\nDCIM/Camera/GPS.jpg,last tuesday,,\nDCIM/Camera/Nikon.jpg,,95,10\nDCIM/Camera/Canon.jpg,,,\n',
    )
    const before = events(kase.dir)
    const result = await custodyJson<{error: {code: string; message: string; problems: Array<{line: number; message: string}>}}>(['ingest', '--manifest', join(dump, 'bad.csv'), '--case', kase.dir])
    expect(result.code).toBe(2)
    expect(result.json.error.code).toBe('MANIFEST_INVALID')
    expect(result.json.error.problems.map((p) => p.line)).toEqual([3, 4, 5, 6])
    expect(result.json.error.problems[0]!.message).toContain('no such file')
    expect(result.json.error.problems[3]!.message).toBe('the same file as line 2 (DCIM/Camera/Canon.jpg)')
    const text = await custody(['ingest', '--manifest', join(dump, 'bad.csv'), '--case', kase.dir])
    expect(text.stderr).toContain('has 4 problems, so nothing was ingested:\n  line 3: no such file')
    expect(text.stderr).toContain('  line 5: latitude 95 is out of range (-90 to 90)')
    expect(events(kase.dir)).toBe(before)
    expect(vaultFiles(kase.dir)).toEqual([])
    kase.remove()
  })

  it('--dry-run says what would happen and changes nothing; in an encrypted case it needs the passphrase, and says so without it', async () => {
    const kase = await newCase()
    expect((await custody(['ingest', join(SAMPLES, 'PDF.pdf'), '--case', kase.dir])).code).toBe(0)
    const before = {events: events(kase.dir), vault: vaultFiles(kase.dir)}
    // What the case holds is found by keyed tags (its event bodies are encrypted): the address key, which the passphrase opens.
    const locked = await custodyJson<{error: {code: string; message: string}}>(['ingest', '--manifest', join(dump, 'manifest.csv'), '--dry-run', '--case', kase.dir], {env: {CUSTODY_PASSPHRASE: ''}})
    expect(locked.code).toBe(2)
    expect(locked.json.error.message).toContain('needs the case passphrase')
    expect({events: events(kase.dir), vault: vaultFiles(kase.dir)}).toEqual(before)
    const planned = await custodyJson<IngestJson>(['ingest', '--manifest', join(dump, 'manifest.csv'), '--dry-run', '--case', kase.dir])
    expect(planned.code, planned.stderr).toBe(0)
    expect(planned.json.dryRun).toBe(true)
    expect(planned.json.results.map((r) => [r.line, r.status])).toEqual([
      [2, 'would-ingest'],
      [3, 'would-ingest'],
      [4, 'already-present'],
      [5, 'already-present'],
    ])
    expect(planned.json.results[2]!.reason).toContain('the same content as')
    expect(planned.json.results[3]!.exhibit).toBe('EX-000001')
    expect({events: events(kase.dir), vault: vaultFiles(kase.dir)}).toEqual(before)
    kase.remove()
  })

  it('ingests a batch with relative paths from another working directory, recording each row beside the file metadata', async () => {
    const kase = await newCase()
    // Run from an unrelated folder: paths in the manifest are relative to the manifest.
    const elsewhere = join(work.path, 'elsewhere')
    mkdirSync(elsewhere, {recursive: true})
    const result = await custodyJson<IngestJson>(['ingest', '--manifest', '../phone-dump/manifest.csv', '--case', kase.dir], {cwd: elsewhere})
    expect(result.code, result.stderr).toBe(0)
    expect(result.json.counts).toEqual({ingested: 3, alreadyPresent: 1, failed: 0, skipped: 0})
    expect(result.json.results.map((r) => [r.line, r.status, r.exhibit])).toEqual([
      [2, 'ingested', 'EX-000001'],
      [3, 'ingested', 'EX-000002'],
      [4, 'already-present', 'EX-000001'],
      [5, 'ingested', 'EX-000003'],
    ])
    const manifestSha = createHash('sha256').update(readFileSync(join(dump, 'manifest.csv'))).digest('hex')
    expect(result.json.batch).toMatchObject({manifest: {sha256: manifestSha, rows: 4}, earlierRuns: []})

    const shown = await custodyJson<{collected: Record<string, unknown>; note: string; tags: Record<string, string>; manifestLine: number; batch: string; file: {relativePath: string}; metadata: {normalised: {gps: {latitude: number} | null}}}>(['show', 'EX-000001', '--case', kase.dir])
    expect(shown.json.collected).toEqual({at: '2024-03-01T14:05:00+02:00', offset: '+02:00', by: 'A. Petrenko', location: 'Simferopol', latitude: 44.952, longitude: 34.102, source: 'phone of W-014'})
    expect(shown.json.note).toBe('taken from the window, "north" side')
    expect(shown.json.tags).toEqual({device_owner: 'W-014'})
    expect(shown.json).toMatchObject({manifestLine: 2, batch: result.json.batch!.id, file: {relativePath: 'DCIM/Camera/Canon.jpg'}})
    // What the file itself says is kept apart: Canon.jpg has no GPS of its own.
    expect(shown.json.metadata.normalised.gps).toBeNull()

    const log = await custodyJson<{events: Array<{seq: number; action: string; payload: Record<string, unknown>}>}>(['log', '--case', kase.dir])
    const started = log.json.events.find((e) => e.action === 'batch-started')!
    const ended = log.json.events.find((e) => e.action === 'batch-ended')!
    expect(started.payload).toMatchObject({batch: result.json.batch!.id, manifest: {sha256: manifestSha}, files: 4, resumes: null})
    expect(ended.payload).toMatchObject({counts: {ingested: 3, alreadyPresent: 1, failed: 0, skipped: 0}, interrupted: false})
    expect(started.seq).toBe(result.json.batch!.startedSeq)

    // Across batches: another manifest naming a file of this one finds it present.
    writeFileSync(join(dump, 'second.jsonl'), '{"path": "DCIM/Camera/GPS.jpg", "source": "second copy"}\n{"path": "DCIM/Camera/Sony.jpg"}\n')
    const second = await custodyJson<IngestJson>(['ingest', '--manifest', join(dump, 'second.jsonl'), '--case', kase.dir])
    expect(second.json.results.map((r) => [r.line, r.status, r.exhibit])).toEqual([
      [1, 'already-present', 'EX-000002'],
      [2, 'ingested', 'EX-000004'],
    ])
    expect((await custody(['verify', '--case', kase.dir])).code).toBe(0)
    kase.remove()
  })

  it('exits 1 naming the file when a row fails at copy time; the other rows go in', async () => {
    const kase = await newCase()
    const dir = join(work.path, 'with-empty')
    mkdirSync(dir, {recursive: true})
    copyFileSync(join(SAMPLES, 'Sony.jpg'), join(dir, 'Sony.jpg'))
    writeFileSync(join(dir, 'empty.jpg'), '')
    writeFileSync(join(dir, 'm.csv'), 'path\nempty.jpg\nSony.jpg\n')
    const result = await custodyJson<IngestJson>(['ingest', '--manifest', join(dir, 'm.csv'), '--case', kase.dir])
    expect(result.code).toBe(1)
    expect(result.json.results[0]).toMatchObject({line: 2, status: 'failed', error: {code: 'INPUT_EMPTY'}})
    expect(result.json.results[1]).toMatchObject({line: 3, status: 'ingested', exhibit: 'EX-000001'})
    expect(events(kase.dir, ['ingest-failed'], (e) => typeof e.payload.batch === 'string')).toBe(1)
    kase.remove()
  })
})

/** Writes a file from a head, `repeat` copies of `unit`, and a tail, without holding it whole. */
function writeLarge(path: string, head: string, unit: string, repeat: number, tail: string): void {
  const fd = openSync(path, 'w')
  try {
    writeSync(fd, head)
    const block = Buffer.from(unit.repeat(Math.max(1, Math.floor((1024 * 1024) / unit.length))))
    const perBlock = block.length / Buffer.byteLength(unit)
    let left = repeat
    for (; left >= perBlock; left -= perBlock) writeSync(fd, block)
    writeSync(fd, unit.repeat(left) + tail)
  } finally {
    closeSync(fd)
  }
}

// Peak memory is the point of these: each run's VmHWM, from GNU time, against a generous bound
// (a manifest refused at once takes about 150 MiB; before the bounds, one 100 MB line took 3.3 GiB).
describe.skipIf(!canMeasureMemory)('custody ingest --manifest of hostile size', () => {
  type Refusal = {error: {code: string; message: string; problems: Array<{line: number; message: string}>; problemCount?: number}}
  const MEMORY_BOUND_MIB = 300

  it('refuses a row of 100 MB at its line, and a quote left open at the line where it opens, without reading on', async () => {
    const kase = await newCase()
    const before = events(kase.dir)
    const long = join(dump, 'one-long-line.csv')
    writeLarge(long, 'path,note\nDCIM/Camera/Canon.jpg,fine\nDCIM/Camera/GPS.jpg,', 'x', 100_000_000, '\nDCIM/Camera/nope.jpg,after\n')
    const refused = await custodyMeasured<Refusal>(['ingest', '--manifest', long, '--case', kase.dir])
    expect(refused.code).toBe(2)
    expect(refused.json.error.code).toBe('MANIFEST_INVALID')
    expect(refused.json.error.problems).toEqual([{line: 3, message: 'the row is longer than 65,536 bytes, more than a row naming one file can need; the rest of the manifest is not read'}])
    expect(refused.json.error.problemCount).toBe(1)
    expect(refused.peakMiB).toBeLessThan(MEMORY_BOUND_MIB)

    // A note whose quote is never closed would take a million rows after it into one field.
    const open = join(dump, 'open-quote.csv')
    writeLarge(open, 'path,note\nDCIM/Camera/Canon.jpg,"taken from the window\n', 'DCIM/Camera/GPS.jpg,a note of the row\n', 1_000_000, '')
    const unclosed = await custodyMeasured<Refusal>(['ingest', '--manifest', open, '--case', kase.dir])
    expect(unclosed.code).toBe(2)
    expect(unclosed.json.error.problems).toEqual([{line: 2, message: 'a quoted field opens here and is not closed within 65,536 bytes: a quote left open? The rest of the manifest is not read'}])
    expect(unclosed.peakMiB).toBeLessThan(MEMORY_BOUND_MIB)
    const text = await custody(['ingest', '--manifest', open, '--case', kase.dir])
    expect(text.stderr).toContain(`${open} has 1 problem, so nothing was ingested:\n  line 2: a quoted field opens here and is not closed within 65,536 bytes`)
    expect(events(kase.dir)).toBe(before)
    kase.remove()
  })

  it('lists the first 1,000 problems of 100,000 bad rows and counts them all, in text and --json', async () => {
    const kase = await newCase()
    const bad = join(dump, 'many-bad-rows.csv')
    const rows = Array.from({length: 100_000}, (_, k) => `DCIM/Camera/missing-${String(k).padStart(6, '0')}.jpg,2024-13-45`)
    writeFileSync(bad, ['path,collected_at', ...rows].join('\n'))
    const refused = await custodyMeasured<Refusal>(['ingest', '--manifest', bad, '--case', kase.dir])
    expect(refused.code).toBe(2)
    expect(refused.json.error.problemCount).toBe(200_000)
    expect(refused.json.error.problems).toHaveLength(1000)
    expect(refused.json.error.problems.at(-1)).toEqual({line: 501, message: 'collected_at "2024-13-45" is not an ISO 8601 date or time such as 2024-03-01 or 2024-03-01T14:05:00+02:00'})
    expect(refused.peakMiB).toBeLessThan(MEMORY_BOUND_MIB)
    const text = await custody(['ingest', '--manifest', bad, '--case', kase.dir])
    expect(text.code).toBe(2)
    expect(text.stderr).toContain(`${bad} has 200,000 problems, so nothing was ingested:\n  line 2: no such file: ${join(dump, 'DCIM', 'Camera', 'missing-000000.jpg')}\n`)
    expect(text.stderr).toContain('\n  and 199,950 more (--json lists the first 1,000)\n')
    kase.remove()
  })
})

describe('a batch killed mid-run and run again', () => {
  const dir = join(work.path, 'big-dump')
  const FILES = 300
  beforeAll(() => {
    mkdirSync(dir, {recursive: true})
    const jpeg = readFileSync(join(SAMPLES, 'Canon.jpg'))
    const tail = Buffer.alloc(100 * 1024)
    const rows = ['path,source']
    for (let i = 0; i < FILES; i++) {
      randomFillSync(tail)
      writeFileSync(join(dir, `IMG_${String(i).padStart(4, '0')}.JPG`), Buffer.concat([jpeg, tail]))
      rows.push(`IMG_${String(i).padStart(4, '0')}.JPG,card 7`)
    }

    // Two rows of the same content: one exhibit, the other present.
    copyFileSync(join(dir, 'IMG_0000.JPG'), join(dir, 'IMG_0000 copy.JPG'))
    rows.push('IMG_0000 copy.JPG,card 7')
    writeFileSync(join(dir, 'manifest.csv'), rows.join('\n'))
  })

  it('shows a progress bar on a terminal, and nothing on stderr otherwise', async () => {
    const kase = await newCase()
    const exitFile = join(work.path, 'progress.exit')
    {
      using term = new Terminal(['ingest', '--manifest', join(dir, 'manifest.csv'), '--case', kase.dir], {cwd: work.path, env: {CUSTODY_PASSPHRASE: PASSPHRASE}, exitFile})
      // The bar and the counts: a rate shows after 1 s and the time left after 3 s, which a fast run
      // may never reach (it then prints its results at the terminal's pace, and the bar is gone);
      // their wording is tests/unit/progress.test.ts's.
      await term.waitFor(/\[#*\.*\] \d+\/301 files, [\d.]+ [KMG]?B\/[\d.]+ [KMG]?B/, 60_000)
      await term.waitFor('Batch BATCH-', 120_000)
    }

    const quiet = await custody(['ingest', '--manifest', join(dir, 'manifest.csv'), '--case', kase.dir])
    expect(quiet.code).toBe(0)
    expect(quiet.stderr).toBe('')
    kase.remove()
  })

  it('ends with every file in exactly once, each run recorded, and the case verifying at every step', async () => {
    const kase = await newCase()
    // Kill it (SIGKILL: no chance to tidy up) once some files are in.
    const child = spawn(process.execPath, [BIN, 'ingest', '--manifest', join(dir, 'manifest.csv'), '--case', kase.dir], {stdio: 'ignore'})
    const db = join(kase.dir, '.custody', 'ledger.sqlite')
    for (let i = 0; i < 600; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      // An encrypted case's ingest rows are those with a content tag (schemas 3 and 4): what the file shows without a key.
      const n = Number(sqlite(db, 'SELECT count(*) FROM events WHERE content_tag IS NOT NULL;').trim() || 0)
      if (n >= 20) break
    }

    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('close', resolve))
    const partial = events(kase.dir, ['ingest'])
    expect(partial).toBeGreaterThanOrEqual(20)
    expect(partial).toBeLessThan(FILES)
    expect(events(kase.dir, ['batch-ended'])).toBe(0)
    // Verify reads the batch events, in sealed bodies, with the passphrase.
    const passphraseFile = join(work.path, 'killed-batch-passphrase.txt')
    writeFileSync(passphraseFile, `${PASSPHRASE}\n`, {mode: 0o600})
    const midway = await custodyJson<{ok: boolean; warnings: string[]}>(['verify', '--case', kase.dir, '--passphrase-file', passphraseFile])
    expect(midway.code, JSON.stringify(midway.json)).toBe(0)
    const unfinished = midway.json.warnings.filter((w) => /^batch BATCH-[0-9a-f]{16} \(started at event \d+\) has not ended/.test(w))
    expect(unfinished, JSON.stringify(midway.json.warnings)).toHaveLength(1)

    const again = await custodyJson<IngestJson>(['ingest', '--manifest', join(dir, 'manifest.csv'), '--case', kase.dir])
    expect(again.code, again.stderr).toBe(0)
    const resumed = again.json.results.filter((r) => r.reason === 'taken in by an earlier run of this batch')
    expect(resumed.length).toBeGreaterThanOrEqual(partial)
    expect(again.json.counts.ingested + again.json.counts.alreadyPresent).toBe(FILES + 1)
    expect(again.json.counts.failed).toBe(0)
    expect(again.json.batch!.earlierRuns).toHaveLength(1)

    // Every file exactly once: as many exhibits as distinct contents, none twice.
    expect(events(kase.dir, ['ingest'])).toBe(FILES)
    expect(new Set(loggedEvents(kase.dir, ['ingest']).map((e) => e.payload.digests.sha256)).size).toBe(FILES)
    const exhibits = new Set(again.json.results.map((r) => r.exhibit))
    expect(exhibits.size).toBe(FILES)
    expect(events(kase.dir, ['batch-started'])).toBe(2)
    expect(events(kase.dir, ['batch-ended'])).toBe(1)
    const after = await custodyJson<{ok: boolean; warnings: string[]}>(['verify', '--case', kase.dir, '--passphrase-file', passphraseFile])
    expect(after.code).toBe(0)
    expect(after.json.warnings.filter((w) => w.startsWith('batch ') || w.includes('could not be read'))).toEqual([])

    // A third run reads nothing again and adds no file event.
    const third = await custodyJson<IngestJson>(['ingest', '--manifest', join(dir, 'manifest.csv'), '--case', kase.dir])
    expect(third.json.counts).toEqual({ingested: 0, alreadyPresent: FILES + 1, failed: 0, skipped: 0})
    expect(events(kase.dir, ['ingest', 'presented-again'])).toBe(FILES + 1)
    kase.remove()
  })
})
