/**
 * What a forger does to a field package (src/transfers/field-export.ts) once it holds the
 * receiver's outer key: the bag taken out, changed, its manifests made to match, zipped and
 * encrypted to the receiver again with the age tool. For the tests of `custody verify` and
 * `custody transfer accept` of field packages.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {PASSPHRASE} from './cli.js'

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex')

/** `age -d` of a passphrase-encrypted file (a case's identity), the passphrase typed at its prompt (a pseudo-terminal). */
export function ageWithPassphrase(age: string, file: string, out: string): void {
  const run = `(sleep 1; printf '%s\\n' "$PASS") | script -qfec "${age} -d -o '${out}' '${file}'" /dev/null`
  const result = spawnSync('sh', ['-c', run], {encoding: 'utf8', env: {...process.env, PASS: PASSPHRASE}})
  if (result.status !== 0 || !existsSync(out)) throw new Error(`age -d of ${file} failed: ${result.stdout}${result.stderr}`)
}

/** Every file under `dir`, as paths relative to `under`. */
export function listFiles(dir: string, under = dir): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name), under) : [relative(under, join(dir, e.name))]))
}

/** What a careful forger does after a change to a field package's bag: Payload-Oxum and both SHA-256 manifests made to match. */
export function rewriteManifests(bagDir: string): void {
  const payload = listFiles(join(bagDir, 'data')).map((f) => `data/${f}`).sort()
  const bytes = payload.reduce((sum, f) => sum + statSync(join(bagDir, f)).size, 0)
  const info = join(bagDir, 'bag-info.txt')
  writeFileSync(info, readFileSync(info, 'utf8').replace(/^Payload-Oxum: .*$/m, `Payload-Oxum: ${bytes}.${payload.length}`))
  writeFileSync(join(bagDir, 'manifest-sha256.txt'), payload.map((f) => `${sha256(readFileSync(join(bagDir, f)))}  ${f}\n`).join(''))
  const tags = ['bagit.txt', 'bag-info.txt', 'manifest-sha256.txt', 'README.txt']
  writeFileSync(join(bagDir, 'tagmanifest-sha256.txt'), tags.map((f) => `${sha256(readFileSync(join(bagDir, f)))}  ${f}\n`).join(''))
}

/** Where a forger works: the genuine package unzipped (`pristine`, holding the folder `bag`), and the receiver's age recipient. */
export interface ForgeBench {
  age: string
  pristine: string
  bag: string
  recipient: string
}

/** A forged package at `dir`.zip.age: the pristine bag copied to `dir`, changed, its manifests rewritten, zipped and encrypted to the receiver again. */
export function forgePackage(bench: ForgeBench, dir: string, change: (bagDir: string) => void): string {
  cpSync(bench.pristine, dir, {recursive: true})
  change(join(dir, bench.bag))
  rewriteManifests(join(dir, bench.bag))
  const zip = `${dir}.zip`
  const zipped = spawnSync('zip', ['-q', '-r', '-X', zip, bench.bag], {cwd: dir, encoding: 'utf8'})
  if (zipped.status !== 0) throw new Error(`zip failed: ${zipped.stderr}`)
  execFileSync(bench.age, ['-r', bench.recipient, '-o', `${zip}.age`, zip])
  return `${zip}.age`
}
