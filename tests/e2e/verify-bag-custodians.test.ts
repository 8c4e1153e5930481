/**
 * verify-bag.py (src/seal/verify-bag.py) and README.txt (src/seal/readme.ts) on HQ's seal of
 * exhibits received from a field custodian, whose record of each hand-over the bag carries under
 * data/custodians/<sender's case>/<transfer>/ (src/transfers/sealed-custodians.ts). The built CLI
 * makes the cases and the seal, as transfer-import.test.ts does; the real python3 runs the script;
 * the real openssl runs each command README.txt gives for the record, in the folder it says. Each
 * forgery is made in a copy of the unzipped bag by a careful forger, who fixes the manifests and
 * the SHA-256s seal.json states (whose signature only openssl can check), so that the custodians
 * check is what must refuse it.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {cpSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {canonicalize} from '../../src/canonical/jcs.js'
import {CUSTODIAN_COMMANDS} from '../../src/seal/readme.js'
import {rewriteManifests} from '../helpers/bag.js'
import {custody, custodyJson, SAMPLES, tempDir} from '../helpers/cli.js'

const hasPython = spawnSync('python3', ['--version']).status === 0
if (!hasPython && process.env.CI === 'true') throw new Error('python3 is missing: the tests of src/seal/verify-bag.py need it')

const CHECKS = ['bag', 'payload', 'tag files', 'events', 'key', 'statement', 'proofs', 'transfer', 'custodians'] as const
const STATEMENT = join('data', 'custody', 'seal.json')

const work = tempDir('custody-verify-bag-custodians-')
afterAll(() => work.remove())
const at = (name: string): string => join(work.path, name)

/** The genuine bag, unzipped: its folder, and its one record's folder inside it. */
let genuine = ''
let record = ''
let copies = 0

interface Run {
  code: number | null
  stdout: string
  status: Record<string, string>
}

function runScript(cwd: string): Run {
  const result = spawnSync('python3', ['verify-bag.py'], {cwd, encoding: 'utf8'})
  expect(result.stderr).toBe('')
  const status = Object.fromEntries([...result.stdout.matchAll(/^(bag|payload|tag files|events|key|statement|proofs|transfer|custodians) +(OK|FAILED)\b/gm)].map((m) => [m[1]!, m[2]!]))
  return {code: result.status, stdout: result.stdout, status}
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex')

/**
 * A copy of the genuine bag, changed by `change` in its record's folder, then made to agree with
 * itself as far as hashes go: each changed file's SHA-256 restated in seal.json, the manifests made again.
 */
function forged(change: (recordDir: string) => void): string {
  const dir = at(`forged-${copies++}`)
  cpSync(genuine, dir, {recursive: true})
  const folder = join(dir, record)
  const before = new Map(readdirSync(folder).map((name) => [name, sha256(readFileSync(join(folder, name)))]))
  change(folder)
  let statement = readFileSync(join(dir, STATEMENT), 'utf8')
  for (const [name, was] of before) statement = statement.replace(`"sha256": "${was}"`, `"sha256": "${sha256(readFileSync(join(folder, name)))}"`)
  writeFileSync(join(dir, STATEMENT), statement)
  rewriteManifests(dir)
  return dir
}

/**
 * One line of the sender's events.jsonl, its event changed by `edit` and its hash and leaf hash
 * computed again, as a forger would. The sender's ledger is sealed (init's default), so the line
 * carries its envelope and salt beside the event: the forger makes the envelope's commitment
 * match the changed event again too (SHA-256(salt || event)), the hash and leaf hash being over the envelope.
 */
function reforged(line: string, edit: (event: string) => string): string {
  const entry = JSON.parse(line) as {envelope?: Record<string, unknown>; event: unknown; hash: string; leafHash: string; prev: string; salt?: string}
  expect(canonicalize(entry), 'the line as custody writes it').toBe(line)
  const event = canonicalize(entry.event)
  const changed = edit(event)
  expect(changed).not.toBe(event)
  entry.event = JSON.parse(changed)
  if (entry.envelope !== undefined) entry.envelope.bodyCommitment = sha256(Buffer.concat([Buffer.from(entry.salt!, 'hex'), Buffer.from(changed)]))
  const chained = entry.envelope === undefined ? changed : canonicalize(entry.envelope)
  entry.hash = createHash('sha256').update(Buffer.from(entry.prev, 'hex')).update(chained).digest('hex')
  entry.leafHash = createHash('sha256').update(Buffer.from([0])).update(chained).digest('hex')
  return canonicalize(entry)
}

function editLines(file: string, edit: (lines: string[]) => string[]): void {
  const lines = readFileSync(file, 'utf8').split('\n').slice(0, -1)
  writeFileSync(file, edit(lines).map((l) => `${l}\n`).join(''))
}

const ingestOf = (exhibit: string) => (l: string): boolean => l.includes('"action":"ingest"') && l.includes(`"exhibit":"${exhibit}"`)

/** The commands README.txt gives for the record: from its `cd` into the folder to the `cd` back. */
function readmeCommands(bag: string): string[] {
  const lines = readFileSync(join(bag, 'README.txt'), 'utf8').split('\n')
  const from = lines.findIndex((l) => l.startsWith('     cd data/custodians/'))
  const to = lines.indexOf('     cd ../../../..', from)
  expect(from).toBeGreaterThan(0)
  return lines.slice(from, to + 1).map((l) => l.trim())
}

describe.skipIf(!hasPython)("verify-bag.py and README.txt on HQ's seal of exhibits received from the field", () => {
  let fieldKey = ''

  beforeAll(async () => {
    const ok = async (args: string[]): Promise<string> => {
      const done = await custody(args)
      expect(done.code, done.stdout + done.stderr).toBe(0)
      return done.stdout
    }

    const [field, hq] = [at('field'), at('hq')]
    await ok(['init', field, '--title', 'Kherson', '--investigator', 'Iryna Melnyk'])
    await ok(['init', hq, '--title', 'HQ', '--investigator', 'Olena Kovalenko', '--role', 'hq'])
    await ok(['ingest', join(SAMPLES, 'Canon.jpg'), join(SAMPLES, 'Casio.jpg'), '--case', field])
    writeFileSync(at('hq.line'), await ok(['key', 'show', '--public', '--case', hq]))
    writeFileSync(at('field.line'), await ok(['key', 'show', '--public', '--case', field]))
    fieldKey = (await custodyJson<{fingerprint: string}>(['key', 'show', '--case', field])).json.fingerprint
    await ok(['transfer', 'export', '--to', at('hq.line'), '--out', at('field.zip.age'), '--case', field])
    await ok(['transfer', 'accept', at('field.zip.age'), '--from', at('field.line'), '--case', hq])
    await ok(['seal', '--out', at('court.zip'), '--case', hq])
    execFileSync('unzip', ['-q', at('court.zip'), '-d', at('pristine')])
    genuine = join(at('pristine'), readdirSync(at('pristine'))[0]!)
    const senders = readdirSync(join(genuine, 'data', 'custodians'))
    expect(senders).toHaveLength(1)
    record = join('data', 'custodians', senders[0]!, readdirSync(join(genuine, 'data', 'custodians', senders[0]!))[0]!)
  }, 180_000)

  it('passes the genuine bag, every check OK, the custodians check naming the hand-over, and prints the commands README.txt gives', () => {
    const run = runScript(genuine)
    expect(run.code, run.stdout).toBe(0)
    for (const check of CHECKS) expect(run.status[check], `${check}\n${run.stdout}`).toBe('OK')
    expect(run.stdout).toMatch(/^custodians +OK +1 hand-over \(the sender's events, checkpoint and transfer statement, this case's receipt\); 2 exhibits received$/m)
    const readme = readFileSync(join(genuine, 'README.txt'), 'utf8')
    const printed = run.stdout.split('\n').map((l) => l.trim()).filter((l) => /^(openssl|grep|cd) /.test(l))
    expect(printed).toEqual(expect.arrayContaining([`cd ${record}`, ...CUSTODIAN_COMMANDS]))
    for (const line of printed) expect(readme, line).toContain(`     ${line}\n`)
    expect(run.stdout).toContain(`from Iryna Melnyk, fingerprint ${fieldKey.slice(7)}`)
  })

  it("README.txt's commands for the record pass with the real openssl, typed as it says, starting in the bag's folder", () => {
    const commands = readmeCommands(genuine)
    expect(commands).toEqual([`cd ${record}`, ...CUSTODIAN_COMMANDS, 'cd ../../../..'])
    const ran = spawnSync('sh', ['-e', '-c', `${commands.join('\n')}\npwd`], {cwd: genuine, encoding: 'utf8'})
    expect(ran.status, ran.stderr).toBe(0)
    const out = ran.stdout.trim().split('\n')
    expect(out).toEqual([...Array(4).fill('Signature Verified Successfully'), `${fieldKey.slice(7)}  -`, genuine])
    const readme = readFileSync(join(genuine, 'README.txt'), 'utf8')
    expect(readme).toContain(`  data/custodians/CASE/TRANSFER/\n                             for the hand-over that brought exhibits to this case`)
    expect(readme).toContain(`from Iryna Melnyk, fingerprint ${fieldKey.slice(7)}`)
  })

  it("README.txt's cosignature command fails when the cosignature is not over the sender's checkpoint", () => {
    const dir = forged((folder) => {
      const receipt = join(folder, 'receipt.json')
      writeFileSync(receipt, readFileSync(receipt, 'utf8').replace(/"cosignature":"(.)/, (_, c: string) => `"cosignature":"${c === '0' ? '1' : '0'}`))
    })
    const cosignature = CUSTODIAN_COMMANDS[3]
    const ran = spawnSync('sh', ['-c', cosignature], {cwd: join(dir, record), encoding: 'utf8'})
    expect(ran.status).not.toBe(0)
    expect(ran.stdout).toMatch(/Signature Verification Failure/)
  })

  interface Forgery {
    name: string
    change: (recordDir: string) => void
    says: RegExp[]
  }

  const forgeries: Forgery[] = [
    {
      name: "a sender's event changed, its hash and leaf hash made again (its inclusion proof no longer holds)",
      change: (folder) => editLines(join(folder, 'events.jsonl'), (lines) => lines.map((l) => (ingestOf('EX-000001')(l) ? reforged(l, (e) => e.replace('"name":"Canon.jpg"', '"name":"Canon2.jpg"')) : l))),
      says: [/events\.jsonl event 2: its inclusion proof does not lead to the sender's checkpoint\.json's rootHash/, /events\.jsonl event 3: does not chain to event 2/],
    },
    {
      name: "a sender's event removed (the statement's event count)",
      change: (folder) => editLines(join(folder, 'events.jsonl'), (lines) => lines.filter((l) => !ingestOf('EX-000002')(l))),
      says: [/events\.jsonl: does not hold as many events as the statement says \(expected 4, found 3\)/],
    },
    {
      name: "the sender's ingest of a received exhibit removed, and the event count restated",
      change: (folder) => {
        editLines(join(folder, 'events.jsonl'), (lines) => lines.filter((l) => !ingestOf('EX-000002')(l)))
        const statement = join(folder, '..', '..', '..', 'custody', 'seal.json')
        writeFileSync(statement, readFileSync(statement, 'utf8').replace('"eventCount": 4', '"eventCount": 3'))
      },
      says: [/HQ-000002: was received as the sender's EX-000002 \(its event 3\), which the sender's events\.jsonl does not hold as an ingest/],
    },
    {
      name: "receipt.json's senderCheckpoint edited",
      change: (folder) => {
        const receipt = join(folder, 'receipt.json')
        writeFileSync(receipt, readFileSync(receipt, 'utf8').replace(/(\\"treeSize\\":)(\d+)/, (_, key: string, n: string) => `${key}${Number(n) + 1}`))
      },
      says: [/receipt\.json: its senderCheckpoint, against the sender's checkpoint\.json is not the one it must be/, /this case's transfer-received event of TRANSFER-[0-9a-f]{16} is not in events\.jsonl, or names another tree head or receipt/],
    },
    {
      name: "sender.pem swapped for another key (here the receiver's)",
      change: (folder) => cpSync(join(folder, 'receiver.pem'), join(folder, 'sender.pem')),
      says: [/sender\.pem: is not the sender's key that checkpoint\.json and the statement name/, /sender\.pem: is not a key that a key event of the sender's events records/],
    },
    {
      name: "the sender renamed in seal.json (the list a court reads of who released what)",
      change: (folder) => {
        const statement = join(folder, '..', '..', '..', 'custody', 'seal.json')
        const text = readFileSync(statement, 'utf8')
        const name = /"from": \{[^}]*?"name": "([^"]+)"/s.exec(text)![1]!
        writeFileSync(statement, text.replace(`"name": "${name}"`, '"name": "Someone Else"'))
      },
      says: [/transfer\.json: its sender's name and organisation, as it signed them is not the one it must be/],
    },
    {
      name: 'transfer.json naming another receiver',
      change: (folder) => {
        const transfer = join(folder, 'transfer.json')
        writeFileSync(transfer, readFileSync(transfer, 'utf8').replace(/("to":\{"age":"[^"]*","case":")(.)/, (_, head: string, c: string) => `${head}${c === '0' ? '1' : '0'}`))
      },
      says: [/transfer\.json: its receiver \(to\.case\), against this case is not the one it must be/],
    },
  ]

  for (const f of forgeries) {
    it(`refuses ${f.name}: exit 1, the custodians check naming it, the others OK`, () => {
      const run = runScript(forged(f.change))
      expect(run.code, run.stdout).toBe(1)
      for (const check of CHECKS) expect(run.status[check], `${check}\n${run.stdout}`).toBe(check === 'custodians' ? 'FAILED' : 'OK')
      for (const pattern of f.says) expect(run.stdout).toMatch(pattern)
    })
  }

  it("refuses a record's file changed without its SHA-256 restated in seal.json: the statement check names it", () => {
    const dir = at(`forged-${copies++}`)
    cpSync(genuine, dir, {recursive: true})
    const signature = join(dir, record, 'transfer.json.sig')
    const bytes = readFileSync(signature)
    bytes[0] = bytes[0]! ^ 1
    writeFileSync(signature, bytes)
    rewriteManifests(dir)
    const run = runScript(dir)
    expect(run.code, run.stdout).toBe(1)
    expect(run.status.statement).toBe('FAILED')
    expect(run.stdout).toContain(`${record}/transfer.json.sig: is not the file the seal statement states`)
  })

  it("refuses a bag whose records were taken out, with seal.json's custodians: the received ingests name them", () => {
    const dir = at(`forged-${copies++}`)
    cpSync(genuine, dir, {recursive: true})
    rmSync(join(dir, 'data', 'custodians'), {recursive: true})
    const statement = JSON.parse(readFileSync(join(dir, STATEMENT), 'utf8')) as Record<string, unknown>
    delete statement.custodians
    writeFileSync(join(dir, STATEMENT), `${JSON.stringify(statement, null, 2)}\n`)
    rewriteManifests(dir)
    const run = runScript(dir)
    expect(run.code, run.stdout).toBe(1)
    expect(run.status.statement).toBe('OK')
    expect(run.status.custodians).toBe('FAILED')
    expect(run.stdout).toMatch(/HQ-000001: was received in TRANSFER-[0-9a-f]{16}, but the bag holds no record of that hand-over that reads well/)
    // This case's own transfer-received event of each hand-over is still in events.jsonl: it needs its record too.
    expect(run.stdout).toMatch(/this case's transfer-received event of TRANSFER-[0-9a-f]{16} is in it, but the bag holds no record of that hand-over/)
  })
})
