/**
 * Makes tests/vectors/age-testkit.json from the age test vectors of C2SP/CCTV (folder
 * age/testdata; licence 0BSD, CC0 1.0 or Unlicense, at the user's choice):
 *
 *   git -C CCTV archive COMMIT age/testdata | tar -x -C /tmp/cctv
 *   npx tsx tests/vectors/make-age-testkit.ts /tmp/cctv/age/testdata COMMIT > tests/vectors/age-testkit.json
 *
 * Each vector file is a textual header (`key: value` lines), an empty line, then the age file,
 * zlib-compressed when the header says `compressed: zlib`. The file is kept as it is (base64,
 * still compressed: the large STREAM vectors are megabytes once inflated). Left out: armored
 * vectors (custody writes and reads binary age only) and those of the post-quantum hybrid type,
 * which custody does not implement. The vectors' comments are left out too: their names say what
 * each one tests.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

interface Vector {
  name: string
  expect: 'success' | 'no match' | 'HMAC failure' | 'header failure' | 'payload failure'
  /** SHA-256 (hex) of all the plaintext released before the end or the failure. */
  payload?: string
  identities: string[]
  passphrases: string[]
  compressed: boolean
  /** The age file, base64 (zlib-compressed when `compressed`). */
  file: string
}

const [folder, commit] = process.argv.slice(2)
if (folder === undefined || commit === undefined) throw new Error('usage: make-age-testkit.ts TESTDATA-FOLDER COMMIT')

function parseVector(name: string, bytes: Buffer): Vector | undefined {
  const split = bytes.indexOf('\n\n')
  const fields = bytes.subarray(0, split).toString('utf8').split('\n').map((line) => {
    const colon = line.indexOf(': ')
    return [line.slice(0, colon), line.slice(colon + 2)] as const
  })
  const all = (key: string): string[] => fields.filter(([k]) => k === key).map(([, v]) => v)
  const one = (key: string): string | undefined => all(key)[0]
  const identities = all('identity')
  if (one('armored') === 'yes' || identities.some((identity) => identity.startsWith('AGE-SECRET-KEY-PQ-'))) return undefined
  const payload = one('payload')
  return {
    name,
    expect: one('expect') as Vector['expect'],
    ...(payload === undefined ? {} : {payload}),
    identities,
    passphrases: all('passphrase'),
    compressed: one('compressed') === 'zlib',
    file: bytes.subarray(split + 2).toString('base64'),
  }
}

const vectors = readdirSync(folder)
  .sort()
  .map((name) => parseVector(name, readFileSync(join(folder, name))))
  .filter((vector) => vector !== undefined)

process.stdout.write(
  `${JSON.stringify(
    {
      desc: 'age v1 test vectors (the testkit of age-encryption.org/testkit), from C2SP/CCTV age/testdata; armored and post-quantum vectors left out. expect: success, no match (WRONG_KEY or WRONG_PASSPHRASE), HMAC failure, header failure, payload failure (INTEGRITY); payload: SHA-256 of the plaintext released before the end or the failure.',
      source: `https://github.com/C2SP/CCTV/tree/${commit}/age/testdata`,
      licence: '0BSD, CC0 1.0 or Unlicense, at the user\'s choice (C2SP/CCTV age/README.md)',
      vectors,
    },
    null,
    1,
  )}\n`,
)
