/**
 * The grep matrix of issue 19 ("a seized laptop gives up nothing"), through the built CLI. A case
 * is made by `custody init` (an encrypted one's ledger with its event bodies sealed), takes
 * in the camera fixtures (loose files with --location, and a batch manifest), a
 * testimony with a witness's name and contact and a statement naming a place, is sealed (in clear,
 * and for HQ with --encrypt-to) and verified, read (list, log, show --statement, a look at the
 * witness's identity), given a consent change, a corrected statement and a recipient with a label.
 * Every file custody may have left is searched for what the work was about, contents and names:
 * the case folder (the ledger with its -wal and -shm, the vault, the keys), the case's state folder
 * (custody's checkpoints), the command's own temporary folder (each run gets its own TMPDIR), a
 * home folder of the case's own (HOME, where a cache or config would go) and the files a seal
 * leaves beside --out, but for the ZIP in clear, finished or in the making, which is plaintext
 * BagIt for the court by design. They are searched after every command, and every 20 ms while it
 * runs, with the files it holds open there, removed ones too (what a run writes and removes was on
 * the disk, and its blocks stay there): a leak of that kind shows as soon as a look falls in its
 * moment, which a run this small may miss. Nothing may be found, in an encrypted case with an HQ
 * recipient and in a field case. The same search over a case in clear
 * (--plaintext) finds them: the search is shown to work, so the two that find nothing mean
 * something.
 */
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {closeSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, openSync, readFileSync, readlinkSync, writeFileSync} from 'node:fs'
import {once} from 'node:events'
import {basename, dirname, join, relative} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, PASSPHRASE, ROOT, SAMPLES, tempDir} from '../helpers/cli.js'

const EXIFTOOL = join(ROOT, 'node_modules', 'exiftool-vendored.pl', 'bin', 'exiftool')
const work = tempDir('custody-grep-matrix-')
afterAll(() => work.remove())

/** What the work was about, each a value the test chose and would know again in any file. */
const TITLE = 'Operation Nightjar, Kherson oblast'
const ORGANISATION = 'Nightjar Documentation Collective'
const INVESTIGATOR = 'Wilhelmina Okonkwo-Strand'
const INTERVIEWERS = ['Bartholomew Iyer-Lindqvist', 'Ximena Achterberg']
const LOCATION = 'Chornobaivka, behind the grain silo'
const PLACE = 'Mykolaiv, a flat above the pharmacy'
const WITNESS = 'W-0417'
/** When the interview was (as typed, and as UTC), and when the batch's files were collected. */
const INTERVIEWED_AT = '2024-03-15T10:00+02:00/2024-03-15T11:30+02:00'
const COLLECTED_AT = '2024-03-14T16:20:00+02:00'
const TIMES = ['2024-03-15T10:00', '2024-03-15T08:00', '2024-03-14T16:20', '2024-03-14T14:20']
const WITNESS_NAME = 'Yevheniia Dovzhenko'
const WITNESS_CONTACT = '+380 67 318 2946, y.dovzhenko@example.net'
/** A corrected statement (`testimony amend`), why it was corrected, and a consent change's note. */
const STATEMENT_V2 = 'Correction: the lorry bore Zhytomyr licence plates and a hand-painted heron.\n'
const AMEND_REASON = 'the witness recalled the plates on a second call'
const CONSENT_NOTE = 'consent widened after a call with the counsellor'
/** Why the witness's identity is looked up (`testimony identity --reason`), recorded in the event. */
const REASON = 'arranging relocation with the Mykolaiv shelter'
/** The label of a recipient added at the end (`key add-recipient --label`), which the ledger seals. */
const RECIPIENT_LABEL = 'Nightjar legal desk, Odesa'
const STATEMENT = 'On 14 March the quartermaster loaded tarpaulin-covered crates onto a refrigerated lorry beside the apiary.\n'
/** The batch manifest's columns that are the investigators' own words. */
const MANIFEST = {collectedBy: 'Radomir Feldhausen', location: 'Posad-Pokrovske roadside culvert', latitude: '46.793142', longitude: '32.918476', source: 'memory card handed over by WX-77', note: 'card found wrapped in oilcloth'}
/** A source folder with a name nobody else would give, and the statement's file within it. */
const SOURCE = join(work.path, 'nightjar-sd-card-0417')
const STATEMENT_FILE = join(SOURCE, 'interview-transcript-yd.txt')
const STATEMENT_V2_FILE = join(SOURCE, 'interview-correction-yd.txt')
const MANIFEST_FILE = join(SOURCE, 'handover-manifest.csv')
const samples = readdirSync(SAMPLES)
  .filter((n) => !n.startsWith('.') && n !== 'expected-tags.json')
  .sort()
/** The fixtures taken in as loose files (with --location); the rest go in through the manifest. */
const LOOSE = samples.slice(0, 8)
const BATCH = samples.slice(8)

/**
 * Needles shorter than 6 bytes are left out: in ciphertext and random keys a 5-byte string turns up
 * by chance (one in 2^40 a position), and the values they would be (a make "Canon", a model "E775")
 * are the longer needles' parts anyway.
 */
const SHORTEST = 6

interface Needle {
  what: string
  bytes: Buffer
}

const needles: Needle[] = []
function needle(what: string, value: string | Buffer): void {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  if (bytes.length >= SHORTEST && !needles.some((n) => n.bytes.equals(bytes))) needles.push({what, bytes})
}

/** ExifTool's own output for the fixtures, as printed (`-n` false) and as numbers (`-n`). */
function exiftool(extra: string[]): Array<Record<string, unknown>> {
  const result = spawnSync('perl', [EXIFTOOL, '-j', ...extra, '-Make', '-Model', '-SerialNumber', '-GPSLatitude', '-GPSLongitude', '-GPSPosition', '-DateTimeOriginal', ...samples.map((n) => join(SAMPLES, n))], {encoding: 'utf8', maxBuffer: 1 << 26})
  if (result.status !== 0) throw new Error(`exiftool failed: ${result.stderr}`)
  return JSON.parse(result.stdout) as Array<Record<string, unknown>>
}

/**
 * 64 bytes of an original, from its middle on: the first window with at least 16 different byte
 * values, so that not a run of zeros or padding (which SQLite pages have too) is searched for; in
 * a file that has none (a tiny WAV is mostly silence), its most varied window.
 */
function windowOf(bytes: Buffer): Buffer {
  let best = bytes.subarray(0, 64)
  for (let at = Math.floor(bytes.length / 2); at + 64 <= bytes.length; at++) {
    const window = bytes.subarray(at, at + 64)
    if (new Set(window).size >= 16) return window
  }

  for (let at = 0; at + 64 <= bytes.length; at++) {
    const window = bytes.subarray(at, at + 64)
    if (new Set(window).size > new Set(best).size) best = window
  }

  return best
}

function digests(what: string, bytes: Buffer): void {
  for (const [algorithm, name] of [
    ['sha256', 'SHA-256'],
    ['sha512', 'SHA-512'],
  ]) {
    const raw = createHash(algorithm!).update(bytes).digest()
    needle(`${what}: ${name} in hex`, raw.toString('hex'))
    needle(`${what}: ${name} raw`, raw)
    needle(`${what}: ${name} in base64`, raw.toString('base64'))
  }
}

function buildNeedles(): void {
  for (const [what, value] of Object.entries({TITLE, ORGANISATION, INVESTIGATOR, LOCATION, PLACE, WITNESS_NAME, WITNESS_CONTACT, RECIPIENT_LABEL, REASON, AMEND_REASON, CONSENT_NOTE, passphrase: PASSPHRASE})) needle(what.toLowerCase().replaceAll('_', ' '), value)
  for (const name of INTERVIEWERS) needle('interviewer', name)
  needle('witness code', WITNESS)
  for (const time of TIMES) needle('a time of the interview or the batch', time)
  for (const [column, value] of Object.entries(MANIFEST)) needle(`manifest ${column}`, value)
  for (const part of WITNESS_CONTACT.split(', ')) needle('witness contact (part)', part)
  for (const word of `${STATEMENT} ${STATEMENT_V2}`.split(/[^A-Za-z-]+/)) needle('a word of the statement', word)
  needle('the source folder', SOURCE)
  needle("the source folder's name", relative(work.path, SOURCE))
  for (const name of [...samples, STATEMENT_FILE, STATEMENT_V2_FILE, MANIFEST_FILE].map((f) => basename(f))) needle('a source file name', name)
  const numbers = new Map(exiftool(['-n']).map((tags) => [basename(String(tags.SourceFile)), tags]))
  for (const tags of exiftool([])) {
    const name = basename(String(tags.SourceFile))
    for (const tag of ['Make', 'Model', 'SerialNumber', 'GPSLatitude', 'GPSLongitude', 'GPSPosition', 'DateTimeOriginal']) {
      for (const [how, value] of [
        ['as ExifTool prints it', tags[tag]],
        ['as ExifTool prints it with -n', numbers.get(name)?.[tag]],
      ] as const) {
        if (value === undefined) continue
        needle(`${name}: ${tag} ${how}`, String(value).trim())
      }
    }
  }

  for (const name of samples) {
    const bytes = readFileSync(join(SAMPLES, name))
    digests(name, bytes)
    needle(`${name}: 64 bytes of it`, windowOf(bytes))
  }

  digests('the statement', Buffer.from(STATEMENT))
  digests('the corrected statement', Buffer.from(STATEMENT_V2))
  digests('the manifest', readFileSync(MANIFEST_FILE))
}

/** Every file under `dir`, recursively (none if it does not exist). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort()
}

/**
 * filesUnder() while a command runs: a folder it removes or renames while the walk is in it
 * (init's staging folder, a temporary folder) ends the walk with ENOENT; the next look walks again.
 */
function filesUnderNow(dir: string): string[] {
  try {
    return filesUnder(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

/** A needle as a failure message shows it: text if it is text, else hex. */
function shown(n: Needle): string {
  const text = n.bytes.toString('utf8')
  return /^[\x20-\x7e]+$/.test(text) ? JSON.stringify(text) : `0x${n.bytes.toString('hex')}`
}

/**
 * A connection that holds the ledger open, in a process of its own, as another custody process
 * reading the case would: a command's end then leaves the -wal (every page its commits wrote) and
 * the -shm on the disk, to be searched, where the last connection to close would fold them away.
 * It only reads, but opens read-write: a read-only one keeps its shared memory to itself, and
 * custody's connection would believe itself the last. Not in this process: reading the files to
 * search them closes descriptors of them, which drops every POSIX lock a process holds on a file,
 * SQLite's among them.
 */
async function holdOpen(ledger: string): Promise<() => Promise<void>> {
  const holder = `import Database from 'better-sqlite3'
const db = new Database(process.argv[1], {fileMustExist: true})
db.pragma('user_version')
process.stdout.write('open\\n')
process.stdin.on('data', () => {}).on('end', () => db.close())`
  const child = spawn(process.execPath, ['--input-type=module', '-e', holder, ledger], {cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit']})
  await once(child.stdout, 'data')
  return async () => {
    child.stdin.end()
    await once(child, 'close')
  }
}

/** A file's bytes, or undefined if it went (a run's files come and go while it is watched). */
function readIfThere(file: string): Buffer | undefined {
  try {
    return readFileSync(file)
  } catch {
    return undefined
  }
}

/**
 * The files a process has open in these folders, removed ones too (a scratch database is unlinked
 * as soon as it is made, but its pages are on the disk while it runs, and its blocks after): each
 * file's path and bytes, read through /proc (which opens a removed file too). The path is the one
 * this process holds open once it has opened it, read again from its own descriptor: between a
 * look at the other's descriptor and the opening, the other may close it and give its number to
 * another file (a source it reads), whose bytes must not be taken for the first file's.
 */
function openFiles(pid: number, places: readonly string[]): Array<{path: string; bytes: Buffer}> {
  const fds = `/proc/${pid}/fd`
  let entries: string[]
  try {
    entries = readdirSync(fds)
  } catch {
    return []
  }

  const open: Array<{path: string; bytes: Buffer}> = []
  const inPlaces = (path: string): boolean => places.some((dir) => path.startsWith(`${dir}/`))
  for (const fd of entries) {
    let ours: number
    try {
      // Looked at first, so that nothing else (a pipe, a socket) is opened.
      if (!inPlaces(readlinkSync(join(fds, fd)).replace(/ \(deleted\)$/, ''))) continue
      ours = openSync(join(fds, fd), 'r')
    } catch {
      continue
    }

    try {
      const path = readlinkSync(`/proc/self/fd/${ours}`).replace(/ \(deleted\)$/, '')
      if (inPlaces(path)) open.push({path, bytes: readFileSync(ours)})
    } catch {
      // A directory, or gone: nothing to search.
    } finally {
      closeSync(ours)
    }
  }

  return open
}

/**
 * Runs the built CLI as custody() does, calling `look` with its process ID every 20 ms while it
 * runs: what it writes and removes before it ends is searched too.
 */
async function watched(args: string[], env: NodeJS.ProcessEnv, look: (pid: number) => void): Promise<{code: number | null; stderr: string}> {
  const childEnv: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ...env}
  delete childEnv.CUSTODY_CASE
  for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name]
  const child = spawn(process.execPath, [BIN, ...args], {cwd: ROOT, env: childEnv, stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  let running = true
  const ended = once(child, 'close').finally(() => (running = false))
  while (running) {
    look(child.pid!)
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 20))])
  }

  const [code] = (await ended) as [number | null]
  return {code, stderr}
}

interface Kind {
  name: string
  init: string[]
  /** Whether the case's commands that read content need HQ's identity (a field case). */
  identity: boolean
  /** A copy of that kind's case (made before), converted by `custody encrypt`, instead of a case made for this kind. */
  convertedFrom?: string
}

const KINDS: Kind[] = [
  {name: 'encrypted', init: ['--recipient'], identity: false},
  {name: 'field', init: ['--field', '--recipient'], identity: true},
  {name: 'plaintext', init: ['--plaintext'], identity: false},
  {name: 'converted', init: [], identity: false, convertedFrom: 'plaintext'},
]

interface Found {
  /** `what "needle" in file (after the command that first left it)`, one a needle and file. */
  hits: string[]
  /** The needles found anywhere. */
  needles: Set<Needle>
  /** Every file searched, after any command. */
  searched: Set<string>
  /**
   * Whether a look while the seal ran saw its archive in the making (a `.partial`, plaintext BagIt
   * by design, so left out of `hits`) holding a needle: the looks do see what a run writes and
   * removes before it ends.
   */
  sawPartial: boolean
}

const found = new Map<string, Found>()
const hq = {file: join(work.path, 'hq.key'), recipient: ''}
const later = {file: join(work.path, 'later.key'), recipient: ''}


/**
 * Runs the issue's commands on a new case of this kind, each with a TMPDIR of its own, and after
 * each searches the case, its state folder, that TMPDIR and the seal's folder (but the ZIP), the
 * files' contents and their names.
 */
async function matrix(kind: Kind): Promise<Found> {
  const base = join(work.path, kind.name)
  const caseDir = join(base, 'case')
  const state = join(base, 'state')
  const outDir = join(base, 'out')
  const zip = join(outDir, 'sealed.zip')
  // A home of its own, searched too: whatever custody or a library it uses keeps under ~ (a
  // cache, a config) is the laptop's as much as the case is.
  const home = join(base, 'home')
  for (const dir of [state, outDir, home]) mkdirSync(dir, {recursive: true, mode: 0o700})
  const result: Found = {hits: [], needles: new Set(), searched: new Set(), sawPartial: false}
  const seen = new Set<string>()
  let runs = 0
  const search = (step: string, file: string, bytes: Buffer): void => {
    const where = relative(work.path, file)
    result.searched.add(where)
    const name = Buffer.from(relative(base, file))
    for (const n of needles) {
      for (const [inFile, at] of [
        [bytes.includes(n.bytes), where],
        [name.includes(n.bytes), `the name of ${where}`],
      ] as const) {
        const hit = `${n.what} ${shown(n)} in ${at}`
        if (!inFile || seen.has(hit)) continue
        seen.add(hit)
        result.hits.push(`${hit} (${step})`)
        result.needles.add(n)
      }
    }
  }

  /** The seal's archive in clear, finished or in the making, is plaintext BagIt for the court by design. */
  const archive = (file: string): boolean => file === zip || (dirname(file) === outDir && basename(file).startsWith(`.${basename(zip)}.`) && file.endsWith('.partial'))
  const run = async (step: string, args: string[]): Promise<void> => {
    const tmp = join(base, `tmp-${++runs}`)
    mkdirSync(tmp, {mode: 0o700})
    const places = [caseDir, state, tmp, outDir, home]
    const ran = await watched(args, {TMPDIR: tmp, XDG_STATE_HOME: state, HOME: home, XDG_CACHE_HOME: undefined, XDG_CONFIG_HOME: undefined, XDG_DATA_HOME: undefined}, (pid) => {
      const present = places.flatMap((dir) => filesUnderNow(dir)).flatMap((path) => {
        const bytes = readIfThere(path)
        return bytes === undefined ? [] : [{path, bytes}]
      })
      for (const {path, bytes} of [...present, ...openFiles(pid, places)]) {
        if (!archive(path)) search(`while ${step} ran`, path, bytes)
        else if (path !== zip && needles.some((n) => bytes.includes(n.bytes))) result.sawPartial = true
      }
    })
    expect(ran.code, `${kind.name}: ${step}: ${ran.stderr}`).toBe(0)
    for (const file of places.flatMap((dir) => filesUnder(dir))) if (!archive(file)) search(`after ${step}`, file, readFileSync(file))
  }

  if (kind.convertedFrom !== undefined) {
    // The case in clear, as its commands left it, converted: what was found while it was in clear
    // (the conversion reads it) is not this kind's; what is left after is, searched after each
    // command that reads or adds to it, and every file under this kind's folder at the end.
    cpSync(join(work.path, kind.convertedFrom, 'case'), caseDir, {recursive: true})
    await run('encrypt', ['encrypt', '--recipient', hq.recipient, '--case', caseDir])
    result.hits.length = 0
    result.needles.clear()
    seen.clear()
    const held = await holdOpen(join(caseDir, '.custody', 'ledger.sqlite'))
    try {
      await run('verify', ['verify', '--case', caseDir])
      await run('verify --identity', ['verify', '--case', caseDir, '--identity', hq.file])
      await run('list', ['list', '--case', caseDir])
      await run('log', ['log', '--case', caseDir])
      await run('show --statement', ['show', WITNESS, '--statement', '--case', caseDir])
      await run('testimony identity', ['testimony', 'identity', WITNESS, '--reason', REASON, '--case', caseDir])
      await run('ingest', ['ingest', join(SOURCE, 'DCIM', LOOSE[0]!), '--note', 'presented again after the conversion', '--case', caseDir])
      for (const file of filesUnder(base)) search('at the end', file, readFileSync(file))
    } finally {
      await held()
    }

    return result
  }

  const identity = kind.identity ? ['--identity', hq.file] : []
  // `custody init` itself: an encrypted case's ledger keeps its event bodies sealed (schema 4).
  await run('init', ['init', caseDir, '--title', TITLE, '--investigator', INVESTIGATOR, '--organisation', ORGANISATION, ...kind.init, ...(kind.name === 'plaintext' ? [] : [hq.recipient])])

  const release = await holdOpen(join(caseDir, '.custody', 'ledger.sqlite'))
  try {
    await run('ingest', ['ingest', ...LOOSE.map((n) => join(SOURCE, 'DCIM', n)), '--location', LOCATION, '--case', caseDir])
    await run('ingest --manifest', ['ingest', '--manifest', MANIFEST_FILE, '--case', caseDir])
    await run('testimony add', [
      'testimony',
      'add',
      '--witness',
      WITNESS,
      '--interviewed-at',
      INTERVIEWED_AT,
      '--place',
      PLACE,
      ...INTERVIEWERS.flatMap((name) => ['--interviewer', name]),
      '--consent',
      'court',
      '--consent-method',
      'signed-form',
      '--statement-file',
      STATEMENT_FILE,
      '--witness-name',
      WITNESS_NAME,
      '--witness-contact',
      WITNESS_CONTACT,
      '--case',
      caseDir,
    ])
    await run('seal', ['seal', '--out', zip, '--purpose', 'court', '--case', caseDir, ...identity])
    expect(existsSync(zip)).toBe(true)
    // Sealed for HQ (--encrypt-to): the ZIP is encrypted as it is written, so its temporary file
    // and the .age delivered are searched like any other.
    await run('seal --encrypt-to', ['seal', '--out', join(outDir, 'for-hq.zip'), '--purpose', 'court', '--encrypt-to', hq.recipient, '--case', caseDir, ...identity])
    expect(existsSync(join(outDir, 'for-hq.zip.age'))).toBe(true)
    await run('verify', ['verify', '--case', caseDir])
    // A field case's verify opens the content only with HQ's identity: that one reads it all.
    if (kind.identity) await run('verify --identity', ['verify', '--case', caseDir, ...identity])
    // What reads the case (what it prints is not searched: the screen is not the disk), and a
    // look at the witness's identity, which the ledger records with its reason.
    await run('list', ['list', '--case', caseDir, ...identity])
    await run('log', ['log', '--case', caseDir, ...identity])
    await run('show --statement', ['show', WITNESS, '--statement', '--case', caseDir, ...identity])
    await run('testimony identity', ['testimony', 'identity', WITNESS, '--reason', REASON, '--case', caseDir, ...identity])
    // A consent change (a field case records it with the passphrase, but takes no --note there: it
    // cannot check a note against the witness's name), and a corrected statement (in a field case
    // with HQ's identity, which opens the testimony and the witness's identity).
    await run('testimony consent', ['testimony', 'consent', WITNESS, '--grant', 'advocacy', '--method', 'signed-form', ...(kind.identity ? [] : ['--note', CONSENT_NOTE]), '--case', caseDir])
    await run('testimony amend', ['testimony', 'amend', WITNESS, '--statement-file', STATEMENT_V2_FILE, '--reason', AMEND_REASON, '--case', caseDir, ...identity])
    if (kind.init.includes('--recipient')) await run('key add-recipient', ['key', 'add-recipient', later.recipient, '--label', RECIPIENT_LABEL, '--case', caseDir])
  } finally {
    await release()
  }

  return result
}

beforeAll(async () => {
  for (const key of [hq, later]) {
    execFileSync('age-keygen', ['-o', key.file], {stdio: 'ignore'})
    key.recipient = execFileSync('age-keygen', ['-y', key.file], {encoding: 'utf8'}).trim()
  }
  mkdirSync(join(SOURCE, 'DCIM'), {recursive: true})
  for (const name of samples) copyFileSync(join(SAMPLES, name), join(SOURCE, 'DCIM', name))
  writeFileSync(STATEMENT_FILE, STATEMENT)
  writeFileSync(STATEMENT_V2_FILE, STATEMENT_V2)
  const m = MANIFEST
  writeFileSync(
    MANIFEST_FILE,
    ['path,collected_at,collected_by,location,latitude,longitude,source,note', ...BATCH.map((n) => `DCIM/${n},${COLLECTED_AT},${m.collectedBy},${m.location},${m.latitude},${m.longitude},${m.source},${m.note}`)].join('\n') + '\n',
  )
  buildNeedles()
  for (const kind of KINDS) found.set(kind.name, await matrix(kind))
}, 600_000)

describe('the grep matrix (issue 19): what the work was about, searched for in every file custody left', () => {
  it.each(['encrypted', 'field', 'converted'])('%s case: nothing found, the ledger\'s -wal and -shm searched too', (kind) => {
    const {hits, searched} = found.get(kind)!
    expect(hits).toEqual([])
    for (const file of ['ledger.sqlite', 'ledger.sqlite-wal', 'ledger.sqlite-shm']) expect(searched).toContain(join(kind, 'case', '.custody', file))
  })

  it('the looks while a command runs see what it removes before it ends: the archive in the making, with needles in it', () => {
    // In one case of the three at least: the archive is written in a moment a look may miss.
    expect(KINDS.some((kind) => found.get(kind.name)!.sawPartial)).toBe(true)
  })

  it('a case in clear: the same search finds them, so it does search', () => {
    const {hits, needles: caught} = found.get('plaintext')!
    for (const what of ['investigator', 'location', 'place', 'a word of the statement', 'the source folder', 'manifest collectedBy', 'Canon.jpg: SHA-256 in hex', 'Canon.jpg: 64 bytes of it', 'GPS.jpg: Model as ExifTool prints it']) {
      expect(hits.some((h) => h.startsWith(`${what} `)), `${what}: not found in the case in clear`).toBe(true)
    }

    expect(hits.some((h) => h.includes('ledger.sqlite-wal (')), 'a needle in the -wal').toBe(true)
    expect(hits.some((h) => h.includes('(while ')), 'a needle seen while a command ran').toBe(true)
    expect(hits.some((h) => h.includes(' in the name of ')), 'a needle in a file name').toBe(true)
    expect(caught.size).toBeGreaterThan(needles.length / 2)
  })
})
