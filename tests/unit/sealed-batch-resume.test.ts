/**
 * A batch run again in a field case whose ledger seals its event bodies (schema 4, made through
 * initCase's `sealedBodies`): the passphrase opens no body, so the run finds its earlier runs and
 * the files they took in by keyed tags (batch_tag, file_tag, source_tag: src/ledger/tags.ts),
 * each row confirmed against its chained envelope. Files an earlier run took in, unchanged, are
 * present without being read; a file changed since is read again; the rest go in. A tag column
 * edited to point at another row is refused (INTEGRITY); the tags say nothing of the paths.
 */
import {appendFileSync, copyFileSync, existsSync, mkdirSync, utimesSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {Case, CASE_FOLDER, initCase, LEDGER_FILE} from '../../src/case/case.js'
import {ingest, type IngestFileResult, type IngestProgress} from '../../src/ingest/ingest.js'
import {EARLIER_RUN_REASON, UNCHANGED_REASON} from '../../src/ingest/results.js'
import {verifyCaseAt} from '../../src/verify/verify-case.js'
import {ledgerBytes} from '../helpers/ledger-bytes.js'
import {PASSPHRASE, SAMPLES, sqlite, tempDir} from '../helpers/cli.js'

const work = tempDir('custody-sealed-batch-')
afterAll(() => work.remove())
const hq = generateIdentity()
const INVESTIGATOR = 'Ana Quintela'
/** The card's files as a witness named them, from the camera fixtures; the first three are copied before the first run. */
const CARD = [
  ['Canon.jpg', 'Olena-IMG_0001.jpg'],
  ['GPS.jpg', 'Olena-IMG_0002.jpg'],
  ['Nikon.jpg', 'Olena-IMG_0003.jpg'],
  ['Sony.jpg', 'Olena-IMG_0004.jpg'],
  ['PNG.png', 'Olena-IMG_0005.png'],
] as const
let made = 0

async function fieldCase(options: {plaintext?: boolean} = {}): Promise<string> {
  const root = join(work.path, `case-${made++}`)
  const keys = options.plaintext === true ? {plaintext: true} : {recipients: [parseRecipient(hq.recipient)], field: true, sealedBodies: true}
  await initCase({dir: root, title: 'Operation Sunflower', investigator: INVESTIGATOR, passphrase: PASSPHRASE, ...keys})
  return root
}

/** A folder holding the first `n` files of CARD (those already there left as they are). */
function card(name: string, n: number): string {
  const dir = join(work.path, name)
  mkdirSync(dir, {recursive: true})
  for (const [sample, as] of CARD.slice(0, n)) if (!existsSync(join(dir, as))) copyFileSync(join(SAMPLES, sample), join(dir, as))
  return dir
}

interface Run {
  results: IngestFileResult[]
  counts: unknown
  earlierRuns: number[]
  startedSeq: number | null
  /** What the first progress report said was left to read. */
  toRead: Pick<IngestProgress, 'filesTotal' | 'bytesTotal'> | undefined
}

/** `custody ingest --recursive FOLDER` with the passphrase opened write-only, as the command runs it. */
async function ingestFolder(root: string, folder: string, also?: (kase: Case) => void): Promise<Run> {
  await using kase = Case.open({root, foundBy: 'flag'})
  await kase.unlock(PASSPHRASE, {writeOnly: true})
  let toRead: Run['toRead']
  const report = await ingest(kase, {paths: [folder], recursive: true, actor: INVESTIGATOR, concurrency: 1, onProgress: ({filesTotal, bytesTotal}) => (toRead ??= {filesTotal, bytesTotal})})
  try {
    also?.(kase)
    return {results: [...report.results], counts: report.counts, earlierRuns: report.batch!.earlierRuns, startedSeq: report.batch!.startedSeq, toRead}
  } finally {
    report.close()
  }
}

const byName = (run: Run, name: string): IngestFileResult => run.results.find((r) => r.path.endsWith(`/${name}`))!
const exhibitOf = (result: IngestFileResult): string => (result as {exhibit: string}).exhibit

describe('a batch run again in a field case with sealed event bodies', () => {
  it('passes over what an earlier run took in, unchanged, without opening a body or reading the file; reads again what changed; takes in the rest', async () => {
    const root = await fieldCase()
    const folder = card('Saltivka-card-0412', 3)
    const first = await ingestFolder(root, folder)
    expect(first.results.map((r) => r.status)).toEqual(['ingested', 'ingested', 'ingested'])
    expect(first.earlierRuns).toEqual([])

    // The rest of the card is copied in; since the first run, IMG_0002 grew and IMG_0003 was touched (same bytes).
    card('Saltivka-card-0412', CARD.length)
    appendFileSync(join(folder, 'Olena-IMG_0002.jpg'), 'a few more bytes')
    utimesSync(join(folder, 'Olena-IMG_0003.jpg'), new Date('2026-01-02T03:04:05Z'), new Date('2026-01-02T03:04:05Z'))
    const second = await ingestFolder(root, folder, (kase) => {
      // What the run did not do: the one pass over every ingest body needs a key this laptop does not hold.
      expect(() => [...kase.ledger.sourceFiles()]).toThrow(expect.objectContaining({code: 'CONTENT_LOCKED'}))
    })
    expect(second.earlierRuns).toEqual([first.startedSeq])
    expect(byName(second, 'Olena-IMG_0001.jpg')).toMatchObject({status: 'already-present', exhibit: exhibitOf(byName(first, 'Olena-IMG_0001.jpg')), sha256: null, seq: null, reason: EARLIER_RUN_REASON})
    expect(byName(second, 'Olena-IMG_0002.jpg')).toMatchObject({status: 'ingested', changedFrom: exhibitOf(byName(first, 'Olena-IMG_0002.jpg'))})
    expect(byName(second, 'Olena-IMG_0003.jpg')).toMatchObject({status: 'already-present', exhibit: exhibitOf(byName(first, 'Olena-IMG_0003.jpg')), sha256: (byName(first, 'Olena-IMG_0003.jpg') as {sha256: string}).sha256, reason: UNCHANGED_REASON})
    expect(byName(second, 'Olena-IMG_0004.jpg').status).toBe('ingested')
    expect(byName(second, 'Olena-IMG_0005.png').status).toBe('ingested')
    expect(second.counts).toEqual({ingested: 3, alreadyPresent: 2, failed: 0, skipped: 0})
    // IMG_0001 was not read: the run had four files to read, not five.
    expect(second.toRead?.filesTotal).toBe(4)

    // Once more: every file present. IMG_0003's last record is still the first run's (its new time was not recorded), so it is hashed again.
    const third = await ingestFolder(root, folder)
    expect(third.earlierRuns).toEqual([first.startedSeq, second.startedSeq])
    expect(third.results.map((r) => [r.path.slice(folder.length + 1), r.status, (r as {reason: string}).reason])).toEqual([
      ['Olena-IMG_0001.jpg', 'already-present', EARLIER_RUN_REASON],
      ['Olena-IMG_0002.jpg', 'already-present', EARLIER_RUN_REASON],
      ['Olena-IMG_0003.jpg', 'already-present', UNCHANGED_REASON],
      ['Olena-IMG_0004.jpg', 'already-present', EARLIER_RUN_REASON],
      ['Olena-IMG_0005.png', 'already-present', EARLIER_RUN_REASON],
    ])
    expect(third.toRead?.filesTotal).toBe(1)

    // HQ's identity opens every body: each row's tags, in its columns and its envelope, are its event's.
    const verified = await verifyCaseAt({root, foundBy: 'flag'}, {identities: [parseIdentity(hq.identity)]})
    expect(verified.problems).toEqual([])
    expect(verified.ok).toBe(true)
  })

  it('keeps the folder, the file names and their paths off the disk, which a case in clear shows', async () => {
    const root = await fieldCase()
    const folder = card('Kupiansk-drop-0917', 2)
    await ingestFolder(root, folder)
    await ingestFolder(root, folder)
    const names = ['Kupiansk-drop-0917', folder, ...CARD.slice(0, 2).flatMap(([, as]) => [as, join(folder, as)])]
    const bytes = ledgerBytes(root)
    for (const name of names) expect(bytes.includes(name), name).toBe(false)
    const clear = await fieldCase({plaintext: true})
    await ingestFolder(clear, folder)
    const clearBytes = ledgerBytes(clear)
    for (const name of names) expect(clearBytes.includes(name), name).toBe(true)
  })

  it('refuses a batch tag, a file tag or an exhibit column edited to point at another row (INTEGRITY, naming it), without a key', async () => {
    const root = await fieldCase()
    const ledger = join(root, CASE_FOLDER, LEDGER_FILE)
    const other = await ingestFolder(root, card('Izium-card-0101', 1))
    const folder = card('Izium-card-0202', 2)
    const run = await ingestFolder(root, folder)
    const [firstSeq, secondSeq] = run.results.map((r) => (r as {seq: number}).seq)
    const column = (name: string, seq: number): string => sqlite(ledger, `SELECT hex(${name}) FROM events WHERE seq = ${seq};`).trim()
    const forge = (sql: string): void => {
      sqlite(ledger, `DROP TRIGGER IF EXISTS events_no_update; ${sql}`)
    }
    const refused = async (seq: number): Promise<void> => {
      await expect(ingestFolder(root, folder)).rejects.toMatchObject({code: 'INTEGRITY', subject: `event ${seq}`})
    }

    // The other batch's start, tagged as this batch's.
    const otherBatch = column('batch_tag', other.startedSeq!)
    forge(`UPDATE events SET batch_tag = X'${column('batch_tag', run.startedSeq!)}' WHERE seq = ${other.startedSeq};`)
    await refused(other.startedSeq!)
    await using keyless = Case.open({root, foundBy: 'flag'})
    expect([...keyless.ledger.untrueIndexes()!]).toEqual([{seq: other.startedSeq, column: 'batch_tag'}])
    forge(`UPDATE events SET batch_tag = X'${otherBatch}' WHERE seq = ${other.startedSeq};`)

    // The second file's row given the first file's file tag: the first file's lookup finds it (the later row).
    const secondFile = column('file_tag', secondSeq!)
    forge(`UPDATE events SET file_tag = X'${column('file_tag', firstSeq!)}' WHERE seq = ${secondSeq};`)
    await refused(secondSeq!)
    expect([...keyless.ledger.untrueIndexes()!]).toEqual([{seq: secondSeq, column: 'file_tag'}])
    forge(`UPDATE events SET file_tag = X'${secondFile}' WHERE seq = ${secondSeq};`)

    // An exhibit column that names another exhibit than the envelope does.
    forge(`UPDATE events SET exhibit = 'EX-000099' WHERE seq = ${firstSeq};`)
    await refused(firstSeq!)
    forge(`UPDATE events SET exhibit = '${exhibitOf(run.results[0]!)}' WHERE seq = ${firstSeq};`)

    // Put back, the run passes over both files.
    expect((await ingestFolder(root, folder)).results.map((r) => (r as {reason: string}).reason)).toEqual([EARLIER_RUN_REASON, EARLIER_RUN_REASON])
  })
})
