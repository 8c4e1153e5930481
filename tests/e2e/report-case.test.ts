/**
 * `custody report --case DIR [EXHIBIT...]` on the built CLI: the report of a local case made with
 * the CLI from the camera samples, encrypted as cases are by default. A whole case and a selection,
 * in HTML and PDF (read back with pdftotext and pdfdetach); a case tampered with behind custody's
 * back (a vault object's byte, a ledger row through the sqlite3 shell), whose report says on its
 * cover that verification failed; the case without its key, and a field case, which needs
 * --identity; and what a report must not do: append to the ledger, or write anything decrypted
 * anywhere but the report (the files it opens for writing are traced with strace).
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {schemaSql, TAGGED_SCHEMA_VERSION} from '../../src/ledger/schema.js'
import {BIN, caseEnv, copyCase, custody, custodyJson, newCase, SAMPLES, sqlite, tempDir, vaultObject} from '../helpers/cli.js'
import {checker} from '../helpers/tools.js'
import {howToCheckSteps} from '../helpers/report-steps.js'

/** The schema whose triggers the sqlite3 shell drops and puts back (schema 3's; schema 4 has the same on events). */
const SCHEMA_SQL = schemaSql(TAGGED_SCHEMA_VERSION)

const WITNESS_NAME = 'Mariia Kovalenko-Casereport'
const FILES = ['Canon.jpg', 'GPS.jpg']
const work = tempDir('custody-report-case-')
let kase: {dir: string; remove: () => void}
/** The exhibits' SHA-256s, from the files themselves: EX-000001 is Canon.jpg, EX-000002 GPS.jpg. */
const digests = FILES.map((f) => createHash('sha256').update(readFileSync(join(SAMPLES, f))).digest('hex'))
const TRIGGER_SQL = [...SCHEMA_SQL.matchAll(/CREATE TRIGGER \w+ BEFORE \w+ ON events[\s\S]*?END;/g)].map((m) => m[0]).join('\n')
const DROP_TRIGGERS = 'DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; DROP TRIGGER events_append_only;'

interface CaseReportJson {
  verdict: string
  failedChecks: string[]
  selection: string[] | null
  exhibits: number
  attachments: string[]
  checks: Array<{name: string; ok: boolean; detail: string}>
  error?: {code: string; message: string}
}

beforeAll(async () => {
  kase = await newCase()
  const ingested = await custody(['ingest', ...FILES.map((f) => join(SAMPLES, f)), '--location', 'Kharkiv', '--case', kase.dir])
  expect(ingested.code, ingested.stderr).toBe(0)
  const statement = join(work.path, 'statement.txt')
  writeFileSync(statement, 'I saw the shelling of the school from my window.\n')
  const testimony = await custody([
    ...['testimony', 'add', '--witness', 'W-301', '--interviewed-at', '2024-03-05T10:00+02:00/2024-03-05T11:30+02:00'],
    ...['--place', 'Kharkiv, safe location', '--interviewer', 'A. Investigator', '--consent', 'court', '--consent-method', 'signed-form'],
    ...['--statement-file', statement, '--witness-name', WITNESS_NAME, '--case', kase.dir],
  ])
  expect(testimony.code, testimony.stderr).toBe(0)
}, 120_000)

afterAll(() => {
  kase.remove()
  work.remove()
})

async function report(args: string[], name: string, code = 0, env: NodeJS.ProcessEnv = {}): Promise<{out: string; json: CaseReportJson}> {
  const out = join(work.path, name)
  const result = await custodyJson<CaseReportJson>(['report', ...args, '--out', out], {env})
  expect(result.code, result.stderr + result.stdout.slice(0, 2000)).toBe(code)
  return {out, json: result.json}
}

/** The cover: everything before the verification. */
const coverOf = (html: string): string => html.slice(0, html.indexOf('2. Verification'))

/** The commands of "How to check this yourself", unescaped from the HTML's <pre>. */
const steps = howToCheckSteps

const ledgerRows = (dir: string): string => sqlite(join(dir, '.custody', 'ledger.sqlite'), 'SELECT seq, hash FROM events ORDER BY seq;')

describe('custody report --case', () => {
  it('of the whole case: every exhibit SHA-256, the verdict on the cover, testimony by code only, and the ledger unchanged', async () => {
    const before = ledgerRows(kase.dir)
    const {out, json} = await report(['--case', kase.dir], 'whole.html')
    const html = readFileSync(out, 'utf8')
    expect(json).toMatchObject({verdict: 'verified', failedChecks: [], selection: null, exhibits: 3})
    for (const sha of digests) expect(html).toContain(sha)
    expect(coverOf(html)).toContain('VERIFIED: every check listed in section 2 passed.')
    expect(coverOf(html)).toContain('local case, not sealed')
    for (const check of json.checks) expect(html).toContain(`<td>${check.name}</td><td>PASSED</td>`)
    // Its objects checked by content, with the case passphrase.
    expect(json.checks.find((c) => c.name === 'vault')?.detail).toContain('original and metadata record re-hashed')
    expect(html).toContain('W-301')
    expect(html).not.toContain(WITNESS_NAME)
    // The images, decrypted in memory, inlined behind a content warning.
    expect(html).toContain(`data:image/jpeg;base64,${readFileSync(join(SAMPLES, 'Canon.jpg')).toString('base64')}`)
    expect(html).toContain('<details class="content-warning">')
    expect(html).toContain(`custody verify --case &#39;${kase.dir}&#39;`)
    expect(ledgerRows(kase.dir)).toBe(before)
    // The same bytes again: its only time is the ledger's.
    expect(readFileSync((await report(['--case', kase.dir], 'again.html')).out, 'utf8')).toBe(html)
  })

  it('gives commands that check the case without custody, typed as they are: they pass, and fail on a changed vault object', async () => {
    const lines = steps(readFileSync((await report(['--case', kase.dir], 'steps.html')).out, 'utf8'))
    const stored = lines.find((line) => line.includes('objects intact as stored'))!
    const hash = lines.slice(lines.findIndex((line) => line.startsWith('DB='))).join('\n')
    const sh = (script: string): {status: number | null; stdout: string} => spawnSync('sh', ['-c', script], {encoding: 'utf8', cwd: work.path})
    expect(sh(stored)).toMatchObject({status: 0, stdout: 'objects intact as stored\n'})
    // The event's hash computed with coreutils is the one the ledger records.
    const [computed, recorded] = sh(hash).stdout.trim().split('\n')
    expect(computed?.split(' ')[0]).toMatch(/^[0-9a-f]{64}$/)
    expect(computed?.split(' ')[0]).toBe(recorded)

    const copy = copyCase(kase.dir, join(work.path, 'steps-case'))
    const object = vaultObject(copy, digests[1]!)
    chmodSync(object, 0o600)
    writeFileSync(object, Buffer.concat([readFileSync(object), Buffer.from('x')]))
    const copied = steps(readFileSync((await report(['--case', copy], 'steps-tampered.html', 3)).out, 'utf8'))
    expect(sh(copied.find((line) => line.includes('objects intact as stored'))!).status).not.toBe(0)
  })

  it('as a PDF: pdftotext finds every exhibit, SHA-256 and the verdict; the verification result is attached', async () => {
    const {out, json} = await report(['--case', kase.dir], 'whole.pdf')
    expect(json.attachments).toEqual(['verification.json'])
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', out, '-'], {encoding: 'utf8'})
    for (const [i, sha] of digests.entries()) {
      expect(text).toContain(`EX-00000${i + 1}`)
      // A SHA-256 may be wrapped in a table cell: compared without white space.
      expect(text.replaceAll(/\s/g, '')).toContain(sha)
    }

    expect(text).toContain('VERIFIED')
    expect(text).toContain('local case, not sealed')
    const detached = join(work.path, 'detached')
    mkdirSync(detached)
    execFileSync('pdfdetach', ['-saveall', '-o', detached, out])
    const attached = JSON.parse(readFileSync(join(detached, 'verification.json'), 'utf8')) as {ok: boolean; checks: unknown[]}
    expect(attached.ok).toBe(true)
    expect(attached.checks).toEqual(json.checks)
  })

  it('of a selection: only the exhibits named; one that does not exist is refused, naming every one, writing nothing', async () => {
    const {out, json} = await report(['--case', kase.dir, '2'], 'selection.html')
    const html = readFileSync(out, 'utf8')
    expect(json).toMatchObject({verdict: 'verified', selection: ['EX-000002'], exhibits: 1})
    expect(html).toContain(digests[1])
    expect(html).not.toContain(digests[0])
    expect(html).not.toContain('W-301')

    const refused = await custodyJson<CaseReportJson>(['report', '--case', kase.dir, 'EX-000001', 'EX-000099', 'nonsense', '--out', join(work.path, 'refused.html')])
    expect(refused.code).toBe(2)
    expect(refused.json.error?.code).toBe('EXHIBIT_NOT_FOUND')
    expect(refused.json.error?.message).toContain('"EX-000099", "nonsense"')
    expect(existsSync(join(work.path, 'refused.html'))).toBe(false)
  })

  it('of a case whose vault object was changed by one byte: exit 3, and the cover says verification failed', async () => {
    const copy = copyCase(kase.dir, join(work.path, 'byte-case'))
    const object = vaultObject(copy, digests[0]!)
    chmodSync(object, 0o600)
    const bytes = readFileSync(object)
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0x01
    writeFileSync(object, bytes)
    const {out, json} = await report(['--case', copy], 'byte.html', 3)
    const html = readFileSync(out, 'utf8')
    expect(json.failedChecks).toEqual(['vault'])
    expect(coverOf(html)).toContain('VERIFICATION FAILED: the following check failed: vault.')
    expect(html).toContain('<td>vault</td><td>FAILED</td>')
    expect(html).not.toContain('VERIFIED')
    // The changed object is not shown as the exhibit's image.
    expect(html).toContain('The image could not be read from the vault.')
  })

  it('of a case whose ledger row was edited through sqlite3: exit 3, the failed checks on the cover', async () => {
    const copy = copyCase(kase.dir, join(work.path, 'row-case'))
    // The event's body is sealed: what the shell can change is its envelope (here its time), which the chain is over.
    sqlite(join(copy, '.custody', 'ledger.sqlite'), `${DROP_TRIGGERS} UPDATE events SET envelope = replace(envelope, '"time":"20', '"time":"19') WHERE seq = 2; ${TRIGGER_SQL}`)
    expect(sqlite(join(copy, '.custody', 'ledger.sqlite'), `SELECT count(*) FROM events WHERE envelope LIKE '%"time":"19%';`).trim()).toBe('1')
    const {out, json} = await report(['--case', copy], 'row.html', 3)
    const html = readFileSync(out, 'utf8')
    expect(json.failedChecks).toContain('event chain')
    expect(coverOf(html)).toMatch(/VERIFICATION FAILED: the following \d+ checks failed: [^<]*event chain/)
    expect(html).toContain('<td>event chain</td><td>FAILED</td>')
  })

  it('of an encrypted case without its key: refused before any work, writing nothing', async () => {
    const out = join(work.path, 'no-key.html')
    const refused = await custodyJson<CaseReportJson>(['report', '--case', kase.dir, '--out', out], {env: {CUSTODY_PASSPHRASE: undefined}})
    expect(refused.code).toBe(2)
    expect(refused.json.error?.message).toMatch(/passphrase/)
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(work.path).filter((name) => name.startsWith('.no-key'))).toEqual([])
  })

  it("refuses an --out inside the case's own folder, where decrypted content would sit beside the vault", async () => {
    const inside = join(kase.dir, '.custody', 'vault', 'report.html')
    const refused = await custodyJson<CaseReportJson>(['report', '--case', kase.dir, '--out', inside])
    expect(refused.code).toBe(2)
    expect(refused.json.error?.message).toContain("inside the case's own folder")
    expect(existsSync(inside)).toBe(false)
  })

  it('does not write the decrypted content anywhere: the files it opens for writing are the report, its temp file, and scratch files in TMPDIR', () => {
    const tmp = join(work.path, 'tmpdir')
    const outDir = join(work.path, 'traced')
    mkdirSync(tmp)
    mkdirSync(outDir)
    const log = join(work.path, 'strace.log')
    const traced = spawnSync('strace', ['-f', '-qq', '-o', log, '-e', 'trace=open,openat,creat', process.execPath, BIN, 'report', '--case', kase.dir, '--out', join(outDir, 'r.html')], {
      env: {...caseEnv(kase.dir), TMPDIR: tmp},
      encoding: 'utf8',
    })
    expect(traced.status, traced.stderr).toBe(0)
    const written = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => /O_WRONLY|O_RDWR|O_CREAT/.test(line) && !line.includes('= -1'))
      .map((line) => /"([^"]+)"/.exec(line)?.[1] ?? line)
    const allowed = (path: string): boolean =>
      path.startsWith(`${outDir}/`) || path.startsWith(`${tmp}/`) || path.startsWith('/dev/') || path.startsWith(join(kase.dir, '.custody', 'ledger.sqlite')) || path.startsWith(process.env.XDG_STATE_HOME ?? '/nowhere')
    // The trace saw the report written (so that an empty list below means something).
    expect(written.some((path) => path.startsWith(`${outDir}/.r.html.`))).toBe(true)
    expect(written.filter((path) => !allowed(path))).toEqual([])
    // Nothing is left in TMPDIR, and the only file beside --out is the report.
    expect(readdirSync(tmp)).toEqual([])
    expect(readdirSync(outDir)).toEqual(['r.html'])
    // No file custody could have written holds the original's bytes (the vault holds them encrypted).
    const original = readFileSync(join(SAMPLES, 'Canon.jpg')).subarray(200, 264)
    const holders = (dir: string): string[] =>
      readdirSync(dir, {recursive: true, encoding: 'utf8'})
        .map((name) => join(dir, name))
        .filter((path) => statSync(path).isFile() && readFileSync(path).includes(original))
    expect(holders(SAMPLES)).toContain(join(SAMPLES, 'Canon.jpg'))
    expect([...holders(kase.dir), ...holders(outDir)]).toEqual([])
  })
})

const AGE_KEYGEN = checker('age-keygen')

describe.skipIf(AGE_KEYGEN === undefined)('custody report --case of a field case', () => {
  it('says in one line that it needs --identity, and with it reports the case, its objects checked by content', async () => {
    const identity = join(work.path, 'hq.key')
    execFileSync(AGE_KEYGEN!, ['-o', identity], {stdio: 'ignore'})
    const recipient = execFileSync(AGE_KEYGEN!, ['-y', identity], {encoding: 'utf8'}).trim()
    const dir = join(work.path, 'field')
    const init = await custody(['init', dir, '--title', 'Field case', '--investigator', 'F. Investigator', '--field', '--recipient', recipient])
    expect(init.code, init.stderr).toBe(0)
    expect((await custody(['ingest', join(SAMPLES, 'GPS.jpg'), '--case', dir])).code).toBe(0)

    const out = join(work.path, 'field.html')
    const refused = await custody(['report', '--case', dir, '--out', out])
    expect(refused.code).toBe(2)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr).toContain('--identity FILE')
    expect(existsSync(out)).toBe(false)

    const {json} = await report(['--case', dir, '--identity', identity], 'field.html')
    expect(json.verdict).toBe('verified')
    expect(json.checks.find((c) => c.name === 'vault')?.detail).toContain('original and metadata record re-hashed')
    expect(readFileSync(out, 'utf8')).toContain(digests[1])
  })

  it('with a recipient added later: what it cannot open is named on the cover and in what was not checked, never called checked', async () => {
    const keyOf = (name: string): {identity: string; recipient: string} => {
      const identity = join(work.path, name)
      execFileSync(AGE_KEYGEN!, ['-o', identity], {stdio: 'ignore'})
      return {identity, recipient: execFileSync(AGE_KEYGEN!, ['-y', identity], {encoding: 'utf8'}).trim()}
    }

    const first = keyOf('hq-first.key')
    const later = keyOf('hq-later.key')
    const dir = join(work.path, 'field-later')
    expect((await custody(['init', dir, '--title', 'Field case', '--investigator', 'F. Investigator', '--field', '--recipient', first.recipient])).code).toBe(0)
    expect((await custody(['ingest', join(SAMPLES, 'GPS.jpg'), '--case', dir])).code).toBe(0)
    const added = await custody(['key', 'add-recipient', later.recipient, '--case', dir])
    expect(added.code, added.stderr).toBe(0)
    expect((await custody(['ingest', join(SAMPLES, 'Canon.jpg'), '--case', dir])).code).toBe(0)

    const verified = await custodyJson<{exhibits: {contentUnchecked: number}}>(['verify', '--case', dir, '--identity', later.identity])
    expect(verified.code, verified.stderr).toBe(0)
    // GPS.jpg's original and metadata record were stored before the later recipient was added.
    expect(verified.json.exhibits.contentUnchecked).toBe(2)

    const {out, json} = await report(['--case', dir, '--identity', later.identity], 'field-later.html')
    expect(json.verdict).toBe('verified')
    const html = readFileSync(out, 'utf8')
    expect(coverOf(html)).toContain('The content of 2 stored objects was not checked: no key given opens them')
    const notChecked = html.slice(html.indexOf('What was not checked'))
    expect(notChecked).toContain('The content of 2 stored objects was not checked')
    // The title and names are in the case's first event, sealed to the first recipient alone; so is GPS.jpg's ingest.
    expect(coverOf(html)).toContain('not shown: it is recorded in an event that no key given opens')
    expect(html).toContain('(its ingest event cannot be read: event 3 of the ledger is encrypted to the recipients of the run that wrote it')

    // The first recipient opens everything: nothing of the kind is said.
    const whole = await report(['--case', dir, '--identity', first.identity], 'field-first.html')
    expect(readFileSync(whole.out, 'utf8')).not.toContain('stored objects was not checked')
    expect(readFileSync(whole.out, 'utf8')).not.toContain('not shown: it is recorded in an event')
  })
})
