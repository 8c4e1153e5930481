/**
 * The earlier-seals file (src/seal/earlier-seals.ts) and its check (src/verify/archive/earlier-seals.ts),
 * and the Python check that every bag's README.txt gives for it (src/seal/readme.ts), which must
 * judge every consistency proof as custody's verifier does: genuine proofs between every pair of
 * sizes up to 40, and each of them altered.
 */
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {bytesToHex, hexToBytes} from '@noble/hashes/utils.js'
import {canonicalize} from '../../src/canonical/jcs.js'
import {MerkleTree} from '../../src/merkle/tree.js'
import {verifyConsistency} from '../../src/merkle/verify.js'
import {CONSISTENCY_CHECK_PY} from '../../src/seal/readme.js'
import {EARLIER_SEALS_PATH, earlierSealsText, parseEarlierSeal, type EarlierSeal} from '../../src/seal/earlier-seals.js'
import {checkEarlierSeals} from '../../src/verify/archive/earlier-seals.js'
import {createHash} from 'node:crypto'

const tree = new MerkleTree(Array.from({length: 40}, () => new Uint8Array(randomBytes(32))))
const hex = (b: Uint8Array): string => bytesToHex(b)

interface Case {
  m: number
  n: number
  old: string
  root: string
  proof: string[]
}

function tsAccepts(c: Case): boolean {
  try {
    verifyConsistency(c.m, c.n, hexToBytes(c.old), hexToBytes(c.root), c.proof.map((h) => hexToBytes(h)))
    return true
  } catch {
    return false
  }
}

/** The README's Python function, run over every case at once. */
function pythonAccepts(cases: Case[]): boolean[] {
  const lines = CONSISTENCY_CHECK_PY.slice(1, -1)
  const functions = lines.slice(0, lines.findIndex((line) => line.startsWith('cp = ')))
  const script = [
    ...functions,
    'import sys',
    'for c in json.load(sys.stdin):',
    "    print(consistent(c['m'], c['n'], bytes.fromhex(c['old']), bytes.fromhex(c['root']), [bytes.fromhex(h) for h in c['proof']]))",
  ].join('\n')
  const result = spawnSync('python3', ['-c', script], {input: JSON.stringify(cases), encoding: 'utf8'})
  expect(result.status, result.stderr).toBe(0)
  return result.stdout.trim().split('\n').map((line) => line === 'True')
}

const flip = (h: string): string => `${h[0] === '0' ? '1' : '0'}${h.slice(1)}`

describe("the README's Python check of consistency proofs", () => {
  it('accepts every genuine proof and refuses every altered one, as verifyConsistency does', () => {
    const cases: Case[] = []
    for (let n = 2; n <= 40; n++) {
      for (let m = 1; m < n; m++) {
        const genuine = {m, n, old: hex(tree.root(m)), root: hex(tree.root(n)), proof: tree.consistencyProof(m, n).map(hex)}
        cases.push(genuine)
        cases.push({...genuine, old: flip(genuine.old)})
        cases.push({...genuine, root: flip(genuine.root)})
        cases.push({...genuine, proof: genuine.proof.map((h, i) => (i === genuine.proof.length - 1 ? flip(h) : h))})
        cases.push({...genuine, proof: genuine.proof.slice(1)})
        cases.push({...genuine, proof: [...genuine.proof, genuine.root]})
        // The proof of one size given as the proof of another.
        if (m + 1 < n) cases.push({...genuine, m: m + 1})
      }
    }

    const python = pythonAccepts(cases)
    const ts = cases.map(tsAccepts)
    expect(python).toEqual(ts)
    // The genuine ones are all accepted, and only they.
    expect(ts.filter(Boolean).length).toBe((39 * 40) / 2)
    expect(cases.filter((c, i) => ts[i] && c.proof.join() !== tree.consistencyProof(c.m, c.n).map(hex).join())).toEqual([])
  })
})

describe('earlier-seals.jsonl', () => {
  const seal = (size: number, seq: number): EarlierSeal => ({
    sealId: `SEAL-${createHash('sha256').update(String(seq)).digest('hex').slice(0, 16)}`,
    archiveSha256: hex(randomBytes(32)),
    sealedAt: '2024-05-01T09:00:00.000Z',
    seq,
    treeHead: {size, root: hex(tree.root(size))},
    consistencyProof: tree.consistencyProof(size, 40).map(hex),
  })
  const sealed = {size: 40, root: hex(tree.root())}
  /** The file as the verifier reads it from a bag: its digest, and its lines read again with each byte seen. */
  const fileOf = (text: string): {sha256: string; lines: (onBytes: (chunk: Buffer) => void) => AsyncIterable<string>} => ({
    sha256: createHash('sha256').update(text).digest('hex'),
    lines: async function* (onBytes) {
      onBytes(Buffer.from(text))
      const lines = text.split('\n')
      if (lines.at(-1) === '') lines.pop()
      yield* lines
    },
  })
  const statementOf = (text: string, count: number): Record<string, unknown> => ({earlierSeals: {path: EARLIER_SEALS_PATH, count, sha256: createHash('sha256').update(text).digest('hex')}})

  it('round-trips through its writer and parser, and passes its check', async () => {
    const seals = [seal(5, 6), seal(13, 20)]
    const text = earlierSealsText(seals)
    expect(text.split('\n').slice(0, -1).map(parseEarlierSeal)).toEqual(seals)
    const result = await checkEarlierSeals({file: fileOf(text), statement: statementOf(text, 2), treeHead: sealed})
    expect(result.problems).toEqual([])
    expect(result.seals).toEqual(seals)
  })

  it('refuses lines that are not canonical, have extra fields or bad values', () => {
    const line = earlierSealsText([seal(5, 6)]).trim()
    const value = JSON.parse(line) as Record<string, unknown>
    expect(parseEarlierSeal(JSON.stringify(value, null, 1))).toEqual({problem: 'it is not in canonical form (RFC 8785)'})
    expect(parseEarlierSeal(canonicalize({...value, note: 'x'}))).toEqual({problem: 'it has fields an earlier seal does not have'})
    expect(parseEarlierSeal(canonicalize({...value, sealId: '../x'}))).toEqual({problem: 'its sealId is not a seal ID'})
    expect(parseEarlierSeal(canonicalize({...value, consistencyProof: ['zz']}))).toEqual({problem: 'its consistencyProof is not a list of hashes'})
    expect(parseEarlierSeal('[1]')).toEqual({problem: 'it is not a JSON object'})
  })

  it('names a file the statement does not match, a seal out of order, one outside the tree, and a proof that does not lead to the sealed head', async () => {
    const seals = [seal(13, 20), seal(5, 6), seal(5, 45)]
    const text = earlierSealsText(seals)
    const result = await checkEarlierSeals({file: fileOf(text), statement: statementOf('another file', 3), treeHead: sealed})
    expect(result.seals).toBeNull()
    // Each line as it is read, then the file as a whole against the statement.
    expect(result.problems.map((p) => p.message)).toEqual([
      expect.stringContaining('is not in ledger order after'),
      expect.stringContaining('outside the sealed tree of 40 events'),
      'is not the file the seal statement names (a seal was added, removed or changed)',
    ])
    const other = await checkEarlierSeals({file: fileOf(text), statement: statementOf(text, 3), treeHead: {size: 40, root: flip(sealed.root)}})
    expect(other.problems.filter((p) => p.message.includes('does not lead to the sealed tree head'))).toHaveLength(3)
  })

  it('tells an archive with no earlier seal from one made before custody listed them, and refuses the file when the statement does not name it', async () => {
    expect(await checkEarlierSeals({file: undefined, statement: {earlierSeals: null}, treeHead: sealed})).toMatchObject({problems: [], seals: []})
    expect(await checkEarlierSeals({file: undefined, statement: {}, treeHead: sealed})).toMatchObject({problems: [], seals: null})
    const text = earlierSealsText([seal(5, 6)])
    expect((await checkEarlierSeals({file: fileOf(text), statement: {earlierSeals: null}, treeHead: sealed})).problems).toEqual([
      expect.objectContaining({message: 'is in the bag, but the seal statement does not name it'}),
    ])
  })
})
