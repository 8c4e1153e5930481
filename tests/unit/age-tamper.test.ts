/**
 * The tamper matrix of src/age: an age file changed with outside tools (dd, truncate, head, tail,
 * printf, sed), each change refused with its code, exit code, the object it names and what it
 * says; and each refused by the real `age -d` too, so that every case is a real attack and not a
 * file custody merely misreads. Decrypted both whole (decryptBytes) and as a Node stream.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {copyFileSync, createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {Writable} from 'node:stream'
import {afterAll, describe, expect, it} from 'vitest'
import {createDecryptStream, decryptBytes} from '../../src/age/decrypt.js'
import {encryptBytes} from '../../src/age/encrypt.js'
import type {AgeKey} from '../../src/age/unwrap.js'
import {generateIdentity, parseIdentity, parseRecipient} from '../../src/age/x25519.js'
import {CustodyError} from '../../src/errors.js'
import {referenceEncrypt} from '../helpers/age-reference.js'
import {checker} from '../helpers/tools.js'

const work = mkdtempSync(join(tmpdir(), 'custody-age-tamper-'))
afterAll(() => rmSync(work, {recursive: true, force: true}))
const age = checker('age')

const SEALED_CHUNK = 65536 + 16
const alice = generateIdentity()
const bob = generateIdentity()
const aliceFile = join(work, 'alice.txt')
writeFileSync(aliceFile, `${alice.identity}\n`)

/** Three full chunks and a short final one, to Alice and to Bob. */
const base = join(work, 'base.age')
writeFileSync(base, encryptBytes(randomBytes(3 * 65536 + 3392), [parseRecipient(alice.recipient), parseRecipient(bob.recipient)]))
/** Two full chunks, the second final: a file whose size is a multiple of 64 KiB. */
const whole = join(work, 'whole.age')
writeFileSync(whole, encryptBytes(randomBytes(2 * 65536), [parseRecipient(alice.recipient)]))
const headerEnd = (path: string): number => readFileSync(path).indexOf('\n---') + 1 + 48
const H = headerEnd(base)
const P = H + 16
const size = readFileSync(base).length

/** A copy of `source` named `name`, changed by the shell command `change` (the copy is $F). */
function tampered(name: string, change: string, source = base): string {
  const path = join(work, name)
  copyFileSync(source, path)
  execFileSync('sh', ['-c', change], {env: {...process.env, F: path}})
  return path
}

/** The byte at `offset` replaced by another, with dd. */
function flip(name: string, offset: number, source = base): string {
  const other = readFileSync(source)[offset]! ^ 0xff
  return tampered(name, `printf '\\${other.toString(8).padStart(3, '0')}' | dd of="$F" bs=1 seek=${offset} conv=notrunc status=none`, source)
}

interface Case {
  desc: string
  file: () => string
  keys?: () => AgeKey[]
  code: 'INTEGRITY' | 'WRONG_KEY'
  says: RegExp
  /** age -d decrypts it (an armored file): custody refuses it all the same. */
  ageReads?: true
}

const CASES: Case[] = [
  {desc: 'a byte changed in a middle chunk', file: () => flip('middle.age', P + SEALED_CHUNK + 100), code: 'INTEGRITY', says: new RegExp(`chunk 1 \\(from byte ${P + SEALED_CHUNK} of the file\\) does not authenticate`)},
  {desc: 'a byte changed in the final chunk', file: () => flip('final.age', size - 20), code: 'INTEGRITY', says: /its last chunk, chunk 3 .* does not authenticate/},
  {desc: 'a byte changed in a tag', file: () => flip('tag.age', P + SEALED_CHUNK - 1), code: 'INTEGRITY', says: /chunk 0 .* does not authenticate/},
  {desc: 'the final chunk dropped', file: () => tampered('dropped.age', `truncate -s ${P + 3 * SEALED_CHUNK} "$F"`), code: 'INTEGRITY', says: /ends after chunk 2 .*, which is not its final chunk: the file was cut short at a chunk boundary/},
  {desc: 'cut inside a middle chunk', file: () => tampered('cut-middle.age', `truncate -s ${P + SEALED_CHUNK + 30_000} "$F"`), code: 'INTEGRITY', says: /its last chunk, chunk 1 .* does not authenticate: bytes in it were changed, cut off or added/},
  {desc: 'cut inside the final chunk', file: () => tampered('cut-final.age', `truncate -s ${size - 100} "$F"`), code: 'INTEGRITY', says: /its last chunk, chunk 3 .* does not authenticate/},
  {desc: 'cut inside the final chunk, before a whole tag', file: () => tampered('cut-tag.age', `truncate -s ${P + 3 * SEALED_CHUNK + 10} "$F"`), code: 'INTEGRITY', says: /ends 10 bytes into chunk 3 .*, too short to hold its tag/},
  {desc: 'data appended after a full final chunk', file: () => tampered('appended-full.age', `printf 'more' >> "$F"`, whole), code: 'INTEGRITY', says: /data follows its final chunk, chunk 1/},
  {desc: 'data appended after a short final chunk', file: () => tampered('appended-short.age', `printf 'more' >> "$F"`), code: 'INTEGRITY', says: /its last chunk, chunk 3 .* does not authenticate: bytes in it were changed, cut off or added/},
  {
    desc: 'two chunks swapped',
    file: () => tampered('swapped.age', `{ head -c ${P} "$F"; tail -c +${P + SEALED_CHUNK + 1} "$F" | head -c ${SEALED_CHUNK}; tail -c +${P + 1} "$F" | head -c ${SEALED_CHUNK}; tail -c +${P + 2 * SEALED_CHUNK + 1} "$F"; } > "$F.new" && mv "$F.new" "$F"`),
    code: 'INTEGRITY',
    says: /chunk 0 .* does not authenticate: a byte in it changed, or chunks were moved/,
  },
  {desc: 'the payload nonce changed', file: () => flip('nonce.age', H + 3), code: 'INTEGRITY', says: /chunk 0 .* does not authenticate/},
  {desc: 'the header MAC changed', file: () => tampered('mac.age', `sed -i '0,/^--- ./s/^--- ./--- ${readFileSync(base).toString('latin1', H - 44, H - 43) === 'A' ? 'B' : 'A'}/' "$F"`), code: 'INTEGRITY', says: /header MAC does not match/},
  {desc: "another recipient's stanza changed", file: () => tampered('bob-stanza.age', `sed -i '4s/^-> X25519 ./-> X25519 ${lineStart(4, '-> X25519 '.length) === 'A' ? 'B' : 'A'}/' "$F"`), code: 'INTEGRITY', says: /header MAC does not match/},
  {desc: 'a stanza added to the header', file: () => tampered('added.age', `sed -i '0,/^---/s/^---/-> grease\\n\\n---/' "$F"`), code: 'INTEGRITY', says: /header MAC does not match/},
  {desc: 'the version line changed', file: () => tampered('version.age', `sed -i '1s/v1/v2/' "$F"`), code: 'INTEGRITY', says: /it is age version "v2", and custody reads only v1/},
  {desc: 'a header line ending in CRLF', file: () => tampered('crlf.age', `sed -i '2s/$/\\r/' "$F"`), code: 'INTEGRITY', says: /header line 2 is a stanza whose arguments are not printable words/},
  {desc: 'a header that never ends (1.2 MB of one stanza line)', file: () => tampered('endless.age', `{ printf 'age-encryption.org/v1\\n-> X25519 '; head -c 1200000 /dev/zero | tr '\\0' A; } > "$F"`), code: 'INTEGRITY', says: /its header does not end within 1048576 bytes/},
  {desc: 'cut inside the header', file: () => tampered('cut-header.age', `truncate -s 40 "$F"`), code: 'INTEGRITY', says: /it ends inside its header/},
  {desc: 'cut before the payload nonce', file: () => tampered('cut-nonce.age', `truncate -s ${H + 5} "$F"`), code: 'INTEGRITY', says: /it ends before its 16-byte payload nonce/},
  {desc: 'cut right after the payload nonce', file: () => tampered('cut-payload.age', `truncate -s ${P} "$F"`), code: 'INTEGRITY', says: /the payload has no chunk/},
  {
    desc: 'an empty final chunk after a full one',
    file: () => {
      const path = join(work, 'empty-final.age')
      writeFileSync(path, referenceEncrypt(Buffer.alloc(0), [alice.recipient], {chunks: [{data: randomBytes(65536), last: false}, {data: Buffer.alloc(0), last: true}]}))
      return path
    },
    code: 'INTEGRITY',
    says: /its final chunk, chunk 1 .*, is empty, which age allows only for an empty file/,
  },
  {desc: "the stanza for the identity given changed (age cannot tell this from another's file)", file: () => tampered('alice-stanza.age', `sed -i '3s/^./${lineStart(3) === 'A' ? 'B' : 'A'}/' "$F"`), code: 'WRONG_KEY', says: /none of the identities given opens .*alice-stanza\.age/},
  {desc: 'another identity', file: () => base, keys: () => [parseIdentity(generateIdentity().identity)], code: 'WRONG_KEY', says: /none of the identities given opens .*base\.age: it was encrypted to other recipients/},
  {desc: 'not an age file (a JPEG)', file: () => tampered('photo.age', `cp fixtures/camera-samples/Canon.jpg "$F"`), code: 'INTEGRITY', says: /it does not begin with "age-encryption.org\/", so it is not an age file at all/},
  {desc: 'an empty file', file: () => tampered('empty.age', `: > "$F"`), code: 'INTEGRITY', says: /is not an intact age file: it is empty/},
  {desc: 'an ASCII-armored age file', file: () => tampered('armored.age', `${age ?? 'age'} -a -r ${alice.recipient} -o "$F" fixtures/camera-samples/Canon.jpg`), code: 'INTEGRITY', says: /it is ASCII-armored \(PEM\)/, ageReads: true},
]

/** The character at `column` of line `line` (from 1) of the base file's header. */
function lineStart(line: number, column = 0): string {
  return readFileSync(base).toString('latin1').split('\n')[line - 1]!.charAt(column)
}

async function refusalOf(run: () => Promise<unknown>): Promise<CustodyError> {
  try {
    await run()
  } catch (error) {
    expect(error).toBeInstanceOf(CustodyError)
    return error as CustodyError
  }

  throw new Error('expected a refusal')
}

describe('a changed age file is refused', () => {
  for (const tamper of CASES) {
    it.skipIf(age === undefined && tamper.desc.includes('ASCII'))(tamper.desc, async () => {
      const path = tamper.file()
      const keys = tamper.keys?.() ?? [parseIdentity(alice.identity)]
      const whole = await refusalOf(() => decryptBytes(readFileSync(path), keys, {object: path}))
      expect(whole.code).toBe(tamper.code)
      expect(whole.exitCode).toBe(tamper.code === 'INTEGRITY' ? 3 : 2)
      expect(whole.subject).toBe(path)
      expect(whole.message).toMatch(tamper.says)
      expect(whole.message).toContain(path)

      const sink = new Writable({write: (_chunk, _encoding, callback) => callback()})
      const streamed = await refusalOf(() => pipeline(createReadStream(path, {highWaterMark: 10_000}), createDecryptStream(keys, {object: path}), sink))
      expect(streamed.message).toBe(whole.message)

      if (age !== undefined && tamper.keys === undefined) {
        const byAge = spawnSync(age, ['-d', '-i', aliceFile, path])
        expect(byAge.status !== 0, `age -d on ${tamper.desc}`).toBe(tamper.ageReads !== true)
      }
    })
  }

  it('the untouched files open', async () => {
    for (const path of [base, whole]) expect((await decryptBytes(readFileSync(path), [parseIdentity(alice.identity)], {object: path})).length).toBeGreaterThan(0)
    if (age !== undefined) expect(spawnSync(age, ['-d', '-i', aliceFile, base]).status).toBe(0)
  })
})
