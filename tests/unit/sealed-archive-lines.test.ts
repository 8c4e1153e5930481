/**
 * The events.jsonl lines a seal writes from an encrypted ledger (schema 4, design step 2): a v2
 * line carries the envelope as stored (which the hash, the leaf and the inclusion proof are over),
 * the event in clear and the body's salt. Both verifiers, custody's (src/verify/archive/events.ts)
 * and verify-bag.py (Python's standard library alone), accept every line the seal writes, still
 * accept a case in clear's v1 lines, and refuse a v2 line whose event is not the one its envelope
 * commits to. The whole archive's path (a seal of an encrypted case) waits for the case wiring.
 */
import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import type {Case} from '../../src/case/case.js'
import {Ledger} from '../../src/ledger/ledger.js'
import {TagKey} from '../../src/ledger/tags.js'
import {SealChoice} from '../../src/seal/choice.js'
import {SealedEvents} from '../../src/seal/events-file.js'
import {chainHash, eventLeafHash} from '../../src/ledger/event.js'
import {parseEventLine} from '../../src/verify/archive/events.js'
import {tempDir} from '../helpers/cli.js'
import {createCaseDraft, ingestDraft, ingestFailedDraft} from '../helpers/drafts.js'
import {memorySigner} from '../helpers/keys.js'

const signer = {caseId: 'c', signer: memorySigner()}
const own = generateIdentity()
const bodyKeys = {recipients: [parseRecipient(own.recipient)], identities: [parseIdentity(own.identity)]}
const tmp = tempDir()
afterAll(() => tmp.remove())

/** The lines a seal of EX-000001 writes from a ledger, and the tree's root. */
function sealedLines(encrypted: boolean): {lines: string[]; root: string} {
  const path = join(tmp.path, `${encrypted ? 'sealed' : 'clear'}-${Math.random().toString(16).slice(2)}.sqlite`)
  const options = encrypted ? {tagKey: new TagKey(Buffer.alloc(32, 1)), bodyKeys} : {}
  const {ledger} = Ledger.create(path, [createCaseDraft()], signer, options)
  ledger.append(() => ({drafts: [ingestDraft('EX-000001', 'a'.repeat(64)), ingestFailedDraft(1), ingestDraft('EX-000002', 'b'.repeat(64))], result: undefined}))
  using choice = new SealChoice()
  choice.add('EX-000001')
  const tree = ledger.tree()
  // SealedEvents reads the case's ledger and nothing else of it.
  const events = new SealedEvents({ledger} as unknown as Case, tree, choice)
  const lines = [...events.lines()]
  ledger.close()
  return {lines, root: Buffer.from(tree.root()).toString('hex')}
}

/** What verify-bag.py's own functions say of each line: OK, or the problem. */
function pythonSays(lines: string[], root: string): string[] {
  const file = join(tmp.path, `lines-${Math.random().toString(16).slice(2)}.jsonl`)
  writeFileSync(file, lines.join(''))
  const script = `
import importlib.util, hashlib, sys
spec = importlib.util.spec_from_file_location('vb', sys.argv[1]); vb = importlib.util.module_from_spec(spec); spec.loader.exec_module(vb)
root, size = bytes.fromhex(sys.argv[3]), int(sys.argv[4])
for raw in open(sys.argv[2], 'rb').read().splitlines(keepends=True):
    e = vb.event_line(raw)
    if isinstance(e, str):
        print(e); continue
    leaf = hashlib.sha256(b'\\x00' + e['stored']).digest()
    ok = hashlib.sha256(bytes.fromhex(e['prev']) + e['stored']).hexdigest() == e['hash'] and leaf.hex() == e['leafHash'] \\
        and vb.inclusion_root(e['seq'], size, leaf, e['proof']) == root
    print('OK' if ok else 'hash, leaf or proof wrong')
`
  return execFileSync('python3', ['-c', script, resolve('src/seal/verify-bag.py'), file, root, '4']).toString().trim().split('\n')
}

describe('events.jsonl of an encrypted ledger', () => {
  const sealed = sealedLines(true)

  it('has v2 lines: the envelope, the event in clear, the salt; the hash and leaf over the envelope', () => {
    expect(sealed.lines.length).toBe(2)
    for (const text of sealed.lines) {
      expect(text.startsWith('{"envelope":{"bodyCommitment":"')).toBe(true)
      const line = parseEventLine(text, 'line')
      if (!('entry' in line)) throw new Error(line.message)
      expect(chainHash(String(line.entry.prev), line.chained)).toBe(line.entry.hash)
      expect(Buffer.from(eventLeafHash(line.chained)).toString('hex')).toBe(line.entry.leafHash)
      expect(line.parsed).toHaveProperty('event')
    }
  })

  it('is accepted by verify-bag.py, as a case in clear\'s v1 lines are', () => {
    expect(pythonSays(sealed.lines, sealed.root)).toEqual(['OK', 'OK'])
    const clear = sealedLines(false)
    expect(clear.lines[0]!.startsWith('{"event":')).toBe(true)
    expect(pythonSays(clear.lines, clear.root)).toEqual(['OK', 'OK'])
  })

  it('a line whose event is not the one its envelope commits to is refused by both verifiers', () => {
    const forged = sealed.lines[1]!.replace('"actor":"tester"', '"actor":"forger"')
    expect(forged).not.toBe(sealed.lines[1])
    const line = parseEventLine(forged, 'line')
    expect(line).toMatchObject({subject: 'event 1', message: expect.stringContaining("does not match its envelope's commitment")})
    expect(pythonSays([sealed.lines[0]!, forged], sealed.root)).toEqual(['OK', expect.stringContaining("is not the envelope's bodyCommitment")])
    // The salt changed instead: the same refusal.
    const salted = sealed.lines[1]!.replace(/"salt":"([0-9a-f])/, (_m, c: string) => `"salt":"${c === '0' ? '1' : '0'}`)
    expect(parseEventLine(salted, 'line')).toMatchObject({subject: 'event 1'})
    expect(pythonSays([salted], sealed.root)[0]).toContain('bodyCommitment')
  })
})
