/**
 * The store of known heads (src/known-heads/store.ts): the newest checkpoint custody signed for
 * each case, outside the case. It never goes backwards, keeps a record the ledger does not extend,
 * survives writers racing in several processes, puts an unreadable record aside, and a folder that
 * cannot be written is reported, not thrown. Real files, real signed checkpoints, real processes.
 */
import {spawn} from 'node:child_process'
import {randomBytes, randomUUID} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {bytesToHex} from '@noble/hashes/utils.js'
import {signCheckpoint} from '../../src/checkpoints/checkpoint.js'
import {compareFully} from '../../src/known-heads/compare.js'
import {knownHeadPath, knownHeadsFolder, readKnownHead, recordKnownHead, type RecordRequest} from '../../src/known-heads/store.js'
import {MerkleTree} from '../../src/merkle/tree.js'
import {ROOT, tempDir} from '../helpers/cli.js'
import {memorySigner} from '../helpers/keys.js'

const work = tempDir('custody-known-heads-')
afterAll(() => work.remove())
let n = 0

const signer = memorySigner()

/** A ledger stand-in: a Merkle tree over random leaves, and checkpoints of its prefixes signed for one case. */
function ledger(size: number, caseId: string = randomUUID()): {caseId: string; tree: MerkleTree; signed: (k: number) => {body: string; signature: string}; rootAt: (k: number) => string | undefined} {
  const tree = new MerkleTree(Array.from({length: size}, () => new Uint8Array(randomBytes(32))))
  return {
    caseId,
    tree,
    signed: (k) => signCheckpoint(signer, caseId, {treeSize: k, rootHash: bytesToHex(tree.root(k)), lastEventHash: bytesToHex(tree.leaf(k - 1))}),
    rootAt: (k) => (k > tree.size ? undefined : bytesToHex(tree.root(k))),
  }
}

function folder(): string {
  return knownHeadsFolder({XDG_STATE_HOME: join(work.path, `state-${n++}`)})
}

function request(l: ReturnType<typeof ledger>, size: number): RecordRequest {
  return {caseId: l.caseId, signed: l.signed(size), location: '/cases/test', rootAt: l.rootAt}
}

function checkpointFile(r: RecordRequest): {checkpoint: string; signature: string} {
  return {checkpoint: r.signed.body, signature: r.signed.signature}
}

function recordedSize(dir: string, caseId: string): number | undefined {
  const read = readKnownHead(dir, caseId)
  return read.status === 'found' ? read.head.checkpoint.treeSize : undefined
}

describe('the known heads', () => {
  it('is in $XDG_STATE_HOME/custody when that is absolute, else in ~/.local/state/custody', () => {
    expect(knownHeadsFolder({XDG_STATE_HOME: '/srv/state', HOME: '/home/a'})).toBe('/srv/state/custody')
    expect(knownHeadsFolder({XDG_STATE_HOME: 'relative/state', HOME: '/home/a'})).toBe('/home/a/.local/state/custody')
    expect(knownHeadsFolder({HOME: '/home/a'})).toBe('/home/a/.local/state/custody')
  })

  it('never goes backwards: a checkpoint of fewer events does not replace one of more', async () => {
    const dir = folder()
    const l = ledger(40)
    expect(await recordKnownHead(dir, request(l, 10))).toMatchObject({status: 'written'})
    expect(await recordKnownHead(dir, request(l, 5))).toMatchObject({status: 'kept', why: 'newer'})
    expect(recordedSize(dir, l.caseId)).toBe(10)
    const thirty = request(l, 30)
    expect(await recordKnownHead(dir, thirty)).toMatchObject({status: 'written'})
    expect(await recordKnownHead(dir, thirty)).toMatchObject({status: 'unchanged'})
    expect(recordedSize(dir, l.caseId)).toBe(30)
    // The record is a checkpoint file: the exact signed bytes and the signature, with the location.
    const record = JSON.parse(readFileSync(knownHeadPath(dir, l.caseId), 'utf8')) as Record<string, unknown>
    expect(record).toEqual({...checkpointFile(thirty), location: '/cases/test', recordedAt: expect.any(String) as string})
  })

  it('keeps a record that the ledger does not extend (another copy went its own way)', async () => {
    const dir = folder()
    const l = ledger(40)
    const fork = ledger(40, l.caseId)
    await recordKnownHead(dir, request(fork, 12))
    const before = readFileSync(knownHeadPath(dir, l.caseId), 'utf8')
    expect(await recordKnownHead(dir, request(l, 20))).toMatchObject({status: 'kept', why: 'not-extended'})
    expect(readFileSync(knownHeadPath(dir, l.caseId), 'utf8')).toBe(before)
    const read = readKnownHead(dir, l.caseId)
    expect(compareFully(read, l.tree)).toMatchObject({status: 'diverged', ledger: {size: 40}})
    expect(compareFully(read, fork.tree)).toMatchObject({status: 'matches', behind: 28})
    expect(compareFully(read, new MerkleTree(Array.from({length: 11}, (_, i) => fork.tree.leaf(i))))).toMatchObject({status: 'shorter', ledger: {size: 11}})
  })

  it('puts an unreadable record aside and replaces it; a record of another case is unreadable', async () => {
    const dir = folder()
    const l = ledger(8)
    mkdirSync(dir, {recursive: true})
    writeFileSync(knownHeadPath(dir, l.caseId), '{"checkpoint": tru')
    expect(readKnownHead(dir, l.caseId)).toMatchObject({status: 'unreadable', problem: 'it is not JSON'})
    const outcome = await recordKnownHead(dir, request(l, 8))
    expect(outcome).toMatchObject({status: 'written', aside: expect.stringMatching(/\.unreadable-.*\.json$/) as string})
    expect(readFileSync(outcome.status === 'written' ? outcome.aside! : '', 'utf8')).toBe('{"checkpoint": tru')
    expect(recordedSize(dir, l.caseId)).toBe(8)

    const other = ledger(8)
    writeFileSync(knownHeadPath(dir, l.caseId), readFileSync(knownHeadPath(dir, l.caseId), 'utf8'))
    writeFileSync(knownHeadPath(dir, other.caseId), readFileSync(knownHeadPath(dir, l.caseId), 'utf8'))
    expect(readKnownHead(dir, other.caseId)).toMatchObject({status: 'unreadable', problem: expect.stringContaining('another case') as string})
  })

  it('names a record after the case ID only when that is a safe file name', () => {
    expect(knownHeadPath('/s', '0b9f0a2c-6f0e-4d65-9b7e-3c1d2e4f5a6b')).toBe('/s/0b9f0a2c-6f0e-4d65-9b7e-3c1d2e4f5a6b.json')
    expect(knownHeadPath('/s', '../../etc/passwd')).toMatch(/^\/s\/case-[0-9a-f]{32}\.json$/)
  })

  it('reports a folder that cannot be written instead of failing', async () => {
    const file = join(work.path, `a-file-${n++}`)
    writeFileSync(file, 'not a folder')
    const outcome = await recordKnownHead(join(file, 'custody'), request(ledger(4), 4))
    expect(outcome).toMatchObject({status: 'not-written', problem: expect.stringContaining('cannot be written (ENOTDIR)') as string})
  })

  it('is yours alone whatever the umask: folder 0700, files 0600', async () => {
    const dir = folder()
    const l = ledger(4)
    const umask = process.umask(0o022)
    try {
      await recordKnownHead(dir, request(l, 4))
    } finally {
      process.umask(umask)
    }

    expect(statSync(dir).mode & 0o777).toBe(0o700)
    for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).mode & 0o777, name).toBe(0o600)
  })

  it('holds the newest checkpoint when four processes record at once, and is always readable meanwhile', async () => {
    const dir = folder()
    const l = ledger(200)
    const sizes = Array.from({length: 200}, (_, i) => i + 1)
    const input = join(work.path, `race-${n++}.json`)
    const roots = sizes.map((k) => l.rootAt(k))
    // Each process takes every fourth checkpoint, in a shuffled order.
    const shares = [0, 1, 2, 3].map((p) => sizes.filter((k) => k % 4 === p).sort(() => Math.random() - 0.5).map((k) => l.signed(k)))
    writeFileSync(input, JSON.stringify({dir, caseId: l.caseId, roots, shares}))
    const script = join(work.path, `race-${n++}.mts`)
    writeFileSync(
      script,
      `import {readFileSync} from 'node:fs'
import {recordKnownHead} from ${JSON.stringify(join(ROOT, 'src', 'known-heads', 'store.ts'))}
const {dir, caseId, roots, shares} = JSON.parse(readFileSync(process.argv[2], 'utf8'))
for (const signed of shares[Number(process.argv[3])]) {
  const outcome = await recordKnownHead(dir, {caseId, signed, location: '/cases/race', rootAt: (k) => roots[k - 1]})
  if (outcome.status === 'not-written') throw new Error(outcome.problem)
}
`,
    )
    const runs = [0, 1, 2, 3].map(
      (p) =>
        new Promise<number | null>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', script, input, String(p)], {cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit']})
          child.on('close', resolve)
        }),
    )
    let done = false
    const all = Promise.all(runs).finally(() => (done = true))
    let last = 0
    let reads = 0
    while (!done) {
      const read = readKnownHead(dir, l.caseId)
      if (read.status !== 'none') {
        expect(read.status).toBe('found')
        const size = read.status === 'found' ? read.head.checkpoint.treeSize : 0
        expect(size).toBeGreaterThanOrEqual(last)
        last = size
        reads++
      }

      await new Promise((resolve) => setTimeout(resolve, 2))
    }

    expect(await all).toEqual([0, 0, 0, 0])
    expect(reads).toBeGreaterThan(0)
    expect(recordedSize(dir, l.caseId)).toBe(200)
  })
})
