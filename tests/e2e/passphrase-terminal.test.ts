/**
 * The passphrase typed at a real terminal (tmux), as a person types it (issue 18): a wrong one is
 * asked again, three times in all, and the messages name the key by what it is, never the path of
 * its file; a new one too short or typed differently is asked again too.
 */
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custodyJson, newCase, PASSPHRASE, SAMPLES, sqlite, tempDir} from '../helpers/cli.js'
import {Terminal} from '../helpers/terminal.js'

const work = tempDir('custody-passphrase-terminal-')
let kase: {dir: string; remove: () => void}

function ledgerSize(dir: string): number {
  return Number(sqlite(join(dir, '.custody', 'ledger.sqlite'), 'SELECT count(*) FROM events;').trim())
}

beforeAll(async () => {
  kase = await newCase()
})

afterAll(() => {
  kase.remove()
  work.remove()
})

describe('the case passphrase at a terminal', () => {
  it('is asked again after a wrong one: two wrong, then the right one, and the work is done', async () => {
    // ingest opens the key beside its first steps when the passphrase comes from a file or the
    // environment; typed at the prompt, it is opened first, so that it can be asked again.
    using term = new Terminal(['ingest', join(SAMPLES, 'Sony.jpg'), '--case', kase.dir], {cwd: work.path, env: {}, exitFile: join(work.path, 'ingest.exit')})
    await term.answer('Case passphrase:', 'not the passphrase')
    await term.waitFor("The passphrase does not open the case's signing key: it is wrong, or the key's file is damaged. Try again (2 tries left).")
    await term.answer(/Case passphrase:[^]*Case passphrase:/, 'still not it')
    await term.waitFor('Try again (1 try left).')
    await term.answer(/(Case passphrase:[^]*){3}/, PASSPHRASE)
    expect(await term.exitCode()).toBe(0)
    const screen = term.screen()
    expect(screen).toContain('1 file ingested')
    expect(screen).not.toContain('.custody/keys')
    expect(screen).not.toContain(PASSPHRASE)
    expect((await custodyJson<{exhibits: number}>(['status', '--case', kase.dir])).json.exhibits).toBe(1)
  })

  it('fails after three wrong ones (exit 2), naming the key, not its file, and adds nothing', async () => {
    const before = ledgerSize(kase.dir)
    using term = new Terminal(['ingest', join(SAMPLES, 'PNG.png'), '--case', kase.dir], {cwd: work.path, env: {}, exitFile: join(work.path, 'three.exit')})
    await term.answer('Case passphrase:', 'one')
    await term.answer(/(Case passphrase:[^]*){2}/, 'two')
    await term.answer(/(Case passphrase:[^]*){3}/, 'three')
    expect(await term.exitCode()).toBe(2)
    const screen = term.screen()
    expect(screen).toContain("Error: the passphrase does not open the case's signing key: it is wrong, or the key's file is damaged")
    expect(screen.match(/Case passphrase:/g)).toHaveLength(3)
    const keyFile = readdirSync(join(kase.dir, '.custody', 'keys')).find((name) => name.endsWith('.json') && name !== 'identities.json')!
    expect(screen).not.toContain('.custody')
    expect(screen).not.toContain(keyFile.slice(0, 16))
    expect(ledgerSize(kase.dir)).toBe(before)
  })

  it('from the environment, a wrong one is refused at once, as --json says: the key by what it is, no path', async () => {
    const wrong = await custodyJson<{error: {code: string; message: string; subject: string}}>(['config', 'set', 'tsa', 'http://127.0.0.1:1/tsr', '--case', kase.dir], {env: {CUSTODY_PASSPHRASE: 'not the passphrase'}})
    expect(wrong.code).toBe(2)
    expect(wrong.json.error).toMatchObject({code: 'WRONG_PASSPHRASE', message: "the passphrase does not open the case's signing key: it is wrong, or the key's file is damaged"})
    expect(wrong.json.error.subject).toMatch(/^signing key SHA256:[0-9a-f]{64}$/)
    expect(wrong.stdout).not.toContain(kase.dir)
  })
})

describe('a new passphrase at a terminal', () => {
  it('init asks again for one too short or typed differently the second time', async () => {
    const dir = join(work.path, 'new-case')
    using term = new Terminal(['init', dir, '--title', 'Terminal case', '--investigator', 'A. Investigator'], {cwd: work.path, env: {}, exitFile: join(work.path, 'init.exit')})
    await term.answer('New case passphrase', 'short')
    await term.waitFor('The passphrase must be at least 8 characters; a few words make a strong one. Try again (2 tries left).')
    await term.answer(/(New case passphrase[^]*){2}/, PASSPHRASE)
    await term.answer('The same passphrase again:', 'something else entirely')
    await term.waitFor('The two passphrases differ. Try again (1 try left).')
    await term.answer(/(New case passphrase[^]*){3}/, PASSPHRASE)
    await term.answer(/(The same passphrase again:[^]*){2}/, PASSPHRASE)
    expect(await term.exitCode()).toBe(0)
    expect(term.screen()).toContain('Created case "Terminal case"')
    // The passphrase typed the third time is the one that opens the key.
    const status = await custodyJson(['key', 'rotate', '--reason', 'a test of the passphrase', '--case', dir], {env: {CUSTODY_PASSPHRASE: PASSPHRASE}})
    expect(status.code, status.stderr).toBe(0)
  })
})
