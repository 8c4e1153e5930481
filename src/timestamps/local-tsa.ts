/**
 * A real RFC 3161 Time-Stamp Authority on 127.0.0.1, for the tests and the demo: OpenSSL's own
 * `openssl ts -reply` behind a small HTTP server (RFC 3161 §3.4: POST application/timestamp-query,
 * answer application/timestamp-reply). Its root CA and TSA certificate (with the CRITICAL
 * extendedKeyUsage timeStamping that RFC 3161 §2.3 requires) are made at start in a temp folder.
 *
 * It is a demonstration authority: anyone can run one, so its tokens prove nothing to a court.
 * Nothing in a case trusts it unless its root is given with --tsa-ca.
 */
import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)

/**
 * OpenSSL config sections for a root (`ca_ext`) and a TSA certificate (`tsa_ext`) with the one,
 * critical extendedKeyUsage timeStamping that RFC 3161 §2.3 requires.
 */
export const TSA_CERTIFICATE_PROFILE = `
[req]
distinguished_name = dn
[dn]
[ca_ext]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[tsa_ext]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`

const CONFIG = `${TSA_CERTIFICATE_PROFILE}
[tsa]
default_tsa = tsa_config1
[tsa_config1]
dir = .
serial = ./tsaserial
crypto_device = builtin
signer_cert = ./tsa.crt
certs = ./ca.crt
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.57264.9.1
other_policies = 1.3.6.1.4.1.57264.9.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`

export interface LocalTsaOptions {
  /** Subject CN of the root; tests make a second, unrelated CA with another name. */
  name?: string
}

export class LocalTsa implements AsyncDisposable {
  readonly dir: string
  readonly caPem: string
  readonly caFile: string
  private server: Server | undefined
  private queue: Promise<unknown> = Promise.resolve()
  private port = 0
  /** Requests answered so far; also names each request's files. */
  private requests = 0

  private constructor(dir: string, caPem: string) {
    this.dir = dir
    this.caPem = caPem
    this.caFile = join(dir, 'ca.crt')
  }

  /** Makes the CA and the TSA certificate; call start() to listen. */
  static async create(options: LocalTsaOptions = {}): Promise<LocalTsa> {
    const dir = await mkdtemp(join(tmpdir(), 'custody-tsa-'))
    const name = options.name ?? 'custody demonstration TSA (untrusted)'
    const openssl = (...args: string[]): Promise<unknown> => run('openssl', args, {cwd: dir})
    await writeFile(join(dir, 'tsa.cnf'), CONFIG)
    await writeFile(join(dir, 'tsaserial'), '01\n')
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
    await openssl('req', '-x509', '-new', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', `/CN=${name} root`, '-config', 'tsa.cnf', '-extensions', 'ca_ext')
    await openssl('req', '-new', ...ec, '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', `/CN=${name}`, '-config', 'tsa.cnf')
    await openssl('x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tsa.crt', '-days', '825', '-extfile', 'tsa.cnf', '-extensions', 'tsa_ext')
    return new LocalTsa(dir, await readFile(join(dir, 'ca.crt'), 'utf8'))
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/tsa`
  }

  /** Listens on 127.0.0.1 (on the same port as before when restarted). */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') {
          res.writeHead(400).end('expected POST application/timestamp-query\n')
          return
        }

        // openssl ts keeps its serial number in a file: one request at a time.
        this.queue = this.queue.then(async () => {
          this.requests++
          const id = `${this.requests}`
          try {
            await writeFile(join(this.dir, `req-${id}.tsq`), Buffer.concat(chunks))
            await run('openssl', ['ts', '-reply', '-config', 'tsa.cnf', '-queryfile', `req-${id}.tsq`, '-out', `resp-${id}.tsr`], {cwd: this.dir})
            const reply = await readFile(join(this.dir, `resp-${id}.tsr`))
            res.writeHead(200, {'content-type': 'application/timestamp-reply', 'content-length': reply.length}).end(reply)
          } catch (error) {
            res.writeHead(500).end(`${String(error)}\n`)
          }
        })
      })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    this.port = (server.address() as AddressInfo).port
    this.server = server
    return this
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
    await this.queue.catch(() => undefined)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop()
    await rm(this.dir, {recursive: true, force: true})
  }
}
