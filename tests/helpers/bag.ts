/** Forging sealed archives as a careful forger would: unzip, change, fix the manifests, zip again. */
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {canonicalize} from '../../src/canonical/jcs.js'
import {formatBytes} from '../../src/render/text.js'
import {custody, custodyJson, newCase, SAMPLES} from './cli.js'

const digest = (alg: string, data: Buffer): string => createHash(alg).update(data).digest('hex')

function listFiles(dir: string, under = dir): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name), under) : [relative(under, join(dir, e.name))]))
}

/** What a careful forger does after a change: Payload-Oxum, Bag-Size, manifests and tag manifests made to match again. */
export function rewriteManifests(bagDir: string): void {
  const payload = listFiles(join(bagDir, 'data')).map((f) => `data/${f}`).sort()
  const bytes = payload.reduce((sum, f) => sum + statSync(join(bagDir, f)).size, 0)
  const info = join(bagDir, 'bag-info.txt')
  writeFileSync(info, readFileSync(info, 'utf8').replace(/^Payload-Oxum: .*$/m, `Payload-Oxum: ${bytes}.${payload.length}`).replace(/^Bag-Size: .*$/m, `Bag-Size: ${formatBytes(bytes)}`))
  for (const alg of ['sha256', 'sha512']) {
    writeFileSync(join(bagDir, `manifest-${alg}.txt`), payload.map((f) => `${digest(alg, readFileSync(join(bagDir, f)))}  ${f}\n`).join(''))
  }

  const tags = ['bagit.txt', 'bag-info.txt', 'manifest-sha256.txt', 'manifest-sha512.txt', 'README.txt', 'verify-bag.py'].filter((f) => existsSync(join(bagDir, f)))
  for (const alg of ['sha256', 'sha512']) {
    writeFileSync(join(bagDir, `tagmanifest-${alg}.txt`), tags.map((f) => `${digest(alg, readFileSync(join(bagDir, f)))}  ${f}\n`).join(''))
  }
}

/**
 * An events.jsonl line of an encrypted case (a v2 line: envelope, event and salt) whose event was
 * edited, its envelope's bodyCommitment made to match the edited event again, as a forger who read
 * verify-bag.py would: SHA-256(salt || canonical event). The forgery then gets past the commitment
 * and meets the event's hash and leaf hash, which are over the envelope. A v1 line (a ledger in
 * clear) is returned as it is.
 */
export function recommitted(line: string): string {
  const entry = JSON.parse(line) as {envelope?: {bodyCommitment: string}; event: unknown; salt?: string}
  if (entry.envelope === undefined || entry.salt === undefined) return line
  const commitment = digest('sha256', Buffer.concat([Buffer.from(entry.salt, 'hex'), Buffer.from(canonicalize(entry.event), 'utf8')]))
  return line.replace(`"bodyCommitment":"${entry.envelope.bodyCommitment}"`, `"bodyCommitment":"${commitment}"`)
}

/**
 * Copies the unzipped `pristine` folder (holding the bag folder `bag`) to `dir`, lets `change`
 * edit the bag, optionally rewrites the manifests, and zips it with the system zip.
 */
export function forgeBag(pristine: string, bag: string, dir: string, change: (bagDir: string) => void, options: {rewriteManifests?: boolean} = {}): string {
  cpSync(pristine, dir, {recursive: true})
  change(join(dir, bag))
  if (options.rewriteManifests) rewriteManifests(join(dir, bag))
  const out = `${dir}.zip`
  const zipped = spawnSync('zip', ['-q', '-r', '-X', out, bag], {cwd: dir, encoding: 'utf8'})
  if (zipped.status !== 0) throw new Error(`zip failed: ${zipped.stderr}`)
  return out
}

/**
 * Seals the whole case into `work/name.zip` (with `sealArgs`: --purpose, --sealed-at, ...) and
 * unzips it, with the system unzip, into `work/pristine`: the genuine archive a forger starts from.
 */
export async function sealedAndUnzipped(caseDir: string, work: string, name = 'sealed', sealArgs: string[] = []): Promise<{archive: string; bag: string; pristine: string}> {
  const archive = join(work, `${name}.zip`)
  const sealed = await custodyJson<{bag: string}>(['seal', '--out', archive, ...sealArgs, '--case', caseDir])
  if (sealed.code !== 0) throw new Error(`seal failed: ${sealed.stderr}`)
  const pristine = join(work, 'pristine')
  mkdirSync(pristine)
  const unzipped = spawnSync('unzip', ['-q', archive, '-d', pristine], {encoding: 'utf8'})
  if (unzipped.status !== 0) throw new Error(`unzip failed: ${unzipped.stderr}`)
  return {archive, bag: sealed.json.bag, pristine}
}

/** A Cyrillic name with letters that decompose in NFD (й, ї), and an Armenian one: exhibits' names in the lawyer's tests (issue 18). */
export const CYRILLIC_NAME = 'Свій Київ.jpg'
export const ARMENIAN_NAME = 'Բարեւ Երեւան.jpg'

/** A case sealed and unzipped: the case, its archive, the bag folder's name, and the folder holding it unzipped. */
export interface SealedCase {
  kase: {dir: string; remove: () => void}
  archive: string
  bag: string
  pristine: string
}

/**
 * A new case holding camera samples ingested under other names (`{[CYRILLIC_NAME]: 'Canon.jpg'}`),
 * sealed whole and unzipped in `work`, as sealedAndUnzipped does.
 */
export async function sealedUnderNames(work: string, names: Record<string, string>): Promise<SealedCase> {
  const kase = await newCase()
  const named = join(work, 'named')
  mkdirSync(named)
  for (const [name, sample] of Object.entries(names)) cpSync(join(SAMPLES, sample), join(named, name))
  const ingested = await custody(['ingest', ...Object.keys(names).map((name) => join(named, name)), '--case', kase.dir])
  if (ingested.code !== 0) throw new Error(`ingest failed: ${ingested.stderr}`)
  return {kase, ...(await sealedAndUnzipped(kase.dir, work))}
}
