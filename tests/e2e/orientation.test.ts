/**
 * Finding one's way in a case (issue 18), through the built CLI: `custody list`, the statement of a
 * testimony printed by `custody show W-014 --statement`, and the `Next:` hints that end the text of
 * ingest, testimony add and seal (never their --json).
 */
import {spawnSync} from 'node:child_process'
import {chmodSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {ListedExhibit as Listed} from '../../src/exhibits/list.js'
import {BIN, custody, custodyJson, newCase, SAMPLES, tempDir, vaultObject} from '../helpers/cli.js'

const work = tempDir('custody-orientation-')
let kase: {dir: string; remove: () => void}
const FIRST = 'On 3 March I saw soldiers detain my neighbour at the checkpoint near the school.\n'
const SECOND = 'On 3 March, at about noon, I saw soldiers detain my neighbour at the checkpoint near the school.\n'

function file(name: string, text: string): string {
  const path = join(work.path, name)
  writeFileSync(path, text)
  return path
}

/** `testimony add` with every answer given as a flag (no prompt), and `extra` (the consent, attachments). */
function testimonyFlags(witness: string, statement: string, extra: string[] = []): string[] {
  const interview = ['--interviewed-at', '2024-03-05T10:00+02:00', '--ended-at', '', '--place', 'Kyiv, safe location', '--interviewer', 'A. Investigator', '--present', '', '--interpreter', '']
  const consent = ['--no-vulnerable', '--consent-method', 'signed-form', '--consent-at', '2024-03-05T10:00+02:00']
  return ['testimony', 'add', '--witness', witness, ...interview, '--language', 'uk', ...consent, '--statement-file', statement, ...extra, '--case', kase.dir]
}

beforeAll(async () => {
  kase = await newCase()
})

afterAll(() => {
  kase.remove()
  work.remove()
})

describe('the Next: hints', () => {
  it('end the text of an ingest, state-aware, and never its --json', async () => {
    const empty = await custody(['list', '--case', kase.dir])
    expect(empty.code).toBe(0)
    expect(empty.stdout).toBe('No exhibits yet: `custody ingest FILE...` takes files in.\n')

    const dry = await custody(['ingest', join(SAMPLES, 'Sony.jpg'), '--dry-run', '--case', kase.dir])
    expect(dry.stdout).toContain('Next: the same command without --dry-run   ingests the 1 new file')

    const ingested = await custody(['ingest', join(SAMPLES, 'Sony.jpg'), join(SAMPLES, 'PNG.png'), '--collected-by', 'A. Petrenko', '--case', kase.dir])
    expect(ingested.code, ingested.stderr).toBe(0)
    expect(ingested.stdout).toMatch(/\n\nNext: custody show EX-000001 +what was recorded of it/)
    expect(ingested.stdout).toMatch(/\n {6}custody seal --out FILE\.zip --purpose court +seal the exhibits/)
    // No TSA is set: no timestamp to suggest.
    expect(ingested.stdout).not.toContain('custody timestamp')
    expect(ingested.stderr).toBe('')

    // With a TSA set, the events no token covers are counted.
    expect((await custody(['config', 'set', 'tsa', 'http://127.0.0.1:9/tsr', '--case', kase.dir])).code).toBe(0)
    const again = await custody(['ingest', join(SAMPLES, 'Canon.jpg'), '--case', kase.dir])
    expect(again.stdout).toMatch(/ {6}custody timestamp +trusted time for the \d+ events no token covers yet/)
    expect(again.stdout).toContain('Next: custody show EX-000003')

    const json = await custodyJson<{counts: {ingested: number}}>(['ingest', join(SAMPLES, 'Nikon.jpg'), '--case', kase.dir])
    expect(json.json.counts.ingested).toBe(1)
    expect(json.stdout).not.toContain('Next:')
  })

  it('end the text of testimony add: read it back, and seal it for what the witness consented to', async () => {
    const statement = file('w014.txt', FIRST)
    const taken = await custody(testimonyFlags('W-014', statement, ['--consent', 'court', '--attach', join(SAMPLES, 'PNG.png')]))
    expect(taken.code, taken.stderr).toBe(0)
    expect(taken.stdout).toMatch(/\nNext: custody show W-014 +the testimony/)
    expect(taken.stdout).toContain('custody show W-014 --statement ')
    expect(taken.stdout).toMatch(/custody seal W-014 --out FILE\.zip --purpose court +seal it for a court, as the witness consented/)

    const none = await custody(testimonyFlags('W-015', file('w015.txt', 'Another statement.\n'), ['--consent', 'none']))
    expect(none.code, none.stderr).toBe(0)
    expect(none.stdout).toContain('custody testimony consent W-015 --grant SCOPE')
    expect(none.stdout).not.toContain('custody seal W-015')
  })

  it('end the text of a seal: verify it, and hand it over with the fingerprint, which the verify it names checks', async () => {
    const out = join(work.path, 'for court.zip')
    const sealed = await custody(['seal', '--out', out, '--purpose', 'court', '--allow-left-out', '--case', kase.dir])
    expect(sealed.code, sealed.stderr).toBe(0)
    expect(sealed.stdout).toContain(`Next: custody verify '${out}'`)
    const fingerprint = /fingerprint of the key that signed it, sent another way \(in person, by phone\): (SHA256:[0-9a-f]{64})/.exec(sealed.stdout)?.[1]
    expect(fingerprint).toBe((await custodyJson<{fingerprint: string}>(['key', 'show', '--case', kase.dir])).json.fingerprint)
    expect(sealed.stdout).toContain(`The recipient checks it with \`custody verify 'for court.zip' --key ${fingerprint}\``)
    const verified = await custody(['verify', out, '--key', fingerprint!])
    expect(verified.code, verified.stdout).toBe(0)
  })
})

describe('custody list', () => {
  it('lists every exhibit with its name, type, capture time and collector, marking those of testimony', async () => {
    const list = await custody(['list', '--case', kase.dir])
    expect(list.code, list.stderr).toBe(0)
    const lines = list.stdout.split('\n')
    expect(lines[0]).toMatch(/^ID +NAME +TYPE +CAPTURED +COLLECTED BY$/)
    expect(lines[1]).toMatch(/^EX-000001 +Sony\.jpg +image\/jpeg +2003-12-18T13:51:33 +A\. Petrenko$/)
    expect(lines[2]).toMatch(/^EX-000002 +PNG\.png +image\/png +- +A\. Petrenko {2}\[testimony W-014 attachment\]$/)
    expect(list.stdout).toMatch(/\nEX-000005 +W-014-statement-v1\.txt +text\/plain .*\[testimony W-014 statement v1\]\n/)
    expect(list.stdout).toContain('\n6 exhibits, 3 of them part of a testimony.')

    const json = await custodyJson<{type: string | null; exhibits: Listed[]}>(['list', '--case', kase.dir])
    expect(json.json.exhibits.map((x) => x.exhibit)).toEqual(['EX-000001', 'EX-000002', 'EX-000003', 'EX-000004', 'EX-000005', 'EX-000006'])
    expect(json.json.exhibits[0]).toEqual({exhibit: 'EX-000001', name: 'Sony.jpg', type: 'image/jpeg', captured: '2003-12-18T13:51:33', capturedUtc: null, collectedBy: 'A. Petrenko', purged: false, testimonies: []})
    expect(json.json.exhibits[4]!.testimonies).toEqual([{witness: 'W-014', role: 'statement', version: 1}])
  })

  it('takes a MIME type or a top-level type, and refuses what is neither', async () => {
    const images = await custodyJson<{type: string; exhibits: Listed[]}>(['list', '--type', 'image', '--case', kase.dir])
    expect(images.json.type).toBe('image')
    expect(images.json.exhibits.map((x) => x.exhibit)).toEqual(['EX-000001', 'EX-000002', 'EX-000003', 'EX-000004'])
    const png = await custody(['list', '--type', 'image/PNG', '--case', kase.dir])
    expect(png.stdout).toContain('EX-000002')
    expect(png.stdout).toContain('1 exhibit of type image/PNG, 1 of them part of a testimony.')
    expect((await custody(['list', '--type', 'video', '--case', kase.dir])).stdout).toBe('No exhibits of type video.\n')
    const bad = await custody(['list', '--type', 'not a type', '--case', kase.dir])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--type must be a MIME type')
  })
})

describe('custody show --statement', () => {
  it('prints the current version as recorded, or --version N, byte for byte, and as JSON', async () => {
    const amended = await custody(['testimony', 'amend', 'W-014', '--statement-file', file('w014-v2.txt', SECOND), '--reason', 'the witness added the time', '--case', kase.dir])
    expect(amended.code, amended.stderr).toBe(0)
    const current = await custody(['show', 'W-014', '--statement', '--case', kase.dir])
    expect(current.code, current.stderr).toBe(0)
    expect(current.stdout).toBe(SECOND)
    expect((await custody(['show', 'W-014', '--statement', '--version', '1', '--case', kase.dir])).stdout).toBe(FIRST)
    // The ID of the testimony (its first statement) stands for the testimony; that of a later version, for that version.
    expect((await custody(['show', 'EX-000005', '--statement', '--case', kase.dir])).stdout).toBe(SECOND)
    expect((await custody(['show', 'EX-000007', '--statement', '--version', '1', '--case', kase.dir])).stdout).toBe(FIRST)
    const json = await custodyJson(['show', 'W-014', '--statement', '--case', kase.dir])
    expect(json.json).toMatchObject({version: 1, statement: {witness: 'W-014', version: 2, versions: 2, exhibit: 'EX-000007', mimeType: 'text/plain', text: SECOND}})
  })

  it('refuses an exhibit that is not a statement, and a version there is not, saying why', async () => {
    const photo = await custody(['show', 'EX-000001', '--statement', '--case', kase.dir])
    expect(photo.code).toBe(2)
    expect(photo.stdout).toBe('')
    expect(photo.stderr).toBe('Error: EX-000001 is not a testimony, so it has no statement to print; `custody show EX-000001` describes it, and `custody testimony list` lists the testimonies\n')
    const attachment = await custodyJson<{error: {code: string; message: string}}>(['show', 'EX-000002', '--statement', '--case', kase.dir])
    expect(attachment.code).toBe(2)
    expect(attachment.json.error.message).toBe('EX-000002 is an attachment of the testimony of W-014, not its statement; `custody show W-014 --statement` prints the statement')
    const version = await custody(['show', 'W-014', '--statement', '--version', '3', '--case', kase.dir])
    expect(version.code).toBe(2)
    expect(version.stderr).toBe('Error: --version must be 1 or 2: the statement of W-014 has 2 versions, got 3\n')
    const alone = await custody(['show', 'W-014', '--version', '1', '--case', kase.dir])
    expect(alone.code).toBe(2)
    expect(alone.stderr).toContain('--statement')
  })

  it('stops quietly when its reader does (`| head`): exit 0, no error', async () => {
    const long = file('w014-v3.txt', 'The soldiers came back every night.\n'.repeat(100_000))
    expect((await custody(['testimony', 'amend', 'W-014', '--statement-file', long, '--reason', 'the witness went on', '--case', kase.dir])).code).toBe(0)
    const piped = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${BIN}" show W-014 --statement --case "${kase.dir}" | head -n 2`], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
    expect(piped.stdout).toBe('The soldiers came back every night.\n'.repeat(2))
    expect(piped.stderr).toBe('')
    expect(piped.status).toBe(0)
  })

  it('prints nothing of a statement that is no longer what the ledger recorded (exit 3)', async () => {
    const {json} = await custodyJson<{statement: {sha256: string}}>(['show', 'W-015', '--statement', '--case', kase.dir])
    const stored = vaultObject(kase.dir, json.statement.sha256)
    chmodSync(stored, 0o600)
    writeFileSync(stored, 'Another statement, rewritten.\n')
    const tampered = await custody(['show', 'W-015', '--statement', '--case', kase.dir])
    expect(tampered.code).toBe(3)
    expect(tampered.stdout).toBe('')
    expect(tampered.stderr).toContain('version 1 of the statement of W-015 (EX-000006) is modified in the vault')
    const asJson = await custodyJson<{error: {code: string}}>(['show', 'W-015', '--statement', '--case', kase.dir])
    expect(asJson.code).toBe(3)
    expect(asJson.json.error.code).toBe('INTEGRITY')
  })
})
