/**
 * Issue 16, items 10 and 11, through the built CLI with no terminal (as a script runs it):
 *
 * - the witness's name or contact typed into a field that is recorded in clear is refused, naming
 *   the field, before anything is written;
 * - a statement or an attachment's metadata that names the witness stops the command unless
 *   --identifying-content-ok; a testimony so recorded says so, and never goes into an advocacy
 *   (anonymised) seal, which the archive verifier enforces too;
 * - consent changes take effect in the order of their dates, not of their typing.
 */
import {spawnSync} from 'node:child_process'
import {copyFileSync, cpSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Case, locateCase} from '../../src/case/case.js'
import {rewriteManifests} from '../helpers/bag.js'
import {custody, custodyJson, newCase, PASSPHRASE, ROOT, SAMPLES, sqlite, tempDir} from '../helpers/cli.js'

const NAME = 'Olena Kovalenko'
const CONTACT = '+380 44 555 0142, ok.witness@example.org'
const EXIFTOOL = join(ROOT, 'node_modules', 'exiftool-vendored.pl', 'bin', 'exiftool')
const work = tempDir('custody-exposure-')
let kase: {dir: string; remove: () => void}

type ContentCheckJson = {searchedFor: string[]; statementText: {searched: boolean; reason: string | null}; identifying: string[]} | null

interface TakenJson {
  exhibit: string
  witness: string
  attachments: Array<{exhibit: string}>
  contentCheck: ContentCheckJson
}

interface ListJson {
  testimonies: Array<{
    exhibit: string
    witness: string
    identifyingContent: string[]
    consent: {current: string[]; changes: Array<{seq: number; at: string; granted: string[]; withdrawn: string[]}>}
  }>
}

interface SealJson {
  statement: {exhibits: Array<{exhibit: string}>; testimonies: Array<{exhibit: string; identifyingContent: string[]}>}
  leftOut: Array<{exhibit: string; testimony: string; reason: string}>
}

function ledgerSize(dir: string): number {
  return Number(sqlite(join(dir, '.custody', 'ledger.sqlite'), 'SELECT count(*) FROM events;').trim())
}

function vaultFiles(dir: string): string[] {
  return readdirSync(join(dir, '.custody', 'vault'), {recursive: true, withFileTypes: true})
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .sort()
}

let counter = 0
function writeStatement(text: string): string {
  const path = join(work.path, `statement-${++counter}.txt`)
  writeFileSync(path, text)
  return path
}

/**
 * The flags of a complete testimony; `extra` adds flags or replaces --place and --interviewer. A
 * fresh statement each time: a statement already in the case is refused for another reason.
 */
function add(witness: string, extra: string[], options: {statement?: string; name?: string} = {}): string[] {
  const base = [
    ['--place', 'Kyiv, safe location'],
    ['--interviewer', 'A. Investigator'],
  ].filter(([flag]) => !extra.includes(flag!))
  return [
    'testimony',
    'add',
    '--witness',
    witness,
    '--interviewed-at',
    '2024-03-05T10:00+02:00/2024-03-05T11:30+02:00',
    ...base.flat(),
    '--consent',
    'court',
    '--consent',
    'advocacy',
    '--consent-method',
    'signed-form',
    '--statement-file',
    options.statement ?? writeStatement(`Statement ${++counter}: on 3 March I saw soldiers detain my neighbour at the checkpoint.\n`),
    '--witness-name',
    options.name ?? NAME,
    '--witness-contact',
    CONTACT,
    ...extra,
    '--case',
    kase.dir,
  ]
}

/** Runs a command that must be refused with exit 2 and leave the case exactly as it was. */
async function refused(args: string[]): Promise<string> {
  const before = {events: ledgerSize(kase.dir), vault: vaultFiles(kase.dir)}
  const result = await custody(args)
  expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(2)
  expect(ledgerSize(kase.dir)).toBe(before.events)
  expect(vaultFiles(kase.dir)).toEqual(before.vault)
  return result.stderr
}

beforeAll(async () => {
  kase = await newCase()
})

afterAll(() => {
  kase.remove()
  work.remove()
})

describe('the open record never takes the name or contact', () => {
  it.each([
    ['--place', 'the Kovalenko family flat', 'name'],
    ['--present', "Olena's sister", 'name'],
    ['--interviewer', 'OK.WITNESS@EXAMPLE.ORG', 'contact'],
    ['--interpreter', 'Kovalénko', 'name'],
    ['--note', 'call back on 044-555-01-42', 'contact'],
  ])('refuses %s holding the %s (%s), naming the field and not echoing it', async (flag, value, what) => {
    const stderr = await refused(add('W-100', [flag, value]))
    expect(stderr).toContain(flag)
    expect(stderr).toContain(what === 'name' ? "the witness's name" : "the witness's contact")
    expect(stderr).not.toContain('Kovalenko')
    expect(stderr).not.toContain('555')
  })

  it('accepts what only looks like the name: another word that begins with it, a short part, a number of other digits', async () => {
    const taken = await custodyJson<TakenJson>(add('W-101', ['--place', 'Kovalenkivka village', '--present', 'a relative (P-3)', '--note', 'the witness called from 044 555 9999']))
    expect(taken.code, taken.stderr).toBe(0)
  })

  it('refuses the consent change note and the amendment reason that hold them', async () => {
    expect(await refused(['testimony', 'consent', 'W-101', '--withdraw', 'court', '--note', 'Olena Kovalenko phoned us', '--case', kase.dir])).toContain('--note')
    const v2 = writeStatement('A correction with nothing identifying in it.\n')
    expect(await refused(['testimony', 'amend', 'W-101', '--statement-file', v2, '--reason', 'as ok.witness@example.org wrote', '--case', kase.dir])).toContain('--reason')
    expect(await refused(['testimony', 'identity', 'W-101', '--reason', 'Kovalenko asked for protection', '--case', kase.dir])).toContain('--reason')
  })
})

describe('a statement or attachment that names the witness', () => {
  let named: TakenJson
  let artist: TakenJson

  it('stops the command with no terminal, says where, and writes nothing', async () => {
    const text = writeStatement(`My name is ${NAME.toUpperCase()}. On 3 March I was detained at the checkpoint.\n`)
    const stderr = await refused(add('W-110', [], {statement: text}))
    expect(stderr).toContain('statement')
    expect(stderr).toContain('--identifying-content-ok')
    expect(stderr).not.toContain('Kovalenko')
    expect(stderr).not.toContain('KOVALENKO')
  })

  it('records it with --identifying-content-ok, and says so in the event, list, show and the output', async () => {
    const text = writeStatement(`I, Olena Kovalenko, saw the detention on 3 March.\nCall me on +380445550142.\n`)
    const taken = await custodyJson<TakenJson>(add('W-111', ['--identifying-content-ok'], {statement: text}))
    expect(taken.code, taken.stderr).toBe(0)
    named = taken.json
    expect(named.contentCheck).toEqual({searchedFor: ['name', 'contact'], statementText: {searched: true, reason: null}, identifying: ['statement']})
    const list = await custodyJson<ListJson>(['testimony', 'list', '--case', kase.dir])
    expect(list.json.testimonies.find((t) => t.witness === 'W-111')!.identifyingContent).toEqual(['statement'])
    expect((await custody(['testimony', 'list', '--case', kase.dir])).stdout).toMatch(/W-111 .*identifying content/)
    const show = await custody(['show', 'W-111', '--case', kase.dir])
    expect(show.stdout).toMatch(/identifying +statement/)
    const text2 = await custody(add('W-112', ['--identifying-content-ok'], {statement: writeStatement('Olena Kovalenko speaking.\n')}))
    expect(text2.stdout).toMatch(/identifying +statement: holds the witness's name or contact; left out of advocacy seals/)
    // The name itself is nowhere in the ledger.
    expect(readFileSync(join(kase.dir, '.custody', 'ledger.sqlite')).includes(Buffer.from('Kovalenko'))).toBe(false)
  })

  it("finds the name in an attachment's EXIF Artist, written with the ExifTool that custody uses", async () => {
    const photo = join(work.path, 'handed-over.jpg')
    copyFileSync(join(SAMPLES, 'Canon.jpg'), photo)
    const written = spawnSync('perl', [EXIFTOOL, '-overwrite_original', `-Artist=${NAME}`, photo], {encoding: 'utf8'})
    expect(written.status, written.stderr).toBe(0)
    const stderr = await refused(add('W-120', ['--attach', join(SAMPLES, 'Sony.jpg'), '--attach', photo]))
    expect(stderr).toContain('attachment 2 metadata (EXIF:IFD0:Artist)')
    const taken = await custodyJson<TakenJson>(add('W-120', ['--attach', join(SAMPLES, 'Sony.jpg'), '--attach', photo, '--identifying-content-ok']))
    expect(taken.code, taken.stderr).toBe(0)
    artist = taken.json
    expect(artist.contentCheck!.identifying).toEqual(['attachment 2 metadata (EXIF:IFD0:Artist)'])
    // The same photo attached again is already an exhibit: the record stored with it is searched.
    expect(await refused(add('W-121', ['--attach', photo]))).toContain('attachment 1 metadata (EXIF:IFD0:Artist)')
  })

  it("says honestly that a PDF statement's text could not be searched, and still searches its metadata", async () => {
    const pdf = join(work.path, 'signed-statement.pdf')
    copyFileSync(join(SAMPLES, 'PDF.pdf'), pdf)
    const taken = await custodyJson<TakenJson>(add('W-130', [], {statement: pdf}))
    expect(taken.code, taken.stderr).toBe(0)
    expect(taken.json.contentCheck!.statementText).toEqual({searched: false, reason: expect.stringContaining('application/pdf') as string})
    expect(taken.json.contentCheck!.identifying).toEqual([])
    const text = await custody(['show', 'W-130', '--case', kase.dir])
    expect(text.stdout).toContain('not searched')
    // The PDF's IPTC By-line is "Phil Harvey": a witness of that name is found in its metadata.
    const pdf2 = join(work.path, 'signed-statement-2.pdf')
    expect(spawnSync('perl', [EXIFTOOL, '-Title=statement two', '-o', pdf2, pdf]).status).toBe(0)
    const harvey = await refused(add('W-131', [], {statement: pdf2, name: 'Phil Harvey'}))
    expect(harvey).toContain('statement metadata (IPTC:By-line)')
    expect(harvey).not.toContain('Harvey')
  })

  it('an advocacy seal leaves such testimonies out, with their attachments, and says why; a court seal keeps them', async () => {
    const advocacy = await custodyJson<SealJson>(['seal', '--out', join(work.path, 'advocacy.zip'), '--purpose', 'advocacy', '--case', kase.dir])
    expect(advocacy.code, advocacy.stderr).toBe(0)
    const sealed = advocacy.json.statement.exhibits.map((x) => x.exhibit)
    for (const t of [named, artist]) {
      expect(sealed).not.toContain(t.exhibit)
      const left = advocacy.json.leftOut.find((l) => l.exhibit === t.exhibit)
      expect(left?.reason).toContain('holds identifying content')
    }

    expect(sealed).not.toContain(artist.attachments[1]!.exhibit)
    expect(advocacy.json.leftOut.find((l) => l.exhibit === artist.attachments[1]!.exhibit)?.reason).toContain('attachment 2 metadata (EXIF:IFD0:Artist)')
    // A testimony without identifying content still goes in.
    expect(advocacy.json.statement.testimonies.map((t) => t.exhibit)).not.toContain(named.exhibit)
    expect(advocacy.json.statement.testimonies.length).toBeGreaterThan(0)
    expect((await custody(['verify', join(work.path, 'advocacy.zip')])).code).toBe(0)

    const named1 = await custody(['seal', 'W-111', '--out', join(work.path, 'named.zip'), '--purpose', 'advocacy', '--case', kase.dir])
    expect(named1.code).toBe(2)
    expect(named1.stderr).toContain('holds identifying content')

    const court = await custodyJson<SealJson>(['seal', 'W-111', 'W-120', '--out', join(work.path, 'court.zip'), '--purpose', 'court', '--case', kase.dir])
    expect(court.code, court.stderr).toBe(0)
    expect(court.json.statement.testimonies.find((t) => t.exhibit === named.exhibit)?.identifyingContent).toEqual(['statement'])
    expect(court.json.statement.testimonies.find((t) => t.exhibit === artist.exhibit)?.identifyingContent).toEqual(['attachment 2 metadata (EXIF:IFD0:Artist)'])
    expect((await custody(['verify', join(work.path, 'court.zip')])).code).toBe(0)
  })

  it('amend checks the new statement: a later version makes the testimony identifying from then on', async () => {
    const clean = await custody(['seal', 'W-101', '--out', join(work.path, 'before-amend.zip'), '--purpose', 'advocacy', '--case', kase.dir])
    expect(clean.code, clean.stderr).toBe(0)
    const v2 = writeStatement('Correction: it was Olena Kovalenko who saw it, on 4 March.\n')
    const stderr = await refused(['testimony', 'amend', 'W-101', '--statement-file', v2, '--reason', 'the witness corrected the date', '--case', kase.dir])
    expect(stderr).toContain('statement version 2')
    const amended = await custodyJson<{contentCheck: ContentCheckJson}>(['testimony', 'amend', 'W-101', '--statement-file', v2, '--reason', 'the witness corrected the date', '--identifying-content-ok', '--case', kase.dir])
    expect(amended.code, amended.stderr).toBe(0)
    expect(amended.json.contentCheck!.identifying).toEqual(['statement version 2'])
    const after = await custody(['seal', 'W-101', '--out', join(work.path, 'after-amend.zip'), '--purpose', 'advocacy', '--case', kase.dir])
    expect(after.code).toBe(2)
    expect(after.stderr).toContain('holds identifying content (statement version 2)')
  })
})

describe('consent by date, not by typing order', () => {
  it('a grant dated 1 May entered after a withdrawal dated 1 June leaves the scope withdrawn', async () => {
    expect((await custody(add('W-140', []))).code).toBe(0)
    const withdrawn = await custodyJson<{current: string[]; seq: number}>(['testimony', 'consent', 'W-140', '--withdraw', 'advocacy', '--at', '2024-06-01T10:00+03:00', '--case', kase.dir])
    expect(withdrawn.json.current).toEqual(['court'])
    const late = await custodyJson<{current: string[]; overridden: unknown[]}>(['testimony', 'consent', 'W-140', '--grant', 'advocacy', '--method', 'oral-noted', '--at', '2024-05-01T10:00+03:00', '--case', kase.dir])
    expect(late.code, late.stderr).toBe(0)
    expect(late.json.current).toEqual(['court'])
    // It says why the grant changes nothing now.
    expect(late.json.overridden).toEqual([{scope: 'advocacy', seq: withdrawn.json.seq, at: '2024-06-01T10:00+03:00'}])
    const lateText = await custody(['testimony', 'consent', 'W-140', '--grant', 'advocacy', '--method', 'oral-noted', '--at', '2024-05-02T10:00+03:00', '--case', kase.dir])
    expect(lateText.stdout).toContain('advocacy stays as the change dated 2024-06-01T10:00+03:00 (#')

    const list = await custodyJson<ListJson>(['testimony', 'list', '--case', kase.dir])
    const t = list.json.testimonies.find((x) => x.witness === 'W-140')!
    expect(t.consent.current).toEqual(['court'])
    // Date order, each change with its recording order (seq).
    expect(t.consent.changes.map((c) => c.at)).toEqual(['2024-05-01T10:00+03:00', '2024-05-02T10:00+03:00', '2024-06-01T10:00+03:00'])
    expect(t.consent.changes[0]!.seq).toBeGreaterThan(t.consent.changes[2]!.seq)

    const seal = await custodyJson<SealJson>(['seal', '--out', join(work.path, 'by-date.zip'), '--purpose', 'advocacy', '--case', kase.dir])
    expect(seal.code, seal.stderr).toBe(0)
    expect(seal.json.statement.exhibits.map((x) => x.exhibit)).not.toContain(t.exhibit)
    expect(seal.json.leftOut.find((l) => l.exhibit === t.exhibit)?.reason).toContain('withdrew consent to advocacy on 2024-06-01T10:00+03:00')
    expect((await custody(['verify', join(work.path, 'by-date.zip')])).code).toBe(0)

    const show = await custody(['show', 'W-140', '--case', kase.dir])
    const lines = show.stdout.split('\n').filter((l) => l.includes('changed'))
    expect(lines[0]).toMatch(/2024-05-01T10:00\+03:00: \+advocacy .*recorded after #/)
    expect(lines[2]).toContain('2024-06-01T10:00+03:00: -advocacy')
    // A later grant, dated after the withdrawal, does give it back.
    const regrant = await custodyJson<{current: string[]}>(['testimony', 'consent', 'W-140', '--grant', 'advocacy', '--method', 'oral-noted', '--at', '2024-07-01T10:00+03:00', '--case', kase.dir])
    expect(regrant.json.current).toEqual(['advocacy', 'court'])
  })

  it('refuses a change dated in the future or before the interview', async () => {
    const future = new Date(Date.now() + 60 * 60 * 1000).toISOString()
    expect(await refused(['testimony', 'consent', 'W-140', '--withdraw', 'court', '--at', future, '--case', kase.dir])).toContain('in the future')
    expect(await refused(['testimony', 'consent', 'W-140', '--withdraw', 'court', '--at', '2024-03-05T09:59+02:00', '--case', kase.dir])).toContain('before the interview')
    // A few minutes of clock skew are allowed.
    const skew = new Date(Date.now() + 2 * 60 * 1000).toISOString()
    expect((await custody(['testimony', 'consent', 'W-140', '--withdraw', 'contact', '--at', skew, '--case', kase.dir])).code).toBe(0)
  })
})

describe('the archive verifier', () => {
  interface ArchiveJson {
    problems: Array<{check: string; subject: string; message: string}>
  }

  /** An insider's forgery: seal.json edited and signed again with the case's own key, the manifests made to match. */
  async function resign(bagDir: string): Promise<void> {
    const opened = Case.open(locateCase({caseDir: kase.dir}))
    try {
      const signer = await opened.unlock(PASSPHRASE)
      const statement = readFileSync(join(bagDir, 'data', 'custody', 'seal.json'))
      writeFileSync(join(bagDir, 'data', 'custody', 'seal.json.sig'), signer.sign(statement))
    } finally {
      opened.close()
    }

    rewriteManifests(bagDir)
  }

  it('refuses an advocacy seal that holds a testimony its events mark as identifying, even signed by the case key', async () => {
    const archive = join(work.path, 'court-for-forgery.zip')
    const sealed = await custody(['seal', 'W-111', '--out', archive, '--purpose', 'court', '--case', kase.dir])
    expect(sealed.code, sealed.stderr).toBe(0)
    const pristine = join(work.path, 'forgery-pristine')
    expect(spawnSync('unzip', ['-q', archive, '-d', pristine]).status).toBe(0)
    const bag = readdirSync(pristine)[0]!
    const edits: Array<[string, (s: {purpose: string; testimonies: Array<Record<string, unknown>>}) => void, string]> = [
      ['purpose-advocacy', (s) => (s.purpose = 'advocacy'), 'holds identifying content'],
      ['identifying-content-hidden', (s) => ((s.purpose = 'advocacy'), (s.testimonies[0]!.identifyingContent = [])), 'identifying content'],
    ]
    for (const [name, edit, message] of edits) {
      const dir = join(work.path, `forged-${name}`)
      cpSync(pristine, dir, {recursive: true})
      const bagDir = join(dir, bag)
      const path = join(bagDir, 'data', 'custody', 'seal.json')
      const statement = JSON.parse(readFileSync(path, 'utf8')) as {purpose: string; testimonies: Array<Record<string, unknown>>}
      edit(statement)
      writeFileSync(path, `${JSON.stringify(statement, null, 2)}\n`)
      const info = join(bagDir, 'bag-info.txt')
      writeFileSync(info, readFileSync(info, 'utf8').replace('(sealed for: court)', '(sealed for: advocacy)'))
      await resign(bagDir)
      const forged = `${dir}.zip`
      expect(spawnSync('zip', ['-q', '-r', '-X', forged, bag], {cwd: dir}).status).toBe(0)
      const result = await custodyJson<ArchiveJson>(['verify', forged])
      expect(result.code, name).toBe(3)
      expect(result.json.problems.filter((p) => p.check === 'signatures'), name).toEqual([])
      expect(result.json.problems, name).toContainEqual(expect.objectContaining({check: 'testimony', message: expect.stringContaining(message) as string}))
    }
  })
})
