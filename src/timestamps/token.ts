/**
 * RFC 3161 time-stamp requests and the checks of a reply, over hostile bytes.
 *
 * A request (§2.4.1) asks for a token over a SHA-256 message imprint, with a fresh nonce and
 * certReq set so the reply carries the TSA's certificate. A reply (§2.4.2) is kept only when:
 *   1. its status is granted or grantedWithMods;
 *   2. its token is CMS SignedData (RFC 5652) whose content is a TSTInfo;
 *   3. the TSTInfo's imprint is SHA-256 of exactly the stamped bytes, and its nonce is ours;
 *   4. the CMS signature verifies, with the signer's certificate;
 *   5. that certificate has the one, critical, extendedKeyUsage id-kp-timeStamping (§2.3);
 *   6. it chains to a root the caller trusts, checked at the token's genTime, not today, so a
 *      token stays valid after the TSA's certificate has expired.
 * pkijs (with asn1js) parses the structures and checks the CMS signature and the chain.
 */
import {createHash, randomBytes} from 'node:crypto'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'

const SHA256_OID = '2.16.840.1.101.3.4.2.1'
const SIGNED_DATA_OID = '1.2.840.113549.1.7.2'
const TST_INFO_OID = '1.2.840.113549.1.9.16.1.4'
const EXTENDED_KEY_USAGE_OID = '2.5.29.37'
const TIME_STAMPING_OID = '1.3.6.1.5.5.7.3.8'

export interface TimestampRequest {
  der: Buffer
  nonce: bigint
}

function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n
  for (const b of bytes) value = (value << 8n) | BigInt(b)
  return value
}

/** A DER TimeStampReq for SHA-256 `digest`, with a 64-bit nonce and certReq (RFC 3161 §2.4.1). */
export function timestampRequest(digest: Uint8Array): TimestampRequest {
  if (digest.length !== 32) throw new Error(`expected a 32-byte SHA-256 digest, got ${digest.length} bytes`)
  const nonce = randomBytes(8)
  nonce[0] = (nonce[0]! & 0x7f) | 0x01 // positive, and eight bytes long in DER
  const request = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({algorithmId: SHA256_OID, algorithmParams: new asn1js.Null()}),
      hashedMessage: new asn1js.OctetString({valueHex: Uint8Array.from(digest).buffer}),
    }),
    nonce: new asn1js.Integer({valueHex: Uint8Array.from(nonce).buffer}),
    certReq: true,
  })
  return {der: Buffer.from(request.toSchema().toBER(false)), nonce: toBigInt(nonce)}
}

/** What a good token says (a type alias: it goes into ledger events). */
export type TokenFacts = {
  genTime: string
  serial: string
  policy: string
  /** Subject of the TSA's signing certificate. */
  signer: string
  /** Subjects from the TSA's certificate up to the trusted root. */
  chain: string[]
}

export type TokenCheck = ({ok: true} & TokenFacts) | ({ok: false; problem: string} & Partial<TokenFacts>)

export function parsePemCertificates(pem: string): pkijs.Certificate[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)]
  return blocks.map((m) => pkijs.Certificate.fromBER(Buffer.from(m[1]!.replaceAll(/\s/g, ''), 'base64')))
}

export function subjectOf(cert: pkijs.Certificate): string {
  return cert.subject.typesAndValues.map((tv) => `${tv.type === '2.5.4.3' ? 'CN' : tv.type}=${String(tv.value.valueBlock.value)}`).join(', ')
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** RFC 3161 §2.3: exactly one extendedKeyUsage, critical, with only id-kp-timeStamping. */
function timeStampingUsageProblem(cert: pkijs.Certificate): string | undefined {
  const usages = (cert.extensions ?? []).filter((e) => e.extnID === EXTENDED_KEY_USAGE_OID)
  if (usages.length !== 1) return 'the TSA certificate has no extendedKeyUsage (RFC 3161 §2.3 requires timeStamping)'
  const usage = usages[0]!
  const purposes = (usage.parsedValue as pkijs.ExtKeyUsage | undefined)?.keyPurposes ?? []
  if (!usage.critical) return 'the TSA certificate\'s extendedKeyUsage is not critical (RFC 3161 §2.3)'
  if (purposes.length !== 1 || purposes[0] !== TIME_STAMPING_OID) return 'the TSA certificate is not for time-stamping only (RFC 3161 §2.3)'
  return undefined
}

/**
 * Checks a DER TimeStampResp over `data`, the exact stamped bytes. With `nonce`, the
 * token must carry it (a fresh reply); without, it is a stored token being verified later.
 * `trusted` are the roots to chain to; with none, the chain is not checked and the result says so.
 */
export async function checkTimestampReply(reply: Uint8Array, expect: {data: Uint8Array; nonce?: bigint; trusted: pkijs.Certificate[]}): Promise<TokenCheck> {
  const digest = createHash('sha256').update(expect.data).digest()
  let response: pkijs.TimeStampResp
  try {
    response = pkijs.TimeStampResp.fromBER(Uint8Array.from(reply))
  } catch {
    return {ok: false, problem: 'it is not a DER TimeStampResp'}
  }

  const status = response.status.status
  if (status !== pkijs.PKIStatus.granted && status !== pkijs.PKIStatus.grantedWithMods) {
    const text = response.status.statusStrings?.map((s) => s.valueBlock.value).join('; ') ?? ''
    return {ok: false, problem: `the TSA refused: status ${status}${text ? ` (${text})` : ''}`}
  }

  const token = response.timeStampToken
  if (token?.contentType !== SIGNED_DATA_OID) return {ok: false, problem: 'the reply holds no signed token'}
  let signed: pkijs.SignedData
  let info: pkijs.TSTInfo
  try {
    signed = new pkijs.SignedData({schema: token.content})
    if (signed.encapContentInfo.eContentType !== TST_INFO_OID || signed.encapContentInfo.eContent === undefined) {
      return {ok: false, problem: 'the token does not hold a TSTInfo'}
    }

    info = pkijs.TSTInfo.fromBER(signed.encapContentInfo.eContent.getValue())
  } catch {
    return {ok: false, problem: 'the token is not well-formed CMS SignedData with a TSTInfo'}
  }

  const facts: Partial<TokenFacts> = {
    genTime: info.genTime.toISOString(),
    serial: Buffer.from(info.serialNumber.valueBlock.valueHexView).toString('hex'),
    policy: info.policy,
  }
  const imprint = info.messageImprint
  if (imprint.hashAlgorithm.algorithmId !== SHA256_OID || !bytesEqual(new Uint8Array(imprint.hashedMessage.valueBlock.valueHexView), digest)) {
    return {ok: false, problem: 'its message imprint is not the SHA-256 of the stamped file: it stamps something else', ...facts}
  }

  if (expect.nonce !== undefined && (info.nonce === undefined || toBigInt(info.nonce.valueBlock.valueHexView) !== expect.nonce)) {
    return {ok: false, problem: 'its nonce is not the one sent: the reply is not an answer to this request', ...facts}
  }

  let result: pkijs.SignedDataVerifyResult
  try {
    // pkijs checks the chain at the TSTInfo's genTime when the content is a TSTInfo.
    const data = Uint8Array.from(expect.data).buffer
    result = await signed.verify({signer: 0, data, checkChain: expect.trusted.length > 0, trustedCerts: expect.trusted, extendedMode: true})
  } catch (error) {
    const message = error instanceof pkijs.SignedDataVerifyError ? error.message : String(error)
    return {ok: false, problem: `its signature or certificate chain does not verify: ${message}`, ...facts}
  }

  const signer = result.signerCertificate
  if (!result.signatureVerified || signer === undefined || signer === null) {
    return {ok: false, problem: 'its signature does not verify: the token was altered', ...facts}
  }

  facts.signer = subjectOf(signer)
  facts.chain = (result.certificatePath ?? [signer]).map((c) => subjectOf(c))
  const usage = timeStampingUsageProblem(signer)
  if (usage !== undefined) return {ok: false, problem: usage, ...facts}
  if (expect.trusted.length === 0) return {ok: false, problem: 'no TSA root certificate was given, so its certificate chain could not be checked', ...facts}
  return {ok: true, ...(facts as TokenFacts)}
}
