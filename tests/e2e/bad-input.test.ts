/**
 * Bad input, each with a clear message naming the file while the other files of the run still go
 * in; nothing half-written left behind; and the case still verifies.
 */
import {spawn, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {BIN, custody, custodyJson, HOSTILE, newCase, ROOT, SAMPLES} from '../helpers/cli.js'

interface FileResult {
  path: string
  status: string
  exhibit?: string
  sha256?: string
  symlinkTarget?: string
  noMetadata?: boolean
  metadataWarnings?: string[]
  reason?: string
  error?: {code: string; message: string}
}

interface IngestJson {
  results: FileResult[]
  counts: {ingested: number; alreadyPresent: number; failed: number; skipped: number}
  interrupted: boolean
}

interface LogJson {
  events: Array<{seq: number; action: string; exhibit: string | null; payload: {digests?: {sha256: string}; file?: {path: string}; error?: {code: string}}}>
}

let kase: {dir: string; remove: () => void}
let input: string

beforeEach(async () => {
  kase = await newCase()
  input = join(kase.dir, '..', 'input')
  mkdirSync(input)
})

afterEach(() => kase.remove())

const good = (): string => {
  const path = join(input, 'good.jpg')
  copyFileSync(join(SAMPLES, 'GPS.jpg'), path)
  return path
}

async function expectVerifies(): Promise<void> {
  const verified = await custodyJson<{ok: boolean; problems: unknown[]}>(['verify', '--case', kase.dir])
  expect(verified.json.problems).toEqual([])
  expect(verified.code).toBe(0)
}

async function ingestEvents(): Promise<LogJson['events']> {
  const log = await custodyJson<LogJson>(['log', '--case', kase.dir])
  return log.json.events.filter((e) => e.action === 'ingest')
}

function byPath(report: IngestJson, path: string): FileResult {
  const found = report.results.find((r) => r.path === path)
  if (!found) throw new Error(`no result for ${path} in ${JSON.stringify(report.results)}`)
  return found
}

describe('bad input to custody ingest', () => {
  it('a missing path fails with its name while the other files go in (exit 1)', async () => {
    const missing = join(input, 'IMG_404.jpg')
    const run = await custodyJson<IngestJson>(['ingest', good(), missing, '--case', kase.dir])
    expect(run.code).toBe(1)
    expect(byPath(run.json, missing).error).toEqual({code: 'INPUT_MISSING', message: `${missing} does not exist; check the path`})
    expect(run.json.counts).toMatchObject({ingested: 1, failed: 1})
    const text = await custody(['ingest', missing, '--case', kase.dir])
    expect(text.code).toBe(1)
    expect(text.stdout).toContain(`FAILED     ${missing}: ${missing} does not exist; check the path`)
    await expectVerifies()
  })

  it('a folder needs --recursive, which keeps each path relative to the folder', async () => {
    const card = join(input, 'DCIM')
    mkdirSync(join(card, '100CANON'), {recursive: true})
    copyFileSync(join(SAMPLES, 'Canon.jpg'), join(card, '100CANON', 'IMG_0001.JPG'))
    copyFileSync(join(SAMPLES, 'Nikon.jpg'), join(card, 'DSC_0002.JPG'))
    const refused = await custodyJson<IngestJson>(['ingest', card, '--case', kase.dir])
    expect(refused.code).toBe(1)
    expect(refused.json.results[0]!.error!.message).toBe(`${card} is a folder; add --recursive to ingest every file in it`)
    expect(await ingestEvents()).toEqual([])

    const walked = await custodyJson<IngestJson>(['ingest', card, '--recursive', '--case', kase.dir])
    expect(walked.code).toBe(0)
    expect(walked.json.counts.ingested).toBe(2)
    const events = await ingestEvents()
    expect(events.map((e) => (e.payload.file as unknown as {relativePath: string}).relativePath)).toEqual(['100CANON/IMG_0001.JPG', 'DSC_0002.JPG'])
  })

  it('an unreadable file fails with its name and what to do', async () => {
    const secret = join(input, 'locked.jpg')
    copyFileSync(join(SAMPLES, 'Sony.jpg'), secret)
    chmodSync(secret, 0o000)
    const path = good()
    // Root reads everything: run the CLI as an unprivileged user then.
    const asUser = process.getuid?.() === 0 ? {uid: 65534, gid: 65534} : {}
    if (process.getuid?.() === 0) {
      spawnSync('chown', ['-R', '65534:65534', join(kase.dir, '..')])
      chmodSync(secret, 0o000)
    }

    const run = await custodyJson<IngestJson>(['ingest', path, secret, '--case', kase.dir], asUser)
    expect(run.code).toBe(1)
    expect(byPath(run.json, secret).error!.code).toBe('INPUT_UNREADABLE')
    expect(byPath(run.json, secret).error!.message).toMatch(new RegExp(`cannot open ${secret}: .*check its permissions`))
    expect(byPath(run.json, path).status).toBe('ingested')
    const failed = (await custodyJson<LogJson>(['log', '--case', kase.dir], asUser)).json.events.filter((e) => e.action === 'ingest-failed')
    expect(failed.map((e) => e.payload.error?.code)).toEqual(['INPUT_UNREADABLE'])
  })

  it('an empty file is refused and the refusal recorded', async () => {
    const empty = join(input, 'empty.jpg')
    writeFileSync(empty, '')
    const run = await custodyJson<IngestJson>(['ingest', empty, good(), '--case', kase.dir])
    expect(run.code).toBe(1)
    expect(byPath(run.json, empty).error!.message).toMatch(/is empty \(0 bytes\).*check the copy/)
    const log = (await custodyJson<LogJson>(['log', '--case', kase.dir])).json.events
    expect(log.map((e) => e.action)).toEqual(['create-case', 'key-created', 'ingest-failed', 'ingest'])
    expect(readdirSync(join(kase.dir, '.custody', 'vault', 'tmp'))).toEqual([])
    await expectVerifies()
  })

  it('a file that changes while it is read is refused, leaving nothing half-written', async () => {
    const growing = join(input, 'recording.wav')
    writeFileSync(growing, Buffer.alloc(96 * 1024 * 1024, 3))
    const writer = spawn('sh', ['-c', `while true; do printf x >> '${growing}'; done`], {stdio: 'ignore'})
    let run
    try {
      await new Promise((r) => setTimeout(r, 100))
      run = await custodyJson<IngestJson>(['ingest', growing, good(), '--case', kase.dir])
    } finally {
      writer.kill('SIGKILL')
    }

    expect(run.code).toBe(1)
    expect(byPath(run.json, growing).error!.code).toBe('INPUT_CHANGED')
    expect(byPath(run.json, growing).error!.message).toContain('changed while it was being read')
    expect(run.json.counts.ingested).toBe(1)
    expect(readdirSync(join(kase.dir, '.custody', 'vault', 'tmp'))).toEqual([])
    await expectVerifies()
  })

  it('a file with no metadata at all, and a corrupt JPEG, are ingested with what ExifTool said', async () => {
    const blob = join(input, 'blob.bin')
    // Random bytes after a head no file format begins with: random bytes alone sometimes begin as
    // one does (a CI run found ExifTool reading a format in them), and then have metadata.
    writeFileSync(blob, Buffer.concat([Buffer.from('\x01custody blob\0\0\0', 'latin1'), randomBytes(4080)]))
    const corrupt = join(input, 'corrupt.jpg')
    copyFileSync(join(HOSTILE, 'corrupt-truncated.jpg'), corrupt)
    const run = await custodyJson<IngestJson>(['ingest', blob, corrupt, '--case', kase.dir])
    expect(run.code).toBe(0)
    expect(byPath(run.json, blob)).toMatchObject({status: 'ingested', noMetadata: true})
    expect(byPath(run.json, corrupt).status).toBe('ingested')
    expect(byPath(run.json, corrupt).metadataWarnings).toContain('JPEG format error')
    const shown = await custody(['show', byPath(run.json, corrupt).exhibit!, '--case', kase.dir])
    expect(shown.stdout).toContain('ExifTool says  JPEG format error')
    const blobShown = await custodyJson<{metadata: {normalised: {captureTime: null; gps: null}; errors: string[]}}>(['show', byPath(run.json, blob).exhibit!, '--case', kase.dir])
    expect(blobShown.json.metadata.normalised).toMatchObject({captureTime: null, gps: null})
    await expectVerifies()
  })

  it('a symlink to a file is followed and recorded; a broken one fails; a folder link in a walk is skipped', async () => {
    const target = good()
    const link = join(input, 'link.jpg')
    symlinkSync(target, link)
    const broken = join(input, 'broken.jpg')
    symlinkSync(join(input, 'gone.jpg'), broken)
    const run = await custodyJson<IngestJson>(['ingest', link, broken, '--case', kase.dir])
    expect(run.code).toBe(1)
    expect(byPath(run.json, link)).toMatchObject({status: 'ingested', symlinkTarget: target})
    expect(byPath(run.json, broken).error!.code).toBe('INPUT_BROKEN_SYMLINK')
    const events = await ingestEvents()
    expect(events[0]!.payload.file).toMatchObject({path: link, symlinkTarget: target})
    const text = await custody(['ingest', link, '--case', kase.dir])
    expect(text.stdout).toContain(`(symlink, followed to ${target})`)

    const walk = join(input, 'walk')
    mkdirSync(walk)
    symlinkSync(input, join(walk, 'loop'))
    copyFileSync(join(SAMPLES, 'PNG.png'), join(walk, 'a.png'))
    const walked = await custodyJson<IngestJson>(['ingest', walk, '-r', '--case', kase.dir])
    expect(walked.code).toBe(0)
    expect(byPath(walked.json, join(walk, 'loop'))).toMatchObject({status: 'skipped'})
    expect(byPath(walked.json, join(walk, 'loop')).reason).toMatch(/symlink to a folder is not followed/)
    expect(walked.json.counts.ingested).toBe(1)
  })

  it('names with newlines and odd Unicode go in unchanged and print safely', async () => {
    const names = ['line\nbreak.jpg', 'Cafe\u0301 NFD.jpg', 'evil\u202Egpj.exe', '\u0421\u0456\u043C\u0444\u0435\u0440\u043E\u043F\u043E\u043B\u044C \uD83D\uDCF7.jpg']
    const samples = ['Canon.jpg', 'Casio.jpg', 'Nikon.jpg', 'Sony.jpg']
    const paths = names.map((name, i) => {
      const path = join(input, name)
      copyFileSync(join(SAMPLES, samples[i]!), path)
      return path
    })
    const run = await custodyJson<IngestJson>(['ingest', ...paths, '--case', kase.dir])
    expect(run.code).toBe(0)
    expect(run.json.results.map((r) => r.path)).toEqual(paths)
    const events = await ingestEvents()
    expect(events.map((e) => e.payload.file?.path)).toEqual(paths)

    const log = await custody(['log', '--case', kase.dir])
    const lines = log.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(2 + names.length)
    expect(log.stdout).toContain('line\\nbreak.jpg')
    expect(log.stdout).toContain('evil\\u{202e}gpj.exe')
    expect(log.stdout).toContain('Cafe\u0301 NFD.jpg')
    await expectVerifies()
  })

  it('an error quoting a hostile file shows its control characters as escapes, never raw', async () => {
    const receipt = join(input, 'esc.receipt')
    writeFileSync(receipt, '\u001b]0;PWNED\u0007\u001b[31mRED')
    writeFileSync(`${receipt}.sig`, randomBytes(64))
    const result = await custody(['transfer', 'receipt', receipt, '--case', kase.dir])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('\\x1b]0;PWNED\\x07\\x1b[31mRED')
    // eslint-disable-next-line no-control-regex -- no control character but the line ends may reach the terminal
    expect(result.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/)
  })

  it('a folder given as a receipt is refused naming it (exit 2), not as a system error', async () => {
    const folder = join(input, 'folder.receipt')
    mkdirSync(folder)
    writeFileSync(`${folder}.sig`, randomBytes(64))
    const result = await custody(['transfer', 'receipt', folder, '--case', kase.dir])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/folder\.receipt is not a file; give the receipt/)
  })

  it('two ingests at once on one case: every file exactly once, exhibit IDs without gaps', async () => {
    const files = Array.from({length: 24}, (_, i) => {
      const path = join(input, `f${String(i).padStart(2, '0')}.bin`)
      writeFileSync(path, randomBytes(2048))
      return path
    })
    const [a, b] = await Promise.all([
      custodyJson<IngestJson>(['ingest', ...files.slice(0, 16), '--case', kase.dir]),
      custodyJson<IngestJson>(['ingest', ...files.slice(8), '--case', kase.dir]),
    ])
    expect(a.code).toBe(0)
    expect(b.code).toBe(0)
    const events = await ingestEvents()
    expect(events).toHaveLength(24)
    expect(new Set(events.map((e) => e.payload.digests!.sha256)).size).toBe(24)
    expect(events.map((e) => e.exhibit).sort()).toEqual(files.map((_, i) => `EX-${String(i + 1).padStart(6, '0')}`))
    expect(a.json.counts.ingested + b.json.counts.ingested).toBe(24)
    expect(a.json.counts.alreadyPresent + b.json.counts.alreadyPresent).toBe(8)
    await expectVerifies()
  })
})

describe('interruptions', () => {
  function makeFiles(n: number, size: number): string[] {
    return Array.from({length: n}, (_, i) => {
      const path = join(input, `clip-${String(i).padStart(3, '0')}.mp4`)
      writeFileSync(path, randomBytes(size))
      return path
    })
  }

  async function waitForObjects(min: number): Promise<void> {
    // The vault's folder of objects: encrypted (objects/), as init makes it, or in clear (sha256/).
    const vault = ['objects', 'sha256'].map((folder) => join(kase.dir, '.custody', 'vault', folder)).find((folder) => existsSync(folder))!
    for (let i = 0; i < 600; i++) {
      const count = existsSync(vault) ? readdirSync(vault).length : 0
      if (count >= min) return
      await new Promise((r) => setTimeout(r, 20))
    }

    throw new Error('ingest never started')
  }

  async function expectEachOnce(files: string[]): Promise<void> {
    const events = await ingestEvents()
    const paths = events.map((e) => e.payload.file?.path)
    expect([...paths].sort()).toEqual([...files].sort())
    expect(events.map((e) => e.exhibit)).toEqual(files.map((_, i) => `EX-${String(i + 1).padStart(6, '0')}`))
  }

  it('Ctrl-C in the middle of a batch: consistent case, and running again ingests the rest', async () => {
    const files = makeFiles(60, 2 * 1024 * 1024)
    const child = spawn(process.execPath, [BIN, 'ingest', ...files, '--case', kase.dir, '--json'], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    await waitForObjects(4)
    child.kill('SIGINT')
    const code = await exited
    expect(code).toBe(1)
    const report = JSON.parse(stdout) as IngestJson
    expect(report.interrupted).toBe(true)
    expect(report.counts.ingested).toBeGreaterThan(0)
    expect(report.counts.ingested).toBeLessThan(files.length)
    expect(report.results.filter((r) => r.status === 'skipped').every((r) => /interrupted/.test(r.reason ?? ''))).toBe(true)
    expect(readdirSync(join(kase.dir, '.custody', 'vault', 'tmp'))).toEqual([])
    await expectVerifies()

    const again = await custodyJson<IngestJson>(['ingest', ...files, '--case', kase.dir])
    expect(again.code).toBe(0)
    expect(again.json.counts.ingested).toBe(files.length - report.counts.ingested)
    expect(again.json.counts.alreadyPresent).toBe(report.counts.ingested)
    await expectEachOnce(files)
    await expectVerifies()
  })

  it('a crash (SIGKILL) mid-batch: the case still verifies, and running again completes it', async () => {
    const files = makeFiles(40, 2 * 1024 * 1024)
    const child = spawn(process.execPath, [BIN, 'ingest', ...files, '--case', kase.dir], {cwd: ROOT, stdio: 'ignore'})
    const exited = new Promise((resolve) => child.on('close', resolve))
    await waitForObjects(3)
    const helpers = spawnSync('pgrep', ['-P', String(child.pid)], {encoding: 'utf8'}).stdout.split('\n').filter(Boolean)
    child.kill('SIGKILL')
    await exited
    // A killed parent orphans its ExifTool processes (they wait for more input): end them as a user would.
    for (const pid of helpers) spawnSync('kill', [pid])
    await expectVerifies()
    const again = await custodyJson<IngestJson>(['ingest', ...files, '--case', kase.dir])
    expect(again.code).toBe(0)
    await expectEachOnce(files)
    await expectVerifies()
  })
})

const canUnshare = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true']).status === 0

describe.skipIf(!canUnshare)('a disk that fills up', () => {
  it('fails the file that does not fit, with what to do, and keeps the rest and a verifiable case', () => {
    const small1 = join(input, 'a.jpg')
    const small2 = join(input, 'c.jpg')
    const big = join(input, 'b-video.mov')
    copyFileSync(join(SAMPLES, 'Canon.jpg'), small1)
    copyFileSync(join(SAMPLES, 'Nikon.jpg'), small2)
    writeFileSync(big, randomBytes(6 * 1024 * 1024))
    const disk = join(input, 'disk')
    mkdirSync(disk)
    if (process.getuid?.() === 0) chownSync(disk, 0, 0)
    // A 3 MB tmpfs in a private mount namespace holds the case; the video does not fit.
    const script = `
      set -e
      mount -t tmpfs -o size=3m tmpfs "$DISK"
      node "$BIN" init "$DISK/case" --title Full --investigator Tester > /dev/null
      set +e
      node "$BIN" ingest "$S1" "$BIG" "$S2" --case "$DISK/case" --json > "$OUT/ingest.json"; echo $? > "$OUT/ingest.rc"
      node "$BIN" verify --case "$DISK/case" --json > "$OUT/verify.json"; echo $? > "$OUT/verify.rc"
      ls -A "$DISK/case/.custody/vault/tmp" > "$OUT/tmp.txt"
    `
    const result = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script], {
      env: {...process.env, DISK: disk, BIN, S1: small1, S2: small2, BIG: big, OUT: input},
      encoding: 'utf8',
    })
    expect(result.status, result.stderr).toBe(0)
    const ingest = JSON.parse(readFileSync(join(input, 'ingest.json'), 'utf8')) as IngestJson
    expect(readFileSync(join(input, 'ingest.rc'), 'utf8').trim()).toBe('1')
    expect(ingest.results.map((r) => r.status)).toEqual(['ingested', 'failed', 'ingested'])
    expect(ingest.results[1]!.error!.code).toBe('DISK_FULL')
    expect(ingest.results[1]!.error!.message).toMatch(/is full .* free some space and run the same command again/)
    expect(ingest.results.map((r) => r.exhibit)).toEqual(['EX-000001', undefined, 'EX-000002'])
    expect(readFileSync(join(input, 'tmp.txt'), 'utf8')).toBe('')
    const verify = JSON.parse(readFileSync(join(input, 'verify.json'), 'utf8')) as {ok: boolean; problems: unknown[]}
    expect(verify.problems).toEqual([])
    expect(readFileSync(join(input, 'verify.rc'), 'utf8').trim()).toBe('0')
  })
})

describe.skipIf(!canUnshare)('a temp folder that is full', () => {
  type Failure = {error: {code: string; message: string; subject?: string}}

  it('verify of a case and of an archive stop with what is full and what to do (exit 1), never an integrity failure', async () => {
    // What verify remembers of each exhibit or entry goes to a scratch database in $TMPDIR, which
    // SQLite writes to once its 4 MiB cache is full. A case of 15,000 exhibits' ingest events
    // (in custody's format, appended with Python's sqlite3, so not a case that verifies) and a ZIP of 15,000 entries
    // (Python's zipfile) are each large enough. The events are written in clear, so the case is one
    // whose ledger keeps its event bodies in clear (schema 3, as init made it before issue 19's
    // switch); filling a sealed ledger would take its run keys.
    kase.remove()
    kase = await newCase(undefined, {bodiesInClear: true})
    input = join(kase.dir, '..', 'input')
    mkdirSync(input)
    expect((await custody(['ingest', good(), '--case', kase.dir])).code).toBe(0)
    const forged = spawnSync('python3', ['-c', `
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
seq, prev = db.execute('SELECT seq + 1, hash FROM events ORDER BY seq DESC LIMIT 1').fetchone()
tagged = db.execute('PRAGMA user_version').fetchone()[0] == 3
for k in range(15000):
    sha = hashlib.sha256(b'exhibit %d' % k).hexdigest()
    normalised = {'captureTime': None, 'device': {'make': None, 'model': None, 'serialNumber': None}, 'fileType': None, 'gps': None, 'image': None, 'mimeType': None, 'software': None, 'sources': {}}
    metadata = {'errors': [], 'normalised': normalised, 'reader': 'ExifTool 13.59', 'record': hashlib.sha256(sha.encode()).hexdigest(), 'warnings': []}
    payload = {'collected': {}, 'digests': {'sha256': sha, 'sha512': hashlib.sha512(sha.encode()).hexdigest()}, 'file': {'modifiedAt': None, 'name': 'photo.jpg', 'path': '/evidence/photo-%d.jpg' % k}, 'metadata': metadata, 'note': None, 'size': 1000, 'vault': 'vault/sha256/%s/%s' % (sha[:2], sha)}
    event = json.dumps({'action': 'ingest', 'actor': 'A. Investigator', 'exhibit': 'EX-%06d' % (k + 2), 'payload': payload, 'prev': prev, 'seq': seq, 'time': '2026-01-01T00:00:00.000Z', 'v': 1}, separators=(',', ':'), sort_keys=True)
    digest = hashlib.sha256(bytes.fromhex(prev) + event.encode()).hexdigest()
    if tagged:  # schema 3 (an encrypted case): tags made up, as by someone without the address key
        db.execute('INSERT INTO events (seq, prev_hash, hash, event, exhibit, action_tag, content_tag) VALUES (?, ?, ?, ?, ?, randomblob(32), randomblob(32))', (seq, prev, digest, event, 'EX-%06d' % (k + 2)))
    else:
        db.execute('INSERT INTO events (seq, prev_hash, hash, event) VALUES (?, ?, ?, ?)', (seq, prev, digest, event))
    seq, prev = seq + 1, digest
db.commit()
`, join(kase.dir, '.custody', 'ledger.sqlite')], {encoding: 'utf8'})
    expect(forged.status, forged.stderr).toBe(0)
    const zip = join(input, 'many-entries.zip')
    const zipped = spawnSync('python3', ['-c', `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for k in range(15000):
        z.writestr('custody-SEAL-0000000000000000/data/exhibits/EX-%06d/original/photo.jpg' % k, b'')
`, zip], {encoding: 'utf8'})
    expect(zipped.status, zipped.stderr).toBe(0)

    // With room in the temp folder, both are integrity failures, as they should be.
    expect((await custody(['verify', '--case', kase.dir])).code).toBe(3)
    expect((await custody(['verify', zip])).code).toBe(3)

    const disk = join(input, 'tmp')
    mkdirSync(disk)
    if (process.getuid?.() === 0) chownSync(disk, 0, 0)
    // A 64 KiB tmpfs, filled up, as the temp folder, in a private mount namespace.
    const script = `
      set -e
      mount -t tmpfs -o size=64k tmpfs "$DISK"
      dd if=/dev/zero of="$DISK/filler" bs=4k 2> /dev/null || true
      export TMPDIR="$DISK"
      set +e
      node "$BIN" verify --case "$CASE" --json > "$OUT/case.json"; echo $? > "$OUT/case.rc"
      node "$BIN" verify "$ZIP" --json > "$OUT/zip.json"; echo $? > "$OUT/zip.rc"
      node "$BIN" verify "$ZIP" 2> "$OUT/zip.txt" > /dev/null
      ls -A "$DISK" > "$OUT/left.txt"
    `
    const result = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script], {
      env: {...process.env, DISK: disk, BIN, CASE: kase.dir, ZIP: zip, OUT: input},
      encoding: 'utf8',
    })
    expect(result.status, result.stderr).toBe(0)
    const full = `the temp folder ${disk} is full`
    const what = 'Free some space there, or point TMPDIR at a folder with room'
    for (const [name, about] of [['case', 'the case'], ['zip', 'the archive']] as const) {
      expect(readFileSync(join(input, `${name}.rc`), 'utf8').trim(), name).toBe('1')
      const failure = JSON.parse(readFileSync(join(input, `${name}.json`), 'utf8')) as Failure
      expect(failure.error).toMatchObject({code: 'DISK_FULL', subject: disk})
      expect(failure.error.message).toContain(`verify could not finish, which says nothing about ${about}: ${full}`)
      expect(failure.error.message).toContain(what)
    }

    expect(readFileSync(join(input, 'zip.txt'), 'utf8')).toMatch(/^Error: verify could not finish, which says nothing about the archive: the temp folder .* is full/)
    // The scratch database was unlinked from the start: nothing of it is left.
    expect(readFileSync(join(input, 'left.txt'), 'utf8')).toBe('filler\n')
  })
})
