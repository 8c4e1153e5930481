/**
 * `custody verify ARCHIVE`: the tamper matrix for sealed archives. Each tampered archive is made
 * as a forger would: unzip, change, zip again with the system zip (or Python's zipfile for entries
 * zip will not write); a careful forger also rewrites the manifests so that deeper checks must
 * catch the change.
 */
import {spawnSync} from 'node:child_process'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {forgeBag, recommitted, sealedAndUnzipped} from '../helpers/bag.js'
import {custody, custodyJson, newCase, SAMPLES, tempDir} from '../helpers/cli.js'

interface ArchiveJson {
  ok: boolean
  problems: Array<{check: string; subject: string; message: string; expected?: string; actual?: string}>
}

const work = tempDir('custody-archive-')
let kase: {dir: string; remove: () => void}
let archive: string
let pristine: string
let bag: string
let n = 0

function forge(change: (bagDir: string) => void, options: {rewriteManifests?: boolean} = {}): string {
  return forgeBag(pristine, bag, join(work.path, `forge-${n++}`), change, options)
}

/** Python's zipfile writes what zip will not: duplicate names, `../x`, symlink entries. */
type PythonForgery = 'duplicate' | 'nfc-duplicate' | 'dotdot' | 'absolute' | 'backslash' | 'outside' | 'symlink'

function forgeWithPython(kind: PythonForgery): string {
  const out = join(work.path, `py-${kind}.zip`)
  const script = `
import sys, zipfile
src, out, kind = sys.argv[1], sys.argv[2], sys.argv[3]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, 'w') as zout:
    names = zin.namelist()
    for name in names:
        zout.writestr(zin.getinfo(name), zin.read(name))
    top = names[0].split('/')[0]
    if kind == 'duplicate':
        zout.writestr(names[0], b'a second file under the same name')
    elif kind == 'nfc-duplicate':
        zout.writestr(top + '/data/Cafe\u0301.txt', b'decomposed')
        zout.writestr(top + '/data/Caf\u00e9.txt', b'composed')
    elif kind == 'dotdot':
        zout.writestr(top + '/../x', b'outside the bag')
    elif kind == 'absolute':
        zout.writestr('/etc/cron.d/x', b'absolute')
    elif kind == 'backslash':
        zout.writestr(top + chr(92) + 'data' + chr(92) + 'x.txt', b'backslashes')
    elif kind == 'outside':
        zout.writestr('another-folder/x.txt', b'a second top folder')
    else:
        info = zipfile.ZipInfo(top + '/data/link')
        info.create_system = 3
        info.external_attr = (0o120777 << 16)
        zout.writestr(info, '/etc/passwd')
`
  const result = spawnSync('python3', ['-W', 'ignore', '-c', script, archive, out, kind], {encoding: 'utf8'})
  expect(result.status, result.stderr).toBe(0)
  return out
}

async function verifyFails(zip: string): Promise<ArchiveJson['problems']> {
  const result = await custodyJson<ArchiveJson>(['verify', zip])
  expect(result.code, JSON.stringify(result.json.problems ?? result.json)).toBe(3)
  expect(result.json.ok).toBe(false)
  return result.json.problems
}

beforeAll(async () => {
  kase = await newCase()
  expect((await custody(['ingest', ...['GPS.jpg', 'Ricoh2.jpg', 'Canon.jpg'].map((f) => join(SAMPLES, f)), '--case', kase.dir])).code).toBe(0)
  ;({archive, bag, pristine} = await sealedAndUnzipped(kase.dir, work.path))
})

afterAll(() => {
  kase.remove()
  work.remove()
})

describe('verifying a sealed archive', () => {
  it('passes as sealed, and after another tool unzipped and zipped it again (deflated)', async () => {
    const ok = await custodyJson<ArchiveJson & {exhibits: number}>(['verify', archive])
    expect(ok.code).toBe(0)
    expect(ok.json.exhibits).toBe(3)
    const rezipped = join(work.path, 'rezipped.zip')
    expect(spawnSync('zip', ['-q', '-r', '-9', rezipped, bag], {cwd: pristine}).status).toBe(0)
    const again = await custody(['verify', rezipped])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('Archive intact')
  })

  it('says plainly when the archive is not there (exit 2)', async () => {
    const missing = await custodyJson<{error: {message: string}}>(['verify', join(work.path, 'nope.zip')])
    expect(missing.code).toBe(2)
    expect(missing.json.error.message).toContain('give the path of a sealed archive')
  })

  it('works with no case anywhere near', async () => {
    const result = await custody(['verify', archive], {cwd: work.path, env: {CUSTODY_CASE: '/nonexistent'}})
    expect(result.code).toBe(0)
  })
})

describe('the tamper matrix', () => {
  it('one byte of an exhibit flipped', async () => {
    const zip = forge((b) => {
      const file = join(b, 'data/exhibits/EX-000002/original/Ricoh2.jpg')
      const bytes = readFileSync(file)
      bytes[200]! ^= 0x01
      writeFileSync(file, bytes)
    })
    const problems = await verifyFails(zip)
    expect(problems).toContainEqual(expect.objectContaining({check: 'manifests', subject: 'data/exhibits/EX-000002/original/Ricoh2.jpg', message: expect.stringContaining('SHA-256 does not match manifest-sha256.txt')}))
    expect(problems).toContainEqual(expect.objectContaining({check: 'statement', subject: 'EX-000002'}))
  })

  it('an exhibit removed', async () => {
    const problems = await verifyFails(forge((b) => rmSync(join(b, 'data/exhibits/EX-000001/original/GPS.jpg'))))
    expect(problems).toContainEqual(expect.objectContaining({subject: 'data/exhibits/EX-000001/original/GPS.jpg', message: expect.stringContaining('but not in the bag')}))
    expect(problems).toContainEqual(expect.objectContaining({check: 'statement', subject: 'EX-000001', message: expect.stringContaining('is not in the bag')}))
  })

  it('a file added', async () => {
    const problems = await verifyFails(forge((b) => writeFileSync(join(b, 'data/exhibits/EX-000001/original/planted.jpg'), 'planted')))
    expect(problems).toContainEqual(expect.objectContaining({subject: 'data/exhibits/EX-000001/original/planted.jpg', message: 'is in the bag but not in manifest-sha256.txt'}))
    expect(problems).toContainEqual(expect.objectContaining({check: 'oxum'}))
  })

  it('a manifest line edited', async () => {
    const problems = await verifyFails(
      forge((b) => {
        const file = join(b, 'manifest-sha512.txt')
        writeFileSync(file, readFileSync(file, 'utf8').replace(/^[0-9a-f]/, (c) => (c === '0' ? '1' : '0')))
      }),
    )
    expect(problems).toContainEqual(expect.objectContaining({check: 'manifests', message: expect.stringContaining('SHA-512 does not match manifest-sha512.txt line 1')}))
    expect(problems).toContainEqual(expect.objectContaining({subject: 'manifest-sha512.txt', message: expect.stringContaining('tagmanifest')}))
  })

  it('a manifest line repeated after a blank line, and a line that is not one, named by line number', async () => {
    const repeated = await verifyFails(
      forge((b) => {
        const file = join(b, 'manifest-sha256.txt')
        const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
        writeFileSync(file, `${[lines[0], '', ...lines.slice(1), lines[1]].join('\n')}\n`)
      }),
    )
    const listedTwice = repeated.filter((p) => p.message.includes('listed twice'))
    expect(listedTwice).toEqual([expect.objectContaining({check: 'manifests', subject: expect.stringMatching(/^manifest-sha256\.txt line \d+$/)})])
    // Line numbers count the blank line: the repeat is the last line, one past the original count.
    const manifestLines = readFileSync(join(pristine, bag, 'manifest-sha256.txt'), 'utf8').trimEnd().split('\n').length
    expect(listedTwice[0]!.subject).toBe(`manifest-sha256.txt line ${manifestLines + 2}`)

    const garbled = await verifyFails(
      forge((b) => {
        const file = join(b, 'manifest-sha512.txt')
        const lines = readFileSync(file, 'utf8').split('\n')
        lines.splice(2, 0, 'this is not a manifest line')
        writeFileSync(file, lines.join('\n'))
      }),
    )
    expect(garbled).toContainEqual(expect.objectContaining({check: 'manifests', subject: 'manifest-sha512.txt', message: 'line 3 is not "<digest>  <path>"'}))
    expect(garbled.filter((p) => p.message.includes('but not in manifest-sha512.txt'))).toEqual([])
  })

  // The case's ledger is sealed (init's default): its events travel in clear beside their
  // envelopes, salts and commitments, and each hash is over the envelope. An event edited alone
  // no longer matches its envelope's commitment; with the commitment made again, its hash, leaf
  // hash and inclusion proof no longer hold.
  it('an event edited, even with the manifests rewritten to match', async () => {
    const zip = forge(
      (b) => {
        const file = join(b, 'data/custody/events.jsonl')
        writeFileSync(file, readFileSync(file, 'utf8').replace('"actor":"A. Investigator"', '"actor":"Someone Else"'))
      },
      {rewriteManifests: true},
    )
    const problems = await verifyFails(zip)
    expect(problems).toContainEqual(expect.objectContaining({check: 'events', subject: 'event 0', message: "has an event that does not match its envelope's commitment"}))
    expect(problems).toContainEqual(expect.objectContaining({check: 'events', message: expect.stringContaining('is not the events file the seal statement names')}))
  })

  it("an event edited, its envelope's commitment made again to match, with the manifests rewritten", async () => {
    const zip = forge(
      (b) => {
        const file = join(b, 'data/custody/events.jsonl')
        const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
        const first = lines.findIndex((l) => l.includes('"actor":"A. Investigator"'))
        lines[first] = recommitted(lines[first]!.replace('"actor":"A. Investigator"', '"actor":"Someone Else"'))
        writeFileSync(file, lines.map((l) => `${l}\n`).join(''))
      },
      {rewriteManifests: true},
    )
    const problems = await verifyFails(zip)
    expect(problems).not.toContainEqual(expect.objectContaining({message: expect.stringContaining('commitment')}))
    expect(problems).toContainEqual(expect.objectContaining({check: 'events', subject: 'event 0', message: expect.stringContaining('its hash does not match its content')}))
    expect(problems).toContainEqual(expect.objectContaining({check: 'events', message: expect.stringContaining('inclusion proof does not lead to the sealed tree head')}))
  })

  it('an event removed, even with the manifests rewritten to match', async () => {
    const zip = forge(
      (b) => {
        const file = join(b, 'data/custody/events.jsonl')
        const lines = readFileSync(file, 'utf8').trim().split('\n')
        writeFileSync(file, `${lines.filter((_, i) => i !== 3).join('\n')}\n`)
      },
      {rewriteManifests: true},
    )
    const problems = await verifyFails(zip)
    expect(problems).toContainEqual(expect.objectContaining({check: 'events', message: expect.stringContaining('is not the events file the seal statement names')}))
    expect(problems).toContainEqual(expect.objectContaining({check: 'events', subject: 'EX-000002', message: 'its ingest event is not in the archive'}))
  })

  it('the seal statement edited', async () => {
    const zip = forge(
      (b) => {
        const file = join(b, 'data/custody/seal.json')
        const statement = JSON.parse(readFileSync(file, 'utf8')) as {exhibits: Array<{sha256: string}>}
        statement.exhibits[0]!.sha256 = 'f'.repeat(64)
        writeFileSync(file, JSON.stringify(statement, null, 2))
      },
      {rewriteManifests: true},
    )
    const problems = await verifyFails(zip)
    expect(problems).toContainEqual(expect.objectContaining({check: 'statement', subject: 'EX-000001', message: expect.stringContaining("seal statement's SHA-256 does not match"), expected: 'f'.repeat(64)}))
  })

  it('the tree head edited, in the signed checkpoint and the statement', async () => {
    const zip = forge(
      (b) => {
        for (const name of ['data/custody/checkpoint.json', 'data/custody/seal.json']) {
          const file = join(b, name)
          writeFileSync(file, readFileSync(file, 'utf8').replace(/("root(?:Hash)?": ?")([0-9a-f])/, (_, head: string, c: string) => `${head}${c === '0' ? '1' : '0'}`))
        }
      },
      {rewriteManifests: true},
    )
    const problems = await verifyFails(zip)
    const proofs = problems.filter((p) => p.message.includes('inclusion proof does not lead to the sealed tree head'))
    expect(proofs.length).toBeGreaterThanOrEqual(4)
    expect(problems).toContainEqual(expect.objectContaining({check: 'signatures', subject: 'data/custody/checkpoint.json', message: expect.stringContaining('signature does not verify')}))
    expect(problems).toContainEqual(expect.objectContaining({check: 'signatures', subject: 'data/custody/seal.json', message: expect.stringContaining('seal.json.sig does not verify')}))
  })

  it('an inclusion proof edited', async () => {
    const zip = forge(
      (b) => {
        const file = join(b, 'data/custody/events.jsonl')
        const lines = readFileSync(file, 'utf8').trim().split('\n')
        const entry = JSON.parse(lines[2]!) as {inclusionProof: string[]}
        entry.inclusionProof[0] = 'a'.repeat(64)
        lines[2] = JSON.stringify(entry)
        writeFileSync(file, `${lines.join('\n')}\n`)
      },
      {rewriteManifests: true},
    )
    const problems = await verifyFails(zip)
    expect(problems).toContainEqual(expect.objectContaining({check: 'events', subject: 'event 2', message: expect.stringContaining('inclusion proof does not lead to the sealed tree head')}))
  })

  it('two entries with the same name', async () => {
    const problems = await verifyFails(forgeWithPython('duplicate'))
    expect(problems).toContainEqual(expect.objectContaining({check: 'zip', message: 'two entries have this same name'}))
  })

  it('an entry named ../x', async () => {
    const problems = await verifyFails(forgeWithPython('dotdot'))
    expect(problems).toEqual([expect.objectContaining({check: 'zip', message: expect.stringMatching(/not a readable ZIP: .*\.\.\/x/)})])
  })

  it('two names that are the same after Unicode normalisation', async () => {
    const problems = await verifyFails(forgeWithPython('nfc-duplicate'))
    expect(problems).toContainEqual(expect.objectContaining({check: 'zip', message: expect.stringContaining('the same after Unicode normalisation')}))
  })

  it('an absolute name, a name with backslashes, and a second top folder', async () => {
    expect(await verifyFails(forgeWithPython('absolute'))).toEqual([expect.objectContaining({check: 'zip', message: expect.stringMatching(/not a readable ZIP: .*absolute path/)})])
    expect(await verifyFails(forgeWithPython('backslash'))).toEqual([expect.objectContaining({check: 'zip', message: expect.stringMatching(/not a readable ZIP: .*\\/)})])
    expect(await verifyFails(forgeWithPython('outside'))).toContainEqual(expect.objectContaining({check: 'zip', message: expect.stringContaining('expected exactly one top-level folder')}))
  })

  it('a symlink entry', async () => {
    const problems = await verifyFails(forgeWithPython('symlink'))
    expect(problems).toContainEqual(expect.objectContaining({check: 'zip', subject: expect.stringMatching(/\/data\/link$/), message: expect.stringContaining('symbolic link')}))
  })

  it('an entry that lies about its size', async () => {
    // Claim, in the central directory, that README.txt is 100 bytes longer than it is.
    const bytes = Buffer.from(readFileSync(archive))
    const name = Buffer.from(`${bag}/README.txt`)
    let at = -1
    for (let i = bytes.length - 22; i >= 0; i--) {
      if (bytes.readUInt32LE(i) === 0x02014b50 && bytes.subarray(i + 46, i + 46 + name.length).equals(name)) {
        at = i
        break
      }
    }

    expect(at).toBeGreaterThan(0)
    bytes.writeUInt32LE(bytes.readUInt32LE(at + 20) + 100, at + 20)
    bytes.writeUInt32LE(bytes.readUInt32LE(at + 24) + 100, at + 24)
    const liar = join(work.path, 'liar.zip')
    writeFileSync(liar, bytes)
    const problems = await verifyFails(liar)
    expect(problems).toContainEqual(expect.objectContaining({check: 'zip', message: expect.stringMatching(/README\.txt|size/)}))
    // An archive whose entries cannot all be read is not checked further.
    expect(problems.filter((p) => p.check !== 'zip')).toEqual([])

    // A stored entry whose two sizes disagree: only the uncompressed one grows (yauzl refuses it
    // when listing the entries; the stored reader would too).
    const halfLiar = Buffer.from(readFileSync(archive))
    halfLiar.writeUInt32LE(halfLiar.readUInt32LE(at + 24) + 100, at + 24)
    writeFileSync(liar, halfLiar)
    const stored = await verifyFails(liar)
    expect(stored.filter((p) => p.check !== 'zip')).toEqual([])
    expect(stored).toContainEqual(expect.objectContaining({check: 'zip', message: expect.stringMatching(/size mismatch for stored file: \d+ != \d+|a stored entry of \d+ bytes says it takes \d+/)}))
  })

  it('an entry whose data cannot be found is named, and nothing further is checked', async () => {
    // Overwrite the signature of one exhibit's local header: the central directory still lists it.
    const located = spawnSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); i = [e for e in z.infolist() if e.filename.endswith("Ricoh2.jpg")][0]; print(i.header_offset)', archive], {encoding: 'utf8'})
    expect(located.status, located.stderr).toBe(0)
    const bytes = Buffer.from(readFileSync(archive))
    bytes.writeUInt32LE(0x12345678, Number(located.stdout.trim()))
    const damaged = join(work.path, 'no-local-header.zip')
    writeFileSync(damaged, bytes)
    const problems = await verifyFails(damaged)
    expect(problems).toEqual([expect.objectContaining({check: 'zip', subject: expect.stringMatching(/Ricoh2\.jpg$/), message: expect.stringContaining('no local header at')})])
  })

  it('a truncated ZIP', async () => {
    const truncated = join(work.path, 'truncated.zip')
    const bytes = readFileSync(archive)
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100))
    const problems = await verifyFails(truncated)
    expect(problems).toEqual([expect.objectContaining({check: 'zip', message: expect.stringContaining('not a readable ZIP')})])
    const text = await custody(['verify', truncated])
    expect(text.code).toBe(3)
    expect(text.stdout).toContain('ARCHIVE CHECK FAILED')
  })
})
