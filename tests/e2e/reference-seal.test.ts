/**
 * The reference case (fixtures/reference-case: the demo's case before its seal, frozen) sealed at a
 * fixed time must give the same archive, byte for byte, as custody gave when the case was made.
 * Any change to how custody writes an archive (entry order, a manifest line, bag-info, the README,
 * the statement, the ZIP's own structure) shows here, entry by entry; a change that is meant must
 * say so by updating fixtures/reference-case/sealed.sha256sums, and the CHANGELOG.
 */
import {createHash} from 'node:crypto'
import {chmodSync, mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {spawnSync} from 'node:child_process'
import {afterAll, describe, expect, it} from 'vitest'
import {copyCase, custody, ownModes, ROOT, tempDir} from '../helpers/cli.js'

const reference = join(ROOT, 'fixtures', 'reference-case')
const work = tempDir('custody-reference-seal-')
afterAll(() => work.remove())

/** The case copied to `name` in the work folder, with custody's modes. */
function referenceCase(name: string): string {
  const dir = copyCase(join(reference, 'case'), join(work.path, name))
  chmodSync(dir, 0o700)
  ownModes(dir)
  return dir
}

const passphrase = join(work.path, 'passphrase.txt')

/**
 * Seals a copy of the reference case at the reference time, as reference.zip (README.txt names the
 * archive by its file name) in a folder of its own; gives the archive's path.
 */
async function sealReference(name: string): Promise<string> {
  const caseDir = referenceCase(name)
  mkdirSync(join(work.path, `${name}-out`))
  const out = join(work.path, `${name}-out`, 'reference.zip')
  const sealed = await custody(['seal', '--out', out, '--sealed-at', '2024-06-01T12:00:00Z', '--purpose', 'court', '--note', 'reference', '--case', caseDir, '--passphrase-file', passphrase])
  expect(sealed.code, sealed.stderr).toBe(0)
  return out
}

/** `sha256sum` lines of every file the archive holds, as unzip extracts them. */
function entryDigests(archive: string, into: string): string[] {
  const unzip = spawnSync('unzip', ['-q', archive, '-d', into], {encoding: 'utf8'})
  expect(unzip.status, unzip.stderr).toBe(0)
  const sums = spawnSync('sh', ['-c', 'find . -type f | LC_ALL=C sort | xargs sha256sum'], {cwd: into, encoding: 'utf8'})
  expect(sums.status, sums.stderr).toBe(0)
  return sums.stdout.trim().split('\n')
}

describe('the reference case, sealed at its reference time', () => {
  it('gives the reference archive: every entry, then every byte', async () => {
    chmodSync(join(reference, 'passphrase.txt'), 0o600)
    spawnSync('cp', [join(reference, 'passphrase.txt'), passphrase])
    chmodSync(passphrase, 0o600)
    const archive = await sealReference('first')
    const expected = readFileSync(join(reference, 'sealed.sha256sums'), 'utf8').trim().split('\n')
    const [archiveLine, ...entryLines] = expected
    expect(entryDigests(archive, join(work.path, 'first-unzipped'))).toEqual(entryLines)
    expect(`${createHash('sha256').update(readFileSync(archive)).digest('hex')}  archive`).toBe(archiveLine)
  })

  it('gives the same archive from a copy of the case in another folder', async () => {
    const [first, second] = [join(work.path, 'first-out', 'reference.zip'), await sealReference('elsewhere')]
    expect(readFileSync(second).equals(readFileSync(first))).toBe(true)
  })
})
