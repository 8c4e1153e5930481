#!/usr/bin/env node
// The Quick-start demo: a fresh case in a temporary folder, the bundled fixtures ingested from a
// batch manifest, a witness's testimony taken, corrected and its consent changed, the log shown,
// one exhibit shown, a trusted timestamp from a local demonstration TSA, the case verified, a
// sealed archive made and checked, by custody and by openssl as a court would, and a hand-over to an
// HQ case (transfer package, accepted with a signed receipt and numbered in HQ's case, one
// exhibit's story across both ledgers, HQ's seal of what it received (carrying the field's signed
// record of the hand-over, every hand listed by verify), the receipt recorded in the
// field, and what it acknowledges purged from the field's vault). Runs the built
// CLI as a user would, and fails loudly if any step does not give the exit code it should.
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const samples = join(root, 'fixtures', 'camera-samples')
const work = mkdtempSync(join(tmpdir(), 'custody-demo-'))
// custody keeps the newest checkpoint of every case it writes in $XDG_STATE_HOME/custody; the
// demo's throwaway case keeps its own in the demo's folder, not in your ~/.local/state.
process.env.XDG_STATE_HOME = join(work, 'state')
const caseDir = join(work, 'case')
// The passphrase that protects the demo case's signing key. A real one is typed at the prompt, or
// kept where only its owner can read it.
const passphraseFile = join(work, 'passphrase.txt')
writeFileSync(passphraseFile, 'demo passphrase, not a secret\n', {mode: 0o600})

const quote = (a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)

function run(title, command, args, options = {}) {
  process.stdout.write(`\n== ${title}\n$ ${options.shown ?? command} ${args.slice(options.hidden ?? 0).map(quote).join(' ')}\n`)
  const result = spawnSync(command, args, {cwd: options.cwd ?? work, stdio: 'inherit', env: {...process.env, CUSTODY_PASSPHRASE: ''}})
  if (result.status !== (options.expectedCode ?? 0)) {
    process.stderr.write(`\ndemo failed: \`${options.shown ?? command} ${args[options.hidden ?? 0]}\` exited ${result.status}, expected ${options.expectedCode ?? 0}\n`)
    tsa?.kill()
    process.exit(1)
  }
}

const step = (title, args) => run(title, process.execPath, [join(root, 'bin', 'run.js'), ...args], {shown: 'custody', hidden: 1})

// A real RFC 3161 TSA on 127.0.0.1 (OpenSSL's `openssl ts -reply`), made up for the demo. Anyone
// can run one, so its tokens prove nothing to a court: the demo says so.
let tsa
const tsaInfo = await new Promise((resolve, reject) => {
  tsa = spawn(process.execPath, ['--input-type=module', '-e', `
    import {LocalTsa} from ${JSON.stringify(join(root, 'dist', 'src', 'timestamps', 'local-tsa.js'))}
    const tsa = await (await LocalTsa.create()).start()
    process.stdout.write(JSON.stringify({url: tsa.url, ca: tsa.caFile}) + '\\n')
    process.on('SIGTERM', async () => { await tsa[Symbol.asyncDispose](); process.exit(0) })
  `], {stdio: ['ignore', 'pipe', 'inherit']})
  tsa.stdout.once('data', (d) => resolve(JSON.parse(String(d))))
  tsa.once('exit', (code) => reject(new Error(`the demonstration TSA stopped (exit ${code})`)))
})

step('Make a case', ['init', caseDir, '--title', 'Demo: camera samples', '--investigator', 'Demo Investigator', '--organisation', 'custody demo', '--passphrase-file', passphraseFile])
const manifest = join(root, 'fixtures', 'batch', 'camera-samples.csv')
step('Check a batch manifest of the bundled fixtures: every row, nothing written', ['ingest', '--manifest', manifest, '--dry-run', '--case', caseDir, '--passphrase-file', passphraseFile])
step('Ingest the batch (photos, raw, video, audio, PDF): a recorded batch, resumable by running it again', [
  'ingest', '--manifest', manifest, '--case', caseDir, '--passphrase-file', passphraseFile,
])
step('Present one file again: no second exhibit', ['ingest', join(samples, 'GPS.jpg'), '--case', caseDir, '--passphrase-file', passphraseFile])
const testimony = join(root, 'fixtures', 'testimony')
step("Take a witness's testimony (a script gives flags; on a terminal, custody asks)", [
  'testimony', 'add', '--witness', 'W-001',
  '--interviewed-at', '2024-04-02T15:00+03:00/2024-04-02T16:10+03:00', '--place', 'partner office (fictional)',
  '--interviewer', 'Demo Investigator', '--interpreter', 'Demo Interpreter', '--language', 'uk', '--language', 'en',
  '--consent', 'court', '--consent', 'advocacy', '--consent-method', 'signed-form',
  '--statement-file', join(testimony, 'W-001-statement.txt'), '--attach', join(samples, 'RIFF.wav'),
  '--witness-name', 'Halyna Vymyslena', '--witness-contact', 'none (demo)',
  '--case', caseDir, '--passphrase-file', passphraseFile,
])
step('Correct the statement: a new version, the first kept', [
  'testimony', 'amend', 'W-001', '--statement-file', join(testimony, 'W-001-statement-corrected.txt'),
  '--reason', 'the witness corrected the date', '--case', caseDir, '--passphrase-file', passphraseFile,
])
step('The witness withdraws consent to advocacy use', [
  'testimony', 'consent', 'W-001', '--withdraw', 'advocacy', '--at', '2024-05-10T11:00+03:00', '--case', caseDir, '--passphrase-file', passphraseFile,
])
step('The testimony: interview, consent history, versions (the name stays encrypted)', ['show', 'W-001', '--case', caseDir, '--passphrase-file', passphraseFile])
step('The custody log', ['log', '--case', caseDir, '--passphrase-file', passphraseFile])
step("One exhibit in full: a photo's own GPS, and beside it where the investigator noted it", ['show', 'EX-000005', '--case', caseDir, '--passphrase-file', passphraseFile])
process.stdout.write(`\n(The next step uses a demonstration Time-Stamp Authority running on this machine, ${tsaInfo.url}.\n It is NOT trusted: a real case uses a public TSA and that TSA's root certificate.)\n`)
step('Trusted time for the ledger (RFC 3161), from the demonstration TSA', [
  'timestamp', '--tsa', tsaInfo.url, '--tsa-ca', tsaInfo.ca, '--case', caseDir, '--passphrase-file', passphraseFile,
])
step('What is timestamped', ['status', '--case', caseDir, '--passphrase-file', passphraseFile])
step('Verify the case: chain, signed checkpoints, tokens, vault', ['verify', '--case', caseDir, '--passphrase-file', passphraseFile])
const archive = join(work, 'demo-seal.zip')
step('Seal every exhibit into an archive for a court (testimony goes in only where the witness consented to court use)', [
  'seal', '--out', archive, '--purpose', 'court', '--note', 'demonstration', '--case', caseDir, '--passphrase-file', passphraseFile,
])
// The legal team has the investigator's key fingerprint from the investigator (here: from the case).
const fingerprint = JSON.parse(spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'key', 'show', '--json', '--case', caseDir, '--passphrase-file', passphraseFile], {encoding: 'utf8'}).stdout).fingerprint
step("Verify the archive as the legal team would, anywhere: the investigator's key and the TSA's root are theirs to give", ['verify', archive, '--key', fingerprint, '--tsa-ca', tsaInfo.ca])
const unpacked = join(work, 'unpacked')
run('Or without custody: unzip it and check it with standard tools', 'unzip', ['-q', archive, '-d', unpacked])
const bagDir = join(unpacked, readdirSync(unpacked)[0])
run('  every file against the manifest', 'sha256sum', ['--quiet', '-c', 'manifest-sha256.txt'], {cwd: bagDir})
const key = 'data/custody/investigator.pem'
run('  the investigator\'s signature on the sealed checkpoint', 'openssl', [
  'pkeyutl', '-verify', '-pubin', '-inkey', key, '-rawin', '-in', 'data/custody/checkpoint.json', '-sigfile', 'data/custody/checkpoint.json.sig',
], {cwd: bagDir})
const stamped = readdirSync(join(bagDir, 'data', 'custody')).includes('timestamped-checkpoint.json') ? 'timestamped-checkpoint.json' : 'checkpoint.json'
run('  the TSA\'s token over the stamped checkpoint', 'openssl', [
  'ts', '-verify', '-data', `data/custody/${stamped}`, '-in', `data/custody/${stamped}.tsr`, '-CAfile', tsaInfo.ca,
], {cwd: bagDir})
// A hand-over to HQ: HQ's own case, its custodian identity given to the field team, a package
// sent, accepted at HQ with a signed receipt (the exhibits numbered HQ-…), one exhibit's story
// across custodians, HQ's seal, the receipt recorded in the field, and the field's copies purged.
const hqDir = join(work, 'hq')
step("HQ's case (another laptop, another passphrase in real life)", ['init', hqDir, '--title', 'Demo: HQ', '--investigator', 'Demo HQ', '--organisation', 'custody demo', '--role', 'hq', '--passphrase-file', passphraseFile])
const identityLine = (dir) => spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'key', 'show', '--public', '--case', dir, '--passphrase-file', passphraseFile], {encoding: 'utf8'}).stdout
const [hqLine, fieldLine] = [join(work, 'hq.custodian'), join(work, 'field.custodian')]
writeFileSync(hqLine, identityLine(hqDir))
writeFileSync(fieldLine, identityLine(caseDir))
const pkg = join(work, 'to-hq.zip.age')
step("Send the exhibits to HQ: one file, encrypted to HQ alone (testimony stays: no consent covers a hand-over)", [
  'transfer', 'export', '--to', hqLine, '--out', pkg, '--purpose', 'demonstration hand-over', '--case', caseDir, '--passphrase-file', passphraseFile,
])
step('HQ accepts it: verified, split views refused, kept, recorded, and a signed receipt written', [
  'transfer', 'accept', pkg, '--from', fieldLine, '--case', hqDir, '--passphrase-file', passphraseFile,
])
step("One received exhibit's story across custodians: the field's events (from the package HQ keeps, verified again), then HQ's", [
  'log', 'HQ-000001', '--custodians', '--case', hqDir, '--passphrase-file', passphraseFile,
])
const hqArchive = join(work, 'hq-court.zip')
step("HQ seals the received exhibits, under HQ's exhibit IDs, for the court", ['seal', '--out', hqArchive, '--purpose', 'court', '--case', hqDir, '--passphrase-file', passphraseFile])
step("Verify HQ's archive: the field's signed record of each hand-over and HQ's receipt are in it, and every hand is listed", ['verify', hqArchive])
const hqPem = join(work, 'hq.pem')
step("HQ's public key, for whoever checks its receipts", ['key', 'export', '--out', hqPem, '--case', hqDir])
run("  HQ's signature on the receipt, checked with openssl", 'openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', hqPem, '-rawin', '-in', `${pkg}.receipt`, '-sigfile', `${pkg}.receipt.sig`])
step('The field records the receipt: the exhibits are acknowledged by HQ', ['transfer', 'receipt', `${pkg}.receipt`, '--case', caseDir, '--passphrase-file', passphraseFile])
step('Nothing waits for HQ any more', ['status', '--case', caseDir, '--passphrase-file', passphraseFile])
step("Get the evidence off the laptop: what HQ's receipt acknowledges is purged from the field vault, a purged event each", [
  'transfer', 'purge', '--acknowledged-by', hqLine, '--yes', '--case', caseDir, '--passphrase-file', passphraseFile,
])
step('Verify the field case again: the purged exhibits are reported as purged, each standing on a kept receipt, not missing', ['verify', '--case', caseDir, '--passphrase-file', passphraseFile])
tsa.kill('SIGTERM')
process.stdout.write(`\nDemo complete. The case is in ${caseDir}, the archive is ${archive}; its README.txt explains every check. HQ's case is in ${hqDir}.\n`)
