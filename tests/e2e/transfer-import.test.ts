/**
 * What HQ makes of the exhibits it accepts (issue 20, docs/design/transfers.md "Accept", step 4):
 * each becomes an exhibit of HQ's case with HQ's ID and keeps its sender's, found by either; the
 * receipt names both; content HQ already holds is received as that exhibit; HQ seals them into an
 * archive that custody verify and bagit.py accept, its originals the field's files byte for byte.
 * Two field cases with the same prefix (EX) send to one HQ: their exhibits never collide, and a
 * sender's ID two senders share is refused as ambiguous. The built CLI on real cases.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custody, custodyJson, SAMPLES, tempDir} from '../helpers/cli.js'
import {checker} from '../helpers/tools.js'
import {acceptPackage, exportPackage, ingestSamples, initCase, writeIdentityLine} from '../helpers/transfers.js'

const work = tempDir('custody-transfer-import-')
afterAll(() => work.remove())

const at = (name: string): string => join(work.path, name)
const [fieldA, fieldB, hq] = [at('field-a'), at('field-b'), at('hq')]

interface Accepted {
  items: Array<{exhibit: string; sha256: string; receivedAs?: string}>
  receipt: {file: string}
}

interface Shown {
  exhibit: string
  digests: {sha256: string}
  file: {name: string}
  received?: {case: string; exhibit: string; seq: number; transferId: string}
  metadata: {normalised: {device: {make: string | null}}}
}

async function ok(args: string[]): Promise<string> {
  const done = await custody(args)
  expect(done.code, done.stdout + done.stderr).toBe(0)
  return done.stdout
}

async function caseId(dir: string): Promise<string> {
  return (await custodyJson<{case: {caseId: string}}>(['status', '--case', dir])).json.case.caseId
}

async function send(from: string, fromLine: string, out: string): Promise<Accepted> {
  return acceptPackage<Accepted>(hq, await exportPackage(from, at('hq.line'), at(out)), [at(fromLine)])
}

const sha256Of = (name: string): string => execFileSync('sha256sum', [join(SAMPLES, name)], {encoding: 'utf8'}).split(' ')[0]!

beforeAll(async () => {
  await initCase(fieldA, 'Kherson', 'Iryna Melnyk')
  await initCase(fieldB, 'Mariupol', 'Taras Bondar')
  await initCase(hq, 'HQ', 'Olena Kovalenko', '--role', 'hq')
  await writeIdentityLine(hq, at('hq.line'))
  await writeIdentityLine(fieldA, at('a.line'))
  await writeIdentityLine(fieldB, at('b.line'))
  await ok(['ingest', join(SAMPLES, 'Canon.jpg'), join(SAMPLES, 'Casio.jpg'), '--case', fieldA, '--location', 'Kherson'])
  // Field B holds one photo of its own and, as its second exhibit, the same content as A's first.
  await ingestSamples(fieldB, 'Nikon.jpg', 'Canon.jpg')
}, 120_000)

describe('custody transfer accept: the received exhibits', () => {
  it("numbers field A's exhibits in HQ's case; the receipt names both IDs; show finds each by either", async () => {
    const accepted = await send(fieldA, 'a.line', 'a1.zip.age')
    expect(accepted.items.map((i) => [i.exhibit, i.receivedAs])).toEqual([
      ['EX-000001', 'HQ-000001'],
      ['EX-000002', 'HQ-000002'],
    ])
    const receipt = JSON.parse(readFileSync(accepted.receipt.file, 'utf8')) as {items: Array<{exhibit: string; receivedAs: string | null}>}
    expect(receipt.items.map((i) => [i.exhibit, i.receivedAs])).toEqual([
      ['EX-000001', 'HQ-000001'],
      ['EX-000002', 'HQ-000002'],
    ])

    const shown = await custodyJson<Shown>(['show', 'HQ-000001', '--case', hq])
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.json).toMatchObject({exhibit: 'HQ-000001', digests: {sha256: sha256Of('Canon.jpg')}, file: {name: 'Canon.jpg'}, received: {case: await caseId(fieldA), exhibit: 'EX-000001'}})
    // The sender's metadata, as its ingest event recorded it.
    expect(shown.json.metadata.normalised.device.make).toBe('Canon')
    const bySender = await custodyJson<Shown>(['show', 'EX-000002', '--case', hq])
    expect(bySender.json).toMatchObject({exhibit: 'HQ-000002', digests: {sha256: sha256Of('Casio.jpg')}})
    const text = await ok(['show', 'ex-2', '--case', hq])
    expect(text).toMatch(/received {9}.* the sender's exhibit EX-000002 \(case [0-9a-f-]{36}, its event #\d+\)/)
    const log = await ok(['log', 'EX-000001', '--case', hq])
    expect(log).toMatch(/received: the sender's EX-000001, TRANSFER-[0-9a-f]{16}/)
  })

  it("numbers field B's exhibits after A's; content HQ holds already is received as that exhibit; a shared sender ID is ambiguous", async () => {
    const accepted = await send(fieldB, 'b.line', 'b1.zip.age')
    expect(accepted.items.map((i) => [i.exhibit, i.receivedAs])).toEqual([
      ['EX-000001', 'HQ-000003'],
      ['EX-000002', 'HQ-000001'],
    ])
    const status = await custodyJson<{exhibits: number}>(['status', '--case', hq])
    expect(status.json.exhibits).toBe(3)
    const ambiguous = await custody(['show', 'EX-000001', '--case', hq])
    expect(ambiguous.code).not.toBe(0)
    expect(ambiguous.stderr).toMatch(/EX-000001 is the ID of more than one exhibit this case received: HQ-000001 \(from Iryna Melnyk\), HQ-000003 \(from Taras Bondar\); give this case's ID/)
    // The second sender's copy of content HQ held names the exhibit it is.
    expect((await custodyJson<Shown>(['show', 'EX-000002', '--case', hq])).code).not.toBe(0)
    const canon = await custodyJson<Shown>(['show', 'HQ-000001', '--case', hq])
    expect(canon.json.received?.exhibit).toBe('EX-000001')
  })

  it("tells a received exhibit's story across custodians: the sender's events from the kept package, then HQ's", async () => {
    const text = await ok(['log', 'HQ-000002', '--custodians', '--case', hq])
    const lines = text.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^In the ledger of Iryna Melnyk, case [0-9a-f-]{36}, as EX-000002: 1 event$/)
    expect(lines[1]).toMatch(/^ {2}under its head of \d+ events, root [0-9a-f]{64}, signed by SHA256:[0-9a-f]{64}; released \S+ in TRANSFER-[0-9a-f]{16}, verified again from \.custody\/custodians\//)
    expect(lines[2]).toMatch(/^ {2}#\d+ +\S+ +ingest +EX-000002 +Iryna Melnyk +.*Casio\.jpg/)
    expect(lines[3]).toMatch(/^In this case's ledger, kept by Olena Kovalenko, case [0-9a-f-]{36}, as HQ-000002: 2 events$/)
    expect(text).toMatch(/transfer-received .*received from Iryna Melnyk/)
    expect(text).toMatch(/ingest +HQ-000002 +Olena Kovalenko .*received: the sender's EX-000002/)

    const json = await custodyJson<{exhibit: string; custodians: Array<{ledger: string; exhibit: string; custodian: {case: string; fingerprint: string}; events: Array<{action: string; exhibit: string | null}>}>}>(['log', 'HQ-000002', '--custodians', '--case', hq])
    expect(json.code, json.stderr).toBe(0)
    expect(json.json.exhibit).toBe('HQ-000002')
    expect(json.json.custodians.map((c) => [c.ledger, c.exhibit])).toEqual([
      ['sender', 'EX-000002'],
      ['this case', 'HQ-000002'],
    ])
    expect(json.json.custodians[0]!.custodian.case).toBe(await caseId(fieldA))
    const fieldKey = (await custodyJson<{fingerprint: string}>(['key', 'show', '--case', fieldA])).json.fingerprint
    expect(json.json.custodians[0]!.custodian.fingerprint).toBe(fieldKey)
    expect(json.json.custodians[0]!.events.map((e) => [e.action, e.exhibit])).toEqual([['ingest', 'EX-000002']])

    // An exhibit HQ took in itself has HQ's part only; --custodians needs an exhibit.
    const alone = await custody(['log', '--custodians', '--case', hq])
    expect(alone.code).toBe(2)
    expect(alone.stderr).toMatch(/--custodians tells the story of one exhibit/)
  })

  it('takes the same file in at HQ as presented again, the exhibit it was received as', async () => {
    const again = await custodyJson<{results: Array<{status: string; exhibit: string | null}>}>(['ingest', join(SAMPLES, 'Casio.jpg'), '--case', hq])
    expect(again.code, again.stderr).toBe(0)
    expect(again.json.results[0]).toMatchObject({status: 'already-present', exhibit: 'HQ-000002'})
  })

  it("verifies HQ's case, and seals the received exhibits into an archive verify and bagit.py accept, the originals the field's files", async () => {
    await ok(['verify', '--case', hq])
    const out = at('court.zip')
    await ok(['seal', '--out', out, '--case', hq])
    const verified = await custodyJson<{ok: boolean}>(['verify', out])
    expect(verified.code, JSON.stringify(verified.json)).toBe(0)
    const bag = at('court')
    execFileSync('unzip', ['-q', out, '-d', bag])
    const folder = join(bag, spawnSync('ls', [bag], {encoding: 'utf8'}).stdout.trim())
    const bagit = checker('bagit.py')
    if (bagit !== undefined) expect(spawnSync('python3', [bagit, '--validate', folder], {encoding: 'utf8'}).status).toBe(0)
    const standalone = spawnSync('python3', ['verify-bag.py'], {cwd: folder, encoding: 'utf8'})
    expect(standalone.status, standalone.stdout).toBe(0)
    // Two senders: their records checked, and README.txt's commands given once, for CASE/TRANSFER, each folder listed.
    expect(standalone.stdout).toMatch(/^custodians OK +2 hand-overs \(the sender's events, checkpoint and transfer statement, this case's receipt\); 3 exhibits received$/m)
    const readme = readFileSync(join(folder, 'README.txt'), 'utf8')
    expect(readme).toContain('     cd data/custodians/CASE/TRANSFER\n')
    expect(readme.match(/^ {5}[0-9a-f-]{36}\/TRANSFER-[0-9a-f]{16} {2}from (Iryna Melnyk|Taras Bondar), fingerprint [0-9a-f]{64}$/gm)).toHaveLength(2)
    for (const line of standalone.stdout.split('\n').filter((l) => /^ {4}(openssl|grep|cd) /.test(l))) expect(readme).toContain(` ${line}\n`)
    for (const [id, name] of [['HQ-000001', 'Canon.jpg'], ['HQ-000002', 'Casio.jpg'], ['HQ-000003', 'Nikon.jpg']] as const) {
      expect(readFileSync(join(folder, 'data/exhibits', id, 'original', name)).equals(readFileSync(join(SAMPLES, name)))).toBe(true)
    }
  })

  it("gives the court's documents the field ID beside HQ's: the report's exhibit facts, and the CASE/UCO File's description", async () => {
    const html = at('court.html')
    await ok(['report', at('court.zip'), '--out', html, '--thumbnails', 'none'])
    const page = readFileSync(html, 'utf8')
    const senderCase = await caseId(fieldA)
    expect(page).toMatch(new RegExp(`Received from another custodian as.{0,80}EX-000002 \\(case ${senderCase}, TRANSFER-[0-9a-f]{16}\\)`, 's'))
    const jsonld = at('court.jsonld')
    await ok(['export', 'case-uco', at('court.zip'), '--out', jsonld])
    const graph = (JSON.parse(readFileSync(jsonld, 'utf8')) as {'@graph': Array<Record<string, unknown>>})['@graph']
    const file = graph.find((n) => n['@type'] === 'uco-observable:File' && n['uco-core:name'] === 'HQ-000002')
    expect(file?.['uco-core:description']).toMatch(new RegExp(`^received from another custodian: exhibit EX-000002 of custody case ${senderCase}, its ledger event \\d+, in TRANSFER-[0-9a-f]{16}$`))
    const validate = checker('case-validate')
    if (validate !== undefined) {
      const run = spawnSync(validate, [jsonld, '--quiet'], {encoding: 'utf8', timeout: 120_000})
      expect(run.status, run.stdout + run.stderr).toBe(0)
    }
  })

  it("finds a received exhibit's vault object changed inside HQ's case: verify exits 3 naming it", async () => {
    const shown = await custodyJson<{vault: {path: string}}>(['show', 'HQ-000003', '--case', hq])
    const path = shown.json.vault.path
    const bytes = readFileSync(path)
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 20) ^ 1, bytes.length - 20)
    execFileSync('chmod', ['u+w', path])
    writeFileSync(path, bytes)
    const verified = await custody(['verify', '--case', hq])
    expect(verified.code).toBe(3)
    expect(verified.stdout + verified.stderr).toMatch(/HQ-000003/)
  })

  it("refuses the story of an exhibit whose kept package was swapped for another sender's: exit 3, naming it", async () => {
    const log = await custodyJson<{events: Array<{action: string; payload: {kept: string}}>}>(['log', '--action', 'transfer-received', '--case', hq])
    const [fromA, fromB] = log.json.events.map((e) => join(hq, '.custody', e.payload.kept))
    execFileSync('cp', [fromB!, fromA!])
    const story = await custody(['log', 'HQ-000002', '--custodians', '--case', hq])
    expect(story.code).toBe(3)
    expect(story.stderr).toMatch(/the kept package \.custody\/custodians\/[0-9a-f-]{36}\/TRANSFER-[0-9a-f]{16}\.zip\.age of TRANSFER-[0-9a-f]{16} does not verify as the one event \d+ records/)
  })
})
