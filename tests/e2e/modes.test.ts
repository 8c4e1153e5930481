/**
 * File modes (issue 16, item 8): whatever the umask, everything custody makes inside a case is
 * its owner's alone (folders 0700, files 0600, vault objects 0400), and so are a seal's scratch
 * files, its archive and the $EDITOR temp file of a testimony. `custody verify` warns about a case
 * whose modes are wider, as cases made before were (0755 and 0644 under umask 022).
 */
import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, copyCase, custody, custodyJson, PASSPHRASE, SAMPLES, tempDir} from '../helpers/cli.js'
import {Terminal} from '../helpers/terminal.js'

const UMASK = 0o022
const work = tempDir('custody-modes-')
const dir = join(work.path, 'case')
const dataDir = join(dir, '.custody')
const passphraseFile = join(work.path, 'passphrase.txt')

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0')

/** Every folder and file under `root` (itself included), relative to `base`, with its mode, as `find -printf '%m'` gives. */
function modesUnder(root: string, base = dir): Array<{path: string; mode: string; folder: boolean}> {
  const found: Array<{path: string; mode: string; folder: boolean}> = []
  const visit = (path: string): void => {
    const stat = lstatSync(path)
    found.push({path: relative(base, path), mode: octal(stat.mode), folder: stat.isDirectory()})
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name))
  }

  visit(root)
  return found
}

/** What each entry's mode should be: vault objects read-only, other files 0600, folders 0700. */
function expectedMode(entry: {path: string; folder: boolean}): string {
  if (entry.folder) return '0700'
  return /^\.custody\/vault\/(sha256\/[0-9a-f]{2}\/[0-9a-f]{64}|objects\/[0-9a-f]{2}\/[0-9a-f]{64}\.age)$/.test(entry.path) ? '0400' : '0600'
}

function wrongModes(root: string): string[] {
  return modesUnder(root)
    .filter((entry) => entry.mode !== expectedMode(entry))
    .map((entry) => `${entry.path} ${entry.mode} (expected ${expectedMode(entry)})`)
}

beforeAll(async () => {
  writeFileSync(passphraseFile, `${PASSPHRASE}\n`, {mode: 0o600})
  const init = await custody(['init', dir, '--title', 'Modes', '--investigator', 'A. Investigator'], {umask: UMASK})
  expect(init.code, init.stderr).toBe(0)
  // Enough bytes that a seal takes long enough to be watched while it works.
  const clips = join(work.path, 'clips')
  mkdirSync(clips)
  for (let i = 0; i < 40; i++) writeFileSync(join(clips, `clip-${i}.mp4`), Buffer.alloc(2 * 1024 * 1024, i + 1))
  const ingest = await custody(['ingest', clips, '-r', join(SAMPLES, 'Canon.jpg'), '--case', dir], {umask: UMASK})
  expect(ingest.code, ingest.stderr).toBe(0)
  const statement = join(work.path, 'statement.txt')
  writeFileSync(statement, 'I saw the convoy pass at dawn.\n')
  const testimony = await custody(
    [
      'testimony',
      'add',
      '--witness',
      'W-001',
      '--interviewed-at',
      '2024-03-05T10:00+02:00',
      '--place',
      'Kyiv, safe location',
      '--interviewer',
      'A. Investigator',
      '--consent',
      'court',
      '--consent-method',
      'signed-form',
      '--statement-file',
      statement,
      '--witness-name',
      'Olena Kovalenko',
      '--case',
      dir,
    ],
    {umask: UMASK},
  )
  expect(testimony.code, testimony.stderr).toBe(0)
  // A rotation writes a new key file and rewraps the identity key under the new passphrase.
  const rotate = await custody(['key', 'rotate', '--reason', 'a test of file modes', '--new-passphrase-file', passphraseFile, '--case', dir], {umask: UMASK})
  expect(rotate.code, rotate.stderr).toBe(0)
})

afterAll(() => {
  work.remove()
})

describe('file modes under umask 022', () => {
  it('makes every folder in .custody 0700, every file 0600 and vault objects 0400', () => {
    const entries = modesUnder(dataDir)
    // The case's parts are all there to be checked: ledger, head, keys, identity key, case keys (rewrapped by the rotation), vault objects.
    const caseKeys = ['.custody/keys/case-identity.age', '.custody/keys/address-key.age', '.custody/keys/address-key.recipients.age', '.custody/recipients.txt']
    for (const part of ['.custody/ledger.sqlite', '.custody/head.json', '.custody/keys/identities.json', ...caseKeys]) expect(entries.map((e) => e.path)).toContain(part)
    expect(entries.filter((e) => e.path.startsWith('.custody/keys/') && e.path.endsWith('.json'))).toHaveLength(3)
    expect(entries.filter((e) => expectedMode(e) === '0400').length).toBeGreaterThan(41)
    expect(wrongModes(dataDir)).toEqual([])
  })

  it('keeps a seal scratch files, the ledger WAL and its own records 0600 while it works, and writes the archive 0600', async () => {
    const outDir = join(work.path, 'out')
    mkdirSync(outDir)
    const out = join(outDir, 'sealed.zip')
    const child = spawn('sh', ['-c', `umask 022; exec "$0" "$@"`, process.execPath, BIN, 'seal', '--out', out, '--allow-left-out', '--case', dir], {stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    let running = true
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => ((running = false), resolve(code))))
    const seen = new Map<string, string>()
    const look = (path: string): void => {
      try {
        seen.set(relative(work.path, path), octal(lstatSync(path).mode))
      } catch {
        // Gone between the listing and the look: it was removed, which is what should happen.
      }
    }

    while (running) {
      for (const name of readdirSync(outDir)) if (name !== 'sealed.zip') look(join(outDir, name))
      for (const name of ['ledger.sqlite-wal', 'ledger.sqlite-shm']) look(join(dataDir, name))
      if (existsSync(join(dataDir, 'seals'))) {
        look(join(dataDir, 'seals'))
        for (const name of readdirSync(join(dataDir, 'seals'))) look(join(dataDir, 'seals', name))
      }

      await new Promise((resolve) => setTimeout(resolve, 2))
    }

    expect(await exited, stderr).toBe(0)
    const names = [...seen.keys()]
    // The temporary archive, its central directory and the other scratch files were all seen.
    expect(names.some((n) => /^out\/\.sealed\.zip\.\d+-[0-9a-f]{8}\.partial$/.test(n)), names.join(', ')).toBe(true)
    expect(names.some((n) => n.endsWith('.partial.central')), names.join(', ')).toBe(true)
    expect(names.some((n) => n.endsWith('.partial.statement')), names.join(', ')).toBe(true)
    expect(names).toContain('case/.custody/ledger.sqlite-wal')
    expect(names).toContain('case/.custody/ledger.sqlite-shm')
    const wrong = [...seen].filter(([name, mode]) => mode !== (name === 'case/.custody/seals' ? '0700' : '0600'))
    expect(wrong).toEqual([])
    expect(octal(statSync(out).mode)).toBe('0600')
    expect(readdirSync(outDir)).toEqual(['sealed.zip'])
    expect(wrongModes(dataDir)).toEqual([])
  })

  it('exports the public key readable by all, as a public key is meant to be handed out', async () => {
    const pem = join(work.path, 'investigator.pem')
    const result = await custody(['key', 'export', '--out', pem, '--case', dir], {umask: 0o077})
    expect(result.code, result.stderr).toBe(0)
    expect(octal(statSync(pem).mode)).toBe('0644')
  })

  it('gives $EDITOR a statement file only its owner can read, in a folder only its owner can open', async () => {
    const record = join(work.path, 'editor-saw.txt')
    const editor = join(work.path, 'editor.sh')
    writeFileSync(editor, `#!/bin/sh\nstat -c '%a %n' "$1" "$(dirname "$1")" > '${record}'\nprintf 'The convoy passed at six, not at dawn.\\n' > "$1"\n`)
    chmodSync(editor, 0o755)
    const exitFile = join(work.path, 'amend.exit')
    using term = new Terminal(['testimony', 'amend', 'W-001', '--reason', 'the witness corrected the time', '--passphrase-file', passphraseFile, '--case', dir], {
      cwd: work.path,
      env: {EDITOR: editor, VISUAL: editor},
      exitFile,
      umask: UMASK,
    })
    await term.answer('launch your preferred editor', '')
    for (let i = 0; i < 300 && !(existsSync(exitFile) && readFileSync(exitFile, 'utf8').trim() !== ''); i++) await new Promise((resolve) => setTimeout(resolve, 100))
    expect(readFileSync(exitFile, 'utf8').trim(), term.screen()).toBe('0')
    const [file, folder] = readFileSync(record, 'utf8').trim().split('\n').map((line) => line.split(' ')[0])
    expect({file, folder}).toEqual({file: '600', folder: '700'})
    expect(wrongModes(dataDir)).toEqual([])
  })
})

describe('custody verify of a case with wider modes', () => {
  it('warns, naming paths and modes and what to run, keeps working, and stops warning once fixed', async () => {
    // A case as custody made it before, under umask 022: folders 0755, files 0644, objects 0444.
    const old = join(work.path, 'old-case')
    copyCase(dir, old)
    for (const entry of modesUnder(join(old, '.custody'), old)) {
      chmodSync(join(old, entry.path), entry.folder ? 0o755 : expectedMode(entry) === '0400' ? 0o444 : 0o644)
    }

    const verify = await custodyJson<{ok: boolean; warnings: string[]}>(['verify', '--case', old])
    expect(verify.code, verify.stderr).toBe(0)
    expect(verify.json.ok).toBe(true)
    const warning = verify.json.warnings.find((w) => w.includes('chmod -R go-rwx'))
    expect(warning, verify.json.warnings.join('\n')).toBeDefined()
    expect(warning).toContain(`${old}/.custody (0755)`)
    expect(warning).toContain(`chmod -R go-rwx ${old}/.custody`)
    expect(warning).toMatch(/other users/)
    const text = await custody(['verify', '--case', old])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('.custody/ledger.sqlite (0644)')

    // It keeps working: a new file goes in, and a seal is made.
    const extra = join(work.path, 'extra.txt')
    writeFileSync(extra, 'one more note\n')
    expect((await custody(['ingest', extra, '--case', old])).code).toBe(0)
    expect((await custody(['seal', '1', '--out', join(work.path, 'old.zip'), '--case', old])).code).toBe(0)

    expect(spawnSync('chmod', ['-R', 'go-rwx', join(old, '.custody')]).status).toBe(0)
    const fixed = await custodyJson<{ok: boolean; warnings: string[]}>(['verify', '--case', old])
    expect(fixed.code).toBe(0)
    expect(fixed.json.warnings.filter((w) => w.includes('chmod'))).toEqual([])
  })

  it('warns about a single file opened to others, and a vault folder', async () => {
    chmodSync(join(dataDir, 'head.json'), 0o604)
    const objects = existsSync(join(dataDir, 'vault', 'objects')) ? 'objects' : 'sha256'
    const objectFolder = readdirSync(join(dataDir, 'vault', objects))[0]!
    chmodSync(join(dataDir, 'vault', objects, objectFolder), 0o750)
    try {
      const verify = await custodyJson<{ok: boolean; warnings: string[]}>(['verify', '--case', dir])
      expect(verify.code).toBe(0)
      const warning = verify.json.warnings.find((w) => w.includes('chmod -R go-rwx')) ?? ''
      expect(warning).toContain(`${dataDir}/head.json (0604)`)
      expect(warning).toContain(`${dataDir}/vault/${objects}/${objectFolder} (0750)`)
      expect(warning).toMatch(/^2 files or folders/)
    } finally {
      chmodSync(join(dataDir, 'head.json'), 0o600)
      chmodSync(join(dataDir, 'vault', objects, objectFolder), 0o700)
    }
  })
})
