/**
 * Every command's --json document validates against its JSON Schema in docs/json/ (README, "Output
 * for scripts"): each command is run for real on a small case, in every form its document takes
 * (a batch and files one by one, a dry run, a case and an archive verified, a seal and a seal
 * finished), and what it printed must validate. The schemas close every object custody makes
 * (additionalProperties false): a field that appears undocumented fails here.
 */
import {spawn, spawnSync} from 'node:child_process'
import {copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generateIdentity} from '../../src/age/x25519.js'
import {custodianLine, parseCustodian} from '../../src/transfers/custodian.js'
import {LocalTsa} from '../../src/timestamps/local-tsa.js'
import {BIN, caseEnv, custody, custodyJson, newCase, PASSPHRASE, ROOT, SAMPLES, tempDir} from '../helpers/cli.js'
import {schemaErrors, schemaFiles} from '../helpers/json-schemas.js'

/** The schemas that are no command's document, but forms the others refer to. */
const SHARED = ['common.schema.json', 'error.schema.json', 'event.schema.json', 'seal-statement.schema.json']

const work = tempDir('custody-schemas-')
let tsa: LocalTsa
let kase: {dir: string; remove: () => void}
/** Cases made on the way, removed at the end. */
const others: Array<{remove: () => void}> = []
/** The schemas a successful document of their command was checked against. */
const checked = new Set<string>()

/** custody's command IDs (`testimony:add`), from the manifest made at build. */
function commandIds(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
  return Object.keys(manifest.commands).sort()
}

const schemaOf = (id: string): string => `${id.replaceAll(':', '-')}.schema.json`

/**
 * Runs `args` with --json, expects exit `code`, and checks the document against the schema of
 * the command (the first words of args that name one).
 */
async function valid<T = Record<string, unknown>>(args: string[], code = 0, schema = schemaOf(commandIds().find((id) => args.join(':').startsWith(id)) ?? args[0]!)): Promise<T> {
  const result = await custodyJson<T>(args)
  expect(result.code, `${args.join(' ')}: ${result.stdout.slice(0, 2000)}\n${result.stderr}`).toBe(code)
  expect(schemaErrors(schema, result.json), `${args.join(' ')} against ${schema}`).toEqual([])
  expect((result.json as {version?: unknown}).version, args.join(' ')).toBe(1)
  if (!('error' in (result.json as object))) checked.add(schema)
  return result.json
}

beforeAll(async () => {
  tsa = await (await LocalTsa.create()).start()
  kase = await newCase()
})

afterAll(async () => {
  await tsa[Symbol.asyncDispose]()
  kase.remove()
  for (const other of others) other.remove()
  work.remove()
})

describe('the JSON Schemas of docs/json/', () => {
  it('are one for each command, and the shared forms', () => {
    expect(schemaFiles()).toEqual([...SHARED, ...commandIds().map(schemaOf)].sort())
  })

  // Some forty commands one after the other: longer than one test's default on a loaded machine.
  it('hold for the document of every command, in each of its forms', async () => {
    await valid(['init', join(work.path, 'another case'), '--title', 'Another case', '--investigator', 'A. Investigator', '--organisation', 'Test NGO'])
    const c = ['--case', kase.dir]
    const card = join(work.path, 'card')
    mkdirSync(card)
    for (const name of ['Canon.jpg', 'GPS.jpg']) copyFileSync(join(SAMPLES, name), join(card, name))
    // A system file and a trash that holds a file, left out of the walk and listed in systemFiles.
    writeFileSync(join(card, '.DS_Store'), 'x')
    mkdirSync(join(card, '.Trashes'))
    writeFileSync(join(card, '.Trashes', 'deleted.jpg'), 'x')
    writeFileSync(join(card, 'notes.txt'), 'first notes\n')
    // A folder is a batch; files named one by one are not; a dry run says what would happen.
    const walked = await valid<{batch: unknown; systemFiles: {count: number}}>(['ingest', card, '--recursive', ...c])
    expect(walked.batch).not.toBeNull()
    expect(walked.systemFiles.count).toBe(2)
    // The same folder again, a file changed at its path: a new exhibit that names the one it held (changedFrom).
    writeFileSync(join(card, 'notes.txt'), 'second notes\n')
    await valid(['ingest', card, '--recursive', '--dry-run', ...c])
    const again = await valid<{results: Array<{changedFrom?: unknown}>}>(['ingest', card, '--recursive', ...c])
    expect(again.results.some((r) => typeof r.changedFrom === 'string')).toBe(true)
    await valid(['ingest', join(SAMPLES, 'PNG.png'), join(work.path, 'missing.jpg'), ...c], 1)
    await valid(['ingest', join(SAMPLES, 'Nikon.jpg'), '--dry-run', ...c])
    await valid(['config', 'set', 'tsa', tsa.url, ...c])
    await valid(['config', 'set', 'tsa-ca', tsa.caFile, ...c])
    await valid(['config', 'get', ...c])
    // No TSA answers (waiting, exit 1), one does (stamped), nothing new since (up-to-date).
    expect((await valid<{status: string}>(['timestamp', '--tsa', 'http://127.0.0.1:9/tsa', '--timeout', '1', ...c], 1)).status).toBe('waiting')
    expect((await valid<{status: string}>(['timestamp', ...c])).status).toBe('stamped')
    expect((await valid<{status: string}>(['timestamp', ...c])).status).toBe('up-to-date')

    const statement = join(work.path, 'statement.txt')
    writeFileSync(statement, 'I saw the detention from the window.\n')
    const corrected = join(work.path, 'corrected.txt')
    writeFileSync(corrected, 'I saw the detention from the kitchen window.\n')
    await valid([
      ...['testimony', 'add', '--witness', 'W-001', '--interviewed-at', '2024-03-05T10:00+02:00', '--place', 'Kyiv', '--interviewer', 'A. Investigator'],
      ...['--consent', 'court', '--consent-method', 'signed-form', '--statement-file', statement, '--attach', join(SAMPLES, 'PDF.pdf'), '--witness-name', 'Jane Roe', ...c],
    ])
    await valid(['testimony', 'amend', 'W-001', '--statement-file', corrected, '--reason', 'the room corrected', ...c])
    await valid(['testimony', 'consent', 'W-001', '--grant', 'advocacy', '--method', 'recorded-orally', ...c])
    await valid(['testimony', 'identity', 'W-001', '--reason', 'protective measures', '--disclose', join(work.path, 'identity.json'), ...c])
    await valid(['testimony', 'list', ...c])
    await valid(['list', ...c])
    await valid(['list', '--type', 'image', ...c])
    await valid(['show', 'W-001', '--statement', ...c])
    await valid(['show', 'W-001', '--statement', '--version', '1', ...c])
    await valid(['show', 'EX-000001', ...c])
    await valid(['show', 'W-001', ...c])
    await valid(['status', ...c])
    await valid(['key', 'show', ...c])
    await valid(['key', 'show', '--public', ...c])
    await valid(['key', 'export', '--out', join(work.path, 'key.pem'), ...c])
    const checkpoint = join(work.path, 'checkpoint.json')
    await valid(['checkpoint', 'export', '--out', checkpoint, ...c])

    const archive = join(work.path, 'sealed.zip')
    await valid(['seal', '--out', archive, '--purpose', 'court', '--note', 'for the schemas', ...c])
    const sealJson = spawnSync('unzip', ['-p', archive, '*/data/custody/seal.json'], {encoding: 'utf8'}).stdout
    expect(schemaErrors('seal-statement.schema.json', JSON.parse(sealJson)), 'seal.json in the archive').toEqual([])
    await valid(['verify', '--against', checkpoint, ...c])
    await valid(['verify', archive, '--tsa-ca', tsa.caFile])
    // The archive unzipped: its bag folder is verified the same way ("source": "folder").
    const unzipped = join(work.path, 'unzipped')
    expect(spawnSync('unzip', ['-q', archive, '-d', unzipped]).status).toBe(0)
    expect((await valid<{source: string}>(['verify', unzipped, '--tsa-ca', tsa.caFile])).source).toBe('folder')
    // The court report of the archive, and of its bag folder (no archive SHA-256).
    expect((await valid<{verdict: string}>(['report', archive, '--out', join(work.path, 'report.html'), '--tsa-ca', tsa.caFile])).verdict).toBe('verified')
    expect((await valid<{archiveSha256: unknown}>(['report', unzipped, '--out', join(work.path, 'folder-report.html'), '--thumbnails', 'none', '--lang', 'ru'])).archiveSha256).toBeNull()
    // The CASE/UCO export of the archive.
    expect((await valid<{exhibits: number}>(['export', 'case-uco', archive, '--out', join(work.path, 'archive.jsonld'), '--tsa-ca', tsa.caFile])).exhibits).toBeGreaterThan(0)
    expect((await valid<{attachments: string[]}>(['report', archive, '--out', join(work.path, 'report.pdf'), '--tsa-ca', tsa.caFile])).attachments).toEqual(['verification.json', 'case-uco.jsonld'])
    await valid(['seal', '--finish', await unpublishedSeal(join(work.path, 'killed.zip')), ...c])
    // A transfer package to another custodian (whose age identity this test holds), verified; then nothing new for it.
    const receiver = generateIdentity()
    const receiverKey = join(work.path, 'receiver-key.txt')
    writeFileSync(receiverKey, `${receiver.identity}\n`)
    const other = parseCustodian((await custody(['key', 'show', '--public', '--case', join(work.path, 'another case')])).stdout)
    const to = ['--to', custodianLine({...other, age: receiver.recipient})]
    const transfer = join(work.path, 'transfer.zip.age')
    expect((await valid<{items: unknown[]}>(['transfer', 'export', ...to, '--out', transfer, '--purpose', 'for the schemas', ...c])).items.length).toBeGreaterThan(0)
    expect((await valid<{nothingNew?: boolean}>(['transfer', 'export', ...to, '--out', join(work.path, 'nothing.zip.age'), ...c])).nothingNew).toBe(true)
    expect((await valid<{transfer: unknown}>(['verify', transfer, '--identity', receiverKey])).transfer).not.toBeNull()
    // What was released is in sealed events: status lists it with the passphrase (with none, as above, null).
    const passphraseFile = join(work.path, 'status-passphrase.txt')
    writeFileSync(passphraseFile, `${PASSPHRASE}\n`, {mode: 0o600})
    expect((await valid<{released: unknown[]}>(['status', ...c, '--passphrase-file', passphraseFile])).released).toHaveLength(1)
    // With no key, the transfer as its envelope says it: released, no receipt yet.
    expect((await valid<{releasedInClear: Array<{receipt: unknown}>}>(['status', ...c])).releasedInClear).toEqual([expect.objectContaining({receipt: null})])
    // The same custodian's own line (its case identity opens it): a package sent again, accepted
    // there (and again: nothing changed), and its receipt recorded here.
    const hqCase = ['--case', join(work.path, 'another case')]
    const resent = join(work.path, 'resent.zip.age')
    expect((await custody(['transfer', 'export', '--to', (await custody(['key', 'show', '--public', ...hqCase])).stdout, '--out', resent, '--again', ...c])).code).toBe(0)
    const sender = ['--from', (await custody(['key', 'show', '--public', ...c])).stdout]
    const received = await valid<{accepted: boolean; items: Array<{receivedAs?: string}>}>(['transfer', 'accept', resent, ...sender, ...hqCase])
    expect(received.accepted).toBe(true)
    // A received exhibit, shown: the sender's IDs beside this case's.
    await valid(['show', received.items[0]!.receivedAs!, ...hqCase])
    await valid(['log', received.items[0]!.receivedAs!, '--custodians', ...hqCase])
    expect((await valid<{accepted: boolean}>(['transfer', 'accept', resent, ...sender, ...hqCase])).accepted).toBe(false)
    // The other case's trust list: the sender put on it (then again: nothing recorded), shown, taken off.
    const senderLine = sender[1]!
    expect((await valid<{change: string}>(['transfer', 'trust', senderLine, ...hqCase])).change).toBe('trusted')
    expect((await valid<{recorded: boolean}>(['transfer', 'trust', senderLine, ...hqCase])).recorded).toBe(false)
    expect((await valid<{senders: unknown[]}>(['transfer', 'trust', '--list', ...hqCase])).senders).toHaveLength(1)
    expect((await valid<{change: string}>(['transfer', 'trust', '--revoke', senderLine, ...hqCase])).change).toBe('revoked')
    expect((await valid<{recorded: boolean}>(['transfer', 'receipt', `${resent}.receipt`, ...c])).recorded).toBe(true)
    // What that receipt acknowledges, purged: nothing from a case with no receipt, a dry run, then the purge.
    const acknowledgedBy = ['--acknowledged-by', (await custody(['key', 'show', '--public', ...hqCase])).stdout]
    expect((await valid<{nothingAcknowledged: boolean}>(['transfer', 'purge', ...acknowledgedBy, '--yes', ...hqCase])).nothingAcknowledged).toBe(true)
    expect((await valid<{dryRun: boolean}>(['transfer', 'purge', ...acknowledgedBy, '--dry-run', ...c])).dryRun).toBe(true)
    expect((await valid<{purged: unknown[]}>(['transfer', 'purge', ...acknowledgedBy, '--yes', ...c])).purged.length).toBeGreaterThan(0)
    await valid(['key', 'rotate', '--reason', 'the laptop was replaced', ...c])
    // A package signed with the rotated key, accepted there by the line from before: the rotation followed.
    writeFileSync(join(work.path, 'after-rotation.txt'), 'taken in after the key was rotated\n')
    expect((await custody(['ingest', join(work.path, 'after-rotation.txt'), ...c])).code).toBe(0)
    const rotatedPackage = join(work.path, 'rotated.zip.age')
    expect((await custody(['transfer', 'export', '--to', (await custody(['key', 'show', '--public', ...hqCase])).stdout, '--out', rotatedPackage, ...c])).code).toBe(0)
    expect((await valid<{rotation?: {events: number[]}}>(['transfer', 'accept', rotatedPackage, ...sender, ...hqCase])).rotation?.events).toHaveLength(1)
    // That case seals what it received (two hand-overs, across the sender's key rotation): verify names both custodians of each.
    const received2 = join(work.path, 'received.zip')
    expect((await custody(['seal', '--out', received2, ...hqCase])).code).toBe(0)
    expect((await valid<{custodians: unknown[]}>(['verify', received2])).custodians).toHaveLength(2)
    // An HQ recipient added, then added again (nothing recorded): both forms of the document.
    const hq = generateIdentity().recipient
    expect((await valid<{added: unknown[]}>(['key', 'add-recipient', hq, '--label', 'HQ', ...c])).added).toHaveLength(1)
    expect((await valid<{already: string[]}>(['key', 'add-recipient', hq, ...c])).already).toEqual([hq])
    // A case in clear encrypted, then encrypted again (nothing left to do): both forms of the document.
    const clear = await newCase(undefined, {plaintext: true})
    others.push(clear)
    expect((await valid<{status: string}>(['encrypt', '--recipient', hq, '--case', clear.dir])).status).toBe('encrypted')
    expect((await valid<{status: string}>(['encrypt', '--case', clear.dir])).status).toBe('already')
    await valid(['log', ...c])
    await valid(['log', '--action', 'seal', '--limit', '1', ...c])
    await valid(['version'])
    await valid(['accept-restore', '--reason', 'restored from the backup', ...(await restoredOlderCopy())])
    // Last: no passphrase opens the case afterwards.
    await valid(['key', 'destroy', '--yes', '--reason', 'the schemas are checked', ...c])

    expect([...checked].sort()).toEqual(commandIds().map(schemaOf).sort())
  }, 300_000)

  it('hold for the report of a local case, whole and of one exhibit', async () => {
    const own = await newCase()
    try {
      expect((await custody(['ingest', join(SAMPLES, 'GPS.jpg'), '--case', own.dir])).code).toBe(0)
      expect((await valid<{selection: unknown}>(['report', '--out', join(work.path, 'case-report.html'), '--case', own.dir])).selection).toBeNull()
      expect((await valid<{selection: unknown}>(['report', '1', '--out', join(work.path, 'case-report.pdf'), '--case', own.dir])).selection).toEqual(['EX-000001'])
    } finally {
      own.remove()
    }
  })
})

/**
 * A seal killed once recorded, before its archive was put at `out` (strace kills it as it enters
 * link(2), as tests/e2e/seal-crash.test.ts does): its ID, for `seal --finish`.
 */
async function unpublishedSeal(out: string): Promise<string> {
  const trace = ['-f', '-qq', '-o', '/dev/null', '--seccomp-bpf', '-e', 'trace=link,linkat', '-e', 'inject=link,linkat:signal=SIGKILL']
  const strace = spawn('strace', [...trace, process.execPath, BIN, 'seal', '--out', out, '--purpose', 'court', '--case', kase.dir], {stdio: 'ignore', env: caseEnv(kase.dir)})
  await new Promise((resolve) => strace.on('close', resolve))
  expect(existsSync(out)).toBe(false)
  // Its seal event is in a sealed body: status sorts the note out with the passphrase.
  const passphraseFile = join(work.path, 'unpublished-passphrase.txt')
  writeFileSync(passphraseFile, `${PASSPHRASE}\n`, {mode: 0o600})
  const status = await custodyJson<{seals: {unpublished: Array<{sealId: string}>}}>(['status', '--case', kase.dir, '--passphrase-file', passphraseFile])
  return status.json.seals.unpublished[0]!.sealId
}

/** A copy of the case (and of custody's record of it) put back after more work: the arguments of accept-restore on it. */
async function restoredOlderCopy(): Promise<string[]> {
  const older = await newCase()
  others.push(older)
  const backup = join(work.path, 'backup')
  cpSync(join(older.dir, '.custody'), backup, {recursive: true})
  await valid(['ingest', join(SAMPLES, 'Sony.jpg'), '--case', older.dir])
  rmSync(join(older.dir, '.custody'), {recursive: true})
  cpSync(backup, join(older.dir, '.custody'), {recursive: true})
  return ['--case', older.dir]
}
