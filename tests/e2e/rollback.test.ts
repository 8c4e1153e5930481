/**
 * Issue 16, items 6 and 7: a ledger cut back from its end, or an older copy of the case put back,
 * needs no key. custody keeps the newest checkpoint it signed for each case in the user's state
 * folder, outside the case, and every command compares; elsewhere, `custody verify --against`
 * compares the case (or an archive) with an archive or a checkpoint given out earlier. Every
 * attack here is made with outside tools: the sqlite3 shell, cp, and Python's zipfile through zip
 * (and a ledger chained again, by SHA-256 over its rows, through better-sqlite3: helpers/rechain.ts).
 */
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {forgeBag} from '../helpers/bag.js'
import {custody, custodyJson, newCase, ownStateFolder, SAMPLES, sqlite, tempDir} from '../helpers/cli.js'
import {rechainLedger} from '../helpers/rechain.js'

interface Head {
  size: number
  root: string
}

interface Problem {
  kind?: string
  check?: string
  subject: string
  message: string
  expected?: string
  actual?: string
}

interface VerifyJson {
  ok: boolean
  problems: Problem[]
  checks: Array<{name: string; ok: boolean; detail: string}>
}

interface ErrorJson {
  error: {code: string; message: string}
}

const work = tempDir('custody-rollback-')
let n = 0

afterAll(() => work.remove())

const ledgerOf = (dir: string): string => join(dir, '.custody', 'ledger.sqlite')

/** The tree head custody last wrote into the case (head.json). */
function headOf(dir: string): Head {
  const {size, root} = JSON.parse(readFileSync(join(dir, '.custody', 'head.json'), 'utf8')) as Head
  return {size, root}
}

/** The events' sizes at which custody signed a checkpoint (one for each command that appended). */
function checkpointSizes(dir: string): number[] {
  return sqlite(ledgerOf(dir), 'SELECT tree_size FROM checkpoints ORDER BY seq;').trim().split('\n').map(Number)
}

/** The delete triggers as custody creates them, to put back after the attack. */
function deleteTriggers(dir: string): string {
  return sqlite(ledgerOf(dir), "SELECT sql || ';' FROM sqlite_master WHERE type = 'trigger' AND name IN ('events_no_delete', 'checkpoints_no_delete');")
}

/**
 * The attack of item 6, with the sqlite3 shell and no key: drop the delete triggers, delete the
 * events after `size` and the checkpoints covering them, put the triggers back, and rewrite
 * head.json (plain JSON) to the head of what is left, which the last checkpoint left states.
 */
function truncate(dir: string, size: number): Head {
  const triggers = deleteTriggers(dir)
  sqlite(
    ledgerOf(dir),
    `DROP TRIGGER events_no_delete; DROP TRIGGER checkpoints_no_delete;
     DELETE FROM events WHERE seq >= ${size}; DELETE FROM checkpoints WHERE tree_size > ${size};
     ${triggers}`,
  )
  const body = JSON.parse(sqlite(ledgerOf(dir), 'SELECT body FROM checkpoints ORDER BY seq DESC LIMIT 1;')) as {treeSize: number; rootHash: string; lastEventHash: string}
  expect(body.treeSize).toBe(size)
  writeFileSync(join(dir, '.custody', 'head.json'), `${JSON.stringify({size, root: body.rootHash, lastHash: body.lastEventHash, writtenAt: new Date().toISOString()}, null, 2)}\n`)
  return {size, root: body.rootHash}
}

/** `cp -a` of the case's .custody folder, as a backup would be made (and put back). */
function copyCustody(from: string, to: string): void {
  mkdirSync(to, {recursive: true})
  expect(spawnSync('cp', ['-a', join(from, '.custody'), to]).status).toBe(0)
}

function putBack(backup: string, dir: string): void {
  rmSync(join(dir, '.custody'), {recursive: true})
  copyCustody(backup, dir)
}

async function ingest(dir: string, ...files: string[]): Promise<void> {
  const result = await custody(['ingest', ...files.map((f) => (f.startsWith('/') ? f : join(SAMPLES, f))), '--case', dir])
  expect(result.code, result.stderr).toBe(0)
}

async function seal(dir: string, name: string, extra: string[] = []): Promise<string> {
  const out = join(work.path, name)
  const result = await custody(['seal', '--out', out, ...extra, '--case', dir])
  expect(result.code, result.stderr).toBe(0)
  return out
}

/** Both tree heads, the one custody recorded and the ledger's, named with size and root. */
function expectBothHeads(text: string, recorded: Head, ledger: Head): void {
  for (const head of [recorded, ledger]) {
    expect(text).toContain(`${head.size} events`)
    expect(text).toContain(head.root)
  }
}

async function verifyProblems(dir: string, extra: string[] = []): Promise<Problem[]> {
  const result = await custodyJson<VerifyJson>(['verify', ...extra, '--case', dir])
  expect(result.code, JSON.stringify(result.json)).toBe(3)
  expect(result.json.ok).toBe(false)
  return result.json.problems
}

describe('a ledger cut back from its end (item 6)', () => {
  it('is refused by verify and by the next append, naming both tree heads', async () => {
    const kase = await newCase()
    await ingest(kase.dir, 'Canon.jpg')
    const kept = checkpointSizes(kase.dir).at(-1)
    await ingest(kase.dir, 'GPS.jpg', 'Ricoh2.jpg')
    const recorded = headOf(kase.dir)
    const left = truncate(kase.dir, kept!)

    const problems = await verifyProblems(kase.dir)
    const text = problems.map((p) => `${p.message} ${p.expected ?? ''} ${p.actual ?? ''}`).join('\n')
    expectBothHeads(text, recorded, left)
    expect(problems).toContainEqual(expect.objectContaining({kind: 'tree-head', message: expect.stringContaining('events were removed from its end, or an older copy of the case was put back') as string}))
    // Nothing else is wrong with the ledger: the attack left a sound, signed, shorter ledger.
    expect(problems.every((p) => p.kind === 'tree-head')).toBe(true)

    const appended = await custodyJson<ErrorJson>(['ingest', join(SAMPLES, 'Sony.jpg'), '--case', kase.dir])
    expect(appended.code).toBe(3)
    expect(appended.json.error.code).toBe('INTEGRITY')
    expectBothHeads(appended.json.error.message, recorded, left)
    expect(appended.json.error.message).toContain('nothing was added')
    expect(appended.json.error.message).toContain('custody accept-restore')
    expect(Number(sqlite(ledgerOf(kase.dir), 'SELECT count(*) FROM events;'))).toBe(left.size)

    // Reading commands compare too, more cheaply, and say the same.
    for (const command of [['log'], ['status'], ['show', 'EX-000001'], ['key', 'show']]) {
      const read = await custodyJson<ErrorJson>([...command, '--case', kase.dir])
      expect(read.code, command.join(' ')).toBe(3)
      expect(read.json.error.code).toBe('INTEGRITY')
      expectBothHeads(read.json.error.message, recorded, left)
    }

    kase.remove()
  })

  it('erasing a consent withdrawal does not let the next advocacy seal take the testimony', async () => {
    const kase = await newCase()
    const statement = join(work.path, `statement-${n++}.txt`)
    writeFileSync(statement, 'I saw the convoy leave the school at dawn.\n')
    const taken = await custody([
      'testimony', 'add', '--witness', 'W-007', '--interviewed-at', '2024-03-05T10:00+02:00', '--place', 'Kyiv, safe location',
      '--interviewer', 'A. Investigator', '--consent', 'court', '--consent', 'advocacy', '--consent-method', 'signed-form',
      '--statement-file', statement, '--case', kase.dir,
    ])
    expect(taken.code, taken.stderr).toBe(0)
    const before = checkpointSizes(kase.dir).at(-1)!
    const withdrawn = await custody(['testimony', 'consent', 'W-007', '--withdraw', 'advocacy', '--at', '2024-06-01T10:00+03:00', '--case', kase.dir])
    expect(withdrawn.code, withdrawn.stderr).toBe(0)
    const recorded = headOf(kase.dir)
    const left = truncate(kase.dir, before)

    const out = join(work.path, `advocacy-${n++}.zip`)
    const sealed = await custodyJson<ErrorJson>(['seal', '--out', out, '--purpose', 'advocacy', '--case', kase.dir])
    expect(sealed.code).toBe(3)
    expectBothHeads(sealed.json.error.message, recorded, left)
    expect(existsSync(out)).toBe(false)
    kase.remove()
  })
})

describe('an older copy of the case put back (item 7)', () => {
  it('is refused by verify, by appends and by reading commands, and the record is not overwritten', async () => {
    const kase = await newCase()
    await ingest(kase.dir, 'Canon.jpg')
    const backup = join(work.path, `backup-${n++}`)
    copyCustody(kase.dir, backup)
    const old = headOf(kase.dir)
    await ingest(kase.dir, 'GPS.jpg')
    const recorded = headOf(kase.dir)
    putBack(backup, kase.dir)

    const problems = await verifyProblems(kase.dir)
    expectBothHeads(problems.map((p) => `${p.message} ${p.expected ?? ''} ${p.actual ?? ''}`).join('\n'), recorded, old)

    const state = join(process.env.XDG_STATE_HOME!, 'custody')
    const records = readdirSync(state).filter((f) => f.endsWith('.json'))
    const before = Object.fromEntries(records.map((f) => [f, readFileSync(join(state, f), 'utf8')]))
    // The rolled-back copy would give EX-000002 to another file: refused.
    const appended = await custodyJson<ErrorJson>(['ingest', join(SAMPLES, 'Ricoh2.jpg'), '--case', kase.dir])
    expect(appended.code).toBe(3)
    expectBothHeads(appended.json.error.message, recorded, old)
    expect(Object.fromEntries(records.map((f) => [f, readFileSync(join(state, f), 'utf8')]))).toEqual(before)
    const log = await custody(['log', '--case', kase.dir])
    expect(log.code).toBe(3)
    expect(log.stderr).toContain(kase.dir)
    kase.remove()
  })
})

describe('custody verify --against', () => {
  let kase: {dir: string; remove: () => void}
  let first: string
  let second: string
  /** The case's .custody when `first` was sealed, before the second ingest. */
  let backup: string
  let checkpointFile: string

  beforeAll(async () => {
    kase = await newCase()
    await ingest(kase.dir, 'Canon.jpg', 'GPS.jpg')
    first = await seal(kase.dir, 'first.zip', ['--purpose', 'court'])
    backup = join(work.path, 'backup-at-first')
    copyCustody(kase.dir, backup)
    checkpointFile = join(work.path, 'checkpoint-at-first.json')
    const exported = await custody(['checkpoint', 'export', '--out', checkpointFile, '--case', kase.dir])
    expect(exported.code, exported.stderr).toBe(0)
    await ingest(kase.dir, 'Ricoh2.jpg')
    second = await seal(kase.dir, 'second.zip')
  })

  afterAll(() => kase.remove())

  /** A copy of the case's folder examined elsewhere (its own, empty, state folder). */
  function elsewhere(from: string): string {
    const dir = join(work.path, `elsewhere-${n++}`)
    copyCustody(from, dir)
    ownStateFolder(dir)
    return dir
  }

  it('passes for the case against its archives and checkpoint file, and two archives against each other both ways round', async () => {
    const local = await custodyJson<VerifyJson>(['verify', '--against', first, '--against', second, '--against', checkpointFile, '--case', kase.dir])
    expect(local.code, JSON.stringify(local.json.problems)).toBe(0)
    expect(local.json.checks.filter((c) => c.name.startsWith('against'))).toHaveLength(3)
    for (const [a, b] of [[first, second], [second, first]]) {
      const result = await custodyJson<VerifyJson>(['verify', a!, '--against', b!])
      expect(result.code, JSON.stringify(result.json.problems)).toBe(0)
    }
  })

  it('refuses a case cut back below an archive or a checkpoint file given out earlier', async () => {
    const dir = elsewhere(kase.dir)
    const cut = truncate(dir, checkpointSizes(dir)[0]!)
    // With no record of this case on that machine, only what was given out can tell.
    expect((await custody(['verify', '--case', dir])).code).toBe(0)
    for (const against of [first, second, checkpointFile]) {
      const problems = await verifyProblems(dir, ['--against', against])
      const text = problems.map((p) => `${p.message} ${p.expected ?? ''} ${p.actual ?? ''}`).join('\n')
      expect(text).toContain(`${cut.size} events`)
      expect(text).toContain(cut.root)
    }
  })

  it('refuses an older copy put back, against the archive sealed after it', async () => {
    const dir = elsewhere(backup)
    expect((await custody(['verify', '--case', dir])).code).toBe(0)
    const problems = await verifyProblems(dir, ['--against', second])
    expect(problems).toContainEqual(expect.objectContaining({message: expect.stringContaining('shorter than') as string}))
  })

  it('accepts the checkpoint.json and .sig unzipped from an archive', async () => {
    const unzipped = join(work.path, `unzipped-${n++}`)
    expect(spawnSync('unzip', ['-q', first, '-d', unzipped]).status).toBe(0)
    const [bag] = readdirSync(unzipped)
    const result = await custodyJson<VerifyJson>(['verify', '--against', join(unzipped, bag!, 'data', 'custody', 'checkpoint.json'), '--case', kase.dir])
    expect(result.code, JSON.stringify(result.json.problems)).toBe(0)
  })

  it('refuses a checkpoint of another case, and a checkpoint with a signature that does not verify', async () => {
    const other = await newCase()
    const otherFile = join(work.path, `other-${n++}.json`)
    expect((await custody(['checkpoint', 'export', '--out', otherFile, '--case', other.dir])).code).toBe(0)
    const problems = await verifyProblems(kase.dir, ['--against', otherFile])
    expect(problems).toContainEqual(expect.objectContaining({message: expect.stringContaining('another case') as string}))
    const forged = JSON.parse(readFileSync(checkpointFile, 'utf8')) as {checkpoint: string; signature: string}
    const edited = join(work.path, `edited-${n++}.json`)
    writeFileSync(edited, JSON.stringify({...forged, signature: forged.signature.replace(/^./, (c) => (c === '0' ? '1' : '0'))}))
    expect(await verifyProblems(kase.dir, ['--against', edited])).toContainEqual(expect.objectContaining({message: expect.stringContaining('signature does not verify') as string}))
    other.remove()
  })

  it('fails an archive made from a rolled-back copy (a fork) against the genuine later one, both ways round', async () => {
    const fork = elsewhere(backup)
    const photo = join(work.path, `fork-photo-${n++}.jpg`)
    writeFileSync(photo, Buffer.concat([readFileSync(join(SAMPLES, 'Sony.jpg')), Buffer.from('fork')]))
    await ingest(fork, photo, 'PNG.png')
    const forked = await seal(fork, 'forked.zip')
    expect((await custody(['verify', forked])).code).toBe(0)
    for (const [a, b] of [[forked, second], [second, forked]]) {
      const result = await custodyJson<VerifyJson>(['verify', a!, '--against', b!])
      expect(result.code).toBe(3)
      const messages = result.json.problems.map((p) => p.message).join('\n')
      expect(messages).toContain('cannot be linked')
      // The events both hold under one number differ: EX-000003 is another file in each.
      expect(messages).toMatch(/event \d+ differs/)
    }
  })

  /** The Python check of earlier-seals.jsonl that the bag's README.txt gives, run as written there, in the bag. */
  function readmeCheck(bagDir: string): string {
    const readme = readFileSync(join(bagDir, 'README.txt'), 'utf8')
    const script = /^python3 - <<'EOF'\n[\s\S]*?\nEOF$/m.exec(readme)
    expect(script, 'README.txt gives the Python check').not.toBeNull()
    const result = spawnSync('bash', ['-c', script![0]], {cwd: bagDir, encoding: 'utf8'})
    expect(result.status, result.stderr).toBe(0)
    return result.stdout
  }

  it("lists the earlier seal with a proof that custody and the README's Python check both accept", async () => {
    const unzipped = join(work.path, `second-readme-${n++}`)
    expect(spawnSync('unzip', ['-q', second, '-d', unzipped]).status).toBe(0)
    const [bag] = readdirSync(unzipped)
    const firstSeal = (await custodyJson<{sealId: string}>(['verify', first])).json.sealId
    expect(readmeCheck(join(unzipped, bag!))).toMatch(new RegExp(`^${firstSeal} \\d+ OK$`, 'm'))
  })

  it('refuses a forged earlier-seals.jsonl: a proof edited, or a tree head changed, with the manifests recomputed', async () => {
    const pristine = join(work.path, 'second-unzipped')
    expect(spawnSync('unzip', ['-q', second, '-d', pristine]).status).toBe(0)
    const [bag] = readdirSync(pristine)
    const file = join(pristine, bag!, 'data', 'custody', 'earlier-seals.jsonl')
    const [line] = readFileSync(file, 'utf8').trim().split('\n')
    const entry = JSON.parse(line!) as {treeHead: Head; consistencyProof: string[]}
    expect(entry.consistencyProof.length).toBeGreaterThan(0)
    const flip = (hex: string): string => hex.replace(/^./, (c) => (c === '0' ? '1' : '0'))
    const forgeries: Array<[string, (e: typeof entry) => void]> = [
      ['a proof edited', (e) => (e.consistencyProof[0] = flip(e.consistencyProof[0]!))],
      ['a tree head changed', (e) => (e.treeHead.root = flip(e.treeHead.root))],
    ]
    for (const [what, change] of forgeries) {
      const zip = forgeBag(pristine, bag!, join(work.path, `forged-${n++}`), (bagDir) => {
        const edited = structuredClone(entry)
        change(edited)
        writeFileSync(join(bagDir, 'data', 'custody', 'earlier-seals.jsonl'), `${JSON.stringify(edited)}\n`)
      }, {rewriteManifests: true})
      expect(readmeCheck(join(`${zip.slice(0, -'.zip'.length)}`, bag!)), what).toMatch(/ FAILED$/m)
      const result = await custodyJson<VerifyJson>(['verify', zip])
      expect(result.code, what).toBe(3)
      expect(result.json.problems.filter((p) => p.check === 'earlier seals').length, what).toBeGreaterThan(0)
      expect(result.json.problems).toContainEqual(expect.objectContaining({check: 'earlier seals', message: expect.stringContaining('consistency proof') as string}))
      const against = await custodyJson<VerifyJson>(['verify', first, '--against', zip])
      expect(against.code, what).toBe(3)
    }
  })
})

describe('a ledger rewritten in place, its checkpoints left as they were', () => {
  it('is refused by a reading command naming the root recomputed from its events, not the one its stale checkpoint states', async () => {
    const kase = await newCase()
    await ingest(kase.dir, 'Canon.jpg')
    const known = headOf(kase.dir)
    // The attack, with no key: one envelope's time moved by a millisecond, every later row chained
    // again, and head.json written to the new head.
    const root = rechainLedger(kase.dir, (seq, envelope) => {
      if (seq === 1) envelope.time = new Date(Date.parse(String(envelope.time)) + 1).toISOString()
    })
    expect(root).not.toBe(known.root)

    const log = await custodyJson<ErrorJson>(['log', '--json', '--case', kase.dir])
    expect(log.code).toBe(3)
    expect(log.json.error.message).toMatch(new RegExp(`first ${known.size} events have the root ${root}, not the one of the checkpoint of ${known.size} events \\(root ${known.root}\\)`))
    expect(log.json.error.message.split(known.root)).toHaveLength(2)
    kase.remove()
  })
})

describe('two copies of one case on one account', () => {
  it('the copy that fell behind is refused once the other moved on; a copy with its own state folder is a separate case', async () => {
    const kase = await newCase()
    await ingest(kase.dir, 'Canon.jpg')
    const copy = join(work.path, `copy-${n++}`)
    cpSync(kase.dir, copy, {recursive: true})
    await ingest(kase.dir, 'GPS.jpg')
    const behind = await custodyJson<ErrorJson>(['ingest', join(SAMPLES, 'Ricoh2.jpg'), '--case', copy])
    expect(behind.code).toBe(3)
    expect(behind.json.error.message).toContain(kase.dir)
    ownStateFolder(copy)
    expect((await custody(['ingest', join(SAMPLES, 'Ricoh2.jpg'), '--case', copy])).code).toBe(0)
    kase.remove()
  })
})

describe('going on from an older copy put back on purpose (custody accept-restore)', () => {
  it('records the loss in the ledger, keeps the lost record, and lets work go on; archives across the loss cannot be linked', async () => {
    const kase = await newCase()
    await ingest(kase.dir, 'Canon.jpg')
    const backup = join(work.path, `restore-backup-${n++}`)
    copyCustody(kase.dir, backup)
    await ingest(kase.dir, 'GPS.jpg')
    const lostArchive = await seal(kase.dir, `lost-${n++}.zip`)
    const lost = headOf(kase.dir)
    putBack(backup, kase.dir)

    const accepted = await custodyJson<{seq: number; reservedExhibitNumbers: number; lost: {treeSize: number; rootHash: string; aside: string}}>(['accept-restore', '--reason', 'laptop seized at the border; restored from the backup', '--case', kase.dir])
    expect(accepted.code, accepted.stderr).toBe(0)
    expect(accepted.json.lost).toMatchObject({treeSize: lost.size, rootHash: lost.root})
    // The record of the lost copy is kept beside the new one, unchanged.
    expect(JSON.parse(readFileSync(accepted.json.lost.aside, 'utf8'))).toMatchObject({checkpoint: expect.stringContaining(`"rootHash":"${lost.root}"`) as string})

    expect((await custody(['verify', '--case', kase.dir])).code).toBe(0)
    // EX-000002 was GPS.jpg in the lost copy (and its archive): it is never given to another file.
    // The lost copy had at most as many exhibits as events, so numbering goes on after that.
    expect(accepted.json).toMatchObject({reservedExhibitNumbers: lost.size})
    const next = await custodyJson<{results: Array<{exhibit: string}>}>(['ingest', join(SAMPLES, 'Ricoh2.jpg'), '--case', kase.dir])
    expect(next.code, next.stderr).toBe(0)
    expect(next.json.results[0]!.exhibit).toBe(`EX-${String(lost.size + 1).padStart(6, '0')}`)
    expect((await custodyJson<{exhibits: number}>(['status', '--case', kase.dir])).json.exhibits).toBe(2)
    const verified = await custodyJson<VerifyJson>(['verify', '--case', kase.dir])
    expect(verified.code, JSON.stringify(verified.json.problems)).toBe(0)
    const log = await custodyJson<{events: Array<{action: string; payload: {reason?: string; lost?: {checkpoint: string; signature: string}}}>}>(['log', '--case', kase.dir])
    const event = log.json.events.find((e) => e.action === 'restore-accepted')!
    expect(event.payload.reason).toBe('laptop seized at the border; restored from the backup')
    expect(event.payload.lost!.checkpoint).toContain(`"treeSize":${lost.size}`)

    // Every later archive carries the event, and cannot be linked to one sealed from the lost copy.
    const after = await seal(kase.dir, `after-${n++}.zip`)
    expect(spawnSync('unzip', ['-p', after, '*/data/custody/events.jsonl'], {encoding: 'utf8'}).stdout).toContain('"action":"restore-accepted"')
    const against = await custodyJson<VerifyJson>(['verify', after, '--against', lostArchive])
    expect(against.code).toBe(3)
    expect(against.json.problems.map((p) => p.message).join('\n')).toContain('cannot be linked')

    const again = await custodyJson<ErrorJson>(['accept-restore', '--reason', 'again', '--case', kase.dir])
    expect(again.code).toBe(2)
    expect(again.json.error.message).toContain('nothing to accept')
    kase.remove()
  })

  it('is refused when the case does not match its own head.json either: that is tampering, not a restore', async () => {
    const kase = await newCase()
    await ingest(kase.dir, 'Canon.jpg')
    const [, kept] = checkpointSizes(kase.dir)
    await ingest(kase.dir, 'GPS.jpg')
    const triggers = deleteTriggers(kase.dir)
    sqlite(ledgerOf(kase.dir), `DROP TRIGGER events_no_delete; DROP TRIGGER checkpoints_no_delete; DELETE FROM events WHERE seq >= ${kept}; DELETE FROM checkpoints WHERE tree_size > ${kept}; ${triggers}`)
    const refused = await custodyJson<ErrorJson>(['accept-restore', '--reason', 'hiding the cut', '--case', kase.dir])
    expect(refused.code).toBe(3)
    expect(refused.json.error.message).toContain('head.json')
    expect(Number(sqlite(ledgerOf(kase.dir), 'SELECT count(*) FROM events;'))).toBe(kept)
    kase.remove()
  })
})

describe('a state folder that cannot be written', () => {
  it('is a warning, not a failure', async () => {
    const notAFolder = join(work.path, `state-file-${n++}`)
    writeFileSync(notAFolder, 'a file where the state folder should be')
    const dir = join(work.path, `unrecorded-${n++}`)
    const init = await custody(['init', dir, '--title', 't', '--investigator', 'i'], {env: {XDG_STATE_HOME: notAFolder}})
    expect(init.code, init.stderr).toBe(0)
    expect(init.stderr).toMatch(/^Warning: custody could not record this case's newest checkpoint: .*cannot be written \(ENOTDIR\)/m)
    const ingested = await custodyJson<{results: unknown[]}>(['ingest', join(SAMPLES, 'Canon.jpg'), '--case', dir], {env: {XDG_STATE_HOME: notAFolder}})
    expect(ingested.code).toBe(0)
    expect(ingested.stderr).toContain('Warning: custody could not record')
    expect((await custody(['verify', '--case', dir], {env: {XDG_STATE_HOME: notAFolder}})).code).toBe(0)
  })
})
