/**
 * What `custody verify ARCHIVE` keeps of each file and each stated exhibit of a bag while it checks
 * it, packed so that an archive of many exhibits costs little memory: digests as 96 bytes in one
 * growing buffer (not two hex strings and an object), flags as bits.
 */
import type {ZipEntryInfo} from '../archive/zip-reader.js'

const SHA256_BYTES = 32
const SHA512_BYTES = 64
const ROW = SHA256_BYTES + SHA512_BYTES
const HEX256 = /^[0-9a-f]{64}$/
const HEX512 = /^[0-9a-f]{128}$/

/** SHA-256 and SHA-512 pairs, 96 bytes a row. */
class DigestTable {
  private bytes = Buffer.alloc(ROW * 256)
  private rows = 0

  /** Both digests must be lowercase hex of their length. */
  add(sha256: string, sha512: string): number {
    if ((this.rows + 1) * ROW > this.bytes.length) {
      const grown = Buffer.alloc(this.bytes.length * 2)
      this.bytes.copy(grown)
      this.bytes = grown
    }

    this.set(this.rows, sha256, sha512)
    return this.rows++
  }

  set(row: number, sha256: string, sha512: string): void {
    this.bytes.write(sha256, row * ROW, SHA256_BYTES, 'hex')
    this.bytes.write(sha512, row * ROW + SHA256_BYTES, SHA512_BYTES, 'hex')
  }

  hex(row: number, algorithm: 'sha256' | 'sha512'): string {
    const at = row * ROW
    return algorithm === 'sha256' ? this.bytes.toString('hex', at, at + SHA256_BYTES) : this.bytes.toString('hex', at + SHA256_BYTES, at + ROW)
  }
}

/** Bits of BagFile.marks. */
export const IN_MANIFEST_SHA256 = 1
export const IN_MANIFEST_SHA512 = 2
export const STATED = 4

/** A file of the bag: where it is in the ZIP, its size, its digests, and what names it. */
export interface BagFile {
  info: ZipEntryInfo
  size: number
  /** Its row in the bag's digest table. */
  row: number
  /** IN_MANIFEST_SHA256, IN_MANIFEST_SHA512, STATED. */
  marks: number
  /** Its bytes, for the small tag and custody files read whole. */
  bytes?: Buffer
}

/** The files of the bag by their path inside it, with their digests. */
export class BagFiles {
  private readonly byPath = new Map<string, BagFile>()
  private readonly digests = new DigestTable()

  add(path: string, info: ZipEntryInfo, digest: {sha256: string; sha512: string; size: number; bytes?: Buffer}): void {
    this.byPath.set(path, {info, size: digest.size, row: this.digests.add(digest.sha256, digest.sha512), marks: 0, ...(digest.bytes ? {bytes: digest.bytes} : {})})
  }

  get(path: string): BagFile | undefined {
    return this.byPath.get(path)
  }

  digest(file: BagFile, algorithm: 'sha256' | 'sha512'): string {
    return this.digests.hex(file.row, algorithm)
  }

  paths(): IterableIterator<string> {
    return this.byPath.keys()
  }
}

/**
 * The exhibits the seal statement states, in its order, with the digests it states for each, and
 * what the sealed events say of them: whether an ingest event was found, and whether its digests
 * are the stated ones (the last ingest event of an exhibit counts, as the ledger's fold has it).
 */
export class StatedExhibits {
  private readonly rows = new Map<string, number>()
  private readonly digests = new DigestTable()
  /** Stated digests that are not hex (only a forged statement has them), by row. */
  private readonly odd = new Map<number, {sha256: string; sha512: string}>()
  private ingest = new Uint8Array(256)
  /** The ingest event's SHA-256 of each exhibit whose ingest digests differ from the statement's. */
  private readonly differing = new Map<number, string>()

  add(id: string, sha256: unknown, sha512: unknown): void {
    const hex = typeof sha256 === 'string' && typeof sha512 === 'string' && HEX256.test(sha256) && HEX512.test(sha512)
    const [a, b] = hex ? [sha256, sha512] : ['00'.repeat(SHA256_BYTES), '00'.repeat(SHA512_BYTES)]
    let row = this.rows.get(id)
    if (row === undefined) {
      row = this.digests.add(a, b)
      this.rows.set(id, row)
      if (row >= this.ingest.length) {
        const grown = new Uint8Array(this.ingest.length * 2)
        grown.set(this.ingest)
        this.ingest = grown
      }
    } else {
      this.digests.set(row, a, b)
    }

    if (hex) this.odd.delete(row)
    else this.odd.set(row, {sha256: String(sha256), sha512: String(sha512)})
  }

  /** The SHA-256 the statement states for an exhibit, if it states the exhibit. */
  sha256(id: string): string | undefined {
    const row = this.rows.get(id)
    return row === undefined ? undefined : this.stated(row).sha256
  }

  private stated(row: number): {sha256: string; sha512: string} {
    return this.odd.get(row) ?? {sha256: this.digests.hex(row, 'sha256'), sha512: this.digests.hex(row, 'sha512')}
  }

  /** An ingest event of `id` with these digests (ignored when the statement does not state it). */
  ingested(id: string, digests: Record<string, unknown>): void {
    const row = this.rows.get(id)
    if (row === undefined) return
    this.ingest[row] = 1
    const stated = this.stated(row)
    if (digests.sha256 !== stated.sha256 || digests.sha512 !== stated.sha512) this.differing.set(row, String(digests.sha256))
    else this.differing.delete(row)
  }

  /** Each stated exhibit, in order, with what its ingest event said: none, the same, or other digests. */
  *ingestResults(): Generator<{id: string; stated: string; ingest: 'missing' | 'same' | {sha256: string}}> {
    for (const [id, row] of this.rows) {
      const differing = this.differing.get(row)
      const ingest = this.ingest[row] === 0 ? 'missing' : differing === undefined ? 'same' : {sha256: differing}
      yield {id, stated: this.stated(row).sha256, ingest}
    }
  }
}
