import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {LocalTsa} from '../../src/timestamps/local-tsa.js'
import {checkTimestampReply, parsePemCertificates, timestampRequest} from '../../src/timestamps/token.js'
import {MAX_REPLY, postTimestampQuery} from '../../src/timestamps/tsa-client.js'
import {tempDir} from '../helpers/cli.js'
import {pastTsa} from '../helpers/past-tsa.js'

const tmp = tempDir('custody-ts-')
let tsa: LocalTsa
let other: LocalTsa
const data = Buffer.from('{"treeSize":3}')
const digest = createHash('sha256').update(data).digest()

beforeAll(async () => {
  tsa = await (await LocalTsa.create()).start()
  other = await LocalTsa.create({name: 'Unrelated CA'})
})

afterAll(async () => {
  await tsa[Symbol.asyncDispose]()
  await other[Symbol.asyncDispose]()
  tmp.remove()
})

describe('RFC 3161 requests', () => {
  it('are DER that openssl reads as a SHA-256 imprint with our nonce and certReq', () => {
    const request = timestampRequest(digest)
    const file = join(tmp.path, 'req.tsq')
    writeFileSync(file, request.der)
    const text = spawnSync('openssl', ['ts', '-query', '-in', file, '-text'], {encoding: 'utf8'}).stdout
    expect(text).toMatch(/Hash Algorithm: sha256/)
    const dumped = [...text.matchAll(/^\s*[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){15}[0-9a-f]{2})/gm)].map((m) => m[1]!.replaceAll(/[ -]/g, '')).join('')
    expect(dumped).toBe(digest.toString('hex'))
    expect(text).toMatch(new RegExp(`Nonce: 0x${request.nonce.toString(16).toUpperCase().padStart(16, '0')}`))
    expect(text).toMatch(/Certificate required: yes/)
    expect(timestampRequest(digest).nonce).not.toBe(request.nonce)
  })
})

describe('RFC 3161 replies', () => {
  const trusted = (): ReturnType<typeof parsePemCertificates> => parsePemCertificates(tsa.caPem)

  it('from a real TSA hold: genTime, serial, signer and the chain to the root', async () => {
    const request = timestampRequest(digest)
    const reply = await postTimestampQuery(tsa.url, request.der)
    const check = await checkTimestampReply(reply, {data, nonce: request.nonce, trusted: trusted()})
    expect(check).toMatchObject({ok: true, signer: 'CN=custody demonstration TSA (untrusted)', chain: ['CN=custody demonstration TSA (untrusted)', 'CN=custody demonstration TSA (untrusted) root']})
    expect(Math.abs(Date.parse(check.genTime!) - Date.now())).toBeLessThan(60_000)
  })

  it('are refused over other bytes, with another nonce, against another root, without a root, or as garbage', async () => {
    const request = timestampRequest(digest)
    const reply = await postTimestampQuery(tsa.url, request.der)
    expect(await checkTimestampReply(reply, {data: Buffer.from('other'), trusted: trusted()})).toMatchObject({ok: false, problem: expect.stringContaining('message imprint')})
    expect(await checkTimestampReply(reply, {data, nonce: request.nonce + 1n, trusted: trusted()})).toMatchObject({ok: false, problem: expect.stringContaining('nonce')})
    expect(await checkTimestampReply(reply, {data, trusted: parsePemCertificates(other.caPem)})).toMatchObject({ok: false, problem: expect.stringContaining('certificate chain')})
    expect(await checkTimestampReply(reply, {data, trusted: []})).toMatchObject({ok: false, problem: expect.stringContaining('no TSA root certificate was given')})
    expect(await checkTimestampReply(Buffer.from('not DER'), {data, trusted: trusted()})).toMatchObject({ok: false, problem: 'it is not a DER TimeStampResp'})
    for (const at of [40, reply.length - 40]) {
      const bent = Buffer.from(reply)
      bent[at]! ^= 0x01
      expect((await checkTimestampReply(bent, {data, trusted: trusted()})).ok).toBe(false)
    }
  })

  it("are judged at their genTime: valid after the TSA's certificate expired, refused when made outside its validity", async () => {
    const past = pastTsa(tmp.path)
    const roots = parsePemCertificates(past.caPem)
    const during = await checkTimestampReply(past.stamp(data, new Date('2020-06-01T12:00:00Z')), {data, trusted: roots})
    expect(during).toMatchObject({ok: true, genTime: '2020-06-01T12:00:00.000Z', signer: 'CN=Past TSA', chain: ['CN=Past TSA', 'CN=Past root']})
    const after = await checkTimestampReply(past.stamp(data, new Date('2022-06-01T12:00:00Z')), {data, trusted: roots})
    expect(after).toMatchObject({ok: false, problem: expect.stringContaining('certificate chain does not verify')})
  })

  it('refusing a bad request are reported with the TSA status', async () => {
    const reply = await postTimestampQuery(tsa.url, Buffer.from('not a request'))
    expect(await checkTimestampReply(reply, {data, trusted: trusted()})).toMatchObject({ok: false, problem: expect.stringMatching(/^the TSA refused: status 2/)})
  })

  it('that are not replies at all, or never come, are reported with the URL', async () => {
    await expect(postTimestampQuery('http://127.0.0.1:1/tsa', timestampRequest(digest).der)).rejects.toMatchObject({
      code: 'TSA_UNAVAILABLE',
      message: expect.stringContaining('no answer from http://127.0.0.1:1/tsa'),
    })
    const web = createServer((_req, res) => res.writeHead(200, {'content-type': 'text/html'}).end('<html></html>'))
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', () => resolve()))
    const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}/`
    try {
      await expect(postTimestampQuery(url, timestampRequest(digest).der)).rejects.toMatchObject({code: 'TSA_UNAVAILABLE', message: expect.stringContaining('is it a Time-Stamp Authority?')})
    } finally {
      web.close()
    }
  })
})

describe('the size of a reply', () => {
  /** A server that sends `size` bytes as a time-stamp reply, with a Content-Length or chunked. */
  async function replying(size: number, options: {declare: boolean}): Promise<{url: string; close: () => void}> {
    const server = createServer((req, res) => {
      req.resume()
      res.writeHead(200, {'content-type': 'application/timestamp-reply', ...(options.declare ? {'content-length': String(size)} : {})})
      // In pieces, as a network delivers it.
      for (let left = size; left > 0; left -= 10_000) res.write(Buffer.alloc(Math.min(left, 10_000), 0x30))
      res.end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsr`, close: () => server.close()}
  }

  it('takes a reply of exactly 1 MiB, with or without a Content-Length, and refuses one byte more', async () => {
    for (const declare of [true, false]) {
      const exact = await replying(MAX_REPLY, {declare})
      const over = await replying(MAX_REPLY + 1, {declare})
      try {
        expect((await postTimestampQuery(exact.url, timestampRequest(digest).der)).byteLength).toBe(MAX_REPLY)
        await expect(postTimestampQuery(over.url, timestampRequest(digest).der)).rejects.toMatchObject({
          code: 'TSA_UNAVAILABLE',
          message: declare
            ? `${over.url} did not answer properly: its reply declares 1,048,577 bytes (Content-Length), far more than a time-stamp reply holds (at most 1 MiB); it was not read`
            : `${over.url} did not answer properly: its reply passed 1 MiB (1,048,576 bytes), far more than a time-stamp reply holds; it was cut off there`,
        })
      } finally {
        exact.close()
        over.close()
      }
    }
  })
})
