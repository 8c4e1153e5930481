/**
 * Tokens from the past, to test that a token is judged at its genTime: a root and a TSA
 * certificate valid only from 2019 to 2021, made with `openssl ca -startdate/-enddate`, and a
 * TSTInfo with any genTime signed by that TSA with `openssl cms -sign` (the CMS SignedData that
 * RFC 3161 §2.4.2 wraps). `openssl ts -reply` always stamps "now", so it cannot make these.
 */
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import {TSA_CERTIFICATE_PROFILE} from '../../src/timestamps/local-tsa.js'

const CONFIG = `
[ca]
default_ca = past
[past]
database = ./index.txt
new_certs_dir = .
serial = ./serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
${TSA_CERTIFICATE_PROFILE}`

export interface PastTsa {
  caPem: string
  /** A DER TimeStampResp over `data` with this genTime, signed by the 2019-2021 TSA certificate. */
  stamp(data: Uint8Array, genTime: Date): Buffer
}

export function pastTsa(dir: string): PastTsa {
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, {cwd: dir, stdio: 'pipe'})
  }

  writeFileSync(join(dir, 'ca.cnf'), CONFIG)
  writeFileSync(join(dir, 'index.txt'), '')
  writeFileSync(join(dir, 'serial'), '01\n')
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-config', 'ca.cnf']
  openssl('req', '-new', ...ec, '-keyout', 'ca.key', '-out', 'ca.csr', '-subj', '/CN=Past root')
  openssl('ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'ca.key', '-in', 'ca.csr', '-out', 'ca.crt', '-startdate', '20190101000000Z', '-enddate', '20300101000000Z', '-extensions', 'ca_ext', '-notext')
  openssl('req', '-new', ...ec, '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', '/CN=Past TSA')
  openssl('ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-in', 'tsa.csr', '-out', 'tsa.crt', '-startdate', '20190101000000Z', '-enddate', '20210101000000Z', '-extensions', 'tsa_ext', '-notext')
  let serial = 0
  return {
    caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    stamp(data, genTime) {
      const info = new pkijs.TSTInfo({
        version: 1,
        policy: '1.3.6.1.4.1.57264.9.1',
        messageImprint: new pkijs.MessageImprint({
          hashAlgorithm: new pkijs.AlgorithmIdentifier({algorithmId: '2.16.840.1.101.3.4.2.1'}),
          hashedMessage: new asn1js.OctetString({valueHex: Uint8Array.from(createHash('sha256').update(data).digest()).buffer}),
        }),
        serialNumber: new asn1js.Integer({value: ++serial}),
        genTime,
      })
      writeFileSync(join(dir, 'tstinfo.der'), Buffer.from(info.toSchema().toBER(false)))
      openssl('cms', '-sign', '-binary', '-nodetach', '-outform', 'DER', '-econtent_type', '1.2.840.113549.1.9.16.1.4', '-signer', 'tsa.crt', '-inkey', 'tsa.key', '-md', 'sha256', '-certfile', 'ca.crt', '-in', 'tstinfo.der', '-out', 'token.der')
      const token = pkijs.ContentInfo.fromBER(readFileSync(join(dir, 'token.der')))
      const reply = new pkijs.TimeStampResp({status: new pkijs.PKIStatusInfo({status: pkijs.PKIStatus.granted}), timeStampToken: token})
      return Buffer.from(reply.toSchema().toBER(false))
    },
  }
}
