/**
 * The seal statement's module (src/seal/statement.ts): its parser, which takes a statement read
 * from an archive (hostile) and gives it typed or names the field that is wrong; and the pieces
 * that put its keys in the order a sealed statement has them, which its signature covers.
 */
import {describe, expect, it} from 'vitest'
import {parseSealedExhibit, parseStatement, sealIdOf, withExhibits, withReadme, type DescribedSeal, type SealStatement} from '../../src/seal/statement.js'

const HEX = 'ab'.repeat(32)

/** A statement with every optional part present (a timestamp, earlier seals, testimony), so every field is walked. */
function validStatement(): SealStatement {
  return {
    type: 'custody-seal',
    version: 1,
    sealId: 'SEAL-0123456789abcdef',
    case: {id: 'CASE-1', title: 'A case', organisation: 'An organisation', investigator: 'A. Investigator'},
    sealer: 'A. Investigator',
    sealedAt: '2024-05-01T09:00:00.000Z',
    purpose: 'court',
    note: 'a note',
    treeHead: {size: 12, root: HEX},
    checkpoint: {path: 'data/custody/checkpoint.json', signature: 'data/custody/checkpoint.json.sig', treeSize: 12, keyFingerprint: `sha256:${HEX}`},
    key: {path: 'data/custody/investigator.pem', fingerprint: `sha256:${HEX}`, algorithm: 'Ed25519'},
    timestamp: {
      checkpoint: 'data/custody/timestamped-checkpoint.json',
      key: 'data/custody/investigator.pem',
      treeSize: 10,
      tokens: [{path: 'data/custody/timestamped-checkpoint.json.tsr', tsa: 'http://127.0.0.1/tsa', genTime: '2024-05-01T08:00:00Z'}],
      consistencyProof: 'data/custody/consistency-proof.json',
      roots: 'data/custody/tsa-roots.pem',
    },
    events: {path: 'data/custody/events.jsonl', count: 9, sha256: HEX},
    earlierSeals: {path: 'data/custody/earlier-seals.jsonl', count: 1, sha256: HEX},
    readme: {path: 'README.txt', sha256: HEX},
    checker: {path: 'verify-bag.py', sha256: HEX},
    exhibits: [
      {
        exhibit: 'EX-000001',
        originalName: 'photo.jpg',
        path: 'data/exhibits/EX-000001/original/photo.jpg',
        metadataPath: 'data/exhibits/EX-000001/metadata.json',
        sha256: HEX,
        sha512: HEX + HEX,
        size: 1234,
        metadataRecord: HEX,
      },
    ],
    testimonies: [
      {
        exhibit: 'EX-000002',
        witness: 'W-001',
        interview: {startedAt: '2024-04-01T10:00:00Z', endedAt: null, place: 'an office', interviewers: ['A. Investigator'], present: [], interpreter: null, languages: ['en']},
        vulnerable: false,
        consent: ['court'],
        identityCommitment: HEX,
        identifyingContent: [],
        versions: [{version: 1, exhibit: 'EX-000002', sha256: HEX, reason: null}],
        attachments: ['EX-000001'],
      },
    ],
    custodyVersion: '0.1.0',
  }
}

/** Every field of a JSON value, as the parser names it ("case.title", "exhibits[0].size"), with its value. */
function* fields(value: unknown, at = ''): Generator<{at: string; value: unknown}> {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      yield {at: `${at}[${i}]`, value: item}
      yield* fields(item, `${at}[${i}]`)
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const path = at === '' ? key : `${at}.${key}`
      yield {at: path, value: item}
      yield* fields(item, path)
    }
  }
}

/** The statement with the field at `at` set to `value`, or removed when `value` is undefined. */
function changed(at: string, value: unknown): unknown {
  const copy = validStatement() as unknown as Record<string, unknown>
  const steps = at.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== '')
  let holder: Record<string, unknown> | unknown[] = copy
  for (const step of steps.slice(0, -1)) holder = (holder as Record<string, unknown>)[step] as Record<string, unknown>
  const last = steps.at(-1)!
  if (value === undefined && !Array.isArray(holder)) delete holder[last]
  else (holder as Record<string, unknown>)[last] = value
  return copy
}

/** A value of another type than `value`'s. */
function wrongType(value: unknown): unknown {
  if (typeof value === 'string') return 7
  if (typeof value === 'number') return '7'
  if (typeof value === 'boolean') return 'false'
  if (value === null) return 7
  if (Array.isArray(value)) return {}
  return []
}

describe('parseStatement', () => {
  it('gives a valid statement back as it is', () => {
    expect(parseStatement(validStatement())).toEqual(validStatement())
  })

  it('takes null where a statement may have nothing: no timestamp, no earlier seals, no organisation, purpose or note', () => {
    const statement = {...validStatement(), timestamp: null, earlierSeals: null, purpose: null, note: null, testimonies: [], exhibits: []}
    statement.case.organisation = null
    expect(parseStatement(statement)).toEqual(statement)
  })

  const all = [...fields(validStatement())]

  it.each(all.filter((f) => !/\[\d+\]$/.test(f.at)).map((f) => [f.at]))('refuses a statement without %s, naming it', (at) => {
    const parsed = parseStatement(changed(at, undefined))
    expect((parsed as {problem: string}).problem).toMatch(new RegExp(`^the seal statement's ${at.replaceAll(/[.[\]]/g, '\\$&')}: expected .+, got nothing$`))
  })

  it.each(all.map((f) => [f.at, f.value]))('refuses a statement whose %s is of the wrong type, naming it', (at, value) => {
    const wrong = wrongType(value)
    const parsed = parseStatement(changed(at, wrong))
    expect('problem' in parsed, at).toBe(true)
    expect((parsed as {problem: string}).problem).toMatch(new RegExp(`^the seal statement's ${at.replaceAll(/[.[\]]/g, '\\$&')}: expected .+, got `))
  })

  it.each([
    ['type', 'custody-archive', `the seal statement's type: expected "custody-seal", got string "custody-archive"`],
    ['version', 2, 'the seal statement\'s version: expected 1, got number 2'],
    ['key.algorithm', 'RSA', `the seal statement's key.algorithm: expected "Ed25519", got string "RSA"`],
    ['treeHead.size', -1, "the seal statement's treeHead.size: expected a whole number of 0 or more, got number -1"],
    ['exhibits[0].size', 1.5, "the seal statement's exhibits[0].size: expected a whole number of 0 or more, got number 1.5"],
    ['testimonies[0].interview.languages', ['en', 3], "the seal statement's testimonies[0].interview.languages[1]: expected text, got number 3"],
  ])('refuses a wrong %s with what was expected and what was found', (at, value, problem) => {
    expect(parseStatement(changed(at, value))).toEqual({problem})
  })

  it.each([null, [], 'seal', 7])('refuses %j, which is not an object', (value) => {
    expect(parseStatement(value)).toEqual({problem: expect.stringMatching(/^the seal statement: expected an object, got /) as string})
  })

  it('reads one exhibit of a streamed list alone', () => {
    const [exhibit] = validStatement().exhibits
    expect(parseSealedExhibit(exhibit)).toEqual(exhibit)
    expect(parseSealedExhibit({...exhibit, sha512: undefined}, 'exhibits[41]')).toEqual({problem: "the seal statement's exhibits[41].sha512: expected text, got nothing"})
  })
})

describe("the statement's key order", () => {
  const {readme: _readme, checker: _checker, exhibits: _exhibits, ...described} = validStatement()
  const head = withReadme(described as DescribedSeal, Buffer.from('README'), Buffer.from('CHECKER'))

  it('puts the README and checker digests after the earlier seals, and the exhibits before the testimonies, as sealed statements have them', () => {
    expect(Object.keys(withExhibits(head, []))).toEqual(Object.keys(validStatement()))
    // sha256sum of the 6 bytes "README", and of the 7 bytes "CHECKER".
    expect(head.readme).toEqual({path: 'README.txt', sha256: '2b7814d3fca2e99e56c51b6ff2aa313ea6e9da6424804240aa8ad891fdfe0900'})
    expect(head.checker).toEqual({path: 'verify-bag.py', sha256: '0e55b441eb1fa5ebb3ecd2056a6b0655c5523dadc568eed3e69a10b4552c49c8'})
  })
})

describe('sealIdOf', () => {
  const identity = {caseId: 'CASE-1', treeHead: {size: 3, root: HEX}, sealedAt: '2024-05-01T09:00:00.000Z', purpose: null}

  it('depends on the exhibits, and on nothing else than what identifies the seal', () => {
    const id = sealIdOf(identity, ['EX-1', 'EX-2'])
    expect(id).toMatch(/^SEAL-[0-9a-f]{16}$/)
    expect(sealIdOf({...identity}, ['EX-1', 'EX-2'])).toBe(id)
    expect(sealIdOf(identity, ['EX-1'])).not.toBe(id)
    expect(sealIdOf({...identity, purpose: 'court'}, ['EX-1', 'EX-2'])).not.toBe(id)
  })
})
