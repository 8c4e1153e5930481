/**
 * HQ accepts a field package (docs/design/transfers.md, "Accepting a field package"): a field case
 * (`init --field`, encrypted to HQ's case recipient) sends with no key on the laptop; HQ's
 * `custody transfer accept` checks it whole with its own identity, takes each exhibit into its
 * vault under its own keys (the plaintext never written in clear), numbers it, records the
 * hand-over with the digests it computed, and signs a receipt (openssl checks it). Then what an
 * adversary holding a genuine package or a copy of the field case would send: an object changed
 * and the bag re-encrypted to HQ, the field ledger rolled back or rewritten after a hand-over, a
 * stranger's package, HQ's own package sent to another: each refused with exit 3, nothing
 * recorded, no receipt, nothing left in HQ's vault. A key rotation the field ledger proves is
 * followed; testimony stays in the package; HQ seals what both field cases brought (the senders'
 * events opened, checked by custody verify, verify-bag.py, bagit.py and openssl; a sender's event
 * changed and another statement of the sender put in are refused); a kill in the middle is
 * finished by a run again.
 */
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, caseEnv, copyCase, custody, custodyJson, SAMPLES, tempDir} from '../helpers/cli.js'
import {ageWithPassphrase, forgePackage, listFiles} from '../helpers/field-forge.js'
import {schemaErrors} from '../helpers/json-schemas.js'
import {forgerKey} from '../helpers/forge-archive.js'
import {canonicalize} from '../../src/canonical/jcs.js'
import {checker} from '../helpers/tools.js'
import {rewriteManifests} from '../helpers/bag.js'
import {eventCount, ingestSamples, initCase, refusedAccept, writeIdentityLine} from '../helpers/transfers.js'

const AGE = checker('age')
const work = tempDir('custody-field-accept-')
afterAll(() => work.remove())

const at = (name: string): string => join(work.path, name)
const [field, hq, other, rolledBack, forked] = [at('field'), at('hq'), at('other'), at('field-rolled-back'), at('field-forked')]
const sha = (algorithm: 'sha256' | 'sha512', data: Buffer): string => createHash(algorithm).update(data).digest('hex')
const hqKey = at('hq.key')
let hqRecipient = ''

interface Accepted {
  accepted: boolean
  kind: string
  transferId: string
  sealId: string | null
  treeHead: {size: number; root: string}
  items: Array<{exhibit: string; sha256: string; sha512: string; size: number; receivedAs?: string}>
  seq: number
  receipt: {file: string; signature: string; sha256: string}
  rotation?: {from: string; to: string; events: number[]}
}

/** A field package of what `dir` has not sent, to HQ, at `out` (with `more` flags). */
async function fieldExport(dir: string, out: string, ...more: string[]): Promise<string> {
  const made = await custody(['transfer', 'export', '--to', at('hq.line'), '--out', at(out), ...more, '--case', dir])
  expect(made.code, made.stderr).toBe(0)
  expect(made.stdout).toMatch(/as stored \(a field package\)/)
  return at(out)
}

async function accept(pkg: string, ...from: string[]): Promise<Accepted> {
  const result = await custodyJson<Accepted>(['transfer', 'accept', pkg, ...from.flatMap((f) => ['--from', f]), '--case', hq])
  expect(result.code, result.stderr).toBe(0)
  expect(schemaErrors('transfer-accept.schema.json', result.json)).toEqual([])
  return result.json
}

/** The files under HQ's vault, to show a refusal left nothing there. */
const vaultFiles = (): string[] => listFiles(join(hq, '.custody', 'vault')).sort()

function openssl(key: string, file: string, sig: string): number | null {
  return spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', key, '-rawin', '-in', file, '-sigfile', sig]).status
}

beforeAll(async () => {
  if (AGE === undefined) return
  await initCase(hq, 'Crimea (HQ)', 'Olena Kovalenko', '--organisation', 'IPHR', '--role', 'hq')
  const line = readFileSync(await writeIdentityLine(hq, at('hq.line')), 'utf8').trim()
  hqRecipient = (JSON.parse(Buffer.from(line.split(' ')[1]!, 'base64url').toString('utf8')) as {age: string}).age
  ageWithPassphrase(AGE, join(hq, '.custody', 'keys', 'case-identity.age'), hqKey)
  await initCase(field, 'Crimea (field)', 'Mykola', '--field', '--recipient', hqRecipient)
  await writeIdentityLine(field, at('field.line'))
  await ingestSamples(field, 'Canon.jpg', 'Casio.jpg')
  await initCase(other, 'Another field team', 'Petro', '--field', '--recipient', hqRecipient)
  await writeIdentityLine(other, at('other.line'))
}, 120_000)

describe.skipIf(AGE === undefined)('custody transfer accept of a field package', () => {
  let first: Accepted

  it('takes each exhibit into HQ\'s vault under its keys, with the digests HQ computed; records the hand-over; signs a receipt openssl checks', async () => {
    const pkg = await fieldExport(field, 'p1.zip.age')
    // The adversary's copy of the field case after its first hand-over (another machine's state).
    copyCase(field, rolledBack)
    copyCase(field, forked)
    // HQ's case as it was before: accepting there too gives a second, different genuine receipt for the same transfer.
    copyCase(hq, at('hq-copy'))
    const events = await eventCount(hq)
    const nowhere = await custody(['transfer', 'accept', pkg, '--from', at('field.line'), '--receipt-out', at('no-such-folder/r.receipt'), '--case', hq])
    expect(nowhere.code).toBe(2)
    expect(nowhere.stderr).toMatch(/no-such-folder is not a folder, so .* cannot be written there; nothing was accepted/)
    expect(await eventCount(hq)).toBe(events)
    first = await accept(pkg, at('field.line'))
    expect(first).toMatchObject({accepted: true, kind: 'field-package', sealId: null})
    expect(first.items.map((i) => [i.exhibit, i.receivedAs])).toEqual([
      ['EX-000001', 'HQ-000001'],
      ['EX-000002', 'HQ-000002'],
    ])
    for (const [i, name] of ['Canon.jpg', 'Casio.jpg'].entries()) {
      const bytes = readFileSync(join(SAMPLES, name))
      expect(first.items[i]).toMatchObject({sha256: sha('sha256', bytes), sha512: sha('sha512', bytes), size: bytes.length})
    }

    // Stored under HQ's keys: an age file that HQ's identity opens to the original, byte for byte; nothing in clear.
    const shown = await custodyJson<{vault: {path: string}; received: {exhibit: string; transferId: string}}>(['show', 'EX-000001', '--case', hq])
    expect(shown.json.received).toMatchObject({exhibit: 'EX-000001', transferId: first.transferId})
    const object = shown.json.vault.path
    expect(readFileSync(object).subarray(0, 21).toString()).toBe('age-encryption.org/v1')
    execFileSync(AGE!, ['-d', '-i', hqKey, '-o', at('canon.out'), object])
    expect(readFileSync(at('canon.out')).equals(readFileSync(join(SAMPLES, 'Canon.jpg')))).toBe(true)
    expect(vaultFiles().filter((f) => f.endsWith('.jpg') || f.startsWith('tmp/'))).toEqual([])

    const hqPem = at('hq.pem')
    expect((await custody(['key', 'export', '--out', hqPem, '--case', hq])).code).toBe(0)
    expect(openssl(hqPem, first.receipt.file, first.receipt.signature)).toBe(0)
    const receipt = JSON.parse(readFileSync(first.receipt.file, 'utf8')) as {condition: string; senderCheckpoint: string; cosignature: string; items: Array<{exhibit: string; sha256: string; receivedAs: string}>}
    expect(receipt.condition).toBe('intact')
    expect(receipt.items.map((i) => [i.exhibit, i.sha256, i.receivedAs])).toEqual(first.items.map((i) => [i.exhibit, i.sha256, i.receivedAs]))
    writeFileSync(at('cp.json'), receipt.senderCheckpoint)
    writeFileSync(at('cp.sig'), Buffer.from(receipt.cosignature, 'hex'))
    expect(openssl(hqPem, at('cp.json'), at('cp.sig'))).toBe(0)
    expect(JSON.parse(receipt.senderCheckpoint)).toMatchObject({treeSize: first.treeHead.size, rootHash: first.treeHead.root})

    const verified = await custodyJson<{ok: boolean; checks: Array<{name: string; ok: boolean}>}>(['verify', '--case', hq])
    expect(verified.json.ok, JSON.stringify(verified.json.checks)).toBe(true)
    const log = await custody(['log', 'HQ-000002', '--custodians', '--case', hq])
    expect(log.code, log.stderr).toBe(0)
    expect(log.stdout).toMatch(/In the ledger of Mykola, case [0-9a-f-]+, as EX-000002/)
    expect(log.stdout).toMatch(/ingest +EX-000002 +Mykola .*Casio\.jpg/)
    expect(log.stdout).toMatch(/transfer-received .*\(its field package, \d+ events\)/)
  })

  it('the field case records HQ\'s receipt with no key; again, nothing changes; a receipt changed or signed by another is refused', async () => {
    const receipt = `${at('p1.zip.age')}.receipt`
    const forged = (name: string, body: string, signature: Buffer): string => {
      writeFileSync(at(name), body)
      writeFileSync(`${at(name)}.sig`, signature)
      return at(name)
    }

    const text = readFileSync(receipt, 'utf8')
    const refusedReceipt = async (file: string, message: RegExp): Promise<void> => {
      const before = await eventCount(field)
      const result = await custody(['transfer', 'receipt', file, '--case', field])
      expect(result.code, result.stdout + result.stderr).toBe(3)
      expect(result.stderr).toMatch(message)
      expect(await eventCount(field)).toBe(before)
    }

    // One byte changed: HQ's signature no longer holds.
    await refusedReceipt(forged('edited.receipt', text.replace('"intact"', '"intacT"'), readFileSync(`${receipt}.sig`)), /not the receiver's over these bytes|not a transfer receipt/)
    // The forger's own receipt, signed (and cosigned) with its own key under its own line: the transfer was not released to it.
    const key = forgerKey()
    const body = JSON.parse(text) as {receivedBy: {signingKey: string; name: string}; senderCheckpoint: string; cosignature: string}
    const receivedBy = {...body.receivedBy, name: 'Olena Kovalenko', signingKey: key.spki.toString('base64')}
    const unsigned = {...body, receivedBy, cosignature: key.sign(Buffer.from(body.senderCheckpoint)).toString('hex')}
    const bytes = canonicalize(unsigned)
    await refusedReceipt(forged('forger.receipt', bytes, key.sign(Buffer.from(bytes))), /was not released to that receiver at that head: its transfer ID is made from both/)

    const recorded = await custodyJson<{recorded: boolean; acknowledged: string[]; condition: string}>(['transfer', 'receipt', receipt, '--case', field])
    expect(recorded.code, recorded.stderr).toBe(0)
    expect(recorded.json).toMatchObject({recorded: true, condition: 'intact', acknowledged: ['EX-000001', 'EX-000002']})
    expect(schemaErrors('transfer-receipt.schema.json', recorded.json)).toEqual([])
    const again = await custodyJson<{recorded: boolean}>(['transfer', 'receipt', receipt, '--case', field])
    expect(again.json.recorded).toBe(false)
    // HQ's key, another acceptance of the same package (a copy of HQ's case): it contradicts the receipt recorded.
    const other = await custody(['transfer', 'accept', at('p1.zip.age'), '--from', at('field.line'), '--receipt-out', at('copy.receipt'), '--case', at('hq-copy')])
    expect(other.code, other.stderr).toBe(0)
    await refusedReceipt(at('copy.receipt'), /is a second receipt for TRANSFER-[0-9a-f]{16}, other than the one recorded/)
    // Nested deeper than any receipt: refused before it is parsed.
    await refusedReceipt(forged('deep.receipt', `{"type":${'['.repeat(5000)}${']'.repeat(5000)}}`, readFileSync(`${receipt}.sig`)), /its JSON nests deeper than any receipt's/)
    const status = await custodyJson<{releasedInClear?: Array<{transferId: string; acknowledged: boolean}>}>(['status', '--case', field])
    expect(JSON.stringify(status.json)).toMatch(new RegExp(`${first.transferId}`))
    expect((await custody(['verify', '--case', field])).code).toBe(0)
    // With HQ's identity for that moment, the field team purges what the receipt acknowledged.
    const purged = await custody(['transfer', 'purge', '--acknowledged-by', at('hq.line'), '--yes', '--identity', hqKey, '--case', field])
    expect(purged.code, purged.stderr).toBe(0)
    expect(purged.stdout).toMatch(/Purged from this case's vault 2 exhibits acknowledged by Olena Kovalenko/)
    const verified = await custody(['verify', '--case', field, '--identity', hqKey])
    expect(verified.code, verified.stdout).toBe(0)
    expect(verified.stdout).toMatch(/2 exhibits purged, each acknowledged by a receipt the case keeps/)
  })

  it('the same package again changes nothing and gives the receipt again; the field ID finds the exhibit', async () => {
    const before = await eventCount(hq)
    const again = await accept(at('p1.zip.age'), at('field.line'))
    expect(again).toMatchObject({accepted: false, kind: 'field-package', transferId: first.transferId, seq: first.seq})
    expect(await eventCount(hq)).toBe(before)
    const shown = await custodyJson<{exhibit: string}>(['show', 'EX-000002', '--case', hq])
    expect(shown.json.exhibit).toBe('HQ-000002')
  })

  it('refuses an object changed in the bag and encrypted to HQ again: nothing recorded, no receipt, nothing in the vault', async () => {
    execFileSync(AGE!, ['-d', '-i', hqKey, '-o', at('p1.zip'), at('p1.zip.age')])
    const pristine = at('pristine')
    mkdirSync(pristine)
    execFileSync('unzip', ['-q', at('p1.zip'), '-d', pristine])
    const bench = {age: AGE!, pristine, bag: readdirSync(pristine)[0]!, recipient: hqRecipient}
    const vault = vaultFiles()
    // The two photos' age files swapped under each other's names: each decrypts, to the other's content.
    const swapped = forgePackage(bench, at('forged-swap'), (dir) => {
      const objects = listFiles(join(dir, 'data', 'objects')).map((f) => join(dir, 'data', 'objects', f))
      const [a, b] = objects.filter((f) => readFileSync(f).length > 2000)
      const [x, y] = [readFileSync(a!), readFileSync(b!)]
      writeFileSync(a!, y)
      writeFileSync(b!, x)
    })
    await refusedAccept(hq, swapped, [at('field.line')], /does not verify as a transfer package; nothing was accepted/)
    expect(vaultFiles()).toEqual(vault)
  })

  it('takes the next package, and follows the sender\'s key rotation its ledger proves', async () => {
    await ingestSamples(field, 'Nikon.jpg')
    const rotated = await custody(['key', 'rotate', '--reason', 'the laptop was out of sight at a checkpoint', '--case', field])
    expect(rotated.code, rotated.stderr).toBe(0)
    const second = await accept(await fieldExport(field, 'p2.zip.age'), at('field.line'))
    expect(second.items.map((i) => [i.exhibit, i.receivedAs])).toEqual([['EX-000003', 'HQ-000003']])
    expect(second.rotation).toMatchObject({events: [expect.any(Number)]})
    expect(second.rotation!.from).not.toBe(second.rotation!.to)
  })

  it('refuses the field ledger rolled back to before a hand-over, or rewritten after one, naming both heads', async () => {
    // The copy taken after the first hand-over sends again: its ledger is shorter than the head HQ accepted second.
    await refusedAccept(hq, await fieldExport(rolledBack, 'rolled.zip.age', '--again'), [at('field.line')], /ledger was rolled back: this package's head \(\d+ events, root [0-9a-f]{64}\) is shorter than one already accepted from it \(\d+ events, root [0-9a-f]{64} \(accepted in TRANSFER-/)
    // The other copy grows another history past it: same first events, others after.
    await ingestSamples(forked, 'Sony.jpg', 'Olympus2.jpg', 'Ricoh2.jpg', 'Writer.jpg', 'GPS.jpg', 'PhotoMechanic.jpg', 'PNG.png')
    await refusedAccept(hq, await fieldExport(forked, 'forked.zip.age'), [at('field.line')], /ledger was rewritten after an earlier hand-over: this package's head \(\d+ events, root [0-9a-f]{64}\) does not extend one already accepted from it/)
  })

  it('refuses a sender HQ was not told to expect, and a package made for another receiver', async () => {
    await ingestSamples(other, 'Canon.jpg')
    const stranger = await fieldExport(other, 'stranger.zip.age')
    await refusedAccept(hq, stranger, [at('field.line')], /was released by Petro, .* who is neither among --from nor on the trust list/)
    // Its ledger made as costly to read as its sender likes (rows cut, runs flooded): refused for who
    // sent it, as soon as its signed statement is read, not for a ledger HQ never reads.
    execFileSync(AGE!, ['-d', '-i', hqKey, '-o', at('stranger.zip'), stranger])
    const pristine = at('stranger-pristine')
    mkdirSync(pristine)
    execFileSync('unzip', ['-q', at('stranger.zip'), '-d', pristine])
    const flooded = forgePackage({age: AGE!, pristine, bag: readdirSync(pristine)[0]!, recipient: hqRecipient}, at('forged-stranger'), (dir) => {
      const custodyDir = join(dir, 'data', 'custody')
      writeFileSync(join(custodyDir, 'ledger-rows.jsonl'), readFileSync(join(custodyDir, 'ledger-rows.jsonl'), 'utf8').split('\n')[0]!.concat('\n'))
      const [run] = readFileSync(join(custodyDir, 'ledger-runs.jsonl'), 'utf8').split('\n')
      const {wrapped} = JSON.parse(run!) as {wrapped: string}
      writeFileSync(join(custodyDir, 'ledger-runs.jsonl'), Array.from({length: 2000}, (_, id) => `${canonicalize({id, wrapped})}\n`).join(''))
    })
    const verified = await custodyJson<{ok: boolean}>(['verify', flooded, '--identity', hqKey])
    expect(verified.json.ok).toBe(false)
    await refusedAccept(hq, flooded, [at('field.line')], /was released by Petro, .* who is neither among --from nor on the trust list/)
    // The same flood under a statement edited and not signed again, from the sender HQ accepts: refused on reading it, whatever it names.
    const unsigned = forgePackage({age: AGE!, pristine: at('forged-stranger'), bag: readdirSync(pristine)[0]!, recipient: hqRecipient}, at('forged-unsigned'), (dir) => {
      const file = join(dir, 'data', 'custody', 'transfer.json')
      writeFileSync(file, readFileSync(file, 'utf8').replace(/"purpose":(null|"[^"]*")/, '"purpose":"changed on the way"'))
    })
    await refusedAccept(hq, unsigned, [at('other.line')], /its transfer\.json is not signed by the key it names as the sender's, so nothing in it is vouched for; nothing was accepted/)
    // Given, the same package is taken: its content is one HQ holds already, received as that exhibit.
    const taken = await accept(stranger, at('other.line'))
    expect(taken.items.map((i) => [i.exhibit, i.receivedAs])).toEqual([['EX-000001', 'HQ-000001']])
    // Its receipt given to the other field case by mistake: refused for what it is, with no key asked for.
    const before = await eventCount(field)
    const mistaken = await custody(['transfer', 'receipt', `${stranger}.receipt`, '--case', field])
    expect(mistaken.code, mistaken.stderr).toBe(3)
    expect(mistaken.stderr).toMatch(/stranger\.zip\.age\.receipt is a receipt for TRANSFER-[0-9a-f]{16}, which this case never released/)
    expect(await eventCount(field)).toBe(before)
  })

  it('keeps testimony in the package only: a witness\'s consent governs it', async () => {
    writeFileSync(at('statement.txt'), 'I saw the detention at the checkpoint on 5 March.\n')
    const testimony = await custody([
      ...['testimony', 'add', '--witness', 'W-001', '--interviewed-at', '2024-03-05T10:00+02:00', '--place', 'Kherson', '--interviewer', 'Mykola'],
      ...['--consent', 'court', '--consent-method', 'signed-form', '--statement-file', at('statement.txt'), '--case', field],
    ])
    expect(testimony.code, testimony.stderr).toBe(0)
    const exhibits = (await custodyJson<{exhibits: number}>(['status', '--case', hq])).json.exhibits
    const third = await accept(await fieldExport(field, 'p3.zip.age'), at('field.line'))
    expect(third.items).toHaveLength(1)
    expect(third.items[0]!.receivedAs).toBeUndefined()
    expect((await custodyJson<{exhibits: number}>(['status', '--case', hq])).json.exhibits).toBe(exhibits)
    expect((await custody(['verify', '--case', hq])).code).toBe(0)
  })

  it("seals exhibits received in a field package with the sender's events opened and proven to its checkpoint: custody verify, verify-bag.py, bagit.py and openssl check it; a sender's event changed is refused", async () => {
    const zip = at('court.zip')
    // Every exhibit HQ holds: from both field cases, one of whose keys was rotated between its packages.
    const sealed = await custody(['seal', '--out', zip, '--case', hq])
    expect(sealed.code, sealed.stderr).toBe(0)
    const verified = await custodyJson<{ok: boolean; custodians: Array<{transferId: string; from: {name: string; fingerprint: string}; items: number}>}>(['verify', zip, '--json'])
    expect(verified.code, verified.stdout).toBe(0)
    const handOvers = verified.json.custodians
    expect(new Set(handOvers.map((h) => h.from.name))).toEqual(new Set(['Mykola', 'Petro']))
    expect(handOvers.find((h) => h.transferId === first.transferId)).toMatchObject({items: 2})
    // Unzipped, as a court's expert would: bagit.py, the bag's own verify-bag.py, and openssl on the sender's record.
    const out = at('court-unzipped')
    mkdirSync(out)
    execFileSync('unzip', ['-q', zip, '-d', out])
    const bag = join(out, readdirSync(out)[0]!)
    const bagit = checker('bagit.py')
    if (bagit !== undefined) expect(spawnSync('python3', [bagit, '--validate', bag]).status).toBe(0)
    const script = spawnSync('python3', ['verify-bag.py'], {cwd: bag, encoding: 'utf8'})
    expect(script.status, script.stdout).toBe(0)
    expect(script.stdout).toMatch(new RegExp(`^custodians OK +${handOvers.length} hand-overs .*; \\d+ exhibits received$`, 'm'))
    const sender = readdirSync(join(bag, 'data', 'custodians')).find((c) => readdirSync(join(bag, 'data', 'custodians', c)).includes(first.transferId))!
    const record = join(bag, 'data', 'custodians', sender, first.transferId)
    expect(openssl(join(record, 'sender.pem'), join(record, 'transfer.json'), join(record, 'transfer.json.sig'))).toBe(0)
    expect(openssl(join(record, 'sender.pem'), join(record, 'checkpoint.json'), join(record, 'checkpoint.json.sig'))).toBe(0)
    expect(JSON.parse(readFileSync(join(record, 'transfer.json'), 'utf8'))).toMatchObject({type: 'custody-field-transfer/v1', transferId: first.transferId})
    // The sender's events a court reads: every row of its tree up to the checkpoint, in order. Its
    // first, its key, and its ingest of each exhibit are events, each an envelope (the leaf) beside
    // the event in clear and the salt of the envelope's commitment; the others, their envelopes alone.
    type Line = {envelope: {bodyCommitment: string; exhibit: string | null}; hash: string; leafHash: string; prev: string; event?: {action: string; exhibit: string | null; payload: {digests?: {sha256: string}}}; salt?: string; seq: number}
    const rows = readFileSync(join(record, 'events.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Line)
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i))
    expect(rows.length).toBe((JSON.parse(readFileSync(join(record, 'checkpoint.json'), 'utf8')) as {treeSize: number}).treeSize)
    const lines = rows.filter((r) => r.event !== undefined)
    expect(lines.map((l) => [l.event!.action, l.event!.exhibit])).toEqual([['create-case', null], ['key-created', null], ['ingest', 'EX-000001'], ['ingest', 'EX-000002']])
    const alone = rows.filter((r) => r.event === undefined)
    expect(alone.length).toBeGreaterThan(0)
    for (const r of alone) expect(['EX-000001', 'EX-000002']).not.toContain(r.envelope.exhibit)
    for (const l of lines) expect(sha('sha256', Buffer.concat([Buffer.from(l.salt!, 'hex'), Buffer.from(canonicalize(l.event as never))]))).toBe(l.envelope.bodyCommitment)
    expect(lines[2]!.event!.payload.digests!.sha256).toBe(sha('sha256', readFileSync(join(SAMPLES, 'Canon.jpg'))))
    // The record's events edited in a copy of the bag, seal.json's SHA-256 of the file (and its
    // count) and the manifests made again, as an insider holding HQ's key would: the custodians
    // check and verify-bag.py refuse each.
    type Stated = {transferId: string; eventCount: number; files: {events: {sha256: string}; rotations?: {path: string; sha256: string}}}
    /** A copy of the bag whose record of `transfer` `mutate` changes (given its folder and seal.json's record of it), the manifests made again: what verify and verify-bag.py say. */
    const forgeRecord = async (name: string, transfer: string, mutate: (folder: string, stated: Stated) => void, scriptFails = true): Promise<{verify: string; script: string}> => {
      const copy = at(name)
      cpSync(bag, copy, {recursive: true})
      const statement = join(copy, 'data', 'custody', 'seal.json')
      const sealed = JSON.parse(readFileSync(statement, 'utf8')) as {custodians: Stated[]}
      mutate(join(copy, 'data', 'custodians', sender, transfer), sealed.custodians.find((c) => c.transferId === transfer)!)
      writeFileSync(statement, `${JSON.stringify(sealed, null, 2)}\n`)
      rewriteManifests(copy)
      const verified = await custodyJson<{checks: Array<{name: string; status: string}>; problems: Array<{subject: string; message: string}>}>(['verify', copy, '--json'])
      expect(verified.code).toBe(3)
      expect(verified.json.checks.find((c) => c.name === 'custodians')!.status).toBe('failed')
      const script = spawnSync('python3', ['verify-bag.py'], {cwd: copy, encoding: 'utf8'})
      if (scriptFails) {
        expect(script.status).not.toBe(0)
        expect(script.stdout).toMatch(/^custodians FAILED/m)
      }

      return {verify: JSON.stringify(verified.json.problems), script: script.stdout}
    }

    const forge = async (name: string, edit: (rows: Line[]) => Line[]): Promise<{verify: string; script: string}> =>
      forgeRecord(name, first.transferId, (folder, stated) => {
        const events = join(folder, 'events.jsonl')
        const edited = edit(rows)
        writeFileSync(events, edited.map((r) => `${canonicalize(r as never)}\n`).join(''))
        stated.eventCount = edited.length
        stated.files.events.sha256 = sha('sha256', readFileSync(events))
      })

    // The ingest of EX-000002 left out, its envelope alone in its place (tree and count hold).
    const ingest = lines[3]!
    const hidden = await forge('court-hidden', (all) => all.map((r) => (r !== ingest ? r : {envelope: r.envelope, hash: r.hash, leafHash: r.leafHash, prev: r.prev, seq: r.seq})))
    expect(hidden.verify).toMatch(/EX-000002, which the record brought, yet holds its envelope alone: the event was left out/)
    expect(hidden.script).toMatch(/is of EX-000002, which the record brought, yet holds its envelope alone/)
    // A row taken out (the count restated), and the record cut to its events alone as a seal of
    // another package carries them: the rows are not the tree the sender's checkpoint signs.
    const cut = await forge('court-cut', (all) => all.filter((r) => r !== alone[0]))
    expect(cut.verify).toMatch(/rows were removed, added or moved|rows are not the tree the sender's checkpoint signs/)
    expect(cut.script).toMatch(/rows are not the tree the sender's checkpoint.json signs/)
    const selected = await forge('court-selected', () => lines)
    expect(selected.verify).toMatch(/rows are not the tree the sender's checkpoint signs/)
    expect(selected.script).toMatch(/rows are not the tree the sender's checkpoint.json signs/)
    // The sender rotated its key before its second package: that record holds the checkpoint over
    // the rotation signed by the key it replaced (the first has none), which openssl checks by the
    // commands verify-bag.py prints; taken out, or its signature another's, it is refused.
    expect(existsSync(join(record, 'rotations.jsonl'))).toBe(false)
    const next = readdirSync(join(bag, 'data', 'custodians', sender)).find((t) => t !== first.transferId)!
    const rotations = readFileSync(join(bag, 'data', 'custodians', sender, next, 'rotations.jsonl'), 'utf8')
    expect(rotations.trimEnd().split('\n')).toHaveLength(1)
    const printed = script.stdout.split('\n')
    const from = printed.findIndex((l) => l.startsWith('  and for each key rotation of a sender'))
    expect(from).toBeGreaterThan(0)
    const commands = printed.slice(from + 2, from + 6).map((l) => l.trim())
    expect(commands[3]).toMatch(/^openssl pkeyutl -verify/)
    expect(spawnSync('sh', ['-c', commands.join('\n')], {encoding: 'utf8'}).stdout).toContain('Signature Verified Successfully')
    const unproven = await forgeRecord('court-no-rotation', next, (folder, stated) => {
      rmSync(join(folder, 'rotations.jsonl'))
      delete stated.files.rotations
    })
    expect(unproven.verify).toMatch(/the record holds no checkpoint of the key it replaces .* over it: nothing shows the sender made that rotation/)
    expect(unproven.script).toMatch(/rotations.jsonl holds no checkpoint of the key it replaces/)
    const resigned = await forgeRecord(
      'court-rotation-resigned',
      next,
      (folder, stated) => {
        const line = JSON.parse(rotations) as {body: string; signature: string}
        const signature = readFileSync(join(folder, 'checkpoint.json.sig')).toString('hex')
        writeFileSync(join(folder, 'rotations.jsonl'), `${canonicalize({...line, signature})}\n`)
        stated.files.rotations!.sha256 = sha('sha256', readFileSync(join(folder, 'rotations.jsonl')))
      },
      false,
    )
    expect(resigned.verify).toMatch(/rotations\.jsonl line 1/)
    // verify-bag.py cannot check Ed25519: the openssl commands it prints fail.
    expect(resigned.script).toMatch(/^custodians OK/m)
    const shown = resigned.script.split('\n')
    const at2 = shown.findIndex((l) => l.startsWith('  and for each key rotation of a sender'))
    const check = spawnSync('sh', ['-c', shown.slice(at2 + 2, at2 + 6).map((l) => l.trim()).join('\n')], {encoding: 'utf8'})
    expect(check.stdout + check.stderr).toMatch(/Signature Verification Failure/)
    // A forger gives the sender's ingest of EX-000001 another file's digest, the envelope's
    // commitment made to match, seal.json's SHA-256 of the file and the manifests made again.
    const forged = at('court-forged')
    cpSync(bag, forged, {recursive: true})
    const events = join(forged, 'data', 'custodians', sender, first.transferId, 'events.jsonl')
    const before = sha('sha256', readFileSync(events))
    const edited = rows.map((l) => {
      if (l !== lines[2]) return canonicalize(l as never)
      const event = {...l.event!, payload: {...l.event!.payload, digests: {...l.event!.payload.digests, sha256: sha('sha256', Buffer.from('another file'))}}}
      const envelope = {...l.envelope, bodyCommitment: sha('sha256', Buffer.concat([Buffer.from(l.salt!, 'hex'), Buffer.from(canonicalize(event as never))]))}
      return canonicalize({...l, event, envelope} as never)
    })
    writeFileSync(events, `${edited.join('\n')}\n`)
    const statement = join(forged, 'data', 'custody', 'seal.json')
    writeFileSync(statement, readFileSync(statement, 'utf8').replace(before, sha('sha256', readFileSync(events))))
    rewriteManifests(forged)
    const refused = await custodyJson<{ok: boolean; checks: Array<{name: string; status: string}>}>(['verify', forged, '--json'])
    expect(refused.code).toBe(3)
    expect(refused.json.checks.find((c) => c.name === 'custodians')?.status).toBe('failed')
    const scriptRefused = spawnSync('python3', ['verify-bag.py'], {cwd: forged, encoding: 'utf8'})
    expect(scriptRefused.status).not.toBe(0)
    expect(scriptRefused.stdout).toMatch(/^custodians FAILED/m)
    // Another genuine field statement of the same sender, signed by its key, in the record of the
    // first package (the SHA-256s restated, the manifests made again): it names another transfer.
    const other = readdirSync(join(bag, 'data', 'custodians', sender)).find((t) => t !== first.transferId)!
    const swapped = at('court-swapped')
    cpSync(bag, swapped, {recursive: true})
    const into = join(swapped, 'data', 'custodians', sender, first.transferId)
    let text = readFileSync(join(swapped, 'data', 'custody', 'seal.json'), 'utf8')
    for (const name of ['transfer.json', 'transfer.json.sig']) {
      const was = sha('sha256', readFileSync(join(into, name)))
      cpSync(join(swapped, 'data', 'custodians', sender, other, name), join(into, name))
      text = text.replace(was, sha('sha256', readFileSync(join(into, name))))
    }

    writeFileSync(join(swapped, 'data', 'custody', 'seal.json'), text)
    rewriteManifests(swapped)
    const swappedVerify = await custody(['verify', swapped])
    expect(swappedVerify.code).toBe(3)
    expect(swappedVerify.stdout).toMatch(/transfer\.json: names another transfer than the seal statement/)
    expect(spawnSync('python3', ['verify-bag.py'], {cwd: swapped, encoding: 'utf8'}).stdout).toMatch(/^custodians FAILED/m)
  })

  it('killed as the received exhibits are stored: HQ verifies, and a run again numbers each once', async () => {
    await ingestSamples(field, 'FLIR.jpg')
    const pkg = await fieldExport(field, 'p4.zip.age')
    const before = await eventCount(hq)
    // link(2) stores the first metadata record, its original staged beside it (not traced under --seccomp-bpf).
    const args = ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=link', '-e', 'inject=link:signal=SIGKILL', process.execPath, BIN, 'transfer', 'accept', pkg, '--from', at('field.line'), '--case', hq]
    const strace = spawn('strace', args, {stdio: 'ignore', env: caseEnv(hq)})
    expect(await new Promise((resolve) => strace.on('close', (code, signal) => resolve(signal ?? code)))).toBe('SIGKILL')
    expect(await eventCount(hq)).toBe(before)
    expect((await custody(['verify', '--case', hq])).code).toBe(0)
    const again = await accept(pkg, at('field.line'))
    expect(again.items.map((i) => i.receivedAs)).toEqual(['HQ-000004'])
    const after = await custody(['verify', '--case', hq])
    expect(after.code, after.stdout).toBe(0)
    expect(after.stdout).not.toMatch(/temp file/)
  })

  it('refuses a new transfer whose objects were swapped with a receipt naming them (openssl checks it), recorded once; the field side records it with no key and sends them again', async () => {
    const third = at('third')
    await initCase(third, 'Crimea (third team)', 'Oksana', '--field', '--recipient', hqRecipient)
    await writeIdentityLine(third, at('third.line'))
    await ingestSamples(third, 'Canon.jpg', 'Olympus2.jpg')
    const pkg = await fieldExport(third, 'third-1.zip.age')
    execFileSync(AGE!, ['-d', '-i', hqKey, '-o', at('third-1.zip'), pkg])
    const pristine = at('third-pristine')
    mkdirSync(pristine)
    execFileSync('unzip', ['-q', at('third-1.zip'), '-d', pristine])
    const bench = {age: AGE!, pristine, bag: readdirSync(pristine)[0]!, recipient: hqRecipient}
    // The two originals' age files swapped under each other's names (each item's first object, as transfer.json lists them).
    const swapped = forgePackage(bench, at('third-swap'), (dir) => {
      const statement = JSON.parse(readFileSync(join(dir, 'data', 'custody', 'transfer.json'), 'utf8')) as {items: Array<{objects: Array<{vault: string}>}>}
      const [a, b] = statement.items.map((i) => join(dir, 'data', i.objects[0]!.vault.slice('vault/'.length)))
      const [x, y] = [readFileSync(a!), readFileSync(b!)]
      writeFileSync(a!, y)
      writeFileSync(b!, x)
    })
    const vault = vaultFiles()
    const events = await eventCount(hq)
    const refused = await custody(['transfer', 'accept', swapped, '--from', at('third.line'), '--case', hq])
    expect(refused.code, refused.stderr).toBe(3)
    expect(refused.stderr).toMatch(/does not verify as a transfer package; nothing was accepted\. A receipt refusing it, naming the items that failed \(EX-000001, EX-000002\), was signed for the sender/)
    expect(await eventCount(hq)).toBe(events + 1)
    expect(vaultFiles()).toEqual(vault)
    const receiptFile = `${swapped}.receipt`
    expect(openssl(join(work.path, 'hq.pem'), receiptFile, `${receiptFile}.sig`)).toBe(0)
    const receipt = JSON.parse(readFileSync(receiptFile, 'utf8')) as {condition: {failed: Array<{exhibit: string; problem: string}>}; items: Array<{exhibit: string; sha256: string; receivedAs: null}>}
    expect(receipt.condition.failed.map((f) => f.exhibit)).toEqual(['EX-000001', 'EX-000002'])
    expect(receipt.condition.failed[0]!.problem).toMatch(/decrypted, is not what its ingest event records/)
    // The digests HQ read from the sender's ingest events: the originals'.
    expect(receipt.items.map((i) => [i.exhibit, i.sha256, i.receivedAs])).toEqual([
      ['EX-000001', sha('sha256', readFileSync(join(SAMPLES, 'Canon.jpg'))), null],
      ['EX-000002', sha('sha256', readFileSync(join(SAMPLES, 'Olympus2.jpg'))), null],
    ])
    const logged = await custody(['log', '--case', hq])
    expect(logged.stdout).toMatch(/transfer-refused .*package from Oksana, .*\(its field package, \d+ events\) refused/)
    // The same package, or the genuine one of that transfer, again: the same receipt, nothing recorded.
    const again = await custody(['transfer', 'accept', pkg, '--from', at('third.line'), '--case', hq])
    expect(again.code).toBe(3)
    expect(again.stderr).toMatch(/is of TRANSFER-[0-9a-f]{16}, which this case refused before/)
    expect(await eventCount(hq)).toBe(events + 1)
    // The field side records the refusal with no key: nothing acknowledged; its next package carries both again.
    const recorded = await custody(['transfer', 'receipt', receiptFile, '--case', third])
    expect(recorded.code, recorded.stderr).toBe(0)
    const next = await accept(await fieldExport(third, 'third-2.zip.age'), at('third.line'))
    expect(next.items.map((i) => i.exhibit)).toEqual(['EX-000001', 'EX-000002'])
  })
})
