/**
 * The one network call in custody: an RFC 3161 request sent by HTTP POST (RFC 3161 §3.4,
 * `application/timestamp-query`, answer `application/timestamp-reply`). It only moves bytes;
 * token.ts decides whether the answer is any good.
 *
 * TSAs are mostly reached over plain HTTP, so anyone on the path can answer in the TSA's place.
 * A genuine reply is a few KB (a signed token with the TSA's certificates); the reply is read as
 * it arrives and refused as soon as it passes MAX_REPLY, or at once when its Content-Length
 * declares more, so that a hostile answer costs at most that much memory.
 */
import {CustodyError, messageOf} from '../errors.js'

export const MAX_REPLY = 1024 * 1024

const bytes = (n: number): string => n.toLocaleString('en-US')

export async function postTimestampQuery(url: string, query: Uint8Array, options: {timeoutMs?: number; signal?: AbortSignal} = {}): Promise<Uint8Array> {
  const signals = [AbortSignal.timeout(options.timeoutMs ?? 20_000), ...(options.signal ? [options.signal] : [])]
  const improper = (what: string): CustodyError => new CustodyError('TSA_UNAVAILABLE', `${url} did not answer properly: ${what}`, {subject: url})
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

  // Whatever is refused below, the rest of the body is not read: cancelling it closes the connection.
  const refuse = async (error: CustodyError): Promise<never> => {
    await response.body?.cancel().catch(() => undefined)
    throw error
  }

  if (!response.ok) {
    return refuse(new CustodyError('TSA_UNAVAILABLE', `${url} answered HTTP ${response.status} ${response.statusText}`, {subject: url}))
  }

  const type = response.headers.get('content-type') ?? ''
  if (!type.startsWith('application/timestamp-reply')) {
    return refuse(new CustodyError('TSA_UNAVAILABLE', `${url} answered with ${type || 'no content type'}, not application/timestamp-reply: is it a Time-Stamp Authority?`, {subject: url}))
  }

  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > MAX_REPLY) {
    return refuse(improper(`its reply declares ${bytes(declared)} bytes (Content-Length), far more than a time-stamp reply holds (at most 1 MiB); it was not read`))
  }

  return readBounded(response, url, improper)
}

/** The body, read chunk by chunk; refused the moment it passes MAX_REPLY. */
async function readBounded(response: Response, url: string, improper: (what: string) => CustodyError): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0)
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let length = 0
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      length += read.value.byteLength
      if (length > MAX_REPLY) {
        await reader.cancel().catch(() => undefined)
        throw improper(`its reply passed 1 MiB (${bytes(MAX_REPLY)} bytes), far more than a time-stamp reply holds; it was cut off there`)
      }

      chunks.push(read.value)
    }
  } catch (error) {
    if (error instanceof CustodyError) throw error
    const cause = (error as {cause?: unknown}).cause
    throw new CustodyError('TSA_UNAVAILABLE', `${url} stopped answering in the middle of its reply: ${messageOf(cause ?? error)}`, {subject: url, cause: error})
  }

  return Buffer.concat(chunks, length)
}
