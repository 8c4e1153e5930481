#!/usr/bin/env node
// The Quick-start demo: a fresh case in a temporary folder, the bundled fixtures ingested, the log
// shown, one exhibit shown, the case verified. Runs the built CLI as a user would, and fails
// loudly if any step does not give the exit code it should.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const samples = join(root, 'fixtures', 'camera-samples')
const work = mkdtempSync(join(tmpdir(), 'custody-demo-'))
const caseDir = join(work, 'case')
// The passphrase that protects the demo case's signing key. A real one is typed at the prompt, or
// kept where only its owner can read it.
const passphraseFile = join(work, 'passphrase.txt')
writeFileSync(passphraseFile, 'demo passphrase, not a secret\n', {mode: 0o600})

function step(title, args, expectedCode = 0) {
  process.stdout.write(`\n== ${title}\n$ custody ${args.map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n`)
  const result = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], {
    cwd: work,
    stdio: 'inherit',
    env: {...process.env, CUSTODY_PASSPHRASE: ''},
  })
  if (result.status !== expectedCode) {
    process.stderr.write(`\ndemo failed: \`custody ${args[0]}\` exited ${result.status}, expected ${expectedCode}\n`)
    process.exit(1)
  }
}

const files = readdirSync(samples)
  .filter((name) => name !== 'expected-tags.json')
  .sort()
  .map((name) => join(samples, name))

step('Make a case', ['init', caseDir, '--title', 'Demo: camera samples', '--investigator', 'Demo Investigator', '--organisation', 'custody demo', '--passphrase-file', passphraseFile])
step('Ingest the bundled fixtures (photos, raw, video, audio, PDF)', [
  'ingest',
  ...files,
  '--case',
  caseDir,
  '--collected-by',
  'Demo Investigator',
  '--source',
  'fixtures/camera-samples',
  '--passphrase-file',
  passphraseFile,
])
step('Present one file again: no second exhibit', ['ingest', join(samples, 'GPS.jpg'), '--case', caseDir, '--passphrase-file', passphraseFile])
step('The custody log', ['log', '--case', caseDir])
step('One exhibit in full: a photo with GPS', ['show', 'EX-000015', '--case', caseDir])
step('Verify the case', ['verify', '--case', caseDir])
process.stdout.write(`\nDemo complete. The case is in ${caseDir}; try \`custody log --case ${caseDir}\`.\n`)
