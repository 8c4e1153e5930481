/**
 * The age payload sealed on the worker thread (src/age/payload-worker.ts) as the encrypted vault
 * writes large objects (WorkerSealingSink): every chunk in its place, none lost, the final flag on
 * the last one, the stored SHA-256 that of the file on disk. Each file is opened by the standard
 * `age` tool and by the naive reference (tests/helpers/age-reference.ts), both of which refuse a
 * file whose chunks are out of order, missing, or end without the final flag.
 */
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {open} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {encryptionOnWorker, PayloadWorker} from '../../src/age/payload-worker.js'
import {generateIdentity, parseRecipient} from '../../src/age/x25519.js'
import {pumpHashed} from '../../src/hashing/pump.js'
import {sealingSink, WORKER_SEAL_BYTES, WorkerSealingSink, type StoredForm} from '../../src/vault/sealed-objects.js'
import {Vault} from '../../src/vault/vault.js'
import {referenceDecrypt} from '../helpers/age-reference.js'
import {tempDir} from '../helpers/cli.js'
import {checker} from '../helpers/tools.js'

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const KiB = 1024
const MiB = 1024 * KiB

/** Bytes that differ from chunk to chunk (a chunk sealed twice, or two swapped, changes what decrypts). */
function patterned(size: number): Buffer {
  const bytes = Buffer.alloc(size + 3)
  for (let i = 0; i < size; i += 4) bytes.writeUInt32LE(i, i)
  return bytes.subarray(0, size)
}

describe('the payload worker', () => {
  let tmp: ReturnType<typeof tempDir>
  const hq = generateIdentity()
  const recipients = [parseRecipient(hq.recipient)]
  let identityFile: string

  beforeAll(() => {
    tmp = tempDir()
    identityFile = join(tmp.path, 'hq.key')
    writeFileSync(identityFile, `${hq.identity}\n`, {mode: 0o600})
  })

  afterAll(async () => {
    await PayloadWorker.shared()[Symbol.asyncDispose]()
    tmp.remove()
  })

  /** What the age tool and the reference decrypt `path` to, checked to be the same bytes. */
  function opened(path: string): Buffer {
    const byReference = referenceDecrypt(readFileSync(path), hq.identity)
    const age = checker('age')
    if (age !== undefined) expect(execFileSync(age, ['-d', '-i', identityFile, path], {maxBuffer: 64 * MiB}).equals(byReference)).toBe(true)
    return byReference
  }

  /** Seals `plaintext` into `name` through the worker sink, fed by `feed`. */
  async function sealWith(name: string, feed: (sink: WorkerSealingSink) => Promise<void>): Promise<{path: string; stored: StoredForm}> {
    const path = join(tmp.path, name)
    const target = await open(path, 'wx')
    try {
      const sink = new WorkerSealingSink(target, recipients)
      await sink.start()
      await feed(sink)
      return {path, stored: await sink.finish()}
    } finally {
      await target.close()
    }
  }

  it('seals a file read by the hash pump in shared memory: multi-chunk, not a whole number of 64 KiB chunks', async () => {
    const plaintext = patterned(5 * MiB + 777)
    const source = join(tmp.path, 'pumped.bin')
    writeFileSync(source, plaintext)
    const handle = await open(source, 'r')
    const {path, stored} = await sealWith('pumped.age', async (sink) => {
      // parallel: the pump's chunks are then in shared memory, which the worker reads in place.
      await pumpHashed(handle, sink.take, {expectedSize: plaintext.length, parallel: true, readError: (e) => e as Error, abortError: () => new Error('aborted')})
    }).finally(() => handle.close())

    const file = readFileSync(path)
    expect(stored).toEqual({sha256: sha256(file), size: file.length})
    expect(opened(path).equals(plaintext)).toBe(true)
  })

  it('seals pieces of odd sizes from ordinary memory, each copied before it goes, more at once than there are slots for what comes back', async () => {
    // The first piece is larger than a slot of shared memory: its sealed bytes come back in their own buffer.
    const cuts = [0, 3 * MiB + 5, ...Array.from({length: 8}, (_, i) => 3 * MiB + 5 + (i + 1) * 100_003)]
    const plaintext = patterned(cuts.at(-1)! + 333)
    cuts.push(plaintext.length)
    const {path, stored} = await sealWith('pieces.age', async (sink) => {
      const taken: Array<Promise<unknown>> = []
      for (let i = 0; i + 1 < cuts.length; i++) {
        const piece = Buffer.from(plaintext.subarray(cuts[i], cuts[i + 1]))
        taken.push(sink.take(piece))
        // The caller's memory is its own again at once: what the worker seals is a copy.
        piece.fill(0xee)
      }

      await Promise.all(taken)
    })

    const file = readFileSync(path)
    expect(stored).toEqual({sha256: sha256(file), size: file.length})
    expect(opened(path).equals(plaintext)).toBe(true)
  })

  it('seals exactly 64 KiB as one final chunk, and no plaintext as one empty final chunk', async () => {
    for (const size of [64 * KiB, 0]) {
      const plaintext = patterned(size)
      const {path, stored} = await sealWith(`exact-${size}.age`, async (sink) => {
        if (size > 0) await sink.take(Buffer.from(plaintext))
      })

      const file = readFileSync(path)
      expect(stored).toEqual({sha256: sha256(file), size: file.length})
      expect(opened(path).equals(plaintext)).toBe(true)
    }
  })

  it('is what the vault seals a large object with, and the object decrypts to the source', async () => {
    const probe = await open(join(tmp.path, 'probe'), 'w')
    for (const [size, onWorker] of [[WORKER_SEAL_BYTES - 1, false], [WORKER_SEAL_BYTES, true]] as const) {
      const sink = sealingSink(probe, recipients, size)
      expect(sink instanceof WorkerSealingSink).toBe(onWorker)
      sink.drop()
    }

    await probe.close()
    const vault = new Vault(join(tmp.path, 'vault')).withKeys({addressKey: Buffer.alloc(32, 7), recipients, identities: []})
    await vault.create()
    const plaintext = patterned(WORKER_SEAL_BYTES + 64 * KiB + 5)
    const source = join(tmp.path, 'large.bin')
    writeFileSync(source, plaintext)
    const staged = await vault.stageFile(source)
    expect(staged.digests.sha256).toBe(sha256(plaintext))
    const {path} = await vault.commit(staged)
    const file = readFileSync(path)
    expect(staged.stored).toEqual({sha256: sha256(file), size: file.length})
    expect(opened(path).equals(plaintext)).toBe(true)
  })

  it("seals an archive after a vault object, 20 pieces waiting for their writes at once: each file gets shared memory of its own size", async () => {
    // A vault object's sealer has 4 slots for what comes back, an archive's 16; the memory of a
    // finished file is kept for the next of the same size only (an archive given the vault's
    // would have the worker write past its end).
    const small = await sealWith('before-archive.age', (sink) => sink.take(patterned(3 * 64 * KiB + 1)).then(() => undefined))
    expect(opened(small.path).equals(patterned(3 * 64 * KiB + 1))).toBe(true)

    const plaintext = patterned(20 * MiB + 9)
    const path = join(tmp.path, 'archive.age')
    const target = await open(path, 'wx')
    try {
      const {head, sealer} = encryptionOnWorker(recipients)
      await target.write(head, 0, head.length, 0)
      let release!: () => void
      const held = new Promise<void>((resolve) => (release = resolve))
      const s = sealer(async (bytes, at) => {
        await held
        await target.write(bytes, 0, bytes.length, at)
      })
      const taken: Array<Promise<unknown>> = []
      for (let at = 0; at < plaintext.length; at += MiB) taken.push(s.update(Buffer.from(plaintext.subarray(at, Math.min(plaintext.length, at + MiB)))))
      release()
      await Promise.all(taken)
      const sealed = await s.final()
      const file = readFileSync(path)
      expect(sealed).toEqual({sha256: sha256(file), size: file.length})
    } finally {
      await target.close()
    }

    expect(opened(path).equals(plaintext)).toBe(true)
  })

  it('fails a file whose write fails, leaves the worker serving the next, and a worker ended mid-file fails what waits on it', async () => {
    const path = join(tmp.path, 'read-only.age')
    writeFileSync(path, '')
    const readOnly = await open(path, 'r')
    try {
      const sink = new WorkerSealingSink(readOnly, recipients)
      await expect(sink.start()).rejects.toThrow(/EBADF/)
      await expect(sink.take(patterned(200 * KiB))).rejects.toThrow(/EBADF/)
      sink.drop()
    } finally {
      await readOnly.close()
    }

    const next = await sealWith('after-failure.age', (sink) => sink.take(patterned(70 * KiB)).then(() => undefined))
    expect(opened(next.path).equals(patterned(70 * KiB))).toBe(true)

    const target = await open(join(tmp.path, 'ended.age'), 'wx')
    try {
      const sink = new WorkerSealingSink(target, recipients)
      await sink.start()
      const pending = expect(sink.take(patterned(10 * 64 * KiB))).rejects.toThrow(/encryption worker was ended/)
      await PayloadWorker.shared()[Symbol.asyncDispose]()
      await pending
      await expect(sink.finish()).rejects.toThrow(/encryption worker was ended/)
    } finally {
      await target.close()
    }
  })
})
