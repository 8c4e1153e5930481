/**
 * HQ's seal of exhibits it received (issue 20, docs/design/transfers.md "HQ's seal"): the archive
 * carries, for each hand-over, the sender's own signed record (its transfer statement, checkpoint,
 * key and events with their inclusion proofs) and HQ's signed receipt, under data/custodians/;
 * `custody verify ARCHIVE` checks both sides and names every custodian and the time of every
 * hand-over; openssl checks each signature as README.txt says. Two field cases, one sending twice,
 * and one HQ, all real; then the forgeries an opponent, or HQ itself, would make of the records,
 * each refused with exit 3.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {cpSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generateIdentity} from '../../src/age/x25519.js'
import {Case, locateCase} from '../../src/case/case.js'
import {keptReceiptOf} from '../../src/transfers/incoming.js'
import {recommitted, rewriteManifests} from '../helpers/bag.js'
import {custody, custodyJson, PASSPHRASE, SAMPLES, tempDir} from '../helpers/cli.js'
import {forgerKey, pemOf} from '../helpers/forge-archive.js'
import {checker} from '../helpers/tools.js'

const work = tempDir('custody-transfer-hq-seal-')
afterAll(() => work.remove())

const at = (name: string): string => join(work.path, name)
const [fieldA, fieldB, hq] = [at('field-a'), at('field-b'), at('hq')]

interface HandOver {
  transferId: string
  from: {case: string; name: string; fingerprint: string}
  to: {case: string; name: string; fingerprint: string}
  releasedAt: string
  receivedAt: string
  items: number
}

interface Verified {
  ok: boolean
  custodians: HandOver[] | null
  checks: Array<{name: string; status: string; detail: string}>
  problems: Array<{check: string; subject: string; message: string}>
}

interface HandOverRecord {
  transferId: string
  from: {case: string; name: string}
  receivedAt: string
  items: Array<{exhibit: string; receivedAs: string}>
  folder: string
  files: {[role: string]: {path: string; sha256: string}}
  eventCount: number
}

async function ok(args: string[]): Promise<string> {
  const done = await custody(args)
  expect(done.code, done.stdout + done.stderr).toBe(0)
  return done.stdout
}

async function send(from: string, fromLine: string, out: string): Promise<void> {
  await ok(['transfer', 'export', '--to', at('hq.line'), '--out', at(out), '--case', from])
  await ok(['transfer', 'accept', at(out), '--from', at(fromLine), '--case', hq])
}

const sha256 = (bytes: Buffer): string => execFileSync('sha256sum', {input: bytes, encoding: 'utf8'}).split(' ')[0]!

let pristine = ''
let bag = ''

beforeAll(async () => {
  await ok(['init', fieldA, '--title', 'Kherson', '--investigator', 'Iryna Melnyk'])
  await ok(['init', fieldB, '--title', 'Mariupol', '--investigator', 'Taras Bondar'])
  // HQ's case has a recipient of its own (the organisation's offline key), whose identity seals too.
  const archiveKey = generateIdentity()
  writeFileSync(at('archive-key.txt'), `${archiveKey.identity}\n`, {mode: 0o600})
  await ok(['init', hq, '--title', 'HQ', '--investigator', 'Olena Kovalenko', '--role', 'hq', '--recipient', archiveKey.recipient])
  writeFileSync(at('hq.line'), await ok(['key', 'show', '--public', '--case', hq]))
  writeFileSync(at('a.line'), await ok(['key', 'show', '--public', '--case', fieldA]))
  writeFileSync(at('b.line'), await ok(['key', 'show', '--public', '--case', fieldB]))
  await ok(['ingest', join(SAMPLES, 'Canon.jpg'), join(SAMPLES, 'Casio.jpg'), '--case', fieldA, '--location', 'Kherson'])
  await ok(['ingest', join(SAMPLES, 'Nikon.jpg'), '--case', fieldB])
  await send(fieldA, 'a.line', 'a1.zip.age') // HQ-000001, HQ-000002
  await send(fieldB, 'b.line', 'b1.zip.age') // HQ-000003
  await ok(['ingest', join(SAMPLES, 'Sony.jpg'), '--case', fieldA])
  await send(fieldA, 'a.line', 'a2.zip.age') // HQ-000004
  writeFileSync(at('hq-own.txt'), "HQ's own note, taken in at HQ\n")
  await ok(['ingest', at('hq-own.txt'), '--case', hq]) // HQ-000005
  await ok(['seal', '--out', at('court.zip'), '--purpose', 'court', '--case', hq])
  pristine = at('pristine')
  execFileSync('unzip', ['-q', at('court.zip'), '-d', pristine])
  bag = readdirSync(pristine)[0]!
}, 240_000)

const statementOf = (bagDir: string): {custodians: HandOverRecord[]} => JSON.parse(readFileSync(join(bagDir, 'data/custody/seal.json'), 'utf8')) as {custodians: HandOverRecord[]}

describe("HQ's seal of received exhibits", () => {
  it('carries every hand-over, and verify names each custodian and when each released and received', async () => {
    const verified = await custodyJson<Verified>(['verify', at('court.zip')])
    expect(verified.code, JSON.stringify(verified.json.problems)).toBe(0)
    const handOvers = verified.json.custodians!
    expect(handOvers.map((h) => [h.from.name, h.to.name, h.items])).toEqual([
      ['Iryna Melnyk', 'Olena Kovalenko', 2],
      ['Taras Bondar', 'Olena Kovalenko', 1],
      ['Iryna Melnyk', 'Olena Kovalenko', 1],
    ])
    const fieldKey = (await custodyJson<{fingerprint: string}>(['key', 'show', '--case', fieldA])).json.fingerprint
    const hqKey = (await custodyJson<{fingerprint: string}>(['key', 'show', '--case', hq])).json.fingerprint
    expect(handOvers[0]!.from.fingerprint).toBe(fieldKey)
    expect(handOvers[0]!.to.fingerprint).toBe(hqKey)
    for (const h of handOvers) expect(Date.parse(h.receivedAt)).toBeGreaterThanOrEqual(Date.parse(h.releasedAt))
    expect(verified.json.checks.find((c) => c.name === 'custodians')).toMatchObject({status: 'ok', detail: expect.stringMatching(/^3 hand-overs before this case sealed/)})

    const text = await ok(['verify', at('court.zip')])
    expect(text).toMatch(new RegExp(`TRANSFER-[0-9a-f]{16}: 2 exhibits of this archive\\n {8}released \\S+ by Iryna Melnyk ${fieldKey}\\n {8}received \\S+ by Olena Kovalenko ${hqKey}`))
    expect(text).toMatch(/released \S+ by Taras Bondar/)
  })

  it("seals with HQ's recipient identity in place of its case identity: every hand-over, verified", async () => {
    await ok(['seal', 'HQ-000001', 'HQ-000003', '--out', at('by-identity.zip'), '--identity', at('archive-key.txt'), '--case', hq])
    const verified = await custodyJson<Verified>(['verify', at('by-identity.zip')])
    expect(verified.code, JSON.stringify(verified.json.problems)).toBe(0)
    expect(verified.json.custodians!.map((h) => [h.from.name, h.items])).toEqual([
      ['Iryna Melnyk', 1],
      ['Taras Bondar', 1],
    ])
    // An identity that is none of the case's recipients opens nothing, and nothing is sealed.
    writeFileSync(at('stranger.txt'), `${generateIdentity().identity}\n`, {mode: 0o600})
    const stranger = await custody(['seal', 'HQ-000001', '--out', at('by-stranger.zip'), '--identity', at('stranger.txt'), '--case', hq])
    expect(stranger.code).toBe(2)
    expect(readdirSync(work.path).filter((f) => f.includes('by-stranger'))).toEqual([])
  })

  it("holds each sender's record in a folder of its own, with only the sealed exhibits' events, the case's and the keys'", () => {
    const s = statementOf(join(pristine, bag))
    expect(s.custodians.map((r) => r.items.map((i) => `${i.exhibit}>${i.receivedAs}`).join(' '))).toEqual(['EX-000001>HQ-000001 EX-000002>HQ-000002', 'EX-000001>HQ-000003', 'EX-000003>HQ-000004'])
    const first = s.custodians[0]!
    expect(first.folder).toMatch(/^data\/custodians\/[0-9a-f-]{36}\/TRANSFER-[0-9a-f]{16}$/)
    const lines = readFileSync(join(pristine, bag, first.files.events!.path), 'utf8').trimEnd().split('\n')
    const actions = lines.map((l) => (JSON.parse(l) as {event: {action: string; exhibit: string | null}}).event).map((e) => `${e.action}:${e.exhibit ?? ''}`)
    expect(actions).toEqual(['create-case:', 'key-created:', 'ingest:EX-000001', 'ingest:EX-000002'])
    expect(first.eventCount).toBe(4)
    // The second package of field A carries its own events of EX-000003, and the first seal and
    // transfer of A, which do not name EX-000003, are not in it.
    const third = readFileSync(join(pristine, bag, s.custodians[2]!.files.events!.path), 'utf8')
    expect(third).toContain('"exhibit":"EX-000003"')
    expect(third).not.toContain('"action":"transfer-released"')
  })

  it('checks with openssl alone: the sender signed its checkpoint and transfer statement, HQ the receipt', () => {
    const folder = statementOf(join(pristine, bag)).custodians[0]!.folder
    const dir = join(pristine, bag, folder)
    const verify = (key: string, file: string): string => execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', key, '-rawin', '-in', file, '-sigfile', `${file}.sig`], {cwd: dir, encoding: 'utf8'})
    expect(verify('sender.pem', 'checkpoint.json')).toMatch(/Signature Verified Successfully/)
    expect(verify('sender.pem', 'transfer.json')).toMatch(/Signature Verified Successfully/)
    expect(verify('receiver.pem', 'receipt.json')).toMatch(/Signature Verified Successfully/)
    // The receipt is the one HQ gave the field: byte for byte.
    expect(readFileSync(join(dir, 'receipt.json')).equals(readFileSync(at('a1.zip.age.receipt')))).toBe(true)
    const swapped = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', 'receiver.pem', '-rawin', '-in', 'transfer.json', '-sigfile', 'transfer.json.sig'], {cwd: dir, encoding: 'utf8'})
    expect(swapped.status).not.toBe(0)
  })

  it("gives the court's documents every hand: the report's table of hand-overs, and CASE/UCO actions the received exhibits' chains start from", async () => {
    await ok(['report', at('court.zip'), '--out', at('court.html'), '--thumbnails', 'none'])
    const page = readFileSync(at('court.html'), 'utf8').replace(/<[^>]+>/g, ' ')
    expect(page).toMatch(/Custodians before the seal/)
    expect(page).toMatch(/TRANSFER-[0-9a-f]{16}\s+Iryna Melnyk, SHA256:[0-9a-f]{64}\s+\S+Z\s+Olena Kovalenko, SHA256:[0-9a-f]{64}\s+\S+Z\s+2\s/)
    expect(page).toMatch(/Taras Bondar, SHA256:[0-9a-f]{64}/)

    await ok(['export', 'case-uco', at('court.zip'), '--out', at('court.jsonld')])
    const graph = (JSON.parse(readFileSync(at('court.jsonld'), 'utf8')) as {'@graph': Array<{[key: string]: unknown}>})['@graph']
    const byId = new Map(graph.map((n) => [n['@id'] as string, n]))
    const handOvers = graph.filter((n) => n['uco-core:name'] === 'transfer')
    expect(handOvers).toHaveLength(3)
    const first = handOvers[0]!
    expect(byId.get((first['uco-action:performer'] as {'@id': string})['@id'])?.['uco-core:name']).toBe('Iryna Melnyk')
    expect((first['uco-action:participant'] as Array<{'@id': string}>).map((p) => byId.get(p['@id'])?.['uco-core:name'])).toEqual(['Olena Kovalenko'])
    expect(first['uco-core:description']).toMatch(/released by Iryna Melnyk \(key SHA256:[0-9a-f]{64}, custody case [0-9a-f-]{36}\), received by Olena Kovalenko .*EX-000001 as HQ-000001, EX-000002 as HQ-000002/)
    // HQ-000002's first action here (its ingest at HQ) is informed by the hand-over that brought it.
    const file = graph.find((n) => n['@type'] === 'uco-observable:File' && n['uco-core:name'] === 'HQ-000002')!
    const ingest = graph.find((n) => n['uco-core:name'] === 'ingest' && (n['uco-action:result'] as Array<{'@id': string}> | undefined)?.some((r) => r['@id'] === file['@id']))!
    expect((ingest['case-investigation:wasInformedBy'] as {'@id': string})['@id']).toBe(first['@id'])
    const validate = checker('case-validate')
    if (validate !== undefined) {
      const run = spawnSync(validate, [at('court.jsonld'), '--quiet'], {encoding: 'utf8', timeout: 120_000})
      expect(run.status, run.stdout + run.stderr).toBe(0)
    }
  })

  it("carries nothing of other custodians in a seal of HQ's own exhibit, and only the hand-over of the one exhibit chosen", async () => {
    await ok(['seal', 'HQ-000005', '--out', at('own.zip'), '--case', hq])
    const own = await custodyJson<Verified>(['verify', at('own.zip')])
    expect(own.code).toBe(0)
    expect(own.json.custodians).toEqual([])
    expect(own.json.checks.find((c) => c.name === 'custodians')?.detail).toBe('none: no exhibit came from another custodian')
    expect(execFileSync('unzip', ['-Z1', at('own.zip')], {encoding: 'utf8'})).not.toContain('data/custodians/')

    await ok(['seal', 'HQ-000003', '--out', at('one.zip'), '--case', hq])
    const one = await custodyJson<Verified>(['verify', at('one.zip')])
    expect(one.code, JSON.stringify(one.json.problems)).toBe(0)
    expect(one.json.custodians!.map((h) => h.from.name)).toEqual(['Taras Bondar'])
  })
})

/** Resigns seal.json with HQ's own key, as an insider holding HQ's passphrase could; the manifests made to match. */
async function resign(bagDir: string): Promise<void> {
  const opened = Case.open(locateCase({caseDir: hq}))
  try {
    const signer = await opened.unlock(PASSPHRASE)
    writeFileSync(join(bagDir, 'data/custody/seal.json.sig'), signer.sign(readFileSync(join(bagDir, 'data/custody/seal.json'))))
  } finally {
    opened.close()
  }

  rewriteManifests(bagDir)
}

/** A copy of the genuine bag, changed by `edit`, its statement's record of the files made to match; then signed again by HQ unless `outsider`. */
async function forged(name: string, edit: (bagDir: string, statement: {custodians?: HandOverRecord[]}) => void, options: {outsider?: boolean} = {}): Promise<Verified & {code: number}> {
  const dir = at(`forged-${name}`)
  cpSync(pristine, dir, {recursive: true})
  const bagDir = join(dir, bag)
  const path = join(bagDir, 'data/custody/seal.json')
  const statement = JSON.parse(readFileSync(path, 'utf8')) as {custodians?: HandOverRecord[]}
  edit(bagDir, statement)
  if (options.outsider) rewriteManifests(bagDir)
  else {
    for (const record of statement.custodians ?? []) {
      for (const file of Object.values(record.files)) file.sha256 = sha256(readFileSync(join(bagDir, file.path)))
    }

    writeFileSync(path, `${JSON.stringify(statement, null, 2)}\n`)
    await resign(bagDir)
  }

  const verified = await custodyJson<Verified>(['verify', bagDir])
  return {...verified.json, code: verified.code ?? -1}
}

/** The lines of a record's events file, edited by `change`. */
function editEvents(bagDir: string, record: HandOverRecord, change: (lines: string[]) => string[]): void {
  const path = join(bagDir, record.files.events!.path)
  writeFileSync(path, change(readFileSync(path, 'utf8').trimEnd().split('\n')).map((l) => `${l}\n`).join(''))
}

describe("forgeries of the senders' records", () => {
  it('finds the records stripped out, even with the statement signed again by HQ', async () => {
    const result = await forged('stripped', (bagDir, s) => {
      rmSync(join(bagDir, 'data/custodians'), {recursive: true})
      delete s.custodians
    })
    expect(result.code).toBe(3)
    expect(result.problems).toContainEqual(expect.objectContaining({check: 'custodians', subject: 'HQ-000001', message: expect.stringMatching(/was received from another custodian \(TRANSFER-[0-9a-f]{16}\), but the archive does not carry the sender's record of it/)}))
  })

  // The sender's ledger is sealed (init's default), so its events travel in clear beside their
  // envelopes, salts and commitments: an event changed alone fails on its envelope's commitment;
  // with the commitment made again to match, on its hash, which is over the envelope.
  it("finds a sender's event changed: it no longer matches its envelope's commitment", async () => {
    const result = await forged('event-changed', (bagDir, s) => {
      editEvents(bagDir, s.custodians![0]!, (lines) => lines.map((l) => l.replace('"name":"Casio.jpg"', '"name":"Casio-edited.jpg"')))
    })
    expect(result.code).toBe(3)
    expect(result.problems).toContainEqual(expect.objectContaining({check: 'custodians', message: "has an event that does not match its envelope's commitment"}))
  })

  it("finds a sender's event changed, its envelope's commitment made again: its hash no longer holds", async () => {
    const result = await forged('event-recommitted', (bagDir, s) => {
      editEvents(bagDir, s.custodians![0]!, (lines) => lines.map((l) => recommitted(l.replace('"name":"Casio.jpg"', '"name":"Casio-edited.jpg"'))))
    })
    expect(result.code).toBe(3)
    expect(result.problems).not.toContainEqual(expect.objectContaining({message: expect.stringContaining('commitment')}))
    expect(result.problems).toContainEqual(expect.objectContaining({check: 'custodians', message: expect.stringContaining('its hash does not match its content')}))
  })

  it("finds a sender's ingest event left out: the exhibit received is not in the sender's record", async () => {
    const result = await forged('ingest-dropped', (bagDir, s) => {
      const record = s.custodians![0]!
      editEvents(bagDir, record, (lines) => lines.filter((l) => !l.includes('"exhibit":"EX-000002"')))
      record.eventCount -= 1
    })
    expect(result.code).toBe(3)
    expect(result.problems).toContainEqual(expect.objectContaining({subject: 'HQ-000002', message: expect.stringMatching(/was received as Iryna Melnyk's EX-000002 \(their event \d+\), which data\/custodians\/.*\/events\.jsonl does not hold/)}))
  })

  it("finds the sender's first event, which names its case, left out", async () => {
    const result = await forged('genesis-dropped', (bagDir, s) => {
      const record = s.custodians![1]!
      editEvents(bagDir, record, (lines) => lines.slice(1))
      record.eventCount -= 1
    })
    expect(result.code).toBe(3)
    expect(result.problems).toContainEqual(expect.objectContaining({check: 'custodians', message: "the sender's first event, which names its case, is not in it"}))
  })

  it("finds the sender's transfer statement edited: the sender's signature no longer holds", async () => {
    const result = await forged('transfer-edited', (bagDir, s) => {
      const path = join(bagDir, s.custodians![0]!.files.transfer!.path)
      writeFileSync(path, readFileSync(path, 'utf8').replace('"purpose":null', '"purpose":"for the prosecution only"'))
    })
    expect(result.code).toBe(3)
    expect(result.problems).toContainEqual(expect.objectContaining({message: expect.stringContaining('its signature transfer.json.sig does not verify with sender.pem')}))
  })

  it("refuses a sender's key swapped for a forger's, the checkpoint and transfer statement signed again with it", async () => {
    const key = forgerKey()
    const result = await forged('sender-key', (bagDir, s) => {
      const dir = join(bagDir, s.custodians![0]!.folder)
      writeFileSync(join(dir, 'sender.pem'), pemOf(key.spki))
      for (const file of ['checkpoint.json', 'transfer.json']) writeFileSync(join(dir, `${file}.sig`), key.sign(readFileSync(join(dir, file))))
    })
    expect(result.code).toBe(3)
    expect(result.problems).toContainEqual(expect.objectContaining({message: expect.stringContaining("is not a key that the sender's events record")}))
  })

  it("refuses HQ's receipt edited (another time of receipt), the statement made to agree", async () => {
    const result = await forged('receipt-edited', (bagDir, s) => {
      const record = s.custodians![0]!
      const path = join(bagDir, record.files.receipt!.path)
      const later = '2031-01-01T00:00:00.000Z'
      writeFileSync(path, readFileSync(path, 'utf8').replace(record.receivedAt, later))
      record.receivedAt = later
    })
    expect(result.code).toBe(3)
    expect(result.problems).toContainEqual(expect.objectContaining({message: expect.stringContaining("its signature (") }))
  })

  it("refuses one sender's record put in the place of another's", async () => {
    const result = await forged('record-swapped', (bagDir, s) => {
      const [a, b] = [s.custodians![0]!, s.custodians![1]!]
      for (const name of readdirSync(join(bagDir, b.folder))) cpSync(join(bagDir, b.folder, name), join(bagDir, a.folder, name))
      a.eventCount = b.eventCount
    })
    expect(result.code).toBe(3)
    const messages = result.problems.filter((p) => p.check === 'custodians').map((p) => p.message)
    expect(messages.join('\n')).toMatch(/is not the key the seal statement names as the sender's|names another transfer than the seal statement/)
  })

  it("refuses a sender renamed in the statement (the list a court reads of who released what), signed again by HQ: the name is the sender's, as it signed it", async () => {
    const result = await forged('renamed', (_bagDir, s) => {
      Object.assign(s.custodians![0]!.from, {name: 'Someone Else', organisation: 'Another organisation'})
    })
    expect(result.code).toBe(3)
    expect(result.problems).toContainEqual(expect.objectContaining({check: 'custodians', message: expect.stringMatching(/^names the sender otherwise than the seal statement/)}))
  })

  it("refuses a hand-over's record taken out while this case's transfer-received event of it stays: each such event needs its record", async () => {
    const result = await forged('one-taken-out', (bagDir, s) => {
      const [gone] = s.custodians!.splice(0, 1)
      rmSync(join(bagDir, gone!.folder), {recursive: true})
    })
    expect(result.code).toBe(3)
    expect(result.problems).toContainEqual(expect.objectContaining({check: 'custodians', message: expect.stringMatching(/^records TRANSFER-[0-9a-f]{16} \(transfer-received\), but the archive does not carry the sender's record of that hand-over$/)}))
  })

  it("refuses a rotations.jsonl put in a sealed transfer package's record (whose transfer.json carries its rotations), signed again by HQ: custody and verify-bag.py", async () => {
    const result = await forged('rotations-added', (bagDir, s) => {
      const record = s.custodians![0]!
      const line = {body: readFileSync(join(bagDir, record.folder, 'checkpoint.json'), 'utf8'), signature: readFileSync(join(bagDir, record.folder, 'checkpoint.json.sig')).toString('hex')}
      writeFileSync(join(bagDir, record.folder, 'rotations.jsonl'), `${JSON.stringify(line)}\n`)
      record.files.rotations = {path: `${record.folder}/rotations.jsonl`, sha256: ''}
    })
    expect(result.code).toBe(3)
    expect(result.problems).toContainEqual(expect.objectContaining({check: 'custodians', message: expect.stringMatching(/^is in the record of a sealed transfer package, whose transfer.json carries its rotations/)}))
    const script = spawnSync('python3', ['verify-bag.py'], {cwd: join(at('forged-rotations-added'), bag), encoding: 'utf8'})
    expect(script.stdout).toMatch(/^custodians FAILED/m)
    expect(script.stdout).toMatch(/rotations\.jsonl: is in the record of a sealed transfer package/)
  })

  it('refuses a hand-over carried twice, to count one custodian twice', async () => {
    const result = await forged('twice', (_bagDir, s) => {
      s.custodians!.push(structuredClone(s.custodians![0]!))
    })
    expect(result.code).toBe(3)
    expect(result.problems).toContainEqual(expect.objectContaining({check: 'custodians', message: expect.stringMatching(/^its custodians\[3\] names TRANSFER-[0-9a-f]{16} again: each hand-over is carried once$/)}))
  })

  it("refuses a record moved out of the folder custody puts it in (under the other sender's case), the statement signed again by HQ", async () => {
    let moved = ''
    const result = await forged('folder-moved', (bagDir, s) => {
      const [a, b] = [s.custodians![0]!, s.custodians![1]!]
      expect(a.from.case).not.toBe(b.from.case)
      moved = `data/custodians/${b.from.case}/${a.transferId}`
      cpSync(join(bagDir, a.folder), join(bagDir, moved), {recursive: true})
      rmSync(join(bagDir, a.folder), {recursive: true})
      for (const file of Object.values(a.files)) file.path = file.path.replace(a.folder, moved)
      a.folder = moved
    })
    expect(result.code).toBe(3)
    expect(result.problems).toContainEqual(expect.objectContaining({check: 'contents', subject: 'data/custody/seal.json', message: "its custodians[0] does not name its sender's case, its transfer and their folder as custody writes them"}))
    // Its files are then named by nothing a verifier accepts.
    expect(result.problems).toContainEqual(expect.objectContaining({subject: `${moved}/transfer.json`, message: 'is in the payload, but the seal statement does not name it: nothing vouches for it'}))
  })

  it('refuses more ingest events of received exhibits than the archive has exhibits: the statement cut to one exhibit, signed again by HQ', async () => {
    const result = await forged('fewer-exhibits', (bagDir, s) => {
      const statement = s as {exhibits?: Array<{exhibit: string}>}
      const [kept, ...dropped] = statement.exhibits!
      expect(kept!.exhibit).toBe('HQ-000001')
      for (const x of dropped) rmSync(join(bagDir, 'data/exhibits', x.exhibit), {recursive: true})
      statement.exhibits = [kept!]
    })
    expect(result.code).toBe(3)
    // HQ-000001's ingest is the one the archive's single exhibit allows; each received after it (HQ-000002 to HQ-000004) is named, and not kept.
    const beyond = result.problems.filter((p) => p.message === 'more ingest events of received exhibits than the archive has exhibits')
    expect(beyond.map((p) => p.check)).toEqual(['events', 'events', 'events'])
    expect(beyond.every((p) => /^event \d+$/.test(p.subject))).toBe(true)
  })

  it('finds a record changed by an outsider who cannot sign as HQ: not the file the seal statement states', async () => {
    const result = await forged(
      'outsider',
      (bagDir, s) => {
        editEvents(bagDir, s.custodians![1]!, (lines) => lines.slice(0, -1))
      },
      {outsider: true},
    )
    expect(result.code).toBe(3)
    expect(result.problems).toContainEqual(expect.objectContaining({check: 'custodians', subject: expect.stringMatching(/events\.jsonl$/), message: 'is not the file the seal statement states'}))
  })
})

describe("HQ's seal refuses what it cannot vouch for", () => {
  /** The kept package and receipt of each hand-over, as HQ's transfer-received events name them. */
  async function kept(): Promise<Array<{pkg: string; receipt: string}>> {
    const log = await custodyJson<{events: Array<{payload: {kept: string}}>}>(['log', '--action', 'transfer-received', '--case', hq])
    return log.json.events.map((e) => ({pkg: join(hq, '.custody', e.payload.kept), receipt: join(hq, '.custody', keptReceiptOf(e.payload.kept))}))
  }

  it('stops at a kept receipt edited inside HQ\'s case: exit 3, naming it, and no archive', async () => {
    const [first] = await kept()
    const original = readFileSync(first!.receipt)
    execFileSync('chmod', ['u+w', first!.receipt])
    // An age file in HQ's encrypted case (transfer-kept-receipts.test.ts has the other forgeries): one byte changed.
    const edited = Buffer.from(original)
    edited[edited.length - 20]! ^= 1
    writeFileSync(first!.receipt, edited)
    const sealed = await custody(['seal', 'HQ-000001', '--out', at('edited-receipt.zip'), '--case', hq])
    expect(sealed.code).toBe(3)
    // HQ's case is encrypted: its kept receipt is an age file, found not as the event records it stored.
    expect(sealed.stderr).toMatch(/the kept receipt \.custody\/custodians\/[0-9a-f-]{36}\/TRANSFER-[0-9a-f]{16}\.receipt, which event \d+ records, is not the one recorded \(the age file's SHA-256 is not [0-9a-f]{64}, or its size not \d+ bytes\); nothing was sealed/)
    expect(readdirSync(work.path).filter((f) => f.includes('edited-receipt'))).toEqual([])
    writeFileSync(first!.receipt, original)
  })

  it("stops at a kept package swapped for another sender's: exit 3, naming it", async () => {
    const [a, b] = await kept()
    execFileSync('cp', [b!.pkg, a!.pkg])
    const sealed = await custody(['seal', 'HQ-000002', '--out', at('swapped.zip'), '--case', hq])
    expect(sealed.code).toBe(3)
    expect(sealed.stderr).toMatch(/the kept package \.custody\/custodians\/[0-9a-f-]{36}\/TRANSFER-[0-9a-f]{16}\.zip\.age of TRANSFER-[0-9a-f]{16} does not verify as the one event \d+ records/)
    // It says why: the package verifies, but as another sender's (it used to say "0 problems").
    expect(sealed.stderr).toMatch(/records \(it is signed by SHA256:[0-9a-f]{64}, not the sender's key SHA256:[0-9a-f]{64}\)/)
    // HQ's own exhibit still seals: nothing of other custodians is read for it.
    expect((await custody(['seal', 'HQ-000005', '--out', at('own-again.zip'), '--case', hq])).code).toBe(0)
  })
})
