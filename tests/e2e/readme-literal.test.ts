/**
 * The README.txt of a sealed archive is followed literally, as a court's expert would (issue 18):
 * every command it gives is typed as it is, in the folder it says, on an archive whose name needs
 * quoting, and must succeed; the same commands on a tampered copy must fail.
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, custody, newCase, SAMPLES, tempDir} from '../helpers/cli.js'
import {checker} from '../helpers/tools.js'

const work = tempDir('custody-readme-')
const ARCHIVE = "court bundle (W's copy).zip"
let readme: string
let kase: {dir: string; remove: () => void}

beforeAll(async () => {
  kase = await newCase()
  expect((await custody(['ingest', join(SAMPLES, 'Canon.jpg'), join(SAMPLES, 'GPS.jpg'), '--case', kase.dir])).code).toBe(0)
  const sealed = await custody(['seal', '--out', join(work.path, ARCHIVE), '--case', kase.dir])
  expect(sealed.code, sealed.stderr).toBe(0)
  readme = spawnSync('unzip', ['-p', join(work.path, ARCHIVE), '*/README.txt'], {encoding: 'utf8'}).stdout
})
afterAll(() => {
  kase.remove()
  work.remove()
})

/** The commands of README.txt (its lines indented by five spaces) that start with one of `starts`. */
function commands(...starts: string[]): string[] {
  return readme
    .split('\n')
    .filter((line) => line.startsWith('     '))
    .map((line) => line.trim())
    .filter((line) => starts.some((start) => line.startsWith(start)))
}

/** Runs `lines` in one POSIX shell started in `cwd`, stopping at the first that fails. */
function shell(cwd: string, lines: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync('sh', ['-e', '-c', lines.join('\n')], {cwd, encoding: 'utf8', env: {...process.env, ...env}})
}

describe("a sealed archive's README.txt, followed literally", () => {
  it('names the archive by its own name, quoted where a shell needs it, with no placeholder', () => {
    expect(readme).not.toMatch(/ARCHIVE\.zip|NAME\.zip/)
    expect(commands('unzip')).toEqual([`unzip 'court bundle (W'\\''s copy).zip'`])
    // Step 3 names it, and the end again.
    expect(new Set(commands('custody verify'))).toEqual(new Set([`custody verify 'court bundle (W'\\''s copy).zip'`]))
    expect(commands('bagit.py')).toEqual(['bagit.py --validate .'])
  })

  it('step 1 (Linux and macOS), step 3 (verify-bag.py) and step 4 (openssl) succeed as written, from the folder it says', () => {
    const folder = join(work.path, 'expert')
    mkdirSync(folder)
    writeFileSync(join(folder, ARCHIVE), readFileSync(join(work.path, ARCHIVE)))
    const bagit = checker('bagit.py')
    // The PowerShell block goes into the bag again (`cd` a second time): it is for Windows.
    const typed = [
      ...commands('unzip'),
      commands('cd ')[0]!,
      ...commands('sha256sum -c', 'sha512sum -c', 'shasum -a'),
      ...(bagit ? commands('bagit.py').map((c) => c.replace('bagit.py', `'${bagit}'`)) : []),
      ...commands('python3 verify-bag.py'),
    ]
    expect(typed).toHaveLength(bagit ? 12 : 11)
    const run = shell(folder, typed)
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0)
    expect(run.stdout).not.toMatch(/FAILED/)
    expect(run.stdout).toMatch(/^statement +OK/m)
    const bag = join(folder, commands('cd ')[0]!.slice(3))
    const signatures = shell(bag, commands('openssl pkeyutl -verify'))
    expect(signatures.status, signatures.stderr).toBe(0)
    expect(signatures.stdout.match(/Signature Verified Successfully/g)).toHaveLength(2)
    // custody verify, in the folder holding the archive, with custody as installed.
    const verify = shell(folder, [`custody() { '${process.execPath}' '${BIN}' "$@"; }`, ...commands('custody verify')])
    expect(verify.status, verify.stderr).toBe(0)
  })

  it('the same commands fail on a copy with one exhibit byte changed', () => {
    const folder = join(work.path, 'tampered')
    mkdirSync(folder)
    writeFileSync(join(folder, ARCHIVE), readFileSync(join(work.path, ARCHIVE)))
    const unpacked = shell(folder, [commands('unzip')[0]!, commands('cd ')[0]!])
    expect(unpacked.status, unpacked.stderr).toBe(0)
    const bag = commands('cd ')[0]!.slice(3)
    const original = spawnSync('sh', ['-c', 'ls data/exhibits/*/original/*'], {cwd: join(folder, bag), encoding: 'utf8'}).stdout.split('\n')[0]!
    const bytes = readFileSync(join(folder, bag, original))
    bytes[bytes.length - 1]! ^= 1
    writeFileSync(join(folder, bag, original), bytes)
    for (const step of [commands('sha256sum -c manifest-sha256.txt'), commands('shasum -a 256 -c manifest-sha256.txt'), commands('python3 verify-bag.py')]) {
      expect(step).toHaveLength(1)
      expect(shell(join(folder, bag), step).status, step[0]).not.toBe(0)
    }
  })
})
