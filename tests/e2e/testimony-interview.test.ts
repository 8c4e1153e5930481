/**
 * `custody testimony add` at a real terminal (tmux), for the defects of issue 18 ("The
 * investigator"): a witness code refused ~15 questions after it was typed, an unreadable end of
 * the interview taken and refused only after the final "Yes", no way back from the summary, a
 * typed statement lost to Ctrl-C or a crash, dates, languages and pasted paths refused as typed,
 * vi opened for a user with no $EDITOR. Each test failed before the fix.
 */
import {copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custody, custodyJson, newCase, PASSPHRASE, SAMPLES, tempDir} from '../helpers/cli.js'
import {fakeEditor, Terminal} from '../helpers/terminal.js'

const work = tempDir('custody-interview-e2e-')
let kase: {dir: string; remove: () => void}
let editor: string
const STATEMENT = 'They held us in the basement of the school for nine days.\n'

interface Listed {
  witness: string
  exhibit: string
  interview: {startedAt: string; endedAt: string | null; place: string; interpreter: string | null; present: string[]; languages: string[]}
  identity: {fields: string[]} | null
  attachments: unknown[]
}

async function testimonyOf(witness: string): Promise<Listed | undefined> {
  const {json} = await custodyJson<{testimonies: Listed[]}>(['testimony', 'list', '--case', kase.dir])
  return json.testimonies.find((t) => t.witness === witness)
}

/** The statement as recorded: decrypted from the vault by `show --statement` (with the passphrase). */
async function statementOf(testimony: Listed): Promise<string> {
  const shown = await custody(['show', testimony.exhibit, '--statement', '--case', kase.dir])
  if (shown.code !== 0) throw new Error(`show --statement failed: ${shown.stderr}`)
  return shown.stdout
}

function draftsFolder(): string {
  return join(kase.dir, '.custody', 'drafts')
}

function drafts(): string[] {
  return existsSync(draftsFolder()) ? readdirSync(draftsFolder()) : []
}

/** Every flag but those named: the interview asks only for what is left. */
function flagsBut(witness: string, statement: string, ...asked: string[]): string[] {
  const flags: Array<[string, string]> = [
    ['--witness', witness],
    ['--interviewed-at', '2024-03-06T10:00+03:00'],
    ['--ended-at', ''],
    ['--place', 'Kherson, community centre'],
    ['--interviewer', 'A. Investigator'],
    ['--present', 'a psychologist'],
    ['--interpreter', ''],
    ['--language', 'uk'],
    ['--consent', 'court'],
    ['--consent-method', 'signed-form'],
    ['--consent-at', '2024-03-06T10:00+03:00'],
    ['--statement-file', statement],
    ['--witness-name', 'Lenura Ablaieva'],
    ['--witness-contact', ''],
    ['--identity-note', ''],
  ]
  return [...flags.filter(([flag]) => !asked.includes(flag)).flat(), ...(asked.includes('--vulnerable') ? [] : ['--no-vulnerable'])]
}

/** Answers from the start of the interview to the consent, as a person would. */
async function answerUpToStatement(term: Terminal, witness: string): Promise<void> {
  await term.answer('Witness code', witness)
  await term.answer('Interview started', '2024-03-06T10:00+03:00')
  await term.answer('Interview ended', '')
  await term.answer('Where the interview took place', 'Kherson, community centre')
  await term.answer('Interviewer(s)', '')
  await term.answer('Anyone else present', 'a psychologist')
  await term.answer('Interpreter', 'B. Interpreter')
  await term.answer('Languages of the interview', 'crh, uk')
  await term.answer('Is the witness vulnerable', 'n')
  await term.waitFor('Informed consent')
  term.send('', 'Space', 'Enter') // court
  await term.waitFor('How was consent given?')
  term.send('', 'Enter') // signed-form
  await term.answer('When was consent given', '')
}

beforeAll(async () => {
  kase = await newCase()
  editor = fakeEditor(join(work.path, 'editor.sh'), STATEMENT)
})

afterAll(() => {
  kase.remove()
  work.remove()
})

describe('the interview of issue 18', () => {
  it('offers, when the name comes ~15 questions after the witness code that holds it, to change either; the interview completes with the statement typed', async () => {
    using term = new Terminal(['testimony', 'add', '--case', kase.dir], {cwd: work.path, env: {EDITOR: editor, VISUAL: editor}, exitFile: join(work.path, 'lenura.exit')})
    await term.answer('Case passphrase:', PASSPHRASE)
    await answerUpToStatement(term, 'Lenura')
    await term.waitFor('The statement:')
    term.send('', 'Enter') // typed in the editor
    await term.answer('launch your preferred editor', '')
    await term.answer('Attachment 1', '')
    await term.answer("Witness's name", 'Lenura Ablaieva')
    await term.waitFor(`the witness code "Lenura" contains part of the witness's name`)
    await term.waitFor('Which answer do you want to change?')
    expect(term.screen()).toContain('the witness code (Lenura)')
    term.send('', 'Enter') // the witness code
    await term.waitFor(/Witness code \(a pseudonym such as W-014, never the name\): Lenura\s*$/mu)
    term.retype('W-060')
    await term.answer('Contact details', '')
    await term.answer('Other identifying notes', '')
    await term.answer('Record the testimony of W-060?', '')
    expect(await term.exitCode()).toBe(0)
    const testimony = (await testimonyOf('W-060'))!
    expect(testimony.identity!.fields).toEqual(['name'])
    expect(await statementOf(testimony)).toBe(STATEMENT)
    expect(drafts()).toEqual([])
  })

  it('refuses an unreadable "Interview ended" at that question, with the reason, and asks again', async () => {
    const statement = join(work.path, 'w061.txt')
    writeFileSync(statement, 'A statement for W-061.\n')
    // A required flag missing, so that there is an interview.
    const args = ['testimony', 'add', '--case', kase.dir, ...flagsBut('W-061', statement, '--ended-at', '--place')]
    using term = new Terminal(args, {cwd: work.path, env: {}, exitFile: join(work.path, 'ended.exit')})
    await term.answer('Case passphrase:', PASSPHRASE)
    await term.answer('Interview ended', 'yesterday')
    await term.waitFor('must be a date and time, such as 2024-03-05 10:00')
    await term.waitFor("got \"yesterday\": give the time too")
    term.retype('Kherson')
    await term.waitFor('got "Kherson"')
    term.retype('11:30')
    // A time of day is on the day, and in the zone, of the start: shown back to confirm.
    await term.answer('Taken as 2024-03-06T11:30+03:00 (the day and zone of the start, 2024-03-06 +03:00). Is that right?', '')
    await term.answer('Where the interview took place', 'Kherson')
    await term.answer('Attachment 1', '')
    await term.waitFor(/interview ended +2024-03-06T11:30\+03:00/u)
    await term.answer('Record the testimony of W-061?', '')
    expect(await term.exitCode()).toBe(0)
    expect((await testimonyOf('W-061'))!.interview.endedAt).toBe('2024-03-06T11:30+03:00')
  })

  it('shows every answer in the summary, and lets any be changed from it', async () => {
    const statement = join(work.path, 'w062.txt')
    writeFileSync(statement, 'A statement for W-062.\n')
    const args = ['testimony', 'add', '--case', kase.dir, ...flagsBut('W-062', statement, '--place', '--interpreter', '--language')]
    using term = new Terminal(args, {cwd: work.path, env: {}, exitFile: join(work.path, 'summary.exit')})
    await term.answer('Case passphrase:', PASSPHRASE)
    await term.answer('Where the interview took place', 'Kherson')
    await term.answer('Interpreter', 'B. Interpreter')
    await term.answer('Languages of the interview', 'crh, uk')
    await term.answer('Attachment 1', '')
    for (const row of [/others present +a psychologist/u, /languages +crh \(Crimean Tatar\), uk \(Ukrainian\)/u, /interpreter +B\. Interpreter/u, /consent +court/u, /witness's name +given \(to be encrypted; not shown\)/u]) {
      await term.waitFor(row)
    }

    await term.waitFor('Record the testimony of W-062?')
    term.send('', 'Down', 'Enter') // change an answer
    await term.waitFor('Which answer do you want to change?')
    await term.waitFor('interpreter: B. Interpreter')
    term.send('interp')
    await new Promise((resolve) => setTimeout(resolve, 300))
    term.send('', 'Enter')
    await term.waitFor(/Interpreter \(empty if none\): B\. Interpreter\s*$/mu)
    term.retype('C. Interpreter')
    await term.waitFor(/interpreter +C\. Interpreter/u)
    await term.answer('Record the testimony of W-062?', '')
    expect(await term.exitCode()).toBe(0)
    expect((await testimonyOf('W-062'))!.interview.interpreter).toBe('C. Interpreter')
  })

  it('takes dates as people type them (this computer’s zone, shown back), languages by name, and paths as terminals paste them', async () => {
    const folder = join(work.path, 'My Files')
    mkdirSync(folder, {recursive: true})
    writeFileSync(join(folder, 'w063 statement.txt'), 'A statement for W-063.\n')
    copyFileSync(join(SAMPLES, 'Sony.jpg'), join(folder, 'photo one.jpg'))
    const args = ['testimony', 'add', '--case', kase.dir, ...flagsBut('W-063', '', '--interviewed-at', '--ended-at', '--language', '--statement-file', '--consent-at')]
    using term = new Terminal(args, {cwd: work.path, env: {TZ: 'Europe/Kyiv', HOME: work.path}, exitFile: join(work.path, 'friendly.exit')})
    await term.answer('Case passphrase:', PASSPHRASE)
    await term.answer('Interview started', '2024-03-05 10:00')
    await term.answer(/Taken as 2024-03-05T10:00\+02:00 \(this computer's zone, Europe\/Ki(y|e)v\)\. Is that right\?/u, '')
    await term.answer('Interview ended', '11:30')
    await term.answer('Taken as 2024-03-05T11:30+02:00', '')
    await term.answer('Languages of the interview', 'Crimean Tatar, Ukrainian')
    await term.waitFor('Taken as crh (Crimean Tatar), uk (Ukrainian).')
    await term.answer('When was consent given', 'now')
    await term.answer(/Taken as \d{4}-\d\d-\d\dT\d\d:\d\d\+0[23]:00 \(this computer's clock and zone/u, '')
    await term.waitFor('The statement:')
    term.send('', 'Down', 'Enter') // a file
    // Dragged onto the terminal: quoted, with a space after it.
    await term.answer('Statement file:', `'${folder}/w063 statement.txt' `)
    await term.answer('Attachment 1', '~/My\\ Files/photo\\ one.jpg')
    await term.answer('Attachment 2', '')
    await term.answer('Record the testimony of W-063?', '')
    expect(await term.exitCode()).toBe(0)
    const testimony = (await testimonyOf('W-063'))!
    expect(testimony.interview).toMatchObject({startedAt: '2024-03-05T10:00+02:00', endedAt: '2024-03-05T11:30+02:00', languages: ['crh', 'uk']})
    expect(testimony.attachments).toHaveLength(1)
    expect(await statementOf(testimony)).toBe('A statement for W-063.\n')
  })

  it('says nano is opened when no $EDITOR is set; a SIGKILL after the statement leaves it in an encrypted draft, which the next run resumes and records', async () => {
    // nano, as installed: it types the statement, and notes the file it was given.
    const bin = join(work.path, 'bin')
    mkdirSync(bin, {recursive: true})
    const seen = join(work.path, 'nano-saw.txt')
    const typed = 'At the checkpoint they took our passports and our phones.\n'
    fakeEditor(join(bin, 'nano'), typed, `echo "$1" > '${seen}'`)
    const env = {PATH: `${bin}:${process.env.PATH ?? ''}`}
    {
      const args = ['testimony', 'add', '--case', kase.dir, ...flagsBut('W-064', '', '--statement-file')]
      using term = new Terminal(args, {cwd: work.path, env, unset: ['EDITOR', 'VISUAL'], exitFile: join(work.path, 'killed.exit')})
      await term.answer('Case passphrase:', PASSPHRASE)
      await term.waitFor('The statement:')
      term.send('', 'Enter') // typed in the editor
      await term.waitFor('No $VISUAL or $EDITOR is set: the statement is typed in nano (Ctrl-O then Enter saves, Ctrl-X closes).')
      await term.answer('Press Enter to launch your preferred editor (nano).', '')
      await term.waitFor('Attachment 1')
      term.kill('SIGKILL')
      expect(await term.exitCode()).toBe(128 + 9)
    }

    // The editor's file is gone, folder and all; the draft holds the statement and the name, encrypted.
    const file = readFileSync(seen, 'utf8').trim()
    expect(existsSync(file)).toBe(false)
    expect(existsSync(join(file, '..'))).toBe(false)
    const [name, ...more] = drafts()
    expect(more).toEqual([])
    const draft = readFileSync(join(draftsFolder(), name!), 'utf8')
    for (const clear of ['Lenura', 'Ablaieva', 'passports', 'W-064']) expect(draft).not.toContain(clear)
    expect(statSync(join(draftsFolder(), name!)).mode & 0o777).toBe(0o600)
    expect(JSON.parse(draft)).toMatchObject({format: 'custody-testimony-draft/v1', statementTyped: true})

    using term = new Terminal(['testimony', 'add', '--case', kase.dir], {cwd: work.path, env: {}, exitFile: join(work.path, 'resumed.exit')})
    await term.waitFor('Case passphrase:')
    // Before the passphrase: when it was started and how many answers, never what they are.
    expect(term.screen()).toMatch(/An unfinished interview of this case is kept in an encrypted draft:\n {2}started \d{4}-\d\d-\d\d \d\d:\d\d[+-]\d\d:\d\d, \d+ answers, the statement typed, last kept/u)
    expect(term.screen()).not.toContain('W-064')
    term.send(PASSPHRASE, 'Enter')
    await term.waitFor('Resume the interview of W-064')
    await term.answer('Resume an unfinished interview?', '')
    await term.waitFor('Resuming the interview of W-064')
    await term.answer('Attachment 1', '')
    await term.answer('Record the testimony of W-064?', '')
    expect(await term.exitCode()).toBe(0)
    expect(await statementOf((await testimonyOf('W-064'))!)).toBe(typed)
    expect(drafts()).toEqual([])
  })

  it('keeps the answers after Ctrl-C; a script with every flag leaves the draft and says so; --discard-draft removes it', async () => {
    {
      using term = new Terminal(['testimony', 'add', '--case', kase.dir], {cwd: work.path, env: {}, exitFile: join(work.path, 'stopped.exit')})
      await term.answer('Case passphrase:', PASSPHRASE)
      await term.answer('Witness code', 'W-065')
      await term.answer('Interview started', '2024-03-07T09:00+02:00')
      await term.waitFor('Interview ended')
      term.send('', 'C-c')
      expect(await term.exitCode()).toBe(1)
      expect(term.screen()).toContain('the answers are kept in an encrypted draft')
    }

    expect(drafts()).toHaveLength(1)
    const statement = join(work.path, 'w066.txt')
    writeFileSync(statement, 'A statement for W-066.\n')
    const scripted = await custody(['testimony', 'add', '--case', kase.dir, ...flagsBut('W-066', statement)])
    expect(scripted.code, scripted.stderr).toBe(0)
    expect(scripted.stderr).toContain('this case keeps 1 unfinished interview in encrypted drafts, left as they are')
    expect(drafts()).toHaveLength(1)

    writeFileSync(statement, 'A statement for W-067.\n')
    const discarded = await custody(['testimony', 'add', '--case', kase.dir, '--discard-draft', ...flagsBut('W-067', statement)])
    expect(discarded.code, discarded.stderr).toBe(0)
    expect(discarded.stderr).toContain('Removed 1 draft of unfinished interviews.')
    expect(drafts()).toEqual([])
    expect((await custody(['verify', '--case', kase.dir])).code).toBe(0)
  })
})
