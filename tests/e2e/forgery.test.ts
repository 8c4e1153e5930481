/**
 * The forgeries a court's opponent would make from one genuine archive, each built with outside
 * tools (Python's zipfile and struct, openssl, node's crypto) and each refused by `custody verify`:
 * a key substituted under the genuine fingerprint, a small-order key, one ZIP that is two
 * archives, local headers that say other than the directory, wrong CRC-32s, unsealed files inside
 * a bag, rewritten README.txt and bag-info.txt, and small hostile archives meant to exhaust it.
 */
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {forgeBag, sealedAndUnzipped} from '../helpers/bag.js'
import {custody, custodyJson, newCase, SAMPLES, tempDir} from '../helpers/cli.js'
import {digestsOfFile, fingerprint, forgerKey, identityPointKey, resealBag} from '../helpers/forge-archive.js'

interface ArchiveJson {
  ok: boolean
  trust: {signingKey: string | null; holder: string | null; signerPinned: boolean} | null
  checks: Array<{name: string; ok: boolean; status: string; detail: string}>
  problems: Array<{check: string; subject: string; message: string; expected?: string; actual?: string}>
  problemCount: number
}

const work = tempDir('custody-forgery-')
let kase: {dir: string; remove: () => void}
let archive: string
let pristine: string
let bag: string
let genuineFingerprint: string
let n = 0

const forge = (change: (bagDir: string) => void, options: {rewriteManifests?: boolean} = {}): string => forgeBag(pristine, bag, join(work.path, `forge-${n++}`), change, options)

async function verifyFails(zip: string, extra: string[] = []): Promise<ArchiveJson['problems']> {
  const result = await custodyJson<ArchiveJson>(['verify', zip, ...extra])
  expect(result.code, JSON.stringify(result.json.problems ?? result.json, null, 1)).toBe(3)
  expect(result.json.ok).toBe(false)
  return result.json.problems
}

function python(script: string, ...args: string[]): string {
  const result = spawnSync('python3', ['-W', 'ignore', '-c', script, ...args], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
  expect(result.status, result.stderr).toBe(0)
  return result.stdout
}

type Json = Record<string, unknown>

/** The planted photo: EX-000001's original replaced by another camera's, its digests put everywhere the forger can. */
function plant(bagDir: string): {sha256: string; sha512: string; size: number} {
  const target = join(bagDir, 'data/exhibits/EX-000001/original/GPS.jpg')
  copyFileSync(join(SAMPLES, 'Sony.jpg'), target)
  return digestsOfFile(target)
}

function withPlanted(planted: {sha256: string; sha512: string; size: number}): {events: (events: Json[]) => void; statement: (s: Json) => void} {
  return {
    events: (events) => {
      const ingest = events.find((e) => e.action === 'ingest' && e.exhibit === 'EX-000001')!
      const payload = ingest.payload as Json
      payload.digests = {...(payload.digests as Json), sha256: planted.sha256, sha512: planted.sha512}
      payload.size = planted.size
      // The event must stay one custody writes (parseEvent): in clear its vault path is its
      // SHA-256's; an encrypted object's is its keyed address as stored, which the forger keeps.
      if (payload.stored === undefined) payload.vault = `vault/sha256/${planted.sha256.slice(0, 2)}/${planted.sha256}`
    },
    statement: (s) => {
      const first = (s.exhibits as Json[])[0]!
      Object.assign(first, {sha256: planted.sha256, sha512: planted.sha512, size: planted.size})
    },
  }
}

beforeAll(async () => {
  kase = await newCase()
  const ingested = await custody(['ingest', join(SAMPLES, 'GPS.jpg'), join(SAMPLES, 'Canon.jpg'), '--case', kase.dir])
  expect(ingested.code, ingested.stderr).toBe(0)
  ;({archive, bag, pristine} = await sealedAndUnzipped(kase.dir, work.path, 'genuine'))
  genuineFingerprint = (JSON.parse(readFileSync(join(pristine, bag, 'data/custody/seal.json'), 'utf8')) as {key: {fingerprint: string}}).key.fingerprint
})

afterAll(() => {
  kase.remove()
  work.remove()
})

describe('whose signature: keys', () => {
  it('the forger helper makes archives that verify, as signed by the forger: so the refusals below are about the forgery, not the helper', async () => {
    const attacker = forgerKey()
    const zip = forge((b) => {
      const planted = withPlanted(plant(b))
      resealBag(b, attacker, {
        statement: planted.statement,
        events: (events) => {
          planted.events(events)
          const created = events.find((e) => e.action === 'key-created')!
          Object.assign(created.payload as Json, {publicKey: attacker.spki.toString('base64'), fingerprint: fingerprint(attacker.spki)})
        },
      })
    })
    const result = await custodyJson<ArchiveJson>(['verify', zip])
    expect(result.code, JSON.stringify(result.json.problems)).toBe(0)
    expect(result.json.trust).toMatchObject({signingKey: fingerprint(attacker.spki), signerPinned: false})
    // Without --key, the report does not let the forger's archive pass for the investigator's.
    const text = await custody(['verify', zip])
    expect(text.stdout).toContain('the key the archive itself names')

    // With the investigator's fingerprint, obtained from them, it fails.
    const pinned = await verifyFails(zip, ['--key', genuineFingerprint])
    expect(pinned).toEqual([
      expect.objectContaining({check: 'signatures', message: expect.stringContaining('which is not a key you gave with --key'), expected: genuineFingerprint, actual: fingerprint(attacker.spki)}),
    ])
  })

  it("the genuine archive passes --key with the investigator's fingerprint, in either form; a fingerprint that is not one is a usage error", async () => {
    const pinned = await custodyJson<ArchiveJson>(['verify', archive, '--key', genuineFingerprint])
    expect(pinned.code).toBe(0)
    expect(pinned.json.trust).toMatchObject({signingKey: genuineFingerprint, signerPinned: true})
    expect((await custody(['verify', archive, '--key', genuineFingerprint.slice(7).toUpperCase()])).stdout).toContain('a key you named')
    const bad = await custodyJson<{error: {message: string}}>(['verify', archive, '--key', 'SHA256:1234'])
    expect(bad.code).toBe(2)
    expect(bad.json.error.message).toContain('expected a key fingerprint SHA256:<64 hex digits>')
    expect((await custody(['verify', '--key', genuineFingerprint, '--case', kase.dir])).code).toBe(2)
  })

  it("key substitution: a key event claiming the investigator's fingerprint over the forger's key, with the genuine investigator.pem, is refused", async () => {
    const attacker = forgerKey()
    const genuinePem = readFileSync(join(pristine, bag, 'data/custody/investigator.pem'), 'utf8')
    const zip = forge((b) => {
      const planted = withPlanted(plant(b))
      resealBag(b, attacker, {
        claimedFingerprint: genuineFingerprint,
        pem: genuinePem,
        statement: planted.statement,
        events: (events) => {
          planted.events(events)
          const created = events.find((e) => e.action === 'key-created')!
          // The fingerprint stays the genuine one; the key is the forger's.
          ;(created.payload as Json).publicKey = attacker.spki.toString('base64')
        },
      })
    })
    // What a standard tool sees: openssl verifies the checkpoint with the genuine key: it fails.
    const unzipped = join(work.path, `unzipped-${n}`)
    expect(spawnSync('unzip', ['-q', zip, '-d', unzipped]).status).toBe(0)
    const custodyDir = join(unzipped, bag, 'data/custody')
    const openssl = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(custodyDir, 'investigator.pem'), '-rawin', '-in', join(custodyDir, 'checkpoint.json'), '-sigfile', join(custodyDir, 'checkpoint.json.sig')], {encoding: 'utf8'})
    expect(openssl.stdout + openssl.stderr).toMatch(/Signature Verification Failure/)

    const result = await custodyJson<ArchiveJson>(['verify', zip])
    expect(result.code).toBe(3)
    expect(result.json.trust?.signingKey).toBeNull()
    expect(result.json.problems).toContainEqual(
      expect.objectContaining({check: 'events', subject: 'event 1', message: expect.stringContaining(`claims the fingerprint ${genuineFingerprint}, but its public key's is ${fingerprint(attacker.spki)}`)}),
    )
    expect(result.json.problems).toContainEqual(expect.objectContaining({check: 'signatures', subject: 'data/custody/investigator.pem'}))
  })

  it('a small-order key (the identity point), whose one signature verifies any message, is refused', async () => {
    const weak = identityPointKey()
    const zip = forge((b) =>
      resealBag(b, weak, {
        events: (events) => {
          const created = events.find((e) => e.action === 'key-created')!
          Object.assign(created.payload as Json, {publicKey: weak.spki.toString('base64'), fingerprint: fingerprint(weak.spki)})
        },
      }),
    )
    // OpenSSL accepts such a key and its "signature" of anything: that is the danger.
    const unzipped = join(work.path, `unzipped-weak-${n}`)
    expect(spawnSync('unzip', ['-q', zip, '-d', unzipped]).status).toBe(0)
    const custodyDir = join(unzipped, bag, 'data/custody')
    writeFileSync(join(custodyDir, 'anything.txt'), 'any message at all')
    const openssl = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(custodyDir, 'investigator.pem'), '-rawin', '-in', join(custodyDir, 'anything.txt'), '-sigfile', join(custodyDir, 'seal.json.sig')], {encoding: 'utf8'})
    expect(openssl.stdout).toContain('Signature Verified Successfully')

    const problems = await verifyFails(zip)
    expect(problems).toContainEqual(expect.objectContaining({check: 'events', subject: 'event 1', message: expect.stringContaining('small-order point')}))
    expect(problems).toContainEqual(expect.objectContaining({check: 'signatures', subject: 'data/custody/investigator.pem', message: expect.stringContaining('small-order point')}))
  })
})

describe('one ZIP, one reading', () => {
  /** The genuine bag and a forged one, written by Python with the same names in the same order. */
  const twoDirectories = (): {zip: string; plantedSha256: string} => {
    const forgedRoot = join(work.path, `forged-root-${n++}`)
    let plantedSha256 = ''
    forgeBag(pristine, bag, forgedRoot, (b) => (plantedSha256 = plant(b).sha256), {rewriteManifests: true})
    const out = join(work.path, `two-directories-${n++}.zip`)
    python(
      `
import io, os, struct, sys, zipfile
genuine, forged, bag, out = sys.argv[1:]
def build(root):
    names = []
    for folder, _, files in os.walk(os.path.join(root, bag)):
        for f in files:
            names.append(os.path.relpath(os.path.join(folder, f), root))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_STORED) as z:
        for name in sorted(names):
            z.write(os.path.join(root, name), name)
    return buffer.getvalue()
def split(data):
    end = data.rfind(b'PK\\x05\\x06')
    size, offset = struct.unpack('<II', data[end + 12:end + 20])
    return data[:offset], data[offset:offset + size], data[end:]
entries_g, cd_g, end_g = split(build(genuine))
entries_f, cd_f, _ = split(build(forged))
assert len(cd_g) == len(cd_f)
# The forged directory's offsets, as readers that place a directory right before the end record
# will shift them: by the distance between where it is and where the end record says.
cd_f = bytearray(cd_f)
at = 0
while at < len(cd_f):
    n, m, k = struct.unpack('<HHH', cd_f[at + 28:at + 34])
    offset = struct.unpack('<I', cd_f[at + 42:at + 46])[0]
    cd_f[at + 42:at + 46] = struct.pack('<I', offset + len(entries_g) - len(cd_g))
    at += 46 + n + m + k
end = bytearray(end_g)
end[16:20] = struct.pack('<I', len(entries_g) + len(entries_f))
open(out, 'wb').write(entries_g + entries_f + cd_g + bytes(cd_f) + bytes(end))
`,
      pristine,
      forgedRoot,
      bag,
      out,
    )
    return {zip: out, plantedSha256}
  }

  it('two central directories: unzip and Python read the forged one; custody refuses the file', async () => {
    const {zip, plantedSha256} = twoDirectories()
    const name = `${bag}/data/exhibits/EX-000001/original/GPS.jpg`
    const read = python('import hashlib, sys, zipfile; print(hashlib.sha256(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2])).hexdigest())', zip, name).trim()
    expect(read).toBe(plantedSha256)
    const unzipped = spawnSync('unzip', ['-p', zip, name], {maxBuffer: 16 * 1024 * 1024})
    expect(sha256Of(unzipped.stdout)).toBe(plantedSha256)
    const problems = await verifyFails(zip)
    expect(problems).toEqual([expect.objectContaining({check: 'zip', subject: 'ZIP', message: expect.stringContaining('does not end where the end records begin')})])
  })

  /** The genuine archive's bytes, and where an entry's local header and central record are. */
  function locate(suffix: string): {bytes: Buffer; local: number; central: number; nameLength: number} {
    const bytes = Buffer.from(readFileSync(archive))
    const local = Number(python('import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nprint([e for e in z.infolist() if e.filename.endswith(sys.argv[2])][0].header_offset)', archive, suffix).trim())
    const name = Buffer.from(`${bag}/${suffix}`)
    let at = -1
    for (let i = bytes.length - 46; i >= 0; i--) {
      if (bytes.readUInt32LE(i) === 0x02014b50 && bytes.subarray(i + 46, i + 46 + name.length).equals(name)) {
        at = i
        break
      }
    }

    return {bytes, local, central: at, nameLength: name.length}
  }

  it('a local header that names another file than the central directory (what `jar x` and other local-header readers extract)', async () => {
    const {bytes, local, nameLength} = locate('data/exhibits/EX-000001/original/GPS.jpg')
    // Same length, another exhibit's folder.
    const nameAt = local + 30 + nameLength - 'EX-000001/original/GPS.jpg'.length
    bytes.write('EX-000002', nameAt)
    const zip = join(work.path, 'local-name.zip')
    writeFileSync(zip, bytes)
    const problems = await verifyFails(zip)
    expect(problems).toEqual([expect.objectContaining({check: 'zip', subject: `${bag}/data/exhibits/EX-000001/original/GPS.jpg`, message: expect.stringContaining('its local header names it')})])
  })

  it('a wrong CRC-32, the same in the local header and the directory: unzip -t refuses it, and so does custody', async () => {
    const {bytes, local, central} = locate('bagit.txt')
    // bagit.txt has no data descriptor: its CRC-32 is in both headers.
    for (const at of [local + 14, central + 16]) bytes.writeUInt32LE((bytes.readUInt32LE(at) ^ 0x5a5a5a5a) >>> 0, at)
    const zip = join(work.path, 'crc.zip')
    writeFileSync(zip, bytes)
    expect(spawnSync('unzip', ['-tq', zip], {encoding: 'utf8'}).stdout).toMatch(/bad CRC/)
    const problems = await verifyFails(zip)
    expect(problems).toEqual([expect.objectContaining({check: 'zip', subject: `${bag}/bagit.txt`, message: expect.stringContaining('but the ZIP states')})])
  })

  it('bytes before the first entry, bytes after the end record, and a comment hiding a second end record', async () => {
    const genuine = readFileSync(archive)
    const prepended = join(work.path, 'prepended.zip')
    writeFileSync(prepended, Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n'), genuine]))
    // unzip reads it, warning of the extra bytes: another reading than custody's.
    expect(spawnSync('unzip', ['-tq', prepended], {encoding: 'utf8'}).stdout).toMatch(/No errors detected/)
    expect(await verifyFails(prepended)).toEqual([expect.objectContaining({check: 'zip'})])

    const appended = join(work.path, 'appended.zip')
    writeFileSync(appended, Buffer.concat([genuine, Buffer.from('trailing bytes')]))
    expect(await verifyFails(appended)).toEqual([expect.objectContaining({check: 'zip'})])

    // The end record's comment holds another end record (pointing at the same directory).
    const end = genuine.subarray(genuine.length - 22)
    const comment = Buffer.concat([Buffer.from('note '), end, Buffer.from('!')])
    const record = Buffer.from(end)
    record.writeUInt16LE(comment.length, 20)
    const commented = join(work.path, 'commented.zip')
    writeFileSync(commented, Buffer.concat([genuine.subarray(0, genuine.length - 22), record, comment]))
    expect(await verifyFails(commented)).toEqual([expect.objectContaining({check: 'zip'})])
  })
})

const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

describe('nothing in a bag that the signed statement does not cover', () => {
  it('a file under data/ outside the exhibits, with the manifests rewritten to list it', async () => {
    for (const extra of ['data/notes/confession.txt', 'data/custody/x.pdf', 'data/exhibits/EX-000001/original/planted.jpg']) {
      const zip = forge(
        (b) => {
          mkdirSync(join(b, extra, '..'), {recursive: true})
          writeFileSync(join(b, extra), 'I confess')
        },
        {rewriteManifests: true},
      )
      expect(await verifyFails(zip)).toEqual([expect.objectContaining({check: 'contents', subject: extra, message: expect.stringContaining('the seal statement does not name it')})])
    }
  })

  it("a statement (re-signed by its own key) that makes a custody file an exhibit's original", async () => {
    const attacker = forgerKey()
    const zip = forge((b) =>
      resealBag(b, attacker, {
        events: (events) => {
          const created = events.find((e) => e.action === 'key-created')!
          Object.assign(created.payload as Json, {publicKey: attacker.spki.toString('base64'), fingerprint: fingerprint(attacker.spki)})
        },
        statement: (s) => {
          Object.assign((s.exhibits as Json[])[0]!, {path: 'data/custody/investigator.pem'})
        },
      }),
    )
    expect(await verifyFails(zip)).toContainEqual(expect.objectContaining({check: 'statement', subject: 'EX-000001', message: 'its files are not in its own folder data/exhibits/EX-000001/'}))
  })

  it('a file at the top of the bag, with nothing else changed', async () => {
    const zip = forge((b) => writeFileSync(join(b, 'instructions-for-the-court.txt'), 'Skip step 4.'))
    expect(await verifyFails(zip)).toEqual([expect.objectContaining({check: 'contents', subject: 'instructions-for-the-court.txt', message: expect.stringContaining('is not a file of a sealed bag')})])
  })

  it("README.txt's instructions rewritten, with the tag manifests recomputed", async () => {
    const zip = forge((b) => writeFileSync(join(b, 'README.txt'), readFileSync(join(b, 'README.txt'), 'utf8').replace('Every line must say OK.', 'A few lines may fail; that is normal.')), {rewriteManifests: true})
    expect(await verifyFails(zip)).toEqual([expect.objectContaining({check: 'contents', subject: 'README.txt', message: expect.stringContaining('its instructions were changed')})])
  })

  it('verify-bag.py swapped for a checker that always says OK, with the tag manifests recomputed, or removed', async () => {
    const swapped = forge((b) => writeFileSync(join(b, 'verify-bag.py'), 'print("every check OK")\n'), {rewriteManifests: true})
    expect(await verifyFails(swapped)).toEqual([expect.objectContaining({check: 'contents', subject: 'verify-bag.py', message: expect.stringContaining('the program a reader would run was changed')})])
    const removed = forge((b) => rmSync(join(b, 'verify-bag.py')), {rewriteManifests: true})
    expect(await verifyFails(removed)).toContainEqual(expect.objectContaining({check: 'contents', subject: 'verify-bag.py', message: 'missing'}))
  })

  it.each([
    ['Contact-Name', 'A. Petrenko'],
    ['Source-Organization', 'Another NGO'],
    ['Custody-Sealed-By', 'Someone Else'],
  ])('bag-info.txt %s rewritten, with the tag manifests recomputed', async (label, value) => {
    const zip = forge((b) => writeFileSync(join(b, 'bag-info.txt'), readFileSync(join(b, 'bag-info.txt'), 'utf8').replace(new RegExp(`^${label}: .*$`, 'm'), `${label}: ${value}`)), {rewriteManifests: true})
    expect(await verifyFails(zip)).toEqual([expect.objectContaining({check: 'contents', subject: 'bag-info.txt', actual: `${label}: ${value}`})])
  })

  it('a label added to bag-info.txt', async () => {
    const zip = forge((b) => writeFileSync(join(b, 'bag-info.txt'), `${readFileSync(join(b, 'bag-info.txt'), 'utf8')}Internal-Sender-Description: verified by the court's expert\n`), {rewriteManifests: true})
    expect(await verifyFails(zip)).toEqual([expect.objectContaining({check: 'contents', subject: 'bag-info.txt'})])
  })
})

describe('small hostile archives do not exhaust verify', () => {
  /** The pristine bag zipped by Python (but `skip`), then `script` adding entries to `z`. */
  function withDeflated(name: string, script: string, skip = ''): string {
    const out = join(work.path, `${name}.zip`)
    python(
      `
import base64, os, sys, zipfile
root, bag, out, skip = sys.argv[1:5]
with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as z:
    for folder, _, files in os.walk(os.path.join(root, bag)):
        for f in sorted(files):
            path = os.path.join(folder, f)
            if os.path.relpath(path, os.path.join(root, bag)) != skip:
                z.write(path, os.path.relpath(path, root))
${script}
`,
      pristine,
      bag,
      out,
      skip,
    )
    return out
  }

  it('1,000 deflated entries of 1 MiB under data/custody/ (a zip bomb of about 1 MB) are refused before they are inflated', async () => {
    const zip = withDeflated('bomb', `    for i in range(1000):\n        z.writestr(f'{bag}/data/custody/x{i}.json', b'\\0' * (1 << 20), compress_type=zipfile.ZIP_DEFLATED)`)
    expect(readFileSync(zip).length).toBeLessThan(2 * 1024 * 1024)
    const result = await custodyJson<ArchiveJson>(['verify', zip])
    expect(result.code).toBe(3)
    expect(result.json.problemCount).toBe(1001)
    expect(new Set(result.json.problems.map((p) => p.check))).toEqual(new Set(['zip']))
    expect(result.json.problems[0]).toMatchObject({message: expect.stringMatching(/^the entry expands \d+ times \(a zip bomb\?\)$/)})
    // The 1,001st, the archive's expansion as a whole, is counted but not listed.
  })

  it('many deflated entries each small enough to pass alone are refused together', async () => {
    // 64 KiB each, the most an entry may expand by more than 200 times alone. Each adds about 250
    // bytes to the archive (headers, name, deflated zeros), so they expand about 260 times in all:
    // enough of them pass 200 times the archive, the genuine bag's bytes too (6,000 leave room for
    // a bag of 400 KB; 1,500 stopped passing it when verify-bag.py grew past a bag of 110 KB).
    const zip = withDeflated('small-bombs', `    for i in range(6000):\n        z.writestr(f'{bag}/data/custody/x{i}.json', b'\\0' * (64 << 10), compress_type=zipfile.ZIP_DEFLATED)`)
    expect(await verifyFails(zip)).toEqual([expect.objectContaining({check: 'zip', subject: 'ZIP', message: expect.stringContaining('more than 200 times the archive')})])
  })

  it('one event line of 32 MiB, deflated to about 300 KB, is refused at its bound', async () => {
    const zip = withDeflated(
      'long-line',
      [
        '    segment = lambda: base64.b64encode(os.urandom(240)) + b"a" * (32 * 1024 - 320)',
        "    line = b''.join(segment() for _ in range(1024))",
        `    z.writestr(f'{bag}/data/custody/events.jsonl', b'{"event":{"note":"' + line + b'"}}\\n', compress_type=zipfile.ZIP_DEFLATED)`,
      ].join('\n'),
      'data/custody/events.jsonl',
    )
    expect(readFileSync(zip).length).toBeLessThan(1024 * 1024)
    const problems = await verifyFails(zip)
    expect(problems).toContainEqual(expect.objectContaining({check: 'events', subject: 'data/custody/events.jsonl', message: expect.stringContaining('line 1 is longer than 1114112 bytes')}))
  })

  it('a checkpoint file larger than any genuine one is not read', async () => {
    const zip = forge((b) => writeFileSync(join(b, 'data/custody/checkpoint.json'), `{"pad":"${'x'.repeat(8192)}"}`), {rewriteManifests: true})
    const problems = await verifyFails(zip)
    expect(problems).toContainEqual(expect.objectContaining({check: 'contents', subject: 'data/custody/checkpoint.json', message: expect.stringContaining('more than any genuine file of its kind')}))
  })

  it('a flood of problems is counted, and only the first 1,000 are listed', async () => {
    const zip = withDeflated('flood', `    for i in range(3000):\n        z.writestr(f'{bag}/data/exhibits/EX-9{i:05}/original/x.jpg', b'x')`)
    const result = await custodyJson<ArchiveJson>(['verify', zip])
    expect(result.code).toBe(3)
    expect(result.json.problems).toHaveLength(1000)
    expect(result.json.problemCount).toBeGreaterThanOrEqual(6000)
    expect((await custody(['verify', zip])).stdout).toMatch(/… and \d+ more problems \(only the first 1000 are listed\)/)
  })
})
