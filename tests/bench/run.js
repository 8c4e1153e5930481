#!/usr/bin/env node
// `npm run bench`: custody's ingest throughput beside baselines done with standard tools on the
// same files, measured in the same run (machines here are noisy: only the ratios mean anything).
//
//   (a) one 1 GiB file: `custody ingest` (into a case as init makes it: encrypted) against `cp` + `sync` of the copy, `openssl dgst -sha256`
//       and `openssl dgst -sha512` (what custody does: copy durably, hash twice). Aim: >= 0.8x.
//   (b) 1,000 generated JPEGs of ~300 KB with EXIF: `custody ingest --recursive` against one
//       `exiftool -j -n DIR` batch run. Aim: >= 0.5x.
//   (c) sealing 1,000 files / 1 GiB: `custody seal` against `zip -0 -r` of the same files.
//       Aim: >= 0.8x.
//   (d) verifying that archive: `custody verify ARCHIVE` against `unzip` then `sha256sum -c`.
//       Aim: >= 1.5x. Peak memory of seal and verify must stay under 200 MB, also for a case of
//       10,000 small exhibits (sealed and verified once more, for their peak memory).
//   (e) a batch of 10,000 generated JPEGs of ~300 KB with EXIF, from a manifest: `custody ingest
//       --manifest` against one `exiftool -j -n DIR` batch run, in files/s. Aim: >= 1.0x.
//   (f) the same custody run against copying the files (`cp -r` + `sync`) and hashing them with
//       `openssl dgst -sha256` and `-sha512`, in MB/s. Aim: >= 0.8x.
//       Peak memory at 1,000 and at 10,000 files must be the same.
//   (g) hostile archives (a few MB each, made with Python's zipfile from a genuine archive): zip
//       bombs of deflated entries under data/custody/, one event line of 32 and 64 MiB, a payload
//       manifest line of 100 MB. `custody verify` must refuse each (exit 3) within the seconds of
//       verifying the genuine 1 GiB archive of (c), measured in the same run, and the 200 MB peak
//       memory every archive's verification is held to (the genuine one's is printed beside).
//   (h) start-up: the wall time of `custody --help` and of `custody status` on a small case (just
//       made by `custody init`), against `node -e 0`, median of 9 runs taken in turn. Aims: --help
//       <= 3x and status <= 4x the time of `node -e 0`.
//   (i) encryption at rest (issue 19): one 1 GiB file encrypted to an age X25519 recipient by
//       custody's src/age (`encryptFile`: read 1 MiB at a time, encrypt, write, fsync), against
//       `age -r RECIPIENT -o OUT FILE` and against `cp`, each of them followed by `sync` of what it
//       wrote; then decrypted (`decryptFile`) against `age -d -i IDENTITY -o OUT FILE`, run in turn
//       round after round. Aims: >= 0.8x of cp and of age.
//   (j) the encrypted vault (issue 19): `custody ingest` of one 1 GiB file and of 1,000 JPEGs into
//       a case as `custody init` makes it (encrypted), against the same into a case made with
//       --plaintext, and against `age -r RECIPIENT` of the same files (one age a file) + `sync`,
//       run in turn round after round. Aims: encrypted >= 0.8x of plaintext on both; age -r is
//       printed for comparison (encryption alone: no ExifTool, no hashing, no ledger), no aim.
//   (k) the court's documents (issue 21) of a sealed archive of 1,000 generated JPEGs of ~300 KB:
//       `custody report ARCHIVE --out FILE.html`, `--out FILE.pdf` (images as by default: hidden,
//       inlined in the HTML, in the PDF's appendix) and `custody export case-uco ARCHIVE`, each
//       against `custody verify ARCHIVE` of the same archive (each runs every check of verify
//       first), in turn, round after round; the time per photo and the peak memory of each. Aim:
//       >= 0.5x (the document costs at most as much again as the verification it states). With
//       --many, the same three of an archive of 10,000 exhibits of 1 KiB (the case of (c)/(d)),
//       for their peak memory, which must not grow with the number of exhibits.
//   (l) quick erase (issue 19): `custody key destroy --yes` of an encrypted case with an HQ
//       recipient holding a 1 GiB file, against the same of a case holding one file of 1 KiB.
//       Aim: >= 0.8x (erasing overwrites the key files only, never the vault), and the seconds of
//       each are printed beside it (the bound: under a second, after the passphrase's scrypt).
//   (m) transfers (issue 20): `custody transfer export` of the 1,000 files / 1 GiB case of (c) to a
//       fresh HQ case, against `zip -0 -r` of the same files (aim: >= 0.8x), and `custody transfer
//       accept` of that package at HQ, against `unzip` + `sha256sum -c` of the zip (aim: >= 1.5x),
//       an HQ case a round (a package is accepted once). Peak memory of both for a package of 1,000
//       exhibits from that case and from the case of 10,000 of (d) (a package carries at most
//       1,000): it must not grow with the case.
//   (n) the field package (issue 20): `custody transfer export` in a field case with no identity
//       (the objects and ledger rows as stored, nothing decrypted) of the 1,000 files / 1 GiB,
//       against `zip -0 -r` of the same files (aim: >= 0.8x, as (m)'s export).
// Peak memory (VmHWM of the custody process) is printed for a 256 MiB and a 1 GiB file, and for
// 100 and 1,000 files: it must not grow with the size of the input.
//
// Options: --runs N (default 3, the median is reported), --keep (keep the generated data),
// --only a,b,c,d (run some of the benchmarks; f comes with e, and h is start-up), --many (row k
// at 10,000 exhibits too). Rows a and i use the built dist/ (npm run bench builds it first).
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync, statSync} from 'node:fs'
import {randomFillSync} from 'node:crypto'
import {cpus, tmpdir, totalmem} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
// The benchmark cases' passphrase; every custody child inherits it.
process.env.CUSTODY_PASSPHRASE ||= 'benchmark passphrase'
const bin = join(root, 'bin', 'run.js')
const exiftool = join(root, 'node_modules', 'exiftool-vendored.pl', 'bin', 'exiftool')
const args = process.argv.slice(2)
const runs = Number(args[args.indexOf('--runs') + 1]) || 3
const only = args.includes('--only') ? new Set(args[args.indexOf('--only') + 1].split(',')) : new Set(['a', 'b', 'c', 'd', 'e', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n'])
const work = join(tmpdir(), 'custody-bench')
// Only the rows that generate data use (and at the end remove) the shared folder: start-up (h) alone
// must leave alone what another run of the benchmark may be generating or measuring in it.
const usesWork = [...only].some((row) => row !== 'h')
if (usesWork) mkdirSync(work, {recursive: true})
// custody keeps the newest checkpoint of every case it writes in $XDG_STATE_HOME/custody: the
// benchmark's cases (kept between runs) keep theirs beside them, not in the user's ~/.local/state.
process.env.XDG_STATE_HOME = join(work, 'state')

const MiB = 1024 * 1024
/** The peak memory any archive's verification must stay under, genuine or hostile (issue 3, issue 16). */
const BUDGET_MIB = 200

function writeRandomFile(path, size) {
  if (existsSync(path) && statSync(path).size === size) return
  const fd = openSync(path, 'w')
  const chunk = Buffer.alloc(8 * MiB)
  for (let done = 0; done < size; done += chunk.length) {
    randomFillSync(chunk)
    writeSync(fd, chunk, 0, Math.min(chunk.length, size - done))
  }

  closeSync(fd)
}

/** JPEGs with real camera EXIF, each made distinct and ~300 KB by random bytes after the image. */
function makeJpegs(dir, count) {
  if (existsSync(join(dir, `IMG_${String(count - 1).padStart(5, '0')}.JPG`))) return
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dir, {recursive: true})
  const samples = ['Canon.jpg', 'Nikon.jpg', 'Sony.jpg', 'Ricoh2.jpg', 'GPS.jpg', 'Olympus2.jpg'].map((f) =>
    readFileSync(join(root, 'fixtures', 'camera-samples', f)),
  )
  const tail = Buffer.alloc(300 * 1024)
  for (let i = 0; i < count; i++) {
    randomFillSync(tail)
    const fd = openSync(join(dir, `IMG_${String(i).padStart(5, '0')}.JPG`), 'w')
    writeSync(fd, samples[i % samples.length])
    writeSync(fd, tail)
    closeSync(fd)
  }
}

/**
 * Runs a command, returning wall seconds and the peak resident memory of that process (VmHWM).
 * It must exit with `expectCode` (0 unless said).
 */
function timed(command, commandArgs, options = {}, expectCode = 0) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(command, commandArgs, {stdio: ['ignore', 'ignore', 'pipe'], ...options})
    let peakKiB = 0
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        if (m) peakKiB = Math.max(peakKiB, Number(m[1]))
      } catch {
        // the process has just ended
      }
    }, 10)
    child.on('error', reject)
    child.on('close', (code) => {
      clearInterval(poll)
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      if (code !== expectCode) reject(new Error(`${command} ${commandArgs.join(' ')} exited ${code}, not ${expectCode}: ${stderr}`))
      else resolve({seconds, peakMiB: peakKiB / 1024})
    })
  })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function freshCase(name, initArgs = []) {
  const dir = join(work, name)
  rmSync(dir, {recursive: true, force: true})
  const r = spawnSync(process.execPath, [bin, 'init', dir, '--title', 'bench', '--investigator', 'bench', ...initArgs], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(r.stderr)
  return dir
}

async function custodyIngest(paths, extra = [], initArgs = []) {
  const dir = freshCase('case', initArgs)
  spawnSync('sync')
  const result = await timed(process.execPath, [bin, 'ingest', ...paths, ...extra, '--case', dir])
  rmSync(dir, {recursive: true, force: true})
  return result
}

async function shell(script) {
  spawnSync('sync')
  return timed('sh', ['-c', script])
}

async function measure(label, fn) {
  const results = []
  for (let i = 0; i < runs; i++) results.push(await fn())
  const seconds = median(results.map((r) => r.seconds))
  const peakMiB = Math.max(...results.map((r) => r.peakMiB))
  process.stderr.write(`  ${label}: ${results.map((r) => r.seconds.toFixed(2)).join(' s, ')} s\n`)
  return {seconds, peakMiB}
}

const rows = []
/** A row of the table; `aim` null for a baseline given for comparison only (no aim is set against it). */
function report(name, custody, baseline, unit, amount, aim) {
  const ratio = baseline.seconds / custody.seconds
  rows.push({
    benchmark: name,
    custody: `${(amount / custody.seconds).toFixed(1)} ${unit}`,
    baseline: `${(amount / baseline.seconds).toFixed(1)} ${unit}`,
    ratio: `${ratio.toFixed(2)}x`,
    aim: aim === null ? 'none' : `>= ${aim}x`,
    verdict: aim === null ? 'comparison' : ratio >= aim ? 'ok' : 'BELOW AIM',
  })
}

process.stderr.write(`custody bench: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, median of ${runs} runs\n`)

const memory = []
const hostileRows = []

/**
 * (g) Hostile archives made from a genuine one with Python's zipfile: each must be refused, with no
 * more memory and time than verifying the genuine archive took.
 */
async function hostileArchives(genuine, genuineVerify) {
  const made = join(work, 'hostile')
  rmSync(made, {recursive: true, force: true})
  mkdirSync(made, {recursive: true})
  // The genuine archive's small files (all but the exhibits' originals), and a script's additions.
  const build = (name, additions, skip = '') => {
    const out = join(made, `${name}.zip`)
    const script = `
import base64, os, sys, zipfile
genuine, out, skip = sys.argv[1:4]
with zipfile.ZipFile(genuine) as zin, zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as z:
    names = [n for n in zin.namelist() if '/original/' not in n and not n.endswith('/' + skip)]
    bag = names[0].split('/')[0]
    for n in names:
        z.writestr(n, zin.read(n))
${additions}
`
    const r = spawnSync('python3', ['-c', script, genuine, out, skip], {encoding: 'utf8'})
    if (r.status !== 0) throw new Error(r.stderr)
    return out
  }
  const segment = "base64.b64encode(os.urandom(240)) + b'a' * (32 * 1024 - 320)"
  const cases = [
    ['1,000 deflated entries of 1 MiB in data/custody/', build('bomb-1000', "    for i in range(1000):\n        z.writestr(f'{bag}/data/custody/x{i}.json', b'\\0' * (1 << 20), compress_type=zipfile.ZIP_DEFLATED)")],
    ['3,000 deflated entries of 1 MiB in data/custody/', build('bomb-3000', "    for i in range(3000):\n        z.writestr(f'{bag}/data/custody/x{i}.json', b'\\0' * (1 << 20), compress_type=zipfile.ZIP_DEFLATED)")],
    ['one event line of 32 MiB, deflated', build('line-32', `    z.writestr(f'{bag}/data/custody/events.jsonl', b'{"event":"' + b''.join(${segment} for _ in range(1024)) + b'"}\\n', compress_type=zipfile.ZIP_DEFLATED)`, 'events.jsonl')],
    ['one event line of 64 MiB, deflated', build('line-64', `    z.writestr(f'{bag}/data/custody/events.jsonl', b'{"event":"' + b''.join(${segment} for _ in range(2048)) + b'"}\\n', compress_type=zipfile.ZIP_DEFLATED)`, 'events.jsonl')],
    ['a payload manifest line of 100 MB, deflated', build('manifest-line', `    z.writestr(f'{bag}/manifest-sha256.txt', b'0' * 64 + b'  data/' + b''.join(${segment} for _ in range(3052)) + b'\\n', compress_type=zipfile.ZIP_DEFLATED)`, 'manifest-sha256.txt')],
  ]
  for (const [label, path] of cases) {
    const run = await measure(`custody verify (hostile: ${label})`, () => timed(process.execPath, [bin, 'verify', path], {}, 3))
    // The budget a genuine archive of any size is held to (200 MB), and the time of the genuine 1 GiB one.
    const within = run.peakMiB <= BUDGET_MIB && run.seconds <= genuineVerify.seconds
    hostileRows.push({
      archive: label,
      size: `${(statSync(path).size / 1e6).toFixed(1)} MB`,
      seconds: run.seconds.toFixed(2),
      'peak MiB': run.peakMiB.toFixed(0),
      genuine: `${genuineVerify.seconds.toFixed(2)} s, ${genuineVerify.peakMiB.toFixed(0)} MiB`,
      aim: `<= ${genuineVerify.seconds.toFixed(2)} s, <= ${BUDGET_MIB} MiB`,
      verdict: within ? 'ok' : 'ABOVE AIM',
    })
  }
}

// (h) start-up, first: before the generated data has filled the page cache
if (only.has('h')) {
  const startup = mkdtempSync(join(tmpdir(), 'custody-bench-startup-'))
  try {
    // A small case of its own, with its own state folder and passphrase file, all removed after.
    const env = {...process.env, XDG_STATE_HOME: join(startup, 'state')}
    const passphraseFile = join(startup, 'passphrase.txt')
    writeFileSync(passphraseFile, 'benchmark passphrase\n', {mode: 0o600})
    const small = join(startup, 'case')
    const made = spawnSync(process.execPath, [bin, 'init', small, '--title', 'bench', '--investigator', 'bench', '--passphrase-file', passphraseFile], {encoding: 'utf8', env})
    if (made.status !== 0) throw new Error(made.stderr)
    const commands = {
      'node -e 0': ['-e', '0'],
      'custody --help': [bin, '--help'],
      'custody status': [bin, 'status', '--case', small],
    }
    // In turn, round after round: whatever else loads the machine falls on all three alike.
    const seconds = Object.fromEntries(Object.keys(commands).map((label) => [label, []]))
    for (let i = 0; i < 9; i++) {
      for (const [label, commandArgs] of Object.entries(commands)) seconds[label].push((await timed(process.execPath, commandArgs, {env})).seconds)
    }

    for (const [label, xs] of Object.entries(seconds)) process.stderr.write(`  ${label}: ${xs.map((x) => x.toFixed(3)).join(' s, ')} s\n`)
    const baseline = median(seconds['node -e 0'])
    for (const [label, aim] of [['custody --help', 3], ['custody status', 4]]) {
      const ratio = median(seconds[label]) / baseline
      rows.push({
        benchmark: `(h) start-up: ${label}`,
        custody: `${(median(seconds[label]) * 1000).toFixed(0)} ms`,
        baseline: `${(baseline * 1000).toFixed(0)} ms (node -e 0)`,
        ratio: `${ratio.toFixed(2)}x`,
        aim: `<= ${aim}x`,
        verdict: ratio <= aim ? 'ok' : 'ABOVE AIM',
      })
    }
  } finally {
    rmSync(startup, {recursive: true, force: true})
  }
}

// (a) one large file
if (only.has('a')) {
const big = join(work, 'big-1GiB.bin')
const medium = join(work, 'medium-256MiB.bin')
process.stderr.write('generating 1 GiB and 256 MiB of random data (cached between runs)...\n')
writeRandomFile(big, 1024 * MiB)
writeRandomFile(medium, 256 * MiB)
const copy = join(work, 'copy.bin')
const baselineA = await measure('cp+sync, openssl sha256, openssl sha512 (1 GiB)', () =>
  shell(`cp '${big}' '${copy}' && sync '${copy}' && openssl dgst -sha256 '${big}' >/dev/null && openssl dgst -sha512 '${big}' >/dev/null; rm -f '${copy}'`),
)
const custodyA = await measure('custody ingest (1 GiB)', () => custodyIngest([big]))
const custodyMedium = await measure('custody ingest (256 MiB)', () => custodyIngest([medium]))
report('(a) one 1 GiB file', custodyA, baselineA, 'MB/s', 1024 * MiB / 1e6, 0.8)
memory.push({input: 'ingest one 256 MiB file', 'peak MiB': custodyMedium.peakMiB.toFixed(0)}, {input: 'ingest one 1 GiB file', 'peak MiB': custodyA.peakMiB.toFixed(0)})
}

// (i) encryption at rest: custody's src/age against age and cp, on the 1 GiB file of (a)
if (only.has('i')) {
  const big = join(work, 'big-1GiB.bin')
  process.stderr.write('generating 1 GiB of random data (cached between runs)...\n')
  writeRandomFile(big, 1024 * MiB)
  const identityFile = join(work, 'age-identity.txt')
  rmSync(identityFile, {force: true})
  spawnSync('age-keygen', ['-o', identityFile])
  const recipient = spawnSync('age-keygen', ['-y', identityFile], {encoding: 'utf8'}).stdout.trim()
  if (!recipient.startsWith('age1')) throw new Error('(i) needs age and age-keygen (Debian package age)')
  const sealed = join(work, 'big.age')
  const opened = join(work, 'big.opened')
  const copy = join(work, 'copy.bin')
  const dist = (file) => JSON.stringify(join(root, 'dist', 'src', 'age', file))
  // custody's module in a process of its own, as the baselines run: its time and peak memory are its own.
  const custodyAge = (script) => {
    spawnSync('sync')
    return timed(process.execPath, ['--input-type=module', '-e', script])
  }
  const encryptScript = `import {encryptFile} from ${dist('files.js')}; import {parseRecipient} from ${dist('x25519.js')};
    await encryptFile(${JSON.stringify(big)}, ${JSON.stringify(sealed)}, [parseRecipient(${JSON.stringify(recipient)})])`
  const decryptScript = `import {decryptFile} from ${dist('files.js')}; import {readIdentityFile} from ${dist('key-files.js')};
    await decryptFile(${JSON.stringify(sealed)}, ${JSON.stringify(opened)}, await readIdentityFile(${JSON.stringify(identityFile)}))`
  // Each writes its output afresh: what it writes is removed first, outside the time measured.
  const commands = {
    'cp + sync': [copy, () => shell(`cp '${big}' '${copy}' && sync '${copy}'`)],
    'age -r + sync': [sealed, () => shell(`age -r ${recipient} -o '${sealed}' '${big}' && sync '${sealed}'`)],
    'custody encryptFile': [sealed, () => custodyAge(encryptScript)],
    'age -d + sync': [opened, () => shell(`age -d -i '${identityFile}' -o '${opened}' '${sealed}' && sync '${opened}'`)],
    'custody decryptFile': [opened, () => custodyAge(decryptScript)],
  }
  // In turn, round after round (as (h)): what else loads the machine, and the write-back of the
  // file just generated, fall on all of them alike. age -d decrypts the file custody wrote.
  spawnSync('sync')
  const results = Object.fromEntries(Object.keys(commands).map((label) => [label, []]))
  for (let i = 0; i < runs; i++) {
    for (const [label, [output, run]] of Object.entries(commands)) {
      rmSync(output, {force: true})
      results[label].push(await run())
    }
  }

  const [baselineCp, baselineAge, custodyEncrypt, baselineAgeD, custodyDecrypt] = Object.entries(results).map(([label, xs]) => {
    process.stderr.write(`  ${label} (1 GiB): ${xs.map((x) => x.seconds.toFixed(2)).join(' s, ')} s\n`)
    return {seconds: median(xs.map((x) => x.seconds)), peakMiB: Math.max(...xs.map((x) => x.peakMiB))}
  })
  rmSync(copy, {force: true})
  if (spawnSync('cmp', ['-s', big, opened]).status !== 0) throw new Error('(i) the decrypted file differs from the original')
  report('(i) encrypt 1 GiB to age vs cp', custodyEncrypt, baselineCp, 'MB/s', 1024 * MiB / 1e6, 0.8)
  report('(i) encrypt 1 GiB to age vs age -r', custodyEncrypt, baselineAge, 'MB/s', 1024 * MiB / 1e6, 0.8)
  report('(i) decrypt it vs age -d', custodyDecrypt, baselineAgeD, 'MB/s', 1024 * MiB / 1e6, 0.8)
  memory.push({input: 'encrypt one 1 GiB file (src/age)', 'peak MiB': custodyEncrypt.peakMiB.toFixed(0)}, {input: 'decrypt it (src/age)', 'peak MiB': custodyDecrypt.peakMiB.toFixed(0)})
  for (const path of [sealed, opened, identityFile]) rmSync(path, {force: true})
}

/** A fresh age identity for a row (age-keygen, Debian package age), in the work folder. */
function ageKey(row) {
  const identityFile = join(work, `age-identity-${row}.txt`)
  rmSync(identityFile, {force: true})
  spawnSync('age-keygen', ['-o', identityFile])
  const recipient = spawnSync('age-keygen', ['-y', identityFile], {encoding: 'utf8'}).stdout.trim()
  if (!recipient.startsWith('age1')) throw new Error(`(${row}) needs age and age-keygen (Debian package age)`)
  return {identityFile, recipient}
}

// (j) the encrypted vault: ingest into an encrypted case, against a case in clear and against age -r
if (only.has('j')) {
  const big = join(work, 'big-1GiB.bin')
  const photos = join(work, 'jpegs-1000')
  process.stderr.write('generating 1 GiB of random data and 1,000 JPEGs (cached between runs)...\n')
  writeRandomFile(big, 1024 * MiB)
  makeJpegs(photos, 1000)
  const {identityFile, recipient} = ageKey('j')
  const out = join(work, 'age-out')
  const ageEach = (input) => shell(`rm -rf '${out}' && mkdir '${out}' && for f in ${input}; do age -r ${recipient} -o '${out}'/"$(basename "$f")".age "$f" || exit 1; done && sync`)
  const inputs = {
    '1 GiB file': {paths: [big], extra: [], glob: `'${big}'`, unit: 'MB/s', amount: 1024 * MiB / 1e6},
    '1,000 JPEGs': {paths: [photos], extra: ['--recursive'], glob: `'${photos}'/*`, unit: 'files/s', amount: 1000},
  }
  for (const [name, input] of Object.entries(inputs)) {
    const runsOf = {encrypted: [], plaintext: [], age: []}
    for (let i = 0; i < runs; i++) {
      runsOf.encrypted.push(await custodyIngest(input.paths, input.extra, ['--recipient', recipient]))
      runsOf.plaintext.push(await custodyIngest(input.paths, input.extra, ['--plaintext']))
      runsOf.age.push(await ageEach(input.glob))
    }

    const [encrypted, plaintext, age] = Object.entries(runsOf).map(([label, xs]) => {
      process.stderr.write(`  ${label} (${name}): ${xs.map((x) => x.seconds.toFixed(2)).join(' s, ')} s\n`)
      return {seconds: median(xs.map((x) => x.seconds)), peakMiB: Math.max(...xs.map((x) => x.peakMiB))}
    })
    report(`(j) encrypted ingest, ${name}, vs --plaintext`, encrypted, plaintext, input.unit, input.amount, 0.8)
    // The aim is against ingest in clear; age -r (encryption alone, no ExifTool, no hashing, no ledger) is the standard tool's speed, beside it.
    report(`(j) encrypted ingest, ${name}, vs age -r`, encrypted, age, input.unit, input.amount, null)
    memory.push({input: `encrypted ingest, ${name}`, 'peak MiB': encrypted.peakMiB.toFixed(0)}, {input: `plaintext ingest, ${name}`, 'peak MiB': plaintext.peakMiB.toFixed(0)})
  }

  rmSync(out, {recursive: true, force: true})
  rmSync(identityFile, {force: true})
}

// (b) many photos
if (only.has('b')) {
const photos = join(work, 'jpegs-1000')
const photos100 = join(work, 'jpegs-100')
process.stderr.write('generating 1,000 JPEGs of ~300 KB (cached between runs)...\n')
makeJpegs(photos, 1000)
makeJpegs(photos100, 100)
const baselineB = await measure('exiftool -j -n DIR (1,000 JPEGs)', () => shell(`'${exiftool}' -j -n '${photos}' > /dev/null`))
const custodyB = await measure('custody ingest --recursive (1,000 JPEGs)', () => custodyIngest([photos], ['--recursive']))
const custody100 = await measure('custody ingest --recursive (100 JPEGs)', () => custodyIngest([photos100], ['--recursive']))
report('(b) 1,000 JPEGs of ~300 KB', custodyB, baselineB, 'files/s', 1000, 0.5)
memory.push({input: 'ingest 100 JPEGs', 'peak MiB': custody100.peakMiB.toFixed(0)}, {input: 'ingest 1,000 JPEGs', 'peak MiB': custodyB.peakMiB.toFixed(0)})
}

// (e) and (f): a batch of 10,000 photos from a manifest
if (only.has('e') || only.has('f')) {
  const photos = join(work, 'jpegs-10000')
  process.stderr.write('generating 10,000 JPEGs of ~300 KB and their manifest (cached between runs)...\n')
  makeJpegs(photos, 10_000)
  const manifest = join(work, 'manifest-10000.csv')
  const rows = ['path,collected_by,source']
  for (let i = 0; i < 10_000; i++) rows.push(`jpegs-10000/IMG_${String(i).padStart(5, '0')}.JPG,bench,generated`)
  writeFileSync(manifest, `${rows.join('\n')}\n`)
  const bytes = Number(spawnSync('du', ['-sb', photos], {encoding: 'utf8'}).stdout.split('\t')[0])
  const copied = join(work, 'copied-10000')
  const baselineE = await measure('exiftool -j -n DIR (10,000 JPEGs)', () => shell(`'${exiftool}' -j -n '${photos}' > /dev/null`))
  const baselineF = await measure('cp -r + sync, openssl sha256 and sha512 (10,000 JPEGs)', () =>
    shell(`rm -rf '${copied}' && cp -r '${photos}' '${copied}' && sync && cd '${copied}' && openssl dgst -sha256 * >/dev/null && openssl dgst -sha512 * >/dev/null; rm -rf '${copied}'`),
  )
  const custodyE = await measure('custody ingest --manifest (10,000 JPEGs)', () => custodyIngest([], ['--manifest', manifest]))
  report('(e) batch of 10,000 JPEGs vs exiftool', custodyE, baselineE, 'files/s', 10_000, 1.0)
  report('(f) batch of 10,000 JPEGs vs cp + openssl', custodyE, baselineF, 'MB/s', bytes / 1e6, 0.8)
  memory.push({input: 'ingest a batch of 10,000 JPEGs', 'peak MiB': custodyE.peakMiB.toFixed(0)})
}

// (c) and (d): seal and verify 1,000 files of 1 MiB; (g) measures the verify of this archive too
if (only.has('c') || only.has('d') || only.has('g')) {
  const {files, sealCase} = sealCaseOf1000()

  const archive = join(work, 'sealed.zip')
  const zipped = join(work, 'zip0.zip')
  // Both sides start with no earlier archive to replace (deleting 1 GiB is not sealing) and, as
  // every run here, with nothing left to write back from the last run.
  const baselineC = !only.has('c')
    ? undefined
    : await measure('zip -0 -r (1,000 files, 1 GiB)', () => {
        rmSync(zipped, {force: true})
        return shell(`cd '${files}' && zip -q -0 -r '${zipped}' .`)
      })
  // Each seal adds a seal event, so the case grows by one event a run: negligible against 1 GiB.
  const custodyC = await measure('custody seal (1,000 files, 1 GiB)', () => {
    rmSync(archive, {force: true})
    spawnSync('sync')
    return timed(process.execPath, [bin, 'seal', '--out', archive, '--case', sealCase])
  })
  if (only.has('c')) report('(c) seal 1,000 files / 1 GiB', custodyC, baselineC, 'MB/s', 1024 * MiB / 1e6, 0.8)
  memory.push({input: 'seal 1,000 files / 1 GiB', 'peak MiB': custodyC.peakMiB.toFixed(0)})
  let genuineVerify
  if (only.has('d') || only.has('g')) {
    genuineVerify = await measure('custody verify ARCHIVE', () => {
      spawnSync('sync')
      return timed(process.execPath, [bin, 'verify', archive])
    })
  }

  if (only.has('d')) {
    const unpacked = join(work, 'unpacked')
    const baselineD = await measure('unzip + sha256sum -c', () =>
      shell(`rm -rf '${unpacked}' && unzip -q '${archive}' -d '${unpacked}' && cd '${unpacked}'/custody-SEAL-* && sha256sum --quiet -c manifest-sha256.txt; rm -rf '${unpacked}'`),
    )
    report('(d) verify that archive', genuineVerify, baselineD, 'MB/s', 1024 * MiB / 1e6, 1.5)
    memory.push({input: 'verify a 1 GiB archive', 'peak MiB': genuineVerify.peakMiB.toFixed(0)})
  }

  if (only.has('g')) await hostileArchives(archive, genuineVerify)

  // Peak memory against the number of exhibits: a case of 10,000 small files, sealed and verified.
  if (only.has('c') || only.has('d')) {
  const manyCase = manyCaseOf10000()

  const manyArchive = join(work, 'sealed-10000.zip')
  const sealMany = await measure('custody seal (10,000 exhibits of 1 KiB)', () => {
    rmSync(manyArchive, {force: true})
    spawnSync('sync')
    return timed(process.execPath, [bin, 'seal', '--out', manyArchive, '--case', manyCase])
  })
  const verifyMany = await measure('custody verify ARCHIVE (10,000 exhibits of 1 KiB)', () => timed(process.execPath, [bin, 'verify', manyArchive]))
  memory.push(
    {input: 'seal 10,000 exhibits of 1 KiB', 'peak MiB': sealMany.peakMiB.toFixed(0)},
    {input: 'verify an archive of 10,000 exhibits', 'peak MiB': verifyMany.peakMiB.toFixed(0)},
  )
  }
}

/** A case made once and kept between runs (made again when an older custody cached it): `fill` ingests into it. */
function cachedCase(name, fill) {
  const dir = join(work, name)
  if (existsSync(join(dir, '.custody')) && spawnSync(process.execPath, [bin, 'status', '--case', dir]).status === 0) return dir
  rmSync(dir, {recursive: true, force: true})
  spawnSync(process.execPath, [bin, 'init', dir, '--title', 'bench', '--investigator', 'bench'])
  // Its report (a line a file) is not read: it would pass spawnSync's output limit.
  const r = spawnSync(process.execPath, [bin, 'ingest', ...fill, '--case', dir], {encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe']})
  if (r.status !== 0) throw new Error(r.stderr)
  return dir
}

/** 1,000 files of 1 MiB (1 GiB) and a case holding them, for (c), (d), (g) and (m); cached between runs. */
function sealCaseOf1000() {
  const files = join(work, 'files-1000')
  process.stderr.write('generating 1,000 files of 1 MiB and a case holding them (cached between runs)...\n')
  if (!existsSync(join(files, 'f0999.bin'))) {
    mkdirSync(files, {recursive: true})
    for (let i = 0; i < 1000; i++) writeRandomFile(join(files, `f${String(i).padStart(4, '0')}.bin`), MiB)
  }

  // A case cached by an older custody (another ledger schema) is made again.
  return {files, sealCase: cachedCase('seal-case', [files, '--recursive'])}
}

/** 10,000 files of 1 KiB, for the peak memory of many exhibits; cached between runs. */
function smallFiles10000() {
  const manyFiles = join(work, 'files-10000-small')
  process.stderr.write('generating 10,000 files of 1 KiB (cached between runs)...\n')
  if (!existsSync(join(manyFiles, 'f09999.bin'))) {
    mkdirSync(manyFiles, {recursive: true})
    for (let i = 0; i < 10_000; i++) writeFileSync(join(manyFiles, `f${String(i).padStart(5, '0')}.bin`), randomFillSync(Buffer.alloc(1024)))
  }

  return manyFiles
}

/** A case holding the 10,000 files of 1 KiB, for (c), (d) and (m); cached between runs. */
function manyCaseOf10000() {
  return cachedCase('seal-case-10000', [smallFiles10000(), '--recursive'])
}

/** (k) report (HTML, PDF) and CASE/UCO export of one sealed archive, in turn with its verify, round after round. */
async function courtDocuments(label, caseDir, count) {
  const archive = join(work, `court-${count}.zip`)
  if (!existsSync(archive)) {
    const sealed = spawnSync(process.execPath, [bin, 'seal', '--out', archive, '--case', caseDir], {encoding: 'utf8'})
    if (sealed.status !== 0) throw new Error(sealed.stderr)
  }

  const out = (name) => join(work, `court-${count}-${name}`)
  const commands = {
    'custody verify ARCHIVE': () => timed(process.execPath, [bin, 'verify', archive]),
    'custody report ARCHIVE --out FILE.html': () => timed(process.execPath, [bin, 'report', archive, '--out', out('report.html'), '--force']),
    'custody report ARCHIVE --out FILE.pdf': () => timed(process.execPath, [bin, 'report', archive, '--out', out('report.pdf'), '--force']),
    'custody export case-uco ARCHIVE': () => timed(process.execPath, [bin, 'export', 'case-uco', archive, '--out', out('case.jsonld'), '--force']),
  }
  const results = Object.fromEntries(Object.keys(commands).map((name) => [name, []]))
  for (let i = 0; i < runs; i++) {
    for (const [name, run] of Object.entries(commands)) {
      spawnSync('sync')
      results[name].push(await run())
    }
  }

  const [verify, ...documents] = Object.entries(results).map(([name, xs]) => {
    process.stderr.write(`  ${name} (${label}): ${xs.map((x) => x.seconds.toFixed(2)).join(' s, ')} s\n`)
    return {name, seconds: median(xs.map((x) => x.seconds)), peakMiB: Math.max(...xs.map((x) => x.peakMiB))}
  })
  for (const d of [verify, ...documents]) {
    courtRows.push({command: `${d.name} (${label})`, seconds: d.seconds.toFixed(2), 'ms per exhibit': ((d.seconds * 1000) / count).toFixed(1), 'x verify': (d.seconds / verify.seconds).toFixed(2), 'peak MiB': d.peakMiB.toFixed(0), 'output MB': d === verify ? '' : (statSync(out(d.name.endsWith('.html') ? 'report.html' : d.name.endsWith('.pdf') ? 'report.pdf' : 'case.jsonld')).size / 1e6).toFixed(1)})
  }

  return {verify, documents}
}

const courtRows = []
const courtMemory = []

// (k) the court's documents of a sealed archive: 1,000 photos (and, with --many, 10,000 small exhibits)
if (only.has('k')) {
  const photos = join(work, 'jpegs-1000')
  process.stderr.write('generating 1,000 JPEGs of ~300 KB, a case holding them and its archive (cached between runs)...\n')
  makeJpegs(photos, 1000)
  const {verify, documents} = await courtDocuments('1,000 photos', cachedCase('court-case-1000', [photos, '--recursive']), 1000)
  // The issue sets no speed for these documents: its aim is memory that does not grow with the
  // number of exhibits, which --many measures (courtMemory below).
  if (args.includes('--many')) {
    const many = await courtDocuments('10,000 exhibits of 1 KiB', cachedCase('court-case-10000', [smallFiles10000(), '--recursive']), 10_000)
    const few = [verify, ...documents]
    for (const [i, d] of [many.verify, ...many.documents].entries()) {
      const growth = d.peakMiB / few[i].peakMiB
      courtMemory.push({command: d.name, 'peak MiB, 1,000 photos': few[i].peakMiB.toFixed(0), 'peak MiB, 10,000 exhibits': d.peakMiB.toFixed(0), growth: `${growth.toFixed(2)}x`, aim: '<= 1.25x', verdict: growth <= 1.25 ? 'ok' : 'GROWS'})
    }
  }
}

// (l) quick erase: key destroy of a case holding 1 GiB against that of a case holding 1 KiB
if (only.has('l')) {
  const big = join(work, 'big-1GiB.bin')
  const small = join(work, 'small-1KiB.bin')
  process.stderr.write('generating 1 GiB of random data (cached between runs)...\n')
  writeRandomFile(big, 1024 * MiB)
  writeRandomFile(small, 1024)
  const {identityFile, recipient} = ageKey('l')
  /** A case with an HQ recipient holding `file`, made afresh each round: destroy leaves it readable by HQ only. */
  const destroyOf = async (file) => {
    const dir = freshCase('erase', ['--recipient', recipient])
    const r = spawnSync(process.execPath, [bin, 'ingest', file, '--case', dir], {encoding: 'utf8'})
    if (r.status !== 0) throw new Error(r.stderr)
    spawnSync('sync')
    const result = await timed(process.execPath, [bin, 'key', 'destroy', '--yes', '--case', dir])
    rmSync(dir, {recursive: true, force: true})
    return result
  }

  const ofBig = await measure('custody key destroy --yes (a case of 1 GiB)', () => destroyOf(big))
  const ofSmall = await measure('custody key destroy --yes (a case of 1 KiB)', () => destroyOf(small))
  report(`(l) key destroy, case of 1 GiB (${ofBig.seconds.toFixed(2)} s), vs case of 1 KiB (${ofSmall.seconds.toFixed(2)} s)`, ofBig, ofSmall, 'erases/s', 1, 0.8)
  rmSync(identityFile, {force: true})
}

const transferMemory = []

/**
 * (m) One hand-over of `items`: a fresh HQ case (untimed) each round, the package exported to it
 * (`transfer export`, timed) and accepted there (`transfer accept`, timed). A package goes to one
 * receiver, and an accepted one is not accepted again: so each round has its own HQ.
 */
async function handOvers(label, fieldCase) {
  const fieldLine = join(work, 'transfer-field.custodian')
  writeFileSync(fieldLine, spawnSync(process.execPath, [bin, 'key', 'show', '--public', '--case', fieldCase], {encoding: 'utf8'}).stdout)
  const made = []
  const exported = await measure(`custody transfer export (${label})`, async () => {
    const hq = freshCase(`transfer-hq-${made.length}`)
    const hqLine = join(work, `transfer-hq-${made.length}.custodian`)
    writeFileSync(hqLine, spawnSync(process.execPath, [bin, 'key', 'show', '--public', '--case', hq], {encoding: 'utf8'}).stdout)
    const pkg = join(work, `transfer-${made.length}.zip.age`)
    rmSync(pkg, {force: true})
    made.push({hq, pkg})
    spawnSync('sync')
    return timed(process.execPath, [bin, 'transfer', 'export', '--to', hqLine, '--out', pkg, '--again', '--case', fieldCase])
  })
  let next = 0
  const accepted = await measure(`custody transfer accept (${label})`, async () => {
    const {hq, pkg} = made[next++]
    spawnSync('sync')
    const result = await timed(process.execPath, [bin, 'transfer', 'accept', pkg, '--from', fieldLine, '--case', hq])
    rmSync(hq, {recursive: true, force: true})
    rmSync(pkg, {force: true})
    rmSync(`${pkg}.receipt`, {force: true})
    rmSync(`${pkg}.receipt.sig`, {force: true})
    return result
  })
  return {exported, accepted}
}

// (m) transfers: export and accept of 1,000 files / 1 GiB, beside zip -0 and unzip + sha256sum -c
if (only.has('m')) {
  const {files, sealCase} = sealCaseOf1000()
  const zipped = join(work, 'zip0-m.zip')
  const zip0 = await measure('zip -0 -r (1,000 files, 1 GiB)', () => {
    rmSync(zipped, {force: true})
    return shell(`cd '${files}' && zip -q -0 -r '${zipped}' .`)
  })
  const unpacked = join(work, 'unpacked-m')
  // The baseline's manifest is made once, untimed (as a seal's travels with it).
  const manifest = join(work, 'm-manifest-sha256.txt')
  writeFileSync(manifest, spawnSync('sh', ['-c', 'sha256sum *'], {cwd: files, encoding: 'utf8', maxBuffer: 16 * MiB}).stdout)
  const unzipCheck = await measure('unzip + sha256sum -c (1,000 files, 1 GiB)', () =>
    shell(`rm -rf '${unpacked}' && mkdir '${unpacked}' && cd '${unpacked}' && unzip -q '${zipped}' && sha256sum --quiet -c '${manifest}'; rm -rf '${unpacked}'`),
  )
  const big = await handOvers('1,000 files, 1 GiB', sealCase)
  report('(m) transfer export 1,000 files / 1 GiB (vs zip -0)', big.exported, zip0, 'MB/s', 1024 * MiB / 1e6, 0.8)
  report('(m) transfer accept of that package (vs unzip + sha256sum -c)', big.accepted, unzipCheck, 'MB/s', 1024 * MiB / 1e6, 1.5)
  // A package carries at most 1,000 exhibits: its peak memory from a case of 1,000 exhibits and
  // from one of 10,000 (the first 1,000 of them sent), which must be the same.
  const many = await handOvers('1,000 of 10,000 exhibits of 1 KiB', manyCaseOf10000())
  for (const name of ['exported', 'accepted']) {
    const growth = many[name].peakMiB / big[name].peakMiB
    transferMemory.push({command: `transfer ${name === 'exported' ? 'export' : 'accept'}`, 'peak MiB, case of 1,000 (1 GiB)': big[name].peakMiB.toFixed(0), 'peak MiB, case of 10,000': many[name].peakMiB.toFixed(0), growth: `${growth.toFixed(2)}x`, aim: '<= 1.25x', verdict: growth <= 1.25 ? 'ok' : 'GROWS'})
  }
}

// (n) the field package: `transfer export` in a field case with no identity (objects and rows as
// stored, nothing decrypted), of 1,000 files / 1 GiB, beside zip -0 of the same files
if (only.has('n')) {
  const {files} = sealCaseOf1000()
  const zipped = join(work, 'zip0-n.zip')
  const zip0 = await measure('zip -0 -r (1,000 files, 1 GiB)', () => {
    rmSync(zipped, {force: true})
    return shell(`cd '${files}' && zip -q -0 -r '${zipped}' .`)
  })
  const hq = freshCase('field-hq', ['--role', 'hq'])
  const hqLine = join(work, 'field-hq.custodian')
  writeFileSync(hqLine, spawnSync(process.execPath, [bin, 'key', 'show', '--public', '--case', hq], {encoding: 'utf8'}).stdout)
  const hqRecipient = JSON.parse(Buffer.from(readFileSync(hqLine, 'utf8').trim().split(' ')[1], 'base64url').toString('utf8')).age
  const field = freshCase('field-case', ['--field', '--recipient', hqRecipient])
  process.stderr.write('ingesting the 1,000 files into a field case (untimed)...\n')
  const ingested = spawnSync(process.execPath, [bin, 'ingest', files, '--recursive', '--case', field], {encoding: 'utf8'})
  if (ingested.status !== 0) throw new Error(ingested.stderr)
  let round = 0
  const exported = await measure('custody transfer export, a field package (1,000 files, 1 GiB)', async () => {
    const pkg = join(work, `field-${round++}.zip.age`)
    rmSync(pkg, {force: true})
    spawnSync('sync')
    const result = await timed(process.execPath, [bin, 'transfer', 'export', '--to', hqLine, '--out', pkg, '--again', '--case', field])
    rmSync(pkg, {force: true})
    return result
  })
  report('(n) field package export 1,000 files / 1 GiB (vs zip -0)', exported, zip0, 'MB/s', 1024 * MiB / 1e6, 0.8)
  memory.push({input: 'field package export, 1,000 files / 1 GiB', 'peak MiB': exported.peakMiB.toFixed(0)})
  rmSync(field, {recursive: true, force: true})
  rmSync(hq, {recursive: true, force: true})
}

console.log('')
console.table(rows)
if (transferMemory.length > 0) {
  console.log('')
  console.log('(m) peak memory of a hand-over, from a case of 1,000 exhibits and from one of 10,000 (a package carries at most 1,000):')
  console.table(transferMemory)
}

if (hostileRows.length > 0) {
  console.log('')
  console.log('(g) hostile archives, each refused by custody verify (exit 3), beside verifying the genuine 1 GiB archive:')
  console.table(hostileRows)
}

if (courtRows.length > 0) {
  console.log('')
  console.log('(k) the court documents of a sealed archive, each beside the custody verify of the same archive (which each runs first):')
  console.table(courtRows)
}

if (courtMemory.length > 0) {
  console.log('')
  console.log('(k) peak memory from 1,000 to 10,000 exhibits (the aim: it does not grow with their number):')
  console.table(courtMemory)
}

if (memory.length > 0) {
  console.log('')
  console.log('Peak memory of the custody process (VmHWM):')
  console.table(memory)
}

if (usesWork && !args.includes('--keep')) rmSync(work, {recursive: true, force: true})
