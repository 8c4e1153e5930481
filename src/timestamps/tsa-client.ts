/**
 * The one network call in custody: an RFC 3161 request sent by HTTP POST (RFC 3161 §3.4,
 * `application/timestamp-query`, answer `application/timestamp-reply`). It only moves bytes;
 * token.ts decides whether the answer is any good.
 */
import {CustodyError, messageOf} from '../errors.js'

const MAX_REPLY = 1024 * 1024

export async function postTimestampQuery(url: string, query: Uint8Array, options: {timeoutMs?: number; signal?: AbortSignal} = {}): Promise<Uint8Array> {
  const signals = [AbortSignal.timeout(options.timeoutMs ?? 20_000), ...(options.signal ? [options.signal] : [])]
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply'},
      body: query,
      signal: AbortSignal.any(signals),
      redirect: 'error',
    })
  } catch (error) {
    const cause = (error as {cause?: unknown}).cause
    throw new CustodyError('TSA_UNAVAILABLE', `no answer from ${url}: ${messageOf(cause ?? error)}`, {subject: url, cause: error})
  }

  if (!response.ok) {
    throw new CustodyError('TSA_UNAVAILABLE', `${url} answered HTTP ${response.status} ${response.statusText}`, {subject: url})
  }

  const type = response.headers.get('content-type') ?? ''
  if (!type.startsWith('application/timestamp-reply')) {
    throw new CustodyError('TSA_UNAVAILABLE', `${url} answered with ${type || 'no content type'}, not application/timestamp-reply: is it a Time-Stamp Authority?`, {subject: url})
  }

  const body = new Uint8Array(await response.arrayBuffer())
  if (body.length > MAX_REPLY) throw new CustodyError('TSA_UNAVAILABLE', `${url} sent a reply of ${body.length} bytes, too large for a time-stamp token`, {subject: url})
  return body
}
