/**
 * `custody testimony add` at a real terminal (tmux): the passphrase prompt, every question of the
 * interview answered from the keyboard, the statement typed in $EDITOR, and Ctrl-C halfway.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custody, custodyJson, newCase, PASSPHRASE, SAMPLES, sqlite, tempDir} from '../helpers/cli.js'
import {fakeEditor, Terminal} from '../helpers/terminal.js'

const work = tempDir('custody-terminal-')
let kase: {dir: string; remove: () => void}
let editor: string

beforeAll(async () => {
  kase = await newCase()
  editor = fakeEditor(join(work.path, 'editor.sh'), 'I was held for nine days in the basement of the police station.\n')
})

afterAll(() => {
  kase.remove()
  work.remove()
})

describe('custody testimony add on a terminal', () => {
  it('asks one question at a time, takes the statement from $EDITOR, and records it all', async () => {
    const exitFile = join(work.path, 'interactive.exit')
    using term = new Terminal(['testimony', 'add', '--case', kase.dir], {cwd: work.path, env: {EDITOR: editor, VISUAL: editor}, exitFile})
    await term.answer('Case passphrase:', PASSPHRASE)
    await term.answer('Witness code', 'W-050')
    await term.answer('Interview started', '2024-04-02T15:00+03:00')
    await term.answer('Interview ended', '')
    await term.answer('Where the interview took place', 'Zaporizhzhia, partner office')
    await term.answer('Interviewer(s)', '') // the default: the case's investigator
    await term.answer('Anyone else present', 'a psychologist')
    await term.answer('Interpreter', 'B. Interpreter')
    await term.answer('Languages of the interview', 'uk, en')
    await term.answer('Is the witness vulnerable', 'n')
    await term.waitFor('Informed consent')
    term.send('', 'Space', 'Down', 'Space', 'Enter') // court, international
    await term.waitFor('How was consent given?')
    term.send('', 'Down', 'Enter') // recorded-orally
    await term.answer('When was consent given', '')
    await term.waitFor('The statement:')
    term.send('', 'Enter') // type it in the editor
    await term.answer('launch your preferred editor', '')
    await term.answer('Attachment 1', join(SAMPLES, 'Sony.jpg'))
    await term.answer('Attachment 2', '')
    await term.answer("Witness's name", 'Taras Shevchuk')
    await term.answer('Contact details', '')
    await term.answer('Other identifying notes', '')
    await term.answer('Record the testimony of W-050?', '')
    expect(await term.exitCode()).toBe(0)
    expect(term.screen()).toContain('Recorded the testimony of W-050')
    // The passphrase was never echoed.
    expect(term.screen()).not.toContain(PASSPHRASE)

    const {json} = await custodyJson<{testimonies: Array<{witness: string; exhibit: string; interview: Record<string, unknown>; consent: {given: Record<string, unknown>}; identity: {fields: string[]}; attachments: unknown[]}>}>([
      'testimony',
      'list',
      '--case',
      kase.dir,
    ])
    const [t] = json.testimonies
    expect(t!.interview).toMatchObject({startedAt: '2024-04-02T15:00+03:00', endedAt: null, place: 'Zaporizhzhia, partner office', interviewers: ['A. Investigator'], present: ['a psychologist'], languages: ['uk', 'en']})
    expect(t!.consent.given).toEqual({scopes: ['court', 'international'], method: 'recorded-orally', givenAt: '2024-04-02T15:00+03:00'})
    expect(t!.identity.fields).toEqual(['name'])
    expect(t!.attachments).toHaveLength(1)
    const show = await custodyJson<{vault: {path: string}; file: {name: string}}>(['show', t!.exhibit, '--case', kase.dir])
    // The vault holds it encrypted; show --statement decrypts it (with the passphrase).
    expect(readFileSync(show.json.vault.path).subarray(0, 22).toString()).toBe('age-encryption.org/v1\n')
    expect((await custody(['show', t!.exhibit, '--statement', '--case', kase.dir])).stdout).toBe('I was held for nine days in the basement of the police station.\n')
    expect(show.json.file.name).toBe('W-050-statement-v1.txt')
    expect((await custody(['verify', '--case', kase.dir])).code).toBe(0)
  })

  it('amend takes the corrected statement from $EDITOR', async () => {
    const corrector = fakeEditor(join(work.path, 'corrector.sh'), 'I was held for ten days, not nine, in the basement of the police station.\n')
    const exitFile = join(work.path, 'amend.exit')
    using term = new Terminal(['testimony', 'amend', 'W-050', '--reason', 'the witness corrected the number of days', '--case', kase.dir], {cwd: work.path, env: {EDITOR: corrector, VISUAL: corrector}, exitFile})
    await term.answer('Case passphrase:', PASSPHRASE)
    await term.answer('launch your preferred editor', '')
    expect(await term.exitCode()).toBe(0)
    expect(term.screen()).toContain('Recorded version 2 of the statement of W-050')
    const show = await custodyJson<{testimony: {versions: Array<{exhibit: string; reason: string | null}>}}>(['show', 'W-050', '--case', kase.dir])
    const v2 = show.json.testimony.versions[1]!
    expect(v2.reason).toBe('the witness corrected the number of days')
    expect((await custody(['show', 'W-050', '--statement', '--version', '2', '--case', kase.dir])).stdout).toContain('ten days, not nine')
  })

  it('says at once that an answer holds the name typed after it, and has one of them changed', async () => {
    const exitFile = join(work.path, 'reask.exit')
    const statement = join(work.path, 'w052.txt')
    writeFileSync(statement, 'They took us to the school gym.\n')
    const flags = ['--witness', 'W-052', '--interviewed-at', '2024-04-04T10:00+03:00', '--ended-at', '', '--interviewer', 'A. Investigator', '--present', 'a psychologist']
    const rest = ['--interpreter', '', '--language', 'uk', '--no-vulnerable', '--consent', 'court', '--consent-method', 'signed-form', '--consent-at', '2024-04-04T10:00+03:00', '--statement-file', statement]
    using term = new Terminal(['testimony', 'add', '--case', kase.dir, ...flags, ...rest], {cwd: work.path, env: {EDITOR: editor}, exitFile})
    await term.answer('Case passphrase:', PASSPHRASE)
    await term.answer('Where the interview took place', 'the Kovalenko family home')
    await term.answer('Attachment 1', '')
    await term.answer("Witness's name", 'Olena Kovalenko')
    // Named as the interview asks for it: the place was an answer here, not a flag.
    await term.waitFor("the place contains the witness's name, and it would be recorded in clear")
    await term.waitFor('belongs in the identity note, which is encrypted')
    await term.answer('Which answer do you want to change?', '') // the place
    expect(term.screen()).not.toContain('--place')
    // Still refused at the prompt, then a place without the name.
    await term.waitFor(/Where the interview took place: the Kovalenko family home/u)
    term.retype('Kovalenko street')
    await term.waitFor("contains the witness's name")
    term.retype('Irpin')
    await term.answer('Contact details', '')
    await term.answer('Other identifying notes', '')
    await term.answer('Record the testimony of W-052?', '')
    expect(await term.exitCode()).toBe(0)
    const {json} = await custodyJson<{testimonies: Array<{witness: string; interview: {place: string}}>}>(['testimony', 'list', '--case', kase.dir])
    expect(json.testimonies.find((t) => t.witness === 'W-052')!.interview.place).toBe('Irpin')
  })

  it('shows where a statement names the witness and asks; no records nothing, yes records it as identifying', async () => {
    const statement = join(work.path, 'w053.txt')
    writeFileSync(statement, 'My name is Olena Kovalenko and I saw it.\n')
    const args = ['testimony', 'add', '--case', kase.dir, '--witness', 'W-053', '--interviewed-at', '2024-04-05T10:00+03:00', '--place', 'Irpin', '--interviewer', 'A. Investigator', '--consent', 'advocacy', '--consent-method', 'signed-form', '--statement-file', statement, '--witness-name', 'Olena Kovalenko']
    const before = sqlite(join(kase.dir, '.custody', 'ledger.sqlite'), 'SELECT count(*) FROM events;')
    {
      const exitFile = join(work.path, 'refuse.exit')
      using term = new Terminal(args, {cwd: work.path, env: {}, exitFile})
      await term.answer('Case passphrase:', PASSPHRASE)
      await term.waitFor(`statement: its text holds the witness's name (${statement})`)
      await term.answer('Record it as holding identifying content?', 'n')
      expect(await term.exitCode()).toBe(2)
      expect(term.screen()).toContain('not confirmed: nothing was recorded')
      expect(sqlite(join(kase.dir, '.custody', 'ledger.sqlite'), 'SELECT count(*) FROM events;')).toBe(before)
    }

    const exitFile = join(work.path, 'accept.exit')
    using term = new Terminal(args, {cwd: work.path, env: {}, exitFile})
    await term.answer('Case passphrase:', PASSPHRASE)
    await term.answer('Record it as holding identifying content?', 'y')
    expect(await term.exitCode()).toBe(0)
    expect(term.screen()).toMatch(/identifying +statement: holds the witness's name or contact/)
    const {json} = await custodyJson<{testimonies: Array<{witness: string; identifyingContent: string[]}>}>(['testimony', 'list', '--case', kase.dir])
    expect(json.testimonies.find((t) => t.witness === 'W-053')!.identifyingContent).toEqual(['statement'])
  })

  it('Ctrl-C in the middle of the interview records nothing', async () => {
    const before = sqlite(join(kase.dir, '.custody', 'ledger.sqlite'), 'SELECT count(*) FROM events;')
    const exitFile = join(work.path, 'cancel.exit')
    using term = new Terminal(['testimony', 'add', '--case', kase.dir, '--witness', 'W-051'], {cwd: work.path, env: {EDITOR: editor}, exitFile})
    await term.answer('Case passphrase:', PASSPHRASE)
    await term.answer('Interview started', '2024-04-03T09:00+03:00')
    await term.waitFor('Interview ended')
    term.send('', 'C-c')
    expect(await term.exitCode()).toBe(1)
    expect(term.screen()).toContain('the testimony was cancelled at a prompt; nothing was recorded')
    // What was answered is kept, to be resumed (tests/e2e/testimony-drafts.test.ts).
    expect(term.screen()).toContain('Warning: the answers are kept in an encrypted draft: `custody testimony add` on a terminal resumes it')
    expect(sqlite(join(kase.dir, '.custody', 'ledger.sqlite'), 'SELECT count(*) FROM events;')).toBe(before)
  })
})
