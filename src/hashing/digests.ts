/**
 * Streaming SHA-256 and SHA-512 (FIPS 180-4) of whole files.
 *
 * Both digests come from one pass over the bytes: BagIt (RFC 8493 §2.4) wants SHA-512 and
 * SHA-256 manifests, and files can be far larger than memory. Bulk hashing uses node:crypto
 * (OpenSSL, with the CPU's SHA instructions); pure-JS hashing is kept for small inputs.
 */
import {createHash} from 'node:crypto'
import {open} from 'node:fs/promises'

/**
 * Large reads: every chunk costs a read and a call into OpenSSL, so small chunks spend their time
 * in the calls rather than in hashing (README, "Speed").
 */
export const CHUNK_SIZE = 1024 * 1024

/**
 * Read buffers are reused: a batch of small files would otherwise allocate megabytes per file and
 * keep the garbage collector busy. A buffer goes back only once no read or write uses it.
 */
const freeBuffers: Buffer[] = []

export function takeBuffer(): Buffer {
  return freeBuffers.pop() ?? Buffer.allocUnsafe(CHUNK_SIZE)
}

export function giveBack(...buffers: Buffer[]): void {
  for (const buffer of buffers) if (freeBuffers.length < 16) freeBuffers.push(buffer)
}

export interface Digests {
  sha256: string
  sha512: string
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/** Hashes chunks as they come (a decrypted vault object, say). Returns their digests and their total size. */
export async function digestChunks(chunks: AsyncIterable<Uint8Array>, algorithms: 'both' | 'sha256' = 'both'): Promise<Digests & {size: number}> {
  const h256 = createHash('sha256')
  const h512 = algorithms === 'both' ? createHash('sha512') : undefined
  let size = 0
  for await (const chunk of chunks) {
    h256.update(chunk)
    h512?.update(chunk)
    size += chunk.length
  }

  return {sha256: h256.digest('hex'), sha512: h512?.digest('hex') ?? '', size}
}

/** Hashes a file in one streaming pass, telling `onBytes` each chunk read. Returns its digests and the number of bytes read. */
export async function digestFile(path: string, algorithms: 'both' | 'sha256' = 'both', options: {onBytes?: (bytes: number) => void} = {}): Promise<Digests & {size: number}> {
  const handle = await open(path, 'r')
  try {
    const h256 = createHash('sha256')
    const h512 = algorithms === 'both' ? createHash('sha512') : undefined
    const buffer = takeBuffer()
    let size = 0
    for (;;) {
      const {bytesRead} = await handle.read(buffer, 0, CHUNK_SIZE, null)
      if (bytesRead === 0) break
      const chunk = buffer.subarray(0, bytesRead)
      h256.update(chunk)
      h512?.update(chunk)
      size += bytesRead
      options.onBytes?.(bytesRead)
    }

    giveBack(buffer)
    return {sha256: h256.digest('hex'), sha512: h512?.digest('hex') ?? '', size}
  } finally {
    await handle.close()
  }
}
