/**
 * Case keys (issue 19, docs/design/encryption-at-rest.md "Keys"): what `custody init` makes in
 * .custody/keys/, checked with the Debian `age` tool as a partner or a court's expert would; HQ
 * recipients (init --recipient, key add-recipient), field mode, rotation and `key destroy`.
 * age reads a passphrase only from a terminal: `script` gives it one.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custody, custodyJson, PASSPHRASE, tempDir} from '../helpers/cli.js'
import {Terminal} from '../helpers/terminal.js'
import {checker} from '../helpers/tools.js'

const AGE = checker('age')
const KEYGEN = checker('age-keygen')
const work = tempDir('custody-case-keys-')

/** An age identity file made by age-keygen, and its recipient. */
function keygen(name: string): {file: string; recipient: string} {
  const file = join(work.path, `${name}.key`)
  execFileSync(KEYGEN!, ['-o', file], {stdio: 'ignore'})
  return {file, recipient: execFileSync(KEYGEN!, ['-y', file], {encoding: 'utf8'}).trim()}
}

/** `age -d` of a passphrase-encrypted file, the passphrase typed at the terminal `script` gives it. */
function ageDecryptWithPassphrase(file: string, out: string, passphrase: string): {status: number | null; output: string} {
  const run = `(sleep 1; printf '%s\\n' "$PASS") | script -qfec "${AGE!} -d -o '${out}' '${file}'" /dev/null`
  const result = spawnSync('sh', ['-c', run], {encoding: 'utf8', env: {...process.env, PASS: passphrase}})
  return {status: result.status, output: result.stdout + result.stderr}
}

function ageDecrypt(identity: string, file: string): Buffer {
  return execFileSync(AGE!, ['-d', '-i', identity, file])
}

/** Every file under `dir`, by its path, with its SHA-256: to show that nothing was written. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {}
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name)
      if (statSync(path).isDirectory()) walk(path)
      else files[path] = createHash('sha256').update(readFileSync(path)).digest('hex')
    }
  }

  walk(dir)
  return files
}

/** Whether `needle` occurs in any file under `dir`. */
function foundUnder(dir: string, needle: Buffer): string[] {
  return Object.keys(snapshot(dir)).filter((path) => readFileSync(path).includes(needle))
}

const KEY_FILES = ['case-identity.age', 'address-key.age', 'address-key.recipients.age']
const hq = {a: {file: '', recipient: ''}, b: {file: '', recipient: ''}, stranger: {file: '', recipient: ''}}
let dir = ''
let keys = ''

function init(name: string, ...more: string[]): Promise<Awaited<ReturnType<typeof custodyJson>>> {
  return custodyJson(['init', join(work.path, name), '--title', 'Keys case', '--investigator', 'A. Investigator', ...more])
}

beforeAll(async () => {
  if (AGE === undefined || KEYGEN === undefined) return
  hq.a = keygen('hq-a')
  hq.b = keygen('hq-b')
  hq.stranger = keygen('stranger')
  const made = await init('case', '--recipient', hq.a.recipient)
  expect(made.code, made.stderr).toBe(0)
  dir = join(work.path, 'case')
  keys = join(dir, '.custody', 'keys')
})

afterAll(() => {
  work.remove()
})

describe.skipIf(AGE === undefined || KEYGEN === undefined)('case keys', () => {
  it('init makes the case identity, the address key and recipients.txt, each of mode 600', () => {
    for (const name of KEY_FILES) expect((statSync(join(keys, name)).mode & 0o777).toString(8), name).toBe('600')
    expect((statSync(join(dir, '.custody', 'recipients.txt')).mode & 0o777).toString(8)).toBe('600')
    const listed = readFileSync(join(dir, '.custody', 'recipients.txt'), 'utf8')
    // The ledger keeps its event bodies sealed, labels with them: the file names none but the case identity's.
    expect(listed).toMatch(new RegExp(`# case identity\\nage1[a-z0-9]{58}\\n# HQ recipient \\(its label is recorded encrypted in the ledger\\)\\n${hq.a.recipient}\\n$`))
  })

  it('age opens case-identity.age with the passphrase, and gives an identity that decrypts what is encrypted to the case recipient', async () => {
    const identity = join(work.path, 'case-identity.txt')
    const opened = ageDecryptWithPassphrase(join(keys, 'case-identity.age'), identity, PASSPHRASE)
    expect(opened.status, opened.output).toBe(0)
    const text = readFileSync(identity, 'utf8')
    expect(text).toMatch(/^# created: \S+\n# public key: age1[a-z0-9]{58}\nAGE-SECRET-KEY-1[A-Z0-9]{58}\n$/)
    const shown = await custodyJson<{caseKeys: {mode: string; recipients: Array<{recipient: string; label: string}>}}>(['key', 'show', '--case', dir])
    expect(shown.json.caseKeys.mode).toBe('encrypted')
    const caseRecipient = shown.json.caseKeys.recipients[0]!
    expect(caseRecipient.label).toBe('case identity')
    expect(text).toContain(`# public key: ${caseRecipient.recipient}\n`)
    expect(shown.json.caseKeys.recipients.map((r) => r.recipient)).toEqual([caseRecipient.recipient, hq.a.recipient])

    const secret = join(work.path, 'secret.txt')
    writeFileSync(secret, 'a statement only the case may read\n')
    execFileSync(AGE!, ['-r', caseRecipient.recipient, '-o', `${secret}.age`, secret])
    expect(ageDecrypt(identity, `${secret}.age`).toString()).toBe('a statement only the case may read\n')

    // A wrong passphrase opens nothing.
    expect(ageDecryptWithPassphrase(join(keys, 'case-identity.age'), join(work.path, 'wrong.txt'), 'not the passphrase').status).not.toBe(0)
    expect(existsSync(join(work.path, 'wrong.txt'))).toBe(false)
  })

  it("an HQ recipient's identity opens the address key, the same 32 bytes the passphrase opens; neither key is anywhere in clear", () => {
    const byHq = ageDecrypt(hq.a.file, join(keys, 'address-key.recipients.age'))
    expect(byHq).toHaveLength(32)
    const out = join(work.path, 'address-key.bin')
    const opened = ageDecryptWithPassphrase(join(keys, 'address-key.age'), out, PASSPHRASE)
    expect(opened.status, opened.output).toBe(0)
    expect(readFileSync(out).equals(byHq)).toBe(true)
    expect(ageDecrypt(hq.a.file, join(keys, 'address-key.recipients.age')).equals(byHq)).toBe(true)

    const identityLine = readFileSync(join(work.path, 'case-identity.txt'), 'utf8').split('\n')[2]!
    expect(foundUnder(join(dir, '.custody'), byHq)).toEqual([])
    expect(foundUnder(join(dir, '.custody'), Buffer.from(identityLine))).toEqual([])
    expect(foundUnder(join(dir, '.custody'), Buffer.from(identityLine.toLowerCase()))).toEqual([])
  })

  it('a wrong passphrase or a stranger identity: exit 2, one line, nothing written', async () => {
    const before = snapshot(join(dir, '.custody'))
    const wrongFile = join(work.path, 'wrong-pass.txt')
    writeFileSync(wrongFile, 'not the passphrase\n')
    const wrong = await custody(['key', 'add-recipient', hq.b.recipient, '--case', dir, '--passphrase-file', wrongFile])
    expect(wrong.code).toBe(2)
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1)
    const stranger = await custody(['key', 'add-recipient', hq.b.recipient, '--case', dir, '--identity', hq.stranger.file])
    expect(stranger.code).toBe(2)
    expect(stranger.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Error: none of the identities given is a recipient of this case/)])
    // An identity file that is not one (a recipient line in it, by mistake), or no file at all: the same.
    const garbled = join(work.path, 'garbled-identity.txt')
    writeFileSync(garbled, `${hq.b.recipient}\n`)
    for (const [file, said] of [[garbled, /^Error: line 1 of .*garbled-identity\.txt must be an age identity/], [join(work.path, 'absent.txt'), /^Error: there is no identity file .*absent\.txt$/]] as const) {
      const refused = await custody(['key', 'add-recipient', hq.b.recipient, '--case', dir, '--identity', file])
      expect(refused.code, file).toBe(2)
      expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(said)])
      const shown = await custody(['log', '--case', dir, '--identity', file])
      expect(shown.code, file).toBe(2)
    }

    expect(snapshot(join(dir, '.custody'))).toEqual(before)
  })

  it("adds a recipient (opened by an HQ identity), says so the second time, and the log records it once", async () => {
    const added = await custodyJson<{added: Array<{recipient: string; label: string; seq: number}>; already: string[]}>(
      ['key', 'add-recipient', hq.b.recipient, '--label', 'HQ legal', '--identity', hq.a.file, '--case', dir],
    )
    expect(added.code, added.stderr).toBe(0)
    expect(added.json.added).toEqual([{recipient: hq.b.recipient, label: 'HQ legal', seq: 3}])
    expect(ageDecrypt(hq.b.file, join(keys, 'address-key.recipients.age'))).toHaveLength(32)
    // The label is sealed in the ledger, not written in recipients.txt; key show gives it with a key.
    expect(readFileSync(join(dir, '.custody', 'recipients.txt'), 'utf8')).toContain(`# HQ recipient (its label is recorded encrypted in the ledger)\n${hq.b.recipient}\n`)
    expect(readFileSync(join(dir, '.custody', 'recipients.txt'), 'utf8')).not.toContain('HQ legal')

    const again = await custody(['key', 'add-recipient', hq.b.recipient, '--case', dir])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(`${hq.b.recipient} is a recipient of this case already; nothing was recorded`)
    const log = await custody(['log', '--case', dir])
    expect(log.stdout.match(/recipient-added/g)).toHaveLength(2)
    expect(log.stdout).toContain(`recipient ${hq.b.recipient} (HQ legal) added`)
  })

  it('rotate with a new passphrase: the old one opens no case key, the new one does', async () => {
    const next = join(work.path, 'new-pass.txt')
    writeFileSync(next, 'a new passphrase for the case\n')
    const rotated = await custody(['key', 'rotate', '--reason', 'handed over', '--new-passphrase-file', next, '--case', dir])
    expect(rotated.code, rotated.stderr).toBe(0)
    for (const name of ['case-identity.age', 'address-key.age']) {
      expect(ageDecryptWithPassphrase(join(keys, name), join(work.path, `old-${name}`), PASSPHRASE).status, name).not.toBe(0)
      const opened = ageDecryptWithPassphrase(join(keys, name), join(work.path, `new-${name}`), 'a new passphrase for the case')
      expect(opened.status, opened.output).toBe(0)
    }

    expect(readFileSync(join(work.path, 'new-address-key.age')).equals(ageDecrypt(hq.a.file, join(keys, 'address-key.recipients.age')))).toBe(true)
    expect(readdirSync(keys).filter((name) => name.startsWith('.'))).toEqual([])
  })

  it('destroy: refused without a terminal or --yes; then no passphrase opens the case, HQ still does, and verify passes', async () => {
    const env = {CUSTODY_PASSPHRASE: 'a new passphrase for the case'}
    const before = snapshot(join(dir, '.custody'))
    const unasked = await custody(['key', 'destroy', '--case', dir], {env})
    expect(unasked.code).toBe(2)
    expect(unasked.stderr).toContain('give --yes')
    expect(snapshot(join(dir, '.custody'))).toEqual(before)

    const destroyed = await custodyJson<{seq: number; files: string[]}>(['key', 'destroy', '--yes', '--reason', 'checkpoint ahead', '--case', dir], {env})
    expect(destroyed.code, destroyed.stderr).toBe(0)
    expect(destroyed.json.files).toEqual(expect.arrayContaining(['address-key.age', 'case-identity.age']))
    expect(destroyed.json.files.filter((name) => name.endsWith('.json'))).toHaveLength(2)
    for (const name of destroyed.json.files) expect(existsSync(join(keys, name)), name).toBe(false)
    expect(existsSync(join(keys, 'address-key.recipients.age'))).toBe(true)

    const refused = await custody(['key', 'add-recipient', hq.stranger.recipient, '--case', dir], {env})
    expect(refused.code).toBe(2)
    const today = new Date().toISOString().slice(0, 10)
    expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^Error: the local keys of this case were destroyed on ${today} .*a recipient's identity is needed`))])
    expect(ageDecrypt(hq.b.file, join(keys, 'address-key.recipients.age'))).toHaveLength(32)
    const verified = await custody(['verify', '--case', dir])
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)
    expect(verified.stdout).toMatch(/signing key .*was destroyed on/)
    // The reason is in the event's sealed body: HQ's identity reads it; with no key, log says what it needs.
    const log = await custody(['log', '--case', dir, '--identity', hq.a.file])
    expect(log.stdout).toMatch(/keys-destroyed .*local keys destroyed .*: checkpoint ahead/)
    const keyless = await custody(['log', '--case', dir], {env})
    expect(keyless.stdout).not.toContain('checkpoint ahead')
  })
})

describe.skipIf(AGE === undefined || KEYGEN === undefined)('field mode', () => {
  it('refuses to destroy the keys of a case no recipient but its own opens, unless --unrecoverable', async () => {
    const made = await init('lonely')
    expect(made.code, made.stderr).toBe(0)
    const lonely = join(work.path, 'lonely')
    const before = snapshot(join(lonely, '.custody'))
    const refused = await custody(['key', 'destroy', '--yes', '--case', lonely], {env: {CUSTODY_PASSPHRASE: ''}})
    expect(refused.code).toBe(2)
    expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Error: this case has no recipient but its own case identity: .*--unrecoverable/)])
    expect(snapshot(join(lonely, '.custody'))).toEqual(before)
    const destroyed = await custodyJson<{files: string[]}>(['key', 'destroy', '--yes', '--unrecoverable', '--case', lonely])
    expect(destroyed.code, destroyed.stderr).toBe(0)
    expect(destroyed.json.files).toContain('case-identity.age')
  })

  it('refuses --field without a recipient, before any passphrase, making nothing', async () => {
    const refused = await init('field-none', '--field')
    expect(refused.code).toBe(2)
    expect((refused.json as {error: {message: string}}).error.message).toContain('--field needs at least one recipient (--recipient or --recipients-file)')
    expect(existsSync(join(work.path, 'field-none'))).toBe(false)
  })

  it('makes no case identity: the passphrase opens the address key only, and HQ opens it too', async () => {
    const made = await init('field', '--field', '--recipient', hq.a.recipient)
    expect(made.code, made.stderr).toBe(0)
    expect((made.json as {keys: unknown}).keys).toEqual({mode: 'field', recipients: [{recipient: hq.a.recipient, label: 'HQ recipient', seq: 2}]})
    const fieldKeys = join(work.path, 'field', '.custody', 'keys')
    expect(readdirSync(fieldKeys).filter((name) => name.endsWith('.age')).sort()).toEqual(['address-key.age', 'address-key.recipients.age'])
    const out = join(work.path, 'field-address-key.bin')
    expect(ageDecryptWithPassphrase(join(fieldKeys, 'address-key.age'), out, PASSPHRASE).status).toBe(0)
    expect(readFileSync(out).equals(ageDecrypt(hq.a.file, join(fieldKeys, 'address-key.recipients.age')))).toBe(true)
    expect(readFileSync(join(work.path, 'field', '.custody', 'recipients.txt'), 'utf8')).not.toContain('case identity')
  })

  it('destroy asks on a terminal: no leaves everything as it was, yes destroys', async () => {
    const fieldDir = join(work.path, 'field')
    const passFile = join(work.path, 'pass.txt')
    writeFileSync(passFile, `${PASSPHRASE}\n`)
    const before = snapshot(join(fieldDir, '.custody'))
    const args = ['key', 'destroy', '--case', fieldDir, '--passphrase-file', passFile]
    {
      using term = new Terminal(args, {cwd: work.path, env: {}, exitFile: join(work.path, 'destroy-no.exit')})
      await term.answer("Destroy this case's signing key", 'n')
      expect(await term.exitCode()).toBe(1)
      expect(term.screen()).toContain('the keys were not destroyed: not confirmed. Nothing was done')
    }

    expect(snapshot(join(fieldDir, '.custody'))).toEqual(before)
    using term = new Terminal(args, {cwd: work.path, env: {}, exitFile: join(work.path, 'destroy-yes.exit')})
    await term.answer("Destroy this case's signing key", 'y')
    expect(await term.exitCode()).toBe(0)
    expect(readdirSync(join(fieldDir, '.custody', 'keys'))).toEqual(['address-key.recipients.age'])
  })

  it('refuses a recipients file with a bad line as wrong usage, naming the file and the line', async () => {
    const file = join(work.path, 'recipients.txt')
    writeFileSync(file, `# HQ\n${hq.a.recipient}\nage1notarecipient\n`)
    const refused = await init('bad-recipients', '--recipients-file', file)
    expect(refused.code).toBe(2)
    expect((refused.json as {error: {message: string}}).error.message).toContain(`line 3 of ${file}`)
    expect(existsSync(join(work.path, 'bad-recipients'))).toBe(false)
  })
})
