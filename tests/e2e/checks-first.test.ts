/**
 * One order of checks in every command that asks for the passphrase: usage, then the case, then
 * the passphrase. Run with no CUSTODY_PASSPHRASE and no terminal, each mistake below is named as
 * itself, where before it was "needs the case passphrase": what can be refused without the key is
 * refused before the key is asked for. And nothing is written.
 */
import {copyFileSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custodyJson, newCase, SAMPLES, sqlite, tempDir} from '../helpers/cli.js'

interface Refusal {
  error?: {code: string; message: string}
  results?: Array<{path: string; status: string; error: {code: string; message: string} | null}>
}

const work = tempDir('custody-checks-')
let kase: {dir: string; remove: () => void}

const NO_PASSPHRASE = {env: {CUSTODY_PASSPHRASE: ''}}

function ledgerSize(): number {
  return Number(sqlite(join(kase.dir, '.custody', 'ledger.sqlite'), 'SELECT count(*) FROM events;').trim())
}

/** Runs `args` on the case without a passphrase: it must be refused for what it is, not for the passphrase. */
async function refused(args: string[]): Promise<{code: number | null; json: Refusal}> {
  const result = await custodyJson<Refusal>([...args, '--case', kase.dir], {...NO_PASSPHRASE, cwd: work.path})
  expect(result.json.error?.code, `${args.join(' ')}: ${result.stdout}`).not.toBe('PASSPHRASE_MISSING')
  expect(result.stdout + result.stderr).not.toContain('needs the case passphrase')
  return result
}

beforeAll(async () => {
  kase = await newCase()
  mkdirSync(join(work.path, 'DCIM', '100CANON'), {recursive: true})
  copyFileSync(join(SAMPLES, 'Canon.jpg'), join(work.path, 'DCIM', '100CANON', 'IMG_0001.JPG'))
  writeFileSync(join(work.path, 'short.txt'), 'short\n')
  writeFileSync(join(work.path, 'statement.txt'), 'What I saw.\n')
})

afterAll(() => {
  kase.remove()
  work.remove()
})

describe('before the passphrase', () => {
  it('ingest refuses no paths, a bad collection time and a manifest it cannot read; a run that can take nothing in asks for none', async () => {
    const before = ledgerSize()
    const none = await refused(['ingest'])
    expect(none.code).toBe(2)
    expect(none.json.error).toMatchObject({code: 'INVALID_ARGUMENT', message: 'name the files or folders to ingest, or give --manifest FILE'})
    const when = await refused(['ingest', join(SAMPLES, 'Sony.jpg'), '--collected-at', 'last tuesday'])
    expect(when.code).toBe(2)
    expect(when.json.error?.message).toMatch(/^--collected-at must be an ISO 8601 date or time/)
    const manifest = await refused(['ingest', '--manifest', join(work.path, 'nope.csv')])
    expect(manifest.json.error).toMatchObject({code: 'INPUT_UNREADABLE', message: expect.stringContaining(`cannot read the manifest ${join(work.path, 'nope.csv')}`) as string})

    // A folder without --recursive, a missing path: each is failed as it always was (exit 1), and
    // no passphrase is needed to say so.
    const folder = await refused(['ingest', join(work.path, 'DCIM')])
    expect(folder.code).toBe(1)
    expect(folder.json.results?.map((r) => r.error?.code)).toEqual(['INPUT_IS_FOLDER'])
    expect(folder.json.results?.[0]?.error?.message).toBe(`${join(work.path, 'DCIM')} is a folder; add --recursive to ingest every file in it`)
    const missing = await refused(['ingest', join(work.path, 'IMG_404.JPG')])
    expect(missing.code).toBe(1)
    expect(missing.json.results?.map((r) => r.error?.code)).toEqual(['INPUT_MISSING'])
    expect(ledgerSize()).toBe(before)
  })

  it('ingest with something to take in still needs the passphrase', async () => {
    const result = await custodyJson<Refusal>(['ingest', join(work.path, 'DCIM'), '--recursive', '--case', kase.dir], NO_PASSPHRASE)
    expect(result.code).toBe(2)
    expect(result.json.error?.code).toBe('PASSPHRASE_MISSING')
  })

  it('timestamp refuses no TSA and no TSA root', async () => {
    const noTsa = await refused(['timestamp'])
    expect(noTsa.code).toBe(2)
    expect(noTsa.json.error?.message).toMatch(/^no Time-Stamp Authority to ask: give --tsa URL/)
    const noRoot = await refused(['timestamp', '--tsa', 'http://127.0.0.1:9/tsr'])
    expect(noRoot.code).toBe(2)
    expect(noRoot.json.error?.message).toMatch(/^no TSA root certificate to check tokens against: give --tsa-ca FILE/)
  })

  it('seal refuses an --out it cannot write and exhibits the case does not hold', async () => {
    const folder = await refused(['seal', '--out', join(work.path, 'no-such-folder', 'court.zip')])
    expect(folder.code).toBe(2)
    expect(folder.json.error?.code).toBe('OUTPUT_UNWRITABLE')
    expect(folder.json.error?.message).toBe(`--out ${join(work.path, 'no-such-folder', 'court.zip')} cannot be written: there is no folder ${join(work.path, 'no-such-folder')}; nothing was done. Name a file in a folder you can write to`)
    const notZip = await refused(['seal', '--out', join(work.path, 'court.txt')])
    expect(notZip.json.error?.message).toBe(`--out must name a .zip file, got ${JSON.stringify(join(work.path, 'court.txt'))}`)
    const unknown = await refused(['seal', 'EX-000099', '--out', join(work.path, 'court.zip')])
    expect(unknown.code).toBe(2)
    expect(unknown.json.error?.code).toBe('EXHIBIT_NOT_FOUND')
    const empty = await refused(['seal', '--out', join(work.path, 'court.zip')])
    expect(empty.json.error?.message).toBe('the case has no exhibits to seal; ingest some first')
    expect(readdirSync(work.path).filter((f) => f.includes('court'))).toEqual([])
  })

  it('init refuses a prefix it would refuse, and a folder that holds a case', async () => {
    const prefix = await custodyJson<Refusal>(['init', join(work.path, 'new-case'), '--title', 'T', '--investigator', 'A', '--prefix', 'ex-1'], NO_PASSPHRASE)
    expect(prefix.code).toBe(2)
    expect(prefix.json.error?.message).toMatch(/^--prefix must be 1 to 12 capital letters/)
    const exists = await custodyJson<Refusal>(['init', kase.dir, '--title', 'T', '--investigator', 'A'], NO_PASSPHRASE)
    expect(exists.code).toBe(2)
    expect(exists.json.error?.code).toBe('CASE_EXISTS')
    expect(readdirSync(work.path)).not.toContain('new-case')
  })

  it('config set, key rotate and accept-restore refuse a bad value, a weak new passphrase, nothing to accept', async () => {
    const url = await refused(['config', 'set', 'tsa', 'not a url'])
    expect(url.code).toBe(2)
    expect(url.json.error?.message).toBe('"not a url" is not a URL; a TSA is named like https://freetsa.org/tsr')
    const pem = await refused(['config', 'set', 'tsa-ca', join(work.path, 'short.txt')])
    expect(pem.json.error?.message).toBe(`${join(work.path, 'short.txt')} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`)
    const weak = await refused(['key', 'rotate', '--reason', 'handed over', '--new-passphrase-file', join(work.path, 'short.txt')])
    expect(weak.code).toBe(2)
    expect(weak.json.error?.message).toMatch(/^the passphrase must be at least \d+ characters/)
    const nothing = await refused(['accept-restore', '--reason', 'backup put back'])
    expect(nothing.code).toBe(2)
    expect(nothing.json.error?.message).toMatch(/^there is nothing to accept: this case extends the newest checkpoint/)
  })

  it('the testimony commands refuse a testimony that is not there (with the passphrase, in a case whose events are sealed), and files they cannot take in', async () => {
    // A witness code is looked up by its keyed tag, under the address key the passphrase opens: the
    // case's events, sealed, say nothing of which codes it has. Asked first, and nothing written.
    const before = ledgerSize()
    for (const args of [
      ['testimony', 'consent', 'W-099', '--grant', 'court', '--method', 'signed-form'],
      ['testimony', 'amend', 'W-099', '--reason', 'a date corrected', '--statement-file', join(work.path, 'statement.txt')],
      ['testimony', 'identity', 'W-099', '--reason', 'protective measures'],
    ]) {
      const locked = await custodyJson<Refusal>([...args, '--case', kase.dir], {...NO_PASSPHRASE, cwd: work.path})
      expect(locked.code).toBe(2)
      expect(locked.json.error?.message).toContain('needs the case passphrase')
      const absent = await custodyJson<Refusal>([...args, '--case', kase.dir], {cwd: work.path})
      expect(absent.code).toBe(2)
      expect(absent.json.error?.message).toBe('there is no testimony of witness "W-099" in this case; `custody testimony list` lists them')
    }

    expect(ledgerSize()).toBe(before)
    const scope = await refused(['testimony', 'consent', 'W-099', '--grant', 'everything'])
    expect(scope.code).toBe(2)
    expect(scope.json.error?.message).toMatch(/^--grant /)
    const unreadable = await refused(['testimony', 'amend', 'W-099', '--reason', ' ', '--statement-file', join(work.path, 'statement.txt')])
    expect(unreadable.json.error?.message).toMatch(/^--reason must say why/)
    const add = await refused([
      'testimony', 'add', '--witness', 'W-001', '--interviewed-at', '2024-04-05T10:00+03:00', '--place', 'Irpin', '--interviewer', 'A. Investigator',
      '--consent', 'court', '--consent-method', 'signed-form', '--statement-file', join(work.path, 'no-statement.txt'),
    ])
    expect(add.code).not.toBe(0)
    expect(add.json.error?.message).toMatch(/^the statement: .*no-statement\.txt does not exist/)
  })
})
