/**
 * Who and when, provably: the investigator's key and passphrase, signed checkpoints, RFC 3161
 * tokens from a real TSA on 127.0.0.1 (OpenSSL's `openssl ts -reply` behind a Node HTTP server),
 * and sealed archives that a court checks with openssl alone.
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {LocalTsa} from '../../src/timestamps/local-tsa.js'
import {forgeBag} from '../helpers/bag.js'
import {canMeasureMemory, custody, custodyJson, custodyMeasured, newCase, SAMPLES, sqlite, tempDir} from '../helpers/cli.js'

interface ArchiveJson {
  ok: boolean
  trust: {signingKey: string | null; holder: string | null; timestamps: Array<{genTime: string; treeSize: number; signer: string}>; tsaRootsFrom: string | null}
  problems: Array<{check: string; subject: string; message: string}>
}

interface StatusJson {
  events: number
  timestamps: {lastStamped: {treeSize: number} | null; pending: number; waitingSince: string | null}
}

const work = tempDir('custody-trust-')
let tsa: LocalTsa
let otherCa: LocalTsa
let kase: {dir: string; remove: () => void}
let archive: string
let pristine: string
let bag: string
let n = 0

function ledgerSize(dir: string): number {
  return Number(sqlite(join(dir, '.custody', 'ledger.sqlite'), 'SELECT count(*) FROM events;').trim())
}

beforeAll(async () => {
  tsa = await (await LocalTsa.create()).start()
  otherCa = await (await LocalTsa.create({name: 'Some other TSA'})).start()
  kase = await newCase()
  expect((await custody(['ingest', join(SAMPLES, 'Canon.jpg'), join(SAMPLES, 'GPS.jpg'), '--case', kase.dir])).code).toBe(0)
  const stamped = await custody(['timestamp', '--tsa', tsa.url, '--tsa-ca', tsa.caFile, '--case', kase.dir])
  expect(stamped.code, stamped.stderr).toBe(0)
  // An exhibit added after the token: signed, not yet timestamped.
  expect((await custody(['ingest', join(SAMPLES, 'PDF.pdf'), '--case', kase.dir])).code).toBe(0)
  archive = join(work.path, 'sealed.zip')
  const sealed = await custody(['seal', '--out', archive, '--sealed-at', '2026-01-01T00:00:00Z', '--case', kase.dir])
  expect(sealed.code, sealed.stderr).toBe(0)
  pristine = join(work.path, 'pristine')
  mkdirSync(pristine)
  expect(spawnSync('unzip', ['-q', archive, '-d', pristine]).status).toBe(0)
  bag = spawnSync('ls', [pristine], {encoding: 'utf8'}).stdout.trim()
})

afterAll(async () => {
  await tsa[Symbol.asyncDispose]()
  await otherCa[Symbol.asyncDispose]()
  kase.remove()
  work.remove()
})

const forge = (change: (bagDir: string) => void, options: {rewriteManifests?: boolean} = {rewriteManifests: true}): string =>
  forgeBag(pristine, bag, join(work.path, `forge-${n++}`), change, options)

async function verifyArchive(zip: string, roots: string[] = [tsa.caFile]): Promise<{code: number | null; json: ArchiveJson}> {
  return custodyJson<ArchiveJson>(['verify', zip, ...roots.flatMap((r) => ['--tsa-ca', r])])
}

describe('the passphrase', () => {
  it('without one and without a terminal, a command that needs the key stops before doing anything', async () => {
    const before = ledgerSize(kase.dir)
    for (const args of [['ingest', join(SAMPLES, 'Sony.jpg')], ['timestamp', '--tsa', tsa.url, '--tsa-ca', tsa.caFile], ['seal', '--out', join(work.path, 'x.zip')]]) {
      const result = await custodyJson<{error: {code: string; message: string}}>([...args, '--case', kase.dir], {env: {CUSTODY_PASSPHRASE: ''}})
      expect(result.code).toBe(2)
      expect(result.json.error).toMatchObject({code: 'PASSPHRASE_MISSING', message: expect.stringContaining('set CUSTODY_PASSPHRASE or pass --passphrase-file FILE. Nothing was done')})
    }

    expect(ledgerSize(kase.dir)).toBe(before)
    expect(spawnSync('ls', [work.path], {encoding: 'utf8'}).stdout).not.toContain('x.zip')
    const init = await custody(['init', join(work.path, 'no-pass'), '--title', 't', '--investigator', 'i'], {env: {CUSTODY_PASSPHRASE: ''}})
    expect(init.code).toBe(2)
    expect(spawnSync('ls', [work.path], {encoding: 'utf8'}).stdout).not.toContain('no-pass')
  })

  it('a wrong one is refused; --passphrase-file is read, without its line break', async () => {
    const before = ledgerSize(kase.dir)
    const vault = (): string => spawnSync('find', [join(kase.dir, '.custody', 'vault')], {encoding: 'utf8'}).stdout
    const vaultBefore = vault()
    // ingest opens the key beside its first steps: a wrong passphrase must still leave nothing behind.
    const wrong = await custody(['ingest', join(SAMPLES, 'Sony.jpg'), join(SAMPLES, 'PNG.png'), '--case', kase.dir], {env: {CUSTODY_PASSPHRASE: 'not the passphrase'}})
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain("Error: the passphrase does not open the case's signing key: it is wrong, or the key's file is damaged")
    expect(wrong.stderr).not.toContain('.custody')
    expect(ledgerSize(kase.dir)).toBe(before)
    expect(vault()).toBe(vaultBefore)
    const out = join(work.path, 'wrong.zip')
    const seal = await custody(['seal', '--out', out, '--case', kase.dir], {env: {CUSTODY_PASSPHRASE: 'not the passphrase'}})
    expect(seal.code).toBe(2)
    expect(spawnSync('ls', ['-a', work.path], {encoding: 'utf8'}).stdout).not.toContain('wrong.zip')
    expect(ledgerSize(kase.dir)).toBe(before)
    const file = join(work.path, 'pass.txt')
    writeFileSync(file, `${process.env.CUSTODY_PASSPHRASE}\n`)
    const right = await custody(['config', 'set', 'tsa', tsa.url, '--passphrase-file', file, '--case', kase.dir], {env: {CUSTODY_PASSPHRASE: ''}})
    expect(right.code, right.stderr).toBe(0)
    expect(ledgerSize(kase.dir)).toBeGreaterThan(before)
  })

  it('a new case refuses a passphrase shorter than 8 characters, and keeps no key in clear', async () => {
    const short = await custody(['init', join(work.path, 'short'), '--title', 't', '--investigator', 'i'], {env: {CUSTODY_PASSPHRASE: 'abc'}})
    expect(short.code).toBe(2)
    expect(short.stderr).toContain('at least 8 characters')
    const keys = spawnSync('sh', ['-c', `cat ${join(kase.dir, '.custody', 'keys')}/*.json`], {encoding: 'utf8'}).stdout
    expect(keys).toContain('"aes-256-gcm"')
    expect(keys).not.toContain('PRIVATE KEY')
  })
})

describe('the key', () => {
  it('key show and key export give the same key, whose fingerprint openssl recomputes', async () => {
    const shown = await custodyJson<{fingerprint: string; publicKeyPem: string}>(['key', 'show', '--case', kase.dir])
    expect(shown.code).toBe(0)
    const out = join(work.path, 'investigator.pem')
    expect((await custody(['key', 'export', '--out', out, '--case', kase.dir])).code).toBe(0)
    expect(readFileSync(out, 'utf8')).toBe(shown.json.publicKeyPem)
    const der = spawnSync('openssl', ['pkey', '-pubin', '-in', out, '-outform', 'DER'])
    expect(`SHA256:${spawnSync('sha256sum', {input: der.stdout, encoding: 'utf8'}).stdout.split(' ')[0]}`).toBe(shown.json.fingerprint)
    const again = await custody(['key', 'export', '--out', out, '--case', kase.dir])
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('already exists')
  })
})

describe('a sealed archive, checked by custody and by openssl', () => {
  it('verifies, and reports who signed and the trusted time', async () => {
    const result = await verifyArchive(archive)
    expect(result.code).toBe(0)
    expect(result.json.trust.signingKey).toMatch(/^SHA256:[0-9a-f]{64}$/)
    expect(result.json.trust.holder).toBe('A. Investigator')
    expect(result.json.trust.tsaRootsFrom).toBe('given')
    expect(result.json.trust.timestamps).toEqual([expect.objectContaining({treeSize: 4, signer: 'CN=custody demonstration TSA (untrusted)'})])
  })

  it('without --tsa-ca the timestamps are a warning, not ok: the archive chose its own roots', async () => {
    const result = await custodyJson<ArchiveJson & {checks: Array<{name: string; ok: boolean; status: string; detail: string}>; warnings: string[]}>(['verify', archive])
    expect(result.code).toBe(0)
    expect(result.json.trust.tsaRootsFrom).toBe('archive')
    expect(result.json.checks.find((c) => c.name === 'timestamps')).toMatchObject({ok: false, status: 'warning', detail: expect.stringContaining('not checked against a root you trust')})
    expect(result.json.warnings).toEqual([expect.stringContaining('timestamps: not checked against a root you trust')])
    const text = await custody(['verify', archive])
    expect(text.stdout).toMatch(/^warn {2}timestamps /m)
    expect(text.stdout).not.toMatch(/^ok {4}timestamps /m)
    expect(text.stdout).toContain('1 warning above')
    // A root the user gives makes it ok.
    const given = await custodyJson<ArchiveJson & {checks: Array<{name: string; status: string}>; warnings: string[]}>(['verify', archive, '--tsa-ca', tsa.caFile])
    expect(given.json.checks.find((c) => c.name === 'timestamps')).toMatchObject({status: 'ok'})
    expect(given.json.warnings).toEqual([])
  })

  it("the README's openssl commands succeed on the unzipped archive", () => {
    const bagDir = join(pristine, bag)
    const readme = readFileSync(join(bagDir, 'README.txt'), 'utf8')
    const commands = readme
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('openssl pkeyutl -verify') || l.startsWith('openssl ts -verify'))
    // checkpoint.json, seal.json, and the stamped checkpoint (it is not the sealed one here)
    expect(commands.filter((c) => c.startsWith('openssl pkeyutl'))).toHaveLength(3)
    // Each token twice: as it is, and judged at its genTime (-attime, in seconds since 1970, computed).
    const stamps = commands.filter((c) => c.startsWith('openssl ts'))
    expect(stamps).toHaveLength(2)
    const genTime = /genTime": "([^"]+)"/.exec(readFileSync(join(bagDir, 'data/custody/seal.json'), 'utf8'))![1]!
    expect(stamps[1]).toBe(`${stamps[0]} -attime ${Math.floor(Date.parse(genTime) / 1000)}`)
    expect(readme).toMatch(/replace TSA-ROOT\.pem below with the\s+file you saved it in/)
    for (const command of commands) {
      const run = spawnSync('sh', ['-c', command.replace('TSA-ROOT.pem', tsa.caFile)], {cwd: bagDir, encoding: 'utf8'})
      expect(run.status, `${command}\n${run.stderr}`).toBe(0)
      expect(run.stdout).toMatch(/Signature Verified Successfully|Verification: OK/)
    }
  })

  it('the checkpoint edited is caught', async () => {
    const zip = forge((b) => {
      const file = join(b, 'data/custody/timestamped-checkpoint.json')
      writeFileSync(file, readFileSync(file, 'utf8').replace('"treeSize":4', '"treeSize":3'))
    })
    const result = await verifyArchive(zip)
    expect(result.code).toBe(3)
    expect(result.json.problems).toContainEqual(expect.objectContaining({check: 'timestamps', subject: 'data/custody/timestamped-checkpoint.json', message: expect.stringContaining('signature does not verify')}))
    expect(result.json.problems).toContainEqual(expect.objectContaining({check: 'timestamps', message: expect.stringContaining('message imprint')}))
  })

  it('its signature edited is caught', async () => {
    const zip = forge((b) => {
      const file = join(b, 'data/custody/checkpoint.json.sig')
      const sig = readFileSync(file)
      sig[10]! ^= 0x01
      writeFileSync(file, sig)
    })
    const result = await verifyArchive(zip)
    expect(result.code).toBe(3)
    expect(result.json.problems).toEqual([expect.objectContaining({check: 'signatures', subject: 'data/custody/checkpoint.json', message: expect.stringContaining('signature does not verify')})])
  })

  it('the token edited is caught', async () => {
    const zip = forge((b) => {
      const file = join(b, 'data/custody/timestamped-checkpoint.json.tsr')
      const token = readFileSync(file)
      token[token.length - 20]! ^= 0x01
      writeFileSync(file, token)
    })
    const result = await verifyArchive(zip)
    expect(result.code).toBe(3)
    expect(result.json.problems).toEqual([expect.objectContaining({check: 'timestamps', subject: 'data/custody/timestamped-checkpoint.json.tsr'})])
  })

  it('a token from a different CA swapped in is caught against the root the court trusts', async () => {
    const bagDir = join(pristine, bag)
    const query = join(work.path, 'other.tsq')
    expect(spawnSync('openssl', ['ts', '-query', '-data', join(bagDir, 'data/custody/timestamped-checkpoint.json'), '-sha256', '-cert', '-out', query]).status).toBe(0)
    const reply = await fetch(otherCa.url, {method: 'POST', headers: {'content-type': 'application/timestamp-query'}, body: readFileSync(query)})
    const otherToken = Buffer.from(await reply.arrayBuffer())
    // A forger swaps the token and the roots the archive carries.
    const zip = forge((b) => {
      writeFileSync(join(b, 'data/custody/timestamped-checkpoint.json.tsr'), otherToken)
      writeFileSync(join(b, 'data/custody/tsa-roots.pem'), otherCa.caPem)
    })
    const result = await verifyArchive(zip)
    expect(result.code).toBe(3)
    expect(result.json.problems).toEqual([expect.objectContaining({check: 'timestamps', message: expect.stringContaining('certificate chain does not verify')})])
    // Trusting the archive's own roots, the signed seal statement still gives the swap away: it
    // names the time of the token that was there.
    const trustingTheArchive = await custodyJson<ArchiveJson>(['verify', zip])
    expect(trustingTheArchive.code).toBe(3)
    expect(trustingTheArchive.json.trust.tsaRootsFrom).toBe('archive')
    expect(trustingTheArchive.json.problems).toEqual([expect.objectContaining({check: 'timestamps', message: expect.stringContaining('states another time than the token')})])
  })

  it('a consistency proof edited is caught', async () => {
    const zip = forge((b) => {
      const file = join(b, 'data/custody/consistency-proof.json')
      const proof = JSON.parse(readFileSync(file, 'utf8')) as {proof: string[]}
      proof.proof[0] = 'b'.repeat(64)
      writeFileSync(file, JSON.stringify(proof))
    })
    const result = await verifyArchive(zip)
    expect(result.code).toBe(3)
    expect(result.json.problems).toEqual([expect.objectContaining({check: 'timestamps', subject: 'data/custody/consistency-proof.json'})])
  })

  it('another key put in, re-signing the checkpoint and the statement, is caught: the events record another key', async () => {
    const zip = forge((b) => {
      const key = join(work.path, `forger-${n}.key`)
      spawnSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', key])
      spawnSync('openssl', ['pkey', '-in', key, '-pubout', '-out', join(b, 'data/custody/investigator.pem')])
      for (const name of ['checkpoint.json', 'seal.json']) {
        const file = join(b, 'data/custody', name)
        spawnSync('openssl', ['pkeyutl', '-sign', '-inkey', key, '-rawin', '-in', file, '-out', `${file}.sig`])
      }
    })
    const result = await verifyArchive(zip)
    expect(result.code).toBe(3)
    expect(result.json.problems).toContainEqual(expect.objectContaining({check: 'signatures', subject: 'data/custody/investigator.pem', message: expect.stringContaining('no key-created or key-rotated event holds it')}))
  })
})

describe('offline, then online again', () => {
  it('records a waiting checkpoint with the TSA down, and one later call covers everything', async () => {
    const c = await newCase()
    try {
      expect((await custody(['config', 'set', 'tsa', tsa.url, '--case', c.dir])).code).toBe(0)
      expect((await custody(['config', 'set', 'tsa-ca', tsa.caFile, '--case', c.dir])).code).toBe(0)
      expect((await custody(['ingest', join(SAMPLES, 'Canon.jpg'), '--case', c.dir])).code).toBe(0)
      await tsa.stop()
      const down = await custody(['timestamp', '--case', c.dir])
      expect(down.code).toBe(1)
      expect(down.stdout).toContain('recorded as waiting')
      expect(down.stdout).toContain(`FAIL  ${tsa.url}`)
      expect((await custody(['ingest', join(SAMPLES, 'GPS.jpg'), '--case', c.dir])).code).toBe(0)
      const waiting = await custodyJson<StatusJson>(['status', '--case', c.dir])
      expect(waiting.json.timestamps).toMatchObject({lastStamped: null, pending: 6, waitingSince: expect.any(String)})

      await tsa.start()
      const up = await custodyJson<{status: string; pendingBefore: number; checkpoint: {treeSize: number}}>(['timestamp', '--case', c.dir])
      expect(up.code).toBe(0)
      expect(up.json).toMatchObject({status: 'stamped', pendingBefore: 6, checkpoint: {treeSize: 7}})
      const after = await custodyJson<StatusJson>(['status', '--case', c.dir])
      expect(after.json.timestamps).toMatchObject({lastStamped: {treeSize: 7}, pending: 0, waitingSince: null})
      const nothing = await custodyJson<{status: string}>(['timestamp', '--case', c.dir])
      expect(nothing.json.status).toBe('up-to-date')
      const verified = await custodyJson<{ok: boolean; checks: Array<{name: string; ok: boolean; detail: string}>}>(['verify', '--case', c.dir])
      expect(verified.code).toBe(0)
      expect(verified.json.checks).toContainEqual({name: 'timestamps', ok: true, status: 'ok', detail: expect.stringContaining('events 0..6 existed by')})
    } finally {
      c.remove()
    }
  })

  it('a TSA whose root is not trusted is reported and nothing is kept from it', async () => {
    const c = await newCase()
    try {
      const result = await custodyJson<{status: string; tokens: unknown[]; failures: Array<{tsa: string; problem: string}>}>([
        'timestamp',
        '--tsa',
        otherCa.url,
        '--tsa',
        tsa.url,
        '--tsa-ca',
        tsa.caFile,
        '--case',
        c.dir,
      ])
      expect(result.code).toBe(0)
      expect(result.json.tokens).toHaveLength(1)
      expect(result.json.failures).toEqual([{tsa: otherCa.url, problem: expect.stringContaining('certificate chain does not verify')}])
    } finally {
      c.remove()
    }
  })
})

/**
 * A server on 127.0.0.1 that answers every request with `answer`, as anyone on the network path
 * between a field laptop and its TSA (usually plain HTTP) could; it counts the bytes it got out.
 */
async function hostileTsa(answer: (res: ServerResponse, sent: (bytes: number) => void) => void): Promise<{url: string; sent: () => number} & AsyncDisposable> {
  let total = 0
  const server = createServer((req, res) => {
    req.resume()
    answer(res, (bytes) => (total += bytes))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/tsr`,
    sent: () => total,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** Writes 64 KiB blocks as fast as the client takes them, for as long as it stays connected. */
function endlessReply(res: ServerResponse, sent: (bytes: number) => void): void {
  const block = Buffer.alloc(64 * 1024, 0x30)
  res.writeHead(200, {'content-type': 'application/timestamp-reply'})
  const pump = (): void => {
    while (!res.destroyed) {
      sent(block.length)
      if (!res.write(block)) {
        res.once('drain', pump)
        return
      }
    }
  }

  pump()
}

describe.skipIf(!canMeasureMemory)('a TSA that answers too much', () => {
  type StampJson = {status: string; tokens: Array<{tsa: string}>; failures: Array<{tsa: string; problem: string}>}
  type LogJson = {events: Array<{action: string; payload: {status?: string; failures?: Array<{tsa: string; problem: string}>}}>}

  it('an endless reply is cut off at 1 MiB and recorded as a failure, with little memory; the good TSA still counts', async () => {
    await using endless = await hostileTsa(endlessReply)
    const c = await newCase()
    try {
      const stamped = await custodyMeasured<StampJson>(['timestamp', '--tsa', endless.url, '--tsa', tsa.url, '--tsa-ca', tsa.caFile, '--case', c.dir])
      expect(stamped.code, stamped.stderr).toBe(0)
      expect(stamped.json.status).toBe('stamped')
      expect(stamped.json.tokens.map((t) => t.tsa)).toEqual([tsa.url])
      expect(stamped.json.failures).toEqual([{tsa: endless.url, problem: `${endless.url} did not answer properly: its reply passed 1 MiB (1,048,576 bytes), far more than a time-stamp reply holds; it was cut off there`}])
      // Before the bound, 800 MiB streamed took custody to 2.6 GB; a refused reply costs nothing.
      expect(stamped.peakMiB).toBeLessThan(300)
      // custody hung up once the bound was passed: the server got out little beyond it (socket buffers).
      expect(endless.sent()).toBeLessThan(64 * 1024 * 1024)
      const log = await custodyJson<LogJson>(['log', '--case', c.dir])
      const event = log.json.events.findLast((e) => e.action === 'timestamp')!
      expect(event.payload.failures).toEqual(stamped.json.failures)
    } finally {
      c.remove()
    }
  })

  it('a reply that declares 2 GB is refused from its headers; with no other TSA the checkpoint waits (exit 1)', async () => {
    await using declared = await hostileTsa((res, sent) => {
      res.writeHead(200, {'content-type': 'application/timestamp-reply', 'content-length': String(2 * 1024 ** 3)})
      // A first block, then nothing: a client that waited for the rest would wait for its timeout.
      res.write(Buffer.alloc(16 * 1024))
      sent(16 * 1024)
    })
    const c = await newCase()
    try {
      const waiting = await custodyMeasured<StampJson>(['timestamp', '--tsa', declared.url, '--tsa-ca', tsa.caFile, '--case', c.dir])
      expect(waiting.code).toBe(1)
      expect(waiting.json.status).toBe('waiting')
      expect(waiting.json.failures).toEqual([{tsa: declared.url, problem: `${declared.url} did not answer properly: its reply declares 2,147,483,648 bytes (Content-Length), far more than a time-stamp reply holds (at most 1 MiB); it was not read`}])
      expect(waiting.peakMiB).toBeLessThan(300)
      const log = await custodyJson<LogJson>(['log', '--case', c.dir])
      expect(log.json.events.findLast((e) => e.action === 'timestamp')!.payload).toMatchObject({status: 'waiting', failures: waiting.json.failures})
      const status = await custodyJson<StatusJson>(['status', '--case', c.dir])
      expect(status.json.timestamps).toMatchObject({lastStamped: null, waitingSince: expect.any(String)})
    } finally {
      c.remove()
    }
  })
})

describe('key rotation', () => {
  it('the old key vouches for the new; later checkpoints and seals use the new; a checkpoint later signed with the old one is caught', async () => {
    const c = await newCase()
    try {
      const db = join(c.dir, '.custody', 'ledger.sqlite')
      expect((await custody(['ingest', join(SAMPLES, 'Canon.jpg'), '--case', c.dir])).code).toBe(0)
      expect((await custody(['timestamp', '--tsa', tsa.url, '--tsa-ca', tsa.caFile, '--case', c.dir])).code).toBe(0)
      const old = (await custodyJson<{fingerprint: string}>(['key', 'show', '--case', c.dir])).json.fingerprint
      const rotated = await custodyJson<{previous: string; current: string; seq: number}>(['key', 'rotate', '--reason', 'laptop out of sight at a checkpoint', '--case', c.dir])
      expect(rotated.code, rotated.stderr).toBe(0)
      expect(rotated.json.previous).toBe(old)
      expect(rotated.json.current).not.toBe(old)
      expect((await custody(['ingest', join(SAMPLES, 'GPS.jpg'), '--case', c.dir])).code).toBe(0)

      const bodies = sqlite(db, 'SELECT body FROM checkpoints ORDER BY seq;').trim().split('\n').map((b) => JSON.parse(b) as {treeSize: number; keyFingerprint: string})
      const rotation = bodies.find((b) => b.treeSize === rotated.json.seq + 1)!
      expect(rotation.keyFingerprint).toBe(old)
      expect(bodies.at(-1)!.keyFingerprint).toBe(rotated.json.current)
      const shown = await custodyJson<{fingerprint: string; previous: Array<{fingerprint: string; replacedAt: number}>}>(['key', 'show', '--case', c.dir])
      expect(shown.json).toMatchObject({fingerprint: rotated.json.current, previous: [{fingerprint: old, replacedAt: rotated.json.seq}]})
      expect((await custody(['verify', '--case', c.dir])).code).toBe(0)

      // Sealed after the rotation, with a token from before it: the archive carries both keys.
      const zip = join(work.path, 'rotated.zip')
      expect((await custody(['seal', '--out', zip, '--case', c.dir])).code).toBe(0)
      expect((await verifyArchive(zip)).code).toBe(0)
      const dir = join(work.path, 'rotated')
      mkdirSync(dir)
      expect(spawnSync('unzip', ['-q', zip, '-d', dir]).status).toBe(0)
      const bagDir = join(dir, spawnSync('ls', [dir], {encoding: 'utf8'}).stdout.trim())
      const commands = readFileSync(join(bagDir, 'README.txt'), 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('openssl pkeyutl -verify') || l.startsWith('openssl ts -verify'))
      expect(commands.some((l) => l.includes('-inkey data/custody/timestamped-checkpoint.pem'))).toBe(true)
      for (const command of commands) {
        const run = spawnSync('sh', ['-c', command.replace('TSA-ROOT.pem', tsa.caFile)], {cwd: bagDir, encoding: 'utf8'})
        expect(run.status, `${command}\n${run.stderr}`).toBe(0)
      }

      // Someone with the old key and passphrase signs a checkpoint after the rotation.
      const {openSigningKey} = await import('../../src/keys/signing-key.js')
      const {signCheckpoint} = await import('../../src/checkpoints/checkpoint.js')
      const oldKey = await openSigningKey(join(c.dir, '.custody'), old, process.env.CUSTODY_PASSPHRASE!)
      const [seq, latest] = sqlite(db, 'SELECT seq, body FROM checkpoints ORDER BY seq DESC LIMIT 1;').trim().split('|')
      const last = JSON.parse(latest!) as {case: string; treeSize: number; rootHash: string; lastEventHash: string}
      const forged = signCheckpoint(oldKey, last.case, last)
      const next = Number(seq) + 1
      sqlite(db, `INSERT INTO checkpoints (seq, tree_size, body, signature) VALUES (${next}, ${last.treeSize}, '${forged.body}', '${forged.signature}');`)
      const verified = await custodyJson<{problems: Array<{kind: string; subject: string; message: string}>}>(['verify', '--case', c.dir])
      expect(verified.code).toBe(3)
      expect(verified.json.problems).toEqual([
        expect.objectContaining({kind: 'checkpoint', subject: `checkpoint ${next}`, message: expect.stringContaining(`which event ${rotated.json.seq} replaced`)}),
      ])
    } finally {
      c.remove()
    }
  })
})
