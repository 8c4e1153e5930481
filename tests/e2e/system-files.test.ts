/**
 * A camera card as a Mac and a Windows PC leave it, walked with `custody ingest --recursive`: the
 * files and folders the systems keep for themselves are left out and counted (a Spotlight index
 * was ingested as EX-000001, and an unlistable, empty .Trashes failed the whole run), a trash that
 * holds files is named, --include-system-files takes them all, and a system file named on its own
 * is taken.
 */
import {spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custody, custodyJson, newCase, SAMPLES} from '../helpers/cli.js'

interface IngestJson {
  results: Array<{path: string; status: string; exhibit: string | null; error: {code: string; message: string} | null}>
  counts: {ingested: number; alreadyPresent: number; failed: number; skipped: number}
  systemFiles: {count: number; entries: Array<{path: string; what: string; trash: boolean; files: number | null}>}
  batch: {inputs: {systemFiles: string}} | null
}

let kase: {dir: string; remove: () => void}
let card: string
// Root lists every folder: run as an unprivileged user then, as the person who copied the card would.
const asUser = process.getuid?.() === 0 ? {uid: 65534, gid: 65534} : {}

beforeAll(async () => {
  kase = await newCase()
  card = join(kase.dir, '..', 'card')
  const put = (path: string, content: string | Buffer = 'x'): void => {
    mkdirSync(join(card, path, '..'), {recursive: true})
    writeFileSync(join(card, path), content)
  }

  mkdirSync(join(card, 'DCIM', '100CANON'), {recursive: true})
  copyFileSync(join(SAMPLES, 'Canon.jpg'), join(card, 'DCIM', '100CANON', 'IMG_0001.JPG'))
  put('DCIM/100CANON/IMG_0001.THM', 'a camera thumbnail: kept')
  put('DCIM/100CANON/.DS_Store', '')
  put('DCIM/100CANON/._IMG_0001.JPG', Buffer.alloc(4096, 1))
  put('.Spotlight-V100/Store-V2/1234/store.db', 'index')
  put('.fseventsd/fseventsd-uuid', 'uuid')
  put('.DS_Store', 'finder')
  put('Thumbs.db', 'thumbs')
  put('desktop.ini', '[.ShellClassInfo]')
  put('System Volume Information/IndexerVolumeGuid', 'guid')
  put('$RECYCLE.BIN/S-1-5-21-1/$RA1B2C3.jpg', 'a deleted photo')
  put('$RECYCLE.BIN/S-1-5-21-1/$IA1B2C3.jpg', 'where it was')
  mkdirSync(join(card, 'EMPTY'))
  // macOS makes .Trashes d-wx-wx-wt: nobody but root can list it.
  mkdirSync(join(card, '.Trashes'))
  if (process.getuid?.() === 0) spawnSync('chown', ['-R', '65534:65534', join(kase.dir, '..')])
  chmodSync(join(card, '.Trashes'), 0o1333)
})

afterAll(() => kase.remove())

describe('custody ingest --recursive of a card', () => {
  it('leaves out the system files and folders, counts and lists them, and names a trash that holds files', async () => {
    const run = await custodyJson<IngestJson>(['ingest', card, '--recursive', '--case', kase.dir], asUser)
    expect(run.code, run.stdout).toBe(0)
    expect(run.json.results.map((r) => [r.path.slice(card.length + 1), r.status])).toEqual([
      ['DCIM/100CANON/IMG_0001.JPG', 'ingested'],
      ['DCIM/100CANON/IMG_0001.THM', 'ingested'],
    ])
    expect(run.json.counts).toEqual({ingested: 2, alreadyPresent: 0, failed: 0, skipped: 0})
    const entries = run.json.systemFiles.entries.map((e) => [e.path.slice(card.length + 1), e.trash, e.files])
    expect(entries).toEqual([
      ['$RECYCLE.BIN', true, 2],
      ['.DS_Store', false, null],
      ['.Spotlight-V100', false, null],
      ['.Trashes', true, null],
      ['.fseventsd', false, null],
      ['DCIM/100CANON/.DS_Store', false, null],
      ['DCIM/100CANON/._IMG_0001.JPG', false, null],
      ['System Volume Information', false, null],
      ['Thumbs.db', false, null],
      ['desktop.ini', false, null],
    ])
    expect(run.json.systemFiles.count).toBe(10)
    expect(run.json.systemFiles.entries[0]!.what).toBe('the recycle bin of Windows')
    expect(run.json.batch?.inputs.systemFiles).toBe('skipped')

    const text = await custody(['ingest', card, '--recursive', '--case', kase.dir], asUser)
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('10 system files and folders left out ($RECYCLE.BIN, .DS_Store, .Spotlight-V100, .Trashes, ...): --include-system-files takes them, --json lists them.')
    expect(text.stdout).toContain(`left out  ${join(card, '$RECYCLE.BIN')}: the recycle bin of Windows, holding 2 files; deleted files may be evidence`)
    expect(text.stdout).toContain(`left out  ${join(card, '.Trashes')}: the trash of macOS, which could not be listed;`)
    const log = await custodyJson<{events: Array<{action: string; payload: {inputs?: {systemFiles?: string}}}>}>(['log', '--case', kase.dir], asUser)
    expect(log.json.events.find((e) => e.action === 'batch-started')?.payload.inputs?.systemFiles).toBe('skipped')

    // Named on its own, a system file is taken: whoever named it asked for it.
    const named = await custodyJson<IngestJson>(['ingest', join(card, 'Thumbs.db'), '--case', kase.dir], asUser)
    expect(named.code).toBe(0)
    expect(named.json.results.map((r) => [r.status, r.exhibit])).toEqual([['ingested', 'EX-000003']])
  })

  it('takes them with --include-system-files, continuing the same batch', async () => {
    const all = await custodyJson<IngestJson>(['ingest', card, '--recursive', '--include-system-files', '--case', kase.dir], asUser)
    // Taken as any folder is: the empty .DS_Store is refused, and .Trashes cannot be listed.
    expect(all.code).toBe(1)
    const failed = all.json.results.filter((r) => r.status === 'failed').map((r) => [r.path.slice(card.length + 1), r.error?.code])
    expect(failed).toEqual([
      ['.Trashes', 'INPUT_UNREADABLE'],
      ['DCIM/100CANON/.DS_Store', 'INPUT_EMPTY'],
    ])
    const present = all.json.results.filter((r) => r.status === 'already-present').map((r) => [r.path.slice(card.length + 1), r.exhibit])
    expect(present).toEqual([
      ['DCIM/100CANON/IMG_0001.JPG', 'EX-000001'],
      ['DCIM/100CANON/IMG_0001.THM', 'EX-000002'],
      ['Thumbs.db', 'EX-000003'],
    ])
    expect(all.json.counts.ingested).toBe(8)
    expect(all.json.systemFiles).toEqual({count: 0, entries: []})
    expect(all.json.batch?.inputs.systemFiles).toBe('included')
  })
})
